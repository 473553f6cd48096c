/*
 * guard_statement.h: what holds for the actions of one statement, whichever
 * way it sends them (guard_statement.c).
 */
#ifndef ATLORG_GUARD_STATEMENT_H
#define ATLORG_GUARD_STATEMENT_H

#include "access/htup.h"

/* installs the executor and utility hooks that tell statements apart */
extern void atl_statement_guard_init(void);

/*
 * Before sending: n more requests for this statement.  Over
 * atlorg.max_statement_actions, an ERROR and nothing of these n is sent;
 * in a transaction block, a WARNING once a statement.  queued: a
 * background run (a ROLLBACK does undo a queued run: no warning).
 */
extern void atl_statement_guard_requests(int n, bool queued);

/*
 * Will atl_statement_guard_requests() refuse these n after the statement
 * sent others?  Then why (palloc'd), for the audit rows that record them
 * as skipped before it does; else NULL.
 */
extern char *atl_statement_guard_cap_refusal(int n, bool queued);

/*
 * The row an earlier call of this statement got for the same request (key:
 * the action, account, values, server and options), or NULL; and keeping
 * a call's row for the calls after it.
 */
extern HeapTuple atl_statement_guard_seen(const char *key);
extern void atl_statement_guard_remember(const char *key, HeapTuple row);

#endif
