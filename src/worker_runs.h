/*
 * worker_runs.h: the executor's work on runs (worker_runs.c).
 */
#ifndef ATLORG_WORKER_RUNS_H
#define ATLORG_WORKER_RUNS_H

#include "executor.h"

/* up to room waiting requests of background runs, shared fairly among them */
extern int	atl_worker_claim_runs(Oid dboid, int room, AtlActionRequest *out);

/* pauses and cancels recorded, cancelled rests recorded, ended runs ended; whether it wrote */
extern bool atl_worker_tend_runs(Oid dboid);

/* atlorg.verify: read back the accounts of successful requests, setting res[i]->verified */
extern void atl_worker_verify(AtlActionRequest *const *reqs, AtlActionResult *const *res, int n);

/*
 * After a restart, before anything is sent: every request left in flight is
 * reconciled and recorded, except those provably not made of background
 * runs, which are returned to be sent again (on their audit rows).
 */
extern int	atl_worker_recover(AtlActionRequest **resend, int64 **audit_ids,
							   AtlActionResult **settled, int *nsettled);

#endif
