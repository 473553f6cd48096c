#!/usr/bin/python3
"""Writes the CSV files Atlassian's admin console exports, derived from the fake org.

    /usr/bin/python3 test/csv/make_exports.py OUTDIR [--users 200] [--seed 1] [--now EPOCH] [--examples]

Same --users/--seed/--now as test/fake/server.py give the same account ids,
names, e-mails, statuses, groups and last-active dates, so an import can be
joined with atl_users() of a running fake (dates are UTC days of the fake's
timestamps: pass the fake's --now, or `start_time_ns / 1e9` from /__fake/info).
Headers follow /work/shared/atlassian/REFERENCE.md section 9; OUTDIR/EXPECTED.json
says, for every file, its format, how many rows must import and which lines
must be rejected.  The default --now is the current time, like the fake's;
everything but dates is independent of it, and so is EXPECTED.json.

Format files (every user of the model; `not_invited` users are not directory
members, so only accounts.csv lists them):
  current_list.csv   "Export users" since 2021-09: groups as one comma list
  current_group_name.csv  the same, the list's header "Group name" (no "Group id")
  current_pivot.csv  the same, pivoted: one row per user x group
  v2019.csv          2019-2021 format;  v2018.csv  ~2018 format, one row per group
  accounts.csv       "Export accounts": managed accounts, product columns = site lists

--examples writes only these, as examples/ ships them: export-users.csv,
export-users-group-name.csv, export-users-pivoted.csv, export-users-2019.csv,
export-users-2018.csv, export-accounts.csv (nothing else, no EXPECTED.json).

Broken and awkward files (20 data records each unless said; line = physical
line, 1-based, header = line 1, a record's line = the line it starts on):
  awkward_ok.csv         BOM, CRLF, shuffled columns; record 3 has "" quotes
                         (line 4), record 5 a name with a comma and a newline
                         (lines 6-7), records 8 and 12 CJK and emoji names
                         (lines 10, 14), 2 blank lines at the end: 20 good rows
  missing_column.csv     current format without `email`: the file is refused
  unknown_format.csv     5 rows of a Jira issue export (duplicate `Labels`): refused
  bad_rows.csv           record 4's name spans lines 5-7; line 11: 24 fields
                         (an unquoted comma), line 16: 20 fields, line 20:
                         Added to org `31 Foo 2024`: 17 good rows
  unterminated_quote.csv line 21 opens a quote that never closes: 19 good rows
  latin1.csv             ISO-8859-1 names on lines 3, 7, 12, 18 (invalid UTF-8)
  long_field.csv         line 11: a User name of 2 MiB; all 20 rows good
  empty.csv (0 bytes), header_only.csv (0 rows)
"""

import argparse
import csv
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fake"))
from org import DAY, Org, Stamp  # noqa: E402
from access import ADMIN, highest  # noqa: E402

ORG_ID = "acme-org"          # the fake's default; users do not depend on it
MONTHS = ("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec").split()
# Fake product key -> app name in "Export users" headers.
APPS = {"jira-software": "Jira Software", "confluence": "Confluence",
        "jira-servicedesk": "Jira Service Management", "jira-core": "Jira Work Management"}
# Fake product key -> "Export accounts" product column (Jira Software is "Jira" there).
ACCOUNT_PRODUCTS = {"jira-software": "Jira", "confluence": "Confluence",
                    "jira-servicedesk": "Jira Service Management",
                    "jira-core": "Jira Work Management"}
SITES = ("acme", "acme-labs")
ACCESS = [f"{app} - {site}" for site in SITES for app in APPS.values()]
SEEN = ["Last seen in " + col for col in ACCESS]
META = ["User id", "User name", "email", "User status", "Added to org", "Org role"]
# The header of the non-pivoted group list is unconfirmed (REFERENCE 9.1 says
# "likely `Group name` or `Groups`"); `Groups` keeps it apart from the pivot's.
GROUPS = "Groups"
LIST_COLS = META + [GROUPS] + ACCESS + SEEN
# the other likely header of the list (no "Group id" beside it: not the pivot)
LIST_COLS_GROUP_NAME = META + ["Group name"] + ACCESS + SEEN
PIVOT_COLS = ["Group id", "Group name"] + META + SEEN + ACCESS  # order unconfirmed: vary it
AWKWARD_COLS = (["email", "User name", "User id", GROUPS, "User status", "Org role",
                 "Added to org"] + [c for pair in zip(SEEN, ACCESS) for c in pair])
V2019_COLS = ["id", "name", "email", "created", "active", "Last seen in Jira Software",
              "Last seen in Jira Service Desk", "Last seen in Confluence"]
# The real 2018 file (REFERENCE 9.2) has a Stride column; importers must ignore it.
V2018_COLS = ["group_name", "username", "full_name", "email", "active", "created",
              "Last active in Confluence", "Last active in Stride", "Last active in Jira",
              "Jira Service Desk", "Jira Software", "Confluence"]
ACCOUNT_COLS = (["Name", "Email", "Atlassian ID", "Status", "Last active date [UTC]",
                 "Bitbucket"] + sorted(set(ACCOUNT_PRODUCTS.values())))
# Export status per fake status; for_deletion accounts are inactive, and
# "Inactive" is the value seen in the wild next to "Deactivated".
STATUS = {"active": "Active", "suspended": "Suspended", "deactivated": "Deactivated",
          "for_deletion": "Inactive"}
NEVER_ACCESSED, NEVER_LOGGED = "Never accessed", "Never logged in"
NOT_180 = "Not active in the last 180 days"
TRACKED_DAYS = 4 * 365       # 2018 format: "created" older than this is "Before <date>"
SMALL = 20                   # data records in each broken/awkward file


class Model:
    """The fake org as the exports see it: users, sites, UTC days."""

    def __init__(self, users, seed, now):
        self.org = Org(seed, users, ORG_ID, now)
        self.site_of = {s["ari"]: s["url"].split("//")[1].split(".")[0]
                        for sites in self.org.sites.values() for s in sites}
        self._days = {}

    def users(self):
        """(user, fake status) of every user, in index order."""
        for i in range(self.org.n_users):
            user = self.org.user(i)
            yield user, self.org.state(user)[2]

    def day(self, stamp):
        """(YYYY-MM-DD, `3 Jan 2024`) of a stamp's UTC day (no locale: %b is one)."""
        day = self.org.clock.epoch_ns(stamp) // 10**9 // DAY
        if day not in self._days:
            y, m, d = time.gmtime(day * DAY)[:3]
            self._days[day] = (f"{y:04d}-{m:02d}-{d:02d}", f"{d} {MONTHS[m - 1]} {y}")
        return self._days[day]

    def newest(self, user, keys):
        """Newest stamp of the products `keys` over all sites: (has access, stamp or None)."""
        stamps = [s for key, _, s in user.products if key in keys]
        used = [s for s in stamps if s is not None]
        return bool(stamps), (min(used, key=lambda s: s.age_ns()) if used else None)


def org_role(user):
    # Values unconfirmed (the one real row has it empty): name org-level roles only.
    if "atlassian/org-admin" in user.platform_roles:
        return "Organization admin"
    return "User access admin" if "atlassian/user-access-admin" in user.platform_roles else ""


def current_row(m, user, status):
    """One "Export users" row (a dict by header) of a directory member."""
    row = {"User id": user.account_id, "User name": user.name, "email": user.email,
           "User status": STATUS[status], "Added to org": m.day(user.added)[1],
           "Org role": org_role(user),
           GROUPS: ", ".join(m.org.groups[g]["name"] for g in user.groups)}
    row.update(dict.fromkeys(ACCESS + SEEN, ""))   # no access: both columns empty
    held = {(key, ari): roles for key, ari, roles in user.access}
    for key, ari, stamp in user.products:
        col = f"{APPS[key]} - {m.site_of[ari]}"
        row[col] = "Admin" if highest(held[key, ari]) == ADMIN else "User"
        row["Last seen in " + col] = NEVER_ACCESSED if stamp is None else m.day(stamp)[1]
    return row


def members(m):
    """(user, status) of the directory's members: "Export users" lists no others."""
    return [(u, s) for u, s in m.users() if s in STATUS]


def current_rows(m):
    return [current_row(m, u, s) for u, s in members(m)]


def pivot(m, rows):
    """One row per user x group; a user without groups keeps one row, groups empty."""
    out = []
    for (user, _), row in zip(members(m), rows):
        for g in user.groups or (None,):
            group = m.org.groups[g] if g is not None else {"uuid": "", "name": ""}
            out.append(dict(row, **{"Group id": group["uuid"], "Group name": group["name"]}))
    return out


def v2019_row(m, user, status):
    """2019-2021: newest use of a product over all sites; empty without access
    (unconfirmed: the format has no access columns, so empty keeps that fact)."""
    def seen(*keys):
        has, stamp = m.newest(user, keys)
        return "" if not has else NEVER_LOGGED if stamp is None else m.day(stamp)[1]
    return {"id": user.account_id, "name": user.name, "email": user.email,
            "created": m.day(user.added)[1], "active": "Yes" if status == "active" else "No",
            "Last seen in Jira Software": seen("jira-software"),
            "Last seen in Jira Service Desk": seen("jira-servicedesk"),
            "Last seen in Confluence": seen("confluence")}


def v2018_rows(m, user, status):
    """~2018: one row per group; usernames (the e-mail's local part) instead of
    account ids.  As in the real file, "Never logged in" also without access,
    and use older than 180 days is no longer dated."""
    def last(*keys):
        stamp = m.newest(user, keys)[1]
        if stamp is None:
            return NEVER_LOGGED
        return NOT_180 if stamp.age_ns() > 180 * DAY * 10**9 else m.day(stamp)[1]
    keys = {key for key, _, _ in user.products}
    yes = lambda key: "Yes" if key in keys else "No"
    created = m.day(user.added)[1]
    if user.added.days > TRACKED_DAYS:
        created = "Before " + m.day(Stamp(TRACKED_DAYS, 0))[1]
    row = {"username": user.email.split("@")[0], "full_name": user.name, "email": user.email,
           "active": "Yes" if status == "active" else "No", "created": created,
           "Last active in Confluence": last("confluence"), "Last active in Stride": NEVER_LOGGED,
           "Last active in Jira": last("jira-software", "jira-servicedesk", "jira-core"),
           "Jira Service Desk": yes("jira-servicedesk"), "Jira Software": yes("jira-software"),
           "Confluence": yes("confluence")}
    names = [m.org.groups[g]["name"] for g in user.groups] or [""]
    return [dict(row, group_name=name) for name in names]


def account_row(m, user):
    """"Export accounts": a managed account; product columns list its sites."""
    sites = {}
    for key, ari, _ in user.products:   # site A before site B, as the fake lists them
        sites.setdefault(ACCOUNT_PRODUCTS[key], []).append(m.site_of[ari] + ".atlassian.net")
    stamp = m.newest(user, APPS)[1]
    row = {"Name": user.name, "Email": user.email, "Atlassian ID": user.account_id,
           "Status": "Active" if m.org.state(user)[0] == "active" else "Deactivated",
           "Last active date [UTC]": m.day(stamp)[0] if stamp else ""}
    row.update({col: ", ".join(sites.get(col, ())) for col in ACCOUNT_COLS[5:]})
    return row


# ---- writing --------------------------------------------------------------------
class Chunks(list):
    """A csv.writer target that keeps each row's text apart, to count its lines."""
    write = list.append


def expect(fmt, good, bad=(), error=None, **extra):
    """An EXPECTED.json entry; bad = ((line, reason), ...)."""
    return dict(format=fmt, good_rows=good, error=error,
                bad_lines=[{"line": line, "reason": why} for line, why in bad], **extra)


def encode(cols, records):
    """CSV text (QUOTE_MINIMAL, CRLF) of a header and records, and the physical
    line each record starts on.  A record is a dict (by header), a list of
    fields written as is (wrong field counts), or a raw string."""
    chunks = Chunks()
    w = csv.writer(chunks, lineterminator="\r\n")
    w.writerow(cols)
    line, starts = 2, []
    for rec in records:
        starts.append(line)
        if isinstance(rec, str):
            chunks.append(rec)
        else:
            w.writerow([rec.get(c, "") for c in cols] if isinstance(rec, dict) else rec)
        line += chunks[-1].count("\n")
    return "".join(chunks), starts


def save(outdir, name, data):
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def write_formats(m, outdir, expected):
    rows, n = current_rows(m), len(members(m))
    old = [r for u, s in members(m) for r in v2018_rows(m, u, s)]
    files = {   # name: (format, header, records, extra expectations)
        "current_list.csv": ("users-current", LIST_COLS, rows, {"users": n, "groups": "list"}),
        "current_group_name.csv": ("users-current", LIST_COLS_GROUP_NAME,
                                   [dict(r, **{"Group name": r[GROUPS]}) for r in rows],
                                   {"users": n, "groups": "list"}),
        "current_pivot.csv": ("users-current", PIVOT_COLS, pivot(m, rows),
                              {"users": n, "groups": "pivot"}),
        "v2019.csv": ("users-2019", V2019_COLS, [v2019_row(m, u, s) for u, s in members(m)],
                      {"users": n}),
        "v2018.csv": ("users-2018", V2018_COLS,
                      sorted(old, key=lambda r: (r["group_name"], r["full_name"].lower())),
                      {"users": n}),
        "accounts.csv": ("accounts", ACCOUNT_COLS,
                         [account_row(m, u) for u, _ in m.users() if u.claim == "managed"], {})}
    for name, (fmt, cols, recs, extra) in files.items():
        save(outdir, name, encode(cols, recs)[0])
        expected[name] = expect(fmt, len(recs), **extra)


# ---- broken and awkward files (small: SMALL records of current_list) --------------
def as_fields(rec, cols=LIST_COLS):
    return [rec.get(c, "") for c in cols]


def awkward_ok(small):
    """Valid but awkward: BOM, quotes, a comma and a newline in a name, CJK and
    emoji (4-byte UTF-8), shuffled columns, blank lines at the end."""
    names = {2: 'Amélie "Ami" Lefèvre', 4: "Jörg Großmann (Lead, Platform\nTeam)",
             7: "山田 漢字", 11: "Zoë O'Neil 🚀"}
    recs = [dict(r) for r in small]
    values = {}
    for i, name in names.items():
        recs[i]["User name"] = name
        values[recs[i]["User id"]] = {k: recs[i][k] for k in ("User name", "email", GROUPS)}
    text, starts = encode(AWKWARD_COLS, recs)
    assert [starts[i] for i in names] == [4, 6, 10, 14]
    return "\ufeff" + text + "\r\n\r\n", expect("users-current", len(recs), groups="list",
                                                 values=values)


def bad_rows(small):
    recs = [dict(r) for r in small]
    recs[3]["User name"] += " (Lead, Platform\nTeam\nBerlin)"   # record 4: lines 5-7
    first, last = recs[7]["User name"].split(" ", 1)
    long = as_fields(recs[7])
    long[1:2] = [last, " " + first]                  # "Last, First" left unquoted
    recs[7] = long
    recs[12] = as_fields(recs[12])[:-3]
    recs[16]["Added to org"] = "31 Foo 2024"
    text, starts = encode(LIST_COLS, recs)
    bad = [(starts[7], f"too many fields ({len(long)}, header has {len(LIST_COLS)})"),
           (starts[12], f"too few fields ({len(LIST_COLS) - 3}, header has {len(LIST_COLS)})"),
           (starts[16], "unparseable date in Added to org: 31 Foo 2024")]
    assert [line for line, _ in bad] == [11, 16, 20] and starts[4] == 8
    return text, expect("users-current", len(recs) - 3, bad, groups="list")


def unterminated(small):
    last = small[-1]
    line = encode(LIST_COLS, [last])[0].split("\r\n", 1)[1]
    line = line.replace(f",{last['User name']},", f',"{last["User name"]},', 1)
    text, starts = encode(LIST_COLS, small[:-1] + [line])
    assert starts[-1] == 21
    return text, expect("users-current", len(small) - 1,
                        [(starts[-1], "quoted field opened here never closes (end of file)")],
                        groups="list")


def latin1(small):
    names = {1: "José Núñez", 5: "Jürgen Großmann", 10: "Françoise Dupré",
             16: "Søren Ødegård"}
    recs = [dict(r, **({"User name": names[i]} if i in names else {}))
            for i, r in enumerate(small)]
    text, starts = encode(LIST_COLS, recs)
    bad = [(starts[i], "invalid UTF-8 (ISO-8859-1 text)") for i in names]
    assert [line for line, _ in bad] == [3, 7, 12, 18]
    return text.encode("iso-8859-1"), expect("users-current", len(recs) - len(bad), bad,
                                             groups="list", encoding="ISO-8859-1")


def long_field(small):
    size = 2 * 1024 * 1024
    recs = [dict(r) for r in small]
    recs[9]["User name"] = ("Lorem ipsum dolor sit amet " * (size // 27 + 1))[:size]
    text, starts = encode(LIST_COLS, recs)
    return text, expect("users-current", len(recs), groups="list",
                        long_fields=[{"line": starts[9], "column": "User name", "bytes": size}])


JIRA_ISSUE_COLS = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key",
                   "Project name", "Priority", "Assignee", "Reporter", "Created", "Updated",
                   "Labels", "Labels"]


def unknown_format(small):
    recs = [[f"Fix login for {r['User name']}", f"OPS-{i + 1}", str(10000 + i), "Task",
             "To Do", "OPS", "Operations", "Medium", r["User name"], "Mia Krystof",
             "03/Jan/24 10:15 AM", "28/Apr/24 4:02 PM", "infra", ""]
            for i, r in enumerate(small[:5])]
    return encode(JIRA_ISSUE_COLS, recs)[0], expect(None, 0,
                                                    error="headers match no known export")


def write_broken(m, outdir, expected):
    small = current_rows(m)[:SMALL]
    cols = [c for c in LIST_COLS if c != "email"]
    files = {"awkward_ok.csv": awkward_ok(small),
             "missing_column.csv": (encode(cols, small)[0], expect(
                 "users-current", 0, error="missing required column: email",
                 missing_columns=["email"])),
             "unknown_format.csv": unknown_format(small),
             "bad_rows.csv": bad_rows(small),
             "unterminated_quote.csv": unterminated(small),
             "latin1.csv": latin1(small),
             "long_field.csv": long_field(small),
             "empty.csv": (b"", expect(None, 0, error="empty file")),
             "header_only.csv": (encode(LIST_COLS, [])[0],
                                 expect("users-current", 0, groups="list"))}
    for name, (data, exp) in files.items():
        save(outdir, name, data)
        expected[name] = exp


# --examples: the format files under the names the console gives them
# (examples/ at the top of the repository; README "CSV exports")
EXAMPLES = {"current_list.csv": "export-users.csv",
            "current_group_name.csv": "export-users-group-name.csv",
            "current_pivot.csv": "export-users-pivoted.csv",
            "v2019.csv": "export-users-2019.csv", "v2018.csv": "export-users-2018.csv",
            "accounts.csv": "export-accounts.csv"}


def write_examples(m, outdir):
    """The format files only, renamed; nothing else in outdir is touched."""
    tmp = os.path.join(outdir, ".formats")
    os.makedirs(tmp, exist_ok=True)
    write_formats(m, tmp, {})
    for name, example in EXAMPLES.items():
        os.replace(os.path.join(tmp, name), os.path.join(outdir, example))
        print(f"{example:30} from {name}")
    os.rmdir(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--now", type=float, default=None,
                    help="the fake's --now (epoch seconds); default: now")
    ap.add_argument("--examples", action="store_true",
                    help="write only the format files, named as the console names them")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    m = Model(args.users, args.seed, time.time() if args.now is None else args.now)
    if args.examples:
        write_examples(m, args.outdir)
        return
    if len(members(m)) < SMALL:
        sys.exit(f"need at least {SMALL} directory members for the small files: raise --users")
    expected = {}
    write_formats(m, args.outdir, expected)
    write_broken(m, args.outdir, expected)
    with open(os.path.join(args.outdir, "EXPECTED.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for name, exp in expected.items():
        print(f"{name:24} {exp['format'] or '-':14} {exp['good_rows']:6} good rows")


if __name__ == "__main__":
    main()
