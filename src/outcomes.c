/*
 * outcomes.c: counting a statement's outcomes for its NOTICE (outcomes.h).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "catalog/namespace.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "outcomes.h"

void
atl_outcomes_count(AtlOutcomes *sum, const char *outcome)
{
	int			k;

	sum->requests++;
	if (strcmp(outcome, "succeeded") == 0 || strcmp(outcome, "already") == 0)
		return;
	for (k = 0; k < sum->kinds && strcmp(sum->names[k], outcome) != 0; k++)
		;
	if (k == sum->kinds && k < lengthof(sum->names))
		sum->names[sum->kinds++] = pstrdup(outcome);
	if (k < lengthof(sum->names))
		sum->counts[k]++;
}

void
atl_outcomes_count_row(AtlOutcomes *sum, HeapTuple row, TupleDesc desc)
{
	bool		isnull;
	Datum		d = heap_getattr(row, SPI_fnumber(desc, "outcome"), desc, &isnull);

	atl_outcomes_count(sum, isnull ? "pending" : TextDatumGetCString(d));
}

void
atl_outcomes_report(const AtlOutcomes *sum, const char *view, const char *extra)
{
	StringInfoData buf;

	if (sum->kinds == 0 && extra == NULL)
		return;
	initStringInfo(&buf);
	if (sum->kinds > 0)
	{
		appendStringInfo(&buf, "of %d requests, ", sum->requests);
		for (int k = 0; k < sum->kinds; k++)
			appendStringInfo(&buf, "%s%d %s", k ? ", " : "", sum->counts[k], sum->names[k]);
		appendStringInfoString(&buf, " (the mirror keeps the old values there)");
	}
	if (extra)
		appendStringInfo(&buf, "%s%s", sum->kinds > 0 ? "; " : "", extra);
	ereport(NOTICE,
			(errmsg("%s: %s", view, buf.data),
			 sum->kinds > 0 ?
			 errhint("SELECT * FROM atlorg.atl_audit WHERE run_id = atlorg.atl_last_run() "
					 "shows each request.") : 0));
}

TupleDesc
atl_audit_desc(void)
{
	Oid			rel = get_relname_relid("atl_audit", get_namespace_oid("atlorg", false));
	TypeCacheEntry *audit = lookup_type_cache(get_rel_type_id(rel), TYPECACHE_TUPDESC);

	return BlessTupleDesc(CreateTupleDescCopy(audit->tupDesc));
}

void
atl_collect_row(HeapTuple row, void *arg)
{
	List	  **rows = arg;

	*rows = lappend(*rows, heap_copytuple(row));
}

Datum
atl_audit_array(List *rows, TupleDesc desc, AtlOutcomes *sum)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(rows), 1));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, rows)
	{
		HeapTuple	row = lfirst(lc);

		atl_outcomes_count_row(sum, row, desc);
		elems[n++] = HeapTupleGetDatum(row);
	}
	return PointerGetDatum(construct_array(elems, n, desc->tdtypeid, -1, false, TYPALIGN_DOUBLE));
}
