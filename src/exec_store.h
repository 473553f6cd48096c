/*
 * exec_store.h: the executor's reads and writes of atl_run and atl_queue,
 * each in its own transaction unless said otherwise.
 */
#ifndef ATLORG_EXEC_STORE_H
#define ATLORG_EXEC_STORE_H

#include "exec.h"
#include "run_shmem.h"

/* inside the intents' transaction: the synchronous runs' rows, written or updated */
extern void atl_worker_store_runs(const AtlActionRequest *const *reqs, int n);

/* background runs not yet ended, into shared memory ('queued' become 'running') */
extern void atl_worker_adopt_runs(void);

/*
 * Up to max of a background run's waiting requests, in queue order, as
 * requests with the credentials of the run's role (one that cannot be used
 * is marked unsendable, its reason in skip_reason).  How many.
 */
extern int	atl_worker_claim(const AtlRunEntry *run, AtlActionRequest *reqs, int max);

/* a cancelled run's waiting requests, recorded as cancelled, off the queue */
extern void atl_worker_cancel_rest(const AtlRunEntry *run);

/* the run's state as steered ('paused' or 'running') */
extern void atl_worker_record_state(const AtlRunEntry *run, const char *state);

/* the run has ended: its state, its end, and a NOTIFY atlorg_runs */
extern void atl_worker_end_run(const AtlRunEntry *run, const char *state);

/* after a restart: synchronous runs whose backends are gone have ended */
extern void atl_worker_end_orphan_runs(void);

/*
 * After a restart: every request left 'pending' (intent recorded, no
 * outcome), or those of only[] (NULL: all), as a request (queue_seq set:
 * a background run's, which may be sent again), its row in res[i].audit_id.
 * How many.
 */
extern int	atl_worker_load_pending(const int64 *only, int nonly, AtlActionRequest **reqs,
									AtlActionResult **res);

#endif
