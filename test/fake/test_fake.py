"""Conformance and behaviour tests for the fake Atlassian org.

Responses are validated against test/schemas/operations.json (extracted from
Atlassian's OpenAPI documents); behaviour is checked against the fake's own
ground-truth endpoints and the documented fixed users.
"""

import calendar
import http.client
import json
import os
import re
import socket
import subprocess
import threading
import time

import jsonschema
import pytest

from conftest import (API_KEY, HERE, OPERATIONS_PATH, PYTHON, SCOPED_KEY, SITE_EMAIL,
                      SITE_TOKEN)

CHECK = os.path.join(HERE, "check_requests.py")
EXTRACT = os.path.join(HERE, "..", "schemas", "extract.py")
OPENAPI_DIR = os.path.join(HERE, "..", "..", "..", "shared", "atlassian", "openapi")

ORG_ADMIN = "5b10ac8d82e05b22cc7d4ef5"                       # fixed user 0
JOHN = "712020:978521a6-2367-4092-a7f6-7cc1b9043bdd"         # 1: Jira 200 d ago
UNMANAGED = "557057:4f9acfd2-6155-419b-8de5-5b5cf27a59a0"    # 2
SCIM = "557057:0c3f5b6e-8a51-4d7e-9b7f-2f6f1a2d3c4e"         # 3
DEACTIVATED = "5c2e9a1b7d3f4e0a8b6c1d2e"                     # 4
NEVER = "712020:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"        # 5
SUSPENDED = "5d4c3b2a1f0e9d8c7b6a5f4e"                       # 6
FOR_DELETION = "712020:2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e" # 7
SERVICEDESK = "557057:3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"  # 8
TWO_SITES = "5e6f7a8b9c0d1e2f3a4b5c6d"                       # 9
NOT_INVITED = "712020:4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7f8a"  # 10
BOUNDARY_90 = "557057:5e6f7a8b-9c0d-4e1f-8a2b-4c5d6e7f8a9b"  # 11: 90 d + 5 h
ALMOST_90 = "557057:6f7a8b9c-0d1e-4f2a-9b3c-5d6e7f8a9b0c"    # 12: 89 d + 20 h
UNKNOWN = "557057:00000000-0000-4000-8000-000000000000"
SEARCH = "searchDirectoryUsers"
ISO = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$")


def epoch_of(iso):
    m = ISO.match(iso)
    assert m, f"not ISO 8601 UTC: {iso}"
    whole = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return whole + (int(m.group(2).ljust(9, "0")) / 1e9 if m.group(2) else 0)


def by_id(users):
    return {u["accountId"]: u for u in users}


def run_check(log, *args):
    return subprocess.run([PYTHON, CHECK, "-", *args], input=json.dumps(log).encode(),
                          capture_output=True, timeout=30)


# ---- schemas ------------------------------------------------------------------
def test_operations_json_lists_the_operations(schemas):
    assert set(schemas.ops) == {
        SEARCH, "disableUser", "enableUser", "deleteUser", "cancelDeleteUser",
        "getDirectoryUsersCount", "getUserStats", "getUserRoleAssignments",
        "getDirectoriesForOrg", "searchDirectoryGroups", "getGroups", "getGroup",
        "getGroupsCount", "getGroupsStats", "getGroupRoleAssignments", "queryWorkspacesV2",
        "getUsers", "getUserLastActiveDates", "getDomains", "getEvents", "getEventActions",
        "getAllUsers", "bulkGetGroups", "getUsersFromGroup",
        "suspendUser", "restoreUser", "removeDirectoryUser", "addGroupMember",
        "removeGroupMember", "assignGroupRole", "revokeGroupRole", "assignRole", "revokeRole",
        "setEmail", "getProfile",
        "updateProfile", "getApiTokens", "deleteApiToken", "addUserToGroup",
        "removeUserFromGroup", "removeUser"}
    search = schemas.ops[SEARCH]
    assert search["path"] == "/admin/v2/orgs/{orgId}/directories/{directoryId}/users/search"
    assert schemas.ops["disableUser"]["path"] == "/users/{account_id}/manage/lifecycle/disable"
    assert schemas.ops["getAllUsers"]["path"] == "/rest/api/3/users/search"
    assert schemas.ops["getAllUsers"]["gateway_responses"] == {}
    assert schemas.ops["getUsers"]["path"] == "/admin/v1/orgs/{orgId}/users"
    role = schemas.ops["getUserRoleAssignments"]["responses"]["200"]["schema"]
    item = role["properties"]["data"]["items"]["properties"]
    assert "null" in item["userDirectoryStatus"]["type"]  # nullable $ref sibling kept
    assert "\"$ref\":" not in json.dumps(schemas.doc)
    assert '"nullable"' not in json.dumps(schemas.doc)


def test_operations_json_schemas_are_valid_json_schema(schemas):
    for op in schemas.doc["operations"]:
        bodies = [op["request_body"]] if op["request_body"] else []
        for item in bodies + list(op["responses"].values()):
            if item["schema"]:
                jsonschema.Draft7Validator.check_schema(item["schema"])
                jsonschema.Draft4Validator.check_schema(item["schema"])


@pytest.mark.skipif(not os.path.isdir(OPENAPI_DIR), reason="reference OpenAPI documents absent")
def test_operations_json_is_up_to_date(tmp_path):
    out = tmp_path / "ops.json"
    subprocess.run([PYTHON, EXTRACT, OPENAPI_DIR, "-o", str(out)], check=True, capture_output=True)
    with open(OPERATIONS_PATH, "rb") as f:
        assert out.read_bytes() == f.read(), "re-run test/schemas/extract.py"


# ---- users/search: 200 and paging ------------------------------------------
def test_paging_through_whole_org_matches_ground_truth(fake, schemas):
    truth = fake.all_users()
    assert len(truth) == 200
    users, pages = fake.search_all({"expand": ["platformRoles", "counts.resources",
                                               "productAccess", "groups"]}, limit=7)
    assert len(pages) == 29
    assert users == truth  # same order, same content, no duplicates
    assert "prev" not in pages[0]["links"] and "next" in pages[0]["links"]
    assert all("prev" in p["links"] for p in pages[1:])
    assert "next" not in pages[-1]["links"]
    assert all(len(p["data"]) == 7 for p in pages[:-1]) and len(pages[-1]["data"]) == 4
    for page in pages:
        jsonschema.Draft7Validator(schemas.response_schema(SEARCH, 200)).validate(page)
        assert re.fullmatch(r"[A-Za-z0-9_-]+", page["links"]["self"])


def test_search_reply_validates_and_is_framed(fake, schemas):
    reply = fake.search({"limit": 5})
    schemas.check(SEARCH, reply)
    assert reply.header("content-type") == "application/json"
    assert int(reply.header("content-length")) == len(reply.body)


def test_default_limit_is_50(fake):
    assert len(fake.search({}).json()["data"]) == 50
    assert len(fake.search(None).json()["data"]) == 50
    no_body = fake.api("POST", f"/admin/v2/orgs/{fake.org_id}/directories/-/users/search")
    assert no_body.status == 200 and len(no_body.json()["data"]) == 50


def test_prev_cursor_returns_previous_page(fake):
    first = fake.search({"limit": 10}).json()
    second = fake.search({"cursor": first["links"]["next"]}).json()
    back = fake.search({"cursor": second["links"]["prev"]}).json()
    assert back["data"] == first["data"]
    again = fake.search({"cursor": second["links"]["self"]}).json()
    assert again["data"] == second["data"]


def test_expand_returns_only_requested_parts(fake, schemas):
    plain = fake.search({"limit": 3}).json()["data"]
    for user in plain:
        assert not {"platformRoles", "counts", "productAccess", "groups"} & set(user)
    some = fake.search({"limit": 3, "expand": ["groups", "counts.resources"]}).json()["data"]
    for user in some:
        assert {"groups", "counts"} <= set(user)
        assert not {"platformRoles", "productAccess"} & set(user)


def test_directory_path_accepts_dash_and_the_directory_id(fake):
    info = fake.control("GET", "info")
    assert fake.search({"limit": 2}, directory=info["directory_id"]).status == 200


def test_v2_user_shape_and_timestamps(fake, fake_proc):
    for user in fake.all_users():
        assert user["accountType"] == "atlassian"
        assert re.fullmatch(r"[a-zA-Z0-9_|:-]{1,128}", user["accountId"])
        assert re.fullmatch(r"[0-9a-f]{24}|(557057|712020):[0-9a-f-]{36}", user["accountId"])
        for key in ("jobTitle", "department", "organization", "location", "timeZone"):
            assert user.get(key, "") is not None  # absent, never null
        stamps = [user["addedToOrg"]] + [p["lastActiveTimestamp"] for p in user["productAccess"]
                                         if "lastActiveTimestamp" in p]
        for stamp in stamps:
            age = fake_proc.now - epoch_of(stamp)
            assert 3600 <= age % 86400 <= 23 * 3600, (user["accountId"], stamp)
        for p in user["productAccess"]:
            assert p["key"] in ("jira-software", "confluence", "jira-servicedesk", "jira-core")
            kind = "confluence" if p["key"] == "confluence" else "jira"
            assert re.fullmatch(rf"ari:cloud:{kind}::site/[0-9a-f-]{{36}}", p["id"])
        for g in user["groups"]:
            assert re.fullmatch(r"ari:cloud:identity::group/[0-9a-f-]{36}", g["id"])


def test_population_spreads(fake):
    users = fake.all_users()
    def share(pred):
        return sum(map(pred, users)) / len(users)
    assert 0.7 <= share(lambda u: u["claimStatus"] == "managed") <= 0.9
    assert share(lambda u: u["managementSource"] == "synced") > 0.1
    assert share(lambda u: u["status"] == "active") > 0.6
    for status in ("suspended", "deactivated", "not_invited", "for_deletion"):
        assert any(u["status"] == status for u in users), status
    assert any(not any("lastActiveTimestamp" in p for p in u["productAccess"]) for u in users)
    assert any("atlassian/org-admin" in u["platformRoles"] for u in users)
    assert any("timeZone" not in u for u in users)
    assert len({g["name"] for u in users for g in u["groups"]}) >= 20
    forms = {u["accountId"].split(":")[0] if ":" in u["accountId"] else "legacy" for u in users}
    assert forms == {"legacy", "557057", "712020"}


def test_fixed_users(fake):
    users = fake.all_users()
    assert [u["accountId"] for u in users[:13]] == [
        ORG_ADMIN, JOHN, UNMANAGED, SCIM, DEACTIVATED, NEVER, SUSPENDED, FOR_DELETION,
        SERVICEDESK, TWO_SITES, NOT_INVITED, BOUNDARY_90, ALMOST_90]
    u = by_id(users)
    assert u[ORG_ADMIN]["platformRoles"] == ["atlassian/org-admin", "atlassian/site-admin"]
    assert u[UNMANAGED]["claimStatus"] == "unmanaged"
    assert u[SCIM]["managementSource"] == "synced"
    assert (u[DEACTIVATED]["accountStatus"], u[DEACTIVATED]["status"]) == ("inactive", "deactivated")
    assert (u[SUSPENDED]["membershipStatus"], u[SUSPENDED]["status"]) == ("suspended", "suspended")
    assert u[FOR_DELETION]["status"] == "for_deletion"
    assert (u[NOT_INVITED]["membershipStatus"], u[NOT_INVITED]["status"]) == ("no_membership", "not_invited")
    assert u[NEVER]["productAccess"] == [{"id": u[NEVER]["productAccess"][0]["id"], "key": "jira-software"}]
    assert len({p["id"] for p in u[TWO_SITES]["productAccess"]}) == 2
    one = fake.control("GET", "users/" + JOHN.replace(":", "%3A"))
    assert one == u[JOHN]


def test_one_user_control_endpoint_404(fake):
    reply = fake.raw("GET", "/__fake/users/" + UNKNOWN)
    assert reply.status == 404


# ---- users/search: filters ---------------------------------------------------
@pytest.mark.parametrize("body,pred", [
    ({"claimStatus": "unmanaged"}, lambda u: u["claimStatus"] == "unmanaged"),
    ({"status": ["suspended", "for_deletion"]}, lambda u: u["status"] in ("suspended", "for_deletion")),
    ({"accountStatus": ["inactive"]}, lambda u: u["accountStatus"] == "inactive"),
    ({"membershipStatus": ["no_membership"]}, lambda u: u["membershipStatus"] == "no_membership"),
    ({"mfaEnabled": False}, lambda u: u["mfaEnabled"] is False),
    ({"emailDomains": ["ACME-LABS.example"]}, lambda u: u["email"].endswith("@acme-labs.example")),
    ({"roleIds": ["atlassian/org-admin"]}, lambda u: "atlassian/org-admin" in u["platformRoles"]),
    ({"searchTerm": "KRYST"}, lambda u: any("kryst" in u[k].lower() for k in ("name", "nickname", "email"))),
    ({"searchTerm": "gmail"}, lambda u: "gmail" in u["email"] or "gmail" in u["name"].lower()
                                         or "gmail" in u["nickname"].lower()),
    ({"claimStatus": "managed", "status": ["active"], "mfaEnabled": True},
     lambda u: u["claimStatus"] == "managed" and u["status"] == "active" and u["mfaEnabled"]),
])
def test_filters_match_ground_truth(fake, body, pred):
    truth = [u["accountId"] for u in fake.all_users() if pred(u)]
    got, _ = fake.search_all(body, limit=9)
    assert [u["accountId"] for u in got] == truth
    assert truth, "filter should match someone"


def test_filters_by_group_resource_and_directory(fake):
    info = fake.control("GET", "info")
    users = fake.all_users()
    eng = next(g for g in info["groups"] if g["name"] == "engineering")
    got, _ = fake.search_all({"groupIds": [eng["id"]]})
    assert [u["accountId"] for u in got] == [
        u["accountId"] for u in users if any(g["id"] == eng["ari"] for g in u["groups"])]
    site_b = info["sites"]["jira"][1]["ari"]
    got, _ = fake.search_all({"resourceIds": [site_b]})
    assert TWO_SITES in {u["accountId"] for u in got}
    assert [u["accountId"] for u in got] == [
        u["accountId"] for u in users if any(p["id"] == site_b for p in u["productAccess"])]
    got, _ = fake.search_all({"directoryIds": [info["directory_id"]]})
    assert NOT_INVITED not in {u["accountId"] for u in got}
    assert len(got) == sum(u["membershipStatus"] != "no_membership" for u in users)


def test_filters_by_ids_and_emails(fake):
    users = fake.all_users()
    ids = [users[150]["accountId"], JOHN, UNKNOWN]
    got = fake.search({"accountIds": ids}).json()["data"]
    assert [u["accountId"] for u in got] == [JOHN, users[150]["accountId"]]  # stable order
    emails = [users[42]["email"].upper(), "mia.krystof@acme.example", "nobody@acme.example"]
    got = fake.search({"emails": emails}).json()["data"]
    assert [u["accountId"] for u in got] == [ORG_ADMIN, users[42]["accountId"]]


def test_sort_by_nickname(fake):
    for direction in ("asc", "desc"):
        got, _ = fake.search_all({"sortBy": [{"field": "nick_name", "direction": direction}]},
                                 limit=50)
        keys = [u["nickname"].lower() for u in got]
        assert keys == sorted(keys, reverse=direction == "desc")
        assert len({u["accountId"] for u in got}) == 200


def test_cursor_carries_the_query(fake):
    first = fake.search({"limit": 2, "claimStatus": "unmanaged"}).json()
    # Other parameters sent with a cursor are discarded, as for v2 lists.
    second = fake.search({"cursor": first["links"]["next"], "claimStatus": "managed"}).json()
    assert all(u["claimStatus"] == "unmanaged" for u in second["data"])


# ---- users/search: errors ----------------------------------------------------
@pytest.mark.parametrize("body,needle", [
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"limit": 101}, "limit"),
    ({"limit": 0}, "limit"),
    ({"limit": "10"}, "limit"),
    ({"searchTerm": "a", "emails": ["a@acme.example"]}, "mutually exclusive"),
    ({"bogus": 1}, "bogus"),
    ({"emails": [f"u{i}@x.example" for i in range(101)]}, "emails"),
    ({"emails": ["a@x.example", "a@x.example"]}, "duplicates"),
    ({"accountIds": [str(i) for i in range(11)]}, "accountIds"),
    ({"accountIds": []}, "accountIds"),
    ({"status": ["gone"]}, "status"),
    ({"claimStatus": "both"}, "claimStatus"),
    ({"mfaEnabled": "yes"}, "mfaEnabled"),
    ({"expand": ["everything"]}, "expand"),
    ({"sortBy": [{"field": "email", "direction": "asc"}]}, "sortBy"),
    ([1, 2], "object"),
])
def test_bad_search_bodies_give_400(fake, schemas, body, needle):
    reply = fake.search(body)
    assert reply.status == 400, reply.body
    schemas.check(SEARCH, reply)
    err = reply.json()["errors"][0]
    assert err["status"] == "400" and err["code"] == "ADMIN-UAM-400-1"
    assert needle.lower() in err["detail"].lower()


def test_tampered_cursor_gives_400(fake, schemas):
    nxt = fake.search({"limit": 5}).json()["links"]["next"]
    for bad in (nxt[:-2] + ("AA" if nxt[-2:] != "AA" else "BB"), nxt + "!", nxt[:10]):
        reply = fake.search({"cursor": bad})
        assert reply.status == 400
        schemas.check(SEARCH, reply)


def test_forged_cursor_gives_400(fake):
    import base64
    import zlib
    nxt = fake.search({"limit": 5}).json()["links"]["next"]
    raw = base64.urlsafe_b64decode(nxt + "=" * (-len(nxt) % 4))
    state = json.loads(zlib.decompress(raw[8:]))
    state["o"] = 0  # well-formed, but the MAC no longer matches
    forged = raw[:8] + zlib.compress(json.dumps(state).encode())
    token = base64.urlsafe_b64encode(forged).decode().rstrip("=")
    assert fake.search({"cursor": token}).status == 400


def test_invalid_json_and_media_type(fake, schemas):
    reply = fake.search(b"{not json")
    assert reply.status == 400
    schemas.check(SEARCH, reply)
    reply = fake.search(b'{"limit": 5}', content_type="text/plain")
    assert reply.status == 415
    assert reply.json()["errors"][0]["code"] == "ADMIN-UAM-415-1"


def test_unknown_org_gives_404(fake, schemas):
    reply = fake.search({}, org="other-org")
    assert reply.status == 404
    schemas.check(SEARCH, reply)
    err = reply.json()["errors"][0]
    assert (err["code"], err["title"], err["status"]) == ("ADMIN-UAM-404-2", "Organization not found", "404")
    reply = fake.search({}, directory="no-such-directory")
    assert reply.status == 404
    schemas.check(SEARCH, reply)


def test_wrong_method_on_search(fake):
    reply = fake.api("GET", f"/admin/v2/orgs/{fake.org_id}/directories/-/users/search")
    assert reply.status == 405


# ---- auth --------------------------------------------------------------------
@pytest.mark.parametrize("key", [False, "Bearer wrong", f"Basic {API_KEY}", "Bearer", "bearer"])
def test_bad_auth_gives_gateway_401(fake, schemas, key):
    for op, reply in ((SEARCH, fake.search({}, key=key)),
                      ("disableUser", fake.lifecycle(JOHN, "disable", key=key))):
        assert reply.status == 401
        assert reply.json() == {"code": 401, "message": "Unauthorized"}
        assert reply.header("content-type") == "application/json"
        schemas.check(op, reply)
    assert fake.control("GET", f"users/{JOHN}")["accountStatus"] == "active"


def test_log_records_auth_scheme_never_the_key(fake):
    fake.search({"limit": 1})
    fake.search({"limit": 1}, key="Bearer wrong")
    fake.search({"limit": 1}, key=f"Basic {API_KEY}")
    fake.search({"limit": 1}, key=False)
    log = fake.control("GET", "requests")
    auths = [e["headers"].get("authorization") for e in log]
    assert auths == [{"scheme": "Bearer", "key_ok": True}, {"scheme": "Bearer", "key_ok": False},
                     {"scheme": "Basic", "key_ok": False}, None]
    assert API_KEY not in json.dumps(log)
    assert all(k == k.lower() for e in log for k in e["headers"])
    assert [e["status"] for e in log] == [200, 401, 401, 401]
    assert all(e["ms"] is not None and e["t"] > 0 for e in log)


# ---- lifecycle ---------------------------------------------------------------
def search_one(fake, account_id):
    data = fake.search({"accountIds": [account_id]}).json()["data"]
    assert len(data) == 1
    return data[0]


def test_disable_enable_roundtrip_is_visible_in_search(fake, schemas):
    reply = fake.lifecycle(JOHN, "disable", {"message": "On 6-month suspension"})
    assert reply.status == 204 and reply.body == b""
    schemas.check("disableUser", reply)
    user = search_one(fake, JOHN)
    assert (user["accountStatus"], user["status"]) == ("inactive", "deactivated")
    reply = fake.lifecycle(JOHN, "enable")
    assert reply.status == 204
    schemas.check("enableUser", reply)
    user = search_one(fake, JOHN)
    assert (user["accountStatus"], user["status"]) == ("active", "active")
    got, _ = fake.search_all({"status": ["deactivated"]})
    assert JOHN not in {u["accountId"] for u in got}


def test_disable_accepts_empty_object_and_no_body(fake):
    assert fake.lifecycle(JOHN, "disable", {}).status == 204
    assert fake.lifecycle(BOUNDARY_90, "disable").status == 204
    assert fake.lifecycle(ALMOST_90, "disable", b"", content_type=None).status == 204


def test_disable_rejects_non_json_body(fake):
    reply = fake.lifecycle(JOHN, "disable", b"message=hi",
                           content_type="application/x-www-form-urlencoded")
    assert reply.status == 400 and reply.json() == {"key": "bodyParseFailure"}


def test_delete_and_cancel_delete(fake, schemas):
    reply = fake.lifecycle(JOHN, "delete")
    assert reply.status == 200 and reply.json() == {"message": "Success"}
    schemas.check("deleteUser", reply)
    assert search_one(fake, JOHN)["status"] == "for_deletion"
    reply = fake.lifecycle(JOHN, "enable")  # deletion must be cancelled first
    assert reply.status == 409
    schemas.check("enableUser", reply)
    reply = fake.lifecycle(JOHN, "cancel-delete")
    assert reply.status == 200 and reply.json() == {"message": "Success"}
    schemas.check("cancelDeleteUser", reply)
    user = search_one(fake, JOHN)
    assert (user["accountStatus"], user["status"]) == ("active", "active")


def test_already_in_state_default_succeeds(fake, schemas):
    reply = fake.lifecycle(DEACTIVATED, "disable")
    assert reply.status == 204
    reply = fake.lifecycle(FOR_DELETION, "delete")
    assert reply.status == 200
    assert fake.lifecycle(JOHN, "enable").status == 204


def test_already_in_state_409_when_configured(fake, schemas):
    fake.control("POST", "config", {"already_state": "409"})
    for account_id, action, op in ((DEACTIVATED, "disable", "disableUser"),
                                   (JOHN, "enable", "enableUser"),
                                   (FOR_DELETION, "delete", "deleteUser")):
        reply = fake.lifecycle(account_id, action)
        assert reply.status == 409, (action, reply.body)
        schemas.check(op, reply)
        body = reply.json()
        assert body["key"] == "conflict.lifecycleErrors"
        assert body["context"]["accountId"] == account_id
    assert fake.lifecycle(JOHN, "disable").status == 204  # a real change still works


def test_unmanaged_and_scim_accounts_are_forbidden(fake, schemas):
    for action, op in (("disable", "disableUser"), ("enable", "enableUser"),
                       ("delete", "deleteUser"), ("cancel-delete", "cancelDeleteUser")):
        reply = fake.lifecycle(UNMANAGED, action)
        assert reply.status == 403
        schemas.check(op, reply)
        assert reply.json() == {"key": "forbidden.action", "context": {
            "allowed": False, "reason": {"key": "managedAccount"}}}
        reply = fake.lifecycle(SCIM, action)
        assert reply.status == 403
        schemas.check(op, reply)
        assert reply.json()["context"]["reason"]["key"] == "externalDirectory.scim"


def test_unknown_and_malformed_accounts_give_404(fake, schemas):
    reply = fake.lifecycle(UNKNOWN, "disable")
    assert reply.status == 404 and reply.json() == {"key": "accountNotFound"}
    schemas.check("disableUser", reply)
    reply = fake.api("POST", "/users/bad%24id/manage/lifecycle/disable")
    assert reply.status == 404 and reply.json() == {"key": "notFound"}
    schemas.check("disableUser", reply)
    reply = fake.api("POST", "/users/" + "a" * 129 + "/manage/lifecycle/disable")
    assert reply.status == 404
    reply = fake.api("POST", f"/users/{JOHN}/manage/lifecycle/explode")
    assert reply.status == 404


def test_account_id_encoding_variants(fake):
    # Raw ':' in the path and %3A both address the same account.
    assert fake.api("POST", f"/users/{JOHN}/manage/lifecycle/disable").status == 204
    assert fake.api("POST", f"/users/{JOHN.replace(':', '%3a')}/manage/lifecycle/enable").status == 204


# ---- rate limiter ------------------------------------------------------------
def test_rate_limiter(fake, schemas):
    fake.control("POST", "ratelimit", {"limit": 3, "window_s": 0.5})
    replies = [fake.search({"limit": 1}) for _ in range(5)]
    assert [r.status for r in replies] == [200, 200, 200, 429, 429]
    assert [r.header("x-ratelimit-remaining") for r in replies[:3]] == ["2", "1", "0"]
    limited = replies[3]
    schemas.check(SEARCH, limited)
    assert limited.json() == {"code": 429, "message": "Rate limit exceeded"}
    assert limited.header("x-ratelimit-limit") == "3"
    assert limited.header("x-ratelimit-remaining") == "0"
    assert int(limited.header("retry-after")) >= 1
    reset = epoch_of(limited.header("x-ratelimit-reset"))
    assert time.time() - 1 < reset < time.time() + 1
    time.sleep(max(0.0, reset - time.time()) + 0.05)
    assert fake.search({"limit": 1}).status == 200
    assert fake.control("GET", "stats")["rate_limited"] == 2
    fake.control("POST", "ratelimit", {"limit": None})
    assert all(fake.search({"limit": 1}).status == 200 for _ in range(5))


def test_rate_limiter_applies_to_user_management(fake, schemas):
    fake.control("POST", "ratelimit", {"limit": 1, "window_s": 5})
    assert fake.lifecycle(JOHN, "disable").status == 204
    reply = fake.lifecycle(JOHN, "enable")
    assert reply.status == 429
    schemas.check("enableUser", reply)
    assert search_one_status(fake, JOHN) == "deactivated"


def search_one_status(fake, account_id):
    return fake.control("GET", f"users/{account_id}")["status"]


# ---- faults ------------------------------------------------------------------
def add_rule(fake, **rule):
    fake.control("POST", "faults", {"rules": [rule]})


def test_fault_latency(fake):
    add_rule(fake, path="/users/search", kind="latency", ms=300, count=1)
    t0 = time.monotonic()
    assert fake.search({"limit": 1}).status == 200
    assert time.monotonic() - t0 >= 0.3
    t0 = time.monotonic()
    fake.search({"limit": 1})
    assert time.monotonic() - t0 < 0.25  # count 1: expired


def test_config_latency(fake):
    fake.control("POST", "config", {"latency_ms": 200})
    t0 = time.monotonic()
    fake.lifecycle(JOHN, "disable")
    assert time.monotonic() - t0 >= 0.2


def test_fault_status_503_with_retry_after(fake):
    add_rule(fake, path="lifecycle", kind="status", status=503, retry_after=2, count=2)
    for _ in range(2):
        reply = fake.lifecycle(JOHN, "disable")
        assert reply.status == 503 and reply.header("retry-after") == "2"
        assert reply.json() == {"code": 503, "message": "Service Unavailable"}
    assert search_one_status(fake, JOHN) == "active"  # never reached the service
    assert fake.lifecycle(JOHN, "disable").status == 204


def test_fault_status_500_on_org_api_uses_errors_envelope(fake, schemas):
    add_rule(fake, path="/users/search$", kind="status", status=500)
    reply = fake.search({})
    assert reply.status == 500
    schemas.check(SEARCH, reply)
    assert reply.json()["errors"][0]["code"] == "ADMIN-UAM-500-1"


def test_fault_status_custom_body_and_method_filter(fake):
    add_rule(fake, path=".", method="GET", kind="status", status=418)
    add_rule(fake, path=".", kind="status", status=502, body={"custom": True})
    reply = fake.search({})
    assert reply.status == 502 and reply.json() == {"custom": True}


def test_fault_ratelimit429(fake, schemas):
    add_rule(fake, path="/users/search", kind="ratelimit429", retry_after=1, reset_in_s=2, count=1)
    reply = fake.search({})
    assert reply.status == 429
    schemas.check(SEARCH, reply)
    assert reply.header("x-ratelimit-remaining") == "0"
    assert reply.header("x-ratelimit-limit").isdigit()
    assert reply.header("retry-after") == "1"
    assert 1 < epoch_of(reply.header("x-ratelimit-reset")) - time.time() <= 2.1
    assert fake.search({}).status == 200


def test_fault_stall_does_not_block_others(fake, fake_proc):
    add_rule(fake, path="/users/search", kind="stall", seconds=2, count=1)
    stalled = fake_proc.client(timeout=0.5)
    t0 = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError)):
        stalled.search({})
    assert time.monotonic() - t0 < 1.5
    stalled.close()
    other = fake_proc.client()
    assert other.search({"limit": 1}).status == 200  # served while the stall holds
    other.close()


def test_fault_truncate(fake):
    full = fake.search({"limit": 5}).body
    add_rule(fake, path="/users/search", kind="truncate", count=1)
    reply = fake.search({"limit": 5})
    assert reply.status == 200
    assert int(reply.header("content-length")) == len(reply.body) == len(full) // 2
    assert reply.body == full[:len(full) // 2]
    with pytest.raises(ValueError):
        json.loads(reply.body)


def test_fault_short(fake):
    add_rule(fake, path="/users/search", kind="short", count=1)
    with pytest.raises(http.client.IncompleteRead):
        fake.search({"limit": 5})
    assert fake.search({"limit": 5}).status == 200  # fresh connection works


def test_fault_malformed(fake):
    add_rule(fake, path="/users/search", kind="malformed", count=1)
    reply = fake.search({})
    assert reply.status == 200
    assert int(reply.header("content-length")) == len(reply.body)
    with pytest.raises(ValueError):
        json.loads(reply.body)


def test_fault_rules_first_match_and_clear(fake):
    fake.control("POST", "faults", {"rules": [
        {"path": "lifecycle/enable", "kind": "status", "status": 500},
        {"path": "lifecycle", "kind": "status", "status": 502}]})
    assert fake.lifecycle(JOHN, "enable").status == 500
    assert fake.lifecycle(JOHN, "disable").status == 502
    fake.raw("DELETE", "/__fake/faults")
    assert fake.lifecycle(JOHN, "disable").status == 204


@pytest.mark.parametrize("rule", [
    {"path": "(", "kind": "status", "status": 500},
    {"path": ".", "kind": "nope"},
    {"path": ".", "kind": "status"},
    {"path": ".", "kind": "latency", "ms": -1},
    {"kind": "short"},
])
def test_bad_fault_rules_are_refused(fake, rule):
    reply = fake.raw("POST", "/__fake/faults", json.dumps({"rules": [rule]}),
                     {"Content-Type": "application/json"})
    assert reply.status == 400
    assert fake.control("GET", "faults")["rules"] == []


# ---- reset, stats, determinism -----------------------------------------------
def test_reset_restores_everything(fake):
    fake.lifecycle(JOHN, "disable")
    add_rule(fake, path=".", kind="status", status=503)
    fake.control("POST", "ratelimit", {"limit": 1})
    fake.control("POST", "config", {"already_state": "409"})
    assert fake.control("POST", "reset") == {}
    assert fake.control("GET", "requests") == []
    assert fake.control("GET", "stats") == {"requests": 0, "by_route": {}, "status_counts": {},
                                            "rate_limited": 0}
    assert fake.control("GET", "config")["already_state"] == "204"
    assert search_one(fake, JOHN)["status"] == "active"
    assert fake.search({}).status == 200 and fake.search({}).status == 200


def test_stats_and_log_clear(fake):
    fake.search({})
    fake.lifecycle(JOHN, "disable")
    fake.lifecycle(UNKNOWN, "disable")
    stats = fake.control("GET", "stats")
    assert stats["requests"] == 3
    assert stats["by_route"] == {SEARCH: 1, "disableUser": 2}
    assert stats["status_counts"] == {"200": 1, "204": 1, "404": 1}
    fake.raw("DELETE", "/__fake/requests")
    assert fake.control("GET", "requests") == []


def test_determinism(start_fake):
    now = 1_790_000_000.25
    a, b, c = (start_fake(users=300, seed=s, now=now) for s in (7, 7, 8))
    get = lambda p: p.client().raw("GET", "/__fake/users?limit=300").body
    assert get(a) == get(b)
    assert get(a) != get(c)
    d = start_fake(users=300, seed=7, now=now + 5000)
    ids = lambda p: [u["accountId"] for u in json.loads(get(p))["data"]]
    assert ids(a) == ids(d)  # only timestamps move with --now
    page = lambda p: p.client().search({"limit": 10}).body
    assert page(a) == page(b)  # cursors too


def test_expect_inactive_ground_truth(fake, fake_proc):
    reply = fake.control("GET", "expect/inactive?product=jira-software&days=90")
    ids = set(reply["account_ids"])
    assert reply["count"] == len(ids)
    assert {JOHN, UNMANAGED, SCIM, DEACTIVATED, NEVER, FOR_DELETION, BOUNDARY_90} <= ids
    assert not {ORG_ADMIN, TWO_SITES, ALMOST_90, SERVICEDESK, SUSPENDED} & ids
    # Recompute independently from the users' productAccess timestamps.
    expected = set()
    for u in fake.all_users():
        stamps = [p.get("lastActiveTimestamp") for p in u["productAccess"] if p["key"] == "jira-software"]
        if stamps and (None in stamps and len(set(stamps)) == 1 or
                       all(fake_proc.now - epoch_of(s) > 90 * 86400 for s in stamps if s)):
            expected.add(u["accountId"])
    assert ids == expected
    conf = fake.control("GET", "expect/inactive?product=confluence&days=3")
    assert JOHN in conf["account_ids"] and ORG_ADMIN not in conf["account_ids"]


# ---- HTTP behaviour ----------------------------------------------------------
def test_keep_alive_across_statuses(fake):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    auth = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    path = f"/admin/v2/orgs/{fake.org_id}/directories/-/users/search"
    for method, url, body, expect in (
            ("POST", path, "{}", 200), ("POST", f"/users/{JOHN}/manage/lifecycle/disable", "{}", 204),
            ("POST", path, '{"limit": 999}', 400), ("POST", f"/users/{UNKNOWN}/manage/lifecycle/enable", None, 404),
            ("POST", path, '{"limit": 1}', 200)):
        conn.request(method, url, body=body, headers=auth)
        resp = conn.getresponse()
        data = resp.read()
        assert resp.status == expect
        if expect != 204:
            assert int(resp.getheader("Content-Length")) == len(data)
        assert not resp.will_close
    # No Nagle/delayed-ACK stalls (~40 ms each) on a reused connection.
    t0 = time.monotonic()
    for _ in range(20):
        conn.request("POST", path, body='{"limit": 1}', headers=auth)
        conn.getresponse().read()
    assert time.monotonic() - t0 < 0.5
    conn.close()


def test_chunked_body_and_garbage(fake):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    path = f"/admin/v2/orgs/{fake.org_id}/directories/-/users/search"
    conn.request("POST", path, body=iter([b'{"limit":', b' 2}']), encode_chunked=True,
                 headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json",
                          "Transfer-Encoding": "chunked"})
    resp = conn.getresponse()
    assert resp.status == 200 and len(json.loads(resp.read())["data"]) == 2
    conn.close()
    with socket.create_connection(("127.0.0.1", fake.port), timeout=5) as s:
        s.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        head = s.recv(4096)
        assert head.startswith(b"HTTP/1.1 400") and b"Traceback" not in head
    for junk in (b"\xff\xfe\x00", b'{"limit": 1e400}', b"[" * 5000, b'{"limit": null}'):
        reply = fake.search(junk)
        assert reply.status == 400 and b"Traceback" not in reply.body


def test_concurrent_clients(fake, fake_proc):
    results = []

    def worker():
        client = fake_proc.client()
        results.extend(client.search({"limit": 20}).status for _ in range(10))
        client.close()
    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 120


def test_sigterm_exits_cleanly_even_with_a_stalled_request(start_fake):
    proc = start_fake(users=20)
    client = proc.client(timeout=5)
    client.control("POST", "faults", {"rules": [{"path": ".", "kind": "stall", "seconds": 60}]})
    t = threading.Thread(target=lambda: pytest.raises(Exception, client.search, {}), daemon=True)
    t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    code, out, err = proc.stop()
    assert code == 0 and time.monotonic() - t0 < 3
    assert out == b"" and err == b""


def test_startup_is_fast_and_lazy(start_fake):
    # Lazy: a hundred times the users does not take a hundred times as long
    # to start (measured against the small one, on however busy a machine).
    small = start_fake(users=10000)
    big = start_fake(users=1_000_000)
    assert big.startup_s < 3 * small.startup_s + 1.0
    client = big.client()
    page = client.search({"limit": 100}).json()
    assert len(page["data"]) == 100 and "next" in page["links"]
    middle = client.control("GET", "users?offset=654321&limit=1")["data"][0]
    found = client.search({"accountIds": [middle["accountId"]]}).json()["data"]
    assert found == [{k: v for k, v in middle.items()
                      if k not in ("platformRoles", "counts", "productAccess", "groups")}]
    assert client.search({"emails": [middle["email"]]}).json()["data"][0]["accountId"] == middle["accountId"]
    assert client.lifecycle(middle["accountId"], "disable").status in (204, 403)
    rss_kb = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{big.proc.pid}/status").read()).group(1))
    assert rss_kb < 300 * 1024


# ---- check_requests.py -------------------------------------------------------
def test_check_requests_accepts_good_traffic(fake):
    fake.search({"limit": 3, "expand": ["groups"]})
    fake.lifecycle(JOHN, "disable", {"message": "bye"})
    fake.lifecycle(JOHN, "enable", {})
    fake.lifecycle(JOHN, "delete")
    fake.lifecycle(JOHN, "cancel-delete")
    result = run_check(fake.control("GET", "requests"))
    assert result.returncode == 0, result.stdout
    assert result.stdout.decode().strip().endswith("requests checked: 5, violations: 0")


@pytest.mark.parametrize("send,needle", [
    (lambda f: f.search({"limit": 500}), "500 is greater than the maximum"),
    (lambda f: f.search({"bogus": True}), "bogus"),
    (lambda f: f.search({"limit": 5}, content_type="text/plain"), "Content-Type"),
    (lambda f: f.search({"limit": 5}, key=f"Basic {API_KEY}"), "not Bearer"),
    (lambda f: f.search({"limit": 5}, key=False), "no Authorization"),
    (lambda f: f.api("GET", "/admin/v1/orgs"), "no operation matches"),
    (lambda f: f.api("POST", "/users/bad%24id/manage/lifecycle/disable"), "does not match"),
    (lambda f: f.lifecycle(JOHN, "disable", {"message": 42}), "message"),
    (lambda f: f.lifecycle(JOHN, "enable", {"force": True}), "takes no request body"),
])
def test_check_requests_catches_bad_requests(fake, send, needle):
    fake.search({"limit": 1})  # one good request alongside
    send(fake)
    result = run_check(fake.control("GET", "requests"))
    out = result.stdout.decode()
    assert result.returncode == 1
    assert needle in out, out
    assert out.strip().splitlines()[-1].startswith("requests checked: 2, violations: ")


def test_check_requests_wrong_key_only_with_require_key_ok(fake):
    fake.search({"limit": 1}, key="Bearer wrong")
    log = fake.control("GET", "requests")
    assert run_check(log).returncode == 0
    strict = run_check(log, "--require-key-ok")
    assert strict.returncode == 1 and b"not the configured API key" in strict.stdout


def test_check_requests_empty_log_and_leaked_key(fake):
    fake.search({"limit": 1})
    log = fake.control("GET", "requests")
    empty = run_check([{"method": "GET", "path": "/__fake/stats"}])
    assert empty.returncode == 1 and b"requests checked: 0" in empty.stdout
    leaked = [dict(log[0], headers={"authorization": f"Bearer {API_KEY}"})]
    assert b"must never be logged" in run_check(leaked).stdout


# ==== Organizations API v1: managed accounts, last-active dates, domains ========
ALL_EXPANDS = ["platformRoles", "counts.resources", "productAccess", "groups"]
V1_KEYS = {"jira-software": "jira-software", "confluence": "confluence",
           "jira-servicedesk": "jira-service-desk", "jira-core": "jira-core"}


def follow_v1(fake, schemas, op, reply):
    """Validate reply and follow links.next (full URLs) to the end: the pages."""
    pages = []
    while True:
        assert reply.status == 200, reply.body
        schemas.check(op, reply)
        page = reply.json()
        pages.append(page)
        nxt = page["links"].get("next")
        if not nxt:
            return pages
        assert nxt.startswith(f"http://127.0.0.1:{fake.port}/admin/v1/") and "?cursor=" in nxt
        reply = fake.follow(nxt)


def test_v1_users_are_the_managed_accounts(fake, schemas):
    pages = follow_v1(fake, schemas, "getUsers", fake.get(fake.org_path("/users", "v1")))
    got = [u["account_id"] for p in pages for u in p["data"]]
    truth = fake.control("GET", "expect/managed")
    assert got == truth["account_ids"] and len(got) == truth["count"]
    assert got == [u["accountId"] for u in fake.all_users() if u["claimStatus"] == "managed"]
    assert all(p["meta"]["total"] == len(got) for p in pages)
    assert [len(p["data"]) for p in pages[:-1]] == [100] * (len(pages) - 1) and len(pages) == 2
    assert "prev" in pages[1]["links"] and "prev" not in pages[0]["links"]
    assert UNMANAGED not in got and SCIM in got


def test_v1_users_activity_matches_v2(fake, schemas):
    v2 = by_id(fake.all_users())
    reply = fake.get(fake.org_path("/users", "v1"))
    for user in reply.json()["data"]:
        mine = v2[user["account_id"]]
        assert (user["name"], user["email"], user["picture"]) == \
            (mine["name"], mine["email"], mine["picture"])
        assert user["account_status"] == mine["accountStatus"]
        stamps = [p.get("lastActiveTimestamp") for p in mine["productAccess"]]
        assert [p.get("last_active") for p in user["product_access"]] == \
            [s[:23] + "Z" if s else None for s in stamps]
        assert [p["key"] for p in user["product_access"]] == \
            [V1_KEYS[p["key"]] for p in mine["productAccess"]]
        used = [s for s in stamps if s]
        assert user.get("last_active") == (max(used)[:23] + "Z" if used else None)
        assert user["access_billable"] == (mine["status"] == "active" and bool(stamps))
    jess = next(u for u in reply.json()["data"] if u["account_id"] == SERVICEDESK)
    assert {p["key"] for p in jess["product_access"]} == {"jira-service-desk", "jira-core"}
    assert jess["product_access"][0]["url"] == "acme.atlassian.net"


def test_v1_errors(fake, schemas):
    reply = fake.get(fake.org_path("/users", "v1"), {"cursor": "bogus"})
    assert reply.status == 400 and reply.json()["errors"][0]["code"] == "ADMIN-400-1"
    schemas.check("getUsers", reply)
    reply = fake.get("/admin/v1/orgs/other-org/users")
    assert reply.status == 404 and reply.json()["errors"][0]["code"] == "ADMIN-404-2"
    schemas.check("getUsers", reply)
    domains = fake.get(fake.org_path("/domains", "v1")).json()
    token = domains["links"]["next"].split("cursor=")[1]  # another list's cursor
    assert fake.get(fake.org_path("/users", "v1"), {"cursor": token}).status == 400


def last_active(fake, account_id, **query):
    return fake.get(fake.org_path(f"/directory/users/{account_id}/last-active-dates", "v1"),
                    query or None)


def test_last_active_dates_match_v2(fake, schemas):
    v2 = by_id(fake.all_users())
    for account_id in (ORG_ADMIN, JOHN, NEVER, TWO_SITES, SERVICEDESK, NOT_INVITED):
        reply = last_active(fake, account_id)
        schemas.check("getUserLastActiveDates", reply)
        data = reply.json()["data"]
        used = [p for p in v2[account_id]["productAccess"] if "lastActiveTimestamp" in p]
        assert data["product_access"] == [
            {"id": p["id"], "key": V1_KEYS[p["key"]], "last_active": p["lastActiveTimestamp"][:10],
             "last_active_timestamp": p["lastActiveTimestamp"][:19] + "Z"} for p in used]
        added = v2[account_id]["addedToOrg"]
        assert (data["added_to_org"], data["added_to_org_timestamp"]) == (added[:10], added[:19] + "Z")
        assert reply.json()["links"] == {}
    assert last_active(fake, NEVER).json()["data"]["product_access"] == []  # never used: left out


def test_last_active_dates_paging(fake, schemas):
    # Users with more than 3 used product-site entries get a second page.
    many = [u for u in fake.all_users()
            if sum("lastActiveTimestamp" in p for p in u["productAccess"]) > 3]
    assert many, "the seed should give some users more than 3 used products"
    for user in many:
        entries, reply = [], last_active(fake, user["accountId"])
        while True:
            schemas.check("getUserLastActiveDates", reply)
            body = reply.json()
            entries += body["data"]["product_access"]
            assert len(body["data"]["product_access"]) <= 3
            if "next" not in body["links"]:
                break
            reply = last_active(fake, user["accountId"], cursor=body["links"]["next"])
        assert [e["last_active_timestamp"] for e in entries] == [
            p["lastActiveTimestamp"][:19] + "Z" for p in user["productAccess"]
            if "lastActiveTimestamp" in p]
    nxt = last_active(fake, many[0]["accountId"]).json()["links"]["next"]
    reply = last_active(fake, JOHN, cursor=nxt)  # another user's cursor
    assert reply.status == 400
    schemas.check("getUserLastActiveDates", reply)


def test_last_active_dates_unknown_user(fake, schemas):
    reply = last_active(fake, UNKNOWN)
    assert reply.status == 404
    schemas.check("getUserLastActiveDates", reply)
    assert reply.json()["errors"][0]["code"] == "ADMIN-404-8"


def test_domains(fake, schemas, fake_proc):
    pages = follow_v1(fake, schemas, "getDomains", fake.get(fake.org_path("/domains", "v1")))
    domains = [d for p in pages for d in p["data"]]
    assert len(pages) == 2
    assert [(d["attributes"]["name"], d["attributes"]["claim"]["status"]) for d in domains] == [
        ("acme.example", "verified"), ("acme-labs.example", "verified"),
        ("acme-legacy.example", "unverified")]
    assert {d["id"] for d in domains} == {d["id"] for d in fake.control("GET", "info")["domains"]}


# ==== Organizations API v2: groups =================================================
def groups_search(fake, body, directory="-", **kw):
    return fake.api("POST", fake.org_path(f"/directories/{directory}/groups/search"), body, **kw)


def all_groups(fake, schemas, body):
    out, reply = [], groups_search(fake, body)
    while True:
        assert reply.status == 200, reply.body
        schemas.check("searchDirectoryGroups", reply)
        page = reply.json()
        out += page["data"]
        if "next" not in page["links"]:
            return out
        reply = groups_search(fake, {"cursor": page["links"]["next"]})


def members_by_group(fake):
    out = {}
    for u in fake.all_users():
        for g in u["groups"]:
            out.setdefault(g["name"], []).append(u["accountId"])
    return out


def test_groups_search_counts_are_real_memberships(fake, schemas):
    groups = all_groups(fake, schemas, {"limit": 7, "expand": ["counts.users", "counts.resources"]})
    info = fake.control("GET", "info")
    assert [g["name"] for g in groups] == sorted(info["group_ids"])
    members = members_by_group(fake)
    expect = {g["name"]: g for g in fake.control("GET", "expect/groups")["groups"]}
    for g in groups:
        assert g["counts"]["users"] == len(members.get(g["name"], [])) == expect[g["name"]]["count"]
        assert expect[g["name"]]["members"] == members.get(g["name"], [])
        assert g["id"] == info["group_ids"][g["name"]]
        assert g["directoryId"] == info["directory_id"]
    by_name = {g["name"]: g for g in groups}
    assert by_name["jira-software-users"]["counts"]["resources"] == 1
    assert by_name["acme-all-staff"]["counts"]["resources"] == 0
    assert by_name["engineering"]["externalSynced"] and by_name["engineering"]["managedBy"] == "external"
    assert by_name["site-admins"]["managementAccess"]["deletable"] is False
    assert "description" not in by_name["jira-admins"]  # no description: absent, not null
    plain = groups_search(fake, {}).json()["data"]
    assert len(plain) == 20 and all("counts" not in g for g in plain)


@pytest.mark.parametrize("body,pick", [
    ({"accountIds": [JOHN]}, lambda g, m: JOHN in m),
    ({"accountIds": [JOHN, TWO_SITES, UNKNOWN]}, lambda g, m: JOHN in m or TWO_SITES in m),
    ({"groupNames": ["engineering", "sales", "nope"]}, lambda g, m: g in ("engineering", "sales")),
    ({"searchTerm": "JIRA"}, lambda g, m: "jira" in g),
    ({"roleIds": ["atlassian/admin"]}, lambda g, m: g in ("jira-admins", "confluence-admins",
                                                           "site-admins")),
    ({"resourceOwners": ["jira-servicedesk"]},
     lambda g, m: g in ("jira-servicemanagement-users", "jira-admins", "site-admins")),
    ({"directoryIds": ["not-ours"]}, lambda g, m: False),
])
def test_groups_search_filters(fake, schemas, body, pick):
    members = members_by_group(fake)
    names = [g["name"] for g in all_groups(fake, schemas, body)]
    assert names == sorted(n for n in fake.control("GET", "info")["group_ids"]
                           if pick(n, members.get(n, [])))


def test_groups_filters_by_id_and_resource(fake, schemas):
    info = fake.control("GET", "info")
    ids = [info["group_ids"]["engineering"], info["group_ids"]["finance"]]
    assert [g["name"] for g in all_groups(fake, schemas, {"groupIds": ids})] == ["engineering", "finance"]
    jira_a = info["sites"]["jira"][0]["ari"]
    got = {g["name"] for g in all_groups(fake, schemas, {"resourceIds": [jira_a]})}
    assert got == {"jira-software-users", "jira-servicemanagement-users", "jira-core-users",
                   "jira-admins", "site-admins"}
    desc = all_groups(fake, schemas, {"sortBy": [{"field": "name", "direction": "desc"}]})
    assert [g["name"] for g in desc] == sorted(info["group_ids"], reverse=True)


@pytest.mark.parametrize("body", [
    {"limit": 0}, {"limit": 101}, {"bogus": 1}, {"expand": ["counts.everything"]},
    {"groupNames": []}, {"accountIds": ["a", "a"]}, {"groupIds": [str(i) for i in range(11)]},
    {"sortBy": [{"field": "nick_name", "direction": "asc"}]}, {"cursor": "nope"}, [1],
])
def test_groups_search_bad_bodies(fake, schemas, body):
    reply = groups_search(fake, body)
    assert reply.status == 400, reply.body
    schemas.check("searchDirectoryGroups", reply)


def test_groups_search_unknown_org_and_directory(fake, schemas):
    reply = fake.api("POST", "/admin/v2/orgs/other/directories/-/groups/search", {})
    assert reply.status == 404
    schemas.check("searchDirectoryGroups", reply)
    reply = groups_search(fake, {}, directory="other")
    assert reply.status == 404
    schemas.check("searchDirectoryGroups", reply)
    info = fake.control("GET", "info")
    assert groups_search(fake, {}, directory=info["directory_id"]).status == 200


def test_groups_get_list_matches_search(fake, schemas):
    path = fake.org_path("/directories/-/groups")
    pages, reply = [], fake.get(path, {"limit": 10, "includeUsers": "true"})
    while True:
        assert reply.status == 200
        schemas.check("getGroups", reply)
        pages.append(reply.json())
        nxt = reply.json()["links"].get("next")
        if not nxt:
            break
        reply = fake.get(path, {"cursor": nxt})
    got = [g for p in pages for g in p["data"]]
    assert got == all_groups(fake, schemas, {"expand": ["counts.users"]})
    for query in ({"accountIds": [JOHN, SCIM]}, {"searchTerm": "admin"},
                  {"roleIds": "atlassian/user"}, {"sortBy": "name:desc"},
                  {"counts.includeResources": "true"}):
        body = {k: (v if isinstance(v, list) else [v]) for k, v in query.items()
                if k in ("accountIds", "roleIds")}
        body.update({k: v for k, v in query.items() if k == "searchTerm"})
        if "sortBy" in query:
            body["sortBy"] = [{"field": "name", "direction": "desc"}]
        if "counts.includeResources" in query:
            body["expand"] = ["counts.resources"]
        reply = fake.get(path, dict(query, limit=100))
        schemas.check("getGroups", reply)
        assert reply.json()["data"] == groups_search(fake, dict(body, limit=100)).json()["data"]
    for bad in ({"limit": "0"}, {"roleIds": "atlassian/nope"}, {"sortBy": "size"},
                {"groupIds": [str(i) for i in range(11)]}):
        reply = fake.get(path, bad)
        assert reply.status == 400
        schemas.check("getGroups", reply)


def test_group_details_count_and_stats(fake, schemas):
    info = fake.control("GET", "info")
    expect = {g["name"]: g["count"] for g in fake.control("GET", "expect/groups")["groups"]}
    gid = info["group_ids"]["jira-software-users"]
    reply = fake.get(fake.org_path(f"/directories/-/groups/{gid}"))
    schemas.check("getGroup", reply)
    data = reply.json()["data"]
    assert (data["id"], data["name"], data["counts"]) == \
        (gid, "jira-software-users", {"resources": 1, "users": expect["jira-software-users"]})
    reply = fake.get(fake.org_path("/directories/-/groups/" + "0" * 8))
    assert reply.status == 404
    schemas.check("getGroup", reply)
    reply = fake.get(fake.org_path("/directories/-/groups/count"))
    schemas.check("getGroupsCount", reply)
    assert reply.json() == {"count": len(info["group_ids"])}
    reply = fake.get(fake.org_path("/directories/-/groups/count"), {"accountIds": JOHN})
    assert reply.json() == {"count": 4}
    reply = fake.get(fake.org_path("/directories/-/groups/stats"))
    schemas.check("getGroupsStats", reply)
    stats = reply.json()
    assert stats["totals"] == {"all": 25, "managed": 3, "synced": 3}
    assert sum(t["count"] for t in stats["types"]) == 25


def test_group_role_assignments(fake, schemas):
    info = fake.control("GET", "info")
    jira_a, conf_a = info["sites"]["jira"][0]["ari"], info["sites"]["confluence"][0]["ari"]

    def assignments(name, **query):
        path = fake.org_path(f"/directories/-/groups/{info['group_ids'][name]}/role-assignments")
        reply = fake.get(path, query or None)
        schemas.check("getGroupRoleAssignments", reply)
        return reply
    assert assignments("jira-software-users").json()["data"] == [
        {"resourceId": jira_a, "resourceOwner": "jira-software", "roles": ["atlassian/user"],
         "defaultRole": "atlassian/user"}]
    assert assignments("engineering").json()["data"] == []
    admins = assignments("site-admins").json()["data"]
    assert {(a["resourceId"], a["resourceOwner"]) for a in admins} == {
        (jira_a, "jira-software"), (jira_a, "jira-servicedesk"), (jira_a, "jira-core"),
        (conf_a, "confluence")}
    assert [a["resourceOwner"] for a in assignments("site-admins", resourceOwners="confluence")
            .json()["data"]] == ["confluence"]
    first = assignments("site-admins", limit=3).json()
    roles_of = lambda name: fake.org_path(
        f"/directories/-/groups/{info['group_ids'][name]}/role-assignments")
    path = roles_of("site-admins")
    second = fake.get(path, {"cursor": first["links"]["next"]}).json()
    assert first["data"] + second["data"] == admins and "next" not in second["links"]
    # another group's cursor
    reply = fake.get(roles_of("jira-admins"), {"cursor": first["links"]["next"]})
    assert reply.status == 400
    schemas.check("getGroupRoleAssignments", reply)


# ==== Organizations API v2: users count, stats, role assignments, directories ======
@pytest.mark.parametrize("query,body", [
    ({}, {}),
    ({"claimStatus": "managed"}, {"claimStatus": "managed"}),
    ({"status": ["active", "suspended"]}, {"status": ["active", "suspended"]}),
    ({"accountStatus": "inactive", "mfaEnabled": "false"},
     {"accountStatus": ["inactive"], "mfaEnabled": False}),
    ({"membershipStatus": "no_membership"}, {"membershipStatus": ["no_membership"]}),
    ({"roleIds": ["atlassian/admin", "atlassian/org-admin"]},
     {"roleIds": ["atlassian/admin", "atlassian/org-admin"]}),
    ({"emailDomains": "acme-labs.example"}, {"emailDomains": ["acme-labs.example"]}),
    ({"searchTerm": "an"}, {"searchTerm": "an"}),
    ({"accountIds": [JOHN, SCIM, UNKNOWN]}, {"accountIds": [JOHN, SCIM, UNKNOWN]}),
    ({"directoryIds": "not-ours"}, {"directoryIds": ["not-ours"]}),
])
def test_users_count_equals_search(fake, schemas, query, body):
    reply = fake.get(fake.org_path("/directories/-/users/count"), query)
    schemas.check("getDirectoryUsersCount", reply)
    got, _ = fake.search_all(body)
    assert reply.json() == {"count": len(got)}


def test_users_count_by_group_resource_and_state(fake, schemas):
    info = fake.control("GET", "info")
    path = fake.org_path("/directories/-/users/count")
    for query, body in (
            ({"groupIds": info["group_ids"]["engineering"]},
             {"groupIds": [info["group_ids"]["engineering"]]}),
            ({"resourceIds": info["sites"]["jira"][1]["ari"]},
             {"resourceIds": [info["sites"]["jira"][1]["ari"]]}),
            ({"directoryIds": info["directory_id"]}, {"directoryIds": [info["directory_id"]]})):
        got, _ = fake.search_all(body)
        assert fake.get(path, query).json() == {"count": len(got)}
    before = fake.get(path, {"accountStatus": "inactive"}).json()["count"]
    fake.lifecycle(JOHN, "disable")
    assert fake.get(path, {"accountStatus": "inactive"}).json()["count"] == before + 1


def test_users_count_bad_queries(fake, schemas):
    path = fake.org_path("/directories/-/users/count")
    for query in ({"status": "gone"}, {"claimStatus": "both"}, {"mfaEnabled": "yes"},
                  {"accountIds": [str(i) for i in range(11)]}, {"roleIds": "atlassian/x"}):
        reply = fake.get(path, query)
        assert reply.status == 400, query
        schemas.check("getDirectoryUsersCount", reply)


def test_users_stats(fake, schemas):
    path = fake.org_path("/directories/-/users/stats")
    reply = fake.get(path)
    schemas.check("getUserStats", reply)
    users = fake.all_users()
    stats = reply.json()
    acc = {s["status"]: s["count"] for s in stats["accountStatus"]}
    assert acc == {"active": sum(u["accountStatus"] == "active" for u in users),
                   "inactive": sum(u["accountStatus"] == "inactive" for u in users), "closed": 0}
    for role in stats["roles"]:
        got, _ = fake.search_all({"roleIds": [role["roleId"]]})
        assert role["count"] == len(got) > 0
    assert {r["roleId"] for r in stats["roles"]} >= {"atlassian/user", "atlassian/org-admin"}
    fake.lifecycle(JOHN, "disable")
    fake.lifecycle(DEACTIVATED, "enable")
    fake.lifecycle(BOUNDARY_90, "delete")
    after = {s["status"]: s["count"] for s in fake.get(path).json()["accountStatus"]}
    assert after == {"active": acc["active"] - 1, "inactive": acc["inactive"] + 1, "closed": 0}


def user_roles(fake, account_id, **query):
    return fake.get(fake.org_path(f"/directories/-/users/{account_id}/role-assignments"),
                    query or None)


def test_user_role_assignments_follow_product_access(fake, schemas):
    info = fake.control("GET", "info")
    v2 = by_id(fake.all_users())
    for account_id in (ORG_ADMIN, JOHN, TWO_SITES, SERVICEDESK, NOT_INVITED, SUSPENDED):
        reply = user_roles(fake, account_id, limit=100)
        schemas.check("getUserRoleAssignments", reply)
        data = reply.json()["data"]
        product = [a for a in data if a["directoryId"] is not None]
        assert [(a["resourceId"], a["resourceOwner"]) for a in product] == \
            [(p["id"], p["key"]) for p in v2[account_id]["productAccess"]]
        assert all(a["userDirectoryStatus"] == v2[account_id]["membershipStatus"] for a in product)
        assert all(a["roles"] == [r["role"] for r in a["roleAssignments"]] for a in data)
        platform = [a for a in data if a["directoryId"] is None]
        assert [r for a in platform for r in a["roles"]] == v2[account_id]["platformRoles"]
        assert all("userDirectoryStatus" not in a for a in platform)
    tom = user_roles(fake, TWO_SITES).json()["data"]
    jira_a, jira_b = (s["ari"] for s in info["sites"]["jira"])
    methods = {a["resourceId"]: a["roleAssignments"][0]["roleAssignmentMethods"] for a in tom}
    assert methods == {jira_a: ["group_direct"], jira_b: ["direct"]}  # groups grant site A only
    mia = user_roles(fake, ORG_ADMIN).json()["data"]
    assert {r["role"] for a in mia for r in a["roleAssignments"]} == {
        "atlassian/user", "atlassian/admin", "atlassian/org-admin", "atlassian/site-admin"}
    assert user_roles(fake, NOT_INVITED).json()["data"] == []


def test_user_role_assignments_paging_filters_errors(fake, schemas):
    whole = user_roles(fake, ORG_ADMIN).json()["data"]
    page = user_roles(fake, ORG_ADMIN, limit=2).json()
    path = fake.org_path(f"/directories/-/users/{ORG_ADMIN}/role-assignments")
    paged = page["data"]
    while "next" in page["links"]:  # Mia: 4 product sites and the platform entry
        page = fake.get(path, {"cursor": page["links"]["next"]}).json()
        assert "prev" in page["links"]
        paged += page["data"]
    assert paged == whole and len(whole) == 5
    only = user_roles(fake, ORG_ADMIN, resourceOwners="confluence").json()["data"]
    assert [a["resourceOwner"] for a in only] == ["confluence"]
    assert all(a["directoryId"] for a in user_roles(
        fake, ORG_ADMIN, directoryIds=fake.control("GET", "info")["directory_id"]).json()["data"])
    for reply in (user_roles(fake, UNKNOWN), user_roles(fake, JOHN, limit=101)):
        assert reply.status in (400, 404)
        schemas.check("getUserRoleAssignments", reply)


def test_directories(fake, schemas):
    info = fake.control("GET", "info")
    path = fake.org_path("/directories")
    reply = fake.get(path)
    schemas.check("getDirectoriesForOrg", reply)
    assert [d["directoryId"] for d in reply.json()["data"]] == [info["directory_id"]]
    assert fake.get(path, {"accountId": NOT_INVITED}).json()["data"] == []
    assert len(fake.get(path, {"accountId": JOHN, "searchTerm": "ACME"}).json()["data"]) == 1
    reply = fake.get(path, {"limit": "1000"})
    assert reply.status == 400
    schemas.check("getDirectoriesForOrg", reply)


# ==== Organizations API v2: workspaces ================================================
def workspaces(fake, body=None, **kw):
    return fake.api("POST", fake.org_path("/workspaces"), body, **kw)


def test_workspaces_are_the_sites(fake, schemas):
    reply = workspaces(fake)
    schemas.check("queryWorkspacesV2", reply)
    info = fake.control("GET", "info")
    data = reply.json()["data"]
    sites = [s["ari"] for kind in ("jira", "confluence") for s in info["sites"][kind]]
    assert [w["id"] for w in data][:4] == sites
    assert [w["attributes"]["type"] for w in data] == ["jira", "jira", "confluence",
                                                      "confluence", "bitbucket"]
    assert [w["id"] for w in data] == [w["id"] for w in info["workspaces"]]
    assert reply.json()["meta"] == {"pageSize": 20, "total": 5, "startIndex": 0, "endIndex": 4}


def test_workspaces_paging_and_cursor_rule(fake, schemas):
    first = workspaces(fake, {"limit": 2}).json()
    ids, page = [w["id"] for w in first["data"]], first
    while "next" in page["links"]:
        reply = workspaces(fake, {"cursor": page["links"]["next"]})
        schemas.check("queryWorkspacesV2", reply)
        page = reply.json()
        ids += [w["id"] for w in page["data"]]
    assert ids == [w["id"] for w in workspaces(fake).json()["data"]]
    assert page["meta"]["startIndex"] == 4
    reply = workspaces(fake, {"cursor": first["links"]["next"], "limit": 2})
    assert reply.status == 400
    schemas.check("queryWorkspacesV2", reply)
    assert reply.json()["code"] == "ADMIN-400-4"


@pytest.mark.parametrize("query,names", [
    ({"field": {"name": "attributes.type", "values": ["confluence"]}},
     ["confluence:acme", "confluence:acme-labs"]),
    ({"searchWorkspaces": "LABS"}, ["jira:acme-labs", "confluence:acme-labs"]),
    ({"and": [{"field": {"name": "attributes.type", "values": ["jira"]}},
              {"nor": [{"searchWorkspaces": "labs"}]}]}, ["jira:acme"]),
    ({"and": []}, ["jira:acme", "jira:acme-labs", "confluence:acme", "confluence:acme-labs",
                   "bitbucket:acme"]),
    ({"features": ["some-feature"]}, []),
])
def test_workspaces_query(fake, schemas, query, names):
    reply = workspaces(fake, {"query": query})
    schemas.check("queryWorkspacesV2", reply)
    assert [f'{w["attributes"]["type"]}:{w["attributes"]["name"]}'
            for w in reply.json()["data"]] == names


def test_workspaces_sort_and_errors(fake, schemas):
    reply = workspaces(fake, {"sort": [{"field": "attributes.hostUrl", "order": "desc"}]})
    hosts = [w["attributes"]["hostUrl"] for w in reply.json()["data"]]
    assert hosts == sorted(hosts, reverse=True)
    for body in ({"limit": 1001}, {"query": {"bogus": 1}}, {"extra": 1}, b"{not json"):
        reply = workspaces(fake, body)
        assert reply.status == 400, body
        schemas.check("queryWorkspacesV2", reply)
    reply = fake.api("POST", "/admin/v2/orgs/other/workspaces", {})
    assert reply.status == 404
    schemas.check("queryWorkspacesV2", reply)


# ==== Organizations API v1: audit log ==================================================
def events_page(fake, **query):
    return fake.get(fake.org_path("/events", "v1"), query or None)


def all_events(fake, schemas, **query):
    pages = follow_v1(fake, schemas, "getEvents", events_page(fake, **query))
    for page in pages:
        assert page["meta"]["page_size"] == int(query.get("limit", 30))
        if "next" in page["links"]:
            assert page["links"]["next"].endswith("cursor=" + page["meta"]["next"])
    return [e for p in pages for e in p["data"]]


def test_events_seeded_history(fake, schemas, fake_proc):
    events = all_events(fake, schemas, limit=500)
    assert len(events) == 400
    times = [epoch_of(e["attributes"]["time"]) for e in events]
    assert times == sorted(times, reverse=True)  # newest first
    assert all(3600 <= (fake_proc.now - t) % 86400 <= 23 * 3600 for t in times)
    assert all(fake_proc.now - t < 91 * 86400 for t in times)
    actions = {e["attributes"]["action"] for e in events}
    assert {"user_logged_in", "user_deactivated", "user_added_to_group"} <= actions
    known = {a["id"] for a in fake.get(fake.org_path("/event-actions", "v1")).json()["data"]}
    assert actions <= known
    assert len(events_page(fake).json()["data"]) == 30
    assert all_events(fake, schemas, limit=50) == events


def test_events_filters(fake, schemas):
    events = all_events(fake, schemas, limit=500)
    ms = lambda e: int(epoch_of(e["attributes"]["time"]) * 1000 + 0.5)
    lo, hi = ms(events[300]), ms(events[100])
    got = all_events(fake, schemas, limit=500, **{"from": str(lo), "to": str(hi)})
    assert got == [e for e in events if lo <= ms(e) <= hi]
    got = all_events(fake, schemas, limit=500, action="user_deactivated")
    assert got == [e for e in events if e["attributes"]["action"] == "user_deactivated"]
    actor = events[0]["attributes"]["actor"]
    got = all_events(fake, schemas, limit=500, actor=actor["id"])
    assert got and all(e["attributes"]["actor"]["id"] == actor["id"] for e in got)
    got = all_events(fake, schemas, limit=500, q=actor["name"].upper())
    assert len(got) >= sum(e["attributes"]["actor"]["id"] == actor["id"] for e in events)
    got = all_events(fake, schemas, limit=500, product="confluence,bitbucket")
    assert got and all(any(c.get("attributes", {}).get("product") == "confluence"
                           for c in e["attributes"]["context"] + e["attributes"]["container"])
                       for e in got)


@pytest.mark.parametrize("query,code", [
    ({"limit": "501"}, "ADMIN-400-19"), ({"limit": "0"}, "ADMIN-400-19"),
    ({"from": "yesterday"}, "ADMIN-400-3"), ({"from": "200", "to": "100"}, "ADMIN-400-3"),
    ({"cursor": "nope"}, "ADMIN-400-1"), ({"product": "trello"}, "ADMIN-400-19"),
])
def test_events_bad_queries(fake, schemas, query, code):
    reply = events_page(fake, **query)
    assert reply.status == 400
    schemas.check("getEvents", reply)
    assert reply.json()["errors"][0]["code"] == code


def test_lifecycle_actions_append_events(fake, schemas, fake_proc):
    first = events_page(fake, limit=5).json()
    fake.lifecycle(JOHN, "disable")
    fake.lifecycle(JOHN, "disable")  # already deactivated: no change, no event
    fake.lifecycle(JOHN, "enable")
    fake.lifecycle(NEVER, "delete")
    fake.lifecycle(NEVER, "cancel-delete")
    fake.lifecycle(UNMANAGED, "disable")  # refused: no event
    reply = events_page(fake, limit=4)
    schemas.check("getEvents", reply)
    top = reply.json()["data"]
    assert [(e["attributes"]["action"], e["attributes"]["context"][0]["id"]) for e in top] == [
        ("user_deletion_cancelled", NEVER), ("user_deletion_scheduled", NEVER),
        ("user_reactivated", JOHN), ("user_deactivated", JOHN)]
    for event in top:
        actor = event["attributes"]["actor"]
        assert actor["id"] == ORG_ADMIN and actor["auth"]["authType"] == "container-token"
        assert abs(epoch_of(event["attributes"]["time"]) - time.time()) < 60
    assert API_KEY not in json.dumps(top)
    # The first page's cursor still continues where it did: no shift by new events.
    older = fake.follow(first["links"]["next"]).json()["data"]
    seeded = events_page(fake, limit=14).json()["data"][4:]
    assert older == seeded[5:10]
    mine = fake.get(fake.org_path("/events", "v1"),
                    {"action": "user_deactivated", "actor": ORG_ADMIN}).json()["data"]
    assert mine[0] == top[3]
    fake.control("POST", "reset")
    assert events_page(fake, limit=5).json()["data"] == first["data"]


def test_event_actions(fake, schemas):
    reply = fake.get(fake.org_path("/event-actions", "v1"))
    schemas.check("getEventActions", reply)
    names = {a["id"]: a["attributes"]["displayName"] for a in reply.json()["data"]}
    assert names["user_deactivated"] == "Deactivated account"
    reply = fake.get("/admin/v1/orgs/other/event-actions")
    assert reply.status == 404
    schemas.check("getEventActions", reply)


# ==== Jira Cloud REST v3 on the site ====================================================
def test_jira_users_search_lists_everyone(fake, schemas):
    users, start = [], 0
    while True:
        reply = fake.jira("/users/search", {"startAt": start, "maxResults": 60})
        schemas.check("getAllUsers", reply)
        page = reply.json()
        users += page
        if len(page) < 60:
            break
        start += 60
    org = fake.all_users()
    apps = fake.control("GET", "info")["app_accounts"]
    assert [u["accountId"] for u in users] == [u["accountId"] for u in org] + \
        [a["account_id"] for a in apps]
    v2 = by_id(org)
    for u in users:
        if u["accountType"] == "app":
            assert u["active"] and "emailAddress" not in u
            continue
        mine = v2[u["accountId"]]
        assert u["displayName"] == mine["name"]
        assert u["active"] == (mine["accountStatus"] == "active")
        assert u["self"].endswith("/rest/api/3/user?accountId="
                                  + u["accountId"].replace(":", "%3A"))
        if mine["claimStatus"] == "managed":
            assert u["emailAddress"] == mine["email"]
    # 4 deactivated, 5 active, 6 suspended (account active), 7 for deletion
    assert [u["active"] for u in users[4:8]] == [False, True, True, False]
    assert any("emailAddress" not in u for u in users if u["accountType"] == "atlassian")
    assert len(fake.jira("/users/search").json()) == 50
    assert len(fake.jira("/users/search", {"maxResults": 5000}).json()) == 205  # clamped to 1000
    reply = fake.jira("/users/search", {"startAt": "-1"})
    assert reply.status == 400
    schemas.check("getAllUsers", reply)


def test_jira_group_bulk(fake, schemas):
    info = fake.control("GET", "info")
    names, reply = [], fake.jira("/group/bulk", {"maxResults": 10})
    while True:
        schemas.check("bulkGetGroups", reply)
        page = reply.json()
        names += [g["name"] for g in page["values"]]
        assert page["total"] == 25 and page["isLast"] == ("nextPage" not in page)
        if page["isLast"]:
            break
        reply = fake.follow(page["nextPage"], key=False,
                            headers={"Authorization": basic(SITE_EMAIL, SITE_TOKEN)})
    assert names == sorted(info["group_ids"])
    def bulk(**query):
        reply = fake.jira("/group/bulk", query)
        schemas.check("bulkGetGroups", reply)
        return [g["name"] for g in reply.json()["values"]]
    assert bulk(groupId=[info["group_ids"]["sales"], info["group_ids"]["legal"]],
                groupName="finance") == ["finance", "legal", "sales"]
    assert bulk(accessType="user") == ["jira-core-users", "jira-servicemanagement-users",
                                       "jira-software-users"]
    assert bulk(accessType="admin", applicationKey="jira-core") == ["jira-admins", "site-admins"]
    assert bulk(accessType="site-admin") == ["site-admins"]
    assert fake.jira("/group/bulk", {"maxResults": 500}).json()["maxResults"] == 50
    for query in ({"accessType": "owner"}, {"applicationKey": "confluence"}, {"startAt": "x"}):
        reply = fake.jira("/group/bulk", query)
        assert reply.status == 400
        schemas.check("bulkGetGroups", reply)


def basic(email, token):
    import base64
    return "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()


def jira_members(fake, schemas, **query):
    out, reply = [], fake.jira("/group/member", query)
    while True:
        schemas.check("getUsersFromGroup", reply)
        page = reply.json()
        out += page["values"]
        assert page["isLast"] == ("nextPage" not in page)
        if page["isLast"]:
            assert page["total"] == len(out)
            return out
        reply = fake.follow(page["nextPage"], key=False,
                            headers={"Authorization": basic(SITE_EMAIL, SITE_TOKEN)})


def test_jira_group_member(fake, schemas):
    expect = {g["name"]: g for g in fake.control("GET", "expect/groups")["groups"]}
    v2 = by_id(fake.all_users())
    group = expect["jira-software-users"]
    everyone = jira_members(fake, schemas, groupId=group["id"], includeInactiveUsers="true",
                            maxResults=17)
    assert [u["accountId"] for u in everyone] == group["members"]
    active = jira_members(fake, schemas, groupname="jira-software-users")
    assert [u["accountId"] for u in active] == [
        a for a in group["members"] if v2[a]["accountStatus"] == "active"]
    assert DEACTIVATED not in {u["accountId"] for u in active}
    fake.lifecycle(JOHN, "disable")
    assert JOHN not in {u["accountId"] for u in jira_members(fake, schemas,
                                                             groupname="jira-software-users")}
    page = fake.jira("/group/member", {"groupname": "acme-all-staff", "maxResults": 200}).json()
    assert page["maxResults"] == 50 and len(page["values"]) == 50


def test_jira_group_member_errors(fake, schemas):
    info = fake.control("GET", "info")
    both = {"groupname": "sales", "groupId": info["group_ids"]["sales"]}
    for query, status in (({}, 400), (both, 400),
                          ({"groupname": "sales", "maxResults": "0"}, 400),
                          ({"groupname": "no-such-group"}, 404),
                          ({"groupId": "00000000-0000-4000-8000-000000000000"}, 404)):
        reply = fake.jira("/group/member", query)
        assert reply.status == status, query
        schemas.check("getUsersFromGroup", reply)


@pytest.mark.parametrize("auth", [None, (SITE_EMAIL, "wrong"), ("someone@acme.example", SITE_TOKEN),
                                  f"Bearer {API_KEY}", f"Bearer {SCOPED_KEY}", "Basic !!!"])
def test_jira_needs_the_site_login(fake, schemas, auth):
    for path, op in (("/users/search", "getAllUsers"), ("/group/bulk", "bulkGetGroups"),
                     ("/group/member?groupname=sales", "getUsersFromGroup")):
        reply = fake.jira(path, auth=auth)
        assert reply.status == 401
        schemas.check(op, reply)
        failed = reply.header("x-seraph-loginreason") == "AUTHENTICATED_FAILED"
        assert failed == (auth is not None)


def test_site_login_is_not_an_admin_key(fake, schemas):
    reply = fake.search({}, key=basic(SITE_EMAIL, SITE_TOKEN))
    assert reply.status == 401 and reply.json() == {"code": 401, "message": "Unauthorized"}
    schemas.check(SEARCH, reply)


def test_jira_log_never_holds_the_site_token(fake):
    import base64
    fake.jira("/users/search")
    fake.jira("/users/search", auth=(SITE_EMAIL, "wrong"))
    log = fake.control("GET", "requests")
    assert [e["headers"]["authorization"] for e in log] == [
        {"scheme": "Basic", "key_ok": True}, {"scheme": "Basic", "key_ok": False}]
    text = json.dumps(log)
    assert SITE_TOKEN not in text
    assert base64.b64encode(f"{SITE_EMAIL}:{SITE_TOKEN}".encode()).decode() not in text
    assert [e["op"] for e in log] == ["getAllUsers", "getAllUsers"]


def test_jira_without_browse_permission_gives_403(fake, schemas):
    fake.control("POST", "config", {"jira_browse_users": False})
    for path, op in (("/users/search", "getAllUsers"), ("/group/bulk", "bulkGetGroups"),
                     ("/group/member?groupname=sales", "getUsersFromGroup")):
        reply = fake.jira(path)
        assert reply.status == 403
        schemas.check(op, reply)
        assert "Browse users and groups" in reply.json()["errorMessages"][0]


def test_jira_fault_bodies_are_error_collections(fake, schemas):
    add_rule(fake, path="/rest/api/3/group/bulk", kind="status", status=500, count=1)
    reply = fake.jira("/group/bulk")
    assert reply.status == 500
    schemas.check("bulkGetGroups", reply)
    fake.control("POST", "ratelimit", {"limit": 1, "window_s": 5})
    assert fake.jira("/group/bulk").status == 200
    reply = fake.jira("/group/bulk")
    assert reply.status == 429 and reply.header("retry-after")
    assert reply.json()["errorMessages"]


# ==== API key with scopes =================================================================
SCOPED_OK = [
    ("getUsers", "GET", "/admin/v1/orgs/{org}/users", None),
    ("getDomains", "GET", "/admin/v1/orgs/{org}/domains", None),
    ("getEvents", "GET", "/admin/v1/orgs/{org}/events", None),
    ("getEventActions", "GET", "/admin/v1/orgs/{org}/event-actions", None),
    ("getDirectoriesForOrg", "GET", "/admin/v2/orgs/{org}/directories", None),
    ("getUserStats", "GET", "/admin/v2/orgs/{org}/directories/-/users/stats", None),
    ("getUserRoleAssignments", "GET",
     f"/admin/v2/orgs/{{org}}/directories/-/users/{JOHN}/role-assignments", None),
    ("getGroups", "GET", "/admin/v2/orgs/{org}/directories/-/groups", None),
    ("queryWorkspacesV2", "POST", "/admin/v2/orgs/{org}/workspaces", {}),
]
SCOPED_REFUSED = [
    (SEARCH, "POST", "/admin/v2/orgs/{org}/directories/-/users/search", {}),
    ("searchDirectoryGroups", "POST", "/admin/v2/orgs/{org}/directories/-/groups/search", {}),
    ("getUserLastActiveDates", "GET",
     f"/admin/v1/orgs/{{org}}/directory/users/{JOHN}/last-active-dates", None),
    ("getDirectoryUsersCount", "GET", "/admin/v2/orgs/{org}/directories/-/users/count", None),
    ("getGroupsCount", "GET", "/admin/v2/orgs/{org}/directories/-/groups/count", None),
    ("getGroupsStats", "GET", "/admin/v2/orgs/{org}/directories/-/groups/stats", None),
]


@pytest.mark.parametrize("op,method,path,body", SCOPED_OK)
def test_scoped_key_reads_scoped_operations(fake, schemas, op, method, path, body):
    reply = fake.api(method, path.format(org=fake.org_id), body, key=f"Bearer {SCOPED_KEY}",
                     content_type="application/json" if body is not None else None)
    assert reply.status == 200, reply.body
    schemas.check(op, reply)
    group = fake.control("GET", "info")["group_ids"]["sales"]
    reply = fake.get(fake.org_path(f"/directories/-/groups/{group}/role-assignments"),
                     key=f"Bearer {SCOPED_KEY}")
    assert reply.status == 200


@pytest.mark.parametrize("op,method,path,body", SCOPED_REFUSED)
def test_scoped_key_refused_where_no_scope_is_named(fake, schemas, op, method, path, body):
    reply = fake.api(method, path.format(org=fake.org_id), body, key=f"Bearer {SCOPED_KEY}",
                     content_type="application/json" if body is not None else None)
    assert reply.status == 403, reply.body
    if "403" in schemas.ops[op]["responses"]:
        schemas.check(op, reply)
    # The spec's NoPermsError (getDomains documents it), every field present.
    no_perms = dict(schemas.response_schema("getDomains", 403), additionalProperties=False,
                    required=["timestamp", "path", "status", "error", "message", "requestId"])
    jsonschema.Draft7Validator(no_perms).validate(reply.json())
    assert reply.json()["path"] == "/api" + path.format(org=fake.org_id)
    assert reply.json()["message"] == "User has no permission to access resource."



def test_scoped_key_refused_by_user_management(fake, schemas):
    for action, op in (("disable", "disableUser"), ("enable", "enableUser"),
                       ("delete", "deleteUser"), ("cancel-delete", "cancelDeleteUser")):
        reply = fake.lifecycle(JOHN, action, key=f"Bearer {SCOPED_KEY}")
        assert reply.status == 403
        schemas.check(op, reply)
        assert reply.json()["key"] == "forbidden" and "manage:org" in reply.json()["context"]
    assert fake.control("GET", f"users/{JOHN}")["accountStatus"] == "active"
    log = fake.control("GET", "requests")
    assert {json.dumps(e["headers"]["authorization"]) for e in log} == {
        json.dumps({"scheme": "Bearer", "key_ok": True, "scoped": True})}
    assert SCOPED_KEY not in json.dumps(log)


def test_scoped_key_unknown_path_is_404_not_403(fake):
    reply = fake.get(fake.org_path("/nothing-here"), key=f"Bearer {SCOPED_KEY}")
    assert reply.status == 404


# ==== control API: ground truth =============================================================
def test_expect_groups_and_managed(fake):
    users = fake.all_users()
    members = members_by_group(fake)
    groups = fake.control("GET", "expect/groups")["groups"]
    info = fake.control("GET", "info")
    assert [g["name"] for g in groups] == [g["name"] for g in info["groups"]]
    for g in groups:
        assert g["members"] == members.get(g["name"], [])
        assert g["count"] == len(g["members"])
        assert g["id"] == info["group_ids"][g["name"]]
    managed = fake.control("GET", "expect/managed")
    assert managed["account_ids"] == [u["accountId"] for u in users
                                      if u["claimStatus"] == "managed"]


def test_info_lists_ids_and_site_login(fake):
    fake.control("GET", "expect/managed")  # waits for the org index
    info = fake.control("GET", "info")
    assert re.fullmatch(r"[0-9a-f-]{36}", info["directory_id"])
    assert len(info["workspaces"]) == 5
    assert info["workspaces"][0]["id"] == info["sites"]["jira"][0]["ari"]
    assert set(info["group_ids"]) == {g["name"] for g in info["groups"]}
    assert info["jira_site"] == {"email": SITE_EMAIL, "default_email": "admin@acme.example",
                                 "default_token": "site-token", "token_is_default": False}
    assert info["api_key_owner"] == ORG_ADMIN
    assert SITE_TOKEN not in json.dumps(info) and API_KEY not in json.dumps(info)
    assert info["index"]["done"] and info["index"]["cached_users"] == 200


def test_config_rejects_bad_jira_flag(fake):
    reply = fake.raw("POST", "/__fake/config", json.dumps({"jira_browse_users": "no"}),
                     {"Content-Type": "application/json"})
    assert reply.status == 400


def test_default_site_credentials(start_fake):
    proc = start_fake(users=30, extra=["--site-token", "site-token"])
    client = proc.client()
    assert client.jira("/users/search", auth=("admin@acme.example", "site-token")).status == 200
    assert client.control("GET", "info")["jira_site"]["token_is_default"] is True


# ==== rendering, speed and exact latency ======================================================
def test_cached_rendering_equals_the_dict_renderer():
    import itertools
    from org import Org
    from render import user_v2
    from usercache import EXPANDS, UserCache, expand_mask
    org = Org(3, 400, "acme-org", 1_790_000_000.5)
    cache = UserCache(org, 10**8)
    org.set_account_status(org.user(1), active=False)
    for i in range(400):
        user = org.user(i)
        for n in range(5):
            for combo in itertools.combinations(EXPANDS, n):
                # Byte for byte: fault tests cut bodies at fixed offsets.
                got = cache.render(i, org.state(user), expand_mask(combo))
                assert got == json.dumps(user_v2(org, user, combo)).encode()


def test_cached_pages_are_fast(start_fake):
    proc = start_fake(users=20000)
    client = proc.client()
    deadline = time.monotonic() + 30
    while not client.control("GET", "info")["index"]["done"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    client.control("POST", "reset")
    body = {"limit": 100, "expand": ALL_EXPANDS}
    for _ in range(150):
        page = client.search(body).json()
        body = {"cursor": page["links"]["next"]}
    ms = sorted(e["ms"] for e in client.control("GET", "requests"))
    assert ms[len(ms) // 2] < 2.0, ms[len(ms) // 2]  # typically ~0.25 ms


def test_latency_fault_adds_exactly_its_delay(fake):
    def timed():
        t0 = time.perf_counter()
        assert fake.get(fake.org_path("/directories")).status == 200
        return time.perf_counter() - t0
    base = min(timed() for _ in range(5))
    add_rule(fake, path="/directories$", kind="latency", ms=20, count=5)
    delayed = sorted(timed() for _ in range(5))
    assert all(d >= 0.020 for d in delayed)
    assert delayed[2] - base < 0.020 + 0.006, (base, delayed)


# ==== check_requests.py on the new operations ================================================
def test_check_requests_accepts_the_new_operations(fake, schemas):
    info = fake.control("GET", "info")
    fake.get(fake.org_path("/users", "v1"))
    fake.get(fake.org_path(f"/directory/users/{JOHN}/last-active-dates", "v1"))
    fake.get(fake.org_path("/domains", "v1"))
    fake.get(fake.org_path("/events", "v1"),
             {"limit": 10, "from": "0", "product": "jira,confluence"})
    fake.get(fake.org_path("/event-actions", "v1"))
    fake.get(fake.org_path("/directories"), {"limit": 5})
    fake.get(fake.org_path("/directories/-/users/count"), {"status": ["active", "suspended"],
                                                           "mfaEnabled": "true"})
    fake.get(fake.org_path("/directories/-/users/stats"))
    fake.get(fake.org_path(f"/directories/-/users/{JOHN}/role-assignments"), {"limit": 2})
    groups_search(fake, {"limit": 5, "expand": ["counts.users"]})
    fake.get(fake.org_path("/directories/-/groups"), {"includeUsers": "true", "limit": 3})
    fake.get(fake.org_path("/directories/-/groups/count"))
    fake.get(fake.org_path("/directories/-/groups/stats"))
    gid = info["group_ids"]["sales"]
    fake.get(fake.org_path(f"/directories/-/groups/{gid}"))
    fake.get(fake.org_path(f"/directories/-/groups/{gid}/role-assignments"))
    workspaces(fake, {"limit": 2, "query": {"and": [{"searchWorkspaces": "acme"}]}})
    fake.jira("/users/search", {"maxResults": 10})
    fake.jira("/group/bulk", {"groupName": ["sales", "legal"]})
    fake.jira("/group/member", {"groupId": gid, "includeInactiveUsers": "true"})
    log = fake.control("GET", "requests")
    assert [e["op"] for e in log][12:15] == ["getGroupsStats", "getGroup",
                                             "getGroupRoleAssignments"]
    result = run_check(log, "--require-key-ok")
    assert result.returncode == 0, result.stdout
    assert result.stdout.decode().strip().endswith(f"requests checked: {len(log)}, violations: 0")


@pytest.mark.parametrize("send,needle", [
    (lambda f: f.get(f.org_path("/users", "v1"), {"limit": 50}),
     "undeclared query parameter limit"),
    (lambda f: f.get(f.org_path("/directories/-/groups"), {"limit": 500}), "500 is greater"),
    (lambda f: f.get(f.org_path("/events", "v1"), {"product": "trello"}), "is not one of"),
    (lambda f: f.get(f.org_path("/directories/-/users/count"), {"mfaEnabled": "yes"}),
     "mfaEnabled"),
    (lambda f: f.jira("/users/search", auth=f"Bearer {API_KEY}"), "not Basic"),
    (lambda f: f.get(f.org_path("/domains", "v1"), key=basic(SITE_EMAIL, SITE_TOKEN)),
     "not Bearer"),
    (lambda f: workspaces(f, {"limit": 5000}), "5000 is greater"),
    (lambda f: groups_search(f, {"expand": ["counts.members"]}), "counts.members"),
])
def test_check_requests_catches_bad_new_requests(fake, send, needle):
    send(fake)
    result = run_check(fake.control("GET", "requests"))
    assert result.returncode == 1
    assert needle in result.stdout.decode(), result.stdout.decode()


def test_warm_wait_indexes_before_the_port_file(start_fake):
    proc = start_fake(users=3000, extra=["--warm", "wait"])
    index = proc.client().control("GET", "info")["index"]
    assert index["done"] and index["cached_users"] == 3000


def test_users_slices_partition_the_directory(fake, schemas):
    """status x claimStatus x mfaEnabled: every user in exactly one slice, and
    each slice's count is its search's size (what atl_users_sliced() proves)."""
    path = fake.org_path("/directories/-/users/count")
    total = fake.get(path).json()["count"]
    seen = []
    for status in ("active", "suspended", "not_invited", "deactivated", "for_deletion"):
        for claim in ("managed", "unmanaged"):
            for mfa in (True, False):
                reply = fake.get(path, {"status": status, "claimStatus": claim,
                                        "mfaEnabled": str(mfa).lower()})
                schemas.check("getDirectoryUsersCount", reply)
                got, _ = fake.search_all({"status": [status], "claimStatus": claim,
                                          "mfaEnabled": mfa})
                assert reply.json() == {"count": len(got)}
                seen += [u["accountId"] for u in got]
    assert len(seen) == len(set(seen)) == total


def test_fault_query_matches_exactly(fake):
    path = fake.org_path("/directories/-/users/count")
    real = fake.get(path, {"claimStatus": "managed"}).json()["count"]
    add_rule(fake, path="users/count", query={"claimStatus": "managed"}, kind="status",
             status=200, body={"count": real + 1})
    assert fake.get(path, {"claimStatus": "managed"}).json() == {"count": real + 1}
    assert fake.get(path, {"claimStatus": "managed", "mfaEnabled": "true"}).json()["count"] < real
    assert fake.get(path).json()["count"] > real + 1
