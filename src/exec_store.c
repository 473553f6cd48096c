/*
 * exec_store.c: the executor's SQL on atl_run and atl_queue
 * (exec_store.h).  Everything is schema-qualified and the worker's
 * search_path is pinned.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "lib/stringinfo.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "act.h"
#include "exec_audit.h"
#include "exec_slots.h"
#include "fdw_source.h"
#include "exec_subxact.h"
#include "run_store.h"
#include "exec_store.h"

static char *
col(int row, int c)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, c);
}

static bool
col_bool(int row, int c)
{
	char	   *v = col(row, c);

	return v && v[0] == 't';
}

static void
copy_col(char *dst, size_t size, int row, int c)
{
	char	   *v = col(row, c);

	strlcpy(dst, v ? v : "", size);
}

/* --- synchronous runs' rows ------------------------------------------- */

static void
upsert_run(const AtlRunEntry *e)
{
	Oid			types[12] = {INT8OID, TIMESTAMPTZOID, NAMEOID, OIDOID, NAMEOID, INT4OID,
	NAMEOID, TEXTOID, TEXTOID, BOOLOID, BOOLOID, INT8OID};
	Datum		v[12];
	char		nulls[13] = "            ";

	v[0] = Int64GetDatum(e->run_id);
	v[1] = TimestampTzGetDatum(e->started_at);
	v[2] = DirectFunctionCall1(namein, CStringGetDatum(e->acted_by));
	v[3] = ObjectIdGetDatum(e->acted_by_oid);
	v[4] = DirectFunctionCall1(namein, CStringGetDatum(e->session_role));
	v[5] = Int32GetDatum(e->backend_pid);
	v[6] = DirectFunctionCall1(namein, CStringGetDatum(e->server));
	v[7] = CStringGetTextDatum(e->label);
	nulls[7] = e->label[0] ? ' ' : 'n';
	v[8] = CStringGetTextDatum(e->statement);
	nulls[8] = e->statement[0] ? ' ' : 'n';
	v[9] = BoolGetDatum(e->dry_run);
	v[10] = BoolGetDatum(e->verify);
	v[11] = Int64GetDatum(e->total);
	if (SPI_execute_with_args("INSERT INTO atlorg.atl_run AS r (id, started_at, acted_by, acted_by_oid, "
							  "session_role, backend_pid, server, label, statement, background, "
							  "dry_run, verify, total, state) "
							  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, false, $10, $11, $12, 'running') "
							  "ON CONFLICT (id) DO UPDATE SET total = EXCLUDED.total, finished_at = NULL, "
							  "state = CASE r.state WHEN 'paused' THEN 'paused' ELSE 'running' END",
							  12, types, v, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "atlorg: could not record a run");
}

void
atl_worker_store_runs(const AtlActionRequest *const *reqs, int n)
{
	for (int i = 0; i < n; i++)
	{
		AtlRunEntry e;
		AtlRunEntry *live;
		bool		seen = false;

		if (reqs[i]->background || reqs[i]->run_id == 0)
			continue;
		for (int k = 0; k < i && !seen; k++)
			seen = reqs[k]->run_id == reqs[i]->run_id;
		if (seen || !atl_run_snapshot(reqs[i]->run_id, &e) ||
			(e.row_written && e.written_total == e.total))
			continue;
		upsert_run(&e);
		LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
		if ((live = atl_run_find(e.run_id)) != NULL)
		{
			live->row_written = true;
			live->written_total = e.total;
		}
		LWLockRelease(atl_executor_shared->lock);
	}
}

/* --- background runs --------------------------------------------------- */

void
atl_worker_adopt_runs(void)
{
	int64	   *ids;
	uint64		n;

	atl_audit_begin("atlorg: looking for queued runs");
	if (!atl_audit_has_runs())
	{
		atl_audit_commit();
		return;
	}
	if (SPI_execute("SELECT id FROM atlorg.atl_run WHERE background "
					"AND state IN ('queued', 'running', 'paused') ORDER BY id", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not read atl_run");
	n = SPI_processed;
	ids = palloc(sizeof(int64) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
		ids[i] = strtoll(col(i, 1), NULL, 10);
	/* those not yet in memory (atl_run_store_load() queries too) */
	for (uint64 i = 0; i < n; i++)
	{
		AtlRunEntry e;

		if (!atl_run_snapshot(ids[i], &e) && atl_run_store_load(ids[i], &e))
			(void) atl_run_adopt(&e);	/* or later, when an entry is free */
	}
	if (SPI_execute("UPDATE atlorg.atl_run SET state = 'running' "
					"WHERE background AND state = 'queued'", false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "atlorg: could not start runs");
	atl_audit_commit();
}

typedef struct CredentialArgs
{
	const AtlRunEntry *run;
	AtlActionRequest *reqs;
	const bool *site;
	int			n;
} CredentialArgs;

static void
credentials_step(void *arg)
{
	CredentialArgs *a = arg;
	AtlSource  *src = atl_source_lookup_as(a->run->server, a->run->acted_by_oid);

	for (int i = 0; i < a->n; i++)
	{
		atl_action_fill_credentials(&a->reqs[i], src);
		if (a->site[i])
			atl_action_use_site(&a->reqs[i], src);
	}
}

/*
 * The run's role's credentials, for every request of a claim; a role that
 * can no longer use the server (its mapping dropped, its USAGE revoked)
 * makes the requests unsendable, with the error as the reason.
 */
static void
add_credentials(const AtlRunEntry *run, AtlActionRequest *reqs, const bool *site, int n)
{
	CredentialArgs args = {run, reqs, site, n};
	char	   *error;

	if (atl_subxact_try(credentials_step, &args, &error))
		return;
	for (int i = 0; i < n; i++)
	{
		reqs[i].unsendable = true;
		snprintf(reqs[i].skip_reason, sizeof(reqs[i].skip_reason),
				 "the run's role could not act: %s", error);
	}
}

/* a queue row (seq, action, account_id, target, params, method, url, site_auth, skip_reason) */
static void
request_from_row(AtlActionRequest *req, const AtlRunEntry *run, int row, int first)
{
	memset(req, 0, sizeof(*req));
	req->queue_seq = col(row, first) ? atoi(col(row, first)) : 0;
	copy_col(req->action, sizeof(req->action), row, first + 1);
	copy_col(req->account_id, sizeof(req->account_id), row, first + 2);
	copy_col(req->target, sizeof(req->target), row, first + 3);
	copy_col(req->body, sizeof(req->body), row, first + 4);
	copy_col(req->method, sizeof(req->method), row, first + 5);
	copy_col(req->url, sizeof(req->url), row, first + 6);
	copy_col(req->skip_reason, sizeof(req->skip_reason), row, first + 8);
	strlcpy(req->server, run->server, sizeof(req->server));
	strlcpy(req->acted_by, run->acted_by, sizeof(req->acted_by));
	strlcpy(req->session_role, run->session_role, sizeof(req->session_role));
	req->backend_pid = run->backend_pid;
	req->statement_at = run->started_at;
	req->run_id = run->run_id;
	req->acted_by_oid = run->acted_by_oid;
	req->background = true;
	req->verify = run->verify;
	req->dry_run = run->dry_run;
}

int
atl_worker_claim(const AtlRunEntry *run, AtlActionRequest *reqs, int max)
{
	Datum		args[3] = {Int64GetDatum(run->run_id), Int32GetDatum(max),
	Int32GetDatum(run->claimed_seq)};
	bool	   *site;
	int			n;

	/* from after the last row taken: the rows done before are not scanned again */
	atl_audit_begin("atlorg: taking queued requests");
	/*
	 * Through the queue's key, whatever the statistics say: a queue filled
	 * by one COMMIT is not analyzed yet, and a scan and sort of it for
	 * every claim slowed a big run's start
	 */
	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("enable_sort", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
	if (SPI_execute_with_args(psprintf("SELECT seq, action, account_id, target, params::text, method, url, "
									   "site_auth, skip_reason, %s FROM atlorg.atl_queue "
									   "WHERE run_id = $1 AND seq > $3 AND audit_id IS NULL ORDER BY seq LIMIT $2",
									   atl_queue_has_predictions() ?
									   "predicted_key, predicted_reason, predicted_detail" :
									   "NULL::text, NULL::text, NULL::text"),
							  3, (Oid[]) {INT8OID, INT4OID, INT4OID}, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not read atl_queue");
	n = (int) SPI_processed;
	site = palloc(sizeof(bool) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		request_from_row(&reqs[i], run, i, 1);
		site[i] = col_bool(i, 8);
		/* a dry run's prediction, made as its caller when it was queued */
		copy_col(reqs[i].predicted_key, sizeof(reqs[i].predicted_key), i, 10);
		copy_col(reqs[i].predicted_reason, sizeof(reqs[i].predicted_reason), i, 11);
		copy_col(reqs[i].predicted, sizeof(reqs[i].predicted), i, 12);
	}
	if (n > 0)
		add_credentials(run, reqs, site, n);
	atl_audit_commit();
	return n;
}

void
atl_worker_cancel_rest(const AtlRunEntry *run)
{
	Datum		args[2] = {Int64GetDatum(run->run_id),
	CStringGetTextDatum(run->steered_by[0] ? run->steered_by : "someone")};

	atl_audit_begin("atlorg: cancelling a run");
	if (SPI_execute_with_args("WITH gone AS (DELETE FROM atlorg.atl_queue q "
							  "WHERE q.run_id = $1 AND q.audit_id IS NULL RETURNING q.*) "
							  "INSERT INTO atlorg.atl_audit (acted_by, session_role, server, action, "
							  "account_id, target, params, backend_pid, statement_at, run_id, outcome, "
							  "error_detail, finished_at) "
							  "SELECT r.acted_by, r.session_role, r.server, g.action, g.account_id, "
							  "g.target, g.params, r.backend_pid, r.started_at, r.id, 'cancelled', "
							  "'the run was cancelled by ' || $2 || ' before this request was sent; "
							  "nothing was sent', pg_catalog.clock_timestamp() "
							  "FROM gone g JOIN atlorg.atl_run r ON r.id = g.run_id ORDER BY g.seq",
							  2, (Oid[]) {INT8OID, TEXTOID}, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "atlorg: could not cancel a run's requests");
	atl_audit_commit();
}

void
atl_worker_record_state(const AtlRunEntry *run, const char *state)
{
	Datum		args[3] = {Int64GetDatum(run->run_id), CStringGetTextDatum(state),
	DirectFunctionCall1(namein, CStringGetDatum(run->steered_by))};
	char		nulls[3] = {' ', ' ', run->steered_by[0] ? ' ' : 'n'};

	atl_audit_begin("atlorg: recording a run's state");
	if (SPI_execute_with_args("UPDATE atlorg.atl_run SET state = $2, "
							  "steered_by = coalesce($3, steered_by) "
							  "WHERE id = $1 AND state NOT IN ('finished', 'cancelled')",
							  3, (Oid[]) {INT8OID, TEXTOID, NAMEOID}, args, nulls, false,
							  0) != SPI_OK_UPDATE)
		elog(ERROR, "atlorg: could not record a run's state");
	atl_audit_commit();
}

void
atl_worker_end_run(const AtlRunEntry *run, const char *state)
{
	Datum		args[3] = {Int64GetDatum(run->run_id), CStringGetTextDatum(state),
	DirectFunctionCall1(namein, CStringGetDatum(run->steered_by))};
	char		nulls[3] = {' ', ' ', run->steered_by[0] ? ' ' : 'n'};

	atl_audit_begin("atlorg: ending a run");
	if (SPI_execute_with_args("UPDATE atlorg.atl_run SET state = $2, steered_by = coalesce($3, steered_by), "
							  "finished_at = pg_catalog.clock_timestamp() WHERE id = $1",
							  3, (Oid[]) {INT8OID, TEXTOID, NAMEOID}, args, nulls, false,
							  0) != SPI_OK_UPDATE ||
		SPI_execute_with_args("SELECT pg_catalog.pg_notify('atlorg_runs', pg_catalog.json_build_object("
							  "'run_id', r.id, 'state', r.state, 'total', r.total, "
							  "'requests', count(a.id), "
							  "'succeeded', count(*) FILTER (WHERE a.outcome = 'succeeded'), "
							  "'already', count(*) FILTER (WHERE a.outcome = 'already'), "
							  "'refused', count(*) FILTER (WHERE a.outcome = 'refused'), "
							  "'failed', count(*) FILTER (WHERE a.outcome = 'failed'), "
							  "'unknown', count(*) FILTER (WHERE a.outcome = 'unknown'), "
							  "'skipped', count(*) FILTER (WHERE a.outcome = 'skipped'), "
							  "'dry_run', count(*) FILTER (WHERE a.outcome = 'dry_run'), "
							  "'cancelled', count(*) FILTER (WHERE a.outcome = 'cancelled'))::text) "
							  "FROM atlorg.atl_run r LEFT JOIN atlorg.atl_audit a ON a.run_id = r.id "
							  "WHERE r.id = $1 GROUP BY r.id",
							  1, (Oid[]) {INT8OID}, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not end a run");
	atl_audit_commit();
}

/* the runs this database's entries in shared memory know, as an array */
static Datum
live_run_ids(void)
{
	Datum	   *ids = palloc(sizeof(Datum) * ATL_MAX_RUNS);
	int			n = 0;

	LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
	for (int i = 0; i < ATL_MAX_RUNS; i++)
		if (atl_executor_shared->runs[i].run_id != 0 &&
			atl_executor_shared->runs[i].dboid == MyDatabaseId)
			ids[n++] = Int64GetDatum(atl_executor_shared->runs[i].run_id);
	LWLockRelease(atl_executor_shared->lock);
	return PointerGetDatum(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

void
atl_worker_end_orphan_runs(void)
{
	Datum		live;

	atl_audit_begin("atlorg: ending runs of a stopped server");
	live = live_run_ids();
	if (atl_audit_has_runs() &&
		SPI_execute_with_args("UPDATE atlorg.atl_run r SET state = CASE WHEN EXISTS (SELECT FROM atlorg.atl_audit a "
							  "WHERE a.run_id = r.id AND a.outcome = 'cancelled') THEN 'cancelled' ELSE 'finished' END, "
							  "finished_at = pg_catalog.clock_timestamp() "
							  "WHERE NOT background AND state IN ('queued', 'running', 'paused') "
							  "AND r.id <> ALL ($1)",
							  1, (Oid[]) {INT8ARRAYOID}, &live, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "atlorg: could not end orphaned runs");
	atl_audit_commit();
}

/* the run of a pending row, as far as the tables know it */
static void
pending_run(AtlRunEntry *run, int row)
{
	memset(run, 0, sizeof(*run));
	run->run_id = col(row, 12) ? strtoll(col(row, 12), NULL, 10) : 0;
	copy_col(run->server, sizeof(run->server), row, 2);
	copy_col(run->acted_by, sizeof(run->acted_by), row, 8);
	copy_col(run->session_role, sizeof(run->session_role), row, 9);
	run->backend_pid = atoi(col(row, 10));
	run->started_at = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
															  CStringGetDatum(col(row, 11)),
															  ObjectIdGetDatum(InvalidOid),
															  Int32GetDatum(-1)));
	run->acted_by_oid = col(row, 13) ? atooid(col(row, 13)) : get_role_oid(run->acted_by, true);
	run->verify = col_bool(row, 14);
}

/* "AND a.id IN (...)" for the rows asked for, or "" for all */
static char *
only_rows(const int64 *only, int nonly)
{
	StringInfoData buf;

	if (only == NULL)
		return "";
	initStringInfo(&buf);
	appendStringInfoString(&buf, " AND a.id IN (");
	for (int i = 0; i < nonly; i++)
		appendStringInfo(&buf, "%s%lld", i ? ", " : "", (long long) only[i]);
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

int
atl_worker_load_pending(const int64 *only, int nonly, AtlActionRequest **reqs_out,
						AtlActionResult **res_out)
{
	MemoryContext out = CurrentMemoryContext;
	AtlActionRequest *reqs;
	AtlActionResult *res;
	int			n;

	if (only != NULL && nonly == 0)
	{
		*reqs_out = NULL;
		*res_out = NULL;
		return 0;
	}
	atl_audit_begin("atlorg: reading requests a stopped executor left");
	if (SPI_execute(psprintf("SELECT a.id, a.server, q.seq, a.action, a.account_id, a.target, "
							 "a.params::text, a.acted_by, a.session_role, a.backend_pid, a.statement_at, "
							 "%s, %s, %s, q.method, q.url, q.site_auth, q.skip_reason "
							 "FROM atlorg.atl_audit a %s WHERE a.outcome = 'pending'%s ORDER BY a.id",
							 atl_audit_has_runs() ? "a.run_id" : "NULL::bigint",
							 atl_audit_has_runs() ? "r.acted_by_oid" : "NULL::oid",
							 atl_audit_has_runs() ? "r.verify" : "false",
							 atl_audit_has_runs() ?
							 "LEFT JOIN atlorg.atl_queue q ON q.audit_id = a.id "
							 "LEFT JOIN atlorg.atl_run r ON r.id = a.run_id" :
							 "LEFT JOIN (SELECT NULL::int AS seq, NULL::text AS method, NULL::text AS url, "
							 "NULL::boolean AS site_auth, NULL::text AS skip_reason) q ON false",
							 only_rows(only, nonly)),
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not read pending audit rows");
	n = (int) SPI_processed;
	reqs = MemoryContextAllocZero(out, sizeof(AtlActionRequest) * Max(n, 1));
	res = MemoryContextAllocZero(out, sizeof(AtlActionResult) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		AtlRunEntry run;
		bool		queued = col(i, 3) != NULL;

		pending_run(&run, i);
		res[i].audit_id = strtoll(col(i, 1), NULL, 10);
		if (queued)
		{
			/* the columns of a queue row, from seq on */
			request_from_row(&reqs[i], &run, i, 3);
			copy_col(reqs[i].method, sizeof(reqs[i].method), i, 15);
			copy_col(reqs[i].url, sizeof(reqs[i].url), i, 16);
			copy_col(reqs[i].skip_reason, sizeof(reqs[i].skip_reason), i, 18);
			add_credentials(&run, &reqs[i], (bool[]) {col_bool(i, 17)}, 1);
		}
		else
		{
			/* a synchronous run's: only what reading it back needs */
			request_from_row(&reqs[i], &run, i, 3);
			reqs[i].background = false;
			reqs[i].method[0] = reqs[i].url[0] = reqs[i].skip_reason[0] = '\0';
		}
	}
	atl_audit_commit();
	*reqs_out = reqs;
	*res_out = res;
	return n;
}
