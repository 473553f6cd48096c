/*
 * http_batch.c: the batch driver (see http_batch.h).  One multi handle from
 * open to close; one easy handle per in-flight slot, kept as long, so
 * connections are reused.  Interrupts are checked every slice, as in
 * http.c.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "http_batch.h"
#include "pace_flight.h"
#include "pace.h"
#include "http_transfer.h"

#define POLL_SLICE_MS 100

typedef struct BatchState
{
	AtlBatch   *batch;
	CURLM	   *multi;
	AtlTransfer *slots;			/* max_in_flight of them */
	AtlBatchJob **running;		/* the job on each slot, or NULL */
	int			in_flight;
	AtlFlight	flight;			/* how many may be */
	bool		multiplexed;	/* an answer came over HTTP/2: connections are shared */
	TimestampTz wake;			/* the gate's earliest WAIT, this step */
	TimestampTz next_start;		/* pacing: no job starts before this */
	TimestampTz paused_until;	/* the org's limit is exhausted until then */
	MemoryContext done_cxt;		/* on_done's, reset after each job */
	List	   *answered;		/* seen by on_answer, not yet by on_done */
} BatchState;

AtlBatchJob *
atl_batch_add(AtlBatch *batch, const AtlHttpRequest *req, void *user)
{
	MemoryContext old;
	AtlBatchJob *job;

	if (batch->cxt == NULL)
		batch->cxt = CurrentMemoryContext;
	old = MemoryContextSwitchTo(batch->cxt);
	job = palloc0(sizeof(AtlBatchJob));
	job->req = *req;
	job->limits = batch->limits;
	job->req.url = pstrdup(req->url);
	job->req.body = req->body ? pstrdup(req->body) : NULL;
	job->user = user;
	job->per_second = batch->per_second;
	job->pace_key = batch->pace_key;
	job->slot = -1;
	initStringInfo(&job->res.body);
	batch->queue = lappend(batch->queue, job);
	MemoryContextSwitchTo(old);
	return job;
}

/* hand a finished job over, in a context that is reset afterwards */
static void
hand_over(BatchState *st, AtlBatchJob *job)
{
	MemoryContext old = MemoryContextSwitchTo(st->done_cxt);

	st->batch->on_done(st->batch, job, st->batch->arg);
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->done_cxt);
	pfree(job->res.body.data);
	pfree((char *) job->req.url);
	if (job->req.body)
		pfree((char *) job->req.body);
	pfree(job);
}

/*
 * A finished job, to on_done now, or with on_answer first and to on_done
 * once what on_answer added has started (hand_over_answered).
 */
static void
deliver(BatchState *st, AtlBatchJob *job)
{
	MemoryContext old;

	if (st->batch->on_answer == NULL)
	{
		hand_over(st, job);
		return;
	}
	st->batch->on_answer(st->batch, job, st->batch->arg);
	old = MemoryContextSwitchTo(st->batch->cxt);
	st->answered = lappend(st->answered, job);
	MemoryContextSwitchTo(old);
}

static void
hand_over_answered(BatchState *st)
{
	while (st->answered != NIL)
	{
		AtlBatchJob *job = linitial(st->answered);

		st->answered = list_delete_first(st->answered);
		hand_over(st, job);
	}
}

/* a job that will never be sent: the caller hears of it as cancelled */
static void
drop_job(BatchState *st, AtlBatchJob *job)
{
	job->res.cancelled = true;
	hand_over(st, job);
}

/* what the gate says of a job due now (no gate: pacing and pauses here) */
static AtlGate
gate_job(BatchState *st, AtlBatchJob *job, TimestampTz now)
{
	TimestampTz wake = 0;
	AtlGate		gate;

	if (st->batch->gate == NULL)
		return now >= st->paused_until && now >= st->next_start ? ATL_GATE_GO : ATL_GATE_WAIT;
	gate = st->batch->gate(st->batch, job, now, &wake);
	if (gate == ATL_GATE_WAIT)
		st->wake = Min(st->wake, wake);
	return gate;
}

/*
 * The first queued job that is due and that the gate lets go.  Jobs the
 * gate drops are handed over as they are met; since on_done may queue
 * more, the look starts again after each.
 */
static AtlBatchJob *
take_ready_job(BatchState *st, TimestampTz now)
{
	AtlBatchJob *dropped;

	do
	{
		ListCell   *lc;

		dropped = NULL;
		foreach(lc, st->batch->queue)
		{
			AtlBatchJob *job = lfirst(lc);
			AtlGate		gate;

			if (job->not_before > now)
				continue;
			gate = gate_job(st, job, now);
			if (gate == ATL_GATE_WAIT && st->batch->gate == NULL)
				return NULL;	/* one schedule for all: nothing starts */
			if (gate == ATL_GATE_WAIT)
				continue;
			st->batch->queue = foreach_delete_current(st->batch->queue, lc);
			if (gate == ATL_GATE_GO)
				return job;
			dropped = job;
			break;
		}
		if (dropped)
			drop_job(st, dropped);
	} while (dropped);
	return NULL;
}

/*
 * Jobs whose callers gave up end at once, unsent, even those waiting to
 * retry or for a pause: the caller hears of it now, not when the wait ends.
 */
static void
drop_abandoned_jobs(BatchState *st)
{
	AtlBatchJob *dropped;

	if (st->batch->abandoned == NULL)
		return;
	do
	{
		ListCell   *lc;

		dropped = NULL;
		foreach(lc, st->batch->queue)
		{
			AtlBatchJob *job = lfirst(lc);

			if (!st->batch->abandoned(st->batch, job))
				continue;
			st->batch->queue = foreach_delete_current(st->batch->queue, lc);
			dropped = job;
			break;
		}
		/* on_done may queue more: look again from the start */
		if (dropped)
			drop_job(st, dropped);
	} while (dropped);
}

static int
free_slot(BatchState *st)
{
	for (int i = 0; i < st->batch->max_in_flight; i++)
		if (st->running[i] == NULL)
			return i;
	return -1;
}

static void
start_job(BatchState *st, AtlBatchJob *job, int slot)
{
	AtlTransfer *t = &st->slots[slot];

	if (t->easy == NULL && (t->easy = curl_easy_init()) == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("atlorg: could not initialize libcurl")));
	job->res.attempts++;
	job->attempt_at = GetCurrentTimestamp();
	job->told_sent = false;
	if (job->res.attempts == 1)
		job->res.started_at = job->attempt_at;
	atl_transfer_setup(t, &job->req, &job->limits, &job->res);
	if (curl_multi_add_handle(st->multi, t->easy) != CURLM_OK)
		elog(ERROR, "atlorg: could not start a libcurl transfer");
	job->slot = slot;
	st->running[slot] = job;
	st->in_flight++;
}

/* the paces of the jobs due now size the flight */
static void
note_ready_paces(BatchState *st, TimestampTz now)
{
	ListCell   *lc;
	uint64		last_key = 0;
	bool		any = false;

	foreach(lc, st->batch->queue)
	{
		AtlBatchJob *job = lfirst(lc);

		if (job->not_before > now || (any && job->pace_key == last_key))
			continue;
		atl_flight_ready(&st->flight, job->pace_key, job->per_second, now);
		/* without a gate every job keeps the batch's one pace: one will do */
		if (st->batch->gate == NULL)
			break;
		last_key = job->pace_key;
		any = true;
	}
}

/*
 * At most this many requests wait for a connection (and its TLS handshake)
 * at once, whatever the pace allows.  Until an answer says the server
 * speaks HTTP/2 each opens its own, in parallel: waiting to learn that
 * first would hold them all back by the handshake's round trips, and over
 * HTTP/1.1 the pace needs as many connections as it keeps requests in
 * flight.  A budget that counts requests from when they are sent (the
 * gate's on_sent) keeps those that go out together within the limit.
 */
#define CONNECTING_MAX 32

/* the gate hears when (and whether) the attempt it let go was sent */
static void
tell_sent(BatchState *st, AtlBatchJob *job, TimestampTz at)
{
	if (job->told_sent)
		return;
	job->told_sent = true;
	if (st->batch->on_sent)
		st->batch->on_sent(st->batch, job, at);
}

/* how many started jobs still wait for a connection */
static int
connecting(BatchState *st)
{
	int			n = 0;

	for (int i = 0; i < st->batch->max_in_flight; i++)
		if (st->running[i] && st->slots[i].sends == 0)
			n++;
	return n;
}

/* the gate hears of the jobs curl sent (only curl_multi_perform sends) */
static void
tell_sends(BatchState *st)
{
	for (int i = 0; i < st->batch->max_in_flight; i++)
		if (st->running[i] && st->slots[i].sends > 0)
			tell_sent(st, st->running[i], st->slots[i].sent_at);
}

/* start what pacing (or the gate), the pause and the flight allow */
static void
start_ready_jobs(BatchState *st)
{
	TimestampTz now = GetCurrentTimestamp();
	long		interval_us = st->batch->per_second > 0 ?
		(long) (1000000.0 / st->batch->per_second) : 0;

	int			waiting;

	st->wake = DT_NOEND;
	drop_abandoned_jobs(st);
	note_ready_paces(st, now);
	waiting = connecting(st);	/* a job started here waits too, until curl sends it */
	while (st->in_flight < atl_flight_window(&st->flight, now) &&
		   waiting < CONNECTING_MAX)
	{
		AtlBatchJob *job = take_ready_job(st, now);

		if (job == NULL)
			break;
		start_job(st, job, free_slot(st));
		waiting++;
		st->next_start = atl_pace_next(st->next_start, now, interval_us);
	}
}

/* the organization's limit is spent: nothing starts for ms (at most atlorg.max_pause) */
static void
pause_batch(BatchState *st, AtlBatchJob *job, long ms)
{
	TimestampTz until;

	ms = atl_http_capped_pause_ms(&job->limits, ms);
	until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);
	if (st->batch->on_limit)
		st->batch->on_limit(st->batch, job, ms);
	else if (until > st->paused_until && atl_http_notice_due(ms))
		ereport(NOTICE,
				(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
				 errmsg("atlorg: Atlassian's rate limit pauses these requests for %ld s",
						(ms + 999) / 1000),
				 errdetail("No pause is longer than atlorg.max_pause; a cancel stops it.")));
	st->paused_until = Max(st->paused_until, until);
}

/* may the job be tried again after wait_ms?  If only the wait is too long, say so */
static bool
retry_allowed(AtlBatchJob *job, long wait_ms)
{
	if (wait_ms < 0 || job->res.attempts > job->limits.max_retries)
		return false;
	if (wait_ms <= atl_http_retry_limit_ms(&job->limits))
		return true;
	snprintf(job->res.error, sizeof(job->res.error),
			 "The API asked to wait %ld s before retrying, longer than %s allows.",
			 (wait_ms + 999) / 1000, atl_http_retry_limit_name(&job->limits));
	return false;
}

/* an answer over HTTP/2 means later requests can share its connection */
static void
note_protocol(BatchState *st, AtlTransfer *t)
{
	long		version = 0;

	if (!st->multiplexed && t->sends > 0 &&
		curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &version) == CURLE_OK)
		st->multiplexed = version >= CURL_HTTP_VERSION_2_0;
}

/* a job's attempt ended: retry it later, or hand it over */
static void
job_finished(BatchState *st, AtlBatchJob *job, CURLcode code)
{
	AtlBatch   *batch = st->batch;
	AtlTransfer *t = &st->slots[job->slot];
	long		wait_ms;
	TimestampTz now;

	curl_multi_remove_handle(st->multi, t->easy);
	st->running[job->slot] = NULL;
	st->in_flight--;
	job->slot = -1;
	wait_ms = atl_transfer_finish(t, code, &job->req, &job->limits, &job->res);
	now = GetCurrentTimestamp();
	tell_sent(st, job, t->sends > 0 ? t->sent_at : 0);
	note_protocol(st, t);
	job->res.elapsed_ms = (double) (now - job->res.started_at) / 1000.0;
	atl_flight_ended(&st->flight, (double) (now - job->attempt_at) / USECS_PER_SEC,
					 job->res.status == 429, now);
	if (job->res.status == 429)
	{
		batch->rate_limited++;
		pause_batch(st, job, Max(job->res.limit_pause_ms, 0));
	}
	else if (job->res.ratelimit_remaining == 0 && job->res.ratelimit_reset_ms > 0)
		pause_batch(st, job, job->res.ratelimit_reset_ms);
	if (retry_allowed(job, wait_ms))
	{
		job->not_before = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
		batch->queue = lappend(batch->queue, job);
		return;
	}
	deliver(st, job);
}

static void
collect_finished(BatchState *st)
{
	CURLMsg    *msg;
	int			queued;

	while ((msg = curl_multi_info_read(st->multi, &queued)) != NULL)
	{
		AtlTransfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
		job_finished(st, st->running[t - st->slots], msg->data.result);
	}
}

/* how long to sleep: until the next start is due, max_wait_ms at most */
static long
poll_timeout_ms(BatchState *st, long max_wait_ms)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz wake;
	ListCell   *lc;
	TimestampTz earliest_job = DT_NOEND;	/* of those waiting to retry */
	bool		any_due = false;

	if (st->batch->queue == NIL || st->in_flight >= atl_flight_window(&st->flight, now))
		return max_wait_ms;
	foreach(lc, st->batch->queue)
	{
		TimestampTz not_before = ((AtlBatchJob *) lfirst(lc))->not_before;

		if (not_before > now)
			earliest_job = Min(earliest_job, not_before);
		else
			any_due = true;
	}
	if (st->batch->gate)
		/* due jobs wait for what the gate said; the others for their time */
		wake = Min(st->wake, earliest_job);
	else
		wake = Max(Max(st->next_start, st->paused_until),
				   any_due ? now : earliest_job);
	return Min(Max(TimestampDifferenceMilliseconds(now, wake), 0), max_wait_ms);
}

static void
cleanup(BatchState *st)
{
	for (int i = 0; i < st->batch->max_in_flight; i++)
	{
		if (st->running[i])
		{
			/* else its start would count in the organization's window for long */
			tell_sent(st, st->running[i], st->slots[i].sends > 0 ? st->slots[i].sent_at : 0);
			curl_multi_remove_handle(st->multi, st->slots[i].easy);
			atl_transfer_abandon(&st->slots[i]);
		}
		if (st->slots[i].easy)
			curl_easy_cleanup(st->slots[i].easy);
	}
	curl_multi_cleanup(st->multi);
}

void
atl_batch_open(AtlBatch *batch)
{
	BatchState *st;

	batch->max_in_flight = Max(batch->max_in_flight, 1);
	if (batch->cxt == NULL)
		batch->cxt = CurrentMemoryContext;
	st = MemoryContextAllocZero(batch->cxt, sizeof(BatchState));
	st->batch = batch;
	atl_flight_init(&st->flight, batch->max_in_flight);
	st->done_cxt = AllocSetContextCreate(batch->cxt, "atlorg batch job",
										 ALLOCSET_DEFAULT_SIZES);
	st->slots = MemoryContextAllocZero(batch->cxt, sizeof(AtlTransfer) * batch->max_in_flight);
	st->running = MemoryContextAllocZero(batch->cxt,
										 sizeof(AtlBatchJob *) * batch->max_in_flight);
	if ((st->multi = curl_multi_init()) == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("atlorg: could not initialize libcurl")));
	batch->state = st;
}

/* let curl send (and read) what it can, and tell the gate what went out */
static void
perform(BatchState *st)
{
	int			still_running;

	if (curl_multi_perform(st->multi, &still_running) != CURLM_OK)
		elog(ERROR, "atlorg: libcurl multi interface failed");
	tell_sends(st);
}

void
atl_batch_step(AtlBatch *batch, long max_wait_ms)
{
	BatchState *st = batch->state;

	CHECK_FOR_INTERRUPTS();
	start_ready_jobs(st);
	perform(st);
	collect_finished(st);
	/*
	 * What on_answer or on_done queued (a chain's next page) starts now: a
	 * gate's WAIT of this step did not see it, and the poll would sleep a
	 * whole slice.
	 */
	if (batch->queue != NIL)
		start_ready_jobs(st);
	if (st->answered != NIL)
	{
		/* what on_answer added goes out before on_done's work */
		perform(st);
		hand_over_answered(st);
		if (batch->queue != NIL)
			start_ready_jobs(st);
	}
	if (batch->queue != NIL || st->in_flight > 0)
		curl_multi_poll(st->multi, NULL, 0, (int) poll_timeout_ms(st, max_wait_ms), NULL);
}

int
atl_batch_window(AtlBatch *batch)
{
	return batch->state ?
		atl_flight_window(&batch->state->flight, GetCurrentTimestamp()) :
		batch->max_in_flight;
}

bool
atl_batch_busy(AtlBatch *batch)
{
	return batch->queue != NIL || (batch->state && batch->state->in_flight > 0);
}

void
atl_batch_close(AtlBatch *batch)
{
	BatchState *st = batch->state;

	if (st == NULL)
		return;
	batch->state = NULL;
	cleanup(st);
	MemoryContextDelete(st->done_cxt);
}

void
atl_batch_run(AtlBatch *batch)
{
	atl_batch_open(batch);
	PG_TRY();
	{
		while (atl_batch_busy(batch))
			atl_batch_step(batch, POLL_SLICE_MS);
	}
	PG_FINALLY();
	{
		atl_batch_close(batch);
	}
	PG_END_TRY();
}
