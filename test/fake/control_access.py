"""Control API for product access: ground truth, activity, the users export.

GET  /__fake/expect/access[?account_id=&product=]
     {"count", "access": [{"account_id", "product", "site" (name), "resource"
     (site ARI), "role" (the highest held), "direct" (a direct assignment
     gives some role there), "groups" (names of the user's groups that grant
     it, sorted), "last_active" (the v2 lastActiveTimestamp, or null)}]}:
     one object per effective access (access.py), users in index order
POST /__fake/users/{accountId}/activity {"product": "jira-software", "site":
     "acme" | "<site ARI>", "last_active": "<ISO 8601>" | null}
     set or clear the user's last activity there (with or without access:
     activity outlives access); answers the activity as expect/access shows it
GET  /__fake/export/users.csv   the "Export users" CSV of the org now (export_users.py)
"""

import calendar
import re
import time
from urllib.parse import unquote

import org_data as D
from export_users import export
from http_types import Response
from resources import site_names

ISO = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")


def ok(value):
    return Response.json(200, value)


def bad(message, status=400):
    return Response.json(status, {"error": message})


def expect_access(app, req, m):
    org = app.org
    account = req.query.get("account_id", [None])[0]
    product = req.query.get("product", [None])[0]
    if account is not None:
        index = org.index_of_account(account)
        indexes = [] if index is None else [index]
    else:
        indexes = range(org.n_users)
    names = site_names(org)
    out = [entry for i in indexes for entry in entries(org, org.user(i), names)
           if product is None or entry["product"] == product]
    return ok({"count": len(out), "access": out})


def entries(org, user, names):
    """The ground-truth objects of one user's access."""
    stamps = {(key, site): stamp for key, site, stamp in user.products}
    direct = {(key, site) for key, site, _ in user.direct}
    out = []
    for key, site, roles in user.access:
        granting = sorted(org.groups[g]["name"] for g in user.groups
                          if any(s == site and k == key for s, k, _ in org.grants_of(g)))
        stamp = stamps[key, site]
        out.append({"account_id": user.account_id, "product": key, "site": names[site],
                    "resource": site, "role": roles[-1][0], "direct": (key, site) in direct,
                    "groups": granting,
                    "last_active": None if stamp is None else org.clock.iso(stamp, 9)})
    return out


def set_activity(app, req, m):
    org = app.org
    index = org.index_of_account(unquote(m.group(1)))
    if index is None:
        return bad("no such account", 404)
    parsed, body = req.parsed_body()
    if not parsed or not isinstance(body, dict) or set(body) != {"product", "site",
                                                                  "last_active"}:
        return bad('expected {"product", "site", "last_active": ISO 8601 or null}')
    key, site = body["product"], site_of(org, body["product"], body["site"])
    if site is None:
        return bad("unknown product, or no such site for it")
    stamp = None
    if body["last_active"] is not None:
        epoch_ns = parse_iso(body["last_active"])
        if epoch_ns is None:
            return bad("last_active must be an ISO 8601 timestamp (2024-05-12T08:15:00Z) or null")
        stamp = org.clock.stamp(epoch_ns)
    user = org.set_activity(org.user(index), key, site, stamp)
    return ok({"account_id": user.account_id, "product": key, "site": site_names(org)[site],
               "resource": site,
               "last_active": None if stamp is None else org.clock.iso(stamp, 9)})


def site_of(org, product, site):
    """The ARI of a product's site given by name or ARI, or None."""
    kind = dict(D.PRODUCTS).get(product) if isinstance(product, str) else None
    if kind is None or not isinstance(site, str):
        return None
    names = site_names(org)
    for s in org.sites[kind]:
        if site in (s["ari"], names[s["ari"]]):
            return s["ari"]
    return None


def parse_iso(text):
    """Epoch nanoseconds of an ISO 8601 timestamp with a zone, or None."""
    m = ISO.fullmatch(text) if isinstance(text, str) else None
    if not m:
        return None
    try:
        whole = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None
    zone = m.group(3)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        whole -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return whole * 10**9 + int((m.group(2) or "0").ljust(9, "0"))


def export_users(app, req, m):
    return Response(200, export(app.org), {"Content-Disposition":
                                           'attachment; filename="export-users.csv"'},
                    content_type="text/csv; charset=utf-8")


ROUTES = (
    ("GET", r"/__fake/expect/access", expect_access),
    ("POST", r"/__fake/users/([^/]+)/activity", set_activity),
    ("GET", r"/__fake/export/users\.csv", export_users),
)
