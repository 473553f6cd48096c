"""The control API for product access (control_access.py, export_users.py):
/__fake/expect/access, /__fake/users/{id}/activity, /__fake/export/users.csv,
and the fakectl.py commands that call them."""

import csv
import io
import json
import os
import subprocess
import time

import pytest

from access_helpers import (JOHN, ORG_ADMIN, SUSPENDED, TWO_SITES, access, epoch_of, held,
                            info, role, search_one, sites)
from conftest import HERE, PYTHON

FAKECTL = os.path.join(HERE, "..", "fakectl.py")
USER, ADMIN = "atlassian/user", "atlassian/admin"
META = ["User id", "User name", "email", "User status", "Added to org", "Org role"]
APPS = ["Jira Software", "Confluence", "Jira Service Management", "Jira Work Management"]
ACCESS_COLS = [f"{app} - {site}" for site in ("acme", "acme-labs") for app in APPS]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def day(iso):
    """`3 Jan 2024`: the UTC day of an ISO timestamp, as the export writes dates."""
    y, m, d = time.gmtime(epoch_of(iso))[:3]
    return f"{d} {MONTHS[m - 1]} {y}"


# ---- expect/access ------------------------------------------------------------------
def test_expect_access_of_a_user(fake):
    s = sites(fake)
    john = access(fake, JOHN)
    v2 = {p["id"] + p["key"]: p.get("lastActiveTimestamp")
          for p in search_one(fake, JOHN)["productAccess"]}
    assert [{k: a[k] for k in ("product", "site", "resource", "role", "direct", "groups")}
            for a in john] == [
        {"product": "jira-software", "site": "acme", "resource": s["jira A"], "role": USER,
         "direct": False, "groups": ["jira-software-users"]},
        {"product": "confluence", "site": "acme", "resource": s["conf A"], "role": USER,
         "direct": False, "groups": ["confluence-users"]}]
    assert [a["last_active"] for a in john] == list(v2.values())
    assert {a["account_id"] for a in john} == {JOHN}
    every = fake.control("GET", "expect/access")
    assert every["count"] == len(every["access"]) > 200
    confluence = access(fake, product="confluence")
    assert confluence and {a["product"] for a in confluence} == {"confluence"}
    assert fake.control("GET", "expect/access?account_id=nobody") == {"count": 0, "access": []}


# ---- activity ------------------------------------------------------------------------
def test_set_and_clear_activity(fake, schemas):
    s = sites(fake)
    where = ("jira-software", s["jira A"])
    reply = fake.control("POST", f"users/{JOHN}/activity", {
        "product": "jira-software", "site": "acme", "last_active": "2024-01-03T10:00:00Z"})
    assert reply == {"account_id": JOHN, "product": "jira-software", "site": "acme",
                     "resource": s["jira A"], "last_active": "2024-01-03T10:00:00.000000000Z"}
    assert held(fake, JOHN)[where]["last_active"] == "2024-01-03T10:00:00.000000000Z"
    entry = next(p for p in search_one(fake, JOHN)["productAccess"] if p["id"] == s["jira A"])
    assert entry["lastActiveTimestamp"] == "2024-01-03T10:00:00.000000000Z"
    last = fake.get(fake.org_path(f"/directory/users/{JOHN}/last-active-dates", "v1"))
    schemas.check("getUserLastActiveDates", last)
    assert {"id": s["jira A"], "key": "jira-software", "last_active": "2024-01-03",
            "last_active_timestamp": "2024-01-03T10:00:00Z"} in \
        last.json()["data"]["product_access"]
    recent = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 3 * 86400))
    fake.control("POST", f"users/{JOHN}/activity",
                 {"product": "jira-software", "site": s["jira A"], "last_active": recent})
    inactive = fake.control("GET", "expect/inactive?product=jira-software&days=90")
    assert JOHN not in inactive["account_ids"]
    fake.control("POST", f"users/{JOHN}/activity",
                 {"product": "jira-software", "site": "acme", "last_active": None})
    assert held(fake, JOHN)[where]["last_active"] is None
    entry = next(p for p in search_one(fake, JOHN)["productAccess"] if p["id"] == s["jira A"])
    assert "lastActiveTimestamp" not in entry
    assert JOHN in fake.control("GET", "expect/inactive?product=jira-software&days=90")[
        "account_ids"]


def test_activity_without_access_shows_once_access_is_granted(fake):
    s = sites(fake)
    fake.control("POST", f"users/{JOHN}/activity", {
        "product": "jira-software", "site": "acme-labs", "last_active": "2025-06-01T00:00:00Z"})
    assert ("jira-software", s["jira B"]) not in held(fake, JOHN)
    assert role(fake, JOHN, "assign", {"role": USER, "resource": s["jira B"]}).status == 204
    assert held(fake, JOHN)[("jira-software", s["jira B"])]["last_active"].startswith(
        "2025-06-01T00:00:00")


@pytest.mark.parametrize("account,body,status", [
    ("557057:00000000-0000-4000-8000-000000000000",
     {"product": "jira-software", "site": "acme", "last_active": None}, 404),
    (JOHN, {"product": "bitbucket", "site": "acme", "last_active": None}, 400),
    (JOHN, {"product": "confluence", "site": "elsewhere", "last_active": None}, 400),
    (JOHN, {"product": "jira-software", "site": "acme", "last_active": "yesterday"}, 400),
    (JOHN, {"product": "jira-software", "site": "acme", "last_active": "2024-01-03"}, 400),
    (JOHN, {"product": "jira-software", "site": "acme"}, 400),
])
def test_activity_refusals(fake, account, body, status):
    before = access(fake)
    reply = fake.raw("POST", f"/__fake/users/{account}/activity", json.dumps(body),
                     {"Content-Type": "application/json"})
    assert reply.status == status and "error" in reply.json()
    assert access(fake) == before


# ---- the users export ------------------------------------------------------------------
def export(fake):
    reply = fake.raw("GET", "/__fake/export/users.csv")
    assert reply.status == 200
    assert reply.header("content-type") == "text/csv; charset=utf-8"
    return reply.body


def test_export_users_header_and_rows(fake):
    body = export(fake).decode("utf-8")
    assert body.startswith(",".join(META + ACCESS_COLS + ["Last seen in " + c
                                                          for c in ACCESS_COLS]) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(body)))
    users = {u["accountId"]: u for u in fake.all_users()}
    members = [a for a, u in users.items() if u["membershipStatus"] != "no_membership"]
    assert [r["User id"] for r in rows] == members
    words = {"active": "Active", "suspended": "Suspended", "deactivated": "Deactivated",
             "for_deletion": "Deactivated"}
    truth = {}
    for a in access(fake):
        truth[(a["account_id"], APPS[["jira-software", "confluence", "jira-servicedesk",
                                      "jira-core"].index(a["product"])] + " - " + a["site"])] = a
    for r in rows:
        user = users[r["User id"]]
        assert (r["User name"], r["email"], r["User status"], r["Added to org"]) == \
            (user["name"], user["email"], words[user["status"]], day(user["addedToOrg"]))
        for col in ACCESS_COLS:
            a = truth.get((r["User id"], col))
            seen = r["Last seen in " + col]
            if a is None:
                assert (r[col], seen) == ("", "")
            else:
                assert r[col] == ("Admin" if a["role"] == ADMIN else "User")
                assert seen == (day(a["last_active"]) if a["last_active"] else "Never accessed")
    mia = next(r for r in rows if r["User id"] == ORG_ADMIN)
    assert (mia["Org role"], mia["Jira Service Management - acme"],
            mia["Last seen in Jira Service Management - acme"]) == \
        ("Organization admin", "Admin", "Never accessed")
    sue = next(r for r in rows if r["User id"] == SUSPENDED)
    assert sue["User status"] == "Suspended"


def test_export_users_follows_writes(fake):
    s = sites(fake)
    assert role(fake, JOHN, "assign", {"role": ADMIN, "resource": s["jira B"]}).status == 204
    fake.control("POST", f"users/{JOHN}/activity", {
        "product": "jira-software", "site": "acme-labs", "last_active": "2024-01-03T23:59:59Z"})
    rows = {r["User id"]: r for r in csv.DictReader(io.StringIO(export(fake).decode()))}
    assert (rows[JOHN]["Jira Software - acme-labs"],
            rows[JOHN]["Last seen in Jira Software - acme-labs"]) == ("Admin", "3 Jan 2024")
    assert rows[TWO_SITES]["Jira Software - acme-labs"] == "User"


# ---- fakectl ---------------------------------------------------------------------------
def fakectl(fake, *args):
    env = dict(os.environ, FAKE_URL=f"http://127.0.0.1:{fake.port}")
    return subprocess.run([PYTHON, FAKECTL, *args], env=env, capture_output=True, timeout=60)


def test_fakectl_access_activity_export(fake):
    out = fakectl(fake, "access", JOHN)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert lines == access(fake, JOHN)
    every = fakectl(fake, "access").stdout.decode().splitlines()
    assert len(every) == fake.control("GET", "expect/access")["count"]
    assert fakectl(fake, "activity", JOHN, "confluence", "acme", "2024-02-29T12:00:00Z"
                   ).returncode == 0
    conf = held(fake, JOHN)[("confluence", sites(fake)["conf A"])]
    assert conf["last_active"] == "2024-02-29T12:00:00.000000000Z"
    assert fakectl(fake, "activity", JOHN, "confluence", "acme", "null").returncode == 0
    assert held(fake, JOHN)[("confluence", sites(fake)["conf A"])]["last_active"] is None
    refused = fakectl(fake, "activity", JOHN, "confluence", "nowhere", "null")
    assert refused.returncode != 0 and b"activity refused" in refused.stderr
    csv_out = fakectl(fake, "export-users")
    assert csv_out.returncode == 0 and csv_out.stdout == export(fake)
    assert info(fake)["users"] == 200
