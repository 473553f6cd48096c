#!/usr/bin/env bash
# Memory safety: the regression suite against atlorg built with
# AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   bash test/memcheck.sh               every file of the suite, then nopreload
#   bash test/memcheck.sh csv reads     only these (nopreload is a name too)
#
# Builds the module with `make ASAN=1` in a copy of the tree under a scratch
# directory, so the checkout's own objects are left alone.  The compiler is
# PGXS's, gcc, so the runtime is gcc's libasan (`gcc -print-file-name`);
# clang's would not match gcc's instrumentation.  Installs the module into a
# private copy of PostgreSQL 15 in that directory, whose `postgres` is
# replaced by a wrapper that preloads libasan into the server; then starts a
# throwaway cluster and the fake org exactly as test/run.sh does and runs
# pg_regress.  Debian's postgres itself is not instrumented: ASan sees the
# module's own stack and globals and every malloc'd block (the CSV reader's,
# libcsv's, libcurl's, a palloc over 8 kB), not an overrun of a small
# palloc'd chunk inside a memory context's block.
#
# Two verdicts, reported apart: the regression tests (a failure may be an
# ordinary one, unrelated to memory), and the sanitizers (an ASan report
# file, or in the server log a UBSan "runtime error:", an ASan summary or a
# server process terminated by a signal).  Ends with "memcheck: ..." and
# exits non-zero if either failed.
#
# The scratch directory is kept, and printed, on failure (MEMCHECK_KEEP=1:
# always).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

. test/lib/deps.sh
atlorg_install_deps

# --- what to run ---------------------------------------------------------
all_tests=$(printf 'atlorg-print-regress:\n\t@echo $(REGRESS)\n' |
  make -s --no-print-directory -f Makefile -f - atlorg-print-regress)
# The suite's files build on each other from its first (fdw: the extension,
# the servers), so a selection runs in the suite's order, after the first.
first=${all_tests%% *}
if [ $# -gt 0 ]; then
  for t in "$@"; do
    [ "$t" = nopreload ] || [ -f "test/sql/$t.sql" ] || { echo "memcheck: no test named $t" >&2; exit 2; }
  done
  regress_tests=""
  for t in $all_tests; do
    [[ " $* " == *" $t "* ]] && regress_tests="$regress_tests $t"
  done
  [ -n "$regress_tests" ] && [[ "$regress_tests " != " $first "* ]] && regress_tests=" $first$regress_tests"
  run_nopreload=no
  [[ " $* " == *" nopreload "* ]] && run_nopreload=yes
else
  regress_tests=" $all_tests"
  run_nopreload=yes
fi

# --- the ASan build, in a copy of the tree --------------------------------
scratch=$(mktemp -d /tmp/atlorg-memcheck.XXXXXX)
chmod 755 "$scratch"
cleanup() {
  set +e   # the servers may be stopped already
  if declare -F atlorg_env_stop >/dev/null; then atlorg_env_stop; fi
  if [ -z "${MEMCHECK_KEEP:-}" ]; then rm -rf "$scratch"; fi
}
trap cleanup EXIT
build=$scratch/build
san=$scratch/sanitizer     # ASan's log_path: asan.<pid> (UBSan writes to the server log)
mkdir -p "$build" "$san"
chmod 1777 "$san"

libasan=$(readlink -f "$(gcc -print-file-name=libasan.so)")
[ -f "$libasan" ] || { echo "memcheck: gcc has no libasan ($libasan)" >&2; exit 2; }
tar -C "$repo" --exclude=./.git --exclude=./test -cf - . | tar -C "$build" -xf -
make -s -C "$build" clean >/dev/null
make -s -C "$build" -j"$(nproc)" ASAN=1 WERROR=1 >"$scratch/build.log" 2>&1 \
  || { cat "$scratch/build.log"; echo "memcheck: the ASan build failed"; MEMCHECK_KEEP=1; exit 1; }

# --- a private PostgreSQL whose server runs with libasan preloaded ---------
pgroot=$scratch/pg
mkdir -p "$pgroot/usr/lib/postgresql" "$pgroot/usr/share/postgresql"
cp -a /usr/lib/postgresql/15 "$pgroot/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$pgroot/usr/share/postgresql/"
bindir=$pgroot$(pg_config --bindir)
mv "$bindir/postgres" "$bindir/postgres.real"
# PostgreSQL's own CI runs ASan with these (detect_stack_use_after_return
# moves frames off the stack, which check_stack_depth would take for
# overflow; detect_leaks: a backend does not free what it keeps to its end);
# abort_on_error so that a finding kills the process with a signal, which
# the postmaster treats as a crash rather than an ordinary FATAL exit.
# test/memcheck_preload.c says why libasan needs a companion.
gcc -shared -fPIC -O2 -o "$scratch/memcheck_preload.so" test/memcheck_preload.c
cat >"$bindir/postgres" <<WRAP
#!/bin/sh
# test/memcheck.sh: the server, with AddressSanitizer's runtime preloaded
LD_PRELOAD="$libasan $scratch/memcheck_preload.so\${LD_PRELOAD:+ \$LD_PRELOAD}"
ASAN_OPTIONS="detect_leaks=0:detect_stack_use_after_return=0:abort_on_error=1:disable_coredump=1:print_stacktrace=1:log_path=$san/asan"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=0"
export LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
exec "\$(dirname "\$0")/postgres.real" "\$@"
WRAP
chmod 755 "$bindir/postgres"
make -s -C "$build" ASAN=1 install DESTDIR="$pgroot" >/dev/null

export ATLORG_PG_ROOT=$pgroot
. test/lib/cluster.sh

atlorg_env_start 10000
export ATLORG_REQUEST_LOG="$ATLORG_TMP/requests.jsonl"
export CSV_DIR="$ATLORG_TMP/csv"
$PYTHON test/csv/make_exports.py "$CSV_DIR" >/dev/null

# the server really runs with the runtime: a backend's memory map shows it
maps=$(psql -XqAt -c "SELECT pg_read_file('/proc/' || pg_backend_pid() || '/maps')")
if ! grep -qF "$(basename "$libasan")" <<<"$maps"; then
  echo "memcheck: the server does not run with $libasan preloaded"; exit 1
fi

# --- the regression tests --------------------------------------------------
tests_ok=0
tests_failed=0
failed_names=""
tally() {  # $1: a pg_regress log
  local ok bad
  grep -E '\.\.\. ' "$1" || cat "$1"
  ok=$(grep -cE '\.\.\. ok' "$1" || true)
  bad=$(grep -cE '\.\.\. (FAILED|failed)' "$1" || true)
  tests_ok=$((tests_ok + ok))
  tests_failed=$((tests_failed + bad))
  if [ "$ok" = 0 ] && [ "$bad" = 0 ]; then tests_failed=$((tests_failed + 1)); fi
  failed_names="$failed_names $( { grep -E '\.\.\. (FAILED|failed)' "$1" || true; } |
    sed -E 's/^[^a-z_]*(test +)?([a-z_0-9]+) +\.\.\..*/\2/' | tr '\n' ' ')"
}

started=$(date +%s)
if [ -n "$regress_tests" ]; then
  echo "== pg_regress under AddressSanitizer:$regress_tests"
  # REGRESS_OPTS on the command line drops the Makefile's --dbname: give it
  # back, as test/run.sh's database (some files \c to it by name)
  make -s installcheck REGRESS="$regress_tests" \
    REGRESS_OPTS="--inputdir=test --outputdir=$scratch/regress --dbname=contrib_regression" \
    >"$scratch/regress.log" 2>&1 || true
  tally "$scratch/regress.log"
fi
if [ "$run_nopreload" = yes ]; then
  echo "== without shared_preload_libraries, under AddressSanitizer"
  plain_port=$(free_port)
  atlorg_cluster_start "$ATLORG_TMP/data-plain" "$plain_port" ""
  PGPORT=$plain_port make -s installcheck REGRESS=nopreload \
    REGRESS_OPTS="--inputdir=test/nopreload --outputdir=$scratch/nopreload" \
    >"$scratch/nopreload.log" 2>&1 || true
  tally "$scratch/nopreload.log"
fi
elapsed=$(($(date +%s) - started))

# --- the sanitizers' verdict -----------------------------------------------
# Stop the servers first, so that every process has written its log.
for data in "$ATLORG_TMP"/data*; do
  as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
done
reports=$(ls "$san" | sort)
pattern='ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer|terminated by signal|was terminated by exception'
server_hits=$(grep -E "$pattern" "$ATLORG_SERVER_LOG" || true)
echo "== sanitizer reports"
if [ -z "$reports" ] && [ -z "$server_hits" ]; then
  echo "none: no file in the sanitizer log directory, nothing in the server log ($(wc -l <"$ATLORG_SERVER_LOG") lines)"
  san_ok=yes
else
  san_ok=no
  for f in $reports; do
    echo "--- $f"
    head -60 "$san/$f"
  done
  if [ -n "$server_hits" ]; then
    echo "--- the server log"
    echo "$server_hits" | head -20
  fi
fi

echo
if [ "$tests_failed" != 0 ]; then
  for d in "$scratch/regress" "$scratch/nopreload"; do
    [ -f "$d/regression.diffs" ] && head -150 "$d/regression.diffs"
  done
fi
if [ "$tests_failed" = 0 ]; then verdict_tests="$tests_ok passed"
else verdict_tests="$tests_ok passed, $tests_failed failed ($(echo $failed_names))"; fi
if [ "$san_ok" = yes ]; then verdict_san="clean"
else verdict_san="FOUND ($(echo "$reports" | grep -c . || true) report files, $(echo "$server_hits" | grep -c . || true) server log lines)"; fi
echo "memcheck: tests: $verdict_tests; sanitizers: $verdict_san; ${elapsed} s of tests"
if [ "$san_ok" != yes ] || [ "$tests_failed" != 0 ]; then
  cp "$ATLORG_SERVER_LOG" "$ATLORG_TMP/fake.log" "$scratch/" 2>/dev/null || true
  MEMCHECK_KEEP=1
  echo "memcheck: logs kept in $scratch (server.log, sanitizer/, regress/regression.diffs)"
  exit 1
fi
