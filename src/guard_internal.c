/*
 * guard_internal.c: calling atlorg's internal SQL functions from C, and
 * the check that a statement trigger runs only where it belongs
 * (guard_internal.h).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"

#include "guard_internal.h"

#define INTERNAL_MAX_ARGS 8

Datum
atl_call_internal_nulls(const char *name, int nargs, Datum *args, const bool *nulls,
						Oid *argtypes)
{
	Oid			fn = LookupFuncName(list_make2(makeString("atlorg"), makeString(pstrdup(name))),
									nargs, argtypes, false);
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, INTERNAL_MAX_ARGS);

	Assert(nargs <= INTERNAL_MAX_ARGS);
	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, nargs, DEFAULT_COLLATION_OID, NULL, NULL);
	for (int i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = nulls != NULL && nulls[i];
	}
	return FunctionCallInvoke(fcinfo);
}

Datum
atl_call_internal(const char *name, int nargs, Datum *args, Oid *argtypes)
{
	return atl_call_internal_nulls(name, nargs, args, NULL, argtypes);
}

TriggerData *
atl_statement_trigger(FunctionCallInfo fcinfo, const char *table, const char *fn)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			nsp = get_namespace_oid("atlorg", false);

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) || !TRIGGER_FIRED_BY_INSERT(td->tg_event) ||
		td->tg_newtable == NULL ||
		RelationGetRelid(td->tg_relation) != get_relname_relid(table, nsp))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() runs only as the trigger of atlorg.%s", fn, table)));
	return td;
}
