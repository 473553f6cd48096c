"""Effective product access, derived the way Atlassian derives it.

A user's access to a product on a site is the union of the user's direct
role assignments (roles/assign) and the role grants of the groups the user
belongs to.  The role on that access is the highest role held there
(atlassian/admin above atlassian/user).  Activity (last active per product
and site) is kept apart from access, so revoking and re-granting access
neither loses nor invents it.

Shapes (all tuples, so users can share them safely):
  direct     ((product key, site ARI, role), ...)
  activity   {(product key, site ARI): Stamp} (never mutated once built)
  access     ((product key, site ARI, ((role, methods), ...)), ...): roles
             lowest first, methods ("direct",), ("group_direct",) or both
  products   ((product key, site ARI, Stamp or None), ...): the access with
             its activity, the shape every reader used before (usercache,
             render, v1, index, ground truth)
Order: products as org_data.PRODUCTS lists them, then site A before site B,
which is the order the seeded users were generated in.
"""

import org_data as D

USER, ADMIN = "atlassian/user", "atlassian/admin"
ROLE_RANK = {USER: 0, ADMIN: 1}
PRODUCT_ROLES = (USER, ADMIN)
DIRECT, GROUP = "direct", "group_direct"
PRODUCT_RANK = {key: n for n, (key, _) in enumerate(D.PRODUCTS)}
KIND = dict(D.PRODUCTS)


def access_ranks(sites):
    """{(product key, site ARI): position} in access order, for every product
    on every site of its kind (Org.sites)."""
    pairs = [(n, no, key, s["ari"]) for n, (key, kind) in enumerate(D.PRODUCTS)
             for no, s in enumerate(sites[kind])]
    return {(key, ari): pos for pos, (_, _, key, ari) in enumerate(sorted(pairs))}


# Method lists are shared tuples: a user's access is built from these three.
ONLY_DIRECT, ONLY_GROUP, BOTH = (DIRECT,), (GROUP,), (DIRECT, GROUP)


def derive(rank, grants_of, direct, groups):
    """The effective access of a user with these direct assignments and groups.

    rank: access_ranks(); grants_of(g) -> group g's grants ((site ARI,
    product key, role), ...).  Runs for every generated user: kept lean.
    """
    held = {}  # (key, site) -> {role: methods}
    for key, site, role in direct:
        held.setdefault((key, site), {})[role] = ONLY_DIRECT
    for g in groups:
        for site, key, role in grants_of(g):
            roles = held.setdefault((key, site), {})
            was = roles.get(role)
            roles[role] = ONLY_GROUP if was is None else BOTH if was is ONLY_DIRECT else was
    out = []
    for ks in sorted(held, key=rank.__getitem__):
        roles = held[ks]
        if len(roles) == 1:
            out.append(ks + (tuple(roles.items()),))
        else:
            out.append(ks + (tuple(sorted(roles.items(), key=lambda rm: ROLE_RANK[rm[0]])),))
    return tuple(out)


def products_of(access, activity):
    """((key, site, Stamp or None), ...): the access with its last activity."""
    return tuple((key, site, activity.get((key, site))) for key, site, _ in access)


def highest(roles):
    """The role an access entry gives: the last of its roles (lowest first)."""
    return roles[-1][0]


def is_admin(access):
    """Holds atlassian/admin on some product (the roleIds filter's sense)."""
    return any(role == ADMIN for _, _, roles in access for role, _ in roles)


def role_set(access):
    """{(key, site, role)} of an access tuple, whatever the methods."""
    return {(key, site, role) for key, site, roles in access for role, _ in roles}


def changes(old, new):
    """(gained, lost): the (key, site, role) held now and not before, and the
    reverse, in access order.  A change of method only (direct to group) is
    no change of access."""
    before, after = role_set(old), role_set(new)
    rank = {(k, s): n for n, (k, s, _) in enumerate(old + new)}

    def ordered(items):
        return sorted(items, key=lambda ksr: (rank[ksr[:2]], ROLE_RANK[ksr[2]]))
    return ordered(after - before), ordered(before - after)


def seeded_direct(held, granted):
    """Direct assignments of a seeded user: the roles it holds that none of
    its groups grants.  held: ((key, site, role), ...); granted: a set."""
    return tuple(x for x in held if x not in granted)
