"""A Russian or Ukrainian document carries no English: every kind rendered in ru and uk for the demo-like
history case, read back with pdftotext, and searched for the English words that used to leak."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kinlink.documents.actions import issue_court_application, issue_document, issue_letter, record_inquiry
from kinlink.documents.dna import DnaReportData, MethodFacts
from kinlink.documents.statistics import AggregateRow, StatisticsData
from kinlink.registry import actions
from kinlink.registry.models import Case
from tests.documents.test_documents_dna_statistics import comparison

#: Words that leaked into ru/uk documents, and others a document of either kind prints in English.
ENGLISH = (
    "certificate",
    "tracing request",
    "request",
    "dossier",
    "evidence",
    "court",
    "mother",
    "father",
    "brother",
    "remains",
    "reference",
    "estimates",
    "estimate",
    "method",
    "missing",
    "identified",
    "killed",
    "wounded",
    "page",
    "issued",
    "verify",
    "number",
    "signature",
    "date",
    "stamp",
    "address",
    "marker",
    "likelihood",
    "persons",
    "unknown",
    "total",
    "sources",
    "registry",
)
#: Codes and addresses are not words: the verification URL, document and case numbers, sample codes,
#: marker names, hashes.
_NOT_WORDS = re.compile(r"https?://\S+|\S*\d\S*|\S+@\S+")


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def english_in(text: str) -> list[str]:
    prose = _NOT_WORDS.sub(" ", text)
    return [w for w in ENGLISH if re.search(rf"\b{w}\b", prose, flags=re.IGNORECASE)]


def dna_result() -> DnaReportData:
    """The test comparison, its method worded by kinlink (a provider's free text is printed as given)."""
    return dataclasses.replace(comparison(), method=MethodFacts(frequencies="freqs.csv", mutation="stepwise"))


def documents(case: Case, lang: str) -> dict[str, bytes]:
    statistics = StatisticsData(
        aggregates=[AggregateRow("fate", "missing", 1234), AggregateRow("region", "Курская область", 57)]
    )
    kwargs: dict[str, Any] = {"user": None}
    return {
        "certificate": bytes(issue_document("certificate", case, lang, **kwargs).pdf),
        "dossier": bytes(issue_document("dossier", case, lang, dna_result=dna_result(), **kwargs).pdf),
        "dna-report": bytes(issue_document("dna-report", case, lang, dna_result=dna_result(), **kwargs).pdf),
        "dna-report-lab": bytes(
            issue_document("dna-report", case, lang, dna_result=dna_result(), audience="lab", **kwargs).pdf
        ),
        "statistics": bytes(issue_document("statistics", None, lang, statistics=statistics, **kwargs).pdf),
        "statistics-registry": bytes(issue_document("statistics", None, lang, **kwargs).pdf),
        **letters(case, lang),
    }


def letters(case: Case, lang: str) -> dict[str, bytes]:
    """Every kind of letter and both court applications; the follow-ups attach their earlier letters."""
    written = dt.datetime(2024, 6, 10, 9, tzinfo=dt.UTC)
    later = dt.datetime(2024, 9, 20, 9, tzinfo=dt.UTC)
    inquiry = record_inquiry(
        None,
        case,
        addressee_kind="military_unit",
        addressee="Командиру войсковой части 12345",
        question="Обстоятельства исчезновения",
        asked_on=written.date(),
        reference="исх. 21",
        tracking_number="30500094123456",
    )
    found = {
        "letter-unit": issue_letter(None, inquiry, None, lang, created=written),
        "letter-certificate": issue_letter(
            None, case, "military_unit", lang, purpose="certificate", created=later
        ),
        "letter-commissariat": issue_letter(None, case, "commissariat", lang, created=later),
        "letter-red-cross": issue_letter(None, case, "red_cross", lang, created=later),
        "letter-reminder": issue_letter(
            None, inquiry, "military_unit", lang, letter_kind="reminder", created=later
        ),
        "letter-complaint": issue_letter(None, inquiry, "prosecutor", lang, created=later),
        "letter-ombudsman": issue_letter(
            None, inquiry, "ombudsman", lang, letter_kind="complaint", created=later
        ),
        "court-recognise": issue_court_application(None, case, "recognise-missing", lang, created=later),
        "court-declare": issue_court_application(None, case, "declare-dead", lang, created=later),
    }
    return {kind: bytes(document.pdf) for kind, document in found.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_no_english_word_in_a_russian_or_ukrainian_document(
    history_case: Case, lang: str, tmp_path: Path
) -> None:
    # the source the registry makes from a family's tracing request has a stored English name
    report = actions.add_source(
        None,
        kind="family_report",
        name="Tracing request TR-2024-0042",
        reference="TR-2024-0042",
        date="2024-03-01",
        reliability="F",
        organisation=history_case.organisation,
    )
    actions.add_claim(None, history_case.person, report, fate="missing", date="2024-02-10")
    found = {}
    for kind, pdf in documents(history_case, lang).items():
        text = pdf_text(pdf, tmp_path)
        assert "Кузнецов" in text or kind.startswith(("statistics", "dna-report-lab")), kind
        words = english_in(text)
        if words:
            found[kind] = words
    assert found == {}


#: Latin-script words a Russian letter or court application may carry: none but codes, addresses and the
#: time zone of the creation time (UTC, as Russian writes it too).
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_ALLOWED_LATIN = frozenset({"UTC"})


def latin_words(text: str) -> list[str]:
    return sorted(set(_LATIN_WORD.findall(_NOT_WORDS.sub(" ", text))) - _ALLOWED_LATIN)


@pytest.mark.django_db
def test_a_russian_letter_or_application_has_no_latin_word(history_case: Case, tmp_path: Path) -> None:
    found = {}
    for kind, pdf in letters(history_case, "ru").items():
        text = pdf_text(pdf, tmp_path)
        assert "Кузнецов" in text, kind
        words = latin_words(text)
        if words:
            found[kind] = words
    assert found == {}


def test_the_check_finds_english_outside_codes() -> None:
    assert latin_words("Создан 20 сентября 2024 г., 09:00:00 UTC, KL-L-2024-ABCDEFGHJK, ICRC") == ["ICRC"]
    assert english_in("Справка Page 1 / 2") == ["page"]
    assert english_in("https://kinlink.example.org/ru/documents/verify/KL-C-2026-ABCDEFGHJK") == []
    assert english_in("Mother RS-0101, father") == ["mother", "father"]
