/*
 * exec_slots.c: the shared memory between backends and the executor workers
 * (exec_slots.h), and the workers' side of it.  The backends' side is
 * exec_client.c.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#include "exec_slots.h"

ExecutorShared *atl_executor_shared = NULL;

void
atl_executor_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(ExecutorShared)));
	RequestNamedLWLockTranche("atlorg", 1);
}

void
atl_executor_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	atl_executor_shared = ShmemInitStruct("atlorg executor", sizeof(ExecutorShared), &found);
	if (!found)
	{
		memset(atl_executor_shared, 0, sizeof(ExecutorShared));
		atl_executor_shared->lock = &(GetNamedLWLockTranche("atlorg"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

WorkerEntry *
atl_executor_find_worker(Oid dboid)
{
	for (int i = 0; i < ATL_MAX_WORKERS; i++)
		if (atl_executor_shared->workers[i].dboid == dboid)
			return &atl_executor_shared->workers[i];
	return NULL;
}

void
atl_executor_forget_slot(AtlSlot *slot)
{
	/* the API key must not outlive the request in shared memory */
	explicit_bzero(&slot->req, sizeof(slot->req));
	slot->state = SLOT_FREE;
	slot->owner = NULL;
	slot->cancel_requested = false;
}

/* --- worker side -------------------------------------------------------- */

/*
 * Slots left RUNNING by a worker that died: their callers are told what
 * reconciling their audit rows found (known: the rows recorded, matched by
 * audit id), or 'unknown' for a request whose intent was never recorded.
 */
static void
resolve_orphans(Oid dboid, const AtlActionResult *known, int nknown)
{
	for (int i = 0; i < ATL_SLOTS; i++)
	{
		AtlSlot    *slot = &atl_executor_shared->slots[i];
		const AtlActionResult *found = NULL;

		if (slot->state != SLOT_RUNNING || slot->dboid != dboid)
			continue;
		if (slot->owner == NULL)
		{
			atl_executor_forget_slot(slot);
			continue;
		}
		for (int k = 0; k < nknown && found == NULL; k++)
			if (known[k].audit_id == slot->res.audit_id && known[k].audit_id != 0)
				found = &known[k];
		if (found)
			memcpy(&slot->res, found, sizeof(AtlActionResult));
		else
		{
			strlcpy(slot->res.outcome, "unknown", sizeof(slot->res.outcome));
			strlcpy(slot->res.error_detail,
					"the atlorg executor stopped while the request was in flight; "
					"its audit row gets the outcome once reading the account back can tell",
					sizeof(slot->res.error_detail));
		}
		slot->state = SLOT_DONE;
		SetLatch(&slot->owner->procLatch);
	}
}

static void
unregister_worker(int code, Datum arg)
{
	WorkerEntry *entry;

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	entry = atl_executor_find_worker(DatumGetObjectId(arg));
	if (entry && entry->proc == MyProc)
		entry->dboid = InvalidOid;
	LWLockRelease(atl_executor_shared->lock);
}

/* false when another executor already serves this database */
bool
atl_executor_register_worker(Oid dboid)
{
	WorkerEntry *entry;
	bool		ok = true;

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	entry = atl_executor_find_worker(dboid);
	if (entry == NULL)
		entry = atl_executor_find_worker(InvalidOid);
	if (entry == NULL || (entry->proc != NULL && entry->proc != MyProc))
		ok = false;
	else
	{
		entry->dboid = dboid;
		entry->proc = MyProc;
	}
	LWLockRelease(atl_executor_shared->lock);
	if (ok)
		before_shmem_exit(unregister_worker, ObjectIdGetDatum(dboid));
	return ok;
}

/* after the audit's pending rows are resolved: tell their callers */
void
atl_executor_resolve_orphans(Oid dboid, const AtlActionResult *known, int nknown)
{
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	resolve_orphans(dboid, known, nknown);
	LWLockRelease(atl_executor_shared->lock);
}

/* an idle worker leaves only when nothing is queued for it */
bool
atl_executor_retire_worker(Oid dboid)
{
	bool		queued = false;
	WorkerEntry *entry;

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < ATL_SLOTS && !queued; i++)
		queued = atl_executor_shared->slots[i].state == SLOT_QUEUED && atl_executor_shared->slots[i].dboid == dboid;
	entry = atl_executor_find_worker(dboid);
	if (!queued && entry && entry->proc == MyProc)
		entry->dboid = InvalidOid;
	LWLockRelease(atl_executor_shared->lock);
	return !queued;
}

AtlSlot *
atl_executor_take(Oid dboid, AtlActionRequest *req)
{
	AtlSlot    *next = NULL;

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < ATL_SLOTS; i++)
	{
		AtlSlot    *slot = &atl_executor_shared->slots[i];
		AtlRunEntry *run;

		if (slot->state != SLOT_QUEUED || slot->dboid != dboid ||
			(next != NULL && slot->seq > next->seq))
			continue;
		/* a paused run's requests wait where they are */
		run = atl_run_find(slot->req.run_id);
		if (run && run->paused && !run->cancel)
			continue;
		next = slot;
	}
	if (next)
	{
		AtlRunEntry *run = atl_run_find(next->req.run_id);

		next->state = SLOT_RUNNING;
		memcpy(req, &next->req, sizeof(*req));
		if (run)
			run->taken++;		/* until its outcome is recorded */
	}
	LWLockRelease(atl_executor_shared->lock);
	return next;
}

/* does a run still have requests in slots (queued, or taken and running)? */
bool
atl_executor_run_has_slots(int64 run_id)
{
	bool		found = false;

	LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
	for (int i = 0; i < ATL_SLOTS && !found; i++)
	{
		AtlSlot    *slot = &atl_executor_shared->slots[i];

		found = (slot->state == SLOT_QUEUED || slot->state == SLOT_RUNNING) &&
			slot->req.run_id == run_id && slot->dboid == MyDatabaseId;
	}
	LWLockRelease(atl_executor_shared->lock);
	return found;
}

bool
atl_executor_cancel_requested(AtlSlot *slot)
{
	bool		cancel;

	AtlRunEntry *run;

	LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
	run = atl_run_find(slot->req.run_id);
	cancel = slot->cancel_requested || (run && run->cancel);
	LWLockRelease(atl_executor_shared->lock);
	return cancel;
}

void
atl_executor_publish_audit_id(AtlSlot *slot, int64 audit_id, TimestampTz requested_at)
{
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	slot->res.audit_id = audit_id;
	slot->res.requested_at = requested_at;
	LWLockRelease(atl_executor_shared->lock);
}

void
atl_executor_finish(AtlSlot *slot, const AtlActionResult *res)
{
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	if (slot->owner == NULL)
		atl_executor_forget_slot(slot);
	else
	{
		memcpy(&slot->res, res, sizeof(*res));
		explicit_bzero(&slot->req, sizeof(slot->req));
		slot->state = SLOT_DONE;
		SetLatch(&slot->owner->procLatch);
	}
	LWLockRelease(atl_executor_shared->lock);
}
