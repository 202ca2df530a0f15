"""Family pedigrees in the registry: import from Familias ``.fam`` files and pedigree CSVs, and the
screening family a stored pedigree gives.

Pedigree CSV, one row per member, several families per file (``family`` is the tracing request number)::

    family,id,father,mother,sex,sample,missing
    TR-2022-000001,FA,,,male,,0
    TR-2022-000001,MO,,,female,KL-REF-0001,0
    TR-2022-000001,MP,FA,MO,male,,1

``sex`` is male/female/unknown (or M/F/U, 1/2/0); ``sample`` the barcode of the reference sample a typed
member gave; ``missing`` 1 marks the person sought (exactly one per family). A Familias ``.fam`` file holds
one family: the tracing request is named on import, and so are the person sought and, where the file holds
several hypotheses, the pedigree to keep. Typed persons of a ``.fam`` are named by their sample barcodes.

Both imports are atomic and idempotent: every problem of a file is reported in the shared bulk error
report (file, row, column, reason; for a ``.fam`` the row is the line number) and nothing is written;
re-importing the same pedigree changes nothing. A pedigree links each named reference sample to the
tracing request. The lab works with barcodes only: nothing here reads or prints a name.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from kinlink.genetics.formats import (
    FAMILY_PEDIGREE_COLUMNS,
    FormatError,
    read_familias_fam,
    read_pedigree_table,
)
from kinlink.genetics.pedigree import PedigreeMember, member_problems
from kinlink.identification.models import StoredPedigree, StoredPedigreeMember
from kinlink.registry.models import Organisation, Sample, TracingRequest
from kinlink.registry.services import audit
from kinlink.registry.services.access import requests_of_labs
from kinlink.registry.services.bulk import ImportRefused, RowError

CSV_COLUMNS = FAMILY_PEDIGREE_COLUMNS


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One member as read from a file, with the row (CSV) or line (.fam) it came from."""

    member_id: str
    sex: str
    father: str
    mother: str
    sample: str
    missing: bool
    row: int


@dataclass
class PedigreeImport:
    """What an import did, per tracing request number."""

    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: reference samples whose genotypes a .fam file supplied (new or changed profiles only)
    profiles_loaded: list[str] = field(default_factory=list)

    def summary(self) -> str:
        profiles = (
            f"; genotypes loaded for {len(self.profiles_loaded)} sample(s)" if self.profiles_loaded else ""
        )
        return (
            f"{len(self.created)} pedigree(s) created, {len(self.replaced)} replaced, "
            f"{len(self.unchanged)} unchanged{profiles}"
        )


# ------------------------------------------------------------------------------------------------ reading


def _refused(filename: str, exc: FormatError) -> ImportRefused:
    return ImportRefused([RowError(filename, p.row or 0, p.column, p.reason) for p in exc.problems])


def read_pedigree_csv(filename: str, text: str) -> dict[str, list[MemberRow]]:
    """Rows of a pedigree CSV grouped by family (tracing request number); row 1 is the header.

    Read by the genetics engine's one pedigree reader (every problem reported with row and column); a
    member needs a sex here (an empty one is refused)."""
    try:
        table = read_pedigree_table(io.StringIO(text), name=filename, families=True, sex_required=True)
    except FormatError as exc:
        raise _refused(filename, exc) from exc
    return {
        family: [
            MemberRow(m.id, m.sex, m.father or "", m.mother or "", m.sample, m.missing, m.row or 0)
            for m in members
        ]
        for family, members in table.families().items()
    }


def read_fam(
    filename: str, path: str | Path, missing: str, hypothesis: str | None = None
) -> tuple[list[MemberRow], dict[str, FamGenotypes]]:
    """Members of one pedigree of a Familias ``.fam`` file (``missing`` is the id of the person sought),
    and the genotypes the file holds for its typed references, by sample barcode.

    With several hypotheses (pedigrees) in the file, ``hypothesis`` names the one to keep; without it the
    file must hold one pedigree with parent-child relations (Familias' "unrelated" alternative, which has
    none, is ignored). Persons typed in the file must be named by their sample barcodes.
    """
    try:
        fam = read_familias_fam(path)
    except FormatError as exc:
        raise _refused(filename, exc) from exc
    if hypothesis is not None:
        if hypothesis not in fam.pedigrees:
            raise ImportRefused(
                [
                    RowError(
                        filename, 0, "hypothesis", f"no pedigree {hypothesis!r}; have {sorted(fam.pedigrees)}"
                    )
                ]
            )
        pedigree = fam.pedigrees[hypothesis]
    else:
        related = {k: p for k, p in fam.pedigrees.items() if any(not m.is_founder for m in p)}
        if len(related) != 1:
            raise ImportRefused(
                [
                    RowError(
                        filename,
                        0,
                        "hypothesis",
                        f"the file holds {len(related)} pedigrees with relations {sorted(related)}: "
                        "name the one to import",
                    )
                ]
            )
        pedigree = next(iter(related.values()))
    if missing not in pedigree:
        raise ImportRefused([RowError(filename, 0, "missing", f"no person {missing!r} in the pedigree")])
    typed = set(fam.genotypes)
    rows = []
    genotypes: dict[str, FamGenotypes] = {}
    for person in pedigree:
        line = fam.lines.get(person.id, 0)
        sample = person.id if person.id in typed and person.id != missing else ""
        if sample:
            genotypes[sample] = FamGenotypes(line, {m: list(g) for m, g in fam.genotypes[person.id].items()})
        rows.append(
            MemberRow(
                person.id,
                person.sex,
                person.father or "",
                person.mother or "",
                sample,
                person.id == missing,
                line,
            )
        )
    return rows, genotypes


@dataclass(frozen=True, slots=True)
class FamGenotypes:
    """A typed reference's genotypes in a .fam file, with the line of the person (for error reports)."""

    line: int
    profile: dict[str, list[str]]


def check_profiles(
    filename: str, profiles: Mapping[str, FamGenotypes], samples: Mapping[str, Sample]
) -> list[RowError]:
    """Genotypes from a .fam must be well formed and must not silently replace a different profile."""
    from kinlink.exchange.genotypes import allele_problem, marker_problem

    errors: list[RowError] = []
    for code, found in profiles.items():
        for marker, alleles in found.profile.items():
            if reason := marker_problem(marker):
                errors.append(RowError(filename, found.line, "genotypes", reason))
            for allele in alleles:
                if reason := allele_problem(allele):
                    errors.append(RowError(filename, found.line, "genotypes", f"{code}, {marker}: {reason}"))
        sample = samples.get(code)
        if sample is not None and sample.profile and json.loads(sample.profile) != found.profile:
            errors.append(
                RowError(
                    filename,
                    found.line,
                    "genotypes",
                    f"sample {code} already has a different profile; correct it through the genotype CSV",
                )
            )
    return errors


# ------------------------------------------------------------------------------------------------ checking


def check_family(
    filename: str,
    number: str,
    rows: list[MemberRow],
    first_row: int,
    samples: dict[str, Sample],
    labs: Iterable[Organisation] | None = None,
) -> list[RowError]:
    """Every problem of one family's rows: ids, parents, sexes, cycles, the person sought, samples."""
    errors = [
        RowError(filename, p.row or first_row, p.column, p.reason)
        for p in member_problems(
            [PedigreeMember(m.member_id, m.sex, m.father or None, m.mother or None, row=m.row) for m in rows],
            number,
        )
    ]
    members: dict[str, MemberRow] = {}
    for member in rows:
        members.setdefault(member.member_id, member)
    sought = [m for m in members.values() if m.missing]
    if len(sought) != 1:
        errors.append(
            RowError(
                filename,
                first_row,
                "missing",
                f"{number} must mark exactly one person sought, not {len(sought)}",
            )
        )
    seen: dict[str, str] = {}
    for member in members.values():
        if not member.sample:
            continue
        if member.missing:
            errors.append(
                RowError(
                    filename, member.row, "sample", "the person sought has no reference sample of his own"
                )
            )
            continue
        sample = samples.get(member.sample)
        lab_ids = None if labs is None else {lab.pk for lab in labs}
        if sample is not None and lab_ids is not None and sample.lab_id not in lab_ids:
            sample = None  # another lab's sample: reported as unknown, revealing nothing about it
        if sample is None:
            errors.append(
                RowError(filename, member.row, "sample", f"'{member.sample}' is not a registered sample")
            )
        elif sample.kind != Sample.Kind.REFERENCE:
            errors.append(
                RowError(filename, member.row, "sample", f"'{member.sample}' is not a reference sample")
            )
        elif sample.tracing_request is not None and sample.tracing_request.number != number:
            errors.append(
                RowError(
                    filename, member.row, "sample", f"'{member.sample}' belongs to another tracing request"
                )
            )
        if member.sample in seen:
            errors.append(
                RowError(
                    filename, member.row, "sample", f"'{member.sample}' is given by {seen[member.sample]} too"
                )
            )
        seen[member.sample] = member.member_id
    if not errors:
        from kinlink.genetics.pedigree import Pedigree, PedigreeError, Person

        try:
            Pedigree([Person(m.member_id, m.sex, m.father or None, m.mother or None) for m in rows])
        except PedigreeError as exc:
            errors.append(RowError(filename, first_row, "", str(exc)))
    return errors


def _ordered(rows: list[MemberRow]) -> list[MemberRow]:
    """Parents before children (the pedigree's own order), so the stored positions can be replayed."""
    from kinlink.genetics.pedigree import Pedigree, Person

    pedigree = Pedigree(
        [Person(m.member_id, m.sex, m.father or None, m.mother or None) for m in rows], complete_parents=False
    )
    by_id = {m.member_id: m for m in rows}
    return [by_id[pid] for pid in pedigree.ids]


def _digest(rows: list[MemberRow]) -> str:
    data = [[m.member_id, m.sex, m.father, m.mother, m.sample, m.missing] for m in rows]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


# ------------------------------------------------------------------------------------------------ storing


def unknown_request(number: str, labs: Iterable[Organisation] | None) -> str:
    """What a lab (or the operator, ``labs`` None) is told of a request number it may not use: one
    sentence for a number that does not exist and for another organisation's request."""
    if labs is None:
        return f"no tracing request {number[:40]!r}"
    return f"no tracing request {number[:40]!r} among the requests your lab works for"


def no_dna_consent(number: str) -> str:
    return (
        f"{number[:40]}: the family has not agreed to give DNA for this request; no reference, pedigree "
        "or profile of its family is used"
    )


def import_families(
    filename: str,
    families: dict[str, list[MemberRow]],
    source_format: str,
    user: AbstractBaseUser | None = None,
    labs: Iterable[Organisation] | None = None,
    profiles: Mapping[str, FamGenotypes] | None = None,
) -> PedigreeImport:
    """Store the pedigrees of tracing requests (by number), all or nothing; see the module docstring.

    ``labs`` (for a lab user) limits the samples a pedigree may name to those the user's labs hold.
    ``profiles`` (from a .fam) are the named reference samples' genotypes, stored in the same transaction."""
    labs = None if labs is None else list(labs)
    result = PedigreeImport()
    with transaction.atomic():
        named = TracingRequest.objects.filter(number__in=list(families))
        if labs is not None:  # a lab stores pedigrees only for the requests it works for
            named = named.filter(pk__in=requests_of_labs(labs).values("pk"))
        requests = {r.number: r for r in TracingRequest.objects.select_for_update().filter(pk__in=named)}
        codes = [m.sample for rows in families.values() for m in rows if m.sample]
        samples = {s.code: s for s in Sample.objects.filter(code__in=codes).select_related("tracing_request")}
        errors: list[RowError] = []
        for number, rows in families.items():
            first = min(m.row for m in rows) if rows else 0
            if number not in requests:
                # the same words whether the request does not exist or is another organisation's
                errors.append(RowError(filename, first, "family", unknown_request(number, labs)))
                continue
            if not requests[number].consent_dna:
                errors.append(RowError(filename, first, "family", no_dna_consent(number)))
                continue
            errors.extend(check_family(filename, number, rows, first, samples, labs))
            if labs is not None and not any(m.sample for m in rows):
                errors.append(
                    RowError(filename, first, "sample", f"{number}: name at least one of your lab's samples")
                )
        errors.extend(check_profiles(filename, profiles or {}, samples))
        if errors:
            raise ImportRefused(errors)
        for number, rows in families.items():
            request = requests[number]
            ordered = _ordered(rows)
            digest = _digest(ordered)
            stored = StoredPedigree.objects.filter(tracing_request=request).first()
            if stored is not None and stored.sha256 == digest:
                result.unchanged.append(number)
                continue
            if stored is None:
                stored = StoredPedigree.objects.create(
                    tracing_request=request,
                    source_file=filename[:200],
                    source_format=source_format,
                    sha256=digest,
                )
                result.created.append(number)
            else:
                stored.members.all().delete()
                stored.source_file, stored.source_format, stored.sha256 = (
                    filename[:200],
                    source_format,
                    digest,
                )
                stored.save(update_fields=["source_file", "source_format", "sha256"])
                result.replaced.append(number)
            StoredPedigreeMember.objects.bulk_create(
                [
                    StoredPedigreeMember(
                        pedigree=stored,
                        position=position,
                        member_id=m.member_id,
                        sex=m.sex,
                        father=m.father,
                        mother=m.mother,
                        sample=samples.get(m.sample),
                        is_missing=m.missing,
                    )
                    for position, m in enumerate(ordered)
                ]
            )
            linked = [
                samples[m.sample].pk
                for m in ordered
                if m.sample and samples[m.sample].tracing_request is None
            ]
            Sample.objects.filter(pk__in=linked).update(tracing_request=request)
            audit.record(
                user,
                "import_pedigree",
                stored,
                label="" if user is not None else "kinlink cli",
                file=filename,
                members=len(ordered),
            )
        for code, found in (profiles or {}).items():
            sample = samples[code]
            profile = json.dumps(found.profile, sort_keys=True)
            if sample.profile == profile:
                continue
            sample.profile = profile
            if sample.status in (Sample.Status.REGISTERED, Sample.Status.COLLECTED):
                sample.status = Sample.Status.PROFILED
            sample.save(update_fields=["profile", "status"])
            audit.record(user, "load_profile", sample, markers=len(found.profile), file=filename)
            result.profiles_loaded.append(code)
        if result.created or result.replaced or result.profiles_loaded:
            from kinlink.identification.actions import queue_screening

            queue_screening(f"pedigree import {filename}")  # the families screened have changed
    return result


def import_pedigree_file(
    path: str | Path,
    *,
    request: str | None = None,
    missing: str | None = None,
    hypothesis: str | None = None,
    user: AbstractBaseUser | None = None,
    filename: str | None = None,
    labs: Iterable[Organisation] | None = None,
) -> PedigreeImport:
    """Import a ``.fam`` (needs ``request`` and ``missing``) or a pedigree CSV (``request`` optional: it
    then restricts the file to that family)."""
    path = Path(path)
    name = filename or path.name
    if path.suffix.lower() == ".fam":
        if not request or not missing:
            raise ImportRefused(
                [RowError(name, 0, "", "a .fam file needs the tracing request number and the person sought")]
            )
        rows, genotypes = read_fam(name, path, missing, hypothesis)
        return import_families(name, {request: rows}, "fam", user, labs, profiles=genotypes)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused([RowError(name, 1, "", "the file is not UTF-8 text")]) from None
    families = read_pedigree_csv(name, text)
    if request is not None:
        others = sorted(set(families) - {request})
        if others:
            lines = [m.row for number in others for m in families[number]]
            raise ImportRefused(
                [RowError(name, min(lines), "family", f"rows of {others} in a file imported for {request}")]
            )
    return import_families(name, families, "csv", user, labs)


# ------------------------------------------------------------------------------------------------ screening


def stored_pedigrees(request_ids: Iterable[int]) -> dict[int, StoredPedigree]:
    """The stored pedigrees of these tracing requests, members loaded (one query for a screening run)."""
    found = StoredPedigree.objects.filter(tracing_request_id__in=list(request_ids)).prefetch_related(
        "members"
    )
    return {int(p.tracing_request_id): p for p in found}


def stored_family(
    request: TracingRequest,
    samples: Iterable[Sample],
    preloaded: Mapping[int, StoredPedigree] | None = None,
) -> tuple[Any, list[str]] | None:
    """The screening family of a request with a stored pedigree (None without one): references are the
    profiled samples its typed members gave. ``preloaded`` (from :func:`stored_pedigrees`) saves a query."""
    from kinlink.genetics.pedigree import Pedigree, Person
    from kinlink.genetics.screening import Family

    if preloaded is not None:
        stored = preloaded.get(int(request.pk))
    else:
        stored = StoredPedigree.objects.filter(tracing_request=request).prefetch_related("members").first()
    if stored is None:
        return None
    members = sorted(stored.members.all(), key=lambda m: m.position)
    given = {s.pk: s for s in samples}
    refs: dict[str, dict[str, list[str]]] = {}
    codes: dict[str, str] = {}
    notes: list[str] = []
    for member in members:
        sample = given.pop(member.sample_id, None) if member.sample_id else None
        if sample is not None and sample.profile:
            refs[member.member_id] = json.loads(sample.profile)
            codes[member.member_id] = sample.code
    for sample in given.values():
        notes.append(f"sample {sample.code}: not in the stored pedigree of {request.number}; not used")
    pedigree = Pedigree([Person(m.member_id, m.sex, m.father or None, m.mother or None) for m in members])
    missing = [m.member_id for m in members if m.is_missing]
    return Family(str(request.pk), pedigree, missing, refs, codes), notes
