/*
 * exec_audit.h: the executor's writes to atl_audit, in its own committed
 * transactions (the worker's, never the caller's), a group at a time.
 */
#ifndef ATLORG_EXEC_AUDIT_H
#define ATLORG_EXEC_AUDIT_H

#include "exec.h"

/*
 * The intents of n requests, before anything is sent, in one transaction:
 * each res[i] gets its row's id and time (one that has an id already, sent
 * again after a crash, keeps its row).  A synchronous run's row is written
 * with its first intents.
 */
extern void atl_audit_record_intents(const AtlActionRequest *const *reqs,
									 AtlActionResult *const *res, int n);

/*
 * The outcomes of n requests (their rows are res[i]->audit_id), likewise;
 * a background request's queue row goes in the same transaction.
 */
extern void atl_audit_record_outcomes(const AtlActionRequest *const *reqs,
									  AtlActionResult *const *res, int n);

/* the executor's own transactions, around SPI (an error ends the worker) */
extern void atl_audit_begin(const char *activity);
extern void atl_audit_commit(void);
/*
 * What pg_stat_activity shows of the executor while it waits (a pause),
 * even during its short transactions; NULL: the transactions' own text.
 */
extern void atl_audit_set_resting_activity(const char *activity);
/* in one: does the database have atlorg 1.1's runs and queue? */
extern bool atl_audit_has_runs(void);

/* atlorg.audit_retention: delete rows older than keep_days; how many */
extern int64 atl_audit_prune(int keep_days);

#endif
