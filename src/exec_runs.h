/*
 * exec_runs.h: the executor's work on runs besides sending (exec_runs.c):
 * background runs' requests taken fairly, pauses and cancels, ends of runs,
 * verify, and recovery after a restart.
 */
#ifndef ATLORG_EXEC_RUNS_H
#define ATLORG_EXEC_RUNS_H

#include "exec.h"

/* up to room waiting requests of background runs, shared fairly among them */
extern int	atl_worker_claim_runs(Oid dboid, int room, AtlActionRequest *out);

/* pauses and cancels recorded, cancelled rests recorded, ended runs ended; whether it wrote */
extern bool atl_worker_tend_runs(Oid dboid);

/* atlorg.verify: read back the accounts of successful requests, setting res[i]->verified */
extern void atl_worker_verify(AtlActionRequest *const *reqs, AtlActionResult *const *res, int n);

/*
 * After a restart, before anything is sent: the requests left in flight
 * (audit rows 'pending'; only[], or all when NULL) are read back.  A change
 * Atlassian shows is recorded as succeeded at once.  The others are judged
 * only when final, that is once they cannot still be under way at
 * Atlassian (atlorg.request_timeout after the executor that sent them
 * died); until then they stay pending and are returned in deferred.  When
 * final, a background run's request provably not made is returned to be
 * sent again on its own row; the rest are recorded as failed or unknown,
 * with the evidence.
 */
typedef struct AtlRecovery
{
	AtlActionRequest *resend;	/* to send again */
	int64	   *resend_ids;		/* their audit rows */
	int			nresend;
	AtlActionResult *settled;	/* recorded, by audit id (for waiting callers) */
	int			nsettled;
	int64	   *deferred;		/* audit rows to judge later */
	int64	   *deferred_runs;	/* their runs */
	int			ndeferred;
} AtlRecovery;
extern void atl_worker_recover(const int64 *only, int nonly, bool final, AtlRecovery *out);

#endif
