"""The DNA report and the court dossier from the demo's seed case, through the CLI, as a user runs them."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from kinlink.cli import main
from kinlink.demo import DemoSummary
from kinlink.documents.dna import format_lr, format_posterior
from kinlink.documents.labels import TERMS, term
from kinlink.documents.registry_dna import registry_result
from kinlink.genetics.report import posterior_probability, verbal_equivalent
from kinlink.identification.models import CandidateIdentification, IdentificationDecision
from kinlink.registry.legal import default_rules
from kinlink.registry.models import Case, Sample


def pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(text.split())


def render(kind: str, case: Case, lang: str, out: Path, *extra: str) -> str:
    assert (
        main(["documents", "render", kind, "--case", str(case.pk), "--lang", lang, "--out", str(out), *extra])
        == 0
    )
    return pdf_text(out)


def english_legal_texts() -> list[str]:
    texts = []
    for jurisdiction in default_rules().jurisdictions.values():
        texts.append(jurisdiction["name"])
        texts.extend(rule["title"] for rule in jurisdiction["rules"])
    return texts


@pytest.mark.django_db
def test_demo_case_dna_report_and_dossier(
    demo: DemoSummary, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = Case.objects.get(number=demo.seed_case_number)
    candidate = CandidateIdentification.objects.get(tracing_request__person=case.person)
    assert candidate.status == CandidateIdentification.Status.IDENTIFIED
    assert IdentificationDecision.objects.filter(candidate=candidate).values("staff").distinct().count() == 2
    mother = Sample.objects.get(tracing_request__number=demo.seed_request_number, relationship="mother")
    remains = candidate.remains_sample
    # the family is not told: the family portal never shows "matched" (portal.family), and the sample
    # the family gave is only profiled
    assert mother.status == Sample.Status.PROFILED
    run = candidate.run
    assert run is not None and run.frequencies.endswith("synthetic_frequencies.csv")  # shipped, synthetic
    assert run.mutation.startswith("stepwise") and "/shared/" not in run.frequencies
    assert set(json.loads(remains.profile)) <= {f"SYN{i:02d}" for i in range(1, 24)}

    data = registry_result(case)
    assert data is not None and data.identified is True
    assert math.isclose(data.total_lr, math.prod(m.likelihood_ratio for m in data.markers), rel_tol=1e-9)
    assert data.total_lr > 1e8
    assert math.isclose(math.log10(data.total_lr), candidate.log10_lr, abs_tol=0.01)  # screening agrees
    assert data.prior == pytest.approx(candidate.prior)
    assert data.posterior == pytest.approx(posterior_probability(data.total_lr, data.prior))
    assert data.verbal_conclusion == verbal_equivalent(data.total_lr)

    text = render("dna-report", case, "ru", tmp_path / "dna.pdf")
    for fact in (
        remains.code,
        mother.code,
        format_lr(data.total_lr, "ru"),
        format_posterior(data.posterior, "ru"),
        "аутосомные STR, маркеров: 23",
        term(data.verbal_conclusion, "ru"),
        term("dna_identified", "ru"),
        "Центральная лаборатория судебно-генетической экспертизы",
        "SYN01",
    ):
        assert fact in text, fact
    assert "Шевчук Наталья Ивановна" in text and "Шевчук Александр Петрович" in text
    # the method statement is worded in the reader's language, with the run's own particulars
    assert "Частоты аллелей: synthetic_frequencies.csv" in text and "Модель мутаций: stepwise" in text
    assert "Exact pedigree likelihood" not in text and "Allele frequencies" not in text
    assert "missing persons screened" not in text and "Prior:" not in text
    ukrainian = render("dna-report", case, "uk", tmp_path / "dna-uk.pdf")
    assert "Частоти алелів" in ukrainian and "Точна правдоподібність родоводу" in ukrainian

    lab = render("dna-report", case, "en", tmp_path / "lab.pdf", "--audience", "lab")
    assert remains.code in lab and mother.code in lab and format_lr(data.total_lr, "en") in lab
    assert "Шевчук" not in lab and "Shevchuk" not in lab and demo.seed_case_number not in lab
    assert main(["documents", "verify", str(tmp_path / "lab.pdf")]) == 0

    for lang in ("ru", "uk"):
        dossier = render("dossier", case, lang, tmp_path / f"dossier-{lang}.pdf")
        assert remains.code in dossier and format_lr(data.total_lr, "ru") in dossier
        for english in english_legal_texts():
            assert english not in dossier, (lang, english)
        assert "(stated" not in dossier and "A court" not in dossier
    russian = pdf_text(tmp_path / "dossier-ru.pdf")
    # identified by DNA: the legal plan moves to registering the death, not to court
    assert "смерть можно зарегистрировать в органе ЗАГС" in russian
    assert "Суд может признать его безвестно отсутствующим" not in russian

    # A candidate not yet confirmed: labelled so in the report, and kept out of the dossier.
    IdentificationDecision.objects.filter(candidate=candidate).delete()
    CandidateIdentification.objects.filter(pk=candidate.pk).update(
        status=CandidateIdentification.Status.PROPOSED
    )
    unconfirmed = render("dna-report", case, "ru", tmp_path / "unconfirmed.pdf")
    assert term("dna_unconfirmed", "ru") in unconfirmed
    dossier = render("dossier", case, "ru", tmp_path / "dossier-unconfirmed.pdf")
    assert format_lr(data.total_lr, "ru") not in dossier
    # A rejected candidate is not reported at all.
    CandidateIdentification.objects.filter(pk=candidate.pk).update(
        status=CandidateIdentification.Status.REJECTED
    )
    assert (
        main(["documents", "render", "dna-report", "--case", str(case.pk), "--out", str(tmp_path / "n.pdf")])
        == 1
    )
    assert "no DNA comparison result" in capsys.readouterr().err


@pytest.mark.parametrize("lr", [0.0, 1.2, 3.0, 30.0, 300.0, 3e3, 3e4, 3e7, 1 / 3e7, 0.4])
def test_every_verbal_conclusion_is_worded_in_every_language(lr: float) -> None:
    from kinlink.genetics.report import ENFSI_SCALE

    assert len(ENFSI_SCALE) == 6
    words = verbal_equivalent(lr)
    assert words in TERMS, words
    assert TERMS[words] == words and term(words, "en") == words
    assert term(words, "ru") != words and term(words, "uk") != words
