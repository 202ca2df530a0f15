"""Lineage markers: Y-STR haplotypes (paternal line) and mtDNA (maternal line).

Lineage markers are inherited as a block, without recombination, so a whole haplotype is one "allele".
A comparison says whether the POI and a reference are consistent (identical, or for Y-STRs at most one
locus differing by one repeat step, a plausible single mutation), counts the database haplotypes that
match the POI, and estimates the haplotype frequency as ``x / N`` with a one-sided Clopper–Pearson upper
confidence bound (``1 - alpha^(1/N)`` when ``x = 0``). The LR reported for a match is ``1 / upper bound``
(a conservative choice); for a one-step Y difference it is ``(k mu / 2) / upper bound``, with ``k`` the
meioses between the two men and ``mu`` the per-locus mutation rate. Whether a reference may be used at
all depends on the pedigree: Y-STRs need the same paternal line (father, brothers, paternal uncles,
paternal cousins through men); mtDNA needs the same maternal line (mother, maternal siblings, maternal
grandmother, a maternal aunt's children).

mtDNA haplotypes are sets of differences from the rCRS, written like ``16223T 263G 315.1C``. Length
variants in the C-stretches (309.x, 315.x, 16193.x) are ignored by default, as is common practice,
because they are often heteroplasmic. An IUPAC ambiguity code (e.g. ``16093Y``) at a position is
treated as inconclusive there, not as a difference.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scipy.stats import beta

from kinlink.genetics.pedigree import Pedigree

DEFAULT_Y_MUTATION_RATE = 0.0025
LENGTH_VARIANT_POSITIONS = ("309.", "315.", "16193.")
_IUPAC = set("RYKMSWBDHVN")


class LineageError(ValueError):
    """A haplotype or database that cannot be read, or a reference on the wrong line."""


# ------------------------------------------------------------------------------------------- frequencies


def frequency_upper_bound(matches: int, total: int, confidence: float = 0.95) -> float:
    """One-sided Clopper–Pearson upper bound of a haplotype frequency from ``matches`` of ``total``.

    With no database (``total = 0``) the bound is 1: nothing is known about the frequency.
    """
    if not 0 < confidence < 1:
        raise LineageError(f"confidence must be in (0, 1), got {confidence}")
    if matches < 0 or total < 0 or matches > total:
        raise LineageError(f"invalid counts: {matches} matches of {total}")
    if total == 0 or matches == total:
        return 1.0
    if matches == 0:
        return float(1.0 - (1.0 - confidence) ** (1.0 / total))
    return float(beta.ppf(confidence, matches + 1, total - matches))


@dataclass
class LineageResult:
    """Outcome of one lineage comparison."""

    kind: str
    status: str  # "match", "one-step difference", "exclusion", "inconclusive"
    compared: int
    differences: list[str]
    database_size: int
    database_matches: int
    frequency: float | None
    frequency_upper: float
    confidence: float
    lr: float
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "compared": self.compared,
            "differences": self.differences,
            "database_size": self.database_size,
            "database_matches": self.database_matches,
            "frequency": self.frequency,
            "frequency_upper": self.frequency_upper,
            "confidence": self.confidence,
            "lr": self.lr,
            "notes": self.notes,
        }


# ------------------------------------------------------------------------------------------------ Y-STR

YHaplotype = dict[str, str]


def parse_y_haplotype(text: str) -> YHaplotype:
    """Parse ``"DYS19=14, DYS385=11,14, DYS389I=13"``: locus=allele pairs separated by commas or spaces.

    Multi-copy loci keep their alleles joined by commas in ascending order ("11,14").
    """
    haplotype: YHaplotype = {}
    for match in re.finditer(r"([A-Za-z0-9_.\-]+)\s*=\s*([0-9.]+(?:\s*,\s*[0-9.]+(?!\s*=))*)", text):
        locus, alleles = match.group(1), match.group(2)
        parts = sorted((a.strip() for a in alleles.split(",") if a.strip()), key=float)
        haplotype[locus] = ",".join(parts)
    if not haplotype:
        raise LineageError(f"no 'locus=allele' pairs in Y haplotype {text!r}")
    return haplotype


def _y_step(a: str, b: str) -> float | None:
    """Repeat-step difference between two single-copy alleles; ``None`` for multi-copy or non-numeric."""
    if "," in a or "," in b:
        pa, pb = a.split(","), b.split(",")
        if len(pa) != len(pb):
            return None
        diffs = [abs(float(x) - float(y)) for x, y in zip(pa, pb, strict=True)]
        return sum(diffs)
    try:
        return abs(float(a) - float(b))
    except ValueError:
        return None


def compare_y(
    poi: YHaplotype,
    reference: YHaplotype,
    database: Sequence[YHaplotype] = (),
    confidence: float = 0.95,
    mutation_rate: float = DEFAULT_Y_MUTATION_RATE,
    meioses: int = 2,
    one_step_tolerance: bool = True,
) -> LineageResult:
    """Compare two Y-STR haplotypes over their common loci and count POI matches in ``database``.

    Database haplotypes count towards ``N`` only when typed at every compared locus.
    """
    loci = sorted(set(poi) & set(reference))
    notes = []
    if not loci:
        raise LineageError("the POI and the reference share no typed Y-STR locus")
    skipped = sorted(set(poi) ^ set(reference))
    if skipped:
        notes.append(f"loci typed in only one sample are not compared: {skipped}")
    differences = []
    one_step = True
    for locus in loci:
        if poi[locus] != reference[locus]:
            step = _y_step(poi[locus], reference[locus])
            differences.append(f"{locus}: POI {poi[locus]}, reference {reference[locus]}")
            if step is None or step != 1.0:
                one_step = False
    comparable = [h for h in database if all(locus in h for locus in loci)]
    matches = sum(all(h[locus] == poi[locus] for locus in loci) for h in comparable)
    upper = frequency_upper_bound(matches, len(comparable), confidence)
    frequency = matches / len(comparable) if comparable else None
    if not differences:
        status, lr = "match", 1.0 / upper
    elif one_step_tolerance and len(differences) == 1 and one_step:
        status, lr = "one-step difference", (meioses * mutation_rate / 2.0) / upper
        notes.append(f"one locus differs by one repeat: possible mutation over {meioses} meioses")
    else:
        status, lr = "exclusion", 0.0
    return LineageResult(
        "Y-STR",
        status,
        len(loci),
        differences,
        len(comparable),
        matches,
        frequency,
        upper,
        confidence,
        lr,
        notes,
    )


def read_y_database(path: str | Path) -> list[YHaplotype]:
    """Read a long Y-STR database CSV ``id,locus,allele`` (multi-copy loci: one row per copy)."""
    rows: dict[str, dict[str, list[str]]] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [c.strip().lower() for c in reader.fieldnames or []]
        for need in ("id", "locus", "allele"):
            if need not in cols:
                raise LineageError(f"{path}: missing column {need!r}")
        keys = {c.strip().lower(): c for c in reader.fieldnames or []}
        for row_no, row in enumerate(reader, start=2):
            hid, locus, allele = (row[keys[k]].strip() for k in ("id", "locus", "allele"))
            if not hid or not locus or not allele:
                raise LineageError(f"{path}, row {row_no}: empty id, locus or allele")
            try:
                float(allele)
            except ValueError:
                raise LineageError(f"{path}, row {row_no}, column allele: not a number: {allele!r}") from None
            rows.setdefault(hid, {}).setdefault(locus, []).append(allele)
    return [{loc: ",".join(sorted(al, key=float)) for loc, al in h.items()} for h in rows.values()]


# ------------------------------------------------------------------------------------------------ mtDNA


def parse_mt_haplotype(text: str) -> frozenset[str]:
    """Parse differences from the rCRS, e.g. ``"16223T 263G 315.1C"`` (spaces, commas or semicolons)."""
    variants = [v.strip().upper() for v in re.split(r"[\s,;]+", text) if v.strip()]
    for v in variants:
        if not re.fullmatch(r"\d+(\.\d+)?([ACGTRYKMSWBDHVN]|DEL|D|-)", v):
            raise LineageError(f"not an mtDNA variant: {v!r} (expected position and base, like 16223T)")
    return frozenset(variants)


def _position(variant: str) -> str:
    return re.match(r"\d+(\.\d+)?", variant).group(0)  # type: ignore[union-attr]


def _comparable(haplotype: frozenset[str], ignore_length: bool) -> tuple[frozenset[str], set[str]]:
    """Variants used for comparison, and positions with an ambiguity code (inconclusive)."""
    kept = set()
    ambiguous = set()
    for v in haplotype:
        pos = _position(v)
        if ignore_length and any(pos.startswith(p) for p in LENGTH_VARIANT_POSITIONS):
            continue
        if v[len(pos) :] in _IUPAC:
            ambiguous.add(pos.split(".")[0])
            continue
        kept.add(v)
    return frozenset(kept), ambiguous


def compare_mt(
    poi: frozenset[str],
    reference: frozenset[str],
    database: Sequence[frozenset[str]] = (),
    confidence: float = 0.95,
    ignore_length_variants: bool = True,
) -> LineageResult:
    """Compare two mtDNA haplotypes (same sequenced range assumed) and count POI matches in ``database``."""
    p, amb_p = _comparable(poi, ignore_length_variants)
    r, amb_r = _comparable(reference, ignore_length_variants)
    ambiguous = amb_p | amb_r
    diff = sorted(v for v in p ^ r if _position(v).split(".")[0] not in ambiguous)
    differences = [f"{v} in {'POI' if v in p else 'reference'} only" for v in diff]
    notes = []
    if ambiguous:
        notes.append(f"heteroplasmic or ambiguous positions not compared: {sorted(ambiguous)}")
    db = [_comparable(h, ignore_length_variants)[0] for h in database]
    matches = sum(h == p for h in db)
    upper = frequency_upper_bound(matches, len(db), confidence)
    frequency = matches / len(db) if db else None
    if not differences:
        status, lr = "match", 1.0 / upper
    else:
        status, lr = "exclusion", 0.0
    return LineageResult(
        "mtDNA", status, len(p | r), differences, len(db), matches, frequency, upper, confidence, lr, notes
    )


def read_mt_database(path: str | Path) -> list[frozenset[str]]:
    """Read an mtDNA database CSV ``id,variants`` (variants as in :func:`parse_mt_haplotype`)."""
    out = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        keys = {c.strip().lower(): c for c in reader.fieldnames or []}
        for need in ("id", "variants"):
            if need not in keys:
                raise LineageError(f"{path}: missing column {need!r}")
        for row_no, row in enumerate(reader, start=2):
            try:
                out.append(parse_mt_haplotype(row[keys["variants"]] or ""))
            except LineageError as exc:
                raise LineageError(f"{path}, row {row_no}, column variants: {exc}") from exc
    return out


# -------------------------------------------------------------------------------------------- pedigrees


def paternal_meioses(pedigree: Pedigree, a: str, b: str) -> int:
    """Meioses between two men of the same paternal line (through their common male-line ancestor)."""
    if not pedigree.share_paternal_line(a, b):
        raise LineageError(f"{a} and {b} are not on the same paternal line; Y-STRs cannot be compared")
    la, lb = pedigree.paternal_line(a), pedigree.paternal_line(b)
    common = next(x for x in la if x in lb)
    return la.index(common) + lb.index(common)


def check_maternal_line(pedigree: Pedigree, reference: str, missing: str) -> None:
    """Raise :class:`LineageError` unless ``reference`` shares the maternal line of ``missing``."""
    if not pedigree.share_maternal_line(reference, missing):
        raise LineageError(
            f"reference {reference} is not on the maternal line of {missing}; mtDNA cannot be compared"
        )


def compare_y_in_pedigree(
    pedigree: Pedigree,
    reference_id: str,
    missing: str,
    poi: YHaplotype,
    reference: YHaplotype,
    database: Sequence[YHaplotype] = (),
    confidence: float = 0.95,
    mutation_rate: float = DEFAULT_Y_MUTATION_RATE,
) -> LineageResult:
    """:func:`compare_y` with the meioses taken from the pedigree, after checking the paternal line."""
    k = paternal_meioses(pedigree, reference_id, missing)
    return compare_y(poi, reference, database, confidence, mutation_rate, meioses=max(k, 1))


def haplotype_counts(database: Sequence[Mapping[str, str]]) -> dict[tuple[tuple[str, str], ...], int]:
    """Distinct Y haplotypes of a database with their counts (for reports)."""
    counts: dict[tuple[tuple[str, str], ...], int] = {}
    for h in database:
        key = tuple(sorted(h.items()))
        counts[key] = counts.get(key, 0) + 1
    return counts
