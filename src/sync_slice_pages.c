/*
 * sync_slice_pages.c: many slices' cursor chains at once (see
 * sync_slice_pages.h).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/json.h"

#include "api.h"
#include "http_batch.h"
#include "api_catalogue.h"
#include "api_json.h"
#include "api_json_peek.h"
#include "api_pager.h"
#include "pace_gate.h"
#include "sync_slice_pages.h"
#include "read_users.h"

/* an account id read, by a 64-bit hash: a collision looks like a duplicate */
typedef struct SeenId
{
	uint64		hash;
	int			slice;
} SeenId;

typedef struct SliceRun
{
	const AtlSource *src;
	const AtlReadOp *op;		/* users.search */
	char	   *url;
	TupleDesc	desc;
	AtlSlicePlan *plan;
	char	  **bodies;			/* each slice's filters and expansions */
	AtlCursorChain cursors;		/* every slice's next cursors */
	char	  **early;			/* each slice's next page, asked for before conversion */
	MemoryContext cxt;			/* the run's: outlives each page */
	int64		pages;
} SliceRun;

static void
add_page_request(AtlBatch *batch, SliceRun *run, int i, const char *cursor)
{
	AtlHttpRequest req = {"POST", run->url, ATL_AUTH_BEARER, NULL, run->src->api_key,
	NULL, true};
	StringInfoData body;

	initStringInfo(&body);
	appendStringInfo(&body, "{\"limit\":%d,%s", ATL_USERS_PAGE_SIZE, run->bodies[i]);
	if (cursor)
	{
		appendStringInfoString(&body, ",\"cursor\":");
		escape_json(&body, cursor);
	}
	appendStringInfoChar(&body, '}');
	req.body = body.data;
	atl_batch_add(batch, &req, (void *) (intptr_t) i);
}

/* note a user's account id; one seen before marks both slices */
static void
note_id(SliceRun *run, int i, const char *account_id)
{
	uint64		h = hash_bytes_extended((const unsigned char *) account_id,
										strlen(account_id), 0);
	bool		found;
	SeenId	   *e = hash_search(run->plan->ids, &h, HASH_ENTER, &found);

	if (found)
	{
		run->plan->slices[e->slice].duplicate = true;
		run->plan->slices[i].duplicate = true;
		return;
	}
	e->slice = i;
}

/*
 * Page `page` of slice i names the next one: ask for it.  0, or, if the
 * chain has seen that cursor already, the page that named it first (and
 * nothing is asked for).
 */
static int64
follow(AtlBatch *batch, SliceRun *run, int i, const char *next, int64 page)
{
	MemoryContext old = MemoryContextSwitchTo(run->cxt);
	int64		first = atl_cursor_chain_add(&run->cursors,
											 psprintf("%d\n%s", i, next), page);

	MemoryContextSwitchTo(old);
	if (first == 0)
		add_page_request(batch, run, i, next);
	return first;
}

/*
 * A page's cursor, read off it before it is checked and converted
 * (api_json_peek.h): the slice's next page is asked for now.  page_done
 * then finds the same cursor in the converted page.
 */
static void
page_answered(AtlBatch *batch, AtlBatchJob *job, void *arg)
{
	SliceRun   *run = arg;
	int			i = (int) (intptr_t) job->user;
	char	   *next;

	if (job->res.status < 200 || job->res.status > 299)
		return;
	next = atl_json_peek(job->res.body.data, job->res.body.len, "links", "next");
	if (next && next[0] && follow(batch, run, i, next, run->pages + 1) == 0)
		run->early[i] = MemoryContextStrdup(run->cxt, next);
	if (next)
		pfree(next);
}

/* a page's users into the slice, then the next page's request */
static void
page_done(AtlBatch *batch, AtlBatchJob *job, void *arg)
{
	SliceRun   *run = arg;
	int			i = (int) (intptr_t) job->user;
	AtlSlice   *slice = &run->plan->slices[i];
	Jsonb	   *doc = atl_api_answer(run->src, run->op, &job->req, &job->res);
	JsonbContainer *data = atl_json_array(&doc->root, "data");
	char	   *next = atl_json_text(atl_json_object(&doc->root, "links"), "next");

	for (int k = 0; k < atl_json_array_length(data); k++)
	{
		JsonbContainer *user = atl_json_element_object(data, k);
		char	   *id = user ? atl_json_text(user, "accountId") : NULL;

		if (user == NULL)
			continue;
		atl_users_put(slice->rows, run->desc, user);
		slice->paged++;
		if (id)
			note_id(run, i, id);
	}
	run->pages++;
	if (run->early[i])
	{
		/* the walk reads links.next as jsonb does: a difference is a bug */
		if (next == NULL || strcmp(next, run->early[i]) != 0)
			elog(ERROR, "atlorg: a page's cursor read early differs from its converted page's");
		pfree(run->early[i]);
		run->early[i] = NULL;
	}
	else if (next && next[0])
	{
		int64		first = follow(batch, run, i, next, run->pages);

		if (first > 0)
			atl_cursor_chain_error(psprintf("users.search (%s)", atl_slice_name(slice)),
								   next, run->pages, first);
	}
}

/* forget what slice i held: its rows, its ids, its flag */
static void
forget_slice(AtlSlicePlan *plan, int i)
{
	HASH_SEQ_STATUS seq;
	SeenId	   *e;

	tuplestore_clear(plan->slices[i].rows);
	plan->slices[i].paged = 0;
	plan->slices[i].duplicate = false;
	hash_seq_init(&seq, plan->ids);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (e->slice == i)
			hash_search(plan->ids, &e->hash, HASH_REMOVE, NULL);
}

/* the plan's id set and the slices' stores, made at the first paging */
static void
prepare(AtlSlicePlan *plan)
{
	HASHCTL		ctl;

	if (plan->ids)
		return;
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(SeenId);
	ctl.hcxt = CurrentMemoryContext;
	plan->ids = hash_create("atlorg slice ids", 1024, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (int i = 0; i < plan->nslices; i++)
		plan->slices[i].rows = tuplestore_begin_heap(false, false,
													 Max(work_mem / plan->nslices, 64));
}

void
atl_slices_page(const AtlSource *src, AtlSlicePlan *plan, const bool *which, TupleDesc desc)
{
	SliceRun	run;
	AtlBatch	batch;
	int			n = 0;

	prepare(plan);
	memset(&run, 0, sizeof(run));
	memset(&batch, 0, sizeof(batch));
	run.src = src;
	run.op = atl_catalogue_find("users.search");
	run.url = psprintf("%s/admin/v2/orgs/%s/directories/%s/users/search",
					   src->api_base, src->org_id, src->directory_id);
	run.desc = desc;
	run.plan = plan;
	run.cxt = CurrentMemoryContext;
	run.bodies = palloc(sizeof(char *) * plan->nslices);
	run.early = palloc0(sizeof(char *) * plan->nslices);
	atl_http_limits_from_gucs(&batch.limits);
	batch.on_answer = page_answered;
	batch.on_done = page_done;
	batch.arg = &run;
	atl_read_pace_init(&batch, src);
	for (int i = 0; i < plan->nslices; i++)
	{
		char	   *filters = atl_slice_body(&plan->slices[i]);

		if (!which[i])
			continue;
		forget_slice(plan, i);
		run.bodies[i] = psprintf("%s%s%s", ATL_USERS_EXPAND, filters[0] ? "," : "", filters);
		add_page_request(&batch, &run, i, NULL);
		n++;
	}
	/* one request of each chain is on the wire at a time */
	batch.max_in_flight = Max(n, 1);
	atl_batch_run(&batch);
}

void
atl_slices_free(AtlSlicePlan *plan)
{
	for (int i = 0; i < plan->nslices; i++)
		if (plan->slices[i].rows)
		{
			tuplestore_end(plan->slices[i].rows);
			plan->slices[i].rows = NULL;
		}
}
