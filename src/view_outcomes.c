/*
 * view_outcomes.c: counting a statement's outcomes, and the reasons of those
 * refused or failed, for its NOTICE (view_outcomes.h).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "view_outcomes.h"

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

/* an audit row's text column, palloc'd; NULL if null */
static char *
text_attr(HeapTuple row, TupleDesc desc, const char *name)
{
	bool		isnull;
	Datum		d = heap_getattr(row, SPI_fnumber(desc, name), desc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* null or "": the answer said nothing there */
static bool
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* atl_audit_reason() (sql/11_audit_words.sql), in C */
static char *
audit_reason(const char *key, const char *reason, const char *detail, int status)
{
	if (!empty(reason))
		return pstrdup(reason);
	if (!empty(key))
		return pstrdup(key);
	if (status < 400)
		return NULL;
	return empty(detail) ? psprintf("HTTP %d", status) : pstrdup(detail);
}

/* a refused or failed row's reason, counted */
static void
count_reason(AtlOutcomes *sum, const char *outcome, HeapTuple row, TupleDesc desc)
{
	bool		isnull;
	Datum		status_d = heap_getattr(row, SPI_fnumber(desc, "http_status"), desc, &isnull);
	int			status = isnull ? 0 : DatumGetInt32(status_d);
	char	   *key = text_attr(row, desc, "error_key");
	char	   *reason = text_attr(row, desc, "error_reason");
	char	   *detail = text_attr(row, desc, "error_detail");
	char	   *said = audit_reason(key, reason, detail, status);
	int			k;

	if (detail)
		pfree(detail);
	if (said == NULL)
		return;
	for (k = 0; k < sum->nreasons; k++)
		if (strcmp(sum->reasons[k].outcome, outcome) == 0 &&
			strcmp(sum->reasons[k].reason, said) == 0)
			break;
	if (k == lengthof(sum->reasons))
		sum->other_reasons++;
	else if (k == sum->nreasons)
	{
		/* the first row of a reason keeps its strings; the others' go */
		sum->reasons[k] = (AtlReasonCount) {pstrdup(outcome), said, key, reason, status, 1};
		sum->nreasons++;
		return;
	}
	else
		sum->reasons[k].count++;
	pfree(said);
	if (key)
		pfree(key);
	if (reason)
		pfree(reason);
}

void
atl_outcomes_count_row(AtlOutcomes *sum, HeapTuple row, TupleDesc desc)
{
	char	   *outcome = text_attr(row, desc, "outcome");

	if (outcome == NULL)
		outcome = "pending";
	atl_outcomes_count(sum, outcome);
	if (strcmp(outcome, "refused") == 0 || strcmp(outcome, "failed") == 0)
		count_reason(sum, outcome, row, desc);
}

/* "the words (what to do)" for a reason, from atl_error_reasons; NULL if none */
static char *
words_for(const AtlReasonCount *r)
{
	Oid			types[3] = {TEXTOID, TEXTOID, INT4OID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	char	   *words = NULL;
	MemoryContext caller = CurrentMemoryContext;	/* SPI_finish frees its own */

	values[0] = r->error_key ? CStringGetTextDatum(r->error_key) : (nulls[0] = 'n', (Datum) 0);
	values[1] = r->error_reason ? CStringGetTextDatum(r->error_reason) : (nulls[1] = 'n', (Datum) 0);
	values[2] = Int32GetDatum(r->http_status);
	if (SPI_connect() != SPI_OK_CONNECT)
		return NULL;
	if (SPI_execute_with_args("SELECT w.meaning || ' ' || w.what_to_do "
							  "FROM atlorg.atl_error_words($1, $2, $3) w",
							  3, types, values, nulls, true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		char	   *got = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (got)
			words = MemoryContextStrdup(caller, got);
	}
	SPI_finish();
	return words;
}

/* "refused, managedAccount (3): The account is not ...; failed, ..." */
static char *
reasons_in_words(const AtlOutcomes *sum)
{
	StringInfoData buf;

	if (sum->nreasons == 0)
		return NULL;
	initStringInfo(&buf);
	for (int k = 0; k < sum->nreasons; k++)
	{
		const AtlReasonCount *r = &sum->reasons[k];
		char	   *words = words_for(r);

		appendStringInfo(&buf, "%s%s, %s (%d)%s%s", k ? "\n" : "", r->outcome, r->reason,
						 r->count, words ? ": " : "", words ? words : "");
	}
	if (sum->other_reasons > 0)
		appendStringInfo(&buf, "\nand %d more with other reasons", sum->other_reasons);
	return buf.data;
}

void
atl_outcomes_report(const AtlOutcomes *sum, const char *view, const char *extra)
{
	StringInfoData buf;
	char	   *words;

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
	words = reasons_in_words(sum);
	ereport(NOTICE,
			(errmsg("%s: %s", view, buf.data),
			 words ? errdetail_internal("%s", words) : 0,
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
