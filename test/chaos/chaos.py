#!/usr/bin/python3
"""Chaos test: a few thousand mutated answers through atlorg's reads and actions.

    /usr/bin/python3 test/chaos/chaos.py        (or bash test/chaos/run.sh)

Runs against a cluster and a fake that are already up (test/run.sh's, or
test/chaos/run.sh's own): PGHOST, PGPORT, PGUSER, FAKE_URL, FAKE_KEY and
ATLORG_SERVER_LOG as test/lib/cluster.sh sets them.  It makes its own
database (atlorg_chaos, dropped first if it exists), with the extension, a
server on the fake (Jira site included) and the caller's user mapping.

Then, until CHAOS_ANSWERS answers have been mutated (default 3,000; the
replays of a repeated cursor are not counted) or CHAOS_SECONDS have gone
(default 90), it switches on the fake's chaos mode (test/fake/chaos.py,
every mutation, repeated cursors a quarter as often as the others) for one
statement at a time, with a new seed drawn from CHAOS_SEED (default 7), and
runs it.  Two statements in three are a read (atl_users, atl_groups,
atl_group_members, atl_accounts, atl_last_active, atl_events, atl_jira_*,
atl_role_assignments, atl_group_grants, atl_sites,
atl_read of several operations, ...) at a rate of 0.5, 0.3 or 0.1, so that
some reads go many pages deep before a bad answer; the third is an action at
a rate of 0.5 (atl_suspend, atl_restore, atl_disable, atl_enable,
atl_add_to_group, atl_remove_from_group), set-based over 20 to 80 accounts
or per row (LATERAL) over 3 to 8, with dry_run => false, on generated users,
an org admin (refused) and unknown ids (404s), in groups of both kinds and
one that does not exist.

What must hold, each failure printed as a violation:
  - a read succeeds, or fails with an error whose SQLSTATE is not XX000,
    without losing the connection; a read still following a repeated cursor
    at statement_timeout (3 s; 10 s for the reads that page the whole org) is
    a violation, one that is only slow (megabytes of huge_body answers) is
    not; a read that succeeds returns valid UTF-8;
  - an action call returns one row per account, and every row of atl_audit
    of every statement ends with an outcome other than 'pending' (the
    executor gets CHAOS_GRACE seconds, default 10, at the end);
  - the executor never dies: the server log shows no "atlorg executor"
    exiting with a code other than 0 (0 is its idle exit); after the run, a
    clean action is carried out by an executor in pg_stat_activity;
  - the server never restarts: pg_postmaster_start_time() is unchanged and
    the server log shows no process terminated by a signal and no
    reinitialization.

Each violation names the statement and the mutations its answers got (for
an executor's death, the likeliest culprit first).  The first CHAOS_SHOWN
(15) of each kind are printed, every one is written to CHAOS_REPORT
(default $ATLORG_TMP/chaos-violations.txt).  The driver's own session logs
no errors (log_min_messages = fatal): an error about a huge_body answer
quotes megabytes.  It ends with a summary and exits 1 when anything was
violated.  Python standard library and python3-psycopg2.
"""

import collections
import http.client
import json
import os
import random
import re
import sys
import time
import urllib.parse

import psycopg2

FAKE_URL = os.environ["FAKE_URL"]
FAKE_KEY = os.environ["FAKE_KEY"]
SERVER_LOG = os.environ.get("ATLORG_SERVER_LOG")
DB = os.environ.get("CHAOS_DB", "atlorg_chaos")
TARGET = int(os.environ.get("CHAOS_ANSWERS", "3000"))
BUDGET_S = float(os.environ.get("CHAOS_SECONDS", "90"))
SEED = int(os.environ.get("CHAOS_SEED", "7"))
GRACE_S = float(os.environ.get("CHAOS_GRACE", "10"))
SHOWN = int(os.environ.get("CHAOS_SHOWN", "15"))  # violations printed per kind (0: all)
REPORT = os.environ.get("CHAOS_REPORT") or os.path.join(
    os.environ.get("ATLORG_TMP") or "/tmp", "chaos-violations.txt")
READ_TIMEOUT = "3s"                   # the reads that page the whole org get SLOW_READ_TIMEOUT
SLOW_READ_TIMEOUT = "10s"
ACTION_TIMEOUT = "30s"
EXECUTOR = "atlorg executor"          # pg_stat_activity.backend_type (src/exec_client.c)
UNKNOWN_IDS = ["557057:00000000-0000-4000-8000-00000000%04x" % i for i in range(40)]
ORG_ADMIN = "5b10ac8d82e05b22cc7d4ef5"   # fixed user 0 (test/fake/fixed_users.py)
# every mutation alike, but repeated cursors less often: on code that does
# not notice them, each costs a read its whole statement_timeout
WEIGHTS = {"escape_nul": 1, "escape_surrogate": 1, "escape_invalid": 1, "number_overflow": 1,
           "number_digits": 1, "deep_nesting": 1, "truncate": 1, "wrong_type": 1,
           "wrong_content_type": 1, "empty_200": 1, "invalid_utf8": 1, "repeated_cursor": 0.25,
           "huge_body": 1}
WEIGHTS.update(json.loads(os.environ.get("CHAOS_WEIGHTS") or "{}"))   # e.g. '{"truncate": 0}'


# ---- the fake --------------------------------------------------------------------------
class Control:
    """The fake's control API over one keep-alive connection."""

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.conn = None

    def __call__(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data,
                                  headers={"Content-Type": "application/json"})
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        if resp.status != 200:
            raise RuntimeError(f"the fake's control API: {method} {path}: {resp.status} {raw!r}")
        return json.loads(raw) if raw else None


fake = Control(FAKE_URL)


def chaos_on(rate, seed):
    fake("POST", "/__fake/chaos", {"rate": rate, "seed": seed, "mutations": WEIGHTS})


def chaos_state():
    return fake("GET", "/__fake/chaos")


def mutations_between(first_seq, last_seq):
    """The fake's mutation records with first_seq < seq <= last_seq."""
    if last_seq <= first_seq:
        return []
    return [r for r in fake("GET", f"/__fake/chaos/log?since={first_seq}")["records"]
            if r["seq"] <= last_seq]


def describe_mutations(records, most=4):
    """A short account of what a statement's answers got."""
    if not records:
        return "no mutated answer"
    replays = sum(1 for r in records if r["detail"].endswith("the same page again"))
    firsts = [r for r in records if not r["detail"].endswith("the same page again")]
    parts = [f"{r['mutation']} ({r['detail'][:90]}) on {r['method']} {short_path(r['path'])} "
             f"{r['status']}->{r['sent_status']}" for r in firsts[:most]]
    if len(firsts) > most:
        parts.append(f"{len(firsts) - most} more")
    if replays:
        parts.append(f"{replays} replays of a repeated cursor")
    return "; ".join(parts)


# which mutations can make PostgreSQL raise which error: to name a likely culprit
CULPRITS = [("unsupported Unicode escape", ("escape_nul",)),
            ("invalid input syntax for type json", ("escape_surrogate", "escape_invalid",
                                                    "truncate", "deep_nesting")),
            ("stack depth limit", ("deep_nesting",)),
            ("overflows numeric", ("number_overflow",)),
            ("out of range", ("number_digits", "number_overflow")),
            ("invalid byte sequence", ("invalid_utf8",))]


def likely(records, error):
    """The records whose mutation could have raised error, the likeliest first."""
    for needle, names in CULPRITS:
        if needle in error:
            hits = [r for r in records if r["mutation"] in names]
            return sorted(hits, key=lambda r: names.index(r["mutation"]))
    return []


def short_path(path):
    return re.sub(r"^/admin/v\d/orgs/[^/]+", "…", path)


# ---- PostgreSQL ------------------------------------------------------------------------
def connect(dbname, session=True):
    conn = psycopg2.connect(dbname=dbname, connect_timeout=10,
                            application_name="atlorg chaos")
    conn.autocommit = True
    if session:
        with conn.cursor() as cur:
            cur.execute("SET search_path = public, atlorg")
    return conn


def lost(exc, conn):
    return conn.closed != 0 or (isinstance(exc, (psycopg2.OperationalError,
                                                 psycopg2.InterfaceError))
                                and exc.pgcode is None)


class ServerLog:
    """New lines of the server log, read as they come, scanned for what matters."""
    EXIT = re.compile(rb'background worker "atlorg executor" \(PID (\d+)\) '
                      rb'(exited with exit code (\d+)|was terminated by signal (\d+)[^\n]*)')
    CRASH = re.compile(rb"[^\n]*(terminated by signal|server process \(PID \d+\) was terminated"
                       rb"|all server processes terminated|reinitializing)[^\n]*")
    ERROR = re.compile(rb"\[(\d+)\] (?:\S+ )?(ERROR|FATAL|PANIC):  ([^\n]{0,300})")

    def __init__(self, path):
        self.path = path
        self.offset = os.path.getsize(path) if path and os.path.exists(path) else 0
        self.errors_by_pid = {}
        self.exits = []          # (pid, how, last error of that pid)
        self.crashes = []

    def scan(self):
        if not self.path or not os.path.exists(self.path):
            return [], []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        cut = data.rfind(b"\n") + 1          # whole lines only
        data = data[:cut]
        self.offset += cut
        for m in self.ERROR.finditer(data):
            self.errors_by_pid[m.group(1).decode()] = \
                f"{m.group(2).decode()}: {m.group(3).decode('utf-8', 'replace')}"
        new_exits = []
        for m in self.EXIT.finditer(data):
            pid = m.group(1).decode()
            how = m.group(2).decode()
            if m.group(3) is not None and m.group(3) == b"0":
                continue                   # the executor's idle exit
            new_exits.append((pid, how, self.errors_by_pid.get(pid, "(no error logged)")))
        new_crashes = [m.group(0).decode("utf-8", "replace")[:300]
                       for m in self.CRASH.finditer(data)]
        self.exits += new_exits
        self.crashes += new_crashes
        return new_exits, new_crashes


# ---- the statements --------------------------------------------------------------------
def wrap(inner):
    """Count the rows; return the text of any row that is not ASCII (all the
    fake's data is), so that invalid UTF-8 in a result reaches the client."""
    return ("SELECT count(*), string_agg(x::text, E'\\n') FILTER (WHERE x::text ~ '[^\\x01-\\x7f]')"
            f" FROM ({inner}) AS x")


def reads(ids, groups):
    one = ids[0]
    some = "ARRAY[" + ",".join(f"'{a}'" for a in ids[:12]) + "]"
    some_unknown = "ARRAY[" + ",".join(f"'{a}'" for a in ids[12:18] + UNKNOWN_IDS[:2]) + "]"
    group = groups["jira-software-users"]
    return [
        ("atl_users()", "SELECT * FROM atl_users()"),
        ("atl_users(status)", "SELECT * FROM atl_users(status => '{active,suspended}')"),
        ("atl_users(search)", "SELECT * FROM atl_users(search => 'an', max_rows => 500)"),
        ("atl_groups()", "SELECT * FROM atl_groups()"),
        ("atl_groups(search)", "SELECT * FROM atl_groups(search => 'jira')"),
        ("atl_group_members", f"SELECT * FROM atl_group_members(ARRAY['{group}'])"),
        ("atl_directories", "SELECT * FROM atl_directories()"),
        ("atl_workspaces", "SELECT * FROM atl_workspaces()"),
        ("atl_domains", "SELECT * FROM atl_domains()"),
        ("atl_user_count", "SELECT atl_user_count(status => '{active}') AS n"),
        ("atl_user_stats", "SELECT * FROM atl_user_stats()"),
        ("atl_group_count", "SELECT atl_group_count() AS n"),
        ("atl_group_stats", "SELECT * FROM atl_group_stats()"),
        ("atl_accounts", "SELECT * FROM atl_accounts(max_rows => 1500)"),
        ("atl_last_active", f"SELECT * FROM atl_last_active({some})"),
        ("atl_last_active(unknown)", f"SELECT * FROM atl_last_active({some_unknown})"),
        ("atl_user_roles", f"SELECT * FROM atl_user_roles('{one}')"),
        ("atl_group_roles", f"SELECT * FROM atl_group_roles('{group}')"),
        ("atl_role_assignments", f"SELECT * FROM atl_role_assignments({some})"),
        ("atl_group_grants", "SELECT * FROM atl_group_grants()"),
        ("atl_sites", "SELECT * FROM atl_sites()"),
        ("atl_api_tokens", f"SELECT * FROM atl_api_tokens('{ids[1]}')"),
        ("atl_events", "SELECT * FROM atl_events(since => now() - interval '400 days', "
                       "max_rows => 600)"),
        ("atl_event_actions", "SELECT * FROM atl_event_actions()"),
        ("atl_jira_users", "SELECT * FROM atl_jira_users()"),
        ("atl_jira_groups", "SELECT * FROM atl_jira_groups()"),
        ("atl_jira_group_members", f"SELECT * FROM atl_jira_group_members('{group}')"),
        ("atl_read(users.search)", "SELECT * FROM atl_read('users.search', "
                                   "'{\"body\": {\"searchTerm\": \"a\"}}', 700) AS r"),
        ("atl_read(groups.search)", "SELECT * FROM atl_read('groups.search') AS r"),
        ("atl_read(events)", "SELECT * FROM atl_read('events', '{}', 300) AS r"),
        ("atl_read(domains)", "SELECT * FROM atl_read('domains') AS r"),
        ("atl_read(users.count)", "SELECT * FROM atl_read('users.count') AS r"),
        ("atl_read(workspaces)", "SELECT * FROM atl_read('workspaces') AS r"),
        ("atl_read(jira.groups)", "SELECT * FROM atl_read('jira.groups') AS r"),
        ("atl_read(accounts)", "SELECT * FROM atl_read('accounts', '{}', 1000) AS r"),
        ("atl_read(role_assignments)",
         "SELECT * FROM atl_read('users.role_assignments', "
         f"'{{\"path\": {{\"accountId\": \"{one}\"}}}}') AS r"),
    ]


SLOW_READS = {"atl_users()", "atl_users(status)", "atl_jira_users"}   # 1 to 2 s unmutated

ACTIONS = [  # (name, needs a group)
    ("atl_suspend", False), ("atl_restore", False), ("atl_disable", False),
    ("atl_enable", False), ("atl_add_to_group", True), ("atl_remove_from_group", True),
]


def action_sql(name, with_group, per_row):
    group = ", %(group)s" if with_group else ""
    if per_row:
        return (f"SELECT d.outcome FROM unnest(%(ids)s::text[]) AS v(id), "
                f"LATERAL {name}(v.id{group}, dry_run => false) AS d")
    return f"SELECT d.outcome FROM {name}(%(ids)s::text[]{group}, dry_run => false) AS d"


# ---- the run ---------------------------------------------------------------------------
class Run:
    def __init__(self):
        self.rng = random.Random(SEED)
        self.violations = collections.defaultdict(list)   # kind -> [text]
        self.read_ok = collections.Counter()
        self.read_failed = collections.Counter()          # sqlstate
        self.read_examples = {}                           # sqlstate -> message
        self.action_statements = 0
        self.action_errors = 0
        self.outcomes = collections.Counter()
        self.statements = 0
        self.seq = 0
        self.seconds = collections.Counter()              # statement name -> time spent
        self.mutated_in = collections.Counter()           # reads/actions -> answers mutated
        self.report = open(REPORT, "w")                   # every violation, in full

    def violate(self, kind, text):
        self.violations[kind].append(text)
        line = f"VIOLATION {kind}: {text}"
        self.report.write(line + "\n")
        self.report.flush()
        n = len(self.violations[kind])
        if not SHOWN or n <= SHOWN:
            print(line[:600], flush=True)
        elif n == SHOWN + 1:
            print(f"(more {kind} violations are written to {REPORT} only)", flush=True)

    # ---- setting up ---------------------------------------------------------
    def setup(self):
        admin = connect("postgres", session=False)
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
            cur.execute(f"CREATE DATABASE {DB}")
        admin.close()
        info = fake("GET", "/__fake/info")
        self.org_id = info["org_id"]
        self.groups = info["group_ids"]
        users = fake("GET", "/__fake/users?offset=13&limit=1500")["data"]
        self.ids = [u["accountId"] for u in users]
        conn = connect(DB)
        with conn.cursor() as cur:
            cur.execute("CREATE EXTENSION atlorg")
            cur.execute("CREATE SERVER chaos FOREIGN DATA WRAPPER atlorg OPTIONS "
                        "(org_id %s, api_base %s, site_url %s)",
                        (self.org_id, FAKE_URL, FAKE_URL))
            # the fake's Jira site login (test/lib/cluster.sh keeps its defaults)
            cur.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER chaos OPTIONS "
                        "(api_key %s, site_email %s, site_api_token %s)",
                        (FAKE_KEY, info["jira_site"]["email"],
                         info["jira_site"]["default_token"]))
        conn.close()
        self.obs = connect(DB)
        self.work = None
        self.open_work()
        self.start_time = self.query1("SELECT pg_postmaster_start_time()")
        self.log = ServerLog(SERVER_LOG)
        fake("POST", "/__fake/reset", {})
        # one clean read and action first: the setup works, the executor starts
        with self.work.cursor() as cur:
            cur.execute("SELECT count(*) FROM atl_users()")
            self.users = cur.fetchone()[0]
            cur.execute("SELECT outcome FROM atl_enable(%s::text[], dry_run => false)",
                        (self.ids[:3],))
            first = [r[0] for r in cur.fetchall()]
        if self.users < 1000 or len(first) != 3:
            sys.exit(f"chaos: the setup does not work: {self.users} users, "
                     f"first action {first}")
        self.answers0 = fake("GET", "/__fake/stats")["requests"]

    def open_work(self):
        self.work = connect(DB)
        with self.work.cursor() as cur:
            cur.execute("SET log_min_messages = fatal")   # huge_body errors quote megabytes
            cur.execute("SET atlorg.action_rate = 0")     # the fake has no limit: unpaced
            cur.execute("SET atlorg.last_active_rate = 100000")
            cur.execute("SELECT pg_backend_pid()")
            self.work_pid = cur.fetchone()[0]

    def query1(self, sql, args=None):
        """One value, on the observer's own session (reopened if the server went away)."""
        for attempt in range(60):
            try:
                if self.obs.closed:
                    self.obs = connect(DB)
                with self.obs.cursor() as cur:
                    cur.execute(sql, args)
                    return cur.fetchone()[0]
            except psycopg2.OperationalError:
                if attempt == 59:
                    raise
                time.sleep(0.5)

    def executors(self):
        return self.query1("SELECT count(*) FROM pg_stat_activity WHERE backend_type = %s",
                           (EXECUTOR,))

    # ---- one statement ------------------------------------------------------
    def run_statement(self, sql, args, timeout):
        """(rows or None, exception or None, lost connection?)"""
        if self.work.closed:
            self.open_work()
        try:
            with self.work.cursor() as cur:
                cur.execute(f"SET statement_timeout = '{timeout}'")
                cur.execute(sql, args)
                return cur.fetchall(), None, False
        except UnicodeDecodeError as exc:
            return None, exc, False
        except psycopg2.Error as exc:
            gone = lost(exc, self.work)
            if gone:
                try:
                    self.work.close()
                except psycopg2.Error:
                    pass
            return None, exc, gone

    def counted(self):
        return self.state["mutated"] - self.state["replays"]

    def after(self, label, kind="reads"):
        """The statement's mutations, and what the server log says since the last one."""
        before = self.counted()
        self.state = state = chaos_state()
        self.mutated_in[kind] += self.counted() - before
        first, self.seq = self.seq, state["last_seq"]
        exits, crashes = self.log.scan()
        records = None
        if exits or crashes:
            records = mutations_between(first, self.seq)
            for pid, how, error in exits:
                suspects = likely(records, error)
                told = (f"likely {describe_mutations(suspects, most=2)}; " if suspects else "") \
                    + f"{len(records)} answers of the statement mutated"
                self.violate("executor_died",
                             f"executor PID {pid} {how} after '{error}', during {label} "
                             f"[{told}]")
            for line in crashes:
                self.violate("server_restarted", f"server log: {line} (during {label})")
        self.new_exits = exits
        return first, records

    def read(self):
        name, inner = self.rng.choice(self.read_list)
        rate = self.rng.choice((0.5, 0.3, 0.1))
        chaos_on(rate, self.rng.randrange(1 << 30))
        t = time.monotonic()
        timeout = SLOW_READ_TIMEOUT if name in SLOW_READS else READ_TIMEOUT
        rows, exc, gone = self.run_statement(wrap(inner), None, timeout)
        self.seconds[name] += time.monotonic() - t
        first, records = self.after(name)
        self.statements += 1
        if exc is None:
            self.read_ok[name] += 1
            return
        code = getattr(exc, "pgcode", None)
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        why = None
        if isinstance(exc, UnicodeDecodeError):
            why = ("read_invalid_text", f"{name} succeeded with rows that are not UTF-8 ({exc})")
        elif gone:
            why = ("read_lost_connection", f"{name}: the connection was lost: {message}")
        elif code == "XX000":
            why = ("read_internal_error", f"{name}: XX000 {message}")
        elif code == "57014":
            if records is None:
                records = mutations_between(first, self.seq)
            if any(r["detail"].endswith("the same page again") for r in records):
                why = ("read_never_ended", f"{name} still following a repeated cursor at "
                                           f"statement_timeout ({timeout})")
            # else only slow (megabytes of huge_body): a clean error, 57014
        elif code is None:
            why = ("read_internal_error", f"{name}: an error without a SQLSTATE: {message}")
        if why:
            if records is None:
                records = mutations_between(first, self.seq)
            self.violate(why[0], f"{why[1]} [{describe_mutations(records)}]")
            return
        self.read_failed[code] += 1
        self.read_examples.setdefault(code, f"{name}: {message[:160]}")

    def act(self):
        name, with_group = self.rng.choice(ACTIONS)
        per_row = self.rng.random() < 0.3
        n = self.rng.randint(3, 8) if per_row else self.rng.randint(20, 80)
        pool = self.ids[3:] + UNKNOWN_IDS + [ORG_ADMIN]
        ids = self.rng.sample(pool, n)
        group = self.rng.choice([self.groups["contractors"], self.groups["engineering"],
                                 self.groups["interns"], "00000000-0000-4000-8000-00000000beef"])
        label = f"{name}({n} accounts{', per row' if per_row else ''})"
        chaos_on(0.5, self.rng.randrange(1 << 30))
        if self.work.closed:
            self.open_work()
        pid = self.work_pid
        t0 = self.query1("SELECT clock_timestamp()")
        t = time.monotonic()
        rows, exc, gone = self.run_statement(action_sql(name, with_group, per_row),
                                             {"ids": ids, "group": group}, ACTION_TIMEOUT)
        self.seconds["actions"] += time.monotonic() - t
        t1 = self.query1("SELECT clock_timestamp()")
        first, records = self.after(label, "actions")
        self.statements += 1
        self.action_statements += 1
        self.runs.append((label, pid, t0, t1))
        if exc is not None:
            self.action_errors += 1
            code = getattr(exc, "pgcode", None)
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            if records is None:
                records = mutations_between(first, self.seq)
            kind = "action_lost_connection" if gone else "action_error"
            self.violate(kind, f"{label} raised {code or 'no SQLSTATE'}: {message[:200]} "
                               f"[{describe_mutations(records)}]")
            return
        if len(rows) != n:
            self.violate("action_rows", f"{label} returned {len(rows)} rows for {n} accounts")
        pending = sum(1 for r in rows if r[0] == "pending")
        if pending:
            self.violate("action_returned_pending", f"{label} returned {pending} rows "
                                                    "still 'pending'")
        if not self.new_exits and self.executors() == 0:
            self.violate("executor_gone", f"no {EXECUTOR} in pg_stat_activity right after "
                                          f"{label}, and no exit in the server log")

    # ---- the whole run ------------------------------------------------------
    def drive(self):
        self.read_list = reads(self.ids, self.groups)
        self.runs = []
        self.t_start = time.monotonic()
        self.state = chaos_state()
        self.seq = self.state["last_seq"]
        n = 0
        while True:
            if self.counted() >= TARGET or time.monotonic() - self.t_start > BUDGET_S:
                break
            if n % 3 == 2:
                self.act()
            else:
                self.read()
            n += 1
        self.elapsed = time.monotonic() - self.t_start
        self.final_state = fake("DELETE", "/__fake/chaos")
        self.answers = fake("GET", "/__fake/stats")["requests"] - self.answers0

    def check_after(self):
        # every audit row of every statement ends with an outcome
        deadline = time.monotonic() + GRACE_S
        while True:
            pending = self.query1("SELECT count(*) FROM atl_audit WHERE outcome = 'pending'")
            if pending == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        with self.obs.cursor() as cur:
            for label, pid, t0, t1 in self.runs:
                cur.execute("SELECT outcome, count(*) FROM atl_audit WHERE backend_pid = %s "
                            "AND statement_at BETWEEN %s AND %s GROUP BY 1", (pid, t0, t1))
                for outcome, count in cur.fetchall():
                    self.outcomes[outcome] += count
            cur.execute("SELECT action, account_id, backend_pid, statement_at FROM atl_audit "
                        "WHERE outcome = 'pending' ORDER BY id")
            for action, account, pid, at in cur.fetchall():
                self.violate("audit_pending", f"{action} of {account} (backend {pid}, "
                                              f"statement at {at}) still 'pending' "
                                              f"{GRACE_S:.0f} s after the run")
        # the executor restarts on demand and acts
        rows, exc, gone = self.run_statement(
            "SELECT outcome FROM atl_enable(%(ids)s::text[], dry_run => false)",
            {"ids": self.ids[3:5]}, ACTION_TIMEOUT)
        running = self.executors()
        if exc is not None or len(rows) != 2 or \
                any(r[0] not in ("succeeded", "already", "refused") for r in rows):
            self.violate("executor_not_restarting", f"a clean atl_enable of 2 accounts after "
                                                    f"the run: {exc or rows}")
        elif running == 0:
            self.violate("executor_not_restarting", f"no {EXECUTOR} in pg_stat_activity "
                                                    "after a clean action")
        # reads still work
        rows, exc, gone = self.run_statement("SELECT count(*) FROM atl_users()", None, "60s")
        if exc is not None or rows[0][0] != self.users:
            self.violate("reads_broken_after", f"a clean atl_users() after the run: "
                                               f"{exc or rows}")
        # the server never restarted
        self.after("the checks after the run")
        try:
            now_start = self.query1("SELECT pg_postmaster_start_time()")
        except psycopg2.Error as exc:
            now_start = f"(cannot ask: {exc})"
        if now_start != self.start_time:
            self.violate("server_restarted", f"pg_postmaster_start_time() was "
                                             f"{self.start_time}, is {now_start}")
        fake("POST", "/__fake/reset", {})

    def summary(self):
        st = self.final_state
        counted = st["mutated"] - st["replays"]
        print()
        print(f"answers: {self.answers} in {self.statements} statements, "
              f"{self.elapsed:.0f} s; mutated {counted} (target {TARGET})"
              + (f", plus {st['replays']} replays of repeated cursors" if st["replays"] else ""))
        print(f"  during reads {self.mutated_in['reads']}, during actions "
              f"{self.mutated_in['actions']}")
        print("mutations: " + ", ".join(f"{k} {v}" for k, v in
                                        sorted(st["by_mutation"].items())))
        reads_ok = sum(self.read_ok.values())
        reads_failed = sum(self.read_failed.values())
        read_violations = sum(len(v) for k, v in self.violations.items() if k.startswith("read_"))
        print(f"reads: {reads_ok + reads_failed + read_violations}: ok {reads_ok}, "
              f"failed cleanly {reads_failed}, violations {read_violations}")
        for code, count in self.read_failed.most_common():
            print(f"  {code} x{count}: e.g. {self.read_examples[code]}")
        print(f"actions: {self.action_statements} statements ({self.action_errors} raised an "
              f"error), {sum(self.outcomes.values())} audit rows: "
              + ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common()))
        print(f"time: {sum(self.seconds.values()):.0f} s in statements: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.most_common(6)))
        print(f"executor: {len(self.log.exits)} deaths in the server log"
              + ("" if SERVER_LOG else " (no ATLORG_SERVER_LOG: not counted)"))
        for error, count in collections.Counter(e for _, _, e in self.log.exits).most_common():
            print(f"  x{count} after '{error[:150]}'")
        restarted = bool(self.violations.get("server_restarted"))
        print(f"server: {'RESTARTED' if restarted else 'never restarted'}")
        total = sum(len(v) for v in self.violations.values())
        print(f"violations: {total}" + (f" (every one in {REPORT})" if total else ""))
        for kind, items in sorted(self.violations.items(), key=lambda kv: -len(kv[1])):
            print(f"  {kind} x{len(items)}")
            for text in items[:3]:
                print(f"    e.g. {text[:400]}")
        return total


def main():
    run = Run()
    run.setup()
    try:
        run.drive()
    finally:
        try:
            fake("DELETE", "/__fake/chaos")
        except Exception:   # the run's own error matters more
            pass
    run.check_after()
    violations = run.summary()
    print(f"chaos: {'FAILED' if violations else 'ok'}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
