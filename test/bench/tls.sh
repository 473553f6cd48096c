#!/usr/bin/env bash
# Benchmark: atlorg over TLS with a real round trip, default settings.  The
# rig (test/bench/rig.sh): the fake behind test/bench/wire.py at 150 ms RTT,
# answering at once (latency 0), limited to 100 requests a second; served
# over HTTP/2 by nginx, then over HTTP/1.1 by the fake itself.  For each:
#   - the wire itself, measured from outside (rig_probe.py): a TCP connect
#     must take one round trip and a request on a new TLS connection three;
#   - 1,000 disables as one set-based atl_disable(ARRAY(...)) against a
#     strict sliding window, then 1,000 more against a token bucket:
#     throughput as a fraction of the limit as the API sees it, from the
#     first request's arrival to the last's (bound 0.95), and over the whole
#     statement (its connection's handshake included), the 429s, and the
#     fake's request count against the audit's attempts (must be equal);
#   - paging: SELECT count(*) FROM atl_users(...) over 20,000 users, against
#     pages x the round trip measured in the same run, and against the
#     chain's floor, pages x round trip + the fake's own time on them (bound
#     1.05x), and a minimal client's time for the same pages (raw_pages.py).
# Run as root (a network namespace).  Prints the load average.
# BENCH_ACTIONS, BENCH_RTT, BENCH_USERS, BENCH_PROTOS change the sizes;
# RIG_CONGESTION the servers' congestion control (rig.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/deps.sh
. test/lib/cluster.sh
. test/bench/lib.sh
. test/bench/rig.sh

N=${BENCH_ACTIONS:-1000}
RTT=${BENCH_RTT:-150}
USERS=${BENCH_USERS:-20000}
PROTOS=${BENCH_PROTOS:-h2 h1}
LIMIT=100
bench_failed=0

# the local fake has the rig's users (same size and seed): the targets come
# from it at loopback speed
bench_setup "$USERS"
trap 'rig_stop; atlorg_env_stop' EXIT
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
psql -X -q <<SQL
CREATE TABLE bench_targets AS
  SELECT account_id, row_number() OVER (ORDER BY account_id) AS n FROM atl_users()
   WHERE status = 'active' AND claim_status = 'managed' AND management_source = 'invited'
     AND NOT 'atlassian/org-admin' = ANY (platform_roles);
SQL
have=$(psql -X -At -c "SELECT count(*) FROM bench_targets")
[ "$have" -ge $((2 * N)) ] || { echo "only $have accounts can be disabled" >&2; exit 1; }

set_ca() {
  psql -X -q -c "ALTER SYSTEM SET atlorg.ca_file = '$1'" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
}

disables() {   # $1: proto, $2: limiter kind, $3: first target
  local proto=$1 kind=$2 first=$3 last=$(($3 + N - 1)) since s rate sent limited ok attempts
  $PYTHON test/fakectl.py reset-log
  $PYTHON test/fakectl.py ratelimit "{\"limit\": $LIMIT, \"window_s\": 1, \"kind\": \"$kind\"}"
  limited=$($PYTHON test/fakectl.py answered 429)   # counted since the fake's reset
  since=$(psql -X -At -c "SELECT coalesce(max(id), 0) FROM atl_audit")
  s=$(timed "SELECT count(*) FILTER (WHERE outcome = 'succeeded') FROM atl_disable(ARRAY(
               SELECT account_id FROM bench_targets WHERE n BETWEEN $first AND $last), 'rig')")
  ok=$(grep -E '^[0-9]+$' "$ATLORG_TMP/timed.out" | tail -1)
  rate=$(echo "$N / $s" | bc -l)
  sent=$($PYTHON test/fakectl.py sent '/manage/lifecycle/disable$')
  limited=$(($($PYTHON test/fakectl.py answered 429) - limited))
  attempts=$(psql -X -At -c "SELECT coalesce(sum(attempts), 0) FROM atl_audit
                              WHERE id > $since AND action = 'disable'")
  report "$proto $kind: succeeded" "$ok" "= $N" "$([ "$ok" = "$N" ] && echo 1)"
  # as the API sees it: from the first request's arrival to the last's
  span=$($PYTHON test/fakectl.py span '/manage/lifecycle/disable$' | awk '{ print $2 - $1 }')
  seen=$(echo "($N - 1) / $span" | bc -l)
  report "$proto $kind: throughput / limit, at the API" "$(printf '%.3f (%.1f/s)' "$(echo "$seen / $LIMIT" | bc -l)" "$seen")" \
    "$(printf '>= 0.95 of %d/s; first to last arrival %.2f s' "$LIMIT" "$span")" "$(echo "$seen / $LIMIT >= 0.95" | bc -l)"
  report "$proto $kind: throughput / limit, statement" "$(printf '%.3f (%.1f/s)' "$(echo "$rate / $LIMIT" | bc -l)" "$rate")" \
    "$(printf '%.2f s with the TLS handshake, TCP slow start, the last answer' "$s")" 1
  report "$proto $kind: 429 answers" "$limited" "" 1
  report "$proto $kind: requests the fake saw" "$sent" "= attempts in the audit ($attempts)" \
    "$([ "$sent" = "$attempts" ] && echo 1)"
}

for proto in $PROTOS; do
  rig_start "$RTT" "$proto" "$USERS"
  cc=${RIG_CONGESTION:-$(cat /proc/sys/net/ipv4/tcp_congestion_control)}
  served=$([ "$proto" = h2 ] && echo "HTTP/2 and HTTP/1.1 by nginx" || echo "HTTP/1.1 by the fake")
  echo "== $proto at $RTT ms round trip ($served; the servers' TCP congestion control: $cc)"
  set_ca "$RIG_CA"
  psql -X -q <<SQL
DROP SERVER IF EXISTS rig CASCADE;
CREATE SERVER rig FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base '$RIG_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER rig OPTIONS (api_key '$FAKE_KEY');
SQL
  declare -A probe=()
  while read -r k v; do probe[$k]=$v; done < <($PYTHON test/bench/rig_probe.py "${RIG_URL#https://}" 443 "$RIG_CA" 5 150)
  rtt_ms=${probe[connect_ms]}
  report "$proto wire: TCP connect" "${rtt_ms} ms" "1 RTT ($RTT ms) +- 5" \
    "$(echo "${rtt_ms} >= $RTT && ${rtt_ms} <= $RTT + 5" | bc -l)"
  report "$proto wire: new TLS connection + request" "${probe[new_request_ms]} ms" "3 RTT +- 15" \
    "$(echo "${probe[new_request_ms]} >= 3 * $RTT && ${probe[new_request_ms]} <= 3 * $RTT + 15" | bc -l)"
  report "$proto wire: ${probe[load_rate]}/s kept-alive requests" "median ${probe[load_median_ms]} ms" \
    "spread p1-p99 ${probe[spread_ms]} ms" 1

  disables "$proto" window 1
  disables "$proto" bucket $((N + 1))

  $PYTHON test/fakectl.py ratelimit '{"limit": null}'
  $PYTHON test/fakectl.py reset-log
  s=$(timed "SELECT count(*) FROM atl_users(server => 'rig')")
  counted=$(cat "$ATLORG_TMP/timed.out")
  pages=$($PYTHON test/fakectl.py sent 'users/search')
  floor=$(echo "$pages * $rtt_ms / 1000" | bc -l)
  # the fake's own time on those pages, from a request's arrival until its
  # answer was written (built, gzipped, encrypted): no client can page a
  # cursor chain faster than pages x (round trip + the server's time)
  served=$($PYTHON test/fakectl.py requests | $PYTHON -c '
import json, sys
print(sum(e["sent_ms"] or 0 for e in json.load(sys.stdin) if e["path"].endswith("users/search")) / 1000)')
  chain=$(echo "$floor + $served" | bc -l)
  report "$proto paging: users counted" "$counted" "= $USERS" "$([ "$counted" = "$USERS" ] && echo 1)"
  report "$proto paging: $pages pages" "$(printf '%.2f s, %.3fx pages x round trip' "$s" "$(echo "$s / $floor" | bc -l)")" \
    "$(printf '%d x %.1f ms = %.2f s; the fake spent %.2f s on them' "$pages" "$rtt_ms" "$floor" "$served")" 1
  report "$proto paging: against the chain's floor" "$(printf '%.3fx' "$(echo "$s / $chain" | bc -l)")" \
    "$(printf '<= 1.05x pages x round trip + the fake'"'"'s time = %.2f s' "$chain")" \
    "$(echo "$s / $chain <= 1.05" | bc -l)"
  # the baseline, same rig, same pages: a minimal client that builds no rows
  read -r raw_pages _ raw_s < <($PYTHON test/bench/raw_pages.py "$RIG_URL" "$FAKE_KEY" "$RIG_CA")
  report "$proto paging: a minimal Python client" "$(printf '%.2f s, %.3fx the floor' "$raw_s" "$(echo "$raw_s / $floor" | bc -l)")" \
    "$(printf '%d pages; atlorg took %.2fx its time' "$raw_pages" "$(echo "$s / $raw_s" | bc -l)")" 1
  if [ "$proto" = h2 ]; then
    report "h2: requests nginx served over HTTP/2" \
      "$(grep -c '^HTTP/2.0 ' "$RIG_DIR/nginx-access.log" || true) of $(wc -l <"$RIG_DIR/nginx-access.log")" "" 1
  fi
  rig_stop
  report "$proto wire: its own lateness" "$(echo "$RIG_WIRE_STATS" | awk '{printf "p99 %s ms, max %s ms", $8, $10}')" \
    "p99 <= 2 ms ($(echo "$RIG_WIRE_STATS" | awk '{print $2}') frames)" \
    "$(echo "$RIG_WIRE_STATS" | awk '{print ($8 <= 2)}')"
done
psql -X -q -c "ALTER SYSTEM RESET atlorg.ca_file" -c "SELECT pg_reload_conf()" >/dev/null
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$bench_failed"
