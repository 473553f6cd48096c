"""users/search JSON rendered once per user and kept as bytes.

Generating a user (org.py) and rendering it cost ~35 µs; a page of 100
would take ~4 ms.  So each user's MultiDirectoryUser JSON is cut into
fragments the first time it is needed and kept:

    head    {"accountId": "...", "accountType": "atlassian",
    <state> "accountStatus": ..., "status": ..., "membershipStatus": ...,   (per request)
    mid     "claimStatus": ... up to the optional profile strings
    roles   , "platformRoles": [...]          \
    counts  , "counts": {"resources": N}       | only when expanded
    access  , "productAccess": [...]           |
    groups  , "groups": [...]                 /
    tail    , "links": {"self": "..."}}

plus the user's seeded (accountStatus, membershipStatus, status).  Nothing
cached depends on lifecycle state, which is spliced in per request from the
org's overlay, so the cache survives /__fake/reset.  Users changed by a
write (Org.edits) are never cached: render_user builds them afresh.  A page is then a join
of ~700 byte strings: ~0.2 ms for 100 users.

The cache stops growing at a byte budget (--cache-mb): an org of a million
users is rendered on the fly past that point.  Key order and values equal
render.user_v2's, and so do the bytes: json.dumps' default separators
(test_fake.py checks every expand combination).
"""

import itertools
import json
from json.encoder import encode_basestring_ascii as jstr

from org import STATUS_TRIPLES, hash_token
from render import OPTIONAL_STRINGS

EXPANDS = ("platformRoles", "counts.resources", "productAccess", "groups")
PER_ENTRY_OVERHEAD = 420  # bytes objects, tuple and dict slot, measured on 3.11
BOOL = {True: "true", False: "false"}


def expand_mask(expand):
    return sum(1 << i for i, name in enumerate(EXPANDS) if name in expand)


def state_fragment(triple):
    acc, mem, status = triple
    return (f'"accountStatus": "{acc}", "status": "{status}", '
            f'"membershipStatus": "{mem}", ').encode()


# Every (accountStatus, membershipStatus, status) the overlay can produce.
STATE_FRAGMENTS = {t: state_fragment(t) for t in itertools.product(
    ("active", "inactive", "closed"), ("active", "suspended", "no_membership"), STATUS_TRIPLES)}


def group_fragment(group):
    return json.dumps({"id": f"ari:cloud:identity::group/{group['uuid']}", "name": group["name"],
                       "description": group["description"]}).encode()


class UserCache:
    def __init__(self, org, budget_bytes):
        self.org = org  # any Org of this seed: the cached parts are state-free
        self.budget = budget_bytes
        self.used = 0
        self.frags = {}  # index -> (head, mid, roles, counts, access, groups, tail, base)
        self.group_refs = [group_fragment(g) for g in org.groups]
        self.on_generate = None  # (index, user) -> None: the org index records facts

    def fragments(self, index, user=None):
        got = self.frags.get(index)
        if got is None:
            if user is None:
                # Generated for the cache only: bypass the org's user LRU.
                user = self.org._make_user(index)
                if self.on_generate:
                    self.on_generate(index, user)
            got = self.build(user)
            size = sum(len(p) for p in got[:7]) + PER_ENTRY_OVERHEAD
            if self.used + size <= self.budget:
                self.frags[index] = got  # a racing duplicate build is harmless
                self.used += size
        return got

    def full(self):
        """No room for another user (about: entries vary in size)."""
        return self.used + 2 * PER_ENTRY_OVERHEAD > self.budget

    def base_state(self, index):
        """The seeded (accountStatus, membershipStatus, status)."""
        return self.fragments(index)[7]

    def render(self, index, state, mask, user=None):
        """One user's JSON bytes; state is the current triple (org.state)."""
        return join(self.fragments(index, user), state, mask)

    def render_user(self, user, state, mask):
        """An edited user's JSON bytes, built each time and never cached
        (the cache holds seeded users only and outlives /__fake/reset)."""
        return join(self.build(user), state, mask)

    def build(self, u):
        org = self.org
        head = f'{{"accountId": {jstr(u.account_id)}, "accountType": "atlassian", '.encode()
        mid = [f'"claimStatus": "{u.claim}", "managementSource": '
               f'{jstr(u.source) if u.source else "null"}, "name": {jstr(u.name)}, '
               f'"nickname": {jstr(u.nickname)}, "email": {jstr(u.email)}, '
               f'"emailVerified": {BOOL[u.email_verified]}, "picture": {jstr(u.picture)}, '
               f'"avatar": {jstr(u.avatar)}, "addedToOrg": "{org.clock.iso(u.added, 3)}", '
               f'"mfaEnabled": {BOOL[u.mfa]}']
        for key, attr in OPTIONAL_STRINGS:
            value = getattr(u, attr)
            if value is not None:
                mid.append(f', "{key}": {jstr(value)}')
        roles = ', "platformRoles": [' + ", ".join(map(jstr, u.platform_roles)) + "]"
        counts = f', "counts": {{"resources": {len({site for _, site, _ in u.products})}}}'
        access = ', "productAccess": [' + ", ".join(
            f'{{"id": "{site}", "key": "{key}"}}' if stamp is None else
            f'{{"id": "{site}", "key": "{key}", "lastActiveTimestamp": '
            f'"{org.clock.iso(stamp, 9)}"}}'
            for key, site, stamp in u.products) + "]"
        groups = b', "groups": [' + b", ".join(self.group_refs[g] for g in u.groups) + b"]"
        tail = f', "links": {{"self": "{hash_token(org.key, "user", u.account_id)}"}}}}'
        acc, mem = STATUS_TRIPLES[u.base_status]
        return (head, "".join(mid).encode(), roles.encode(), counts.encode(), access.encode(),
                groups, tail.encode(), (acc, mem, u.base_status))


def join(f, state, mask):
    parts = [f[0], STATE_FRAGMENTS[state], f[1]]
    for bit in range(4):
        if mask >> bit & 1:
            parts.append(f[2 + bit])
    parts.append(f[6])
    return b"".join(parts)


def page_bytes(users, links):
    """A {"data": [...], "links": {...}} page from rendered users, byte for
    byte what json.dumps(page) gave before the cache (fault tests cut
    bodies at fixed offsets, so the bytes matter)."""
    return (b'{"data": [' + b", ".join(users) + b'], "links": '
            + json.dumps(links).encode() + b"}")
