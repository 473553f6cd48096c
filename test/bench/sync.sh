#!/usr/bin/env bash
# Benchmark: atl_sync() of a 100,000-user org, twice, with changes at
# Atlassian in between, then once more without per-site access.  The second
# sync must report exactly those changes; its time is shown next to the
# first (a full load) and to a plain SELECT count(*) FROM atl_users() (the
# reading alone), all in this run.
#
# Then the users of the same org read at a network's latency (every answer
# BENCH_SLICE_LATENCY_MS late, default 150) under a limit of 100 requests a
# second: atl_sync(access => false) through one cursor chain
# (atlorg.sync_slices off) against the same sync reading disjoint slices at
# once, which must be faster than one chain can be (its floor, pages x
# latency) and leave the mirror exactly as the chain did (no change).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/deps.sh
. test/lib/cluster.sh
. test/bench/lib.sh

USERS=${BENCH_USERS:-100000}
bench_failed=0
bench_setup "$USERS"
$PYTHON test/bench/raw_pages.py "$FAKE_URL" "$FAKE_KEY" >/dev/null   # warm the fake

read_s=$(timed "SELECT count(*) FROM atl_users()")
first_s=$(timed "SELECT users_added, users_changed, users_gone FROM atl_sync()")
read -r added changed gone <"$ATLORG_TMP/timed.out"
report "first sync: users added" "$added" "= $USERS" "$([ "$added" = "$USERS" ] && echo 1)"

# change 50 accounts at Atlassian (org admins among them are protected, and skipped)
changes=$(psql -X -q -At -c "SELECT count(*) FILTER (WHERE d.outcome = 'succeeded') FROM (SELECT account_id FROM atl_users(status => '{active}', claim_status => 'managed', max_rows => 60) WHERE management_source = 'invited' LIMIT 50) u, LATERAL atl_disable(u.account_id) d")
second_s=$(timed "SELECT users_added, users_changed, users_gone FROM atl_sync()")
read -r added changed gone <"$ATLORG_TMP/timed.out"
report "second sync: users changed" "$changed" "= $changes (disabled)" "$([ "$changed" = "$changes" ] && echo 1)"
report "second sync: users added, gone" "$added, $gone" "= 0, 0" "$([ "$added$gone" = 00 ] && echo 1)"
quick_s=$(timed "SELECT users_changed FROM atl_sync(access => false)")
report "read alone (atl_users)" "$(printf '%.1f s' "$read_s")" "" 1
report "first sync (full load)" "$(printf '%.1f s' "$first_s")" \
  "$(printf '%.2fx the read' "$(echo "$first_s / $read_s" | bc -l)")" 1
report "second sync ($changes changes)" "$(printf '%.1f s' "$second_s")" \
  "$(printf '%.2fx the read' "$(echo "$second_s / $read_s" | bc -l)")" 1
report "third sync, access => false" "$(printf '%.1f s' "$quick_s")" \
  "$(printf '%.2fx the read' "$(echo "$quick_s / $read_s" | bc -l)")" 1

# one chain against slices, at a network's latency, under the org's limit
LATENCY_MS=${BENCH_SLICE_LATENCY_MS:-150}
pages=$(( (USERS + 99) / 100 ))
$PYTHON test/fakectl.py reset
$PYTHON test/fakectl.py config "{\"latency_ms\": $LATENCY_MS}"
$PYTHON test/fakectl.py ratelimit '{"limit": 100, "window_s": 1}'
chain_s=$(timed "SET atlorg.sync_slices = off; SELECT users_added, users_changed, users_gone FROM atl_sync(access => false)")
read -r added changed gone <"$ATLORG_TMP/timed.out"
$PYTHON test/fakectl.py reset-log
sliced_s=$(timed "SELECT users_added, users_changed, users_gone FROM atl_sync(access => false)")
read -r s_added s_changed s_gone <"$ATLORG_TMP/timed.out"
counts=$($PYTHON test/fakectl.py sent users/count)
searches=$($PYTHON test/fakectl.py sent users/search)
too_many=$($PYTHON test/fakectl.py answered 429)
peak=$($PYTHON test/fakectl.py peak 'users/(search|count)' 1)
floor=$(echo "$pages * $LATENCY_MS / 1000" | bc -l)
report "one chain, ${LATENCY_MS} ms, 100/s (sync_slices off)" "$(printf '%.1f s' "$chain_s")" \
  "$(printf '%.2fx the floor %.0f s' "$(echo "$chain_s / $floor" | bc -l)" "$floor")" 1
report "slices at once, same settings" "$(printf '%.1f s' "$sliced_s")" \
  "$(printf '%.2fx the chain, %.2fx the floor' "$(echo "$sliced_s / $chain_s" | bc -l)" "$(echo "$sliced_s / $floor" | bc -l)")" \
  "$([ "$(echo "$sliced_s < $floor" | bc -l)" = 1 ] && echo 1)"
report "sliced sync after the chain's: changes" "$s_added, $s_changed, $s_gone" "= 0, 0, 0 (same mirror)" \
  "$([ "$s_added$s_changed$s_gone" = 000 ] && echo 1)"
report "sliced: requests (counts + pages)" "$counts + $searches" "most in one second: $peak (limit 100)" \
  "$([ "$peak" -le 100 ] && echo 1)"
report "sliced: answered 429" "$too_many" "= 0" "$([ "$too_many" = 0 ] && echo 1)"
$PYTHON test/fakectl.py config '{"latency_ms": 0}'
$PYTHON test/fakectl.py ratelimit '{"limit": null}'
exit "$bench_failed"
