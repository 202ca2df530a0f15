"""TEMPORARY: the shared contract's actions, mapped onto today's code until their branches land.

The demo imports every identification, matching and missing registry action through this module only.
When ``identification.actions`` and ``matching.actions`` are merged, replace each import of this module
by the real one and delete it (the signatures are the contract's). The last block holds transitions
the contract does not name yet (events, sites, remains, attaching a sample, inquiries): they belong in
``registry.actions`` / ``documents`` and are written here as those actions would be, with one audit
entry each, so that the demo itself writes no model directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from kinlink.identification.models import CandidateIdentification, IdentificationDecision, ScreeningRun
from kinlink.matching.models import CandidateLink
from kinlink.registry import actions as registry_actions
from kinlink.registry.models import Case, Event, Organisation, Person, Remains, Sample, Site, Source
from kinlink.registry.services import audit

Actor = Any

# --- identification.actions ---------------------------------------------------------------------------


def register_sample(actor: Actor, lab: Organisation, code: str, kind: str, relationship: str = "") -> Sample:
    from kinlink.registry.services.lab_samples import register_sample as _register

    return _register(actor, lab, code, kind, relationship)


def register_reference_samples(actor: Actor, lab: Organisation, filename: str, data: bytes) -> int:
    from kinlink.registry.services.lab_samples import load_reference_samples

    return load_reference_samples(actor, lab, filename, data.decode("utf-8-sig"))


def store_lab_profiles(
    actor: Actor, lab: Organisation, filename: str, data: bytes, *, label: str = ""
) -> ScreeningRun:
    """Profiles from a genotype CSV (the one allele rule of ``exchange.genotypes``), audited, and a
    screening run queued (run by the worker). Returns the run (the contract returns an upload record)."""
    from kinlink.exchange.genotypes import parse_genotype_csv
    from kinlink.identification.services import record_lab_upload

    profiles = parse_genotype_csv(data, filename)  # refuses the whole file with every problem
    with transaction.atomic():
        run = record_lab_upload(profiles, reason=label or f"lab upload {filename}")
        for sample in Sample.objects.filter(code__in=list(profiles), lab=lab):
            audit.record(actor, "load_profile", sample, markers=len(profiles[sample.code]), file=filename)
    return run


def decide_identification(
    actor: Actor, candidate: CandidateIdentification, decision: str, note: str = ""
) -> CandidateIdentification:
    """One staff decision; on the second confirmation, the identification claim and the task to tell
    the family in person (the portal's ``inform_family_tasks``, on the registry actions)."""
    from kinlink.identification.services import decide

    with transaction.atomic():
        candidate = decide(candidate, actor, decision, note)
        audit.record(
            actor,
            "confirm_identification"
            if decision == IdentificationDecision.Decision.CONFIRM
            else "reject_identification",
            candidate,
            status=candidate.status,
            remains=candidate.remains_sample.code,
            request=candidate.tracing_request.number,
        )
        if candidate.status == CandidateIdentification.Status.IDENTIFIED:
            _identified(actor, candidate)
    return candidate


def _identified(actor: Actor, candidate: CandidateIdentification) -> None:
    request = candidate.tracing_request
    person = request.person
    registry_actions.record_dna_identification(
        actor,
        person,
        remains_code=candidate.remains_sample.code,
        run_id=candidate.run_id,
        lr=candidate.lr,
        posterior=candidate.posterior,
        candidate_id=candidate.pk,
        organisation=candidate.remains_sample.lab,
    )
    orgs = list(request.consent_organisations.all())
    if request.organisation is not None:
        orgs.insert(0, request.organisation)
    cases = list(Case.objects.filter(person=person, organisation__in=orgs).order_by("pk"))
    if not cases and orgs:
        cases = [
            registry_actions.open_case(actor, person, orgs[0], request=request, reason="dna identification")
        ]
    title = _(
        "Tell the family of request %(request)s in person: remains sample %(sample)s was identified by DNA "
        "as %(name)s. Arrange support first; then release an update."
    ) % {"request": request.number, "sample": candidate.remains_sample.code, "name": person.primary_name()}
    for case in cases:
        registry_actions.add_case_task(actor, case, title, candidate=str(candidate.pk))


# --- matching.actions ---------------------------------------------------------------------------------


def link_source(source_id: int) -> None:
    """Queue the linkage of an imported list against the registry (the worker runs it)."""
    from kinlink.matching.tasks import link_source as task

    task.enqueue(source_id)


def link_persons(person_ids: list[int], reason: str) -> int:
    """Link new persons (tracing requests) against the rest of the registry; returns links proposed."""
    from kinlink.linkage.model import LinkageOptions, candidate_links
    from kinlink.matching import services

    new = Person.objects.filter(pk__in=person_ids, merged_into__isnull=True)
    existing = Person.objects.filter(merged_into__isnull=True).exclude(pk__in=person_ids)
    new_rows, existing_rows = services.person_rows(new, "new"), services.person_rows(existing, "registry")
    result = services.LinkRunResult(0)
    if not new_rows or not existing_rows:
        return 0
    pairs = candidate_links(
        services.new_rows_frame(new_rows),
        services.new_rows_frame(existing_rows),
        min_probability=settings.KINLINK_LINK_REVIEW_THRESHOLD,
        options=LinkageOptions(u_num_chunks=1),
    )
    persons = Person.objects.in_bulk(
        {int(i) for i in pairs["new_record_id"]} | {int(i) for i in pairs["person_record_id"]}
    )
    for new_id, person_id, probability, weight, explanation in pairs.itertuples(index=False):
        a, b = sorted((persons[int(new_id)], persons[int(person_id)]), key=lambda p: p.pk)
        services._propose(a, b, float(probability), float(weight), explanation, result)
    return result.proposed


def accept_link(actor: Actor, link: CandidateLink, reason: str = "") -> Person:
    from kinlink.matching.services import accept_link as _accept

    return _accept(link, actor, reason)


# --- transitions the contract does not name yet (registry / documents) --------------------------------


def add_event(actor: Actor, *, name: str, **fields: Any) -> Event:
    with transaction.atomic():
        event = Event.objects.create(name=name, **fields)
        audit.record(actor, "add_event", event)
    return event


def add_site(actor: Actor, *, name: str, kind: str, **fields: Any) -> Site:
    with transaction.atomic():
        site = Site.objects.create(name=name, kind=kind, **fields)
        audit.record(actor, "add_site", site)
    return site


def register_remains(actor: Actor, *, code: str, **fields: Any) -> Remains:
    with transaction.atomic():
        remains = Remains.objects.create(code=code, **fields)
        audit.record(actor, "register_remains", remains)
    return remains


def attach_sample(
    actor: Actor, sample: Sample, *, tracing_request: Any = None, remains: Remains | None = None
) -> Sample:
    """Link a lab's sample (by barcode) to the family's request or to the remains it was taken from."""
    with transaction.atomic():
        if tracing_request is not None:
            sample.tracing_request = tracing_request
        if remains is not None:
            sample.remains = remains
        sample.save(update_fields=["tracing_request", "remains"])
        audit.record(
            actor,
            "attach_sample",
            sample,
            request=getattr(tracing_request, "number", ""),
            remains=getattr(remains, "code", ""),
        )
    return sample


def record_inquiry(
    actor: Actor,
    case: Case,
    *,
    addressee_kind: str,
    addressee: str,
    question: str,
    asked_on: dt.date,
    answered_on: dt.date | None = None,
    answer: str = "",
    answer_source: Source | None = None,
) -> Any:
    from kinlink.documents.models import Inquiry

    with transaction.atomic():
        inquiry = Inquiry.objects.create(
            case=case,
            addressee_kind=addressee_kind,
            addressee=addressee,
            question=question,
            asked_on=asked_on,
            answered_on=answered_on,
            answer=answer,
            answer_source=answer_source,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(actor, "record_inquiry", inquiry, case=case.number)
    return inquiry
