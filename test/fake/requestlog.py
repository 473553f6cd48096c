"""The request log and counters behind GET /__fake/requests and /__fake/stats.

No credential ever enters the log: the Authorization header is replaced by
{"scheme": <first word or null>, "key_ok": <bool>} (plus "scoped": true for
the API key with scopes); for Jira's Basic email:api_token, key_ok tells
whether they matched the site's.  Each entry also names the operation the
router matched ("op"; "other" when none did), and the mutation chaos mode gave
its answer ("chaos": {"seq", "mutation", "detail"}, or null).
"""

import collections
import threading

from http_types import decode_json

MAX_ENTRIES = 200_000
def loggable_body(raw):
    """Parsed JSON when it parses, else the text; None when no body was sent."""
    if not raw:
        return None
    ok, value = decode_json(raw)
    return value if ok else raw.decode("utf-8", "replace")


def loggable_headers(headers, auth):
    out = {k: v for k, v in headers.items() if k != "authorization"}
    if auth is not None:
        out["authorization"] = auth
    return out


class RequestLog:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = collections.deque(maxlen=MAX_ENTRIES)
        self.stats = Stats()

    def start(self, req, t0, auth, conn=None):
        """Record a request as it arrives (so the log is in arrival order).

        conn names the TCP connection it came on (the client's port), so
        tests can see whether a client reuses connections.
        """
        entry = {"method": req.method, "path": req.path, "query": req.query, "conn": conn,
                 "headers": loggable_headers(req.headers, auth),
                 "body": loggable_body(req.body), "body_len": len(req.body),
                 "status": None, "t": t0, "ms": None, "sent_ms": None, "chaos": None}
        with self.lock:
            self.entries.append(entry)
        return entry

    def finish(self, entry, status, t1, rate_limited=False, op=None, chaos=None):
        """op: the operation name the router matched (operations.json names);
        chaos: the mutation the answer got in chaos mode ({"seq", "mutation",
        "detail"}), or None."""
        with self.lock:
            entry["status"] = status
            entry["chaos"] = chaos
            entry["ms"] = round((t1 - entry["t"]) * 1000, 3)
            entry["op"] = op or "other"
            self.stats.count(entry["op"], status, rate_limited)

    def sent(self, entry, t2):
        """The answer is written (compressed, encrypted, handed to the
        kernel): sent_ms is the fake's whole time on the request, what a
        client waiting for the answer pays beyond the wire."""
        with self.lock:
            entry["sent_ms"] = round((t2 - entry["t"]) * 1000, 3)

    def snapshot(self):
        with self.lock:
            return [dict(e) for e in self.entries]

    def clear(self):
        with self.lock:
            self.entries.clear()

    def reset(self):
        with self.lock:
            self.entries.clear()
            self.stats = Stats()


class Stats:
    def __init__(self):
        self.requests = 0
        self.by_route = collections.Counter()
        self.status_counts = collections.Counter()
        self.rate_limited = 0

    def count(self, route, status, rate_limited):
        self.requests += 1
        self.by_route[route] += 1
        self.status_counts["none" if status is None else str(status)] += 1
        self.rate_limited += bool(rate_limited)

    def as_json(self):
        return {"requests": self.requests, "by_route": dict(self.by_route),
                "status_counts": dict(self.status_counts), "rate_limited": self.rate_limited}
