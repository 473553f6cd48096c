"""Organizations API v1 audit log: GET /admin/v1/orgs/{orgId}/events and
GET /admin/v1/orgs/{orgId}/event-actions (REFERENCE.md §5.10).

events query: cursor, q (case-insensitive text in the action, its names,
the actor and the context), from/to (epoch milliseconds as strings,
inclusive), action (exact id), actor/ip/product (comma-separated lists:
style form, explode false), location (accepted, not applied), limit (1..500,
default 30).  Newest first; v1 paging: links.next is this URL with
?cursor=, meta.next the bare cursor, meta.page_size the limit.  With a
cursor, the other filters are those of the first page (an explicit limit
still applies).

Errors: ADMIN-400-1 bad cursor, ADMIN-400-3 bad from/to, ADMIN-400-19 bad
limit; an unknown org answers 404 ADMIN-404-2 (the spec documents no 404
for events, the v1 envelope is used anyway).
"""

import errors
import org_data as D
import params
from http_types import Response
from paging import self_url, v1_url

DEFAULT_LIMIT = 30
MAX_LIMIT = 500
PRODUCTS = ("bitbucket", "confluence", "guard_detect", "jira", "loom")


def bad(code, title, detail):
    return errors.v1(400, code, title, detail)


def events(app, req, match):
    problem = params.org_problem(app, match, v1=True)
    if problem:
        return problem
    try:
        limit = params.integer(req, "limit", None, 1, MAX_LIMIT)
    except params.Invalid as exc:
        return bad("ADMIN-400-19", "Request syntax is not valid", str(exc))
    token = params.text(req, "cursor")
    if token is not None:
        state = app.cursors.decode(token)
        if state is None or state["q"].get("k") != "events":
            return bad("ADMIN-400-1", "Invalid page cursor", "Invalid page cursor")
        q, below, limit = state["q"], state["o"], limit or state["l"]
    else:
        q, problem = read_filters(req)
        if problem:
            return problem
        below, limit = None, limit or DEFAULT_LIMIT
    found = app.audit.select(matcher(q), below, limit)
    return Response.json(200, page(app, req, q, found, limit))


def read_filters(req):
    """(normalised filters, None) or (None, 400 Response)."""
    q = {"k": "events"}
    for name in ("q", "action"):
        if params.text(req, name):
            q[name] = params.text(req, name)
    for name in ("actor", "ip", "product"):
        values = params.text(req, name)
        if values:
            q[name] = [v for v in values.split(",") if v]
    bad_product = [p for p in q.get("product", ()) if p not in PRODUCTS]
    if bad_product:
        return None, bad("ADMIN-400-19", "Request syntax is not valid",
                         f"product must be one of {', '.join(PRODUCTS)}")
    for name in ("from", "to"):
        raw = params.text(req, name)
        if raw is None or raw == "":
            continue
        if not raw.isdigit():
            return None, bad("ADMIN-400-3", "Invalid time date",
                             f"{name} must be epoch milliseconds")
        q[name] = int(raw)
    if q.get("from", 0) > q.get("to", float("inf")):
        return None, bad("ADMIN-400-3", "Invalid time date", "from is after to")
    return q, None


def matcher(q):
    def match(event):
        ms = event["ns"] // 10**6
        return ((q.get("from") is None or ms >= q["from"])
                and (q.get("to") is None or ms <= q["to"])
                and (q.get("action") is None or event["doc"]["action"] == q["action"])
                and (q.get("q") is None or q["q"].lower() in event["text"])
                and ("actor" not in q or event["actor_id"] in q["actor"])
                and ("ip" not in q or event["ip"] in q["ip"])
                and ("product" not in q or event["product"] in q["product"]))
    return match


def page(app, req, q, found, limit):
    org_id = app.org.org_id
    data = [dict(id=e["id"], type="events", attributes=e["doc"],
                 links={"self": v1_url(req, f"/admin/v1/orgs/{org_id}/events/{e['id']}")})
            for e in found[:limit]]
    out = {"data": data, "links": {"self": self_url(req)}, "meta": {"page_size": limit}}
    if len(found) > limit:
        token = app.cursors.encode({"o": found[limit]["seq"], "p": None, "l": limit, "q": q})
        out["links"]["next"] = v1_url(req, cursor=token)
        out["meta"]["next"] = token
    return out


def actions(app, req, match):
    problem = params.org_problem(app, match, v1=True)
    if problem:
        return problem
    return Response.json(200, {"data": [
        {"id": action, "type": "event-actions",
         "attributes": {"displayName": name, "groupDisplayName": group}}
        for action, name, group, _ in D.EVENT_ACTIONS]})
