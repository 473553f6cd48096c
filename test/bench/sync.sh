#!/usr/bin/env bash
# Benchmark: atl_sync() of a 100,000-user org, twice, with changes at
# Atlassian in between, then once more without per-site access.  The second
# sync must report exactly those changes; its time is shown next to the
# first (a full load) and to a plain SELECT count(*) FROM atl_users() (the
# reading alone), all in this run.
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
exit "$bench_failed"
