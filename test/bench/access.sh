#!/usr/bin/env bash
# Benchmark: per-site product access of a 10,000-user org, with every
# answer delayed as a real network would (BENCH_LATENCY_MS, 30 ms by
# default).  Per-site access needs each directory member's role
# assignments, one request each, which the list of users does not carry:
# this shows what that costs, next to the users read alone (the baseline,
# measured in the same run), and what planning a removal costs next to the
# bare role revocations it sends.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib/deps.sh
. test/lib/cluster.sh
. test/bench/lib.sh

USERS=${BENCH_USERS:-10000}
LATENCY_MS=${BENCH_LATENCY_MS:-30}
REMOVALS=${BENCH_REMOVALS:-300}
bench_failed=0
bench_setup "$USERS"
$PYTHON test/fakectl.py config "{\"latency_ms\": $LATENCY_MS}"

ratio() { printf '%.2fx' "$(echo "$1 / $2" | bc -l)"; }

read_s=$(timed "SELECT count(*) FROM atl_users()")
live_s=$(timed "SELECT count(*) FROM atl_product_access()")
live_rows=$(cat "$ATLORG_TMP/timed.out")
truth_rows=$($PYTHON test/fakectl.py access | wc -l)
sync_s=$(timed "SELECT access_added FROM atl_sync()")
report "live access rows" "$live_rows" "= $truth_rows (the org's)" \
  "$([ "$live_rows" = "$truth_rows" ] && echo 1)"
report "read alone (atl_users)" "$(printf '%.1f s' "$read_s")" "baseline" 1
report "live per-site access (atl_product_access)" "$(printf '%.1f s' "$live_s")" "$(ratio "$live_s" "$read_s") the read" 1
report "first sync, with per-site access" "$(printf '%.1f s' "$sync_s")" "$(ratio "$sync_s" "$read_s") the read" 1

# Removing Jira Software on acme-labs from $REMOVALS accounts that hold it
# directly (dry runs: the same plan, nothing changes) against revoking
# those roles outright (what the plan comes to, without its reads).
psql -X -q -c "CREATE TABLE bench_ids AS
  SELECT account_id, resource_id FROM atl_directory_access
   WHERE product = 'jira-software' AND site = 'acme-labs' AND direct
   ORDER BY account_id LIMIT $REMOVALS"
revoke_s=$(timed "SELECT count(*) FROM atl_revoke_role(ARRAY(SELECT account_id FROM bench_ids), 'atlassian/user',
  atl_product_resource('jira-software', atl_site_id((SELECT min(resource_id) FROM bench_ids))), dry_run => true)")
remove_s=$(timed "SELECT count(*) FROM atl_remove_access(ARRAY(SELECT account_id FROM bench_ids),
  'jira-software', 'acme-labs', dry_run => true)")
removed=$(cat "$ATLORG_TMP/timed.out")
report "removal requests planned" "$removed" ">= $REMOVALS" "$([ "$removed" -ge "$REMOVALS" ] && echo 1)"
report "revoke_role, $REMOVALS accounts (dry run)" "$(printf '%.1f s' "$revoke_s")" "baseline" 1
report "atl_remove_access, same accounts (dry run)" "$(printf '%.1f s' "$remove_s")" "$(ratio "$remove_s" "$revoke_s") the revokes" 1
exit "$bench_failed"
