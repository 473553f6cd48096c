/*
 * pace_budget.h: each organization's request budget, in shared memory, so that
 * every executor (one per database) acting on the same organization keeps
 * to one pace, and a 429 seen by one slows all of them.
 *
 * An organization is known by a hash of where its requests go (the API
 * base and org id, or the Jira site).
 */
#ifndef ATLORG_PACE_BUDGET_H
#define ATLORG_PACE_BUDGET_H

#include "datatype/timestamp.h"

extern void atl_budget_shmem_request(void);
extern void atl_budget_shmem_startup(void);

extern uint64 atl_budget_key(const char *org);
/* the key of an organization's admin API budget */
extern uint64 atl_budget_org_key(const char *api_base, const char *org_id);

/*
 * The pace requests are started at: 97% of atlorg.action_rate, so that
 * jitter never overflows a strict window of the limit; no second holds
 * more than 98% of it (the room a late start catches up in).
 */
extern double atl_budget_pace(void);

/* is the shared budget there (atlorg preloaded)?  Else callers pace alone */
extern bool atl_budget_ready(void);

/*
 * Take the organization's next start if it is due (true), paced at
 * per_second (0: unpaced); else false and *wake says when to ask again.
 * A start taken counts as under way until atl_budget_sent() is told, with
 * *ticket, when its request went out (0: it never will); 0 needs no telling.
 */
extern bool atl_budget_claim(uint64 org, double per_second, TimestampTz now,
							 TimestampTz *wake, uint32 *ticket);
extern void atl_budget_sent(uint64 org, uint32 ticket, TimestampTz at);

/*
 * The organization's limit is spent: nothing starts for ms.  The caller
 * caps ms (atlorg.max_pause): every session acting on the organization
 * waits it out.
 */
extern void atl_budget_pause(uint64 org, long ms);

/* how much longer the organization is paused, in ms (0: it is not) */
extern long atl_budget_paused_ms(uint64 org);

#endif
