/*
 * audit.h: the executor's writes to atl_audit, in its own committed
 * transactions (the worker's, never the caller's), a group at a time.
 */
#ifndef ATLORG_AUDIT_H
#define ATLORG_AUDIT_H

#include "executor.h"

/*
 * The intents of n requests, before anything is sent, in one transaction:
 * each res[i] gets its row's id and time.
 */
extern void atl_audit_record_intents(const AtlActionRequest *const *reqs,
									 AtlActionResult *const *res, int n);

/* the outcomes of n requests (their rows are res[i]->audit_id), likewise */
extern void atl_audit_record_outcomes(AtlActionResult *const *res, int n);

/* atlorg.audit_retention: delete rows older than keep_days; how many */
extern int64 atl_audit_prune(int keep_days);

/* rows left 'pending' by an executor that died: their outcome is unknown */
extern void atl_audit_resolve_pending(void);

#endif
