/*
 * budget.c: the organizations' shared request budgets (see budget.h).
 *
 * A small table of organizations recently acted on; the one used longest
 * ago gives way when it is full, which forgets only a pace, never a
 * request.
 *
 * The pace is a sliding window, as strict limiters count: no second ever
 * holds more starts than the pace allows (the last ones are remembered), so
 * starts held up by a stall (the executor commits between them) are made up
 * for, without ever overflowing the organization's window.  They are made
 * up for at twice the pace at most: a faster burst would crowd the
 * limiter's window with answers the network delivers early or late, and
 * jitter is what a strict limiter answers with 429.  A pace above
 * ATL_BUDGET_WINDOW a second spaces the starts evenly instead (pace.h).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "budget.h"
#include "pace.h"

#define ATL_BUDGET_ORGS 64
#define ATL_BUDGET_WINDOW 256	/* starts remembered per organization */
#define CATCH_UP_SPACING 0.5	/* of the interval: making up at twice the pace */

typedef struct OrgBudget
{
	uint64		org;			/* 0: unused */
	TimestampTz next_start;		/* pacing: no start before this */
	TimestampTz paused_until;	/* the org's limit is spent until then */
	TimestampTz last_used;
	int			head;			/* where the next start is remembered */
	TimestampTz starts[ATL_BUDGET_WINDOW];	/* the latest starts, a ring */
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

bool
atl_budget_ready(void)
{
	return budget != NULL;
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

/*
 * Under the lock, a pace of n a second (1 <= n < ATL_BUDGET_WINDOW): may a
 * start be made now?  Not if the n-th latest start is less than a second
 * old, nor sooner than CATCH_UP_SPACING of an interval after the last.  A
 * start made is remembered.
 */
static bool
window_claim(OrgBudget *e, int n, long interval_us, TimestampTz now, TimestampTz *wake)
{
	TimestampTz nth = e->starts[(e->head - n + ATL_BUDGET_WINDOW) % ATL_BUDGET_WINDOW];

	if (now < e->next_start || (nth != 0 && now - nth < USECS_PER_SEC))
	{
		*wake = Max(e->next_start, nth + USECS_PER_SEC);
		return false;
	}
	e->starts[e->head] = now;
	e->head = (e->head + 1) % ATL_BUDGET_WINDOW;
	e->next_start = now + (long) (interval_us * CATCH_UP_SPACING);
	return true;
}

bool
atl_budget_claim(uint64 org, double per_second, TimestampTz now, TimestampTz *wake)
{
	long		interval_us = per_second > 0 ? (long) (1000000.0 / per_second) : 0;
	int			n = (int) per_second;
	OrgBudget  *e;
	bool		go;

	LWLockAcquire(budget->lock, LW_EXCLUSIVE);
	e = entry_for(org, now);
	if (now < e->paused_until)
	{
		*wake = e->paused_until;
		go = false;
	}
	else if (n >= 1 && n < ATL_BUDGET_WINDOW)
		go = window_claim(e, n, interval_us, now, wake);
	else
	{
		go = now >= e->next_start;
		if (go)
			e->next_start = atl_pace_next(e->next_start, now, interval_us);
		else
			*wake = e->next_start;
	}
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
