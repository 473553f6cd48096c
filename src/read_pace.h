/*
 * read_pace.h: a backend's batch of reads paced as the organization's
 * actions are, so that reading many pages at once never exceeds atlorg's
 * pace: starts claimed from the organization's shared budget (budget.h) at
 * 97% of atlorg.action_rate, shared with every executor and session, and a
 * 429 seen here pauses all of them.  Without the shared budget (atlorg not
 * preloaded) the batch keeps that pace, and its pauses, on its own.
 */
#ifndef ATLORG_READ_PACE_H
#define ATLORG_READ_PACE_H

#include "batch.h"
#include "source.h"

typedef struct AtlReadPace
{
	uint64		org_key;		/* the organization's budget */
	double		per_second;		/* 0: unpaced */
} AtlReadPace;

/*
 * Pace batch for src's organization.  batch->arg must point to a struct
 * whose first member is *pace (the gate finds it there), set by the caller.
 */
extern void atl_read_pace_init(AtlBatch *batch, AtlReadPace *pace, const AtlSource *src);

#endif
