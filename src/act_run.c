/*
 * act_run.c: atl_actions_run() (act.h), the one path of every action,
 * single or set-based, and of the writable views: everything is checked
 * first, then the call's requests become one run (run_shmem.h; queued in
 * atl_queue for a background run, run_store.h) and go through the executor
 * many at once (atl_executor_run_many()), one audit row per request as
 * each ends.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "act_catalogue.h"
#include "act_predict.h"
#include "act.h"
#include "exec.h"
#include "guc.h"
#include "run_store.h"
#include "run_shmem.h"
#include "fdw_source.h"
#include "guard_statement.h"

typedef struct ActionRun
{
	ActionItem *items;
	int			n;
	int			next;
	AtlSource  *src;
	bool		dry_run;
	char	  **protections;	/* NULL when forced */
	AtlPrediction *predictions; /* a dry run's; else NULL */
	char	   *cap_refusal;	/* refused by the statement's cap: why */
	bool	   *repeated;		/* the same request as an earlier item */
	TupleDesc	desc;
	ActionRowSink sink;
	void	   *sink_arg;
	MemoryContext row_cxt;
	int64		run_id;			/* run_shmem.h; 0 in a database still at 1.0 */
} ActionRun;

static void put_row(const AtlActionRequest *req, const AtlActionResult *res, void *arg);

static int
compare_strings(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

static int
compare_items(const ActionItem *a, const ActionItem *b)
{
	int			c = strcmp(a->account_id, b->account_id);

	if (c == 0)
		c = (a->op > b->op) - (a->op < b->op);
	if (c == 0)
		c = compare_strings(a->target, b->target);
	if (c == 0)
		c = compare_strings(a->body, b->body);
	return c;
}

static ActionItem *sorting;		/* qsort's comparator has no argument */

static int
compare_positions(const void *a, const void *b)
{
	int			i = *(const int *) a;
	int			j = *(const int *) b;
	int			c = compare_items(&sorting[i], &sorting[j]);

	return c != 0 ? c : (i > j) - (i < j);
}

/*
 * The same request asked for twice in one call is one intent: it is sent
 * (and recorded) once, for its first item.
 */
static bool *
mark_repeats(ActionItem *items, int n)
{
	int		   *order = palloc(sizeof(int) * n);
	bool	   *repeated = palloc0(sizeof(bool) * n);

	for (int i = 0; i < n; i++)
		order[i] = i;
	sorting = items;
	qsort(order, n, sizeof(int), compare_positions);
	for (int k = 1; k < n; k++)
		repeated[order[k]] = compare_items(&items[order[k - 1]], &items[order[k]]) == 0;
	pfree(order);
	return repeated;
}

/*
 * Everything that can fail before sending fails here, for every item: the
 * values, the body, the URL, the credentials.
 */
static void
check_all(ActionRun *run, const char *server)
{
	AtlActionRequest *scratch = palloc(sizeof(AtlActionRequest));

	for (int i = 0; i < run->n; i++)
		atl_action_item_check(&run->items[i]);
	run->src = atl_action_items_source(run->items, run->n, server);
	for (int i = 0; i < run->n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		atl_action_item_request(scratch, &run->items[i], run->src, run->dry_run, NULL);
	}
	explicit_bzero(scratch, sizeof(AtlActionRequest));
	pfree(scratch);
}

static bool
next_request(AtlActionRequest *req, void *arg)
{
	ActionRun  *run = arg;
	int			i = run->next;

	while (i < run->n && run->repeated[i])
		i++;
	if (i >= run->n)
		return false;
	run->next = i + 1;
	/*
	 * A plan's own reason to skip stands whatever force says; a protection
	 * skips what a refused call would not have sent anyway.
	 */
	atl_action_item_request(req, &run->items[i], run->src, run->dry_run,
							run->items[i].skip_reason ? run->items[i].skip_reason :
							run->protections && run->protections[i] ? run->protections[i] :
							run->cap_refusal);
	atl_prediction_to_request(req, run->predictions ? &run->predictions[i] : NULL);
	req->run_id = run->run_id;
	req->verify = atl_verify;
	/* cancelled from another session: the rest is recorded, never sent */
	req->cancelled = atl_run_cancelled(run->run_id);
	return true;
}

/* the distinct requests of a run: what it plans */
static int
count_distinct(const ActionRun *run)
{
	int			n = 0;

	for (int i = 0; i < run->n; i++)
		n += !run->repeated[i];
	return n;
}

/*
 * What the run will send: its distinct requests but for those skipped (a
 * protection, a plan's reason); a dry run sends nothing.
 */
static int
count_sends(const ActionRun *run)
{
	int			n = 0;

	if (run->dry_run)
		return 0;
	for (int i = 0; i < run->n; i++)
		n += !run->repeated[i] && run->items[i].skip_reason == NULL &&
			(run->protections == NULL || run->protections[i] == NULL);
	return n;
}

/* a background run's queued request, as the row the caller gets back */
static void
put_queued_row(const AtlActionRequest *req, void *arg)
{
	AtlActionResult res;

	memset(&res, 0, sizeof(res));
	strlcpy(res.outcome, "queued", sizeof(res.outcome));
	put_row(req, &res, arg);
}

/* atlorg.background: queue the run in the caller's transaction, send nothing now */
static void
queue_run(ActionRun *run)
{
	int64		run_id = atl_run_store_queue(run->src->server_name, run->dry_run,
											 next_request, run, put_queued_row, run);

	atl_executor_wake_at_commit();
	ereport(NOTICE,
			(errmsg_plural("atlorg: run %lld queued %d request; it starts when this transaction commits",
						   "atlorg: run %lld queued %d requests; it starts when this transaction commits",
						   count_distinct(run), (long long) run_id, count_distinct(run)),
			 errhint("Watch it in atl_run_progress; atl_run_wait(%lld) waits for its end.",
					 (long long) run_id)));
}

/* the requests through the executor, waiting for each outcome */
static void
run_now(ActionRun *run)
{
	run->run_id = atl_run_open(run->src->server_name, count_distinct(run), run->dry_run);
	PG_TRY();
	{
		atl_executor_run_many(next_request, put_row, run);
	}
	PG_FINALLY();
	{
		atl_run_close(run->run_id);
	}
	PG_END_TRY();
}

static void
put_row(const AtlActionRequest *req, const AtlActionResult *res, void *arg)
{
	ActionRun  *run = arg;
	MemoryContext old = MemoryContextSwitchTo(run->row_cxt);
	HeapTuple	row = atl_action_audit_tuple(run->desc, req, res);

	MemoryContextSwitchTo(old);
	run->sink(row, run->sink_arg);
	MemoryContextReset(run->row_cxt);
}

void
atl_actions_run(ActionItem *items, int n, const char *server, bool dry_run, bool force,
				TupleDesc desc, ActionRowSink sink, void *arg)
{
	ActionRun	run = {items, n, 0, NULL, dry_run};

	check_all(&run, server);
	run.repeated = mark_repeats(items, n);
	/* who is protected (unless forced) and, for a dry run, what Atlassian would say */
	atl_action_screen(run.src, items, n, !force, dry_run, &run.protections, &run.predictions);
	run.desc = desc;
	run.sink = sink;
	run.sink_arg = arg;
	run.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "atlorg action row",
										ALLOCSET_SMALL_SIZES);
	/*
	 * The statement's cap and warning, before anything is sent or queued.
	 * A call the cap refuses after the statement sent others is recorded
	 * (as skipped, nothing sent) before the ERROR: the executor's audit
	 * rows outlive it, and say where the statement stopped.
	 */
	run.cap_refusal = atl_statement_guard_cap_refusal(count_sends(&run), atl_background);
	if (run.cap_refusal)
		run_now(&run);
	atl_statement_guard_requests(count_sends(&run), atl_background);
	if (atl_background)
		queue_run(&run);
	else
		run_now(&run);
	MemoryContextDelete(run.row_cxt);
}
