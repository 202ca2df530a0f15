"""Files attached to sources (photos, letters from the unit and the ministry), stored once by SHA-256.

Files live under ``settings.ATTACHMENT_ROOT/<first two hex digits>/<sha256>``; the database keeps
the name, type and size. Only the types a family or caseworker needs are accepted, checked by their
first bytes, not by the name the browser sent.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings

from kinlink.registry.models import Attachment, Source

#: Accepted content types and the first bytes that prove them.
SIGNATURES: tuple[tuple[str, bytes], ...] = (
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("application/pdf", b"%PDF-"),
    ("image/gif", b"GIF8"),
)


class AttachmentError(ValueError):
    """A file that cannot be stored: too large, empty, or of a type we do not accept."""


def sniff_content_type(content: bytes) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    for content_type, magic in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return None


def attachment_path(sha256: str) -> Path:
    return Path(settings.ATTACHMENT_ROOT) / sha256[:2] / sha256


def store_attachment(
    source: Source, filename: str, content: bytes, max_bytes: int | None = None
) -> Attachment:
    """Check and store one file for ``source``; the same bytes are written to disk only once."""
    limit = max_bytes if max_bytes is not None else int(getattr(settings, "FAMILY_UPLOAD_MAX_BYTES", 10**7))
    name = Path(filename or "file").name[:255]
    if not content:
        raise AttachmentError(f"{name}: the file is empty")
    if len(content) > limit:
        raise AttachmentError(f"{name}: {len(content)} bytes is more than the limit of {limit} bytes")
    content_type = sniff_content_type(content)
    if content_type is None:
        raise AttachmentError(f"{name}: only JPEG, PNG, WebP or GIF photos and PDF documents are accepted")
    sha256 = hashlib.sha256(content).hexdigest()
    path = attachment_path(sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(path)
    return Attachment.objects.create(
        source=source, sha256=sha256, filename=name, content_type=content_type, size=len(content)
    )


def read_attachment(attachment: Attachment) -> bytes:
    return attachment_path(attachment.sha256).read_bytes()
