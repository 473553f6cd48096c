"""Fault injection rules and the request rate limiter.

Faults: an ordered list of rules; the first live rule whose regex is found in
the request path (and whose method matches, when given) applies.  A rule
with a count expires after that many uses; one with "every": N applies to
every N-th matching request only (the others pass it by, unused); one with
a "query" (an object of name -> value) applies only to requests whose query
is exactly that (so {} is a request without one).  "drop": the service
acts, then the connection closes with no answer (a connection dying under
load, the answer lost).  See server.py for where each
kind takes effect.

A status rule answers its status with the service's usual error body, or
with "body" (any JSON value), or with "raw": the exact bytes, for answers a
JSON encoder cannot produce.  "raw" is a list of parts, each a string or a
[string, times] pair, joined and encoded with "encoding" (default utf-8;
latin-1 turns each code point below 256 into that one byte, so invalid
UTF-8 can be sent); "nest": N wraps it in N arrays.  "retry_after" may be a
string, sent as is (a garbage or negative Retry-After); "ms" holds it back
that long first (an answer that comes back after the others).

Rate limiter: over all authenticated API requests, like the gateway's
per-org budgets, either a strict sliding-window log or a token bucket; over
the limit it answers 429 with the X-RateLimit-* headers of REFERENCE.md §4
and an integer Retry-After.
"""

import collections
import math
import re
import threading
import time

import errors
from http_types import Response

KINDS = ("latency", "status", "ratelimit429", "stall", "truncate", "short", "malformed", "drop")
DEFAULT_RATE_LIMIT = 100  # X-RateLimit-Limit on injected 429s when no limiter is set
MALFORMED_BODY = b'{"data": [ {"accountId": <!-- upstream error --> \x7f\x00 ]'


def iso_utc(epoch):
    """ISO 8601 UTC with milliseconds, rounded up so it is never early."""
    ms = math.ceil(epoch * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


class Rule:
    def __init__(self, spec):
        self.spec = dict(spec)
        self.regex = re.compile(spec["path"])
        self.method = spec.get("method", "").upper() or None
        self.kind = spec["kind"]
        self.count = spec.get("count")
        self.every = spec.get("every", 1)
        self.seen = 0
        self.query = spec.get("query")

    def matches(self, method, path, query=None):
        return (self.count is None or self.count > 0) and \
            (self.method is None or self.method == method) and bool(self.regex.search(path)) \
            and (self.query is None or self.query == single_values(query or {}))

    def due(self):
        """A match: is it this rule's turn (every N-th)?"""
        self.seen += 1
        return self.seen % self.every == 0


def validate_rule(spec):
    """Error message for a bad rule spec, or None."""
    if not isinstance(spec, dict):
        return "each rule must be an object"
    if not isinstance(spec.get("path"), str):
        return "rule.path must be a regex string"
    try:
        re.compile(spec["path"])
    except re.error as exc:
        return f"rule.path is not a valid regex: {exc}"
    if spec.get("kind") not in KINDS:
        return f"rule.kind must be one of {', '.join(KINDS)}"
    if "method" in spec and not isinstance(spec["method"], str):
        return "rule.method must be a string"
    checks = {"count": (int, 1), "every": (int, 1), "ms": ((int, float), 0), "seconds": ((int, float), 0),
              "retry_after": (int, 0), "reset_in_s": ((int, float), 0), "status": (int, 100),
              "nest": (int, 0)}
    for key, (types, minimum) in checks.items():
        value = spec.get(key)
        if key == "retry_after" and isinstance(value, str):
            continue  # sent as is: a garbage or negative Retry-After
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)
                                  or value < minimum):
            return f"rule.{key} must be a number >= {minimum}"
    query = spec.get("query")
    if query is not None and not (isinstance(query, dict) and
                                  all(isinstance(v, str) for v in query.values())):
        return "rule.query must be an object of strings"
    if spec["kind"] == "status" and not 100 <= spec.get("status", 0) <= 599:
        return "a status rule needs status 100..599"
    return validate_raw(spec)


def validate_raw(spec):
    """Error message for a bad "raw" body or "encoding", or None."""
    if "raw" in spec:
        if "body" in spec:
            return "a rule has body or raw, not both"
        parts = spec["raw"]
        if not isinstance(parts, list) or not all(
                isinstance(p, str) or (isinstance(p, list) and len(p) == 2
                                       and isinstance(p[0], str) and isinstance(p[1], int)
                                       and not isinstance(p[1], bool) and 0 <= p[1] <= 10**7)
                for p in parts):
            return "rule.raw must be a list of strings and [string, times] pairs"
    encoding = spec.get("encoding", "utf-8")
    if encoding not in ("utf-8", "latin-1"):
        return "rule.encoding must be utf-8 or latin-1"
    try:
        raw_body(spec)
    except UnicodeEncodeError:
        return "rule.raw has characters its encoding cannot send"
    return None


def single_values(query):
    """A request's query as name -> value (a repeated name keeps its list)."""
    return {k: v[0] if len(v) == 1 else v for k, v in query.items()}


def raw_body(spec):
    """The bytes of a rule's "raw" body (b"" when it has none)."""
    text = "".join(p if isinstance(p, str) else p[0] * p[1] for p in spec.get("raw", []))
    body = text.encode(spec.get("encoding", "utf-8"))
    depth = spec.get("nest", 0)
    return b"[" * depth + body + b"]" * depth


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def add(self, specs):
        """Append rules (all or none); returns an error message or None."""
        if not isinstance(specs, list):
            return "rules must be a list"
        for spec in specs:
            problem = validate_rule(spec)
            if problem:
                return problem
        with self.lock:
            self.rules.extend(Rule(s) for s in specs)
        return None

    def clear(self):
        with self.lock:
            self.rules = []

    def take(self, method, path, query=None):
        """The first live matching rule, using up one of its count."""
        with self.lock:
            for rule in self.rules:
                if rule.matches(method, path, query) and rule.due():
                    if rule.count is not None:
                        rule.count -= 1
                    self.rules = [r for r in self.rules if r.count is None or r.count > 0]
                    return rule
        return None

    def describe(self):
        with self.lock:
            return [dict(r.spec, remaining=r.count) for r in self.rules]


# ---- responses the fault kinds produce --------------------------------------
def status_response(rule, path):
    spec = rule.spec
    headers = {}
    if "retry_after" in spec:
        headers["Retry-After"] = str(spec["retry_after"])
    if "body" in spec:
        return Response.json(spec["status"], spec["body"], headers)
    if "raw" in spec or "nest" in spec:
        return Response(spec["status"], raw_body(spec), headers)
    return errors.default_for(spec["status"], path, headers)


def ratelimit_response(rule, limiter, path):
    spec = rule.spec
    headers = {"X-RateLimit-Limit": str(limiter.limit or DEFAULT_RATE_LIMIT),
               "X-RateLimit-Remaining": "0"}
    if "retry_after" in spec:
        headers["Retry-After"] = str(spec["retry_after"])
    if "reset_in_s" in spec:
        headers["X-RateLimit-Reset"] = iso_utc(time.time() + spec["reset_in_s"])
    return errors.rate_limited(path, headers)


def stall_response(rule):
    resp = Response(0)
    resp.stall_s = rule.spec.get("seconds", 60)
    return resp


def malformed_response():
    return Response(200, MALFORMED_BODY)


def truncate(resp):
    """200 whose (correctly framed) body is the first half of the real one."""
    body = resp.body or b""
    out = Response(200, body[:len(body) // 2], {k: v for k, v in resp.headers.items()})
    out.headers.setdefault("Content-Type", "application/json")
    return out


def cut_short(resp):
    """Announce the full Content-Length, send half, close: an HTTP-level error."""
    if resp.body is None:
        resp.body = b'{"message":"Success"}'
        resp.headers.setdefault("Content-Type", "application/json")
        resp.status = 200 if resp.status == 204 else resp.status
    resp.short = True
    return resp


LIMITER_KINDS = ("window", "bucket")


class RateLimiter:
    """Two kinds.  "window": a strict sliding window, at most `limit`
    requests in any `window` seconds.  "bucket": a token bucket holding at
    most `limit` tokens, refilled at `limit` per `window` seconds; a request
    takes one.  Over the limit both answer 429 with Retry-After in whole
    seconds (rounded up) and X-RateLimit-Reset, with milliseconds, of when
    a request would next be allowed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.limit = None
        self.window = 1.0
        self.kind = "window"
        self.hits = collections.deque()
        self.tokens = 0.0
        self.filled_at = 0.0
        self.rejected = 0

    def configure(self, limit, window, kind="window"):
        with self.lock:
            self.limit, self.window, self.kind = limit, window, kind
            self.hits.clear()
            self.tokens = float(limit or 0)
            self.filled_at = time.time()

    def reset(self):
        self.configure(None, 1.0)
        self.rejected = 0

    def check(self, now=None):
        """(allowed, headers to add to the response)."""
        now = time.time() if now is None else now
        with self.lock:
            if self.limit is None:
                return True, {}
            if self.kind == "bucket":
                allowed, remaining, reset_at = self._take_token(now)
            else:
                allowed, remaining, reset_at = self._take_slot(now)
            if not allowed:
                self.rejected += 1
            headers = {"X-RateLimit-Limit": str(self.limit),
                       "X-RateLimit-Remaining": str(remaining),
                       "X-RateLimit-Reset": iso_utc(reset_at)}
            if not allowed:
                headers["Retry-After"] = str(max(1, math.ceil(reset_at - now)))
            return allowed, headers

    def _take_slot(self, now):
        """Sliding window: (allowed, remaining, when the oldest hit leaves)."""
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()
        allowed = len(self.hits) < self.limit
        if allowed:
            self.hits.append(now)
        reset_at = (self.hits[0] if self.hits else now) + self.window
        return allowed, self.limit - len(self.hits), reset_at

    def _take_token(self, now):
        """Token bucket: (allowed, whole tokens left, when the next token arrives)."""
        rate = self.limit / self.window
        self.tokens = min(float(self.limit), self.tokens + max(0.0, now - self.filled_at) * rate)
        self.filled_at = now
        allowed = self.tokens >= 1 - 1e-6  # float arithmetic on epoch seconds
        if allowed:
            self.tokens = max(0.0, self.tokens - 1)
        if self.tokens >= self.limit or rate == 0:
            reset_at = now  # full (or a limit of 0: never; say now)
        else:
            reset_at = now + (1 - self.tokens % 1) / rate
        return allowed, int(self.tokens), reset_at
