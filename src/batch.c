/*
 * batch.c: the batch driver (see batch.h).  One multi handle per run; one
 * easy handle per in-flight slot, kept for the run, so connections are
 * reused.  Interrupts are checked every slice, as in http.c.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "batch.h"
#include "transfer.h"

#define POLL_SLICE_MS 100

typedef struct BatchState
{
	AtlBatch   *batch;
	CURLM	   *multi;
	AtlTransfer *slots;			/* max_in_flight of them */
	AtlBatchJob **running;		/* the job on each slot, or NULL */
	int			in_flight;
	TimestampTz next_start;		/* pacing: no job starts before this */
	TimestampTz paused_until;	/* the org's limit is exhausted until then */
	MemoryContext done_cxt;		/* on_done's, reset after each job */
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
	job->req.url = pstrdup(req->url);
	job->req.body = req->body ? pstrdup(req->body) : NULL;
	job->user = user;
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

static AtlBatchJob *
take_ready_job(BatchState *st, TimestampTz now)
{
	ListCell   *lc;

	foreach(lc, st->batch->queue)
	{
		AtlBatchJob *job = lfirst(lc);

		if (job->not_before <= now)
		{
			st->batch->queue = foreach_delete_current(st->batch->queue, lc);
			return job;
		}
	}
	return NULL;
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
	atl_transfer_setup(t, &job->req, &st->batch->limits, &job->res);
	if (curl_multi_add_handle(st->multi, t->easy) != CURLM_OK)
		elog(ERROR, "atlorg: could not start a libcurl transfer");
	job->slot = slot;
	st->running[slot] = job;
	st->in_flight++;
}

/* start what pacing, the pause and the free slots allow */
static void
start_ready_jobs(BatchState *st)
{
	TimestampTz now = GetCurrentTimestamp();
	long		interval_us = st->batch->per_second > 0 ?
		(long) (1000000.0 / st->batch->per_second) : 0;

	while (st->in_flight < st->batch->max_in_flight &&
		   now >= st->paused_until && now >= st->next_start)
	{
		AtlBatchJob *job = take_ready_job(st, now);

		if (job == NULL)
			break;
		start_job(st, job, free_slot(st));
		/* keep to the schedule; a late start does not push later ones back */
		st->next_start = (now - st->next_start < interval_us ? st->next_start : now) +
			interval_us;
	}
}

static void
pause_batch(BatchState *st, long ms)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	st->paused_until = Max(st->paused_until, until);
}

/* a job's attempt ended: retry it later, or hand it over */
static void
job_finished(BatchState *st, AtlBatchJob *job, CURLcode code)
{
	AtlBatch   *batch = st->batch;
	AtlTransfer *t = &st->slots[job->slot];
	long		wait_ms;

	curl_multi_remove_handle(st->multi, t->easy);
	st->running[job->slot] = NULL;
	st->in_flight--;
	job->slot = -1;
	wait_ms = atl_transfer_finish(t, code, &job->req, &batch->limits, &job->res);
	if (job->res.status == 429)
	{
		batch->rate_limited++;
		pause_batch(st, Max(wait_ms, 0));
	}
	else if (job->res.ratelimit_remaining == 0 && job->res.ratelimit_reset_ms > 0)
		pause_batch(st, job->res.ratelimit_reset_ms);
	if (wait_ms >= 0 && job->res.attempts <= batch->limits.max_retries &&
		wait_ms <= batch->limits.retry_max_wait_ms)
	{
		job->not_before = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
		batch->queue = lappend(batch->queue, job);
		return;
	}
	hand_over(st, job);
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

/* how long to sleep: until the next start is due, 100 ms at most */
static long
poll_timeout_ms(BatchState *st)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz wake = Max(st->next_start, st->paused_until);
	ListCell   *lc;
	TimestampTz earliest_job = DT_NOEND;

	if (st->batch->queue == NIL || st->in_flight >= st->batch->max_in_flight)
		return POLL_SLICE_MS;
	foreach(lc, st->batch->queue)
		earliest_job = Min(earliest_job, ((AtlBatchJob *) lfirst(lc))->not_before);
	wake = Max(wake, earliest_job);
	return Min(Max(TimestampDifferenceMilliseconds(now, wake), 0), POLL_SLICE_MS);
}

static void
cleanup(BatchState *st)
{
	for (int i = 0; i < st->batch->max_in_flight; i++)
	{
		if (st->running[i])
		{
			curl_multi_remove_handle(st->multi, st->slots[i].easy);
			atl_transfer_abandon(&st->slots[i]);
		}
		if (st->slots[i].easy)
			curl_easy_cleanup(st->slots[i].easy);
	}
	curl_multi_cleanup(st->multi);
}

void
atl_batch_run(AtlBatch *batch)
{
	BatchState	st = {batch};
	int			still_running;

	batch->max_in_flight = Max(batch->max_in_flight, 1);
	if (batch->cxt == NULL)
		batch->cxt = CurrentMemoryContext;
	st.done_cxt = AllocSetContextCreate(CurrentMemoryContext, "atlorg batch job",
										ALLOCSET_DEFAULT_SIZES);
	st.slots = palloc0(sizeof(AtlTransfer) * batch->max_in_flight);
	st.running = palloc0(sizeof(AtlBatchJob *) * batch->max_in_flight);
	if ((st.multi = curl_multi_init()) == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
						errmsg("atlorg: could not initialize libcurl")));
	PG_TRY();
	{
		while (batch->queue != NIL || st.in_flight > 0)
		{
			CHECK_FOR_INTERRUPTS();
			start_ready_jobs(&st);
			if (curl_multi_perform(st.multi, &still_running) != CURLM_OK)
				elog(ERROR, "atlorg: libcurl multi interface failed");
			collect_finished(&st);
			if (batch->queue != NIL || st.in_flight > 0)
				curl_multi_poll(st.multi, NULL, 0, (int) poll_timeout_ms(&st), NULL);
		}
	}
	PG_FINALLY();
	{
		cleanup(&st);
		MemoryContextDelete(st.done_cxt);
	}
	PG_END_TRY();
}
