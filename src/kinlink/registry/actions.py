"""The registry's actions: one function per domain transition, the only write path for registry data.

Every action is atomic, validates with the one shared rule, writes, appends one audit entry in the
registry's vocabulary, and schedules side effects with ``transaction.on_commit``. Views, API
endpoints, CLI commands, the demo and test factories are adapters: they parse input, call an action,
and render its result. None writes a registry model directly.

``actor`` is the user who acts, or ``None`` for the system or an anonymous family using the public
form; ``label`` names a non-user actor in the audit trail (``"family (web form)"``, ``"cli"``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from kinlink.registry.models import (
    Case,
    Claim,
    Event,
    Fate,
    LegalStatusChange,
    Organisation,
    Person,
    Site,
    Source,
    SourceKind,
    TracingRequest,
)
from kinlink.registry.services import audit
from kinlink.registry.services.claims import ClaimError
from kinlink.registry.services.claims import add_claim as _add_claim
from kinlink.registry.services.claims import add_source as _add_source
from kinlink.registry.services.claims import link_event as _link_event
from kinlink.registry.services.claims import retract_claim as _retract_claim
from kinlink.registry.services.family_intake import FamilyRequest, submit_family_request

__all__ = [
    "ClaimError",
    "FamilyRequest",
    "add_case_task",
    "add_claim",
    "add_source",
    "change_legal_status",
    "link_event",
    "new_case_number",
    "on_person_added",
    "open_case",
    "recompute_fate",
    "record_dna_identification",
    "retract_claim",
    "submit_tracing_request",
]

Actor = Any  # AbstractBaseUser | AnonymousUser | None

# --- hooks for the apps above the registry -------------------------------------------------------------
#
# The registry may not import the apps built on it. An app that must react to a registry transition
# (``matching`` links every new person against the registry) registers a callback in its AppConfig.ready;
# the action calls it on commit.

_PERSON_ADDED: list[Callable[[list[int], str], None]] = []


def on_person_added(callback: Callable[[list[int], str], None]) -> None:
    """Register ``callback(person_ids, reason)``, called on commit after persons enter the registry."""
    if callback not in _PERSON_ADDED:
        _PERSON_ADDED.append(callback)


def _persons_added(person_ids: list[int], reason: str) -> None:
    def fire() -> None:
        for callback in _PERSON_ADDED:
            callback(person_ids, reason)

    transaction.on_commit(fire)


# --- tracing requests ----------------------------------------------------------------------------------


def submit_tracing_request(form: FamilyRequest, *, actor: Actor = None) -> tuple[TracingRequest, str]:
    """A family's tracing request: person, names, the family's report and its "missing" claim, consent.

    Returns the request and its one-time access code. On commit, the new person is handed to the
    ``on_person_added`` hooks (linkage against the registry)."""
    with transaction.atomic():
        request, code = submit_family_request(form)
        recompute_fate(request.person)
        _persons_added([request.person_id], f"tracing request {request.number}")
    return request, code


# --- sources and claims --------------------------------------------------------------------------------


def add_source(actor: Actor, *, kind: str, name: str, **fields: Any) -> Source:
    return _add_source(actor, kind=kind, name=name, **fields)


def add_claim(
    actor: Actor,
    person: Person,
    source: Source,
    *,
    fate: str,
    date: str = "",
    place: str = "",
    circumstances: str = "",
    event: Event | None = None,
    site: Site | None = None,
) -> Claim:
    """One statement of ``source`` about ``person``; the person's stored fate is recomputed."""
    with transaction.atomic():
        claim = _add_claim(
            actor,
            person,
            source,
            fate=fate,
            date=date,
            place=place,
            circumstances=circumstances,
            event=event,
            site=site,
        )
        recompute_fate(person)
    return claim


def retract_claim(actor: Actor, claim: Claim, reason: str) -> Claim:
    """Withdraw a claim from the reckoning; it stays on record with who withdrew it and why."""
    with transaction.atomic():
        claim = _retract_claim(actor, claim, reason)
        recompute_fate(claim.person)
    return claim


def link_event(actor: Actor, person: Person, event: Event) -> None:
    _link_event(actor, person, event)


def recompute_fate(person: Person) -> Person:
    """Store the reconciled fate (``registry.fate.reconcile`` over the live claims) on the person, and on
    the person it was merged into. The one place the stored fate is written."""
    from kinlink.registry.services.fate import assess_person

    target = person
    while target.merged_into_id is not None:
        target = Person.objects.get(pk=target.merged_into_id)
    assessment = assess_person(target)
    Person.objects.filter(pk=target.pk).update(
        fate=assessment.fate,
        fate_confidence=assessment.confidence,
        fate_conflicts=len(assessment.conflicts),
    )
    target.fate = assessment.fate
    target.fate_confidence = assessment.confidence
    target.fate_conflicts = len(assessment.conflicts)
    return target


def record_dna_identification(
    actor: Actor,
    person: Person,
    *,
    remains_code: str,
    run_id: int | None,
    lr: float,
    posterior: float,
    candidate_id: int,
    organisation: Organisation | None = None,
) -> Claim:
    """The claim a confirmed DNA identification makes: a source of kind ``dna_identification`` that cites
    the screening run, the LR and the posterior, and a claim "identified" about ``person``."""
    today = timezone.localdate().isoformat()
    with transaction.atomic():
        source = _add_source(
            actor,
            kind=SourceKind.DNA_IDENTIFICATION,
            name=f"DNA identification {remains_code}",
            origin=f"screening run {run_id}" if run_id is not None else "screening",
            reference=f"candidate {candidate_id}; LR {lr:.6g}; posterior {posterior:.10g}",
            date=today,
            reliability="A",
            organisation=organisation,
        )
        claim = add_claim(
            actor,
            person,
            source,
            fate=Fate.IDENTIFIED,
            date=today,
            circumstances=f"remains sample {remains_code} identified by DNA (LR {lr:.6g}, posterior "
            f"{posterior:.10g}; candidate {candidate_id}, screening run {run_id})",
        )
    return claim


# --- cases ---------------------------------------------------------------------------------------------


def new_case_number() -> str:
    while True:
        number = f"C-{timezone.now():%Y}-{secrets.token_hex(3).upper()}"
        if not Case.objects.filter(number=number).exists():
            return number


def open_case(
    actor: Actor,
    person: Person,
    organisation: Organisation,
    *,
    request: TracingRequest | None = None,
    assigned_to: Any = None,
    reason: str = "",
) -> Case:
    """The organisation's case on ``person``; an existing one is returned as it is. A new request the case
    is opened from moves to "in progress"."""
    with transaction.atomic():
        case = Case.objects.filter(person=person, organisation=organisation).first()
        if case is None:
            case = Case.objects.create(
                number=new_case_number(), person=person, organisation=organisation, assigned_to=assigned_to
            )
            detail: dict[str, Any] = {"reason": reason} if reason else {}
            if request is not None:
                detail["request"] = request.number
            audit.record(actor, "open_case", case, **detail)
        if request is not None and request.status == TracingRequest.Status.NEW:
            request.status = TracingRequest.Status.IN_PROGRESS
            request.save(update_fields=["status"])
    return case


def change_legal_status(
    actor: Actor, case: Case, to_status: str, effective_on: dt.date, note: str = ""
) -> Case:
    """Move the case's legal status along the rules' transitions (``LegalStatusError`` otherwise)."""
    from kinlink.registry.legal import default_rules

    default_rules().check_transition(case.legal_status, to_status)
    with transaction.atomic():
        LegalStatusChange.objects.create(
            case=case,
            from_status=case.legal_status,
            to_status=to_status,
            effective_on=effective_on,
            note=note,
            changed_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(actor, "change_legal_status", case, from_status=case.legal_status, to_status=to_status)
        case.legal_status = to_status
        case.legal_status_since = effective_on
        case.save(update_fields=["legal_status", "legal_status_since"])
    return case


def add_case_task(actor: Actor, case: Case, title: str, due_on: dt.date | None = None, **detail: Any) -> Any:
    """A task on the case (``detail`` goes into the audit entry)."""
    from kinlink.portal.models import CaseTask  # moves into the registry (layering)

    with transaction.atomic():
        task = CaseTask.objects.create(
            case=case,
            title=title[:300],
            due_on=due_on,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(actor, "add_task", task, case=case.number, **detail)
    return task
