"""Reading and writing genetics inputs: case JSON, genotype CSV, pedigree CSV, Familias files.

Every reader raises :class:`FormatError` naming the file, the row or line, the column and the reason, and
returns plain objects; nothing is written anywhere.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kinlink.genetics.kinship import KinshipCase
from kinlink.genetics.markers import FrequencyDatabase, FrequencyError, Locus, is_untyped, make_locus
from kinlink.genetics.mutation import MarkerMutation, MutationModel, MutationModelError
from kinlink.genetics.pedigree import (
    MISSING_FLAGS,
    NO_PARENT,
    SEX_CODES,
    Pedigree,
    PedigreeError,
    PedigreeMember,
    Person,
    Problem,
    ancestral_order,
    member_problems,
)

if TYPE_CHECKING:  # not imported at run time: `kinlink dna lr` starts without pathlib
    from pathlib import Path


def _stem(path: str) -> str:
    """``pathlib.Path(path).stem``: the file name without its last suffix."""
    name = os.path.basename(path.rstrip("/"))
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _read_text(path: str | os.PathLike[str], encoding: str, errors: str = "strict") -> str:
    with open(path, encoding=encoding, errors=errors) as fh:
        return fh.read()


class FormatError(ValueError):
    """An input file that cannot be read; the message names file, row/line, column and reason.

    ``problems`` lists every problem found, each a :class:`~kinlink.genetics.pedigree.Problem` (row or
    line, column, reason), for callers that collect errors into a report; ``line`` and ``column`` repeat
    the first one's place (``line`` is None when the problem is not on one line).
    """

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: str = "",
        *,
        problems: Sequence[Problem] = (),
    ) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.problems = list(problems) or [Problem(line, column, message)]

    @classmethod
    def collected(cls, source: str, problems: Sequence[Problem], unit: str = "row") -> FormatError:
        """One error for all ``problems`` of ``source``; ``unit`` is "row" (CSV) or "line" (text files)."""
        parts = []
        for p in problems:
            place = [source]
            if p.row is not None:
                place.append(f"{unit} {p.row}")
            if p.column:
                place.append(f"column {p.column}")
            parts.append(f"{', '.join(place)}: {p.reason}")
        first = problems[0]
        return cls("; ".join(parts), first.row, first.column, problems=problems)


# --------------------------------------------------------------------------------------------- case JSON


def _profile(value: Any, where: str) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        raise FormatError(f"{where}: expected an object marker -> [allele, allele]")
    out: dict[str, list[str]] = {}
    for marker, alleles in value.items():
        if alleles is None:
            continue
        if not isinstance(alleles, list) or not 1 <= len(alleles) <= 2:
            raise FormatError(f"{where}, marker {marker}: expected a list of one or two allele labels")
        labels = [a if type(a) is str else str(a) for a in alleles]
        if all(is_untyped(a) for a in labels):
            continue
        out[marker if type(marker) is str else str(marker)] = labels
    return out


# Loci read from case files, by name, frequencies, mutation spec and database size. Cases of one lab
# share their markers, so a batch of cases builds each locus (and its mutation matrices) once. A Locus is
# immutable, so sharing it between cases is safe; the cache is emptied when it reaches its size.
_LOCUS_CACHE: dict[Hashable, Locus] = {}
_LOCUS_CACHE_SIZE = 4096


def _locus_key(name: str, freqs: Mapping[str, float], mutation: Any, database_size: Any) -> Hashable | None:
    """The cache key of a case file's marker, or ``None`` when its spec is not plain JSON."""
    spec = _frozen([mutation, database_size])
    if spec is None:
        return None
    return (name, tuple(freqs.items()), spec)


def _frozen(value: Any) -> Hashable | None:
    """A hashable image of plain JSON (objects, arrays, strings, finite numbers, booleans, null) that
    tells apart what JSON tells apart (``1`` from ``1.0`` and ``true``); ``None`` for anything else."""
    kind = type(value)
    if kind is dict:
        items = []
        for key, item in value.items():
            frozen = _frozen(item)
            if type(key) is not str or frozen is None:
                return None
            items.append((key, frozen))
        return (dict, tuple(sorted(items)))
    if kind is list:
        frozen_items = [_frozen(item) for item in value]
        return None if any(f is None for f in frozen_items) else (list, tuple(frozen_items))
    if kind is float and not math.isfinite(value):
        return None
    if kind in (str, int, float, bool) or value is None:
        return (kind, value)
    return None


def case_from_json(obj: Mapping[str, Any], source: str = "<case>") -> KinshipCase:
    """Build a :class:`KinshipCase` from the case JSON of ``tests/data/genetics/cases/README.md``.

    Extensions: ``"theta"`` (number), ``"dropout"`` (person id -> probability), ``"poi_dropout"`` and
    ``"floor"`` (frequency for alleles missing from a marker's table).
    """
    for key in ("markers", "pedigree", "missing"):
        if key not in obj:
            raise FormatError(f"{source}: missing key {key!r}")
    case_id = str(obj.get("id") or _stem(source))
    loci: list[Locus] = []
    markers = obj["markers"]
    if not isinstance(markers, Mapping) or not markers:
        raise FormatError(f"{source}: 'markers' must be a non-empty object")
    for name, spec in markers.items():
        where = f"{source}, marker {name}"
        if not isinstance(spec, Mapping) or not isinstance(spec.get("alleles"), Mapping):
            raise FormatError(f"{where}: expected {{'alleles': {{label: freq}}, 'mutation': ...}}")
        try:
            freqs = {str(a): float(f) for a, f in spec["alleles"].items()}
            locus_key = _locus_key(str(name), freqs, spec.get("mutation"), spec.get("database_size"))
            cached = _LOCUS_CACHE.get(locus_key) if locus_key is not None else None
            if cached is None:
                mutation = MarkerMutation.from_json(spec.get("mutation"))
                cached = make_locus(str(name), freqs, mutation, spec.get("database_size"))
                cached.mutation_matrices()
                if locus_key is not None:
                    if len(_LOCUS_CACHE) >= _LOCUS_CACHE_SIZE:
                        _LOCUS_CACHE.clear()
                    _LOCUS_CACHE[locus_key] = cached
        except (ValueError, TypeError, FrequencyError, MutationModelError) as exc:
            raise FormatError(f"{where}: {exc}") from exc
        loci.append(cached)
    try:
        pedigree = Pedigree.from_records(obj["pedigree"])
    except PedigreeError as exc:
        raise FormatError(f"{source}: {exc}") from exc
    references = {
        str(pid): _profile(prof, f"{source}, genotypes of {pid}")
        for pid, prof in (obj.get("genotypes") or {}).items()
    }
    poi = _profile(obj.get("poi") or {}, f"{source}, poi")
    try:
        dropout = {str(k): float(v) for k, v in (obj.get("dropout") or {}).items()}
        case = KinshipCase(
            id=case_id,
            pedigree=pedigree,
            missing=str(obj["missing"]),
            loci=loci,
            references=references,
            poi=poi,
            dropout=dropout,
            poi_dropout=float(obj.get("poi_dropout", 0.0)),
            theta=float(obj.get("theta", 0.0)),
            floor=None if obj.get("floor") is None else float(obj["floor"]),
            expected=obj.get("expected"),
            meta={k: obj[k] for k in ("relationship", "poi_is", "mutation_injected_at") if k in obj},
        )
        case.validate()
    except (ValueError, TypeError) as exc:
        raise FormatError(f"{source}: {exc}") from exc
    return case


def read_case_json(path: str | Path) -> KinshipCase:
    """Read one case JSON file."""
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.loads(fh.read())
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}, line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from exc
    except OSError as exc:
        raise FormatError(f"{path}: cannot read: {exc.strerror}") from exc
    if not isinstance(obj, Mapping):
        raise FormatError(f"{path}: expected a JSON object")
    return case_from_json(obj, str(path))


def case_to_json(case: KinshipCase) -> dict[str, Any]:
    """The case JSON of a :class:`KinshipCase` (inverse of :func:`case_from_json`)."""
    markers: dict[str, Any] = {}
    for locus in case.loci:
        spec: dict[str, Any] = {
            "alleles": {a: float(f) for a, f in zip(locus.alleles, locus.freqs, strict=True)}
        }
        mut = locus.mutation
        if not (mut.female.model == "none" and mut.male.model == "none"):
            m: dict[str, Any] = {"model": {"female": mut.female.model, "male": mut.male.model}}
            for key in ("rate", "rate2", "range"):
                m[key] = {"female": getattr(mut.female, key), "male": getattr(mut.male, key)}
            if mut.female.matrix is not None or mut.male.matrix is not None:
                m["matrix"] = {
                    "female": [list(r) for r in mut.female.matrix or ()],
                    "male": [list(r) for r in mut.male.matrix or ()],
                }
            spec["mutation"] = m
        markers[locus.name] = spec
    out: dict[str, Any] = {
        "id": case.id,
        "markers": markers,
        "pedigree": case.pedigree.to_json(),
        "missing": case.missing,
        "genotypes": case.references,
        "poi": case.poi,
    }
    if case.theta:
        out["theta"] = case.theta
    if case.dropout:
        out["dropout"] = case.dropout
    if case.poi_dropout:
        out["poi_dropout"] = case.poi_dropout
    if case.floor is not None:
        out["floor"] = case.floor
    return out


# ------------------------------------------------------------------------------------------ CSV formats


def _read_csv(
    source: str | Path | io.TextIOBase, required: tuple[str, ...], name: str | None = None
) -> tuple[str, list[dict[str, str]]]:
    if name is None:
        name = str(source) if isinstance(source, (str, os.PathLike)) else "<csv>"
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, newline="", encoding="utf-8-sig") as fh:
                text = fh.read()
        except OSError as exc:
            raise FormatError(f"{name}: cannot read: {exc.strerror}") from exc
    else:
        text = source.read()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    missing = [c for c in required if c not in fields]
    if missing:
        raise FormatError(
            f"{name}: missing columns {missing} (header: {reader.fieldnames})",
            1,
            missing[0],
            problems=[Problem(1, c, f"missing column (expected {','.join(required)})") for c in missing],
        )
    rows = []
    for row in reader:
        rows.append({k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None})
    return name, rows


def read_genotype_csv(source: str | Path | io.TextIOBase) -> dict[str, dict[str, list[str]]]:
    """Read a long genotype table ``sample,marker,allele1,allele2`` as labs export it.

    Returns sample -> marker -> [allele1, allele2]. An empty or "-" allele is untyped; a row with a single
    called allele (allele2 empty) is kept as a one-allele call. A sample typed twice at a marker is an error.
    """
    name, rows = _read_csv(source, ("sample", "marker", "allele1", "allele2"))
    out: dict[str, dict[str, list[str]]] = {}
    for row_no, row in enumerate(rows, start=2):
        sample, marker = row["sample"], row["marker"]
        if not sample:
            raise FormatError(f"{name}, row {row_no}, column sample: empty")
        if not marker:
            raise FormatError(f"{name}, row {row_no}, column marker: empty")
        a1 = row["allele1"] or "-"
        a2 = row["allele2"] or "-"
        for col, label in (("allele1", a1), ("allele2", a2)):
            if "," in label or " " in label:
                raise FormatError(f"{name}, row {row_no}, column {col}: not one allele label: {label!r}")
        profile = out.setdefault(sample, {})
        if marker in profile:
            raise FormatError(f"{name}, row {row_no}: sample {sample} is typed twice at {marker}")
        if is_untyped(a1) and is_untyped(a2):
            continue
        profile[marker] = [a1, a2]
    return out


def read_remains_csv(
    source: str | Path | io.TextIOBase,
) -> tuple[dict[str, dict[str, list[str]]], dict[str, str]]:
    """Read remains samples as a genotype table ``sample,marker,allele1,allele2`` with an optional ``site``
    (or ``batch``) column: the site or repatriation batch each sample came from.

    Returns (sample -> marker -> alleles, sample -> site). A sample whose rows are all untyped ("-" or
    empty) has an empty profile: a bone sampled without a usable profile. A sample given two sites is an
    error naming the row."""
    name, rows = _read_csv(source, ("sample", "marker", "allele1", "allele2"))
    profiles = read_genotype_csv(io.StringIO(_rows_to_csv(rows)))
    sites: dict[str, str] = {}
    column = "site" if rows and "site" in rows[0] else "batch" if rows and "batch" in rows[0] else ""
    for row_no, row in enumerate(rows, start=2):
        if not row["sample"]:
            raise FormatError(f"{name}, row {row_no}, column sample: empty", row_no, "sample")
        site = row.get(column, "") if column else ""
        known = sites.setdefault(row["sample"], site)
        if known != site:
            raise FormatError(
                f"{name}, row {row_no}, column {column}: sample {row['sample']} is also at {known!r}",
                row_no,
                column,
            )
    for sample in profiles:
        sites.setdefault(sample, "")
    return profiles, sites


def _rows_to_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("sample", "marker", "allele1", "allele2"))
    for row in rows:
        writer.writerow((row["sample"], row["marker"], row["allele1"], row["allele2"]))
    return out.getvalue()


#: Columns of a pedigree CSV: one pedigree (``id,father,mother,sex``) or several, one per ``family``, with
#: the sample each typed member gave and the person sought (``missing``, 1 or 0).
PEDIGREE_COLUMNS = ("id", "father", "mother", "sex")
FAMILY_PEDIGREE_COLUMNS = ("family", "id", "father", "mother", "sex", "sample", "missing")


@dataclass
class PedigreeTable:
    """The members a pedigree CSV gives, in file order, each with its row."""

    source: str
    members: list[PedigreeMember]

    def families(self) -> dict[str, list[PedigreeMember]]:
        """Members grouped by family, families in the order of their first row."""
        out: dict[str, list[PedigreeMember]] = {}
        for m in self.members:
            out.setdefault(m.family, []).append(m)
        return out


def parse_pedigree_rows(
    rows: Iterable[Mapping[str, str]],
    source: str = "<pedigree>",
    *,
    families: bool = False,
    sex_required: bool = False,
    first_row: int = 2,
) -> PedigreeTable:
    """The one reader of pedigree rows (a CSV's rows after the header, ``first_row`` being the first).

    Every problem is collected, not only the first, and raised together as a :class:`FormatError` whose
    ``problems`` give row, column and reason: empty ids (and families, with ``families``), unknown sexes
    (an empty sex means unknown unless ``sex_required``), unreadable ``missing`` flags, and the structural
    problems of each family (:func:`~kinlink.genetics.pedigree.member_problems`: duplicates, unknown
    parents, parents of the wrong sex, cycles). Parents "", "0" or "NA" mean a founder.
    """
    problems: list[Problem] = []
    members: list[PedigreeMember] = []
    for row_no, raw in enumerate(rows, start=first_row):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        family = row.get("family", "") if families else ""
        if families and not family:
            problems.append(Problem(row_no, "family", "empty: give the family (the tracing request number)"))
            continue
        member_id = row.get("id", "")
        if not member_id:
            problems.append(Problem(row_no, "id", "empty"))
            continue
        given_sex = row.get("sex", "")
        sex = SEX_CODES.get(given_sex.lower()) if given_sex or not sex_required else None
        if sex is None:
            problems.append(Problem(row_no, "sex", f"{given_sex!r}: use male, female or unknown"))
        missing = MISSING_FLAGS.get(row.get("missing", "").lower())
        if missing is None:
            problems.append(Problem(row_no, "missing", f"{row['missing']!r}: use 1 or 0"))
        father, mother = (None if row.get(p, "") in NO_PARENT else row[p] for p in ("father", "mother"))
        members.append(
            PedigreeMember(
                member_id,
                sex or "unknown",
                father,
                mother,
                row.get("sample", ""),
                bool(missing),
                family,
                row_no,
            )
        )
    if not members and not problems:
        problems.append(Problem(first_row, "", "the file has no data rows"))
    table = PedigreeTable(source, members)
    for family, group in table.families().items():
        problems.extend(member_problems(group, family))
    if problems:
        problems.sort(key=lambda p: (p.row is None, p.row or 0))
        raise FormatError.collected(source, problems)
    return table


def read_pedigree_table(
    source: str | Path | io.TextIOBase,
    *,
    name: str | None = None,
    families: bool = False,
    sex_required: bool = False,
) -> PedigreeTable:
    """Read a pedigree CSV (a path, or an open text file named ``name``): ``id,father,mother,sex``, with
    ``families`` also ``family,sample,missing``; see :func:`parse_pedigree_rows` for the rules."""
    required = FAMILY_PEDIGREE_COLUMNS if families else PEDIGREE_COLUMNS
    label, rows = _read_csv(source, required, name)
    return parse_pedigree_rows(rows, label, families=families, sex_required=sex_required)


def read_pedigree_csv(source: str | Path | io.TextIOBase) -> Pedigree:
    """Read ``id,father,mother,sex`` into a :class:`Pedigree`; empty, "0" or "NA" parents mean a founder,
    sex male/female/M/F/1/2 (empty: unknown)."""
    table = read_pedigree_table(source)
    try:
        return Pedigree(Person(m.id, m.sex, m.father, m.mother) for m in table.members)
    except PedigreeError as exc:
        raise FormatError(f"{table.source}: {exc}") from exc


def case_from_tables(
    case_id: str,
    pedigree: Pedigree,
    missing: str,
    genotypes: Mapping[str, Mapping[str, list[str]]],
    poi_sample: str,
    database: FrequencyDatabase,
    mutation: MarkerMutation | None = None,
    markers: list[str] | None = None,
    theta: float = 0.0,
    poi_dropout: float = 0.0,
) -> KinshipCase:
    """Assemble a case from lab tables: pedigree, genotypes of all samples, one POI sample id.

    References are the genotyped samples whose id is a pedigree member; ``markers`` defaults to all
    markers of the frequency database that anyone is typed at.
    """
    if poi_sample not in genotypes:
        raise FormatError(f"case {case_id}: POI sample {poi_sample!r} is not in the genotype table")
    references = {s: dict(p) for s, p in genotypes.items() if s in pedigree and s != poi_sample}
    typed_markers = {m for p in [*references.values(), genotypes[poi_sample]] for m in p}
    names = markers or [m for m in database.names() if m in typed_markers]
    unknown = sorted(typed_markers - set(database.names()))
    notes = [f"marker {m} is typed but not in the frequency database; it is left out" for m in unknown]
    loci = [database[m].with_mutation(mutation) if mutation else database[m] for m in names]
    keep = set(names)
    references = {s: {m: g for m, g in p.items() if m in keep} for s, p in references.items()}
    poi = {m: g for m, g in genotypes[poi_sample].items() if m in keep}
    case = KinshipCase(
        case_id,
        pedigree,
        missing,
        loci,
        references,
        poi,
        theta=theta,
        poi_dropout=poi_dropout,
        notes=[*database.notes, *notes],
    )
    case.validate()
    return case


# ---------------------------------------------------------------------------------------- Familias .fam

FAMILIAS_MODELS = {0: "equal", 1: "proportional", 2: "stepwise", 3: "stepwise-stationary", 4: "stepwise"}


@dataclass
class FamiliasFile:
    """The content of a Familias .fam file: persons, genotypes, hypotheses (pedigrees), database."""

    persons: list[Person]
    genotypes: dict[str, dict[str, list[str]]]
    pedigrees: dict[str, Pedigree]
    loci: list[Locus]
    theta: float = 0.0
    version: str = ""
    notes: list[str] = field(default_factory=list)
    #: 1-based line of each person's id in the file (for error reports of callers).
    lines: dict[str, int] = field(default_factory=dict)


def _unquote(line: str) -> str:
    return line.strip().strip('"')


class _FamReader:
    """Lines of a .fam file and the problems found so far; a problem that loses the file's layout (a
    number that is not one, a truncated file) ends the reading, others are collected."""

    def __init__(self, name: str, lines: list[str]) -> None:
        self.name = name
        self.lines = lines
        self.problems: list[Problem] = []

    def note(self, line: int | None, reason: str, column: str = "") -> None:
        self.problems.append(Problem(line, column, reason))

    def fail(self, line: int | None, reason: str, column: str = "") -> FormatError:
        self.note(line, reason, column)
        return FormatError.collected(self.name, self.problems, unit="line")

    def at(self, i: int) -> str:
        if i >= len(self.lines):
            raise self.fail(
                min(i, len(self.lines)) + 1, f"unexpected end of file at line {i + 1} (the file is truncated)"
            )
        return self.lines[i]

    def integer(self, i: int, what: str) -> int:
        try:
            return int(self.at(i))
        except ValueError:
            raise self.fail(i + 1, f"expected {what}, found {self.at(i)!r}") from None

    def number(self, i: int, what: str) -> float:
        try:
            return float(self.at(i))
        except ValueError:
            raise self.fail(i + 1, f"expected {what}, found {self.at(i)!r}") from None

    def index(self, i: int, what: str, size: int) -> int | None:
        """A person index in range, or None (the problem noted)."""
        value = self.integer(i, what)
        if not 0 <= value < size:
            self.note(i + 1, f"{what} {value} is not a person of the file (0 to {size - 1})", "relation")
            return None
        return value


def read_familias_fam(path: str | Path) -> FamiliasFile:
    """Read a Familias 3 ``.fam`` file (pedigree part and database; no DVI section, no twins).

    Layout follows the reader of the pedFamilias R package: persons with allele indices into the
    database, "Known relations", one block of extra persons and parent-child relations per hypothesis,
    then the database with each locus' mutation models (0 equal, 1 proportional, 2/4 stepwise,
    3 stationary stepwise, which we do not support).

    Every problem that leaves the layout readable (a bad sex flag, a relation to no person, a cycle, an
    unsupported mutation model, an allele index out of range, ...) is collected; the :class:`FormatError`
    lists them all with their lines (``problems``).
    """
    name = str(path)
    try:
        lines = [_unquote(x) for x in _read_text(path, encoding="utf-8-sig", errors="replace").splitlines()]
    except OSError as exc:
        raise FormatError(f"{name}: cannot read: {exc.strerror}") from exc
    if "[DVI]" in lines:
        raise FormatError(f"{name}: the DVI section of Familias files is not supported by this reader")
    r = _FamReader(name, lines)
    at, integer, number, index = r.at, r.integer, r.number, r.index

    version = at(2)
    line = 3 if at(3) != "" else 4
    n_persons = integer(line, "the number of persons")
    line += 1
    ids: list[str] = []
    sexes: list[str] = []
    person_lines: dict[str, int] = {}
    raw_typing: list[list[tuple[int, int, int]]] = []
    for _ in range(n_persons):
        pid = at(line)
        if not pid:
            raise r.fail(line + 1, "a person without a name", "id")
        if pid in person_lines:
            r.note(line + 1, f"person {pid!r} appears twice", "id")
        ids.append(pid)
        person_lines.setdefault(pid, line + 1)
        sex_flag = at(line + 4)
        if sex_flag not in ("#TRUE#", "#FALSE#"):
            r.note(
                line + 5,
                f"the sex of {pid} must be #TRUE# (male) or #FALSE# (female), found {sex_flag!r}",
                "sex",
            )
        sexes.append({"#TRUE#": "male", "#FALSE#": "female"}.get(sex_flag, "unknown"))
        k = integer(line + 5, f"the number of genotypes of {pid}")
        triples = []
        for t in range(k):
            base = line + 6 + 3 * t
            triples.append(
                (
                    integer(base, "an allele index"),
                    integer(base + 1, "an allele index"),
                    integer(base + 2, "a marker index"),
                )
            )
        raw_typing.append(triples)
        line += 6 + 3 * k
    if at(line) != "Known relations":
        raise r.fail(line + 1, f"expected 'Known relations', found {at(line)!r}")
    n_fem, n_mal = integer(line + 1, "a count"), integer(line + 2, "a count")
    all_ids = ids + [f"extra_{i + 1}" for i in range(n_fem + n_mal)]
    all_sex = sexes + ["female"] * n_fem + ["male"] * n_mal
    # relations as (parent index, child index, line)
    known: list[tuple[int, int, int]] = []
    n_rel = integer(line + 3, "the number of relations")
    line += 4
    for _ in range(n_rel):
        parent = index(line, "parent index", len(all_ids))
        child = index(line + 1, "child index", len(all_ids))
        if parent is not None and child is not None:
            known.append((parent, child, line + 1))
        line += 2
    n_peds = integer(line, "the number of pedigrees")
    line += 1
    pedigrees: dict[str, Pedigree] = {}
    for _ in range(n_peds):
        ped_name = at(line + 1)
        nf, nm = integer(line + 2, "a count"), integer(line + 3, "a count")
        ped_ids = all_ids + [f"extra_{ped_name}_{i + 1}" for i in range(nf + nm)]
        ped_sex = all_sex + ["female"] * nf + ["male"] * nm
        relations = list(known)
        k = integer(line + 4, "the number of relations")
        line += 5
        for _ in range(k):
            if "Direct" in at(line):
                raise r.fail(line + 1, "twins are not supported")
            parent = index(line, "parent index", len(ped_ids))
            child = index(line + 1, "child index", len(ped_ids))
            if parent is not None and child is not None:
                if parent == child:
                    r.note(line + 1, f"{ped_ids[child]} is their own parent", "relation")
                else:
                    relations.append((parent, child, line + 1))
            line += 2
        if (pedigree := _fam_pedigree(r, ped_name, ped_ids, ped_sex, relations, line)) is not None:
            pedigrees[ped_name] = pedigree
    if at(line).startswith("#TRUE#"):
        raise r.fail(line + 1, "files with precomputed probabilities are not supported")
    theta_match = re.search(r"Theta/Kinship/Fst: ([0-9.eE-]+)", at(line))
    theta = float(theta_match.group(1)) if theta_match else 0.0
    line += 1
    n_loci = integer(line, "the number of loci")
    has_info = at(line + 1) == "#TRUE#"
    line += 2 + int(has_info)
    loci: list[Locus | None] = []
    for _ in range(n_loci):
        locus_name = at(line)
        rate_f, rate_m = number(line + 1, "a mutation rate"), number(line + 2, "a mutation rate")
        model_f, model_m = integer(line + 3, "a model code"), integer(line + 4, "a model code")
        range_f, range_m = number(line + 5 + 1, "a range"), number(line + 5 + 2, "a range")
        rate2_f, rate2_m = number(line + 8, "rate2"), number(line + 9, "rate2")
        info = at(line + 12)
        try:
            n_alleles = int(info.split("\t")[0].split()[0])
        except (ValueError, IndexError):
            raise r.fail(line + 13, f"expected the number of alleles, found {info!r}") from None
        size_match = re.search(r"DatabaseSize = (\d+)", info)
        freqs: dict[str, float] = {}
        for a in range(n_alleles):
            freqs[at(line + 13 + 2 * a)] = number(line + 14 + 2 * a, "an allele frequency")
        locus: Locus | None = None
        if at(line + 10) == "#TRUE#":
            r.note(line + 11, f"locus {locus_name}: silent alleles are not supported")
        else:
            models = []
            for code, rate, rate2, rng in (
                (model_f, rate_f, rate2_f, range_f),
                (model_m, rate_m, rate2_m, range_m),
            ):
                if code not in FAMILIAS_MODELS or FAMILIAS_MODELS[code] == "stepwise-stationary":
                    r.note(line + 4, f"locus {locus_name}: mutation model code {code} is not supported")
                    break
                models.append(MutationModel(FAMILIAS_MODELS[code], rate, rate2, rng))
            if len(models) == 2:
                try:
                    locus = make_locus(
                        locus_name,
                        freqs,
                        MarkerMutation(models[0], models[1]),
                        int(size_match.group(1)) if size_match else None,
                    )
                    locus.mutation_matrices()
                except (FrequencyError, MutationModelError) as exc:
                    r.note(line + 1, f"locus {locus_name}: {exc}")
                    locus = None
        loci.append(locus)
        line += 13 + 2 * n_alleles
    genotypes: dict[str, dict[str, list[str]]] = {}
    for pid, triples in zip(ids, raw_typing, strict=True):
        prof: dict[str, list[str]] = {}
        for a1, a2, m in triples:
            if not 0 <= m < len(loci):
                r.note(person_lines[pid], f"person {pid} is typed at marker index {m}, which does not exist")
                continue
            typed_locus = loci[m]
            if typed_locus is None:
                continue  # its problem is noted at the locus
            try:
                prof[typed_locus.name] = [typed_locus.alleles[a1], typed_locus.alleles[a2]]
            except IndexError:
                r.note(
                    person_lines[pid], f"person {pid}, marker {typed_locus.name}: allele index out of range"
                )
        if prof:
            genotypes[pid] = prof
    if r.problems:
        raise FormatError.collected(name, r.problems, unit="line")
    persons = [Person(pid, sex) for pid, sex in zip(ids, sexes, strict=True)]
    found = [locus for locus in loci if locus is not None]
    return FamiliasFile(persons, genotypes, pedigrees, found, theta, version, lines=person_lines)


def _fam_pedigree(
    r: _FamReader,
    ped_name: str,
    ped_ids: list[str],
    ped_sex: list[str],
    relations: list[tuple[int, int, int]],
    line: int,
) -> Pedigree | None:
    """One hypothesis of a .fam file from its (parent, child, line) relations, or None (problems noted):
    a cycle is found by the one cycle finder and reported on the line of the relation that closes it."""
    fathers: dict[int, int] = {}
    mothers: dict[int, int] = {}
    parents: dict[int, list[int]] = {i: [] for i in range(len(ped_ids))}
    where: dict[tuple[int, int], int] = {}
    for parent, child, at_line in relations:
        (fathers if ped_sex[parent] == "male" else mothers)[child] = parent
        parents[child].append(parent)
        where[child, parent] = at_line
    _, cycle = ancestral_order(parents)
    if cycle is not None:
        child, parent = cycle
        r.note(
            where[child, parent],
            f"pedigree {ped_name}: this relation makes {ped_ids[child]} an ancestor of themself (a cycle)",
            "relation",
        )
        return None
    persons = [
        Person(
            pid,
            ped_sex[i],
            ped_ids[fathers[i]] if i in fathers else None,
            ped_ids[mothers[i]] if i in mothers else None,
        )
        for i, pid in enumerate(ped_ids)
    ]
    try:
        return Pedigree(persons)
    except PedigreeError as exc:
        for problem in exc.problems:
            r.note(line, f"pedigree {ped_name}: {problem.reason}")
        return None


def familias_lr(fam: FamiliasFile, h1: str, h2: str) -> tuple[float, dict[str, float]]:
    """LR of hypothesis ``h1`` against ``h2`` (two pedigrees of a .fam file), total and per marker."""
    from kinlink.genetics.likelihood import PedigreeLikelihood

    for h in (h1, h2):
        if h not in fam.pedigrees:
            raise FormatError(f"hypothesis {h!r} not in the file; have {sorted(fam.pedigrees)}")
    m1 = PedigreeLikelihood(fam.pedigrees[h1])
    m2 = PedigreeLikelihood(fam.pedigrees[h2])
    per_marker: dict[str, float] = {}
    total = 1.0
    for locus in fam.loci:
        typed = {pid: prof[locus.name] for pid, prof in fam.genotypes.items() if locus.name in prof}
        l1 = m1.log10_likelihood(locus, typed, theta=fam.theta)
        l2 = m2.log10_likelihood(locus, typed, theta=fam.theta)
        lr = 0.0 if l1 == float("-inf") else 10.0 ** (l1 - l2)
        per_marker[locus.name] = lr
        total *= lr
    return total, per_marker
