"""The stored form of a family's access code: a memory-hard hash (argon2id) of a keyed digest of the code.

``a2$<memory KiB>$<passes>$<salt>$<tag>``: argon2id (one lane) over HMAC-SHA-256 of the normalised code
under the secret key, with a random 16-byte salt and a 16-byte tag (base64url, no padding); 56 characters
with the default cost, so the column (64) holds it. The secret key makes a stolen database useless without
it; the memory-hard hash makes each guess cost memory and time even to someone holding both. The cost is
stored with each hash: changing ``KINLINK_FAMILY_CODE_HASH_MEMORY_KIB`` or ``..._TIME`` leaves every stored
code valid, and a code checked right is stored again at the new cost (:func:`needs_rehash`).

Codes stored before (a plain 64-hex SHA-256 digest under the secret key) still open: they are checked with
the same hashing cost as a new one (a dummy argon2id), so the time taken does not say which form a request
has, and are stored again as argon2id when checked right.

The work per check is bounded elsewhere (``kinlink.portal.family``: a few checks at once per process, and
the rate limits), docs/security.md "The family's access code".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2.low_level import Type, hash_secret_raw
from django.conf import settings

PREFIX = "a2"
SALT_BYTES = 16
TAG_BYTES = 16
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def normalise(code: str) -> str:
    """The code as typed, made canonical: case, spaces and dashes ignored, I/L read as 1 and O as 0."""
    cleaned = "".join(ch for ch in code.upper() if not ch.isspace() and ch not in "-‐‑‒–—_.")
    return cleaned.translate(_LOOKALIKES)


@dataclass(frozen=True)
class Cost:
    """argon2id's cost: memory in KiB and passes over it (one lane)."""

    memory_kib: int
    passes: int

    @classmethod
    def from_settings(cls) -> Cost:
        return cls(settings.FAMILY_CODE_HASH_MEMORY_KIB, settings.FAMILY_CODE_HASH_TIME)


def _keyed(code: str, key: str) -> bytes:
    """The keyed digest of the normalised code (hex, as the former stored form was)."""
    return hashlib.sha256(("kinlink-access:" + key + ":" + normalise(code)).encode()).hexdigest().encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(secret: bytes, salt: bytes, cost: Cost) -> bytes:
    return hash_secret_raw(secret, salt, cost.passes, cost.memory_kib, 1, TAG_BYTES, Type.ID)


def make(code: str, key: str | None = None, cost: Cost | None = None) -> str:
    """The stored form of ``code`` under the secret key (``key``: another one)."""
    cost = cost or Cost.from_settings()
    salt = os.urandom(SALT_BYTES)
    tag = _tag(_keyed(code, settings.SECRET_KEY if key is None else key), salt, cost)
    return f"{PREFIX}${cost.memory_kib}${cost.passes}${_b64(salt)}${_b64(tag)}"


@dataclass(frozen=True)
class _Parsed:
    cost: Cost
    salt: bytes
    tag: bytes


def _parse(stored: str) -> _Parsed | None:
    parts = stored.split("$")
    if len(parts) != 5 or parts[0] != PREFIX:
        return None
    try:
        return _Parsed(Cost(int(parts[1]), int(parts[2])), _unb64(parts[3]), _unb64(parts[4]))
    except ValueError:
        return None


def _is_legacy(stored: str) -> bool:
    return len(stored) == 64 and all(ch in "0123456789abcdef" for ch in stored)


@lru_cache(maxsize=4)
def _dummy(cost: Cost) -> _Parsed:
    parsed = _parse(make(secrets.token_hex(10), key="kinlink-dummy", cost=cost))
    assert parsed is not None
    return parsed


def dummy() -> str:
    """A stored form no code opens, at the current cost: a request number that does not exist costs the
    same hashing as a wrong code for one that does."""
    parsed = _dummy(Cost.from_settings())
    return f"{PREFIX}${parsed.cost.memory_kib}${parsed.cost.passes}${_b64(parsed.salt)}${_b64(parsed.tag)}"


def check(stored: str, code: str) -> bool:
    """Whether ``code`` opens ``stored``, under the secret key or a former one still listed in
    ``SECRET_KEY_FALLBACKS``. Every key is tried and every form costs one argon2id per key (an empty or
    malformed stored form, and a former SHA-256 one, hash against a dummy), so the time taken tells
    neither which key matched nor which form the request has."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    parsed = _parse(stored)
    matches = []
    for key in keys:
        keyed = _keyed(code, key)
        if parsed is not None:
            matches.append(hmac.compare_digest(parsed.tag, _tag(keyed, parsed.salt, parsed.cost)))
            continue
        fake = _dummy(Cost.from_settings())
        hmac.compare_digest(fake.tag, _tag(keyed, fake.salt, fake.cost))
        legacy = _is_legacy(stored) and hmac.compare_digest(stored.encode(), keyed)
        matches.append(legacy)
    return any(matches)


def needs_rehash(stored: str) -> bool:
    """Whether a code that opened ``stored`` should be stored again: the former SHA-256 form, or another
    cost than the settings'."""
    parsed = _parse(stored)
    return parsed is None or parsed.cost != Cost.from_settings()
