/*
 * batch.h: many requests in flight at once from one backend, paced under a
 * rate limit.
 *
 * Jobs start no faster than `per_second` and no more than `max_in_flight`
 * at a time.  A 429 or 5xx is retried after the wait the API asks for; a
 * 429, or an answer saying no requests remain (X-RateLimit-Remaining: 0),
 * pauses the whole batch until the limit resets, since the budget is the
 * organization's, not the request's.  Each finished job is handed to
 * on_done, which may add more jobs (the next page, say).
 */
#ifndef ATLORG_BATCH_H
#define ATLORG_BATCH_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "http.h"

typedef struct AtlBatchJob
{
	AtlHttpRequest req;
	AtlHttpResult res;
	void	   *user;			/* the caller's */
	TimestampTz not_before;		/* a retry waits until then */
	int			slot;			/* the easy handle it runs on, -1 if none */
} AtlBatchJob;

typedef struct AtlBatch AtlBatch;
typedef void (*AtlBatchDone) (AtlBatch *batch, AtlBatchJob *job, void *arg);

struct AtlBatch
{
	int			max_in_flight;
	double		per_second;		/* 0: no pacing */
	AtlHttpLimits limits;
	AtlBatchDone on_done;
	void	   *arg;
	List	   *queue;			/* jobs not yet started, or waiting to retry */
	MemoryContext cxt;			/* the jobs'; on_done runs in a short-lived one */
	int			rate_limited;	/* 429 answers seen, for the caller's report */
};

/* queue a request (its URL and body are copied) */
extern AtlBatchJob *atl_batch_add(AtlBatch *batch, const AtlHttpRequest *req, void *user);
extern void atl_batch_run(AtlBatch *batch);

#endif
