"""Product access as Atlassian derives it (access.py): the seeded org obeys the
rule, and every read reports the effective access.

Effective access of a user on (product, site) = its direct role assignments
plus the grants of its groups; the role there is the highest held.  These
tests recompute it from the API's own answers (group role assignments, user
groups, role-assignment methods) and compare it with the ground truth
(/__fake/expect/access) and with what each read reports.
"""

from access_helpers import (ALL_EXPANDS, JOHN, TWO_SITES, access, epoch_of, group_grants,
                            info, role_methods, sites)

DAY = 86400
USER, ADMIN = "atlassian/user", "atlassian/admin"


def age_days(iso, now):
    return (now - epoch_of(iso)) / DAY


def grants_by_group(fake):
    """{group name: {(product, resource, role)}} from every group's role assignments."""
    return {name: group_grants(fake, gid) for name, gid in info(fake)["group_ids"].items()}


# ---- the seeded org obeys the rule -------------------------------------------------
def test_seeded_access_is_direct_plus_group_grants(fake, schemas):
    grants = grants_by_group(fake)
    truth = {}
    for a in access(fake):
        truth.setdefault(a["account_id"], {})[(a["product"], a["resource"])] = a
    users, _ = fake.search_all({"expand": ALL_EXPANDS})
    assert len(users) == 200
    for user in users:
        mine = truth.get(user["accountId"], {})
        assert [(p["key"], p["id"]) for p in user["productAccess"]] == list(mine)
        groups = [g["name"] for g in user["groups"]]
        reply = fake.get(fake.org_path(
            f"/directories/-/users/{user['accountId']}/role-assignments"), {"limit": 100})
        schemas.check("getUserRoleAssignments", reply)
        methods = {(a["resourceOwner"], a["resourceId"]):
                   {r["role"]: r["roleAssignmentMethods"] for r in a["roleAssignments"]}
                   for a in reply.json()["data"] if a["directoryId"] is not None}
        assert list(methods) == list(mine)
        for (product, resource), roles in methods.items():
            granting = sorted(g for g in groups if any(
                (product, resource, r) in grants[g] for r in (USER, ADMIN)))
            entry = mine[(product, resource)]
            assert entry["groups"] == granting
            for r, how in roles.items():
                by_group = any((product, resource, r) in grants[g] for g in groups)
                assert ("group_direct" in how) == by_group, (user["accountId"], product, r)
                assert how in (["direct"], ["group_direct"], ["direct", "group_direct"])
            assert entry["direct"] == any("direct" in how for how in roles.values())
            assert entry["role"] == (ADMIN if ADMIN in roles else USER)
        for (product, resource, r) in {x for g in groups for x in grants[g]}:
            assert r in methods[(product, resource)], "a member holds what its groups grant"


def test_seed_has_the_access_cases_the_tests_need(fake):
    """REFERENCE-style cases the lead's tests and these rely on (issue 10)."""
    now = info(fake)["start_time_ns"] / 1e9
    s = sites(fake)
    js = [a for a in access(fake) if a["product"] == "jira-software"]
    by_user = {}
    for a in js:
        by_user.setdefault(a["account_id"], {})[a["resource"]] = a["last_active"]
    idle = lambda t: t is None or age_days(t, now) > 90
    both = [u for u, where in by_user.items() if set(where) == {s["jira A"], s["jira B"]}
            and sorted(map(idle, where.values())) == [False, True]]
    assert TWO_SITES in both  # jira B 10 days ago, jira A 100 days ago
    only_group = [a["account_id"] for a in js if a["resource"] == s["jira A"]
                  and not a["direct"] and a["groups"] == ["jira-software-users"]]
    assert JOHN in only_group
    mixed = [a for a in access(fake) if a["direct"] and a["groups"]]
    assert mixed, "someone holds one product on one site both directly and through a group"
    grants = grants_by_group(fake)
    multi = {g for g, gr in grants.items()
             if len({p for p, site, _ in gr if site == s["jira A"]}) >= 2}
    assert {"site-admins", "jira-admins"} <= multi
    only_through = [(a["groups"][0], a["product"]) for a in access(fake)
                    if not a["direct"] and len(a["groups"]) == 1 and a["groups"][0] in multi]
    assert only_through, "a member of a multi-product group holds a product only through it"


def test_product_groups_grant_on_site_a_only_to_holders(fake):
    """Seed rule: a product group (site A) has no member without the product on site A."""
    s = sites(fake)
    product_groups = {"jira-software-users": ("jira-software", s["jira A"]),
                      "confluence-users": ("confluence", s["conf A"]),
                      "jira-servicemanagement-users": ("jira-servicedesk", s["jira A"]),
                      "jira-core-users": ("jira-core", s["jira A"])}
    holders = {}
    for a in access(fake):
        holders.setdefault((a["product"], a["resource"]), set()).add(a["account_id"])
    for group in fake.control("GET", "expect/groups")["groups"]:
        if group["name"] in product_groups:
            assert set(group["members"]) <= holders[product_groups[group["name"]]]


# ---- every read reports the effective access ---------------------------------------
def test_product_access_and_activity_in_every_read(fake, schemas):
    truth = {}
    for a in access(fake):
        truth.setdefault(a["account_id"], []).append(a)
    users, _ = fake.search_all({"expand": ALL_EXPANDS})
    for user in users:
        mine = truth.get(user["accountId"], [])
        expected = [dict({"id": a["resource"], "key": a["product"]},
                         **({"lastActiveTimestamp": a["last_active"]} if a["last_active"]
                            else {})) for a in mine]
        assert user["productAccess"] == expected
        assert user["counts"]["resources"] == len({a["resource"] for a in mine})
    v1 = fake.get(fake.org_path("/users", "v1")).json()["data"]
    for account in v1:
        mine = truth.get(account["account_id"], [])
        assert len(account["product_access"]) == len(mine)
        assert [("last_active" in p) for p in account["product_access"]] == \
            [a["last_active"] is not None for a in mine]
    reply = fake.get(fake.org_path(f"/directory/users/{TWO_SITES}/last-active-dates", "v1"))
    schemas.check("getUserLastActiveDates", reply)
    dates = {p["id"]: p["last_active_timestamp"] for p in reply.json()["data"]["product_access"]}
    assert dates == {a["resource"]: a["last_active"][:19] + "Z" for a in truth[TWO_SITES]}


def test_role_and_resource_filters_follow_effective_access(fake):
    s = sites(fake)
    entries = access(fake)
    admins = {a["account_id"] for a in entries if a["role"] == ADMIN}
    found = {u["accountId"] for u in fake.search_all({"roleIds": [ADMIN]})[0]}
    assert found == admins
    on_b = {a["account_id"] for a in entries if a["resource"] == s["jira B"]}
    assert {u["accountId"] for u in fake.search_all({"resourceIds": [s["jira B"]]})[0]} == on_b
    count = fake.get(fake.org_path("/directories/-/users/count"),
                     {"resourceIds": s["jira B"]}).json()["count"]
    assert count == len(on_b)
    stats = fake.get(fake.org_path("/directories/-/users/stats")).json()["roles"]
    assert {r["roleId"]: r["count"] for r in stats}[ADMIN] == len(admins)


def test_role_assignment_methods(fake):
    s = sites(fake)
    assert role_methods(fake, JOHN)[("jira-software", s["jira A"])] == {USER: ["group_direct"]}
    tom = role_methods(fake, TWO_SITES)
    assert tom == {("jira-software", s["jira A"]): {USER: ["group_direct"]},
                   ("jira-software", s["jira B"]): {USER: ["direct"]}}
    mixed = next(a for a in access(fake) if a["direct"] and a["groups"])
    methods = role_methods(fake, mixed["account_id"])[(mixed["product"], mixed["resource"])]
    assert ["direct", "group_direct"] in methods.values()


def test_expect_inactive_follows_effective_access_and_activity(fake):
    now = info(fake)["start_time_ns"] / 1e9
    for product in ("jira-software", "jira-servicedesk"):
        latest = {}
        for a in access(fake, product=product):
            stamp = a["last_active"] and age_days(a["last_active"], now)
            latest.setdefault(a["account_id"], []).append(stamp)
        idle = {u for u, ages in latest.items()
                if all(x is None for x in ages) or min(x for x in ages if x is not None) > 90}
        got = fake.control("GET", f"expect/inactive?product={product}&days=90")
        assert set(got["account_ids"]) == idle
