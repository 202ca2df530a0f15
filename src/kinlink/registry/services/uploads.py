"""Files that people upload through the portal (photos, letters from the unit and the ministry).

Only the types a family or caseworker needs are accepted, checked by their first bytes rather than
by the name or type the browser sent, and within a size limit; then the file goes into the
content-addressed attachment store (:mod:`kinlink.registry.services.attachments`).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO

from django.conf import settings

from kinlink.registry.models import Attachment, Source
from kinlink.registry.services.attachments import AttachmentRefused, attach, read_content

#: Accepted content types and the first bytes that prove them.
SIGNATURES: tuple[tuple[str, bytes], ...] = (
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("application/pdf", b"%PDF-"),
    ("image/gif", b"GIF8"),
)


class UploadError(ValueError):
    """A file that cannot be stored: too large, empty, or of a type we do not accept."""


#: Photos whose EXIF (GPS position, camera and phone, time) is removed on upload, by re-encoding.
METADATA_BEARING_IMAGES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def strip_image_metadata(content: bytes, content_type: str, name: str = "photo") -> bytes:
    """The photo re-encoded without EXIF, XMP, ICC or text chunks: the orientation the EXIF asked for is
    applied to the pixels first, so the photo still stands the right way up. A photo Pillow cannot read
    raises :class:`UploadError` (it is not stored with its metadata)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UploadError(f"{name}: the photo cannot be read ({exc})") from exc
    fmt = METADATA_BEARING_IMAGES[content_type]
    if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P" and image.getpalette():
        clean.putpalette(image.getpalette() or [])
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 92} if fmt in ("JPEG", "WEBP") else {}
    clean.save(out, format=fmt, **options)
    return out.getvalue()


def sniff_content_type(content: bytes) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    for content_type, magic in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return None


#: An uploaded file: its bytes, or an open binary file (an upload Django spooled to disk), read in chunks.
Content = bytes | IO[bytes]


def content_size(content: Content) -> int:
    if isinstance(content, bytes):
        return len(content)
    position = content.tell()
    size = content.seek(0, os.SEEK_END)
    content.seek(position)
    return size


def _head(content: Content, length: int = 16) -> bytes:
    if isinstance(content, bytes):
        return content[:length]
    content.seek(0)
    head = content.read(length)
    content.seek(0)
    return head


def check_upload(filename: str, content: Content, max_bytes: int | None = None) -> tuple[str, str]:
    """The stored name and the content type of one file, or :class:`UploadError`; reads only its first
    bytes (the size of a file on disk is asked of the file system)."""
    limit = max_bytes if max_bytes is not None else int(getattr(settings, "FAMILY_UPLOAD_MAX_BYTES", 10**7))
    name = Path(filename or "file").name[:255]
    size = content_size(content)
    if not size:
        raise UploadError(f"{name}: the file is empty")
    if size > limit:
        raise UploadError(f"{name}: {size} bytes is more than the limit of {limit} bytes")
    content_type = sniff_content_type(_head(content))
    if content_type is None:
        raise UploadError(f"{name}: only JPEG, PNG, WebP or GIF photos and PDF documents are accepted")
    return name, content_type


class UploadTotalTooLarge(UploadError):
    """The files of one submission together are larger than ``FAMILY_UPLOAD_TOTAL_MAX_BYTES``."""


def check_total(sizes: list[int]) -> None:
    """The cap on all files of one submission together (the one rule; forms and actions call it)."""
    limit = int(getattr(settings, "FAMILY_UPLOAD_TOTAL_MAX_BYTES", 20 * 1024 * 1024))
    if sum(sizes) > limit:
        raise UploadTotalTooLarge(f"{len(sizes)} files of {sum(sizes)} bytes together; the limit is {limit}")


def check_uploads(files: list[tuple[str, Content]], max_bytes: int | None = None) -> None:
    """Check every file of a submission, and their total, before any is stored: a refused submission
    writes nothing to the attachment store."""
    check_total([content_size(content) for _name, content in files])
    for filename, content in files:
        check_upload(filename, content, max_bytes)


def store_upload(source: Source, filename: str, content: Content, max_bytes: int | None = None) -> Attachment:
    """Check one uploaded file and attach it to ``source``; raises :class:`UploadError` and stores nothing."""
    name, content_type = check_upload(filename, content, max_bytes)
    if content_type in METADATA_BEARING_IMAGES:
        content = strip_image_metadata(read_content(content), content_type, name)
    try:
        return attach(source, name, content, content_type)
    except AttachmentRefused as exc:
        raise UploadError(f"{name}: {exc}") from exc
