#!/usr/bin/python3
"""Times the rig's wire from outside: what a round trip costs there.

    rig_probe.py HOST PORT CA_FILE [SECONDS RATE]

Prints "key value" lines, in milliseconds:
  connect_ms      median TCP connect (one round trip)
  tls_ms          median TLS 1.3 handshake after it (one more)
  exchange_ms     median GET /__fake/stats on a kept connection (one more)
  new_request_ms  median connect + handshake + GET on a new connection (three)
  spread_ms       p99 - p1 of the kept-connection exchanges under load
Under load: RATE small HTTPS exchanges a second for SECONDS, on 64 kept
connections (opened first, untimed), each timed; load_rate is the rate
reached.
"""
import http.client
import socket
import ssl
import statistics
import sys
import threading
import time


CONNS = 64


def ms(t):
    return (time.perf_counter() - t) * 1000


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main(host, port, cafile, seconds=5.0, rate=150.0):
    ctx = ssl.create_default_context(cafile=cafile)
    connect, tls, exchange, fresh = [], [], [], []
    for _ in range(10):
        t = time.perf_counter()
        raw = socket.create_connection((host, port))
        connect.append(ms(t))
        t1 = time.perf_counter()
        sock = ctx.wrap_socket(raw, server_hostname=host)
        tls.append(ms(t1))
        sock.close()
        t = time.perf_counter()
        conn = http.client.HTTPSConnection(host, port, context=ctx)
        conn.request("GET", "/__fake/stats")
        conn.getresponse().read()
        fresh.append(ms(t))
        t2 = time.perf_counter()
        conn.request("GET", "/__fake/stats")
        conn.getresponse().read()
        exchange.append(ms(t2))
        conn.close()
    # load: RATE requests a second spread over 16 connections, each paced
    times, lock = [], threading.Lock()

    def worker(k):
        conn = conns[k]
        next_at = start + k / rate
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                break
            if next_at > now:
                time.sleep(next_at - now)
            t = time.perf_counter()
            conn.request("GET", "/__fake/stats")
            conn.getresponse().read()
            with lock:
                times.append(ms(t))
            next_at += CONNS / rate
        conn.close()

    conns = [http.client.HTTPSConnection(host, port, context=ctx) for _ in range(CONNS)]

    def warm(conn):
        conn.request("GET", "/__fake/stats")
        conn.getresponse().read()
    warmers = [threading.Thread(target=warm, args=(c,)) for c in conns]
    for th in warmers:
        th.start()
    for th in warmers:
        th.join()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CONNS)]
    start = t0 = time.perf_counter()
    stop_at = start + seconds
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    print(f"connect_ms {statistics.median(connect):.1f}")
    print(f"tls_ms {statistics.median(tls):.1f}")
    print(f"exchange_ms {statistics.median(exchange):.1f}")
    print(f"new_request_ms {statistics.median(fresh):.1f}")
    print(f"load_rate {len(times) / elapsed:.0f}")
    print(f"load_median_ms {statistics.median(times):.1f}")
    print(f"spread_ms {quantile(times, 0.99) - quantile(times, 0.01):.1f}")


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], int(a[1]), a[2], *(float(x) for x in a[3:5]))
