/*
 * guard_declared.c: the check of a C entry point's own declaration
 * (guard_declared.h): one syscache lookup, cheap next to the HTTP every
 * such function does.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "guard_declared.h"

static void
refuse(Oid fn, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
			 errmsg("%s is not declared as atlorg's C code reads it",
					OidIsValid(fn) ? format_procedure(fn) : "a function"),
			 errdetail("%s", why)));
}

void
atl_check_declaration(FunctionCallInfo fcinfo, const Oid *args, int nargs,
					  Oid result, bool set, const Oid *columns, int ncolumns)
{
	Oid			fn = fcinfo->flinfo ? fcinfo->flinfo->fn_oid : InvalidOid;
	HeapTuple	tup;
	Form_pg_proc proc;
	bool		ok;

	if (!OidIsValid(fn) || PG_NARGS() != nargs)
		refuse(fn, "It is not called with the arguments the C code reads.");
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn);
	proc = (Form_pg_proc) GETSTRUCT(tup);
	ok = proc->pronargs == nargs &&
		memcmp(proc->proargtypes.values, args, sizeof(Oid) * nargs) == 0 &&
		proc->proretset == set &&
		(OidIsValid(result) ? proc->prorettype == result : columns != NULL);
	ReleaseSysCache(tup);
	if (!ok)
		refuse(fn, "Its arguments or its result type are not the ones the C code reads and returns.");
	if (columns != NULL)
	{
		TupleDesc	desc;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			refuse(fn, "It must return rows.");
		if (desc->natts != ncolumns)
			refuse(fn, "Its result row is not the one the C code fills.");
		for (int i = 0; i < ncolumns; i++)
			if (TupleDescAttr(desc, i)->atttypid != columns[i])
				refuse(fn, "Its result row is not the one the C code fills.");
	}
}
