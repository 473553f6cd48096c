#!/usr/bin/env bash
# The atlorg demo: builds and installs atlorg, starts a throwaway PostgreSQL
# cluster (pg_cron preloaded, for the README's scheduling examples) and a
# fake Atlassian org of 3,000 users on loopback, which serves the org's Jira
# site too, and runs a short scripted psql session (test/demo.sql).  Both
# keep running so you can go on by hand; `bash test/demo.sh stop` stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=/tmp/atlorg-demo.env

. test/lib/cluster.sh
if [ "${1:-}" = stop ]; then
  [ -f "$STATE" ] || { echo "no demo is running"; exit 0; }
  . "$STATE"
  ATLORG_KEEP= atlorg_env_stop
  rm -f "$STATE"
  echo "demo stopped"
  exit 0
fi
[ -f "$STATE" ] && { . "$STATE"; ATLORG_KEEP= atlorg_env_stop; rm -f "$STATE"; }

. test/lib/deps.sh
atlorg_install_deps
make -s >/dev/null
atlorg_make_install

atlorg_env_start 3000 atlorg,pg_cron
cat >"$STATE" <<STATE
ATLORG_TMP=$ATLORG_TMP
FAKE_PID=$FAKE_PID
export PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=$PGDATABASE
export FAKE_URL=$FAKE_URL FAKE_KEY=$FAKE_KEY
STATE
psql -X -q -v ON_ERROR_STOP=1 -f test/demo.sql

cat <<MSG

The cluster and the fake org are still running.  Go on by hand:

    . $STATE && psql

then try, for instance:
    SELECT status, count(*) FROM atl_users() GROUP BY status;
    SELECT * FROM atl_audit;

Server acme is the fake org (org_id acme-org, api_base $FAKE_URL; its
API key is FAKE_KEY in $STATE).  The fake serves the org's Jira site at the same URL;
the demo set it up (site_url $FAKE_URL, site_email admin@acme.example,
site_api_token site-token), so the Jira examples run as written:
    SELECT count(*) FROM atl_jira_users();
pg_cron is preloaded and created in database postgres (CREATE EXTENSION
pg_cron), so the scheduling examples run as written too:
    SELECT cron.schedule('atlorg-sync', '0 * * * *', \$\$SELECT atl_sync('acme')\$\$);

Stop both with:  bash test/demo.sh stop
MSG
