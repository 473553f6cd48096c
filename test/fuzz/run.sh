#!/usr/bin/env bash
# Builds the libFuzzer target over the CSV-to-row path (with AddressSanitizer
# and UndefinedBehaviorSanitizer) and runs it for FUZZ_SECONDS (default 20),
# seeded with the export fixtures.  Exits non-zero on any crash or leak.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${FUZZ_DIR:-$(mktemp -d /tmp/atlorg-fuzz.XXXXXX)}
mkdir -p "$out/corpus"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Isrc test/fuzz/csv_fuzz.c src/csv_reader.c src/csv_layout.c -lcsv -o "$out/csv_fuzz"
/usr/bin/python3 test/csv/make_exports.py "$out/seeds" >/dev/null
cp "$out"/seeds/*.csv "$out/corpus/" 2>/dev/null || true
"$out/csv_fuzz" -max_total_time="${FUZZ_SECONDS:-20}" -max_len=65536 \
  -print_final_stats=1 "$out/corpus" 2>"$out/fuzz.log" || { tail -40 "$out/fuzz.log"; exit 1; }
grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$out/fuzz.log" | tail -2
