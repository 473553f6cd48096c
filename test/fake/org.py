"""The fake organization: deterministic users generated on demand, plus state.

Users are never materialised all at once: user `index` is generated from a
random.Random seeded with (seed, index), so startup is O(1) and a million-user
org costs memory only for the users whose state changed.  Account ids and
emails encode the index (see ids.py and email_of), so lookups are O(1) too.

Every timestamp is start_time - (k whole days + r seconds), r in [1 h, 23 h),
so "older than N days" cannot flip while a test runs (for runs under 1 h).

Product access is derived (access.py): direct role assignments plus the
grants of the user's groups; activity is kept apart from it.  A seeded
user's direct assignments are the roles it was generated with that its
groups do not grant, so its access is what was generated (plus what the
multi-product admin groups grant, see _gen_groups).

Writes never touch the seeded users: a changed user (groups, direct
assignments, activity, email, profile) is a copy kept in Org.edits, and
org.user(i) returns it instead of the seeded one.  Caches built from seeded users
(usercache.py, orgindex.py) ask Org.edits which users to look at afresh.
Lifecycle and directory state is the separate Org.overlay.
"""

import base64
import bisect
import itertools
import random
import re
import threading
import time
from functools import lru_cache

import access as A
import fixed_users
import org_data as D
import resources
from ids import IdCodec, keyed_hash, seeded_uuid

DAY = 86400
STATUS_TRIPLES = {
    # status: (accountStatus, membershipStatus)
    "active": ("active", "active"),
    "suspended": ("active", "suspended"),
    "not_invited": ("active", "no_membership"),
    "deactivated": ("inactive", "active"),
    "for_deletion": ("inactive", "active"),
}
COMPOSITE = {"active": "active", "suspended": "suspended", "no_membership": "not_invited"}
AVATAR_HOST = "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net"
EMAIL_INDEX_RE = re.compile(r"(\d+)@")


class Clock:
    """Renders 'k days + r seconds before start' as ISO 8601 UTC strings."""

    def __init__(self, start_epoch):
        self.start_ns = int(round(start_epoch * 1e9))
        self._dates = {}  # day number -> "YYYY-MM-DD" (strftime is the slow part)

    def epoch_ns(self, stamp):
        return self.start_ns - stamp.age_ns()

    def iso(self, stamp, digits):
        """ISO 8601 UTC with `digits` fractional digits (truncated: never younger)."""
        whole, frac = divmod(self.start_ns - stamp.age_ns(), 10**9)
        if digits == 0:
            return self.iso_seconds(whole)
        return f"{self.iso_seconds(whole)[:-1]}.{frac // 10**(9 - digits):0{digits}d}Z"

    def iso_seconds(self, whole):
        """YYYY-MM-DDTHH:MM:SSZ for epoch seconds."""
        day, sod = divmod(whole, DAY)
        hour, rest = divmod(sod, 3600)
        return f"{self.date(day)}T{hour:02d}:{rest // 60:02d}:{rest % 60:02d}Z"

    def stamp(self, epoch_ns):
        """The Stamp of an instant (after start too: its age is then negative)."""
        days, rest = divmod(self.start_ns - epoch_ns, DAY * 10**9)
        secs, frac = divmod(rest, 10**9)
        return Stamp(days, secs, frac)

    def date(self, day):
        """YYYY-MM-DD of a day number since the epoch."""
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = time.strftime("%Y-%m-%d", time.gmtime(day * DAY))
        return text


class Stamp:
    """A point in the past relative to start: whole days + seconds + ns."""
    __slots__ = ("days", "secs", "frac_ns")

    def __init__(self, days, secs, frac_ns=0):
        self.days, self.secs, self.frac_ns = days, secs, frac_ns

    def age_ns(self):
        return (self.days * DAY + self.secs) * 10**9 + self.frac_ns


class SeededRandom(random.Random):
    """random.Random with cheaper choice/randrange and a one-pick weighted
    choice for the argument patterns used here.  Each consumes exactly the
    draws the random.Random method does (Python 3.11's code, step 1), so the
    generated org is unchanged; generation is ~30 % faster."""

    def randrange(self, start, stop):
        return start + self._randbelow(stop - start)

    def choice(self, seq):
        return seq[self._randbelow(len(seq))]

    def pick(self, population, cum_weights):
        """== choices(population, weights)[0], cum_weights precomputed."""
        return population[bisect.bisect(cum_weights, self.random() * cum_weights[-1],
                                        0, len(population) - 1)]


def cumulative(weights):
    return tuple(float(w) for w in itertools.accumulate(weights))


MANAGED_STATUSES = (("active", "suspended", "deactivated", "not_invited", "for_deletion"),
                    cumulative((78, 7, 9, 3, 3)))
UNMANAGED_STATUSES = (("active", "suspended", "deactivated", "not_invited"),
                      cumulative((85, 6, 6, 3)))
MANAGED_DOMAIN_WEIGHTS = cumulative((7, 3))
CLEAN_RE = re.compile(r"[^a-z0-9]")
# One generated user in DIRECT_TOO also keeps a direct atlassian/user where a
# product group grants it too (an admin granted it before adding the group):
# users with both methods on one site exist.  A hash of seed and index, not
# a draw, so the generated stream is unchanged.
DIRECT_TOO = 20
SEED_MEMO_MAX = 50_000  # (products, admin, groups) combinations kept derived
ACCESS_FIELDS = ("direct", "groups", "activity")


class User:
    """Static (seeded) properties of one user; mutable state lives in Org.

    direct, groups and activity say what the user was given and did; access,
    products and product_admin (admin on some product) are derived from them
    (access.py) and only ever set together with them (Org._derived)."""
    __slots__ = ("index", "account_id", "name", "nickname", "email", "email_verified",
                 "claim", "source", "base_status", "mfa", "added", "job_title", "department",
                 "organization", "location", "time_zone", "platform_roles", "direct",
                 "groups", "activity", "access", "products", "product_admin", "picture",
                 "avatar", "locale")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))

    def replace(self, **changes):
        """A copy with some fields changed (seeded users stay untouched)."""
        kw = {k: getattr(self, k) for k in self.__slots__}
        kw.update(changes)
        return User(**kw)

    @property
    def domain(self):
        return self.email.rsplit("@", 1)[1].lower()

    def roles(self):
        """Role ids this user holds anywhere (for the roleIds filter)."""
        roles = set(self.platform_roles)
        for _, _, held in self.access:
            roles.update(role for role, _ in held)
        return roles


class Org:
    """Seeded org model plus the lifecycle state overlay."""

    def __init__(self, seed, n_users, org_id, start_epoch):
        self.seed = seed
        self.n_users = n_users
        self.org_id = org_id
        self.clock = Clock(start_epoch)
        self.key = f"atlorg-fake:{seed}".encode()
        self.codec = IdCodec(self.key)
        self.directory_id = seeded_uuid(self.key, "directory")
        self.sites = self._make_sites()
        self.access_rank = A.access_ranks(self.sites)
        self.site_a = {key: self.site_ari(key, 0) for key, _ in D.PRODUCTS}
        self.groups = resources.make_groups(self.key, self.sites)
        self.group_by_uuid = {g["uuid"]: i for i, g in enumerate(self.groups)}
        # Seeded users derive their access from the seeded grants, whatever
        # the groups grant now (group["grants"], changed by group role writes).
        self.seed_grants = tuple(g["grants"] for g in self.groups)
        self._seed_memo = {}
        self.workspaces = resources.make_workspaces(self.key, self.sites)
        self.domains = resources.make_domains(self.key)
        self.apps = resources.make_apps(self.key)
        self.fixed = [self._fixed_user(i, spec) for i, spec in
                      enumerate(fixed_users.FIXED_USERS[:n_users])]
        self.fixed_by_id = {u.account_id: u.index for u in self.fixed}
        self.fixed_by_email = {u.email.lower(): u.index for u in self.fixed}
        self.seeded_user = lru_cache(maxsize=16384)(self._make_user)
        self.lock = threading.RLock()  # write handlers hold it across check+set
        self.overlay = {}  # index -> (accountStatus, membershipStatus, status)
        self.edits = {}    # index -> changed copy of the user (User.replace)
        self.email_owner = {}  # changed email (lower case) -> index
        self.jira_removed = set()    # indexes removed from the Jira site's user base
        self.revoked_tokens = set()  # API token ids deleted through the API
        self.version = 0   # bumped on every state change (keys derived caches)
        self._nick_order = None

    # ---- sites and groups -------------------------------------------------
    def _make_sites(self):
        sites = {}
        for kind, names in D.SITE_NAMES.items():
            sites[kind] = [dict(ari=f"ari:cloud:{kind}::site/{seeded_uuid(self.key, 'site', kind, n)}",
                                url=f"https://{n}.atlassian.net") for n in names]
        return sites

    def site_ari(self, product, site_no):
        kind = dict(D.PRODUCTS)[product]
        return self.sites[kind][site_no]["ari"]

    def group_by_name(self, name):
        return self.groups[D.GROUP_INDEX[name]]

    # ---- user generation --------------------------------------------------
    def _fixed_user(self, index, spec):
        products = tuple((key, self.site_ari(key, site), None if days is None else
                          Stamp(days, hours * 3600 + 17 * index, 123456789 * (index + 1) % 10**9))
                         for key, site, days, hours in spec["products"])
        kw = {k: v for k, v in spec.items() if k in User.__slots__}
        kw.update(index=index, base_status=spec["status"],
                  added=Stamp(spec["added_days"], 10 * 3600 + index, 0),
                  groups=tuple(sorted(D.GROUP_INDEX[g] for g in spec["groups"])))
        kw.update(self._seed_access(products, spec["product_admin"], kw["groups"]))
        kw["picture"] = kw["avatar"] = self._initials_avatar(spec["name"], index)
        return User(**kw)

    def _seed_access(self, products, product_admin, groups, direct_too=False):
        """direct, activity and the derived fields of a seeded user that was
        generated with `products` ((key, site, Stamp or None), ...), as
        atlassian/admin too when product_admin, and these groups.  Users
        share few (products, admin, groups) combinations: the derivation is
        memoised, so generation stays ~as fast as before (a bounded dict)."""
        sig = (tuple([p[:2] for p in products]), product_admin, groups, direct_too)
        got = self._seed_memo.get(sig)
        if got is None:
            got = self._seed_derive(*sig)
            if len(self._seed_memo) >= SEED_MEMO_MAX:
                self._seed_memo.clear()
            self._seed_memo[sig] = got
        direct, access, admin, same = got
        activity = {(key, site): stamp for key, site, stamp in products if stamp is not None}
        if not same:  # the groups grant more than it was generated with
            products = A.products_of(access, activity)
        return dict(direct=direct, groups=groups, activity=activity, access=access,
                    products=products, product_admin=admin)

    def _seed_derive(self, pairs, product_admin, groups, direct_too):
        """(direct, access, product admin?, access pairs == pairs?) for _seed_access."""
        roles = A.PRODUCT_ROLES if product_admin else A.PRODUCT_ROLES[:1]
        held = [(key, site, role) for key, site in pairs for role in roles]
        granted = {(key, site, role) for g in groups for site, key, role in self.seed_grants[g]}
        direct = A.seeded_direct(held, granted)
        if direct_too:
            both = next((h for h in held if h in granted and h[2] == A.USER), None)
            if both:
                direct = tuple(h for h in held if h not in granted or h == both)
        access = A.derive(self.access_rank, self.seed_grants.__getitem__, direct, groups)
        return direct, access, A.is_admin(access), tuple(a[:2] for a in access) == pairs

    def _derived(self, direct, groups, activity, grants_of):
        access = A.derive(self.access_rank, grants_of, direct, groups)
        return dict(direct=direct, groups=groups, activity=activity, access=access,
                    products=A.products_of(access, activity), product_admin=A.is_admin(access))

    def _direct_too(self, index):
        """Whether generated user `index` keeps a direct grant a group duplicates
        (multiplicative hashing of seed and index: cheap, and no draw)."""
        mixed = ((index * 0x9E3779B1) ^ (self.seed * 0x85EBCA6B)) & 0xFFFFFFFF
        return (mixed * 0xC2B2AE35 & 0xFFFFFFFF) >> 16 < 0x10000 // DIRECT_TOO

    def _rng(self, index, stage):
        return SeededRandom(((self.seed & 0xFFFFFFFF) << 40) | (index << 2) | stage)

    def _make_user(self, index):
        if index < len(self.fixed):
            return self.fixed[index]
        r = self._rng(index, 0)
        kw = dict(index=index, account_id=self.codec.encode(index))
        kw.update(self._gen_claim_and_status(r))
        profile, dept_group = self._gen_profile(r, index, kw["claim"])
        kw.update(profile)
        kw.update(self._gen_access(r, kw["claim"], kw["base_status"], dept_group,
                                   self._direct_too(index)))
        return User(**kw)

    @staticmethod
    def _gen_claim_and_status(r):
        managed = r.random() < 0.8
        if managed:
            source = "synced" if r.random() < 0.25 else "invited"
            status = r.pick(*MANAGED_STATUSES)
        else:
            source = None
            status = r.pick(*UNMANAGED_STATUSES)
        return dict(claim="managed" if managed else "unmanaged", source=source,
                    base_status=status, mfa=r.random() < (0.7 if managed else 0.35),
                    email_verified=r.random() < 0.96,
                    added=Stamp(r.randrange(0, 5 * 365), r.randrange(3600, 82800),
                                r.randrange(0, 1000) * 10**6))

    def _gen_profile(self, r, index, claim):
        """(profile fields, the department's group name or None)."""
        first, last = r.choice(D.FIRST_NAMES), r.choice(D.LAST_NAMES)
        managed = claim == "managed"
        domain = (r.pick(D.MANAGED_DOMAINS, MANAGED_DOMAIN_WEIGHTS) if managed
                  else r.choice(D.UNMANAGED_DOMAINS))
        dept = r.choice(D.DEPARTMENTS) if r.random() < (0.75 if managed else 0.1) else None
        loc = r.choice(D.LOCATIONS)
        name = f"{first} {last}"
        out = dict(name=name, nickname=self._nickname(r, first, last),
                   email=f"{self._email_local(r, first, last)}{index}@{domain}",
                   department=dept[0] if dept else None,
                   job_title=r.choice(D.JOB_TITLES) if r.random() < (0.75 if managed else 0.2) else None,
                   organization=r.choice(D.ORGANIZATIONS) if managed and r.random() < 0.6 else None,
                   location=loc[0] if r.random() < 0.7 else None,
                   time_zone=loc[1] if r.random() < 0.85 else None)
        if r.random() < 0.6:
            out["picture"] = f"{AVATAR_HOST}/{r.getrandbits(128):032x}/128"
        else:
            out["picture"] = self._initials_avatar(name, index)
        out["avatar"] = out["picture"]
        return out, (dept[1] if dept else None)

    @staticmethod
    def _nickname(r, first, last):
        style = r.random()
        if style < 0.45:
            return first
        if style < 0.7:
            return f"{first} {last}"
        if style < 0.9:
            return (first[0] + last).lower().replace(" ", "").replace("'", "")
        return f"{first} {last[0]}"

    @staticmethod
    def _email_local(r, first, last):
        clean = lambda s: CLEAN_RE.sub("", s.lower())
        style = r.random()
        if style < 0.7:
            return f"{clean(first)}.{clean(last)}"
        if style < 0.9:
            return clean(first)[0] + clean(last)
        return clean(first)

    @staticmethod
    def _initials_avatar(name, index):
        initials = "".join(p[0] for p in name.split()[:2]).upper()
        return f"{AVATAR_HOST}/initials/{initials}-{index % 6}.png"

    def _gen_access(self, r, claim, base_status, dept_group, direct_too):
        managed = claim == "managed"
        roles = []
        if managed and r.random() < 0.004:
            roles.append("atlassian/org-admin")
        if managed and r.random() < 0.01:
            roles.append("atlassian/site-admin")
        if managed and r.random() < 0.005:
            roles.append("atlassian/user-access-admin")
        if r.random() < 0.15:
            roles.append("atlassian/ai-access")
        products = self._gen_products(r)
        if base_status == "not_invited":
            # no membership, no access: roles and groups are the directory's
            # (the draws above still happen, so no other value moves)
            products = ()
        product_admin = managed and r.random() < 0.04
        on_a = {key for key, site, _ in products if site == self.site_a[key]}
        groups = self._gen_groups(r, managed, base_status, roles, products, on_a,
                                  product_admin, dept_group)
        if base_status == "not_invited":
            groups = tuple(g for g in groups if not self.groups[g]["grants"])
        return dict(platform_roles=tuple(roles),
                    **self._seed_access(products, product_admin, groups, direct_too))

    def _gen_products(self, r):
        keys = [k for k, p in (("jira-software", 0.7), ("confluence", 0.65),
                               ("jira-servicedesk", 0.2), ("jira-core", 0.12)) if r.random() < p]
        if not keys and r.random() < 0.9:
            keys = [r.choice(("jira-software", "confluence"))]
        out = []
        for key in keys:
            where = r.random()
            site_nos = (0,) if where < 0.85 else ((1,) if where < 0.93 else (0, 1))
            for site_no in site_nos:
                out.append((key, self.site_ari(key, site_no), self._gen_last_active(r)))
        return tuple(out)

    @staticmethod
    def _gen_last_active(r):
        """None = never used; else mostly recent, with a long tail over ~3 years."""
        if r.random() < 0.1:
            return None
        days = r.randrange(0, 31) if r.random() < 0.6 else r.randrange(0, 3 * 365)
        return Stamp(days, r.randrange(3600, 82800), r.randrange(0, 10**9))

    @staticmethod
    def _gen_groups(r, managed, base_status, roles, products, on_a, product_admin, dept_group):
        """Memberships follow access (product groups, admin groups), employment
        (all-staff, department) and a little randomness, as in real orgs.

        Groups that grant one product (the product groups, confluence-admins)
        grant it on site A, so only users who hold it there join them: the
        group grants nothing they were not generated with.  site-admins (the
        site and org admins) and jira-admins (Jira's product admins) grant
        admin on several products of site A, and their members hold all of
        it: the access they were generated with plus the group's."""
        names = {D.PRODUCT_GROUP[key] for key in on_a}
        if "atlassian/site-admin" in roles or "atlassian/org-admin" in roles:
            names.add("site-admins")
        kinds = {dict(D.PRODUCTS)[key] for key, _, _ in products}
        if product_admin and "jira" in kinds:
            names.add("jira-admins")
        if product_admin and "confluence" in on_a:
            names.add("confluence-admins")
        if managed:
            names.add("acme-all-staff")
        if dept_group:
            names.add(dept_group)
        if r.random() < (0.03 if managed else 0.6):
            names.add("contractors")
        for name, p in (("interns", 0.03), ("managers", 0.08), ("release-managers", 0.03)):
            if r.random() < p:
                names.add(name)
        if base_status in ("deactivated", "for_deletion") and r.random() < 0.5:
            names.add("offboarding")
        return tuple(sorted(D.GROUP_INDEX[n] for n in names))

    # ---- lookups ----------------------------------------------------------
    def user(self, index):
        """User `index` as it is now: its edited copy, else the seeded one."""
        edited = self.edits.get(index)
        return edited if edited is not None else self.seeded_user(index)

    def index_of_account(self, account_id):
        if account_id in self.fixed_by_id:
            return self.fixed_by_id[account_id]
        index = self.codec.decode(account_id)
        if index is None or not len(self.fixed) <= index < self.n_users:
            return None
        return index if self.user(index).account_id == account_id else None

    def index_of_email(self, email):
        email = email.lower()
        if email in self.email_owner:
            return self.email_owner[email]
        if email in self.fixed_by_email:
            index = self.fixed_by_email[email]
        else:
            m = EMAIL_INDEX_RE.search(email)
            if not m or len(m.group(1)) > 12:
                return None
            index = int(m.group(1))
            if not len(self.fixed) <= index < self.n_users:
                return None
        # The seeded address no longer finds a user whose email was changed.
        return index if self.user(index).email.lower() == email else None

    def nickname_order(self):
        """Indexes sorted by nickname (case-insensitive), ties by index; cached."""
        if self._nick_order is None:
            self._nick_order = sorted(range(self.n_users),
                                      key=lambda i: (self.user(i).nickname.lower(), i))
        return self._nick_order

    # ---- lifecycle state --------------------------------------------------
    def state(self, user):
        """(accountStatus, membershipStatus, status) now."""
        got = self.overlay.get(user.index)
        if got:
            return got
        acc, mem = STATUS_TRIPLES[user.base_status]
        return acc, mem, user.base_status

    def set_account_status(self, user, active, for_deletion=False):
        with self.lock:
            _, mem, _ = self.state(user)
            if for_deletion:
                self.overlay[user.index] = ("inactive", mem, "for_deletion")
            elif active:
                self.overlay[user.index] = ("active", mem, COMPOSITE[mem])
            else:
                self.overlay[user.index] = ("inactive", mem, "deactivated")
            self.version += 1

    def set_membership(self, user, mem):
        """Directory membership (suspend, restore, remove).  The composite
        status follows it while the account is active; deactivated and
        for_deletion win over any membership."""
        with self.lock:
            acc, _, status = self.state(user)
            self.overlay[user.index] = (acc, mem, COMPOSITE[mem] if acc == "active" else status)
            self.version += 1

    def set_jira_listed(self, user, listed):
        """Whether the Jira site's user base holds the user (DELETE
        /rest/api/3/user removes; product access on a Jira site re-adds)."""
        with self.lock:
            if listed:
                self.jira_removed.discard(user.index)
            else:
                self.jira_removed.add(user.index)
            self.version += 1

    def grants_of(self, g):
        """What group g grants now: ((site ARI, product key, role), ...)."""
        return self.groups[g]["grants"]

    def edit(self, user, **changes):
        """Change fields of a user (its current copy); returns the new copy.
        A change of direct assignments, groups or activity derives the
        access afresh, from what the groups grant now."""
        with self.lock:
            old = self.user(user.index)
            if any(k in changes for k in ACCESS_FIELDS):
                mine = {k: changes.get(k, getattr(old, k)) for k in ACCESS_FIELDS}
                changes.update(self._derived(mine["direct"], mine["groups"], mine["activity"],
                                             self.grants_of))
            new = old.replace(**changes)
            self.edits[user.index] = new
            if "email" in changes:
                self.email_owner.pop(old.email.lower(), None)
                self.email_owner[new.email.lower()] = user.index
            if "nickname" in changes:
                self._nick_order = None  # sortBy nick_name must see it
            self.version += 1
            return new

    def refresh_access(self, user):
        """Derive a user's access again after a group's grants changed;
        returns (old copy, new copy), the same object when nothing changed."""
        with self.lock:
            old = self.user(user.index)
            access = A.derive(self.access_rank, self.grants_of, old.direct, old.groups)
            if access == old.access:
                return old, old
            return old, self.edit(old, groups=old.groups)

    def set_activity(self, user, key, site, stamp):
        """Set (Stamp) or clear (None) a user's last activity on a product and site."""
        with self.lock:
            activity = dict(self.user(user.index).activity)
            if stamp is None:
                activity.pop((key, site), None)
            else:
                activity[(key, site)] = stamp
            return self.edit(user, activity=activity)

    # ---- ground truth -----------------------------------------------------
    @staticmethod
    def is_inactive(user, product, days):
        """Has access to product, and never used it or last used it (newest
        over all sites) more than `days` days before start."""
        stamps = [s for key, _, s in user.products if key == product]
        if not stamps:
            return False
        used = [s.age_ns() for s in stamps if s is not None]
        return not used or min(used) > days * DAY * 10**9

    def describe(self):
        return dict(org_id=self.org_id, directory_id=self.directory_id, users=self.n_users,
                    seed=self.seed, start_time_ns=self.clock.start_ns,
                    fixed_users=len(self.fixed), managed_domains=list(D.MANAGED_DOMAINS),
                    domains=[dict(id=d["id"], name=d["name"], status=d["status"])
                             for d in self.domains],
                    sites={k: v for k, v in self.sites.items()},
                    workspaces=[dict(id=w["id"], type=w["product"], name=w["name"],
                                     host_url=w["host_url"]) for w in self.workspaces],
                    products=[p for p, _ in D.PRODUCTS],
                    groups=[dict(id=g["uuid"], ari=f"ari:cloud:identity::group/{g['uuid']}",
                                 name=g["name"], description=g["description"],
                                 synced=g["synced"]) for g in self.groups],
                    group_ids={g["name"]: g["uuid"] for g in self.groups},
                    app_accounts=[dict(account_id=a, name=n) for a, n in self.apps],
                    api_key_owner=self.fixed[0].account_id if self.fixed else None)


def hash_token(key, *parts):
    """Opaque 22-char URL-safe token (like the spec's links.self examples)."""
    raw = keyed_hash(key, *parts, size=16).to_bytes(16, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
