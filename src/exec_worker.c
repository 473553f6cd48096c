/*
 * exec_worker.c: the executor, a background worker per database that sends
 * the actions queued by backends and audits each in its own transactions.
 *
 * Started on demand by a backend (exec_client.c), or at server start by the
 * launcher (exec_launcher.c), and gone after atlorg.worker_idle_timeout
 * without work, so that it never holds a database open for long (DROP
 * DATABASE waits for it).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "api_error.h"
#include "exec_audit.h"
#include "http_batch.h"
#include "pace_budget.h"
#include "exec.h"
#include "guc.h"
#include "http.h"
#include "api_json.h"
#include "pace_gate.h"
#include "http_text.h"
#include "run_shmem.h"
#include "exec_runs.h"
#include "exec_store.h"
#include "exec_slots.h"
#include "access/xact.h"
#include "commands/extension.h"

PGDLLEXPORT void atl_worker_main(Datum main_arg);

#define BUSY_POLL_MS 10
#define PRUNE_EVERY_MS (3600 * 1000)
#define NOT_SENT "the caller stopped waiting before the request was sent; nothing was sent"
#define ATL_TAKE_MAX 64
#define PAUSED_POLL_MS 200
#define TAKE_BATCH 8			/* requests taken, or outcomes recorded, per commit */
#define RECORD_WAIT_MS 25		/* the longest an outcome waits to be recorded */
#define ADOPT_EVERY_MS 250		/* how often a busy executor looks for new runs */

/*
 * Requests run many at once on one batch (http_batch.h), each only when
 * its organization's shared budget allows (pace_gate.h).  Once a request
 * is on the wire it is let finish (within the request timeout) so that its
 * outcome is known; a cancel stops only what has not been sent: the first
 * attempt, or a retry.
 */

/* text into a result's fixed buffer: valid, and never cut inside a character */
static void
copy_text(char *dst, size_t size, const char *src)
{
	atl_remote_text_copy(dst, size, src);
}

/*
 * Jira's answer to adding a member again: 400 with "Cannot add user. '<id>'
 * is already a member of '<group>'." in errorMessages or in the errors map
 * (REFERENCE.md §8; the wording is Jira's, matched loosely).
 */
static bool
jira_already_member(const char *action, long status, const AtlApiError *e)
{
	return status == 400 && strcmp(action, "jira_add_to_group") == 0 &&
		e->detail && strstr(e->detail, "already a member") != NULL;
}

/*
 * A refusal that says the account is already as asked: a member already in
 * the group (ADMIN-UAM-409-2, or Jira's 400), or a lifecycle conflict whose
 * code says "already".  Not a failure.
 */
static bool
already_done(const char *action, long status, const AtlApiError *e)
{
	if (jira_already_member(action, status, e))
		return true;
	if (status != 409)
		return false;
	if (e->key && strcmp(e->key, "ADMIN-UAM-409-2") == 0)
		return true;
	return e->reason && (strstr(e->reason, "ALREADY") || strstr(e->reason, "already"));
}

/*
 * A success whose body cannot be read is still a success: the status says
 * what Atlassian did.  The detail says the body was unreadable, since that
 * is worth knowing and nothing else will.
 */
static void
note_unreadable_body(const AtlHttpResult *http, AtlActionResult *res)
{
	char	   *why;

	if (http->body.len == 0 || atl_json_parse_doc(http->body.data, http->body.len, &why))
		return;
	snprintf(res->error_detail, sizeof(res->error_detail),
			 "the answer's body could not be read: %s", why);
	copy_text(res->error_detail, sizeof(res->error_detail), res->error_detail);
}

/* "HTTP 403 Forbidden": the status line of an answer (HTTP/2 sends no phrase) */
static void
status_line(long status, char *dst, size_t size)
{
	static const struct
	{
		long		status;
		const char *phrase;
	}			phrases[] = {
		{400, "Bad Request"}, {401, "Unauthorized"}, {402, "Payment Required"},
		{403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
		{408, "Request Timeout"}, {409, "Conflict"}, {410, "Gone"},
		{413, "Content Too Large"}, {415, "Unsupported Media Type"},
		{422, "Unprocessable Content"}, {429, "Too Many Requests"},
		{500, "Internal Server Error"}, {502, "Bad Gateway"},
		{503, "Service Unavailable"}, {504, "Gateway Timeout"}
	};

	for (int i = 0; i < lengthof(phrases); i++)
		if (phrases[i].status == status)
		{
			snprintf(dst, size, "HTTP %ld %s", status, phrases[i].phrase);
			return;
		}
	snprintf(dst, size, "HTTP %ld", status);
}

/*
 * An error answer that gave neither a key nor a reason (Jira's
 * errorMessages, the gateway's {"code","message"}, an empty body) still
 * says something: its message, or else its status line, is its reason.
 * A refusal in the audit never has an empty reason.
 */
static void
reason_from_answer(const AtlHttpResult *http, const AtlApiError *e, AtlActionResult *res)
{
	if (http->status < 400 || (e->key && e->key[0]) || (e->reason && e->reason[0]))
		return;
	if (e->detail && e->detail[0])
		copy_text(res->error_reason, sizeof(res->error_reason), e->detail);
	else
		status_line(http->status, res->error_reason, sizeof(res->error_reason));
}

/*
 * The outcome vocabulary of atl_audit.outcome.  Nothing here may throw: an
 * error in the executor would end it, and with it every request it holds.
 *
 * refused: Atlassian answered and said no: a 4xx other than 408 and 429
 *          (a 409 that says "already" is already).
 * failed:  the request did not get an answer that decides: 429 or 5xx
 *          once the retries are spent, 408 (Atlassian's timeout), or no
 *          connection, so nothing was sent.
 * unknown: sent, and no answer came (a timeout, a connection lost):
 *          Atlassian may have acted.
 */
static void
classify(const char *action, const AtlHttpResult *http, AtlActionResult *res)
{
	AtlApiError e;
	const char *outcome;

	res->http_status = (int) http->status;
	if (http->status >= 200 && http->status <= 299)
	{
		copy_text(res->outcome, sizeof(res->outcome), "succeeded");
		note_unreadable_body(http, res);
		return;
	}
	e = atl_api_error_parse(http->body.data, http->body.len);
	if (already_done(action, http->status, &e))
		outcome = "already";
	else if (http->status >= 400 && http->status <= 499 && http->status != 429 &&
			 http->status != 408)
		outcome = "refused";
	else if (http->cancelled)
		outcome = "cancelled";	/* while waiting to retry a 429 or 5xx */
	else if (http->status != 0)
		outcome = "failed";		/* 429 or 5xx, retries exhausted */
	else
		outcome = http->sent ? "unknown" : "failed";
	copy_text(res->outcome, sizeof(res->outcome), outcome);
	copy_text(res->error_key, sizeof(res->error_key), e.key);
	copy_text(res->error_reason, sizeof(res->error_reason), e.reason);
	reason_from_answer(http, &e, res);
	if (strcmp(outcome, "unknown") == 0)
		snprintf(res->error_detail, sizeof(res->error_detail),
				 "%s; the request was sent, so whether Atlassian acted on it is unknown",
				 http->error);
	else
		copy_text(res->error_detail, sizeof(res->error_detail),
				  http->error[0] ? http->error : e.detail);
}

/* an action the worker has taken, from its slot (or the queue) to its recorded outcome */
typedef struct Active
{
	AtlSlot    *slot;			/* NULL: a background run's, from atl_queue */
	AtlActionRequest req;
	AtlActionResult res;
	AtlHttpRequest http;		/* points into req */
} Active;

typedef struct WorkerState
{
	Oid			dboid;
	AtlBatch	batch;
	int			active;			/* taken, outcome not yet recorded */
	List	   *finished;		/* Active *, outcome known, not yet recorded */
	MemoryContext cxt;
	TimestampTz paused_until;	/* the latest pause an answer asked for */
	char		paused_server[NAMEDATALEN]; /* of that pause */
	bool		pause_shown;	/* in pg_stat_activity */
	bool		queue_due;		/* look at atl_queue on the next take */
	int64	   *deferred;		/* audit rows of requests left in flight, judged later */
	int64	   *deferred_runs;	/* their runs */
	int			ndeferred;
	TimestampTz deferred_until; /* when they cannot be under way any more */
	TimestampTz adopted_at;		/* when it last looked for new background runs */
	TimestampTz finished_since; /* the oldest outcome not yet recorded */
} WorkerState;

/* a queued job may start when its organization's budget allows */
static AtlGate
gate_job(AtlBatch *batch, AtlBatchJob *job, TimestampTz now, TimestampTz *wake)
{
	Active	   *a = job->user;

	if (atl_run_paused(a->req.run_id))
	{
		*wake = TimestampTzPlusMilliseconds(now, PAUSED_POLL_MS);
		return ATL_GATE_WAIT;
	}
	return atl_budget_gate(batch, job, now, wake);
}

/* its caller gave up: it is dropped, even while it waits to retry */
static bool
job_abandoned(AtlBatch *batch, AtlBatchJob *job)
{
	Active	   *a = job->user;

	return a->slot ? atl_executor_cancel_requested(a->slot) : atl_run_cancelled(a->req.run_id);
}

/* the organization's limit is spent: every executor waits (pause_ms is capped) */
static void
org_limited(AtlBatch *batch, AtlBatchJob *job, long pause_ms)
{
	WorkerState *st = batch->arg;
	Active	   *a = job->user;
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), pause_ms);

	atl_budget_pause(a->req.org_key, pause_ms);
	if (until > st->paused_until)
	{
		st->paused_until = until;
		strlcpy(st->paused_server, a->req.server, sizeof(st->paused_server));
		st->pause_shown = false;
	}
}

/*
 * While an answer's pause lasts, pg_stat_activity says so on the executor's
 * row, during its short transactions too (exec_audit.h).
 */
static void
show_pause(WorkerState *st)
{
	bool		paused = st->paused_until > GetCurrentTimestamp();
	char		activity[NAMEDATALEN + 100];

	if (paused == st->pause_shown)
		return;
	if (paused)
	{
		snprintf(activity, sizeof(activity),
				 "atlorg: actions on server \"%s\" wait: Atlassian's rate limit paused the organization",
				 st->paused_server);
		atl_audit_set_resting_activity(activity);
		pgstat_report_activity(STATE_RUNNING, activity);
	}
	else
	{
		atl_audit_set_resting_activity(NULL);
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	st->pause_shown = paused;
}

/* an outcome known without sending anything */
static void
finish_unsent(WorkerState *st, Active *a, const char *outcome, const char *detail)
{
	copy_text(a->res.outcome, sizeof(a->res.outcome), outcome);
	copy_text(a->res.error_detail, sizeof(a->res.error_detail), detail);
	st->finished = lappend(st->finished, a);
}

/* a dry run's request: recorded with what Atlassian would answer, if known */
static void
finish_dry_run(WorkerState *st, Active *a)
{
	copy_text(a->res.error_key, sizeof(a->res.error_key), a->req.predicted_key);
	copy_text(a->res.error_reason, sizeof(a->res.error_reason), a->req.predicted_reason);
	finish_unsent(st, a, "dry_run",
				  a->req.predicted[0] ? a->req.predicted : "dry run: nothing was sent");
}

/*
 * A request sent again after a crash: its first send counts as an attempt,
 * and "already" means that first send took effect.
 */
static void
count_first_send(AtlActionResult *res)
{
	res->attempts++;
	if (strcmp(res->outcome, "already") != 0)
		return;
	copy_text(res->outcome, sizeof(res->outcome), "succeeded");
	snprintf(res->error_detail, sizeof(res->error_detail),
			 "sent again after the executor stopped with it in flight: Atlassian had made the change, so the first send took effect");
}

static void
job_done(AtlBatch *batch, AtlBatchJob *job, void *arg)
{
	WorkerState *st = arg;
	Active	   *a = job->user;

	MemoryContext old;

	/* in on_done's context, reset after it: a parsed body goes with it */
	if (job->res.attempts > 0)
	{
		classify(a->req.action, &job->res, &a->res);
		a->res.attempts = job->res.attempts;
		a->res.elapsed_ms = job->res.elapsed_ms;
		if (a->req.resent)
			count_first_send(&a->res);
	}
	/* the list is the worker's */
	old = MemoryContextSwitchTo(st->cxt);
	if (job->res.attempts == 0)
		finish_unsent(st, a, "cancelled", NOT_SENT);
	else
		st->finished = lappend(st->finished, a);
	MemoryContextSwitchTo(old);
}

/* the request of an action taken, as the batch sends it */
static void
start_active(WorkerState *st, Active *a)
{
	AtlActionRequest *req = &a->req;
	AtlBatchJob *job;

	a->http = (AtlHttpRequest) {req->method, req->url, req->auth,
		req->auth == ATL_AUTH_BASIC ? req->username : NULL, req->api_key,
	req->body[0] ? req->body : NULL, false};
	elog(DEBUG1, "atlorg: %s %s for %s", req->method, req->url, req->acted_by);
	job = atl_batch_add(&st->batch, &a->http, a);
	job->limits = req->limits;
	job->pace_key = req->org_key;
	job->per_second = req->per_second;
}

/*
 * Take what is queued, as far as there is room: record every intent in one
 * transaction (before anything is sent), then start, or finish at once what
 * is not to be sent.
 */
/* a taken action whose intent is recorded: start it, or end it unsent */
static void
start_taken(WorkerState *st, Active *a)
{
	st->active++;
	if (a->slot)
		atl_executor_publish_audit_id(a->slot, a->res.audit_id, a->res.requested_at);
	/* a preview says skipped exactly where the real run would */
	if (a->req.unsendable)
		finish_unsent(st, a, "failed", a->req.skip_reason);
	else if (a->req.skip_reason[0])
		finish_unsent(st, a, "skipped", a->req.skip_reason);
	else if (a->req.dry_run)
		finish_dry_run(st, a);
	else if (a->req.cancelled || (a->slot && atl_executor_cancel_requested(a->slot)) ||
			 atl_run_cancelled(a->req.run_id))
		finish_unsent(st, a, "cancelled", NOT_SENT);
	else
		start_active(st, a);
}

static int
take_queued(WorkerState *st)
{
	int			window = atl_batch_window(&st->batch);
	int			room = Min(2 * window - st->active, ATL_TAKE_MAX);
	Active	   *taken[ATL_TAKE_MAX];
	const AtlActionRequest *reqs[ATL_TAKE_MAX];
	AtlActionResult *results[ATL_TAKE_MAX];
	int			n = 0;
	/* waiting callers and background runs share the room: neither starves */
	int			slot_room = st->queue_due ? (room + 1) / 2 : room;

	/*
	 * Each take commits its intents (an fsync): with requests on the wire,
	 * wait until a few can be taken together.
	 */
	if (st->active > 0 && room < Min(TAKE_BATCH, 2 * window))
		return 0;

	while (n < slot_room)
	{
		Active	   *a = MemoryContextAllocZero(st->cxt, sizeof(Active));

		if ((a->slot = atl_executor_take(st->dboid, &a->req)) == NULL)
		{
			pfree(a);
			break;
		}
		taken[n++] = a;
	}
	if (n < room && st->queue_due)
	{
		AtlActionRequest *claimed = palloc(sizeof(AtlActionRequest) * (room - n));
		int			got = atl_worker_claim_runs(st->dboid, room - n, claimed);

		for (int i = 0; i < got; i++)
		{
			Active	   *a = MemoryContextAllocZero(st->cxt, sizeof(Active));

			memcpy(&a->req, &claimed[i], sizeof(AtlActionRequest));
			taken[n++] = a;
		}
		explicit_bzero(claimed, sizeof(AtlActionRequest) * (room - n + got));
		pfree(claimed);
		st->queue_due = got > 0;
	}
	if (n == 0)
		return 0;
	for (int i = 0; i < n; i++)
	{
		reqs[i] = &taken[i]->req;
		results[i] = &taken[i]->res;
	}
	atl_audit_record_intents(reqs, results, n);
	for (int i = 0; i < n; i++)
		start_taken(st, taken[i]);
	return n;
}

/*
 * Outcomes are recorded a few at a time (each record commits: an fsync),
 * but none waits long, and none once nothing else is on the wire.
 */
static bool
record_due(WorkerState *st)
{
	int			n = list_length(st->finished);

	if (n == 0)
		return false;
	if (st->finished_since == 0)
		st->finished_since = GetCurrentTimestamp();
	return n >= TAKE_BATCH || n == st->active ||
		TimestampDifferenceExceeds(st->finished_since, GetCurrentTimestamp(), RECORD_WAIT_MS);
}

/*
 * Record the outcomes known so far in one transaction, then tell the
 * callers.
 */
static void
record_finished(WorkerState *st)
{
	ListCell   *lc;
	AtlActionResult **results;
	AtlActionRequest **reqs;
	int			n = 0;

	if (st->finished == NIL)
		return;
	results = palloc(sizeof(AtlActionResult *) * list_length(st->finished));
	reqs = palloc(sizeof(AtlActionRequest *) * list_length(st->finished));
	foreach(lc, st->finished)
	{
		Active	   *a = lfirst(lc);

		a->res.finished_at = GetCurrentTimestamp();
		reqs[n] = &a->req;
		results[n++] = &a->res;
	}
	atl_worker_verify(reqs, results, n);
	foreach(lc, st->finished)
		explicit_bzero(((Active *) lfirst(lc))->req.api_key, ATL_SECRET_MAX);
	atl_audit_record_outcomes((const AtlActionRequest *const *) reqs, results, n);
	pfree(results);
	pfree(reqs);
	/* before the callers hear: one may look at pg_stat_activity next */
	show_pause(st);
	foreach(lc, st->finished)
	{
		Active	   *a = lfirst(lc);

		if (a->slot)
			atl_executor_finish(a->slot, &a->res);
		if (a->req.run_id)
			atl_run_count_taken(a->req.run_id, -1);
		st->active--;
		pfree(a);
	}
	list_free(st->finished);
	st->finished = NIL;
	st->finished_since = 0;
}

/*
 * atlorg.audit_retention: the executor keeps the audit's size in check
 * itself, at start and then at most once an hour, so that no scheduler is
 * needed (pg_cron's job_run_details, which grows without bound, is the
 * lesson).
 */
static void
prune_audit_if_due(TimestampTz *last_prune)
{
	TimestampTz now = GetCurrentTimestamp();
	int64		pruned;

	if (atl_audit_retention_days <= 0 ||
		(*last_prune != 0 && !TimestampDifferenceExceeds(*last_prune, now, PRUNE_EVERY_MS)))
		return;
	*last_prune = now;
	pruned = atl_audit_prune(atl_audit_retention_days);
	if (pruned > 0)
		ereport(LOG,
				(errmsg("atlorg: deleted %lld rows of atl_audit older than %d days (atlorg.audit_retention)",
						(long long) pruned, atl_audit_retention_days)));
}

static void
reload_config_if_asked(void)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

/*
 * Background runs committed since the last look (a commit also sets the
 * latch): into shared memory, and the queue is looked at.
 */
static void
adopt_runs_if_due(WorkerState *st)
{
	TimestampTz now = GetCurrentTimestamp();

	if (!TimestampDifferenceExceeds(st->adopted_at, now, ADOPT_EVERY_MS))
		return;
	st->adopted_at = now;
	atl_worker_adopt_runs();
	st->queue_due = true;
}

/* does any run of this database still need the executor? */
static bool
runs_going(Oid dboid)
{
	bool		going = false;

	LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
	for (int i = 0; i < ATL_MAX_RUNS && !going; i++)
		going = atl_executor_shared->runs[i].run_id != 0 &&
			atl_executor_shared->runs[i].dboid == dboid;
	LWLockRelease(atl_executor_shared->lock);
	return going;
}

static void recover_deferred(WorkerState *st);

/* the worker's loop: until it has been idle long enough */
static void
serve(WorkerState *st)
{
	TimestampTz idle_since = GetCurrentTimestamp();
	TimestampTz last_prune = 0;

	for (;;)
	{
		bool		worked;

		CHECK_FOR_INTERRUPTS();
		reload_config_if_asked();
		prune_audit_if_due(&last_prune);
		adopt_runs_if_due(st);
		recover_deferred(st);
		worked = take_queued(st) > 0;
		worked |= atl_worker_tend_runs(st->dboid);
		if (st->active > 0)
		{
			/* a short wait: new work is announced by the latch, which curl cannot watch */
			atl_batch_step(&st->batch, record_due(st) ? 0 : BUSY_POLL_MS);
			if (record_due(st))
				record_finished(st);
			show_pause(st);
			idle_since = GetCurrentTimestamp();
			continue;
		}
		show_pause(st);
		if (worked || st->ndeferred > 0 || runs_going(st->dboid))
			idle_since = GetCurrentTimestamp();
		if (TimestampDifferenceExceeds(idle_since, GetCurrentTimestamp(), atl_worker_idle_ms) &&
			atl_executor_retire_worker(st->dboid))
			return;
		if (WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					  ADOPT_EVERY_MS, PG_WAIT_EXTENSION) & WL_LATCH_SET)
			st->adopted_at = 0;	/* a commit may have queued a run: look now */
		ResetLatch(MyLatch);
	}
}

/* is atlorg installed in this database? */
static bool
extension_installed(void)
{
	bool		installed;

	StartTransactionCommand();
	installed = OidIsValid(get_extension_oid("atlorg", true));
	CommitTransactionCommand();
	return installed;
}

/* the reconciled requests to send again, started before anything new is taken */
static void
start_resends(WorkerState *st, const AtlRecovery *r)
{
	for (int i = 0; i < r->nresend; i++)
	{
		Active	   *a = MemoryContextAllocZero(st->cxt, sizeof(Active));

		memcpy(&a->req, &r->resend[i], sizeof(AtlActionRequest));
		a->res.audit_id = r->resend_ids[i];
		a->res.requested_at = GetCurrentTimestamp();
		atl_run_count_taken(a->req.run_id, 1);
		start_taken(st, a);
	}
	if (r->nresend > 0)
		explicit_bzero(r->resend, sizeof(AtlActionRequest) * r->nresend);
}

/* requests judged later count as taken: their runs cannot end before */
static void
keep_deferred(WorkerState *st, const AtlRecovery *r)
{
	MemoryContext old = MemoryContextSwitchTo(st->cxt);

	st->ndeferred = r->ndeferred;
	st->deferred = palloc(sizeof(int64) * Max(r->ndeferred, 1));
	st->deferred_runs = palloc(sizeof(int64) * Max(r->ndeferred, 1));
	memcpy(st->deferred, r->deferred, sizeof(int64) * r->ndeferred);
	memcpy(st->deferred_runs, r->deferred_runs, sizeof(int64) * r->ndeferred);
	MemoryContextSwitchTo(old);
	for (int i = 0; i < r->ndeferred; i++)
		atl_run_count_taken(r->deferred_runs[i], 1);
}

/*
 * Requests a stopped executor left in flight are reconciled first: a change
 * Atlassian shows is recorded at once; the rest wait until they cannot be
 * under way any more (atlorg.request_timeout: the dead executor started no
 * attempt after it died), so that nothing is sent twice.
 */
static void
recover(WorkerState *st)
{
	AtlRecovery r;

	atl_worker_recover(NULL, 0, false, &r);
	keep_deferred(st, &r);
	st->deferred_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													 atl_request_timeout_ms + 1000);
	/* the callers that were waiting hear what reconciling found */
	atl_executor_resolve_orphans(st->dboid, r.settled, r.nsettled);
}

/* the deferred requests, once their time has come: judged for good */
static void
recover_deferred(WorkerState *st)
{
	AtlRecovery r;

	if (st->ndeferred == 0 || GetCurrentTimestamp() < st->deferred_until)
		return;
	atl_worker_recover(st->deferred, st->ndeferred, true, &r);
	for (int i = 0; i < st->ndeferred; i++)
		atl_run_count_taken(st->deferred_runs[i], -1);
	st->ndeferred = 0;
	start_resends(st, &r);
}

void
atl_worker_main(Datum main_arg)
{
	WorkerState st = {DatumGetObjectId(main_arg)};
	Oid			role;

	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	/* the least privilege that writes the audit: atlorg_executor's */
	memcpy(&role, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	BackgroundWorkerInitializeConnectionByOid(st.dboid, role, 0);
	/* the audit's SQL resolves nothing through a schema others can write */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	if (!extension_installed())
		proc_exit(0);			/* the launcher tries every database */
	if (!atl_executor_register_worker(st.dboid))
		proc_exit(0);

	st.cxt = AllocSetContextCreate(TopMemoryContext, "atlorg executor",
								   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(st.cxt);
	st.batch.max_in_flight = atl_executor_in_flight;
	st.batch.gate = gate_job;
	st.batch.on_limit = org_limited;
	st.batch.on_sent = atl_budget_job_sent;
	st.batch.abandoned = job_abandoned;
	st.batch.on_done = job_done;
	st.batch.arg = &st;
	st.batch.cxt = st.cxt;
	atl_batch_open(&st.batch);
	/* what a dead predecessor left in flight: the runs, the audit, then callers */
	atl_run_forget_taken(st.dboid);
	atl_worker_adopt_runs();
	recover(&st);
	/*
	 * Started by the launcher with nothing to do: gone at once, so that it
	 * never stands in the way of a DROP DATABASE after a restart.
	 */
	if (MyBgworkerEntry->bgw_extra[sizeof(Oid)] && st.active == 0 && st.ndeferred == 0 &&
		!runs_going(st.dboid) &&
		atl_executor_retire_worker(st.dboid))
	{
		atl_batch_close(&st.batch);
		proc_exit(0);
	}
	serve(&st);
	atl_batch_close(&st.batch);
	proc_exit(0);
}
