# Shared by the benchmarks: a cluster and a fake org of a given size, and
# small measuring helpers.  Sourced after test/lib/*.sh.

bench_setup() {
  local users=$1
  # a benchmark's statements send thousands of requests: past the default
  # cap on one statement's requests (atlorg.max_statement_actions)
  export PGOPTIONS="${PGOPTIONS:-} -c atlorg.max_statement_actions=-1"
  atlorg_install_deps
  make -s >/dev/null && atlorg_make_install
  trap atlorg_env_stop EXIT
  atlorg_env_start "$users"
  psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION atlorg;
CREATE SERVER acme FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base '$FAKE_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (api_key '$FAKE_KEY');
SQL
}

# seconds since the epoch, with fractions
now() { date +%s.%N; }

# seconds the SQL took, as its session sees it (psql's \timing: not psql's
# own start and connection, 15-30 ms); its output (rows, and the tags of
# commands that return none, such as UPDATE n) in $ATLORG_TMP/timed.out
timed() {
  psql -X -At -F ' ' -v ON_ERROR_STOP=1 -c '\timing on' -c "$1" >"$ATLORG_TMP/timed.raw"
  grep -Ev '^(Time: |Timing is on\.$)' "$ATLORG_TMP/timed.raw" >"$ATLORG_TMP/timed.out" || true
  awk '/^Time: / { t = $2 / 1000 } END { printf "%.6f\n", t }' "$ATLORG_TMP/timed.raw"
}

# CPU seconds (user + system) a process has used so far
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"
}

# the process's own resident memory, in kB: anonymous pages only, since a
# backend's RSS also counts the shared buffers it touches
rss_kb() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }

# "name: value (bound) ok|FAIL"; sets bench_failed when the check fails
report() {
  local name=$1 value=$2 bound=$3 ok=$4
  printf '%-46s %-22s %-28s %s\n' "$name" "$value" "$bound" "$([ "$ok" = 1 ] && echo ok || echo FAIL)"
  [ "$ok" = 1 ] || bench_failed=1
}

# a psql session kept open on a fifo, so its backend's pid is known
# before the measured statement runs
open_session() {
  BENCH_FIFO="$ATLORG_TMP/bench.fifo"
  mkfifo "$BENCH_FIFO"
  : >"$ATLORG_TMP/bench.out"
  # appending: the file is emptied between statements while psql writes
  psql -X -q -At <"$BENCH_FIFO" >>"$ATLORG_TMP/bench.out" 2>&1 &
  BENCH_PSQL=$!
  exec 7>"$BENCH_FIFO"
  echo "SELECT pg_backend_pid();" >&7
  for _ in $(seq 1 100); do [ -s "$ATLORG_TMP/bench.out" ] && break; sleep 0.05; done
  BENCH_BACKEND=$(head -1 "$ATLORG_TMP/bench.out" | tr -cd '0-9')
}

# run SQL in the open session and wait for the marker it prints at the end
session_run() {
  local marker="done-$RANDOM"
  : >"$ATLORG_TMP/bench.out"
  printf '%s\n\\echo %s\n' "$1" "$marker" >&7
  until grep -aq "$marker" "$ATLORG_TMP/bench.out" 2>/dev/null; do sleep 0.02; done
  grep -av "$marker" "$ATLORG_TMP/bench.out" || true
}

close_session() {
  exec 7>&-
  wait "$BENCH_PSQL" 2>/dev/null || true
  rm -f "$BENCH_FIFO"
}
