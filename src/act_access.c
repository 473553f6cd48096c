/*
 * act_access.c: a change of product access, planned and run (act_access.h).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "act_access.h"
#include "act_catalogue.h"
#include "guard_internal.h"
#include "guard_url.h"

static char *
field(HeapTupleHeader row, int attnum)
{
	bool		isnull;
	Datum		d = GetAttributeByNum(row, attnum, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* the plan: atl_access_grant_plan() or atl_access_remove_plan() */
static ArrayType *
plan_of(const AccessChange *c)
{
	Datum		ids[1];
	Datum	   *elems = palloc(sizeof(Datum) * Max(c->n, 1));
	Datum		args[5];
	bool		nulls[5] = {false, false, false, false, c->server == NULL};
	Oid			types[5] = {TEXTARRAYOID, TEXTOID, TEXTOID, c->grant ? TEXTOID : BOOLOID, NAMEOID};

	for (int i = 0; i < c->n; i++)
		elems[i] = CStringGetTextDatum(c->account_ids[i]);
	ids[0] = PointerGetDatum(construct_array(elems, c->n, TEXTOID, -1, false, TYPALIGN_INT));
	args[0] = ids[0];
	args[1] = CStringGetTextDatum(c->product);
	args[2] = CStringGetTextDatum(c->site);
	args[3] = c->grant ? CStringGetTextDatum(c->role) : BoolGetDatum(c->also_other_grants);
	args[4] = c->server ? DirectFunctionCall1(namein, CStringGetDatum(c->server)) : (Datum) 0;
	return DatumGetArrayTypeP(atl_call_internal_nulls(c->grant ? "atl_access_grant_plan"
													  : "atl_access_remove_plan",
													  5, args, nulls, types));
}

/* the plan's requests as the engine's items; *n of them */
static ActionItem *
items_of(ArrayType *plan, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	ActionItem *items;

	deconstruct_array(plan, ARR_ELEMTYPE(plan), -1, false, TYPALIGN_DOUBLE, &elems, &nulls, n);
	items = palloc0(sizeof(ActionItem) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		HeapTupleHeader row = DatumGetHeapTupleHeader(elems[i]);
		ActionItem *item = &items[i];

		item->account_id = field(row, 1);
		item->op = atl_action_op(field(row, 2));
		item->target = field(row, 3);
		item->values[0] = field(row, 4);	/* role */
		item->values[1] = field(row, 5);	/* resource */
		item->skip_reason = field(row, 6);
		atl_action_item_check(item);
	}
	return items;
}

/* accounts of the change that no request of the plan is for */
static int
untouched(const AccessChange *c, const ActionItem *items, int n)
{
	int			count = 0;

	for (int i = 0; i < c->n; i++)
	{
		int			k;

		for (k = 0; k < n && strcmp(items[k].account_id, c->account_ids[i]) != 0; k++)
			;
		count += k == n;
	}
	return count;
}

int
atl_access_run(const AccessChange *c, TupleDesc desc, ActionRowSink sink, void *arg)
{
	ActionItem *items;
	int			n;

	/* hostile ids stop here, before any read puts them in a URL */
	for (int i = 0; i < c->n; i++)
		atl_check_account_id(c->account_ids[i]);
	if (c->n == 0)
		return 0;
	items = items_of(plan_of(c), &n);
	if (n > 0)
		atl_actions_run(items, n, c->server, c->dry_run, c->force, desc, sink, arg);
	return c->grant ? 0 : untouched(c, items, n);
}
