#!/usr/bin/env bash
# Benchmark: background runs (atlorg.background), against fakes that answer
# in 30 ms and allow 100 requests a second each.
#
#  1. A background run of 10,000 disables: its throughput, wall clock from
#     the COMMIT that queued it to atl_run_wait()'s return, as a fraction of
#     the limit (bound 0.95), next to a synchronous set-based call on 1,000
#     other accounts in the same run; the executor's CPU time per 1,000
#     requests of each (/proc/<pid>/stat of the 'atlorg executor').  Every
#     request has its audit row with the run's id, and the fake saw exactly
#     the run's requests.
#  2. Queueing: one statement queueing 100,000 requests, rolled back (rows
#     a second, next to a plain INSERT of the same ids into a table of the
#     queue's shape; nothing may be sent), then committed as a dry run and
#     cancelled at once (the COMMIT's time, the cancel's); and the cost of a
#     small submission (100 requests, a dry run: nothing sent) per request,
#     statement and COMMIT, with no run going and while step 3's runs go.
#  3. Two organizations at once (two fakes on two ports, two servers): a
#     background run of 4,000 disables on each, queued by one COMMIT; each
#     must reach 0.9 of its own limit.
#
# The cluster runs with fsync on (ALTER SYSTEM), unlike the other
# benchmarks: a background run's point is its durability, and commits are
# part of what is measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/deps.sh
. test/lib/cluster.sh
. test/bench/lib.sh

USERS=${BENCH_USERS:-100000}         # acme: 46% of them can be disabled
USERS2=${BENCH_USERS2:-12000}        # beta, the second organization
N=${BENCH_RUN:-10000}                # the background run
SYNC=${BENCH_SYNC:-1000}             # the synchronous call beside it
QUEUE=${BENCH_QUEUE:-100000}         # one statement's requests, queued
SMALL=${BENCH_SMALL:-100}            # a small submission's requests
SMALL_TIMES=${BENCH_SMALL_TIMES:-20} # how many of them, idle and during a run
TWO=${BENCH_TWO:-4000}               # each organization's run in step 3
LATENCY=30
WAIT=${BENCH_WAIT:-30 min}           # the longest wait for one run
LIMIT=100
bench_failed=0
started=$(now)
load0=$(cut -d' ' -f1 /proc/loadavg)

bench_setup "$USERS"

# --- the second organization: its own fake, on another port ------------------
FAKE2_PID=""
stop_all() {
  if [ -n "$FAKE2_PID" ]; then kill "$FAKE2_PID" 2>/dev/null || true; wait "$FAKE2_PID" 2>/dev/null || true; fi
  atlorg_env_stop
}
trap stop_all EXIT
$PYTHON test/fake/server.py --port 0 --port-file "$ATLORG_TMP/fake2.port" \
  --users "$USERS2" --seed 2 --org-id beta-org --api-key "$FAKE_KEY" >"$ATLORG_TMP/fake2.log" 2>&1 &
FAKE2_PID=$!
for _ in $(seq 1 300); do
  [ -s "$ATLORG_TMP/fake2.port" ] && break
  kill -0 $FAKE2_PID 2>/dev/null || { cat "$ATLORG_TMP/fake2.log" >&2; exit 1; }
  sleep 0.1
done
FAKE2_URL="http://127.0.0.1:$(cat "$ATLORG_TMP/fake2.port")"
fake1() { FAKE_URL=$FAKE_URL $PYTHON test/fakectl.py "$@"; }
fake2() { FAKE_URL=$FAKE2_URL $PYTHON test/fakectl.py "$@"; }

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE SERVER beta FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'beta-org', api_base '$FAKE2_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER beta OPTIONS (api_key '$FAKE_KEY');
ALTER SYSTEM SET fsync = on;
SQL
psql -X -q -At -c "SELECT pg_reload_conf()" >/dev/null
psql -X -q -At -c "SELECT users_added FROM atl_sync('acme', access => false)" >/dev/null
psql -X -q -At -c "SELECT users_added FROM atl_sync('beta', access => false)" >/dev/null
# the accounts that can be disabled (active, invited, no org admin), numbered
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE bench_targets AS
  SELECT server, account_id, row_number() OVER (PARTITION BY server ORDER BY account_id) AS n
    FROM atl_directory
   WHERE status = 'active' AND claim_status = 'managed' AND management_source = 'invited'
     AND atl_protection(account_id, server) IS NULL;
CREATE INDEX ON bench_targets (server, n);
-- the queue's shape, for a plain INSERT of the same ids (step 2's baseline)
CREATE TABLE bench_plain_queue (run_id bigint, seq integer, action text, account_id text,
  target text, params jsonb, method text, url text, site_auth boolean, skip_reason text,
  audit_id bigint, PRIMARY KEY (run_id, seq));
SQL
# acme's ranges: the synchronous call, the run, step 3's run, the small submissions
A_SYNC="server = 'acme' AND n <= $SYNC"
A_RUN="server = 'acme' AND n > $SYNC AND n <= $((SYNC + N))"
A_TWO="server = 'acme' AND n > $((SYNC + N)) AND n <= $((SYNC + N + TWO))"
B_TWO="server = 'beta' AND n <= $TWO"
small_base=$((SYNC + N + TWO))
have=$(psql -X -At -c "SELECT count(*) FROM bench_targets WHERE server = 'acme'")
have2=$(psql -X -At -c "SELECT count(*) FROM bench_targets WHERE server = 'beta'")
[ "$have" -ge $((small_base + 2 * SMALL * SMALL_TIMES)) ] || { echo "acme: only $have accounts can be disabled" >&2; exit 1; }
[ "$have2" -ge "$TWO" ] || { echo "beta: only $have2 accounts can be disabled" >&2; exit 1; }
[ "$(psql -X -At -c "SELECT count(*) FROM atl_directory WHERE server = 'acme'")" -ge "$QUEUE" ] ||
  { echo "acme has fewer than $QUEUE accounts" >&2; exit 1; }

for f in fake1 fake2; do
  $f reset
  $f config "{\"latency_ms\": $LATENCY}"
  $f ratelimit "{\"limit\": $LIMIT, \"window_s\": 1}"
done

# the executor's pid (none: it is not running) and the CPU it has used
executor_pid() {
  psql -X -At -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'atlorg executor'
                   AND datname = current_database()" | head -1
}
executor_cpu() { [ -n "$1" ] && [ -e "/proc/$1/stat" ] && cpu_seconds "$1" || echo 0; }
# CPU the executor used since (pid, cpu) was taken: a new executor counts whole
cpu_since() {
  local pid0=$1 cpu0=$2 pid1; pid1=$(executor_pid)
  if [ "$pid1" = "$pid0" ]; then echo "$(executor_cpu "$pid1") - $cpu0" | bc -l
  else executor_cpu "$pid1"; fi
}
# a psql script with \timing on; "\echo @NAME" before a statement names its
# "Time:" line, which ms NAME reads back (milliseconds)
run_timed() { psql -X -At -v ON_ERROR_STOP=1 >"$1" 2>"$1.err" || { cat "$1" "$1.err" >&2; return 1; }; }
ms() {
  awk -v tag="@$2" '$0 == tag { f = 1; next } f && /^Time: / { print $2; exit }' "$1"
}
# the lines that follow "\echo @NAME" up to the next tag or Time line
rows_after() {
  awk -v tag="@$2" '$0 == tag { f = 1; next } f && (/^Time: / || /^@/) { exit } f' "$1"
}
epoch() { psql -X -At -c "SELECT extract(epoch FROM clock_timestamp())"; }

# --- 1. a background run of 10,000 next to a synchronous call of 1,000 ------
fake1 reset-log
limited0=$(fake1 answered 429)
pid0=$(executor_pid); cpu0=$(executor_cpu "$pid0")
sync_s=$(timed "SELECT count(*) FILTER (WHERE outcome = 'succeeded')
                  FROM atl_disable(ARRAY(SELECT account_id FROM bench_targets WHERE $A_SYNC), server => 'acme')")
sync_ok=$(grep -E '^[0-9]+$' "$ATLORG_TMP/timed.out" | tail -1)
sync_cpu=$(cpu_since "$pid0" "$cpu0")
sync_rate=$(echo "$SYNC / $sync_s" | bc -l)
sync_sent=$(fake1 sent '/manage/lifecycle/disable$')
sync_attempts=$(psql -X -At -c "SELECT sum(attempts) FROM atl_audit
                                 WHERE action = 'disable' AND account_id IN
                                       (SELECT account_id FROM bench_targets WHERE $A_SYNC)")
sync_limited=$(( $(fake1 answered 429) - limited0 ))
limited0=$(fake1 answered 429)

fake1 reset-log
pid0=$(executor_pid); cpu0=$(executor_cpu "$pid0")
run_timed "$ATLORG_TMP/run.out" <<SQL
\timing on
BEGIN;
SET LOCAL atlorg.background = on;
\echo @submit
SELECT count(*) FILTER (WHERE outcome = 'queued'), count(DISTINCT run_id)
  FROM atl_disable(ARRAY(SELECT account_id FROM bench_targets WHERE $A_RUN), server => 'acme');
\echo @commit
COMMIT;
\timing off
\echo @committed
SELECT atl_last_run(), extract(epoch FROM clock_timestamp());
SQL
IFS='|' read -r run_id t_commit < <(rows_after "$ATLORG_TMP/run.out" committed)
psql -X -At -v ON_ERROR_STOP=1 -c "
  SELECT state, requests, succeeded, pending, extract(epoch FROM clock_timestamp())
    FROM atl_run_wait($run_id, '$WAIT')" >"$ATLORG_TMP/wait.out" 2>&1 &
wait_job=$!
# the progress view a third of the way in: its rate, and its time left
sleep $((N / LIMIT / 3 + 1))
IFS='|' read -r p_at p_sent p_rate p_left < <(psql -X -At -c "
  SELECT extract(epoch FROM clock_timestamp()), sent, rate, extract(epoch FROM time_left)
    FROM atl_run_progress WHERE run_id = $run_id")
wait $wait_job || { cat "$ATLORG_TMP/wait.out" >&2; exit 1; }
run_cpu=$(cpu_since "$pid0" "$cpu0")
IFS='|' read -r queued nruns < <(rows_after "$ATLORG_TMP/run.out" submit | head -1)
IFS='|' read -r state requests succeeded pending t_done <"$ATLORG_TMP/wait.out"
submit_ms=$(ms "$ATLORG_TMP/run.out" submit)
commit_ms=$(ms "$ATLORG_TMP/run.out" commit)
run_s=$(echo "$t_done - $t_commit" | bc -l)
run_rate=$(echo "$succeeded / $run_s" | bc -l)
IFS='|' read -r audit_rows audit_pending attempts audit_s < <(psql -X -At -c "
  SELECT count(*), count(*) FILTER (WHERE outcome = 'pending'), sum(attempts),
         extract(epoch FROM max(finished_at) - min(requested_at))
    FROM atl_audit WHERE run_id = $run_id")
run_sent=$(fake1 sent '/manage/lifecycle/disable$')
limited=$(( $(fake1 answered 429) - limited0 ))

report "sync: $SYNC disables, succeeded" "$sync_ok" "= $SYNC" "$([ "$sync_ok" = "$SYNC" ] && echo 1)"
report "sync: requests the fake saw" "$sync_sent" "= attempts in the audit ($sync_attempts)" \
  "$([ "$sync_sent" = "$sync_attempts" ] && echo 1)"
report "sync: 429 answers" "$sync_limited" "" 1
report "sync: throughput" "$(printf '%.1f/s' "$sync_rate")" \
  "$(printf '%.1f s; %.3f of the limit' "$sync_s" "$(echo "$sync_rate / $LIMIT" | bc -l)")" 1
report "sync: executor CPU / 1,000 requests" "$(printf '%.2f s' "$(echo "$sync_cpu * 1000 / $SYNC" | bc -l)")" "" 1
report "run: rows queued (one run)" "$queued ($nruns run)" "= $N (1)" \
  "$([ "$queued" = "$N" ] && [ "$nruns" = 1 ] && echo 1)"
report "run: queueing statement, COMMIT" "$(printf '%.0f ms, %.0f ms' "$submit_ms" "$commit_ms")" \
  "$(printf '%.1f µs a request' "$(echo "($submit_ms + $commit_ms) * 1000 / $N" | bc -l)")" 1
report "run: state, succeeded, pending" "$state, $succeeded, $pending" "finished, $N, 0" \
  "$([ "$state" = finished ] && [ "$succeeded" = "$N" ] && [ "$pending" = 0 ] && echo 1)"
report "run: audit rows with its run_id" "$audit_rows ($audit_pending pending)" "= $N (0)" \
  "$([ "$audit_rows" = "$N" ] && [ "$audit_pending" = 0 ] && echo 1)"
report "run: requests the fake saw" "$run_sent" "= attempts in the audit ($attempts)" \
  "$([ "$run_sent" = "$attempts" ] && echo 1)"
report "run: 429 answers" "$limited" "" 1
report "run: progress view at $(printf '%.0f' "$(echo "$p_at - $t_commit" | bc -l)") s" \
  "${p_rate:-none}/s, $p_sent sent" \
  "$(printf 'time left %.0f s (it took %.0f s more)' "${p_left:-0}" "$(echo "$t_done - ${p_at:-$t_done}" | bc -l)")" 1
report "run: executor CPU / 1,000 requests" \
  "$(printf '%.2f s (%.0f%% of a core)' "$(echo "$run_cpu * 1000 / $N" | bc -l)" "$(echo "$run_cpu * 100 / $run_s" | bc -l)")" \
  "$(printf '%.2fx the sync call'"'"'s' "$(echo "($run_cpu / $N) / ($sync_cpu / $SYNC)" | bc -l 2>/dev/null || echo 0)")" 1
report "run: throughput, audit's first to last" \
  "$(printf '%.1f/s' "$(echo "$audit_rows / $audit_s" | bc -l)")" "$(printf '%.1f s' "$audit_s")" 1
report "run: throughput, COMMIT to wait's end" "$(printf '%.1f/s' "$run_rate")" \
  "$(printf '%.1f s; %.2fx the sync call' "$run_s" "$(echo "$run_rate / $sync_rate" | bc -l)")" 1
report "run: throughput / limit" "$(printf '%.3f' "$(echo "$run_rate / $LIMIT" | bc -l)")" \
  ">= 0.95 of $LIMIT/s" "$(echo "$run_rate / $LIMIT >= 0.95" | bc -l)"

# --- 2. queueing 100,000 requests in one statement --------------------------
fake1 reset-log
ids="ARRAY(SELECT account_id FROM atl_directory WHERE server = 'acme' ORDER BY account_id LIMIT $QUEUE)"
run_timed "$ATLORG_TMP/queue.out" <<SQL
\timing on
BEGIN;
\echo @plain
INSERT INTO bench_plain_queue
  SELECT 1, i, 'disable', id, NULL, NULL, 'POST',
         '$FAKE_URL/users/' || id || '/manage/lifecycle/disable', false, NULL, NULL
    FROM unnest($ids) WITH ORDINALITY AS u(id, i);
ROLLBACK;
BEGIN;
SET LOCAL atlorg.background = on;
\echo @queue
SELECT count(*) FROM atl_disable($ids, server => 'acme');
\echo @rollback
ROLLBACK;
BEGIN;
SET LOCAL atlorg.background = on;
SET LOCAL atlorg.dry_run = on;
\echo @queue_dry
SELECT count(*) FROM atl_disable($ids, server => 'acme');
\echo @commit_dry
COMMIT;
\echo @cancel
SELECT state, requests, dry_run, cancelled, pending FROM atl_run_cancel(atl_last_run());
\timing off
\echo @ended
SELECT state, requests, dry_run, cancelled, pending FROM atl_run_wait(atl_last_run(), '$WAIT');
SQL
plain_ms=$(ms "$ATLORG_TMP/queue.out" plain)
queue_ms=$(ms "$ATLORG_TMP/queue.out" queue)
rollback_ms=$(ms "$ATLORG_TMP/queue.out" rollback)
queue_dry_ms=$(ms "$ATLORG_TMP/queue.out" queue_dry)
commit_dry_ms=$(ms "$ATLORG_TMP/queue.out" commit_dry)
cancel_ms=$(ms "$ATLORG_TMP/queue.out" cancel)
queued=$(rows_after "$ATLORG_TMP/queue.out" queue | head -1)
IFS='|' read -r c_state c_requests c_dry c_cancelled c_pending < <(rows_after "$ATLORG_TMP/queue.out" ended)
sleep 1
queue_sent=$(fake1 sent '/manage/lifecycle/')
report "queue: rows of one statement" "$queued" "= $QUEUE" "$([ "$queued" = "$QUEUE" ] && echo 1)"
report "queue: plain INSERT of the same rows" "$(printf '%.0f rows/s' "$(echo "$QUEUE * 1000 / $plain_ms" | bc -l)")" \
  "$(printf '%.2f s' "$(echo "$plain_ms / 1000" | bc -l)")" 1
report "queue: statement (then ROLLBACK)" "$(printf '%.0f rows/s' "$(echo "$QUEUE * 1000 / $queue_ms" | bc -l)")" \
  "$(printf '%.2f s; %.2fx the INSERT'"'"'s time' "$(echo "$queue_ms / 1000" | bc -l)" "$(echo "$queue_ms / $plain_ms" | bc -l)")" 1
report "queue: dry run, statement + COMMIT" \
  "$(printf '%.0f rows/s' "$(echo "$QUEUE * 1000 / ($queue_dry_ms + $commit_dry_ms)" | bc -l)")" \
  "$(printf '%.2f s + %.0f ms' "$(echo "$queue_dry_ms / 1000" | bc -l)" "$commit_dry_ms")" 1
report "queue: cancel at once, then ended" \
  "$c_state, $c_cancelled cancelled" "$(printf 'cancel %.2f s; %s dry run' "$(echo "$cancel_ms / 1000" | bc -l)" "$c_dry")" \
  "$([ "$c_state" = cancelled ] && [ "$c_pending" = 0 ] && [ "$((c_dry + c_cancelled))" = "$QUEUE" ] && echo 1)"
report "queue: requests the fake saw" "$queue_sent" "= 0" "$([ "$queue_sent" = 0 ] && echo 1)"

# small submissions: $SMALL_TIMES of $SMALL requests (dry runs, nothing
# sent), each BEGIN; statement; COMMIT; $1: first account number, $2: output
small_submits() {
  local first=$1 i lo
  {
    echo '\timing on'
    for i in $(seq 1 "$SMALL_TIMES"); do
      lo=$((first + (i - 1) * SMALL))
      echo "BEGIN; SET LOCAL atlorg.background = on; SET LOCAL atlorg.dry_run = on;"
      echo '\echo @s'"$i"
      echo "SELECT count(*) FROM atl_disable(ARRAY(SELECT account_id FROM bench_targets
              WHERE server = 'acme' AND n > $lo AND n <= $((lo + SMALL))), server => 'acme');"
      echo '\echo @c'"$i"
      echo "COMMIT;"
    done
  } | run_timed "$2"
}
# mean statement and COMMIT ms of the small submissions in $1
small_means() {
  local s=0 c=0 i
  for i in $(seq 1 "$SMALL_TIMES"); do
    s=$(echo "$s + $(ms "$1" "s$i")" | bc -l); c=$(echo "$c + $(ms "$1" "c$i")" | bc -l)
  done
  echo "$(echo "$s / $SMALL_TIMES" | bc -l) $(echo "$c / $SMALL_TIMES" | bc -l)"
}
small_submits "$small_base" "$ATLORG_TMP/small_idle.out"
read -r idle_stmt_ms idle_commit_ms < <(small_means "$ATLORG_TMP/small_idle.out")

# --- 3. two organizations at once, and small submissions meanwhile ----------
fake1 reset-log; fake2 reset-log
la0=$(fake1 answered 429); lb0=$(fake2 answered 429)
run_timed "$ATLORG_TMP/two.out" <<SQL
BEGIN;
SET LOCAL atlorg.background = on;
SELECT count(*) FROM atl_disable(ARRAY(SELECT account_id FROM bench_targets WHERE $A_TWO), server => 'acme');
SELECT atl_last_run() AS run_a \gset
SELECT count(*) FROM atl_disable(ARRAY(SELECT account_id FROM bench_targets WHERE $B_TWO), server => 'beta');
SELECT atl_last_run() AS run_b \gset
COMMIT;
\echo @runs
SELECT :run_a, :run_b, extract(epoch FROM clock_timestamp());
SQL
IFS='|' read -r run_a run_b t_two < <(rows_after "$ATLORG_TMP/two.out" runs)
pid0=$(executor_pid); cpu0=$(executor_cpu "$pid0")
sleep 2
small_submits "$((small_base + SMALL * SMALL_TIMES))" "$ATLORG_TMP/small_busy.out"
read -r busy_stmt_ms busy_commit_ms < <(small_means "$ATLORG_TMP/small_busy.out")
busy_left=$(psql -X -At -c "SELECT count(*) FROM atl_run_progress WHERE run_id IN ($run_a, $run_b)")
two_line() {  # run id -> state succeeded seconds-from-commit audit-seconds attempts
  # (waited for first: a statement's own snapshot would not see the run end)
  psql -X -At -c "SELECT state FROM atl_run_wait($1, '$WAIT')" >/dev/null
  psql -X -At -c "
    SELECT r.state, r.succeeded,
           extract(epoch FROM coalesce(r.finished_at, clock_timestamp())) - $t_two, a.s, a.attempts
      FROM atl_runs r,
           (SELECT extract(epoch FROM max(finished_at) - min(requested_at)) AS s,
                   sum(attempts) AS attempts FROM atl_audit WHERE run_id = $1) a
     WHERE r.run_id = $1"
}
IFS='|' read -r a_state a_ok a_s a_audit_s a_attempts < <(two_line "$run_a")
IFS='|' read -r b_state b_ok b_s b_audit_s b_attempts < <(two_line "$run_b")
two_cpu=$(cpu_since "$pid0" "$cpu0")
two_wall=$(echo "$(epoch) - $t_two" | bc -l)
a_sent=$(fake1 sent '/manage/lifecycle/disable$'); b_sent=$(fake2 sent '/manage/lifecycle/disable$')
la=$(( $(fake1 answered 429) - la0 )); lb=$(( $(fake2 answered 429) - lb0 ))
a_rate=$(echo "$a_ok / $a_s" | bc -l); b_rate=$(echo "$b_ok / $b_s" | bc -l)

report "small submit ($SMALL), no run going" \
  "$(printf '%.1f + %.1f ms' "$idle_stmt_ms" "$idle_commit_ms")" \
  "$(printf 'statement + COMMIT; %.0f µs a request' "$(echo "($idle_stmt_ms + $idle_commit_ms) * 1000 / $SMALL" | bc -l)")" 1
report "small submit ($SMALL), two runs going" \
  "$(printf '%.1f + %.1f ms' "$busy_stmt_ms" "$busy_commit_ms")" \
  "$(printf '%.0f µs a request; %.2fx idle' "$(echo "($busy_stmt_ms + $busy_commit_ms) * 1000 / $SMALL" | bc -l)" \
     "$(echo "($busy_stmt_ms + $busy_commit_ms) / ($idle_stmt_ms + $idle_commit_ms)" | bc -l)")" \
  "$([ "$busy_left" = 2 ] && echo 1)"
report "queue: COMMIT per request, run going" \
  "$(printf '%.1f µs' "$(echo "$busy_commit_ms * 1000 / $SMALL" | bc -l)")" \
  "$(printf 'idle %.1f µs' "$(echo "$idle_commit_ms * 1000 / $SMALL" | bc -l)")" 1
report "two orgs: succeeded (acme, beta)" "$a_ok, $b_ok" "= $TWO, $TWO" \
  "$([ "$a_state" = finished ] && [ "$b_state" = finished ] && [ "$a_ok" = "$TWO" ] && [ "$b_ok" = "$TWO" ] && echo 1)"
report "two orgs: requests each fake saw" "$a_sent, $b_sent" "= attempts ($a_attempts, $b_attempts)" \
  "$([ "$a_sent" = "$a_attempts" ] && [ "$b_sent" = "$b_attempts" ] && echo 1)"
report "two orgs: 429 answers" "$la, $lb" "" 1
report "two orgs: acme throughput / limit" "$(printf '%.3f' "$(echo "$a_rate / $LIMIT" | bc -l)")" \
  "$(printf '>= 0.9; %.1f s (audit %.1f s)' "$a_s" "$a_audit_s")" "$(echo "$a_rate / $LIMIT >= 0.9" | bc -l)"
report "two orgs: beta throughput / limit" "$(printf '%.3f' "$(echo "$b_rate / $LIMIT" | bc -l)")" \
  "$(printf '>= 0.9; %.1f s (audit %.1f s)' "$b_s" "$b_audit_s")" "$(echo "$b_rate / $LIMIT >= 0.9" | bc -l)"
report "two orgs: executor CPU / 1,000 requests" \
  "$(printf '%.2f s (%.0f%% of a core)' "$(echo "$two_cpu * 1000 / (2 * $TWO)" | bc -l)" "$(echo "$two_cpu * 100 / $two_wall" | bc -l)")" \
  "with the $((SMALL * SMALL_TIMES)) dry-run rows" 1
report "load average (1 min) at the start, end" "$load0, $(cut -d' ' -f1 /proc/loadavg)" "other work on the machine" 1
report "benchmark's own time" "$(printf '%.0f s' "$(echo "$(now) - $started" | bc -l)")" "" 1
exit "$bench_failed"
