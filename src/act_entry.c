/*
 * act_entry.c: atl_action, the C entry point of every action function
 * (atl_disable(account_id, ...), atl_disable(account_ids[], ...), ...).
 *
 * The function finds its action in the catalogue by its own SQL name and
 * checks that its declaration is exactly the one the catalogue implies
 * (guard_declared.h), so that no declaration can make it read arguments it was
 * not given.  The check runs once per call site.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "act_catalogue.h"
#include "act.h"
#include "guard_declared.h"
#include "guc.h"
#include "guard_statement.h"

/* what a declaration of atl_action says, checked once per call site */
typedef struct ActionEntry
{
	const ActionOp *op;
	bool		many;			/* the set-based form: account_ids text[] */
	int			nvalues;		/* arguments between the account(s) and server */
} ActionEntry;

/* the argument types the catalogue implies for op's single or set form */
static int
expected_types(const ActionOp *op, bool many, Oid *types)
{
	ActionShape shape = atl_action_op_shape(op);
	int			n = 0;
	bool		paired = shape == SHAPE_TOKEN || shape == SHAPE_EMAIL;

	types[n++] = many ? TEXTARRAYOID : TEXTOID;
	for (int i = 0; i < atl_action_shape_values(shape); i++)
		types[n++] = many && paired ? TEXTARRAYOID : TEXTOID;
	types[n++] = NAMEOID;
	types[n++] = BOOLOID;
	types[n++] = BOOLOID;
	return n;
}

/*
 * What the declaration of this call site says: its action, by its own SQL
 * name, and its form, by its first argument; then that the declaration is
 * exactly the one the catalogue implies (guard_declared.h).
 */
static ActionEntry *
read_declaration(FunctionCallInfo fcinfo)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	Form_pg_proc proc;
	ActionEntry *entry = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ActionEntry));
	Oid			types[4 + ATL_ACTION_VALUES];
	Oid			audit_type;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	proc = (Form_pg_proc) GETSTRUCT(tup);
	entry->op = atl_action_op_of_function(NameStr(proc->proname));
	if (entry->op == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("function %s is not declared as an atlorg action", NameStr(proc->proname)),
				 errdetail("The action catalogue has no action of that name.")));
	entry->many = proc->pronargs > 0 && proc->proargtypes.values[0] == TEXTARRAYOID;
	audit_type = get_rel_type_id(get_relname_relid("atl_audit", proc->pronamespace));
	ReleaseSysCache(tup);
	entry->nvalues = atl_action_shape_values(atl_action_op_shape(entry->op));
	atl_check_declaration(fcinfo, types, expected_types(entry->op, entry->many, types),
						  audit_type, entry->many, NULL, 0);
	return entry;
}

static ActionEntry *
entry_of(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = read_declaration(fcinfo);
	return fcinfo->flinfo->fn_extra;
}

static char *
text_arg(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* the text elements of an array argument (NULL argument: none) */
static char **
text_array_arg(FunctionCallInfo fcinfo, int argno, const char *what, bool nulls_ok, int *n)
{
	Datum	   *elems;
	bool	   *isnull;
	char	  **out;

	*n = 0;
	if (PG_ARGISNULL(argno))
		return NULL;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(argno), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &isnull, n);
	out = palloc0(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		if (isnull[i] && !nulls_ok)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain nulls", what)));
		out[i] = isnull[i] ? NULL : TextDatumGetCString(elems[i]);
	}
	return out;
}

/* the items of the single form: one */
static ActionItem *
single_item(FunctionCallInfo fcinfo, const ActionEntry *entry)
{
	ActionItem *item = palloc0(sizeof(ActionItem));

	item->op = entry->op;
	item->account_id = text_arg(fcinfo, 0);
	if (item->account_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("account id must not be null")));
	for (int v = 0; v < entry->nvalues; v++)
		item->values[v] = text_arg(fcinfo, 1 + v);
	if (entry->nvalues == 1)
		item->target = item->values[0];
	return item;
}

/* the items of the set form: one per account; paired values one each */
static ActionItem *
many_items(FunctionCallInfo fcinfo, const ActionEntry *entry, int *n)
{
	char	  **ids = text_array_arg(fcinfo, 0, "account_ids", false, n);
	ActionShape shape = atl_action_op_shape(entry->op);
	bool		paired = shape == SHAPE_TOKEN || shape == SHAPE_EMAIL;
	char	  **pairs = NULL;
	ActionItem *items = palloc0(sizeof(ActionItem) * Max(*n, 1));

	if (paired)
	{
		int			npairs;
		const char *what = shape == SHAPE_TOKEN ? "token_ids" : "emails";

		pairs = text_array_arg(fcinfo, 1, what, true, &npairs);
		if (npairs != *n)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("account_ids has %d elements, %s has %d", *n, what, npairs),
					 errhint("Give one value for each account, in the same order.")));
	}
	for (int i = 0; i < *n; i++)
	{
		items[i].op = entry->op;
		items[i].account_id = ids[i];
		for (int v = 0; v < entry->nvalues; v++)
			items[i].values[v] = paired ? pairs[i] : text_arg(fcinfo, 1 + v);
		if (entry->nvalues == 1)
			items[i].target = items[i].values[0];
	}
	return items;
}

/* the single form's result: the one audit row */
static void
keep_row(HeapTuple tuple, void *arg)
{
	/* the engine's row lives only as long as the call to us */
	*(HeapTuple *) arg = heap_copytuple(tuple);
}

static void
store_row(HeapTuple tuple, void *arg)
{
	ReturnSetInfo *rsinfo = arg;

	tuplestore_puttuple(rsinfo->setResult, tuple);
}

/*
 * What makes two single calls the same request: the action, the account,
 * the values, the server (as resolved now) and the options, each with its
 * length so that no two differ by where one ends.
 */
static char *
request_key(const ActionItem *item, int nvalues, const char *server, bool dry_run, bool force)
{
	StringInfoData key;
	const char *server_now = server ? server : (atl_default_server ? atl_default_server : "");

	initStringInfo(&key);
	appendStringInfo(&key, "%s|%d|%zu:%s|%zu:%s", atl_action_op_name(item->op),
					 (dry_run ? 1 : 0) + (force ? 2 : 0),
					 strlen(server_now), server_now, strlen(item->account_id), item->account_id);
	for (int v = 0; v < nvalues; v++)
	{
		if (item->values[v] == NULL)
			appendStringInfoString(&key, "|-");
		else
			appendStringInfo(&key, "|%zu:%s", strlen(item->values[v]), item->values[v]);
	}
	return key.data;
}

PG_FUNCTION_INFO_V1(atl_action);

/*
 * atl_<action>(account_id, <values>, server, dry_run, force) -> atl_audit
 * atl_<action>(account_ids[], <values>, server, dry_run, force) -> SETOF atl_audit
 */
Datum
atl_action(PG_FUNCTION_ARGS)
{
	ActionEntry *entry = entry_of(fcinfo);
	int			first_common = 1 + entry->nvalues;
	char	   *server = PG_ARGISNULL(first_common) ? NULL :
		pstrdup(NameStr(*PG_GETARG_NAME(first_common)));
	bool		dry_run = PG_ARGISNULL(first_common + 1) ? atl_dry_run :
		PG_GETARG_BOOL(first_common + 1);
	bool		force = !PG_ARGISNULL(first_common + 2) && PG_GETARG_BOOL(first_common + 2);
	TupleDesc	desc;

	if (entry->many)
	{
		ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
		int			n;
		ActionItem *items = many_items(fcinfo, entry, &n);

		InitMaterializedSRF(fcinfo, 0);
		if (n > 0)
			atl_actions_run(items, n, server, dry_run, force, rsinfo->setDesc, store_row, rsinfo);
		return (Datum) 0;
	}
	else
	{
		HeapTuple	row = NULL;
		ActionItem *item = single_item(fcinfo, entry);
		char	   *key = request_key(item, entry->nvalues, server, dry_run, force);

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "atlorg: an action must return atl_audit");
		desc = BlessTupleDesc(desc);
		/* called again in the same statement ((atl_enable(x)).*): sent once */
		if ((row = atl_statement_guard_seen(key)) != NULL)
			return HeapTupleGetDatum(row);
		atl_actions_run(item, 1, server, dry_run, force, desc, keep_row, &row);
		if (row == NULL)
			elog(ERROR, "atlorg: the executor returned no result");
		atl_statement_guard_remember(key, row);
		return HeapTupleGetDatum(row);
	}
}
