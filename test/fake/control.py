"""The /__fake/ control API (no auth; never logged, never rate limited).

POST   /__fake/reset                 re-seed, clear faults/chaos/log/limiter/config -> {}
POST   /__fake/faults {"rules":[..]}  append fault rules;  DELETE clears;  GET lists
POST   /__fake/ratelimit {"limit": N|null, "window_s": S, "kind": "window"|"bucket"}
                                     a strict sliding window (default) or a token bucket
                                     of N tokens refilled N per S seconds (faults.py)
POST   /__fake/chaos {"rate", "seed", "mutations", "path", "method"}  chaos mode on
                                     (chaos.py);  DELETE switches it off;  GET shows the
                                     config and counters ("candidates", "mutated",
                                     "replays", "by_mutation", "last_seq")
GET    /__fake/chaos/log?since=SEQ   the mutations after SEQ: {"records": [{"seq", "method",
                                     "path", "op", "status", "sent_status", "mutation",
                                     "detail", "bytes"}]}
POST   /__fake/config {"already_state": "204"|"409", "latency_ms": N, "connect_ms": N};
                                     GET shows
GET    /__fake/requests              request log;  DELETE clears it
GET    /__fake/stats                 counters
GET    /__fake/info                  org id, directory id, sites, workspaces, domains,
                                     groups (and group_ids by name), app accounts, the
                                     API key's owner, Jira site login defaults, and the
                                     index/cache progress ("index")
GET    /__fake/users?offset=&limit=  {"data": [...every expand...], "total", "offset", "limit"}
GET    /__fake/users/{accountId}     one user (same shape); with ?extra=1 also
                                     "fake": {"productAdmin", "locale", "apiTokens"
                                     (ids), "jiraListed" (on the Jira site),
                                     "edited" (changed by a write)}
GET    /__fake/expect/inactive?product=jira-software&days=90  {"count", "account_ids"}
GET    /__fake/expect/groups         {"groups": [{"id", "name", "count", "members"}]}: every
                                     group (bare id) with every member's account id
GET    /__fake/expect/managed        {"count", "account_ids"}: the managed accounts
GET    /__fake/expect/access         every effective product access (control_access.py)
POST   /__fake/users/{accountId}/activity {"product", "site", "last_active"}  set or clear
                                     a user's activity on a product and site
GET    /__fake/export/users.csv      the admin console's "Export users" CSV (export_users.py)

config keys: already_state ("204" | "409": the answer when a lifecycle action, suspend or
restore is already in effect), latency_ms (>= 0), connect_ms (>= 0: served over HTTPS, a new
connection's TLS handshake waits this long, as its round trips would, so that on loopback
too a request that opens a connection is sent late), jira_browse_users (bool: false = the
Jira site user lacks Browse users and groups, and is no site admin: 403 on Jira),
user_limits ({product key: N or null}: the most users with access to that product on
one site; writes past it are 409, seats.py), jira_already_shape ("messages" | "fields":
where Jira's 400 for adding a member again puts its message, errorMessages or the
errors map, the two places its ErrorCollection allows).
The expect/ endpoints and group counts wait for the org index (orgindex.py).
"""

import re
from urllib.parse import unquote

import control_access
import faults
import org_data as D
from http_types import Response
from render import user_v2
from routes_api_tokens import tokens
from routes_profile import current

MAX_USERS_PAGE = 10000


def ok(value=None):
    return Response.json(200, {} if value is None else value)


def bad(message, status=400):
    return Response.json(status, {"error": message})


def json_object(req):
    """The body as a dict ({} when empty), or None when it is not a JSON object."""
    parsed, body = req.parsed_body()
    if not parsed:
        return None
    if body is None:
        return {}
    return body if isinstance(body, dict) else None


def query_int(req, name, default, minimum=0):
    raw = req.query.get(name, [None])[0]
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= minimum else None


# ---- handlers ---------------------------------------------------------------
def reset(app, req, m):
    app.reset()
    return ok()


def add_faults(app, req, m):
    body = json_object(req)
    if body is None or "rules" not in body:
        return bad('expected {"rules": [...]}')
    problem = app.faults.add(body["rules"])
    return bad(problem) if problem else ok({"rules": app.faults.describe()})


def clear_faults(app, req, m):
    app.faults.clear()
    return ok()


def list_faults(app, req, m):
    return ok({"rules": app.faults.describe()})


def ratelimit(app, req, m):
    body = json_object(req)
    if body is None or "limit" not in body:
        return bad('expected {"limit": N or null, "window_s": seconds}')
    limit, window = body["limit"], body.get("window_s", 1.0)
    kind = body.get("kind", "window")
    if kind not in faults.LIMITER_KINDS:
        return bad(f"kind must be one of {', '.join(faults.LIMITER_KINDS)}")
    if limit is not None and (type(limit) is not int or limit < 0):
        return bad("limit must be a non-negative integer or null")
    if isinstance(window, bool) or not isinstance(window, (int, float)) or window <= 0:
        return bad("window_s must be a positive number")
    app.limiter.configure(limit, float(window), kind)
    return ok()


def chaos_on(app, req, m):
    parsed, body = req.parsed_body()
    if not parsed:
        return bad("expected a JSON object")
    problem = app.chaos.configure({} if body is None else body)
    return bad(problem) if problem else ok(app.chaos.describe())


def chaos_off(app, req, m):
    app.chaos.off()
    return ok(app.chaos.describe())


def chaos_show(app, req, m):
    return ok(app.chaos.describe())


def chaos_log(app, req, m):
    since = query_int(req, "since", 0)
    if since is None:
        return bad("since must be an integer >= 0")
    return ok({"records": app.chaos.records(since)})


def set_config(app, req, m):
    body = json_object(req)
    if body is None:
        return bad("expected a JSON object")
    unknown = set(body) - {"already_state", "latency_ms", "connect_ms", "jira_browse_users",
                           "user_limits", "jira_already_shape"}
    if unknown:
        return bad(f"unknown config keys: {sorted(unknown)}")
    problem = limits_problem(body.get("user_limits", {}))
    if problem:
        return bad(problem)
    if "already_state" in body and body["already_state"] not in ("204", "409"):
        return bad('already_state must be "204" or "409"')
    if body.get("jira_already_shape", "messages") not in ("messages", "fields"):
        return bad('jira_already_shape must be "messages" or "fields"')
    if not isinstance(body.get("jira_browse_users", True), bool):
        return bad("jira_browse_users must be true or false")
    for key in ("latency_ms", "connect_ms"):
        ms = body.get(key, 0)
        if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0:
            return bad(f"{key} must be a number >= 0")
    app.config.update(body)
    return ok(app.config)


def limits_problem(limits):
    """Why a user_limits value is refused, or None: {product key: N or null}."""
    if not isinstance(limits, dict):
        return "user_limits must be an object"
    for key, limit in limits.items():
        if key not in dict(D.PRODUCTS):
            return f"user_limits: unknown product {key!r}"
        if limit is not None and (type(limit) is not int or limit < 0):
            return "user_limits: each limit must be an integer >= 0 or null"
    return None


def get_config(app, req, m):
    return ok(app.config)


def get_requests(app, req, m):
    return Response.json(200, app.log.snapshot())


def clear_requests(app, req, m):
    app.log.clear()
    return ok()


def stats(app, req, m):
    return ok(app.log.stats.as_json())


def info(app, req, m):
    return ok(dict(app.org.describe(), jira_site=app.jira_info(),
                   index=app.index.describe()))


def list_users(app, req, m):
    offset = query_int(req, "offset", 0)
    limit = query_int(req, "limit", 1000, minimum=1)
    if offset is None or limit is None or limit > MAX_USERS_PAGE:
        return bad(f"offset >= 0 and 1 <= limit <= {MAX_USERS_PAGE}")
    org = app.org
    end = min(org.n_users, offset + limit)
    data = [user_v2(org, org.user(i)) for i in range(offset, end)]
    return ok({"data": data, "total": org.n_users, "offset": offset, "limit": limit})


def one_user(app, req, m):
    org = app.org
    index = org.index_of_account(unquote(m.group(1)))
    if index is None:
        return bad("no such account", 404)
    user = org.user(index)
    out = user_v2(org, user)
    if req.query.get("extra", ["0"])[0] not in ("", "0", "false"):
        # What the v2 shape cannot show; opt-in, so the plain shape stays
        # equal to a users/search entry.
        out["fake"] = {"productAdmin": user.product_admin, "locale": current(user, "locale"),
                       "apiTokens": [t["id"] for t in tokens(org, user)],
                       "jiraListed": index not in org.jira_removed,
                       "edited": index in org.edits}
    return ok(out)


def expect_inactive(app, req, m):
    product = req.query.get("product", [""])[0]
    days = query_int(req, "days", 90)
    if not product or days is None:
        return bad("product is required and days must be an integer >= 0")
    org = app.org
    ids = [org.user(i).account_id for i in range(org.n_users)
           if org.is_inactive(org.user(i), product, days)]
    return ok({"count": len(ids), "account_ids": ids})


def expect_groups(app, req, m):
    org, index = app.org, app.index.get()
    account = org.codec.encode
    fixed = len(org.fixed)
    members = [index.members_now(org, n) for n in range(len(org.groups))]
    return ok({"groups": [
        {"id": g["uuid"], "name": g["name"], "count": len(members[n]),
         "members": [org.fixed[i].account_id if i < fixed else account(i)
                     for i in members[n]]}
        for n, g in enumerate(org.groups)]})


def expect_managed(app, req, m):
    org = app.org
    fixed = len(org.fixed)
    ids = [org.fixed[i].account_id if i < fixed else org.codec.encode(i)
           for i in app.index.get().managed_indexes()]
    return ok({"count": len(ids), "account_ids": ids})


ROUTES = (
    ("POST", r"/__fake/reset", reset),
    ("POST", r"/__fake/faults", add_faults),
    ("DELETE", r"/__fake/faults", clear_faults),
    ("GET", r"/__fake/faults", list_faults),
    ("POST", r"/__fake/ratelimit", ratelimit),
    ("POST", r"/__fake/chaos", chaos_on),
    ("DELETE", r"/__fake/chaos", chaos_off),
    ("GET", r"/__fake/chaos", chaos_show),
    ("GET", r"/__fake/chaos/log", chaos_log),
    ("POST", r"/__fake/config", set_config),
    ("GET", r"/__fake/config", get_config),
    ("GET", r"/__fake/requests", get_requests),
    ("DELETE", r"/__fake/requests", clear_requests),
    ("GET", r"/__fake/stats", stats),
    ("GET", r"/__fake/info", info),
    ("GET", r"/__fake/users", list_users),
    ("GET", r"/__fake/users/([^/]+)", one_user),
    ("GET", r"/__fake/expect/inactive", expect_inactive),
    ("GET", r"/__fake/expect/groups", expect_groups),
    ("GET", r"/__fake/expect/managed", expect_managed),
) + control_access.ROUTES
COMPILED = [(method, re.compile(pattern + "/?"), fn) for method, pattern, fn in ROUTES]


def handle(app, req):
    path_known = False
    for method, regex, fn in COMPILED:
        m = regex.fullmatch(req.path)
        if m:
            path_known = True
            if method == req.method:
                return fn(app, req, m)
    return bad("method not allowed", 405) if path_known else bad("unknown control endpoint", 404)
