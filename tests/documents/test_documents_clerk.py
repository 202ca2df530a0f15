"""Documents a clerk accepts: the issuer's details and signature block, a verification link to this
instance's public address, the genotypes side by side, and a verification page in the reader's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kinlink.documents.actions import issue_document
from kinlink.documents.services import DocumentError
from kinlink.registry.models import Case
from tests.documents.test_documents_dna_statistics import comparison, pdf_text
from tests.documents.test_documents_verify import altered

pytestmark = pytest.mark.django_db


def test_a_document_names_its_issuer_and_has_a_signature_block(history_case: Case, tmp_path: Path) -> None:
    org = history_case.organisation
    org.address = "305000, г. Курск, ул. Ленина, д. 12"
    org.registration = "ОГРН 1024600000012"
    org.signatory_name = "Смирнова Елена Викторовна"
    org.signatory_position = "Руководитель группы розыска"
    org.phone = "+7 4712 00-00-12"
    org.save()
    for kind in ("certificate", "dossier"):
        text = pdf_text(bytes(issue_document(kind, history_case, "ru", user=None).pdf), tmp_path)
        for detail in (
            "Поиск пропавших",
            "Адрес: 305000, г. Курск, ул. Ленина, д. 12",
            "Регистрационные данные: ОГРН 1024600000012",
            "Телефон: +7 4712 00-00-12",
            "Выдавшая организация: Поиск пропавших",
            "Руководитель группы розыска",
            "Смирнова Елена Викторовна",
            "Подпись:",
            "Дата:",
            "М. П.",
        ):
            assert detail in text, (kind, detail)
    uk = pdf_text(bytes(issue_document("certificate", history_case, "uk", user=None).pdf), tmp_path)
    assert "Реєстраційні дані: ОГРН 1024600000012" in uk and "Підпис:" in uk and "місце печатки" in uk


def test_the_statistics_report_names_the_instance(history_case: Case, tmp_path: Path, settings: Any) -> None:
    settings.KINLINK_INSTANCE_NAME = "Реестр пропавших без вести"
    text = pdf_text(bytes(issue_document("statistics", None, "ru", user=None).pdf), tmp_path)
    assert "Выдавшая организация: Реестр пропавших без вести" in text


def test_the_verification_link_uses_the_public_address(
    history_case: Case, tmp_path: Path, settings: Any
) -> None:
    settings.KINLINK_BASE_URL = "https://poisk.example.org/"
    document = issue_document("certificate", history_case, "uk", user=None)
    text = pdf_text(bytes(document.pdf), tmp_path)
    assert f"https://poisk.example.org/uk/documents/verify/{document.number}" in text
    assert "localhost" not in text


@pytest.mark.parametrize("base", ["", "http://localhost:8000", "http://127.0.0.1:8000/"])
def test_production_refuses_to_issue_without_a_public_address(
    history_case: Case, settings: Any, base: str
) -> None:
    settings.DEBUG = False
    settings.KINLINK_BASE_URL = base
    with pytest.raises(DocumentError, match="KINLINK_BASE_URL"):
        issue_document("certificate", history_case, "ru", user=None)
    settings.DEBUG = True  # a developer's machine may print localhost
    assert issue_document("certificate", history_case, "ru", user=None).number


def test_the_local_demo_server_prints_its_own_address(history_case: Case, settings: Any) -> None:
    """`kinlink demo` serving on 127.0.0.1 sets KINLINK_BASE_URL to its address and marks it local."""
    settings.DEBUG = False
    settings.KINLINK_BASE_URL = "http://127.0.0.1:8000"
    settings.KINLINK_LOCAL_BASE_URL = True
    assert issue_document("certificate", history_case, "ru", user=None).number


def test_dna_report_shows_references_and_remains_genotypes_side_by_side(
    history_case: Case, tmp_path: Path
) -> None:
    text = pdf_text(
        bytes(issue_document("dna-report", history_case, "en", user=None, dna_result=comparison()).pdf),
        tmp_path,
    )
    assert "Marker Remains RM-0007 Mother RS-0101 Brother RS-0102 Likelihood ratio" in text
    assert "D3S1358 15/16 15/17 16/17 4.2" in text
    assert "FGA 22/24 22/20 — 6" in text  # the brother is not typed at FGA


def test_the_verification_page_is_in_the_readers_language_with_the_sites_header(history_case: Case) -> None:
    document = issue_document("certificate", history_case, "ru", user=None)
    client = Client()
    page = client.get(f"/ru/documents/verify/{document.number}?c={document.content_sha256}").content.decode()
    assert 'class="langs"' in page and 'class="top"' in page  # the portal's header and language switch
    assert "Проверка документа" in page and "справка о регистрации запроса о розыске" in page
    assert "Хеш содержимого в ссылке совпадает" in page
    for english in ("Document verification", "was issued", "Verify", "certificate", "Upload"):
        assert english not in page, english
    forged = client.post(
        f"/uk/documents/verify/{document.number}",
        {"document": SimpleUploadedFile("doc.pdf", altered(bytes(document.pdf)), "application/pdf")},
    ).content.decode()
    assert "Не підтверджено." in forged and "Файл змінено" in forged
    missing = client.get("/ru/documents/verify/KL-C-2026-ZZZZZZZZZZ")
    assert missing.status_code == 404 and "этой системой не выдавался" in missing.content.decode()
