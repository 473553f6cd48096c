/*
 * pace_budget.c: the organizations' shared request budgets (see
 * pace_budget.h).
 *
 * A small table of organizations recently acted on; the one used longest
 * ago gives way when it is full, which forgets only a pace, never a
 * request.
 *
 * Starts keep to a schedule at the pace (97% of atlorg.action_rate), and a
 * sliding window, as strict limiters count, holds no more than 98% of the
 * limit in any second (the last starts are remembered).  So starts held up
 * by a stall (the executor commits between them, or wakes late) are made up
 * for, in the 1% between the two, without ever overflowing the
 * organization's window: were the window the pace itself, it would bind at
 * every start, and each start's lateness would be lost for good.  They are
 * made up for at twice the pace at most: a faster burst would crowd the
 * limiter's window with answers the network delivers early or late, and
 * jitter is what a strict limiter answers with 429.  A pace above
 * ATL_BUDGET_WINDOW a second spaces the starts evenly instead (pace.h).
 *
 * What the window counts is when a request went out, not when it was let
 * start: one that opens a connection leaves two or three round trips later
 * than one that reuses a connection, and counted at its start it would
 * land in the limiter's window beside requests started a second after it.
 * So a start is remembered as pending, counted in every window until the
 * caller says when it was sent (atl_budget_sent), and then at that moment.
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "pace_budget.h"
#include "guc.h"
#include "pace.h"

#define PACE_OF_LIMIT 0.97		/* the schedule's pace, of atlorg.action_rate */
#define WINDOW_OF_PACE (0.98 / PACE_OF_LIMIT)	/* the most in any second, of the pace */
#define ATL_BUDGET_ORGS 64
#define ATL_BUDGET_WINDOW 256	/* starts remembered per organization */
#define CATCH_UP_SPACING 0.5	/* of the interval: making up at twice the pace */
/* a start never said sent (its process failed) stops counting after this */
#define PENDING_MAX_US (10 * USECS_PER_SEC)
#define TICKET_SLOT_BITS 8		/* ATL_BUDGET_WINDOW == 1 << TICKET_SLOT_BITS */

typedef struct Start
{
	TimestampTz at;				/* sent then, or let start then if pending; 0: free */
	bool		pending;		/* not yet said sent */
	uint32		generation;		/* of the ticket that names it */
} Start;

typedef struct OrgBudget
{
	uint64		org;			/* 0: unused */
	TimestampTz next_start;		/* pacing: no start before this */
	TimestampTz due;			/* the pace's schedule: the next start is due then */
	TimestampTz paused_until;	/* the org's limit is spent until then */
	TimestampTz last_used;
	TimestampTz full_until;		/* the window was full; it cannot empty before */
	uint32		generation;		/* of the last ticket given */
	Start		starts[ATL_BUDGET_WINDOW];	/* the starts that may still count */
} OrgBudget;

StaticAssertDecl(ATL_BUDGET_WINDOW == 1 << TICKET_SLOT_BITS, "tickets name a start");

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

uint64
atl_budget_org_key(const char *api_base, const char *org_id)
{
	return atl_budget_key(psprintf("%s/admin/v1/orgs/%s", api_base, org_id));
}

double
atl_budget_pace(void)
{
	return atl_action_rate * PACE_OF_LIMIT;
}

bool
atl_budget_ready(void)
{
	return budget != NULL;
}

/* the org's entry, or NULL; under the lock */
static OrgBudget *
find_entry(uint64 org)
{
	for (int i = 0; i < ATL_BUDGET_ORGS; i++)
		if (budget->orgs[i].org == org)
			return &budget->orgs[i];
	return NULL;
}

/* the org's entry, made (or taken over) if need be; under the lock */
static OrgBudget *
entry_for(uint64 org, TimestampTz now)
{
	OrgBudget  *e = find_entry(org);
	OrgBudget  *oldest = &budget->orgs[0];

	if (e == NULL)
	{
		for (int i = 0; i < ATL_BUDGET_ORGS; i++)
			if (budget->orgs[i].last_used < oldest->last_used)
				oldest = &budget->orgs[i];
		memset(oldest, 0, sizeof(*oldest));
		oldest->org = org;
		e = oldest;
	}
	e->last_used = now;
	return e;
}

/* does the start still count in the window of a second ending now? */
static bool
start_counts(const Start *s, TimestampTz now)
{
	if (s->at == 0)
		return false;
	return now - s->at < (s->pending ? PENDING_MAX_US : USECS_PER_SEC);
}

/* remember a start in slot i, pending; its ticket names it */
static uint32
remember_start(OrgBudget *e, int i, TimestampTz now)
{
	Start	   *s = &e->starts[i];

	/* a generation of 0 would make ticket 0, which names nothing */
	if (++e->generation >= (1U << (32 - TICKET_SLOT_BITS)))
		e->generation = 1;
	s->at = now;
	s->pending = true;
	s->generation = e->generation;
	return (e->generation << TICKET_SLOT_BITS) | (uint32) i;
}

/*
 * Under the lock, a pace of one start an interval, and at most n in any
 * second (1 <= n < ATL_BUDGET_WINDOW): may a start be made now?  Not if n
 * requests count in the second ending now
 * (sent in it, or pending), nor sooner than CATCH_UP_SPACING of an interval
 * after the last start.  A start made is remembered, pending.
 */
static bool
window_claim(OrgBudget *e, int n, long interval_us, TimestampTz now,
			 TimestampTz *wake, uint32 *ticket)
{
	int			counted = 0;
	int			free_slot = -1;
	TimestampTz oldest_sent = DT_NOEND;

	if (now < e->next_start || now < e->full_until)
	{
		*wake = Max(e->next_start, e->full_until);
		return false;
	}
	for (int i = 0; i < ATL_BUDGET_WINDOW; i++)
	{
		const Start *s = &e->starts[i];

		if (!start_counts(s, now))
		{
			free_slot = free_slot < 0 ? i : free_slot;
			continue;
		}
		counted++;
		if (!s->pending)
			oldest_sent = Min(oldest_sent, s->at);
	}
	if (counted >= n || free_slot < 0)
	{
		/* no fewer count until the oldest sent leaves (or a pending one is withdrawn) */
		e->full_until = oldest_sent != DT_NOEND ? oldest_sent + USECS_PER_SEC : now + interval_us;
		/*
		 * A full window is the pace kept, not fallen behind: nothing to
		 * catch up.  But a window full only until a moment after the start
		 * is due (by the time the start a second ago took to go out) keeps
		 * the schedule: moving it would slow every later start by that.
		 */
		if (e->full_until - e->due > interval_us / 2)
			e->due = e->full_until;
		*wake = e->full_until;
		return false;
	}
	*ticket = remember_start(e, free_slot, now);
	/*
	 * On schedule, the next start waits for its time; behind it, it may
	 * come at twice the pace.  Behind by more than a second, the schedule
	 * begins again: what was owed was idle time, not a stall.
	 */
	if (now - e->due > USECS_PER_SEC)
		e->due = now;
	e->due += interval_us;
	e->next_start = Max(e->due, now + (long) (interval_us * CATCH_UP_SPACING));
	return true;
}

bool
atl_budget_claim(uint64 org, double per_second, TimestampTz now, TimestampTz *wake,
				 uint32 *ticket)
{
	long		interval_us = per_second > 0 ? (long) (1000000.0 / per_second) : 0;
	/* the window's most: 98 for a pace of 97 */
	int			n = (int) floor(per_second * WINDOW_OF_PACE + 1e-6);
	OrgBudget  *e;
	bool		go;

	*ticket = 0;
	LWLockAcquire(budget->lock, LW_EXCLUSIVE);
	e = entry_for(org, now);
	if (now < e->paused_until)
	{
		*wake = e->paused_until;
		go = false;
	}
	else if (n >= 1 && n < ATL_BUDGET_WINDOW)
		go = window_claim(e, n, interval_us, now, wake, ticket);
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
atl_budget_sent(uint64 org, uint32 ticket, TimestampTz at)
{
	OrgBudget  *e;
	Start	   *s;

	if (ticket == 0)
		return;
	LWLockAcquire(budget->lock, LW_EXCLUSIVE);
	e = find_entry(org);
	s = e ? &e->starts[ticket & (ATL_BUDGET_WINDOW - 1)] : NULL;
	/* not if the entry was given to another org, or the start expired and was reused */
	if (s && s->pending && s->generation == ticket >> TICKET_SLOT_BITS)
	{
		s->pending = false;
		s->at = at;
		if (at == 0)
			e->full_until = 0;	/* one fewer counts now */
	}
	LWLockRelease(budget->lock);
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
