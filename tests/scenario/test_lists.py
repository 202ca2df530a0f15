"""The lists the linkage benchmark scores: realistic variation, and the harsher lists of issue 16."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from kinlink.scenario import generate
from kinlink.scenario.lists import (
    COLLOQUIAL,
    FOREIGN_GIVEN,
    VariationRates,
    _local_date,
    _swap_words,
    varied_lists,
)

_ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    return generate(seed=5, size=400)


def _rows(world, rates: VariationRates) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [record.row for record in varied_lists(world, rates=rates)]


def test_default_lists_keep_iso_dates(world) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(world, VariationRates())
    dates = [r[c] for r in rows for c in ("birth_date", "event_date") if r[c]]
    assert dates and all(_ISO.match(d) for d in dates)
    assert _rows(world, VariationRates()) == rows  # deterministic


def test_harsh_lists_add_independent_kinds_of_noise(world) -> None:  # type: ignore[no-untyped-def]
    plain = _rows(world, VariationRates.hard())
    harsh = _rows(world, VariationRates.harsh())
    assert [r["record_id"] for r in harsh] == [r["record_id"] for r in plain]  # same records, same truth
    dates = [r[c] for r in harsh for c in ("birth_date", "event_date") if r[c]]
    local = [d for d in dates if not _ISO.match(d)]
    assert 0.1 < len(local) / len(dates) < 0.5
    assert any("/" in d for d in local) and any("." in d for d in local)

    def patronymic_missing(rows: list[dict[str, str]]) -> int:  # among records in split columns
        return sum(1 for r in rows if r["surname"] and not r["patronymic"])

    assert patronymic_missing(plain) == 0
    assert patronymic_missing(harsh) > 0
    mixed = [
        r["full_name"]
        for r in harsh
        if re.search(r"[\u0400-\u04FF]", r["full_name"])
        and re.search(r"[A-Za-z]", r["full_name"].split(",")[0])
    ]
    assert mixed  # OCR: Latin look-alikes inside Cyrillic names
    media = " ".join(r["full_name"] for r in harsh if r["source"] == "media_list")
    assert re.search(r"sz|cz|ż|ł|č|š", media)  # Polish and Czech spellings
    given_words = Counter(w for r in harsh for w in r["full_name"].split())
    colloquial = {form for ru, uk in COLLOQUIAL.values() for form in (*ru, *uk)}
    foreign = {form for forms in FOREIGN_GIVEN.values() for form in forms.values()}
    assert colloquial & set(given_words)
    assert foreign & set(given_words)


@pytest.mark.parametrize(
    ("iso", "style", "written"),
    [
        ("1990-05-07", 0, "07.05.1990"),
        ("1990-05-07", 1, "07/05/1990"),
        ("1990-05-07", 2, "7.5.1990"),
        ("1990-05-07", 3, "1990.05.07"),
        ("1990-05-07", 4, "07-05-1990"),
        ("1990-05-07", 5, "1990/05/07"),
        ("1990-05", 0, "05.1990"),
        ("1990-05", 1, "05/1990"),
        ("1990", 1, "1990"),
        ("", 1, ""),
    ],
)
def test_local_dates(iso: str, style: int, written: str) -> None:
    assert _local_date(iso, style) == written


def test_swapped_words_keep_an_initials_only_name() -> None:
    assert _swap_words("Петров Иван Сергеевич", "Петров", "Иван") == "Иван Петров Сергеевич"
    # «Бойко С.А.»: the given name is only an initial, so nothing is exchanged
    assert _swap_words("Бойко С.А.", "Бойко", "Сергей") == "Бойко С.А."
