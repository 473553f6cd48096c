/*
 * pace.h: the one pacing rule, shared by a batch's own pace (http_batch.c) and
 * an organization's shared budget (pace_budget.c).
 */
#ifndef ATLORG_PACE_H
#define ATLORG_PACE_H

#include "datatype/timestamp.h"

/*
 * When the next start is due, after one now: interval_us after the one
 * scheduled, keeping to the schedule, so that a late start does not push
 * later ones back (but a long idle time earns no burst).
 */
static inline TimestampTz
atl_pace_next(TimestampTz scheduled, TimestampTz now, long interval_us)
{
	return (now - scheduled < interval_us ? scheduled : now) + interval_us;
}

#endif
