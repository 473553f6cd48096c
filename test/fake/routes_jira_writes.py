"""Jira Cloud platform REST v3 writes on the site (REFERENCE.md §8), Basic auth.

POST   /rest/api/3/group/user?groupId=|groupname=  {"accountId"}  -> 201 Group
DELETE /rest/api/3/group/user?groupId=|groupname=&accountId=     -> 200, no body
DELETE /rest/api/3/user?accountId=                                -> 204

Jira Cloud groups are the org's directory groups, so a membership changed
here is the org's (users/search groups, group counts, expect/groups): it
gives or takes the access the group grants and appends the same audit-log
events as the Organizations API (access_writes.py).  The site checks no
user limit (the control config's user_limits apply to the
Organizations API).  DELETE /user
removes the user from the site's user base only ("does not delete the
user's Atlassian account"): the user leaves users/search and group/member
of the site, the org keeps it unchanged; granting product access on the
Jira site (roles/assign) puts it back.

Errors are ErrorCollection bodies:
- 400 groupId and groupname both or neither; accountId missing (body or
  query); adding a member again ("Cannot add user ... already a member",
  REFERENCE.md §8; Jira's exact wording is unverified; in errorMessages,
  or in the errors map under accountId with the control config
  {"jira_already_shape": "fields"}); removing a
  non-member (the fake's choice: the same 400 shape as the add); a group
  synced from an identity provider (it cannot be changed); deleting an app
  account (the spec's "the user cannot be removed");
- 403 with the control config {"jira_browse_users": false}: that site user
  is not a site admin either;
- 404 unknown group ("Specified group does not exist."), unknown user or
  one removed from the site ("Specified user does not exist or you do not
  have required permissions", the message seen live).
"""

from urllib.parse import quote

import access_writes
import errors
import params
import routes_jira
from events import site_ref
from http_types import JSON_TYPE, Response
from paging import base_url

NOT_ADMIN = "Site administration permission is required to {}."
NO_USER = "Specified user does not exist or you do not have required permissions"


def bad(message):
    return errors.jira(400, [message])


def site_user(app, account_id):
    """The org user the site lists under account_id, or None."""
    index = app.org.index_of_account(account_id)
    if index is None or index in app.org.jira_removed:
        return None
    return app.org.user(index)


def group_of(app, req):
    """(group index, None) or (None, 400/404) from groupId / groupname."""
    group_id, name = params.text(req, "groupId"), params.text(req, "groupname")
    if (group_id is None) == (name is None):
        return None, bad("You must provide either a group name or a group ID, but not both.")
    g = routes_jira.find_group(app.org, group_id, name)
    if g is None:
        return None, routes_jira.no_group()
    if app.org.groups[g]["synced"]:
        return None, bad(f"Group '{app.org.groups[g]['name']}' is synced from an identity "
                         "provider and cannot be changed.")
    return g, None


def body_account_id(req):
    """The body's accountId, or None."""
    ok, body = req.parsed_body()
    if req.media_type() != JSON_TYPE or not ok or not isinstance(body, dict):
        return None
    value = body.get("accountId")
    return value if isinstance(value, str) and value else None


# ---- group membership -------------------------------------------------------------
def add_user_to_group(app, req, match):
    if not app.config["jira_browse_users"]:
        return errors.jira(403, [NOT_ADMIN.format("add users to groups")])
    g, problem = group_of(app, req)
    if problem:
        return problem
    account_id = body_account_id(req)
    if account_id is None:
        return bad("accountId must be provided in the request body.")
    with app.org.lock:  # check-then-set must not interleave with another request
        user = site_user(app, account_id)
        if user is None:
            return errors.jira(404, [NO_USER])
        group = app.org.groups[g]
        if g in user.groups:
            return already_member(app, account_id, group)
        access_writes.join(app, user, g)
        size = app.index.get().member_count(app.org, g) - sum(
            g in app.org.user(i).groups for i in app.org.jira_removed)
    return Response.json(201, group_json(req, group, size))


def already_member(app, account_id, group):
    """Jira's 400 for adding a member again, its message where the config says."""
    message = f"Cannot add user. '{account_id}' is already a member of '{group['name']}'."
    if app.config["jira_already_shape"] == "fields":
        return errors.jira(400, [], {"accountId": message})
    return bad(message)


def group_json(req, group, size):
    """Jira's Group: users unexpanded (size only), as the site answers it."""
    return {"name": group["name"], "groupId": group["uuid"],
            "self": f"{base_url(req)}/rest/api/3/group?groupId={quote(group['uuid'])}",
            "users": {"size": size, "items": [], "max-results": 50, "start-index": 0,
                      "end-index": 0},
            "expand": "users"}


def remove_user_from_group(app, req, match):
    if not app.config["jira_browse_users"]:
        return errors.jira(403, [NOT_ADMIN.format("remove users from groups")])
    g, problem = group_of(app, req)
    if problem:
        return problem
    account_id = params.text(req, "accountId")
    if not account_id:
        return bad("accountId must be provided.")
    with app.org.lock:
        user = site_user(app, account_id)
        if user is None:
            return errors.jira(404, [NO_USER])
        group = app.org.groups[g]
        if g not in user.groups:
            return bad(f"Cannot remove user. '{account_id}' is not a member of "
                       f"'{group['name']}'.")
        access_writes.leave(app, user, g)
    return Response.empty(200)


# ---- removal from the site ------------------------------------------------------------
def remove_user(app, req, match):
    if not app.config["jira_browse_users"]:
        return errors.jira(403, [NOT_ADMIN.format("delete users")])
    account_id = params.text(req, "accountId")
    if not account_id:
        return bad("accountId must be provided.")
    if any(app_id == account_id for app_id, _ in app.org.apps):
        return bad("The user cannot be removed: app users are managed by their app.")
    with app.org.lock:
        user = site_user(app, account_id)
        if user is None:
            return errors.jira(404, [NO_USER])
        app.org.set_jira_listed(user, False)
        site = app.org.sites["jira"][0]["ari"]  # the site this fake serves
        app.audit.append("user_removed_from_site", user, [site_ref(site, "jira-software")],
                         "jira")
    return Response.empty(204)
