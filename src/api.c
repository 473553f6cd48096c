/*
 * api.c: reads from the Atlassian APIs, with errors a user can act on.
 */
#include "postgres.h"

#include "api.h"
#include "api_error.h"
#include "http.h"

char *
atl_api_org_url(const AtlSource *src, const char *path)
{
	return psprintf("%s/admin/v2/orgs/%s/directories/%s%s",
					src->api_base, src->org_id, src->directory_id, path);
}

/* the part of a URL after the host, for messages */
static const char *
url_path(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? strchr(p + 3, '/') : NULL;
	return p ? p : url;
}

static int
status_errcode(long status)
{
	switch (status)
	{
		case 400:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case 401:
			return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
		case 403:
			return ERRCODE_INSUFFICIENT_PRIVILEGE;
		case 404:
			return ERRCODE_UNDEFINED_OBJECT;
		case 429:
			return ERRCODE_CONFIGURATION_LIMIT_EXCEEDED;
		default:
			return status >= 500 ? ERRCODE_CONNECTION_FAILURE : ERRCODE_FDW_ERROR;
	}
}

static const char *
status_hint(long status, const AtlSource *src)
{
	switch (status)
	{
		case 401:
			return psprintf("Check the api_key in the user mapping for server \"%s\": organization API keys are created at admin.atlassian.com, Settings, API keys, and expire after a year.",
							src->server_name);
		case 403:
			return "The API key lacks a permission: some endpoints need an organization API key without scopes.";
		case 404:
			return psprintf("Check the org_id and directory_id options of server \"%s\".",
							src->server_name);
		case 429:
			return "The organization's rate limit was reached; try later, or raise atlorg.max_retries.";
		default:
			return NULL;
	}
}

static void
raise_http_error(const AtlSource *src, const AtlHttpRequest *req,
				 const AtlHttpResult *res)
{
	AtlApiError e = atl_api_error_parse(res->body.data, res->body.len);
	/* why retrying stopped early, when it did, says more than the status */
	const char *hint = res->error[0] ? res->error : status_hint(res->status, src);

	ereport(ERROR,
			(errcode(status_errcode(res->status)),
			 errmsg("Atlassian API answered %ld to %s %s after %d attempt%s",
					res->status, req->method, url_path(req->url),
					res->attempts, res->attempts == 1 ? "" : "s"),
			 e.detail || e.key ?
			 errdetail("%s%s%s", e.key ? e.key : "", e.key && e.detail ? ": " : "",
					   e.detail ? e.detail : "") : 0,
			 hint ? errhint("%s", hint) : 0));
}

JsonbContainer *
atl_api_read(const AtlSource *src, const char *method, const char *url,
			 const char *body)
{
	AtlHttpRequest req = {method, url, ATL_AUTH_BEARER, NULL, src->api_key, body, true};
	AtlHttpLimits limits;
	AtlHttpResult res;
	JsonbContainer *root;
	char	   *why = NULL;

	atl_http_limits_from_gucs(&limits);
	atl_http_perform(&req, &limits, &res, atl_http_backend_abort_check, NULL);
	if (res.status == 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not complete %s %s after %d attempt%s",
						method, url_path(url), res.attempts, res.attempts == 1 ? "" : "s"),
				 errdetail("%s", res.error)));
	if (res.status < 200 || res.status > 299)
		raise_http_error(src, &req, &res);
	root = atl_json_parse(res.body.data, res.body.len, &why);
	if (root == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("Atlassian API answered %s %s with malformed JSON",
						method, url_path(url)),
				 errdetail("%s", why)));
	return root;
}
