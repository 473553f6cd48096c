/*
 * api_json_peek.c: a string at outer.inner, found by pg_parse_json's semantic
 * actions (see api_json_peek.h).  A key given twice counts as jsonb counts it:
 * the last one wins.
 */
#include "postgres.h"

#include "api_json_peek.h"

static void
nest_start(void *arg)
{
	AtlJsonPeekState *st = arg;

	if (++st->depth == 2 && st->outer_field)
		st->in_outer = true;
}

static void
nest_end(void *arg)
{
	AtlJsonPeekState *st = arg;

	if (st->depth-- == 2)
		st->in_outer = false;
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
atl_json_peek_actions(AtlJsonPeekState *state, const AtlJsonPeek *peek, JsonSemAction *sem)
{
	memset(state, 0, sizeof(*state));
	state->peek = peek;
	memset(sem, 0, sizeof(*sem));
	sem->semstate = state;
	sem->object_start = nest_start;
	sem->object_end = nest_end;
	sem->array_start = nest_start;
	sem->array_end = nest_end;
	sem->object_field_start = field_start;
	sem->scalar = scalar;
}
