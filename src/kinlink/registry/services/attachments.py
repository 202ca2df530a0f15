"""Attachments stored by the SHA-256 of their content: the same file is stored once.

Files are written to a temporary name and renamed into place, so a crash never leaves a
half-written file under a content address. Paths are ``ATTACHMENT_ROOT/ab/cd/<sha256>``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction

from kinlink.registry.models import Attachment, Source

MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024


class AttachmentRefused(ValueError):
    """The file was not stored (too large, or empty)."""


def attachment_path(sha256: str) -> Path:
    root = Path(settings.ATTACHMENT_ROOT)
    return root / sha256[:2] / sha256[2:4] / sha256


def store_bytes(content: bytes) -> str:
    """Store ``content`` under its SHA-256 and return the hex digest."""
    if not content:
        raise AttachmentRefused("the file is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused(f"the file is {len(content)} bytes; the limit is {MAX_ATTACHMENT_BYTES}")
    digest = hashlib.sha256(content).hexdigest()
    target = attachment_path(digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


#: Bytes read at a time when a file is copied into the store.
CHUNK_BYTES = 1024 * 1024


def store_stream(handle: IO[bytes]) -> tuple[str, int]:
    """Copy an open binary file into the store in chunks (never whole in memory), hashing as it goes;
    returns its SHA-256 and size. Nothing is left behind when it is refused or fails."""
    root = Path(settings.ATTACHMENT_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    handle.seek(0)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := handle.read(CHUNK_BYTES):
                size += len(chunk)
                if size > MAX_ATTACHMENT_BYTES:
                    raise AttachmentRefused(f"the file is larger than {MAX_ATTACHMENT_BYTES} bytes")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if not size:
            raise AttachmentRefused("the file is empty")
        target = attachment_path(digest.hexdigest())
        if target.exists():
            Path(tmp).unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def attach(source: Source, filename: str, content: bytes | IO[bytes], content_type: str = "") -> Attachment:
    """Store a file (bytes, or an open binary file copied in chunks) and record it on ``source``. The row
    is written only once the file is in place."""
    if isinstance(content, bytes):
        digest, size = store_bytes(content), len(content)
    else:
        digest, size = store_stream(content)
    with transaction.atomic():
        return Attachment.objects.create(
            source=source,
            sha256=digest,
            filename=Path(filename).name[:255],
            content_type=content_type[:100],
            size=size,
        )


def read_attachment(attachment: Attachment) -> bytes:
    """The stored bytes, checked against the recorded SHA-256."""
    content = attachment_path(attachment.sha256).read_bytes()
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise OSError(f"attachment {attachment.pk} does not match its SHA-256: the store is corrupt")
    return content
