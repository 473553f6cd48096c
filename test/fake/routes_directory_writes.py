"""Organizations API v2 directory writes (REFERENCE.md §5.5, §5.7).

POST   .../directories/{directoryId}/users/{accountId}/suspend   -> 204
POST   .../directories/{directoryId}/users/{accountId}/restore   -> 204
DELETE .../directories/{directoryId}/users/{accountId}           -> 204
POST   .../directories/{directoryId}/groups/{groupId}/memberships {"accountId"} -> 204
DELETE .../directories/{directoryId}/groups/{groupId}/memberships/{accountId} -> 204

The spec gives these no error body; the fake answers the UAM envelope
(ADMIN-UAM-*), as the v2 directory endpoints do live.  Rules:
- unknown org 404 ADMIN-UAM-404-2, unknown directory 404 ADMIN-UAM-404-1
  ('-' and the org's directory id both work, for writes too);
- a user is "in the directory" unless its membershipStatus is
  no_membership; an unknown account, or one not in the directory, is 404
  ADMIN-UAM-404-1 "One or more user not found in the directory" (the live
  message);
- org admins (platform role atlassian/org-admin) cannot be suspended,
  restored or removed: 400 ADMIN-UAM-400-1 (observed for suspend/restore;
  the fake extends it to removal, which would strip an admin's roles);
- suspending a suspended user or restoring an active one: 204 without a
  change, or 409 ADMIN-UAM-409-2 with the control config already_state
  "409" (undocumented either way);
- remove: membershipStatus no_membership (status not_invited while the
  account is active), every group membership and direct role assignment
  dropped, hence all product access (activity is kept);
- memberships: unknown group 404 ADMIN-UAM-404-3; groups synced from an
  identity provider cannot be changed (403 ADMIN-UAM-403-1); adding a
  member again is 409 ADMIN-UAM-409-2 always (live behaviour); removing a
  non-member is 404 ADMIN-UAM-404-1.  A membership gives the access the
  group grants, at once; leaving the group takes away what nothing else
  gives (access.py).  Joining a group whose grants would take a product
  past the control config's user_limits is 409 ADMIN-UAM-409-3 (seats.py).
A change appends an audit-log event, then product_access_granted / _revoked
for the access it changed (access_writes.py); a call that changes nothing
appends none.
"""

from urllib.parse import unquote

import access_writes
import errors
import params
import routes_directory as body_rules
import seats
from http_types import Response
from routes_groups import find_group

ORG_ADMIN = "atlassian/org-admin"


def not_in_directory():
    return errors.v2(404, "ADMIN-UAM-404-1", "Unknown Resource",
                     "One or more user not found in the directory")


def conflict(detail):
    return errors.v2(409, "ADMIN-UAM-409-2", "Resource Conflicts", detail)


def directory_user(app, account_id):
    """(user, None) for a user in the org's directory, else (None, 404)."""
    index = app.org.index_of_account(account_id)
    if index is None:
        return None, not_in_directory()
    user = app.org.user(index)
    if app.org.state(user)[1] == "no_membership":
        return None, not_in_directory()
    return user, None


def target(app, match, verb):
    """(user, None) for the path's user when `verb` may act on it, else (None, error)."""
    problem = params.directory_problem(app, match)
    if problem:
        return None, problem
    user, problem = directory_user(app, unquote(match.group(3)))
    if problem:
        return None, problem
    if ORG_ADMIN in user.platform_roles:
        return None, errors.v2_bad_request(f"Organization admins cannot be {verb}")
    return user, None


# ---- suspend, restore, remove ---------------------------------------------------
def suspend(app, req, match):
    return set_access(app, match, "suspended", "user_access_suspended",
                      "The user's access is already suspended")


def restore(app, req, match):
    return set_access(app, match, "active", "user_access_restored",
                      "The user's access is already active")


def set_access(app, match, mem, action, already):
    verb = "suspended" if mem == "suspended" else "restored"
    with app.org.lock:  # check-then-set must not interleave with another request
        user, problem = target(app, match, verb)
        if problem:
            return problem
        if app.org.state(user)[1] == mem:
            return conflict(already) if app.config["already_state"] == "409" \
                else Response.empty(204)
        app.org.set_membership(user, mem)
        app.audit.append(action, user)
    return Response.empty(204)


def remove(app, req, match):
    with app.org.lock:
        user, problem = target(app, match, "removed")
        if problem:
            return problem
        app.org.set_membership(user, "no_membership")
        app.audit.append("user_removed_from_directory", user)
        # "assign their roles and group memberships again" after a re-invite.
        access_writes.change_user(app, user, groups=(), direct=())
    return Response.empty(204)


# ---- group memberships ------------------------------------------------------------
def writable_group(app, match):
    """(group index, None), or (None, 404/403) for an unknown or synced group."""
    g, problem = find_group(app, match)
    if problem:
        return None, problem
    if app.org.groups[g]["synced"]:
        return None, errors.v2(403, "ADMIN-UAM-403-1", "Forbidden",
                               "Groups synced from an identity provider cannot be changed")
    return g, None


def add_member(app, req, match):
    body, problem = body_rules.read_body(req)
    if problem:
        return problem
    if not isinstance(body.get("accountId"), str):
        return errors.v2_bad_request("accountId is required and must be a string")
    with app.org.lock:
        g, problem = writable_group(app, match)
        if problem:
            return problem
        user, problem = directory_user(app, body["accountId"])
        if problem:
            return problem
        group = app.org.groups[g]
        if g in user.groups:
            return conflict(f"User {user.account_id} is already a member of group "
                            f"{group['uuid']}")
        full = seats.over_limit(app, {pair: [user] for pair in access_writes.newly_held(
            user, [(key, site) for site, key, _ in group["grants"]])})
        if full:
            return seats.refusal(*full)
        access_writes.join(app, user, g)
    return Response.empty(204)


def remove_member(app, req, match):
    with app.org.lock:
        g, problem = writable_group(app, match)
        if problem:
            return problem
        user, problem = directory_user(app, unquote(match.group(4)))
        if problem:
            return problem
        group = app.org.groups[g]
        if g not in user.groups:
            return errors.v2(404, "ADMIN-UAM-404-1", "Unknown Resource",
                             f"User {user.account_id} is not a member of group {group['uuid']}")
        access_writes.leave(app, user, g)
    return Response.empty(204)
