/*
 * pace_gate.c: the organization's budget as a batch's gate, for the
 * executor's actions and a backend's reads (see pace_gate.h).
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include "pace_budget.h"
#include "guc.h"
#include "pace_gate.h"

AtlGate
atl_budget_gate(AtlBatch *batch, AtlBatchJob *job, TimestampTz now, TimestampTz *wake)
{
	return atl_budget_claim(job->pace_key, job->per_second, now, wake, &job->ticket) ?
		ATL_GATE_GO : ATL_GATE_WAIT;
}

void
atl_budget_job_sent(AtlBatch *batch, AtlBatchJob *job, TimestampTz at)
{
	atl_budget_sent(job->pace_key, job->ticket, at);
}

/* the organization's limit is spent: every session waits (pause_ms is capped) */
static void
budget_limited(AtlBatch *batch, AtlBatchJob *job, long pause_ms)
{
	atl_budget_pause(job->pace_key, pause_ms);
	if (atl_http_notice_due(pause_ms))
		ereport(NOTICE,
				(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
				 errmsg("atlorg: Atlassian's rate limit pauses these requests for %ld s",
						(pause_ms + 999) / 1000),
				 errdetail("No pause is longer than atlorg.max_pause; a cancel stops it.")));
}

void
atl_read_pace_init(AtlBatch *batch, const AtlSource *src)
{
	/* the key and pace of act.c's requests: one budget for the organization */
	batch->pace_key = atl_budget_org_key(src->api_base, src->org_id);
	batch->per_second = atl_budget_pace();
	if (atl_budget_ready())
	{
		batch->gate = atl_budget_gate;
		batch->on_limit = budget_limited;
		batch->on_sent = atl_budget_job_sent;
	}
}
