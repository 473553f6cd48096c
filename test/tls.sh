#!/usr/bin/env bash
# TLS, against test/run.sh's cluster, in a database of its own: a fake of
# its own served over HTTPS (HTTP/1.1, Python's ssl) on loopback with a
# certificate from a CA made for this run (test/lib/tls.sh), then
#   1. with atlorg.ca_file naming that CA, a read and an action work, and
#      the audit row says so;
#   2. with another CA, and with none (the default trust store), a read is
#      a clear error (SQLSTATE 08006, naming the certificate problem and
#      atlorg.ca_file) and an action is recorded as failed, not sent, with
#      the same words: no audit row lost, nothing reached the fake;
#   3. a role that is not a superuser can neither SET atlorg.ca_file nor
#      ALTER ROLE ... SET it;
#   4. requests that open connections (another HTTPS fake, whose handshakes
#      take 300 ms) are counted in the organization's window from when they
#      were sent: a strict limiter refuses none of them;
#   5. when nginx is installed: an action over HTTP/2 through nginx (which
#      proxies to test/run.sh's plain fake), HTTP/2.0 in nginx's access log;
#   6. and the HTTP/2 connection dying under load (nginx's worker killed in
#      the middle of 200 actions): no account gets a second request, the
#      fake's log and the audit agree, what was cut off is unknown.
# Prints "ok: ..." or "FAILED: ..." per check; exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/cluster.sh
. test/lib/tls.sh

db=atl_tls
status=0
dir="$ATLORG_TMP/tls"
rm -rf "$dir"
atlorg_make_ca "$dir" "IP:127.0.0.1"
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }
ok() { echo "ok: $*"; }
failed() { echo "FAILED: $*"; status=1; }
ca_file() {
  psql -X -q -d postgres -c "ALTER SYSTEM SET atlorg.ca_file = '$1'" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.3   # the executor takes the reload at its next turn
}
pids=""
cleanup() {
  psql -X -q -d postgres -c "ALTER SYSTEM RESET atlorg.ca_file" -c "SELECT pg_reload_conf()" \
    >/dev/null 2>&1 || true
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS atl_tls_low" >/dev/null 2>&1 || true
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# an HTTPS fake of NAME's own (USERS users, SEED) with the run's certificate;
# its URL in $https_url
start_https_fake() {
  local name=$1 users=$2 seed=$3
  $PYTHON test/fake/server.py --port 0 --port-file "$dir/$name.port" --users "$users" \
    --seed "$seed" --api-key "$FAKE_KEY" --tls-cert "$dir/server.pem" \
    --tls-key "$dir/server.key" >"$dir/$name.log" 2>&1 &
  pids="$pids $!"
  for _ in $(seq 1 100); do [ -s "$dir/$name.port" ] && break; sleep 0.1; done
  https_url="https://127.0.0.1:$(cat "$dir/$name.port")"
}

# the HTTPS fake
start_https_fake fake 50 1
tls_url=$https_url
tlsfake() { FAKE_URL=$tls_url FAKE_CA="$dir/ca.pem" $PYTHON test/fakectl.py "$@"; }

PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres \
  -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS atl_tls_low" \
  -c "CREATE DATABASE $db" -c "CREATE ROLE atl_tls_low LOGIN"
sql >/dev/null <<SQL
CREATE EXTENSION atlorg;
CREATE SERVER tls FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base '$tls_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER tls OPTIONS (api_key '$FAKE_KEY');
SQL
targets="SELECT account_id FROM atlorg.atl_users(server => 'tls')
          WHERE status = 'active' AND claim_status = 'managed' AND management_source = 'invited'
            AND NOT 'atlassian/org-admin' = ANY (platform_roles) ORDER BY account_id"

# 1. trusted
ca_file "$dir/ca.pem"
n=$(sql -c "SELECT count(*) FROM atlorg.atl_users(server => 'tls')" 2>&1 || true)
read -r target wrong_target none_target < <(sql -c "SELECT string_agg(account_id, ' ') FROM ($targets LIMIT 3) t")
tlsfake reset-log
row=$(sql -F ' ' -c "SELECT outcome, http_status, attempts FROM atlorg.atl_disable('$target', 'tls')" 2>&1 || true)
sent=$(tlsfake sent '/manage/lifecycle/disable$')
if [ "$n" = 50 ] && [ "$row" = "succeeded 204 1" ] && [ "$sent" = 1 ]; then
  ok "with atlorg.ca_file set to the run's CA: atl_users read $n users over HTTPS, a disable succeeded (204, 1 attempt, 1 request seen)"
else
  failed "trusted CA: read gave '$n', the disable '$row', the fake saw $sent"
fi

# 2. another CA, then none: a clear error, and the action's row says why
check_untrusted() {
  local label=$1 words=$2 target=$3 err row sent
  err=$(sql -v VERBOSITY=verbose -c "SELECT count(*) FROM atlorg.atl_users(server => 'tls')" 2>&1 || true)
  tlsfake reset-log
  row=$(sql -F '|' -c "SELECT outcome, coalesce(http_status::text, 'null'), error_detail
                         FROM atlorg.atl_disable('$target', 'tls')" 2>&1 || true)
  sent=$(tlsfake sent '/manage/lifecycle/disable$')
  if echo "$err" | grep -q '^ERROR:  08006: could not verify the TLS certificate of the server for POST /admin/v2/orgs/acme-org/directories/-/users/search' &&
     echo "$err" | grep -q "^DETAIL:  SSL certificate problem: .*$words" &&
     echo "$err" | grep -q '^HINT:  A superuser can set atlorg.ca_file' &&
     echo "$row" | grep -q "^failed|null|SSL certificate problem: .*$words" && [ "$sent" = 0 ]; then
    ok "$label: the read fails with 08006 ($(echo "$err" | sed -n 's/^DETAIL:  //p')); the disable is recorded as failed, not sent (the fake saw $sent)"
  else
    failed "$label: read: $err; disable: $row; the fake saw $sent"
  fi
}
ca_file "$dir/wrong-ca.pem"
check_untrusted "with another CA" "checked against atlorg.ca_file \"$dir/wrong-ca.pem\"" "$wrong_target"
ca_file ""
check_untrusted "with atlorg.ca_file empty" "checked against the default trust store" "$none_target"

# 3. not a superuser's to change
low() { psql -X -q -At -d $db -U atl_tls_low -c "$1" 2>&1 || true; }
set_err=$(low "SET atlorg.ca_file = '/tmp/evil.pem'")
alter_err=$(low "ALTER ROLE atl_tls_low SET atlorg.ca_file = '/tmp/evil.pem'")
setting=$(psql -X -q -At -d $db -U atl_tls_low -c "SHOW atlorg.ca_file" 2>&1 || true)
if echo "$set_err" | grep -q 'permission denied to set parameter "atlorg.ca_file"' &&
   echo "$alter_err" | grep -q 'permission denied to set parameter "atlorg.ca_file"' &&
   [ -z "$setting" ]; then
  ok "a role that is not a superuser can neither SET nor ALTER ROLE ... SET atlorg.ca_file"
else
  failed "atl_tls_low: SET: $set_err; ALTER ROLE: $alter_err; SHOW: $setting"
fi

# 4. a request that opens a connection is sent late (its TLS handshake's
# round trips; here the fake holds each new connection's handshake 300 ms,
# answers in 150 ms and allows 20 requests in any second).  Counted in the
# organization's window from when it was let start, it would land in the
# limiter's window beside requests started a second later on kept
# connections, and some would be refused; counted from when it was sent,
# none is.  A fake of its own, on its own port: every connection is new.
start_https_fake cold 200 3
cold_url=$https_url
coldfake() { FAKE_URL=$cold_url FAKE_CA="$dir/ca.pem" $PYTHON test/fakectl.py "$@"; }
ca_file "$dir/ca.pem"
sql >/dev/null <<SQL
CREATE SERVER cold FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base '$cold_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cold OPTIONS (api_key '$FAKE_KEY');
SQL
cold_targets=$(sql -c "SELECT string_agg(quote_literal(account_id), ',')
                        FROM ($(echo "$targets" | sed "s/'tls'/'cold'/") LIMIT 80) t")
coldfake config '{"latency_ms": 150, "connect_ms": 300}'
coldfake ratelimit '{"limit": 20, "window_s": 1, "kind": "window"}'
coldfake reset-log
since=$(sql -c "SELECT coalesce(max(id), 0) FROM atlorg.atl_audit")
# (the pace as a connection option: two statements in one -c would be one
# transaction block, and atlorg would warn that it cannot be rolled back)
outcomes=$(PGOPTIONS="-c atlorg.action_rate=20" sql -F ' ' -c "
                          SELECT outcome, count(*) FROM atlorg.atl_disable(ARRAY[$cold_targets], 'cold')
                           GROUP BY 1 ORDER BY 1" 2>&1 | tr '\n' ' ' || true)
refused=$(coldfake answered 429)
peak=$(coldfake peak '/manage/lifecycle/disable$' 1)
sent=$(coldfake sent '/manage/lifecycle/disable$')
conns=$(coldfake connections '/manage/lifecycle/disable$')
attempts=$(sql -c "SELECT sum(attempts) FROM atlorg.atl_audit WHERE id > $since AND server = 'cold'")
if [ "$outcomes" = "succeeded 80 " ] && [ "$refused" = 0 ] && [ "$peak" -le 20 ] &&
   [ "$sent" = "$attempts" ] && [ "$conns" -gt 1 ]; then
  ok "requests opening connections (300 ms handshakes, $conns connections): 80 disables at a strict 20 a second, none answered 429, at most $peak in any second, the fake saw the audit's $attempts attempts"
else
  failed "requests opening connections: '$outcomes'; $refused answered 429; $peak in one second (limit 20); the fake saw $sent, the audit $attempts; $conns connections"
fi

# 5. HTTP/2 through nginx, to test/run.sh's plain fake
if command -v nginx >/dev/null; then
  port=$(free_port)
  atlorg_nginx_conf "$dir" "127.0.0.1:$port" "${FAKE_URL#http://}"
  nginx -e "$dir/nginx-error.log" -c "$dir/nginx.conf" >"$dir/nginx.log" 2>&1 &
  pids="$pids $!"
  for _ in $(seq 1 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done
  ca_file "$dir/ca.pem"
  sql >/dev/null <<SQL
CREATE SERVER h2 FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base 'https://127.0.0.1:$port');
CREATE USER MAPPING FOR CURRENT_USER SERVER h2 OPTIONS (api_key '$FAKE_KEY');
SQL
  h2_target=$(sql -c "$(echo "$targets" | sed "s/'tls'/'h2'/") LIMIT 1" 2>&1 || true)
  # disabled and enabled again: test/run.sh's org is left as it was
  row=$(sql -F ' ' -c "SELECT outcome, http_status FROM atlorg.atl_disable('$h2_target', 'h2')
                       UNION ALL
                       SELECT outcome, http_status FROM atlorg.atl_enable('$h2_target', 'h2')" 2>&1 | tr '\n' ' ' || true)
  proto=$(grep -a ' POST /users/.*/manage/lifecycle/' "$dir/nginx-access.log" | awk '{print $1, $2}' | tr '\n' ' ' || true)
  if [ "$row" = "succeeded 204 succeeded 204 " ] && [ "$proto" = "HTTP/2.0 204 HTTP/2.0 204 " ]; then
    ok "through nginx: a disable and an enable over HTTP/2 succeeded; nginx logged '$proto'"
  else
    failed "through nginx: the enable gave '$row'; nginx logged '$proto' ($(tail -3 "$dir/nginx-error.log" 2>/dev/null))"
  fi

  # 6. the HTTP/2 connection dies under load: nginx's worker is killed in
  # the middle of 200 enables (of active accounts: the org stays as it is).
  # No account may get a second request; what was cut off is unknown.
  many=$(sql -c "SELECT string_agg(quote_literal(account_id), ',')
                  FROM ($(echo "$targets" | sed "s/'tls'/'h2'/") OFFSET 1 LIMIT 200) t")
  $PYTHON test/fakectl.py config '{"latency_ms": 40}'
  $PYTHON test/fakectl.py reset-log
  since=$(sql -c "SELECT coalesce(max(id), 0) FROM atlorg.atl_audit")
  # the kill comes once the fake has seen 40 of them: mid-run, however
  # long the statement takes to start
  (
    for _ in $(seq 1 300); do
      [ "$($PYTHON test/fakectl.py sent '/manage/lifecycle/enable$')" -ge 40 ] && break
      sleep 0.02
    done
    kill -9 $(pgrep -P "$(cat "$dir/nginx.pid")") 2>/dev/null
  ) &
  killer=$!
  outcomes=$(sql -F ' ' -c "SELECT outcome, count(*) FROM atlorg.atl_enable(ARRAY[$many], 'h2')
                            GROUP BY 1 ORDER BY 1" 2>&1 | tr '\n' ' ' || true)
  wait $killer || true
  $PYTHON test/fakectl.py config '{"latency_ms": 0}'
  verdict=$($PYTHON test/fakectl.py requests | $PYTHON -c '
import collections, json, subprocess, sys
log = collections.Counter(e["path"].split("/")[2] for e in json.load(sys.stdin)
                          if e["path"].endswith("/manage/lifecycle/enable"))
rows = [l.split("|") for l in subprocess.run(
    ["psql", "-X", "-q", "-At", "-d", sys.argv[1], "-c",
     "SELECT replace(account_id, \x27:\x27, \x27%3A\x27), outcome, attempts FROM atlorg.atl_audit"
     " WHERE id > " + sys.argv[2] + " AND action = \x27enable\x27"],
    capture_output=True, text=True, check=True).stdout.split()]
answered = {a for a, o, n in rows if o in ("succeeded", "already")}
unknown = [a for a, o, n in rows if o == "unknown"]
problems = []
if len(rows) != 200: problems.append("%d audit rows" % len(rows))
if any(n > 1 for n in log.values()): problems.append("an account got two requests")
if any(int(n) != 1 for a, o, n in rows if o != "failed"): problems.append("an attempt count is not 1")
if not answered <= set(log): problems.append("a success the fake never saw")
if not set(log) <= answered | set(unknown): problems.append("a request the audit does not account for")
if not unknown: problems.append("no request was cut off: the kill came too late")
print("; ".join(problems) or "ok %d requests for %d accounts, %d unknown" % (sum(log.values()), len(log), len(unknown)))
' "$db" "$since")
  if [ "${verdict%% *}" = ok ]; then
    ok "nginx's worker killed under load over HTTP/2 ($outcomes): ${verdict#ok }; no account got a second request"
  else
    failed "nginx's worker killed under load: $verdict ($outcomes)"
  fi
else
  echo "(nginx is not installed: no HTTP/2 check)"
fi
exit $status
