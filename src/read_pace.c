/*
 * read_pace.c: reads in a batch, paced by the organization's budget (see
 * read_pace.h).
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include "budget.h"
#include "guc.h"
#include "read_pace.h"

/* the organization's budget allows the start (batch->arg begins with the pace) */
static AtlGate
budget_gate(AtlBatch *batch, AtlBatchJob *job, TimestampTz now, TimestampTz *wake)
{
	AtlReadPace *pace = batch->arg;

	return atl_budget_claim(pace->org_key, pace->per_second, now, wake, &job->ticket) ?
		ATL_GATE_GO : ATL_GATE_WAIT;
}

/* the budget counts the request from when it went out */
static void
budget_sent(AtlBatch *batch, AtlBatchJob *job, TimestampTz at)
{
	atl_budget_sent(((AtlReadPace *) batch->arg)->org_key, job->ticket, at);
}

/* the organization's limit is spent: every session waits (pause_ms is capped) */
static void
budget_limited(AtlBatch *batch, AtlBatchJob *job, long pause_ms)
{
	AtlReadPace *pace = batch->arg;

	atl_budget_pause(pace->org_key, pause_ms);
	if (atl_http_notice_due(pause_ms))
		ereport(NOTICE,
				(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
				 errmsg("atlorg: Atlassian's rate limit pauses these requests for %ld s",
						(pause_ms + 999) / 1000),
				 errdetail("No pause is longer than atlorg.max_pause; a cancel stops it.")));
}

void
atl_read_pace_init(AtlBatch *batch, AtlReadPace *pace, const AtlSource *src)
{
	/* the key and pace of actions.c's requests: one budget for the organization */
	pace->org_key = atl_budget_key(psprintf("%s/admin/v1/orgs/%s", src->api_base, src->org_id));
	pace->per_second = atl_action_rate * 0.97;
	if (atl_budget_ready())
	{
		batch->gate = budget_gate;
		batch->on_limit = budget_limited;
		batch->on_sent = budget_sent;
	}
	else
		batch->per_second = pace->per_second;
}
