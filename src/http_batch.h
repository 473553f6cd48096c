/*
 * http_batch.h: many requests in flight at once, paced under a rate limit.
 *
 * Jobs start no faster than `per_second`, and as many are in flight as
 * that pace needs over the time they take, `max_in_flight` at most.  A 429
 * or 5xx is retried after the wait the API asks for; a 429, or an answer
 * saying no requests remain (X-RateLimit-Remaining: 0), pauses the whole
 * batch until the limit resets, since the budget is the organization's,
 * not the request's.  No wait and no pause is longer than the jobs'
 * atlorg.max_pause; a retry that would need more is not made.  Each
 * finished job is handed to on_done, which may add more jobs (the next
 * page, say).  A caller that can tell its next job from an answer sooner
 * than on_done handles it sets on_answer: it sees each finished job first
 * and may add jobs, which start before any on_done of the step runs.
 *
 * A caller with its own idea of when a job may start (the executor, whose
 * rate budget is shared with other processes) sets `gate` and `on_limit`
 * instead of per_second, and drives the batch step by step, adding jobs as
 * they arrive; atl_batch_run() is the closed loop of the simple case.
 */
#ifndef ATLORG_HTTP_BATCH_H
#define ATLORG_HTTP_BATCH_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "http.h"

typedef struct AtlBatchJob
{
	AtlHttpRequest req;
	AtlHttpResult res;
	AtlHttpLimits limits;		/* the batch's, unless the caller changes them */
	void	   *user;			/* the caller's */
	uint64		pace_key;		/* whose pace it keeps (the organization's) */
	double		per_second;		/* that pace: the batch's, unless the caller's */
	TimestampTz not_before;		/* a retry waits until then */
	TimestampTz attempt_at;		/* when its latest attempt started */
	uint32		ticket;			/* the gate's mark on that attempt, for on_sent */
	bool		told_sent;		/* on_sent has heard of that attempt */
	int			slot;			/* the easy handle it runs on, -1 if none */
} AtlBatchJob;

typedef struct AtlBatch AtlBatch;
typedef void (*AtlBatchDone) (AtlBatch *batch, AtlBatchJob *job, void *arg);

/* may this job start now?  WAIT sets *wake; DROP ends it unsent (cancelled) */
typedef enum AtlGate
{
	ATL_GATE_GO, ATL_GATE_WAIT, ATL_GATE_DROP
} AtlGate;
typedef AtlGate (*AtlBatchGate) (AtlBatch *batch, AtlBatchJob *job, TimestampTz now,
								 TimestampTz *wake);
/* the API says its limit is spent for pause_ms (already cut to atlorg.max_pause) */
typedef void (*AtlBatchLimited) (AtlBatch *batch, AtlBatchJob *job, long pause_ms);
/* has the job's caller given up on it?  Then it ends unsent (cancelled) */
typedef bool (*AtlBatchAbandoned) (AtlBatch *batch, AtlBatchJob *job);
/*
 * The attempt the gate let go went out at `at` (0: it never did): a
 * connection's handshake may hold it back for round trips.
 */
typedef void (*AtlBatchSent) (AtlBatch *batch, AtlBatchJob *job, TimestampTz at);

struct AtlBatch
{
	int			max_in_flight;	/* a cap: the pace sizes the flight (pace_flight.h) */
	double		per_second;		/* 0: no pacing */
	uint64		pace_key;		/* whose pace that is (a gate's budget) */
	AtlHttpLimits limits;
	AtlBatchDone on_done;
	AtlBatchDone on_answer;		/* optional: before on_done; may add jobs */
	AtlBatchGate gate;			/* optional: replaces per_second and pauses */
	AtlBatchLimited on_limit;	/* with gate */
	AtlBatchSent on_sent;		/* optional, with gate */
	AtlBatchAbandoned abandoned;	/* optional: asked of every queued job, each step */
	void	   *arg;
	List	   *queue;			/* jobs not yet started, or waiting to retry */
	MemoryContext cxt;			/* the jobs'; on_done runs in a short-lived one */
	int			rate_limited;	/* 429 answers seen, for the caller's report */
	struct BatchState *state;	/* between open and close */
};

/* queue a request (its URL and body are copied) */
extern AtlBatchJob *atl_batch_add(AtlBatch *batch, const AtlHttpRequest *req, void *user);

/* run until every job is done */
extern void atl_batch_run(AtlBatch *batch);

/*
 * The same, step by step: each step starts what may start, handles what
 * finished, and waits up to max_wait_ms for more.  Close after an error
 * too: it abandons the transfers still running.
 */
extern void atl_batch_open(AtlBatch *batch);
extern void atl_batch_step(AtlBatch *batch, long max_wait_ms);
/* how many may be in flight now (pace_flight.h) */
extern int	atl_batch_window(AtlBatch *batch);
/* jobs queued, waiting to retry, or in flight */
extern bool atl_batch_busy(AtlBatch *batch);
extern void atl_batch_close(AtlBatch *batch);

#endif
