/*
 * sync_slices.c: choosing disjoint slices of the directory, proved by the
 * API's counts (see sync_slices.h).  Every round of counts is sent at once,
 * through the batch driver, paced by the organization's budget
 * (pace_gate.h).
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "api.h"
#include "http_batch.h"
#include "api_catalogue.h"
#include "guc.h"
#include "pace_gate.h"
#include "sync_slices.h"

/* the filters that split the directory, with their values (the spec's enums) */
static const struct
{
	const char *field;
	bool		array;			/* the body takes a list (else a string or boolean) */
	bool		boolean;
	int			nvalues;
	const char *values[5];
}			filters[ATL_SLICE_FILTERS] = {
	{"status", true, false, 5,
	{"active", "suspended", "not_invited", "deactivated", "for_deletion"}},
	{"claimStatus", false, false, 2, {"managed", "unmanaged"}},
	{"mfaEnabled", false, true, 2, {"true", "false"}},
};

/*
 * A round of users/count requests.  Every answer is kept until the round
 * ends and then read in the round's order, so the error raised (a refusal,
 * or a body that is not JSON) is the first in that order, whichever answer
 * happened to come back first.
 */
typedef struct CountRound
{
	const int64 *counts;		/* the round's results: a job's place in them */
	MemoryContext cxt;			/* the round's caller's: the answers live on */
	AtlHttpRequest *reqs;		/* each place's request and answer */
	AtlHttpResult *answers;
} CountRound;

/* a slice's filters as a users/count query: status=active&claimStatus=managed */
static char *
slice_query(const int8 *value)
{
	StringInfoData q;

	initStringInfo(&q);
	for (int f = 0; f < ATL_SLICE_FILTERS; f++)
		if (value[f] >= 0)
			appendStringInfo(&q, "%s%s=%s", q.len ? "&" : "", filters[f].field,
							 filters[f].values[value[f]]);
	return q.data;
}

char *
atl_slice_body(const AtlSlice *slice)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int f = 0; f < ATL_SLICE_FILTERS; f++)
	{
		const char *v;

		if (slice->value[f] < 0)
			continue;
		v = filters[f].values[slice->value[f]];
		appendStringInfo(&b, ",\"%s\":", filters[f].field);
		if (filters[f].array)
			appendStringInfo(&b, "[\"%s\"]", v);
		else if (filters[f].boolean)
			appendStringInfoString(&b, v);
		else
			appendStringInfo(&b, "\"%s\"", v);
	}
	return b.len ? b.data + 1 : b.data;
}

char *
atl_slice_name(const AtlSlice *slice)
{
	char	   *q = slice_query(slice->value);

	for (char *p = q; *p; p++)
		if (*p == '&')
			*p = ' ';
	return q[0] ? q : "the whole directory";
}

/* a count came back: keep it, in the round's memory, for its place */
static void
keep_answer(AtlBatch *batch, AtlBatchJob *job, void *arg)
{
	CountRound *round = arg;
	int			place = (int) ((const int64 *) job->user - round->counts);
	MemoryContext old = MemoryContextSwitchTo(round->cxt);

	round->reqs[place] = job->req;
	round->reqs[place].url = pstrdup(job->req.url);
	round->answers[place] = job->res;
	initStringInfo(&round->answers[place].body);
	appendBinaryStringInfo(&round->answers[place].body, job->res.body.data, job->res.body.len);
	MemoryContextSwitchTo(old);
}

/* an answer's count, {"count": N}: an error answer raises; -1 if no count */
static int64
answer_count(const AtlSource *src, const AtlReadOp *op, const AtlHttpRequest *req,
			 const AtlHttpResult *answer)
{
	Jsonb	   *doc = atl_api_answer(src, op, req, answer);
	char	   *text = atl_json_text(&doc->root, "count");
	char	   *end = NULL;
	long long	n = text ? strtoll(text, &end, 10) : -1;

	return text && end && *end == '\0' && n >= 0 ? (int64) n : -1;
}

/*
 * Count every query at once (queries[i] -> counts[i]).  An answer that is
 * an error raises it, as any read does, once the round is over.
 */
static void
count_all(const AtlSource *src, int n, char **queries, int64 *counts)
{
	CountRound	round;
	AtlBatch	batch;
	const AtlReadOp *op = atl_catalogue_find("users.count");
	char	   *base = psprintf("%s/admin/v2/orgs/%s/directories/%s/users/count",
								src->api_base, src->org_id, src->directory_id);

	memset(&batch, 0, sizeof(batch));
	round.counts = counts;
	round.cxt = CurrentMemoryContext;
	round.reqs = palloc0(sizeof(AtlHttpRequest) * n);
	round.answers = palloc0(sizeof(AtlHttpResult) * n);
	atl_http_limits_from_gucs(&batch.limits);
	batch.max_in_flight = n;
	batch.on_done = keep_answer;
	batch.arg = &round;
	atl_read_pace_init(&batch, src);
	for (int i = 0; i < n; i++)
	{
		AtlHttpRequest req = {"GET", NULL, ATL_AUTH_BEARER, NULL, src->api_key, NULL, true};

		req.url = queries[i][0] ? psprintf("%s?%s", base, queries[i]) : base;
		atl_batch_add(&batch, &req, &counts[i]);
	}
	atl_batch_run(&batch);
	for (int i = 0; i < n; i++)
	{
		if (round.reqs[i].url == NULL)
			elog(ERROR, "atlorg: a count of the directory was never answered");
		counts[i] = answer_count(src, op, &round.reqs[i], &round.answers[i]);
	}
}

/* the sum of counts, or -1 if any is missing */
static int64
sum_counts(const int64 *counts, int n)
{
	int64		sum = 0;

	for (int i = 0; i < n; i++)
	{
		if (counts[i] < 0)
			return -1;
		sum += counts[i];
	}
	return sum;
}

bool
atl_slices_recount(const AtlSource *src, AtlSlicePlan *plan)
{
	int			n = plan->nslices + 1;
	char	  **queries = palloc(sizeof(char *) * n);
	int64	   *counts = palloc(sizeof(int64) * n);

	queries[0] = "";
	for (int i = 0; i < plan->nslices; i++)
		queries[i + 1] = slice_query(plan->slices[i].value);
	count_all(src, n, queries, counts);
	plan->total = counts[0];
	for (int i = 0; i < plan->nslices; i++)
		plan->slices[i].count = counts[i + 1];
	plan->counted = sum_counts(counts + 1, plan->nslices);
	return plan->total >= 0 && plan->counted == plan->total;
}

/*
 * Cross the filters whose values add up to the total (splits[f]), leaving
 * out values counted 0: they hold nobody.
 */
static void
cross(AtlSlicePlan *plan, const bool *splits, int64 counts[][5])
{
	int			cap = 1;
	int8		value[ATL_SLICE_FILTERS];

	for (int f = 0; f < ATL_SLICE_FILTERS; f++)
		cap *= splits[f] ? filters[f].nvalues : 1;
	plan->slices = palloc0(sizeof(AtlSlice) * cap);
	plan->nslices = 0;
	memset(value, 0, sizeof(value));
	for (int k = 0; k < cap; k++)
	{
		int			rest = k;
		bool		empty = false;
		AtlSlice   *s = &plan->slices[plan->nslices];

		for (int f = 0; f < ATL_SLICE_FILTERS; f++)
		{
			int			nv = splits[f] ? filters[f].nvalues : 1;

			s->value[f] = splits[f] ? rest % nv : -1;
			empty |= splits[f] && counts[f][s->value[f]] == 0;
			rest /= nv;
		}
		if (!empty)
			plan->nslices++;
	}
}

bool
atl_slices_plan(const AtlSource *src, AtlSlicePlan *plan, int64 small_total, char **detail)
{
	char	   *queries[1 + 5 + 2 + 2];
	int64		counts[1 + 5 + 2 + 2];
	int64		by_value[ATL_SLICE_FILTERS][5];
	bool		splits[ATL_SLICE_FILTERS];
	int			n = 1;
	int			nsplits = 0;

	memset(plan, 0, sizeof(*plan));
	*detail = NULL;
	queries[0] = "";
	for (int f = 0; f < ATL_SLICE_FILTERS; f++)
		for (int v = 0; v < filters[f].nvalues; v++)
			queries[n++] = psprintf("%s=%s", filters[f].field, filters[f].values[v]);
	count_all(src, n, queries, counts);
	plan->total = counts[0];
	if (plan->total >= 0 && plan->total <= small_total)
		return false;

	n = 1;
	for (int f = 0; f < ATL_SLICE_FILTERS; f++)
	{
		memcpy(by_value[f], counts + n, sizeof(int64) * filters[f].nvalues);
		splits[f] = plan->total > 0 &&
			sum_counts(by_value[f], filters[f].nvalues) == plan->total;
		nsplits += splits[f];
		n += filters[f].nvalues;
	}
	if (nsplits == 0)
	{
		*detail = psprintf("The counts of no filter's values (status, claimStatus, mfaEnabled) add up to the directory's count, " INT64_FORMAT ".",
						   plan->total);
		return false;
	}
	cross(plan, splits, by_value);
	if (!atl_slices_recount(src, plan))
	{
		*detail = psprintf("The counts of %d slices add up to " INT64_FORMAT ", the directory's count is " INT64_FORMAT ".",
						   plan->nslices, plan->counted, plan->total);
		return false;
	}
	return plan->nslices > 1;
}
