"""One error report for every bulk import: file, row, column, reason.

Row numbers count lines as a spreadsheet shows them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        column = f", column '{self.column}'" if self.column else ""
        return f"{self.file}: row {self.row}{column}: {self.reason}"


class ImportRefused(Exception):
    """The input was refused; nothing was written. ``errors`` says where and why."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"refused {len(errors)} problem(s); nothing was written:\n{shown}{more}")
