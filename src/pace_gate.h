/*
 * pace_gate.h: the organization's shared budget (pace_budget.h) as a batch's
 * gate.  The executor's actions and a backend's reads of many pages at
 * once start when the budget allows, at atlorg's pace (pace_budget.h), shared
 * with every executor and session; a 429 seen by one pauses all of them.
 * Without the shared budget (atlorg not preloaded) a batch of reads keeps
 * that pace, and its pauses, on its own.
 */
#ifndef ATLORG_PACE_GATE_H
#define ATLORG_PACE_GATE_H

#include "http_batch.h"
#include "fdw_source.h"

/* the gate: the job's start is claimed from its pace_key's budget */
extern AtlGate atl_budget_gate(AtlBatch *batch, AtlBatchJob *job, TimestampTz now,
							   TimestampTz *wake);

/* on_sent: the budget counts the start from when the request went out */
extern void atl_budget_job_sent(AtlBatch *batch, AtlBatchJob *job, TimestampTz at);

/* pace a batch of reads of src's organization (its jobs: batch-wide key and pace) */
extern void atl_read_pace_init(AtlBatch *batch, const AtlSource *src);

#endif
