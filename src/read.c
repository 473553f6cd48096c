/*
 * read.c: atl_read(op, params, max_items, server), every read operation of
 * the catalogue as rows of jsonb, one per item.  The typed SQL functions
 * (atl_groups(), atl_events(), ...) are views of it written in SQL.
 */
#include "postgres.h"

#include "catalog/pg_type.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "api_catalogue.h"
#include "api_pager.h"
#include "guard_declared.h"
#include "fdw_source.h"

static void
put_item(JsonbValue *item, void *arg)
{
	ReturnSetInfo *rsinfo = arg;
	Datum		value = JsonbPGetDatum(JsonbValueToJsonb(item));
	bool		isnull = false;

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
}

PG_FUNCTION_INFO_V1(atl_read);

Datum
atl_read(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const AtlReadOp *op;
	AtlSource  *src;
	AtlPager	pager;
	static const Oid args[] = {TEXTOID, JSONBOID, INT8OID, NAMEOID};

	atl_check_declaration(fcinfo, args, lengthof(args), JSONBOID, true, NULL, 0);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("operation must not be null")));
	op = atl_catalogue_find(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	src = atl_source_lookup(PG_ARGISNULL(3) ? NULL : NameStr(*PG_GETARG_NAME(3)));
	if (op->api == ATL_API_JIRA)
		atl_source_require_site(src);
	else
		atl_source_require_org(src);

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	atl_pager_init(&pager, src, op, PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1));
	pager.wanted = PG_ARGISNULL(2) ? -1 : PG_GETARG_INT64(2);
	atl_pager_each(&pager, put_item, rsinfo);
	return (Datum) 0;
}
