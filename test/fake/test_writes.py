"""The fake's write operations: success, refusals and the state they change.

Each write is checked three ways: its reply against operations.json, the
change in the next reads (users/search, groups, role assignments, v1
accounts, Jira), and the audit-log event it appends (none for a refusal or
a call that changes nothing).  Ground truth comes from /__fake/users/{id}.
"""

import json
import subprocess
from urllib.parse import quote

import jsonschema
import pytest

from conftest import API_KEY, HERE, PYTHON, SCOPED_KEY, SITE_EMAIL, SITE_TOKEN

# Fixed users (fixed_users.py); the same constants as test_fake.py.
ORG_ADMIN = "5b10ac8d82e05b22cc7d4ef5"                       # 0: org admin
JOHN = "712020:978521a6-2367-4092-a7f6-7cc1b9043bdd"         # 1: managed, active
UNMANAGED = "557057:4f9acfd2-6155-419b-8de5-5b5cf27a59a0"    # 2
SCIM = "557057:0c3f5b6e-8a51-4d7e-9b7f-2f6f1a2d3c4e"         # 3: SCIM-synced
DEACTIVATED = "5c2e9a1b7d3f4e0a8b6c1d2e"                     # 4
SUSPENDED = "5d4c3b2a1f0e9d8c7b6a5f4e"                       # 6
TWO_SITES = "5e6f7a8b9c0d1e2f3a4b5c6d"                       # 9
NOT_INVITED = "712020:4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7f8a"  # 10: no_membership
BOB = "557057:5e6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8a9b"          # 11: managed, active
UNKNOWN = "557057:00000000-0000-4000-8000-000000000000"
CHECK = HERE + "/check_requests.py"


# ---- helpers ---------------------------------------------------------------------
def truth(fake, account_id):
    """Ground truth for one user, with the fields the v2 shape lacks."""
    return fake.control("GET", f"users/{quote(account_id, safe='')}?extra=1")


def directory(fake, method, rest, body=None, directory_id="-", **kw):
    return fake.api(method, fake.org_path(f"/directories/{directory_id}{rest}"), body,
                    content_type="application/json" if body is not None else None, **kw)


def user_action(fake, account_id, action, **kw):
    if action == "remove":
        return directory(fake, "DELETE", f"/users/{quote(account_id, safe='')}", **kw)
    return directory(fake, "POST", f"/users/{quote(account_id, safe='')}/{action}", **kw)


def membership(fake, group_id, account_id, add=True, **kw):
    if add:
        return directory(fake, "POST", f"/groups/{group_id}/memberships",
                         {"accountId": account_id}, **kw)
    return directory(fake, "DELETE", f"/groups/{group_id}/memberships/{quote(account_id)}", **kw)


def role(fake, account_id, verb, body, **kw):
    return fake.api("POST", fake.org_path(f"/users/{quote(account_id)}/roles/{verb}", "v1"),
                    body, **kw)


def search_one(fake, account_id, **body):
    data = fake.search(dict(body, accountIds=[account_id], expand=[
        "platformRoles", "counts.resources", "productAccess", "groups"])).json()["data"]
    return data[0] if data else None


def latest_events(fake, n):
    return fake.get(fake.org_path("/events", "v1"), {"limit": n}).json()["data"]


def event_count(fake):
    events, reply = [], fake.get(fake.org_path("/events", "v1"), {"limit": 500})
    while True:
        page = reply.json()
        events += page["data"]
        if "next" not in page["links"]:
            return len(events)
        reply = fake.follow(page["links"]["next"])


def assert_event(event, action, account_id, extra_id=None):
    attrs = event["attributes"]
    assert attrs["action"] == action
    assert attrs["context"][0]["id"] == account_id
    assert attrs["actor"]["id"] == ORG_ADMIN
    assert attrs["actor"]["auth"]["authType"] == "container-token"
    if extra_id is not None:
        assert attrs["context"][1]["id"] == extra_id


def uam_code(reply):
    return reply.json()["errors"][0]["code"]


def info(fake):
    return fake.control("GET", "info")


def group_count(fake, group_id):
    return fake.get(fake.org_path(f"/directories/-/groups/{group_id}")).json()["data"][
        "counts"]["users"]


# ==== suspend, restore, remove ==========================================================
def test_suspend_and_restore_change_the_membership(fake, schemas):
    before, groups = event_count(fake), truth(fake, JOHN)["groups"]
    reply = user_action(fake, JOHN, "suspend")
    assert reply.status == 204 and reply.body == b""
    schemas.check("suspendUser", reply)
    user = truth(fake, JOHN)
    assert (user["accountStatus"], user["membershipStatus"], user["status"]) == \
        ("active", "suspended", "suspended")
    assert JOHN in {u["accountId"] for u in fake.search_all({"status": ["suspended"]})[0]}
    v1 = next(u for u in fake.get(fake.org_path("/users", "v1")).json()["data"]
              if u["account_id"] == JOHN)
    assert v1["access_billable"] is False  # not billed while suspended
    assert user["groups"] == groups  # memberships are kept
    reply = user_action(fake, JOHN, "restore", directory_id=info(fake)["directory_id"])
    assert reply.status == 204
    schemas.check("restoreUser", reply)
    user = truth(fake, JOHN)
    assert (user["membershipStatus"], user["status"]) == ("active", "active")
    top = latest_events(fake, 2)
    assert_event(top[0], "user_access_restored", JOHN)
    assert_event(top[1], "user_access_suspended", JOHN)
    assert event_count(fake) == before + 2


def test_suspend_keeps_a_deactivated_status(fake):
    assert user_action(fake, DEACTIVATED, "suspend").status == 204
    user = truth(fake, DEACTIVATED)
    assert (user["accountStatus"], user["membershipStatus"], user["status"]) == \
        ("inactive", "suspended", "deactivated")
    fake.lifecycle(DEACTIVATED, "enable")
    assert truth(fake, DEACTIVATED)["status"] == "suspended"


@pytest.mark.parametrize("account_id,status,code", [
    (ORG_ADMIN, 400, "ADMIN-UAM-400-1"),      # org admins: observed 400
    (UNKNOWN, 404, "ADMIN-UAM-404-1"),
    (NOT_INVITED, 404, "ADMIN-UAM-404-1"),    # not in the directory
])
@pytest.mark.parametrize("action,op", [("suspend", "suspendUser"), ("restore", "restoreUser"),
                                       ("remove", "removeDirectoryUser")])
def test_directory_user_refusals(fake, schemas, account_id, status, code, action, op):
    before = event_count(fake)
    reply = user_action(fake, account_id, action)
    assert reply.status == status, reply.body
    schemas.check(op, reply)
    assert uam_code(reply) == code
    assert event_count(fake) == before


def test_directory_writes_unknown_org_and_directory(fake, schemas):
    reply = fake.api("POST", f"/admin/v2/orgs/other/directories/-/users/{JOHN}/suspend")
    assert reply.status == 404 and uam_code(reply) == "ADMIN-UAM-404-2"
    schemas.check("suspendUser", reply)
    reply = user_action(fake, JOHN, "remove", directory_id="not-ours")
    assert reply.status == 404 and uam_code(reply) == "ADMIN-UAM-404-1"
    schemas.check("removeDirectoryUser", reply)
    assert truth(fake, JOHN)["status"] == "active"
    # users/count and friends keep their 405 for other methods.
    assert directory(fake, "DELETE", "/users/count").status == 405


def test_already_suspended_or_active(fake, schemas):
    before = event_count(fake)
    assert user_action(fake, SUSPENDED, "suspend").status == 204
    assert user_action(fake, JOHN, "restore").status == 204
    assert event_count(fake) == before  # nothing changed, nothing logged
    fake.control("POST", "config", {"already_state": "409"})
    for account_id, action, op in ((SUSPENDED, "suspend", "suspendUser"),
                                   (JOHN, "restore", "restoreUser")):
        reply = user_action(fake, account_id, action)
        assert reply.status == 409
        schemas.check(op, reply, documented=False)  # the spec lists no 409 here
        assert uam_code(reply) == "ADMIN-UAM-409-2"
    assert user_action(fake, SUSPENDED, "restore").status == 204  # a change still works


def test_remove_from_directory_clears_access(fake, schemas):
    before = truth(fake, JOHN)
    sales_like = [g["id"].rsplit("/", 1)[1] for g in before["groups"]]
    counts = {g: group_count(fake, g) for g in sales_like}
    reply = user_action(fake, JOHN, "remove")
    assert reply.status == 204
    schemas.check("removeDirectoryUser", reply)
    user = truth(fake, JOHN)
    assert (user["accountStatus"], user["membershipStatus"], user["status"]) == \
        ("active", "no_membership", "not_invited")
    assert user["groups"] == [] and user["productAccess"] == []
    assert user["platformRoles"] == before["platformRoles"]
    assert {g: group_count(fake, g) for g in sales_like} == {g: n - 1 for g, n in counts.items()}
    in_dir = fake.search_all({"directoryIds": [info(fake)["directory_id"]]})[0]
    assert JOHN not in {u["accountId"] for u in in_dir}
    roles = fake.get(fake.org_path(f"/directories/-/users/{JOHN}/role-assignments"))
    assert roles.json()["data"] == []
    assert user_action(fake, JOHN, "remove").status == 404  # gone from the directory
    # the removal, then one revocation per role lost (jira A and conf A, through groups)
    removal, *revoked = reversed(latest_events(fake, 3))
    assert_event(removal, "user_removed_from_directory", JOHN)
    assert [(e["attributes"]["action"], e["attributes"]["context"][1]["id"]) for e in revoked] \
        == [("product_access_revoked", p["id"]) for p in before["productAccess"]]


# ==== group memberships ==================================================================
def test_membership_add_and_remove(fake, schemas):
    sales = info(fake)["group_ids"]["sales"]
    count = group_count(fake, sales)
    reply = membership(fake, sales, JOHN)
    assert reply.status == 204 and reply.body == b""
    schemas.check("addGroupMember", reply)
    assert "sales" in {g["name"] for g in truth(fake, JOHN)["groups"]}
    assert group_count(fake, sales) == count + 1
    found = fake.search_all({"groupIds": [sales]})[0]
    assert JOHN in {u["accountId"] for u in found} and len(found) == count + 1
    counted = fake.get(fake.org_path("/directories/-/users/count"), {"groupIds": sales})
    assert counted.json() == {"count": count + 1}
    expect = {g["name"]: g for g in fake.control("GET", "expect/groups")["groups"]}
    assert JOHN in expect["sales"]["members"] and expect["sales"]["count"] == count + 1
    jira = fake.jira("/group/member", {"groupId": sales, "includeInactiveUsers": "true"}).json()
    assert jira["total"] == count + 1 and JOHN in {u["accountId"] for u in jira["values"]}
    per_user = fake.get(fake.org_path("/directories/-/groups/count"), {"accountIds": JOHN})
    assert per_user.json() == {"count": 5}
    assert_event(latest_events(fake, 1)[0], "user_added_to_group", JOHN, sales)

    reply = membership(fake, sales, JOHN)  # again: the live 409
    assert reply.status == 409 and uam_code(reply) == "ADMIN-UAM-409-2"
    schemas.check("addGroupMember", reply)

    reply = membership(fake, sales, JOHN, add=False)
    assert reply.status == 204
    schemas.check("removeGroupMember", reply)
    assert "sales" not in {g["name"] for g in truth(fake, JOHN)["groups"]}
    assert group_count(fake, sales) == count
    assert_event(latest_events(fake, 1)[0], "user_removed_from_group", JOHN, sales)
    reply = membership(fake, sales, JOHN, add=False)
    assert reply.status == 404 and uam_code(reply) == "ADMIN-UAM-404-1"
    schemas.check("removeGroupMember", reply)


@pytest.mark.parametrize("group,account_id,add,status,code", [
    ("00000000-0000-4000-8000-000000000000", JOHN, True, 404, "ADMIN-UAM-404-3"),
    ("00000000-0000-4000-8000-000000000000", JOHN, False, 404, "ADMIN-UAM-404-3"),
    ("engineering", JOHN, True, 403, "ADMIN-UAM-403-1"),        # synced from the IdP
    ("engineering", SCIM, False, 403, "ADMIN-UAM-403-1"),
    ("sales", UNKNOWN, True, 404, "ADMIN-UAM-404-1"),
    ("sales", NOT_INVITED, True, 404, "ADMIN-UAM-404-1"),       # not in the directory
    ("jira-software-users", JOHN, True, 409, "ADMIN-UAM-409-2"),
])
def test_membership_refusals(fake, schemas, group, account_id, add, status, code):
    group_id = info(fake)["group_ids"].get(group, group)
    before = event_count(fake)
    reply = membership(fake, group_id, account_id, add)
    assert reply.status == status, reply.body
    schemas.check("addGroupMember" if add else "removeGroupMember", reply)
    assert uam_code(reply) == code
    assert event_count(fake) == before


@pytest.mark.parametrize("body,content_type,status", [
    ({}, "application/json", 400), ({"accountId": 5}, "application/json", 400),
    (b"{nope", "application/json", 400), ([JOHN], "application/json", 400),
    (json.dumps({"accountId": JOHN}), "text/plain", 415),
])
def test_membership_bad_bodies(fake, schemas, body, content_type, status):
    sales = info(fake)["group_ids"]["sales"]
    reply = fake.api("POST", fake.org_path(f"/directories/-/groups/{sales}/memberships"), body,
                     content_type=content_type)
    assert reply.status == status
    schemas.check("addGroupMember", reply, documented=status != 415)
    assert "sales" not in {g["name"] for g in truth(fake, JOHN)["groups"]}


# ==== product and org roles ==============================================================
def test_assign_and_revoke_product_access(fake, schemas):
    sites = info(fake)["sites"]
    jira_b, conf_b = sites["jira"][1]["ari"], sites["confluence"][1]["ari"]
    reply = role(fake, JOHN, "assign", {"role": "atlassian/user", "resource": jira_b})
    assert reply.status == 204 and reply.body == b""
    schemas.check("assignRole", reply)
    access = truth(fake, JOHN)["productAccess"]
    assert {"id": jira_b, "key": "jira-software"} in access  # never used: no timestamp
    found = fake.search_all({"resourceIds": [jira_b]})[0]
    assert JOHN in {u["accountId"] for u in found}
    roles = fake.get(fake.org_path(f"/directories/-/users/{JOHN}/role-assignments")).json()
    entry = next(e for e in roles["data"] if e["resourceId"] == jira_b)
    assert entry["roleAssignments"] == [{"role": "atlassian/user",
                                         "roleAssignmentMethods": ["direct"]}]
    v1 = next(u for u in fake.get(fake.org_path("/users", "v1")).json()["data"]
              if u["account_id"] == JOHN)
    assert "acme-labs.atlassian.net" in {p["url"] for p in v1["product_access"]}
    event = latest_events(fake, 1)[0]
    assert_event(event, "product_access_granted", JOHN, jira_b)
    product = fake.get(fake.org_path("/events", "v1"), {"product": "jira", "limit": 1})
    assert product.json()["data"][0]["id"] == event["id"]

    before = event_count(fake)
    assert role(fake, JOHN, "assign", {"role": "atlassian/user", "resource": jira_b}).status == 204
    assert event_count(fake) == before  # already there: no change, no event

    reply = role(fake, JOHN, "revoke", {"role": "atlassian/user", "resource": jira_b})
    assert reply.status == 204
    schemas.check("revokeRole", reply)
    assert jira_b not in {p["id"] for p in truth(fake, JOHN)["productAccess"]}
    assert_event(latest_events(fake, 1)[0], "product_access_revoked", JOHN, jira_b)

    uuid = sites["jira"][0]["ari"].rsplit("/", 1)[1]
    assert role(fake, JOHN, "assign", {"role": "atlassian/user",
                                       "resource": f"ari:cloud:jira-servicedesk::site/{uuid}"}
                ).status == 204
    assert role(fake, JOHN, "assign", {"role": "atlassian/user", "resource": conf_b}).status == 204
    keys = {(p["key"], p["id"]) for p in truth(fake, JOHN)["productAccess"]}
    assert {("jira-servicedesk", sites["jira"][0]["ari"]), ("confluence", conf_b)} <= keys


def test_assign_admin_and_org_admin(fake, schemas):
    jira_a = info(fake)["sites"]["jira"][0]["ari"]
    stats = lambda: {r["roleId"]: r["count"] for r in
                     fake.get(fake.org_path("/directories/-/users/stats")).json()["roles"]}
    admins = stats()
    assert role(fake, JOHN, "assign", {"role": "atlassian/admin", "resource": jira_a}).status == 204
    assert truth(fake, JOHN)["fake"]["productAdmin"] is True
    assert stats()["atlassian/admin"] == admins["atlassian/admin"] + 1
    found = fake.search_all({"roleIds": ["atlassian/admin"]})[0]
    assert JOHN in {u["accountId"] for u in found}
    assert role(fake, JOHN, "revoke", {"role": "atlassian/admin", "resource": jira_a}).status == 204
    user = truth(fake, JOHN)
    assert user["fake"]["productAdmin"] is False
    assert jira_a in {p["id"] for p in user["productAccess"]}  # the access stays

    reply = role(fake, JOHN, "assign", {"role": "atlassian/org-admin"})  # resource not needed
    assert reply.status == 204
    assert "atlassian/org-admin" in truth(fake, JOHN)["platformRoles"]
    assert stats()["atlassian/org-admin"] == admins["atlassian/org-admin"] + 1
    assert_event(latest_events(fake, 1)[0], "org_admin_role_granted", JOHN)
    assert user_action(fake, JOHN, "suspend").status == 400  # now an org admin
    assert role(fake, JOHN, "revoke", {"role": "atlassian/org-admin",
                                       "resource": "ignored"}).status == 204
    assert user_action(fake, JOHN, "suspend").status == 204


@pytest.mark.parametrize("account_id,body,status,code", [
    (JOHN, {"role": "atlassian/guest", "resource": "JIRA_A"}, 400, "ADMIN-UAM-400-3"),
    (JOHN, {"role": "atlassian/site-admin", "resource": "CONF_A"}, 400, "ADMIN-UAM-400-3"),
    (JOHN, {"role": "atlassian/user", "resource": "BITBUCKET"}, 400, "ADMIN-UAM-400-3"),
    (JOHN, {"role": "atlassian/owner", "resource": "JIRA_A"}, 400, "ADMIN-UAM-400-1"),
    (JOHN, {"role": "atlassian/user"}, 400, "ADMIN-UAM-400-1"),
    (JOHN, {"resource": "JIRA_A"}, 400, "ADMIN-UAM-400-1"),
    (JOHN, {"role": "atlassian/user",
            "resource": "ari:cloud:jira::site/00000000-0000-4000-8000-000000000000"},
     404, "ADMIN-UAM-404-3"),
    (JOHN, {"role": "atlassian/user", "resource": "ari:cloud:platform::site/x"},
     404, "ADMIN-UAM-404-3"),
    (UNKNOWN, {"role": "atlassian/user", "resource": "JIRA_A"}, 404, "ADMIN-UAM-404-3"),
    (DEACTIVATED, {"role": "atlassian/user", "resource": "CONF_A"}, 400, "ADMIN-UAM-400-2"),
])
def test_role_refusals(fake, schemas, account_id, body, status, code):
    i = info(fake)
    names = {"JIRA_A": i["sites"]["jira"][0]["ari"], "CONF_A": i["sites"]["confluence"][0]["ari"],
             "BITBUCKET": i["workspaces"][4]["id"]}
    body = {k: names.get(v, v) for k, v in body.items()}
    before, access = event_count(fake), truth(fake, JOHN)["productAccess"]
    reply = role(fake, account_id, "assign", body)
    assert reply.status == status, reply.body
    schemas.check("assignRole", reply)
    assert uam_code(reply) == code
    assert event_count(fake) == before and truth(fake, JOHN)["productAccess"] == access


def test_role_bad_bodies(fake, schemas):
    for body, content_type, status in ((b"", None, 400), (b"[1]", "application/json", 400),
                                       (b'{"role": "atlassian/user"', "application/json", 400),
                                       (b'{"role": "atlassian/org-admin"}', "text/plain", 415)):
        reply = role(fake, JOHN, "assign", body, content_type=content_type)
        assert reply.status == status, body
        schemas.check("assignRole", reply, documented=status != 415)
    reply = fake.api("POST", f"/admin/v1/orgs/other/users/{JOHN}/roles/assign",
                     {"role": "atlassian/org-admin"})
    assert reply.status == 404
    schemas.check("assignRole", reply)


# ==== email =============================================================================
def test_set_email(fake, schemas):
    old = truth(fake, JOHN)["email"]
    before = event_count(fake)
    reply = fake.manage("PUT", JOHN, "email", {"email": "jonny.doe@ACME-LABS.example"})
    assert reply.status == 204 and reply.body == b""
    schemas.check("setEmail", reply)
    user = truth(fake, JOHN)
    assert (user["email"], user["emailVerified"]) == ("jonny.doe@ACME-LABS.example", True)
    found = fake.search({"emails": ["jonny.doe@acme-labs.example"]}).json()["data"]
    assert [u["accountId"] for u in found] == [JOHN]
    assert fake.search({"emails": [old]}).json()["data"] == []
    by_domain = fake.get(fake.org_path("/directories/-/users/count"),
                         {"emailDomains": "acme-labs.example", "accountIds": JOHN})
    assert by_domain.json() == {"count": 1}
    jira = fake.jira("/users/search", {"maxResults": 5}).json()
    assert next(u for u in jira if u["accountId"] == JOHN)["emailAddress"] == user["email"]
    event = latest_events(fake, 1)[0]
    assert_event(event, "user_email_changed", JOHN)
    assert event["attributes"]["context"][0]["attributes"]["email"] == user["email"]
    assert fake.manage("PUT", JOHN, "email", {"email": user["email"]}).status == 204
    assert event_count(fake) == before + 1  # the same address again changes nothing
    assert fake.manage("PUT", JOHN, "email", {"email": old}).status == 204
    assert fake.search({"emails": [old]}).json()["data"][0]["accountId"] == JOHN


@pytest.mark.parametrize("account_id,body,status,expect", [
    (JOHN, {"email": "john@acme-legacy.example"}, 403,
     {"key": "forbidden.unclaimedDomain", "context": {"domain": "acme-legacy.example"}}),
    (JOHN, {"email": "john@Gmail.example"}, 403,
     {"key": "forbidden.unclaimedDomain", "context": {"domain": "gmail.example"}}),
    (UNMANAGED, {"email": "lila@acme.example"}, 403, {"key": "forbidden.action", "context": {
        "allowed": False, "reason": {"key": "managedAccount"}}}),
    (SCIM, {"email": "sam@acme.example"}, 403, {"key": "forbidden.action", "context": {
        "allowed": False, "reason": {"key": "externalDirectory.scim"}}}),
    (JOHN, {"email": "mia.krystof@acme.example"}, 400, {"key": "fieldConstraintsViolated",
     "context": {"fieldViolations": [{"field": "email", "violations": [{"key": "unique"}]}]}}),
    (JOHN, {"email": "no-at-sign.acme.example"}, 400, {"key": "fieldConstraintsViolated",
     "context": {"fieldViolations": [{"field": "email", "violations": [{"key": "format"}]}]}}),
    (JOHN, {"email": "a\tb@acme.example"}, 400, {"key": "fieldConstraintsViolated", "context": {
        "fieldViolations": [{"field": "email", "violations": [{"key": "validCharacters"}]}]}}),
    (JOHN, {"email": 42}, 400, {"key": "bodyParseFailure"}),
    (JOHN, {"mail": "john@acme.example"}, 400, {"key": "bodyParseFailure"}),
    (UNKNOWN, {"email": "x@acme.example"}, 404, {"key": "accountNotFound"}),
    ("bad$id", {"email": "x@acme.example"}, 404, {"key": "notFound"}),
])
def test_set_email_refusals(fake, schemas, account_id, body, status, expect):
    before = event_count(fake)
    reply = fake.manage("PUT", account_id, "email", body)
    assert reply.status == status
    schemas.check("setEmail", reply)
    assert reply.json() == expect
    assert truth(fake, JOHN)["email"] == "john.doe@acme.example"
    assert event_count(fake) == before


def test_set_email_needs_a_json_body(fake, schemas):
    for body, content_type in ((b"email=x@acme.example", "application/x-www-form-urlencoded"),
                               (b"", None), (b"{", "application/json")):
        reply = fake.api("PUT", f"/users/{JOHN}/manage/email", body, content_type=content_type)
        assert reply.status == 400 and reply.json() == {"key": "bodyParseFailure"}
        schemas.check("setEmail", reply)


# ==== profile ===========================================================================
def test_get_profile(fake, schemas):
    reply = fake.manage("GET", JOHN, "profile")
    assert reply.status == 200
    schemas.check("getProfile", reply)
    account, user = reply.json()["account"], truth(fake, JOHN)
    assert account == {
        "account_id": JOHN, "account_type": "atlassian", "account_status": "active",
        "name": user["name"], "nickname": user["nickname"], "email": user["email"],
        "picture": user["picture"], "zoneinfo": user["timeZone"], "locale": "en-US",
        "characteristics": {"not_mentionable": False},
        "extended_profile": {"job_title": user["jobTitle"], "organization": user["organization"],
                             "department": user["department"], "location": user["location"]}}
    reply = fake.manage("GET", UNMANAGED, "profile")
    assert reply.status == 403 and reply.json() == {"key": "forbidden"}
    schemas.check("getProfile", reply)
    reply = fake.manage("GET", UNKNOWN, "profile")
    assert reply.status == 404 and reply.json() == {"key": "accountNotFound"}
    schemas.check("getProfile", reply)


def test_patch_profile(fake, schemas):
    body = {"name": "John Q. Doe", "nickname": "0-Jonny", "zoneinfo": "Europe/Paris",
            "locale": "fr-FR", "extended_profile": {"job_title": "Principal Analyst",
                                                   "department": ""}}
    reply = fake.manage("PATCH", JOHN, "profile", body)
    assert reply.status == 200, reply.body
    schemas.check("updateProfile", reply)
    account = reply.json()["account"]
    assert (account["name"], account["nickname"], account["zoneinfo"], account["locale"]) == \
        ("John Q. Doe", "0-Jonny", "Europe/Paris", "fr-FR")
    assert account["extended_profile"] == {"job_title": "Principal Analyst",
                                           "organization": "Talent", "location": "New York"}
    assert fake.manage("GET", JOHN, "profile").json()["account"] == account
    user = truth(fake, JOHN)
    assert (user["name"], user["nickname"], user["timeZone"], user["jobTitle"]) == \
        ("John Q. Doe", "0-Jonny", "Europe/Paris", "Principal Analyst")
    assert "department" not in user and user["fake"]["locale"] == "fr-FR"
    assert [u["accountId"] for u in fake.search({"searchTerm": "john q."}).json()["data"]] == [JOHN]
    first = fake.search({"limit": 1, "sortBy": [{"field": "nick_name", "direction": "asc"}]})
    assert first.json()["data"][0]["accountId"] == JOHN
    jira = fake.jira("/users/search", {"maxResults": 5}).json()
    assert next(u for u in jira if u["accountId"] == JOHN)["displayName"] == "John Q. Doe"
    assert_event(latest_events(fake, 1)[0], "user_profile_updated", JOHN)
    before = event_count(fake)
    assert fake.manage("PATCH", JOHN, "profile", {}).status == 200
    assert fake.manage("PATCH", JOHN, "profile", {"locale": "fr-FR"}).status == 200
    assert event_count(fake) == before  # nothing changed


@pytest.mark.parametrize("account_id,body,status,expect", [
    (JOHN, {"nickname": "x" * 31}, 400, [("nickname", "maxLength")]),
    (JOHN, {"name": ""}, 400, [("name", "minLength")]),
    (JOHN, {"name": "a\x00b", "zoneinfo": "Mars/Olympus_Mons"}, 400,
     [("name", "validCharacters"), ("zoneinfo", "format")]),
    (JOHN, {"locale": "not a locale", "nickname": 7}, 400,
     [("locale", "format"), ("nickname", "type")]),
    (JOHN, {"shoe_size": 44, "extended_profile": {"team": "x"}}, 400,
     [("shoe_size", "unknown"), ("extended_profile.team", "unknown")]),
    (JOHN, {"extended_profile": "Talent"}, 400, [("extended_profile", "type")]),
    (JOHN, {"email": "j@acme.example", "nickname": "J"}, 403,
     {"email": {"allowed": False, "reason": {"key": "administrative"}},
      "nickname": {"allowed": True}}),
    (SCIM, {"name": "Sam S", "nickname": "Sammy", "extended_profile": {"location": "Bonn"}}, 403,
     {"name": {"allowed": False, "reason": {"key": "externalDirectory.scim"}},
      "nickname": {"allowed": True},
      "extended_profile.location": {"allowed": False,
                                    "reason": {"key": "externalDirectory.scim"}}}),
    (UNMANAGED, {"nickname": "Lila"}, 403, None),
])
def test_patch_profile_refusals(fake, schemas, account_id, body, status, expect):
    before = (event_count(fake), truth(fake, account_id))
    reply = fake.manage("PATCH", account_id, "profile", body)
    assert reply.status == status, reply.body
    schemas.check("updateProfile", reply)
    got = reply.json()
    if status == 400:
        assert got["key"] == "fieldConstraintsViolated"
        assert [(v["field"], k["key"]) for v in got["context"]["fieldViolations"]
                for k in v["violations"]] == expect
    elif expect is None:
        assert got == {"key": "forbidden"}
    else:
        assert got == {"key": "forbidden.fieldMutation", "context": expect}
    assert (event_count(fake), truth(fake, account_id)) == before


def test_patch_profile_needs_a_json_object(fake, schemas):
    for body, content_type in ((b"[]", "application/json"), (b"name=x", "text/plain"),
                               (b"", None)):
        reply = fake.api("PATCH", f"/users/{JOHN}/manage/profile", body, content_type=content_type)
        assert reply.status == 400 and reply.json() == {"key": "bodyParseFailure"}
        schemas.check("updateProfile", reply)


def test_scim_user_can_change_what_the_idp_does_not_own(fake, schemas):
    reply = fake.manage("PATCH", SCIM, "profile", {"nickname": "Sammy", "locale": "de-DE"})
    assert reply.status == 200
    schemas.check("updateProfile", reply)
    assert truth(fake, SCIM)["nickname"] == "Sammy"


# ==== API tokens ==========================================================================
def managed_with_tokens(fake, minimum=1):
    for user in fake.all_users():
        if user["claimStatus"] == "managed":
            tokens = truth(fake, user["accountId"])["fake"]["apiTokens"]
            if len(tokens) >= minimum:
                return user["accountId"]
    raise AssertionError("no managed user with tokens")


def test_api_tokens_are_seeded(fake, fake_proc, schemas):
    counts = []
    for user in fake.all_users()[:80]:
        reply = fake.manage("GET", user["accountId"], "api-tokens")
        if user["claimStatus"] != "managed":
            assert reply.status == 403
            schemas.check("getApiTokens", reply)
            assert reply.json() == {"key": "forbidden.action", "context": {
                "allowed": False, "reason": {"key": "managedAccount"}}}
            continue
        assert reply.status == 200
        schemas.check("getApiTokens", reply)
        tokens = reply.json()
        counts.append(len(tokens))
        assert [t["createdAt"] for t in tokens] == sorted(t["createdAt"] for t in tokens)
        for t in tokens:
            assert t["createdAt"] < t.get("lastAccess", "9")
            assert t["createdAt"] < t.get("expiry", "9")
            assert t["expiry"].endswith("T00:00:00.000Z") if "expiry" in t else True
        assert [t["id"] for t in tokens] == truth(fake, user["accountId"])["fake"]["apiTokens"]
    assert set(counts) == {0, 1, 2, 3}
    again = fake_proc.client()
    again.control("POST", "reset")
    owner = managed_with_tokens(fake)
    assert again.manage("GET", owner, "api-tokens").body == fake.manage("GET", owner,
                                                                         "api-tokens").body


def test_delete_api_token(fake, schemas):
    owner = managed_with_tokens(fake, 2)
    tokens = fake.manage("GET", owner, "api-tokens").json()
    reply = fake.manage("DELETE", owner, f"api-tokens/{tokens[0]['id']}")
    assert reply.status == 204 and reply.body == b""
    schemas.check("deleteApiToken", reply)
    assert fake.manage("GET", owner, "api-tokens").json() == tokens[1:]
    event = latest_events(fake, 1)[0]
    assert_event(event, "api_token_revoked", owner, tokens[0]["id"])
    assert event["attributes"]["context"][1]["attributes"]["label"] == tokens[0]["label"]
    reply = fake.manage("DELETE", owner, f"api-tokens/{tokens[0]['id']}")
    assert reply.status == 404 and reply.json() == {"key": "notFound"}
    schemas.check("deleteApiToken", reply)
    reply = fake.manage("DELETE", JOHN if owner != JOHN else ORG_ADMIN,
                        f"api-tokens/{tokens[1]['id']}")  # another user's token
    assert reply.status == 404
    reply = fake.manage("DELETE", UNMANAGED, "api-tokens/anything")
    assert reply.status == 403 and reply.json()["key"] == "forbidden.action"
    schemas.check("deleteApiToken", reply)
    fake.control("POST", "reset")
    assert fake.manage("GET", owner, "api-tokens").json() == tokens


# ==== Jira site writes =========================================================================
def jira_add(fake, account_id, auth=(SITE_EMAIL, SITE_TOKEN), **query):
    return fake.jira("/group/user", query, auth=auth, method="POST",
                     body={"accountId": account_id})


def jira_remove(fake, **query):
    return fake.jira("/group/user", query, method="DELETE")


def test_jira_add_and_remove_group_member(fake, schemas):
    sales = info(fake)["group_ids"]["sales"]
    count = group_count(fake, sales)
    reply = jira_add(fake, JOHN, groupId=sales)
    assert reply.status == 201, reply.body
    schemas.check("addUserToGroup", reply)
    group = reply.json()
    assert (group["name"], group["groupId"], group["users"]["size"]) == ("sales", sales, count + 1)
    assert group["self"].endswith(f"/rest/api/3/group?groupId={sales}")
    members = fake.jira("/group/member", {"groupname": "sales", "maxResults": 50}).json()
    assert JOHN in {u["accountId"] for u in members["values"]}
    assert "sales" in {g["name"] for g in truth(fake, JOHN)["groups"]}  # the org's groups
    assert group_count(fake, sales) == count + 1
    assert_event(latest_events(fake, 1)[0], "user_added_to_group", JOHN, sales)
    reply = jira_add(fake, JOHN, groupname="sales")
    assert reply.status == 400 and "already a member" in reply.json()["errorMessages"][0]
    schemas.check("addUserToGroup", reply)
    # the ErrorCollection's other place for a message: its errors map
    fake.control("POST", "config", {"jira_already_shape": "fields"})
    reply = jira_add(fake, JOHN, groupname="sales")
    body = reply.json()
    assert reply.status == 400 and body["errorMessages"] == []
    assert "already a member" in body["errors"]["accountId"]
    schemas.check("addUserToGroup", reply)
    fake.control("POST", "config", {"jira_already_shape": "messages"})

    reply = jira_remove(fake, groupId=sales, accountId=JOHN)
    assert reply.status == 200 and reply.body == b""
    schemas.check("removeUserFromGroup", reply)
    assert "sales" not in {g["name"] for g in truth(fake, JOHN)["groups"]}
    assert_event(latest_events(fake, 1)[0], "user_removed_from_group", JOHN, sales)
    reply = jira_remove(fake, groupname="sales", accountId=JOHN)
    assert reply.status == 400
    schemas.check("removeUserFromGroup", reply)


@pytest.mark.parametrize("op,send,status", [
    ("addUserToGroup", lambda f, g: jira_add(f, JOHN), 400),
    ("addUserToGroup", lambda f, g: jira_add(f, JOHN, groupId=g["sales"], groupname="sales"), 400),
    ("addUserToGroup", lambda f, g: f.jira("/group/user", {"groupId": g["sales"]},
                                           method="POST", body={}), 400),
    ("addUserToGroup", lambda f, g: jira_add(f, JOHN, groupname="no-such-group"), 404),
    ("addUserToGroup", lambda f, g: jira_add(f, UNKNOWN, groupId=g["sales"]), 404),
    ("addUserToGroup", lambda f, g: jira_add(f, JOHN, groupId=g["engineering"]), 400),
    ("addUserToGroup", lambda f, g: jira_add(f, JOHN, groupId=g["sales"], auth=None), 401),
    ("removeUserFromGroup", lambda f, g: jira_remove(f, groupId=g["sales"]), 400),
    ("removeUserFromGroup", lambda f, g: jira_remove(f, groupname="nope", accountId=JOHN), 404),
    ("removeUserFromGroup", lambda f, g: jira_remove(f, groupId=g["people-ops"],
                                                     accountId=UNKNOWN), 404),
    ("removeUser", lambda f, g: f.jira("/user", {"accountId": UNKNOWN}, method="DELETE"), 404),
    ("removeUser", lambda f, g: f.jira("/user", None, method="DELETE"), 400),
    ("removeUser", lambda f, g: f.jira("/user", {"accountId": JOHN}, method="DELETE",
                                       auth=(SITE_EMAIL, "wrong")), 401),
])
def test_jira_write_refusals(fake, schemas, op, send, status):
    before = (event_count(fake), truth(fake, JOHN))
    reply = send(fake, info(fake)["group_ids"])
    assert reply.status == status, reply.body
    schemas.check(op, reply)
    assert (event_count(fake), truth(fake, JOHN)) == before


def test_jira_writes_need_site_admin(fake, schemas):
    fake.control("POST", "config", {"jira_browse_users": False})
    sales = info(fake)["group_ids"]["sales"]
    for op, reply in (("addUserToGroup", jira_add(fake, JOHN, groupId=sales)),
                      ("removeUserFromGroup", jira_remove(fake, groupId=sales, accountId=JOHN)),
                      ("removeUser", fake.jira("/user", {"accountId": JOHN}, method="DELETE"))):
        assert reply.status == 403
        schemas.check(op, reply)


def jira_site_users(fake, page=7):
    out, start = [], 0
    while True:
        batch = fake.jira("/users/search", {"startAt": start, "maxResults": page}).json()
        out += [u["accountId"] for u in batch]
        if len(batch) < page:
            return out
        start += page


def test_jira_remove_user_leaves_the_org_alone(fake, schemas):
    everyone = jira_site_users(fake, 1000)
    before = truth(fake, JOHN)
    apps = [a["account_id"] for a in info(fake)["app_accounts"]]
    reply = fake.jira("/user", {"accountId": JOHN}, method="DELETE")
    assert reply.status == 204 and reply.body == b""
    schemas.check("removeUser", reply)
    assert jira_site_users(fake) == [a for a in everyone if a != JOHN]  # paging skips the gap
    removed_too = everyone[150]
    assert fake.jira("/user", {"accountId": removed_too}, method="DELETE").status == 204
    assert jira_site_users(fake, 13) == [a for a in everyone if a not in (JOHN, removed_too)]
    assert jira_site_users(fake, 1000)[-len(apps):] == apps
    members = fake.jira("/group/member", {"groupname": "jira-software-users",
                                          "includeInactiveUsers": "true"}).json()
    assert JOHN not in {u["accountId"] for u in members["values"]}
    after = truth(fake, JOHN)
    assert {k: v for k, v in after.items() if k != "fake"} == \
        {k: v for k, v in before.items() if k != "fake"}
    assert after["fake"]["jiraListed"] is False
    event = latest_events(fake, 1)[0]
    jira_a = info(fake)["sites"]["jira"][0]["ari"]
    assert_event(event, "user_removed_from_site", removed_too, jira_a)
    assert fake.jira("/user", {"accountId": JOHN}, method="DELETE").status == 404
    assert jira_add(fake, JOHN, groupname="sales").status == 404
    reply = fake.jira("/user", {"accountId": apps[0]}, method="DELETE")
    assert reply.status == 400
    schemas.check("removeUser", reply)
    # Product access on the Jira site puts the user back into its user base.
    jira_b = info(fake)["sites"]["jira"][1]["ari"]
    assert role(fake, JOHN, "assign", {"role": "atlassian/user", "resource": jira_b}).status == 204
    assert JOHN in jira_site_users(fake, 1000)


# ==== across operations ===================================================================
def first_token(fake):
    owner = managed_with_tokens(fake)
    return owner, truth(fake, owner)["fake"]["apiTokens"][0]


# In an order where each succeeds after the others (test_reset_undoes_every_write).
WRITES = [
    ("suspendUser", lambda f, g, s: user_action(f, JOHN, "suspend", key=s)),
    ("restoreUser", lambda f, g, s: user_action(f, SUSPENDED, "restore", key=s)),
    ("addGroupMember", lambda f, g, s: membership(f, g["sales"], JOHN, key=s)),
    ("removeGroupMember", lambda f, g, s: membership(f, g["people-ops"], JOHN, False, key=s)),
    ("assignRole", lambda f, g, s: role(f, JOHN, "assign", {"role": "atlassian/org-admin"},
                                        key=s)),
    ("revokeRole", lambda f, g, s: role(f, ORG_ADMIN, "revoke", {"role": "atlassian/org-admin"},
                                        key=s)),
    ("setEmail", lambda f, g, s: f.manage("PUT", JOHN, "email", {"email": "jd@acme.example"},
                                          key=s)),
    ("updateProfile", lambda f, g, s: f.manage("PATCH", JOHN, "profile", {"nickname": "JD"},
                                               key=s)),
    ("deleteApiToken", lambda f, g, s: f.manage(
        "DELETE", first_token(f)[0], "api-tokens/" + first_token(f)[1], key=s)),
    ("removeDirectoryUser", lambda f, g, s: user_action(f, BOB, "remove", key=s)),
]


@pytest.mark.parametrize("op,send", WRITES)
def test_scoped_key_cannot_write(fake, schemas, op, send):
    state = (fake.all_users(), event_count(fake))
    reply = send(fake, info(fake)["group_ids"], f"Bearer {SCOPED_KEY}")
    assert reply.status == 403
    if schemas.ops[op]["api"] == "user-management":
        schemas.check(op, reply)
        assert reply.json()["key"] == "forbidden"
    else:
        assert reply.json()["message"] == "User has no permission to access resource."
    assert (fake.all_users(), event_count(fake)) == state


@pytest.mark.parametrize("op,send", WRITES)
def test_writes_need_the_key(fake, schemas, op, send):
    reply = send(fake, info(fake)["group_ids"], "Bearer wrong")
    assert reply.status == 401 and reply.json() == {"code": 401, "message": "Unauthorized"}
    schemas.check(op, reply)


def test_reset_undoes_every_write(fake):
    users, events = fake.all_users(), event_count(fake)
    groups = fake.control("GET", "expect/groups")
    g = info(fake)["group_ids"]
    bob_access = fake.control("GET", f"expect/access?account_id={BOB}")["count"]
    for _, send in WRITES:
        assert send(fake, g, True).status in (200, 204)
    assert fake.jira("/user", {"accountId": TWO_SITES}, method="DELETE").status == 204
    # one event a write, plus Bob's access revoked when removed from the directory
    assert event_count(fake) == events + len(WRITES) + 1 + bob_access
    assert fake.all_users() != users
    fake.control("POST", "reset")
    assert fake.all_users() == users and event_count(fake) == events
    assert fake.control("GET", "expect/groups") == groups
    assert TWO_SITES in jira_site_users(fake, 1000)


def test_edited_users_are_rendered_afresh_and_never_cached(start_fake):
    proc = start_fake(users=3000, extra=["--warm", "off"])
    client = proc.client()
    target = next(u for u in client.control("GET", "users?offset=2500&limit=100")["data"]
                  if u["claimStatus"] == "managed" and u["managementSource"] == "invited")
    reply = client.manage("PATCH", target["accountId"], "profile", {"name": "Renamed Person"})
    assert reply.status == 200
    # First rendered after the edit (filtered and unfiltered pages): the edit shows...
    assert search_one(client, target["accountId"])["name"] == "Renamed Person"
    assert client.manage("PATCH", JOHN, "profile", {"name": "Johnny"}).status == 200
    assert client.search({"limit": 3}).json()["data"][1]["name"] == "Johnny"
    # ...and the seeded users come back after a reset (nothing edited was cached).
    client.control("POST", "reset")
    for account_id in (target["accountId"], JOHN):
        assert search_one(client, account_id) == \
            client.control("GET", f"users/{quote(account_id, safe='')}")


def test_counts_follow_writes_through_the_index(fake):
    """users/count with index-backed filters (groups, roles, domains) sees writes."""
    g = info(fake)["group_ids"]
    count = lambda **q: fake.get(fake.org_path("/directories/-/users/count"), q).json()["count"]
    legal, admins = count(groupIds=g["legal"]), count(roleIds="atlassian/org-admin")
    labs = count(emailDomains="acme-labs.example")
    assert membership(fake, g["legal"], JOHN).status == 204
    assert role(fake, JOHN, "assign", {"role": "atlassian/org-admin"}).status == 204
    assert fake.manage("PUT", JOHN, "email", {"email": "jd@acme-labs.example"}).status == 204
    assert (count(groupIds=g["legal"]), count(roleIds="atlassian/org-admin"),
            count(emailDomains="acme-labs.example")) == (legal + 1, admins + 1, labs + 1)
    searched = len(fake.search_all({"groupIds": [g["legal"]]})[0])
    assert searched == legal + 1


# ==== operations.json and check_requests.py ==================================================
def test_write_schemas_are_valid(schemas):
    for op in schemas.doc["operations"]:
        if "error_schema" in op:
            jsonschema.Draft7Validator.check_schema(op["error_schema"])
    assert set(schemas.ops["suspendUser"]["error_schema"]["properties"]) == {"errors"}
    body = schemas.ops["updateProfile"]["request_body"]["schema"]
    assert set(body["properties"]) == {"name", "nickname", "zoneinfo", "locale",
                                       "extended_profile"}  # readOnly fields dropped
    assert "required" not in body  # "a subset of the mutable fields"
    assert schemas.ops["setEmail"]["request_body"]["schema"]["required"] == ["email"]


def run_check(log, *args):
    return subprocess.run([PYTHON, CHECK, "-", *args], input=json.dumps(log).encode(),
                          capture_output=True, timeout=30)


def test_check_requests_accepts_write_traffic(fake):
    g = info(fake)["group_ids"]
    sites = info(fake)["sites"]
    for _, send in WRITES:
        send(fake, g, True)
    fake.manage("GET", ORG_ADMIN, "profile")
    fake.manage("GET", ORG_ADMIN, "api-tokens")
    fake.manage("PATCH", ORG_ADMIN, "profile", {"extended_profile": {"location": "Boston"}})
    role(fake, TWO_SITES, "revoke", {"role": "atlassian/user", "resource": sites["jira"][1]["ari"]})
    jira_add(fake, TWO_SITES, groupId=g["sales"])
    jira_remove(fake, groupname="sales", accountId=TWO_SITES)
    fake.jira("/user", {"accountId": TWO_SITES}, method="DELETE")
    log = fake.control("GET", "requests")
    result = run_check(log, "--require-key-ok")
    assert result.returncode == 0, result.stdout.decode()
    assert result.stdout.decode().strip().endswith(
        f"requests checked: {len(log)}, violations: 0")
    assert len(log) == len(WRITES) + 7  # control calls are not logged


@pytest.mark.parametrize("send,needle", [
    (lambda f, g: f.api("POST", f.org_path(f"/directories/-/groups/{g['sales']}/memberships")),
     "request body missing (it requires accountId)"),
    (lambda f, g: membership(f, g["sales"], 42), "42 is not of type 'string'"),
    (lambda f, g: role(f, JOHN, "assign", {"role": "atlassian/owner"}), "is not one of"),
    (lambda f, g: f.manage("PATCH", JOHN, "profile", {"email": "j@acme.example"}),
     "Additional properties are not allowed ('email' was unexpected)"),
    (lambda f, g: f.manage("PUT", JOHN, "email", {"email": "j@acme.example", "notify": True}),
     "'notify' was unexpected"),
    (lambda f, g: jira_remove(f, groupname="sales"), "required query parameter accountId missing"),
    (lambda f, g: f.jira("/user", {"accountId": JOHN, "force": "true"}, method="DELETE"),
     "undeclared query parameter force"),
    (lambda f, g: user_action(f, JOHN, "suspend", key=f"Basic {API_KEY}"), "not Bearer"),
    (lambda f, g: jira_add(f, JOHN, groupId=g["sales"], auth=f"Bearer {API_KEY}"), "not Basic"),
])
def test_check_requests_catches_bad_writes(fake, send, needle):
    send(fake, info(fake)["group_ids"])
    result = run_check(fake.control("GET", "requests"))
    assert result.returncode == 1
    assert needle in result.stdout.decode(), result.stdout.decode()
