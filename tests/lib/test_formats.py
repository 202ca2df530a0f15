"""Numbers and dates as a Russian, Ukrainian or English reader writes them."""

from __future__ import annotations

import datetime as dt

import pytest

from kinlink.lib.formats import (
    NNBSP,
    format_date,
    format_decimal,
    format_integer,
    format_partial_date,
    format_ratio,
    format_scientific,
    format_significant,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ru", f"15{NBSP}мая 2023{NBSP}г."),
        ("uk", f"15{NBSP}травня 2023{NBSP}р."),
        ("en", "15 May 2023"),
        ("de", "15 May 2023"),  # an unknown language is written as English
    ],
)
def test_dates(lang: str, expected: str) -> None:
    assert format_date(dt.date(2023, 5, 15), lang) == expected


def test_every_month_and_no_date() -> None:
    assert format_date(dt.date(1998, 7, 14), "ru") == f"14{NBSP}июля 1998{NBSP}г."
    assert format_date(dt.date(2022, 3, 1), "uk") == f"1{NBSP}березня 2022{NBSP}р."
    assert format_date(dt.date(2022, 12, 31), "en") == "31 December 2022"
    assert format_date(None, "ru") == "—" and format_date(None, "ru", empty="") == ""


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("ru", "1,73·10¹⁰"), ("uk", "1,73·10¹⁰"), ("en", "1.73 × 10¹⁰")],
)
def test_large_numbers(lang: str, expected: str) -> None:
    assert format_scientific(1.731e10, lang) == expected
    assert format_ratio(1.731e10, lang) == expected


def test_small_numbers_and_negative_exponents() -> None:
    assert format_scientific(2.5e-7, "ru") == "2,50·10⁻⁷"
    assert format_scientific(2.5e-7, "en", digits=2) == "2.5 × 10⁻⁷"
    assert format_scientific(3.0, "en") == "3.00"
    assert format_scientific(0.0, "ru") == "0"


def test_decimals_and_thousands() -> None:
    assert format_decimal(0.95, "ru") == "0,95" and format_decimal(0.95, "en") == "0.95"
    assert format_decimal(12345.678, "uk", 1) == f"12{NNBSP}345,7"
    assert format_decimal(12345.678, "en", 1) == "12,345.7"
    assert format_decimal(12345.678, "ru", 1, grouping=False) == "12345,7"
    assert format_integer(741, "ru") == "741" and format_integer(1200, "ru") == "1200"
    assert format_integer(12000, "ru") == f"12{NNBSP}000" and format_integer(1200, "en") == "1,200"


def test_ratios_plain_in_the_middle_range() -> None:
    assert format_ratio(12.3456, "ru") == "12,35" and format_ratio(12.3456, "en") == "12.35"
    assert format_ratio(0.5, "uk") == "0,5"
    assert format_ratio(0, "ru") == "0"
    assert format_significant(123456789.0, "ru", 4) == "1,235·10⁸"


def test_partial_dates_as_the_language_writes_them() -> None:
    assert format_partial_date("2022-05-14", "ru") == f"14{NBSP}мая 2022{NBSP}г."
    assert format_partial_date("2022-05", "ru") == f"май 2022{NBSP}г."
    assert format_partial_date("2022-05", "uk") == f"травень 2022{NBSP}р."
    assert format_partial_date("2022-05", "en") == "May 2022"
    assert format_partial_date("2022", "uk") == f"2022{NBSP}р."
    assert format_partial_date("2022", "en") == "2022"
    assert format_partial_date("", "ru") == "—" and format_partial_date("spring 2022", "ru") == "spring 2022"
