/*
 * run_store.c: a backend's writes and reads of atl_run and atl_queue
 * (run_store.h).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "guc.h"
#include "guard_pinned.h"
#include "run_store.h"

#define QUEUE_FLUSH 1000		/* queue rows per INSERT */
#define QUEUE_COLUMNS 12		/* seq .. skip_reason, then a dry run's prediction */

bool
atl_run_store_ready(void)
{
	Oid			nsp = get_namespace_oid("atlorg", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("atl_queue", nsp));
}

bool
atl_queue_has_predictions(void)
{
	Oid			nsp = get_namespace_oid("atlorg", true);
	Oid			queue = OidIsValid(nsp) ? get_relname_relid("atl_queue", nsp) : InvalidOid;

	return OidIsValid(queue) && get_attnum(queue, "predicted_key") != InvalidAttrNumber;
}

void
atl_run_statement_text(char *buf, size_t size)
{
	const char *text = debug_query_string ? debug_query_string : "";
	int			len = pg_mbcliplen(text, strlen(text), size - 1);

	memcpy(buf, text, len);
	buf[len] = '\0';
}

void
atl_as_executor_begin(AtlAsExecutor *as)
{
	GetUserIdAndSecContext(&as->saved_user, &as->saved_context);
	SetUserIdAndSecContext(get_role_oid("atlorg_executor", false),
						   as->saved_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	as->pinned = atl_pin_search_path();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "atlorg: SPI_connect failed");
}

void
atl_as_executor_end(AtlAsExecutor *as)
{
	SPI_finish();
	atl_unpin_search_path(as->pinned);
	SetUserIdAndSecContext(as->saved_user, as->saved_context);
}

int64
atl_run_next_id(void)
{
	AtlAsExecutor as;
	bool		isnull;
	int64		id;

	atl_as_executor_begin(&as);
	if (SPI_execute("SELECT pg_catalog.nextval('atlorg.atl_run_ids')", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not allocate a run id");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	atl_as_executor_end(&as);
	return id;
}

static char *
column_text(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

bool
atl_run_store_load(int64 run_id, AtlRunEntry *e)
{
	Datum		arg = Int64GetDatum(run_id);
	Oid			type = INT8OID;
	int			pinned = atl_pin_search_path();
	bool		found;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "atlorg: SPI_connect failed");
	if (SPI_execute_with_args("SELECT acted_by_oid, background, state, server, acted_by, "
							  "session_role, backend_pid, dry_run, verify, total "
							  "FROM atlorg.atl_run WHERE id = $1",
							  1, &type, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "atlorg: could not read atl_run");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("run %lld does not exist", (long long) run_id),
				 errhint("A background run exists once the transaction that queued it commits.")));
	found = strcmp(column_text(0, 3), "finished") != 0 && strcmp(column_text(0, 3), "cancelled") != 0;
	memset(e, 0, sizeof(*e));
	e->run_id = run_id;
	e->acted_by_oid = atooid(column_text(0, 1));
	e->background = strcmp(column_text(0, 2), "t") == 0;
	e->paused = e->recorded_paused = strcmp(column_text(0, 3), "paused") == 0;
	e->row_written = true;
	strlcpy(e->server, column_text(0, 4), sizeof(e->server));
	strlcpy(e->acted_by, column_text(0, 5), sizeof(e->acted_by));
	strlcpy(e->session_role, column_text(0, 6), sizeof(e->session_role));
	e->backend_pid = atoi(column_text(0, 7));
	e->dry_run = strcmp(column_text(0, 8), "t") == 0;
	e->verify = strcmp(column_text(0, 9), "t") == 0;
	e->total = strtoll(column_text(0, 10), NULL, 10);
	/* a synchronous run that is not in memory has ended with its backend */
	found = found && e->background;
	SPI_finish();
	atl_unpin_search_path(pinned);
	return found;
}

/* --- queueing a background run ---------------------------------------- */

/* the statement's background run, shared by its actions */
static int64 queued_run = 0;
static LocalTransactionId queued_lxid = InvalidLocalTransactionId;
static TimestampTz queued_statement = 0;
static int32 queued_seq = 0;

/* the columns of queue rows on their way, as arrays */
typedef struct QueueColumns
{
	int			n;
	ArrayBuildState *cols[QUEUE_COLUMNS];
} QueueColumns;

static const Oid queue_types[QUEUE_COLUMNS] = {INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
TEXTOID, TEXTOID, BOOLOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};

static void
reset_columns(QueueColumns *q)
{
	q->n = 0;
	for (int c = 0; c < QUEUE_COLUMNS; c++)
		q->cols[c] = initArrayResult(queue_types[c], CurrentMemoryContext, false);
}

static void
add_text(QueueColumns *q, int c, const char *s)
{
	bool		null = s == NULL || s[0] == '\0';

	accumArrayResult(q->cols[c], null ? (Datum) 0 : CStringGetTextDatum(s), null,
					 TEXTOID, CurrentMemoryContext);
}

static void
add_row(QueueColumns *q, const AtlActionRequest *req, int32 seq)
{
	accumArrayResult(q->cols[0], Int32GetDatum(seq), false, INT4OID, CurrentMemoryContext);
	add_text(q, 1, req->action);
	add_text(q, 2, req->account_id);
	add_text(q, 3, req->target);
	add_text(q, 4, req->body);
	add_text(q, 5, req->method);
	add_text(q, 6, req->url);
	accumArrayResult(q->cols[7], BoolGetDatum(req->auth == ATL_AUTH_BASIC), false, BOOLOID,
					 CurrentMemoryContext);
	add_text(q, 8, req->skip_reason);
	add_text(q, 9, req->predicted_key);
	add_text(q, 10, req->predicted_reason);
	add_text(q, 11, req->predicted);
	q->n++;
}

/*
 * The rows gathered so far, in one INSERT (already as atlorg_executor).  A
 * dry run's predictions go with them, computed as the caller: a database
 * whose queue has no column for them (still at 1.1) queues without.
 */
static void
flush_rows(QueueColumns *q, int64 run_id)
{
	Oid			types[QUEUE_COLUMNS + 1] = {INT8OID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, BOOLARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[QUEUE_COLUMNS + 1];
	bool		predictions = atl_queue_has_predictions();

	if (q->n == 0)
		return;
	values[0] = Int64GetDatum(run_id);
	for (int c = 0; c < QUEUE_COLUMNS; c++)
		values[c + 1] = makeArrayResult(q->cols[c], CurrentMemoryContext);
	if (SPI_execute_with_args(psprintf("INSERT INTO atlorg.atl_queue (run_id, seq, action, account_id, "
									   "target, params, method, url, site_auth, skip_reason%s) "
									   "SELECT $1, x.s, x.a, x.acc, x.t, x.p::pg_catalog.jsonb, x.m, x.u, "
									   "x.sa, x.sk%s FROM ROWS FROM (pg_catalog.unnest($2), "
									   "pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
									   "pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), "
									   "pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11), "
									   "pg_catalog.unnest($12), pg_catalog.unnest($13)) "
									   "AS x(s, a, acc, t, p, m, u, sa, sk, pk, pr, pd)",
									   predictions ? ", predicted_key, predicted_reason, predicted_detail" : "",
									   predictions ? ", x.pk, x.pr, x.pd" : ""),
							  QUEUE_COLUMNS + 1, types, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "atlorg: could not queue the run's requests");
}

/* the role that acts, taken before the switch to atlorg_executor */
static Oid	acting_role = InvalidOid;

/* the run's row: new, or the statement's earlier one planning more */
static void
write_run_row(int64 run_id, bool is_new, const char *server, bool dry_run, int added)
{
	Oid			types[9] = {INT8OID, TIMESTAMPTZOID, NAMEOID, OIDOID, NAMEOID, INT4OID, NAMEOID,
	BOOLOID, INT8OID};
	Datum		values[9];
	AtlRunEntry *text = palloc(sizeof(AtlRunEntry));	/* for its buffers */
	Oid			ttypes[2] = {TEXTOID, TEXTOID};
	Datum		tvalues[2];
	char		tnulls[2];

	values[0] = Int64GetDatum(run_id);
	values[8] = Int64GetDatum(added);
	if (!is_new)
	{
		if (SPI_execute_with_args("UPDATE atlorg.atl_run SET total = total + $2 WHERE id = $1",
								  2, (Oid[]) {INT8OID, INT8OID}, (Datum[]) {values[0], values[8]},
								  NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "atlorg: could not update the run");
		return;
	}
	values[1] = TimestampTzGetDatum(GetCurrentStatementStartTimestamp());
	values[2] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(acting_role, false)));
	values[3] = ObjectIdGetDatum(acting_role);
	values[4] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetSessionUserId(), false)));
	values[5] = Int32GetDatum(MyProcPid);
	values[6] = DirectFunctionCall1(namein, CStringGetDatum(server));
	values[7] = BoolGetDatum(dry_run);
	atl_run_statement_text(text->statement, sizeof(text->statement));
	tvalues[0] = CStringGetTextDatum(atl_run_label ? atl_run_label : "");
	tvalues[1] = CStringGetTextDatum(text->statement);
	tnulls[0] = atl_run_label && atl_run_label[0] ? ' ' : 'n';
	tnulls[1] = text->statement[0] ? ' ' : 'n';
	if (SPI_execute_with_args("INSERT INTO atlorg.atl_run (id, started_at, acted_by, acted_by_oid, "
							  "session_role, backend_pid, server, dry_run, total, label, statement, "
							  "background, verify, state) "
							  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, true, $12, 'queued')",
							  12,
							  (Oid[]) {types[0], types[1], types[2], types[3], types[4], types[5],
								  types[6], types[7], types[8], ttypes[0], ttypes[1], BOOLOID},
							  (Datum[]) {values[0], values[1], values[2], values[3], values[4],
								  values[5], values[6], values[7], values[8], tvalues[0], tvalues[1],
							  BoolGetDatum(atl_verify)},
							  (char[]) {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', tnulls[0], tnulls[1], ' '},
							  false, 0) != SPI_OK_INSERT)
		elog(ERROR, "atlorg: could not record the run");
	pfree(text);
}

/* as atlorg_executor: the run's row (when new) and the rows gathered */
static void
store_rows(QueueColumns *q, int64 run_id, bool *row_written, const char *server, bool dry_run,
		   int added)
{
	AtlAsExecutor as;

	atl_as_executor_begin(&as);
	if (!*row_written)
		write_run_row(run_id, true, server, dry_run, 0);
	*row_written = true;
	flush_rows(q, run_id);
	if (added > 0)
		write_run_row(run_id, false, server, dry_run, added);
	atl_as_executor_end(&as);
}

int64
atl_run_store_queue(const char *server, bool dry_run, AtlActionNext next, void *next_arg,
					AtlQueuedRow on_row, void *row_arg)
{
	bool		same_statement = queued_run != 0 && queued_lxid == MyProc->lxid &&
		queued_statement == GetCurrentStatementStartTimestamp();
	AtlActionRequest *req = palloc0(sizeof(AtlActionRequest));
	MemoryContext rows_cxt = AllocSetContextCreate(CurrentMemoryContext, "atlorg queue rows",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	QueueColumns q;
	bool		row_written = same_statement;
	int			added = 0;

	if (!atl_run_store_ready())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("background runs need atlorg 1.1 in this database"),
				 errhint("ALTER EXTENSION atlorg UPDATE;")));
	if (!same_statement)
	{
		queued_run = atl_run_next_id();
		queued_seq = 0;
	}
	acting_role = GetUserId();
	old = MemoryContextSwitchTo(rows_cxt);
	reset_columns(&q);
	MemoryContextSwitchTo(old);
	/* the requests are made as the caller (who acts), stored as the executor */
	while (next(req, next_arg))
	{
		req->run_id = queued_run;
		req->queue_seq = ++queued_seq;
		explicit_bzero(req->api_key, sizeof(req->api_key));
		old = MemoryContextSwitchTo(rows_cxt);
		add_row(&q, req, req->queue_seq);
		MemoryContextSwitchTo(old);
		on_row(req, row_arg);
		added++;
		if (q.n >= QUEUE_FLUSH)
		{
			store_rows(&q, queued_run, &row_written, server, dry_run, 0);
			MemoryContextReset(rows_cxt);
			old = MemoryContextSwitchTo(rows_cxt);
			reset_columns(&q);
			MemoryContextSwitchTo(old);
		}
	}
	store_rows(&q, queued_run, &row_written, server, dry_run, added);
	MemoryContextDelete(rows_cxt);
	queued_lxid = MyProc->lxid;
	queued_statement = GetCurrentStatementStartTimestamp();
	atl_run_remember(queued_run);
	pfree(req);
	return queued_run;
}
