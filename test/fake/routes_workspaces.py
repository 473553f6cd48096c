"""Organizations API v2: POST /admin/v2/orgs/{orgId}/workspaces (REFERENCE.md §5.9).

The org's workspaces: its two Jira and two Confluence sites (ids = the site
ARIs used in productAccess and role assignments) and a Bitbucket workspace.
Body (optional): cursor | limit (1..1000, default 20), query, sort.  With a
cursor no other property may be sent (400, as observed live).

query: {"and": [...]} / {"nor": [...]} (nested, empty = no-op),
{"field": {"name": "attributes.type", "values": [...]}} (dotted path, one of
the values), {"searchWorkspaces": "text"} (in the name or URL),
{"features": [...]} and {"policies": [...]} (no workspace has any).
sort: [{"field": "attributes.name", "order": "asc"|"desc"}, ...].

Errors use the spec's single ApplicationError object (not wrapped in
"errors"): 400 ADMIN-400-4, 404 ADMIN-404-2.
"""

import itertools

import params
from http_types import Response
from org import Stamp
from paging import v1_url, v2_page, v2_resume

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
KNOWN = {"cursor", "limit", "query", "sort"}
_ids = itertools.count(0x7A11C0DE)


def app_error(status, code, title, detail):
    return Response.json(status, {"id": f"{next(_ids) & 0xFFFFFFFF:08x}", "status": str(status),
                                  "code": code, "title": title, "detail": detail})


def bad(detail):
    return app_error(400, "ADMIN-400-4", "Invalid request", detail)


def handle(app, req, match):
    if params.org_problem(app, match):
        return app_error(404, "ADMIN-404-2", "Organization not found",
                         f"Organization {match.group(1)} was not found")
    ok, body = req.parsed_body()
    if not ok or not isinstance(body if body is not None else {}, dict):
        return bad("Request body must be a JSON object")
    body = body or {}
    detail = validate(body)
    if detail:
        return bad(detail)
    if body.get("cursor") is not None:
        state = v2_resume(app.cursors, "workspaces", body["cursor"])
        if state is None:
            return bad("Invalid page cursor")
        q, offset, limit = state
    else:
        q = {k: body[k] for k in ("query", "sort") if body.get(k) is not None}
        offset, limit = 0, body.get("limit", DEFAULT_LIMIT)
    items = select(app, req, q)
    page, links = v2_page(app.cursors, "workspaces", q, items, offset, limit)
    meta = {"pageSize": limit, "total": len(items), "startIndex": offset if page else None,
            "endIndex": offset + len(page) - 1 if page else None}
    return Response.json(200, {"data": page, "links": links, "meta": meta})


def validate(body):
    unknown = set(body) - KNOWN
    if unknown:
        return f'Unrecognized field "{sorted(unknown)[0]}"'
    if body.get("cursor") is not None:
        if not isinstance(body["cursor"], str):
            return "cursor must be a string"
        others = [k for k in body if k != "cursor"]
        if others:
            return ("When a cursor is provided in the request body, "
                    "no other properties may be present")
        return None
    limit = body.get("limit", 1)
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        return f"limit must be an integer between 1 and {MAX_LIMIT}"
    if body.get("query") is not None and query_problem(body["query"]):
        return query_problem(body["query"])
    sort = body.get("sort")
    if sort is not None and not (isinstance(sort, list) and all(
            isinstance(s, dict) and isinstance(s.get("field"), str)
            and s.get("order", "asc") in ("asc", "desc") for s in sort)):
        return 'sort must be [{"field": "...", "order": "asc"|"desc"}]'
    return None


def query_problem(node):
    """Detail for a malformed query variant, or None."""
    if not isinstance(node, dict) or len(node) != 1:
        return "each query variant must be an object with one operator"
    (op, arg), = node.items()
    if op in ("and", "nor"):
        if not isinstance(arg, list):
            return f"{op} takes a list of query variants"
        return next((p for p in map(query_problem, arg) if p), None)
    if op == "field":
        ok = isinstance(arg, dict) and isinstance(arg.get("name"), str) and \
            isinstance(arg.get("values", []), list)
        return None if ok else 'field takes {"name": "...", "values": [...]}'
    if op == "searchWorkspaces":
        return None if isinstance(arg, str) else "searchWorkspaces takes a string"
    if op in ("features", "policies"):
        return None if isinstance(arg, list) else f"{op} takes a list of strings"
    return f"unknown query operator {op}"


def select(app, req, q):
    items = [workspace_json(app, req, w) for w in app.org.workspaces]
    if "query" in q:
        items = [w for w in items if matches(w, q["query"])]
    for rule in reversed(q.get("sort", [])):
        items.sort(key=lambda w, f=rule["field"]: str(lookup(w, f) or ""),
                   reverse=rule.get("order") == "desc")
    return items


def matches(w, node):
    (op, arg), = node.items()
    if op == "and":
        return all(matches(w, n) for n in arg)
    if op == "nor":
        return not any(matches(w, n) for n in arg)
    if op == "field":
        values = arg.get("values") or []
        return not values or str(lookup(w, arg["name"])) in values
    if op == "searchWorkspaces":
        text = arg.lower()
        attrs = w["attributes"]
        return text in attrs["name"].lower() or text in (attrs["hostUrl"] or "").lower()
    return not arg  # features/policies: no workspace has any


def lookup(doc, dotted):
    for part in dotted.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def workspace_json(app, req, w):
    org = app.org
    created = (org.clock.iso(Stamp(w["created_days"], 10 * 3600), 3)
               if w["created_days"] is not None else None)
    creator = (f"ari:cloud:identity::user/{org.fixed[0].account_id}"
               if w["kind"] == "site" and org.fixed else None)
    return {"id": w["id"], "type": "workspace",
            "attributes": {"name": w["name"], "typeKey": w["type_key"], "type": w["product"],
                           "owner": f"ari:cloud:platform::org/{org.org_id}", "status": "online",
                           "statusDetails": [], "icons": {}, "avatars": {}, "labels": [],
                           "sandbox": {"type": "NONE"}, "usage": w["usage"],
                           "capacity": w["capacity"], "createdAt": created,
                           "createdBy": creator, "hostUrl": w["host_url"], "realm": "us",
                           "regions": ["us-east-1"]},
            "links": {"self": v1_url(req, f"/admin/v2/orgs/{org.org_id}/workspaces/"
                                          f"{w['id'].rsplit('/', 1)[1]}")},
            "relationships": {}}

