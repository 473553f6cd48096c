"""FakeApp: everything the handlers share, and how it is reset."""

import threading

from cursor import CursorCodec
from faults import Faults, RateLimiter
from org import Org
from requestlog import RequestLog


class FakeApp:
    def __init__(self, users, seed, org_id, api_key, latency_ms, start_epoch):
        self.users, self.seed, self.org_id = users, seed, org_id
        self.api_key = api_key
        self.start_epoch = start_epoch
        self.default_latency_ms = latency_ms
        self.shutdown = threading.Event()  # wakes stalled/delayed handlers on exit
        self.faults = Faults()
        self.limiter = RateLimiter()
        self.log = RequestLog()
        self.reset()

    def reset(self):
        """Re-seed the org (same start time, so the data is identical), drop
        faults, log, counters and the rate limiter, restore the config."""
        self.org = Org(self.seed, self.users, self.org_id, self.start_epoch)
        self.cursors = CursorCodec(self.org.key + b":cursor")
        self.config = {"already_state": "204", "latency_ms": self.default_latency_ms}
        self.faults.clear()
        self.limiter.reset()
        self.log.reset()
