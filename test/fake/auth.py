"""Who is calling: org API keys (Bearer) and the Jira site's Basic credentials.

Three credentials are accepted (REFERENCE.md §1):
- the org API key without scopes (--api-key): every Organizations and User
  management operation;
- an org API key with scopes (--scoped-api-key): only the Organizations
  operations that name a scope; the others answer 403 (see router.py);
- the Jira site's email:api_token as HTTP Basic (--site-email,
  --site-token): only the Jira paths.  A Bearer key on Jira, or Basic on the
  admin APIs, is a 401, as on the real services.

The log never holds a credential: inspect() returns {"scheme", "key_ok"}
(and "scoped": true for the scoped key) to log in its place.
"""

import base64
import binascii
import hmac

FULL = "full"       # org API key without scopes
SCOPED = "scoped"   # org API key with scopes
SITE = "site"       # Jira site email:api_token


class Credentials:
    def __init__(self, api_key, scoped_key, site_email, site_token):
        self.api_key = api_key.encode()
        self.scoped_key = scoped_key.encode()
        self.site = f"{site_email}:{site_token}".encode()


def same(a, b):
    return hmac.compare_digest(a, b)


def inspect(headers, creds):
    """(log record or None when no header, kind: FULL/SCOPED/SITE or None)."""
    value = headers.get("authorization")
    if value is None:
        return None, None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip().encode()
    kind = None
    if scheme.lower() == "bearer":
        if same(token, creds.api_key):
            kind = FULL
        elif creds.scoped_key and same(token, creds.scoped_key):
            kind = SCOPED
    elif scheme.lower() == "basic" and same(decode_basic(token), creds.site):
        kind = SITE
    record = {"scheme": scheme or None, "key_ok": kind is not None}
    if kind == SCOPED:
        record["scoped"] = True
    return record, kind


def decode_basic(token):
    try:
        return base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return b""
