"""Reading the DNA identification data: the screening family of a tracing request, the fingerprint of a
candidate's data, the caseworkers' queue. Every write is in :mod:`kinlink.identification.actions`
(uploads, screening runs, decisions); the settings it reads are listed in docs/operator.md.

Prior: from the remains' context (the missing persons of their event, site or batch, and the non-DNA
comparison), else 1 / N over the N missing persons screened; computed by
:mod:`kinlink.identification.context`, stated on every candidate in a form of
:mod:`kinlink.identification.prior`; the posterior is
:func:`kinlink.genetics.posterior.posterior_probability`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from kinlink.identification.models import CandidateIdentification, ScreeningRun
from kinlink.identification.relationships import DIRECT
from kinlink.registry.models import Sample, Site, TracingRequest


class IdentificationError(ValueError):
    """A decision or upload that is not allowed; the message says why, ``code`` names the rule."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------------------------------ screening


def remains_dropout(run: ScreeningRun | None, sample: Sample) -> float:
    """The allele dropout probability a run gives a remains sample: the run's field-grave dropout for
    remains recovered from a field grave (degraded bone), else its remains dropout (0 without a run)."""
    if run is None:
        return 0.0
    remains = sample.remains
    site = remains.site if remains is not None else None
    if site is not None and site.kind == Site.Kind.FIELD_GRAVE:
        return float(run.field_grave_dropout)
    return float(run.remains_dropout)


_PARENTS = {"mother": ("MO", "female"), "father": ("FA", "male")}
_SIBLINGS = {"sister": "female", "brother": "male"}
_CHILDREN = {"son": "male", "daughter": "female"}


def family_from_samples(
    request: TracingRequest, samples: list[Sample], pedigrees: Mapping[int, Any] | None = None
) -> tuple[Any, list[str]]:
    """A screening family for a tracing request: its stored pedigree when one was imported
    (:mod:`kinlink.identification.pedigrees`), else a pedigree from the donors' relationships to the missing
    person ``MP`` (mother, father, sister, brother, son, daughter, wife); references from their profiles.
    ``pedigrees`` (``pedigrees.stored_pedigrees``) preloads the stored pedigrees of a whole run."""
    from kinlink.genetics.pedigree import Pedigree, Person
    from kinlink.genetics.screening import Family
    from kinlink.identification.pedigrees import stored_family

    stored = stored_family(request, samples, pedigrees)
    if stored is not None:
        return stored

    persons: dict[str, Person] = {}
    refs: dict[str, dict[str, list[str]]] = {}
    codes: dict[str, str] = {}
    notes: list[str] = []
    kids = 0
    sibs = 0

    def add(pid: str, sex: str, father: str | None = None, mother: str | None = None) -> None:
        persons.setdefault(pid, Person(pid, sex, father, mother))

    for sample in samples:
        rel = sample.relationship.strip().lower()
        profile = json.loads(sample.profile)
        if rel in _PARENTS:
            pid, sex = _PARENTS[rel]
            add(pid, sex)
        elif rel in _SIBLINGS:
            sibs += 1
            pid = f"S{sibs}"
            add("FA", "male")
            add("MO", "female")
            add(pid, _SIBLINGS[rel], "FA", "MO")
        elif rel in _CHILDREN:
            kids += 1
            pid = f"C{kids}"
            add("WI", "female")
            add(pid, _CHILDREN[rel], "MP", "WI")
        elif rel in ("wife", "spouse"):
            pid = "WI"
            add("WI", "female")
        elif rel == DIRECT:
            continue  # the missing person's own DNA: matched directly (direct_reference), not a relative
        else:
            notes.append(f"sample {sample.code}: relationship {rel!r} is not used in screening")
            continue
        if pid in refs:
            notes.append(f"sample {sample.code}: a second {rel} sample; the first is used")
            continue
        refs[pid] = profile
        codes[pid] = sample.code
    needs_parents = any(p in persons for p in ("FA", "MO"))
    if needs_parents:
        add("FA", "male")
        add("MO", "female")
    mp = Person("MP", "male", "FA" if needs_parents else None, "MO" if needs_parents else None)
    ordered = [p for k, p in persons.items() if k in ("FA", "MO", "WI")] + [mp]
    ordered += [p for k, p in persons.items() if k not in ("FA", "MO", "WI")]
    family = Family(str(request.pk), Pedigree(ordered), ["MP"], refs, codes)
    return family, notes


def direct_reference(samples: list[Sample]) -> tuple[Sample | None, list[str]]:
    """The first profiled reference of the missing person himself (a personal item, a stored sample)
    among a family's samples, and a note for each further one (not used)."""
    direct = [s for s in samples if s.relationship == DIRECT and s.profile]
    notes = [
        f"sample {s.code}: a second reference of the missing person himself; the first is used"
        for s in direct[1:]
    ]
    return (direct[0] if direct else None), notes


def direct_fingerprint(remains_profile: Mapping[str, Any], reference_profile: Mapping[str, Any]) -> str:
    """The hash of the DNA data a direct match rests on: the remains and the missing person's own profile."""
    data = json.dumps(
        ["direct", json.dumps(remains_profile, sort_keys=True), json.dumps(reference_profile, sort_keys=True)]
    )
    return hashlib.sha256(data.encode()).hexdigest()


def fingerprint_of(remains_profile: Mapping[str, Any], family: Any) -> str:
    """The hash of the DNA data a (remains, family) pair rests on: the remains profile and the family's
    reference profiles."""
    remains = json.dumps(remains_profile, sort_keys=True)
    data = json.dumps([remains, sorted(family.references.items())], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


def reference_samples(request: TracingRequest) -> list[Sample]:
    """The profiled reference samples of a family, as screening groups them."""
    return list(
        Sample.objects.filter(kind=Sample.Kind.REFERENCE, tracing_request=request)
        .exclude(profile="")
        .order_by("pk")
    )


def current_fingerprint(candidate: CandidateIdentification) -> str | None:
    """The fingerprint the pair would have now (None when the remains or the references lost their
    profiles). It differs from ``candidate.fingerprint`` when the DNA data changed since screening."""
    remains = candidate.remains_sample
    samples = reference_samples(candidate.tracing_request)
    if not remains.profile or not samples:
        return None
    if candidate.method == CandidateIdentification.Method.DIRECT:
        direct, _notes = direct_reference(samples)
        if direct is None:
            return None
        return direct_fingerprint(json.loads(remains.profile), json.loads(direct.profile))
    family, _ = family_from_samples(candidate.tracing_request, samples)
    if not family.references:
        return None
    return fingerprint_of(json.loads(remains.profile), family)


# ------------------------------------------------------------------------------------------------ decisions


PENDING = (CandidateIdentification.Status.PROPOSED, CandidateIdentification.Status.CONFIRMED_ONCE)


def identified_elsewhere(candidate: CandidateIdentification) -> CandidateIdentification | None:
    """Another candidate that already identified the same remains sample (with another family)."""
    return (
        CandidateIdentification.objects.filter(
            remains_sample_id=candidate.remains_sample_id, status=CandidateIdentification.Status.IDENTIFIED
        )
        .exclude(pk=candidate.pk)
        .first()
    )


def queue() -> list[CandidateIdentification]:
    """The caseworker queue: candidates waiting for a decision, strongest first."""
    return list(
        CandidateIdentification.objects.filter(
            status__in=[
                CandidateIdentification.Status.PROPOSED,
                CandidateIdentification.Status.CONFIRMED_ONCE,
            ]
        ).order_by("-log10_lr")
    )
