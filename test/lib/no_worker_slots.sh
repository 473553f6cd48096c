#!/usr/bin/env bash
# For test/sql/limits.sql: a throwaway cluster in which no background worker
# slot is free (max_worker_processes = 0), so that no atlorg executor can be
# started there.  Runs the SQL below in it with psql (echoing it, as
# pg_regress does), prints what psql prints, and removes the cluster.
# Needs the environment test/lib/cluster.sh's atlorg_env_start exports.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/cluster.sh
ATLORG_TMP=$(dirname "$ATLORG_SERVER_LOG")
data="$ATLORG_TMP/data-noslots"
port=$(free_port)

stop() {
  as_pg "$PG_BIN/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap stop EXIT

atlorg_cluster_start "$data" "$port" atlorg "max_worker_processes = 0"

PGPORT=$port psql -X -a -q -d postgres -v fake_url="$FAKE_URL" -v fake_key="$FAKE_KEY" 2>&1 <<'SQL'
CREATE EXTENSION atlorg;
CREATE SERVER acme FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base :'fake_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (api_key :'fake_key');
SET search_path = public, atlorg;
SHOW max_worker_processes;
SET statement_timeout = '20s';
-- The executor cannot start: an error at once, with what to change.
SELECT outcome FROM atl_disable('712020:978521a6-2367-4092-a7f6-7cc1b9043bdd');
-- Every slot a failed call took is free again: five calls of 64 requests
-- (more than the executor's 256 slots in all) each fail at once, none waits.
DO $$
DECLARE
  failed int := 0;
BEGIN
  FOR i IN 1..5 LOOP
    BEGIN
      PERFORM count(*) FROM atl_disable(ARRAY(SELECT 'account-' || g FROM generate_series(1, 64) g));
    EXCEPTION WHEN configuration_limit_exceeded THEN
      failed := failed + 1;
    END;
  END LOOP;
  RAISE NOTICE '% of 5 calls failed at once', failed;
END
$$;
-- Nothing reached the audit, and nothing was sent.
SELECT count(*) FROM atl_audit;
SQL
