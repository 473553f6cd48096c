#!/usr/bin/env bash
# Benchmark: importing a 1,000,000-row "Export users" file (current format,
# three products, group lists) with atl_csv_import_file(), next to
# PostgreSQL's own COPY ... (FORMAT csv, HEADER) of the same file into an
# all-text table, in the same run and cluster.  COPY does less (no typing,
# no splitting into products and groups); the bound is 0.8x COPY's rows/s.
# A second baseline, COPY writing the rows the import wrote into tables of
# the same shape, shows what that difference costs.
# Also samples the backend's resident memory while the import runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/deps.sh
. test/lib/cluster.sh
. test/bench/lib.sh

ROWS=${BENCH_ROWS:-1000000}
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

t0=$(now)
session_run "COPY copy_all_text FROM '$file' (FORMAT csv, HEADER);" >/dev/null
t1=$(now)
copy_s=$(echo "$t1 - $t0" | bc -l)

start_kb=$(rss_kb "$BENCH_BACKEND"); max_kb=$start_kb
: >"$ATLORG_TMP/bench.out"
t0=$(now)
printf "SELECT users, products, groups, rejected FROM atl_csv_import_file('%s', 'export');\n\\\\echo csv-done\n" "$file" >&7
until grep -aq csv-done "$ATLORG_TMP/bench.out"; do
  kb=$(rss_kb "$BENCH_BACKEND"); [ "$kb" -gt "$max_kb" ] && max_kb=$kb
  sleep 0.1
done
t1=$(now)
import_s=$(echo "$t1 - $t0" | bc -l)
read -r users products groups rejected < <(grep -av csv-done "$ATLORG_TMP/bench.out" | tr '|' ' ')
close_session

# A second baseline: COPY writing the very rows atlorg wrote, into tables of
# the same shape (written out first, then copied back in and timed).
same_s=0
for t in users products groups; do
  psql -X -q -c "COPY export_$t TO '$ATLORG_TMP/out_$t.csv' (FORMAT csv)" \
              -c "CREATE TABLE copy_$t (LIKE export_$t)"
  t0=$(now)
  psql -X -q -c "COPY copy_$t FROM '$ATLORG_TMP/out_$t.csv' (FORMAT csv)"
  t1=$(now)
  same_s=$(echo "$same_s + $t1 - $t0" | bc -l)
done

ratio=$(echo "($ROWS / $import_s) / ($ROWS / $copy_s)" | bc -l)
report "file rows" "$ROWS" "" 1
report "COPY (all text) rows/s" "$(printf '%.0f' "$(echo "$ROWS / $copy_s" | bc -l)")" "($(printf '%.2f' "$copy_s") s)" 1
report "atl_csv_import rows/s" "$(printf '%.0f' "$(echo "$ROWS / $import_s" | bc -l)")" "($(printf '%.2f' "$import_s") s)" 1
report "  tables written: users, products, groups" "$users, $products, $groups" "rejected $rejected" \
  "$([ "$users" = "$ROWS" ] && [ "$rejected" = 0 ] && echo 1)"
report "import rows/s / COPY rows/s" "$(printf '%.2fx' "$ratio")" ">= 0.80x" "$(echo "$ratio >= 0.8" | bc -l)"
report "COPY of the same output rows into same-shaped tables" "$(printf '%.2f s' "$same_s")" \
  "$(printf 'import takes %.2fx its time' "$(echo "$import_s / $same_s" | bc -l)")" 1
report "backend RSS growth while importing" "$(( (max_kb - start_kb) / 1024 )) MB" "< 64 MB" \
  "$([ $(( (max_kb - start_kb) / 1024 )) -lt 64 ] && echo 1)"
exit "$bench_failed"
