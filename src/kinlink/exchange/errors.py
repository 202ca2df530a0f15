"""One error report for every bulk import: file, row, column, reason. A refused import writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem in an input file. ``row`` is 1-based (the header is row 1 in CSV files; the n-th
    record in XML files); 0 means the file as a whole. ``column`` is a column or field name, or ""."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class ImportRefused(Exception):
    """The file was refused; nothing was written. ``problems`` lists every problem found."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"refused, nothing was written ({len(problems)} problem(s)):\n{shown}{more}")


def check_size(path: Path, limit: int) -> None:
    """Refuse a file larger than ``limit`` bytes before reading a byte of it."""
    size = path.stat().st_size
    if size > limit:
        raise ImportRefused(
            [ImportProblem(path.name, 0, "", f"the file is {size} bytes; the limit is {limit} bytes")]
        )


def read_limited(path: Path, limit: int) -> bytes:
    """Read a whole file after the size check; a file that grows past the limit while read is refused too."""
    check_size(path, limit)
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ImportRefused([ImportProblem(path.name, 0, "", f"the file is larger than {limit} bytes")])
    return data
