#!/usr/bin/env bash
# A nightly policy with pg_cron (Debian's postgresql-15-cron): "deactivate
# whoever is inactive in Jira Software for 90 days, except the allowlist",
# scheduled by a role that is only an atlorg actor, run by pg_cron, checked
# against the audit.  A cluster of its own (pg_cron preloaded next to
# atlorg), against the fake org of FAKE_URL (test/run.sh gives it one of
# its own).  pg_cron 1.4 schedules by the
# minute: the job is set for every minute and the first run awaited.
# Prints "ok: ..." or "FAILED: ..." per check; exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/cluster.sh

port=$(free_port)
rm -rf "$ATLORG_TMP/data-cron"
# unpaced (the fake sets no rate limit): the run's ~2,000 disables would
# take 20 s at the default 100 a second
atlorg_cluster_start "$ATLORG_TMP/data-cron" "$port" "atlorg,pg_cron" \
  "cron.database_name = 'postgres'
cron.host = '$ATLORG_TMP'
atlorg.action_rate = 0"
trap 'as_pg "$PG_BIN/pg_ctl" -D "$ATLORG_TMP/data-cron" -m immediate stop >/dev/null 2>&1 || true' EXIT
sql() { PGPORT=$port psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
status=0

$PYTHON test/fakectl.py reset
sql >/dev/null <<SQL
CREATE EXTENSION atlorg;
CREATE EXTENSION pg_cron;
CREATE ROLE nightly LOGIN IN ROLE atlorg_actor;
GRANT USAGE ON SCHEMA cron TO nightly;
CREATE SCHEMA nightly AUTHORIZATION nightly;
CREATE SERVER acme FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base '$FAKE_URL');
GRANT USAGE ON FOREIGN SERVER acme TO nightly;
CREATE USER MAPPING FOR nightly SERVER acme OPTIONS (api_key '$FAKE_KEY');
-- its nightly run sends more than one statement's default cap (the README says so)
ALTER ROLE nightly SET atlorg.max_statement_actions = 10000;
SQL

# the README's policy, as the role nightly schedules it
sql -U nightly >/dev/null <<'SQL'
CREATE TABLE nightly_allowlist (account_id text PRIMARY KEY);
INSERT INTO nightly_allowlist
SELECT account_id FROM atlorg.atl_users(status => '{active}', claim_status => 'managed')
 WHERE atlorg.atl_inactive(product_last_active, 'jira-software', '90 days')
 ORDER BY account_id LIMIT 5;
SELECT cron.schedule('atlorg-inactive-jira', '* * * * *', $$
  SET atlorg.background = on;
  SET atlorg.run_label = 'nightly: inactive in Jira Software';
  SELECT atlorg.atl_sync(access => false);
  UPDATE atlorg.atl_directory SET status = 'deactivated'
   WHERE status = 'active' AND claim_status = 'managed'
     AND atlorg.atl_inactive(product_last_active, 'jira-software', '90 days')
     AND account_id NOT IN (SELECT account_id FROM nightly_allowlist);
$$);
SQL
expected=$(sql -U nightly -c "SELECT count(*) FROM atlorg.atl_users(status => '{active}', claim_status => 'managed')
  WHERE atlorg.atl_inactive(product_last_active, 'jira-software', '90 days')
    AND account_id NOT IN (SELECT account_id FROM nightly_allowlist)")

# the first run: at the next minute, and its requests take a few seconds
for _ in $(seq 1 150); do
  state=$(sql -c "SELECT status FROM cron.job_run_details ORDER BY runid LIMIT 1")
  case "$state" in succeeded|failed) break ;; esac
  sleep 1
done
if [ "$state" = succeeded ]; then
  echo "ok: pg_cron ran the policy as nightly"
else
  echo "FAILED: the job's first run: ${state:-none within 150 s} $(sql -c "SELECT return_message FROM cron.job_run_details ORDER BY runid LIMIT 1")"
  status=1
fi
sql -U nightly -c "SELECT cron.unschedule('atlorg-inactive-jira')" >/dev/null
# the job queued a background run and ended; the executor sends it.  pg_cron
# may say "succeeded" before the job's transaction is seen committed: its
# commit first makes sure the executor runs (starting it can take seconds)
run_id=
for _ in $(seq 1 60); do
  run_id=$(sql -U nightly -c "SELECT min(run_id) FROM atlorg.atl_runs
                               WHERE label = 'nightly: inactive in Jira Software'")
  [ -n "$run_id" ] && break
  sleep 0.5
done
run_state=$(sql -U nightly -c "SELECT state || ' ' || total FROM atlorg.atl_run_wait(${run_id:-NULL}, '180 s')" 2>&1 || true)

read -r requests accounts acted allowlisted < <(sql -F ' ' -c "
  SELECT count(*), count(DISTINCT account_id), string_agg(DISTINCT acted_by, ','),
         count(*) FILTER (WHERE account_id IN (SELECT account_id FROM nightly.nightly_allowlist))
    FROM atlorg.atl_audit WHERE action = 'disable'")
if [ "$accounts" -gt 0 ] && [ "$accounts" = "$expected" ] && [ "$acted" = nightly ] &&
   [ "$allowlisted" = 0 ] && [ "$run_state" = "finished $requests" ]; then
  echo "ok: the job's background run ($run_state) acted on all $expected inactive accounts (protected ones skipped), none on the allowlist, each audited as nightly"
else
  echo "FAILED: audit after the run ($run_state): $requests requests, $accounts accounts of $expected, by '$acted', $allowlisted allowlisted"
  sql -c "SELECT outcome, count(*) FROM atlorg.atl_audit GROUP BY 1"
  status=1
fi
$PYTHON test/fakectl.py reset
exit $status
