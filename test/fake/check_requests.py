#!/usr/bin/python3
"""Check a fake request log against the extracted OpenAPI operations.

  /usr/bin/python3 test/fake/check_requests.py [LOG.json] [--schemas operations.json]
                                               [--require-key-ok]

LOG is the JSON array from GET /__fake/requests (a file, or stdin when
omitted or "-").  Every entry outside /__fake/ is checked for:
  - a (method, path) that matches an operation's wire path template, with
    path parameters (URL-decoded) matching their schema pattern in full
    (literal segments win: .../groups/count is getGroupsCount, not getGroup);
  - an Authorization header logged as {"scheme": "Bearer", ...} (for the
    Jira operations, api "jira-platform": {"scheme": "Basic", ...}); a raw
    header value in the log is itself a violation.  Whether the credential
    matched is only checked with --require-key-ok, since test suites send a
    wrong one on purpose to exercise the 401 path;
  - query parameters: each one declared by the operation, and its value(s)
    valid against the parameter's schema (integers and booleans parsed,
    arrays from repeated names, or comma-separated where the spec says
    explode: false; an object parameter's properties come as their own
    names, the OpenAPI default form/explode; arrays of objects such as
    sortBy have no defined serialisation and are not checked);
  - when a body was sent: Content-Type application/json, a JSON body, and
    that body valid against the operation's request-body schema, with
    undeclared properties refused (the real search API answers 400 to them).
    Operations without a request body may carry {} (clients commonly send it);
  - no body where the operation's request-body schema requires properties
    (a membership without accountId, a role grant without role, an email
    change without email).  A body the spec marks required but whose
    schema requires nothing (lifecycle disable's optional message) may be
    left out, as clients do.
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
        self.templated = spec["path"].count("{")
        self.scheme = "basic" if spec.get("api") == "jira-platform" else "bearer"
        self.query = {n: p for n, p in spec["parameters"].items() if p["in"] == "query"}
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


def query_problems(op, query):
    """Undeclared query parameters and values their schema refuses."""
    known, out = {}, []
    for name, param in op.query.items():
        schema = param["schema"]
        if schema.get("type") == "object":
            for prop, sub in schema.get("properties", {}).items():
                known[prop] = dict(param, schema=sub)
        else:
            known[name] = param
    for name, values in (query or {}).items():
        if name not in known:
            out.append(f"undeclared query parameter {name}")
            continue
        problem = query_value_problem(known[name], values)
        if problem:
            out.append(f"query parameter {name}: {problem}")
    for name, param in op.query.items():
        if param.get("required") and name not in (query or {}):
            out.append(f"required query parameter {name} missing")
    return out


def query_value_problem(param, values):
    schema = param["schema"]
    if schema.get("type") == "array":
        if schema.get("items", {}).get("type") == "object":
            return None  # no defined serialisation (sortBy)
        if param.get("explode") is False:
            values = [v for raw in values for v in raw.split(",")]
        value = [coerce(schema["items"], v) for v in values]
    else:
        if len(values) > 1:
            return "given more than once"
        value = coerce(schema, values[0])
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(value))
    return errors[0].message if errors else None


def coerce(schema, raw):
    """A query string value as the JSON type its schema expects (else as is)."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def find_operation(ops, method, path):
    for op in sorted(ops, key=lambda o: o.templated):
        match = op.regex.match(path)
        if match and op.method == method:
            return op, match
    return None, None


def auth_problems(op, headers, require_key_ok):
    auth = headers.get("authorization")
    if auth is None:
        return ["no Authorization header"]
    if not isinstance(auth, dict):
        return ["Authorization header value was logged (the key must never be logged)"]
    if str(auth.get("scheme", "")).lower() != op.scheme:
        return [f"Authorization scheme is {auth.get('scheme')!r}, not {op.scheme.title()}"]
    if require_key_ok and not auth.get("key_ok"):
        return ["Bearer token is not the configured API key" if op.scheme == "bearer"
                else "Basic credentials are not the site's email and API token"]
    return []


def body_problems(op, entry):
    body, sent = entry.get("body"), entry.get("body_len", 0) > 0 or entry.get("body") is not None
    if not sent:
        needed = (op.body_schema or {}).get("required")
        return [f"request body missing (it requires {', '.join(needed)})"] if needed else []
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
    return (op.param_problems(match) + query_problems(op, entry.get("query"))
            + auth_problems(op, entry.get("headers", {}), require_key_ok)
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
