"""The fault rules that send what a JSON encoder cannot: exact bytes, deep
nesting, garbage headers (faults.py).  atlorg's limits tests use them."""

import json
import time

import pytest

JOHN = "712020:978521a6-2367-4092-a7f6-7cc1b9043bdd"


def add_rule(fake, **rule):
    reply = fake.raw("POST", "/__fake/faults", json.dumps({"rules": [rule]}),
                     {"Content-Type": "application/json"})
    assert reply.status == 200, reply.body


def test_raw_body_is_sent_byte_for_byte(fake):
    add_rule(fake, path="/users/search", kind="status", status=200,
             raw=['{"data": [], "note": "', ["\u00e9", 3], '\\u0000"}'], count=1)
    reply = fake.search({})
    assert reply.status == 200
    assert reply.body == '{"data": [], "note": "\u00e9\u00e9\u00e9\\u0000"}'.encode()
    assert int(reply.header("content-length")) == len(reply.body)


def test_raw_latin1_sends_invalid_utf8(fake):
    add_rule(fake, path="lifecycle", kind="status", status=403,
             raw=['{"key": "forbidden", "context": "caf\u00c3 \u00ff"}'], encoding="latin-1",
             count=1)
    reply = fake.lifecycle(JOHN, "disable")
    assert reply.status == 403
    assert reply.body == b'{"key": "forbidden", "context": "caf\xc3 \xff"}'
    with pytest.raises(UnicodeDecodeError):
        reply.body.decode("utf-8")


def test_nest_wraps_in_arrays(fake):
    add_rule(fake, path="/users/search", kind="status", status=200, nest=5000, count=1)
    reply = fake.search({})
    assert reply.body == b"[" * 5000 + b"]" * 5000


def test_retry_after_may_be_any_text(fake):
    add_rule(fake, path="lifecycle", kind="status", status=503, retry_after="soon", count=1)
    add_rule(fake, path="lifecycle", kind="ratelimit429", retry_after="-5", count=1)
    assert fake.lifecycle(JOHN, "disable").header("retry-after") == "soon"
    assert fake.lifecycle(JOHN, "disable").header("retry-after") == "-5"


def test_status_rule_may_answer_late(fake):
    add_rule(fake, path="/users/search", kind="status", status=200, body={"data": []},
             ms=300, count=1)
    started = time.monotonic()
    reply = fake.search({})
    assert reply.status == 200 and time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert fake.search({}).status == 200 and time.monotonic() - started < 0.3


@pytest.mark.parametrize("rule", [
    {"path": ".", "kind": "status", "status": 200, "raw": "not a list"},
    {"path": ".", "kind": "status", "status": 200, "raw": [["x", -1]]},
    {"path": ".", "kind": "status", "status": 200, "raw": ["x"], "body": {}},
    {"path": ".", "kind": "status", "status": 200, "raw": ["\u4e2d"], "encoding": "latin-1"},
    {"path": ".", "kind": "status", "status": 200, "raw": ["x"], "encoding": "utf-16"},
    {"path": ".", "kind": "status", "status": 200, "nest": -1},
])
def test_bad_raw_rules_are_refused(fake, rule):
    reply = fake.raw("POST", "/__fake/faults", json.dumps({"rules": [rule]}),
                     {"Content-Type": "application/json"})
    assert reply.status == 400
    assert fake.control("GET", "faults")["rules"] == []
