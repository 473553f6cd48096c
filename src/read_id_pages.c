/*
 * read_id_pages.c: one GET per id, many at once, every page of each: the
 * per-account and per-group reads that have no list form.
 *
 *   atl_last_active_pages(account_ids, server)
 *       GET /admin/v1/orgs/{orgId}/directory/users/{id}/last-active-dates
 *       (a published limit of 200 requests a minute per organization:
 *       paced just under atlorg.last_active_rate)
 *   atl_user_role_pages(account_ids, server)
 *       GET /admin/v2/orgs/{orgId}/directories/{dir}/users/{id}/role-assignments
 *   atl_group_role_pages(group_ids, server)
 *       GET /admin/v2/orgs/{orgId}/directories/{dir}/groups/{id}/role-assignments
 *
 * Requests run atlorg.max_in_flight at a time; a 429 pauses them all and is
 * retried, so no id fails for being rate limited.  Each page is a row (id,
 * its "data", status, error); an id the API refuses (an unknown one, say)
 * is a row with its status and error, not an abort.  A key the API refuses
 * would fail every row: that is an error.
 *
 * A long atl_last_active() says how far it is: every PROGRESS_EVERY_MS a
 * NOTICE gives the ids read of all, the rate and the time left (at the
 * published limit every account of a large org takes minutes).  The role
 * reads say nothing: atl_sync() makes them, and says what it did itself.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "api_error.h"
#include "http_batch.h"
#include "guard_declared.h"
#include "guc.h"
#include "api_json.h"
#include "api_pager.h"
#include "fdw_source.h"
#include "guard_url.h"

/* pace at 99% of a limit: network jitter must not push a window over it */
#define PACING_MARGIN 0.99

/* how often a long read reports its progress */
#define PROGRESS_EVERY_MS 5000

/* what is read for each id */
typedef struct PagesKind
{
	const char *what;			/* for messages: "last-active-dates" */
	bool		accounts;		/* the ids are account ids (else group ids) */
	bool		v1;				/* /v1/orgs/{orgId}/directory/... */
	const char *collection;		/* "users" or "groups" */
	const char *suffix;			/* after the id */
	const char *hint;			/* when the key is refused */
	bool		progress;		/* a long read reports its progress */
} PagesKind;

static const PagesKind last_active_kind = {
	"last-active-dates", true, true, "users", "/last-active-dates",
	"This endpoint needs an organization API key without scopes.", true
};
static const PagesKind user_roles_kind = {
	"role-assignments", true, false, "users", "/role-assignments",
	"This endpoint needs the read:directories:admin scope.", false
};
static const PagesKind group_roles_kind = {
	"role-assignments", false, false, "groups", "/role-assignments",
	"This endpoint needs the read:groups:admin scope.", false
};

typedef struct PagesRun
{
	const PagesKind *kind;
	ReturnSetInfo *rsinfo;
	const AtlSource *src;
	char	   *base;			/* .../users/ or .../groups/ */
	MemoryContext cxt;			/* the call's: outlives each page */
	AtlCursorChain cursors;		/* every id's next cursors */
	int64		pages;
	int			ids_total;		/* ids asked for */
	int			ids_done;		/* ids whose last page (or error) came back */
	TimestampTz started;
	TimestampTz last_progress;	/* the last progress NOTICE, or the start */
} PagesRun;

static char *
id_url(const PagesRun *run, const char *id)
{
	return psprintf("%s%s%s", run->base, atl_url_escape(id), run->kind->suffix);
}

static void
add_request(AtlBatch *batch, PagesRun *run, const char *id, char *url)
{
	AtlHttpRequest req = {"GET", url, ATL_AUTH_BEARER, NULL, run->src->api_key, NULL, true};

	atl_batch_add(batch, &req, (void *) id);
}

static void
put_row(PagesRun *run, const char *id, Datum doc, bool has_doc, int status, const char *error)
{
	Datum		values[4];
	bool		nulls[4] = {false, !has_doc, status == 0, error == NULL};

	values[0] = CStringGetTextDatum(id);
	values[1] = doc;
	values[2] = Int32GetDatum(status);
	values[3] = error ? CStringGetTextDatum(error) : (Datum) 0;
	tuplestore_putvalues(run->rsinfo->setResult, run->rsinfo->setDesc, values, nulls);
}

/* "42 s" or "7 min": a time left, as precise as it is worth */
static char *
duration_text(double seconds)
{
	if (seconds < 120)
		return psprintf("%.0f s", seconds);
	return psprintf("%.0f min", seconds / 60);
}

/*
 * An id is read: every PROGRESS_EVERY_MS, a NOTICE says how many of all,
 * how fast, and how long the rest should take at that rate.
 */
static void
id_read(PagesRun *run)
{
	TimestampTz now = GetCurrentTimestamp();
	double		elapsed_s;
	double		rate;
	int			left;

	run->ids_done++;
	if (!run->kind->progress || run->ids_done >= run->ids_total ||
		!TimestampDifferenceExceeds(run->last_progress, now, PROGRESS_EVERY_MS))
		return;
	run->last_progress = now;
	elapsed_s = (double) (now - run->started) / USECS_PER_SEC;
	rate = elapsed_s > 0 ? run->ids_done / elapsed_s : 0;
	left = run->ids_total - run->ids_done;
	/* never for the last id, so the total is at least 2: always plural */
	ereport(NOTICE,
			(errmsg("%s: %d of %d %s read (%.1f a second, about %s left)",
					run->kind->what, run->ids_done, run->ids_total,
					run->kind->accounts ? "accounts" : "groups", rate,
					rate > 0 ? duration_text(left / rate) : "an unknown time")));
}

/* an id's next cursor, seen before: its pages would never end */
static void
check_cursor(PagesRun *run, const char *id, const char *next)
{
	MemoryContext old = MemoryContextSwitchTo(run->cxt);
	int64		first = atl_cursor_chain_add(&run->cursors, psprintf("%s\n%s", id, next),
											 run->pages);

	MemoryContextSwitchTo(old);
	if (first > 0)
		atl_cursor_chain_error(psprintf("%s of %s", run->kind->what, id), next, run->pages, first);
}

/* a page came back: its data as a row, and a request for the next page */
static void
page_done(AtlBatch *batch, PagesRun *run, AtlBatchJob *job)
{
	char	   *why;
	Jsonb	   *doc = atl_json_parse_doc(job->res.body.data, job->res.body.len, &why);
	JsonbValue	data;
	char	   *next;

	if (doc == NULL ||
		getKeyJsonValueFromContainer(&doc->root, "data", 4, &data) == NULL)
	{
		put_row(run, job->user, (Datum) 0, false, (int) job->res.status,
				doc ? "the answer has no \"data\"" : why);
		id_read(run);
		return;
	}
	put_row(run, job->user, JsonbPGetDatum(JsonbValueToJsonb(&data)), true,
			(int) job->res.status, NULL);
	run->pages++;
	next = atl_json_text(atl_json_object(&doc->root, "links"), "next");
	if (next && next[0])
	{
		check_cursor(run, job->user, next);
		add_request(batch, run, job->user,
					psprintf("%s?cursor=%s", id_url(run, job->user), atl_url_escape(next)));
	}
	else
		id_read(run);
}

static void
job_done(AtlBatch *batch, AtlBatchJob *job, void *arg)
{
	PagesRun   *run = arg;
	AtlApiError e;

	if (job->res.status >= 200 && job->res.status <= 299)
	{
		page_done(batch, run, job);
		return;
	}
	if (job->res.status == 401 || job->res.status == 403)
		ereport(ERROR,
				(errcode(job->res.status == 401 ? ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION
						 : ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("Atlassian API answered %ld to %s", job->res.status, run->kind->what),
				 errhint("%s", run->kind->hint)));
	e = atl_api_error_parse(job->res.body.data, job->res.body.len);
	put_row(run, job->user, (Datum) 0, false, (int) job->res.status,
			job->res.error[0] ? job->res.error :
			psprintf("%s%s%s", e.key ? e.key : "", e.key && e.detail ? ": " : "",
					 e.detail ? e.detail : ""));
	id_read(run);
}

static char *
kind_base(const PagesKind *kind, const AtlSource *src)
{
	if (kind->v1)
		return psprintf("%s/admin/v1/orgs/%s/directory/%s/", src->api_base, src->org_id,
						kind->collection);
	return psprintf("%s/admin/v2/orgs/%s/directories/%s/%s/", src->api_base, src->org_id,
					src->directory_id, kind->collection);
}

static void
check_id(const PagesKind *kind, const char *id)
{
	if (kind->accounts)
		atl_check_account_id(id);
	else
		atl_check_object_id("group id", id);
}

static Datum
read_pages(FunctionCallInfo fcinfo, const PagesKind *kind, double per_second)
{
	PagesRun	run;
	AtlBatch	batch;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	static const Oid args[] = {TEXTARRAYOID, NAMEOID};
	static const Oid columns[] = {TEXTOID, JSONBOID, INT4OID, TEXTOID};

	atl_check_declaration(fcinfo, args, lengthof(args), RECORDOID, true,
						  columns, lengthof(columns));
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	memset(&run, 0, sizeof(run));
	run.kind = kind;
	run.cxt = CurrentMemoryContext;
	run.src = atl_source_lookup(PG_ARGISNULL(1) ? NULL : NameStr(*PG_GETARG_NAME(1)));
	atl_source_require_org(run.src);
	run.base = kind_base(kind, run.src);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);

	memset(&batch, 0, sizeof(batch));
	atl_http_limits_from_gucs(&batch.limits);
	batch.max_in_flight = atl_max_in_flight;
	batch.per_second = per_second;
	batch.on_done = job_done;
	batch.arg = &run;
	/* every id is checked before anything is sent */
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			check_id(kind, TextDatumGetCString(elems[i]));
	for (int i = 0; i < n; i++)
		if (!nulls[i])
		{
			char	   *id = TextDatumGetCString(elems[i]);

			add_request(&batch, &run, id, id_url(&run, id));
			run.ids_total++;
		}
	run.started = run.last_progress = GetCurrentTimestamp();

	InitMaterializedSRF(fcinfo, 0);
	run.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	atl_batch_run(&batch);
	if (batch.rate_limited > 0)
		ereport(DEBUG1,
				(errmsg("atlorg: %s was rate limited %d times", kind->what, batch.rate_limited)));
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(atl_last_active_pages);
Datum
atl_last_active_pages(PG_FUNCTION_ARGS)
{
	return read_pages(fcinfo, &last_active_kind, atl_last_active_rate / 60.0 * PACING_MARGIN);
}

PG_FUNCTION_INFO_V1(atl_user_role_pages);
Datum
atl_user_role_pages(PG_FUNCTION_ARGS)
{
	return read_pages(fcinfo, &user_roles_kind, 0);
}

PG_FUNCTION_INFO_V1(atl_group_role_pages);
Datum
atl_group_role_pages(PG_FUNCTION_ARGS)
{
	return read_pages(fcinfo, &group_roles_kind, 0);
}
