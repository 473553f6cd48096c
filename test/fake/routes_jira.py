"""Jira Cloud platform REST v3 on a site (REFERENCE.md §8), Basic auth only.

GET /rest/api/3/users/search  startAt, maxResults (default 50, clamped to
    1000): a bare array of User.  Every org user (accountType atlassian,
    active = accountStatus active) in index order, then the org's app
    accounts (accountType app).  emailAddress is hidden (profile
    visibility) for unmanaged users with an odd index.
GET /rest/api/3/group/bulk    groupId/groupName (repeated; either matches),
    accessType (site-admin | admin | user: groups granting that on a Jira
    site), applicationKey (groups granting access to that Jira product),
    startAt, maxResults (default 50, clamped to 50): PageBeanGroupDetails,
    groups by name.
GET /rest/api/3/group/member  groupId or groupname (exactly one),
    includeInactiveUsers (default false), startAt, maxResults (1..50,
    default 50, larger values clamped): PageBeanUserDetails, members in
    index order.

Users removed from the site (DELETE /rest/api/3/user, routes_jira_writes.py)
are left out of users/search and group/member; the org keeps them.

Errors are ErrorCollection bodies.  With the control config
{"jira_browse_users": false} the site user lacks the Browse users and
groups permission: 403 on all three.
"""

from urllib.parse import quote

import errors
import params
from http_types import Response
from paging import base_url, v1_url

ACCESS_TYPES = ("site-admin", "admin", "user")
APPLICATION_KEYS = ("jira-servicedesk", "jira-software", "jira-product-discovery", "jira-core")
NO_BROWSE = "Browse users and groups permission is required to view {}."


def bad(message):
    return errors.jira(400, [message])


def page_args(req, default, clamp, minimum=0):
    """(startAt, maxResults); raises params.Invalid."""
    start = params.integer(req, "startAt", 0, 0, None)
    size = params.integer(req, "maxResults", default, minimum, None)
    return start, min(size, clamp)


# ---- rendering ---------------------------------------------------------------------
def avatars(picture):
    return {f"{n}x{n}": f"{picture}?size={n}&s={n}" for n in (16, 24, 32, 48)}


def user_json(app, req, user):
    acc, _, _ = app.org.state(user)
    out = {"self": f"{base_url(req)}/rest/api/3/user?accountId={quote(user.account_id)}",
           "accountId": user.account_id, "accountType": "atlassian"}
    if user.claim == "managed" or user.index % 2 == 0:
        out["emailAddress"] = user.email
    out.update(avatarUrls=avatars(user.picture), displayName=user.name,
               active=acc == "active", key="", name="")
    if user.time_zone:
        out["timeZone"] = user.time_zone
    return out


def app_json(req, account_id, name):
    return {"self": f"{base_url(req)}/rest/api/3/user?accountId={quote(account_id)}",
            "accountId": account_id, "accountType": "app",
            "avatarUrls": avatars("https://avatar-management--avatars.us-west-2.prod.public"
                                  f".atl-paas.net/initials/{name[:2].upper()}-0.png"),
            "displayName": name, "active": True, "key": "", "name": ""}


def page_bean(req, start, size, total, values):
    out = {"self": v1_url(req, **paged_query(req, start, size)), "maxResults": size,
           "startAt": start, "total": total, "isLast": start + size >= total}
    if not out["isLast"]:
        out["nextPage"] = v1_url(req, **paged_query(req, start + size, size))
    out["values"] = values
    return out


def paged_query(req, start, size):
    query = {k: v[0] for k, v in req.query.items() if k not in ("startAt", "maxResults")}
    return dict(query, startAt=start, maxResults=size)


# ---- handlers --------------------------------------------------------------------------
def users_search(app, req, match):
    if not app.config["jira_browse_users"]:
        return errors.jira(403, [NO_BROWSE.format("users")])
    try:
        start, size = page_args(req, 50, 1000)
    except params.Invalid as exc:
        return bad(str(exc))
    org = app.org
    removed = sorted(org.jira_removed)  # one snapshot for the whole page
    gone, listed = set(removed), org.n_users - len(removed)
    out = []
    index = nth_listed(start, removed)
    for pos in range(start, min(start + size, listed + len(org.apps))):
        if pos < listed:
            while index in gone:
                index += 1
            out.append(user_json(app, req, org.user(index)))
            index += 1
        else:
            out.append(app_json(req, *org.apps[pos - listed]))
    return Response.json(200, out)


def nth_listed(pos, removed):
    """The index of the pos-th org user still on the site (removed: sorted)."""
    index = pos
    for r in removed:
        if r > index:
            break
        index += 1
    return index


def group_bulk(app, req, match):
    if not app.config["jira_browse_users"]:
        return errors.jira(403, [NO_BROWSE.format("groups")])
    try:
        start, size = page_args(req, 50, 50)
        ids = params.strings(req, "groupId")
        names = params.strings(req, "groupName")
        access = params.choice(req, "accessType", ACCESS_TYPES)
        app_key = params.choice(req, "applicationKey", APPLICATION_KEYS)
    except params.Invalid as exc:
        return bad(str(exc))
    org = app.org
    groups = sorted((g for g in org.groups if (ids is None and names is None)
                     or g["uuid"] in (ids or ()) or g["name"] in (names or ())),
                    key=lambda g: g["name"])
    groups = [g for g in groups if grants_on_jira(org, g, access, app_key)]
    values = [{"groupId": g["uuid"], "name": g["name"]} for g in groups[start:start + size]]
    return Response.json(200, page_bean(req, start, size, len(groups), values))


def grants_on_jira(org, group, access, app_key):
    if access == "site-admin" and group["name"] != "site-admins":
        return False
    jira_sites = {s["ari"] for s in org.sites["jira"]}
    grants = [(owner, role) for site, owner, role in group["grants"] if site in jira_sites]
    if access in ("admin", "user") and not any(role == f"atlassian/{access}"
                                               for _, role in grants):
        return False
    return app_key is None or any(owner == app_key for owner, _ in grants)


def group_member(app, req, match):
    if not app.config["jira_browse_users"]:
        return errors.jira(403, [NO_BROWSE.format("groups")])
    group_id, name = params.text(req, "groupId"), params.text(req, "groupname")
    if (group_id is None) == (name is None):
        return bad("You must provide either a group name or a group ID, but not both.")
    try:
        start, size = page_args(req, 50, 50, minimum=1)
        inactive = params.boolean(req, "includeInactiveUsers") or False
    except params.Invalid as exc:
        return bad(str(exc))
    org = app.org
    g = find_group(org, group_id, name)
    if g is None:
        return no_group()
    members = member_list(app, g, inactive)
    values = [user_json(app, req, org.user(i)) for i in members[start:start + size]]
    return Response.json(200, page_bean(req, start, size, len(members), values))


def find_group(org, group_id, name):
    """The group index for a groupId or a groupname, or None."""
    if group_id is not None:
        return org.group_by_uuid.get(group_id)
    return next((i for i, grp in enumerate(org.groups) if grp["name"] == name), None)


def no_group():
    return errors.jira(404, ["Specified group does not exist."])


def member_list(app, g, include_inactive):
    """The group's members on the site (only active accounts unless asked),
    cached per org state version so deep pages of a big group cost no rescans."""
    index, org = app.index.get(), app.org
    if include_inactive and not org.edits and not org.jira_removed:
        return index.members[g]  # the seeded list as it is: no copy
    key = (g, include_inactive, org.version)
    cached = app.member_cache.get(key)
    if cached is None:
        cached = [i for i in index.members_now(org, g) if i not in org.jira_removed
                  and (include_inactive or index.state(org, i)[0] == "active")]
        if len(app.member_cache) >= 8:  # bounded: old state versions go
            app.member_cache.clear()
        app.member_cache[key] = cached
    return cached
