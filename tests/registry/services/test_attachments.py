from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from kinlink.registry import actions
from kinlink.registry.models import Attachment
from kinlink.registry.services.attachments import AttachmentRefused, attach, attachment_path, read_attachment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _attachment_root(settings: Any, tmp_path: Path) -> None:
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"


def test_same_content_is_stored_once_encrypted_under_a_keyed_address() -> None:
    source = actions.add_source(None, kind="unit_notice", name="Notice")
    content = "Извещение: погиб 30.03.2022".encode()
    first = attach(source, "notice.pdf", content, "application/pdf")
    second = attach(source, "copy-of-notice.pdf", content, "application/pdf")
    assert first.sha256 == second.sha256
    assert first.sha256 != hashlib.sha256(content).hexdigest(), "a plain SHA-256 would confirm a known file"
    path = attachment_path(first.sha256)
    on_disk = path.read_bytes()
    assert on_disk.startswith(b"KLF1") and content not in on_disk and "погиб".encode() not in on_disk
    assert [p.name for p in path.parent.iterdir()] == [first.sha256], "no temporary files left behind"
    assert read_attachment(second) == content
    assert Attachment.objects.count() == 2


def test_tampered_store_is_detected() -> None:
    source = actions.add_source(None, kind="unit_notice", name="Notice")
    attachment = attach(source, "notice.txt", b"original")
    attachment_path(attachment.sha256).write_bytes(b"altered")
    with pytest.raises(OSError, match="does not match its digest"):
        read_attachment(attachment)


def test_empty_file_is_refused_and_nothing_recorded() -> None:
    source = actions.add_source(None, kind="unit_notice", name="Notice")
    with pytest.raises(AttachmentRefused):
        attach(source, "empty.txt", b"")
    assert Attachment.objects.count() == 0
