/*
 * exec_client.c: the backends' side of the executor (exec.h):
 * hand requests over through shared-memory slots, start the database's
 * executor when there is none, wait for the results, and give the slots up
 * when the caller stops waiting (an error, a cancel, or its exit).
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "pace_budget.h"
#include "run_shmem.h"
#include "exec_slots.h"

#define ATL_BACKEND_WINDOW 64	/* slots one backend holds at once */
#define WAIT_SLICE_MS 100
#define WORKER_START_GRACE_MS 10000

/*
 * This backend's slots while it waits (for the exit callback), and its own
 * copy of the request each holds (the slot's is wiped once sent).
 */
static AtlSlot *my_slots[ATL_BACKEND_WINDOW];
static AtlActionRequest *my_requests = NULL;	/* [ATL_BACKEND_WINDOW + 1]: the
												 * last is the one staged */
static int	my_slot_count = 0;
static bool exit_callback_registered = false;

/*
 * The executor this backend launched, watched until it has taken its entry:
 * one that stops before that never will, and the callers waiting for it
 * must be told instead of waiting forever.
 */
static BackgroundWorkerHandle *my_launch = NULL;
static TimestampTz my_launch_at;

static void
forget_launch(void)
{
	if (my_launch)
		pfree(my_launch);
	my_launch = NULL;
}

/* an executor for a database (its start and stop set notify_pid's latch) */
bool
atl_executor_launch(Oid dboid, Oid executor_role, pid_t notify_pid,
					BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "atlorg");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "atl_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "atlorg executor for database %u", dboid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "atlorg executor");
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	/* the worker acts as atlorg_executor, never as a superuser */
	memcpy(worker.bgw_extra, &executor_role, sizeof(Oid));
	/* the launcher's executors leave at once when they find nothing to do */
	worker.bgw_extra[sizeof(Oid)] = notify_pid == 0;
	worker.bgw_notify_pid = notify_pid;
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

static void
launch_worker(TimestampTz launched_at)
{
	BackgroundWorkerHandle *handle;
	MemoryContext old;
	bool		registered;

	old = MemoryContextSwitchTo(TopMemoryContext);
	registered = atl_executor_launch(MyDatabaseId, get_role_oid("atlorg_executor", false),
									 MyProcPid, &handle);
	MemoryContextSwitchTo(old);
	if (!registered)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the atlorg executor: no background worker slot is free"),
				 errdetail("All %d background worker slots (max_worker_processes) are in use; nothing was sent.",
						   max_worker_processes),
				 errhint("Raise max_worker_processes (a restart is needed), or try again when other background workers have ended.")));
	forget_launch();
	my_launch = handle;
	my_launch_at = launched_at;
}

/* under the lock: this database's entry, if it is still the launch we made */
static WorkerEntry *
my_starting_entry(void)
{
	WorkerEntry *entry = atl_executor_find_worker(MyDatabaseId);

	return entry && entry->proc == NULL && entry->launched_at == my_launch_at ? entry : NULL;
}

/*
 * Slots queued for this database that nobody will take: no executor runs
 * for it or is on its way.  Freed, under the lock: their requests were never
 * sent, and no intent was recorded.  Our own are freed by abandon(); those
 * of callers that stopped waiting earlier are freed here.
 */
static void
free_untaken_slots(void)
{
	if (atl_executor_find_worker(MyDatabaseId) != NULL)
		return;
	for (int i = 0; i < ATL_SLOTS; i++)
	{
		AtlSlot    *slot = &atl_executor_shared->slots[i];

		if (slot->state == SLOT_QUEUED && slot->dboid == MyDatabaseId && slot->owner == NULL)
			atl_executor_forget_slot(slot);
	}
}

/*
 * Has the executor this backend launched stopped before taking its entry
 * (it could not connect, or could not be forked)?  Then it never will: the
 * entry is freed, and the caller gets an error rather than a wait forever.
 */
static void
check_launch(void)
{
	pid_t		pid;
	BgwHandleStatus status;
	bool		started;
	bool		failed;

	if (my_launch == NULL)
		return;
	status = GetBackgroundWorkerPid(my_launch, &pid);
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	/* it took its entry (or another launch replaced ours, and is watched) */
	started = my_starting_entry() == NULL;
	failed = !started && (status == BGWH_STOPPED || status == BGWH_POSTMASTER_DIED);
	if (failed)
	{
		my_starting_entry()->dboid = InvalidOid;
		free_untaken_slots();
	}
	LWLockRelease(atl_executor_shared->lock);
	if (started || failed)
		forget_launch();
	if (failed)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the atlorg executor stopped before it could start; nothing was sent"),
				 errhint("The server log says why, for example a database that does not allow connections.")));
}

/*
 * Make sure this database has an executor, or one on its way.  An entry
 * still starting after a grace period is taken to have failed (a launch by
 * another backend, which watches it itself, may have been abandoned).
 */
static void
ensure_worker(void)
{
	WorkerEntry *entry;
	bool		launch = false;
	TimestampTz now = GetCurrentTimestamp();

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	entry = atl_executor_find_worker(MyDatabaseId);
	if (entry && entry->proc == NULL &&
		TimestampDifferenceExceeds(entry->launched_at, now, WORKER_START_GRACE_MS))
		entry->dboid = InvalidOid;
	else if (entry && entry->proc)
		SetLatch(&entry->proc->procLatch);
	if (atl_executor_find_worker(MyDatabaseId) == NULL && (entry = atl_executor_find_worker(InvalidOid)) != NULL)
	{
		entry->dboid = MyDatabaseId;
		entry->proc = NULL;
		entry->launched_at = now;
		launch = true;
	}
	LWLockRelease(atl_executor_shared->lock);
	if (entry == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("atlorg executors already run for %d databases; nothing was sent", ATL_MAX_WORKERS),
				 errhint("Try again when an executor has been idle for atlorg.worker_idle_timeout.")));
	if (!launch)
		return;
	PG_TRY();
	{
		launch_worker(now);
	}
	PG_CATCH();
	{
		LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
		if (entry->dboid == MyDatabaseId && entry->proc == NULL)
			entry->dboid = InvalidOid;
		free_untaken_slots();
		LWLockRelease(atl_executor_shared->lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/* a free slot, filled and queued; NULL while all are busy */
static AtlSlot *
try_enqueue(const AtlActionRequest *req)
{
	AtlSlot    *found = NULL;

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < ATL_SLOTS && found == NULL; i++)
	{
		AtlSlot    *slot = &atl_executor_shared->slots[i];

		if (slot->state != SLOT_FREE)
			continue;
		memcpy(&slot->req, req, sizeof(*req));
		memset(&slot->res, 0, sizeof(slot->res));
		slot->dboid = MyDatabaseId;
		slot->seq = ++atl_executor_shared->next_seq;
		slot->owner = MyProc;
		slot->cancel_requested = false;
		slot->state = SLOT_QUEUED;
		found = slot;
	}
	LWLockRelease(atl_executor_shared->lock);
	return found;
}

/*
 * Take back this backend's finished slots and hand them to on_result
 * (after the lock is released: it may throw).  Returns how many; sets
 * *worker_alive.
 */
static int
collect_done(AtlActionDone on_result, void *arg, bool *worker_alive)
{
	AtlActionResult results[ATL_BACKEND_WINDOW];
	int			done[ATL_BACKEND_WINDOW];
	int			n = 0;

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < my_slot_count; i++)
		if (my_slots[i]->state == SLOT_DONE)
		{
			memcpy(&results[n], &my_slots[i]->res, sizeof(AtlActionResult));
			atl_executor_forget_slot(my_slots[i]);
			my_slots[i] = NULL;
			done[n++] = i;
		}
	*worker_alive = atl_executor_find_worker(MyDatabaseId) != NULL;
	LWLockRelease(atl_executor_shared->lock);
	for (int k = 0; k < n; k++)
		on_result(&my_requests[done[k]], &results[k], arg);
	/* close the gaps */
	for (int i = 0, kept = 0, count = my_slot_count; i < count; i++)
	{
		if (my_slots[i] == NULL)
		{
			my_slot_count--;
			continue;
		}
		if (kept != i)
		{
			my_slots[kept] = my_slots[i];
			memcpy(&my_requests[kept], &my_requests[i], sizeof(AtlActionRequest));
		}
		kept++;
	}
	return n;
}

/*
 * Stop waiting for a slot.  With an executor for the database (running or
 * on its way), its request is still finished and recorded (as cancelled,
 * if unsent).  Without one, nobody would ever take the slot: it is freed,
 * and the request was never sent; one left running by an executor that
 * died is 'unknown' in the audit once the next executor starts.
 */
static void
abandon(AtlSlot *slot, bool no_executor)
{
	/* only our own slot: once freed, it may be someone else's */
	if (slot->owner != MyProc)
		return;
	if (slot->state == SLOT_DONE || no_executor)
		atl_executor_forget_slot(slot);
	else
	{
		slot->owner = NULL;
		slot->cancel_requested = true;
	}
}

static void
abandon_all(void)
{
	bool		no_executor;

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	no_executor = atl_executor_find_worker(MyDatabaseId) == NULL;
	for (int i = 0; i < my_slot_count; i++)
		abandon(my_slots[i], no_executor);
	my_slot_count = 0;
	LWLockRelease(atl_executor_shared->lock);
	forget_launch();
}

/*
 * A backend that exits while it waits (pg_terminate_backend: FATAL skips
 * PG_CATCH) must still give up its slots, or they would never be freed.
 */
static void
abandon_at_exit(int code, Datum arg)
{
	if (atl_executor_shared != NULL)
	{
		abandon_all();
		atl_run_close_mine();	/* a FATAL skips the statement's own close */
	}
}

static void
require_shared(void)
{
	if (atl_executor_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("atlorg actions need atlorg in shared_preload_libraries"),
				 errhint("Add atlorg to shared_preload_libraries in postgresql.conf and restart the server.")));
	if (!exit_callback_registered)
	{
		before_shmem_exit(abandon_at_exit, (Datum) 0);
		exit_callback_registered = true;
	}
}

/*
 * Hand over what the window and the free slots allow; a request made but
 * not yet handed over waits in *staged.  Returns how many were handed over.
 */
static int
submit(AtlActionNext next, void *arg, bool *staged, bool *exhausted)
{
	int			handed = 0;

	AtlActionRequest *req = &my_requests[ATL_BACKEND_WINDOW];	/* the staged one */

	while (my_slot_count < ATL_BACKEND_WINDOW)
	{
		AtlSlot    *slot;

		if (!*staged && !(*staged = next(req, arg)))
		{
			*exhausted = true;
			break;
		}
		if ((slot = try_enqueue(req)) == NULL)
			break;
		*staged = false;
		memcpy(&my_requests[my_slot_count], req, sizeof(*req));
		my_slots[my_slot_count++] = slot;
		handed++;
	}
	return handed;
}

/*
 * A statement whose actions wait on their organization's pause (an answer's
 * Retry-After or rate-limit reset, shared by every session) says so, once.
 */
static void
notice_pause(void)
{
	for (int i = 0; i < my_slot_count; i++)
	{
		const AtlActionRequest *req = &my_requests[i];

		if (i > 0 && req->org_key == my_requests[i - 1].org_key)
			continue;
		if (atl_http_notice_due(atl_budget_paused_ms(req->org_key)))
		{
			ereport(NOTICE,
					(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
					 errmsg("atlorg: actions on server \"%s\" are waiting: Atlassian's rate limit paused the organization",
							req->server),
					 errdetail("No pause is longer than atlorg.max_pause; a cancel stops the wait.")));
			return;
		}
	}
}

/* hand over, wait, take back, until every request has ended */
static void
run_all(AtlActionNext next, AtlActionDone on_result, void *arg)
{
	bool		staged = false;
	bool		exhausted = false;

	while (!exhausted || staged || my_slot_count > 0)
	{
		bool		worker_alive;

		if (submit(next, arg, &staged, &exhausted) > 0)
			ensure_worker();	/* and wakes it */
		check_launch();
		if (collect_done(on_result, arg, &worker_alive) > 0)
			continue;
		if (!worker_alive && my_slot_count > 0)
			ensure_worker();
		if (exhausted && !staged && my_slot_count == 0)
			break;
		notice_pause();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 WAIT_SLICE_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	forget_launch();
}

/* the keys must not stay in this backend's memory either */
static void
wipe_requests(void)
{
	for (int i = 0; i <= ATL_BACKEND_WINDOW; i++)
		explicit_bzero(my_requests[i].api_key, sizeof(my_requests[i].api_key));
}

void
atl_executor_run_many(AtlActionNext next, AtlActionDone on_result, void *arg)
{
	require_shared();
	Assert(my_slot_count == 0);
	if (my_requests == NULL)
		my_requests = MemoryContextAlloc(TopMemoryContext,
										 sizeof(AtlActionRequest) * (ATL_BACKEND_WINDOW + 1));
	PG_TRY();
	{
		run_all(next, on_result, arg);
	}
	PG_CATCH();
	{
		/* cancelled or failed: the worker finishes and records the requests */
		abandon_all();
		wipe_requests();
		PG_RE_THROW();
	}
	PG_END_TRY();
	wipe_requests();
}

void
atl_executor_wake(void)
{
	require_shared();
	ensure_worker();
	forget_launch();
}

/*
 * A background run was queued: at commit, the executor must be there (an
 * error before the commit ends it: nothing is queued that nobody would
 * send) and look at the queue at once.
 */
static bool wake_registered = false;
static bool wake_pending = false;

static void
wake_at_commit(XactEvent event, void *arg)
{
	WorkerEntry *entry;

	if (!wake_pending)
		return;
	if (event == XACT_EVENT_PRE_COMMIT)
		atl_executor_wake();
	else if (event == XACT_EVENT_COMMIT)
	{
		wake_pending = false;
		LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
		entry = atl_executor_find_worker(MyDatabaseId);
		if (entry && entry->proc)
			SetLatch(&entry->proc->procLatch);
		LWLockRelease(atl_executor_shared->lock);
	}
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		wake_pending = false;
}

void
atl_executor_wake_at_commit(void)
{
	require_shared();
	if (!wake_registered)
		RegisterXactCallback(wake_at_commit, NULL);
	wake_registered = true;
	wake_pending = true;
}

/* atl_executor_run(): one request, one result */
typedef struct OneAction
{
	const AtlActionRequest *req;
	AtlActionResult *res;
	bool		handed;
} OneAction;

static bool
next_one(AtlActionRequest *req, void *arg)
{
	OneAction  *one = arg;

	if (one->handed)
		return false;
	memcpy(req, one->req, sizeof(*req));
	one->handed = true;
	return true;
}

static void
copy_result(const AtlActionRequest *req, const AtlActionResult *res, void *arg)
{
	memcpy(((OneAction *) arg)->res, res, sizeof(*res));
}

void
atl_executor_run(const AtlActionRequest *req, AtlActionResult *res)
{
	OneAction	one = {req, res, false};

	atl_executor_run_many(next_one, copy_result, &one);
}

