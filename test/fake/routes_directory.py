"""Organizations API v2: POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/search.

The request body is validated by hand against the spec's
MultiDirectoryUserSearchRequest (types, enums, min/maxItems, uniqueItems,
limit 1..100), plus two rules from the operation text: searchTerm and emails
are mutually exclusive, and unknown fields are refused.  The server must
stay standard-library only, hence no jsonschema here.
"""

from urllib.parse import unquote

import errors
from http_types import JSON_TYPE, Response
from search import normalise, search_page

DEFAULT_LIMIT = 50
MAX_LIMIT = 100

STATUS = ("active", "suspended", "not_invited", "deactivated", "for_deletion")
ACCOUNT_STATUS = ("active", "inactive", "closed")
MEMBERSHIP = ("active", "suspended", "no_membership")
ROLES = ("atlassian/user", "atlassian/admin", "atlassian/guest", "atlassian/customer",
         "atlassian/user-access-admin", "atlassian/contributor", "atlassian/basic",
         "atlassian/stakeholder", "atlassian/org-admin", "atlassian/site-admin",
         "atlassian/ai-access")
EXPANDS = ("platformRoles", "counts.resources", "productAccess", "groups")

# name: (max items or None, allowed values or None, unique, min items)
ARRAYS = {
    "accountIds": (10, None, False, 1), "directoryIds": (10, None, False, 1),
    "resourceIds": (20, None, False, 1), "groupIds": (10, None, False, 1),
    "status": (4, STATUS, False, 1), "accountStatus": (3, ACCOUNT_STATUS, False, 1),
    "membershipStatus": (3, MEMBERSHIP, False, 1), "roleIds": (10, ROLES, False, 1),
    "emailDomains": (10, None, False, 1), "emails": (100, None, True, 1),
    "expand": (None, EXPANDS, True, 0),
}
SCALARS = {"cursor": str, "searchTerm": str, "mfaEnabled": bool}
KNOWN = set(ARRAYS) | set(SCALARS) | {"limit", "claimStatus", "sortBy"}


def handle(app, req, match):
    org = app.org
    if req.method != "POST":
        return errors.v2(405, "ADMIN-UAM-405-1", "Method Not Supported",
                         f"{req.method} is not supported on this resource")
    org_id, directory_id = unquote(match.group(1)), unquote(match.group(2))
    if org_id != org.org_id:
        return errors.v2(404, "ADMIN-UAM-404-2", "Organization not found",
                         f"Organization {org_id} was not found")
    if directory_id not in ("-", org.directory_id):
        return errors.v2(404, "ADMIN-UAM-404-1", "Unknown Resource",
                         f"Directory {directory_id} was not found in the organization")
    body, problem = read_body(req)
    if problem:
        return problem
    detail = validate(body)
    if detail:
        return errors.v2_bad_request(detail)
    return run(app, body)


def read_body(req):
    """(body dict, None) or (None, error Response)."""
    if req.body.strip() and req.media_type() != JSON_TYPE:
        return None, errors.v2(415, "ADMIN-UAM-415-1", "Unsupported Media Type",
                               "Content-Type must be application/json")
    ok, body = req.parsed_body()
    if not ok:
        return None, errors.v2_bad_request("Request body is not valid JSON")
    if body is None:
        body = {}  # the spec marks the body optional
    if not isinstance(body, dict):
        return None, errors.v2_bad_request("Request body must be a JSON object")
    return body, None


def validate(body):
    """Error detail string for the first problem, or None."""
    for key in body:
        if key not in KNOWN:
            return f"Unrecognized field \"{key}\""
    for key, kind in SCALARS.items():
        if key in body and type(body[key]) is not kind:
            return f"{key} must be a {kind.__name__}"
    for key, rule in ARRAYS.items():
        if key in body:
            detail = check_array(key, body[key], *rule)
            if detail:
                return detail
    return (check_limit(body) or check_claim(body) or check_sort(body)
            or check_exclusive(body))


def check_array(key, value, max_items, allowed, unique, min_items):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"{key} must be an array of strings"
    if len(value) < min_items:
        return f"{key} must contain at least {min_items} item(s)"
    if max_items is not None and len(value) > max_items:
        return f"{key} must contain at most {max_items} items"
    if allowed is not None:
        bad = [v for v in value if v not in allowed]
        if bad:
            return f"{key} contains an invalid value: {bad[0]}"
    if unique and len(set(value)) != len(value):
        return f"{key} must not contain duplicates"
    return None


def check_limit(body):
    if "limit" not in body:
        return None
    limit = body["limit"]
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        return f"limit must be an integer between 1 and {MAX_LIMIT}"
    return None


def check_claim(body):
    if "claimStatus" in body and body["claimStatus"] not in ("managed", "unmanaged"):
        return "claimStatus must be one of managed, unmanaged"
    return None


def check_sort(body):
    if "sortBy" not in body:
        return None
    sort = body["sortBy"]
    ok = (isinstance(sort, list) and len(sort) == 1 and isinstance(sort[0], dict)
          and set(sort[0]) == {"field", "direction"} and sort[0]["field"] == "nick_name"
          and sort[0]["direction"] in ("asc", "desc"))
    return None if ok else 'sortBy must be [{"field": "nick_name", "direction": "asc"|"desc"}]'


def check_exclusive(body):
    if "searchTerm" in body and "emails" in body:
        return "searchTerm and emails are mutually exclusive"
    return None


def run(app, body):
    limit = body.get("limit")
    if "cursor" in body:
        state = app.cursors.decode(body["cursor"])
        if state is None:
            return errors.v2_bad_request("Invalid page cursor")
        # As documented for v2 lists: with a cursor the other search
        # parameters are discarded; only an explicit limit is honoured.
        q, start, prev_start = state["q"], state["o"], state["p"]
        limit = limit or state["l"]
    else:
        q, start, prev_start = normalise(body), 0, None
        limit = limit or DEFAULT_LIMIT
    # the index once built (never waited for: a page must not stall on it)
    index = app.index if app.index.done.is_set() else None
    page = search_page(app.org, app.cache, app.cursors, q, start, limit, prev_start, index)
    return Response(200, page)
