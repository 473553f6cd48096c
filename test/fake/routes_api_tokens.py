"""User management API: a managed account's API tokens (REFERENCE.md §6).

GET    /users/{account_id}/manage/api-tokens            -> 200 bare array of ApiTokenModel
DELETE /users/{account_id}/manage/api-tokens/{tokenId}  -> 204

Every managed account has 0 to 3 tokens drawn from (seed, account id), so
they are the same in every run: id (a UUID), label, createdAt (30 days to
~2 years before start), usually lastAccess (between creation and start) and
often expiry (a year after creation, at midnight UTC; it may lie in the
future).  Oldest first.  A deleted token is gone until /__fake/reset.

Account rules as for lifecycle (404 notFound / accountNotFound); an
unmanaged account is 403 forbidden.action reason managedAccount (the
spec's Forbidden.Action).  SCIM-synced accounts' tokens are readable and
deletable: they are not the identity provider's.  An unknown token id is
404 {"key": "notFound"}.  A deletion appends an api_token_revoked event.
"""

from urllib.parse import unquote

import errors
from http_types import Response
from ids import keyed_hash, seeded_uuid
from org import DAY, Stamp
from routes_user_mgmt import find_account, forbidden_action

LABELS = ("atlorg sync", "CI pipeline", "Jira CLI", "Backup script", "Zapier",
          "Terraform", "Reporting dashboard")


def seeded_tokens(org, user):
    """The user's tokens as seeded: [(token dict, createdAt epoch ns)], oldest first."""
    if user.claim != "managed":
        return []
    out = []
    for k in range(keyed_hash(org.key, "api-tokens", user.account_id) % 4):
        r = keyed_hash(org.key, "api-token", user.account_id, k)
        days = 30 + r % 700
        created = Stamp(days, 3600 + (r >> 10) % 79200, (r >> 30) % 1000 * 10**6)
        token = {"id": seeded_uuid(org.key, "api-token", user.account_id, k),
                 "label": LABELS[(r >> 40) % len(LABELS)],
                 "createdAt": org.clock.iso(created, 3)}
        if (r >> 45) % 4:
            used = Stamp((r >> 47) % days, 3600 + (r >> 20) % 79200, (r >> 50) % 1000 * 10**6)
            token["lastAccess"] = org.clock.iso(used, 3)
        if (r >> 55) % 3:
            expiry_day = org.clock.epoch_ns(created) // 10**9 // DAY + 365
            token["expiry"] = org.clock.iso_seconds(expiry_day * DAY)[:-1] + ".000Z"
        out.append((token, org.clock.epoch_ns(created)))
    return sorted(out, key=lambda t: t[1])


def tokens(org, user):
    """The user's tokens now (seeded minus deleted)."""
    return [t for t, _ in seeded_tokens(org, user) if t["id"] not in org.revoked_tokens]


def token_owner(app, match):
    """(user, None) for a managed account, else (None, 404/403)."""
    user, problem = find_account(app, match)
    if problem:
        return None, problem
    if user.claim != "managed":
        return None, forbidden_action("managedAccount")
    return user, None


def list_tokens(app, req, match):
    user, problem = token_owner(app, match)
    if problem:
        return problem
    return Response.json(200, tokens(app.org, user))


def delete_token(app, req, match):
    user, problem = token_owner(app, match)
    if problem:
        return problem
    token_id = unquote(match.group(2))
    with app.org.lock:  # one deletion of a token wins
        token = next((t for t in tokens(app.org, user) if t["id"] == token_id), None)
        if token is None:
            return errors.um(404, "notFound")
        app.org.revoked_tokens.add(token_id)
        app.org.version += 1
        app.audit.append("api_token_revoked", user, [
            {"id": token_id, "type": "api-tokens", "attributes": {"label": token["label"]}}])
    return Response.empty(204)
