"""Screening in the registry: lab uploads queue a screening run; the worker turns pairs at or above the
threshold into candidate identifications; caseworkers decide on them (two different staff confirm).

Settings: ``KINLINK_DNA_FREQUENCIES`` (path of the frequency CSV or Familias file the lab uses),
``KINLINK_DNA_MUTATION`` (mutation spec as ``kinlink dna screen --mutation``), ``KINLINK_SCREENING_THRESHOLD``
(LR, default 1e4), ``KINLINK_SCREENING_IMMEDIATE`` (run the job inside the upload; default False: the
upload enqueues a django-tasks task, run by the tasks worker, or inline with the immediate backend;
``kinlink worker`` also runs any run still queued).

Prior: each screened remains is a priori equally likely to be any of the N missing persons screened,
prior = 1 / N (stated on every candidate). Posterior = LR prior / (LR prior + 1 - prior).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kinlink.identification.models import CandidateIdentification, IdentificationDecision, ScreeningRun
from kinlink.identification.prior import screened_basis
from kinlink.registry.models import Remains, Sample, TracingRequest

IDENTIFICATION_POSTERIOR = 0.9995


class IdentificationError(ValueError):
    """A decision or upload that is not allowed; the message says why, ``code`` names the rule."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------------------------------ uploads


def record_lab_upload(
    profiles: Mapping[str, Mapping[str, list[str]]], reason: str = "lab upload"
) -> ScreeningRun:
    """Store genotype profiles of known samples (code -> marker -> alleles) and queue a screening run.

    Unknown sample codes are an error and nothing is stored.
    """
    with transaction.atomic():
        samples = {s.code: s for s in Sample.objects.filter(code__in=list(profiles))}
        unknown = sorted(set(profiles) - set(samples))
        if unknown:
            raise IdentificationError(f"unknown sample codes {unknown}; nothing was stored")
        for code, profile in profiles.items():
            sample = samples[code]
            sample.profile = json.dumps({m: list(g) for m, g in profile.items()}, sort_keys=True)
            sample.status = Sample.Status.PROFILED
            sample.save(update_fields=["profile", "status"])
        run = ScreeningRun.objects.create(
            reason=f"{reason}: {len(profiles)} profiles",
            threshold=float(getattr(settings, "KINLINK_SCREENING_THRESHOLD", 1e4)),
        )
    if getattr(settings, "KINLINK_SCREENING_IMMEDIATE", False):
        run_screening(run)
    else:
        from kinlink.identification.tasks import screen_after_upload

        screen_after_upload.enqueue(run.pk)  # django-tasks: the database worker (or inline backend) runs it
    run.refresh_from_db()
    return run


def run_pending() -> list[ScreeningRun]:
    """Run every queued screening run, oldest first (the ``kinlink worker`` loop body)."""
    done = []
    for run in ScreeningRun.objects.filter(status=ScreeningRun.Status.QUEUED).order_by("pk"):
        run_screening(run)
        run.refresh_from_db()
        done.append(run)
    return done


# ------------------------------------------------------------------------------------------------ screening

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


def _fingerprint(remains: str, family: Any) -> str:
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
    family, _ = family_from_samples(candidate.tracing_request, samples)
    if not family.references:
        return None
    return _fingerprint(json.dumps(json.loads(remains.profile), sort_keys=True), family)


def load_frequencies(path: str) -> Any:
    """The frequency table at ``path``: a CSV ``locus,allele,freq`` or a Familias frequency file."""
    from kinlink.genetics.markers import read_familias_frequencies, read_frequency_csv

    return read_frequency_csv(path) if str(path).lower().endswith(".csv") else read_familias_frequencies(path)


def run_screening(run: ScreeningRun) -> ScreeningRun:
    """Screen every profiled remains sample against every family with profiled references.

    The frequency table and mutation spec are the run's own when it names them (the demo does), else the
    settings'; the run records the ones it used, so that a report recomputes with the same."""
    from kinlink.commands.dna_screen import parse_mutation
    from kinlink.genetics.screening import ScreeningIndex, ScreeningPanel, Target

    run.status = ScreeningRun.Status.RUNNING
    run.started = timezone.now()
    run.save(update_fields=["status", "started"])
    notes: list[str] = []
    try:
        path = run.frequencies or getattr(settings, "KINLINK_DNA_FREQUENCIES", None)
        if not path:
            raise IdentificationError("KINLINK_DNA_FREQUENCIES is not set: no frequency table to screen with")
        db = load_frequencies(str(path))
        spec = run.mutation or getattr(settings, "KINLINK_DNA_MUTATION", None) or ""
        mutation = parse_mutation(spec) if spec else None
        run.frequencies, run.mutation = str(path), spec
        by_request: dict[int, list[Sample]] = {}
        for s in Sample.objects.filter(kind=Sample.Kind.REFERENCE, tracing_request__isnull=False).exclude(
            profile=""
        ):
            by_request.setdefault(int(s.tracing_request_id), []).append(s)  # type: ignore[arg-type]
        requests = TracingRequest.objects.in_bulk(list(by_request))
        from kinlink.identification.pedigrees import stored_pedigrees

        pedigrees = stored_pedigrees(by_request)
        families = []
        for rid, samples in sorted(by_request.items()):
            family, fam_notes = family_from_samples(requests[rid], samples, pedigrees)
            notes.extend(fam_notes)
            if family.references:
                families.append(family)
        remains_samples = {
            s.code: s for s in Sample.objects.filter(kind=Sample.Kind.REMAINS).exclude(profile="")
        }
        remains = {code: json.loads(s.profile) for code, s in remains_samples.items()}
        created = 0
        if families and remains:
            profiles = [*remains.values(), *(p for f in families for p in f.references.values())]
            panel = ScreeningPanel.build(db, profiles, mutation=mutation)
            index = ScreeningIndex(panel, threshold=run.threshold, top=5)
            index.add_families(families)
            index.add_remains(remains)
            run.pairs_screened = index.screen()
            notes.extend(index.notes)
            prior = 1.0 / len(families)
            basis = screened_basis(len(families))
            fam_by_id = {f.id: f for f in families}
            for cand in index.candidates():
                if cand.log10_lr is None or cand.log10_lr < math.log10(run.threshold):
                    continue
                family = fam_by_id[cand.family]
                fingerprint = _fingerprint(json.dumps(remains[cand.remains], sort_keys=True), family)
                sample = remains_samples[cand.remains]
                request = requests[int(cand.family)]
                if CandidateIdentification.objects.filter(
                    remains_sample=sample, tracing_request=request, fingerprint=fingerprint
                ).exists():
                    continue  # already proposed on the same data: its decisions stand
                per_marker = index.marker_log10_lrs(cand.remains, Target(cand.family, cand.missing))
                driving = sorted(per_marker.items(), key=lambda kv: -kv[1])[:5]
                lr = float(cand.lr or 0.0)
                odds = math.inf if math.isinf(lr) else lr * prior / (1.0 - prior) if prior < 1 else math.inf
                posterior = 1.0 if math.isinf(odds) else odds / (1.0 + odds)
                CandidateIdentification.objects.create(
                    run=run,
                    remains_sample=sample,
                    tracing_request=request,
                    lr=lr if math.isfinite(lr) else 1e308,
                    log10_lr=float(cand.log10_lr),
                    prior=prior,
                    prior_basis=basis,
                    posterior=posterior,
                    driving_markers=[{"marker": m, "log10_lr": round(v, 4)} for m, v in driving],
                    fingerprint=fingerprint,
                )
                created += 1
        run.candidates_created = created
        run.status = ScreeningRun.Status.DONE
    except Exception as exc:  # the job records its failure for the operator
        run.status = ScreeningRun.Status.FAILED
        notes.append(f"failed: {exc}")
    run.notes = "\n".join(notes)
    run.finished = timezone.now()
    run.save()
    return run


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


def decide(
    candidate: CandidateIdentification, staff: Any, decision: str, note: str = ""
) -> CandidateIdentification:
    """Record one staff member's decision. Two confirmations by different staff members identify the
    remains, and only when the posterior is at least 99.95%; a rejection ("not this family") closes the
    candidate. Every decision is kept."""
    if decision not in IdentificationDecision.Decision.values:
        raise IdentificationError(f"decision must be one of {IdentificationDecision.Decision.values}")
    with transaction.atomic():
        candidate = CandidateIdentification.objects.select_for_update().get(pk=candidate.pk)
        if candidate.status in (
            CandidateIdentification.Status.IDENTIFIED,
            CandidateIdentification.Status.REJECTED,
        ):
            raise IdentificationError(f"candidate {candidate.pk} is already {candidate.status}", "decided")
        if candidate.decisions.filter(staff=staff).exists():
            raise IdentificationError(
                "this staff member has already decided; a different staff member must confirm", "same_staff"
            )
        if decision == IdentificationDecision.Decision.CONFIRM:
            if candidate.posterior < IDENTIFICATION_POSTERIOR:
                raise IdentificationError(
                    f"posterior {candidate.posterior:.6f} is below {IDENTIFICATION_POSTERIOR:.2%}: more "
                    "references are needed before this can be confirmed",
                    "posterior",
                )
            other = identified_elsewhere(candidate)
            if other is not None:
                raise IdentificationError(
                    f"remains sample {candidate.remains_sample} is already identified (candidate {other.pk})",
                    "remains_identified",
                )
        IdentificationDecision.objects.create(candidate=candidate, staff=staff, decision=decision, note=note)
        if decision == IdentificationDecision.Decision.REJECT:
            candidate.status = CandidateIdentification.Status.REJECTED
        else:
            confirmations = candidate.decisions.filter(decision=IdentificationDecision.Decision.CONFIRM)
            if confirmations.values("staff").distinct().count() >= 2:
                candidate.status = CandidateIdentification.Status.IDENTIFIED
                Sample.objects.filter(pk=candidate.remains_sample_id).update(status=Sample.Status.MATCHED)
                remains_id = candidate.remains_sample.remains_id
                if remains_id is not None:  # the remains now have a name (seen by staff only)
                    Remains.objects.filter(pk=remains_id).update(
                        identified_person_id=candidate.tracing_request.person_id,
                        status=Remains.Status.IDENTIFIED,
                    )
            else:
                candidate.status = CandidateIdentification.Status.CONFIRMED_ONCE
        candidate.save(update_fields=["status"])
    return candidate
