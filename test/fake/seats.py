"""User limits: how many users may hold a product on one site.

The spec answers 409 "You've exceeded your user limit for the app" to
group role grants, and lists 409 ADMIN-UAM-409-3 for roles/assign and group
memberships (REFERENCE.md §5.7, §5.9).  The fake has no limits until the
control config sets some: {"user_limits": {"jira-software": 150}} allows
150 users of Jira Software on each Jira site.  A seat is taken by a user
with access there whose account and directory membership are active (the
v1 access_billable rule); a write that would give access to more is
refused whole, and changes nothing.

Counting holders scans the org (every user generated): only done when a
limit is set for the product.
"""

import errors


def over_limit(app, newcomers):
    """The (product key, site ARI) a write would take over its limit, or None.

    newcomers: {(key, site): [user, ...]} who would newly hold access.
    """
    limits = app.config.get("user_limits") or {}
    for (key, site), users in sorted(newcomers.items()):
        limit = limits.get(key)
        if limit is None:
            continue
        seated = [u for u in users if takes_seat(app.org, u)]
        if seated and holders(app.org, key, site) + len(seated) > limit:
            return key, site
    return None


def takes_seat(org, user):
    acc, mem, _ = org.state(user)
    return acc == "active" and mem == "active"


def holders(org, key, site):
    """Users taking a seat of product `key` on `site` now."""
    count = 0
    for i in range(org.n_users):
        user = org.user(i)
        if any(k == key and s == site for k, s, _ in user.products) and takes_seat(org, user):
            count += 1
    return count


def refusal(key, site):
    """The 409 the Organizations API answers (UAM envelope)."""
    return errors.v2(409, "ADMIN-UAM-409-3", "User Limit Exceeded",
                     f"You've exceeded your user limit for {key} on {site}")
