"""Organizations API v1 reads: managed accounts, last-active dates, domains.

GET /admin/v1/orgs/{orgId}/users (§5.2): managed accounts (claimStatus
managed) in index order, USERS_PAGE a page (the API has no limit
parameter), meta.total = every managed account, links.next a full URL with
?cursor=.  last_active is the newest of the user's product timestamps and
each product_access[].last_active the v2 productAccess timestamp of that
product and site, both to the millisecond (truncated: never younger).  v1
product keys: jira-servicedesk is "jira-service-desk".  access_billable:
active account and membership with some product access.

GET /admin/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates
(§5.6): any account of the org.  product_access lists the products the user
has used, LAST_ACTIVE_PAGE entries a page ("If the user has not accessed a
product, the product_access response field will be empty": never-used
products are left out); links.next is a bare cursor for ?cursor=, present
only for users with more than LAST_ACTIVE_PAGE used product-site entries.
Unknown account: 404 ADMIN-404-8.

GET /admin/v1/orgs/{orgId}/domains (§5.10): DOMAINS_PAGE domains a page,
so the org's three domains (two verified, one unverified) take two pages.
"""

from urllib.parse import unquote

import errors
import org_data as D
import params
from http_types import Response
from paging import self_url, v1_url

USERS_PAGE = 100
LAST_ACTIVE_PAGE = 3
DOMAINS_PAGE = 2


def bad_cursor():
    return errors.v1(400, "ADMIN-400-1", "Invalid page cursor", "Invalid page cursor")


def resume(app, req, kind, extra=None):
    """Offset from ?cursor= (0 without one), or None for a cursor not of this list."""
    token = params.text(req, "cursor")
    if token is None:
        return 0
    state = app.cursors.decode(token)
    if state is None or state["q"] != dict(extra or {}, k=kind):
        return None
    return state["o"]


def cursor(app, kind, offset, limit, extra=None):
    return app.cursors.encode({"o": offset, "p": None, "l": limit, "q": dict(extra or {}, k=kind)})


def v1_links(app, req, kind, offset, limit, total):
    links = {"self": self_url(req)}
    if offset > 0:
        links["prev"] = v1_url(req, cursor=cursor(app, kind, max(0, offset - limit), limit))
    if offset + limit < total:
        links["next"] = v1_url(req, cursor=cursor(app, kind, offset + limit, limit))
    return links


# ---- managed accounts ---------------------------------------------------------
def users(app, req, match):
    problem = params.org_problem(app, match, v1=True)
    if problem:
        return problem
    offset = resume(app, req, "v1users")
    if offset is None:
        return bad_cursor()
    managed = app.index.get().managed_indexes()
    org = app.org
    data = [v1_user(org, req, org.user(i)) for i in managed[offset:offset + USERS_PAGE]]
    return Response.json(200, {"data": data, "meta": {"total": len(managed)},
                               "links": v1_links(app, req, "v1users", offset, USERS_PAGE,
                                                 len(managed))})


def v1_user(org, req, user):
    acc, mem, _ = org.state(user)
    used = [stamp for _, _, stamp in user.products if stamp is not None]
    out = {"account_id": user.account_id, "account_type": "atlassian", "account_status": acc,
           "name": user.name, "picture": user.picture, "email": user.email,
           "access_billable": acc == "active" and mem == "active" and bool(user.products)}
    if used:
        out["last_active"] = org.clock.iso(min(used, key=lambda s: s.age_ns()), 3)
    out["product_access"] = [v1_product(org, p) for p in user.products]
    out["links"] = {"self": v1_url(req, f"/users/{user.account_id}/manage/profile")}
    return out


def v1_product(org, product):
    key, site, stamp = product
    v1_key, name = D.V1_PRODUCTS[key]
    out = {"key": v1_key, "name": name, "url": host_of(org, site)}
    if stamp is not None:
        out["last_active"] = org.clock.iso(stamp, 3)
    return out


def host_of(org, site_ari):
    for sites in org.sites.values():
        for site in sites:
            if site["ari"] == site_ari:
                return site["url"].split("//", 1)[1]
    return None


# ---- last-active dates ---------------------------------------------------------
def last_active(app, req, match):
    problem = params.org_problem(app, match, v1=True)
    if problem:
        return problem
    account_id = unquote(match.group(2))
    index = app.org.index_of_account(account_id)
    if index is None:
        return errors.v1(404, "ADMIN-404-8", "User not found",
                         f"User {account_id} was not found")
    offset = resume(app, req, "lastactive", {"a": account_id})
    if offset is None:
        return bad_cursor()
    org = app.org
    user = org.user(index)
    used = [p for p in user.products if p[2] is not None]
    entries = [{"id": site, "key": D.V1_PRODUCTS[key][0],
                "last_active": org.clock.iso(stamp, 0)[:10],
                "last_active_timestamp": org.clock.iso(stamp, 0)}
               for key, site, stamp in used[offset:offset + LAST_ACTIVE_PAGE]]
    added = org.clock.iso(user.added, 0)
    links = {}
    if offset + LAST_ACTIVE_PAGE < len(used):
        links["next"] = cursor(app, "lastactive", offset + LAST_ACTIVE_PAGE, LAST_ACTIVE_PAGE,
                               {"a": account_id})
    return Response.json(200, {"data": {"product_access": entries, "added_to_org": added[:10],
                                        "added_to_org_timestamp": added},
                               "links": links})


# ---- domains -------------------------------------------------------------------
def domains(app, req, match):
    problem = params.org_problem(app, match, v1=True)
    if problem:
        return problem
    offset = resume(app, req, "domains")
    if offset is None:
        return bad_cursor()
    org = app.org
    data = [{"id": d["id"], "type": "domains",
             "attributes": {"name": d["name"],
                            "claim": {"type": d["claim_type"], "status": d["status"]}},
             "links": {"self": v1_url(req, f"/admin/v1/orgs/{org.org_id}/domains/{d['id']}")}}
            for d in org.domains[offset:offset + DOMAINS_PAGE]]
    return Response.json(200, {"data": data,
                               "links": v1_links(app, req, "domains", offset, DOMAINS_PAGE,
                                                 len(org.domains))})
