#!/usr/bin/env bash
# Benchmark: a 1,000,000-row "Export users" file (current format, three
# products, group lists) read by atlorg, next to PostgreSQL's own COPY
# measured in the same run and cluster:
#   - SELECT count(*) FROM atl_csv_users_file(path), and the same of
#     atl_csv_products_file(path), against COPY ... (FORMAT csv, HEADER) of
#     the same file into an all-text table of its columns: each held to
#     0.8x COPY's rows/s (the file's rows, a second).  COPY does less (no
#     typing, no splitting into products and groups).
#   - atl_csv_import_file() into its four tables, against COPY writing the
#     very rows the import wrote into tables of the same shape: the import
#     must be at least as fast (1.00x its rows/s).
# Each is run BENCH_RUNS times (default 3), interleaved, and the best time
# counts, since other work on the machine only ever adds to a time; the
# backends' CPU seconds are shown too, as they hardly depend on that work.
# Also samples the backend's resident memory while the first import runs,
# and prints the load average: wall times move with other work on the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/deps.sh
. test/lib/cluster.sh
. test/bench/lib.sh

load0=$(cut -d' ' -f1 /proc/loadavg)
ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-3}
bench_failed=0
bench_setup 100
file="$ATLORG_TMP/export-users.csv"
$PYTHON test/csv/make_big.py "$file" --rows "$ROWS" >/dev/null
chmod 644 "$file"
ncols=$(head -1 "$file" | $PYTHON -c 'import csv,sys; print(len(next(csv.reader(sys.stdin))))')
cols=$(seq 1 "$ncols" | sed 's/^/c/; s/$/ text/' | paste -sd, -)
psql -X -q -c "CREATE TABLE copy_all_text ($cols)"

open_session
session_run "SELECT count(*) FROM atl_csv_users('User id,email');" >/dev/null   # load the library

# the smaller of two numbers
least() { if [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# "seconds cpu_seconds" of SQL run in the open session; its output in
# $ATLORG_TMP/measured.out
measure() {
  local t0 c0 t1 c1
  t0=$(now); c0=$(cpu_seconds "$BENCH_BACKEND")
  session_run "$1" >"$ATLORG_TMP/measured.out"
  t1=$(now); c1=$(cpu_seconds "$BENCH_BACKEND")
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "$c1 - $c0" | bc -l)"
}

# the first import, sampling the backend's memory while it runs
first_import() {
  local t0 t1 c0 c1
  start_kb=$(rss_kb "$BENCH_BACKEND"); max_kb=$start_kb
  : >"$ATLORG_TMP/bench.out"
  t0=$(now); c0=$(cpu_seconds "$BENCH_BACKEND")
  printf "SELECT users, products, groups, rejected FROM atl_csv_import_file('%s', 'export');\n\\\\echo csv-done\n" "$file" >&7
  until grep -aq csv-done "$ATLORG_TMP/bench.out"; do
    kb=$(rss_kb "$BENCH_BACKEND"); [ "$kb" -gt "$max_kb" ] && max_kb=$kb
    sleep 0.1
  done
  t1=$(now); c1=$(cpu_seconds "$BENCH_BACKEND")
  read -r users products groups rejected < <(grep -av csv-done "$ATLORG_TMP/bench.out" | tr '|' ' ')
  import_s=$(echo "$t1 - $t0" | bc -l); import_cpu=$(echo "$c1 - $c0" | bc -l)
}

first_import
# the rows the import wrote, as files for COPY (written once, not timed)
for t in users products groups; do
  session_run "COPY export_$t TO '$ATLORG_TMP/out_$t.csv' (FORMAT csv);" >/dev/null
done

# best seconds and CPU seconds of each measure, over the runs
declare -A best_s best_cpu
keep_best() {   # name seconds cpu
  best_s[$1]=$(least "${best_s[$1]:-999999}" "$2")
  best_cpu[$1]=$(least "${best_cpu[$1]:-999999}" "$3")
}
keep_best import "$import_s" "$import_cpu"

for run in $(seq 1 "$RUNS"); do
  session_run "TRUNCATE copy_all_text;" >/dev/null
  read -r s c < <(measure "COPY copy_all_text FROM '$file' (FORMAT csv, HEADER);")
  keep_best copy "$s" "$c"

  # what count(*) gives is checked against the import's tables below
  read -r s c < <(measure "SELECT count(*) FROM atl_csv_users_file('$file');")
  keep_best users "$s" "$c"
  counted_users=$(cat "$ATLORG_TMP/measured.out")
  read -r s c < <(measure "SELECT count(*) FROM atl_csv_products_file('$file');")
  keep_best products "$s" "$c"
  counted_products=$(cat "$ATLORG_TMP/measured.out")

  session_run "DROP TABLE IF EXISTS copy_users, copy_products, copy_groups;
               CREATE TABLE copy_users (LIKE export_users);
               CREATE TABLE copy_products (LIKE export_products);
               CREATE TABLE copy_groups (LIKE export_groups);" >/dev/null
  read -r s c < <(measure "COPY copy_users FROM '$ATLORG_TMP/out_users.csv' (FORMAT csv);
                           COPY copy_products FROM '$ATLORG_TMP/out_products.csv' (FORMAT csv);
                           COPY copy_groups FROM '$ATLORG_TMP/out_groups.csv' (FORMAT csv);")
  keep_best same "$s" "$c"

  if [ "$run" -lt "$RUNS" ]; then   # the first import was run 1's
    session_run "DROP TABLE IF EXISTS again_users, again_products, again_groups, again_rejects;" >/dev/null
    read -r s c < <(measure "SELECT users FROM atl_csv_import_file('$file', 'again');")
    keep_best import "$s" "$c"
  fi
done
close_session

rate() { printf '%.0f' "$(echo "$ROWS / ${best_s[$1]}" | bc -l)"; }
times() { printf '%.2f s, %.2f s CPU' "${best_s[$1]}" "${best_cpu[$1]}"; }
# rows/s of $1 over rows/s of $2: the time of $2 over the time of $1
speed() { echo "${best_s[$2]} / ${best_s[$1]}" | bc -l; }
at_least() { echo "$1 >= $2" | bc -l; }

echo "best of $RUNS runs each"
report "file rows" "$ROWS" "" 1
report "COPY (all text) rows/s" "$(rate copy)" "($(times copy))" 1
for f in users products; do
  ratio=$(speed "$f" copy)
  report "atl_csv_${f}_file() count rows/s" "$(rate "$f")" "($(times "$f"))" 1
  report "  its rows/s / COPY's rows/s" "$(printf '%.2fx' "$ratio")" ">= 0.80x" "$(at_least "$ratio" 0.8)"
  report "  its CPU / COPY's CPU" \
    "$(printf '%.2fx' "$(echo "${best_cpu[$f]} / ${best_cpu[copy]}" | bc -l)")" "" 1
done
report "  counts: users, products" "$counted_users, $counted_products" "= the import's tables" \
  "$([ "$counted_users" = "$users" ] && [ "$counted_products" = "$products" ] && echo 1)"
report "atl_csv_import_file() rows/s" "$(rate import)" "($(times import))" 1
report "  tables written: users, products, groups" "$users, $products, $groups" "rejected $rejected" \
  "$([ "$users" = "$ROWS" ] && [ "$rejected" = 0 ] && echo 1)"
report "  its rows/s / COPY's (all text) rows/s" "$(printf '%.2fx' "$(speed import copy)")" "" 1
report "COPY of the import's rows, same-shaped tables" "$(times same)" "" 1
same_ratio=$(speed import same)
report "  import rows/s / its rows/s" "$(printf '%.2fx' "$same_ratio")" ">= 1.00x" \
  "$(at_least "$same_ratio" 1.0)"
report "  import CPU / its CPU" \
  "$(printf '%.2fx' "$(echo "${best_cpu[import]} / ${best_cpu[same]}" | bc -l)")" "" 1
report "backend RSS growth while importing" "$(( (max_kb - start_kb) / 1024 )) MB" "< 64 MB" \
  "$([ $(( (max_kb - start_kb) / 1024 )) -lt 64 ] && echo 1)"
report "load average (1 min) at the start, end" "$load0, $(cut -d' ' -f1 /proc/loadavg)" \
  "other work on the machine" 1
exit "$bench_failed"
