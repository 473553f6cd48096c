"""users/search semantics: filter matching and cursor paging over the org.

A page scans the org's stable order (user index, or nickname when sortBy is
given) from the cursor's position until it has limit+1 matches; the extra
match tells whether a next page exists, so links.next is absent exactly on
the last page.  Filters are ANDed across fields and ORed within a list.
Users are rendered from usercache.py's pre-rendered bytes.
"""

from usercache import expand_mask, page_bytes

FILTER_KEYS = ("accountIds", "directoryIds", "resourceIds", "groupIds", "status",
               "accountStatus", "membershipStatus", "roleIds", "emailDomains", "emails",
               "claimStatus", "mfaEnabled", "searchTerm")
QUERY_KEYS = FILTER_KEYS + ("expand", "sortBy")


def normalise(body):
    """The part of a request body that defines the result set (goes in cursors)."""
    return {k: body[k] for k in QUERY_KEYS if k in body}


class Reversed:
    """Read-only reversed view of a list, without copying a million ints."""

    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[len(self.items) - 1 - i]


def sequence(org, q):
    """The ordered user indexes a query scans."""
    sort = q.get("sortBy")
    desc = bool(sort) and sort[0]["direction"] == "desc"
    candidates = candidate_indexes(org, q)
    if candidates is not None:
        key = (lambda i: (org.user(i).nickname.lower(), i)) if sort else None
        return sorted(candidates, key=key, reverse=desc)
    if sort:
        order = org.nickname_order()
        return Reversed(order) if desc else order
    return range(org.n_users)


def candidate_indexes(org, q):
    """Exact id/email filters resolve to a few indexes without a scan; None = scan all."""
    sets = []
    if "accountIds" in q:
        sets.append({i for i in map(org.index_of_account, q["accountIds"]) if i is not None})
    if "emails" in q:
        sets.append({i for i in map(org.index_of_email, q["emails"]) if i is not None})
    if not sets:
        return None
    return set.intersection(*sets)


def compile_query(org, q):
    """One predicate per filter present: f(user, (acc, mem, status)) -> bool.
    Built once per page so a scan over a large org stays cheap."""
    def as_set(key, lower=False):
        return {v.lower() for v in q[key]} if lower else set(q[key])
    makers = {
        "status": lambda v: lambda u, s: s[2] in v,
        "accountStatus": lambda v: lambda u, s: s[0] in v,
        "membershipStatus": lambda v: lambda u, s: s[1] in v,
        # Users with no membership are in none of the org's directories.
        "directoryIds": lambda v: lambda u, s: org.directory_id in v and s[1] != "no_membership",
        "groupIds": lambda v: lambda u, s: any(org.groups[g]["uuid"] in v for g in u.groups),
        "roleIds": lambda v: lambda u, s: not u.roles().isdisjoint(v),
        "resourceIds": lambda v: lambda u, s: any(site in v for _, site, _ in u.products),
        "emailDomains": lambda v: lambda u, s: u.domain in v,
        "emails": lambda v: lambda u, s: u.email.lower() in v,
        "accountIds": lambda v: lambda u, s: u.account_id in v,
    }
    lowered = {"emailDomains", "emails"}
    preds = [makers[k](as_set(k, k in lowered)) for k in makers if k in q]
    if "claimStatus" in q:
        preds.append(lambda u, s, v=q["claimStatus"]: u.claim == v)
    if "mfaEnabled" in q:
        preds.append(lambda u, s, v=q["mfaEnabled"]: u.mfa == v)
    if "searchTerm" in q:
        preds.append(lambda u, s, v=q["searchTerm"].lower(): matches_term(u, v))
    return preds


def matches_term(user, term):
    """Lower-cased term is a substring of display name, nickname or email (per the spec)."""
    return term in user.name.lower() or term in user.nickname.lower() or term in user.email.lower()


def has_filters(q):
    return any(k in q for k in FILTER_KEYS)


def search_page(org, cache, codec, q, start, limit, prev_start, index=None):
    """The v2 MultiDirectoryUserSearchPage for one page, as JSON bytes.
    With the org index (orgindex.py, built), filters it holds are tested on
    its compact arrays, and only matching users are generated: a page of a
    small slice of a large org scans thousands of users."""
    seq = sequence(org, q)
    matcher = index.matcher(org, q) if index is not None and has_filters(q) else None
    if matcher is not None:
        return indexed_page(org, cache, codec, q, start, limit, prev_start, index, seq, matcher)
    preds = compile_query(org, q)
    mask = expand_mask(q.get("expand", ()))
    found = []  # (position, index, state, user); one match past the page tells "next"
    pos = start
    while pos < len(seq) and len(found) <= limit:
        index = seq[pos]
        if preds:
            user = org.user(index)
            state = org.state(user)
            if all(p(user, state) for p in preds):
                found.append((pos, index, state, user))
        else:
            # Unfiltered: no need to generate the user when it is cached.
            found.append((pos, index, org.overlay.get(index) or cache.base_state(index), None))
        pos += 1
    users = [render(org, cache, index, state, mask, user)
             for _, index, state, user in found[:limit]]
    return page_bytes(users, page_links(codec, q, start, limit, prev_start, found))


def indexed_page(org, cache, codec, q, start, limit, prev_start, index, seq, matcher):
    """search_page's scan with the index's matcher (same semantics)."""
    mask = expand_mask(q.get("expand", ()))
    found = []
    pos = start
    while pos < len(seq) and len(found) <= limit:
        i = seq[pos]
        if matcher(i):
            found.append((pos, i, index.state(org, i), None))
        pos += 1
    users = [render(org, cache, i, state, mask, None) for _, i, state, _ in found[:limit]]
    return page_bytes(users, page_links(codec, q, start, limit, prev_start, found))


def render(org, cache, index, state, mask, user):
    """Cached bytes for a seeded user; an edited one is rendered afresh."""
    edited = org.edits.get(index)
    if edited is not None:
        return cache.render_user(edited, state, mask)
    return cache.render(index, state, mask, user)


def page_links(codec, q, start, limit, prev_start, found):
    def cursor(o, p):
        return codec.encode({"o": o, "p": p, "l": limit, "q": q})
    if not has_filters(q):
        prev_start = max(0, start - limit)  # exact when every user matches
    links = {"self": cursor(start, prev_start if start > 0 else None)}
    if start > 0 and prev_start is not None:
        links["prev"] = cursor(prev_start, None)
    if len(found) > limit:
        links["next"] = cursor(found[limit][0], start)
    return links
