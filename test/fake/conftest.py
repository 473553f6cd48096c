"""Fixtures for the fake's conformance suite: start servers, talk HTTP, validate.

Run with: /usr/bin/python3 -m pytest -q test/fake
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import jsonschema
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
OPERATIONS_PATH = os.path.join(HERE, "..", "schemas", "operations.json")
API_KEY = "k-3f9c2d7e-not-a-real-key"
SCOPED_KEY = "k-scoped-5e1a-not-a-real-key"
SITE_EMAIL = "admin@acme.example"
SITE_TOKEN = "t-jira-77c1-not-a-real-token"
ORG_ID = "acme-org"


class FakeProcess:
    """A running server.py; stop() sends SIGTERM and waits."""

    def __init__(self, users=200, seed=1, now=None, latency_ms=None, org_id=ORG_ID,
                 api_key=API_KEY, start_timeout=20, extra=()):
        self.tmp = tempfile.mkdtemp(prefix="fake-")
        self.port_file = os.path.join(self.tmp, "port")
        self.now = now
        self.api_key = api_key
        self.org_id = org_id
        cmd = [PYTHON, SERVER, "--port", "0", "--port-file", self.port_file,
               "--users", str(users), "--seed", str(seed), "--org-id", org_id,
               "--api-key", api_key, "--scoped-api-key", SCOPED_KEY,
               "--site-token", SITE_TOKEN, *extra]
        if now is not None:
            cmd += ["--now", repr(now)]
        if latency_ms is not None:
            cmd += ["--latency-ms", str(latency_ms)]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.port = self._wait_for_port(start_timeout)
        self.startup_s = time.monotonic() - self.started

    def _wait_for_port(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    return int(f.read())
            if self.proc.poll() is not None:
                raise RuntimeError("fake exited: " + self.proc.stderr.read().decode())
            time.sleep(0.01)
        self.proc.kill()
        raise RuntimeError("fake did not write its port file in time")

    def client(self, **kw):
        return Client(self.port, self.api_key, self.org_id, **kw)

    def stop(self, timeout=5):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        out, err = self.proc.communicate()
        return self.proc.returncode, out, err


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())


class Client:
    """One keep-alive HTTP/1.1 connection to the fake (like libcurl's reuse)."""

    def __init__(self, port, api_key, org_id, timeout=10):
        self.port, self.api_key, self.org_id, self.timeout = port, api_key, org_id, timeout
        self.conn = None

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def raw(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            data = resp.read()
        except Exception:
            self.close()
            raise
        reply = Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        if resp.will_close:
            self.close()
        return reply

    def api(self, method, path, body=None, key=True, content_type="application/json",
            headers=None):
        hdrs = dict(headers or {})
        if key is True:
            hdrs["Authorization"] = f"Bearer {self.api_key}"
        elif key:
            hdrs["Authorization"] = key
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if body is not None and content_type:
            hdrs["Content-Type"] = content_type
        return self.raw(method, path, body, hdrs)

    def get(self, path, query=None, **kw):
        """GET path?query (a dict; list values repeat the name) on the admin APIs."""
        from urllib.parse import urlencode
        if query:
            path += "?" + urlencode(query, doseq=True)
        return self.api("GET", path, content_type=None, **kw)

    def org_path(self, rest, version="v2"):
        return f"/admin/{version}/orgs/{self.org_id}{rest}"

    def jira(self, path, query=None, auth=(SITE_EMAIL, SITE_TOKEN), method="GET", body=None):
        """{method} /rest/api/3{path} with Basic email:token (or auth: a raw
        header, or None); body: sent as JSON."""
        import base64
        from urllib.parse import urlencode
        headers = {}
        if isinstance(auth, tuple):
            headers["Authorization"] = "Basic " + base64.b64encode(
                ":".join(auth).encode()).decode()
        elif auth:
            headers["Authorization"] = auth
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        url = "/rest/api/3" + path + ("?" + urlencode(query, doseq=True) if query else "")
        return self.raw(method, url, body, headers)

    def follow(self, url, **kw):
        """GET an absolute URL of this server (v1 links.next, Jira nextPage)."""
        from urllib.parse import urlsplit
        parts = urlsplit(url)
        assert parts.netloc == f"127.0.0.1:{self.port}", url
        return self.api("GET", parts.path + ("?" + parts.query if parts.query else ""),
                        content_type=None, **kw)

    def search(self, body=None, org=None, directory="-", **kw):
        path = f"/admin/v2/orgs/{org or self.org_id}/directories/{directory}/users/search"
        return self.api("POST", path, {} if body is None else body, **kw)

    def lifecycle(self, account_id, action, body=None, **kw):
        from urllib.parse import quote
        path = f"/users/{quote(account_id, safe='')}/manage/lifecycle/{action}"
        return self.api("POST", path, body, **kw)

    def manage(self, method, account_id, rest, body=None, **kw):
        """{method} /users/{account_id}/manage/{rest} (User management API)."""
        from urllib.parse import quote
        return self.api(method, f"/users/{quote(account_id, safe='')}/manage/{rest}", body,
                        content_type="application/json" if body is not None else None, **kw)

    def control(self, method, path, body=None):
        payload = None if body is None else json.dumps(body)
        reply = self.raw(method, "/__fake/" + path, payload,
                         {"Content-Type": "application/json"} if payload else {})
        assert reply.status == 200, (path, reply.status, reply.body)
        return reply.json()

    def all_users(self):
        return self.control("GET", "users?limit=10000")["data"]

    def search_all(self, body=None, limit=100):
        """Follow links.next to the end; returns (users, pages)."""
        body = dict(body or {}, limit=limit)
        users, pages = [], []
        while True:
            reply = self.search(body)
            assert reply.status == 200, reply.body
            page = reply.json()
            pages.append(page)
            users += page["data"]
            nxt = page["links"].get("next")
            if not nxt:
                return users, pages
            body = {"cursor": nxt}


class Schemas:
    """operations.json, and validation of fake responses against it."""

    def __init__(self):
        with open(OPERATIONS_PATH, encoding="utf-8") as f:
            self.doc = json.load(f)
        self.ops = {op["name"]: op for op in self.doc["operations"]}

    def response_schema(self, op_name, status):
        op = self.ops[op_name]
        return op["responses"].get(str(status), {}).get("schema")

    def check(self, op_name, reply, documented=True):
        """Validate reply against the operation's documented response for its
        status.  documented=False: a status the spec does not list (the
        fake's configurable 409s, 415), still in the operation's error shape."""
        op = self.ops[op_name]
        status = str(reply.status)
        if op.get("api") == "jira-platform" and reply.status >= 400:
            self.check_jira_error(op, reply)
            return
        if "error_schema" in op and reply.status >= 400 and status not in ("401", "429"):
            assert not documented or status in op["responses"], \
                f"{op_name} does not document status {status}"
            self.check_uam_error(op, reply)
            return
        if status in op["gateway_responses"] and status in ("401", "429"):
            schema = op["gateway_responses"][status]
            jsonschema.Draft7Validator(schema).validate(reply.json())
            assert set(reply.json()) == {"code", "message"}
            assert reply.json()["code"] == reply.status
            return
        if not documented and status not in op["responses"]:
            envelope = next(r["schema"] for r in op["responses"].values()
                            if r["schema"] and "errors" in r["schema"].get("properties", {}))
            self.check_uam_error(dict(op, error_schema=envelope), reply)
            return
        assert status in op["responses"], f"{op_name} does not document status {status}"
        schema = op["responses"][status]["schema"]
        if schema is None:
            assert reply.body == b"", f"{status} must have no body"
            return
        assert reply.header("content-type").startswith("application/json")
        jsonschema.Draft7Validator(schema).validate(reply.json())
        jsonschema.Draft4Validator(schema).validate(reply.json())

    @staticmethod
    def check_uam_error(op, reply):
        """The UAM envelope: one error, every field a string, status = the HTTP one."""
        assert reply.header("content-type").startswith("application/json")
        body = reply.json()
        jsonschema.Draft7Validator(op["error_schema"]).validate(body)
        assert len(body["errors"]) == 1
        err = body["errors"][0]
        assert set(err) == {"id", "status", "code", "title", "detail"}
        assert all(isinstance(v, str) for v in err.values())
        assert err["status"] == str(reply.status) and err["code"].startswith("ADMIN-")

    @staticmethod
    def check_jira_error(op, reply):
        """Jira: the login filter's text/plain 401, else an ErrorCollection."""
        if reply.status == 401:
            assert reply.header("content-type").startswith("text/plain")
            assert reply.body == b"Client must be authenticated to access this resource."
            return
        assert reply.header("content-type").startswith("application/json")
        jsonschema.Draft7Validator(op["error_schema"]).validate(reply.json())
        body = reply.json()  # the message in errorMessages or in the errors map
        assert body["errorMessages"] or body.get("errors"), "an ErrorCollection says what went wrong"


@pytest.fixture(scope="session")
def schemas():
    return Schemas()


@pytest.fixture(scope="session")
def fake_proc():
    # --now pins the reference time so tests can compute ages exactly.
    proc = FakeProcess(users=200, seed=1, now=time.time())
    yield proc
    proc.stop()


@pytest.fixture
def fake(fake_proc):
    """A client of the shared fake, reset before each test."""
    client = fake_proc.client()
    client.control("POST", "reset")
    yield client
    client.close()


@pytest.fixture
def start_fake():
    """Factory for extra servers (determinism, big orgs, shutdown)."""
    procs = []

    def start(**kw):
        proc = FakeProcess(**kw)
        procs.append(proc)
        return proc
    yield start
    for proc in procs:
        proc.stop()
