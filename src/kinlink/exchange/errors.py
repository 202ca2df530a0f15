"""Bulk imports share the registry's one error report (:mod:`kinlink.registry.services.bulk`): file, row,
column, reason; a refused import writes nothing. Here: the size limit, checked before a byte is read."""

from __future__ import annotations

from pathlib import Path

from kinlink.registry.services.bulk import ImportRefused, RowError

__all__ = ["ImportRefused", "RowError", "check_size", "read_limited"]


def check_size(path: Path, limit: int) -> None:
    """Refuse a file larger than ``limit`` bytes before reading a byte of it."""
    size = path.stat().st_size
    if size > limit:
        raise ImportRefused(
            [RowError(path.name, 0, "", f"the file is {size} bytes; the limit is {limit} bytes")]
        )


def read_limited(path: Path, limit: int) -> bytes:
    """Read a whole file after the size check; a file that grows past the limit while read is refused too."""
    check_size(path, limit)
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ImportRefused([RowError(path.name, 0, "", f"the file is larger than {limit} bytes")])
    return data
