"""Helpers the product-access tests share (test_access*.py)."""

import calendar
import re
import time
from urllib.parse import quote

JOHN = "712020:978521a6-2367-4092-a7f6-7cc1b9043bdd"         # 1: jira A and conf A via groups
SUSPENDED = "5d4c3b2a1f0e9d8c7b6a5f4e"                       # 6: confluence A only
TWO_SITES = "5e6f7a8b9c0d1e2f3a4b5c6d"                       # 9: jira A (group), jira B (direct)
ORG_ADMIN = "5b10ac8d82e05b22cc7d4ef5"                       # 0: Mia, site-admins
UNKNOWN = "557057:00000000-0000-4000-8000-000000000000"
ALL_EXPANDS = ["platformRoles", "counts.resources", "productAccess", "groups"]
ISO = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$")


def epoch_of(iso):
    """Seconds since the epoch of an ISO 8601 UTC timestamp (Z)."""
    m = ISO.match(iso)
    assert m, f"not ISO 8601 UTC: {iso}"
    whole = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return whole + (int(m.group(2).ljust(9, "0")) / 1e9 if m.group(2) else 0)


def info(fake):
    return fake.control("GET", "info")


def sites(fake):
    """{"jira A": ari, "jira B": ari, "conf A": ari, "conf B": ari}."""
    s = info(fake)["sites"]
    return {"jira A": s["jira"][0]["ari"], "jira B": s["jira"][1]["ari"],
            "conf A": s["confluence"][0]["ari"], "conf B": s["confluence"][1]["ari"]}


def access(fake, account_id=None, product=None):
    """Ground truth: expect/access entries (of one user, of one product)."""
    query = {k: v for k, v in (("account_id", account_id), ("product", product)) if v}
    path = "expect/access" + ("?" + "&".join(f"{k}={quote(v, safe='')}"
                                              for k, v in query.items()) if query else "")
    return fake.control("GET", path)["access"]


def held(fake, account_id):
    """{(product, resource): entry} of one user's access."""
    return {(a["product"], a["resource"]): a for a in access(fake, account_id)}


def truth(fake, account_id):
    return fake.control("GET", f"users/{quote(account_id, safe='')}?extra=1")


def role_methods(fake, account_id):
    """{(resourceOwner, resourceId): {role: methods}} from users/{id}/role-assignments."""
    reply = fake.get(fake.org_path(f"/directories/-/users/{quote(account_id)}/role-assignments"),
                     {"limit": 100})
    assert reply.status == 200, reply.body
    return {(a["resourceOwner"], a["resourceId"]):
            {r["role"]: r["roleAssignmentMethods"] for r in a["roleAssignments"]}
            for a in reply.json()["data"] if a["directoryId"] is not None}


def group_grants(fake, group_id):
    """{(resourceOwner, resourceId, role)} a group grants, from its role-assignments."""
    reply = fake.get(fake.org_path(f"/directories/-/groups/{group_id}/role-assignments"),
                     {"limit": 100})
    assert reply.status == 200, reply.body
    return {(a["resourceOwner"], a["resourceId"], role)
            for a in reply.json()["data"] for role in a["roles"]}


def role(fake, account_id, verb, body, **kw):
    return fake.api("POST", fake.org_path(f"/users/{quote(account_id)}/roles/{verb}", "v1"),
                    body, **kw)


def membership(fake, group_id, account_id, add=True, **kw):
    path = f"/directories/-/groups/{group_id}/memberships"
    if add:
        return fake.api("POST", fake.org_path(path), {"accountId": account_id}, **kw)
    return fake.api("DELETE", fake.org_path(f"{path}/{quote(account_id)}"), content_type=None,
                    **kw)


def group_role(fake, group_id, verb, body, **kw):
    """POST .../groups/{groupId}/role-assignments/{assign|revoke}."""
    path = fake.org_path(f"/directories/-/groups/{group_id}/role-assignments/{verb}")
    return fake.api("POST", path, body, **kw)


def events_since(fake, before):
    """The audit-log events appended after `before` events existed, oldest first."""
    out, reply = [], fake.get(fake.org_path("/events", "v1"), {"limit": 500})
    while True:
        page = reply.json()
        out += page["data"]
        if "next" not in page["links"]:
            break
        reply = fake.follow(page["links"]["next"])
    return list(reversed(out[:len(out) - before]))


def event_count(fake):
    return len(events_since(fake, 0))


def access_events(events):
    """[(action, account id, site, product, role)] of product access events."""
    out = []
    for e in events:
        a = e["attributes"]
        if a["action"] in ("product_access_granted", "product_access_revoked"):
            site = a["context"][1]
            out.append((a["action"], a["context"][0]["id"], site["id"],
                        site["attributes"]["product"], site["attributes"]["role"]))
    return out


def search_one(fake, account_id):
    data = fake.search({"accountIds": [account_id], "expand": ALL_EXPANDS}).json()["data"]
    return data[0] if data else None
