/*
 * exec_slots.h: the executor's shared memory: the slots between
 * exec_slots.c (their set-up and the worker's side) and exec_client.c (the
 * backend's side), the executors of each database, and the runs' entries
 * (run_shmem.c).  For the exec_* files and run_shmem.c only.
 *
 * Slot life: FREE -> QUEUED (a backend filled it) -> RUNNING (the worker
 * took it) -> DONE (the worker wrote the result) -> FREE (the backend read
 * it).  A backend that stops waiting clears `owner`; the worker then frees
 * the slot itself when it is done.
 */
#ifndef ATLORG_EXEC_SLOTS_H
#define ATLORG_EXEC_SLOTS_H

#include "storage/lwlock.h"
#include "storage/proc.h"

#include "exec.h"
#include "run_shmem.h"

#define ATL_SLOTS 256
#define ATL_MAX_WORKERS 16		/* databases with a running executor */

typedef enum SlotState
{
	SLOT_FREE, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE
} SlotState;

struct AtlSlot
{
	SlotState	state;
	Oid			dboid;
	uint64		seq;			/* FIFO order among queued slots */
	PGPROC	   *owner;			/* the waiting backend; NULL once it left */
	bool		cancel_requested;
	AtlActionRequest req;
	AtlActionResult res;
};

typedef struct WorkerEntry
{
	Oid			dboid;			/* InvalidOid: entry unused */
	PGPROC	   *proc;			/* NULL while starting */
	TimestampTz launched_at;
} WorkerEntry;

typedef struct ExecutorShared
{
	LWLock	   *lock;
	uint64		next_seq;
	WorkerEntry workers[ATL_MAX_WORKERS];
	AtlSlot		slots[ATL_SLOTS];
	AtlRunEntry runs[ATL_MAX_RUNS];
} ExecutorShared;

extern ExecutorShared *atl_executor_shared;

/* under the lock */
extern WorkerEntry *atl_executor_find_worker(Oid dboid);
extern void atl_executor_forget_slot(AtlSlot *slot);

#endif
