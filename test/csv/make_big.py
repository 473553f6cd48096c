#!/usr/bin/python3
"""A large "Export users" file (current format, groups as a comma list) for benchmarks.

    /usr/bin/python3 test/csv/make_big.py OUT [--rows 1000000] [--seed 1]

Not tied to the fake org: ids and e-mails are unique per row, everything else
is drawn from pools built once, so a row costs one random number, a few
indexings and a share of a csv.writer call (~450k rows/s on the dev box).  Same
--rows/--seed give the same bytes.  Prints the size and the speed on stderr.
"""

import argparse
import csv
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fake"))
import org_data as D  # noqa: E402

HEADER = ["User id", "User name", "email", "User status", "Added to org", "Org role", "Groups",
          "Jira Software - acme", "Confluence - acme", "Jira Service Management - acme",
          "Last seen in Jira Software - acme", "Last seen in Confluence - acme",
          "Last seen in Jira Service Management - acme"]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
POOL = 1 << 12              # entries per pool: indexes are 12-bit slices of one random
REST = 1 << 16              # (status, added, role, groups, access...) combinations
NOW_DAY = 20454             # 2026-01-01: fixed, so the bytes do not depend on the day
CHUNK = 20000               # rows per writerows call


def dmy(day):
    y, m, d = time.gmtime(day * 86400)[:3]
    return f"{d} {MONTHS[m - 1]} {y}"


def weighted(r, pairs):
    """POOL picks from (value, weight) pairs: the pool's mix is the weights'."""
    values, weights = zip(*pairs)
    return r.choices(values, weights, k=POOL)


def people(r):
    """(name, e-mail local part, domain); the row number makes e-mails unique."""
    out = []
    for _ in range(POOL):
        first, last = r.choice(D.FIRST_NAMES), r.choice(D.LAST_NAMES)
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        domain = r.choice(D.MANAGED_DOMAINS) if r.random() < 0.8 else r.choice(D.UNMANAGED_DOMAINS)
        out.append((f"{first} {last}", local, "@" + domain))
    return out


def id_prefixes(r):
    """Account id heads in the three real shapes; the row number in hex ends each."""
    out = []
    for _ in range(POOL):
        h = f"{r.getrandbits(80):020x}"
        shape = r.random()
        if shape < 0.4:
            out.append(h[:12])                       # 24-hex legacy id
        else:
            prefix = "557057:" if shape < 0.75 else "712020:"
            variant = "89ab"[int(h[15], 16) & 3]
            out.append(f"{prefix}{h[:8]}-{h[8:12]}-4{h[12:15]}-{variant}{h[16:19]}-")
    return out


def group_lists(r):
    """0-5 group names, ", "-joined (csv quotes the ones with commas)."""
    names = [g for g, _ in D.GROUPS]
    return [", ".join(r.sample(names, r.choice((0, 1, 1, 2, 2, 3, 3, 4, 5))))
            for _ in range(POOL)]


def last_seen(r):
    """Mostly recent dates, a long tail over 3 years, 10 % never used."""
    def one():
        if r.random() < 0.1:
            return "Never accessed"
        return dmy(NOW_DAY - (r.randrange(31) if r.random() < 0.6 else r.randrange(3 * 365)))
    return [one() for _ in range(POOL)]


def statuses(r):
    """(User status, Added to org, Org role) triples."""
    status = weighted(r, (("Active", 80), ("Suspended", 6), ("Deactivated", 10), ("Inactive", 4)))
    role = weighted(r, (("", 996), ("Organization admin", 4)))
    return [(status[k], dmy(NOW_DAY - r.randrange(5 * 365)), role[k]) for k in range(POOL)]


def accesses(r):
    """The three access columns, then their three Last seen columns."""
    seen = last_seen(r)
    out = []
    for _ in range(POOL):
        have = [r.random() < p for p in (0.7, 0.6, 0.2)]
        role = "Admin" if r.random() < 0.03 else "User"
        out.append(tuple(role if h else "" for h in have) +
                   tuple(r.choice(seen) if h else "" for h in have))
    return out


def rests(r):
    """Everything after the e-mail, REST entries of independent picks, so a row
    is one tuple concatenation (the Python side costs as much as csv.writer)."""
    meta, groups, tails = statuses(r), group_lists(r), accesses(r)
    return [r.choice(meta) + (r.choice(groups),) + r.choice(tails) for _ in range(REST)]


def write(path, rows, seed):
    r = random.Random(seed)
    people_, ids, rest = people(r), id_prefixes(r), rests(r)
    rnd, mask = r.getrandbits, POOL - 1
    with open(path, "w", newline="", encoding="utf-8", buffering=1 << 20) as f:
        w = csv.writer(f, lineterminator="\r\n")   # QUOTE_MINIMAL
        w.writerow(HEADER)
        for start in range(0, rows, CHUNK):
            batch = []
            add = batch.append
            for i in range(start, min(rows, start + CHUNK)):
                x = rnd(40)                        # 12 + 12 + 16 bits of pool indexes
                name, local, domain = people_[x & mask]
                add((ids[x >> 12 & mask] + f"{i:012x}", name, f"{local}{i}{domain}")
                    + rest[x >> 24])
            w.writerows(batch)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t0 = time.perf_counter()
    write(args.out, args.rows, args.seed)
    secs = time.perf_counter() - t0
    print(f"{args.out}: {args.rows} rows, {os.path.getsize(args.out) / 1e6:.1f} MB in "
          f"{secs:.2f} s ({args.rows / secs / 1e3:.0f}k rows/s)", file=sys.stderr)


if __name__ == "__main__":
    main()
