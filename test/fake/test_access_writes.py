"""Writes that change product access (access.py, access_writes.py): direct role
assignments, group memberships (v2, Jira, directory removal), group role
grants; the audit events they append; user limits.

Each write is checked against the ground truth (/__fake/expect/access) and
the reads that report access; replies against operations.json, or the spec
itself for the group role grants (group_role_spec.py).
"""

import json

import pytest

import group_role_spec as spec
from access_helpers import (JOHN, ORG_ADMIN, SUSPENDED, TWO_SITES, UNKNOWN, access,
                            access_events, event_count, events_since, group_grants, group_role,
                            held, info, membership, role, role_methods, search_one, sites)
from conftest import API_KEY, SCOPED_KEY

USER, ADMIN = "atlassian/user", "atlassian/admin"
GRANTED, REVOKED = "product_access_granted", "product_access_revoked"


def uam_code(reply):
    return reply.json()["errors"][0]["code"]


def jira_member(fake, group_id, account_id, add=True):
    if add:
        return fake.jira("/group/user", {"groupId": group_id}, method="POST",
                         body={"accountId": account_id})
    return fake.jira("/group/user", {"groupId": group_id, "accountId": account_id},
                     method="DELETE")


def mixed_entry(fake):
    """An access held both directly and through a group (atlassian/user)."""
    return next(a for a in access(fake) if a["direct"] and a["groups"] and a["role"] == USER)


# ---- direct role assignments (v1 roles/assign, roles/revoke) ------------------------
def test_revoking_a_direct_role_a_group_also_grants_keeps_the_access(fake, schemas):
    entry = mixed_entry(fake)
    who, where = entry["account_id"], (entry["product"], entry["resource"])
    before = event_count(fake)
    reply = role(fake, who, "revoke", {"role": USER, "resource": entry["resource"]}
                 if entry["product"] in ("jira-software", "confluence") else
                 {"role": USER, "resource": entry["resource"].replace(
                     "ari:cloud:jira::", f"ari:cloud:{entry['product']}::")})
    assert reply.status == 204
    schemas.check("revokeRole", reply)
    after = held(fake, who)[where]
    assert (after["direct"], after["groups"], after["role"]) == (False, entry["groups"], USER)
    assert role_methods(fake, who)[where] == {USER: ["group_direct"]}
    assert events_since(fake, before) == []  # the access did not change


def test_assigning_what_a_group_grants_adds_a_method_not_an_event(fake, schemas):
    s = sites(fake)
    before = event_count(fake)
    reply = role(fake, JOHN, "assign", {"role": USER, "resource": s["jira A"]})
    assert reply.status == 204
    schemas.check("assignRole", reply)
    assert role_methods(fake, JOHN)[("jira-software", s["jira A"])] == \
        {USER: ["direct", "group_direct"]}
    assert held(fake, JOHN)[("jira-software", s["jira A"])]["direct"] is True
    assert events_since(fake, before) == []


def test_revoking_admin_leaves_the_user_role(fake):
    s = sites(fake)
    before = event_count(fake)
    assert role(fake, JOHN, "assign", {"role": ADMIN, "resource": s["jira A"]}).status == 204
    assert held(fake, JOHN)[("jira-software", s["jira A"])]["role"] == ADMIN
    assert role_methods(fake, JOHN)[("jira-software", s["jira A"])] == \
        {USER: ["group_direct"], ADMIN: ["direct"]}
    assert role(fake, JOHN, "revoke", {"role": ADMIN, "resource": s["jira A"]}).status == 204
    entry = held(fake, JOHN)[("jira-software", s["jira A"])]
    assert (entry["role"], entry["direct"]) == (USER, False)
    assert access_events(events_since(fake, before)) == [
        (GRANTED, JOHN, s["jira A"], "jira-software", ADMIN),
        (REVOKED, JOHN, s["jira A"], "jira-software", ADMIN)]


def test_revoking_the_only_role_removes_the_access(fake):
    s = sites(fake)
    where = ("jira-software", s["jira B"])
    assert held(fake, TWO_SITES)[where]["direct"] is True
    before = event_count(fake)
    assert role(fake, TWO_SITES, "revoke", {"role": USER, "resource": s["jira B"]}).status == 204
    assert where not in held(fake, TWO_SITES)
    assert s["jira B"] not in {p["id"] for p in search_one(fake, TWO_SITES)["productAccess"]}
    assert access_events(events_since(fake, before)) == [
        (REVOKED, TWO_SITES, s["jira B"], "jira-software", USER)]


def test_activity_outlives_access(fake):
    """Re-granting access brings the real last activity back, never a new one."""
    s = sites(fake)
    where = ("jira-software", s["jira B"])
    used = held(fake, TWO_SITES)[where]["last_active"]
    assert used is not None
    role(fake, TWO_SITES, "revoke", {"role": USER, "resource": s["jira B"]})
    role(fake, TWO_SITES, "assign", {"role": USER, "resource": s["jira B"]})
    assert held(fake, TWO_SITES)[where]["last_active"] == used
    role(fake, JOHN, "assign", {"role": USER, "resource": s["jira B"]})
    assert held(fake, JOHN)[where]["last_active"] is None
    entry = next(p for p in search_one(fake, JOHN)["productAccess"] if p["id"] == s["jira B"])
    assert "lastActiveTimestamp" not in entry


# ---- group memberships ----------------------------------------------------------------
def add_v2(fake, group_id, account_id):
    return membership(fake, group_id, account_id)


def remove_v2(fake, group_id, account_id):
    return membership(fake, group_id, account_id, add=False)


def add_jira(fake, group_id, account_id):
    return jira_member(fake, group_id, account_id)


def remove_jira(fake, group_id, account_id):
    return jira_member(fake, group_id, account_id, add=False)


@pytest.mark.parametrize("add,remove", [(add_v2, remove_v2), (add_jira, remove_jira)],
                         ids=["v2", "jira"])
def test_membership_gives_and_takes_the_group_access(fake, add, remove):
    s, g = sites(fake), info(fake)["group_ids"]["jira-servicemanagement-users"]
    where = ("jira-servicedesk", s["jira A"])
    assert where not in held(fake, JOHN)
    before = event_count(fake)
    assert add(fake, g, JOHN).status in (201, 204)
    entry = held(fake, JOHN)[where]
    assert (entry["role"], entry["direct"], entry["groups"], entry["last_active"]) == \
        (USER, False, ["jira-servicemanagement-users"], None)
    assert role_methods(fake, JOHN)[where] == {USER: ["group_direct"]}
    v1 = next(u for u in fake.get(fake.org_path("/users", "v1")).json()["data"]
              if u["account_id"] == JOHN)
    assert "jira-service-desk" in {p["key"] for p in v1["product_access"]}
    events = events_since(fake, before)
    assert [e["attributes"]["action"] for e in events] == ["user_added_to_group", GRANTED]
    assert events[1]["attributes"]["context"][2]["id"] == g  # the group behind it
    assert remove(fake, g, JOHN).status in (200, 204)
    assert where not in held(fake, JOHN)
    assert access_events(events_since(fake, before))[-1] == \
        (REVOKED, JOHN, s["jira A"], "jira-servicedesk", USER)


def test_leaving_a_group_keeps_access_given_otherwise(fake):
    entry = mixed_entry(fake)
    who, where = entry["account_id"], (entry["product"], entry["resource"])
    groups = info(fake)["group_ids"]
    before = event_count(fake)
    for name in entry["groups"]:
        assert remove_v2(fake, groups[name], who).status == 204
    after = held(fake, who)[where]
    assert (after["direct"], after["groups"]) == (True, [])
    assert role_methods(fake, who)[where] == {USER: ["direct"]}
    assert all(a[2:4] != (entry["resource"], entry["product"])
               for a in access_events(events_since(fake, before)))


def test_joining_a_jira_group_puts_a_removed_user_back_on_the_site(fake):
    g = info(fake)["group_ids"]["jira-software-users"]
    assert fake.jira("/user", {"accountId": SUSPENDED}, method="DELETE").status == 204
    assert fake.control("GET", f"users/{SUSPENDED}?extra=1")["fake"]["jiraListed"] is False
    assert add_v2(fake, g, SUSPENDED).status == 204
    assert fake.control("GET", f"users/{SUSPENDED}?extra=1")["fake"]["jiraListed"] is True


def test_removal_from_the_directory_drops_access_and_keeps_activity(fake):
    s = sites(fake)
    used = held(fake, TWO_SITES)[("jira-software", s["jira B"])]["last_active"]
    assert fake.api("DELETE", fake.org_path(f"/directories/-/users/{TWO_SITES}"),
                    content_type=None).status == 204
    assert held(fake, TWO_SITES) == {}
    assert fake.control("GET", f"users/{TWO_SITES}?extra=1")["productAccess"] == []
    role(fake, TWO_SITES, "assign", {"role": USER, "resource": s["jira B"]})
    assert held(fake, TWO_SITES)[("jira-software", s["jira B"])]["last_active"] == used


# ---- group role grants (v2 role-assignments/assign, /revoke) --------------------------
def members(fake, name):
    return next(g for g in fake.control("GET", "expect/groups")["groups"]
                if g["name"] == name)["members"]


def test_group_grant_gives_every_member_access(fake, schemas):
    s, g = sites(fake), info(fake)["group_ids"]["sales"]
    body = {"resourceId": s["jira B"], "roleId": USER}
    if spec.available():
        spec.check_body("assignGroupRole", body)
    holders = {a["account_id"] for a in access(fake) if a["resource"] == s["jira B"]
               and a["product"] == "jira-software"}
    before = event_count(fake)
    reply = group_role(fake, g, "assign", body)
    assert reply.status == 200 and reply.body == b""
    spec.check(schemas, "assignGroupRole", reply)
    assert ("jira-software", s["jira B"], USER) in group_grants(fake, g)
    sales = set(members(fake, "sales"))
    now = {a["account_id"]: a for a in access(fake) if a["resource"] == s["jira B"]
           and a["product"] == "jira-software"}
    assert set(now) == holders | sales
    assert all("sales" in now[m]["groups"] for m in sales)
    assert all("sales" not in now[u]["groups"] for u in holders - sales)
    gained = access_events(events_since(fake, before))
    assert sorted(e[1] for e in gained) == sorted(sales - holders)
    assert {e[0] for e in gained} == {GRANTED}
    found = {u["accountId"] for u in fake.search_all({"resourceIds": [s["jira B"]]})[0]}
    assert sales <= found
    again = group_role(fake, g, "assign", body)
    assert again.status == 200 and event_count(fake) == before + len(gained)
    by_role = fake.api("POST", fake.org_path("/directories/-/groups/search"),
                       {"resourceIds": [s["jira B"]]}).json()["data"]
    assert "sales" in {x["name"] for x in by_role}
    jira = fake.jira("/group/bulk", {"applicationKey": "jira-software"}).json()["values"]
    assert "sales" in {x["name"] for x in jira}  # the site sees what the group grants


def test_group_revoke_keeps_access_given_otherwise(fake, schemas):
    s, groups = sites(fake), info(fake)["group_ids"]
    g = groups["jira-software-users"]
    holders = {a["account_id"]: a for a in access(fake, product="jira-software")
               if a["resource"] == s["jira A"]}
    kept = {u for u, a in holders.items() if a["direct"] or a["groups"] != ["jira-software-users"]}
    # atlassian/user lost where only a group gave it (site-admins give admin: access stays)
    user_by_group = {u for u in holders if role_methods(fake, u)[
        ("jira-software", s["jira A"])].get(USER) == ["group_direct"]}
    before = event_count(fake)
    reply = group_role(fake, g, "revoke", {"resourceId": s["jira A"], "roleId": USER})
    assert reply.status == 204
    spec.check(schemas, "revokeGroupRole", reply)
    assert group_grants(fake, g) == set()
    left = {a["account_id"] for a in access(fake, product="jira-software")
            if a["resource"] == s["jira A"]}
    assert left == kept and JOHN not in left
    lost = access_events(events_since(fake, before))
    assert sorted(e[1] for e in lost) == sorted(user_by_group)
    assert set(holders) - kept <= user_by_group and {e[4] for e in lost} == {USER}
    assert role_methods(fake, TWO_SITES) == {("jira-software", s["jira B"]): {USER: ["direct"]}}
    mia = role_methods(fake, ORG_ADMIN)[("jira-software", s["jira A"])]
    assert mia == {ADMIN: ["group_direct"]}  # site-admins and jira-admins still grant admin
    assert group_role(fake, g, "revoke", {"resourceId": s["jira A"], "roleId": USER}).status == 204
    assert event_count(fake) == before + len(lost)


def test_synced_group_takes_a_grant(fake):
    s, g = sites(fake), info(fake)["group_ids"]["engineering"]
    assert group_role(fake, g, "assign", {"resourceId": s["conf B"], "roleId": ADMIN}).status \
        == 200
    for member in members(fake, "engineering"):
        assert held(fake, member)[("confluence", s["conf B"])]["role"] == ADMIN


@pytest.mark.parametrize("group,body,status,code", [
    ("00000000-0000-4000-8000-000000000000", {"resourceId": "JIRA_B", "roleId": USER},
     404, "ADMIN-UAM-404-3"),
    ("sales", {"resourceId": "JIRA_B"}, 400, "ADMIN-UAM-400-1"),
    ("sales", {"roleId": USER}, 400, "ADMIN-UAM-400-1"),
    ("sales", {"resourceId": "JIRA_B", "roleId": "atlassian/owner"}, 400, "ADMIN-UAM-400-1"),
    ("sales", {"resourceId": "JIRA_B", "roleId": "atlassian/guest"}, 400, "ADMIN-UAM-400-3"),
    ("sales", {"resourceId": "BITBUCKET", "roleId": USER}, 400, "ADMIN-UAM-400-3"),
    ("sales", {"resourceId": "ari:cloud:jira::site/00000000-0000-4000-8000-000000000000",
               "roleId": USER}, 404, "ADMIN-UAM-404-3"),
    ("sales", [USER], 400, "ADMIN-UAM-400-1"),
])
def test_group_grant_refusals(fake, schemas, group, body, status, code):
    i = info(fake)
    names = {"JIRA_B": i["sites"]["jira"][1]["ari"], "BITBUCKET": i["workspaces"][4]["id"]}
    if isinstance(body, dict):
        body = {k: names.get(v, v) for k, v in body.items()}
    group_id = i["group_ids"].get(group, group)
    before, truth = event_count(fake), access(fake)
    for verb, op in (("assign", "assignGroupRole"), ("revoke", "revokeGroupRole")):
        reply = group_role(fake, group_id, verb, body)
        assert reply.status == status, reply.body
        spec.check(schemas, op, reply)
        assert uam_code(reply) == code
    assert (event_count(fake), access(fake)) == (before, truth)


def test_group_grant_needs_a_json_body_and_the_key(fake, schemas):
    g, jira_b = info(fake)["group_ids"]["sales"], sites(fake)["jira B"]
    body = {"resourceId": jira_b, "roleId": USER}
    reply = group_role(fake, g, "assign", str(body), content_type="text/plain")
    assert reply.status == 415
    spec.check(schemas, "assignGroupRole", reply, documented=False)
    reply = fake.api("POST", f"/admin/v2/orgs/other/directories/-/groups/{g}"
                             "/role-assignments/assign", body)
    assert reply.status == 404 and uam_code(reply) == "ADMIN-UAM-404-2"
    reply = group_role(fake, g, "assign", body, key="Bearer wrong")
    assert reply.status == 401
    spec.check(schemas, "assignGroupRole", reply)
    reply = group_role(fake, g, "assign", body, key=f"Bearer {SCOPED_KEY}")
    assert reply.status == 403  # no scope named: refused to a key with scopes, as all writes
    assert reply.json()["message"] == "User has no permission to access resource."
    assert group_role(fake, g, "assign", body, key=f"Bearer {API_KEY}").status == 200


# ---- user limits ------------------------------------------------------------------------
def holders_on(fake, product, resource):
    return [a for a in access(fake, product=product) if a["resource"] == resource]


def limit_to_now(fake, product, resource):
    """Set the product's user limit to the seats taken now on that site."""
    users = {u["accountId"]: u for u in fake.all_users()}
    taken = sum(users[a["account_id"]]["status"] == "active"
                for a in holders_on(fake, product, resource))
    fake.control("POST", "config", {"user_limits": {product: taken}})


@pytest.mark.parametrize("write", ["group_role", "membership", "role"])
def test_user_limit_refuses_a_grant_past_it(fake, schemas, write):
    s, g = sites(fake), info(fake)["group_ids"]
    limit_to_now(fake, "jira-servicedesk", s["jira A"])
    before, truth = event_count(fake), access(fake)
    if write == "group_role":
        reply = group_role(fake, g["sales"], "assign",
                           {"resourceId": s["jira A"].replace("jira::", "jira-servicedesk::"),
                            "roleId": USER})
        spec.check(schemas, "assignGroupRole", reply)
    elif write == "membership":
        reply = membership(fake, g["jira-servicemanagement-users"], JOHN)
        schemas.check("addGroupMember", reply)
    else:
        reply = role(fake, JOHN, "assign", {
            "role": USER, "resource": s["jira A"].replace("jira::", "jira-servicedesk::")})
        schemas.check("assignRole", reply)
    assert reply.status == 409 and uam_code(reply) == "ADMIN-UAM-409-3"
    assert (event_count(fake), access(fake)) == (before, truth)
    fake.control("POST", "config", {"user_limits": {"jira-servicedesk": None}})
    assert role(fake, JOHN, "assign", {
        "role": USER, "resource": s["jira A"].replace("jira::", "jira-servicedesk::")}
    ).status == 204


def test_user_limit_config_is_checked(fake):
    for value in ([1], {"jira": 3}, {"confluence": -1}, {"confluence": "3"}):
        reply = fake.raw("POST", "/__fake/config", json.dumps({"user_limits": value}),
                         {"Content-Type": "application/json"})
        assert reply.status == 400, value


def test_reset_restores_grants_memberships_and_activity(fake):
    s, g = sites(fake), info(fake)["group_ids"]
    truth, grants = access(fake), group_grants(fake, g["jira-software-users"])
    group_role(fake, g["jira-software-users"], "revoke", {"resourceId": s["jira A"],
                                                          "roleId": USER})
    membership(fake, g["confluence-users"], JOHN, add=False)
    role(fake, TWO_SITES, "revoke", {"role": USER, "resource": s["jira B"]})
    fake.control("POST", f"users/{JOHN}/activity",
                 {"product": "confluence", "site": "acme", "last_active": None})
    fake.control("POST", "config", {"user_limits": {"confluence": 0}})
    assert access(fake) != truth
    fake.control("POST", "reset")
    assert access(fake) == truth
    assert group_grants(fake, g["jira-software-users"]) == grants
    assert fake.control("GET", "config")["user_limits"] == {}


def test_unknown_user_refusals_are_unchanged(fake, schemas):
    reply = role(fake, UNKNOWN, "assign", {"role": USER, "resource": sites(fake)["jira B"]})
    assert reply.status == 404
    schemas.check("assignRole", reply)
