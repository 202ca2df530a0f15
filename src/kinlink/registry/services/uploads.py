"""Files that people upload through the portal (photos, letters from the unit and the ministry).

Only the types a family or caseworker needs are accepted, checked by their first bytes rather than
by the name or type the browser sent, and within a size limit; then the file goes into the
content-addressed attachment store (:mod:`kinlink.registry.services.attachments`).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from kinlink.registry.models import Attachment, Source
from kinlink.registry.services.attachments import AttachmentRefused, attach

#: Accepted content types and the first bytes that prove them.
SIGNATURES: tuple[tuple[str, bytes], ...] = (
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("application/pdf", b"%PDF-"),
    ("image/gif", b"GIF8"),
)


class UploadError(ValueError):
    """A file that cannot be stored: too large, empty, or of a type we do not accept."""


def sniff_content_type(content: bytes) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    for content_type, magic in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return None


def store_upload(source: Source, filename: str, content: bytes, max_bytes: int | None = None) -> Attachment:
    """Check one uploaded file and attach it to ``source``; raises :class:`UploadError` and stores nothing."""
    limit = max_bytes if max_bytes is not None else int(getattr(settings, "FAMILY_UPLOAD_MAX_BYTES", 10**7))
    name = Path(filename or "file").name[:255]
    if not content:
        raise UploadError(f"{name}: the file is empty")
    if len(content) > limit:
        raise UploadError(f"{name}: {len(content)} bytes is more than the limit of {limit} bytes")
    content_type = sniff_content_type(content)
    if content_type is None:
        raise UploadError(f"{name}: only JPEG, PNG, WebP or GIF photos and PDF documents are accepted")
    try:
        return attach(source, name, content, content_type)
    except AttachmentRefused as exc:
        raise UploadError(f"{name}: {exc}") from exc
