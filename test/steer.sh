#!/usr/bin/env bash
# Runs across sessions, against test/run.sh's cluster and fake org, in a
# database of its own:
#   1. a session LISTENing on atlorg_runs hears a background run end, its
#      id and counts in the payload;
#   2. a run queued by a session that disconnects at once still finishes;
#   3. a synchronous UPDATE atl_directory, paused, resumed and cancelled
#      from another session, ends normally: its row count and the mirror
#      are what Atlassian did, the unsent rest is recorded as cancelled,
#      and the fake saw exactly the requests the audit says were sent;
#   4. a background UPDATE atl_directory: the mirror follows each outcome.
# Prints "ok: ..." or "FAILED: ..." per check; exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/cluster.sh

db=atl_steer
status=0
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }
fake() { $PYTHON test/fakectl.py "$@"; }
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres \
  -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
fake reset >/dev/null
sql >/dev/null <<SQL
CREATE EXTENSION atlorg;
CREATE SERVER acme FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base '$FAKE_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (api_key '$FAKE_KEY');
SELECT users_added FROM atlorg.atl_sync(access => false);
CREATE TABLE targets AS
  SELECT account_id, row_number() OVER (ORDER BY account_id) AS n FROM atlorg.atl_directory
   WHERE status = 'active' AND claim_status = 'managed' AND management_source = 'invited'
     AND atlorg.atl_protection(account_id, 'acme') IS NULL;
SQL
# an earlier test (the chaos test's 429s) may have paused the organization,
# whose budget every database shares: one synchronous action waits it out
sql -c "SELECT outcome FROM atlorg.atl_enable((SELECT account_id FROM targets WHERE n = 500))" >/dev/null
slow() { sql -c "ALTER SYSTEM SET atlorg.action_rate = $1" -c "SELECT pg_reload_conf()" >/dev/null; }
reset_pace() { sql -c "ALTER SYSTEM RESET atlorg.action_rate" -c "SELECT pg_reload_conf()" >/dev/null; }
trap reset_pace EXIT

# 1. LISTEN: the payload names the run and its counts
psql -X -d $db -c "LISTEN atlorg_runs" -c "SELECT pg_sleep(4)" >"$ATLORG_TMP/listen.out" 2>&1 &
listener=$!
sleep 0.5
run=$(sql <<'SQL' | tail -1
SET client_min_messages = warning;
BEGIN;
SET LOCAL atlorg.background = on;
SELECT count(*) FROM atlorg.atl_disable(ARRAY(SELECT account_id FROM targets WHERE n <= 5));
COMMIT;
SELECT atlorg.atl_last_run();
SQL
)
wait $listener || true
payload=$(grep -o "payload \"{.*}\"" "$ATLORG_TMP/listen.out" | grep "\"run_id\" : $run," || true)
if echo "$payload" | grep -q '"state" : "finished", "total" : 5, "requests" : 5, "succeeded" : 5'; then
  echo "ok: a listening session heard run $run end: $payload"
else
  echo "FAILED: no NOTIFY for run $run: $(cat "$ATLORG_TMP/listen.out")"; status=1
fi

# 2. queued, then the session is gone at once
fake reset-log >/dev/null
psql -X -q -d $db >/dev/null 2>&1 <<'SQL'
BEGIN;
SET LOCAL atlorg.background = on;
SET LOCAL atlorg.run_label = 'orphaned at birth';
SELECT count(*) FROM atlorg.atl_disable(ARRAY(SELECT account_id FROM targets WHERE n BETWEEN 6 AND 25));
COMMIT;
SQL
read -r state succeeded < <(sql -F ' ' -c "SELECT state, succeeded FROM atlorg.atl_run_wait(
  (SELECT run_id FROM atlorg.atl_runs WHERE label = 'orphaned at birth'), '60 s')")
sent=$(fake sent lifecycle/disable)
if [ "$state" = finished ] && [ "$succeeded" = 20 ] && [ "$sent" = 20 ]; then
  echo "ok: a run whose session disconnected right after COMMIT finished: 20 of 20, each sent once"
else
  echo "FAILED: the orphaned run: state $state, $succeeded succeeded, $sent sent"; status=1
fi

# 3. a synchronous UPDATE steered from another session
fake reset-log >/dev/null
slow 4
psql -X -At -d $db -c "SET atlorg.run_label = 'steered'" \
    -c "UPDATE atlorg.atl_directory SET status = 'deactivated'
         WHERE account_id IN (SELECT account_id FROM targets WHERE n BETWEEN 26 AND 65)" \
    >"$ATLORG_TMP/steered.out" 2>&1 &
updater=$!
run=""
for _ in $(seq 1 50); do
  run=$(sql -c "SELECT run_id FROM atlorg.atl_run_progress WHERE what = 'steered'")
  [ -n "$run" ] && break; sleep 0.1
done
sleep 2
sql -c "SELECT atlorg.atl_run_pause($run)" >/dev/null
sleep 1
at_pause=$(sql -c "SELECT requests FROM atlorg.atl_runs WHERE run_id = $run")
sleep 1.5
still=$(sql -c "SELECT requests FROM atlorg.atl_runs WHERE run_id = $run")
paused_state=$(sql -c "SELECT state FROM atlorg.atl_run_progress WHERE run_id = $run")
sql -c "SELECT atlorg.atl_run_resume($run)" >/dev/null
sleep 1.5
sql -c "SELECT atlorg.atl_run_cancel($run)" >/dev/null
wait $updater || true
updated=$(awk '/^UPDATE/ {print $2}' "$ATLORG_TMP/steered.out")
read -r state total succeeded cancelled pending < <(sql -F ' ' -c "
  SELECT state, total, succeeded, cancelled, pending FROM atlorg.atl_runs WHERE run_id = $run")
mirrored=$(sql -c "SELECT count(*) FROM atlorg.atl_directory d JOIN atlorg.atl_audit a USING (account_id)
                    WHERE a.run_id = $run AND a.outcome = 'succeeded' AND d.status = 'deactivated'")
untouched=$(sql -c "SELECT count(*) FROM atlorg.atl_directory d JOIN atlorg.atl_audit a USING (account_id)
                     WHERE a.run_id = $run AND a.outcome = 'cancelled' AND d.status = 'active'")
sent=$(fake sent lifecycle/disable)
if [ "$at_pause" = "$still" ] && [ "$paused_state" = paused ] && [ "$state" = cancelled ] &&
   [ "$total" = 40 ] && [ "$pending" = 0 ] && [ "$cancelled" -gt 0 ] &&
   [ "$((succeeded + cancelled))" = 40 ] && [ "$updated" = "$succeeded" ] &&
   [ "$mirrored" = "$succeeded" ] && [ "$untouched" = "$cancelled" ] && [ "$sent" = "$succeeded" ]; then
  echo "ok: a synchronous UPDATE paused (no request for 1.5 s), resumed and cancelled from another session: UPDATE $updated, $succeeded succeeded and mirrored, $cancelled cancelled and unsent, the fake saw $sent"
else
  echo "FAILED: steered UPDATE: paused $at_pause->$still ($paused_state), state $state, total $total, UPDATE $updated, succeeded $succeeded, mirrored $mirrored, cancelled $cancelled (untouched $untouched), pending $pending, sent $sent"
  cat "$ATLORG_TMP/steered.out"; status=1
fi
reset_pace

# 4. a background UPDATE: the mirror follows each outcome as it arrives
sql >/dev/null <<'SQL'
SET client_min_messages = warning;
BEGIN;
SET LOCAL atlorg.background = on;
SET LOCAL atlorg.run_label = 'background update';
UPDATE atlorg.atl_directory SET status = 'deactivated'
 WHERE account_id IN (SELECT account_id FROM targets WHERE n BETWEEN 66 AND 95);
COMMIT;
SQL
read -r state succeeded < <(sql -F ' ' -c "SELECT state, succeeded FROM atlorg.atl_run_wait(
  (SELECT run_id FROM atlorg.atl_runs WHERE label = 'background update'), '60 s')")
mirrored=$(sql -c "SELECT count(*) FROM atlorg.atl_directory d JOIN targets t USING (account_id)
                    WHERE t.n BETWEEN 66 AND 95 AND d.status = 'deactivated' AND d.account_status = 'inactive'")
if [ "$state" = finished ] && [ "$succeeded" = 30 ] && [ "$mirrored" = 30 ]; then
  echo "ok: a background UPDATE atl_directory finished, and the mirror shows all 30 accounts deactivated"
else
  echo "FAILED: background UPDATE: state $state, $succeeded succeeded, $mirrored mirrored"; status=1
fi
fake reset >/dev/null
exit $status
