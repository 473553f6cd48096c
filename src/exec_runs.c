/*
 * exec_runs.c: what the executor does for runs besides sending: takes
 * background runs' requests from the queue, fairly; notices pauses and
 * cancels; ends runs (NOTIFY); reads accounts back (atlorg.verify); and,
 * after a restart, reconciles the requests a stopped executor left in
 * flight before anything else is sent.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "exec_audit.h"
#include "exec_slots.h"
#include "exec_reconcile.h"
#include "exec_runs.h"
#include "exec_store.h"

/* the background runs that may send now, copied out of shared memory */
static int
sending_runs(Oid dboid, AtlRunEntry *runs)
{
	int			n = 0;

	LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
	for (int i = 0; i < ATL_MAX_RUNS; i++)
	{
		AtlRunEntry *e = &atl_executor_shared->runs[i];

		if (e->run_id != 0 && e->dboid == dboid && e->background && !e->paused &&
			!e->cancel && !e->drained)
			memcpy(&runs[n++], e, sizeof(AtlRunEntry));
	}
	LWLockRelease(atl_executor_shared->lock);
	return n;
}

/* the last queue row a claim took: the next one starts after it */
static void
mark_claimed(int64 run_id, const AtlActionRequest *reqs, int n)
{
	AtlRunEntry *e;

	if (n == 0)
		return;
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	if ((e = atl_run_find(run_id)) != NULL)
		e->claimed_seq = Max(e->claimed_seq, reqs[n - 1].queue_seq);
	LWLockRelease(atl_executor_shared->lock);
}

static void
mark_drained(int64 run_id)
{
	AtlRunEntry *e;

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	if ((e = atl_run_find(run_id)) != NULL)
		e->drained = true;
	LWLockRelease(atl_executor_shared->lock);
}

int
atl_worker_claim_runs(Oid dboid, int room, AtlActionRequest *out)
{
	static AtlRunEntry *runs = NULL;	/* kept: this runs every loop */
	static int	first = 0;		/* the run that goes first, in turn */
	int			nruns;
	int			taken = 0;

	if (runs == NULL)
		runs = MemoryContextAlloc(TopMemoryContext, sizeof(AtlRunEntry) * ATL_MAX_RUNS);
	nruns = sending_runs(dboid, runs);
	/*
	 * Each run an equal share of the room, starting with a different run
	 * each time (the room is often one request): none starves another.
	 */
	first++;
	for (int k = 0; k < nruns && taken < room; k++)
	{
		AtlRunEntry *run = &runs[(first + k) % nruns];
		int			share = Max((room - taken) / (nruns - k), 1);
		int			got = atl_worker_claim(run, out + taken, share);

		if (got == 0)
			mark_drained(run->run_id);
		mark_claimed(run->run_id, out + taken, got);
		atl_run_count_taken(run->run_id, got);
		taken += got;
	}
	return taken;
}

/* under no lock: has the run nothing in flight any more? */
static bool
run_idle(const AtlRunEntry *e)
{
	return e->taken == 0 && !atl_executor_run_has_slots(e->run_id);
}

/* what a run's entry asks of the executor now; false: nothing was written */
static bool
tend_one(AtlRunEntry *e)
{
	const char *end_state = e->cancel ? "cancelled" : "finished";
	AtlRunEntry *live;
	bool		ended;

	if (e->background && e->cancel && !e->drained)
	{
		atl_worker_cancel_rest(e);
		mark_drained(e->run_id);
		return true;
	}
	if (e->row_written && e->paused != e->recorded_paused && !e->cancel)
	{
		atl_worker_record_state(e, e->paused ? "paused" : "running");
		LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
		if ((live = atl_run_find(e->run_id)) != NULL)
			live->recorded_paused = e->paused;
		LWLockRelease(atl_executor_shared->lock);
		return true;
	}
	ended = e->background ? e->drained && run_idle(e) : !e->open && run_idle(e);
	if (!ended)
		return false;
	if (e->row_written)
		atl_worker_end_run(e, end_state);
	/* free it, unless its statement came back for more meanwhile */
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	if ((live = atl_run_find(e->run_id)) != NULL && (live->background || !live->open) &&
		live->taken == 0)
		memset(live, 0, sizeof(AtlRunEntry));
	LWLockRelease(atl_executor_shared->lock);
	return e->row_written;
}

bool
atl_worker_tend_runs(Oid dboid)
{
	static AtlRunEntry *copies = NULL;	/* kept: this runs every loop */
	int			n = 0;
	bool		wrote = false;

	if (copies == NULL)
		copies = MemoryContextAlloc(TopMemoryContext, sizeof(AtlRunEntry) * ATL_MAX_RUNS);
	/* one look under the lock; each is then tended without it */
	LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
	for (int i = 0; i < ATL_MAX_RUNS; i++)
		if (atl_executor_shared->runs[i].run_id != 0 && atl_executor_shared->runs[i].dboid == dboid)
			memcpy(&copies[n++], &atl_executor_shared->runs[i], sizeof(AtlRunEntry));
	LWLockRelease(atl_executor_shared->lock);
	for (int i = 0; i < n; i++)
		wrote |= tend_one(&copies[i]);
	return wrote;
}

/* reading back needs a transaction (catalogs, the user mapping) */
static void
reconcile_in_transaction(AtlActionRequest *const *reqs, int n, AtlSeen *seen, char **evidence)
{
	MemoryContext cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	MemoryContextSwitchTo(cxt);
	atl_reconcile(reqs, n, seen, evidence);
	for (int i = 0; i < n; i++)
		evidence[i] = MemoryContextStrdup(cxt, evidence[i]);
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
}

void
atl_worker_verify(AtlActionRequest *const *reqs, AtlActionResult *const *res, int n)
{
	AtlActionRequest **check = palloc(sizeof(AtlActionRequest *) * Max(n, 1));
	AtlActionResult **their = palloc(sizeof(AtlActionResult *) * Max(n, 1));
	AtlSeen    *seen = palloc(sizeof(AtlSeen) * Max(n, 1));
	char	  **evidence = palloc(sizeof(char *) * Max(n, 1));
	int			m = 0;

	for (int i = 0; i < n; i++)
		if (reqs[i]->verify && strcmp(res[i]->outcome, "succeeded") == 0)
		{
			check[m] = reqs[i];
			their[m++] = res[i];
		}
	if (m > 0)
		reconcile_in_transaction(check, m, seen, evidence);
	for (int i = 0; i < m; i++)
	{
		their[i]->verified = seen[i] == ATL_SEEN_CHANGED ? ATL_VERIFIED_SHOWN :
			seen[i] == ATL_SEEN_UNCHANGED ? ATL_VERIFIED_NOT_SHOWN : ATL_VERIFIED_UNREAD;
		if (seen[i] != ATL_SEEN_CHANGED)
			snprintf(their[i]->error_detail, sizeof(their[i]->error_detail), "verify: %s",
					 evidence[i]);
	}
}

/* a reconciled request's final outcome */
static void
settle(AtlActionResult *res, const char *outcome, const char *why, const char *evidence)
{
	strlcpy(res->outcome, outcome, sizeof(res->outcome));
	snprintf(res->error_detail, sizeof(res->error_detail),
			 "the executor stopped while this request was in flight; %s (%s)", why, evidence);
	res->finished_at = GetCurrentTimestamp();
	res->attempts = 1;			/* the send whose answer was lost */
}

/* what to do with one reconciled request; false: judge it later */
static bool
decide(AtlRecovery *out, AtlActionRequest *req, AtlActionResult *res, AtlSeen seen,
	   const char *evidence, bool final)
{
	bool		queued = req->queue_seq != 0;

	if (seen == ATL_SEEN_CHANGED)
		settle(res, "succeeded", "reading the account back shows the change", evidence);
	else if (!final)
		return false;
	else if (seen == ATL_SEEN_UNCHANGED && queued && !req->unsendable)
	{
		/* provably not made, and no longer under way: sent again, on its row */
		req->verify = false;
		req->resent = true;
		out->resend_ids[out->nresend] = res->audit_id;
		memcpy(&out->resend[out->nresend++], req, sizeof(AtlActionRequest));
		return true;
	}
	else if (seen == ATL_SEEN_UNCHANGED)
		settle(res, "failed", queued ? "it could not be sent again" :
			   "reading the account back shows it was not made; a synchronous statement's request is never sent twice",
			   evidence);
	else
		settle(res, "unknown", "nothing read back could tell whether it took effect", evidence);
	memcpy(&out->settled[out->nsettled++], res, sizeof(AtlActionResult));
	return true;
}

void
atl_worker_recover(const int64 *only, int nonly, bool final, AtlRecovery *out)
{
	AtlActionRequest *reqs;
	AtlActionResult *res;
	int			n = atl_worker_load_pending(only, nonly, &reqs, &res);
	AtlActionRequest **rp = palloc(sizeof(AtlActionRequest *) * Max(n, 1));
	AtlActionRequest **final_req = palloc(sizeof(AtlActionRequest *) * Max(n, 1));
	AtlActionResult **final_res = palloc(sizeof(AtlActionResult *) * Max(n, 1));
	AtlSeen    *seen = palloc(sizeof(AtlSeen) * Max(n, 1));
	char	  **evidence = palloc(sizeof(char *) * Max(n, 1));
	int			nfinal = 0;

	memset(out, 0, sizeof(*out));
	out->resend = palloc(sizeof(AtlActionRequest) * Max(n, 1));
	out->resend_ids = palloc(sizeof(int64) * Max(n, 1));
	out->settled = palloc(sizeof(AtlActionResult) * Max(n, 1));
	out->deferred = palloc(sizeof(int64) * Max(n, 1));
	out->deferred_runs = palloc(sizeof(int64) * Max(n, 1));
	for (int i = 0; i < n; i++)
		rp[i] = &reqs[i];
	if (n > 0)
		reconcile_in_transaction(rp, n, seen, evidence);
	for (int i = 0; i < n; i++)
	{
		int			before = out->nsettled;

		if (!decide(out, &reqs[i], &res[i], seen[i], evidence[i], final))
		{
			out->deferred_runs[out->ndeferred] = reqs[i].run_id;
			out->deferred[out->ndeferred++] = res[i].audit_id;
		}
		else if (out->nsettled > before)
		{
			final_req[nfinal] = &reqs[i];
			final_res[nfinal++] = &out->settled[before];
		}
	}
	if (nfinal > 0)
		atl_audit_record_outcomes((const AtlActionRequest *const *) final_req, final_res, nfinal);
	if (only == NULL)
		atl_worker_end_orphan_runs();
}
