/*
 * action_ops.c: atl_act(op, account_id, group_id, body, server, dry_run,
 * force), every action, from a catalogue.  The SQL functions (atl_disable(),
 * atl_add_to_group(), ...) are thin wrappers that build the body; only
 * operations in this table can be sent.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

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

typedef struct ActionOp
{
	const char *name;
	ActTarget	target;
	const char *method;
	const char *path;			/* {id}: the account, {group}: the group, encoded */
	bool		needs_group;
} ActionOp;

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

static const ActionOp *
find_op(const char *name)
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

static void
check_group(const ActionOp *op, const char *group)
{
	if (!op->needs_group)
		return;
	if (group == NULL)
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s needs a group id", op->name)));
	atl_check_object_id("group id", group);
}

/* the server, with the credentials that ops (nops of them) need */
static AtlSource *
op_source(const ActionOp *const *ops, int nops, FunctionCallInfo fcinfo, int argno)
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
static void
build_request(AtlActionRequest *req, const ActionOp *op, const AtlSource *src,
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

static char *
jsonb_text(Jsonb *body)
{
	return JsonbToCString(NULL, &body->root, VARSIZE(body));
}

PG_FUNCTION_INFO_V1(atl_act);

/* atl_act(op, account_id, group_id, body jsonb, server, dry_run, force) */
Datum
atl_act(PG_FUNCTION_ARGS)
{
	const ActionOp *op = find_op(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	const char *account_id = atl_action_account_id(fcinfo, 1);
	const char *group = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *body = PG_ARGISNULL(3) ? NULL : jsonb_text(PG_GETARG_JSONB_P(3));
	AtlSource  *src;
	AtlActionRequest *req = palloc(sizeof(AtlActionRequest));
	char	  **protections = NULL;

	check_group(op, group);
	src = op_source(&op, 1, fcinfo, 4);
	if (!atl_action_force(fcinfo, 6))
	{
		Datum		id = CStringGetTextDatum(account_id);

		protections = atl_action_protections(fcinfo, src, PointerGetDatum(
															 construct_array(&id, 1, TEXTOID, -1, false, TYPALIGN_INT)));
	}
	build_request(req, op, src, account_id, group, body, atl_action_dry_run(fcinfo, 5),
				  protections ? protections[0] : NULL);
	return atl_action_run(fcinfo, req);
}

/* --- the set-based form ------------------------------------------------- */

typedef struct ManyActions
{
	const ActionOp **ops;		/* one for all, or one each */
	int			nops;
	AtlSource  *src;
	int			n;
	int			next;
	Datum	   *ids;
	Datum	   *groups;			/* NULL, one for all, or one each */
	bool	   *group_nulls;
	int			ngroups;
	Datum	   *bodies;			/* likewise */
	bool	   *body_nulls;
	int			nbodies;
	bool		dry_run;
	char	  **protections;	/* NULL when forced */
	bool	   *repeated;		/* the same action as an earlier element */
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext row_cxt;
} ManyActions;

/*
 * The elements of a 1-D array argument, or NULL.  Where *nulls is NULL,
 * none may be null.
 */
static Datum *
array_arg(FunctionCallInfo fcinfo, int argno, Oid elemtype, const char *what, int *n,
		  bool **nulls)
{
	Datum	   *elems;
	bool	   *isnull;

	*n = 0;
	if (PG_ARGISNULL(argno))
		return NULL;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(argno), elemtype, -1, false, TYPALIGN_INT,
					  &elems, &isnull, n);
	for (int i = 0; i < *n && nulls == NULL; i++)
		if (isnull[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("%s must not contain nulls", what)));
	if (nulls)
		*nulls = isnull;
	return elems;
}

/* an argument given once for all accounts, or once for each; false if null */
static bool
nth(Datum *values, bool *nulls, int count, int i, Datum *value)
{
	int			k = count == 1 ? 0 : i;

	if (values == NULL || nulls[k])
		return false;
	*value = values[k];
	return true;
}

static char *
nth_text(const ManyActions *m, int i)
{
	Datum		d;

	return nth(m->groups, m->group_nulls, m->ngroups, i, &d) ? TextDatumGetCString(d) : NULL;
}

static char *
nth_body(const ManyActions *m, int i)
{
	Datum		d;

	return nth(m->bodies, m->body_nulls, m->nbodies, i, &d) ? jsonb_text(DatumGetJsonbP(d)) : NULL;
}

static const ActionOp *
op_of(const ManyActions *m, int i)
{
	return m->ops[m->nops == 1 ? 0 : i];
}

static void
check_counts(const ManyActions *m)
{
	if (m->nops == 0 || (m->nops != 1 && m->nops != m->n) ||
		(m->groups && m->ngroups != 1 && m->ngroups != m->n) ||
		(m->bodies && m->nbodies != 1 && m->nbodies != m->n))
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%d accounts need one action, group id and body for all, or one for each",
						m->n)));
	for (int i = 0; i < m->n; i++)
	{
		atl_check_account_id(TextDatumGetCString(m->ids[i]));
		check_group(op_of(m, i), nth_text(m, i));
	}
}

/* the actions named, from the catalogue */
static void
resolve_ops(ManyActions *m, FunctionCallInfo fcinfo)
{
	Datum	   *names = array_arg(fcinfo, 0, TEXTOID, "actions", &m->nops, NULL);

	m->ops = palloc(sizeof(ActionOp *) * Max(m->nops, 1));
	for (int i = 0; i < m->nops; i++)
		m->ops[i] = find_op(TextDatumGetCString(names[i]));
}

/* a datum's bytes (text or jsonb: equal values, equal bytes), for sorting */
static int
compare_varlena(Datum a, Datum b)
{
	struct varlena *va = PG_DETOAST_DATUM_PACKED(a);
	struct varlena *vb = PG_DETOAST_DATUM_PACKED(b);
	int			la = VARSIZE_ANY_EXHDR(va);
	int			lb = VARSIZE_ANY_EXHDR(vb);
	int			c = memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
}

/* nulls first */
static int
compare_nullable(Datum *values, bool *nulls, int i, int j)
{
	if (nulls[i] || nulls[j])
		return (int) nulls[j] - (int) nulls[i];
	return compare_varlena(values[i], values[j]);
}

static ManyActions *sorting;	/* qsort's comparator has no argument */

static int
compare_actions(const void *a, const void *b)
{
	int			i = *(const int *) a;
	int			j = *(const int *) b;
	int			c = compare_varlena(sorting->ids[i], sorting->ids[j]);

	if (c == 0 && sorting->nops > 1)
		c = strcmp(sorting->ops[i]->name, sorting->ops[j]->name);
	if (c == 0 && sorting->groups && sorting->ngroups > 1)
		c = compare_nullable(sorting->groups, sorting->group_nulls, i, j);
	if (c == 0 && sorting->bodies && sorting->nbodies > 1)
		c = compare_nullable(sorting->bodies, sorting->body_nulls, i, j);
	return c != 0 ? c : (i > j) - (i < j);
}

/*
 * The same action asked for twice in one call is one intent: it is sent
 * (and recorded) once, for its first element.
 */
static void
mark_repeats(ManyActions *m)
{
	int		   *order = palloc(sizeof(int) * m->n);

	m->repeated = palloc0(sizeof(bool) * m->n);
	for (int i = 0; i < m->n; i++)
		order[i] = i;
	sorting = m;
	qsort(order, m->n, sizeof(int), compare_actions);
	for (int k = 1; k < m->n; k++)
	{
		int			prev = order[k - 1];
		int			i = order[k];

		m->repeated[i] = compare_varlena(m->ids[prev], m->ids[i]) == 0 &&
			op_of(m, prev) == op_of(m, i) &&
			(m->groups == NULL || m->ngroups == 1 ||
			 compare_nullable(m->groups, m->group_nulls, prev, i) == 0) &&
			(m->bodies == NULL || m->nbodies == 1 ||
			 compare_nullable(m->bodies, m->body_nulls, prev, i) == 0);
	}
	pfree(order);
}

static bool
next_action(AtlActionRequest *req, void *arg)
{
	ManyActions *m = arg;
	MemoryContext old;
	int			i = m->next;

	while (i < m->n && m->repeated[i])
		i++;
	if (i >= m->n)
		return false;
	m->next = i + 1;
	old = MemoryContextSwitchTo(m->row_cxt);
	build_request(req, op_of(m, i), m->src, TextDatumGetCString(m->ids[i]),
				  nth_text(m, i), nth_body(m, i),
				  m->dry_run, m->protections ? m->protections[i] : NULL);
	MemoryContextSwitchTo(old);
	MemoryContextReset(m->row_cxt);
	return true;
}

static void
put_row(const AtlActionRequest *req, const AtlActionResult *res, void *arg)
{
	ManyActions *m = arg;
	MemoryContext old = MemoryContextSwitchTo(m->row_cxt);

	tuplestore_puttuple(m->store, atl_action_audit_tuple(m->desc, req, res));
	MemoryContextSwitchTo(old);
	MemoryContextReset(m->row_cxt);
}

PG_FUNCTION_INFO_V1(atl_act_many);

/*
 * atl_act_many(ops text[], account_ids text[], group_ids text[], bodies jsonb[],
 * server, dry_run, force): the accounts' audit rows, in the order their
 * requests end.  Everything is checked before anything is sent; an action
 * listed twice is done once.
 */
Datum
atl_act_many(PG_FUNCTION_ARGS)
{
	ManyActions m = {0};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	resolve_ops(&m, fcinfo);
	m.ids = array_arg(fcinfo, 1, TEXTOID, "account ids", &m.n, NULL);
	m.groups = array_arg(fcinfo, 2, TEXTOID, "group ids", &m.ngroups, &m.group_nulls);
	m.bodies = array_arg(fcinfo, 3, JSONBOID, "bodies", &m.nbodies, &m.body_nulls);
	check_counts(&m);
	InitMaterializedSRF(fcinfo, 0);
	if (m.n == 0)
		return (Datum) 0;
	mark_repeats(&m);
	m.src = op_source(m.ops, m.nops, fcinfo, 4);
	m.dry_run = atl_action_dry_run(fcinfo, 5);
	if (!atl_action_force(fcinfo, 6))
		m.protections = atl_action_protections(fcinfo, m.src, PG_GETARG_DATUM(1));
	m.store = rsinfo->setResult;
	m.desc = rsinfo->setDesc;
	m.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "atlorg action row",
									  ALLOCSET_SMALL_SIZES);
	atl_executor_run_many(next_action, put_row, &m);
	return (Datum) 0;
}
