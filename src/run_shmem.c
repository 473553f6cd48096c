/*
 * run_shmem.c: the runs in the executors' shared memory (run_shmem.h): a
 * backend's own run, the flags any session may set (atl_run_signal), and
 * what SQL can see of them (atl_runs_live, atl_last_run).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "exec_slots.h"
#include "guc.h"
#include "run_store.h"
#include "run_shmem.h"

/* the current statement's run, and this session's last */
static int64 current_run = 0;
static LocalTransactionId current_lxid = InvalidLocalTransactionId;
static TimestampTz current_statement = 0;
static int	current_total = 0;	/* its requests planned so far */
static int64 last_run = 0;

/* run ids are a database's own (atl_run_ids): this database's run */
AtlRunEntry *
atl_run_find(int64 run_id)
{
	for (int i = 0; i < ATL_MAX_RUNS; i++)
		if (atl_executor_shared->runs[i].run_id == run_id && run_id != 0 &&
			atl_executor_shared->runs[i].dboid == MyDatabaseId)
			return &atl_executor_shared->runs[i];
	return NULL;
}

bool
atl_run_snapshot(int64 run_id, AtlRunEntry *copy)
{
	AtlRunEntry *e;

	LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
	e = atl_run_find(run_id);
	if (e)
		memcpy(copy, e, sizeof(*copy));
	LWLockRelease(atl_executor_shared->lock);
	return e != NULL;
}

/* under the lock: a free entry, or NULL */
static AtlRunEntry *
find_free_entry(void)
{
	for (int i = 0; i < ATL_MAX_RUNS; i++)
		if (atl_executor_shared->runs[i].run_id == 0)
			return &atl_executor_shared->runs[i];
	return NULL;
}

/* under the lock: a free entry, or an error naming the limit */
static AtlRunEntry *
free_entry(void)
{
	AtlRunEntry *e = find_free_entry();

	if (e)
		return e;
	LWLockRelease(atl_executor_shared->lock);
	ereport(ERROR,
			(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			 errmsg("atlorg: %d runs are going on already; nothing was sent", ATL_MAX_RUNS),
			 errhint("Wait for one to end (atl_run_progress), or queue this one with atlorg.background.")));
	return NULL;
}

/* a fresh entry for this backend's run */
static void
fill_own_entry(AtlRunEntry *e, int64 run_id, const char *server, int n, bool dry_run)
{
	memset(e, 0, sizeof(*e));
	e->run_id = run_id;
	e->dboid = MyDatabaseId;
	e->owner = MyProc;
	e->open = true;
	e->total = n;
	e->started_at = GetCurrentStatementStartTimestamp();
	e->dry_run = dry_run;
	e->verify = atl_verify;
	e->acted_by_oid = GetUserId();
	e->backend_pid = MyProcPid;
	strlcpy(e->server, server, sizeof(e->server));
	strlcpy(e->acted_by, GetUserNameFromId(GetUserId(), false), sizeof(e->acted_by));
	strlcpy(e->session_role, GetUserNameFromId(GetSessionUserId(), false),
			sizeof(e->session_role));
	strlcpy(e->label, atl_run_label ? atl_run_label : "", sizeof(e->label));
	atl_run_statement_text(e->statement, sizeof(e->statement));
}

int64
atl_run_open(const char *server, int n, bool dry_run)
{
	bool		same_statement = current_run != 0 && current_lxid == MyProc->lxid &&
		current_statement == GetCurrentStatementStartTimestamp();
	int64		run_id = same_statement ? current_run : 0;
	AtlRunEntry *e;

	if (atl_executor_shared == NULL)
		return 0;				/* not preloaded: the executor says so */
	if (run_id == 0 && !atl_run_store_ready())
		return 0;				/* a database still at 1.0: no runs */
	if (run_id == 0 && XactReadOnly)
		return 0;				/* no id can be drawn: audited without a run */
	if (run_id == 0)
		run_id = atl_run_next_id();
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	e = atl_run_find(run_id);
	if (e)
	{
		e->total += n;
		e->open = true;
		e->owner = MyProc;
	}
	else
	{
		/*
		 * The statement's run may have been ended between two of its calls
		 * (per-row calls: the executor ends a run whose calls are all done);
		 * its entry comes back with every request the statement planned.
		 */
		fill_own_entry(free_entry(), run_id, server,
					   same_statement ? current_total + n : n, dry_run);
	}
	LWLockRelease(atl_executor_shared->lock);
	current_total = (same_statement ? current_total : 0) + n;
	current_run = run_id;
	current_lxid = MyProc->lxid;
	current_statement = GetCurrentStatementStartTimestamp();
	atl_run_remember(run_id);
	return run_id;
}

void
atl_run_close(int64 run_id)
{
	AtlRunEntry *e;
	WorkerEntry *worker;

	if (run_id == 0 || atl_executor_shared == NULL)
		return;
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	if ((e = atl_run_find(run_id)) != NULL && e->owner == MyProc)
	{
		e->open = false;
		e->owner = NULL;
	}
	/* the executor writes the run's end */
	worker = atl_executor_find_worker(MyDatabaseId);
	if (worker && worker->proc)
		SetLatch(&worker->proc->procLatch);
	LWLockRelease(atl_executor_shared->lock);
}

void
atl_run_close_mine(void)
{
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < ATL_MAX_RUNS; i++)
		if (atl_executor_shared->runs[i].owner == MyProc)
		{
			atl_executor_shared->runs[i].open = false;
			atl_executor_shared->runs[i].owner = NULL;
		}
	LWLockRelease(atl_executor_shared->lock);
}

bool
atl_run_cancelled(int64 run_id)
{
	AtlRunEntry *e;
	bool		cancel;

	if (run_id == 0)
		return false;
	LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
	e = atl_run_find(run_id);
	cancel = e && e->cancel;
	LWLockRelease(atl_executor_shared->lock);
	return cancel;
}

bool
atl_run_paused(int64 run_id)
{
	AtlRunEntry *e;
	bool		paused;

	if (run_id == 0)
		return false;
	LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
	e = atl_run_find(run_id);
	paused = e && e->paused && !e->cancel;
	LWLockRelease(atl_executor_shared->lock);
	return paused;
}

void
atl_run_count_taken(int64 run_id, int delta)
{
	AtlRunEntry *e;

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	if ((e = atl_run_find(run_id)) != NULL)
		e->taken += delta;
	LWLockRelease(atl_executor_shared->lock);
}

void
atl_run_forget_taken(Oid dboid)
{
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < ATL_MAX_RUNS; i++)
		if (atl_executor_shared->runs[i].dboid == dboid)
		{
			atl_executor_shared->runs[i].taken = 0;
			atl_executor_shared->runs[i].drained = false;
			atl_executor_shared->runs[i].claimed_seq = 0;
		}
	LWLockRelease(atl_executor_shared->lock);
}

void
atl_run_remember(int64 run_id)
{
	last_run = run_id;
}

bool
atl_run_adopt(const AtlRunEntry *from_table)
{
	AtlRunEntry *e;
	bool		adopted = true;

	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	if (atl_run_find(from_table->run_id) == NULL)
	{
		/* none free: the run waits in the queue until one is */
		if ((e = find_free_entry()) != NULL)
		{
			memcpy(e, from_table, sizeof(*e));
			e->dboid = MyDatabaseId;
			e->owner = NULL;
			e->taken = 0;
		}
		adopted = e != NULL;
	}
	LWLockRelease(atl_executor_shared->lock);
	return adopted;
}

/* --- SQL ------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(atl_last_run);

Datum
atl_last_run(PG_FUNCTION_ARGS)
{
	if (last_run == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(last_run);
}

PG_FUNCTION_INFO_V1(atl_runs_live);

Datum
atl_runs_live(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	if (atl_executor_shared == NULL)
		return (Datum) 0;
	LWLockAcquire(atl_executor_shared->lock, LW_SHARED);
	for (int i = 0; i < ATL_MAX_RUNS; i++)
	{
		AtlRunEntry *e = &atl_executor_shared->runs[i];
		Datum		values[6];
		bool		nulls[6] = {false};

		if (e->run_id == 0 || e->dboid != MyDatabaseId)
			continue;
		values[0] = Int64GetDatum(e->run_id);
		values[1] = Int32GetDatum(e->backend_pid);
		values[2] = BoolGetDatum(e->background);
		values[3] = BoolGetDatum(e->paused);
		values[4] = BoolGetDatum(e->cancel);
		values[5] = BoolGetDatum(e->open);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(atl_executor_shared->lock);
	return (Datum) 0;
}

/* may the caller steer a run acted as role?  Its own, or as a manager */
static void
check_may_steer(int64 run_id, Oid role)
{
	Oid			manager = get_role_oid("atlorg_manager", true);

	if (has_privs_of_role(GetUserId(), role) ||
		(OidIsValid(manager) && has_privs_of_role(GetUserId(), manager)))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to steer run %lld", (long long) run_id),
			 errdetail("Only the role that started a run (or a member of it) and atlorg_manager may pause, resume or cancel it.")));
}

/* set the verb's flag on the run's entry (made from atl_run if need be) */
static bool
signal_run(int64 run_id, const char *verb)
{
	AtlRunEntry e;
	AtlRunEntry *live;
	bool		known = atl_run_snapshot(run_id, &e);

	if (!known && !atl_run_store_load(run_id, &e))
		return false;			/* it has ended */
	check_may_steer(run_id, e.acted_by_oid);
	if (!known && !atl_run_adopt(&e))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("atlorg: %d runs are going on already; run %lld cannot be steered until one ends",
						ATL_MAX_RUNS, (long long) run_id)));
	LWLockAcquire(atl_executor_shared->lock, LW_EXCLUSIVE);
	if ((live = atl_run_find(run_id)) != NULL)
	{
		if (strcmp(verb, "cancel") == 0)
			live->cancel = true;
		else
			live->paused = strcmp(verb, "pause") == 0;
		strlcpy(live->steered_by, GetUserNameFromId(GetUserId(), false),
				sizeof(live->steered_by));
		if (live->owner)
			SetLatch(&live->owner->procLatch);
	}
	LWLockRelease(atl_executor_shared->lock);
	return live != NULL;
}

PG_FUNCTION_INFO_V1(atl_run_signal);

/* atl_run_signal(run_id, verb): pause, resume or cancel; false if ended */
Datum
atl_run_signal(PG_FUNCTION_ARGS)
{
	int64		run_id = PG_GETARG_INT64(0);
	char	   *verb = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		signalled;

	if (strcmp(verb, "pause") != 0 && strcmp(verb, "resume") != 0 && strcmp(verb, "cancel") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown verb \"%s\"", verb),
				 errhint("A run can be paused, resumed or cancelled.")));
	if (atl_executor_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("atlorg runs need atlorg in shared_preload_libraries")));
	signalled = signal_run(run_id, verb);
	if (signalled)
		atl_executor_wake();
	PG_RETURN_BOOL(signalled);
}
