/*
 * api_json_peek.c: a string at outer.inner, found by pg_parse_json's semantic
 * actions (see api_json_peek.h).  A key given twice counts as jsonb counts it:
 * the last one wins.
 *
 * Only the names of the top-level fields and what is inside outer are
 * wanted; everything else (a page's "data", nearly all of it) is lexed
 * without de-escaping and without the actions that look at names and
 * scalars.  PostgreSQL 15's lexer copies every character of a string it
 * de-escapes one call at a time: for a page of users, de-escaping it all
 * took five times as long as checking it, and the next page waited.
 */
#include "postgres.h"

#include "api_json_peek.h"

static void field_start(void *arg, char *fname, bool isnull);
static void scalar(void *arg, char *token, JsonTokenType tokentype);

/* names and scalars are read at this depth (the structure is always followed) */
static bool
wanted(const AtlJsonPeekState *st)
{
	return st->depth <= 1 || (st->depth == 2 && st->in_outer);
}

/*
 * The lexer de-escapes a string only while strval is set, and the parser
 * calls an action only while it is set: both are looked at token by token.
 * A change made here applies from the next token, and the object or array
 * whose start or end this is has no string of its own (the token read ahead
 * at an end is a ',', a closing bracket or the end).
 */
static void
attend(AtlJsonPeekState *st)
{
	bool		on = wanted(st);

	st->lex->strval = on ? st->strval : NULL;
	st->sem->object_field_start = on ? field_start : NULL;
	st->sem->scalar = on ? scalar : NULL;
}

static void
nest_start(void *arg)
{
	AtlJsonPeekState *st = arg;

	if (++st->depth == 2 && st->outer_field)
		st->in_outer = true;
	attend(st);
}

static void
nest_end(void *arg)
{
	AtlJsonPeekState *st = arg;

	if (st->depth-- == 2)
		st->in_outer = false;
	attend(st);
}

static void
field_start(void *arg, char *fname, bool isnull)
{
	AtlJsonPeekState *st = arg;

	if (st->depth == 1)
	{
		st->outer_field = fname && strcmp(fname, st->peek->outer) == 0;
		if (st->outer_field)
			st->found = NULL;	/* a later "links" replaces an earlier one */
	}
	else if (st->depth == 2 && st->in_outer)
	{
		st->inner_field = fname && strcmp(fname, st->peek->inner) == 0;
		if (st->inner_field)
			st->found = NULL;
	}
}

static void
scalar(void *arg, char *token, JsonTokenType tokentype)
{
	AtlJsonPeekState *st = arg;

	if (st->depth == 2 && st->in_outer && st->inner_field)
	{
		st->found = tokentype == JSON_TOKEN_STRING ? token : NULL;
		st->inner_field = false;
	}
}

void
atl_json_peek_actions(AtlJsonPeekState *state, const AtlJsonPeek *peek,
					  JsonLexContext *lex, JsonSemAction *sem)
{
	Assert(lex->strval != NULL);	/* made with need_escapes */
	memset(state, 0, sizeof(*state));
	state->peek = peek;
	state->lex = lex;
	state->strval = lex->strval;
	state->sem = sem;
	memset(sem, 0, sizeof(*sem));
	sem->semstate = state;
	sem->object_start = nest_start;
	sem->object_end = nest_end;
	sem->array_start = nest_start;
	sem->array_end = nest_end;
	attend(state);
}
