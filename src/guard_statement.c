/*
 * guard_statement.c: what holds for the actions of one statement, whichever
 * way it sends them (set-based calls, UPDATE atl_directory, per-row calls,
 * a background run's queueing):
 *
 * - at most atlorg.max_statement_actions requests: the statement fails
 *   before sending the request that would go over;
 * - a WARNING, once, when they are sent inside a transaction block
 *   (Atlassian has no rollback);
 * - the same request is sent once: a later call gets the first one's row.
 *
 * "The statement" of the first two is the top-level one, what the client
 * sent (a portal, from its start; each FETCH of a cursor on its own): a
 * PL/pgSQL function's loop is inside it, and counted with it.  The third
 * is the innermost query running the call: two statements of a PL/pgSQL
 * loop send twice, as written; the columns of (atl_enable(x)).*, which
 * PostgreSQL calls once per column in the same query, send once.
 */
#include "postgres.h"

#include "access/xact.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "tcop/utility.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "guc.h"
#include "guard_statement.h"

static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorRun_hook_type prev_executor_run = NULL;
static ExecutorFinish_hook_type prev_executor_finish = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

/* how deep in statements we are: 0 between the client's statements */
static int	nesting = 0;

/*
 * The top-level statement's requests so far, whether it was warned, and
 * whether it runs in a transaction block: asked when it starts, before a
 * PL/pgSQL EXCEPTION block's subtransaction would look like one.
 */
static int	statement_requests = 0;
static bool statement_warned = false;
static bool statement_in_block = false;

/* the innermost query running, whose calls share their rows */
#define MAX_RUNNING 256
static QueryDesc *running[MAX_RUNNING];
static int	nrunning = 0;

static void
new_statement(void)
{
	statement_requests = 0;
	statement_warned = false;
	statement_in_block = IsTransactionBlock();
}

static void
guard_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (nesting == 0)
		new_statement();
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
push_running(QueryDesc *queryDesc)
{
	nesting++;
	if (nrunning < MAX_RUNNING)
		running[nrunning] = queryDesc;
	nrunning++;
}

static void
pop_running(void)
{
	nesting--;
	nrunning--;
}

static void
guard_executor_run(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
				   bool execute_once)
{
	push_running(queryDesc);
	PG_TRY();
	{
		if (prev_executor_run)
			prev_executor_run(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		pop_running();
	}
	PG_END_TRY();
}

/* AFTER triggers run here: they belong to the same statement */
static void
guard_executor_finish(QueryDesc *queryDesc)
{
	push_running(queryDesc);
	PG_TRY();
	{
		if (prev_executor_finish)
			prev_executor_finish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		pop_running();
	}
	PG_END_TRY();
}

static void
guard_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					  ProcessUtilityContext context, ParamListInfo params,
					  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (nesting == 0)
		new_statement();
	nesting++;
	PG_TRY();
	{
		if (prev_process_utility)
			prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
								 queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
									queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
}

void
atl_statement_guard_init(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = guard_executor_start;
	prev_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = guard_executor_run;
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = guard_executor_finish;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = guard_process_utility;
}

static bool
is_atlorg_worker(void)
{
	return IsBackgroundWorker && MyBgworkerEntry != NULL &&
		strcmp(MyBgworkerEntry->bgw_library_name, "atlorg") == 0;
}

/* the cap: atlorg.max_statement_actions, -1 for none */
static void
check_cap(int n)
{
	int			total = statement_requests + n;

	if (atl_max_statement_actions < 0 || total <= atl_max_statement_actions)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			 errmsg_plural("atlorg: this statement would send %d request, more than atlorg.max_statement_actions (%d)",
						   "atlorg: this statement would send %d requests, more than atlorg.max_statement_actions (%d)",
						   total, total, atl_max_statement_actions),
			 statement_requests == 0 ?
			 errdetail("Nothing was sent.") :
			 errdetail_plural("The %d request before this call was sent; this call's %d and any after it were not (atl_audit has them all, this call's as skipped).",
							  "The %d requests before this call were sent; this call's %d and any after it were not (atl_audit has them all, this call's as skipped).",
							  statement_requests, statement_requests, n),
			 errhint("Act on fewer accounts at once, or raise the cap for this session: SET atlorg.max_statement_actions = %d (up to the ceiling a superuser set).",
					 total)));
}

/*
 * Before the cap refuses a call of a statement that has sent requests
 * already (per-row calls, a PL/pgSQL loop): why, for the audit rows that
 * record the call's requests as skipped before the statement fails.  The
 * ERROR undoes the statement's transaction, but not what was sent, and
 * the audit must say where the statement stopped.  A statement refused
 * before sending anything has nothing to reconcile: the ERROR says it all.
 */
char *
atl_statement_guard_cap_refusal(int n, bool queued)
{
	/* a queued run's requests go with the transaction the ERROR aborts */
	if (n <= 0 || queued || is_atlorg_worker() || nesting == 0 ||
		atl_max_statement_actions < 0 || statement_requests == 0 ||
		statement_requests + n <= atl_max_statement_actions)
		return NULL;
	return psprintf(statement_requests == 1 ?
					"not sent: its statement had sent %d request, and atlorg.max_statement_actions is %d; the statement failed here" :
					"not sent: its statement had sent %d requests, and atlorg.max_statement_actions is %d; the statement failed here",
					statement_requests, atl_max_statement_actions);
}

static void
warn_transaction_block(void)
{
	if (statement_warned || !statement_in_block)
		return;
	statement_warned = true;
	ereport(WARNING,
			(errmsg("atlorg: actions are sent to Atlassian at once, inside this transaction block; a ROLLBACK will not undo them"),
			 errdetail("Atlassian has no rollback: what was sent stays done, whatever this transaction does."),
			 errhint("Preview with atlorg.dry_run, and act outside BEGIN ... COMMIT, or queue a background run (atlorg.background), which is sent only if the transaction commits.")));
}

void
atl_statement_guard_requests(int n, bool queued)
{
	/*
	 * atlorg's own background workers send what a statement queued, counted
	 * then; any other (a pg_cron job's) is a statement like any other.
	 */
	if (n <= 0 || is_atlorg_worker())
		return;
	/* outside any statement (a fast-path call): the call is the statement */
	if (nesting == 0)
		new_statement();
	check_cap(n);
	statement_requests += n;
	if (!queued)
		warn_transaction_block();
}

/*
 * The rows of the innermost query's calls, in a context that is its
 * query's: freed with it, which forgets the entry (no pointer outlives it).
 */
typedef struct SeenRows
{
	QueryDesc  *query;
	MemoryContext cxt;
	HTAB	   *rows;
	MemoryContextCallback forget;
	struct SeenRows *next;
} SeenRows;

typedef struct SeenRow
{
	char	   *key;			/* hash key: the pointer; compared by content */
	HeapTuple	row;
} SeenRow;

static SeenRows *seen_lists = NULL;

static void
forget_seen(void *arg)
{
	SeenRows  **p = &seen_lists;

	while (*p && *p != arg)
		p = &(*p)->next;
	if (*p)
		*p = (*p)->next;
}

static uint32
seen_hash(const void *key, Size keysize)
{
	return string_hash(*(char *const *) key, strlen(*(char *const *) key) + 1);
}

static int
seen_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static QueryDesc *
innermost_query(void)
{
	if (nrunning == 0 || nrunning > MAX_RUNNING)
		return NULL;
	return running[nrunning - 1];
}

static SeenRows *
seen_of(QueryDesc *query, bool create)
{
	SeenRows   *s;
	HASHCTL		ctl;
	MemoryContext cxt;

	for (s = seen_lists; s; s = s->next)
		if (s->query == query)
			return s;
	if (!create || query->estate == NULL)
		return NULL;
	cxt = AllocSetContextCreate(query->estate->es_query_cxt, "atlorg statement rows",
								ALLOCSET_SMALL_SIZES);
	s = MemoryContextAllocZero(cxt, sizeof(SeenRows));
	s->query = query;
	s->cxt = cxt;
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(SeenRow);
	ctl.hash = seen_hash;
	ctl.match = seen_match;
	ctl.hcxt = cxt;
	s->rows = hash_create("atlorg statement rows", 16, &ctl,
						  HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	s->forget.func = forget_seen;
	s->forget.arg = s;
	MemoryContextRegisterResetCallback(cxt, &s->forget);
	s->next = seen_lists;
	seen_lists = s;
	return s;
}

HeapTuple
atl_statement_guard_seen(const char *key)
{
	QueryDesc  *query = innermost_query();
	SeenRows   *s = query ? seen_of(query, false) : NULL;
	SeenRow    *found;

	if (s == NULL)
		return NULL;
	found = hash_search(s->rows, &key, HASH_FIND, NULL);
	return found ? heap_copytuple(found->row) : NULL;
}

void
atl_statement_guard_remember(const char *key, HeapTuple row)
{
	QueryDesc  *query = innermost_query();
	SeenRows   *s = query ? seen_of(query, true) : NULL;
	char	   *kept;
	SeenRow    *entry;
	bool		found;

	if (s == NULL)
		return;
	kept = MemoryContextStrdup(s->cxt, key);
	entry = hash_search(s->rows, &kept, HASH_ENTER, &found);
	if (!found)
	{
		entry->key = kept;
		entry->row = MemoryContextAlloc(s->cxt, HEAPTUPLESIZE + row->t_len);
		entry->row->t_len = row->t_len;
		entry->row->t_self = row->t_self;
		entry->row->t_tableOid = row->t_tableOid;
		entry->row->t_data = (HeapTupleHeader) ((char *) entry->row + HEAPTUPLESIZE);
		memcpy(entry->row->t_data, row->t_data, row->t_len);
	}
}
