"""The default DNA report provider: a case's DNA identification, recomputed from the registry.

For a case, the comparison reported is the identified kinship candidate of the person's tracing requests (two
staff confirmations), or else the strongest candidate not rejected, labelled as NOT confirmed. The pedigree
is the family's stored pedigree or the one screening builds from the donors' relationships
(``identification.services.family_from_samples``); the LR per marker and in total is recomputed with the
exact engine (``kinlink.genetics.kinship.missing_person_lr``) from the same frequency table and mutation
model as the screening run; the prior is the candidate's (1 / number of families screened, or the event
prior of remains tied to an event, worded from its stated basis), the posterior and
the verbal conclusion those of the genetics engine (``genetics.report``).

Names appear only in the caseworker's copy (see :func:`kinlink.documents.dna.dna_report_facts`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings

from kinlink.documents.dna import DnaReportData, DnaReportError, MethodFacts, from_kinship
from kinlink.identification.models import CandidateIdentification
from kinlink.identification.prior import EQUAL_PRIOR
from kinlink.registry.models import Case, Sample, TracingRequest

#: Pedigree ids of the guessed family (``family_from_samples``) and their roles.
_GUESSED_ROLES = {"FA": "father", "MO": "mother", "WI": "wife"}
REMAINS_ID = "__remains__"


def case_candidate(case: Case) -> CandidateIdentification | None:
    """The identified candidate of the case's person, else the strongest one not rejected."""
    candidates = (
        CandidateIdentification.objects.filter(
            tracing_request__person=case.person, method=CandidateIdentification.Method.KINSHIP
        )
        .exclude(status=CandidateIdentification.Status.REJECTED)
        .select_related("run", "remains_sample__lab", "tracing_request")
        .order_by("-log10_lr", "pk")
    )
    identified = [c for c in candidates if c.status == CandidateIdentification.Status.IDENTIFIED]
    if identified:
        return identified[0]
    return next(iter(candidates), None)


def registry_result(case: Case) -> DnaReportData | None:
    """``KINLINK_DNA_REPORT_PROVIDER``: the case's DNA comparison, or None when the case has none."""
    candidate = case_candidate(case)
    if candidate is None:
        return None
    return candidate_report(candidate, case)


def _loci(path: str, spec: str, markers: set[str]) -> tuple[list[Any], list[str]]:
    from kinlink.genetics.markers import read_frequency_table
    from kinlink.genetics.mutation import parse_mutation_spec

    db = read_frequency_table(path)
    mutation = parse_mutation_spec(spec) if spec else None
    loci = []
    for name in db.names():
        if name not in markers:
            continue
        model = mutation.get(name) if isinstance(mutation, dict) else mutation
        loci.append(db[name].with_mutation(model) if model is not None else db[name])
    notes = [
        f"marker {m} is typed but not in the frequency table; it is left out"
        for m in sorted(markers - set(db.names()))
    ]
    return loci, [*db.notes, *notes]


def candidate_report(candidate: CandidateIdentification, case: Case) -> DnaReportData:
    """Recompute one candidate's comparison with the exact engine and label it from the registry."""
    from kinlink.genetics.kinship import KinshipCase, KinshipError, missing_person_lr
    from kinlink.identification.services import family_from_samples, remains_dropout

    if candidate.method != CandidateIdentification.Method.KINSHIP:
        raise DnaReportError(
            f"candidate {candidate.pk} is a direct match with the missing person's own reference; this "
            "report states kinship comparisons (the direct match's LR per marker is on its candidate page)"
        )
    request: TracingRequest = candidate.tracing_request
    samples = list(
        Sample.objects.filter(kind=Sample.Kind.REFERENCE, tracing_request=request).exclude(profile="")
    )
    family, notes = family_from_samples(request, samples)
    if not family.references:
        raise DnaReportError(f"tracing request {request.number} has no profiled reference sample")
    if len(family.missing) != 1:
        raise DnaReportError(f"the pedigree of {request.number} must have exactly one missing person")
    missing = family.missing[0]
    run = candidate.run
    path = (run.frequencies if run else "") or str(getattr(settings, "KINLINK_DNA_FREQUENCIES", "") or "")
    if not path:
        raise DnaReportError(
            "no frequency table: the screening run names none and KINLINK_DNA_FREQUENCIES is unset"
        )
    spec = (run.mutation if run else "") or str(getattr(settings, "KINLINK_DNA_MUTATION", "") or "")
    remains = candidate.remains_sample
    poi = json.loads(remains.profile)
    typed = {m for profile in [*family.references.values(), poi] for m in profile}
    loci, table_notes = _loci(path, spec, typed)
    keep = {locus.name for locus in loci}
    kinship_case = KinshipCase(
        id=case.number,
        pedigree=family.pedigree,
        missing=missing,
        loci=loci,
        references={pid: {m: g for m, g in p.items() if m in keep} for pid, p in family.references.items()},
        poi={m: g for m, g in poi.items() if m in keep},
        poi_dropout=remains_dropout(run, remains),
        theta=run.theta if run else 0.0,
        notes=[*notes, *table_notes],
    )
    try:
        result = missing_person_lr(kinship_case)
    except KinshipError as exc:
        raise DnaReportError(str(exc)) from exc
    by_code = {s.code: s for s in samples}
    roles: dict[str, str] = {missing: "missing person"}
    names: dict[str, str] = {missing: case.person.primary_name()}
    for pid, code in family.samples.items():
        sample = by_code.get(code)
        relationship = sample.relationship if sample is not None else ""
        roles[pid] = relationship or _GUESSED_ROLES.get(pid, "")
        if relationship and relationship == request.relationship:
            names[pid] = request.enquirer_name
    for pid in family.pedigree.ids:
        roles.setdefault(pid, _GUESSED_ROLES.get(pid, ""))
    prior, basis = candidate.prior, candidate.prior_basis
    if not 0.0 < prior < 1.0:
        prior, basis = 0.5, EQUAL_PRIOR
    lab = remains.lab.name if remains.lab else "—"
    data = from_kinship(
        kinship_case,
        result,
        case_number=case.number,
        remains_code=remains.code,
        lab=lab,
        prior=prior,
        sample_codes=family.samples,
        roles=roles,
        names=names,
        marker_kit="",  # worded in the reader's language from the number of markers
        remains_name=case.person.primary_name(),
    )
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    base = data.method or MethodFacts()
    facts = dataclasses.replace(
        base,
        frequencies=Path(path).name,
        frequencies_sha256=digest,
        mutation=spec or "",
        candidate=candidate.pk,
        run=candidate.run_id,
        screening_lr=candidate.lr,
    )
    mutation = f"mutation model {spec}" if spec else "no mutation model"
    method = (
        f"{data.method_statement} Allele frequencies: {Path(path).name} (SHA-256 {digest}…); {mutation}. "
        f"Prior: {basis}. Screening candidate {candidate.pk}, run {candidate.run_id}, "
        f"screening LR {candidate.lr:.4g}."
    )
    return dataclasses.replace(
        data,
        method_statement=method,
        method=facts,
        identified=candidate.status == CandidateIdentification.Status.IDENTIFIED,
        prior_basis=basis,
    )
