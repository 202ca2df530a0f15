"""`kinlink documents render inquiry` and `render court-application`: the case by number or id, the letter
for the case's recorded inquiry to the addressee, follow-ups, and verification of what was written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kinlink.cli import main
from kinlink.commands.documents import ADDRESSEES
from kinlink.documents import actions
from kinlink.documents.models import DocumentKind, Inquiry, IssuedDocument
from kinlink.registry.models import Case
from tests.documents.conftest import history_case  # noqa: F401  (the fixture)
from tests.documents.test_no_english import pdf_text


def render(*args: str) -> int:
    return main(["documents", "render", *args])


def test_the_addressee_choices_are_the_models() -> None:
    assert tuple(Inquiry.Addressee.values) == ADDRESSEES


@pytest.mark.django_db
def test_render_an_inquiry_by_case_number_and_verify_it(
    history_case: Case,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "letter.pdf"
    code = render(
        "inquiry",
        "--case",
        history_case.number,
        "--addressee",
        "commissariat",
        "--lang",
        "ru",
        "--out",
        str(out),
    )
    assert code == 0, capsys.readouterr().err
    document = IssuedDocument.objects.get(kind=DocumentKind.INQUIRY_LETTER)
    assert document.number in capsys.readouterr().out
    assert out.read_bytes() == bytes(document.pdf)
    assert "Военному комиссару" in pdf_text(out.read_bytes(), tmp_path)
    assert main(["documents", "verify", str(out)]) == 0
    assert "genuine" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_letter_to_an_addressee_with_a_recorded_inquiry_is_that_inquirys_letter(
    history_case: Case,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inquiry = actions.record_inquiry(
        None,
        history_case,
        addressee_kind="military_unit",
        addressee="Командиру войсковой части 12345",
        question="Обстоятельства",
        asked_on=dt.date(2024, 6, 10),
        reference="исх. 21",
    )
    out = tmp_path / "unit.pdf"
    assert (
        render("inquiry", "--case", str(history_case.pk), "--addressee", "military_unit", "--out", str(out))
        == 0
    )
    inquiry.refresh_from_db()
    assert inquiry.letter is not None and bytes(inquiry.letter.pdf) == out.read_bytes()
    assert "Исх. № 21 от 10 июня 2024 г." in " ".join(pdf_text(out.read_bytes(), tmp_path).split())

    # the prosecutor gets a complaint about the overdue inquiry, the earlier letter attached
    complaint = tmp_path / "complaint.pdf"
    assert (
        render("inquiry", "--case", history_case.number, "--addressee", "prosecutor", "--out", str(complaint))
        == 0
    )
    text = " ".join(pdf_text(complaint.read_bytes(), tmp_path).split())
    assert "ЖАЛОБА" in text and inquiry.letter.number in text and "10 июня 2024 г." in text
    assert main(["documents", "verify", str(complaint)]) == 0

    # a reminder through --inquiry and --letter
    reminder = tmp_path / "reminder.pdf"
    assert (
        render(
            "inquiry",
            "--case",
            history_case.number,
            "--inquiry",
            str(inquiry.pk),
            "--letter",
            "reminder",
            "--lang",
            "en",
            "--out",
            str(reminder),
        )
        == 0
    )
    assert "REPEATED APPEAL" in pdf_text(reminder.read_bytes(), tmp_path)
    capsys.readouterr()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["recognise-missing", "declare-dead"])
def test_render_a_court_application_and_verify_it(
    history_case: Case,  # noqa: F811
    kind: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "application.pdf"
    assert (
        render(
            "court-application",
            "--case",
            history_case.number,
            "--kind",
            kind,
            "--lang",
            "ru",
            "--out",
            str(out),
        )
        == 0
    )
    text = " ".join(pdf_text(out.read_bytes(), tmp_path).split())
    assert "ПРОЕКТ" in text
    assert ("безвестно отсутствующим" if kind == "recognise-missing" else "умершим") in text
    assert main(["documents", "verify", str(out)]) == 0
    capsys.readouterr()


@pytest.mark.django_db
def test_bad_letter_requests_fail_clearly_and_write_nothing(
    history_case: Case,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "x.pdf"
    assert render("inquiry", "--case", history_case.number, "--out", str(out)) == 1
    assert "--addressee" in capsys.readouterr().err
    assert render("inquiry", "--case", history_case.number, "--inquiry", "999999", "--out", str(out)) == 1
    assert "no inquiry with id 999999" in capsys.readouterr().err
    assert (
        render(
            "inquiry",
            "--case",
            history_case.number,
            "--addressee",
            "commissariat",
            "--letter",
            "reminder",
            "--out",
            str(out),
        )
        == 1
    )
    assert "no unanswered inquiry" in capsys.readouterr().err
    history_case.jurisdiction = "UA"
    history_case.save(update_fields=["jurisdiction"])
    assert render("court-application", "--case", history_case.number, "--out", str(out)) == 1
    assert "Russian courts only" in capsys.readouterr().err
    assert not out.exists() and not IssuedDocument.objects.exists()
