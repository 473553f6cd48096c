"""Organizations API v1 role grants (REFERENCE.md §5.9):
POST /admin/v1/orgs/{orgId}/users/{accountId}/roles/assign   -> 204
POST /admin/v1/orgs/{orgId}/users/{accountId}/roles/revoke   -> 204
body {"role": "atlassian/user", "resource": "ari:cloud:jira::site/<id>"}.

These change the user's direct role assignments only (access.py): the
user's access is those plus what the user's groups grant.
- atlassian/user or atlassian/admin on a product site: a direct assignment
  of that role there.  Assigning gives access (a new one has never been
  used: no timestamp, unless the user used it before); revoking takes the
  direct assignment away, and the access goes only when no other role and
  no group gives it (revoking a direct atlassian/user that a group grants
  too leaves the access, now group_direct; revoking atlassian/admin leaves
  atlassian/user if the user holds it otherwise);
- atlassian/org-admin: the platform role; the resource is ignored, as the
  spec says.
A resource is a site ARI of the org: ari:cloud:jira::site/<id> means Jira
Software there; ari:cloud:jira-software::, jira-servicedesk:: and
jira-core::site/<id> name the Jira product; ari:cloud:confluence::site/<id>.
Access newly gained on a Jira site also puts a user removed from that
site's user base (DELETE /rest/api/3/user) back into it (access_writes.py).

Errors (UAM envelope): body not JSON / role missing or not in the spec's
enum / resource missing for a product role -> 400 ADMIN-UAM-400-1; a role
the resource cannot hold (guest, customer, site-admin, ... or a product
role on the Bitbucket workspace) -> 400 ADMIN-UAM-400-3; assigning to a
deactivated account -> 400 ADMIN-UAM-400-2 "Inactive user"; unknown user or
resource -> 404 ADMIN-UAM-404-3 (the code the spec lists for this 404).
a grant that would take more users of the product on that site than the
control config's user_limits allows -> 409 ADMIN-UAM-409-3 (seats.py).
Assigning a direct role the user has, or revoking one it lacks, changes
nothing: 204.  The audit log records product_access_granted / _revoked
only when the effective access changed (a direct assignment next to a
group's grant of the same role appends none).
"""

import re
from urllib.parse import unquote

import access_writes
import errors
import params
import routes_directory as body_rules
import seats
from http_types import Response

# The spec's RoleApiRequest.role enum.
ROLES = ("atlassian/user", "atlassian/user-access-admin", "atlassian/admin",
         "atlassian/guest", "atlassian/contributor", "atlassian/customer", "atlassian/basic",
         "atlassian/stakeholder", "atlassian/site-admin", "atlassian/org-admin")
PRODUCT_ROLES = ("atlassian/user", "atlassian/admin")
ORG_ADMIN = "atlassian/org-admin"
SITE_ARI = re.compile(r"ari:cloud:([a-z-]+)::site/([^/]+)")
# ARI resource owner -> (site kind, product key)
OWNERS = {"jira": ("jira", "jira-software"), "jira-software": ("jira", "jira-software"),
          "jira-servicedesk": ("jira", "jira-servicedesk"), "jira-core": ("jira", "jira-core"),
          "confluence": ("confluence", "confluence")}


def assign(app, req, match):
    return handle(app, req, match, grant=True)


def revoke(app, req, match):
    return handle(app, req, match, grant=False)


def not_found(detail):
    return errors.v2(404, "ADMIN-UAM-404-3", "Not Found", detail)


def invalid_role(role, resource):
    return errors.v2(400, "ADMIN-UAM-400-3", "Invalid Role for Resource",
                     f"Role {role} cannot be assigned on {resource}")


def handle(app, req, match, grant):
    problem = params.org_problem(app, match)
    if problem:
        return problem
    body, problem = body_rules.read_body(req)
    if problem:
        return problem
    role, resource = body.get("role"), body.get("resource")
    if role not in ROLES:
        return errors.v2_bad_request(f"role must be one of {', '.join(ROLES)}")
    if role != ORG_ADMIN and not isinstance(resource, str):
        return errors.v2_bad_request("resource is required for all roles other than org-admin")
    org = app.org
    index = org.index_of_account(unquote(match.group(2)))
    if index is None:
        return not_found("User was not found in the organization")
    with org.lock:  # check-then-set must not interleave with another request
        user = org.user(index)
        if grant and org.state(user)[0] != "active":
            return errors.v2(400, "ADMIN-UAM-400-2", "Inactive user",
                             f"User {user.account_id} is not active")
        if role == ORG_ADMIN:
            return org_admin(app, user, grant)
        site, problem = product_site(org, role, resource)
        if problem:
            return problem
        return (grant_product if grant else revoke_product)(app, user, role, *site)


def product_site(org, role, resource):
    """((site ARI, product key, site kind), None) or (None, error)."""
    m = SITE_ARI.fullmatch(resource)
    known = {w["id"] for w in org.workspaces}
    if not m or m.group(1) not in OWNERS:
        return None, (invalid_role(role, resource) if resource in known
                      else not_found(f"Resource {resource} was not found"))
    kind, key = OWNERS[m.group(1)]
    ari = f"ari:cloud:{kind}::site/{m.group(2)}"
    if ari not in {s["ari"] for s in org.sites[kind]}:
        return None, not_found(f"Resource {resource} was not found")
    if role not in PRODUCT_ROLES:
        return None, invalid_role(role, resource)
    return (ari, key, kind), None


def grant_product(app, user, role, site, key, _kind):
    if (key, site, role) in user.direct:
        return Response.empty(204)
    full = seats.over_limit(app, {(key, site): [user]} if access_writes.newly_held(
        user, [(key, site)]) else {})
    if full:
        return seats.refusal(*full)
    access_writes.change_user(app, user, direct=user.direct + ((key, site, role),))
    return Response.empty(204)


def revoke_product(app, user, role, site, key, _kind):
    if (key, site, role) in user.direct:
        left = tuple(d for d in user.direct if d != (key, site, role))
        access_writes.change_user(app, user, direct=left)
    return Response.empty(204)


def org_admin(app, user, grant):
    roles = user.platform_roles
    if grant == (ORG_ADMIN in roles):
        return Response.empty(204)
    roles = (ORG_ADMIN,) + roles if grant else tuple(r for r in roles if r != ORG_ADMIN)
    user = app.org.edit(user, platform_roles=roles)
    app.audit.append("org_admin_role_granted" if grant else "org_admin_role_revoked", user)
    return Response.empty(204)
