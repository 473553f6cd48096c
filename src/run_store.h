/*
 * run_store.h: the tables of runs (atl_run, atl_queue) as a backend writes
 * them: run ids, a background run queued in the caller's transaction, and
 * a run read back for steering.  Writes are made as atlorg_executor (like
 * PostgreSQL's own foreign-key checks switch to the table's owner): the
 * caller holds no grant on these tables, so nothing but atlorg's action
 * catalogue can put a request in the queue.
 */
#ifndef ATLORG_RUN_STORE_H
#define ATLORG_RUN_STORE_H

#include "exec.h"
#include "run_shmem.h"

/* does this database have the run tables (atlorg 1.1 or later)? */
extern bool atl_run_store_ready(void);
/* ... and does its queue keep a dry run's predictions (1.2 on)? */
extern bool atl_queue_has_predictions(void);

/* the statement's text, cut (at a character) to size */
extern void atl_run_statement_text(char *buf, size_t size);

/* a run not yet ended, from atl_run (false: none, or ended) */
extern bool atl_run_store_load(int64 run_id, AtlRunEntry *e);

/*
 * Queue a background run in the caller's transaction: its row, then each
 * request next() gives, as queue rows; on_row hears of each queued one.
 * The actions of one statement share one run.  Returns the run's id.
 */
typedef void (*AtlQueuedRow) (const AtlActionRequest *req, void *arg);
extern int64 atl_run_store_queue(const char *server, bool dry_run, AtlActionNext next,
								 void *next_arg, AtlQueuedRow on_row, void *row_arg);

/* run the SPI queries between these as atlorg_executor, search_path pinned */
typedef struct AtlAsExecutor
{
	Oid			saved_user;
	int			saved_context;
	int			pinned;
} AtlAsExecutor;
extern void atl_as_executor_begin(AtlAsExecutor *as);
extern void atl_as_executor_end(AtlAsExecutor *as);

#endif
