/*
 * api_catalogue.c: the read operations (paths and paging from Atlassian's
 * OpenAPI documents; see REFERENCE.md in the design notes).
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "api_catalogue.h"

#define DIR "/v2/orgs/{orgId}/directories/{directoryId}"

/*
 * scope: what Atlassian's 2026-08 OpenAPI document names in each
 * operation's description; NULL where it names none (only keys without
 * scopes may call those).
 */
static const AtlReadOp catalogue[] = {
	/* organizations API */
	{"users.search", ATL_API_ORG, "POST", DIR "/users/search",
	ATL_PAGE_BODY_CURSOR, "data", "limit", 100, false, NULL},
	{"users.count", ATL_API_ORG, "GET", DIR "/users/count",
	ATL_PAGE_NONE, "", NULL, 0, false, NULL},
	{"users.stats", ATL_API_ORG, "GET", DIR "/users/stats",
	ATL_PAGE_NONE, "", NULL, 0, false, "read:directories:admin"},
	{"users.role_assignments", ATL_API_ORG, "GET", DIR "/users/{accountId}/role-assignments",
	ATL_PAGE_QUERY_CURSOR, "data", "limit", 100, false, "read:directories:admin"},
	{"accounts", ATL_API_ORG, "GET", "/v1/orgs/{orgId}/users",
	ATL_PAGE_QUERY_CURSOR, "data", NULL, 0, false, "read:accounts:admin"},
	{"last_active", ATL_API_ORG, "GET",
		"/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates",
	ATL_PAGE_QUERY_CURSOR, "data", NULL, 0, false, NULL},
	{"groups.search", ATL_API_ORG, "POST", DIR "/groups/search",
	ATL_PAGE_BODY_CURSOR, "data", "limit", 100, false, NULL},
	{"groups.count", ATL_API_ORG, "GET", DIR "/groups/count",
	ATL_PAGE_NONE, "", NULL, 0, false, NULL},
	{"groups.stats", ATL_API_ORG, "GET", DIR "/groups/stats",
	ATL_PAGE_NONE, "", NULL, 0, false, NULL},
	{"groups.role_assignments", ATL_API_ORG, "GET", DIR "/groups/{groupId}/role-assignments",
	ATL_PAGE_QUERY_CURSOR, "data", "limit", 100, false, "read:groups:admin"},
	{"directories", ATL_API_ORG, "GET", "/v2/orgs/{orgId}/directories",
	ATL_PAGE_QUERY_CURSOR, "data", "limit", 100, false, "read:directories:admin"},
	{"workspaces", ATL_API_ORG, "POST", "/v2/orgs/{orgId}/workspaces",
	ATL_PAGE_BODY_CURSOR, "data", "limit", 100, true, "read:workspaces:admin"},
	{"domains", ATL_API_ORG, "GET", "/v1/orgs/{orgId}/domains",
	ATL_PAGE_QUERY_CURSOR, "data", NULL, 0, false, "read:domains:admin"},
	{"events", ATL_API_ORG, "GET", "/v1/orgs/{orgId}/events",
	ATL_PAGE_QUERY_CURSOR, "data", "limit", 500, false, "read:events:admin"},
	{"event_actions", ATL_API_ORG, "GET", "/v1/orgs/{orgId}/event-actions",
	ATL_PAGE_NONE, "data", NULL, 0, false, "read:events:admin"},
	/* user management API */
	{"users.api_tokens", ATL_API_USER_MGMT, "GET", "/users/{accountId}/manage/api-tokens",
	ATL_PAGE_NONE, NULL, NULL, 0, false, NULL},
	/* Jira Cloud platform REST v3 */
	{"jira.users", ATL_API_JIRA, "GET", "/users/search",
	ATL_PAGE_START_AT, NULL, "maxResults", 1000, false, NULL},
	{"jira.groups", ATL_API_JIRA, "GET", "/group/bulk",
	ATL_PAGE_START_AT, "values", "maxResults", 50, false, NULL},
	{"jira.group_members", ATL_API_JIRA, "GET", "/group/member",
	ATL_PAGE_START_AT, "values", "maxResults", 50, false, NULL},
	{NULL}
};

const AtlReadOp *
atl_catalogue_find(const char *name)
{
	StringInfoData names;

	for (const AtlReadOp *op = catalogue; op->name; op++)
		if (strcmp(op->name, name) == 0)
			return op;
	initStringInfo(&names);
	for (const AtlReadOp *op = catalogue; op->name; op++)
		appendStringInfo(&names, "%s%s", names.len ? ", " : "", op->name);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown atlorg read operation \"%s\"", name),
			 errhint("Known operations: %s.", names.data)));
	pg_unreachable();
}
