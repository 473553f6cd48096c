"""Org-wide facts from one pass over every user.

Group member counts, the managed-account list, users/count and users/stats
need every user, and generating one costs ~17 µs (25 s for a million).  So
one pass records, per user, the few facts those answers need, in compact
arrays (~9 bytes a user), plus each group's member indexes (4 bytes per
membership).  The same pass renders each user into the users/search cache
(usercache.py) while the cache has room, so paging is fast from the first
page on.  Users a request renders first are recorded then, and the pass
skips them: no user is generated twice.

Only seeded facts are kept; lifecycle state comes from the org's overlay at
query time, and users changed by a write (org.edits: groups, product access,
email) are looked at directly, so the index survives /__fake/reset.  Orgs up to WARM_LIMIT
users are indexed in the background from startup (~5 s for 100k); bigger
orgs on first need (~45 s for a million), and that request waits for it.
The pass yields the GIL every CHUNK users and pauses while API requests are
in progress (briefly: it cannot be starved), so it slows paging down as
little as possible.
"""

import array
import threading
import time

import search
from org import STATUS_TRIPLES

WARM_LIMIT = 150_000
CHUNK = 8  # users between GIL yields: ~0.2 ms of work
PAUSE_STEP_S = 0.0002  # while requests are served, the pass waits in steps...
PAUSE_MAX_S = 0.05     # ...of at most this long per chunk
STATUSES = tuple(STATUS_TRIPLES)
ROLE_IDS = ("atlassian/user", "atlassian/admin", "atlassian/guest", "atlassian/customer",
            "atlassian/user-access-admin", "atlassian/contributor", "atlassian/basic",
            "atlassian/stakeholder", "atlassian/org-admin", "atlassian/site-admin",
            "atlassian/ai-access")
ROLE_BIT = {role: 1 << i for i, role in enumerate(ROLE_IDS)}


class OrgIndex:
    def __init__(self, org, cache, busy=lambda: 0):
        self.org, self.cache = org, cache
        self.busy = busy        # () -> API requests in progress
        self.waiting = 0        # requests blocked in get()
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.started = False
        self.progress = 0
        self.build_s = None
        self.site_list = [s["ari"] for kind in sorted(org.sites) for s in org.sites[kind]]
        self.site_bit = {ari: 1 << i for i, ari in enumerate(self.site_list)}
        self.domains, self.domain_code = [], {}  # domain code <-> domain
        self.members = [array.array("i") for _ in org.groups]
        self.role_counts = [0] * len(ROLE_IDS)
        self.record_lock = threading.Lock()
        self.recorded = None  # the per-user arrays exist once indexing starts

    def _allocate(self):
        n = self.org.n_users
        self.managed = bytearray(n)
        self.base = bytearray(n)         # index into STATUSES
        self.mfa = bytearray(n)
        self.domain = array.array("H", bytes(2 * n))
        self.roles = array.array("H", bytes(2 * n))
        self.sites = bytearray(n)         # bit i: site_list[i]
        self.recorded = bytearray(n)

    # ---- building ---------------------------------------------------------
    def start(self):
        """Index in a background thread (once)."""
        with self.lock:
            if self.started:
                return
            self.started = True
            with self.record_lock:
                self._allocate()
        threading.Thread(target=self._build, name="org-index", daemon=True).start()

    def get(self):
        """The finished index; starts it and waits when needed."""
        if not self.done.is_set():
            self.start()
            with self.lock:
                self.waiting += 1
            try:
                self.done.wait()
            finally:
                with self.lock:
                    self.waiting -= 1
        return self

    def _build(self):
        t0 = time.monotonic()
        for i in range(self.org.n_users):
            if not self.recorded[i]:  # requests record the users they render
                user = self.org._make_user(i)
                self.record(i, user)
                if not self.cache.full():
                    self.cache.fragments(i, user)
            self.progress = i + 1
            if i % CHUNK == CHUNK - 1:
                self._yield()
        for n, members in enumerate(self.members):
            self.members[n] = array.array("i", sorted(members))
        self.build_s = round(time.monotonic() - t0, 3)
        self.done.set()

    def _yield(self):
        """Give the GIL to requests being served, unless they wait for us.
        Bounded, so steady traffic slows the pass down but cannot stop it."""
        time.sleep(0)
        deadline = time.monotonic() + PAUSE_MAX_S
        while self.busy() > self.waiting and time.monotonic() < deadline:
            time.sleep(PAUSE_STEP_S)

    def record(self, i, u):
        """Note user i's facts (once, whichever thread generates it first)."""
        with self.record_lock:
            if self.recorded is None or self.recorded[i] or self.done.is_set():
                return
            self.recorded[i] = 1
            self.managed[i] = u.claim == "managed"
            self.base[i] = STATUSES.index(u.base_status)
            self.mfa[i] = u.mfa
            code = self.domain_code.get(u.domain)
            if code is None:
                code = self.domain_code[u.domain] = len(self.domains)
                self.domains.append(u.domain)
            self.domain[i] = code
            bits = 0
            for role in u.roles():
                bits |= ROLE_BIT[role]
            self.roles[i] = bits
            for r in range(len(ROLE_IDS)):
                if bits >> r & 1:
                    self.role_counts[r] += 1
            sites = 0
            for _, site, _ in u.products:
                sites |= self.site_bit[site]
            self.sites[i] = sites
            for g in u.groups:
                self.members[g].append(i)

    # ---- queries ------------------------------------------------------------
    def state(self, org, i):
        """(accountStatus, membershipStatus, status) now; org holds the overlay."""
        got = org.overlay.get(i)
        if got:
            return got
        status = STATUSES[self.base[i]]
        acc, mem = STATUS_TRIPLES[status]
        return acc, mem, status

    def members_now(self, org, g):
        """Group g's member indexes now, ascending: the seeded members
        corrected for edited users.  O(members) once some user was edited."""
        members = self.members[g]
        if not org.edits:
            return members
        edits = dict(org.edits)  # a snapshot: writers may add to it meanwhile
        kept = [i for i in members if i not in edits or g in edits[i].groups]
        seeded = org.seeded_user
        joined = [i for i, u in edits.items() if g in u.groups and g not in seeded(i).groups]
        return sorted(kept + joined) if joined else kept

    def member_count(self, org, g):
        """len(members_now(org, g)) in O(edited users)."""
        delta = 0
        for i, u in list(org.edits.items()):
            delta += (g in u.groups) - (g in org.seeded_user(i).groups)
        return len(self.members[g]) + delta

    def role_counts_now(self, org):
        """Users holding each of ROLE_IDS now (edited users' roles counted afresh)."""
        counts = list(self.role_counts)
        for i, u in list(org.edits.items()):
            for role in org.seeded_user(i).roles():
                counts[ROLE_IDS.index(role)] -= 1
            for role in u.roles():
                counts[ROLE_IDS.index(role)] += 1
        return counts

    def describe(self):
        return {"indexed": self.progress, "done": self.done.is_set(), "build_s": self.build_s,
                "cached_users": len(self.cache.frags), "cache_bytes": self.cache.used,
                "cache_budget": self.cache.budget}

    def managed_indexes(self):
        """Indexes of managed accounts, in index order (cached)."""
        if not hasattr(self, "_managed_list"):
            self._managed_list = array.array("i", (i for i, m in enumerate(self.managed) if m))
        return self._managed_list

    def matcher(self, org, q):
        """f(index) -> bool for a users/search-style query, or None when the
        query has a filter these facts cannot answer (ids, emails, searchTerm).
        Same semantics as search.compile_query."""
        if any(k in q for k in ("accountIds", "emails", "searchTerm")):
            return None
        tests = []
        for key, pos in (("accountStatus", 0), ("membershipStatus", 1), ("status", 2)):
            if key in q:
                tests.append(lambda i, s, v=set(q[key]), p=pos: s[p] in v)
        if "directoryIds" in q:
            inside = org.directory_id in q["directoryIds"]
            tests.append(lambda i, s: inside and s[1] != "no_membership")
        if "claimStatus" in q:
            tests.append(lambda i, s, v=q["claimStatus"] == "managed": self.managed[i] == v)
        if "mfaEnabled" in q:
            tests.append(lambda i, s, v=q["mfaEnabled"]: self.mfa[i] == v)
        if "groupIds" in q:
            wanted = {i for uuid in q["groupIds"] if uuid in org.group_by_uuid
                      for i in self.members[org.group_by_uuid[uuid]]}
            tests.append(lambda i, s: i in wanted)
        if "roleIds" in q:
            mask = sum(ROLE_BIT[r] for r in q["roleIds"])
            tests.append(lambda i, s: self.roles[i] & mask)
        if "resourceIds" in q:
            mask = sum(1 << n for n, ari in enumerate(self.site_list) if ari in q["resourceIds"])
            tests.append(lambda i, s: self.sites[i] & mask)
        if "emailDomains" in q:
            codes = {n for n, d in enumerate(self.domains)
                     if d in {v.lower() for v in q["emailDomains"]}}
            tests.append(lambda i, s: self.domain[i] in codes)
        state = self.state
        edits = org.edits
        if not edits:
            return lambda i: all(t(i, state(org, i)) for t in tests)
        # Edited users' groups, access and email are not in the arrays.
        preds = search.compile_query(org, q)
        return lambda i: (all(p(edits[i], state(org, i)) for p in preds) if i in edits
                          else all(t(i, state(org, i)) for t in tests))
