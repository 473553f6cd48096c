"""Organizations API v2 group role grants (REFERENCE.md §5.7):

POST .../directories/{directoryId}/groups/{groupId}/role-assignments/assign  -> 200, no body
POST .../directories/{directoryId}/groups/{groupId}/role-assignments/revoke  -> 204
body {"resourceId": "ari:cloud:jira::site/<id>", "roleId": "atlassian/user"}, both required.

"Assign a role to a group to assign all members the same role"; revoking
removes it from all members, and "a member can still access the app if
they're in another group that grants access to the same app" (the spec).
So a grant changes what the group grants (group role-assignments, groups
search by role or resource, Jira group/bulk) and, at once, every member's
access (access_writes.set_group_grants): users/search productAccess, role
assignments (group_direct), v1 accounts, counts, ground truth; one
product_access_granted / _revoked audit-log event per member whose
effective access changed (a grant to a group without members appends none).

The spec gives neither an operationId nor error bodies: the fake names
the operations assignGroupRole / revokeGroupRole and answers errors in the
UAM envelope, as the other v2 directory writes do.  Synced groups take
grants (their memberships come from the identity provider, their access
does not).  Rules:
- unknown org / directory / group: 404 ADMIN-UAM-404-2 / -404-1 / -404-3;
- body not JSON: 400 ADMIN-UAM-400-1 (415 ADMIN-UAM-415-1 for another
  media type); resourceId or roleId missing or not a string, or roleId not
  one of the spec's values: 400 ADMIN-UAM-400-1;
- a role the model cannot give on that resource (anything but
  atlassian/user and atlassian/admin on a Jira or Confluence site), or
  the Bitbucket workspace: 400 ADMIN-UAM-400-3; an unknown resource: 404
  ADMIN-UAM-404-3 (resources are read as roles/assign reads them);
- a grant that would take more users of the product on the site than the
  control config's user_limits allows: 409 ADMIN-UAM-409-3, nothing changed;
- assigning a grant the group has (200) or revoking one it lacks (204)
  changes nothing.
"""

import access_writes
import errors
import routes_directory as body_rules
import routes_roles
import seats
from http_types import Response
from routes_groups import find_group

# The roleId values the spec lists for these two operations.
ROLES = ("atlassian/user", "atlassian/user-access-admin", "atlassian/admin", "atlassian/guest",
         "atlassian/contributor", "atlassian/customer", "atlassian/basic",
         "atlassian/stakeholder", "atlassian/viewer")


def assign(app, req, match):
    return handle(app, req, match, grant=True)


def revoke(app, req, match):
    return handle(app, req, match, grant=False)


def handle(app, req, match, grant):
    g, problem = find_group(app, match)
    if problem:
        return problem
    body, problem = body_rules.read_body(req)
    if problem:
        return problem
    resource, role = body.get("resourceId"), body.get("roleId")
    if not isinstance(resource, str) or not isinstance(role, str):
        return errors.v2_bad_request("resourceId and roleId are required strings")
    if role not in ROLES:
        return errors.v2_bad_request(f"roleId must be one of {', '.join(ROLES)}")
    site, problem = routes_roles.product_site(app.org, role, resource)
    if problem:
        return problem
    ari, key, _ = site
    with app.org.lock:  # check-then-set must not interleave with another request
        return (give if grant else take)(app, g, (ari, key, role))


def give(app, g, grant):
    grants = app.org.groups[g]["grants"]
    if grant in grants:
        return Response.empty(200)
    site, key, _ = grant
    org = app.org
    newcomers = [org.user(i) for i in app.index.get().members_now(org, g)]
    newcomers = [u for u in newcomers if access_writes.newly_held(u, [(key, site)])]
    full = seats.over_limit(app, {(key, site): newcomers})
    if full:
        return seats.refusal(*full)
    access_writes.set_group_grants(app, g, grants + (grant,))
    return Response.empty(200)


def take(app, g, grant):
    grants = app.org.groups[g]["grants"]
    if grant in grants:
        access_writes.set_group_grants(app, g, tuple(x for x in grants if x != grant))
    return Response.empty(204)
