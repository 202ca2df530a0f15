"""Reading and writing genetics inputs: case JSON, genotype CSV, pedigree CSV, Familias files.

Every reader raises :class:`FormatError` naming the file, the row or line, the column and the reason, and
returns plain objects; nothing is written anywhere.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kinlink.genetics.kinship import KinshipCase
from kinlink.genetics.markers import FrequencyDatabase, FrequencyError, Locus, is_untyped, make_locus
from kinlink.genetics.mutation import MarkerMutation, MutationModel, MutationModelError
from kinlink.genetics.pedigree import Pedigree, PedigreeError, Person, normalise_sex


class FormatError(ValueError):
    """An input file that cannot be read; the message names file, row/line, column and reason.

    ``line`` (1-based line or row number) and ``column`` repeat the place for callers that collect
    errors into a report; ``line`` is None when the problem is not on one line.
    """

    def __init__(self, message: str, line: int | None = None, column: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.column = column


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
        labels = [str(a) for a in alleles]
        if all(is_untyped(a) for a in labels):
            continue
        out[str(marker)] = labels
    return out


def case_from_json(obj: Mapping[str, Any], source: str = "<case>") -> KinshipCase:
    """Build a :class:`KinshipCase` from the case JSON of ``tests/data/genetics/cases/README.md``.

    Extensions: ``"theta"`` (number), ``"dropout"`` (person id -> probability), ``"poi_dropout"`` and
    ``"floor"`` (frequency for alleles missing from a marker's table).
    """
    for key in ("markers", "pedigree", "missing"):
        if key not in obj:
            raise FormatError(f"{source}: missing key {key!r}")
    case_id = str(obj.get("id") or Path(source).stem)
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
            mutation = MarkerMutation.from_json(spec.get("mutation"))
            locus = make_locus(str(name), freqs, mutation, spec.get("database_size"))
            locus.mutation_matrices()
        except (ValueError, TypeError, FrequencyError, MutationModelError) as exc:
            raise FormatError(f"{where}: {exc}") from exc
        loci.append(locus)
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
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
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
    source: str | Path | io.TextIOBase, required: tuple[str, ...]
) -> tuple[str, list[dict[str, str]]]:
    name = str(source) if isinstance(source, (str, Path)) else "<csv>"
    if isinstance(source, (str, Path)):
        try:
            with open(source, newline="", encoding="utf-8-sig") as fh:
                text = fh.read()
        except OSError as exc:
            raise FormatError(f"{name}: cannot read: {exc.strerror}") from exc
    else:
        text = source.read()
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    missing = [c for c in required if c not in fields]
    if missing:
        raise FormatError(f"{name}: missing columns {missing} (header: {reader.fieldnames})")
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


def read_pedigree_csv(source: str | Path | io.TextIOBase) -> Pedigree:
    """Read ``id,father,mother,sex``; empty or "0" parents mean a founder; sex male/female/M/F/1/2."""
    name, rows = _read_csv(source, ("id", "father", "mother", "sex"))
    persons = []
    for row_no, row in enumerate(rows, start=2):
        pid = row["id"]
        if not pid:
            raise FormatError(f"{name}, row {row_no}, column id: empty")
        try:
            sex = normalise_sex(row["sex"], pid)
        except PedigreeError as exc:
            raise FormatError(f"{name}, row {row_no}, column sex: {exc}") from exc
        father = row["father"] if row["father"] not in ("", "0", "NA") else None
        mother = row["mother"] if row["mother"] not in ("", "0", "NA") else None
        persons.append(Person(pid, sex, father, mother))
    try:
        return Pedigree(persons)
    except PedigreeError as exc:
        raise FormatError(f"{name}: {exc}") from exc


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


def _relation_cycle(parents: dict[int, list[tuple[int, int]]]) -> tuple[int, int] | None:
    """A parent-child relation that closes a cycle: (child index, line), or None. ``parents`` maps a
    child index to its (parent index, line) relations."""
    state: dict[int, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: int) -> tuple[int, int] | None:
        state[node] = 1
        for parent, line in parents.get(node, []):
            if state.get(parent) == 1:
                return node, line
            if parent not in state:
                found = visit(parent)
                if found is not None:
                    return found
        state[node] = 2
        return None

    for node in sorted(parents):
        if node not in state:
            found = visit(node)
            if found is not None:
                return found
    return None


def _unquote(line: str) -> str:
    return line.strip().strip('"')


def read_familias_fam(path: str | Path) -> FamiliasFile:
    """Read a Familias 3 ``.fam`` file (pedigree part and database; no DVI section, no twins).

    Layout follows the reader of the pedFamilias R package: persons with allele indices into the
    database, "Known relations", one block of extra persons and parent-child relations per hypothesis,
    then the database with each locus' mutation models (0 equal, 1 proportional, 2/4 stepwise,
    3 stationary stepwise, which we do not support).
    """
    name = str(path)
    try:
        lines = [
            _unquote(x) for x in Path(path).read_text(encoding="utf-8-sig", errors="replace").splitlines()
        ]
    except OSError as exc:
        raise FormatError(f"{name}: cannot read: {exc.strerror}") from exc
    if "[DVI]" in lines:
        raise FormatError(f"{name}: the DVI section of Familias files is not supported by this reader")

    def at(i: int) -> str:
        if i >= len(lines):
            raise FormatError(
                f"{name}: unexpected end of file at line {i + 1} (the file is truncated)",
                min(i, len(lines)) + 1,
            )
        return lines[i]

    def integer(i: int, what: str) -> int:
        try:
            return int(at(i))
        except ValueError:
            raise FormatError(f"{name}, line {i + 1}: expected {what}, found {at(i)!r}", i + 1) from None

    def number(i: int, what: str) -> float:
        try:
            return float(at(i))
        except ValueError:
            raise FormatError(f"{name}, line {i + 1}: expected {what}, found {at(i)!r}", i + 1) from None

    def index(i: int, what: str, size: int) -> int:
        value = integer(i, what)
        if not 0 <= value < size:
            raise FormatError(
                f"{name}, line {i + 1}: {what} {value} is not a person of the file (0 to {size - 1})", i + 1
            )
        return value

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
            raise FormatError(f"{name}, line {line + 1}: a person without a name", line + 1, "id")
        if pid in person_lines:
            raise FormatError(f"{name}, line {line + 1}: person {pid!r} appears twice", line + 1, "id")
        ids.append(pid)
        person_lines[pid] = line + 1
        sex_flag = at(line + 4)
        if sex_flag not in ("#TRUE#", "#FALSE#"):
            raise FormatError(
                f"{name}, line {line + 5}: the sex of {pid} must be #TRUE# (male) or #FALSE# (female), "
                f"found {sex_flag!r}",
                line + 5,
                "sex",
            )
        sexes.append("male" if sex_flag == "#TRUE#" else "female")
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
        raise FormatError(
            f"{name}, line {line + 1}: expected 'Known relations', found {at(line)!r}", line + 1
        )
    n_fem, n_mal = integer(line + 1, "a count"), integer(line + 2, "a count")
    all_ids = ids + [f"extra_{i + 1}" for i in range(n_fem + n_mal)]
    all_sex = sexes + ["female"] * n_fem + ["male"] * n_mal
    fathers: dict[int, int] = {}
    mothers: dict[int, int] = {}
    relation_lines: dict[int, list[tuple[int, int]]] = {}
    n_rel = integer(line + 3, "the number of relations")
    line += 4
    for _ in range(n_rel):
        parent = index(line, "parent index", len(all_ids))
        child = index(line + 1, "child index", len(all_ids))
        (fathers if all_sex[parent] == "male" else mothers)[child] = parent
        relation_lines.setdefault(child, []).append((parent, line + 1))
        line += 2
    n_peds = integer(line, "the number of pedigrees")
    line += 1
    pedigrees: dict[str, Pedigree] = {}
    for _ in range(n_peds):
        ped_name = at(line + 1)
        nf, nm = integer(line + 2, "a count"), integer(line + 3, "a count")
        ped_ids = all_ids + [f"extra_{ped_name}_{i + 1}" for i in range(nf + nm)]
        ped_sex = all_sex + ["female"] * nf + ["male"] * nm
        f_idx, m_idx = dict(fathers), dict(mothers)
        ped_relations = {child: list(rel) for child, rel in relation_lines.items()}
        k = integer(line + 4, "the number of relations")
        line += 5
        for _ in range(k):
            if "Direct" in at(line):
                raise FormatError(f"{name}, line {line + 1}: twins are not supported", line + 1)
            parent = index(line, "parent index", len(ped_ids))
            child = index(line + 1, "child index", len(ped_ids))
            if parent == child:
                raise FormatError(f"{name}, line {line + 1}: {ped_ids[child]} is their own parent", line + 1)
            (f_idx if ped_sex[parent] == "male" else m_idx)[child] = parent
            ped_relations.setdefault(child, []).append((parent, line + 1))
            line += 2
        cycle = _relation_cycle(ped_relations)
        if cycle is not None:
            child, where = cycle
            raise FormatError(
                f"{name}, line {where}: pedigree {ped_name}: this relation makes {ped_ids[child]} "
                "an ancestor of themself (a cycle)",
                where,
                "relation",
            )
        persons = [
            Person(
                pid,
                ped_sex[i],
                ped_ids[f_idx[i]] if i in f_idx else None,
                ped_ids[m_idx[i]] if i in m_idx else None,
            )
            for i, pid in enumerate(ped_ids)
        ]
        try:
            pedigrees[ped_name] = Pedigree(persons)
        except PedigreeError as exc:
            raise FormatError(f"{name}: pedigree {ped_name}: {exc}", line) from exc
    if at(line).startswith("#TRUE#"):
        raise FormatError(f"{name}, line {line + 1}: files with precomputed probabilities are not supported")
    theta_match = re.search(r"Theta/Kinship/Fst: ([0-9.eE-]+)", at(line))
    theta = float(theta_match.group(1)) if theta_match else 0.0
    line += 1
    n_loci = integer(line, "the number of loci")
    has_info = at(line + 1) == "#TRUE#"
    line += 2 + int(has_info)
    loci: list[Locus] = []
    for _ in range(n_loci):
        locus_name = at(line)
        rate_f, rate_m = number(line + 1, "a mutation rate"), number(line + 2, "a mutation rate")
        model_f, model_m = integer(line + 3, "a model code"), integer(line + 4, "a model code")
        range_f, range_m = number(line + 5 + 1, "a range"), number(line + 5 + 2, "a range")
        rate2_f, rate2_m = number(line + 8, "rate2"), number(line + 9, "rate2")
        if at(line + 10) == "#TRUE#":
            raise FormatError(f"{name}, locus {locus_name}: silent alleles are not supported")
        info = at(line + 12)
        try:
            n_alleles = int(info.split("\t")[0].split()[0])
        except (ValueError, IndexError):
            raise FormatError(
                f"{name}, line {line + 13}: expected the number of alleles, found {info!r}"
            ) from None
        size_match = re.search(r"DatabaseSize = (\d+)", info)
        freqs: dict[str, float] = {}
        for a in range(n_alleles):
            freqs[at(line + 13 + 2 * a)] = number(line + 14 + 2 * a, "an allele frequency")
        models = []
        for code, rate, rate2, rng in (
            (model_f, rate_f, rate2_f, range_f),
            (model_m, rate_m, rate2_m, range_m),
        ):
            if code not in FAMILIAS_MODELS or FAMILIAS_MODELS[code] == "stepwise-stationary":
                raise FormatError(f"{name}, locus {locus_name}: mutation model code {code} is not supported")
            models.append(MutationModel(FAMILIAS_MODELS[code], rate, rate2, rng))
        try:
            locus = make_locus(
                locus_name,
                freqs,
                MarkerMutation(models[0], models[1]),
                int(size_match.group(1)) if size_match else None,
            )
            locus.mutation_matrices()
        except (FrequencyError, MutationModelError) as exc:
            raise FormatError(f"{name}, locus {locus_name}: {exc}") from exc
        loci.append(locus)
        line += 13 + 2 * n_alleles
    genotypes: dict[str, dict[str, list[str]]] = {}
    for pid, triples in zip(ids, raw_typing, strict=True):
        prof: dict[str, list[str]] = {}
        for a1, a2, m in triples:
            if not 0 <= m < len(loci):
                raise FormatError(
                    f"{name}: person {pid} is typed at marker index {m}, which does not exist",
                    person_lines[pid],
                )
            locus = loci[m]
            try:
                prof[locus.name] = [locus.alleles[a1], locus.alleles[a2]]
            except IndexError:
                raise FormatError(
                    f"{name}: person {pid}, marker {locus.name}: allele index out of range", person_lines[pid]
                ) from None
        if prof:
            genotypes[pid] = prof
    persons = [Person(pid, sex) for pid, sex in zip(ids, sexes, strict=True)]
    return FamiliasFile(persons, genotypes, pedigrees, loci, theta, version, lines=person_lines)


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
