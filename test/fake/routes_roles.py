"""Organizations API v1 role grants (REFERENCE.md §5.9):
POST /admin/v1/orgs/{orgId}/users/{accountId}/roles/assign   -> 204
POST /admin/v1/orgs/{orgId}/users/{accountId}/roles/revoke   -> 204
body {"role": "atlassian/user", "resource": "ari:cloud:jira::site/<id>"}.

What the model holds, hence what a grant can change:
- atlassian/user on a product site: the user's productAccess entry for
  that product and site (a new one has never been used: no timestamp);
- atlassian/admin on a product site: access there too, plus the user's
  product-admin flag, which the model keeps per user, not per site
  (revoking it clears the flag and leaves the access);
- atlassian/org-admin: the platform role; the resource is ignored, as the
  spec says.
A resource is a site ARI of the org: ari:cloud:jira::site/<id> means Jira
Software there; ari:cloud:jira-software::, jira-servicedesk:: and
jira-core::site/<id> name the Jira product; ari:cloud:confluence::site/<id>.
Granting access on the Jira site also puts a user removed from that site's
user base (DELETE /rest/api/3/user) back into it.

Errors (UAM envelope): body not JSON / role missing or not in the spec's
enum / resource missing for a product role -> 400 ADMIN-UAM-400-1; a role
the resource cannot hold (guest, customer, site-admin, ... or a product
role on the Bitbucket workspace) -> 400 ADMIN-UAM-400-3; assigning to a
deactivated account -> 400 ADMIN-UAM-400-2 "Inactive user"; unknown user or
resource -> 404 ADMIN-UAM-404-3 (the code the spec lists for this 404).
Assigning a role the user has, or revoking one it lacks, changes nothing:
204 and no audit-log event.
"""

import re
from urllib.parse import unquote

import errors
import params
import routes_directory as body_rules
from events import site_ref
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


def grant_product(app, user, role, site, key, kind):
    org = app.org
    changes = {}
    if not any(k == key and s == site for k, s, _ in user.products):
        changes["products"] = user.products + ((key, site, None),)
    if role == "atlassian/admin" and not user.product_admin:
        changes["product_admin"] = True
    if kind == "jira" and user.index in org.jira_removed:
        org.set_jira_listed(user, True)
    if changes:
        user = org.edit(user, **changes)
        app.audit.append("product_access_granted", user, [site_ref(site, key, role)], kind)
    return Response.empty(204)


def revoke_product(app, user, role, site, key, kind):
    changes = {}
    if role == "atlassian/admin":
        if user.product_admin:
            changes["product_admin"] = False
    else:
        left = tuple(p for p in user.products if not (p[0] == key and p[1] == site))
        if left != user.products:
            changes["products"] = left
            if not left:
                changes["product_admin"] = False  # no product left to administer
    if changes:
        user = app.org.edit(user, **changes)
        app.audit.append("product_access_revoked", user, [site_ref(site, key, role)], kind)
    return Response.empty(204)


def org_admin(app, user, grant):
    roles = user.platform_roles
    if grant == (ORG_ADMIN in roles):
        return Response.empty(204)
    roles = (ORG_ADMIN,) + roles if grant else tuple(r for r in roles if r != ORG_ADMIN)
    user = app.org.edit(user, platform_roles=roles)
    app.audit.append("org_admin_role_granted" if grant else "org_admin_role_revoked", user)
    return Response.empty(204)
