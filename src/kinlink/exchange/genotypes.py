"""Genotype CSV import: a lab's DNA profiles for the samples it holds, by sample code only.

Columns ``sample, marker, allele1, allele2`` (the genetics engine's genotype CSV), one row per sample
and marker, UTF-8. Allele labels are strings: a repeat number with an optional microvariant ("15",
"9.3"), or X/Y for amelogenin; anything else (for instance ``<script>``) is refused. Every problem is
reported as file, row, column, reason, and a file with any problem writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kinlink.exchange.errors import ImportRefused, RowError, read_limited
from kinlink.registry.models import Organisation, Sample
from kinlink.registry.services import audit

ALLELE_RE = re.compile(r"^(?:\d{1,3}(?:\.\d)?|X|Y)$")
MARKER_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,30}$")
COLUMNS = ("sample", "marker", "allele1", "allele2")


def allele_problem(label: str) -> str:
    """Why an allele label is refused, or "" when it is valid."""
    if ALLELE_RE.match(label):
        return ""
    return f"{label[:40]!r} is not an allele label (a repeat number like '15' or '9.3', or X/Y)"


def marker_problem(name: str) -> str:
    return "" if MARKER_RE.match(name) else f"{name[:40]!r} is not a locus name"


def decode_utf8(data: bytes, filename: str) -> str:
    """UTF-8 text (a BOM is allowed); otherwise the row and column of the first bad byte are reported."""
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
class GenotypeImportResult:
    samples: int
    markers: int


def parse_genotype_csv(data: bytes, filename: str) -> dict[str, dict[str, list[str]]]:
    """Profiles by sample code; raises :class:`ImportRefused` with every problem found."""
    text = decode_utf8(data, filename)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportRefused([RowError(filename, 1, c, "missing column") for c in missing])
    problems: list[RowError] = []
    profiles: dict[str, dict[str, list[str]]] = {}
    for row_number, row in enumerate(reader, start=2):
        sample = (row.get("sample") or "").strip()
        marker = (row.get("marker") or "").strip()
        alleles = [(row.get("allele1") or "").strip(), (row.get("allele2") or "").strip()]
        if not sample:
            problems.append(RowError(filename, row_number, "sample", "empty"))
        if reason := marker_problem(marker):
            problems.append(RowError(filename, row_number, "marker", reason))
        for column, label in zip(("allele1", "allele2"), alleles, strict=True):
            if reason := allele_problem(label):
                problems.append(RowError(filename, row_number, column, reason))
        if sample and marker in profiles.get(sample, {}):
            problems.append(RowError(filename, row_number, "marker", f"{marker} given twice for {sample}"))
        profiles.setdefault(sample, {})[marker] = alleles
    if not problems and not profiles:
        problems.append(RowError(filename, 0, "", "the file has no genotype rows"))
    if problems:
        raise ImportRefused(problems)
    return profiles


def import_genotype_csv(path: Path, lab: Organisation) -> GenotypeImportResult:
    """Store the profiles on the lab's own samples; all or nothing, audited per sample."""
    data = read_limited(path, int(settings.KINLINK_MAX_UPLOAD_BYTES))
    return import_genotype_bytes(data, path.name, lab)


def import_genotype_bytes(data: bytes, filename: str, lab: Organisation) -> GenotypeImportResult:
    profiles = parse_genotype_csv(data, filename)
    samples = {s.code: s for s in Sample.objects.filter(code__in=list(profiles), lab=lab)}
    unknown = sorted(set(profiles) - set(samples))
    if unknown:
        raise ImportRefused(
            [
                RowError(filename, 0, "sample", f"{code}: no such sample held by {lab.slug}")
                for code in unknown
            ]
        )
    with transaction.atomic():
        for code, profile in profiles.items():
            sample = samples[code]
            sample.profile = json.dumps(profile, sort_keys=True)
            sample.status = Sample.Status.PROFILED
            sample.save(update_fields=["profile", "status"])
            audit.record(
                None, "import_genotype", sample, label=f"genotype csv {filename}", markers=len(profile)
            )
    return GenotypeImportResult(len(profiles), sum(len(p) for p in profiles.values()))
