"""Certificate and dossier from a real case: the key facts are in the PDF's text, Cyrillic included."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from kinlink.documents.actions import issue_document
from kinlink.documents.labels import labels_for
from kinlink.documents.render import compile_pdf, content_sha256, number_in_pdf
from kinlink.documents.services import DocumentError
from kinlink.registry.models import Case

pytestmark = pytest.mark.django_db  # pdftotext comes from poppler-utils (Makefile SYSTEM_PACKAGES)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(text.split())


def test_certificate_lists_requests_inquiries_answers_and_fate(history_case: Case, tmp_path: Path) -> None:
    document = issue_document("certificate", history_case, "ru", user=None)
    text = pdf_text(bytes(document.pdf), tmp_path)
    assert "Справка о регистрации запроса о розыске" in text
    assert document.number in text
    assert document.content_sha256 in text
    assert "Кузнецов Алексей Петрович" in text
    # dates as a Russian reader writes them, never ISO (lib.formats)
    assert "TR-2024-0042" in text and "1 марта 2024 г." in text and "2024-03-01" not in text
    # what was asked of whom and when, and what was answered, or that nothing was
    assert "Министерство обороны" in text and "5 марта 2024 г." in text and "20 апреля 2024 г." in text
    assert "Числится пропавшим без вести" in text
    assert "МККК" in text and "ответа нет" in text
    assert "№ 77/15" in text  # the unit notice, an official statement, with its reference
    assert "Показания сослуживца Иванова" in text  # cited as a source of the current fate
    # the explanation, with its dates in Russian
    assert "Показания сослуживца Иванова: ранен 14 февраля 2024 г. (сообщено 20 мая 2024 г.)" in text
    # contact details and the enquirer's name never appear
    assert "+7 900" not in text and "Секретная" not in text and "Мария" not in text
    assert document.pdf_sha256 and len(document.pdf_sha256) == 64


def test_dossier_in_english_has_chronology_witness_deadlines_and_disclaimer(
    history_case: Case, tmp_path: Path
) -> None:
    document = issue_document("dossier", history_case, "en", user=None)
    text = pdf_text(bytes(document.pdf), tmp_path)
    assert "Evidence dossier for a court application" in text
    assert "This is evidence for a court, not a legal opinion." in text
    assert "видел его раненым при отходе" in text  # the witness statement, as written
    assert "Извещение в/ч 12345" in text and "reliability B" in text
    # last news February 2024 (a month only): counted from 1 March 2024 (Civil Code art. 42), so 6 months
    # under 120-FZ end on 31 August and the court may recognise him as missing from 1 September 2024
    assert "1 September 2024" in text and "Recognition as missing" in text and "120-FZ" in text
    assert "no answer" in text and "МККК" in text
    assert "The purpose" in text and "circumstances" in text
    assert "There are no DNA identification results." in text


def test_ukrainian_certificate_renders_ukrainian_letters(history_case: Case, tmp_path: Path) -> None:
    text = pdf_text(bytes(issue_document("certificate", history_case, "uk", user=None).pdf), tmp_path)
    assert "Довідка про реєстрацію запиту про розшук" in text
    assert "Запити до органів і організацій" in text


def test_embedded_font_is_dejavu_and_nothing_else(history_case: Case, tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(bytes(issue_document("dossier", history_case, "ru", user=None).pdf))
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows, fonts
    for row in rows:
        assert "DejaVuSans" in row and " yes " in row, row  # embedded (subset) DejaVu only


def test_same_data_gives_same_bytes_apart_from_the_timestamp(history_case: Case) -> None:
    created = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    facts = {
        "person": [["Имя", "Кузнецов"]],
        "requests": [],
        "inquiries": [],
        "answers": [],
        "fate": [["Судьба", "неизвестна"]],
        "explanation": [],
    }
    labels = labels_for("certificate", "ru")
    common = {
        "number": "KL-C-2026-0000000001",
        "lang": "ru",
        "facts": facts,
        "labels": labels,
        "verify_url": "https://kinlink.example/ru/documents/verify/KL-C-2026-0000000001",
    }
    first = compile_pdf("certificate", created=created, **common)  # type: ignore[arg-type]
    second = compile_pdf("certificate", created=created, **common)  # type: ignore[arg-type]
    later = compile_pdf("certificate", created=created + dt.timedelta(hours=1), **common)  # type: ignore[arg-type]
    assert first == second
    assert first != later
    assert number_in_pdf(first) == "KL-C-2026-0000000001"
    # two issues of the same case carry the same content hash but different numbers
    one = issue_document("certificate", history_case, "ru", user=None)
    two = issue_document("certificate", history_case, "ru", user=None)
    assert one.content_sha256 == two.content_sha256 and one.number != two.number
    assert one.content_sha256 != content_sha256("certificate", "en", {})


def test_dna_report_without_a_result_is_refused(history_case: Case) -> None:
    with pytest.raises(DocumentError, match="no DNA comparison result"):
        issue_document("dna-report", history_case, "ru", user=None)


def test_unknown_kind_and_language_are_refused(history_case: Case) -> None:
    with pytest.raises(DocumentError, match="unknown document kind"):
        issue_document("passport", history_case, "ru", user=None)
    with pytest.raises(DocumentError, match="unknown language"):
        issue_document("certificate", history_case, "de", user=None)


def test_every_fate_explanation_template_has_russian_and_ukrainian() -> None:
    import re

    import kinlink.registry.fate as fate_module
    from kinlink.documents.labels import fate_message

    source = Path(fate_module.__file__).read_text(encoding="utf-8")
    templates = [
        "".join(re.findall(r'"([^"]*)"', m)) for m in re.findall(r'N_\(\s*((?:"[^"]*"\s*)+)\)', source)
    ]
    assert len(templates) >= 10
    for template in templates:  # translated through the shared catalogue, as on the case page
        if not re.sub(r"\{\w+\}", "", template).strip(" ."):
            continue  # "{claim}." has no words to translate
        assert fate_message(template, "ru") != template and fate_message(template, "uk") != template, template
