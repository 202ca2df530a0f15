"""Numbers and dates as a reader of a language writes them (ru, uk, en): one place for pages and documents.

Pure functions taking the language code; no Django. Machine formats (SVG coordinates, HTML attributes,
CSV, JSON) never go through here: they are written with ``f"{x:.1f}"`` or Django's ``unlocalize``.

- dates: ru ``15 мая 2023 г.``, uk ``15 травня 2023 р.``, en ``15 May 2023``;
- decimals: ru and uk with a decimal comma (``0,95``), en with a point;
- thousands: ru and uk grouped with a narrow no-break space (``12 345``), en with a comma (``12,345``);
- very large or small numbers: ru and uk ``1,73·10¹⁰``, en ``1.73 × 10¹⁰``.

An unknown language code is written as English.
"""

from __future__ import annotations

import datetime as dt
import math

from kinlink.partialdate import PartialDateError, parse_partial_date

MONTHS_GENITIVE = {
    "ru": (
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ),
    "uk": (
        "січня",
        "лютого",
        "березня",
        "квітня",
        "травня",
        "червня",
        "липня",
        "серпня",
        "вересня",
        "жовтня",
        "листопада",
        "грудня",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
MONTHS_NOMINATIVE = {
    "ru": (
        "январь",
        "февраль",
        "март",
        "апрель",
        "май",
        "июнь",
        "июль",
        "август",
        "сентябрь",
        "октябрь",
        "ноябрь",
        "декабрь",
    ),
    "uk": (
        "січень",
        "лютий",
        "березень",
        "квітень",
        "травень",
        "червень",
        "липень",
        "серпень",
        "вересень",
        "жовтень",
        "листопад",
        "грудень",
    ),
    "en": MONTHS_GENITIVE["en"],
}
YEAR_SUFFIX = {"ru": "\u00a0г.", "uk": "\u00a0р.", "en": ""}
#: Narrow no-break space, the thousands separator of ru and uk (CLDR).
NNBSP = "\u202f"
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _lang(lang: str | None) -> str:
    code = (lang or "en").split("-")[0].lower()
    return code if code in MONTHS_GENITIVE else "en"


def format_date(value: dt.date | None, lang: str, empty: str = "—") -> str:
    """A date as the language writes it in running text; ``empty`` for none."""
    if value is None:
        return empty
    lang = _lang(lang)
    month = MONTHS_GENITIVE[lang][value.month - 1]
    if lang == "en":
        return f"{value.day} {month} {value.year}"
    return f"{value.day}\u00a0{month} {value.year}{YEAR_SUFFIX[lang]}"


def format_partial_date(text: str | None, lang: str, empty: str = "—") -> str:
    """A partial date as the registry stores it (``2022``, ``2022-05``, ``2022-05-14``) written for a
    reader: ru ``2022 г.``, ``май 2022 г.``, ``14 мая 2022 г.``; text that is not a date is kept as it is."""
    if not text:
        return empty
    try:
        parsed = parse_partial_date(str(text))
    except PartialDateError:
        return str(text)
    lang = _lang(lang)
    if parsed.day is not None:
        return format_date(parsed.earliest, lang)
    if parsed.month is not None:
        return f"{MONTHS_NOMINATIVE[lang][parsed.month - 1]} {parsed.year}{YEAR_SUFFIX[lang]}"
    return f"{parsed.year}{YEAR_SUFFIX[lang]}"


def _localise_digits(text: str, lang: str) -> str:
    """Swap the machine separators of ``text`` (``,`` thousands, ``.`` decimal) for the language's."""
    if _lang(lang) == "en":
        return text
    return text.replace(",", NNBSP).replace(".", ",")


def format_decimal(value: float, lang: str, digits: int = 2, grouping: bool = True) -> str:
    """A number with a fixed count of decimals and the language's separators."""
    text = f"{value:,.{digits}f}" if grouping else f"{value:.{digits}f}"
    return _localise_digits(text, lang)


def format_integer(value: int, lang: str) -> str:
    """A whole number with the language's thousands separator (ru, uk group only from five digits)."""
    if _lang(lang) != "en" and abs(value) < 10000:
        return str(value)
    return _localise_digits(f"{value:,d}", lang)


def format_significant(value: float, lang: str, digits: int = 4) -> str:
    """A number to ``digits`` significant digits without an exponent (for moderate magnitudes)."""
    text = f"{value:.{digits}g}"
    if "e" in text:
        return format_scientific(value, lang, digits)
    return _localise_digits(text, lang)


def format_scientific(value: float, lang: str, digits: int = 3) -> str:
    """``1.731e+10`` as a reader writes it: ru and uk ``1,73·10¹⁰``, en ``1.73 × 10¹⁰`` (``digits``
    significant digits in the mantissa)."""
    if value == 0 or not math.isfinite(value):
        return _localise_digits(f"{value:g}", lang)
    mantissa_text, exponent_text = f"{value:.{max(digits - 1, 0)}e}".split("e")
    exponent = int(exponent_text)
    mantissa = _localise_digits(mantissa_text, lang)
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    if exponent == 0:
        return mantissa
    if _lang(lang) == "en":
        return f"{mantissa} × {power}"
    return f"{mantissa}·{power}"


def format_ratio(value: float, lang: str) -> str:
    """A likelihood ratio: plain (four significant digits) from 0.001 to 10,000, scientific beyond."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return format_significant(value, lang, 4)
    return format_scientific(value, lang, 3)
