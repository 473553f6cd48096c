"""FakeApp: everything the handlers share, and how it is reset."""

import threading
import time

import auth
from chaos import Chaos
from cursor import CursorCodec
from events import AuditLog
from faults import Faults, RateLimiter
from org import Org
from orgindex import WARM_LIMIT, OrgIndex
from requestlog import RequestLog
from usercache import UserCache

JIRA_DEFAULTS = {"email": "admin@acme.example", "token": "site-token"}


class FakeApp:
    def __init__(self, users, seed, org_id, api_key, latency_ms, start_epoch,
                 scoped_key="scoped-key", site_email=JIRA_DEFAULTS["email"],
                 site_token=JIRA_DEFAULTS["token"], cache_mb=320, warm=None):
        self.users, self.seed, self.org_id = users, seed, org_id
        self.creds = auth.Credentials(api_key, scoped_key, site_email, site_token)
        self.site_email = site_email
        self.site_token_is_default = site_token == JIRA_DEFAULTS["token"]
        self.start_epoch = start_epoch
        self.default_latency_ms = latency_ms
        self.started = time.monotonic()
        self.shutdown = threading.Event()  # wakes stalled/delayed handlers on exit
        self.faults = Faults()
        self.limiter = RateLimiter()
        self.log = RequestLog()
        self.chaos = Chaos()
        self.in_flight = 0  # API requests being handled (the index pass yields to them)
        self.in_flight_lock = threading.Lock()
        self.reset()
        # Seeded, state-free, expensive: built once and kept across resets.
        self.cache = UserCache(self.org, cache_mb * 1024 * 1024)
        self.index = OrgIndex(self.org, self.cache, busy=lambda: self.in_flight)
        self.cache.on_generate = self.index.record
        self.warm = users <= WARM_LIMIT if warm is None else warm

    def enter(self, delta):
        with self.in_flight_lock:
            self.in_flight += delta

    def start_background(self):
        """Index (and pre-render) small orgs while the first requests come in."""
        if self.warm:
            self.index.start()

    def reset(self):
        """Re-seed the org (same start time, so the data is identical), drop
        faults, chaos mode, log, counters and the rate limiter, restore the
        config and the audit log."""
        self.org = Org(self.seed, self.users, self.org_id, self.start_epoch)
        self.cursors = CursorCodec(self.org.key + b":cursor")
        self.config = {"already_state": "204", "latency_ms": self.default_latency_ms,
                       "connect_ms": 0,
                       "jira_browse_users": True, "user_limits": {},
                       "jira_already_shape": "messages"}
        # Seeded events are the same after every reset: made once, shared.
        old = getattr(self, "audit", None)
        self.audit = AuditLog(self.org, self.started, old.seeded if old else None)
        self.member_cache = {}  # (group, org state version) -> active member indexes
        self.faults.clear()
        self.chaos.reset()
        self.limiter.reset()
        self.log.reset()

    def jira_info(self):
        return {"email": self.site_email, "default_email": JIRA_DEFAULTS["email"],
                "default_token": JIRA_DEFAULTS["token"],
                "token_is_default": self.site_token_is_default}
