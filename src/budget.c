/*
 * budget.c: the organizations' shared request budgets (see budget.h).
 *
 * A small table of organizations recently acted on; the one used longest
 * ago gives way when it is full, which forgets only a pace, never a
 * request.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "budget.h"
#include "pace.h"

#define ATL_BUDGET_ORGS 64

typedef struct OrgBudget
{
	uint64		org;			/* 0: unused */
	TimestampTz next_start;		/* pacing: no start before this */
	TimestampTz paused_until;	/* the org's limit is spent until then */
	TimestampTz last_used;
} OrgBudget;

typedef struct BudgetShared
{
	LWLock	   *lock;
	OrgBudget	orgs[ATL_BUDGET_ORGS];
} BudgetShared;

static BudgetShared *budget = NULL;

void
atl_budget_shmem_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(BudgetShared)));
	RequestNamedLWLockTranche("atlorg budget", 1);
}

void
atl_budget_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	budget = ShmemInitStruct("atlorg budget", sizeof(BudgetShared), &found);
	if (!found)
	{
		memset(budget, 0, sizeof(BudgetShared));
		budget->lock = &(GetNamedLWLockTranche("atlorg budget"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

uint64
atl_budget_key(const char *org)
{
	uint64		key = hash_bytes_extended((const unsigned char *) org, strlen(org), 0);

	return key ? key : 1;
}

/* the org's entry, made (or taken over) if need be; under the lock */
static OrgBudget *
entry_for(uint64 org, TimestampTz now)
{
	OrgBudget  *oldest = &budget->orgs[0];

	for (int i = 0; i < ATL_BUDGET_ORGS; i++)
	{
		OrgBudget  *e = &budget->orgs[i];

		if (e->org == org)
		{
			e->last_used = now;
			return e;
		}
		if (e->last_used < oldest->last_used)
			oldest = e;
	}
	memset(oldest, 0, sizeof(*oldest));
	oldest->org = org;
	oldest->last_used = now;
	return oldest;
}

bool
atl_budget_claim(uint64 org, double per_second, TimestampTz now, TimestampTz *wake)
{
	long		interval_us = per_second > 0 ? (long) (1000000.0 / per_second) : 0;
	OrgBudget  *e;
	bool		go;

	LWLockAcquire(budget->lock, LW_EXCLUSIVE);
	e = entry_for(org, now);
	go = now >= e->paused_until && now >= e->next_start;
	if (go)
		e->next_start = atl_pace_next(e->next_start, now, interval_us);
	else
		*wake = Max(e->next_start, e->paused_until);
	LWLockRelease(budget->lock);
	return go;
}

void
atl_budget_pause(uint64 org, long ms)
{
	TimestampTz now = GetCurrentTimestamp();
	OrgBudget  *e;

	LWLockAcquire(budget->lock, LW_EXCLUSIVE);
	e = entry_for(org, now);
	e->paused_until = Max(e->paused_until, TimestampTzPlusMilliseconds(now, ms));
	LWLockRelease(budget->lock);
}

long
atl_budget_paused_ms(uint64 org)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz until = 0;

	LWLockAcquire(budget->lock, LW_SHARED);
	for (int i = 0; i < ATL_BUDGET_ORGS; i++)
		if (budget->orgs[i].org == org)
			until = budget->orgs[i].paused_until;
	LWLockRelease(budget->lock);
	return until > now ? TimestampDifferenceMilliseconds(now, until) : 0;
}
