/*
 * api_error.c: Atlassian error bodies into key, reason and detail.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "api_error.h"
#include "api_json.h"
#include "http_text.h"

#define EXCERPT_BYTES 200

/* user management: {"key":"forbidden.action","context":{...}|"text"} */
static void
from_user_management(JsonbContainer *root, AtlApiError *e)
{
	JsonbContainer *context = atl_json_object(root, "context");
	JsonbContainer *codes;

	e->key = atl_json_text(root, "key");
	e->detail = atl_json_text(root, "errorDetail");
	if (context == NULL)
	{
		if (e->detail == NULL)
			e->detail = atl_json_text(root, "context");
		return;
	}
	e->reason = atl_json_text(atl_json_object(context, "reason"), "key");
	if (e->reason == NULL)
		e->reason = atl_json_text(context, "domain");
	if (e->detail == NULL)
		e->detail = atl_json_text(context, "message");
	/* conflict.lifecycleErrors: the first error code says why */
	codes = atl_json_array(context, "errorCodes");
	if (e->reason == NULL && atl_json_array_length(codes) > 0)
	{
		JsonbContainer *first = atl_json_element_object(codes, 0);

		e->reason = atl_json_text(first, "code");
		if (e->detail == NULL)
			e->detail = atl_json_text(first, "message");
	}
}

/* organizations API: {"errors":[{"code","title","detail"}, ...]} */
static void
from_errors_envelope(JsonbContainer *errors, AtlApiError *e)
{
	JsonbContainer *first = atl_json_element_object(errors, 0);
	char	   *title = atl_json_text(first, "title");
	char	   *detail = atl_json_text(first, "detail");

	e->key = atl_json_text(first, "code");
	if (title && detail)
		e->detail = psprintf("%s: %s", title, detail);
	else
		e->detail = title ? title : detail;
}

/* the text values of a Jira ErrorCollection's "errors" map, "field: text" */
static void
append_jira_field_errors(JsonbContainer *fields, StringInfo buf)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *field = NULL;

	if (fields == NULL)
		return;
	it = JsonbIteratorInit(fields);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *text;

		if (tok == WJB_KEY)
			field = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE && (text = atl_jsonb_scalar_text(&v)) != NULL)
			appendStringInfo(buf, "%s%s: %s", buf->len ? "; " : "", field ? field : "", text);
	}
}

/*
 * Jira's ErrorCollection: {"errorMessages":["..."], "errors":{"field":"..."}}.
 * Either part may carry the message (the spec allows both), so both are read.
 */
static void
from_jira(JsonbContainer *root, AtlApiError *e)
{
	JsonbContainer *messages = atl_json_array(root, "errorMessages");
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < atl_json_array_length(messages); i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(messages, i);
		char	   *text = v ? atl_jsonb_scalar_text(v) : NULL;

		if (text)
			appendStringInfo(&buf, "%s%s", buf.len ? "; " : "", text);
	}
	append_jira_field_errors(atl_json_object(root, "errors"), &buf);
	e->detail = buf.len ? buf.data : NULL;
}

/*
 * A body that is not JSON (or not JSON that can be read): a short excerpt,
 * made valid text and cut at a character boundary.
 */
static char *
excerpt(const char *body, int len)
{
	/* only what the excerpt can show is looked at: bodies may be large */
	return atl_remote_text_clip(body, Min(len, EXCERPT_BYTES + MAX_MULTIBYTE_CHAR_LEN),
								EXCERPT_BYTES);
}

AtlApiError
atl_api_error_parse(const char *body, int len)
{
	AtlApiError e = {NULL, NULL, NULL};
	char	   *why;
	JsonbContainer *root;
	JsonbContainer *arr;

	if (body == NULL || len == 0)
		return e;
	root = atl_json_parse(body, len, &why);
	if (root == NULL || !JsonContainerIsObject(root))
	{
		e.detail = excerpt(body, len);
		return e;
	}
	if ((arr = atl_json_array(root, "errors")) != NULL)
		from_errors_envelope(arr, &e);
	else if (atl_json_array(root, "errorMessages") != NULL ||
			 atl_json_object(root, "errors") != NULL)
		from_jira(root, &e);
	else if (atl_json_text(root, "key") != NULL)
		from_user_management(root, &e);
	else
	{
		/* the gateway's {"code","message"} or Spring's {"error","message"} */
		e.key = atl_json_text(root, "error");
		e.detail = atl_json_text(root, "message");
	}
	return e;
}
