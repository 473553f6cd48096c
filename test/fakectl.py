#!/usr/bin/python3
"""Drive the fake Atlassian org from tests (psql's \\! and \\copy FROM PROGRAM).

    fakectl.py reset                      re-seed the org, clear faults and log
    fakectl.py fault '{"path": ..., "kind": ...}' [RULE ...]
    fakectl.py clear-faults
    fakectl.py config '{"already_state": "409"}'
    fakectl.py ratelimit '{"limit": 10, "window_s": 1}'
    fakectl.py chaos '{"rate": 0.5, "seed": 7, "mutations": [...], "path": "regex"}'
                                          chaos mode on: mutate that fraction of answers
    fakectl.py chaos-off                  chaos mode off
    fakectl.py chaos-stats                chaos mode's config and counters, as JSON
    fakectl.py chaos-log [SEQ]            the mutations after SEQ, one JSON object a line
    fakectl.py users                      every user, one JSON object a line
    fakectl.py user ACCOUNT_ID            one user, as JSON
    fakectl.py inactive PRODUCT DAYS      ground truth: one account id a line
    fakectl.py groups                     ground truth: every group with its members, a line each
    fakectl.py access [ACCOUNT_ID]        ground truth: every effective product access (of one
                                          user), one JSON object a line: account_id, product,
                                          site, resource, role, direct, groups, last_active
    fakectl.py activity ACCOUNT_ID PRODUCT SITE ISO|null
                                          set (or clear) a user's last activity on a product
                                          and site (site: its name, e.g. acme, or its ARI)
    fakectl.py export-users               the admin console's "Export users" CSV of the org now
    fakectl.py requests                   the request log since the last reset, as JSON
    fakectl.py overlap REGEX              the most matching requests in flight at one moment
    fakectl.py peak REGEX S               the most matching requests arriving within S seconds
    fakectl.py span REGEX                 the first and last arrival of matching requests (epoch s)
    fakectl.py reset-log                  empty the request log (not saved), keep the org
    fakectl.py sent REGEX                 how many requests since the reset had a matching path
    fakectl.py bodies REGEX               the bodies of those requests, one JSON value a line
    fakectl.py connections REGEX          how many TCP connections those requests came on
    fakectl.py answered STATUS            how many answers had that HTTP status since the reset

Reads FAKE_URL from the environment, and FAKE_CA, the CA to trust when
FAKE_URL is https (test/bench/rig.sh, test/tls.sh).  Prints nothing on success unless it
was asked for data, so regression outputs stay about the SQL.  Before a
reset, the request log is appended to $ATLORG_REQUEST_LOG (when set), so
the harness can check every request of the run against the OpenAPI schemas.
"""
import json
import os
import re
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE = os.environ["FAKE_URL"]
TLS = ssl.create_default_context(cafile=os.environ["FAKE_CA"]) \
    if os.environ.get("FAKE_CA") else None


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60, context=TLS) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def fetch(path):
    """The raw body of a GET (for answers that are not JSON)."""
    with urllib.request.urlopen(BASE + path, timeout=60, context=TLS) as resp:
        return resp.read()


def save_request_log():
    path = os.environ.get("ATLORG_REQUEST_LOG")
    if not path:
        return
    with open(path, "a") as out:
        for entry in call("GET", "/__fake/requests"):
            out.write(json.dumps(entry) + "\n")


def main(argv):
    cmd, args = argv[0], argv[1:]
    if cmd == "reset":
        save_request_log()
        call("POST", "/__fake/reset", {})
    elif cmd == "fault":
        call("POST", "/__fake/faults", {"rules": [json.loads(a) for a in args]})
    elif cmd == "clear-faults":
        call("DELETE", "/__fake/faults")
    elif cmd == "config":
        call("POST", "/__fake/config", json.loads(args[0]))
    elif cmd == "chaos":
        try:
            call("POST", "/__fake/chaos", json.loads(args[0]) if args else {})
        except urllib.error.HTTPError as exc:
            sys.exit(f"fakectl: chaos refused: {exc.read().decode()}")
    elif cmd == "chaos-off":
        call("DELETE", "/__fake/chaos")
    elif cmd == "chaos-stats":
        print(json.dumps(call("GET", "/__fake/chaos")))
    elif cmd == "chaos-log":
        since = int(args[0]) if args else 0
        for record in call("GET", f"/__fake/chaos/log?since={since}")["records"]:
            print(json.dumps(record))
    elif cmd == "ratelimit":
        call("POST", "/__fake/ratelimit", json.loads(args[0]))
    elif cmd == "users":
        offset = 0
        while True:
            page = call("GET", f"/__fake/users?offset={offset}&limit=5000")
            users = page["data"] if isinstance(page, dict) else page
            for user in users:
                print(json.dumps(user))
            if len(users) < 5000:
                break
            offset += len(users)
    elif cmd == "user":
        print(json.dumps(call("GET", "/__fake/users/" + urllib.parse.quote(args[0], safe=""))))
    elif cmd == "groups":
        groups = call("GET", "/__fake/expect/groups")
        for group in groups.get("groups", groups) if isinstance(groups, dict) else groups:
            print(json.dumps(group))
    elif cmd == "access":
        query = "?" + urllib.parse.urlencode({"account_id": args[0]}) if args else ""
        for entry in call("GET", "/__fake/expect/access" + query)["access"]:
            print(json.dumps(entry))
    elif cmd == "activity":
        account, product, site, when = args
        try:
            call("POST", f"/__fake/users/{urllib.parse.quote(account, safe='')}/activity",
                 {"product": product, "site": site,
                  "last_active": None if when == "null" else when})
        except urllib.error.HTTPError as exc:
            sys.exit(f"fakectl: activity refused: {exc.read().decode()}")
    elif cmd == "export-users":
        sys.stdout.buffer.write(fetch("/__fake/export/users.csv"))
    elif cmd == "inactive":
        query = urllib.parse.urlencode({"product": args[0], "days": args[1]})
        for account_id in call("GET", "/__fake/expect/inactive?" + query)["account_ids"]:
            print(account_id)
    elif cmd == "sent":
        print(sum(1 for e in call("GET", "/__fake/requests") if re.search(args[0], e["path"])))
    elif cmd == "bodies":
        for e in call("GET", "/__fake/requests"):
            if re.search(args[0], e["path"]):
                print(json.dumps(e["body"], sort_keys=True))
    elif cmd == "connections":
        print(len({e["conn"] for e in call("GET", "/__fake/requests") if re.search(args[0], e["path"])}))
    elif cmd == "overlap":
        # the most matching requests the fake was serving at one moment
        spans = [(e["t"], e["t"] + (e["ms"] or 0) / 1000) for e in call("GET", "/__fake/requests")
                 if re.search(args[0], e["path"])]
        edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
        most = now = 0
        for _, step in edges:
            now += step
            most = max(most, now)
        print(most)
    elif cmd == "peak":
        # the most matching requests that arrived within any window of S seconds
        times = sorted(e["t"] for e in call("GET", "/__fake/requests") if re.search(args[0], e["path"]))
        window, most, lo = float(args[1]), 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window:
                lo += 1
            most = max(most, hi - lo + 1)
        print(most)
    elif cmd == "span":
        # the first and the last arrival of the matching requests (epoch seconds)
        times = sorted(e["t"] for e in call("GET", "/__fake/requests") if re.search(args[0], e["path"]))
        print(f"{times[0]:.6f} {times[-1]:.6f}" if times else "")
    elif cmd == "reset-log":
        call("DELETE", "/__fake/requests")
    elif cmd == "answered":
        print(call("GET", "/__fake/stats")["status_counts"].get(args[0], 0))
    elif cmd == "requests":
        print(json.dumps(call("GET", "/__fake/requests")))
    else:
        sys.exit(f"fakectl: unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
