"""Genotype CSV: a lab's DNA profiles for the samples it holds, by sample code only. The one allele rule.

Columns ``sample, marker, allele1, allele2`` (the genetics engine's genotype CSV), one row per sample
and marker, UTF-8 (a BOM is allowed; header names are read without regard to case or spaces). Allele
labels are strings: a repeat number with an optional microvariant ("15", "9.3"), or X/Y for amelogenin;
anything else (for instance ``<script>``) is refused. A homozygote repeats the allele. An empty or "-"
allele is untyped and stored as "-" (a dropout); a marker with no called allele is left out, exactly as
``kinlink.genetics.formats.read_genotype_csv`` reads the file. Every problem of the file is reported as
file, row, column, reason.

This module only reads: storing the profiles is :func:`kinlink.identification.actions.store_lab_profiles`,
which every upload (lab console, API, ``kinlink exchange genotypes-import``) goes through.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from kinlink.exchange.errors import ImportRefused, RowError

ALLELE_RE = re.compile(r"^(?:\d{1,3}(?:\.\d)?|X|Y)$")
MARKER_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,30}$")
COLUMNS = ("sample", "marker", "allele1", "allele2")
UNTYPED = ("", "-")


def allele_problem(label: str) -> str:
    """Why an allele label is refused, or "" when it is valid."""
    if ALLELE_RE.match(label):
        return ""
    return f"{label[:40]!r} is not an allele label (a repeat number like '15' or '9.3', or X/Y)"


def marker_problem(name: str) -> str:
    return "" if MARKER_RE.match(name) else f"{name[:40]!r} is not a locus name"


def decode_utf8(data: bytes, filename: str) -> str:
    """UTF-8 text (a BOM is allowed) with no NUL character (no database stores one); otherwise the row and
    column of the first bad byte are reported."""
    nul = data.find(b"\x00")
    if nul >= 0:
        row = data[:nul].count(b"\n") + 1
        column = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        raise ImportRefused(
            [RowError(filename, row, f"byte {column}", "the file contains a NUL character (byte 0x00)")]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ImportRefused(
            [
                RowError(
                    filename,
                    row,
                    f"byte {column}",
                    f"the file is not UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8 "
                    "(a cp1251 or KOI8-R export must be converted)",
                )
            ]
        ) from exc


@dataclass(frozen=True, slots=True)
class GenotypeFile:
    """Profiles by sample code (marker -> two alleles) and the first row of each sample in the file."""

    profiles: dict[str, dict[str, list[str]]]
    first_row: dict[str, int] = field(default_factory=dict)
    #: Problems of the rows (the file is refused when there is any); a caller adds its own checks.
    problems: list[RowError] = field(default_factory=list)

    @property
    def markers(self) -> int:
        return sum(len(p) for p in self.profiles.values())


def parse_genotype_file(data: bytes, filename: str) -> GenotypeFile:
    """Read a genotype CSV; raises :class:`ImportRefused` with every problem found."""
    parsed = read_genotype_file(data, filename)
    if parsed.problems:
        raise ImportRefused(parsed.problems)
    return parsed


def read_genotype_file(data: bytes, filename: str) -> GenotypeFile:
    """Read a genotype CSV, collecting the rows' problems in ``problems`` (an undecodable file or a
    missing column raises :class:`ImportRefused` at once: no row can be read then)."""
    text = decode_utf8(data, filename)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportRefused([RowError(filename, 1, c, "missing column") for c in missing])
    where = {c: header.index(c) for c in COLUMNS}
    problems: list[RowError] = []
    profiles: dict[str, dict[str, list[str]]] = {}
    first_row: dict[str, int] = {}
    seen: dict[str, set[str]] = {}
    for row_number, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        row = {c: (raw[i].strip() if i < len(raw) else "") for c, i in where.items()}
        sample, marker = row["sample"], row["marker"]
        alleles = [row["allele1"], row["allele2"]]
        if not sample:
            problems.append(RowError(filename, row_number, "sample", "empty"))
        if reason := marker_problem(marker):
            problems.append(RowError(filename, row_number, "marker", reason))
        alleles = ["-" if a in UNTYPED else a for a in alleles]
        untyped = alleles == ["-", "-"]
        for column, label in zip(("allele1", "allele2"), alleles, strict=True):
            if label != "-" and (reason := allele_problem(label)):
                problems.append(RowError(filename, row_number, column, reason))
        if sample and marker in seen.get(sample, set()):
            problems.append(RowError(filename, row_number, "marker", f"{marker} given twice for {sample}"))
        seen.setdefault(sample, set()).add(marker)
        first_row.setdefault(sample, row_number)
        profile = profiles.setdefault(sample, {})
        if not untyped:
            profile[marker] = alleles
    if not problems and not profiles:
        problems.append(RowError(filename, 0, "", "the file has no genotype rows"))
    return GenotypeFile(profiles, first_row, problems)


def parse_genotype_csv(data: bytes, filename: str) -> dict[str, dict[str, list[str]]]:
    """Profiles by sample code; raises :class:`ImportRefused` with every problem found."""
    return parse_genotype_file(data, filename).profiles


def genotype_csv(profiles: dict[str, dict[str, list[str]]]) -> bytes:
    """Profiles written as a genotype CSV (how the API hands a JSON profile to the one parser)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for sample, profile in profiles.items():
        for marker, alleles in profile.items():
            writer.writerow([sample, marker, *alleles])
    return out.getvalue().encode("utf-8")
