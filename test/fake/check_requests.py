#!/usr/bin/python3
"""Check a fake request log against the extracted OpenAPI operations.

  /usr/bin/python3 test/fake/check_requests.py [LOG.json] [--schemas operations.json]
                                               [--require-key-ok]

LOG is the JSON array from GET /__fake/requests (a file, or stdin when
omitted or "-").  Every entry outside /__fake/ is checked for:
  - a (method, path) that matches an operation's wire path template, with
    path parameters (URL-decoded) matching their schema pattern in full;
  - an Authorization header logged as {"scheme": "Bearer", ...}; a raw
    header value in the log is itself a violation.  Whether the key matched
    is only checked with --require-key-ok, since test suites send a wrong
    key on purpose to exercise the 401 path;
  - when a body was sent: Content-Type application/json, a JSON body, and
    that body valid against the operation's request-body schema, with
    undeclared properties refused (the real search API answers 400 to them).
    Operations without a request body may carry {} (clients commonly send it).
Prints one line per violation and then "requests checked: N, violations: M".
Exit status 1 when M > 0 or N == 0.

Independent of the fake's code on purpose: it reads only the log and the
schemas, so a fake bug cannot hide a client bug.
"""

import argparse
import copy
import json
import os
import re
import sys
from urllib.parse import unquote

import jsonschema

DEFAULT_SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "..", "schemas", "operations.json")


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Validate a fake request log against operations.json")
    ap.add_argument("log", nargs="?", default="-")
    ap.add_argument("--schemas", default=DEFAULT_SCHEMAS)
    ap.add_argument("--require-key-ok", action="store_true",
                    help="also flag Bearer tokens that were not the fake's API key")
    return ap.parse_args(argv)


def template_regex(path):
    """'/users/{account_id}/x' -> ^/users/(?P<account_id>[^/]+)/x$"""
    parts = re.split(r"\{([^}]+)\}", path)
    out = ""
    for i, part in enumerate(parts):
        out += re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)"
    return re.compile(f"^{out}$")


def strict(schema):
    """Copy of schema where objects with declared properties refuse others."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    return schema


class Operation:
    def __init__(self, spec):
        self.spec = spec
        self.name = spec["name"]
        self.method = spec["method"].upper()
        self.regex = template_regex(spec["path"])
        body = spec.get("request_body") or {}
        self.body_schema = body.get("schema")
        self.validator = (jsonschema.Draft7Validator(strict(self.body_schema))
                          if self.body_schema else None)

    def param_problems(self, match):
        out = []
        for name, value in match.groupdict().items():
            schema = self.spec["parameters"].get(name, {}).get("schema", {})
            pattern = schema.get("pattern")
            if pattern and not re.fullmatch(pattern, unquote(value)):
                out.append(f"path parameter {name}={unquote(value)!r} does not match {pattern}")
        return out


def find_operation(ops, method, path):
    for op in ops:
        match = op.regex.match(path)
        if match and op.method == method:
            return op, match
    return None, None


def auth_problems(headers, require_key_ok):
    auth = headers.get("authorization")
    if auth is None:
        return ["no Authorization header"]
    if not isinstance(auth, dict):
        return ["Authorization header value was logged (the key must never be logged)"]
    if str(auth.get("scheme", "")).lower() != "bearer":
        return [f"Authorization scheme is {auth.get('scheme')!r}, not Bearer"]
    if require_key_ok and not auth.get("key_ok"):
        return ["Bearer token is not the configured API key"]
    return []


def body_problems(op, entry):
    body, sent = entry.get("body"), entry.get("body_len", 0) > 0 or entry.get("body") is not None
    if not sent:
        return []
    media = entry.get("headers", {}).get("content-type", "").split(";")[0].strip().lower()
    out = [] if media == "application/json" else [f"body sent with Content-Type {media or 'missing'!r}"]
    if isinstance(body, str):
        return out + ["body is not JSON"]
    if op.validator is None:
        return out if body == {} else out + ["operation takes no request body"]
    for err in sorted(op.validator.iter_errors(body), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "(body)"
        out.append(f"body {where}: {err.message}")
    return out


def check_entry(ops, entry, require_key_ok):
    method, path = entry.get("method", "").upper(), entry.get("path", "")
    op, match = find_operation(ops, method, path)
    if op is None:
        return [f"no operation matches {method} {path}"]
    return (op.param_problems(match) + auth_problems(entry.get("headers", {}), require_key_ok)
            + body_problems(op, entry))


def load_log(name):
    if name == "-":
        return json.load(sys.stdin)
    with open(name, encoding="utf-8") as f:
        return json.load(f)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with open(args.schemas, encoding="utf-8") as f:
        ops = [Operation(spec) for spec in json.load(f)["operations"]]
    log = load_log(args.log)
    if not isinstance(log, list):
        print("log is not a JSON array", file=sys.stderr)
        return 1
    checked = violations = 0
    for i, entry in enumerate(log):
        if str(entry.get("path", "")).startswith("/__fake"):
            continue
        checked += 1
        for problem in check_entry(ops, entry, args.require_key_ok):
            violations += 1
            print(f"#{i} {entry.get('method')} {entry.get('path')}: {problem}")
    print(f"requests checked: {checked}, violations: {violations}")
    return 1 if violations or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
