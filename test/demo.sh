#!/usr/bin/env bash
# The atlorg demo: builds and installs atlorg, starts a throwaway PostgreSQL
# cluster and a fake Atlassian org of 3,000 users on loopback, and runs a
# short scripted psql session (test/demo.sql).  Both keep running so you can
# go on by hand; `bash test/demo.sh stop` stops them.
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

atlorg_env_start 3000
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

Stop both with:  bash test/demo.sh stop
MSG
