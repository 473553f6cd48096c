# A throwaway PostgreSQL cluster and a fake Atlassian org, for the tests and
# the demo.  Sourced; call atlorg_env_start, and atlorg_env_stop on exit.
#
# Sets: ATLORG_TMP (scratch dir), PGHOST, PGPORT, PGUSER, PGDATABASE,
#       FAKE_URL, FAKE_KEY, ATLORG_SERVER_LOG.

# ATLORG_PG_ROOT: a copy of the PostgreSQL installation (cp -a of
# /usr/lib/postgresql/15 and /usr/share/postgresql/15 under it) to install
# into and run from instead of the system's, so that two checkouts can be
# tested at once; PostgreSQL finds its files relative to its binaries.
ATLORG_PG_ROOT=${ATLORG_PG_ROOT:-}
PG_BIN=$ATLORG_PG_ROOT$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)

# make install into ATLORG_PG_ROOT, or the system's installation
atlorg_make_install() {
  make -s install ${ATLORG_PG_ROOT:+DESTDIR=$ATLORG_PG_ROOT} >/dev/null
}
PYTHON=/usr/bin/python3
# UTF-8 whatever the machine's locale (a fresh one may have none): the
# cluster's encoding, psql's and Python's all follow it
export LANG=C.UTF-8 LC_ALL=C.UTF-8

# the server refuses to run as root: run it as the postgres account
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  $PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# $1: data directory, $2: port, $3: shared_preload_libraries, $4: more
# settings (lines of postgresql.conf, which win over the ones here)
atlorg_cluster_start() {
  local data=$1 port=$2 preload=$3 more=${4:-}
  as_pg "$PG_BIN/initdb" -D "$data" -A trust -U postgres --no-sync \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$ATLORG_TMP'
port = $port
shared_preload_libraries = '$preload'
fsync = off
log_min_messages = debug1
log_line_prefix = '%m [%p] %q%u@%d '
max_worker_processes = 16
# atlorg lives in schema atlorg; the tests, demo and benchmarks call it
# unqualified (README: "Security" says which order to choose)
search_path = '"\$user", public, atlorg'
$more
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$ATLORG_SERVER_LOG" -w start >/dev/null
}

atlorg_fake_start() {
  local users=$1
  $PYTHON test/fake/server.py --port 0 --port-file "$ATLORG_TMP/fake.port" \
    --users "$users" --seed 1 --api-key "$FAKE_KEY" >"$ATLORG_TMP/fake.log" 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 1 300); do
    [ -s "$ATLORG_TMP/fake.port" ] && break
    kill -0 $FAKE_PID 2>/dev/null || { cat "$ATLORG_TMP/fake.log" >&2; return 1; }
    sleep 0.1
  done
  FAKE_URL="http://127.0.0.1:$(cat "$ATLORG_TMP/fake.port")"
}

# $1: the fake org's users; $2: shared_preload_libraries (default atlorg;
# with pg_cron, its settings too: jobs in database postgres, over the socket)
atlorg_env_start() {
  local users=${1:-10000} preload=${2:-atlorg} more=
  ATLORG_TMP=$(mktemp -d /tmp/atlorg.XXXXXX)
  chmod 755 "$ATLORG_TMP"
  chown postgres "$ATLORG_TMP" 2>/dev/null || true
  ATLORG_SERVER_LOG="$ATLORG_TMP/server.log"
  as_pg touch "$ATLORG_SERVER_LOG"
  # a recognisable, random key: the secrecy test looks for it in every log
  FAKE_KEY="atlkey-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  PGHOST=$ATLORG_TMP PGPORT=$(free_port) PGUSER=postgres PGDATABASE=postgres
  export PGHOST PGPORT PGUSER PGDATABASE FAKE_KEY ATLORG_SERVER_LOG
  case ",$preload," in
    *,pg_cron,*) more="cron.database_name = 'postgres'
cron.host = '$ATLORG_TMP'" ;;
  esac
  atlorg_cluster_start "$ATLORG_TMP/data" "$PGPORT" "$preload" "$more"
  atlorg_fake_start "$users"
  export FAKE_URL
}

atlorg_env_stop() {
  if [ -n "${FAKE_PID:-}" ]; then
    kill "$FAKE_PID" 2>/dev/null || true
    wait "$FAKE_PID" 2>/dev/null || true   # not our child when the demo stops
  fi
  local data
  for data in "${ATLORG_TMP:-/nonexistent}"/data*; do
    # a server that already stopped is fine: keep going, the rest must go too
    [ -d "$data" ] && { as_pg "$PG_BIN/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true; }
  done
  if [ -n "${ATLORG_TMP:-}" ] && [ -z "${ATLORG_KEEP:-}" ]; then
    rm -rf "$ATLORG_TMP"
  fi
  return 0
}
