"""The token-bucket rate limiter next to the sliding window, and HTTPS."""

import http.client
import os
import ssl
import subprocess
import tempfile

import pytest

from conftest import HERE, ORG_ID, FakeProcess
from faults import RateLimiter
from test_fake import epoch_of

T0 = 1_700_000_000.0
SEARCH_PATH = f"/admin/v2/orgs/{ORG_ID}/directories/-/users/search"


# ---- token bucket -----------------------------------------------------------
def test_bucket_allows_a_burst_of_its_capacity_then_one_per_refill():
    lim = RateLimiter()
    lim.configure(3, 1.0, "bucket")
    replies = [lim.check(T0) for _ in range(4)]
    assert [ok for ok, _ in replies] == [True, True, True, False]
    assert [h["X-RateLimit-Remaining"] for _, h in replies] == ["2", "1", "0", "0"]
    _, limited = replies[3]
    assert limited["X-RateLimit-Limit"] == "3"
    assert limited["Retry-After"] == "1"  # 0.333 s, in whole seconds rounded up
    # the next token: 1/3 s later, in milliseconds rounded up (never early)
    assert epoch_of(limited["X-RateLimit-Reset"]) == pytest.approx(T0 + 1 / 3, abs=0.0011)
    assert epoch_of(limited["X-RateLimit-Reset"]) >= T0 + 1 / 3
    assert lim.check(T0 + 0.33)[0] is False
    assert lim.check(T0 + 0.334)[0] is True   # one token came, and went
    assert lim.check(T0 + 0.335)[0] is False
    assert lim.rejected == 3


def test_bucket_holds_no_more_than_its_capacity():
    lim = RateLimiter()
    lim.configure(2, 0.5, "bucket")
    lim.check(T0)
    assert [lim.check(T0 + 100)[0] for _ in range(3)] == [True, True, False]


def test_after_a_burst_the_bucket_refills_where_the_window_waits():
    bucket, window = RateLimiter(), RateLimiter()
    bucket.configure(10, 1.0, "bucket")
    window.configure(10, 1.0)
    for lim in (bucket, window):
        assert all(lim.check(T0)[0] for _ in range(10))
    # 0.1 s later the bucket has one token again; the window is full until T0 + 1
    assert bucket.check(T0 + 0.101)[0] is True
    ok, headers = window.check(T0 + 0.101)
    assert ok is False and epoch_of(headers["X-RateLimit-Reset"]) == pytest.approx(T0 + 1)


def test_window_is_still_the_default():
    lim = RateLimiter()
    lim.configure(2, 1.0)
    assert [lim.check(T0)[0] for _ in range(3)] == [True, True, False]
    assert lim.check(T0 + 0.999)[0] is False
    assert lim.check(T0 + 1.0)[0] is True


def test_bucket_through_the_control_api(fake, schemas):
    fake.control("POST", "ratelimit", {"limit": 2, "window_s": 10, "kind": "bucket"})
    replies = [fake.search({"limit": 1}) for _ in range(3)]
    assert [r.status for r in replies] == [200, 200, 429]
    assert replies[2].header("retry-after") == "5"   # next token in 5 s
    reply = fake.raw("POST", "/__fake/ratelimit", '{"limit": 2, "kind": "leaky"}',
                     {"Content-Type": "application/json"})
    assert reply.status == 400 and b"kind must be one of window, bucket" in reply.body


# ---- HTTPS ------------------------------------------------------------------
@pytest.fixture(scope="module")
def certs():
    tmp = tempfile.mkdtemp(prefix="fake-tls-")
    lib = os.path.join(HERE, "..", "lib", "tls.sh")
    subprocess.run(["bash", "-c", f'. "{lib}" && atlorg_make_ca "{tmp}" "IP:127.0.0.1"'],
                   check=True)
    return tmp


def https(port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)


def test_https_with_the_ca_and_not_without(certs):
    proc = FakeProcess(users=5, extra=("--tls-cert", os.path.join(certs, "server.pem"),
                                       "--tls-key", os.path.join(certs, "server.key")))
    try:
        conn = https(proc.port, os.path.join(certs, "ca.pem"))
        for _ in range(2):  # kept alive
            conn.request("POST", SEARCH_PATH, body="{}",
                         headers={"Authorization": f"Bearer {proc.api_key}",
                                  "Content-Type": "application/json"})
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read()
        assert conn.sock.selected_alpn_protocol() == "http/1.1"
        conn.close()
        with pytest.raises(ssl.SSLCertVerificationError):
            https(proc.port, os.path.join(certs, "wrong-ca.pem")).request("GET", "/__fake/stats")
        # a refused handshake costs the server nothing: it still answers
        conn = https(proc.port, os.path.join(certs, "ca.pem"))
        conn.request("GET", "/__fake/stats")
        assert conn.getresponse().status == 200
    finally:
        code, _, err = proc.stop()
        assert code == 0 and b"Traceback" not in err, err
