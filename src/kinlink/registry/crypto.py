"""Encryption at rest: envelope encryption with a data key per tracing request (crypto-shredding).

The scheme (docs/operator.md, "Data at rest"):

- **The operator's key** (``KINLINK_FIELD_KEY``: one or more comma-separated Fernet keys, the first wraps
  new keys, the others still unwrap, so the key can rotate) never encrypts personal data itself: it
  *wraps* data keys. Without it, a key is derived from ``SECRET_KEY`` only when ``DEBUG`` is on or
  ``KINLINK_DEVELOPMENT_KEYS=1``; otherwise reading or writing encrypted data raises
  :class:`FieldKeyMissing`.
- **Data keys** (:class:`kinlink.registry.models.DataKey`): one per tracing request (everything the
  request brings: enquirer, contact, circumstances, messages, updates, case notes, attachments, issued
  documents), one per organisation for what belongs to no request (a lab's remains profiles, a list's
  sources and their files), one for the instance (values written with no owner, e.g. PFIF contacts).
  The database row holds only the key's id and scope; the wrapped key itself is a file in
  ``KINLINK_KEY_DIR`` (default ``var/keys``), *outside the database*, so a database dump or backup
  holds no key at all.
- **Crypto-shredding**: :func:`shred_request_key` destroys the request's key file. Every copy of that
  request's ciphertext (the live database, dumps, backups, encrypted attachments) is then unreadable,
  with any key the instance still holds.

Ciphertext names its key: ``kl1:<key id>:<Fernet token>`` for text, ``KLF1`` + 16 bytes of key id +
token for files. The former single-key ciphertext (``fernet:``) is still read with the operator's key.
Unwrapped keys are cached per process (an LRU with a time limit), so a page does not unwrap per field.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from kinlink.registry.models import DataKey, Organisation, TracingRequest

PREFIX = "fernet:"  # the former single-key ciphertext, read only
ENVELOPE_PREFIX = "kl1:"
FILE_MAGIC = b"KLF1"

#: How many unwrapped data keys a process keeps, and for how long (seconds): a key shredded by another
#: process stays usable here at most this long.
KEY_CACHE_SIZE = 2048
KEY_CACHE_SECONDS = 300.0


class DecryptionError(RuntimeError):
    """Stored ciphertext that no configured key opens."""


class KeyShredded(DecryptionError):
    """The data key this ciphertext needs has been destroyed: the data is gone for good."""


class FieldKeyMissing(ImproperlyConfigured):
    """Production without ``KINLINK_FIELD_KEY``: refused rather than derived from ``SECRET_KEY``."""


# --- the operator's key ----------------------------------------------------------------------------------


def development_keys_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "KINLINK_DEVELOPMENT_KEYS", False))


@cache
def _fernet(keys: str, secret: str, derive: bool) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    if not derive:
        raise FieldKeyMissing(
            "KINLINK_FIELD_KEY is not set: production needs its own key (a Fernet key; see docs/operator.md, "
            "'Data at rest'). A key derived from the secret key is used only with KINLINK_DEBUG=1 or "
            "KINLINK_DEVELOPMENT_KEYS=1."
        )
    derived = base64.urlsafe_b64encode(hashlib.sha256(("kinlink-field-key:" + secret).encode()).digest())
    return MultiFernet([Fernet(derived)])


def operator_keys() -> MultiFernet:
    """The operator's keys (first wraps, all unwrap); raises :class:`FieldKeyMissing` in production."""
    return _fernet(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY, development_keys_allowed())


def _primary_operator_key() -> Fernet:
    return operator_keys()._fernets[0]


def wrap(data_key: bytes) -> str:
    """A data key encrypted with the operator's first key."""
    return operator_keys().encrypt(data_key).decode("ascii")


def unwrap(wrapped: str) -> bytes:
    """A wrapped data key opened with any of the operator's keys."""
    try:
        return operator_keys().decrypt(wrapped.strip().encode("ascii"))
    except InvalidToken as exc:
        raise DecryptionError("no configured KINLINK_FIELD_KEY unwraps this data key") from exc


def wrapped_with_primary(wrapped: str) -> bool:
    """Whether the operator's first key (the one new keys are wrapped with) opens ``wrapped``."""
    try:
        _primary_operator_key().decrypt(wrapped.strip().encode("ascii"))
    except InvalidToken:
        return False
    return True


# --- the key store: wrapped data keys as files outside the database --------------------------------------


def key_dir() -> Path:
    return Path(settings.KINLINK_KEY_DIR)


def key_path(key_id: uuid.UUID) -> Path:
    return key_dir() / f"{key_id.hex}.key"


def write_wrapped_key(key_id: uuid.UUID, wrapped: str) -> None:
    """Write (or replace) a wrapped key atomically: a crash leaves the old file or the new one."""
    target = key_path(key_id)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(wrapped)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: Threads that fsync a batch of new key files at once (the file system commits them together).
FSYNC_THREADS = 16


def _fsync_path(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_wrapped_keys(keys: Sequence[tuple[uuid.UUID, str]]) -> None:
    """Write many new wrapped keys, each as durable as :func:`write_wrapped_key` makes it: every file is
    written under a temporary name and fsynced before it is renamed to its key's name, so a key file is
    never seen half written; then the folder is fsynced, so the names survive a crash too. The fsyncs run
    in parallel threads: the file system commits them together, not one journal commit per key (a batch of
    10^4 requests waited a minute on them one by one). Returns when every file is on disk: a caller
    commits the rows of the keys after this, as it does after :func:`write_wrapped_key`."""
    if not keys:
        return
    from concurrent.futures import ThreadPoolExecutor

    folder = key_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: list[tuple[Path, Path]] = []
    try:
        for key_id, wrapped in keys:
            handle, name = tempfile.mkstemp(dir=folder, prefix=".part-")
            written.append((Path(name), key_path(key_id)))
            with os.fdopen(handle, "w", encoding="ascii") as out:
                out.write(wrapped)
            os.chmod(name, 0o600)
        with ThreadPoolExecutor(max_workers=min(FSYNC_THREADS, len(written))) as pool:
            list(pool.map(_fsync_path, [tmp for tmp, _ in written]))
        for tmp, target in written:
            os.replace(tmp, target)
        _fsync_path(folder)
    except BaseException:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        raise


def read_wrapped_key(key_id: uuid.UUID) -> str:
    try:
        return key_path(key_id).read_text(encoding="ascii")
    except FileNotFoundError as exc:
        raise KeyShredded(
            f"data key {key_id.hex} is not in the key store (shredded, or the store is lost)"
        ) from exc


def destroy_key_file(key_id: uuid.UUID) -> bool:
    """Overwrite the key file with random bytes and remove it; whether there was one."""
    path = key_path(key_id)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    with path.open("r+b") as handle:
        handle.write(os.urandom(max(size, 1)))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    forget_key(key_id)
    return True


def new_key_material() -> tuple[uuid.UUID, bytes]:
    """A fresh data key, wrapped and written to the key store; returns its id and the raw key."""
    key_id = uuid.uuid4()
    raw = Fernet.generate_key()
    write_wrapped_key(key_id, wrap(raw))
    _cache_put(key_id, Fernet(raw))
    return key_id, raw


def new_keys_material(count: int) -> list[tuple[uuid.UUID, bytes]]:
    """``count`` fresh data keys, wrapped and written to the key store together
    (:func:`write_wrapped_keys`); returns their ids and raw keys."""
    fresh = [(uuid.uuid4(), Fernet.generate_key()) for _ in range(count)]
    write_wrapped_keys([(key_id, wrap(raw)) for key_id, raw in fresh])
    for key_id, raw in fresh[-KEY_CACHE_SIZE:]:
        _cache_put(key_id, Fernet(raw))
    return fresh


# --- the per-process cache of unwrapped keys -------------------------------------------------------------

_cache: OrderedDict[uuid.UUID, tuple[float, Fernet]] = OrderedDict()
_cache_lock = threading.Lock()


def _cache_put(key_id: uuid.UUID, fernet: Fernet) -> None:
    with _cache_lock:
        _cache[key_id] = (time.monotonic(), fernet)
        _cache.move_to_end(key_id)
        while len(_cache) > KEY_CACHE_SIZE:
            _cache.popitem(last=False)


def forget_key(key_id: uuid.UUID | None = None) -> None:
    """Drop one unwrapped key from this process's cache (all of them with ``None``)."""
    with _cache_lock:
        if key_id is None:
            _cache.clear()
        else:
            _cache.pop(key_id, None)


def unwrap_count() -> int:
    """How many keys this process has unwrapped from the store (for tests of the cache)."""
    return _unwraps[0]


_unwraps = [0]


def data_fernet(key_id: uuid.UUID) -> Fernet:
    """The unwrapped data key, from the cache or the key store."""
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key_id)
        if hit is not None and now - hit[0] < KEY_CACHE_SECONDS:
            _cache.move_to_end(key_id)
            return hit[1]
    fernet = Fernet(unwrap(read_wrapped_key(key_id)))
    _unwraps[0] += 1
    _cache_put(key_id, fernet)
    return fernet


# --- encrypting and decrypting with a data key -----------------------------------------------------------


def encrypt_with(key: DataKey, plain: str) -> str:
    token = data_fernet(key.key_id).encrypt(plain.encode("utf-8")).decode("ascii")
    return f"{ENVELOPE_PREFIX}{key.key_id.hex}:{token}"


def encrypt_many(key: DataKey, plains: Sequence[str]) -> list[str]:
    """``[encrypt_with(key, p) for p in plains]`` for a bulk import, with the data key looked up once: each
    value is a standard ``Fernet.encrypt`` token (no hand-made cipher mode); ``decrypt_text`` opens them."""
    return encrypter(key)(plains)


def encrypter(key: DataKey) -> Callable[[Sequence[str]], list[str]]:
    """:func:`encrypt_many` with the data key looked up (and unwrapped) now: the function it returns never
    reads the key store or the cache again, so a thread that prepares an import's rows, which must not use
    the database (its connection is not the import's), can encrypt them."""
    fernet = data_fernet(key.key_id)
    prefix = f"{ENVELOPE_PREFIX}{key.key_id.hex}:"

    def encrypt(plains: Sequence[str]) -> list[str]:
        return [prefix + fernet.encrypt(plain.encode("utf-8")).decode("ascii") for plain in plains]

    return encrypt


def is_ciphertext(stored: str) -> bool:
    return stored.startswith((ENVELOPE_PREFIX, PREFIX))


def key_id_of(stored: str) -> uuid.UUID | None:
    """The id of the data key a stored value needs (``None`` for the former single-key ciphertext)."""
    if stored.startswith(ENVELOPE_PREFIX):
        return uuid.UUID(stored[len(ENVELOPE_PREFIX) : len(ENVELOPE_PREFIX) + 32])
    return None


def decrypt_text(stored: str) -> str:
    if stored.startswith(ENVELOPE_PREFIX):
        try:
            key_id = uuid.UUID(stored[len(ENVELOPE_PREFIX) : len(ENVELOPE_PREFIX) + 32])
        except ValueError as exc:
            raise DecryptionError("stored value names no data key") from exc
        token = stored[len(ENVELOPE_PREFIX) + 33 :]
        try:
            return data_fernet(key_id).decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise DecryptionError(f"data key {key_id.hex} does not open this value") from exc
    if stored.startswith(PREFIX):
        try:
            return operator_keys().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise DecryptionError("no configured KINLINK_FIELD_KEY opens this value") from exc
    raise DecryptionError("stored value is not kinlink ciphertext")


def encrypt_text(plain: str) -> str:
    """Text that belongs to no request or organisation, encrypted with the instance's data key."""
    return encrypt_with(instance_key(), plain)


def encrypt_bytes(key: DataKey, content: bytes) -> bytes:
    """A file's bytes encrypted with ``key``: ``KLF1``, the key id (16 bytes), the Fernet token."""
    return FILE_MAGIC + key.key_id.bytes + data_fernet(key.key_id).encrypt(content)


def file_key_id(blob: bytes) -> uuid.UUID | None:
    if blob.startswith(FILE_MAGIC) and len(blob) > len(FILE_MAGIC) + 16:
        return uuid.UUID(bytes=blob[len(FILE_MAGIC) : len(FILE_MAGIC) + 16])
    return None


def decrypt_bytes(blob: bytes) -> bytes:
    """A stored file's plaintext; a file stored before encryption (no ``KLF1`` header) comes back as it is."""
    key_id = file_key_id(blob)
    if key_id is None:
        return blob
    try:
        return data_fernet(key_id).decrypt(blob[len(FILE_MAGIC) + 16 :])
    except InvalidToken as exc:
        raise DecryptionError(f"data key {key_id.hex} does not open this file") from exc


def keyed_digest(key_id: uuid.UUID, content: bytes) -> str:
    """An HMAC-SHA256 of ``content`` under a data key: the same file twice under one key has one address,
    and nothing without the key can confirm which file it is (a plain SHA-256 would)."""
    fernet = data_fernet(key_id)
    secret = hashlib.sha256(b"kinlink-file-address:" + fernet._signing_key + fernet._encryption_key).digest()
    return hmac.new(secret, content, hashlib.sha256).hexdigest()


# --- which key: the scopes ----------------------------------------------------------------------------------


def request_key(tracing_request: TracingRequest) -> DataKey:
    """The request's data key, made (and stored on the request) on first use."""
    from kinlink.registry.models import DataKey

    if tracing_request.data_key_id is None:
        if tracing_request.pk is not None:
            tracing_request.save(update_fields=["data_key"])  # a request from before envelope encryption
        else:
            tracing_request.data_key = DataKey.create(DataKey.Scope.REQUEST)
    key = tracing_request.data_key
    assert key is not None
    return key


def organisation_key(organisation: Organisation | None) -> DataKey:
    """The key of what an organisation holds that belongs to no request; the instance's without one."""
    from kinlink.registry.models import DataKey

    if organisation is None:
        return instance_key()
    key = DataKey.objects.filter(scope=DataKey.Scope.ORGANISATION, organisation=organisation).first()
    return key or DataKey.create(DataKey.Scope.ORGANISATION, organisation=organisation)


def instance_key() -> DataKey:
    from kinlink.registry.models import DataKey

    key = DataKey.objects.filter(scope=DataKey.Scope.INSTANCE).first()
    return key or DataKey.create(DataKey.Scope.INSTANCE)


def shred_request_key(
    tracing_request: TracingRequest, *, actor: Any = None, reason: str = "", label: str = ""
) -> bool:
    """Destroy the request's data key: all of the request's ciphertext, in this database and in every copy
    of it, is unreadable for ever. Audited (``shred_key``); whether there was a key to destroy."""
    from kinlink.registry.actions import shred_request_key as action

    return action(actor, tracing_request, reason=reason, label=label)
