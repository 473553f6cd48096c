/*
 * audit.c: SPI writes to atl_audit from the executor worker.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "audit.h"

/*
 * atl_audit, schema-qualified (the worker's search_path is pinned too):
 * nothing a user creates can stand in for it.  Called inside a
 * transaction, to check that the extension is there.
 */
static const char *
audit_table(void)
{
	static const char *name = NULL;

	if (name == NULL)
	{
		Oid			ext = get_extension_oid("atlorg", true);

		if (!OidIsValid(ext))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("atlorg executor: extension \"atlorg\" is not installed in this database")));
		/* the control file fixes the schema: atlorg */
		name = "atlorg.atl_audit";
	}
	return name;
}

/* the worker's context, given back after each transaction */
static MemoryContext caller_cxt = NULL;

static void
begin(const char *activity)
{
	caller_cxt = CurrentMemoryContext;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "atlorg: SPI_connect failed");
	pgstat_report_activity(STATE_RUNNING, activity);
}

static void
commit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(caller_cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
}

static Datum
text_or_null(const char *s, char *null_flag)
{
	*null_flag = (s == NULL || s[0] == '\0') ? 'n' : ' ';
	return *null_flag == 'n' ? (Datum) 0 : CStringGetTextDatum(s);
}

void
atl_audit_record_intents(const AtlActionRequest *const *reqs, AtlActionResult *const *res, int n)
{
	Oid			types[9] = {NAMEOID, NAMEOID, TEXTOID, TEXTOID, INT4OID, TIMESTAMPTZOID,
	TEXTOID, TEXTOID, NAMEOID};
	SPIPlanPtr	plan;

	begin("atlorg: recording actions");
	plan = SPI_prepare(psprintf("INSERT INTO %s (acted_by, server, action, account_id, "
								"backend_pid, statement_at, target, params, session_role) "
								"VALUES ($1, $2, $3, $4, $5, $6, $7, $8::pg_catalog.jsonb, $9) "
								"RETURNING id, requested_at", audit_table()),
					   9, types);
	if (plan == NULL)
		elog(ERROR, "atlorg: could not prepare the audit insert");
	for (int i = 0; i < n; i++)
	{
		const AtlActionRequest *req = reqs[i];
		Datum		values[9];
		char		nulls[10] = "         ";
		bool		isnull;

		values[0] = CStringGetDatum(req->acted_by);
		values[1] = CStringGetDatum(req->server);
		values[2] = CStringGetTextDatum(req->action);
		values[3] = CStringGetTextDatum(req->account_id);
		values[4] = Int32GetDatum(req->backend_pid);
		values[5] = TimestampTzGetDatum(req->statement_at);
		values[6] = text_or_null(req->target, &nulls[6]);
		values[7] = text_or_null(req->body, &nulls[7]);
		values[8] = CStringGetDatum(req->session_role);
		if (SPI_execute_plan(plan, values, nulls, false, 1) != SPI_OK_INSERT_RETURNING ||
			SPI_processed != 1)
			elog(ERROR, "atlorg: could not record an action in atl_audit");
		res[i]->audit_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc, 1, &isnull));
		res[i]->requested_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
																 SPI_tuptable->tupdesc, 2, &isnull));
	}
	commit();
}

void
atl_audit_record_outcomes(AtlActionResult *const *results, int n)
{
	Oid			types[9] = {INT8OID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID,
	INT4OID, FLOAT8OID, TIMESTAMPTZOID};
	SPIPlanPtr	plan;

	begin("atlorg: recording outcomes");
	plan = SPI_prepare(psprintf("UPDATE %s SET outcome = $2, http_status = $3, error_key = $4, "
								"error_reason = $5, error_detail = $6, attempts = $7, "
								"elapsed_ms = $8, finished_at = $9 WHERE id = $1",
								audit_table()), 9, types);
	if (plan == NULL)
		elog(ERROR, "atlorg: could not prepare the audit update");
	for (int i = 0; i < n; i++)
	{
		const AtlActionResult *res = results[i];
		Datum		values[9];
		char		nulls[10] = "         ";

		values[0] = Int64GetDatum(res->audit_id);
		values[1] = CStringGetTextDatum(res->outcome);
		values[2] = Int32GetDatum(res->http_status);
		nulls[2] = res->http_status ? ' ' : 'n';
		values[3] = text_or_null(res->error_key, &nulls[3]);
		values[4] = text_or_null(res->error_reason, &nulls[4]);
		values[5] = text_or_null(res->error_detail, &nulls[5]);
		values[6] = Int32GetDatum(res->attempts);
		values[7] = Float8GetDatum(res->elapsed_ms);
		values[8] = TimestampTzGetDatum(res->finished_at);
		if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "atlorg: could not record an outcome in atl_audit");
	}
	commit();
}

void
atl_audit_resolve_pending(void)
{
	begin("atlorg: resolving requests of a stopped executor");
	if (SPI_execute(psprintf("UPDATE %s SET outcome = 'unknown', finished_at = clock_timestamp(), "
							 "error_detail = 'the atlorg executor stopped while the request was in flight' "
							 "WHERE outcome = 'pending'", audit_table()),
					false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "atlorg: could not resolve pending rows in atl_audit");
	commit();
}

int64
atl_audit_prune(int keep_days)
{
	int64		pruned;

	begin("atlorg: pruning the audit");
	if (SPI_execute(psprintf("DELETE FROM %s WHERE requested_at < now() - interval '%d days' "
							 "AND outcome <> 'pending'", audit_table(), keep_days),
					false, 0) != SPI_OK_DELETE)
		elog(ERROR, "atlorg: could not prune atl_audit");
	pruned = (int64) SPI_processed;
	commit();
	return pruned;
}
