"""Writes that change product access, and what each such change entails.

Direct role assignments (roles/assign, roles/revoke), group memberships
(v2, Jira, removal from the directory) and group role grants all come
here: the user's access is derived afresh (access.py, Org.edit), and when
the effective access changed, i.e. a role was gained or lost on a product
and site (not merely held another way, direct instead of through a group):
- the audit log records product_access_granted / product_access_revoked,
  one event per role, context [user, site (product, role), group when a
  group caused it];
- access newly gained on a Jira site puts a user removed from the site's
  user base (DELETE /rest/api/3/user) back, as roles/assign always did.
Callers hold org.lock across their check and the change.
"""

import access as A
from events import group_ref, site_ref


def change_user(app, user, cause=None, **fields):
    """Set fields (direct, groups) of a user and record what that changed;
    returns the new copy.  cause: the group behind the change, if any."""
    old = app.org.user(user.index)
    new = app.org.edit(old, **fields)
    record(app, old, new, cause)
    return new


def record(app, old, new, cause=None):
    """Audit-log events and Jira site listing for old -> new access."""
    gained, lost = A.changes(old.access, new.access)
    extra = [group_ref(cause)] if cause else []
    for action, items in (("product_access_granted", gained), ("product_access_revoked", lost)):
        for key, site, role in items:
            app.audit.append(action, new, [site_ref(site, key, role)] + extra, A.KIND[key])
    if new.index in app.org.jira_removed and any(A.KIND[k] == "jira" for k, _, _ in gained):
        app.org.set_jira_listed(new, True)


def join(app, user, g):
    """Add user to group g: the membership event, then the access it gives."""
    group = app.org.groups[g]
    app.audit.append("user_added_to_group", app.org.user(user.index), [group_ref(group)])
    return change_user(app, user, group, groups=tuple(sorted(user.groups + (g,))))


def leave(app, user, g):
    """Take user out of group g: the membership event, then the access lost."""
    group = app.org.groups[g]
    app.audit.append("user_removed_from_group", app.org.user(user.index), [group_ref(group)])
    return change_user(app, user, group, groups=tuple(x for x in user.groups if x != g))


def set_group_grants(app, g, grants):
    """Make group g grant `grants` and derive every member's access again.
    Members are edited one by one (O(members)): fine for the orgs tests use."""
    org = app.org
    group = org.groups[g]
    members = app.index.get().members_now(org, g)
    group["grants"] = tuple(grants)
    org.version += 1
    for i in members:
        old, new = org.refresh_access(org.user(i))
        if new is not old:
            record(app, old, new, group)


def newly_held(user, pairs):
    """The (product key, site ARI) of pairs the user has no access to yet."""
    held = {(key, site) for key, site, _ in user.access}
    return {pair for pair in pairs if pair not in held}
