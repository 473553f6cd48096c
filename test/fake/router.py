"""Which handler answers a request, under which operation name and scope.

ROUTES lists every API operation: (method or None, path regex, handler,
operation name as in operations.json, scope).  method None means the handler
checks the method itself (the two original handlers do).  A path that
matches with another method answers 405 in the service's error shape.

scope is the authorization scope the operation's description names
(organizations.2026-08-21.json, "Authorization scopes required"), or None
when it names none.  An API key with scopes reaches only operations that
name a read scope; the others refuse it with 403 (see server.py).  The
User management API names manage:org, which the key creation flow never
offers (REFERENCE.md §1.1), so scoped keys are refused there too.  The
write operations name no scope: a scoped key is refused by all of them.

The write operations' names: the spec's operationId where there is one
(assignRole, revokeRole, addUserToGroup, removeUserFromGroup, removeUser),
else the fake's own, as for the lifecycle operations and the group role
grants (assignGroupRole, revokeGroupRole: the spec gives them no
operationId, and test/schemas/operations.json does not list them yet).
"""

import re

import errors
import routes_api_tokens
import routes_directory
import routes_directory_writes as dir_writes
import routes_events
import routes_group_roles
import routes_groups
import routes_jira
import routes_jira_writes
import routes_profile
import routes_roles
import routes_user_mgmt
import routes_users_v2
import routes_v1
import routes_workspaces

V2 = r"/admin/v2/orgs/([^/]+)"
DIR = V2 + r"/directories/([^/]+)"
V1 = r"/admin/v1/orgs/([^/]+)"
# An account id, but not one of the literal users/ paths (their other
# methods stay 405, as before the DELETE of a user existed).
ACCOUNT = r"/users/(?!(?:search|count|stats)/?$)([^/]+)"
UM = r"/users/([^/]+)/manage"
DIRECTORIES = "read:directories:admin"
GROUPS = "read:groups:admin"
UM_SCOPE = "manage:org"
# Scopes an API key with scopes can hold (the creation flow offers these).
GRANTABLE = frozenset((DIRECTORIES, GROUPS, "read:accounts:admin", "read:domains:admin",
                       "read:events:admin", "read:workspaces:admin", "read:orgs:admin"))

ROUTES = (
    (None, DIR + r"/users/search", routes_directory.handle, "searchDirectoryUsers", None),
    ("GET", DIR + r"/users/count", routes_users_v2.count, "getDirectoryUsersCount", None),
    ("GET", DIR + r"/users/stats", routes_users_v2.stats, "getUserStats", DIRECTORIES),
    ("GET", DIR + r"/users/([^/]+)/role-assignments", routes_users_v2.role_assignments,
     "getUserRoleAssignments", DIRECTORIES),
    ("GET", V2 + r"/directories", routes_users_v2.directories, "getDirectoriesForOrg",
     DIRECTORIES),
    ("POST", DIR + r"/groups/search", routes_groups.search, "searchDirectoryGroups", None),
    ("GET", DIR + r"/groups", routes_groups.list_groups, "getGroups", GROUPS),
    ("GET", DIR + r"/groups/count", routes_groups.count, "getGroupsCount", None),
    ("GET", DIR + r"/groups/stats", routes_groups.stats, "getGroupsStats", None),
    ("GET", DIR + r"/groups/([^/]+)/role-assignments", routes_groups.role_assignments,
     "getGroupRoleAssignments", GROUPS),
    ("GET", DIR + r"/groups/([^/]+)", routes_groups.one_group, "getGroup", None),
    ("POST", V2 + r"/workspaces", routes_workspaces.handle, "queryWorkspacesV2",
     "read:workspaces:admin"),
    ("GET", V1 + r"/users", routes_v1.users, "getUsers", "read:accounts:admin"),
    ("GET", V1 + r"/directory/users/([^/]+)/last-active-dates", routes_v1.last_active,
     "getUserLastActiveDates", None),
    ("GET", V1 + r"/domains", routes_v1.domains, "getDomains", "read:domains:admin"),
    ("GET", V1 + r"/events", routes_events.events, "getEvents", "read:events:admin"),
    ("GET", V1 + r"/event-actions", routes_events.actions, "getEventActions",
     "read:events:admin"),
    (None, r"/users/([^/]+)/manage/lifecycle/([^/]+)", routes_user_mgmt.handle,
     "lifecycle", UM_SCOPE),
    ("GET", r"/rest/api/3/users/search", routes_jira.users_search, "getAllUsers", None),
    ("GET", r"/rest/api/3/group/bulk", routes_jira.group_bulk, "bulkGetGroups", None),
    ("GET", r"/rest/api/3/group/member", routes_jira.group_member, "getUsersFromGroup", None),
    # ---- writes ----
    ("POST", DIR + r"/users/([^/]+)/suspend", dir_writes.suspend, "suspendUser", None),
    ("POST", DIR + r"/users/([^/]+)/restore", dir_writes.restore, "restoreUser", None),
    ("DELETE", DIR + ACCOUNT, dir_writes.remove, "removeDirectoryUser", None),
    ("POST", DIR + r"/groups/([^/]+)/memberships", dir_writes.add_member, "addGroupMember",
     None),
    ("DELETE", DIR + r"/groups/([^/]+)/memberships/([^/]+)", dir_writes.remove_member,
     "removeGroupMember", None),
    ("POST", DIR + r"/groups/([^/]+)/role-assignments/assign", routes_group_roles.assign,
     "assignGroupRole", None),
    ("POST", DIR + r"/groups/([^/]+)/role-assignments/revoke", routes_group_roles.revoke,
     "revokeGroupRole", None),
    ("POST", V1 + r"/users/([^/]+)/roles/assign", routes_roles.assign, "assignRole", None),
    ("POST", V1 + r"/users/([^/]+)/roles/revoke", routes_roles.revoke, "revokeRole", None),
    ("PUT", UM + r"/email", routes_profile.set_email, "setEmail", UM_SCOPE),
    ("GET", UM + r"/profile", routes_profile.get_profile, "getProfile", UM_SCOPE),
    ("PATCH", UM + r"/profile", routes_profile.update_profile, "updateProfile", UM_SCOPE),
    ("GET", UM + r"/api-tokens", routes_api_tokens.list_tokens, "getApiTokens", UM_SCOPE),
    ("DELETE", UM + r"/api-tokens/([^/]+)", routes_api_tokens.delete_token, "deleteApiToken",
     UM_SCOPE),
    ("POST", r"/rest/api/3/group/user", routes_jira_writes.add_user_to_group, "addUserToGroup",
     None),
    ("DELETE", r"/rest/api/3/group/user", routes_jira_writes.remove_user_from_group,
     "removeUserFromGroup", None),
    ("DELETE", r"/rest/api/3/user", routes_jira_writes.remove_user, "removeUser", None),
)
COMPILED = [(method, re.compile("^" + pattern + "/?$"), handler, name, scope)
            for method, pattern, handler, name, scope in ROUTES]
LIFECYCLE_NAMES = {"disable": "disableUser", "enable": "enableUser", "delete": "deleteUser",
                   "cancel-delete": "cancelDeleteUser"}


class Route:
    def __init__(self, handler, match, name, scope):
        self.handler, self.match, self.name, self.scope = handler, match, name, scope
        # No operation answers: 404/405 come before any scope check.
        self.checks_scope = handler not in (not_found, not_allowed)

    def scoped_key_allowed(self):
        return self.scope in GRANTABLE

    def __call__(self, app, req):
        return self.handler(app, req, self.match)


def find(req):
    """The Route for a request; a 405 or 404 Route when none answers it."""
    wrong_method = None
    for method, regex, handler, name, scope in COMPILED:
        match = regex.match(req.path)
        if not match:
            continue
        if method is None or method == req.method:
            if name == "lifecycle":
                name = LIFECYCLE_NAMES.get(match.group(2), "other")
            return Route(handler, match, name, scope)
        wrong_method = wrong_method or Route(not_allowed, match, name, scope)
    return wrong_method or Route(not_found, None, "other", None)


def not_allowed(app, req, match):
    api = errors.api_of(req.path)
    if api == "org":
        return errors.v2(405, "ADMIN-UAM-405-1", "Method Not Supported",
                         f"{req.method} is not supported on this resource")
    if api == "jira":
        return errors.jira(405, [f"Method {req.method} is not allowed for this resource."])
    return errors.gateway(405)


def not_found(app, req, match):
    api = errors.api_of(req.path)
    if api == "org":
        return errors.v2(404, "ADMIN-UAM-404-1", "Unknown Resource", "No resource at this path")
    if api == "um":
        return errors.um(404, "notFound")
    if api == "jira":
        return errors.jira(404, ["Not Found"])
    return errors.gateway(404)
