"""Attachments, encrypted at rest with the data key of their source (``registry.crypto``).

A file is stored as ``KLF1`` + the key's id + a Fernet token, never in plaintext, under a content address
that is an HMAC of the plaintext under the same key (``ATTACHMENT_ROOT/ab/cd/<digest>``): the same file
twice in one request is stored once, and a seized disk does not tell which known file is which. Files are
written to a temporary name and renamed into place, so a crash never leaves a half-written file under an
address. Shredding the key (``registry.actions.shred_request_key``) makes the files unreadable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction

from kinlink.registry.crypto import decrypt_bytes, encrypt_bytes, file_key_id, keyed_digest
from kinlink.registry.models import Attachment, DataKey, Source

MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024


class AttachmentRefused(ValueError):
    """The file was not stored (too large, or empty)."""


def attachment_path(digest: str) -> Path:
    root = Path(settings.ATTACHMENT_ROOT)
    return root / digest[:2] / digest[2:4] / digest


def _write_atomically(target: Path, blob: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store_bytes(content: bytes, key: DataKey) -> str:
    """Store ``content`` encrypted with ``key``; return its address (the keyed digest)."""
    if not content:
        raise AttachmentRefused("the file is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused(f"the file is {len(content)} bytes; the limit is {MAX_ATTACHMENT_BYTES}")
    digest = keyed_digest(key.key_id, content)
    target = attachment_path(digest)
    if not target.exists():
        _write_atomically(target, encrypt_bytes(key, content))
    return digest


def read_content(content: bytes | IO[bytes]) -> bytes:
    """The bytes of an upload (an open file Django spooled to disk is read from its start). Files are
    encrypted whole (one token per file), so a file is in memory once while it is stored; the upload caps
    (``FAMILY_UPLOAD_MAX_BYTES`` per file, checked before this) bound it."""
    if isinstance(content, bytes):
        return content
    content.seek(0)
    data = content.read(MAX_ATTACHMENT_BYTES + 1)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused(f"the file is larger than {MAX_ATTACHMENT_BYTES} bytes")
    return data


def attach(source: Source, filename: str, content: bytes | IO[bytes], content_type: str = "") -> Attachment:
    """Store a file (encrypted under the source's data key) and record it on ``source``. The row is written
    only once the file is in place."""
    data = read_content(content)
    digest = store_bytes(data, source.encryption_key())
    with transaction.atomic():
        return Attachment.objects.create(
            source=source,
            sha256=digest,
            filename=Path(filename).name[:255],
            content_type=content_type[:100],
            size=len(data),
        )


def read_attachment(attachment: Attachment) -> bytes:
    """The file's plaintext, checked against its recorded address; ``KeyShredded`` once its key is gone."""
    blob = attachment_path(attachment.sha256).read_bytes()
    content = decrypt_bytes(blob)
    key_id = file_key_id(blob)
    expected = keyed_digest(key_id, content) if key_id is not None else hashlib.sha256(content).hexdigest()
    if not hmac.compare_digest(expected, attachment.sha256):
        raise OSError(f"attachment {attachment.pk} does not match its digest: the store is corrupt")
    return content
