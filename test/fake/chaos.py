"""Chaos mode: API answers mutated at random, deterministically from a seed.

    POST   /__fake/chaos {"rate": 0.5, "seed": 7, "mutations": [...] | {name: weight},
                          "path": "regex", "method": "GET"}     switch on (or re-configure)
    DELETE /__fake/chaos                                        switch off (counters kept)
    GET    /__fake/chaos                                        config and counters
    GET    /__fake/chaos/log?since=SEQ                          the mutations after SEQ

Every API answer whose request path matches `path` (re.search; default: every
path) and whose method is `method` (when given) is a candidate, 2xx and error
answers alike; the control API, stalls and cut-short answers never are.
Candidate number k (counted from the last POST /__fake/chaos) is mutated when
random.Random(f"{seed}:{k}").random() < rate; the same generator then picks
the mutation (by weight, among the configured ones that apply to this answer)
and where in the body it goes.  The same seed and the same sequence of
requests give the same mutations.

The mutations (MUTATIONS); "$.data[3].email" style paths name where:

  escape_nul         \\u0000 inserted into a string (jsonb cannot store it)
  escape_surrogate   a lone surrogate escape (\\ud800, \\udfff, ...) in a string
  escape_invalid     an escape JSON does not have (\\x41, \\q, \\u12G4, ...) or a raw
                     control character in a string
  number_overflow    1e400, -1e400, 1E+999999 ... where the answer had a number or a string
  number_digits      a 40-digit integer (or 2^63, 2^64) where it had a number or a string
  deep_nesting       100,000 levels of [ (closed or not) or of {"a": in place of a value
  truncate           the body cut at a random byte (Content-Length matches the cut body)
  wrong_type         a value of another type: a string where an array, object or number
                     was, an object where an array was, null items in an array, ...
  wrong_content_type 200 with a text/html page, or the JSON labelled text/html
  empty_200          200 with an empty body
  invalid_utf8       bytes that are not UTF-8 (\\xff, \\xc3\\x28, an encoded surrogate,
                     an overlong form) inside a string
  repeated_cursor    the page's links.next (a bare cursor, or a v1 URL with ?cursor=) and
                     meta.next become a new cursor that answers this same page again,
                     whatever the rate, for as long as chaos is on: a client that follows
                     it loops forever.  Jira's startAt pages instead say isLast false
                     with nextPage = their own URL (once)
  huge_body          valid JSON of 2 to 5 MB: a padding member, or one enormous string

An answer without a body (204) is mutated as if its body were
{"message": "Success"}, and goes out as 200.  A body that is not JSON (Jira's
text/plain 401) gets the mutations that need no JSON (bytes, truncation,
content type, nesting, padding).  When none of the configured mutations
applies, the answer goes out unmutated.
"""

import collections
import json
import random
import re
import threading
from urllib.parse import urlencode

from http_types import Response
from paging import base_url

MUTATIONS = ("escape_nul", "escape_surrogate", "escape_invalid", "number_overflow",
             "number_digits", "deep_nesting", "truncate", "wrong_type", "wrong_content_type",
             "empty_200", "invalid_utf8", "repeated_cursor", "huge_body")
LOG_SIZE = 20000          # mutation records kept for GET /__fake/chaos/log
MAX_LOOPS = 256           # repeated cursors remembered (oldest dropped)
DEPTH = 100_000
BODYLESS = b'{"message": "Success"}'
PLACEHOLDER = "\u0001chaos-placeholder\u0001"
PLACEHOLDER_JSON = json.dumps(PLACEHOLDER).encode()
NOT_JSON = object()

ESCAPES = {
    "escape_nul": [b"\\u0000"],
    "escape_surrogate": [b"\\ud800", b"\\udfff", b"\\ud83d", b"\\udc00\\ud800", b"\\uDBFF"],
    "escape_invalid": [b"\\x41", b"\\q", b"\\u12G4", b"\\u00zz", b"\\'", b"\\U0001F600",
                       b"\x01", b"\x1f", b"\t"],
}
OVERFLOWS = [b"1e400", b"-1e400", b"1E+999999", b"123.456e78901", b"-9.9e-99999"]
BAD_UTF8 = [b"\xff", b"\xfe\xfe", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf",
            b"\xf8\x88\x80\x80\x80", b"\x80", b"\xf4\x90\x80\x80"]
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
             b"<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response "
             b"from an upstream server.</p></body></html>\n")


def validate(spec):
    """An error message for a bad chaos spec, or None."""
    if not isinstance(spec, dict):
        return "expected a JSON object"
    unknown = set(spec) - {"rate", "seed", "mutations", "path", "method"}
    if unknown:
        return f"unknown chaos keys: {sorted(unknown)}"
    rate = spec.get("rate", 0.5)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        return "rate must be a number from 0 to 1"
    seed = spec.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        return "seed must be an integer >= 0"
    muts = spec.get("mutations", list(MUTATIONS))
    if isinstance(muts, list):
        muts = {m: 1 for m in muts}
    if not isinstance(muts, dict) or not muts:
        return "mutations must be a non-empty list of names or an object of name: weight"
    bad = [m for m in muts if m not in MUTATIONS]
    if bad:
        return f"unknown mutations {bad}; known: {', '.join(MUTATIONS)}"
    for weight in muts.values():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            return "mutation weights must be numbers >= 0"
    if not any(muts.values()):
        return "at least one mutation needs a weight above 0"
    if not isinstance(spec.get("path", ""), str):
        return "path must be a regex string"
    try:
        re.compile(spec.get("path", ""))
    except re.error as exc:
        return f"path is not a valid regex: {exc}"
    if not isinstance(spec.get("method", ""), str):
        return "method must be a string"
    return None


# ---- walking and splicing JSON ----------------------------------------------
def walk(value, path=()):
    """(path, node) for every node, the root first."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, path + (i,))


def where(path):
    out = "$"
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out


def kind(node):
    if node is None:
        return "null"
    if isinstance(node, bool):
        return "boolean"
    if isinstance(node, (int, float)):
        return "number"
    if isinstance(node, str):
        return "string"
    return "array" if isinstance(node, list) else "object"


def set_at(value, path, new):
    """value with the node at path replaced (the root when path is empty)."""
    if not path:
        return new
    node = value
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return value


def splice(value, path, raw):
    """The JSON text of value with the node at path replaced by the bytes raw."""
    text = json.dumps(set_at(value, path, PLACEHOLDER)).encode()
    return text.replace(PLACEHOLDER_JSON, raw, 1)


def show(raw):
    """Bytes as readable text: printable ASCII as is, anything else as \\xNN."""
    return "".join(chr(b) if 32 <= b < 127 else f"\\x{b:02x}" for b in raw)


def esc(text):
    """A string's JSON escaping, without the quotes."""
    return json.dumps(text)[1:-1].encode()


def pick_node(rng, nodes):
    """Nodes near the top (the root's members) a third of the time, else any."""
    top = [n for n in nodes if len(n[0]) <= 1]
    return rng.choice(top if top and rng.random() < 1 / 3 else nodes)


def string_leaves(value):
    return [(p, n) for p, n in walk(value) if isinstance(n, str)]


# ---- the mutations: (rng, Subject) -> (status, headers, body, detail) or None
class Subject:
    """One answer about to be mutated."""

    def __init__(self, req, resp):
        self.req, self.resp = req, resp
        self.bodyless = not resp.body
        self.raw = BODYLESS if self.bodyless else resp.body
        try:
            self.value = json.loads(self.raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            self.value = NOT_JSON
        self.status = 200 if resp.status in (204, 304) else resp.status
        self.headers = {k: v for k, v in resp.headers.items()
                        if k.lower() not in ("content-type", "content-length")}

    def fresh(self):
        """A new copy of the parsed body, to mutate."""
        return json.loads(self.raw.decode("utf-8"))

    def answer(self, body, detail, content_type="application/json", status=None):
        headers = dict(self.headers, **{"Content-Type": content_type})
        return (self.status if status is None else status), headers, body, detail


def m_escape(name):
    def mutate(rng, s):
        if s.value is NOT_JSON:
            return None
        value = s.fresh()
        leaves = string_leaves(value)
        if not leaves:
            if not isinstance(value, dict):
                return None
            value["message"] = "Success"
            leaves = [(("message",), "Success")]
        path, text = rng.choice(leaves)
        cut = rng.randrange(len(text) + 1)
        bad = rng.choice(ESCAPES[name])
        raw = b'"' + esc(text[:cut]) + bad + esc(text[cut:]) + b'"'
        return s.answer(splice(value, path, raw),
                        f"{show(bad)} in the string at {where(path)}")
    return mutate


def number_target(rng, s):
    """(value, path, what was there): a number or a string, half and half."""
    value = s.fresh()
    nums = [(p, n) for p, n in walk(value) if kind(n) == "number"]
    strs = string_leaves(value)
    pool = nums if nums and (not strs or rng.random() < 0.5) else strs
    if not pool:
        return None
    path, node = pick_node(rng, pool)
    return value, path, kind(node)


def m_number(raws):
    def mutate(rng, s):
        if s.value is NOT_JSON:
            return None
        target = number_target(rng, s)
        if target is None:
            return None
        value, path, was = target
        raw = raws(rng)
        return s.answer(splice(value, path, raw),
                        f"{raw.decode()} in place of the {was} at {where(path)}")
    return mutate


def overflow(rng):
    return rng.choice(OVERFLOWS)


def digits(rng):
    choice = rng.randrange(4)
    if choice == 0:
        return b"9223372036854775808"          # 2^63: one past int64
    if choice == 1:
        return b"18446744073709551616"         # 2^64
    text = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(39))
    return (b"-" if choice == 3 else b"") + text.encode()


def m_deep_nesting(rng, s):
    style = rng.choice(("arrays", "arrays-unclosed", "objects"))
    if style == "arrays":
        raw = b"[" * DEPTH + b"]" * DEPTH
    elif style == "arrays-unclosed":
        raw = b"[" * DEPTH
    else:
        raw = b'{"a":' * DEPTH + b"1" + b"}" * DEPTH
    if s.value is NOT_JSON or rng.random() < 0.25:
        return s.answer(raw, f"{DEPTH:,} levels of {style} as the whole body")
    value = s.fresh()
    path, _ = pick_node(rng, list(walk(value)))
    return s.answer(splice(value, path, raw), f"{DEPTH:,} levels of {style} at {where(path)}")


def m_truncate(rng, s):
    if len(s.raw) < 2:
        return None
    cut = rng.randrange(1, len(s.raw))
    return s.answer(s.raw[:cut], f"cut at byte {cut} of {len(s.raw)}",
                    content_type=s.resp.headers.get("Content-Type", "application/json"))


TYPE_SWAPS = {
    "object": [("string", b'"chaos"'), ("array", b"[]"), ("number", b"42"), ("boolean", b"true")],
    "array": [("string", b'"chaos"'), ("object", b'{"0": "chaos"}'), ("number", b"42"),
              ("null", b"null")],
    "string": [("number", b"42"), ("array", b"[]"), ("object", b"{}"), ("boolean", b"true"),
               ("null", b"null")],
    "number": [("string", b'"42"'), ("array", b"[]"), ("object", b"{}"), ("boolean", b"false")],
    "boolean": [("string", b'"true"'), ("number", b"1"), ("array", b"[]")],
    "null": [("object", b"{}"), ("string", b'"null"')],
}


def m_wrong_type(rng, s):
    if s.value is NOT_JSON:
        return None
    value = s.fresh()
    nodes = list(walk(value))
    path, node = pick_node(rng, nodes)
    was = kind(node)
    arrays = [(p, n) for p, n in nodes if isinstance(n, list) and n]
    if arrays and rng.random() < 0.2:
        # null items: some elements of an array become null
        path, node = rng.choice(arrays)
        hits = sorted(rng.sample(range(len(node)), max(1, len(node) // 4)))
        for i in hits:
            node[i] = None
        return s.answer(json.dumps(value).encode(),
                        f"null items {hits[:5]}{'...' if len(hits) > 5 else ''} in the array "
                        f"at {where(path)}")
    now, raw = rng.choice(TYPE_SWAPS[was])
    return s.answer(splice(value, path, raw), f"{now} where the answer had {'an' if was[0] in 'ao' else 'a'} "
                    f"{was} at {where(path)}")


def m_wrong_content_type(rng, s):
    if rng.random() < 0.7:
        return s.answer(HTML_PAGE, "200 with a text/html page", "text/html; charset=utf-8",
                        status=200)
    return s.answer(s.raw, f"200 with the {s.status} answer's body labelled text/html",
                    "text/html; charset=utf-8", status=200)


def m_empty_200(rng, s):
    return s.answer(b"", f"200 with an empty body (was {s.resp.status})", status=200)


def m_invalid_utf8(rng, s):
    bad = rng.choice(BAD_UTF8)
    if s.value is NOT_JSON:
        cut = rng.randrange(len(s.raw) + 1)
        return s.answer(s.raw[:cut] + bad + s.raw[cut:], f"{show(bad)} at byte {cut}",
                        content_type=s.resp.headers.get("Content-Type", "text/plain"))
    value = s.fresh()
    leaves = string_leaves(value)
    if not leaves:
        return None
    path, text = rng.choice(leaves)
    cut = rng.randrange(len(text) + 1)
    raw = b'"' + esc(text[:cut]) + bad + esc(text[cut:]) + b'"'
    return s.answer(splice(value, path, raw), f"{show(bad)} in the string at {where(path)}")


FILLER = (b"lorem ipsum dolor sit amet " * (5_000_000 // 27 + 1))[:5_000_000]


def m_huge_body(rng, s):
    size = rng.randint(2_000_000, 5_000_000)
    filler = FILLER[:size]          # plain ASCII: its JSON string is itself, quoted
    if s.value is NOT_JSON:
        return s.answer(s.raw + b" " * size, f"{size:,} bytes of padding after the body",
                        content_type=s.resp.headers.get("Content-Type", "text/plain"))
    value = s.fresh()
    leaves = string_leaves(value)
    holder = value if isinstance(value, dict) else next(
        (v for v in value if isinstance(v, dict)), None) if isinstance(value, list) else None
    if holder is not None and (not leaves or rng.random() < 0.5):
        holder["chaosPadding"] = PLACEHOLDER
        body = json.dumps(value).encode().replace(PLACEHOLDER_JSON, b'"' + filler + b'"', 1)
        return s.answer(body, f"a {size:,}-character padding member")
    if not leaves:
        return None
    path, _ = rng.choice(leaves)
    return s.answer(splice(value, path, b'"' + filler + b'"'),
                    f"a {size:,}-character string at {where(path)}")


def request_cursor(req):
    """The cursor a request carries (query ?cursor= or a JSON body's "cursor"), or None."""
    values = req.query.get("cursor")
    if values:
        return values[0]
    if req.body and req.body.lstrip()[:1] == b"{":
        try:
            body = json.loads(req.body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
        cursor = body.get("cursor") if isinstance(body, dict) else None
        return cursor if isinstance(cursor, str) else None
    return None


def own_url(req, **query):
    return base_url(req) + req.path + ("?" + urlencode(query) if query else "")


class Chaos:
    def __init__(self):
        self.lock = threading.Lock()
        self.spec = None
        self.regex = None
        self.weights = {}
        self.candidates = 0        # k: candidate answers since the last configure()
        self.mutated = 0           # answers mutated (replays included)
        self.replays = 0
        self.by_mutation = collections.Counter()
        self.log = collections.deque(maxlen=LOG_SIZE)
        self.seq = 0
        self.loops = collections.OrderedDict()   # token -> (status, headers, body, loop id)
        self.loop_ids = 0

    # ---- control ---------------------------------------------------------------
    def configure(self, spec):
        problem = validate(spec)
        if problem:
            return problem
        muts = spec.get("mutations", list(MUTATIONS))
        weights = {m: 1 for m in muts} if isinstance(muts, list) else dict(muts)
        with self.lock:
            self.spec = {"rate": spec.get("rate", 0.5), "seed": spec.get("seed", 0),
                         "mutations": weights, "path": spec.get("path", ""),
                         "method": spec.get("method", "").upper() or None}
            self.regex = re.compile(self.spec["path"])
            self.weights = {m: w for m, w in weights.items() if w > 0}
            self.candidates = 0
        return None

    def off(self):
        with self.lock:
            self.spec = None
            self.loops.clear()

    def reset(self):
        with self.lock:
            self.spec = None
            self.loops.clear()
            self.candidates = self.mutated = self.replays = self.loop_ids = 0
            self.by_mutation = collections.Counter()
            self.log.clear()

    def describe(self):
        with self.lock:
            return {"on": self.spec is not None, "config": self.spec,
                    "candidates": self.candidates, "mutated": self.mutated,
                    "replays": self.replays, "by_mutation": dict(self.by_mutation),
                    "loops": len(self.loops), "last_seq": self.seq}

    def records(self, since=0):
        with self.lock:
            return [r for r in self.log if r["seq"] > since]

    # ---- the hook ----------------------------------------------------------------
    def apply(self, req, resp):
        """(the answer to send, the mutation record or None)."""
        if self.spec is None or resp.stall_s is not None or resp.short:
            return resp, None
        with self.lock:
            spec = self.spec
            if spec is None:
                return resp, None
            if spec["method"] and spec["method"] != req.method:
                return resp, None
            if not self.regex.search(req.path):
                return resp, None
            loop = self.loops.get(request_cursor(req)) if self.loops else None
            if loop is None:
                k = self.candidates
                self.candidates += 1
        if loop is not None:
            status, headers, body, loop_id = loop
            return self.record(req, resp, status, headers, body, "repeated_cursor",
                               f"loop {loop_id}: the same page again", replay=True)
        rng = random.Random(f"{spec['seed']}:{k}")
        if rng.random() >= spec["rate"]:
            return resp, None
        subject = Subject(req, resp)
        names = list(self.weights)
        while names:
            name = rng.choices(names, [self.weights[n] for n in names])[0]
            names.remove(name)
            out = (self.repeated_cursor if name == "repeated_cursor" else MUTATORS[name])(
                rng, subject)
            if out is not None:
                status, headers, body, detail = out
                return self.record(req, resp, status, headers, body, name, detail)
        return resp, None

    def record(self, req, resp, status, headers, body, name, detail, replay=False):
        out = Response(status, body, headers, content_type=None)
        with self.lock:
            self.seq += 1
            self.mutated += 1
            self.replays += replay
            self.by_mutation[name] += 1
            rec = {"seq": self.seq, "method": req.method, "path": req.path,
                   "op": req.op_name, "status": resp.status, "sent_status": status,
                   "mutation": name, "detail": detail, "bytes": len(body)}
            self.log.append(rec)
        return out, {"seq": rec["seq"], "mutation": name, "detail": detail}

    def repeated_cursor(self, rng, s):
        value = s.value
        if not isinstance(value, dict):
            return None
        value = s.fresh()
        links, meta = value.get("links"), value.get("meta")
        if isinstance(links, dict):
            with self.lock:
                self.loop_ids += 1
                loop_id = self.loop_ids
            token = f"chaosloop{loop_id}x{rng.getrandbits(64):016x}"
            url_style = any(isinstance(links.get(k), str) and links[k].startswith("http")
                            for k in ("next", "self"))
            links["next"] = own_url(s.req, cursor=token) if url_style else token
            if isinstance(meta, dict) and "next" in meta:
                meta["next"] = token
            body = json.dumps(value).encode()
            headers = dict(s.headers, **{"Content-Type": "application/json"})
            with self.lock:
                self.loops[token] = (s.status, headers, body, loop_id)
                while len(self.loops) > MAX_LOOPS:
                    self.loops.popitem(last=False)
            return s.status, headers, body, \
                f"loop {loop_id}: links.next points at this page, forever"
        if "isLast" in value and isinstance(value.get("values"), list):
            value["isLast"] = False
            query = {k: v[0] for k, v in s.req.query.items()}
            own = value.get("self")
            value["nextPage"] = own if isinstance(own, str) else own_url(s.req, **query)
            return s.answer(json.dumps(value).encode(),
                            "isLast false, nextPage = this page's own URL")
        return None


MUTATORS = {
    "escape_nul": m_escape("escape_nul"),
    "escape_surrogate": m_escape("escape_surrogate"),
    "escape_invalid": m_escape("escape_invalid"),
    "number_overflow": m_number(overflow),
    "number_digits": m_number(digits),
    "deep_nesting": m_deep_nesting,
    "truncate": m_truncate,
    "wrong_type": m_wrong_type,
    "wrong_content_type": m_wrong_content_type,
    "empty_200": m_empty_200,
    "invalid_utf8": m_invalid_utf8,
    "huge_body": m_huge_body,
}
