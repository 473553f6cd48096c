#!/usr/bin/env bash
# Runs every atlorg test from a clone: installs what is missing (Debian 12,
# as root), builds with -Werror, installs, starts a throwaway PostgreSQL
# cluster and a fake Atlassian org of 10,000 users on loopback, then runs
#   1. the pg_regress suite (test/sql, test/expected), the attack suite
#      (test/sql/attack_*.sql) among it, a pg_dump and restore of the
#      audit it leaves, and an upgrade from the released 1.0 (test/upgrade.sh),
#   2. the check of every request the suite sent against Atlassian's OpenAPI
#      schemas (test/schemas/operations.json),
#   3. the chaos test: a few thousand mutated answers through reads and
#      actions (test/chaos/chaos.py says what must hold),
#   4. a nightly policy scheduled with pg_cron (test/cron.sh), runs steered
#      across sessions (test/steer.sh), HTTPS with a throwaway CA and
#      atlorg.ca_file, HTTP/2 through nginx (test/tls.sh), background runs through kill -9 of
#      the postmaster, the executor and a backend (test/crash.sh), then the
#      secrecy check: the API key in no log and no output,
#   5. 20 s of libFuzzer over the CSV-to-row path (FUZZ_SECONDS to change),
#   6. a short memory-safety run: a few regression files against the module
#      built with AddressSanitizer (test/memcheck.sh $MEMCHECK_SHORT, its own
#      build, PostgreSQL copy and cluster),
#   7. the fake's own pytest suite (its answers against the same schemas).
# The pg_cron policy and the kill -9 runs (on a second fake org), the
# memory-safety run and the fake's pytest suite share nothing with the rest:
# they run in the background from the start and are reported in their
# places.  Each section's header says when it started, and the end lists
# how long each took.
# Ends with "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# each section's header says when it started (seconds since this script
# did); the end lists how long each one took, to see where the time goes
run_start=$(date +%s)
section_title="install, build, cluster and fake"
section_start=$run_start
section_times=
section() {
  local now
  now=$(date +%s)
  section_times+=$(printf '%5d s  %s' $((now - section_start)) "$section_title")$'\n'
  section_title=$1
  section_start=$now
  echo "== $1 (at $((now - run_start)) s)"
}

. test/lib/deps.sh
atlorg_install_deps
. test/lib/cluster.sh
make -s WERROR=1 >/dev/null
atlorg_make_install

trap 'wait_background; atlorg_env_stop' EXIT
atlorg_env_start 10000
export ATLORG_REQUEST_LOG="$ATLORG_TMP/requests.jsonl"
export CSV_DIR="$ATLORG_TMP/csv"
$PYTHON test/csv/make_exports.py "$CSV_DIR" >/dev/null

# The memory-safety run and the fake's own tests share nothing with the
# rest (each has its own build or its own fakes, clusters and ports): they
# run in the background from here, one after the other, while the suite
# waits on its fake, and are reported in their places below.  (The fuzzing
# stays in the foreground: it runs for a time, not a count, and would do
# less of it.)  On any exit the background is waited for, so that it stops
# its own servers.
#
# the files most likely to touch memory: the CSV reader, JSON paging of
# every read, the executor's concurrent actions (bulk, which needs the Jira
# site that jira sets up), the mirror's sync; fdw, first, is always run
MEMCHECK_SHORT=${MEMCHECK_SHORT:-users reads jira csv bulk directory runs attack_audit attack_sweep}
background=$ATLORG_TMP/background
mkdir -p "$background"
(
  start=$(date +%s)
  if env -u ATLORG_REQUEST_LOG bash test/memcheck.sh $MEMCHECK_SHORT >"$background/memcheck.log" 2>&1
  then echo ok; else echo fail; fi >"$background/memcheck.verdict"
  echo "$(($(date +%s) - start))" >"$background/memcheck.seconds"
  env -u ATLORG_REQUEST_LOG $PYTHON -m pytest -q -p no:cacheprovider test/fake \
    >"$background/pytest.out" 2>&1 || true
  echo done >"$background/pytest.done"
) </dev/null &
background_pid=$!
# The nightly policy (pg_cron starts its job only at the next minute) and
# the kill -9 runs (a fake made slow) too, one after the other: each has a
# cluster of its own, and here they share a second fake org, a server log
# and a request log of their own, with the same key (the secrecy check
# reads these logs too).
second=$ATLORG_TMP/second
mkdir -p "$second"
chown postgres "$second" 2>/dev/null || true
as_pg touch "$second/server.log"
: >"$second/requests.jsonl"
(
  ATLORG_TMP=$second atlorg_fake_start 10000
  for t in cron crash; do
    ATLORG_TMP=$ATLORG_TMP FAKE_URL=$FAKE_URL ATLORG_SERVER_LOG=$second/server.log \
      ATLORG_REQUEST_LOG=$second/requests.jsonl bash test/$t.sh >"$background/$t.out" 2>&1 || true
  done
  kill "$FAKE_PID" 2>/dev/null || true
  wait "$FAKE_PID" 2>/dev/null || true
) </dev/null &
second_pid=$!
wait_background() {
  if [ -n "${background_pid:-}" ]; then wait "$background_pid" || true; background_pid=; fi
  if [ -n "${second_pid:-}" ]; then wait "$second_pid" || true; second_pid=; fi
}

passed=0
failed=0
count() { if [ "$1" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }
# a script printing one "ok: ..." or "FAILED: ..." line per check: each
# counts; fewer lines than its $1 checks means it stopped early (a failure)
run_checks() {
  tally_checks "$1" "$(ATLORG_TMP=$ATLORG_TMP bash "$2" 2>&1 || true)"
}
# the same for such a script's output ($2)
tally_checks() {
  local n=$1 out=$2 ok bad
  echo "$out" | grep -vE '^NOTICE' || true
  ok=$(echo "$out" | grep -c '^ok:' || true)
  bad=$(echo "$out" | grep -c '^FAILED' || true)
  passed=$((passed + ok))
  failed=$((failed + bad))
  [ $((ok + bad)) = "$n" ] || count fail
}

section "pg_regress"
rm -rf test/results
if make -s installcheck >"$ATLORG_TMP/regress.log" 2>&1; then :; fi
grep -E '^(ok|not ok|test| +[a-z_]+ +\.\.\.)' "$ATLORG_TMP/regress.log" || cat "$ATLORG_TMP/regress.log"
ok_count=$(grep -cE '\.\.\. ok' "$ATLORG_TMP/regress.log" || true)
bad_count=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$ATLORG_TMP/regress.log" || true)
passed=$((passed + ok_count))
failed=$((failed + bad_count))
if [ "$bad_count" != 0 ] || [ "$ok_count" = 0 ]; then
  [ "$ok_count" = 0 ] && failed=$((failed + 1))
  [ -f test/regression.diffs ] && head -200 test/regression.diffs
fi

section "the audit restores from pg_dump"
# every row the suite left (remote error text of every kind among them)
# must load back: an audit that pg_dump cannot restore is lost
restore_db=atl_restore_check
if PGOPTIONS="-c client_min_messages=warning" psql -XqAt -d postgres -c "DROP DATABASE IF EXISTS $restore_db" -c "CREATE DATABASE $restore_db" &&
   psql -XqAt -d $restore_db -c "CREATE EXTENSION atlorg" &&
   pg_dump --data-only -t atlorg.atl_audit contrib_regression >"$ATLORG_TMP/audit.sql" &&
   psql -Xq -v ON_ERROR_STOP=1 -d $restore_db -f "$ATLORG_TMP/audit.sql" >/dev/null &&
   [ "$(psql -XqAt -d contrib_regression -c 'SELECT count(*) FROM atlorg.atl_audit')" = \
     "$(psql -XqAt -d $restore_db -c 'SELECT count(*) FROM atlorg.atl_audit')" ] &&
   [ "$(psql -XqAt -d contrib_regression -c 'SELECT count(*) FROM atlorg.atl_audit')" -gt 0 ]; then
  echo "ok: $(psql -XqAt -d $restore_db -c 'SELECT count(*) FROM atlorg.atl_audit') rows restored"; count ok
else
  echo "FAILED: the audit did not restore"; count fail
fi

section "upgrading 1.0 to the current version"
run_checks 5 test/upgrade.sh

section "without shared_preload_libraries"
plain_port=$(free_port)
atlorg_cluster_start "$ATLORG_TMP/data-plain" "$plain_port" ""
rm -rf test/nopreload/results
if PGPORT=$plain_port make -s installcheck REGRESS=nopreload \
     REGRESS_OPTS="--inputdir=test/nopreload --outputdir=test/nopreload" \
     >"$ATLORG_TMP/nopreload.log" 2>&1; then :; fi
cat "$ATLORG_TMP/nopreload.log" | grep -E '\.\.\. ' || cat "$ATLORG_TMP/nopreload.log"
if grep -qE '\.\.\. ok' "$ATLORG_TMP/nopreload.log"; then count ok; else
  count fail; [ -f test/nopreload/regression.diffs ] && cat test/nopreload/regression.diffs; fi

section "requests against the OpenAPI schemas"
$PYTHON test/fakectl.py requests | $PYTHON -c '
import json, sys
for entry in json.load(sys.stdin):
    print(json.dumps(entry))' >>"$ATLORG_REQUEST_LOG"
$PYTHON -c '
import json, sys
print(json.dumps([json.loads(l) for l in open(sys.argv[1]) if l.strip()]))' \
  "$ATLORG_REQUEST_LOG" >"$ATLORG_TMP/requests.json"
if $PYTHON test/fake/check_requests.py "$ATLORG_TMP/requests.json"; then count ok; else count fail; fi

section "chaos: mutated answers"
# in a database of its own, after the requests were checked: following a
# mutated cursor makes requests no schema describes
export CHAOS_REPORT="$ATLORG_TMP/chaos-violations.txt"
: >"$CHAOS_REPORT"
if bash test/chaos/run.sh; then count ok; else count fail; fi

section "a nightly policy scheduled with pg_cron (in the background since the start)"
wait "$second_pid" || true
second_pid=
tally_checks 2 "$(cat "$background/cron.out" 2>/dev/null || true)"

section "runs across sessions"
run_checks 4 test/steer.sh

section "TLS: a throwaway CA, atlorg.ca_file, HTTP/2 through nginx"
run_checks "$(command -v nginx >/dev/null && echo 7 || echo 5)" test/tls.sh

section "background runs through kill -9 (postmaster, executor, backend; in the background since the start)"
tally_checks 26 "$(cat "$background/crash.out" 2>/dev/null || true)"

section "secrecy: the API key in no log, output or result"
if grep -rlF "$FAKE_KEY" "$ATLORG_SERVER_LOG" "$ATLORG_TMP/fake.log" "$second/fake.log" "$second/server.log" "$second/requests.jsonl" test/results test/nopreload/results \
     "$ATLORG_TMP/regress.log" "$ATLORG_REQUEST_LOG" "$CHAOS_REPORT"; then
  echo "FAILED: the API key appears in the files above"; count fail
else
  echo "ok: not in the server log ($(wc -l <"$ATLORG_SERVER_LOG") lines), the fake's log, the request log or the test outputs"
  count ok
fi

section "fuzzing the CSV-to-row path (libFuzzer, ${FUZZ_SECONDS:-20} s)"
if FUZZ_DIR="$ATLORG_TMP/fuzz" bash test/fuzz/run.sh; then count ok; else count fail; fi

section "fuzzing the walk that reads a page's cursor (libFuzzer, ${FUZZ_PEEK_SECONDS:-10} s)"
if FUZZ_DIR="$ATLORG_TMP/fuzz" bash test/fuzz/peek.sh; then count ok; else count fail; fi

section "memory safety (AddressSanitizer, short; in the background since the start)"
wait_background
if [ "$(cat "$background/memcheck.verdict" 2>/dev/null)" = ok ]; then
  grep -E '^(== |test |memcheck:)' "$background/memcheck.log"; count ok
else
  # the tests, the sanitizers' reports and the diffs, then the two verdicts
  grep -E '^(== pg_regress|test )' "$background/memcheck.log" || true
  sed -n '/^== sanitizer reports/,$p' "$background/memcheck.log" | grep -v '^memcheck:' | head -150 || true
  grep -E '^memcheck:' "$background/memcheck.log" || tail -40 "$background/memcheck.log"
  count fail
fi
echo "($(cat "$background/memcheck.seconds" 2>/dev/null || echo '?') s)"

section "the fake's own tests (in the background, after the memory-safety run)"
pytest_out=$(cat "$background/pytest.out" 2>/dev/null || true)
[ -f "$background/pytest.done" ] || pytest_out="$pytest_out
(pytest did not finish)"
echo "$pytest_out" | tail -5
p=$(echo "$pytest_out" | grep -oE '[0-9]+ passed' | tail -1 | grep -oE '[0-9]+' || echo 0)
f=$(echo "$pytest_out" | { grep -oE '[0-9]+ (failed|errors?)' || true; } | awk '{s+=$1} END {print s+0}')
[ "$p" = 0 ] && f=$((f + 1))
passed=$((passed + p))
failed=$((failed + ${f:-0}))

section_end=$(date +%s)
section_times+=$(printf '%5d s  %s' $((section_end - section_start)) "$section_title")
echo
echo "time per section ($((section_end - run_start)) s in all):"
echo "$section_times"
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
