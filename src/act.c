/*
 * act.c: what every action does around its request (act_catalogue.c says
 * which requests, act_run.c runs them): fill the executor's request with
 * the caller, the server, its credentials and budget, a dry run or a
 * protection; ask which accounts are protected, in one query; and build
 * the audit row of a request's result.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "act.h"
#include "pace_budget.h"
#include "exec.h"
#include "guc.h"
#include "http.h"
#include "fdw_source.h"
#include "guard_url.h"

void
atl_action_fill(AtlActionRequest *req, const AtlSource *src, const char *action,
				const char *account_id, bool dry_run, const char *protection)
{
	memset(req, 0, sizeof(*req));
	strlcpy(req->action, action, sizeof(req->action));
	strlcpy(req->account_id, account_id, sizeof(req->account_id));
	strlcpy(req->server, src->server_name, sizeof(req->server));
	strlcpy(req->acted_by, GetUserNameFromId(GetUserId(), false), sizeof(req->acted_by));
	strlcpy(req->session_role, GetUserNameFromId(GetSessionUserId(), false),
			sizeof(req->session_role));
	req->backend_pid = MyProcPid;
	req->statement_at = GetCurrentStatementStartTimestamp();
	req->acted_by_oid = GetUserId();
	atl_action_fill_credentials(req, src);
	req->dry_run = dry_run;
	if (protection)
		strlcpy(req->skip_reason, protection, sizeof(req->skip_reason));
}

void
atl_action_fill_credentials(AtlActionRequest *req, const AtlSource *src)
{
	if (strlen(src->api_key) >= sizeof(req->api_key))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the api_key of server \"%s\" is too long", src->server_name)));
	strlcpy(req->api_key, src->api_key, sizeof(req->api_key));
	atl_http_limits_from_gucs(&req->limits);
	/* the budget is the organization's, whichever server or session acts */
	req->org_key = atl_budget_org_key(src->api_base, src->org_id);
	req->per_second = atl_budget_pace();
}

/* one column of the returned audit row */
typedef struct AuditField
{
	const char *name;
	Datum		value;
	bool		isnull;
} AuditField;

static AuditField
text_field(const char *name, const char *text)
{
	bool		isnull = text == NULL || text[0] == '\0';

	return (AuditField) {name, isnull ? (Datum) 0 : CStringGetTextDatum(text), isnull};
}

static AuditField
name_field(const char *name, const char *text)
{
	return (AuditField) {name, DirectFunctionCall1(namein, CStringGetDatum(text)), false};
}

/* the executor's result as a row of atl_audit, matched by column name */
HeapTuple
atl_action_audit_tuple(TupleDesc desc, const AtlActionRequest *req, const AtlActionResult *res)
{
	AuditField	fields[] = {
		{"id", Int64GetDatum(res->audit_id), res->audit_id == 0},
		{"requested_at", TimestampTzGetDatum(res->requested_at), res->requested_at == 0},
		{"finished_at", TimestampTzGetDatum(res->finished_at), res->finished_at == 0},
		name_field("acted_by", req->acted_by),
		name_field("session_role", req->session_role),
		name_field("server", req->server),
		text_field("action", req->action),
		text_field("account_id", req->account_id),
		text_field("target", req->target),
		{"params", req->body[0] ? DirectFunctionCall1(jsonb_in, CStringGetDatum(req->body)) : (Datum) 0,
		req->body[0] == '\0'},
		text_field("outcome", res->outcome),
		{"http_status", Int32GetDatum(res->http_status), res->http_status == 0},
		text_field("error_key", res->error_key),
		text_field("error_reason", res->error_reason),
		text_field("error_detail", res->error_detail),
		{"attempts", Int32GetDatum(res->attempts), false},
		{"elapsed_ms", Float8GetDatum(res->elapsed_ms), false},
		{"backend_pid", Int32GetDatum(req->backend_pid), false},
		{"statement_at", TimestampTzGetDatum(req->statement_at), false},
		{"run_id", Int64GetDatum(req->run_id), req->run_id == 0},
		{"verified", BoolGetDatum(res->verified == ATL_VERIFIED_SHOWN),
		res->verified == ATL_VERIFIED_UNREAD},
	};
	Datum	   *values;
	bool	   *nulls;

	values = palloc0(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	for (int i = 0; i < desc->natts; i++)
	{
		const char *col = NameStr(TupleDescAttr(desc, i)->attname);

		nulls[i] = true;
		for (int f = 0; f < lengthof(fields); f++)
			if (strcmp(col, fields[f].name) == 0)
			{
				values[i] = fields[f].value;
				nulls[i] = fields[f].isnull;
			}
	}
	return heap_form_tuple(desc, values, nulls);
}

void
atl_action_use_site(AtlActionRequest *req, const AtlSource *src)
{
	if (strlen(src->site_api_token) >= sizeof(req->api_key) ||
		strlen(src->site_email) >= sizeof(req->username))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the site credentials of server \"%s\" are too long", src->server_name)));
	req->auth = ATL_AUTH_BASIC;
	req->org_key = atl_budget_key(src->site_url);
	strlcpy(req->username, src->site_email, sizeof(req->username));
	strlcpy(req->api_key, src->site_api_token, sizeof(req->api_key));
}
