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

from conftest import API_KEY, HERE, OPERATIONS_PATH, PYTHON

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
    assert set(schemas.ops) == {SEARCH, "disableUser", "enableUser", "deleteUser",
                                "cancelDeleteUser"}
    search = schemas.ops[SEARCH]
    assert search["path"] == "/admin/v2/orgs/{orgId}/directories/{directoryId}/users/search"
    assert schemas.ops["disableUser"]["path"] == "/users/{account_id}/manage/lifecycle/disable"
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
    small = start_fake(users=10000)
    assert small.startup_s < 1.0
    big = start_fake(users=1_000_000)
    assert big.startup_s < 5
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
