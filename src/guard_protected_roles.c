/*
 * guard_protected_roles.c: atl_protected_roles(), the roles of
 * atlorg.protected_roles as an array, for atl_protections()
 * (sql/42_protection.sql).  In C so that calling it loads the module,
 * which defines the setting and its default.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/varlena.h"

#include "guc.h"

PG_FUNCTION_INFO_V1(atl_protected_roles_array);

Datum
atl_protected_roles_array(PG_FUNCTION_ARGS)
{
	char	   *raw = pstrdup(atl_protected_roles ? atl_protected_roles : "");
	List	   *roles = NIL;
	Datum	   *elems;
	int			n = 0;
	ListCell   *lc;

	if (!SplitGUCList(raw, ',', &roles))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("atlorg.protected_roles is malformed")));
	elems = palloc(sizeof(Datum) * Max(list_length(roles), 1));
	foreach(lc, roles)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}
