/*
 * api_json_peek.c: the string at outer.inner, read off the document's tokens
 * by PostgreSQL's lexer (see api_json_peek.h).
 *
 * A walk over the tokens, not pg_parse_json: it follows only what it needs
 * (which key a string is, at the top level and inside outer), so it does
 * not check the document, and it keeps no stack, so nesting costs it
 * nothing.  The caller checks the document afterwards, as it checks every
 * answer, while the request the string was wanted for is on its way.
 *
 * Only the names of the top-level fields and what is inside outer are
 * de-escaped; everything else (a page's "data", nearly all of it) is lexed
 * without: PostgreSQL 15's lexer copies every character of a string it
 * de-escapes one call at a time, which made a page's walk five times as
 * long, and the next page waited.
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"

#include "api_json_peek.h"

typedef enum PeekKey
{
	KEY_OTHER,
	KEY_OUTER,					/* outer, at the top level */
	KEY_INNER					/* inner, in outer's object */
} PeekKey;

typedef struct PeekWalk
{
	const char *outer;			/* a key of the top-level object */
	const char *inner;			/* a key of the object that is its value */
	int			depth;			/* objects and arrays open */
	bool		object_at[3];	/* depth 1 and 2: an object (else an array) */
	bool		in_outer;		/* the depth-2 object is outer's value */
	bool		key_next;		/* the next string is a field's name */
	PeekKey		named;			/* the name just read, until its colon */
	PeekKey		value_of;		/* whose value the next token is */
	char	   *found;
} PeekWalk;

/* is a string at this point of the walk one it looks at? */
static bool
wanted(const PeekWalk *w)
{
	return w->depth == 1 || (w->depth == 2 && w->in_outer);
}

/* a string found is replaced or dropped */
static void
forget(PeekWalk *w)
{
	if (w->found)
		pfree(w->found);
	w->found = NULL;
}

static void
nest(PeekWalk *w, bool object)
{
	bool		outer_opens = object && w->depth == 1 && w->value_of == KEY_OUTER;

	if (++w->depth <= 2)
		w->object_at[w->depth] = object;
	if (outer_opens)
		w->in_outer = true;
	w->key_next = object;
	w->value_of = KEY_OTHER;
}

static void
unnest(PeekWalk *w)
{
	if (w->depth-- == 2)
		w->in_outer = false;
	w->key_next = false;
	w->value_of = KEY_OTHER;
}

/* a string: value is NULL where the walk does not look (not de-escaped) */
static void
string(PeekWalk *w, const char *value)
{
	if (w->key_next)
	{
		w->key_next = false;
		w->named = KEY_OTHER;
		if (value && w->depth == 1 && strcmp(value, w->outer) == 0)
			w->named = KEY_OUTER;
		else if (value && w->depth == 2 && strcmp(value, w->inner) == 0)
			w->named = KEY_INNER;
		return;
	}
	if (value && w->value_of == KEY_INNER)
	{
		forget(w);
		w->found = pstrdup(value);
	}
	w->value_of = KEY_OTHER;
}

/* one token, read; false once the document's value has ended */
static bool
step(PeekWalk *w, JsonLexContext *lex)
{
	switch (lex->token_type)
	{
		case JSON_TOKEN_OBJECT_START:
		case JSON_TOKEN_ARRAY_START:
			nest(w, lex->token_type == JSON_TOKEN_OBJECT_START);
			break;
		case JSON_TOKEN_OBJECT_END:
		case JSON_TOKEN_ARRAY_END:
			unnest(w);
			/* the document's value ends here: what follows is the check's */
			return w->depth > 0;
		case JSON_TOKEN_COMMA:
			w->key_next = w->depth >= 1 && w->depth <= 2 && w->object_at[w->depth];
			w->value_of = KEY_OTHER;
			break;
		case JSON_TOKEN_COLON:
			w->value_of = w->named;
			w->named = KEY_OTHER;
			/* a later outer, or inner in it, replaces what an earlier one held */
			if (w->value_of != KEY_OTHER)
				forget(w);
			break;
		case JSON_TOKEN_STRING:
			string(w, wanted(w) ? lex->strval->data : NULL);
			break;
		case JSON_TOKEN_END:
			return false;
		default:				/* a number, true, false, null */
			w->value_of = KEY_OTHER;
			break;
	}
	return true;
}

char *
atl_json_peek(const char *text, int len, const char *outer, const char *inner)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen((char *) text, len,
													   GetDatabaseEncoding(), true);
	StringInfo	strval = lex->strval;
	PeekWalk	w = {outer, inner};
	bool		lexed;

	do
	{
		/* the lexer de-escapes the next string only with strval set */
		lex->strval = wanted(&w) ? strval : NULL;
		lexed = json_lex(lex) == JSON_SUCCESS;
	} while (lexed && step(&w, lex));
	pfree(strval->data);
	pfree(strval);
	pfree(lex);
	if (lexed)
		return w.found;
	/* not JSON as far as it was read: nothing (the check will say why) */
	forget(&w);
	return NULL;
}
