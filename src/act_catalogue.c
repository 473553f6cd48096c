/*
 * act_catalogue.c: the action catalogue.  Every action atlorg can send is a
 * row here: its SQL function, its name in the audit, the API it goes to,
 * the method and path, what it takes and how its body is built.  The SQL
 * functions (atl_disable(), atl_add_to_group(), ...) are C entry points
 * (act_entry.c) that find their row by their own name.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "act_catalogue.h"
#include "act.h"
#include "exec.h"
#include "fdw_source.h"
#include "guard_url.h"

typedef enum ActTarget
{
	ACT_USER_MGMT,				/* api_base + /users/{id}/manage/... */
	ACT_DIRECTORY,				/* api_base + /admin/v2/orgs/{org}/directories/{dir} */
	ACT_ORG_V1,					/* api_base + /admin/v1/orgs/{org} */
	ACT_JIRA					/* site_url + /rest/api/3 */
} ActTarget;

typedef enum ActBody
{
	BODY_NONE,
	BODY_EMPTY,					/* {} */
	BODY_ACCOUNT,				/* {"accountId": <the account>} */
	BODY_ROLE,					/* {"role": ..., "resource": ...} */
	BODY_EMAIL,					/* {"email": ...} */
	BODY_PROFILE				/* the fields given, as PATCH .../manage/profile takes them */
} ActBody;

struct ActionOp
{
	const char *function;		/* the SQL function */
	const char *name;			/* atl_audit.action */
	ActTarget	target;
	const char *method;
	const char *path;			/* {id}: the account, {target}: the group or token, encoded */
	ActionShape shape;
	ActBody		body;
	/* what it changes on the account, as previews and undo group actions */
	const char *changes;
	const char *undo;			/* the action that puts it back, or NULL */
	const char *final;			/* NULL, or why nothing puts it back */
};

/* why what some actions do cannot be undone by atlorg */
#define FINAL_DIRECTORY "an account removed from the directory comes back only when it is invited again"
#define FINAL_TOKEN "a revoked API token cannot be brought back: its owner must create a new one"
#define FINAL_JIRA_USER "a user removed from the Jira site comes back only when invited to it again"

static const ActionOp action_ops[] = {
	{"atl_disable", "disable", ACT_USER_MGMT, "POST", "/manage/lifecycle/disable", SHAPE_ACCOUNT, BODY_EMPTY,
		"lifecycle", "enable", NULL},
	{"atl_enable", "enable", ACT_USER_MGMT, "POST", "/manage/lifecycle/enable", SHAPE_ACCOUNT, BODY_EMPTY,
		"lifecycle", "disable", NULL},
	{"atl_delete", "delete", ACT_USER_MGMT, "POST", "/manage/lifecycle/delete", SHAPE_ACCOUNT, BODY_EMPTY,
		"lifecycle", "cancel-delete", NULL},
	{"atl_cancel_delete", "cancel-delete", ACT_USER_MGMT, "POST", "/manage/lifecycle/cancel-delete", SHAPE_ACCOUNT, BODY_EMPTY,
		"lifecycle", "delete", NULL},
	{"atl_suspend", "suspend", ACT_DIRECTORY, "POST", "/users/{id}/suspend", SHAPE_ACCOUNT, BODY_NONE,
		"membership", "restore", NULL},
	{"atl_restore", "restore", ACT_DIRECTORY, "POST", "/users/{id}/restore", SHAPE_ACCOUNT, BODY_NONE,
		"membership", "suspend", NULL},
	{"atl_remove_from_directory", "remove_from_directory", ACT_DIRECTORY, "DELETE", "/users/{id}", SHAPE_ACCOUNT, BODY_NONE,
		"directory", NULL, FINAL_DIRECTORY},
	{"atl_add_to_group", "add_to_group", ACT_DIRECTORY, "POST", "/groups/{target}/memberships", SHAPE_GROUP, BODY_ACCOUNT,
		"group", "remove_from_group", NULL},
	{"atl_remove_from_group", "remove_from_group", ACT_DIRECTORY, "DELETE", "/groups/{target}/memberships/{id}", SHAPE_GROUP, BODY_NONE,
		"group", "add_to_group", NULL},
	{"atl_grant_role", "grant_role", ACT_ORG_V1, "POST", "/users/{id}/roles/assign", SHAPE_ROLE, BODY_ROLE,
		"role", "revoke_role", NULL},
	{"atl_revoke_role", "revoke_role", ACT_ORG_V1, "POST", "/users/{id}/roles/revoke", SHAPE_ROLE, BODY_ROLE,
		"role", "grant_role", NULL},
	{"atl_set_email", "set_email", ACT_USER_MGMT, "PUT", "/manage/email", SHAPE_EMAIL, BODY_EMAIL,
		"email", "set_email", NULL},
	{"atl_update_profile", "update_profile", ACT_USER_MGMT, "PATCH", "/manage/profile", SHAPE_PROFILE, BODY_PROFILE,
		"profile", "update_profile", NULL},
	{"atl_revoke_api_token", "revoke_api_token", ACT_USER_MGMT, "DELETE", "/manage/api-tokens/{target}", SHAPE_TOKEN, BODY_NONE,
		"api token", NULL, FINAL_TOKEN},
	{"atl_jira_add_to_group", "jira_add_to_group", ACT_JIRA, "POST", "/group/user?groupId={target}", SHAPE_GROUP, BODY_ACCOUNT,
		"jira group", "jira_remove_from_group", NULL},
	{"atl_jira_remove_from_group", "jira_remove_from_group", ACT_JIRA, "DELETE", "/group/user?groupId={target}&accountId={id}", SHAPE_GROUP, BODY_NONE,
		"jira group", "jira_add_to_group", NULL},
	{"atl_jira_remove_user", "jira_remove_user", ACT_JIRA, "DELETE", "/user?accountId={id}", SHAPE_ACCOUNT, BODY_NONE,
		"jira user", NULL, FINAL_JIRA_USER},
	{NULL}
};

/* the profile fields in SQL order, and their keys in the API's body */
static const char *const profile_fields[ATL_PROFILE_FIELDS] = {
	"name", "nickname", "job_title", "department", "organization", "location",
	"time_zone", "locale"
};
static const char *const profile_keys[ATL_PROFILE_FIELDS] = {
	"name", "nickname", "job_title", "department", "organization", "location",
	"zoneinfo", "locale"
};

#define ATL_EMAIL_MAX 254		/* RFC 5321's limit on a path */
#define ATL_VALUE_MAX 1024		/* a role, a resource, a profile field */

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

const ActionOp *
atl_action_op_of_function(const char *proname)
{
	for (const ActionOp *op = action_ops; op->name; op++)
		if (strcmp(op->function, proname) == 0)
			return op;
	return NULL;
}

/* where each API's paths start, as the README writes them */
static const char *
target_prefix(ActTarget target)
{
	switch (target)
	{
		case ACT_USER_MGMT:
			return "/users/{id}";
		case ACT_DIRECTORY:
			return "/admin/v2/orgs/{org}/directories/{dir}";
		case ACT_ORG_V1:
			return "/admin/v1/orgs/{org}";
		case ACT_JIRA:
			return "/rest/api/3";
	}
	return "";
}

/* which API each kind of path belongs to, in words */
static const char *
target_api(ActTarget target)
{
	switch (target)
	{
		case ACT_USER_MGMT:
			return "user management";
		case ACT_DIRECTORY:
			return "directory";
		case ACT_ORG_V1:
			return "organization";
		case ACT_JIRA:
			return "jira";
	}
	return "";
}

/* a catalogue column that may be empty (no undo, nothing final) */
static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = s == NULL;
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * atl_action_catalogue(): the catalogue as rows, so that a user can go
 * from a function's name to the audit's and back (sql/11_audit_words.sql),
 * and so that previews and undo read what an action changes, and what puts
 * it back, from the one list (sql/46_undo.sql, sql/47_preview.sql).
 */
PG_FUNCTION_INFO_V1(atl_action_catalogue);

Datum
atl_action_catalogue(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (const ActionOp *op = action_ops; op->name; op++)
	{
		Datum		values[8];
		bool		nulls[8] = {false, false, false, false, false, false, false, false};

		values[0] = CStringGetTextDatum(op->function);
		values[1] = CStringGetTextDatum(op->name);
		values[2] = CStringGetTextDatum(op->method);
		values[3] = CStringGetTextDatum(psprintf("%s%s", target_prefix(op->target), op->path));
		values[4] = CStringGetTextDatum(target_api(op->target));
		values[5] = CStringGetTextDatum(op->changes);
		values[6] = text_or_null(op->undo, &nulls[6]);
		values[7] = text_or_null(op->final, &nulls[7]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

const char *
atl_action_op_name(const ActionOp *op)
{
	return op->name;
}

ActionShape
atl_action_op_shape(const ActionOp *op)
{
	return op->shape;
}

int
atl_action_shape_values(ActionShape shape)
{
	switch (shape)
	{
		case SHAPE_ACCOUNT:
			return 0;
		case SHAPE_GROUP:
		case SHAPE_TOKEN:
		case SHAPE_EMAIL:
			return 1;
		case SHAPE_ROLE:
			return 2;
		case SHAPE_PROFILE:
			return ATL_PROFILE_FIELDS;
	}
	pg_unreachable();
}

/* a value the body carries: given, valid UTF-8 text of a sane length */
static void
check_value(const ActionItem *item, const char *what, const char *value, int max)
{
	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s of %s for account %s must not be null", what, item->op->name,
						item->account_id)));
	if (strlen(value) > max)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s of %s for account %s is longer than %d bytes", what,
						item->op->name, item->account_id, max)));
}

static void
append_json_field(StringInfo buf, const char *key, const char *value)
{
	if (buf->data[buf->len - 1] != '{')
		appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
	escape_json(buf, value);
}

/* PATCH .../manage/profile: the fields given, the extended ones nested */
static void
build_profile(StringInfo buf, const ActionItem *item)
{
	bool		any = false;
	bool		extended = false;

	appendStringInfoChar(buf, '{');
	for (int i = 0; i < ATL_PROFILE_FIELDS; i++)
	{
		bool		nested = i >= 2 && i <= 5;	/* job_title .. location */

		if (item->values[i] == NULL || nested)
			continue;
		check_value(item, profile_fields[i], item->values[i], ATL_VALUE_MAX);
		append_json_field(buf, profile_keys[i], item->values[i]);
		any = true;
	}
	for (int i = 2; i <= 5; i++)
	{
		if (item->values[i] == NULL)
			continue;
		check_value(item, profile_fields[i], item->values[i], ATL_VALUE_MAX);
		if (!extended)
			appendStringInfoString(buf, any ? ", \"extended_profile\": {" : "\"extended_profile\": {");
		extended = any = true;
		append_json_field(buf, profile_keys[i], item->values[i]);
	}
	if (extended)
		appendStringInfoChar(buf, '}');
	appendStringInfoChar(buf, '}');
	if (!any)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("update_profile for account %s names no field to change", item->account_id),
				 errhint("Give at least one of name, nickname, job_title, department, organization, location, time_zone, locale.")));
}

static char *
build_body(const ActionItem *item)
{
	StringInfoData buf;

	if (item->op->body == BODY_NONE)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	switch (item->op->body)
	{
		case BODY_NONE:
		case BODY_EMPTY:
			break;
		case BODY_ACCOUNT:
			append_json_field(&buf, "accountId", item->account_id);
			break;
		case BODY_ROLE:
			check_value(item, "role", item->values[0], ATL_VALUE_MAX);
			check_value(item, "resource", item->values[1], ATL_VALUE_MAX);
			append_json_field(&buf, "role", item->values[0]);
			append_json_field(&buf, "resource", item->values[1]);
			break;
		case BODY_EMAIL:
			check_value(item, "email", item->values[0], ATL_EMAIL_MAX);
			append_json_field(&buf, "email", item->values[0]);
			break;
		case BODY_PROFILE:
			resetStringInfo(&buf);
			build_profile(&buf, item);
			return buf.data;
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

void
atl_action_item_check(ActionItem *item)
{
	atl_check_account_id(item->account_id);
	if (item->op->shape == SHAPE_GROUP || item->op->shape == SHAPE_TOKEN)
	{
		const char *what = item->op->shape == SHAPE_GROUP ? "group id" : "token id";

		if (item->target == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s for account %s needs a %s", item->op->name, item->account_id, what)));
		atl_check_object_id(what, item->target);
	}
	else
		item->target = NULL;
	item->body = build_body(item);
	if (item->body && strlen(item->body) >= ATL_BODY_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the body of %s for account %s is longer than %d bytes",
						item->op->name, item->account_id, ATL_BODY_MAX - 1)));
}

AtlSource *
atl_action_items_source(const ActionItem *items, int n, const char *server)
{
	AtlSource  *src = atl_source_lookup(server);
	bool		site = false;
	bool		org = false;

	for (int i = 0; i < n; i++)
	{
		site |= items[i].op->target == ACT_JIRA;
		org |= items[i].op->target != ACT_JIRA;
	}
	if (site)
		atl_source_require_site(src);
	if (org)
		atl_source_require_org(src);
	return src;
}

static void
append_escaped(StringInfo buf, const char *value)
{
	appendStringInfoString(buf, atl_url_escape(value));
}

/* the operation's URL: its API's base, then the path with {id}, {target} */
static void
build_url(char *dst, const ActionItem *item, const AtlSource *src)
{
	const ActionOp *op = item->op;
	StringInfoData buf;

	initStringInfo(&buf);
	switch (op->target)
	{
		case ACT_USER_MGMT:
			appendStringInfo(&buf, "%s/users/", src->api_base);
			append_escaped(&buf, item->account_id);
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
			append_escaped(&buf, item->account_id), p += 3;
		else if (strncmp(p, "{target}", 8) == 0)
			append_escaped(&buf, item->target), p += 7;
		else
			appendStringInfoChar(&buf, *p);
	}
	if (buf.len >= ATL_URL_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the URL of %s for account %s is longer than %d bytes",
						op->name, item->account_id, ATL_URL_MAX - 1)));
	strlcpy(dst, buf.data, ATL_URL_MAX);
	pfree(buf.data);
}

void
atl_action_item_request(AtlActionRequest *req, const ActionItem *item, const AtlSource *src,
						bool dry_run, const char *protection)
{
	atl_action_fill(req, src, item->op->name, item->account_id, dry_run, protection);
	if (item->op->target == ACT_JIRA)
		atl_action_use_site(req, src);
	build_url(req->url, item, src);
	strlcpy(req->target, item->target ? item->target : "", sizeof(req->target));
	strlcpy(req->method, item->op->method, sizeof(req->method));
	strlcpy(req->body, item->body ? item->body : "", sizeof(req->body));
}
