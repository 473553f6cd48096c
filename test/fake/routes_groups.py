"""Organizations API v2 groups (REFERENCE.md §5.7).

POST .../groups/search     body filters, expand counts.users/counts.resources
GET  .../groups            the same filters as query parameters (deprecated)
GET  .../groups/count      {"count": N} for those filters
GET  .../groups/stats      totals and types
GET  .../groups/{groupId}  {"data": group}, counts always included
GET  .../groups/{groupId}/role-assignments

Filters (ANDed; lists ORed): accountIds (groups any of them belongs to),
directoryIds, groupIds (bare uuids), groupNames (exact), resourceIds,
resourceOwners and roleIds (what the group grants), searchTerm (in the
name, case-insensitive).  Order: by name, ascending unless sortBy says desc.
counts.users is the group's real member count (every member, whatever
their state, memberships changed by writes included); counts.resources the
sites it grants roles on.

The GET list's object- and array-of-object parameters have no documented
serialisation; accepted: counts as includeUsers=true, counts.includeUsers=
true or counts[includeUsers]=true (likewise includeResources), and sortBy
as name, name:asc, name:desc or the JSON array.
"""

import json
from urllib.parse import unquote

import errors
import params
import routes_directory as body_rules
from http_types import Response
from org import hash_token
from paging import v2_page, v2_resume

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
KIND = "groups"
EXPANDS = ("counts.resources", "counts.users")
FILTERS = ("accountIds", "directoryIds", "groupIds", "groupNames", "resourceIds",
           "resourceOwners", "roleIds", "searchTerm")
# name: (max items, allowed values): the search body's arrays (all unique)
BODY_ARRAYS = {"accountIds": (10, None), "directoryIds": (10, None), "groupIds": (10, None),
               "groupNames": (100, None), "resourceIds": (20, None),
               "resourceOwners": (10, None), "roleIds": (10, None), "expand": (2, EXPANDS)}
BODY_KNOWN = set(BODY_ARRAYS) | {"cursor", "limit", "searchTerm", "sortBy"}
QUERY_FILTERS = {
    "directoryIds": lambda r, n: params.strings(r, n, 10),
    "accountIds": lambda r, n: params.strings(r, n, 10),
    "groupIds": lambda r, n: params.strings(r, n, 10),
    "resourceOwners": lambda r, n: params.strings(r, n, 10),
    "resourceIds": lambda r, n: params.strings(r, n, 20),
    "searchTerm": params.text,
    "roleIds": lambda r, n: params.strings(r, n, 10, params.ROLES),
}


# ---- rendering -------------------------------------------------------------------
def group_json(app, g, expand=()):
    group = app.org.groups[g]
    out = {"id": group["uuid"], "name": group["name"]}
    if group["description"] is not None:  # typed string, not nullable: absent when none
        out["description"] = group["description"]
    out.update(directoryId=app.org.directory_id, externalSynced=group["synced"],
               managedBy="external" if group["synced"] else "admins",
               managementAccess={"readable": True, "modifiable": not group["synced"],
                                 "deletable": not (group["synced"] or group["default"])})
    counts = {}
    if "counts.users" in expand:
        counts["users"] = app.index.get().member_count(app.org, g)
    if "counts.resources" in expand:
        counts["resources"] = len({site for site, _, _ in group["grants"]})
    if counts:
        out["counts"] = counts
    out["links"] = {"self": hash_token(app.org.key, "group", group["uuid"])}
    return out


# ---- filtering -----------------------------------------------------------------------
def matching(app, q):
    """Group indexes matching q, in the requested order."""
    org = app.org
    member_of = None
    if "accountIds" in q:
        member_of = set()
        for account_id in q["accountIds"]:
            index = org.index_of_account(account_id)
            if index is not None:
                member_of.update(org.user(index).groups)
    out = [g for g, group in enumerate(org.groups) if keep(org, group, g, q, member_of)]
    desc = bool(q.get("sortBy")) and q["sortBy"][0]["direction"] == "desc"
    return sorted(out, key=lambda g: (org.groups[g]["name"], g), reverse=desc)


def keep(org, group, g, q, member_of):
    grants = group["grants"]
    checks = (
        member_of is None or g in member_of,
        "directoryIds" not in q or org.directory_id in q["directoryIds"],
        "groupIds" not in q or group["uuid"] in q["groupIds"],
        "groupNames" not in q or group["name"] in q["groupNames"],
        "resourceIds" not in q or any(site in q["resourceIds"] for site, _, _ in grants),
        "resourceOwners" not in q or any(o in q["resourceOwners"] for _, o, _ in grants),
        "roleIds" not in q or any(role in q["roleIds"] for _, _, role in grants),
        "searchTerm" not in q or q["searchTerm"].lower() in group["name"].lower(),
    )
    return all(checks)


def listing(app, q, offset, limit):
    groups, links = v2_page(app.cursors, KIND, q, matching(app, q), offset, limit)
    expand = q.get("expand", ())
    return Response.json(200, {"data": [group_json(app, g, expand) for g in groups],
                               "links": links})


def resume(app, token, limit):
    """Response for a cursor request (other parameters are discarded)."""
    state = v2_resume(app.cursors, KIND, token)
    if state is None:
        return errors.v2_bad_request("Invalid page cursor")
    q, offset, old_limit = state
    return listing(app, q, offset, limit or old_limit)


# ---- POST .../groups/search ---------------------------------------------------------
def search(app, req, match):
    problem = params.directory_problem(app, match)
    if problem:
        return problem
    body, problem = body_rules.read_body(req)
    if problem:
        return problem
    detail = validate(body)
    if detail:
        return errors.v2_bad_request(detail)
    if "cursor" in body:
        return resume(app, body["cursor"], body.get("limit"))
    q = {k: body[k] for k in FILTERS + ("expand", "sortBy") if k in body}
    return listing(app, q, 0, body.get("limit", DEFAULT_LIMIT))


def validate(body):
    """Error detail for the first problem of a groups/search body, or None."""
    for key in body:
        if key not in BODY_KNOWN:
            return f'Unrecognized field "{key}"'
    for key in ("cursor", "searchTerm"):
        if key in body and not isinstance(body[key], str):
            return f"{key} must be a string"
    for key, (max_items, allowed) in BODY_ARRAYS.items():
        if key in body:
            detail = body_rules.check_array(key, body[key], max_items, allowed, True, 1)
            if detail:
                return detail
    limit = body.get("limit", 1)
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        return f"limit must be an integer between 1 and {MAX_LIMIT}"
    if "sortBy" in body and not sort_ok(body["sortBy"]):
        return 'sortBy must be [{"field": "name", "direction": "asc"|"desc"}]'
    return None


def sort_ok(sort):
    return (isinstance(sort, list) and len(sort) == 1 and isinstance(sort[0], dict)
            and set(sort[0]) == {"field", "direction"} and sort[0]["field"] == "name"
            and sort[0]["direction"] in ("asc", "desc"))


# ---- GET .../groups, /count ----------------------------------------------------------
def query_filters(req):
    """Filters from the query string (raises params.Invalid)."""
    return params.collect(req, QUERY_FILTERS)


def list_groups(app, req, match):
    problem = params.directory_problem(app, match)
    if problem:
        return problem
    try:
        limit = params.integer(req, "limit", None, 1, MAX_LIMIT)
        if params.text(req, "cursor") is not None:
            return resume(app, params.text(req, "cursor"), limit)
        q = query_filters(req)
        expand = query_counts(req)
        if expand:
            q["expand"] = expand
        sort = query_sort(req)
        if sort:
            q["sortBy"] = sort
    except params.Invalid as exc:
        return errors.v2_bad_request(str(exc))
    return listing(app, q, 0, limit or DEFAULT_LIMIT)


def query_counts(req):
    """The counts object parameter, however it was serialised."""
    out = []
    for flag, expand in (("includeResources", "counts.resources"),
                         ("includeUsers", "counts.users")):
        for name in (flag, f"counts.{flag}", f"counts[{flag}]"):
            value = params.boolean(req, name)
            if value:
                out.append(expand)
                break
    return out


def query_sort(req):
    raw = params.text(req, "sortBy")
    if raw is None:
        return None
    if raw.startswith("["):
        try:
            sort = json.loads(raw)
        except ValueError:
            sort = None
    else:
        field, _, direction = raw.partition(":")
        sort = [{"field": field, "direction": direction or "asc"}]
    if not sort_ok(sort):
        raise params.Invalid("sortBy must be name, name:asc or name:desc")
    return sort


def count(app, req, match):
    problem = params.directory_problem(app, match)
    if problem:
        return problem
    try:
        q = query_filters(req)
    except params.Invalid as exc:
        return errors.v2_bad_request(str(exc))
    return Response.json(200, {"count": len(matching(app, q))})


# ---- GET .../groups/stats, /{groupId}, role-assignments -------------------------------
def stats(app, req, match):
    problem = params.directory_problem(app, match)
    if problem:
        return problem
    groups = app.org.groups
    synced = sum(g["synced"] for g in groups)
    return Response.json(200, {"totals": {"all": len(groups), "managed": synced,
                                          "synced": synced},
                               "types": [{"type": "GROUP", "count": len(groups)},
                                         {"type": "TEAM", "count": 0},
                                         {"type": "USERBASE_GROUP", "count": 0}]})


def find_group(app, match):
    """(group index, None) or (None, 404 Response)."""
    problem = params.directory_problem(app, match)
    if problem:
        return None, problem
    uuid = unquote(match.group(3))
    g = app.org.group_by_uuid.get(uuid)
    if g is None:
        return None, errors.v2(404, "ADMIN-UAM-404-3", "Group Not Found",
                               f"Group {uuid} was not found in the directory")
    return g, None


def one_group(app, req, match):
    g, problem = find_group(app, match)
    if problem:
        return problem
    return Response.json(200, {"data": group_json(app, g, EXPANDS)})


ASSIGNMENT_FILTERS = {
    "directoryIds": lambda r, n: params.strings(r, n, 10),
    "resourceOwners": lambda r, n: params.strings(r, n, 10),
    "resourceIds": lambda r, n: params.strings(r, n, 20),
    "roleIds": lambda r, n: params.strings(r, n, 10, params.ROLES),
}


def role_assignments(app, req, match):
    g, problem = find_group(app, match)
    if problem:
        return problem
    kind = f"group-roles:{app.org.groups[g]['uuid']}"
    return assignment_page(app, req, kind, lambda q: group_assignments(app, g, q))


def group_assignments(app, g, q):
    group = app.org.groups[g]
    merged = {}
    for site, owner, role in group["grants"]:
        merged.setdefault((site, owner), []).append(role)
    out = []
    for (site, owner), roles in merged.items():
        if not assignment_kept(app, q, site, owner, roles):
            continue
        default = "atlassian/user" if group["default"] and "atlassian/user" in roles else None
        out.append({"resourceId": site, "resourceOwner": owner, "roles": roles,
                    "defaultRole": default})
    return out


def assignment_kept(app, q, site, owner, roles):
    return (("directoryIds" not in q or app.org.directory_id in q["directoryIds"])
            and ("resourceOwners" not in q or owner in q["resourceOwners"])
            and ("resourceIds" not in q or site in q["resourceIds"])
            and ("roleIds" not in q or any(r in q["roleIds"] for r in roles)))


def assignment_page(app, req, kind, build):
    """A cursor+limit page of role assignments (users' and groups' alike)."""
    try:
        limit = params.integer(req, "limit", None, 1, MAX_LIMIT)
        token = params.text(req, "cursor")
        if token is not None:
            state = v2_resume(app.cursors, kind, token)
            if state is None:
                return errors.v2_bad_request("Invalid page cursor")
            q, offset, old_limit = state
            limit = limit or old_limit
        else:
            q, offset, limit = params.collect(req, ASSIGNMENT_FILTERS), 0, limit or DEFAULT_LIMIT
    except params.Invalid as exc:
        return errors.v2_bad_request(str(exc))
    items, links = v2_page(app.cursors, kind, q, build(q), offset, limit)
    return Response.json(200, {"data": items, "links": links})
