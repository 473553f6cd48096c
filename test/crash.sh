#!/usr/bin/env bash
# Background runs survive kill -9 (issue 11, "Crashes").  A cluster of its
# own, against the fake org of FAKE_URL (test/run.sh gives it one of its
# own) made slow: every answer 30 ms late and
# a disable 400 ms more (Atlassian's lifecycle calls are slower than its
# reads, so a read right after a restart can come before a disable still
# being made), at most 100 requests a second.  atlorg paces itself to 50 a
# second with 20 on the wire, so about 20 disables are in flight at a kill.
# Runs of 360 disables are queued with SET atlorg.background = on from a
# session that ends at once, and at a random point between a fifth and
# three fifths of the run SIGKILL hits:
#   A. the postmaster, then every process of the cluster (a power cut); the
#      cluster is started again with pg_ctl;
#   D. the same, and again as soon as the run has gone on (reconciling);
#   B. the executor (backend_type 'atlorg executor'; the run is an UPDATE of
#      atl_directory); the postmaster restarts everything by itself;
#   C. a regular backend, one holding a background run it never committed.
# After each, the run must go on by itself (the fake sees all of it before
# any session calls atlorg), end 'finished' with one final audit row per
# account, all succeeded, and agree with the fake's request log account by
# account: exactly one disable each that the fake acted on (a second would
# be answered 409: the fake is told to answer so when the account is
# already deactivated), the audit's succeeded accounts exactly those, the
# fake showing each deactivated, and every disable that was in flight at the
# kill read back (users/search with accountIds) after it and not sent again.
# Also: a run rolled back, and the run the killed backend never committed,
# send nothing, even across the five crashes; a run whose session ends the
# moment it commits completes.  About a minute.
# CRASH_LATENCY_MS, CRASH_DISABLE_MS and CRASH_LIMIT change the fake's pace.
# Prints "ok: ..." or "FAILED: ..." per check (26); exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/cluster.sh

port=$(free_port)
data=$ATLORG_TMP/data-crash
rm -rf "$data"
# request_timeout bounds how long a request can be under way at the fake
# (a disable takes 430 ms), so that waiting that out after a crash is quick
atlorg_cluster_start "$data" "$port" atlorg "atlorg.action_rate = 50
atlorg.executor_in_flight = 20
atlorg.request_timeout = '5s'"
data=$(readlink -f "$data")
holder=""
# the fake back as it was (no latency, no fault), however this ends
cleanup() {
  [ -n "$holder" ] && { kill "$holder" 2>/dev/null || true; }
  as_pg "$PG_BIN/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  $PYTHON test/fakectl.py reset || true
}
trap cleanup EXIT
sql() { PGPORT=$port PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
status=0
ok() { echo "ok: $*"; }
failed() { echo "FAILED: $*"; status=1; }
now() { date +%s.%N; }

# The fake's side, from its request log (GET /__fake/requests) and its users:
#   progress FILE SINCE   requests naming the accounts of FILE (a disable, or
#                         a users/search read) that arrived after SINCE, and
#                         how many of those accounts a disable reached (2xx)
#   check LABEL RUN FILE AUDIT STATE [KILLED GONE]
#                         the checks of a run (FILE: its accounts, a line
#                         each; AUDIT: the audit rows of those accounts or
#                         the run, "account outcome run_id"; STATE: what
#                         atl_run_wait returned): one ok/FAILED line each
#   untouched FILE        disables the fake got for those accounts, and how
#                         many of them it does not show active
FAKELOG_PY=$(cat <<'PY'
import collections, json, os, re, sys, urllib.parse, urllib.request

BASE = os.environ["FAKE_URL"]
DISABLE = re.compile(r"^/users/([^/]+)/manage/lifecycle/disable$")


def get(path):
    with urllib.request.urlopen(BASE + path, timeout=60) as resp:
        return json.loads(resp.read())


def accounts(path):
    return [line.strip() for line in open(path) if line.strip()]


def disables(log, wanted):
    """account -> its disable requests that passed the rate limiter (a 429
    is answered before the fake acts: a retry after it is no second send)"""
    out = {a: [] for a in wanted}
    for e in log:
        m = DISABLE.match(e["path"])
        if m and e["status"] != 429:
            a = urllib.parse.unquote(m.group(1))
            if a in out:
                out[a].append(e)
    return out


def reads(e):
    """the account ids a users/search request read (and got an answer)"""
    if (e["method"] == "POST" and e["path"].endswith("/users/search") and ok2xx(e)
            and isinstance(e["body"], dict)):
        return set(e["body"].get("accountIds") or [])
    return set()


def ok2xx(e):
    return e["status"] is not None and 200 <= e["status"] < 300


def progress(path, since):
    wanted, since = set(accounts(path)), float(since)
    log = get("/__fake/requests")
    after = sum(1 for e in log if e["t"] > since and
                ((m := DISABLE.match(e["path"])) and urllib.parse.unquote(m.group(1)) in wanted
                 or reads(e) & wanted))
    done = sum(1 for reqs in disables(log, wanted).values() if any(map(ok2xx, reqs)))
    print(after, done)


def fake_status(account):
    return get("/__fake/users/" + urllib.parse.quote(account, safe=""))["accountStatus"]


def brief(items, n=3):
    items = sorted(items)
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def check(label, run, path, audit_path, state, kills=None):
    wanted = accounts(path)
    n, run = len(wanted), str(run)
    status = 0

    def say(good, text, bad):
        nonlocal status
        print(f"ok: {label}: {text}" if good else f"FAILED: {label}: {bad}")
        status |= not good

    # the audit: one final row per account, in this run, succeeded
    rows = [line.rstrip("\n").split("\t") for line in open(audit_path) if line.strip()]
    per = collections.Counter(r[0] for r in rows if r[2] == run)
    outcomes = collections.Counter(r[1] for r in rows if r[2] == run)
    strays = [r for r in rows if r[2] != run or r[0] not in set(wanted)]
    missing = [a for a in wanted if per[a] == 0]
    twice = [a for a in wanted if per[a] > 1]
    audit_ok = {r[0] for r in rows if r[2] == run and r[1] == "succeeded"}
    good = (state.split()[0:1] == ["finished"] and not missing and not twice and not strays
            and outcomes == {"succeeded": n})
    say(good, f"run {run} finished; each of its {n} accounts has one final audit row, all succeeded",
        f"run {run}: atl_run_wait gave '{state}'; audit outcomes {dict(outcomes)}; "
        f"{len(missing)} accounts without a row ({brief(missing)}), {len(twice)} with several "
        f"({brief(twice)}), {len(strays)} rows outside the run or its accounts")

    # the fake's log: one disable each, acted on; the audit agrees
    log = get("/__fake/requests")
    sent = disables(log, wanted)
    none = [a for a in wanted if not sent[a]]
    again = [a for a in wanted if len(sent[a]) > 1]
    refused = [a for a in wanted if sent[a] and not ok2xx(sent[a][0])]
    reached = {a for a in wanted if any(map(ok2xx, sent[a]))}
    statuses = collections.Counter(str(e["status"]) for reqs in sent.values() for e in reqs)
    still = [a for a in wanted if fake_status(a) != "inactive"]
    limited = sum(1 for e in log if e["status"] == 429 and (m := DISABLE.match(e["path"]))
                  and urllib.parse.unquote(m.group(1)) in set(wanted))
    good = not none and not again and not refused and reached == audit_ok and not still
    say(good, f"the fake got exactly one disable for each of the {n} accounts and acted on it "
        f"({limited} more answered 429 first), the audit's succeeded accounts are exactly those, "
        f"and the fake shows all {n} deactivated",
        f"the fake's log: {len(none)} accounts never sent ({brief(none)}), {len(again)} sent more "
        f"than once ({brief(again)}), {len(refused)} whose first send was refused; answers "
        f"{dict(statuses)}; {len(reached - audit_ok)} acted on but not succeeded in the audit "
        f"({brief(reached - audit_ok)}), {len(audit_ok - reached)} succeeded in the audit "
        f"but never acted on ({brief(audit_ok - reached)}); {len(still)} not deactivated "
        f"in the fake ({brief(still)})")

    if kills is None:
        return status
    # sent before a kill, answered after every process of the run's
    # executor was gone: atlorg cannot have had the answer, so it must have
    # read the account back before doing anything else to it
    in_flight, unread, resent = set(), set(), set()
    for window in kills.split():
        killed, gone = map(float, window.split(":"))
        caught = {a for a in wanted for e in sent[a][:1]
                  if e["t"] < killed and e["t"] + (e["ms"] or 0) / 1000 > gone}
        read_back = set()
        for e in log:
            if e["t"] > gone:
                read_back |= reads(e)
        in_flight |= caught
        unread |= caught - read_back
    resent = {a for a in in_flight if len(sent[a]) > 1}
    say(not unread and not resent,
        f"{len(in_flight)} disables in flight at the kill were read back (users/search) after "
        f"it, and not sent again" + (" (none was in flight this time)" if not in_flight else ""),
        f"of the {len(in_flight)} disables in flight at the kill, {len(unread)} were never read "
        f"back after it ({brief(unread)}), {len(resent)} were sent again ({brief(resent)})")
    return status


def untouched(path):
    wanted = accounts(path)
    sent = disables(get("/__fake/requests"), wanted)
    print(sum(len(r) for r in sent.values()), sum(1 for a in wanted if fake_status(a) != "active"))


cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "progress":
    progress(*args)
elif cmd == "check":
    sys.exit(check(*args))
elif cmd == "untouched":
    untouched(*args)
PY
)
fakelog() { $PYTHON -c "$FAKELOG_PY" "$@"; }

# every process of the cluster: PostgreSQL's processes all work in its data
# directory (found so, not by name; the children outlive a killed postmaster)
cluster_pids() {
  find /proc/[0-9]*/ -maxdepth 1 -name cwd -lname "$data" 2>/dev/null | cut -d/ -f3 || true
}
alive() { [ "$(readlink "/proc/$1/cwd" 2>/dev/null)" = "$data" ]; }
# waits (10 s at most) until the processes $@ are gone; sets gone to the time
gone_all() {
  local p deadline=$((SECONDS + 10))
  for p in "$@"; do
    while alive "$p" && [ $SECONDS -lt $deadline ]; do sleep 0.01; done
  done
  gone=$(now)
  kills="$kills $killed:$gone"
}

# until the server takes connections again (after a crash it recovers first)
wait_ready() {
  local deadline=$((SECONDS + 60))
  until sql -c "SELECT 1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# $1 $2: a range of crash_targets, into the file $3 (one account id a line)
ids() { sql -c "SELECT account_id FROM crash_targets WHERE n BETWEEN $1 AND $2 ORDER BY n" >"$3"; }

# ---------------------------------------------------------------------------
$PYTHON test/fakectl.py reset
sql >/dev/null <<SQL
CREATE EXTENSION atlorg;
CREATE SERVER acme FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base '$FAKE_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (api_key '$FAKE_KEY');
SELECT atlorg.atl_sync(access => false);
-- accounts a disable succeeds on (as test/bench/actions.sh picks them)
CREATE TABLE crash_targets AS
  SELECT account_id, row_number() OVER (ORDER BY account_id) AS n FROM atlorg.atl_directory
   WHERE status = 'active' AND claim_status = 'managed' AND management_source = 'invited'
     AND atlorg.atl_protection(account_id, 'acme') IS NULL;
SQL
# crash_targets: 1-20 rolled back, 21-70 the session that leaves, 71-430 run
# A, 431-790 run B, 791-820 never committed, 821-1180 run C, 1181-1540 run D
N=360
have=$(sql -c "SELECT count(*) FROM crash_targets")
if [ "$have" -lt 1540 ]; then
  failed "only $have accounts a disable can act on; the test needs 1,540"
  exit 1
fi
ids 1 20 "$ATLORG_TMP/crash-rollback.ids"
ids 21 70 "$ATLORG_TMP/crash-leave.ids"
ids 71 430 "$ATLORG_TMP/crash-A.ids"
ids 431 790 "$ATLORG_TMP/crash-B.ids"
ids 791 820 "$ATLORG_TMP/crash-uncommitted.ids"
ids 821 1180 "$ATLORG_TMP/crash-C.ids"
ids 1181 1540 "$ATLORG_TMP/crash-D.ids"
# every answer 30 ms late, a disable 400 ms more; 100 requests a second
$PYTHON test/fakectl.py config "{\"latency_ms\": ${CRASH_LATENCY_MS:-30}, \"already_state\": \"409\"}"
$PYTHON test/fakectl.py ratelimit "{\"limit\": ${CRASH_LIMIT:-100}, \"window_s\": 1}"
$PYTHON test/fakectl.py fault "{\"path\": \"/manage/lifecycle/disable\$\", \"kind\": \"latency\", \"ms\": ${CRASH_DISABLE_MS:-400}}"

# queue disables of crash_targets $1..$2 in the background from a session
# that ends at once; sets run (its id) and submitted (the check's text, or
# empty unless it returned a 'queued' row of that run per account)
submit_disable() {
  local out rows queued first
  out=$(sql -F ' ' <<SQL
SET atlorg.background = on;
SELECT count(*), count(*) FILTER (WHERE outcome = 'queued' AND id IS NULL), min(run_id)
  FROM atlorg.atl_disable(ARRAY(SELECT account_id FROM crash_targets WHERE n BETWEEN $1 AND $2 ORDER BY n));
SELECT atlorg.atl_last_run();
SQL
) || true
  read -r rows queued first <<<"$(echo "$out" | head -1)"
  run=$(echo "$out" | sed -n 2p)
  submitted=""
  if [ -n "$run" ] && [ "${rows:-}" = $(($2 - $1 + 1)) ] && [ "${queued:-}" = "$rows" ] &&
     [ "${first:-}" = "$run" ]; then
    submitted="atl_disable() returned $rows rows 'queued' in run $run"
  else
    echo "atl_disable() in the background returned: ${out:-nothing}"
  fi
}

# the run as another session sees it: "total background state"
run_row() { sql -F ' ' -c "SELECT total, background, state FROM atlorg.atl_runs WHERE run_id = ${1:-0}" 2>&1 || true; }

# atl_run_wait's "state total succeeded pending", retried while the server
# is not back (psql's status 2: no connection, or it broke)
run_wait() {
  local deadline=$((SECONDS + 90)) out rc
  while :; do
    rc=0
    out=$(sql -F ' ' -c "SELECT state, total, succeeded, pending FROM atlorg.atl_run_wait($1, '60 s')" 2>&1) || rc=$?
    if [ $rc = 0 ]; then echo "$out"; return 0; fi
    if [ $rc != 2 ] || [ $SECONDS -ge $deadline ]; then echo "error: $out"; return 0; fi
    sleep 0.5
  done
}

# the audit rows of the accounts of file $2 or of run $1, for fakelog check
audit_rows() {
  local list
  list=$(sed "s/.*/'&'/" "$2" | paste -sd,)
  sql -F $'\t' -c "SELECT account_id, outcome, coalesce(run_id::text, '-') FROM atlorg.atl_audit
                    WHERE account_id IN ($list) OR run_id = ${1:-0}" >"$ATLORG_TMP/crash-audit.tsv" || true
}

# ---------------------------------------------------------------------------
# rolled back: nothing may ever be sent (checked at the end, after the crashes)
sql >/dev/null <<SQL || true
BEGIN;
SET LOCAL atlorg.background = on;
SELECT count(*) FROM atlorg.atl_disable(ARRAY(SELECT account_id FROM crash_targets WHERE n BETWEEN 1 AND 20));
ROLLBACK;
SQL

# a run whose session ends the moment it commits
submit_disable 21 70
read -r total background rstate <<<"$(run_row "$run")"
if [ -n "$submitted" ] && [ "$total" = 50 ] && [ "$background" = t ] &&
   [[ $rstate =~ ^(queued|running|finished)$ ]]; then
  ok "session that leaves: $submitted; another session sees it in atl_runs ($total requests, $rstate)"
else
  failed "session that leaves: the run as atl_runs shows it: '$total $background $rstate'"
fi
state=$(run_wait "${run:-0}")
audit_rows "${run:-0}" "$ATLORG_TMP/crash-leave.ids"
fakelog check "session that leaves" "${run:-0}" "$ATLORG_TMP/crash-leave.ids" \
  "$ATLORG_TMP/crash-audit.tsv" "$state" || status=1

# submits with $1 (a function) the run of file $2, waits till a random
# fifth to three fifths of it has succeeded, then runs $3 (the kill: it adds
# "killed:gone" to kills, the times it began and all it killed was gone, and
# sets gone); then the checks.  $4: the run's label.
crash_run() {
  local submit=$1 file=$2 kill=$3 label=$4 done_now=0 deadline
  local n; n=$(wc -l <"$file")
  local at=$((n * (20 + RANDOM % 41) / 100))
  kills=""
  $submit
  deadline=$((SECONDS + 40))
  while [ -n "$run" ] && [ $SECONDS -lt $deadline ]; do
    done_now=$(sql -c "SELECT succeeded FROM atlorg.atl_runs WHERE run_id = $run" 2>/dev/null || echo 0)
    [ "${done_now:-0}" -ge $at ] && break
    sleep 0.05
  done
  local before; before=$(sql -c "SELECT state FROM atlorg.atl_runs WHERE run_id = ${run:-0}" 2>/dev/null || true)
  $kill
  if [ -n "$submitted" ] && [ "${done_now:-0}" -ge $at ] && [ "${done_now:-0}" -lt "$n" ] &&
     [ "$before" = running ]; then
    ok "$label: $submitted; killed with $done_now of $n succeeded"
  else
    failed "$label: the run (${run:-none}) before the kill: '${before:-}' with ${done_now:-0} of $n succeeded, $at awaited (${submitted:-not submitted as expected})"
  fi

  # the run must go on by itself: watch the fake only, call nothing in atlorg
  local after=0 reached=0 last=0 quiet=$SECONDS start=$SECONDS
  deadline=$((SECONDS + 90))
  while [ $SECONDS -lt $deadline ] && [ $((SECONDS - quiet)) -lt 30 ]; do
    read -r after reached <<<"$(fakelog progress "$file" "$gone" || echo 0 0)"
    [ "$after" != "$last" ] && { last=$after; quiet=$SECONDS; }
    [ "$reached" = "$n" ] && break
    sleep 0.5
  done
  if [ "$after" -gt 0 ] && [ "$reached" = "$n" ]; then
    ok "$label: the run went on by itself: $after requests for its accounts after the kill, all $n disabled within $((SECONDS - start)) s, no session calling atlorg"
  else
    failed "$label: after the kill, with no session calling atlorg, the fake got $after requests for the run's accounts and $reached of $n were disabled (waited $((SECONDS - start)) s)"
  fi

  wait_ready || true
  state=$(run_wait "${run:-0}")
  audit_rows "${run:-0}" "$file"
  fakelog check "$label" "${run:-0}" "$file" "$ATLORG_TMP/crash-audit.tsv" "$state" \
    "$kills" || status=1
}

# --- A: kill -9 the postmaster, then every process of the cluster ----------
submit_A() { submit_disable 71 430; }
kill_postmaster() {
  local pm pids
  pm=$(head -1 "$data/postmaster.pid" || true)
  pids=$(cluster_pids)
  killed=$(now)
  kill -9 "$pm" $pids 2>/dev/null || true
  while pids=$(cluster_pids); [ -n "$pids" ]; do
    kill -9 $pids 2>/dev/null || true
    sleep 0.02
  done
  gone=$(now)
  kills="$kills $killed:$gone"
  # a new postmaster refuses to start while the old one's pid exists, as a
  # zombie too (its parent, init, may take a moment to reap it)
  local deadline=$((SECONDS + 30))
  while [ -n "$pm" ] && [ -e "/proc/$pm" ] && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  # (pg_ctl says "another server might be running": the stale postmaster.pid)
  local out
  out=$(as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$ATLORG_SERVER_LOG" -w start 2>&1) ||
    echo "pg_ctl start after the kill failed: $out"
}
crash_run submit_A "$ATLORG_TMP/crash-A.ids" kill_postmaster "postmaster killed"

# --- D: the same, and again as soon as the run has gone on (reconciling) ----
submit_D() { submit_disable 1181 1540; }
kill_postmaster_twice() {
  kill_postmaster
  local deadline=$((SECONDS + 30)) after=0 reached
  while [ "$after" = 0 ] && [ $SECONDS -lt $deadline ]; do
    read -r after reached <<<"$(fakelog progress "$file" "$gone" || echo 0 0)"
  done
  kill_postmaster
}
crash_run submit_D "$ATLORG_TMP/crash-D.ids" kill_postmaster_twice "postmaster killed twice"

# --- B: kill -9 the executor; the run is an UPDATE of the mirror -----------
submit_B() {
  local out
  out=$(sql <<SQL
SET atlorg.background = on;
UPDATE atlorg.atl_directory SET status = 'deactivated'
 WHERE account_id IN (SELECT account_id FROM crash_targets WHERE n BETWEEN 431 AND 790);
SELECT atlorg.atl_last_run();
SQL
) || true
  run=$(echo "$out" | tail -1 | grep -E '^[0-9]+$' || true)
  read -r total background rstate <<<"$(run_row "$run")"
  submitted=""
  if [ -n "$run" ] && [ "$total" = $N ] && [ "$background" = t ]; then
    submitted="UPDATE atl_directory queued run $run ($total requests)"
  else
    echo "UPDATE atl_directory in the background: ${out:-nothing}; atl_runs: $total $background $rstate"
  fi
}
kill_executor() {
  local pids
  pids=$(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'atlorg executor'" || true)
  killed=$(now)
  [ -z "$pids" ] || kill -9 $pids || true
  gone_all $pids
  [ -n "$pids" ] || echo "no process with backend_type 'atlorg executor' in pg_stat_activity"
}
crash_run submit_B "$ATLORG_TMP/crash-B.ids" kill_executor "executor killed"
behind=$(sql -c "SELECT count(*) FROM atlorg.atl_directory d JOIN crash_targets t USING (account_id)
                  WHERE t.n BETWEEN 431 AND 790 AND d.status <> 'deactivated'" 2>&1 || true)
if [ "$behind" = 0 ]; then
  ok "executor killed: the mirror shows all $N accounts of the UPDATE deactivated"
else
  failed "executor killed: mirror rows of the UPDATE not deactivated: $behind of $N"
fi

# --- C: kill -9 a backend that holds a background run it never committed ---
PGAPPNAME=crash-uncommitted sql >/dev/null 2>&1 <<SQL &
BEGIN;
SET LOCAL atlorg.background = on;
SELECT count(*) FROM atlorg.atl_disable(ARRAY(SELECT account_id FROM crash_targets WHERE n BETWEEN 791 AND 820));
SELECT pg_sleep(300);
SQL
holder=$!
holder_pid=""
for _ in $(seq 1 200); do
  holder_pid=$(sql -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'crash-uncommitted'
                        AND state = 'active' AND query LIKE 'SELECT pg_sleep%'" 2>/dev/null || true)
  [ -n "$holder_pid" ] && break
  kill -0 "$holder" 2>/dev/null || break
  sleep 0.1
done
[ -n "$holder_pid" ] || echo "the uncommitted background run was not queued (its session ended or took 20 s)"
submit_C() { submit_disable 821 1180; }
kill_backend() {
  local pids
  pids=$(sql -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'atlorg executor'" || true)
  killed=$(now)
  [ -z "$holder_pid" ] || kill -9 "$holder_pid" || true
  # the postmaster ends every other process (SIGQUIT) and starts again
  gone_all $pids
  wait "$holder" 2>/dev/null || true
  holder=""
}
crash_run submit_C "$ATLORG_TMP/crash-C.ids" kill_backend "backend killed"

# --- nothing of a run that was not committed is ever sent -------------------
wait_ready || true
read -r rb_sent rb_changed <<<"$(fakelog untouched "$ATLORG_TMP/crash-rollback.ids")"
rb_audit=$(sql -c "SELECT count(*) FROM atlorg.atl_audit a JOIN crash_targets t USING (account_id)
                    WHERE t.n BETWEEN 1 AND 20" 2>&1 || true)
runs=$(sql -c "SELECT count(*) FROM atlorg.atl_runs" 2>&1 || true)
if [ "$rb_sent" = 0 ] && [ "$rb_changed" = 0 ] && [ "$rb_audit" = 0 ] && [ "$runs" = 5 ]; then
  ok "rolled back: no request for its 20 accounts after five crashes, no audit row, and atl_runs has only the 5 committed runs"
else
  failed "rolled back: $rb_sent disables sent, $rb_changed accounts not active in the fake, $rb_audit audit rows; atl_runs has $runs runs (5 committed)"
fi
read -r un_sent un_changed <<<"$(fakelog untouched "$ATLORG_TMP/crash-uncommitted.ids")"
un_audit=$(sql -c "SELECT count(*) FROM atlorg.atl_audit a JOIN crash_targets t USING (account_id)
                    WHERE t.n BETWEEN 791 AND 820" 2>&1 || true)
if [ -n "$holder_pid" ] && [ "$un_sent" = 0 ] && [ "$un_changed" = 0 ] && [ "$un_audit" = 0 ]; then
  ok "backend killed: the 30 disables it had queued but not committed were never sent, and have no audit row"
else
  failed "backend killed: its uncommitted run (${holder_pid:-never queued}): $un_sent disables sent, $un_changed accounts not active in the fake, $un_audit audit rows"
fi

exit $status
