"""The inquiries in the public figures: counts by kind of addressee and answer, suppressed like the rest,
computed and cached with the other public figures, shown on the figures page and in its CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from kinlink.documents import actions as document_actions
from kinlink.documents.figures import inquiry_figures, outcome
from kinlink.registry import actions
from kinlink.registry.models import Case, Organisation
from kinlink.registry.services.figures import cached_public_figures, refresh_figures_when_due

TODAY = dt.date(2024, 1, 1)


@pytest.fixture
def case(db: Any) -> Iterator[Case]:
    cache.clear()
    org = Organisation.objects.create(name="Поиск", slug="poisk")
    person = actions.add_person(None, names=[{"surname": "Тестов", "is_primary": True}], reason="test")
    yield actions.open_case(None, person, org)
    cache.clear()


def _ask(case: Case, kind: str, n: int, asked: dt.date, answered: dt.date | None = None, **kw: Any) -> None:
    for _ in range(n):
        document_actions.record_inquiry(
            None,
            case,
            addressee_kind=kind,
            addressee=kind,
            question="?",
            asked_on=asked,
            answered_on=answered,
            answer="ответ" if answered else "",
            **kw,
        )


def test_outcomes() -> None:
    due = dt.date(2022, 5, 5)
    assert outcome(dt.date(2022, 5, 5), due, TODAY) == "answered"
    assert outcome(dt.date(2022, 5, 6), due, TODAY) == "answered_late"
    assert outcome(dt.date(2022, 5, 6), None, TODAY) == "answered"
    assert outcome(None, due, TODAY) == "overdue"
    assert outcome(None, due, dt.date(2022, 5, 5)) == "waiting"
    assert outcome(None, None, TODAY) == "waiting"


def test_small_cells_are_withheld_and_unreviewed_family_entries_not_counted(case: Case) -> None:
    _ask(case, "military_unit", 12, dt.date(2022, 4, 2))  # overdue
    _ask(case, "military_unit", 11, dt.date(2022, 4, 2), dt.date(2022, 4, 20))  # answered in time
    _ask(case, "ministry", 3, dt.date(2022, 4, 2))  # overdue, a small group
    _ask(case, "ministry", 4, dt.date(2022, 4, 2), logged_by="family")  # not reviewed: not evidence yet
    figures = inquiry_figures(10, today=TODAY)
    table = figures["table"]
    assert table["row_labels"] == ["military_unit", "ministry"]
    assert table["column_labels"] == ["answered", "overdue"]
    unit = table["row_labels"].index("military_unit")
    # the ministry's 3 are withheld, and with them whatever would reveal them
    ministry = table["row_labels"].index("ministry")
    assert table["cells"][ministry][1] is None and table["row_totals"][ministry] is None
    assert table["cells"][unit][1] is None or table["column_totals"][1] is None
    counts = figures["by_addressee"]
    assert counts["ministry"] is None
    assert counts["military_unit"] is None or counts["total"] is None  # else 3 = total - 23
    assert 3 not in [v for row in table["cells"] for v in row]
    # every cell shown (threshold 1): 26 inquiries, the family's 4 unreviewed entries left out
    everything = inquiry_figures(1, today=TODAY)
    assert everything["total"] == 26
    assert everything["by_addressee"] == {"military_unit": 23, "ministry": 3, "total": 26}
    assert everything["table"]["cells"] == [[11, 12], [0, 3]]


def test_the_section_is_part_of_the_cached_public_figures_and_the_page(case: Case, settings: Any) -> None:
    settings.FIGURES_SUPPRESSION_THRESHOLD = 1  # every cell shown: what is counted can be checked
    settings.KINLINK_FIGURES_SETTLE_SECONDS = 0
    _ask(case, "commissariat", 2, dt.date(2022, 6, 1))
    _ask(case, "red_cross", 1, dt.date(2022, 6, 15))
    figures = cached_public_figures()
    assert figures["inquiries"]["total"] == 3
    assert figures["inquiries"]["table"]["cells"] == [[2, 0], [0, 1]]
    # stored with the rest: a new inquiry shows once the figures are recomputed, never half of them
    _ask(case, "commissariat", 1, dt.date(2022, 6, 2))
    assert cached_public_figures()["inquiries"]["total"] == 3
    assert refresh_figures_when_due() is not None  # the worker's step: the inquiry marked them stale
    assert cached_public_figures()["inquiries"]["total"] == 4
    page = Client().get("/ru/figures/").content.decode()
    assert "Запросы в органы власти" in page
    assert "Без ответа после истечения срока: 3 из 4 запросов." in page
    assert "военный комиссариат" in page
    csv_text = Client().get("/en/figures/figures.csv").content.decode()
    assert "inquiries: addressee_kind x outcome,addressee_kind,commissariat,outcome,overdue,3,no" in csv_text


def test_no_inquiries_no_table(case: Case) -> None:
    assert inquiry_figures(10, today=TODAY)["table"] is None
    assert "No inquiries have been recorded yet." in Client().get("/en/figures/").content.decode()
