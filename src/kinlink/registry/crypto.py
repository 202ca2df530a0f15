"""Field-level encryption at rest for contact details and DNA data.

Fernet (AES-128-CBC with HMAC-SHA256) from ``cryptography``. Keys come from ``KINLINK_FIELD_KEY``:
one or more comma-separated Fernet keys, the first used for new writes (so keys can rotate).
Without it, a development key is derived from ``SECRET_KEY``; production must set its own.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "fernet:"


class DecryptionError(RuntimeError):
    """Stored ciphertext that no configured key opens."""


@cache
def _fernet(keys: str, secret: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    derived = base64.urlsafe_b64encode(hashlib.sha256(("kinlink-field-key:" + secret).encode()).digest())
    return MultiFernet([Fernet(derived)])


def _current() -> MultiFernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY)


def encrypt_text(plain: str) -> str:
    return PREFIX + _current().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_text(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise DecryptionError("stored value is not kinlink ciphertext")
    try:
        return _current().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionError("no configured KINLINK_FIELD_KEY opens this value") from exc
