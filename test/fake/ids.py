"""Deterministic, invertible identifiers for the fake org.

Generated account ids must look like the real forms (24-hex legacy ObjectId,
557057:<uuid>, 712020:<uuid>) yet map back to a user index without a
million-entry dictionary, so a lookup by id costs O(1) even for huge orgs.
The trick: a keyed Feistel permutation turns the index into 60 pseudo-random
bits that are embedded in the id; decoding inverts the permutation, and the
caller regenerates the id for that index and compares, which rejects forged
or foreign ids.
"""

import hashlib

HALF_BITS = 30
HALF_MASK = (1 << HALF_BITS) - 1
ROUNDS = 4
PREFIX_557057 = "557057:"
PREFIX_712020 = "712020:"


def keyed_hash(key, *parts, size=8):
    """Stable hash of parts under key (bytes); returns an int of size bytes."""
    data = "\x00".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(data, key=key[:64], digest_size=size).digest(), "big")


def seeded_uuid(key, *parts):
    """A version-4-shaped UUID string derived from key and parts."""
    n = keyed_hash(key, *parts, size=16)
    h = f"{n:032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


class IdCodec:
    """Encodes user indexes as account ids and decodes them back."""

    def __init__(self, key):
        self.key = key
        # Per-round odd multipliers/offsets: the round function need not be
        # cryptographic, a Feistel network is a bijection whatever it is.
        self.round_keys = [(keyed_hash(key, "feistel", i) | 1, keyed_hash(key, "offset", i))
                           for i in range(ROUNDS)]

    def _round(self, i, half):
        mul, add = self.round_keys[i]
        x = (half * mul + add) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 29
        x = (x * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        return (x ^ (x >> 32)) & HALF_MASK

    def permute(self, index):
        left, right = index >> HALF_BITS, index & HALF_MASK
        for i in range(ROUNDS):
            left, right = right, left ^ self._round(i, right)
        return (left << HALF_BITS) | right

    def unpermute(self, value):
        left, right = value >> HALF_BITS, value & HALF_MASK
        for i in reversed(range(ROUNDS)):
            left, right = right ^ self._round(i, left), left
        return (left << HALF_BITS) | right

    def encode(self, index):
        p = f"{self.permute(index):015x}"
        noise = keyed_hash(self.key, "id", index, size=16)
        form = noise % 100  # ~40 % legacy, 35 % 557057:, 25 % 712020:
        noise_hex = f"{noise:032x}"
        if form < 40:
            # Mongo ObjectId shape: 4-byte creation time (2014..2020) first.
            ts = 0x53000000 + (noise >> 64) % 0x0C000000
            return f"{ts:08x}{noise_hex[0]}{p}"
        variant = "89ab"[int(noise_hex[1], 16) & 3]
        h = f"{p[0:12]}4{p[12:15]}{variant}{noise_hex[2:17]}"
        uuid = f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
        prefix = PREFIX_557057 if form < 75 else PREFIX_712020
        return prefix + uuid

    def decode(self, account_id):
        """Candidate index for account_id, or None; caller must re-encode to confirm."""
        try:
            if account_id.startswith((PREFIX_557057, PREFIX_712020)):
                h = account_id[7:].replace("-", "")
                if len(h) != 32:
                    return None
                payload = h[0:12] + h[13:16]
            elif len(account_id) == 24:
                payload = account_id[9:]
            else:
                return None
            return self.unpermute(int(payload, 16))
        except ValueError:
            return None
