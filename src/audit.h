/*
 * audit.h: the executor's writes to atl_audit, each in its own committed
 * transaction (the worker's, never the caller's).
 */
#ifndef ATLORG_AUDIT_H
#define ATLORG_AUDIT_H

#include "executor.h"

/* the intent, before anything is sent; returns the row's id */
extern int64 atl_audit_record_intent(const AtlActionRequest *req,
									 TimestampTz *requested_at);

/* the outcome of the request that row `res->audit_id` announced */
extern void atl_audit_record_outcome(const AtlActionResult *res);

/* rows left 'pending' by an executor that died: their outcome is unknown */
extern void atl_audit_resolve_pending(void);

#endif
