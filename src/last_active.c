/*
 * last_active.c: atl_last_active_pages(account_ids, server), the
 * last-active dates of many accounts, fetched concurrently.
 *
 * GET /admin/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates
 * has a published limit of 200 requests a minute per organization.  Requests
 * run atlorg.max_in_flight at a time, paced just under
 * atlorg.last_active_rate; a 429 pauses them all and is retried, so no
 * account fails for being rate limited.  An account the API refuses (an
 * unknown id, say) is a row with its status and error, not an abort.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "api_error.h"
#include "batch.h"
#include "declared.h"
#include "guc.h"
#include "json.h"
#include "pager.h"
#include "source.h"
#include "validate.h"

/* pace at 99% of the limit: network jitter must not push a window over it */
#define PACING_MARGIN 0.99

typedef struct LastActiveRun
{
	ReturnSetInfo *rsinfo;
	const AtlSource *src;
	char	   *base;			/* .../directory/users/ */
	MemoryContext cxt;			/* the call's: outlives each page */
	AtlCursorChain cursors;		/* every account's next cursors */
	int64		pages;
} LastActiveRun;

static char *
account_url(const LastActiveRun *run, const char *account_id)
{
	char	   *escaped = curl_easy_escape(NULL, account_id, 0);
	char	   *url;

	if (escaped == NULL)
		elog(ERROR, "out of memory");
	url = psprintf("%s%s/last-active-dates", run->base, escaped);
	curl_free(escaped);
	return url;
}

static void
add_request(AtlBatch *batch, LastActiveRun *run, const char *account_id, char *url)
{
	AtlHttpRequest req = {"GET", url, ATL_AUTH_BEARER, NULL, run->src->api_key, NULL, true};

	atl_batch_add(batch, &req, (void *) account_id);
}

static void
put_row(LastActiveRun *run, const char *account_id, Datum doc, bool has_doc,
		int status, const char *error)
{
	Datum		values[4];
	bool		nulls[4] = {false, !has_doc, status == 0, error == NULL};

	values[0] = CStringGetTextDatum(account_id);
	values[1] = doc;
	values[2] = Int32GetDatum(status);
	values[3] = error ? CStringGetTextDatum(error) : (Datum) 0;
	tuplestore_putvalues(run->rsinfo->setResult, run->rsinfo->setDesc, values, nulls);
}

/* an account's next cursor, seen before: its pages would never end */
static void
check_cursor(LastActiveRun *run, const char *account_id, const char *next)
{
	MemoryContext old = MemoryContextSwitchTo(run->cxt);
	int64		first = atl_cursor_chain_add(&run->cursors,
											 psprintf("%s\n%s", account_id, next), run->pages);

	MemoryContextSwitchTo(old);
	if (first > 0)
		atl_cursor_chain_error(psprintf("last_active for account %s", account_id),
							   next, run->pages, first);
}

/* a page came back: its data as a row, and a request for the next page */
static void
page_done(AtlBatch *batch, LastActiveRun *run, AtlBatchJob *job)
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
		return;
	}
	put_row(run, job->user, JsonbPGetDatum(JsonbValueToJsonb(&data)), true,
			(int) job->res.status, NULL);
	run->pages++;
	next = atl_json_text(atl_json_object(&doc->root, "links"), "next");
	if (next && next[0])
	{
		char	   *escaped;

		check_cursor(run, job->user, next);
		escaped = curl_easy_escape(NULL, next, 0);
		add_request(batch, run, job->user,
					psprintf("%s?cursor=%s", account_url(run, job->user), escaped));
		curl_free(escaped);
	}
}

static void
job_done(AtlBatch *batch, AtlBatchJob *job, void *arg)
{
	LastActiveRun *run = arg;
	AtlApiError e;

	if (job->res.status >= 200 && job->res.status <= 299)
	{
		page_done(batch, run, job);
		return;
	}
	/* a key the API refuses would fail every row: that is an error */
	if (job->res.status == 401 || job->res.status == 403)
		ereport(ERROR,
				(errcode(job->res.status == 401 ? ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION
						 : ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("Atlassian API answered %ld to last-active-dates", job->res.status),
				 errhint("This endpoint needs an organization API key without scopes.")));
	e = atl_api_error_parse(job->res.body.data, job->res.body.len);
	put_row(run, job->user, (Datum) 0, false, (int) job->res.status,
			job->res.error[0] ? job->res.error :
			psprintf("%s%s%s", e.key ? e.key : "", e.key && e.detail ? ": " : "",
					 e.detail ? e.detail : ""));
}

PG_FUNCTION_INFO_V1(atl_last_active_pages);

Datum
atl_last_active_pages(PG_FUNCTION_ARGS)
{
	LastActiveRun run;
	AtlBatch	batch;
	ArrayType  *ids;
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
	run.cxt = CurrentMemoryContext;
	run.src = atl_source_lookup(PG_ARGISNULL(1) ? NULL : NameStr(*PG_GETARG_NAME(1)));
	atl_source_require_org(run.src);
	run.base = psprintf("%s/admin/v1/orgs/%s/directory/users/", run.src->api_base, run.src->org_id);
	ids = PG_GETARG_ARRAYTYPE_P(0);
	deconstruct_array(ids, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);

	memset(&batch, 0, sizeof(batch));
	atl_http_limits_from_gucs(&batch.limits);
	batch.max_in_flight = atl_max_in_flight;
	batch.per_second = atl_last_active_rate / 60.0 * PACING_MARGIN;
	batch.on_done = job_done;
	batch.arg = &run;
	/* every id is checked before anything is sent */
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			atl_check_account_id(TextDatumGetCString(elems[i]));
	for (int i = 0; i < n; i++)
		if (!nulls[i])
		{
			char	   *id = TextDatumGetCString(elems[i]);

			add_request(&batch, &run, id, account_url(&run, id));
		}

	InitMaterializedSRF(fcinfo, 0);
	run.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	atl_batch_run(&batch);
	if (batch.rate_limited > 0)
		ereport(DEBUG1,
				(errmsg("atlorg: last-active-dates was rate limited %d times", batch.rate_limited)));
	return (Datum) 0;
}
