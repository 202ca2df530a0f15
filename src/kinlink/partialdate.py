"""Partial dates: a year, a year and month, or a full day (``1987``, ``1987-05``, ``1987-05-14``).

Sources often know only a year or a month. A partial date keeps exactly what the source said,
sorts by its earliest day, and compares with day precision only where both sides have it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DOTTED = re.compile(r"^(?:(\d{1,2})\.)?(\d{1,2})\.(\d{4})$")

PRECISIONS = ("year", "month", "day")


class PartialDateError(ValueError):
    """The text is not a date in a format kinlink accepts."""


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    @property
    def earliest(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> dt.date:
        if self.day is not None and self.month is not None:
            return dt.date(self.year, self.month, self.day)
        if self.month is not None:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return dt.date(self.year, 12, 31)

    def isoformat(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def __str__(self) -> str:
        return self.isoformat()

    @classmethod
    def from_date(cls, day: dt.date) -> PartialDate:
        return cls(day.year, day.month, day.day)


def parse_partial_date(text: str) -> PartialDate:
    """Parse ISO (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) or dotted (``DD.MM.YYYY``, ``MM.YYYY``) text.

    Raises :class:`PartialDateError` naming the problem; years outside 1850..2100 are refused.
    """
    value = text.strip()
    year: int
    month: int | None
    day: int | None
    match = _ISO.match(value)
    if match:
        year = int(match.group(1))
        month = int(match.group(2)) if match.group(2) else None
        day = int(match.group(3)) if match.group(3) else None
    else:
        dotted = _DOTTED.match(value)
        if not dotted:
            raise PartialDateError(f"'{text}' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
        day = int(dotted.group(1)) if dotted.group(1) else None
        month = int(dotted.group(2))
        year = int(dotted.group(3))
    if not 1850 <= year <= 2100:
        raise PartialDateError(f"'{text}': year {year} is out of range")
    if month is not None and not 1 <= month <= 12:
        raise PartialDateError(f"'{text}': month {month} does not exist")
    if day is not None and month is not None:
        try:
            dt.date(year, month, day)
        except ValueError as exc:
            raise PartialDateError(f"'{text}': {exc}") from exc
    return PartialDate(year, month, day)


def parse_optional(text: str | None) -> PartialDate | None:
    """Like :func:`parse_partial_date`, but blank text gives ``None``."""
    if text is None or not text.strip():
        return None
    return parse_partial_date(text)
