/*
 * exec_reconcile.h: does Atlassian show a request's change?  Read the accounts
 * back (the directory's users/search, ten accounts a request, with their
 * groups) and judge each request by what its action changes.
 *
 * Used after a crash, for requests that were in flight (sent, or perhaps
 * sent, with no answer recorded): seen means it took effect, not seen means
 * it provably did not (it may be sent again), unknown means no read can
 * tell; and by atlorg.verify, after each success.
 */
#ifndef ATLORG_EXEC_RECONCILE_H
#define ATLORG_EXEC_RECONCILE_H

#include "exec.h"

typedef enum AtlSeen
{
	ATL_SEEN_UNKNOWN, ATL_SEEN_CHANGED, ATL_SEEN_UNCHANGED
} AtlSeen;

/*
 * Judge n requests (action, account_id, target, body, server, acted_by_oid
 * are what is read).  Inside a transaction; never throws: a read that fails
 * makes its requests unknown, with the error as the evidence.  evidence[i]
 * says what was seen, in words.
 */
extern void atl_reconcile(AtlActionRequest *const *reqs, int n, AtlSeen *seen,
						  char **evidence);

#endif
