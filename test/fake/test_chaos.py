"""Chaos mode (chaos.py): mutated answers, switched on and off by the control API."""

import json
import os
import re
import subprocess
from urllib.parse import quote, urlsplit

import pytest

from chaos import MUTATIONS
from conftest import HERE, PYTHON
from http_types import decode_json

JOHN = "712020:978521a6-2367-4092-a7f6-7cc1b9043bdd"         # managed, active
UNKNOWN = "557057:00000000-0000-4000-8000-000000000000"
FAKECTL = os.path.join(HERE, "..", "fakectl.py")


def chaos(fake, **spec):
    return fake.control("POST", "chaos", spec)


def search(fake, body=None):
    return fake.search(dict({"limit": 5}, **(body or {})))


def last_record(fake):
    return fake.control("GET", "chaos/log")["records"][-1]


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


# ---- switching it on and off -----------------------------------------------------------
def test_off_by_default_and_after_reset(fake):
    assert fake.control("GET", "chaos")["on"] is False
    plain = search(fake).body
    chaos(fake, rate=1, seed=1)
    assert fake.control("GET", "chaos")["on"] is True
    assert search(fake).body != plain
    fake.control("POST", "reset")
    shown = fake.control("GET", "chaos")
    assert shown["on"] is False and shown["mutated"] == 0
    assert search(fake).body == plain


def test_off_keeps_the_counters(fake):
    chaos(fake, rate=1, seed=1, mutations=["empty_200"])
    search(fake)
    search(fake)
    shown = fake.control("DELETE", "chaos")
    assert shown["on"] is False
    assert shown["mutated"] == 2 and shown["by_mutation"] == {"empty_200": 2}
    assert search(fake).json()["data"]


@pytest.mark.parametrize("spec,needle", [
    ({"rate": 1.5}, "rate"),
    ({"rate": "half"}, "rate"),
    ({"seed": -1}, "seed"),
    ({"mutations": ["no_such_thing"]}, "unknown mutations"),
    ({"mutations": []}, "mutations"),
    ({"mutations": {"truncate": 0}}, "weight above 0"),
    ({"mutations": {"truncate": -1}}, "weights"),
    ({"path": "("}, "regex"),
    ({"rates": 1}, "unknown chaos keys"),
])
def test_bad_specs_are_refused(fake, spec, needle):
    reply = fake.raw("POST", "/__fake/chaos", json.dumps(spec),
                     {"Content-Type": "application/json"})
    assert reply.status == 400 and needle in reply.json()["error"]
    assert fake.control("GET", "chaos")["on"] is False


def test_fakectl_switches_it(fake, fake_proc):
    env = dict(os.environ, FAKE_URL=f"http://127.0.0.1:{fake_proc.port}")
    env.pop("ATLORG_REQUEST_LOG", None)

    def ctl(*args):
        return subprocess.run([PYTHON, FAKECTL, *args], env=env, capture_output=True,
                              text=True, timeout=30)
    assert ctl("chaos", '{"rate": 1, "seed": 2, "mutations": ["empty_200"]}').returncode == 0
    assert search(fake).body == b""
    stats = json.loads(ctl("chaos-stats").stdout)
    assert stats["on"] and stats["by_mutation"] == {"empty_200": 1}
    records = [json.loads(line) for line in ctl("chaos-log").stdout.splitlines()]
    assert [r["mutation"] for r in records] == ["empty_200"]
    assert ctl("chaos-log", str(records[-1]["seq"])).stdout == ""
    refused = ctl("chaos", '{"rate": 2}')
    assert refused.returncode != 0 and "rate" in refused.stderr
    assert ctl("chaos-off").returncode == 0
    assert search(fake).json()["data"]


# ---- each mutation ---------------------------------------------------------------------
def mutated_search(fake, name, seed=3):
    """users/search, plain and with the one mutation."""
    plain = search(fake)
    chaos(fake, rate=1, seed=seed, mutations=[name])
    reply = search(fake)
    fake.control("DELETE", "chaos")
    return plain, reply, last_record(fake)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_escape_nul(fake, seed):
    _, reply, rec = mutated_search(fake, "escape_nul", seed)
    assert b"\\u0000" in reply.body and rec["mutation"] == "escape_nul"
    assert any("\x00" in s for s in strings(reply.json()))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_escape_surrogate(fake, seed):
    _, reply, _ = mutated_search(fake, "escape_surrogate", seed)
    assert re.search(rb"\\u[dD][89abAB]|\\u[dD][c-fC-F]", reply.body)
    reply.json()   # Python's parser takes lone surrogates; PostgreSQL's does not


@pytest.mark.parametrize("seed", range(6))
def test_escape_invalid_is_not_json(fake, seed):
    _, reply, rec = mutated_search(fake, "escape_invalid", seed)
    assert decode_json(reply.body) == (False, None), rec


@pytest.mark.parametrize("seed", range(6))
def test_number_overflow(fake, seed):
    plain, reply, rec = mutated_search(fake, "number_overflow", seed)
    assert re.search(rb"[0-9]e[+-]?[0-9]{3,}", reply.body, re.I)
    assert re.search(r"in place of the (number|string) at \$", rec["detail"])


def test_number_digits_hit_numbers_and_strings(fake):
    seen = set()
    for seed in range(20):
        chaos(fake, rate=1, seed=seed, mutations=["number_digits"])
        reply = fake.get(fake.org_path("/users", "v1"))     # meta.total is a number
        rec = last_record(fake)
        assert re.search(rb"-?[0-9]{19,}", reply.body)
        seen.add(re.search(r"the (number|string) at", rec["detail"]).group(1))
    assert seen == {"number", "string"}


def test_deep_nesting(fake):
    styles = set()
    for seed in range(12):
        _, reply, rec = mutated_search(fake, "deep_nesting", seed)
        assert b"[" * 100_000 in reply.body or b'{"a":' * 100_000 in reply.body
        styles.add(rec["detail"].split(" levels of ")[1].split(" ")[0])
        ok, _ = decode_json(reply.body)
        assert not ok   # too deep for Python's parser as well
    assert styles == {"arrays", "arrays-unclosed", "objects"}


@pytest.mark.parametrize("seed", range(4))
def test_truncate_cuts_the_real_body(fake, seed):
    plain, reply, rec = mutated_search(fake, "truncate", seed)
    assert 0 < len(reply.body) < len(plain.body)
    assert plain.body.startswith(reply.body)
    assert reply.header("content-length") == str(len(reply.body))


def test_wrong_type(fake):
    kinds = set()
    for seed in range(30):
        plain, reply, rec = mutated_search(fake, "wrong_type", seed)
        assert reply.status == 200
        assert json.dumps(reply.json(), sort_keys=True) != json.dumps(plain.json(), sort_keys=True)
        kinds.add(rec["detail"].split(" ")[0])
    # strings, arrays and objects where other things were, null items
    assert {"string", "object", "null", "number"} <= kinds


def test_wrong_content_type(fake):
    seen = set()
    for seed in range(10):
        _, reply, rec = mutated_search(fake, "wrong_content_type", seed)
        assert reply.status == 200 and reply.header("content-type").startswith("text/html")
        seen.add(reply.body.startswith(b"<!DOCTYPE html>"))
    assert seen == {True, False}


def test_empty_200(fake):
    _, reply, _ = mutated_search(fake, "empty_200")
    assert reply.status == 200 and reply.body == b""
    assert reply.header("content-length") == "0"


@pytest.mark.parametrize("seed", range(6))
def test_invalid_utf8(fake, seed):
    _, reply, _ = mutated_search(fake, "invalid_utf8", seed)
    with pytest.raises(UnicodeDecodeError):
        reply.body.decode("utf-8")


def test_huge_body_is_valid_json(fake):
    for seed in range(3):
        plain, reply, rec = mutated_search(fake, "huge_body", seed)
        assert 2_000_000 <= len(reply.body) <= 5_500_000
        assert reply.json()


# ---- repeated cursors ------------------------------------------------------------------
def test_repeated_cursor_loops_on_a_body_cursor(fake):
    chaos(fake, rate=1, seed=1, mutations=["repeated_cursor"])
    first = search(fake)
    token = first.json()["links"]["next"]
    chaos(fake, rate=0, seed=1)           # the loop stays whatever the rate
    for _ in range(5):
        again = fake.search({"cursor": token})
        assert again.status == 200 and again.body == first.body
    shown = fake.control("GET", "chaos")
    assert shown["replays"] == 5 and shown["loops"] == 1
    assert shown["by_mutation"] == {"repeated_cursor": 6}
    assert last_record(fake)["detail"].endswith("the same page again")
    fake.control("DELETE", "chaos")
    assert fake.search({"cursor": token}).status == 400   # not a cursor of the fake's


def test_repeated_cursor_loops_on_a_v1_url(fake):
    path = fake.org_path("/users", "v1")
    first = fake.get(path)
    assert first.json()["links"].get("next"), "the v1 list has a second page"
    chaos(fake, rate=1, seed=4, mutations=["repeated_cursor"])
    page = fake.get(path).json()
    nxt = page["links"]["next"]
    assert urlsplit(nxt).path == path and "cursor=" in nxt
    for _ in range(3):
        again = fake.follow(nxt).json()
        assert again == page
    assert page["data"] == first.json()["data"]


def test_repeated_cursor_on_jira_pages(fake):
    chaos(fake, rate=1, seed=1, mutations=["repeated_cursor"])
    reply = fake.jira("/group/bulk", {"maxResults": 2})
    page = reply.json()
    assert page["isLast"] is False and page["nextPage"] == page["self"]
    assert "startAt=0" in page["self"]


def test_repeated_cursor_falls_back_when_there_is_no_page(fake):
    chaos(fake, rate=1, seed=1, mutations={"repeated_cursor": 5, "empty_200": 1})
    reply = fake.get(fake.org_path("/directories"))   # v2 list: has links
    assert fake.control("GET", "chaos")["by_mutation"] == {"repeated_cursor": 1}
    reply = fake.get(fake.org_path("/directories/-/users/count"))   # no links
    assert reply.body == b""
    assert fake.control("GET", "chaos")["by_mutation"]["empty_200"] == 1


# ---- which answers ---------------------------------------------------------------------
def test_error_answers_are_mutated_too(fake):
    chaos(fake, rate=1, seed=1, mutations=["escape_nul"])
    reply = fake.lifecycle(UNKNOWN, "disable")
    assert reply.status == 404 and b"\\u0000" in reply.body
    rec = last_record(fake)
    assert rec["status"] == 404 and rec["sent_status"] == 404


def test_a_204_goes_out_as_200_with_a_body(fake):
    chaos(fake, rate=1, seed=1, mutations=["escape_nul"])
    reply = fake.api("POST", fake.org_path(f"/directories/-/users/{quote(JOHN)}/suspend"))
    assert reply.status == 200 and b"\\u0000" in reply.body
    rec = last_record(fake)
    assert rec["status"] == 204 and rec["sent_status"] == 200
    # the service did act
    assert fake.control("GET", f"users/{quote(JOHN, safe='')}")["membershipStatus"] == "suspended"


def test_a_body_that_is_not_json(fake):
    chaos(fake, rate=1, seed=1, mutations=["escape_nul"])
    reply = fake.jira("/users/search", auth=None)        # text/plain 401
    assert reply.status == 401 and reply.body.startswith(b"Client must be")
    assert fake.control("GET", "chaos")["mutated"] == 0
    chaos(fake, rate=1, seed=1, mutations=["truncate"])
    reply = fake.jira("/users/search", auth=None)
    assert reply.status == 401 and b"Client must be authenticated".startswith(reply.body[:10])
    assert len(reply.body) < len(b"Client must be authenticated to access this resource.")


def test_path_and_method_filters(fake):
    chaos(fake, rate=1, seed=1, mutations=["empty_200"], path="/groups", method="GET")
    assert search(fake).json()["data"]
    assert fake.get(fake.org_path("/directories/-/groups")).body == b""
    assert fake.api("POST", fake.org_path("/directories/-/groups/search"), {}).json()
    # the control API is never mutated
    assert fake.control("GET", "info")["org_id"]


def test_the_request_log_names_each_mutation(fake):
    chaos(fake, rate=0.5, seed=11)
    for _ in range(30):
        search(fake)
    log = fake.control("GET", "requests")
    records = {r["seq"]: r for r in fake.control("GET", "chaos/log")["records"]}
    mutated = [e for e in log if e["chaos"]]
    assert len(mutated) == len(records) == fake.control("GET", "chaos")["mutated"]
    for entry in mutated:
        rec = records[entry["chaos"]["seq"]]
        assert entry["chaos"]["mutation"] == rec["mutation"] in MUTATIONS
        assert entry["status"] == rec["sent_status"]
    assert all(e["chaos"] is None for e in log if not e["chaos"])


# ---- rate and determinism --------------------------------------------------------------
def run_sequence(fake, seed, n=200):
    fake.control("POST", "reset")
    chaos(fake, rate=0.5, seed=seed)
    for _ in range(n):
        fake.get(fake.org_path("/directories"))
    return [(r["mutation"], r["detail"]) for r in fake.control("GET", "chaos/log")["records"]]


def test_rate_and_seed_make_it_deterministic(fake):
    first = run_sequence(fake, 7)
    assert 70 <= len(first) <= 130
    assert run_sequence(fake, 7) == first
    assert run_sequence(fake, 8) != first
    assert len({name for name, _ in first}) >= 10


def test_weights(fake):
    chaos(fake, rate=1, seed=5, mutations={"empty_200": 9, "truncate": 1})
    for _ in range(100):
        search(fake)
    counts = fake.control("GET", "chaos")["by_mutation"]
    assert counts["empty_200"] > 3 * counts["truncate"] > 0


def test_every_mutation_keeps_the_server_serving(fake):
    """Every mutation on every kind of answer the fake gives; then it still answers."""
    chaos(fake, rate=1, seed=9)
    for seed in range(3):
        for name in MUTATIONS:
            chaos(fake, rate=1, seed=seed, mutations=[name])
            search(fake)
            fake.get(fake.org_path("/users", "v1"))
            fake.get(fake.org_path("/events", "v1"))
            fake.lifecycle(UNKNOWN, "enable")
            fake.jira("/users/search", {"maxResults": 5})
            fake.jira("/group/bulk", {"maxResults": 5})
    fake.control("DELETE", "chaos")
    assert search(fake).status == 200
