/*
 * act_access_entry.c: atl_access_action, the C entry point of
 * atl_remove_access() and atl_grant_access(), single and set forms:
 *
 *   atl_remove_access(account_id | account_ids[], product, site,
 *                     also_remove_other_grants, server, dry_run, force)
 *   atl_grant_access(account_id | account_ids[], product, site, role,
 *                    server, dry_run, force)
 *   -> SETOF atl_audit
 *
 * It checks its own declaration (guard_declared.h), then hands the change to
 * act_access.c.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "act_access.h"
#include "guard_declared.h"
#include "guc.h"

enum
{
	ARG_ACCOUNTS, ARG_PRODUCT, ARG_SITE, ARG_OPTION, ARG_SERVER, ARG_DRY_RUN, ARG_FORCE
};

/* what this call site's declaration is: grant or remove, one or many */
typedef struct AccessEntry
{
	bool		grant;
	bool		many;
} AccessEntry;

static AccessEntry *
read_declaration(FunctionCallInfo fcinfo)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	Form_pg_proc proc;
	AccessEntry *entry = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(AccessEntry));
	Oid			types[7] = {TEXTOID, TEXTOID, TEXTOID, BOOLOID, NAMEOID, BOOLOID, BOOLOID};
	Oid			audit_type;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	proc = (Form_pg_proc) GETSTRUCT(tup);
	if (strcmp(NameStr(proc->proname), "atl_grant_access") == 0)
		entry->grant = true;
	else if (strcmp(NameStr(proc->proname), "atl_remove_access") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("function %s is not declared as an atlorg access action",
						NameStr(proc->proname))));
	entry->many = proc->pronargs > 0 && proc->proargtypes.values[0] == TEXTARRAYOID;
	audit_type = get_rel_type_id(get_relname_relid("atl_audit", proc->pronamespace));
	ReleaseSysCache(tup);
	types[ARG_ACCOUNTS] = entry->many ? TEXTARRAYOID : TEXTOID;
	types[ARG_OPTION] = entry->grant ? TEXTOID : BOOLOID;
	atl_check_declaration(fcinfo, types, lengthof(types), audit_type, true, NULL, 0);
	return entry;
}

static char *
required_text(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* the accounts: one, or the array's elements (none if it is null) */
static char **
accounts_of(FunctionCallInfo fcinfo, const AccessEntry *entry, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **ids;

	if (!entry->many)
	{
		ids = palloc(sizeof(char *));
		ids[0] = required_text(fcinfo, ARG_ACCOUNTS, "account id");
		*n = 1;
		return ids;
	}
	*n = 0;
	if (PG_ARGISNULL(ARG_ACCOUNTS))
		return NULL;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(ARG_ACCOUNTS), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, n);
	ids = palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("account_ids must not contain nulls")));
		ids[i] = TextDatumGetCString(elems[i]);
	}
	return ids;
}

static void
store_row(HeapTuple tuple, void *arg)
{
	ReturnSetInfo *rsinfo = arg;

	tuplestore_puttuple(rsinfo->setResult, tuple);
}

PG_FUNCTION_INFO_V1(atl_access_action);

Datum
atl_access_action(PG_FUNCTION_ARGS)
{
	AccessEntry *entry;
	AccessChange c = {0};
	ReturnSetInfo *rsinfo;
	int			none;

	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = read_declaration(fcinfo);
	entry = fcinfo->flinfo->fn_extra;
	c.grant = entry->grant;
	c.account_ids = accounts_of(fcinfo, entry, &c.n);
	c.product = required_text(fcinfo, ARG_PRODUCT, "product");
	c.site = required_text(fcinfo, ARG_SITE, "site");
	if (entry->grant)
		c.role = required_text(fcinfo, ARG_OPTION, "role");
	else
		c.also_other_grants = !PG_ARGISNULL(ARG_OPTION) && PG_GETARG_BOOL(ARG_OPTION);
	c.server = PG_ARGISNULL(ARG_SERVER) ? NULL : pstrdup(NameStr(*PG_GETARG_NAME(ARG_SERVER)));
	c.dry_run = PG_ARGISNULL(ARG_DRY_RUN) ? atl_dry_run : PG_GETARG_BOOL(ARG_DRY_RUN);
	c.force = !PG_ARGISNULL(ARG_FORCE) && PG_GETARG_BOOL(ARG_FORCE);

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	none = atl_access_run(&c, rsinfo->setDesc, store_row, rsinfo);
	if (none > 0)
		ereport(NOTICE,
				(errmsg("%d of %d accounts have no access to %s on %s: nothing to remove",
						none, c.n, c.product, c.site)));
	return (Datum) 0;
}
