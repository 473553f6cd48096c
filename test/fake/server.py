#!/usr/bin/python3
"""Fake Atlassian org: a stateful local stand-in for the Atlassian Cloud admin
APIs and a Jira site's user and group APIs.

  /usr/bin/python3 test/fake/server.py --port 0 --port-file PATH --users N --seed S \
      --org-id ORG --api-key KEY [--scoped-api-key KEY] [--site-email EMAIL] \
      [--site-token TOKEN] [--latency-ms MS] [--now EPOCH] [--cache-mb MB] \
      [--warm auto|on|off|wait] [--host ADDR] [--tls-cert PEM --tls-key PEM]

Serves, on 127.0.0.1 (or --host: the rig binds the address of a network
namespace of its own), every operation router.py lists: the
Organizations API under /admin (v1 and v2), the User management API under
/users, Jira REST v3 under /rest/api/3, and /__fake/... the control API, no
auth (control.py).

With --tls-cert and --tls-key it speaks HTTP/1.1 over TLS (ALPN
http/1.1); each handshake is made in the connection's own thread, so a
slow or failing client holds up no other.  With --port 0 a free port is chosen; the port number is written to
--port-file atomically (tmp file + rename) once the socket listens.
--now fixes the reference time all timestamps are relative to (default: the
start time), so two runs can produce byte-identical data.

Every API request passes, in order: fault rules (faults.py) -> credentials
(the org's Bearer keys on the admin APIs, Basic email:api_token on Jira,
else the service's 401) -> rate limiter -> configured latency -> scope
check (an API key with scopes on an operation naming none: 403) -> route
-> chaos mode (chaos.py: when on, a fraction of answers is mutated).
The request is logged before its response is written, so a client that has
its answer always finds it in GET /__fake/requests.  No credential is ever
logged.  Quiet on stdout; unexpected errors go to stderr and answer 500.
"""

import argparse
import gc
import os
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import auth
import control
import errors
import faults
import router
from app import JIRA_DEFAULTS, FakeApp
from http_types import Request
from orgindex import WARM_LIMIT

MAX_BODY = 10 * 1024 * 1024
SCOPED_UM_CONTEXT = ("The API key has scopes; the User management API needs the manage:org "
                     "scope, which API keys with scopes cannot have")


class BadRequest(Exception):
    pass


# ---- API pipeline (no sockets here) -----------------------------------------
def credential_fits(kind, path):
    """Jira takes only the site's Basic credentials; the admin APIs only org keys."""
    if errors.api_of(path) == "jira":
        return kind == auth.SITE
    return kind in (auth.FULL, auth.SCOPED)


def scope_refusal(route, req):
    """403 for an API key with scopes on an operation it cannot reach."""
    if route.scoped_key_allowed():
        return None
    if errors.api_of(req.path) == "um":
        return errors.um(403, "forbidden", SCOPED_UM_CONTEXT)
    return errors.no_perms(req.path)


def wait_exactly(app, seconds):
    """Sleep `seconds` (not less, and as little more as the OS allows);
    returns early only at shutdown."""
    # time.sleep (clock_nanosleep) wakes within ~0.1 ms of the deadline; a
    # timed Event.wait overshoots by about 1 ms, which the paging benchmark
    # would count against atlorg.  Short slices keep shutdown responsive.
    deadline = time.perf_counter() + seconds
    remaining = seconds
    while remaining > 0 and not app.shutdown.is_set():
        time.sleep(min(remaining, 0.05))
        remaining = deadline - time.perf_counter()


def serve_api(app, req, auth_record, kind):
    """(Response, answered by the rate limiter?)"""
    route = router.find(req)
    req.op_name = route.name
    rule = app.faults.take(req.method, req.path, req.query)
    fault = rule.kind if rule else None
    if fault == "latency":
        wait_exactly(app, rule.spec.get("ms", 50) / 1000)
    elif fault == "status":
        wait_exactly(app, rule.spec.get("ms", 0) / 1000)
        return faults.status_response(rule, req.path), False
    elif fault == "ratelimit429":
        return faults.ratelimit_response(rule, app.limiter, req.path), False
    elif fault == "stall":
        return faults.stall_response(rule), False
    elif fault == "malformed":
        return faults.malformed_response(), False
    if not credential_fits(kind, req.path):
        return errors.unauthorized(req.path, failed_login=auth_record is not None), False
    allowed, limit_headers = app.limiter.check()
    if not allowed:
        return errors.rate_limited(req.path, limit_headers), True
    if app.config["latency_ms"]:
        wait_exactly(app, app.config["latency_ms"] / 1000)
    refusal = scope_refusal(route, req) if kind == auth.SCOPED and route.checks_scope else None
    resp = refusal or route(app, req)
    resp.headers.update(limit_headers)
    # truncate/short model damage in transit: the service did act.
    if fault == "truncate":
        resp = faults.truncate(resp)
    elif fault == "short":
        resp = faults.cut_short(resp)
    elif fault == "drop":
        resp.dropped = True
    return resp, False


# ---- HTTP layer -------------------------------------------------------------
GZIP_FROM = 1024  # bytes: smaller answers go as they are


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive: libcurl reuses connections
    server_version = "atlorg-fake/1"
    timeout = 300                   # drop idle keep-alive connections eventually

    def do_GET(self):
        try:
            self.handle_any()
        except Exception:  # last resort: log it, drop the connection, keep serving
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle
        # plus the client's delayed ACK would add ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError):
            pass  # client hung up mid-response: nothing to report

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass  # quiet: the request log is available via the control API

    def handle_any(self):
        app = self.server.app
        t0 = time.time()
        try:
            req = self.read_request()
        except BadRequest as exc:
            self.close_connection = True
            self.deliver(errors.gateway(400, str(exc)))
            return
        except OSError:  # client went away mid-request
            self.close_connection = True
            return
        if req.path == "/__fake" or req.path.startswith("/__fake/"):
            self.deliver(self.safely(lambda: control.handle(app, req)))
            return
        record, kind = auth.inspect(req.headers, app.creds)
        entry = app.log.start(req, t0, record, conn=self.client_address[1])
        app.enter(1)
        try:
            resp, limited = self.safely(lambda: serve_api(app, req, record, kind), pair=True)
        finally:
            app.enter(-1)
        resp, mutation = self.mutate(app, req, resp)
        op = req.op_name
        if resp.dropped:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            app.log.finish(entry, None, time.time(), op=op)
        elif resp.stall_s is None:
            app.log.finish(entry, resp.status, time.time(), limited, op=op, chaos=mutation)
            self.deliver(resp)
            app.log.sent(entry, time.time())
        else:
            self.deliver(resp)
            app.log.finish(entry, None, time.time(), op=op)

    @staticmethod
    def mutate(app, req, resp):
        """The chaos hook (chaos.py): (the answer to send, its mutation or None)."""
        try:
            return app.chaos.apply(req, resp)
        except Exception:  # a bug in a mutation must not cost the answer
            traceback.print_exc(file=sys.stderr)
            return resp, None

    def safely(self, fn, pair=False):
        """Run a handler; a bug answers 500, never a traceback over the wire."""
        try:
            return fn()
        except Exception:
            traceback.print_exc(file=sys.stderr)
            resp = errors.gateway(500)
            return (resp, False) if pair else resp

    def read_request(self):
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        return Request(self.command, parts.path or "/", query, headers, self.read_body(headers))

    def read_body(self, headers):
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self.read_chunked()
        raw = headers.get("content-length")
        if raw is None:
            return b""
        try:
            length = int(raw)
        except ValueError:
            raise BadRequest("Invalid Content-Length") from None
        if not 0 <= length <= MAX_BODY:
            raise BadRequest("Invalid Content-Length")
        body = self.rfile.read(length)
        if len(body) != length:
            raise BadRequest("Incomplete body")
        return body

    def read_chunked(self):
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BadRequest("Invalid chunked encoding") from None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise BadRequest("Body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def deliver(self, resp):
        try:
            if resp.stall_s is not None:
                # Read the request, answer nothing, hold the connection.
                self.server.app.shutdown.wait(resp.stall_s)
                self.close_connection = True
                return
            self.write_response(resp)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True

    def write_response(self, resp):
        body = resp.body or b""
        # as the real API does, when asked: a 100-user page is 150 kB of JSON,
        # many round trips of a new TCP window; gzipped it is a seventh.  At
        # level 1, nginx's default: level 5 costs twice the time (2 ms a
        # page) for a sixth fewer bytes
        if len(body) >= GZIP_FROM and not resp.short and resp.status != 204 and \
                "gzip" in self.headers.get("Accept-Encoding", ""):
            # (a gzip stream straight from zlib: gzip.compress's own header
            # and CRC pass cost a sixth more)
            gz = zlib.compressobj(1, zlib.DEFLATED, 31)
            body = gz.compress(body) + gz.flush()
            resp.headers["Content-Encoding"] = "gzip"
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        if resp.status != 204:  # RFC 9110: no Content-Length on 204
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if resp.short:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if body and resp.status != 204:
            self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True        # stalled handlers must not block exit
    request_queue_size = 128     # many concurrent clients connect at once
    allow_reuse_address = True
    tls = None                   # an ssl.SSLContext: serve HTTPS

    def finish_request(self, request, client_address):
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        # config connect_ms: the handshake's round trips, which hold the
        # client's request back (over plain HTTP it is sent at once)
        if self.app.config["connect_ms"]:
            wait_exactly(self.app, self.app.config["connect_ms"] / 1000)
        request.settimeout(30)  # a handshake that never ends is dropped
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # e.g. a client that does not trust our CA: its alert ends it
        try:
            super().finish_request(conn, client_address)
        finally:
            conn.close()


def tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


# ---- entry point ------------------------------------------------------------
def parse_args(argv):
    ap = argparse.ArgumentParser(description="Fake Atlassian org for atlorg tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--org-id", default="acme-org")
    ap.add_argument("--api-key", default="test-key", help="org API key without scopes")
    ap.add_argument("--scoped-api-key", default="scoped-key",
                    help="org API key with scopes (read endpoints that name a scope only)")
    ap.add_argument("--site-email", default=JIRA_DEFAULTS["email"],
                    help="Jira site Basic auth user")
    ap.add_argument("--site-token", default=JIRA_DEFAULTS["token"],
                    help="Jira site Basic auth API token")
    ap.add_argument("--cache-mb", type=int, default=320,
                    help="budget of the pre-rendered users/search cache")
    ap.add_argument("--warm", choices=("auto", "on", "off", "wait"), default="auto",
                    help="index and pre-render every user in the background at start "
                         f"(auto: orgs of at most {WARM_LIMIT} users; wait: before the "
                         "port file is written, so the first page is already fast)")
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on")
    ap.add_argument("--tls-cert", help="PEM certificate (chain): serve HTTPS")
    ap.add_argument("--tls-key", help="PEM private key of --tls-cert")
    ap.add_argument("--now", type=float, default=None,
                    help="epoch seconds the data is relative to (default: start time)")
    args = ap.parse_args(argv)
    if args.users < 0 or args.users >= 1 << 40:
        ap.error("--users must be between 0 and 2^40")
    if args.seed < 0:
        ap.error("--seed must be >= 0")
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    return args


def write_port_file(path, port):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Rendering allocates many short-lived objects next to large long-lived
    # caches: rarer collections save ~15 % of a cold users/search page.
    gc.set_threshold(100_000, 50, 100)
    app = FakeApp(args.users, args.seed, args.org_id, args.api_key, args.latency_ms,
                  args.now if args.now is not None else time.time(),
                  scoped_key=args.scoped_api_key, site_email=args.site_email,
                  site_token=args.site_token, cache_mb=args.cache_mb,
                  warm={"auto": None, "on": True, "off": False, "wait": True}[args.warm])
    server = Server((args.host, args.port), Handler)
    server.app = app
    if args.tls_cert:
        server.tls = tls_context(args.tls_cert, args.tls_key)
    if args.warm == "wait":
        app.index.get()
    if args.port_file:
        write_port_file(args.port_file, server.server_address[1])
    app.start_background()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    while not stop.wait(0.5):
        pass
    app.shutdown.set()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
