#!/usr/bin/env bash
# Benchmark: last-active dates of 600 accounts under a rate limit.
# The fake allows 1,200 requests a minute (20 in any second), so 600
# requests cannot take less than 30 s: atlorg must come within 5% of that
# floor, with no account failing for being rate limited.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/deps.sh
. test/lib/cluster.sh
. test/bench/lib.sh

ACCOUNTS=${BENCH_ACCOUNTS:-600}
PER_MINUTE=1200
bench_failed=0

bench_setup 10000
psql -X -q -c "CREATE TABLE bench_ids AS SELECT account_id FROM atl_users(max_rows => $ACCOUNTS)"
$PYTHON test/fakectl.py reset
$PYTHON test/fakectl.py ratelimit "{\"limit\": $((PER_MINUTE / 60)), \"window_s\": 1}"

t0=$(now)
read -r rows accounts failed < <(psql -X -q -At -F ' ' -c "
  SET atlorg.last_active_rate = $PER_MINUTE;
  SELECT count(*), count(DISTINCT account_id), count(*) FILTER (WHERE error IS NOT NULL)
    FROM atl_last_active(ARRAY(SELECT account_id FROM bench_ids));")
t1=$(now)
secs=$(echo "$t1 - $t0" | bc -l)
floor=$(echo "$ACCOUNTS * 60 / $PER_MINUTE" | bc -l)
ratio=$(echo "$secs / $floor" | bc -l)
limited=$($PYTHON test/fakectl.py answered 429)

report "accounts answered" "$accounts" "= $ACCOUNTS" "$([ "$accounts" = "$ACCOUNTS" ] && echo 1)"
report "rows (account x product)" "$rows" "" 1
report "accounts failed" "$failed" "= 0" "$([ "$failed" = 0 ] && echo 1)"
report "time / floor" "$(printf '%.3fx' "$ratio")" \
  "<= 1.05x (floor $(printf '%.0f' "$floor") s at $PER_MINUTE/min)" "$(echo "$ratio <= 1.05" | bc -l)"
report "time" "$(printf '%.1f s' "$secs")" "" 1
sent=$($PYTHON test/fakectl.py sent last-active-dates)
# some accounts have a second page of dates: their floor is a little higher
report "time / floor of the requests sent" \
  "$(printf '%.3fx' "$(echo "$secs / ($sent * 60 / $PER_MINUTE)" | bc -l)")" "" 1
report "429 answers from the fake (retried)" "$limited" "" 1
report "requests sent" "$sent" ">= $ACCOUNTS" "$([ "$sent" -ge "$ACCOUNTS" ] && echo 1)"
exit "$bench_failed"
