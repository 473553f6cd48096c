# A rig like the real thing: the fake Atlassian org over TLS, behind a wire
# with a real round-trip time.  Sourced after test/lib/cluster.sh, as root
# (a network namespace and TAP devices).
#
#   rig_start RTT_MS h1|h2 [USERS]   start it; call rig_stop on exit (a trap)
#   rig_stop                          stop it; idempotent, leaves nothing behind
#
# Inside a network namespace of its own, reached only through
# test/bench/wire.py (two TAP devices and RTT/2 each way on every frame):
#   h1: the fake itself serves HTTPS (HTTP/1.1, Python's ssl) on port 443;
#   h2: nginx serves HTTPS on port 443 (HTTP/2 and HTTP/1.1, by ALPN) and
#       proxies to the fake over plain HTTP/1.1 on the namespace's loopback.
# The certificate is signed by a CA made for this run (test/lib/tls.sh).
#
# Sets and exports:
#   RIG_URL   https://ADDR: the api_base to give atlorg
#   RIG_CA    the CA's certificate: atlorg.ca_file
#   FAKE_URL, FAKE_CA   for test/fakectl.py: the control API, over the wire
#   RIG_NS, RIG_DIR (certificates, logs, nginx's access log: nginx-access.log;
#             a new one at each start)
# After rig_stop: RIG_WIRE_STATS, the wire's own lateness (wire.py).
#
# RIG_CONGESTION (default cubic, Debian's default; empty: the host's): the
# TCP congestion control of the servers' sockets (rig_congestion.c).

. test/lib/tls.sh

RIG_NS=""
RIG_WIRE_PID=""
RIG_PIDS=""

# $1: seconds to wait for file $2 to be non-empty, while pid $3 lives
rig_wait_file() {
  local i
  for i in $(seq 1 $(($1 * 10))); do
    [ -s "$2" ] && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

rig_start() {
  local rtt=$1 proto=$2 users=${3:-10000} a b inner port
  # a directory (and CA file name) per start: libcurl keeps a CA file's
  # parsed certificates by its name, for a day, in a process that lives on
  RIG_STARTS=$((${RIG_STARTS:-0} + 1))
  RIG_DIR="$ATLORG_TMP/rig$RIG_STARTS"
  mkdir -p "$RIG_DIR"
  chmod 755 "$RIG_DIR"
  # unique per run: names and a /30 from the shell's pid
  RIG_NS="atlrig$$"
  a=$((160 + ($$ >> 8) % 64))
  b=$(($$ % 64 * 4))
  inner="10.$a.$b.2"
  atlorg_make_ca "$RIG_DIR" "IP:$inner"
  setsid $PYTHON test/bench/wire.py --ns "$RIG_NS" --rtt-ms "$rtt" \
    --outer-if "ao$$" --inner-if "ai$$" --outer-addr "10.$a.$b.1/30" --inner-addr "$inner/30" \
    --ready-file "$RIG_DIR/wire.ready" --stats-file "$RIG_DIR/wire.stats" \
    >"$RIG_DIR/wire.log" 2>&1 &
  RIG_WIRE_PID=$!
  rig_wait_file 10 "$RIG_DIR/wire.ready" "$RIG_WIRE_PID" || { cat "$RIG_DIR/wire.log" >&2; return 1; }
  RIG_CONGESTION=${RIG_CONGESTION-cubic}
  export RIG_CONGESTION
  local preload=""
  if [ -n "$RIG_CONGESTION" ]; then
    cc -shared -fPIC -O2 -o "$RIG_DIR/rig_congestion.so" test/bench/rig_congestion.c -ldl
    preload="$RIG_DIR/rig_congestion.so"
  fi
  local fake_args=(--port-file "$RIG_DIR/fake.port" --users "$users" --seed 1
                   --api-key "$FAKE_KEY" --warm wait)
  if [ "$proto" = h1 ]; then
    fake_args+=(--host "$inner" --port 443 --tls-cert "$RIG_DIR/server.pem"
                --tls-key "$RIG_DIR/server.key")
  else
    fake_args+=(--host 127.0.0.1 --port 0)
  fi
  ip netns exec "$RIG_NS" env LD_PRELOAD="$preload" setsid $PYTHON test/fake/server.py "${fake_args[@]}" \
    >"$RIG_DIR/fake.log" 2>&1 &
  RIG_PIDS="$!"
  rig_wait_file 120 "$RIG_DIR/fake.port" "$!" || { cat "$RIG_DIR/fake.log" >&2; return 1; }
  if [ "$proto" = h2 ]; then
    command -v nginx >/dev/null || { echo "rig: nginx is not installed" >&2; return 1; }
    port=$(cat "$RIG_DIR/fake.port")
    atlorg_nginx_conf "$RIG_DIR" "$inner:443" "127.0.0.1:$port"
    ip netns exec "$RIG_NS" env LD_PRELOAD="$preload" setsid nginx -e "$RIG_DIR/nginx-error.log" -c "$RIG_DIR/nginx.conf" \
      >"$RIG_DIR/nginx.log" 2>&1 &
    RIG_PIDS="$RIG_PIDS $!"
    rig_wait_file 10 "$RIG_DIR/nginx.pid" "$!" || { cat "$RIG_DIR/nginx-error.log" >&2; return 1; }
  fi
  RIG_URL="https://$inner"
  RIG_CA="$RIG_DIR/ca.pem"
  FAKE_URL=$RIG_URL
  FAKE_CA=$RIG_CA
  export RIG_URL RIG_CA FAKE_URL FAKE_CA RIG_NS RIG_DIR
  # the first frames pay for ARP: one exchange before anything is timed
  $PYTHON test/fakectl.py reset-log
}

rig_stop() {
  local pid
  for pid in $RIG_PIDS; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $RIG_PIDS; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  RIG_PIDS=""
  if [ -n "$RIG_WIRE_PID" ]; then
    kill "$RIG_WIRE_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$RIG_WIRE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$RIG_WIRE_PID" 2>/dev/null || true
    RIG_WIRE_PID=""
  fi
  # the wire deletes it; after a kill -9 of the wire, this does
  [ -n "$RIG_NS" ] && ip netns del "$RIG_NS" 2>/dev/null || true
  RIG_NS=""
  RIG_WIRE_STATS=$(cat "${RIG_DIR:-/nonexistent}/wire.stats" 2>/dev/null | tr '\n' ' ' || true)
  return 0
}
