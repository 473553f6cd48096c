/*
 * api.c: reads from the Atlassian APIs, with errors a user can act on.
 */
#include "postgres.h"

#include "api.h"
#include "api_error.h"
#include "http.h"

const char *
atl_api_url_path(const char *url)
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
org_hint(long status, const AtlSource *src, const AtlReadOp *op)
{
	switch (status)
	{
		case 401:
			return psprintf("Check the api_key in the user mapping for server \"%s\": organization API keys are created at admin.atlassian.com, Settings, API keys, and expire after a year.",
							src->server_name);
		case 403:
			if (op->scope == NULL)
				return "This endpoint needs an organization API key without scopes: create one at admin.atlassian.com, Settings, API keys.";
			return psprintf("The API key needs the scope %s, or use an organization API key without scopes.",
							op->scope);
		case 404:
			return psprintf("Check the org_id and directory_id options of server \"%s\".",
							src->server_name);
		default:
			return NULL;
	}
}

static const char *
jira_hint(long status, const AtlSource *src)
{
	switch (status)
	{
		case 401:
			return psprintf("Check site_email and site_api_token in the user mapping for server \"%s\": API tokens are created at id.atlassian.com, Security, API tokens. A token with scopes must go through https://api.atlassian.com/ex/jira/<cloud id> as site_url.",
							src->server_name);
		case 403:
			return "The site user needs the Browse users and groups global permission; group changes need site administration.";
		case 404:
			return psprintf("Check the site_url option of server \"%s\".", src->server_name);
		default:
			return NULL;
	}
}

static const char *
status_hint(long status, const AtlSource *src, const AtlReadOp *op)
{
	if (status == 429)
		return "The rate limit was reached; try later, or raise atlorg.max_retries.";
	return op->api == ATL_API_JIRA ? jira_hint(status, src) : org_hint(status, src, op);
}

static void
raise_http_error(const AtlSource *src, const AtlReadOp *op, const AtlHttpRequest *req,
				 const AtlHttpResult *res)
{
	AtlApiError e = atl_api_error_parse(res->body.data, res->body.len);
	/* why retrying stopped early, when it did, says more than the status */
	const char *hint = res->error[0] ? res->error : status_hint(res->status, src, op);

	ereport(ERROR,
			(errcode(status_errcode(res->status)),
			 errmsg_plural("Atlassian API answered %ld to %s %s after %d attempt",
						   "Atlassian API answered %ld to %s %s after %d attempts",
						   res->attempts, res->status, req->method,
						   atl_api_url_path(req->url), res->attempts),
			 e.detail || e.key ?
			 errdetail_internal("%s%s%s", e.key ? e.key : "", e.key && e.detail ? ": " : "",
					   e.detail ? e.detail : "") : 0,
			 hint ? errhint("%s", hint) : 0));
}

/* the credentials of the operation's API */
static AtlHttpRequest
request_for(const AtlSource *src, const AtlReadOp *op, const char *url, const char *body)
{
	AtlHttpRequest req = {op->method, url, ATL_AUTH_BEARER, NULL, src->api_key, body, true};

	if (op->api == ATL_API_JIRA)
	{
		req.auth = ATL_AUTH_BASIC;
		req.username = src->site_email;
		req.secret = src->site_api_token;
	}
	return req;
}

void
atl_api_start(AtlApiCall *call, const AtlSource *src, const AtlReadOp *op,
			  const char *url, const char *body)
{
	call->src = src;
	call->op = op;
	call->req = request_for(src, op, url, body);
	atl_http_limits_from_gucs(&call->limits);
	atl_http_start(&call->req, &call->limits, &call->res);
}

/* the answer's body parsed, or the error; peek (or NULL) before the parse */
static Jsonb *
answer(const AtlSource *src, const AtlReadOp *op, const AtlHttpRequest *req,
	   const AtlHttpResult *res, const AtlJsonPeek *peek)
{
	const char *url = req->url;
	Jsonb	   *root;
	char	   *why = NULL;

	if (res->status == 0 && res->certificate_failed)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("could not verify the TLS certificate of the server for %s %s",
						op->method, atl_api_url_path(url)),
				 errdetail_internal("%s", res->error),
				 errhint("A superuser can set atlorg.ca_file to a file of the CA certificates to trust, or empty it for libcurl's default trust store.")));
	if (res->status == 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg_plural("could not complete %s %s after %d attempt",
							   "could not complete %s %s after %d attempts",
							   res->attempts, op->method, atl_api_url_path(url), res->attempts),
				 errdetail_internal("%s", res->error)));
	if (res->status < 200 || res->status > 299)
		raise_http_error(src, op, req, res);
	/* before the check: what the string is wanted for can be under way meanwhile */
	if (peek)
		peek->then(atl_json_peek(res->body.data, res->body.len, peek->outer, peek->inner),
				   peek->arg);
	root = atl_json_parse_doc(res->body.data, res->body.len, &why);
	if (root == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("Atlassian API answered %s %s with malformed JSON",
						op->method, atl_api_url_path(url)),
				 errdetail_internal("%s", why)));
	return root;
}

Jsonb *
atl_api_finish_peek(AtlApiCall *call, const AtlJsonPeek *peek)
{
	atl_http_finish(&call->req, &call->limits, &call->res, atl_http_backend_abort_check, NULL);
	return answer(call->src, call->op, &call->req, &call->res, peek);
}

Jsonb *
atl_api_answer(const AtlSource *src, const AtlReadOp *op, const AtlHttpRequest *req,
			   const AtlHttpResult *res)
{
	return answer(src, op, req, res, NULL);
}

