#!/usr/bin/env bash
# Benchmark: 2,000 disables as one UPDATE of atl_directory, against a fake
# that answers in 50 ms and allows 100 requests a second.  atlorg must reach
# 90% of that limit; the baseline, measured in the same run, is one request
# at a time (SELECT atl_disable(account_id) FROM ...) on 300 accounts.
# Every request must have its audit row, and the fake must have seen exactly
# the requests the audit records.  Then the executor's own rate: 2,000
# enables with no latency and no limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/deps.sh
. test/lib/cluster.sh
. test/bench/lib.sh

N=${BENCH_ACTIONS:-2000}
BASELINE=${BENCH_BASELINE:-300}
LIMIT=100
bench_failed=0

bench_setup 10000
psql -X -q -At -c "SELECT users_added FROM atl_sync()" >/dev/null
psql -X -q <<SQL
CREATE TABLE bench_targets AS
  SELECT account_id, row_number() OVER (ORDER BY account_id) AS n FROM atl_directory
   WHERE status = 'active' AND claim_status = 'managed' AND management_source = 'invited'
     AND atl_protection(account_id, 'acme') IS NULL;
SQL
have=$(psql -X -At -c "SELECT count(*) FROM bench_targets")
[ "$have" -ge $((N + BASELINE)) ] || { echo "only $have accounts can be disabled" >&2; exit 1; }

$PYTHON test/fakectl.py reset
$PYTHON test/fakectl.py config '{"latency_ms": 50}'
$PYTHON test/fakectl.py ratelimit "{\"limit\": $LIMIT, \"window_s\": 1}"

base_s=$(timed "SELECT count(*) FROM (SELECT atl_disable(account_id) FROM bench_targets
                                       WHERE n <= $BASELINE) s")
base_rate=$(echo "$BASELINE / $base_s" | bc -l)

$PYTHON test/fakectl.py reset-log
upd_start=$(now)
upd_s=$(timed "UPDATE atl_directory SET status = 'deactivated'
                WHERE account_id IN (SELECT account_id FROM bench_targets
                                      WHERE n > $BASELINE AND n <= $((BASELINE + N)))")
updated=$(awk '/^UPDATE/ {print $2}' "$ATLORG_TMP/timed.out")
rate=$(echo "$N / $upd_s" | bc -l)
sent=$($PYTHON test/fakectl.py sent '/manage/lifecycle/disable$')
limited=$($PYTHON test/fakectl.py answered 429)
read -r rows pending succeeded attempts < <(psql -X -At -F ' ' -c "
  SELECT count(*), count(*) FILTER (WHERE outcome = 'pending'),
         count(*) FILTER (WHERE outcome = 'succeeded'), sum(attempts)
    FROM atl_audit WHERE action = 'disable'
     AND account_id IN (SELECT account_id FROM bench_targets
                         WHERE n > $BASELINE AND n <= $((BASELINE + N)))")
gone=$(psql -X -At -c "SELECT count(*) FROM atl_directory d JOIN bench_targets t USING (account_id)
                       WHERE t.n > $BASELINE AND t.n <= $((BASELINE + N))
                         AND d.status <> 'deactivated'")

report "UPDATE row count" "$updated" "= $N" "$([ "$updated" = "$N" ] && echo 1)"
report "audit rows (none pending)" "$rows ($pending pending)" "= $N (0)" \
  "$([ "$rows" = "$N" ] && [ "$pending" = 0 ] && echo 1)"
report "succeeded" "$succeeded" "= $N" "$([ "$succeeded" = "$N" ] && echo 1)"
report "requests the fake saw" "$sent" "= attempts in the audit ($attempts)" \
  "$([ "$sent" = "$attempts" ] && echo 1)"
report "mirror rows not deactivated" "$gone" "= 0" "$([ "$gone" = 0 ] && echo 1)"
report "429 answers" "$limited" "" 1
report "one at a time ($BASELINE accounts)" "$(printf '%.1f/s' "$base_rate")" \
  "$(printf '%.1f s' "$base_s")" 1
report "UPDATE of $N accounts" "$(printf '%.1f/s' "$rate")" \
  "$(printf '%.1f s; %.1fx one at a time' "$upd_s" "$(echo "$rate / $base_rate" | bc -l)")" 1
# where the statement's time went: before the first request arrived, from
# the first arrival to the last (the pace), after the last
read -r first last < <($PYTHON test/fakectl.py span '/manage/lifecycle/disable$')
report "at the API, first to last arrival" \
  "$(printf '%.3f of the limit' "$(echo "($N - 1) / ($last - $first) / $LIMIT" | bc -l)")" \
  "$(printf '%.2f s; first arrival after %.2f s, %.2f s after the last' "$(echo "$last - $first" | bc -l)" \
     "$(echo "$first - $upd_start" | bc -l)" "$(echo "$upd_start + $upd_s - $last" | bc -l)")" 1
report "throughput / limit" "$(printf '%.3f' "$(echo "$rate / $LIMIT" | bc -l)")" \
  ">= 0.9 of $LIMIT/s" "$(echo "$rate / $LIMIT >= 0.9" | bc -l)"

# the executor alone: no latency, no limit, no pacing
$PYTHON test/fakectl.py config '{"latency_ms": 0}'
$PYTHON test/fakectl.py ratelimit '{"limit": null}'
# (unpaced as a connection option: "SET ...; SELECT ..." would be one
# transaction block, where atlorg warns)
fast_s=$(PGOPTIONS="$PGOPTIONS -c atlorg.action_rate=0" timed "
                SELECT count(*) FILTER (WHERE outcome = 'succeeded') FROM atl_enable(ARRAY(
                  SELECT account_id FROM bench_targets WHERE n > $BASELINE AND n <= $((BASELINE + N))))")
enabled=$(grep -E '^[0-9]+$' "$ATLORG_TMP/timed.out" | tail -1)
report "enables, no latency, no limit" "$enabled" "= $N" "$([ "$enabled" = "$N" ] && echo 1)"
report "executor rate, no latency" "$(printf '%.0f/s' "$(echo "$N / $fast_s" | bc -l)")" \
  "$(printf '%.2f ms a request' "$(echo "$fast_s * 1000 / $N" | bc -l)")" 1
exit "$bench_failed"
