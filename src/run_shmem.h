/*
 * run_shmem.h: runs, the statements that act, as the executors' shared memory
 * knows them while they go on (run_shmem.c), and as the tables keep them
 * (atl_run, atl_queue: run_store.c).
 *
 * A synchronous run's entry is made by its backend (which allocates the
 * id) and closed when its statement's actions end; a background run's is
 * made by the executor when it takes the run from atl_queue.  Either can be
 * paused or cancelled from any session (atl_run_signal); the executor
 * notices, records the new state, and once the run has ended writes its
 * end and NOTIFYs atlorg_runs.
 */
#ifndef ATLORG_RUN_SHMEM_H
#define ATLORG_RUN_SHMEM_H

#include "datatype/timestamp.h"
#include "storage/proc.h"

#define ATL_MAX_RUNS 128
#define ATL_STATEMENT_MAX 4096
#define ATL_LABEL_MAX 256

typedef struct AtlRunEntry
{
	int64		run_id;			/* 0: entry free */
	Oid			dboid;
	PGPROC	   *owner;			/* a synchronous run's backend; NULL once ended */
	bool		background;
	bool		open;			/* its statement may still hand over requests */
	bool		paused;
	bool		cancel;
	bool		recorded_paused;	/* what atl_run.state says, as the executor wrote it */
	bool		row_written;	/* atl_run has its row */
	int64		written_total;	/* the total it says */
	bool		drained;		/* a background run with nothing left to take */
	int32		claimed_seq;	/* the last queue row taken: the next claim starts after it */
	int			taken;			/* the executor's: requests taken, outcome not recorded */
	int64		total;
	TimestampTz started_at;
	bool		dry_run;
	bool		verify;
	Oid			acted_by_oid;
	int			backend_pid;
	char		server[NAMEDATALEN];
	char		acted_by[NAMEDATALEN];
	char		session_role[NAMEDATALEN];
	char		steered_by[NAMEDATALEN];
	char		label[ATL_LABEL_MAX];
	char		statement[ATL_STATEMENT_MAX];
} AtlRunEntry;

/* --- a backend's side (run_shmem.c) ------------------------------------ */

/*
 * The run of the current statement, planning n more requests: the same run
 * for every action of one statement.  The first makes the entry.
 */
extern int64 atl_run_open(const char *server, int n, bool dry_run);
/* the statement's actions have ended (normally or not) */
extern void atl_run_close(int64 run_id);
/* at exit: every run this backend has open is closed */
extern void atl_run_close_mine(void);
/* has someone cancelled it? */
extern bool atl_run_cancelled(int64 run_id);
/* this session's last run, for atl_last_run() */
extern void atl_run_remember(int64 run_id);
/* a new run id, from atl_run_ids (as atlorg_executor: nobody needs the grant) */
extern int64 atl_run_next_id(void);

/* --- the executor's side ------------------------------------------------ */

/* under the lock: the entry of a run of this database, or NULL */
extern AtlRunEntry *atl_run_find(int64 run_id);
/* a copy of a run's entry (false: none) */
extern bool atl_run_snapshot(int64 run_id, AtlRunEntry *copy);
/* a background run the executor starts on: its entry, made if needed (false: none free) */
extern bool atl_run_adopt(const AtlRunEntry *from_table);
extern bool atl_run_paused(int64 run_id);
extern void atl_run_count_taken(int64 run_id, int delta);
/* a new executor: what a stopped one had taken is resolved by it, not counted */
extern void atl_run_forget_taken(Oid dboid);

#endif
