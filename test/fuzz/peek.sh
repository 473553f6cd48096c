#!/usr/bin/env bash
# Builds the libFuzzer target over the walk that reads a page's cursor
# before the page is checked (json_peek_fuzz.c, with AddressSanitizer and
# UndefinedBehaviorSanitizer, against the frontend libpgcommon), seeds it
# with pages, and runs it.  Exits non-zero on any crash, sanitizer report,
# leak or timeout.
#
#   bash test/fuzz/peek.sh                       10 s (test/run.sh)
#   FUZZ_PEEK_SECONDS=300 bash test/fuzz/peek.sh
#
# FUZZ_DIR: where to build and keep the corpus, logs and any crashing input
# (default: a new directory under /tmp, printed).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${FUZZ_DIR:-$(mktemp -d /tmp/atlorg-fuzz.XXXXXX)}/peek
mkdir -p "$out/corpus"
[ -n "${FUZZ_DIR:-}" ] || echo "fuzzing in $out"
pg_lib=$(pg_config --pkglibdir)
# (-Wno-ignored-attributes: clang does not know the headers' gnu_printf)
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Wno-ignored-attributes \
  -Itest/fuzz/frontend -Isrc -I"$(pg_config --includedir)/internal" -I"$(pg_config --includedir-server)" \
  test/fuzz/json_peek_fuzz.c src/api_json_peek.c "$pg_lib/libpgcommon.a" "$pg_lib/libpgport.a" \
  -o "$out/json_peek_fuzz"
# seeds: pages as the API writes them, and the shapes the walk must tell apart
printf '%s' '{"data": [{"accountId": "a", "links": {"next": "item"}}], "links": {"self": "s", "next": "c1"}}' >"$out/corpus/page"
printf '%s' '{"li\u006eks": {"n\u0065xt": "c\"2"}, "links": [{"next": "x"}], "meta": {"next": "m"}}' >"$out/corpus/escaped"
printf '%s' '{"links": {"next": "first"}, "links": {"next": "last"}} trailing' >"$out/corpus/twice"
"$out/json_peek_fuzz" -max_total_time="${FUZZ_PEEK_SECONDS:-10}" -max_len=16384 -print_final_stats=1 \
  -artifact_prefix="$out/" "$out/corpus" 2>"$out/fuzz.log" || { tail -40 "$out/fuzz.log"; exit 1; }
grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$out/fuzz.log" | tail -2
