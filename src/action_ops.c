/*
 * action_ops.c: atl_act(op, account_id, group_id, body, server, dry_run,
 * force), every action, from a catalogue.  The SQL functions (atl_disable(),
 * atl_add_to_group(), ...) are thin wrappers that build the body; only
 * operations in this table can be sent.  The set-based form is
 * action_many.c.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "action_ops.h"
#include "actions.h"
#include "executor.h"
#include "source.h"
#include "validate.h"

typedef enum ActTarget
{
	ACT_USER_MGMT,				/* api_base + /users/{id}/manage/... */
	ACT_DIRECTORY,				/* api_base + /admin/v2/orgs/{org}/directories/{dir} */
	ACT_ORG_V1,					/* api_base + /admin/v1/orgs/{org} */
	ACT_JIRA					/* site_url + /rest/api/3 */
} ActTarget;

struct ActionOp
{
	const char *name;
	ActTarget	target;
	const char *method;
	const char *path;			/* {id}: the account, {group}: the group, encoded */
	bool		needs_group;
};

static const ActionOp action_ops[] = {
	{"disable", ACT_USER_MGMT, "POST", "/manage/lifecycle/disable", false},
	{"enable", ACT_USER_MGMT, "POST", "/manage/lifecycle/enable", false},
	{"delete", ACT_USER_MGMT, "POST", "/manage/lifecycle/delete", false},
	{"cancel-delete", ACT_USER_MGMT, "POST", "/manage/lifecycle/cancel-delete", false},
	{"suspend", ACT_DIRECTORY, "POST", "/users/{id}/suspend", false},
	{"restore", ACT_DIRECTORY, "POST", "/users/{id}/restore", false},
	{"remove_from_directory", ACT_DIRECTORY, "DELETE", "/users/{id}", false},
	{"add_to_group", ACT_DIRECTORY, "POST", "/groups/{group}/memberships", true},
	{"remove_from_group", ACT_DIRECTORY, "DELETE", "/groups/{group}/memberships/{id}", true},
	{"grant_role", ACT_ORG_V1, "POST", "/users/{id}/roles/assign", false},
	{"revoke_role", ACT_ORG_V1, "POST", "/users/{id}/roles/revoke", false},
	{"set_email", ACT_USER_MGMT, "PUT", "/manage/email", false},
	{"update_profile", ACT_USER_MGMT, "PATCH", "/manage/profile", false},
	{"revoke_api_token", ACT_USER_MGMT, "DELETE", "/manage/api-tokens/{group}", true},
	{"jira_add_to_group", ACT_JIRA, "POST", "/group/user?groupId={group}", true},
	{"jira_remove_from_group", ACT_JIRA, "DELETE", "/group/user?groupId={group}&accountId={id}", true},
	{"jira_remove_user", ACT_JIRA, "DELETE", "/user?accountId={id}", false},
	{NULL}
};

const ActionOp *
atl_action_op(const char *name)
{
	for (const ActionOp *op = action_ops; op->name; op++)
		if (strcmp(op->name, name) == 0)
			return op;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown atlorg action \"%s\"", name)));
	pg_unreachable();
}

static void
append_escaped(StringInfo buf, const char *value)
{
	char	   *e = curl_easy_escape(NULL, value, 0);

	if (e == NULL)
		elog(ERROR, "out of memory");
	appendStringInfoString(buf, e);
	curl_free(e);
}

/* the operation's URL: its target's base, then the path with {id}, {group} */
static void
build_url(char *dst, const ActionOp *op, const AtlSource *src, const char *id, const char *group)
{
	StringInfoData buf;

	initStringInfo(&buf);
	switch (op->target)
	{
		case ACT_USER_MGMT:
			appendStringInfo(&buf, "%s/users/", src->api_base);
			append_escaped(&buf, id);
			break;
		case ACT_DIRECTORY:
			appendStringInfo(&buf, "%s/admin/v2/orgs/%s/directories/%s",
							 src->api_base, src->org_id, src->directory_id);
			break;
		case ACT_ORG_V1:
			appendStringInfo(&buf, "%s/admin/v1/orgs/%s", src->api_base, src->org_id);
			break;
		case ACT_JIRA:
			appendStringInfo(&buf, "%s/rest/api/3", src->site_url);
			break;
	}
	for (const char *p = op->path; *p; p++)
	{
		if (strncmp(p, "{id}", 4) == 0)
			append_escaped(&buf, id), p += 3;
		else if (strncmp(p, "{group}", 7) == 0)
			append_escaped(&buf, group), p += 6;
		else
			appendStringInfoChar(&buf, *p);
	}
	if (buf.len >= ATL_URL_MAX)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("URL too long")));
	strlcpy(dst, buf.data, ATL_URL_MAX);
}

void
atl_action_op_check_group(const ActionOp *op, const char *group)
{
	if (!op->needs_group)
		return;
	if (group == NULL)
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s needs a group id", op->name)));
	atl_check_object_id("group id", group);
}

/* the server, with the credentials that ops (nops of them) need */
AtlSource *
atl_action_op_source(const ActionOp *const *ops, int nops, FunctionCallInfo fcinfo, int argno)
{
	AtlSource  *src = atl_source_lookup(PG_ARGISNULL(argno) ? NULL : NameStr(*PG_GETARG_NAME(argno)));
	bool		site = false;
	bool		org = false;

	for (int i = 0; i < nops; i++)
	{
		site |= ops[i]->target == ACT_JIRA;
		org |= ops[i]->target != ACT_JIRA;
	}
	if (site)
		atl_source_require_site(src);
	if (org)
		atl_source_require_org(src);
	return src;
}

/* one action of op, ready for the executor */
void
atl_action_op_request(AtlActionRequest *req, const ActionOp *op, const AtlSource *src,
			  const char *account_id, const char *group, const char *body,
			  bool dry_run, const char *protection)
{
	atl_action_fill(req, src, op->name, account_id, dry_run, protection);
	if (op->target == ACT_JIRA)
		atl_action_use_site(req, src);
	build_url(req->url, op, src, account_id, group);
	strlcpy(req->target, group ? group : "", sizeof(req->target));
	strlcpy(req->method, op->method, sizeof(req->method));
	if (body && strlen(body) >= sizeof(req->body))
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("the request body is too long")));
	strlcpy(req->body, body ? body : "", sizeof(req->body));
}

char *
atl_jsonb_text(Jsonb *body)
{
	return JsonbToCString(NULL, &body->root, VARSIZE(body));
}

PG_FUNCTION_INFO_V1(atl_act);

/* atl_act(op, account_id, group_id, body jsonb, server, dry_run, force) */
Datum
atl_act(PG_FUNCTION_ARGS)
{
	const ActionOp *op = atl_action_op(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	const char *account_id = atl_action_account_id(fcinfo, 1);
	const char *group = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *body = PG_ARGISNULL(3) ? NULL : atl_jsonb_text(PG_GETARG_JSONB_P(3));
	AtlSource  *src;
	AtlActionRequest *req = palloc(sizeof(AtlActionRequest));
	char	  **protections = NULL;

	atl_action_op_check_group(op, group);
	src = atl_action_op_source(&op, 1, fcinfo, 4);
	if (!atl_action_force(fcinfo, 6))
	{
		Datum		id = CStringGetTextDatum(account_id);

		protections = atl_action_protections(fcinfo, src, PointerGetDatum(
															 construct_array(&id, 1, TEXTOID, -1, false, TYPALIGN_INT)));
	}
	atl_action_op_request(req, op, src, account_id, group, body, atl_action_dry_run(fcinfo, 5),
						  protections ? protections[0] : NULL);
	return atl_action_run(fcinfo, req);
}
