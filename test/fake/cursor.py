"""Opaque, tamper-evident page cursors for users/search.

A cursor carries everything needed to continue a search (scan position,
previous page's position, limit and the normalised query), because the real
v2 API documents that with a cursor "all other parameters are discarded".
Format: base64url(no padding) of an 8-byte HMAC followed by zlib(JSON).
Anything that fails to decode or verify is rejected (400).
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import zlib

MAC_LEN = 8
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,20000}")


class CursorCodec:
    def __init__(self, key):
        self.key = key

    def _mac(self, payload):
        return hmac.new(self.key, payload, hashlib.sha256).digest()[:MAC_LEN]

    def encode(self, state):
        payload = zlib.compress(json.dumps(state, sort_keys=True, separators=(",", ":")).encode())
        return base64.urlsafe_b64encode(self._mac(payload) + payload).decode().rstrip("=")

    def decode(self, token):
        """The state dict, or None when the token is not one of ours."""
        # b64decode silently skips foreign characters: check the alphabet first.
        if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        mac, payload = raw[:MAC_LEN], raw[MAC_LEN:]
        if len(mac) != MAC_LEN or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            state = json.loads(zlib.decompress(payload))
        except (zlib.error, ValueError):
            return None
        return state if _well_formed(state) else None


def _well_formed(state):
    def is_pos(v):
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0
    return (isinstance(state, dict) and is_pos(state.get("o"))
            and (state.get("p") is None or is_pos(state.get("p")))
            and is_pos(state.get("l")) and isinstance(state.get("q"), dict))
