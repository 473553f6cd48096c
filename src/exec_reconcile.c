/*
 * exec_reconcile.c: reading accounts back to see whether requests took effect
 * (exec_reconcile.h).
 */
#include "postgres.h"

#include "access/xact.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "api_catalogue.h"
#include "api_json.h"
#include "api_pager.h"
#include "exec_reconcile.h"
#include "fdw_source.h"
#include "exec_subxact.h"

#define READ_BATCH 10			/* users/search takes ten accountIds */

/* the accounts as read: their search items, by account id */
typedef struct ReadBack
{
	int			n;
	char	   *ids[READ_BATCH];
	JsonbContainer *users[READ_BATCH];
} ReadBack;

static void
keep_user(JsonbValue *item, void *arg)
{
	ReadBack   *rb = arg;
	char	   *id;

	if (item->type != jbvBinary)
		return;
	id = atl_json_text(item->val.binary.data, "accountId");
	for (int i = 0; id && i < rb->n; i++)
		if (strcmp(rb->ids[i], id) == 0)
		{
			/* the pager resets its context after each page: keep a copy */
			MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

			rb->users[i] = &JsonbValueToJsonb(item)->root;
			MemoryContextSwitchTo(old);
		}
}

static bool
text_is(JsonbContainer *user, const char *key, const char *want)
{
	char	   *have = atl_json_text(user, key);

	return have && want && strcmp(have, want) == 0;
}

/* is the group among the user's (ids may be ARIs ending in the id)? */
static bool
in_group(JsonbContainer *user, const char *group_id)
{
	JsonbContainer *groups = atl_json_array(user, "groups");
	size_t		len = strlen(group_id);

	for (int i = 0; groups && i < atl_json_array_length(groups); i++)
	{
		char	   *id = atl_json_text(atl_json_element_object(groups, i), "id");
		size_t		idlen = id ? strlen(id) : 0;

		if (id && idlen >= len && strcmp(id + idlen - len, group_id) == 0 &&
			(idlen == len || id[idlen - len - 1] == '/'))
			return true;
	}
	return false;
}

/* the profile fields a body sets, as the directory's user names them */
static AtlSeen
profile_seen(JsonbContainer *user, const char *body)
{
	static const char *const fields[][2] = {
		{"name", "name"}, {"nickname", "nickname"}, {"zoneinfo", "timeZone"},
		{"extended_profile.job_title", "jobTitle"},
		{"extended_profile.department", "department"},
		{"extended_profile.organization", "organization"},
		{"extended_profile.location", "location"},
	};
	char	   *why;
	JsonbContainer *sent = atl_json_parse(body, strlen(body), &why);
	int			compared = 0;

	if (sent == NULL)
		return ATL_SEEN_UNKNOWN;
	for (int f = 0; f < lengthof(fields); f++)
	{
		const char *key = fields[f][0];
		JsonbContainer *from = sent;
		char	   *want;
		char	   *have;

		if (strncmp(key, "extended_profile.", 17) == 0)
		{
			from = atl_json_object(sent, "extended_profile");
			key += 17;
		}
		if (from == NULL || (want = atl_json_text(from, key)) == NULL)
			continue;
		have = atl_json_text(user, fields[f][1]);
		if (strcmp(want, have ? have : "") != 0)
			return ATL_SEEN_UNCHANGED;
		compared++;
	}
	return compared > 0 ? ATL_SEEN_CHANGED : ATL_SEEN_UNKNOWN;
}

/*
 * An account Atlassian refuses this action for (not managed by the org, or
 * synced from an identity provider, for lifecycle, e-mail and profile):
 * an unchanged account then proves nothing (the request may have been
 * refused), and sending it again would only be refused again.
 */
static bool
would_refuse(const AtlActionRequest *req, JsonbContainer *user)
{
	static const char *const user_management[] = {
		"disable", "enable", "delete", "cancel-delete", "set_email", "update_profile"
	};

	for (int i = 0; i < lengthof(user_management); i++)
		if (strcmp(req->action, user_management[i]) == 0)
			return !text_is(user, "claimStatus", "managed") ||
				text_is(user, "managementSource", "synced");
	return false;
}

static AtlSeen judge_change(const AtlActionRequest *req, JsonbContainer *user);

/* what the user as read says of the request */
static AtlSeen
judge(const AtlActionRequest *req, JsonbContainer *user)
{
	AtlSeen		seen = judge_change(req, user);

	return seen == ATL_SEEN_UNCHANGED && would_refuse(req, user) ? ATL_SEEN_UNKNOWN : seen;
}

static AtlSeen
judge_change(const AtlActionRequest *req, JsonbContainer *user)
{
	const char *a = req->action;
	char	   *status = user ? atl_json_text(user, "status") : NULL;

	if (user == NULL)
		return strcmp(a, "remove_from_directory") == 0 ? ATL_SEEN_CHANGED : ATL_SEEN_UNKNOWN;
	if (strcmp(a, "disable") == 0)
		return text_is(user, "accountStatus", "inactive") ? ATL_SEEN_CHANGED : ATL_SEEN_UNCHANGED;
	if (strcmp(a, "enable") == 0)
		return text_is(user, "accountStatus", "active") ? ATL_SEEN_CHANGED : ATL_SEEN_UNCHANGED;
	if (strcmp(a, "delete") == 0)
		return status && strcmp(status, "for_deletion") == 0 ? ATL_SEEN_CHANGED : ATL_SEEN_UNCHANGED;
	if (strcmp(a, "cancel-delete") == 0)
		return status && strcmp(status, "for_deletion") != 0 ? ATL_SEEN_CHANGED : ATL_SEEN_UNCHANGED;
	if (strcmp(a, "suspend") == 0)
		return text_is(user, "membershipStatus", "suspended") ? ATL_SEEN_CHANGED : ATL_SEEN_UNCHANGED;
	if (strcmp(a, "restore") == 0)
		return text_is(user, "membershipStatus", "active") ? ATL_SEEN_CHANGED : ATL_SEEN_UNCHANGED;
	if (strcmp(a, "remove_from_directory") == 0)
		return status && strcmp(status, "not_invited") == 0 ? ATL_SEEN_CHANGED : ATL_SEEN_UNCHANGED;
	if (strcmp(a, "add_to_group") == 0 || strcmp(a, "remove_from_group") == 0)
		return in_group(user, req->target) == (a[0] == 'a') ? ATL_SEEN_CHANGED : ATL_SEEN_UNCHANGED;
	if (strcmp(a, "set_email") == 0)
	{
		char	   *why;
		JsonbContainer *sent = atl_json_parse(req->body, strlen(req->body), &why);
		char	   *want = sent ? atl_json_text(sent, "email") : NULL;
		char	   *have = atl_json_text(user, "email");

		if (want == NULL)
			return ATL_SEEN_UNKNOWN;
		return have && pg_strcasecmp(want, have) == 0 ? ATL_SEEN_CHANGED : ATL_SEEN_UNCHANGED;
	}
	if (strcmp(a, "update_profile") == 0)
		return profile_seen(user, req->body);
	return ATL_SEEN_UNKNOWN;
}

static const char *
seen_words(AtlSeen seen, const AtlActionRequest *req, JsonbContainer *user)
{
	char	   *status = user ? atl_json_text(user, "status") : NULL;

	if (seen == ATL_SEEN_UNKNOWN && user == NULL)
		return psprintf("the directory did not list account %s when read back", req->account_id);
	if (seen == ATL_SEEN_UNKNOWN && judge_change(req, user) == ATL_SEEN_UNCHANGED)
	{
		char	   *claim = atl_json_text(user, "claimStatus");
		char	   *source = atl_json_text(user, "managementSource");

		return psprintf("read back: no change, but Atlassian refuses %s for this account "
						"(claim status %s, managed by %s), so the request may have been refused",
						req->action, claim ? claim : "?", source ? source : "nobody");
	}
	if (seen == ATL_SEEN_UNKNOWN)
		return psprintf("no read shows what %s changes", req->action);
	return psprintf("read back: %s (status %s)",
					seen == ATL_SEEN_CHANGED ? "Atlassian shows the change" :
					"Atlassian does not show the change", status ? status : "?");
}

/* one users/search for up to ten requests' accounts, as their role */
static void
read_accounts(AtlActionRequest *const *reqs, int n, ReadBack *rb)
{
	AtlSource  *src = atl_source_lookup_as(reqs[0]->server, reqs[0]->acted_by_oid);
	AtlPager	pager;
	StringInfoData body;

	rb->n = 0;
	initStringInfo(&body);
	appendStringInfoString(&body, "\"accountIds\": [");
	for (int i = 0; i < n; i++)
	{
		rb->ids[rb->n] = (char *) reqs[i]->account_id;
		rb->users[rb->n++] = NULL;
		appendStringInfo(&body, "%s\"%s\"", i ? ", " : "", reqs[i]->account_id);
	}
	appendStringInfoString(&body, "], \"expand\": [\"groups\"]");
	atl_source_require_org(src);
	atl_pager_init(&pager, src, atl_catalogue_find("users.search"), NULL);
	pager.body_fields = body.data;
	atl_pager_each(&pager, keep_user, rb);
}

typedef struct ReadArgs
{
	AtlActionRequest *const *reqs;
	int			n;
	ReadBack   *rb;
} ReadArgs;

static void
read_accounts_step(void *arg)
{
	ReadArgs   *a = arg;

	read_accounts(a->reqs, a->n, a->rb);
}

/* one read for a batch (same server and role), caught: its error is the evidence */
static void
reconcile_batch(AtlActionRequest *const *reqs, int n, AtlSeen *seen, char **evidence)
{
	ReadBack	rb;
	ReadArgs	args = {reqs, n, &rb};
	char	   *error;

	if (!atl_subxact_try(read_accounts_step, &args, &error))
	{
		for (int i = 0; i < n; i++)
		{
			seen[i] = ATL_SEEN_UNKNOWN;
			evidence[i] = psprintf("reading the account back failed: %s", error);
		}
		return;
	}
	for (int i = 0; i < n; i++)
	{
		seen[i] = judge(reqs[i], rb.users[i]);
		evidence[i] = pstrdup(seen_words(seen[i], reqs[i], rb.users[i]));
	}
}

void
atl_reconcile(AtlActionRequest *const *reqs, int n, AtlSeen *seen, char **evidence)
{
	int			start = 0;

	while (start < n)
	{
		int			end = start + 1;

		/* a batch: the same server and role, accounts in the directory's reach */
		while (end < n && end - start < READ_BATCH &&
			   strcmp(reqs[end]->server, reqs[start]->server) == 0 &&
			   reqs[end]->acted_by_oid == reqs[start]->acted_by_oid)
			end++;
		reconcile_batch(reqs + start, end - start, seen + start, evidence + start);
		start = end;
	}
}
