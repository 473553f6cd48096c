"""Organizations API v2 user reads besides users/search (REFERENCE.md §5.3, §5.4).

GET .../users/count   the users/search filters as query parameters; counts
                      exactly the users users/search returns for them
GET .../users/stats   accountStatus counts (now, lifecycle changes included)
                      and, per role id, the users holding it
GET .../users/{accountId}/role-assignments   see resources.user_role_assignments
GET /admin/v2/orgs/{orgId}/directories       the org's one directory

Counting filters that the org index holds (statuses, claim, MFA, groups,
roles, resources, domains) costs a pass over compact arrays; accountIds and
emails resolve directly; searchTerm generates every user.
"""

from urllib.parse import unquote

import errors
import params
import resources
import search
from http_types import Response
from orgindex import STATUSES
from org import STATUS_TRIPLES
from paging import v2_page, v2_resume
from routes_directory import ACCOUNT_STATUS, MEMBERSHIP, STATUS
from routes_groups import assignment_page

DIRECTORY_NAME = "Acme directory"
DIRECTORY_ICON = "https://admin.atlassian.com/static/directory-icon.png"
COUNT_FILTERS = {
    "accountIds": lambda r, n: params.strings(r, n, 10),
    "directoryIds": lambda r, n: params.strings(r, n, 10),
    "resourceIds": lambda r, n: params.strings(r, n, 20),
    "groupIds": lambda r, n: params.strings(r, n, 10),
    "mfaEnabled": params.boolean,
    "claimStatus": lambda r, n: params.choice(r, n, ("managed", "unmanaged")),
    "status": lambda r, n: params.strings(r, n, 4, STATUS),
    "accountStatus": lambda r, n: params.strings(r, n, 3, ACCOUNT_STATUS),
    "membershipStatus": lambda r, n: params.strings(r, n, 3, MEMBERSHIP),
    "roleIds": lambda r, n: params.strings(r, n, 10, params.ROLES),
    "searchTerm": params.text,
    "emailDomains": lambda r, n: params.strings(r, n, 10),
}


# ---- count and stats --------------------------------------------------------------
def count(app, req, match):
    problem = params.directory_problem(app, match)
    if problem:
        return problem
    try:
        q = params.collect(req, COUNT_FILTERS)
    except params.Invalid as exc:
        return errors.v2_bad_request(str(exc))
    return Response.json(200, {"count": count_users(app, q)})


def count_users(app, q):
    org = app.org
    if not q:
        return org.n_users
    matcher = app.index.get().matcher(org, q) if not needs_users(q) else None
    if matcher is not None:
        return sum(1 for i in range(org.n_users) if matcher(i))
    preds = search.compile_query(org, q)
    total = 0
    for i in search.sequence(org, q):
        user = org.user(i)
        state = org.state(user)
        total += all(p(user, state) for p in preds)
    return total


def needs_users(q):
    return any(k in q for k in ("accountIds", "emails", "searchTerm"))


def stats(app, req, match):
    problem = params.directory_problem(app, match)
    if problem:
        return problem
    index = app.index.get()
    counts = {"active": 0, "inactive": 0, "closed": 0}
    for code, status in enumerate(STATUSES):
        counts[STATUS_TRIPLES[status][0]] += index.base.count(code)
    for i, (acc, _, _) in list(app.org.overlay.items()):
        counts[STATUS_TRIPLES[STATUSES[index.base[i]]][0]] -= 1
        counts[acc] += 1
    roles = [{"roleId": role, "count": n}
             for role, n in zip(params.ROLES, index.role_counts_now(app.org)) if n]
    return Response.json(200, {"accountStatus": [{"status": s, "count": n}
                                                 for s, n in counts.items()],
                               "roles": roles})


# ---- role assignments -------------------------------------------------------------
def role_assignments(app, req, match):
    problem = params.directory_problem(app, match)
    if problem:
        return problem
    account_id = unquote(match.group(3))
    index = app.org.index_of_account(account_id)
    if index is None:
        return errors.v2(404, "ADMIN-UAM-404-1", "Unknown Resource",
                         "One or more user not found in the directory")
    user = app.org.user(index)
    return assignment_page(app, req, f"user-roles:{account_id}",
                           lambda q: user_assignments(app, user, q))


def user_assignments(app, user, q):
    _, mem, _ = app.org.state(user)
    out = []
    for site, owner, directory, roles in resources.user_role_assignments(app.org, user):
        if not kept(q, site, owner, directory, roles):
            continue
        entry = {"directoryId": directory, "resourceId": site, "resourceOwner": owner,
                 "roles": list(roles),
                 "roleAssignments": [{"role": r, "roleAssignmentMethods": m}
                                     for r, m in roles.items()]}
        if directory is not None:  # null for platform roles, per the spec
            entry["userDirectoryStatus"] = mem
        out.append(entry)
    return out


def kept(q, site, owner, directory, roles):
    return (("directoryIds" not in q or directory in q["directoryIds"])
            and ("resourceOwners" not in q or owner in q["resourceOwners"])
            and ("resourceIds" not in q or site in q["resourceIds"])
            and ("roleIds" not in q or any(r in q["roleIds"] for r in roles)))


# ---- directories ----------------------------------------------------------------------
DIRECTORY_FILTERS = {"accountId": params.text,
                     "directoryIds": lambda r, n: params.strings(r, n, 10),
                     "searchTerm": params.text}


def directories(app, req, match):
    problem = params.org_problem(app, match)
    if problem:
        return problem
    try:
        limit = params.integer(req, "limit", None, 1, 100)
        token = params.text(req, "cursor")
        if token is not None:
            state = v2_resume(app.cursors, "directories", token)
            if state is None:
                return errors.v2_bad_request("Invalid page cursor")
            q, offset, old_limit = state
            limit = limit or old_limit
        else:
            q, offset = params.collect(req, DIRECTORY_FILTERS), 0
            limit = limit or 20
    except params.Invalid as exc:
        return errors.v2_bad_request(str(exc))
    items = [{"directoryId": app.org.directory_id, "name": DIRECTORY_NAME,
              "icon": DIRECTORY_ICON}] if directory_kept(app, q) else []
    data, links = v2_page(app.cursors, "directories", q, items, offset, limit)
    return Response.json(200, {"data": data, "links": links})


def directory_kept(app, q):
    org = app.org
    if "directoryIds" in q and org.directory_id not in q["directoryIds"]:
        return False
    if "searchTerm" in q and q["searchTerm"].lower() not in DIRECTORY_NAME.lower():
        return False
    if "accountId" in q:
        index = org.index_of_account(q["accountId"])
        return index is not None and org.state(org.user(index))[1] != "no_membership"
    return True

