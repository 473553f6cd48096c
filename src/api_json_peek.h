/*
 * api_json_peek.h: one string of a JSON document, read off while the document
 * is checked, before it is converted to jsonb.
 *
 * The pager uses it to learn the next page's cursor (links.next) as soon
 * as a page has arrived, and asks for that page before converting this one
 * (jsonb's conversion is a page's largest cost), so that paging takes
 * pages x round trip, not pages x (round trip + conversion).
 */
#ifndef ATLORG_API_JSON_PEEK_H
#define ATLORG_API_JSON_PEEK_H

#include "common/jsonapi.h"

typedef struct AtlJsonPeek
{
	const char *outer;			/* a key of the top-level object */
	const char *inner;			/* a key of the object that is its value */
	/* called once the document is known valid: the string there, or NULL */
	void		(*then) (const char *value, void *arg);
	void	   *arg;
} AtlJsonPeek;

/* the semantic actions that find peek's string as pg_parse_json checks */
typedef struct AtlJsonPeekState
{
	const AtlJsonPeek *peek;
	int			depth;			/* objects and arrays open */
	bool		outer_field;	/* the depth-1 field being read is peek->outer */
	bool		in_outer;		/* inside that field's object */
	bool		inner_field;	/* the depth-2 field being read is peek->inner */
	char	   *found;
	/* what is switched off outside the wanted parts (api_json_peek.c) */
	JsonLexContext *lex;
	StringInfo	strval;
	JsonSemAction *sem;
} AtlJsonPeekState;

/* lex: made with need_escapes, for the document pg_parse_json will check */
extern void atl_json_peek_actions(AtlJsonPeekState *state, const AtlJsonPeek *peek,
								  JsonLexContext *lex, JsonSemAction *sem);

#endif
