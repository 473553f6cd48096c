#!/usr/bin/env bash
# Builds the libFuzzer target over the CSV-to-row path (with AddressSanitizer
# and UndefinedBehaviorSanitizer), seeds it with the export fixtures, and runs
# it.  Exits non-zero on any crash, sanitizer report, leak or timeout.
#
#   bash test/fuzz/run.sh                        20 s, one process (test/run.sh)
#   FUZZ_SECONDS=300 bash test/fuzz/run.sh       longer, still one process
#   FUZZ_RUNS=10000000 bash test/fuzz/run.sh     the long run: 10 million
#       executions in all, split over FUZZ_JOBS processes (default: one a
#       core) that share one corpus; ends with the total, the time and
#       "clean", or stops at the first finding and shows it
#
# FUZZ_DIR: where to build and keep the corpus, logs and any crashing input
# (default: a new directory under /tmp, printed).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${FUZZ_DIR:-$(mktemp -d /tmp/atlorg-fuzz.XXXXXX)}
mkdir -p "$out/corpus"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Isrc test/fuzz/csv_fuzz.c src/csv_reader.c src/csv_layout.c src/csv_list.c -lcsv -o "$out/csv_fuzz"
/usr/bin/python3 test/csv/make_exports.py "$out/seeds" >/dev/null
cp "$out"/seeds/*.csv "$out/corpus/" 2>/dev/null || true
# Inputs of up to 16 kB: four times the 4 kB field limit the target sets, so
# every path of the reader and the layout is in reach (libcsv's own buffer
# cap and the 64 kB feeding pieces need inputs over 64 kB, out of reach at
# any max_len libFuzzer can use fast; the regression tests cover them).  The
# time of a run grows faster than its length (a long field is regrown by
# libcsv 128 bytes at a time, and ASan's realloc always copies): 64 kB made
# the runs 1.6 times slower for the same coverage.
common=(-max_len=16384 -print_final_stats=1 -artifact_prefix="$out/")

if [ -z "${FUZZ_RUNS:-}" ]; then
  "$out/csv_fuzz" -max_total_time="${FUZZ_SECONDS:-20}" "${common[@]}" \
    "$out/corpus" 2>"$out/fuzz.log" || { tail -40 "$out/fuzz.log"; exit 1; }
  grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$out/fuzz.log" | tail -2
  exit 0
fi

jobs=${FUZZ_JOBS:-$(nproc)}
per_job=$(((FUZZ_RUNS + jobs - 1) / jobs))
echo "fuzzing: $FUZZ_RUNS executions, $jobs processes of $per_job, in $out"
started=$(date +%s)
pids=()
for j in $(seq 1 "$jobs"); do
  "$out/csv_fuzz" -runs="$per_job" -seed="$j" "${common[@]}" \
    "$out/corpus" >"$out/fuzz-$j.log" 2>&1 &
  pids+=($!)
done
# progress every 5 minutes, from the processes' own status lines
(
  trap 'kill $nap 2>/dev/null; exit 0' TERM
  while :; do
    sleep 300 & nap=$!; wait $nap
    total=0
    for j in $(seq 1 "$jobs"); do
      n=$({ grep -aoE '^#[0-9]+' "$out/fuzz-$j.log" || true; } | tail -1 | tr -d '#')
      total=$((total + ${n:-0}))
    done
    echo "  $(($(date +%s) - started)) s: $total executions"
  done
) &
progress=$!
failed=""
running=("${pids[@]}")
while [ ${#running[@]} -gt 0 ]; do
  # the first to end: if it failed, stop the others
  rc=0
  wait -n -p ended "${running[@]}" || rc=$?
  still=()
  for p in "${running[@]}"; do [ "$p" = "$ended" ] || still+=("$p"); done
  running=("${still[@]}")
  if [ "$rc" != 0 ]; then failed=yes; break; fi
done
kill "$progress" 2>/dev/null || true
if [ -n "$failed" ]; then
  for p in "${running[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${running[@]}" 2>/dev/null || true
  for j in $(seq 1 "$jobs"); do
    # the report, from its first line
    sed -nE '/==[0-9]+==ERROR|runtime error|deadly signal|ALARM|out-of-memory/,$p' \
      "$out/fuzz-$j.log" | grep -v '^  0x' | head -50 || true
  done
  ls "$out" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | sed "s|^|finding: $out/|" || true
  echo "fuzzing: FAILED"
  exit 1
fi
elapsed=$(($(date +%s) - started))
total=0
for j in $(seq 1 "$jobs"); do
  n=$({ grep -aE 'stat::number_of_executed_units' "$out/fuzz-$j.log" || true; } | grep -oE '[0-9]+$' || true)
  total=$((total + ${n:-0}))
done
echo "fuzzing: $total executions in $elapsed s ($((total / (elapsed > 0 ? elapsed : 1))) a second), $jobs processes, $(ls "$out/corpus" | wc -l) inputs in the corpus: clean"
