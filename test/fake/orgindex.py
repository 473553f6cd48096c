"""Org-wide facts from one pass over every user.

Group member counts, the managed-account list, users/count and users/stats
need every user, and generating one costs ~17 µs (25 s for a million).  So
one pass records, per user, the few facts those answers need, in compact
arrays (~12 bytes a user), plus each group's member indexes.  The same pass
renders each user into the users/search cache (usercache.py), so paging is
fast from the first page on.

Only seeded facts are kept; lifecycle state comes from the org's overlay at
query time, so the index survives /__fake/reset.  Orgs up to WARM_LIMIT
users are indexed in the background from startup (a few seconds for 100k;
the pass yields the GIL every few users so requests are served meanwhile);
bigger orgs are indexed on first need, and that request waits for it.
"""

import array
import threading
import time

from org import STATUS_TRIPLES

WARM_LIMIT = 150_000
CHUNK = 32  # users between GIL yields: ~1 ms of work
STATUSES = tuple(STATUS_TRIPLES)
ROLE_IDS = ("atlassian/user", "atlassian/admin", "atlassian/guest", "atlassian/customer",
            "atlassian/user-access-admin", "atlassian/contributor", "atlassian/basic",
            "atlassian/stakeholder", "atlassian/org-admin", "atlassian/site-admin",
            "atlassian/ai-access")
ROLE_BIT = {role: 1 << i for i, role in enumerate(ROLE_IDS)}


class OrgIndex:
    def __init__(self, org, cache):
        self.org, self.cache = org, cache
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.started = False
        self.progress = 0
        self.build_s = None
        n = org.n_users
        self.managed = bytearray(n)
        self.base = bytearray(n)         # index into STATUSES
        self.mfa = bytearray(n)
        self.domain = array.array("H", bytes(2 * n))
        self.roles = array.array("H", bytes(2 * n))
        self.sites = bytearray(n)         # bit i: site_list[i]
        self.domains = []                 # domain code -> domain
        self.site_list = [s["ari"] for kind in sorted(org.sites) for s in org.sites[kind]]
        self.members = [array.array("l") for _ in org.groups]
        self.role_counts = [0] * len(ROLE_IDS)

    # ---- building ---------------------------------------------------------
    def start(self):
        """Index in a background thread (once)."""
        with self.lock:
            if self.started:
                return
            self.started = True
        threading.Thread(target=self._build, name="org-index", daemon=True).start()

    def get(self):
        """The finished index; starts it and waits when needed."""
        if not self.done.is_set():
            self.start()
            self.done.wait()
        return self

    def _build(self):
        t0 = time.monotonic()
        domain_code, site_bit = {}, {ari: 1 << i for i, ari in enumerate(self.site_list)}
        for i in range(self.org.n_users):
            user = self.org._make_user(i)
            self._record(i, user, domain_code, site_bit)
            self.cache.fragments(i, user)
            self.progress = i + 1
            if i % CHUNK == CHUNK - 1:
                time.sleep(0)  # let request threads have the GIL
        self.build_s = round(time.monotonic() - t0, 3)
        self.done.set()

    def _record(self, i, u, domain_code, site_bit):
        self.managed[i] = u.claim == "managed"
        self.base[i] = STATUSES.index(u.base_status)
        self.mfa[i] = u.mfa
        code = domain_code.get(u.domain)
        if code is None:
            code = domain_code[u.domain] = len(self.domains)
            self.domains.append(u.domain)
        self.domain[i] = code
        bits = 0
        for role in u.roles():
            bits |= ROLE_BIT[role]
        self.roles[i] = bits
        for r, role in enumerate(ROLE_IDS):
            if bits >> r & 1:
                self.role_counts[r] += 1
        sites = 0
        for _, site, _ in u.products:
            sites |= site_bit[site]
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

    def describe(self):
        return {"indexed": self.progress, "done": self.done.is_set(), "build_s": self.build_s,
                "cached_users": len(self.cache.frags), "cache_bytes": self.cache.used,
                "cache_budget": self.cache.budget}

    def managed_indexes(self):
        """Indexes of managed accounts, in index order (cached)."""
        if not hasattr(self, "_managed_list"):
            self._managed_list = array.array("l", (i for i, m in enumerate(self.managed) if m))
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
        return lambda i: all(t(i, state(org, i)) for t in tests)
