/*
 * exec_audit.c: SPI writes to atl_audit from the executor worker.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "exec_audit.h"
#include "run_store.h"
#include "exec_store.h"

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

/* does atl_audit have 1.2's column previous (ALTER EXTENSION ... UPDATE done)? */
static bool
audit_has_previous(void)
{
	Oid			audit = get_relname_relid("atl_audit", get_namespace_oid("atlorg", false));

	return OidIsValid(audit) && get_attnum(audit, "previous") != InvalidAttrNumber;
}

/* the worker's context, given back after each transaction */
static MemoryContext caller_cxt = NULL;
static bool runs_ready = false;	/* the database has atlorg 1.1's run tables */
static bool previous_ready = false; /* ... and 1.2's atl_audit.previous */
static char resting_activity[256] = "";	/* shown between and during transactions */

void
atl_audit_begin(const char *activity)
{
	caller_cxt = CurrentMemoryContext;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "atlorg: SPI_connect failed");
	/* what the executor shows while it waits stays shown */
	pgstat_report_activity(STATE_RUNNING, resting_activity[0] ? resting_activity : activity);
	(void) audit_table();
	runs_ready = atl_run_store_ready();
	previous_ready = runs_ready && audit_has_previous();
}

void
atl_audit_commit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(caller_cxt);
	/* a background worker reports its statistics itself: autovacuum needs them */
	pgstat_report_stat(false);
	if (resting_activity[0])
		pgstat_report_activity(STATE_RUNNING, resting_activity);
	else
		pgstat_report_activity(STATE_IDLE, NULL);
}

void
atl_audit_set_resting_activity(const char *activity)
{
	strlcpy(resting_activity, activity ? activity : "", sizeof(resting_activity));
}

bool
atl_audit_has_runs(void)
{
	return runs_ready;
}

static Datum
text_or_null(const char *s, char *null_flag)
{
	*null_flag = (s == NULL || s[0] == '\0') ? 'n' : ' ';
	return *null_flag == 'n' ? (Datum) 0 : CStringGetTextDatum(s);
}

static void
run_plan(SPIPlanPtr plan, Datum *values, const char *nulls, int expect)
{
	if (SPI_execute_plan(plan, values, nulls, false, 0) != expect)
		elog(ERROR, "atlorg: could not record an action in atl_audit");
}

/*
 * The executor runs the same few statements for every request: each is
 * parsed once per process and kept (a change to what it uses, an extension
 * update say, has PostgreSQL analyse it again), not parsed per request.
 * Each execution is still planned for its values and the tables' sizes
 * now: a generic plan made while atl_queue or atl_audit was nearly empty
 * would scan it whole, row after row, once it is large.  *slot holds it;
 * the text must not vary for a slot.
 */
static SPIPlanPtr
kept_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *types)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_CUSTOM_PLAN);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "atlorg: could not prepare \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		*slot = plan;
	}
	return *slot;
}

/* a queued request's row now has its audit row: it may be on the wire */
static void
mark_queue_row(const AtlActionRequest *req, int64 audit_id)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[3] = {Int64GetDatum(req->run_id), Int32GetDatum(req->queue_seq),
	Int64GetDatum(audit_id)};

	kept_plan(&plan, "UPDATE atlorg.atl_queue SET audit_id = $3 WHERE run_id = $1 AND seq = $2",
			  3, (Oid[]) {INT8OID, INT4OID, INT8OID});
	if (SPI_execute_plan(plan, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "atlorg: could not mark a queued request");
}

/*
 * What each request changes from, taken from the mirror as it stands now,
 * before any of them is sent: what an undo would restore.  One statement
 * for the whole take (the function is planned once, not once a request).
 */
static void
record_previous(AtlActionResult *const *res, int n)
{
	static SPIPlanPtr plan = NULL;
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	Datum		arg;

	for (int i = 0; i < n; i++)
		ids[i] = Int64GetDatum(res[i]->audit_id);
	arg = PointerGetDatum(construct_array(ids, n, INT8OID, 8, true, TYPALIGN_DOUBLE));
	kept_plan(&plan, "UPDATE atlorg.atl_audit a SET previous = "
			  "atlorg.atl_audit_previous(a.server, a.action, a.account_id, a.target, a.params) "
			  "WHERE a.id = ANY ($1) AND a.previous IS NULL",
			  1, (Oid[]) {INT8ARRAYOID});
	if (SPI_execute_plan(plan, &arg, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "atlorg: could not record what the actions change from");
	pfree(ids);
}

void
atl_audit_record_intents(const AtlActionRequest *const *reqs, AtlActionResult *const *res, int n)
{
	static SPIPlanPtr plans[2] = {NULL, NULL};	/* without, with run_id */
	Oid			types[10] = {NAMEOID, NAMEOID, TEXTOID, TEXTOID, INT4OID, TIMESTAMPTZOID,
	TEXTOID, TEXTOID, NAMEOID, INT8OID};
	SPIPlanPtr	plan;

	atl_audit_begin("atlorg: recording actions");
	if (runs_ready)
		atl_worker_store_runs(reqs, n);
	if (plans[runs_ready] == NULL)	/* the text is built once too */
		kept_plan(&plans[runs_ready],
				  psprintf("INSERT INTO %s (acted_by, server, action, account_id, "
						   "backend_pid, statement_at, target, params, session_role%s) "
						   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::pg_catalog.jsonb, $9%s) "
						   "RETURNING id, requested_at", audit_table(),
						   runs_ready ? ", run_id" : "", runs_ready ? ", $10" : ""),
				  runs_ready ? 10 : 9, types);
	plan = plans[runs_ready];
	for (int i = 0; i < n; i++)
	{
		const AtlActionRequest *req = reqs[i];
		Datum		values[10];
		char		nulls[11] = "          ";
		bool		isnull;

		if (res[i]->audit_id != 0)
			continue;			/* sent again after a crash: its row is there */
		values[0] = CStringGetDatum(req->acted_by);
		values[1] = CStringGetDatum(req->server);
		values[2] = CStringGetTextDatum(req->action);
		values[3] = CStringGetTextDatum(req->account_id);
		values[4] = Int32GetDatum(req->backend_pid);
		values[5] = TimestampTzGetDatum(req->statement_at);
		values[6] = text_or_null(req->target, &nulls[6]);
		values[7] = text_or_null(req->body, &nulls[7]);
		values[8] = CStringGetDatum(req->session_role);
		values[9] = Int64GetDatum(req->run_id);
		nulls[9] = req->run_id ? ' ' : 'n';
		run_plan(plan, values, nulls, SPI_OK_INSERT_RETURNING);
		res[i]->audit_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc, 1, &isnull));
		res[i]->requested_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
																 SPI_tuptable->tupdesc, 2, &isnull));
		if (req->queue_seq)
			mark_queue_row(req, res[i]->audit_id);
	}
	if (previous_ready)
		record_previous(res, n);
	atl_audit_commit();
}

/*
 * A background request's end: its queue row goes, and a success shows in
 * the mirror at once.
 */
static void
finish_queued(const AtlActionRequest *req, const AtlActionResult *res)
{
	static SPIPlanPtr dequeue = NULL;
	static SPIPlanPtr follow = NULL;
	Datum		values[5];
	char		nulls[5] = "     ";

	values[0] = Int64GetDatum(req->run_id);
	values[1] = Int32GetDatum(req->queue_seq);
	kept_plan(&dequeue, "DELETE FROM atlorg.atl_queue WHERE run_id = $1 AND seq = $2",
			  2, (Oid[]) {INT8OID, INT4OID});
	if (SPI_execute_plan(dequeue, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "atlorg: could not take a request off the queue");
	if (strcmp(res->outcome, "succeeded") != 0 && strcmp(res->outcome, "already") != 0)
		return;
	values[0] = CStringGetDatum(req->server);
	values[1] = CStringGetTextDatum(req->action);
	values[2] = CStringGetTextDatum(req->account_id);
	values[3] = text_or_null(req->target, &nulls[3]);
	values[4] = text_or_null(req->body, &nulls[4]);
	kept_plan(&follow, "SELECT atlorg.atl_mirror_follow($1, $2, $3, $4, $5::pg_catalog.jsonb)",
			  5, (Oid[]) {NAMEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID});
	if (SPI_execute_plan(follow, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not update the mirror");
}

void
atl_audit_record_outcomes(const AtlActionRequest *const *reqs, AtlActionResult *const *results,
						  int n)
{
	static SPIPlanPtr plans[2] = {NULL, NULL};	/* without, with verified */
	Oid			types[10] = {INT8OID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID,
	INT4OID, FLOAT8OID, TIMESTAMPTZOID, BOOLOID};
	SPIPlanPtr	plan;

	atl_audit_begin("atlorg: recording outcomes");
	if (plans[runs_ready] == NULL)	/* the text is built once too */
		kept_plan(&plans[runs_ready],
				  psprintf("UPDATE %s SET outcome = $2, http_status = $3, error_key = $4, "
						   "error_reason = $5, error_detail = $6, attempts = $7, "
						   "elapsed_ms = $8, finished_at = $9%s WHERE id = $1",
						   audit_table(), runs_ready ? ", verified = $10" : ""),
				  runs_ready ? 10 : 9, types);
	plan = plans[runs_ready];
	for (int i = 0; i < n; i++)
	{
		const AtlActionResult *res = results[i];
		Datum		values[10];
		char		nulls[11] = "          ";

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
		values[9] = BoolGetDatum(res->verified == ATL_VERIFIED_SHOWN);
		nulls[9] = res->verified == ATL_VERIFIED_UNREAD ? 'n' : ' ';
		run_plan(plan, values, nulls, SPI_OK_UPDATE);
		if (reqs[i]->queue_seq && runs_ready)
			finish_queued(reqs[i], res);
	}
	atl_audit_commit();
}

int64
atl_audit_prune(int keep_days)
{
	int64		pruned;

	atl_audit_begin("atlorg: pruning the audit");
	if (SPI_execute(psprintf("DELETE FROM %s WHERE requested_at < now() - interval '%d days' "
							 "AND outcome <> 'pending'", audit_table(), keep_days),
					false, 0) != SPI_OK_DELETE)
		elog(ERROR, "atlorg: could not prune atl_audit");
	pruned = (int64) SPI_processed;
	/* and the runs whose rows are all gone */
	if (runs_ready &&
		SPI_execute(psprintf("DELETE FROM atlorg.atl_run r WHERE r.state IN ('finished', 'cancelled') "
							 "AND r.finished_at < now() - interval '%d days' "
							 "AND NOT EXISTS (SELECT FROM %s a WHERE a.run_id = r.id)",
							 keep_days, audit_table()),
					false, 0) != SPI_OK_DELETE)
		elog(ERROR, "atlorg: could not prune atl_run");
	atl_audit_commit();
	return pruned;
}
