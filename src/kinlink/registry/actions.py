"""The registry's actions: one function per domain transition, the only write path for registry data.

Every action is atomic, validates with the one shared rule, writes, appends one audit entry in the
registry's vocabulary (:class:`kinlink.registry.services.audit.Action`), and schedules side effects with
``transaction.on_commit``. Views, API endpoints, CLI commands, the demo and test factories are adapters:
they parse input, call an action, and render its result. None writes a registry model directly.

``actor`` is the user who acts, or ``None`` for the system or an anonymous family using the public
form; ``label`` names a non-user actor in the audit trail (``"family (web form)"``, ``"api token 7"``,
``"cli"``).

Every action that adds or retracts a claim recomputes the person's stored fate (:func:`recompute_fate`),
so ``Person.fate`` is always the reconciliation of the live claims of the person's merge group.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from kinlink.registry.models import (
    Attachment,
    Case,
    CaseNote,
    CaseTask,
    Channel,
    Claim,
    ClaimRetraction,
    Event,
    FamilyMessage,
    FamilyUpdate,
    Fate,
    LegalStatusChange,
    ListRecord,
    NameVariant,
    Organisation,
    Person,
    Remains,
    Sample,
    Site,
    Source,
    SourceKind,
    TracingRequest,
    script_of,
)
from kinlink.registry.services import audit
from kinlink.registry.services.audit import Action
from kinlink.registry.services.family_intake import (
    FamilyRequest,
    UploadedFile,
    find_family_report,
    new_request_number,
)
from kinlink.registry.services.fate import assess_person, store_fates
from kinlink.registry.services.imports import ImportResult, Progress
from kinlink.registry.services.imports import import_list as _import_list
from kinlink.registry.services.uploads import UploadError, store_upload

__all__ = [
    "ClaimError",
    "FamilyRequest",
    "UploadError",
    "UploadedFile",
    "add_case_note",
    "add_case_task",
    "add_claim",
    "add_event",
    "add_list_record",
    "add_person",
    "add_site",
    "add_source",
    "attach_document",
    "attach_sample",
    "change_legal_status",
    "family_report_source",
    "finish_case_task",
    "import_list",
    "link_event",
    "new_case_number",
    "on_person_added",
    "open_case",
    "recompute_fate",
    "recompute_fates",
    "record_dna_identification",
    "register_remains",
    "release_update",
    "retract_claim",
    "send_message",
    "submit_tracing_request",
]

Actor = Any  # AbstractBaseUser | AnonymousUser | None

FAMILY_WEB_FORM = "family (web form)"
FAMILY_ACCESS_CODE = "family (access code)"


class ClaimError(ValueError):
    """A claim change the registry refuses, with the reason."""


def _user(actor: Actor) -> Any:
    """The actor as a user to store on a row (``created_by``); ``None`` for the anonymous and the system."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


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


def persons_added(person_ids: list[int], reason: str) -> None:
    def fire() -> None:
        for callback in _PERSON_ADDED:
            callback(person_ids, reason)

    transaction.on_commit(fire)


# --- tracing requests ----------------------------------------------------------------------------------


def submit_tracing_request(
    form: FamilyRequest, *, actor: Actor = None, channel: str = Channel.WEB, label: str = ""
) -> tuple[TracingRequest, str]:
    """A family's tracing request: person, names, the family's report and its "missing" claim, consent.

    Returns the request and its one-time access code (only its hash is stored). Photos that are refused
    raise :class:`UploadError` and nothing is written. On commit, the new person is handed to the
    ``on_person_added`` hooks (linkage against the registry)."""
    label = label or ("" if _user(actor) is not None else FAMILY_WEB_FORM)
    with transaction.atomic():
        person = Person.objects.create(
            sex=form.sex,
            birth_date=form.birth_date,
            birth_place=form.birth_place,
            unit=form.unit,
            service_number=form.service_number,
        )
        request = TracingRequest(
            number=new_request_number(),
            person=person,
            enquirer_name=form.enquirer_name,
            relationship=form.relationship,
            contact=form.contact,
            consent_dna=form.consent_dna,
            language=form.language,
            channel=channel,
            last_contact=form.last_contact,
            last_known_place=form.last_known_place,
            circumstances=form.circumstances,
        )
        code = request.issue_access_code()
        request.save()
        request.consent_organisations.set(form.consent_organisations)
        report = Source.objects.create(
            kind=SourceKind.FAMILY_REPORT,
            name=f"Tracing request {request.number}",
            origin=form.relationship,
            reference=request.number,
            date=timezone.now().date().isoformat(),
            reliability="F",
        )
        NameVariant.objects.create(
            person=person,
            surname=form.surname,
            given_name=form.given_name,
            patronymic=form.patronymic,
            script=script_of(form.surname + form.given_name),
            language=form.language,
            source=report,
            is_primary=True,
        )
        for other in form.other_names:
            if other.strip():
                NameVariant.objects.create(
                    person=person,
                    full_name=other.strip(),
                    script=script_of(other),
                    language="",
                    source=report,
                )
        Claim.objects.create(
            person=person,
            source=report,
            fate=Fate.MISSING,
            date=form.last_contact,
            place=form.last_known_place,
            circumstances=form.circumstances,
            created_by=_user(actor),
        )
        for photo in form.photos:
            store_upload(report, photo.filename, photo.content)
        audit.record(actor, Action.SUBMIT_REQUEST, request, label=label, channel=str(channel))
        recompute_fate(person)
        persons_added([person.pk], f"tracing request {request.number}")
    return request, code


def family_report_source(tracing_request: TracingRequest, *, actor: Actor = None, label: str = "") -> Source:
    """The source that holds what the family sent: made with the request, and made here if it is missing."""
    source = find_family_report(tracing_request)
    if source is None:
        source = add_source(
            actor,
            kind=SourceKind.FAMILY_REPORT,
            name=f"Tracing request {tracing_request.number}",
            origin=tracing_request.relationship,
            reference=tracing_request.number,
            date=timezone.now().date().isoformat(),
            label=label or FAMILY_ACCESS_CODE,
        )
    return source


# --- persons from other registries ----------------------------------------------------------------------


def add_person(
    actor: Actor,
    *,
    names: Iterable[dict[str, Any]],
    reason: str,
    label: str = "",
    **fields: Any,
) -> Person:
    """A person a source speaks of (a PFIF record, a partner's list): the person's ``fields``, its name
    variants (dicts of :class:`NameVariant` fields; the first is primary unless one says otherwise). On
    commit, the person is handed to the ``on_person_added`` hooks (linkage against the registry)."""
    with transaction.atomic():
        person = Person(**fields)
        person.full_clean(exclude=["merged_into"])
        person.save()
        variants = [NameVariant(person=person, **values) for values in names]
        if variants and not any(v.is_primary for v in variants):
            variants[0].is_primary = True
        NameVariant.objects.bulk_create(variants)
        audit.record(actor, Action.ADD_PERSON, person, label=label, reason=reason)
        recompute_fate(person)
        persons_added([person.pk], reason)
    return person


def add_list_record(
    actor: Actor, source: Source, record_id: str, person: Person, row: dict[str, Any], row_sha256: str
) -> ListRecord:
    """One record of an imported list or repository, kept as the source wrote it and linked to the person
    it names (the import that calls this audits the import as a whole)."""
    return ListRecord.objects.create(
        source=source, record_id=record_id, person=person, row=row, row_sha256=row_sha256
    )


# --- sources, claims, documents ------------------------------------------------------------------------


def add_source(
    actor: Actor,
    *,
    kind: str,
    name: str,
    origin: str = "",
    reference: str = "",
    date: str = "",
    reliability: str = "F",
    organisation: Organisation | None = None,
    label: str = "",
) -> Source:
    """One document or statement (a notice, a letter, a testimony); validated (``ValidationError``)."""
    with transaction.atomic():
        source = Source(
            kind=kind,
            name=name,
            origin=origin,
            reference=reference,
            date=date,
            reliability=reliability,
            organisation=organisation,
            created_by=_user(actor),
        )
        source.full_clean()
        source.save()
        audit.record(actor, Action.ADD_SOURCE, source, label=label, kind=str(kind))
    return source


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
    label: str = "",
) -> Claim:
    """One statement of ``source`` about ``person`` (validated: ``ValidationError``); a linked event also
    lists the person; the person's stored fate is recomputed."""
    with transaction.atomic():
        claim = Claim(
            person=person,
            source=source,
            fate=fate,
            date=date,
            place=place,
            circumstances=circumstances,
            event=event,
            site=site,
            created_by=_user(actor),
        )
        claim.full_clean()
        claim.save()
        if event is not None:
            event.persons.add(person)
        audit.record(
            actor,
            Action.ADD_CLAIM,
            claim,
            label=label,
            person=str(person.pk),
            source=str(source.pk),
            fate=str(fate),
        )
        recompute_fate(person)
    return claim


def retract_claim(actor: Actor, claim: Claim, reason: str, *, label: str = "") -> Claim:
    """Withdraw a claim from the reckoning: a :class:`ClaimRetraction` row says who withdrew it, when and
    why; the claim itself stays as it was. The person's stored fate is recomputed."""
    reason = reason.strip()
    if not reason:
        raise ClaimError("say why the claim is retracted")
    with transaction.atomic():
        # Lock the claim so two caseworkers cannot retract it at once (the one-to-one refuses the second).
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if ClaimRetraction.objects.filter(claim=locked).exists():
            raise ClaimError("this claim was already retracted")
        retraction = ClaimRetraction.objects.create(claim=locked, retracted_by=_user(actor), reason=reason)
        audit.record(actor, Action.RETRACT_CLAIM, claim, label=label, reason=reason)
        recompute_fate(claim.person)
    claim.retraction = retraction
    return claim


def link_event(actor: Actor, person: Person, event: Event, *, label: str = "") -> None:
    with transaction.atomic():
        event.persons.add(person)
        audit.record(actor, Action.LINK_EVENT, event, label=label, person=str(person.pk))


def attach_document(
    actor: Actor,
    source: Source,
    filename: str,
    content: bytes,
    *,
    label: str = "",
    max_bytes: int | None = None,
) -> Attachment:
    """Attach a file (PDF or image, checked by its first bytes and its size) to ``source``; a refused file
    raises :class:`UploadError` and nothing is stored."""
    with transaction.atomic():
        attachment = store_upload(source, filename, content, max_bytes=max_bytes)
        audit.record(actor, Action.ATTACH_DOCUMENT, attachment, label=label, source=str(source.pk))
    return attachment


def import_list(
    actor: Actor,
    path: Path,
    source_kind: str,
    source_name: str,
    *,
    skip_bad_rows: bool = False,
    fate: str | None = None,
    progress: Progress[Any] | None = None,
    label: str = "",
) -> ImportResult:
    """Import a person list (``services.imports``: atomic, idempotent, refused rows with row and column);
    the stored fates of the persons it touched are recomputed there, in bulk."""
    with transaction.atomic():
        kwargs: dict[str, Any] = {"skip_bad_rows": skip_bad_rows, "fate": fate}
        if progress is not None:
            kwargs["progress"] = progress
        result = _import_list(path, source_kind, source_name, **kwargs)
        if not result.already_imported:
            audit.record(
                actor,
                Action.IMPORT_LIST,
                object_type="source",
                object_id=str(result.source_id),
                label=label,
                file=path.name,
                created=result.created,
                changed=result.changed,
                unchanged=result.unchanged,
            )
    return result


# --- events, sites, remains, samples -------------------------------------------------------------------


def add_event(actor: Actor, *, name: str, label: str = "", **fields: Any) -> Event:
    """One incident in which several people went missing (a battle, a shelling); validated."""
    with transaction.atomic():
        event = Event(name=name, **fields)
        event.full_clean()
        event.save()
        audit.record(actor, Action.ADD_EVENT, event, label=label)
    return event


def add_site(actor: Actor, *, name: str, kind: str, label: str = "", **fields: Any) -> Site:
    """A burial or recovery place, with its location's uncertainty; validated."""
    with transaction.atomic():
        site = Site(name=name, kind=kind, **fields)
        site.full_clean()
        site.save()
        audit.record(actor, Action.ADD_SITE, site, label=label)
    return site


def register_remains(actor: Actor, *, code: str, label: str = "", **fields: Any) -> Remains:
    """Recovered remains, known by their code (unique); validated."""
    with transaction.atomic():
        remains = Remains(code=code, **fields)
        remains.full_clean()
        remains.save()
        audit.record(actor, Action.REGISTER_REMAINS, remains, label=label)
    return remains


def attach_sample(
    actor: Actor,
    sample: Sample,
    *,
    tracing_request: TracingRequest | None = None,
    remains: Remains | None = None,
    label: str = "",
) -> Sample:
    """Link a lab's sample (known by its barcode) to the family's request or to the remains it was taken
    from: the registry holds the key between a sample code and a person."""
    if tracing_request is None and remains is None:
        raise ValueError("attach the sample to a tracing request or to remains")
    if tracing_request is not None and not tracing_request.consent_dna:
        raise ValueError(
            f"{tracing_request.number}: the family has not agreed to give DNA; no sample is attached to it"
        )
    with transaction.atomic():
        if tracing_request is not None:
            sample.tracing_request = tracing_request
        if remains is not None:
            sample.remains = remains
        sample.save(update_fields=["tracing_request", "remains"])
        audit.record(
            actor,
            Action.ATTACH_SAMPLE,
            sample,
            label=label,
            request=getattr(tracing_request, "number", ""),
            remains=getattr(remains, "code", ""),
        )
    return sample


# --- the stored fate -----------------------------------------------------------------------------------


def recompute_fate(person: Person) -> Person:
    """Store the reconciled fate (``registry.fate.reconcile`` over the live claims of the merge group) on
    the person, or on the person it was merged into. Returns the person the fate was stored on."""
    target = person
    while target.merged_into_id is not None:
        target = Person.objects.get(pk=target.merged_into_id)
    assessment = assess_person(target)
    Person.objects.filter(pk=target.pk).update(
        fate=assessment.fate,
        fate_confidence=assessment.confidence,
        fate_conflicts=len(assessment.conflicts),
    )
    for item in {id(person): person, id(target): target}.values():
        item.fate = assessment.fate
        item.fate_confidence = assessment.confidence
        item.fate_conflicts = len(assessment.conflicts)
    return target


def recompute_fates(person_ids: Iterable[int] | None = None) -> int:
    """Recompute the stored fate of many persons at once (all when ``person_ids`` is ``None``); returns how
    many persons' fates were stored. For bulk writes (list imports, the demo)."""
    return store_fates(person_ids)


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
        source = add_source(
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


def _request_in_progress(request: TracingRequest) -> None:
    if request.status == TracingRequest.Status.NEW:
        request.status = TracingRequest.Status.IN_PROGRESS
        request.save(update_fields=["status"])


def open_case(
    actor: Actor,
    person: Person,
    organisation: Organisation,
    *,
    request: TracingRequest | None = None,
    assigned_to: Any = None,
    reason: str = "",
    jurisdiction: str = "",
) -> Case:
    """The organisation's case on ``person``; an existing one is returned as it is. A new request the case
    is opened from moves to "in progress". ``jurisdiction`` (a code of the legal rules, e.g. ``UA``;
    default the model's) decides the legal plan; an unknown code raises ``LegalStatusError``."""
    from kinlink.registry.legal import default_rules

    if jurisdiction:
        default_rules().jurisdiction_name(jurisdiction)  # refuses an unknown code
    with transaction.atomic():
        case = Case.objects.filter(person=person, organisation=organisation).first()
        if case is None:
            case = Case(
                number=new_case_number(), person=person, organisation=organisation, assigned_to=assigned_to
            )
            if jurisdiction:
                case.jurisdiction = jurisdiction
            case.save()
            detail: dict[str, Any] = {"reason": reason} if reason else {}
            if request is not None:
                detail["request"] = request.number
            audit.record(actor, Action.OPEN_CASE, case, **detail)
        if request is not None:
            _request_in_progress(request)
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
            changed_by=_user(actor),
        )
        audit.record(
            actor, Action.CHANGE_LEGAL_STATUS, case, from_status=case.legal_status, to_status=to_status
        )
        case.legal_status = to_status
        case.legal_status_since = effective_on
        case.save(update_fields=["legal_status", "legal_status_since"])
    return case


def add_case_task(
    actor: Actor, case: Case, title: str, due_on: dt.date | None = None, **detail: Any
) -> CaseTask:
    """A task on the case (``detail`` goes into the audit entry)."""
    with transaction.atomic():
        task = CaseTask.objects.create(case=case, title=title[:300], due_on=due_on, created_by=_user(actor))
        audit.record(actor, Action.ADD_TASK, task, case=case.number, **detail)
    return task


def finish_case_task(actor: Actor, task: CaseTask) -> CaseTask:
    """Mark the task done (once; a task already done stays as it was, with no new audit entry)."""
    with transaction.atomic():
        if task.done_at is None:
            task.done_at = timezone.now()
            task.save(update_fields=["done_at"])
            audit.record(actor, Action.FINISH_TASK, task, case=task.case.number)
    return task


def add_case_note(actor: Actor, case: Case, body: str) -> CaseNote:
    """A caseworker's note on the case (never shown to the family)."""
    if not body.strip():
        raise ValueError("a note needs a text")
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, author=_user(actor), body=body.strip())
        audit.record(actor, Action.ADD_NOTE, note, case=case.number)
    return note


def release_update(actor: Actor, tracing_request: TracingRequest, body: str) -> FamilyUpdate:
    """The only way news reaches the family: a caseworker's own words, released on purpose. A new request
    moves to "in progress"."""
    if not body.strip():
        raise ValueError("an update needs a text")
    with transaction.atomic():
        update = FamilyUpdate.objects.create(
            tracing_request=tracing_request, body=body.strip(), released_by=_user(actor)
        )
        _request_in_progress(tracing_request)
        audit.record(actor, Action.RELEASE_UPDATE, update, request=tracing_request.number)
    return update


def send_message(
    actor: Actor, tracing_request: TracingRequest, body: str, *, from_family: bool
) -> FamilyMessage:
    """One message on the request's thread: from the family (using its access code) or from a caseworker."""
    if not body.strip():
        raise ValueError("a message needs a text")
    with transaction.atomic():
        message = FamilyMessage.objects.create(
            tracing_request=tracing_request,
            from_family=from_family,
            body=body.strip(),
            author=None if from_family else _user(actor),
        )
        audit.record(
            None if from_family else actor,
            Action.SEND_MESSAGE,
            message,
            label=FAMILY_ACCESS_CODE if from_family else "",
            request=tracing_request.number,
            from_family=from_family,
        )
    return message
