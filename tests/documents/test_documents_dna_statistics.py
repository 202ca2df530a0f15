"""DNA identification report (caseworker's and lab's copies) and the aggregate statistics report."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pytest

from kinlink.documents.actions import issue_document
from kinlink.documents.dna import DnaReportData, DnaReportError, MarkerResult, PedigreeMember, pedigree_layout
from kinlink.documents.statistics import AggregateRow, Estimate, StatisticsData, registry_statistics
from kinlink.registry.models import Case


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(text.split())


def comparison(prior: float = 0.01) -> DnaReportData:
    markers = [
        MarkerResult("D3S1358", "15/16", 4.2, (("RS-0101", "15/17"), ("RS-0102", "16/17"))),
        MarkerResult("TH01", "9.3/9.3", 11.5, (("RS-0101", "9.3/6"), ("RS-0102", "9.3/7"))),
        MarkerResult("FGA", "22/24", 6.0, (("RS-0101", "22/20"),)),
    ]
    total = math.prod(m.likelihood_ratio for m in markers)
    odds = prior / (1 - prior) * total
    return DnaReportData(
        case_number="CASE-2024-0042",
        remains_code="RM-0007",
        remains_name="Кузнецов Алексей Петрович (предположительно)",
        lab="Лаборатория судебной генетики",
        marker_kit="GlobalFiler",
        markers=markers,
        total_lr=total,
        prior=prior,
        posterior=odds / (1 + odds),
        verbal_conclusion="moderate support for H1",
        method_statement="Exact pedigree likelihood by peeling; allele frequencies from the reference data.",
        pedigree=[
            PedigreeMember("F", "M", role="father"),
            PedigreeMember("Mo", "F", sample_code="RS-0101", role="mother", name="Кузнецова Мария Ивановна"),
            PedigreeMember(
                "MP", "M", "F", "Mo", role="missing person", name="Кузнецов Алексей", is_missing=True
            ),
            PedigreeMember("B", "M", "F", "Mo", sample_code="RS-0102", role="brother", name="Кузнецов Иван"),
        ],
    )


@pytest.mark.django_db
def test_dna_report_names_only_in_the_caseworkers_copy(history_case: Case, tmp_path: Path) -> None:
    data = comparison()
    caseworker = pdf_text(
        bytes(issue_document("dna-report", history_case, "en", user=None, dna_result=data).pdf), tmp_path
    )
    assert "DNA identification report" in caseworker and "Caseworker's copy" in caseworker
    for fact in (
        "RM-0007",
        "RS-0101",
        "RS-0102",
        "GlobalFiler",
        "D3S1358",
        "9.3/9.3",
        "11.5",
        "289.8",
        "0.745",
        "moderate support for H1",
        "Exact pedigree likelihood",
        "Кузнецова Мария Ивановна",
    ):
        assert fact in caseworker, fact
    lab = issue_document("dna-report", history_case, "en", user=None, dna_result=data, audience="lab")
    lab_text = pdf_text(bytes(lab.pdf), tmp_path)
    assert "Laboratory copy" in lab_text and "RS-0101" in lab_text and "289.8" in lab_text
    for name in ("Кузнецова", "Кузнецов", "CASE-2024-0042"):
        assert name not in lab_text


def test_inconsistent_dna_results_are_refused() -> None:
    data = comparison()
    with pytest.raises(DnaReportError, match="not the product"):
        DnaReportData(**{**data.__dict__, "total_lr": 1000.0}).check() if False else _replace(
            data, total_lr=1000.0
        )
    with pytest.raises(DnaReportError, match="does not follow from prior"):
        _replace(data, posterior=0.5)
    with pytest.raises(DnaReportError, match="unknown parent"):
        _replace(data, pedigree=[PedigreeMember("C", "M", "nobody", None)])


def _replace(data: DnaReportData, **changes: object) -> None:
    import dataclasses

    dataclasses.replace(data, **changes).check()  # type: ignore[arg-type]


def test_pedigree_layout_puts_children_below_parents() -> None:
    layout = pedigree_layout(comparison().pedigree)
    ys = {n["role"]: n["y"] for n in layout["nodes"]}
    assert ys["father"] == ys["mother"] < ys["missing person"] == ys["brother"]
    assert [n["typed"] for n in layout["nodes"]] == [False, True, False, True]
    assert len(layout["lines"]) == 4  # a partner line and a descent line per child


def test_pedigree_layout_of_a_pedigree_thousands_of_generations_deep() -> None:
    """Issue 17: a deep pedigree crashed with RecursionError; the layout walks the generations iteratively
    (``genetics.pedigree.ancestral_order``) and still refuses a cycle."""
    members = [PedigreeMember("G0", "M"), PedigreeMember("W0", "F")]
    for g in range(1, 3000):
        members += [PedigreeMember(f"W{g}", "F"), PedigreeMember(f"G{g}", "M", f"G{g - 1}", f"W{g - 1}")]
    layout = pedigree_layout(members)
    assert len(layout["nodes"]) == len(members)
    assert layout["nodes"][-1]["y"] > layout["nodes"][-3]["y"] > layout["nodes"][0]["y"]  # G2999, G2998, G0
    with pytest.raises(DnaReportError, match="cycle"):
        pedigree_layout(
            [PedigreeMember("A", "M", "B", "C"), PedigreeMember("B", "M", "A", "C"), PedigreeMember("C", "F")]
        )


@pytest.mark.django_db
def test_statistics_report_and_web_figures_give_the_same_total(history_case: Case, tmp_path: Path) -> None:
    """One computation (``registry.services.figures.public_figures``) for the PDF and the public page."""
    from django.core.cache import cache
    from django.test import Client

    from kinlink.registry import actions
    from kinlink.registry.services.figures import public_figures

    cache.clear()
    first = actions.add_source(None, kind="prisoner_list", name="list A", reference="list")
    second = actions.add_source(None, kind="exchange_list", name="list B", reference="list")
    persons = [actions.add_person(None, names=[], reason="listed") for _ in range(40)]
    for i, person in enumerate(persons[:20]):
        actions.add_list_record(None, first, f"a{i}", person, {}, "x")
    for i, person in enumerate(persons[10:30]):
        actions.add_list_record(None, second, f"b{i}", person, {}, "x")
    # 30 people on the lists, 11 on none (the history case's person and 10 more): both may be published
    web = public_figures(10)["estimate"]
    assert web is not None and web["observed"] == 30
    figures = registry_statistics()
    [estimate] = figures.estimates
    assert estimate.estimate == pytest.approx(web["estimate"])
    assert (estimate.low, estimate.high) == pytest.approx(tuple(web["interval"]))
    assert 30 <= estimate.low <= estimate.estimate <= estimate.high
    assert figures.threshold == 10
    assert {row.group for row in figures.aggregates} == {"fate", "region"}

    total, low, high = (f"{v:.0f}" for v in (web["estimate"], *web["interval"]))
    page = Client().get("/en/figures/").content.decode()
    assert f"{total} (95% interval {low} to {high})" in page
    text = pdf_text(bytes(issue_document("statistics", None, "en", user=None).pdf), tmp_path)
    assert f"{total} {low} – {high}" in text


@pytest.mark.django_db
def test_statistics_report_suppresses_small_cells(history_case: Case, tmp_path: Path) -> None:
    data = StatisticsData(
        aggregates=[
            AggregateRow("fate", "missing", 1234),
            AggregateRow("fate", "dead", 3),
            AggregateRow("region", "Курская область", 57),
        ],
        estimates=[Estimate("total missing", 5120.0, 4300.0, 6100.0, "multiple-systems estimation")],
        method_note="Counts below 5 are suppressed.",
    )
    text = pdf_text(bytes(issue_document("statistics", None, "ru", user=None, statistics=data).pdf), tmp_path)
    assert "Сводная статистика" in text and "1234" in text and "<5" in text and "Курская область" in text
    assert "5120" in text and "4300 – 6100" in text and "multiple-systems estimation" in text
    # The suppressed count appears nowhere in the figures (the header's issue date may hold a 3).
    figures = text[text.index("Цифры") : text.index("Оценки")]
    assert "погиб <5" in figures and " 3 " not in f" {figures} "


def test_report_from_the_genetics_engine_uses_its_lr_and_verbal_scale() -> None:
    from kinlink.documents.dna import from_kinship
    from kinlink.genetics.kinship import KinshipCase, missing_person_lr
    from kinlink.genetics.markers import make_locus
    from kinlink.genetics.pedigree import Pedigree, Person
    from kinlink.genetics.report import verbal_equivalent

    pedigree = Pedigree(
        [
            Person("F", "male"),
            Person("M", "female"),
            Person("MP", "male", "F", "M"),
            Person("B", "male", "F", "M"),
        ]
    )
    loci = [
        make_locus("D3S1358", {"14": 0.1, "15": 0.25, "16": 0.25, "17": 0.4}),
        make_locus("TH01", {"6": 0.2, "7": 0.2, "9.3": 0.3, "9": 0.3}),
    ]
    case = KinshipCase(
        id="k1",
        pedigree=pedigree,
        missing="MP",
        loci=loci,
        references={"M": {"D3S1358": ["15", "16"], "TH01": ["9.3", "9.3"]}},
        poi={"D3S1358": ["15", "17"], "TH01": ["9.3", "6"]},
    )
    result = missing_person_lr(case)
    report = from_kinship(
        case,
        result,
        case_number="C-1",
        remains_code="RM-1",
        lab="Lab",
        prior=0.5,
        sample_codes={"M": "RS-9"},
        roles={"M": "mother"},
        names={"M": "Мария"},
    )
    report.check()
    assert report.total_lr == pytest.approx(result.lr)
    assert report.verbal_conclusion == verbal_equivalent(result.lr)
    assert [m.sample_code for m in report.pedigree if m.typed] == ["RS-9"]
    assert [m.marker for m in report.markers] == ["D3S1358", "TH01"]
