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
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from kinlink.registry import crypto
from kinlink.registry.fields import Ciphertext
from kinlink.registry.models import (
    Attachment,
    Case,
    CaseNote,
    CaseTask,
    Channel,
    Claim,
    ClaimRetraction,
    DataKey,
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
    Tombstone,
    TracingRequest,
    hash_access_code,
    script_of,
)
from kinlink.registry.services import audit
from kinlink.registry.services.audit import Action
from kinlink.registry.services.family_intake import (
    FamilyRequest,
    UploadedFile,
    draw_request_number,
    find_family_report,
    new_request_number,
)
from kinlink.registry.services.fate import assess_person, store_fates
from kinlink.registry.services.imports import ImportResult, Progress
from kinlink.registry.services.imports import import_list as _import_list
from kinlink.registry.services.uploads import UploadError, check_uploads, store_upload

__all__ = [
    "CaseOpening",
    "ClaimError",
    "FamilyRequest",
    "SourceClaim",
    "UploadError",
    "UploadedFile",
    "WithdrawalError",
    "add_case_note",
    "add_case_task",
    "add_claim",
    "add_event",
    "add_events",
    "add_list_record",
    "add_person",
    "add_site",
    "add_sites",
    "add_source",
    "add_sources_with_claims",
    "apply_retention",
    "attach_document",
    "attach_sample",
    "change_legal_status",
    "close_tracing_request",
    "family_report_source",
    "finish_case_task",
    "import_list",
    "link_event",
    "new_case_number",
    "on_person_added",
    "on_request_erased",
    "open_case",
    "open_cases",
    "recompute_fate",
    "recompute_fates",
    "record_dna_identification",
    "reencrypt_legacy_values",
    "register_many_remains",
    "register_remains",
    "release_update",
    "retract_claim",
    "rotate_data_keys",
    "send_message",
    "shred_request_key",
    "submit_tracing_request",
    "submit_tracing_requests",
    "withdraw_dna_consent",
    "withdraw_request",
]

Actor = Any  # AbstractBaseUser | AnonymousUser | None
M = TypeVar("M", bound=models.Model)

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

#: The persons a hook receives: their ids, or, for an imported list of 10^5 persons, a query of their ids
#: (a flat ``values_list`` of one column, unordered) that the hook may run inside one statement of its own.
PersonIds = list[int] | QuerySet[Any, int]
_PERSON_ADDED: list[Callable[[PersonIds, str], None]] = []


def on_person_added(callback: Callable[[PersonIds, str], None]) -> None:
    """Register ``callback(person_ids, reason)``, called on commit after persons enter the registry."""
    if callback not in _PERSON_ADDED:
        _PERSON_ADDED.append(callback)


def persons_added(person_ids: PersonIds, reason: str) -> None:
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
    # Every photo, and all of them together, are checked before anything is written: a refused
    # submission leaves no row and no file in the attachment store.
    check_uploads([(photo.filename, photo.content) for photo in form.photos])
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


def store_access_code_again(tracing_request: TracingRequest, code: str) -> None:
    """Store a family's access code again, just checked right, at the current hashing cost: a code kept in
    the former SHA-256 form, or at another cost, moves to the memory-hard form the settings name
    (``registry.accesscode``). Only the hash changes; the code stays the same. The caller has just checked
    the code (``TracingRequest.check_access_code``): checking it again here would double the hashing."""
    tracing_request.access_code_hash = hash_access_code(code)
    tracing_request.save(update_fields=["access_code_hash"])


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
    content: bytes | IO[bytes],
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


def draw_case_number() -> str:
    """A random case number (not checked against the cases: see :func:`new_case_number`)."""
    return f"C-{timezone.now():%Y}-{secrets.token_hex(3).upper()}"


def new_case_number() -> str:
    while True:
        number = draw_case_number()
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


# --- bulk forms: many rows in one transaction, validated and audited as the single actions -------------
#
# For a caller that writes thousands of rows at once (the demo's world, a partner's batch): the same
# validation (``full_clean``, the foreign keys checked in one query per field instead of one per row), one
# audit entry per row (``audit.record_many``), the stored fates recomputed once per person, the
# ``on_person_added`` hooks called once. Atomic: a refused row (``ValidationError`` naming the row, counted
# from 1) leaves nothing behind.

#: Rows per statement of a bulk action (and requests per batch of data keys).
BULK_BATCH = 1000


def _row_error(row: int, exc: ValidationError) -> ValidationError:
    """``exc`` with every message prefixed by the row it concerns (``row 3: ...``)."""
    if hasattr(exc, "error_dict"):
        return ValidationError(
            {
                field: [f"row {row}: {m}" for m in ValidationError(errors).messages]
                for field, errors in exc.error_dict.items()
            }
        )
    return ValidationError([f"row {row}: {m}" for m in exc.messages])


def _clean_rows(objects: Sequence[models.Model], *, constraints: Callable[[Any], bool] | None = None) -> None:
    """``full_clean()`` of every object as the single actions run it, but for its foreign keys (checked by
    :func:`_check_keys`) and its unique fields (checked here against the batch and the table), each in one
    query per field rather than one per row and field. ``constraints`` says which rows need the model's
    constraints checked (a query each; by default every row)."""
    for row, obj in enumerate(objects, 1):
        keys = [f.name for f in obj._meta.concrete_fields if f.many_to_one or f.one_to_one]
        try:
            obj.full_clean(
                exclude=keys,
                validate_unique=False,
                validate_constraints=constraints is None or constraints(obj),
            )
        except ValidationError as exc:
            raise _row_error(row, exc) from exc
    if not objects:
        return
    model = type(objects[0])
    for f in model._meta.concrete_fields:
        if not f.unique or f.primary_key:
            continue
        values = [getattr(obj, f.attname) for obj in objects]
        taken: set[Any] = set()
        for start in range(0, len(values), 5000):
            chunk = [v for v in values[start : start + 5000] if v is not None]
            taken.update(
                model._default_manager.filter(**{f"{f.attname}__in": chunk}).values_list(f.attname, flat=True)
            )
        seen: set[Any] = set()
        for row, (obj, value) in enumerate(zip(objects, values, strict=True), 1):
            if value is not None and (value in taken or value in seen):
                raise _row_error(row, ValidationError({f.name: [obj.unique_error_message(model, (f.name,))]}))
            seen.add(value)


def _check_keys(objects: Sequence[models.Model]) -> None:
    """The foreign keys of every object, as ``full_clean`` checks them (required, and naming a row that
    exists), in one query per field."""
    if not objects:
        return
    keys = [f for f in objects[0]._meta.concrete_fields if f.many_to_one or f.one_to_one]
    for f in keys:
        for row, obj in enumerate(objects, 1):
            if getattr(obj, f.attname) is None and not f.blank:
                message = f.error_messages["blank" if f.null else "null"]
                raise _row_error(row, ValidationError({f.name: [message]}))
        wanted = {getattr(obj, f.attname) for obj in objects} - {None}
        relation = f.remote_field
        assert relation is not None
        target: Any = relation.model
        to_field = str(getattr(relation, "field_name", None) or "pk")
        found: set[Any] = set()
        ordered = sorted(wanted)
        for start in range(0, len(ordered), 5000):
            chunk = ordered[start : start + 5000]
            found.update(
                target._base_manager.filter(**{f"{to_field}__in": chunk}).values_list(to_field, flat=True)
            )
        if missing := wanted - found:
            row = next(n for n, obj in enumerate(objects, 1) if getattr(obj, f.attname) in missing)
            value = getattr(objects[row - 1], f.attname)
            message = f"{target._meta.verbose_name} instance with {to_field} {value!r} does not exist."
            raise _row_error(row, ValidationError({f.name: [message]}))


def _add_many(actor: Actor, action: Action, objects: list[M], label: str) -> list[M]:
    """Validate, write and audit new rows of one model, as an action that writes one of them does."""
    with transaction.atomic():
        _clean_rows(objects)
        _check_keys(objects)
        if objects:
            type(objects[0])._default_manager.bulk_create(objects, batch_size=BULK_BATCH)
        audit.record_many(actor, [(action, obj, {}) for obj in objects], label=label)
    return objects


def add_events(actor: Actor, rows: Iterable[dict[str, Any]], *, label: str = "") -> list[Event]:
    """``add_event`` for many events (each row: its fields), validated first, audited each; atomic."""
    return _add_many(actor, Action.ADD_EVENT, [Event(**fields) for fields in rows], label)


def add_sites(actor: Actor, rows: Iterable[dict[str, Any]], *, label: str = "") -> list[Site]:
    """``add_site`` for many sites (each row: its fields), validated first, audited each; atomic."""
    return _add_many(actor, Action.ADD_SITE, [Site(**fields) for fields in rows], label)


def register_many_remains(actor: Actor, rows: Iterable[dict[str, Any]], *, label: str = "") -> list[Remains]:
    """``register_remains`` for many remains (each row: its fields, the code unique), validated first,
    audited each; atomic."""
    return _add_many(actor, Action.REGISTER_REMAINS, [Remains(**fields) for fields in rows], label)


@dataclass(frozen=True, slots=True)
class SourceClaim:
    """One source (a notice, a letter, a testimony) and the one claim it makes about one person: a row of
    :func:`add_sources_with_claims`, with the arguments of ``add_source`` and of ``add_claim``."""

    person: Person
    kind: str
    name: str
    fate: str
    date: str = ""  #: the source's date
    reliability: str = "F"
    origin: str = ""
    reference: str = ""
    organisation: Organisation | None = None
    claim_date: str = ""  #: the date of the fate
    place: str = ""
    circumstances: str = ""
    event: Event | None = None
    site: Site | None = None


def add_sources_with_claims(actor: Actor, rows: Iterable[SourceClaim], *, label: str = "") -> list[Claim]:
    """``add_source`` then ``add_claim`` for each row, in one transaction: every source and claim validated
    before anything is written (``ValidationError`` names the row; nothing is written), one ``add_source``
    and one ``add_claim`` audit entry per row with the single actions' details, a linked event lists the
    person, and the stored fate of each person recomputed once. Returns the claims, in the rows' order."""
    rows = list(rows)
    user = _user(actor)
    sources = [
        Source(
            kind=r.kind,
            name=r.name,
            origin=r.origin,
            reference=r.reference,
            date=r.date,
            reliability=r.reliability,
            organisation=r.organisation,
            created_by=user,
        )
        for r in rows
    ]
    claims = [
        Claim(
            person=r.person,
            source=s,
            fate=r.fate,
            date=r.claim_date,
            place=r.place,
            circumstances=r.circumstances,
            event=r.event,
            site=r.site,
            created_by=user,
        )
        for r, s in zip(rows, sources, strict=True)
    ]
    with transaction.atomic():
        # the one constraint of sources (one source per imported list) is a query a row: only where it applies
        _clean_rows(sources, constraints=lambda s: s.reference == "list")
        _check_keys(sources)
        _clean_rows(claims)
        Source.objects.bulk_create(sources, batch_size=BULK_BATCH)
        for claim, source in zip(claims, sources, strict=True):
            claim.source = source  # the source's new id
        _check_keys(claims)
        keys: dict[Any, DataKey] = {}
        for claim, source in zip(claims, sources, strict=True):
            if claim.circumstances:  # encrypted with the source's key, looked up once per owner
                owner = (source.kind, source.reference, source.organisation_id)
                if source.kind != SourceKind.FAMILY_REPORT:
                    owner = ("", "", source.organisation_id)
                if owner not in keys:
                    keys[owner] = source.encryption_key()
                claim.circumstances = Ciphertext(crypto.encrypt_with(keys[owner], claim.circumstances))
        Claim.objects.bulk_create(claims, batch_size=BULK_BATCH)
        listed = {(r.event.pk, r.person.pk) for r in rows if r.event is not None}
        Membership = Event.persons.through
        Membership.objects.bulk_create(
            [Membership(event_id=e, person_id=p) for e, p in sorted(listed)],
            ignore_conflicts=True,
            batch_size=BULK_BATCH,
        )
        audit.record_many(
            actor,
            [(Action.ADD_SOURCE, s, {"kind": str(s.kind)}) for s in sources],
            label=label,
        )
        audit.record_many(
            actor,
            [
                (
                    Action.ADD_CLAIM,
                    c,
                    {"person": str(c.person_id), "source": str(c.source_id), "fate": str(c.fate)},
                )
                for c in claims
            ],
            label=label,
        )
        store_fates({r.person.pk for r in rows})
    return claims


def _new_numbers(model: type[models.Model], count: int, make: Callable[[], str]) -> list[str]:
    """``count`` distinct new numbers (``make`` draws one) that no row of ``model`` has yet."""
    numbers: set[str] = set()
    while len(numbers) < count:
        drawn = {make() for _ in range(count - len(numbers))} - numbers
        taken = set(model._default_manager.filter(number__in=drawn).values_list("number", flat=True))
        numbers |= drawn - taken
    return list(numbers)


def submit_tracing_requests(
    forms: Sequence[FamilyRequest], *, actor: Actor = None, channel: str = Channel.WEB, label: str = ""
) -> list[tuple[TracingRequest, str]]:
    """``submit_tracing_request`` for many families at once (a partner's batch, the demo's world), in one
    transaction: each request still has its own data key (its file in the key store, fsynced before the
    rows commit: ``DataKey.create_many``), its own one-time access code and memory-hard hash, its contact
    details encrypted with its own key, its family's report and "missing" claim, and its own
    ``submit_request`` audit entry. The access codes are hashed in parallel threads (argon2 leaves the
    interpreter free). The stored fates are recomputed once, and the ``on_person_added`` hooks called once
    with every new person. Returns each request with its access code, in the forms' order."""
    from concurrent.futures import ThreadPoolExecutor

    label = label or ("" if _user(actor) is not None else FAMILY_WEB_FORM)
    for form in forms:
        check_uploads([(photo.filename, photo.content) for photo in form.photos])
    made: list[tuple[TracingRequest, str]] = []
    today = timezone.now().date().isoformat()
    with transaction.atomic(), ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as hashing:
        for start in range(0, len(forms), BULK_BATCH):
            batch = forms[start : start + BULK_BATCH]
            persons = Person.objects.bulk_create(
                [
                    Person(
                        sex=f.sex,
                        birth_date=f.birth_date,
                        birth_place=f.birth_place,
                        unit=f.unit,
                        service_number=f.service_number,
                    )
                    for f in batch
                ]
            )
            keys = DataKey.create_many(DataKey.Scope.REQUEST, len(batch))
            numbers = _new_numbers(TracingRequest, len(batch), draw_request_number)
            requests = [
                TracingRequest(
                    number=number,
                    person=person,
                    enquirer_name=f.enquirer_name,
                    relationship=f.relationship,
                    contact=f.contact,
                    consent_dna=f.consent_dna,
                    language=f.language,
                    channel=channel,
                    last_contact=f.last_contact,
                    last_known_place=f.last_known_place,
                    circumstances=f.circumstances,
                    data_key=key,
                )
                for f, person, key, number in zip(batch, persons, keys, numbers, strict=True)
            ]
            codes = list(hashing.map(TracingRequest.issue_access_code, requests))
            TracingRequest.objects.bulk_create(requests)
            Consent = TracingRequest.consent_organisations.through
            Consent.objects.bulk_create(
                [
                    Consent(tracingrequest_id=r.pk, organisation_id=o.pk)
                    for f, r in zip(batch, requests, strict=True)
                    for o in dict.fromkeys(f.consent_organisations)
                ]
            )
            reports = Source.objects.bulk_create(
                [
                    Source(
                        kind=SourceKind.FAMILY_REPORT,
                        name=f"Tracing request {r.number}",
                        origin=f.relationship,
                        reference=r.number,
                        date=today,
                        reliability="F",
                    )
                    for f, r in zip(batch, requests, strict=True)
                ]
            )
            names: list[NameVariant] = []
            for f, person, report in zip(batch, persons, reports, strict=True):
                names.append(
                    NameVariant(
                        person=person,
                        surname=f.surname,
                        given_name=f.given_name,
                        patronymic=f.patronymic,
                        script=script_of(f.surname + f.given_name),
                        language=f.language,
                        source=report,
                        is_primary=True,
                    )
                )
                names.extend(
                    NameVariant(
                        person=person, full_name=o.strip(), script=script_of(o), language="", source=report
                    )
                    for o in f.other_names
                    if o.strip()
                )
            NameVariant.objects.bulk_create(names)
            Claim.objects.bulk_create(
                [
                    Claim(
                        person=person,
                        source=report,
                        fate=Fate.MISSING,
                        date=f.last_contact,
                        place=f.last_known_place,
                        # the family's report is the request's: its key (``Source.encryption_key``)
                        circumstances=Ciphertext(crypto.encrypt_with(key, f.circumstances))
                        if f.circumstances
                        else "",
                        created_by=_user(actor),
                    )
                    for f, person, report, key in zip(batch, persons, reports, keys, strict=True)
                ]
            )
            for f, report in zip(batch, reports, strict=True):
                for photo in f.photos:
                    store_upload(report, photo.filename, photo.content)
            audit.record_many(
                actor,
                [(Action.SUBMIT_REQUEST, r, {"channel": str(channel)}) for r in requests],
                label=label,
            )
            made.extend(zip(requests, codes, strict=True))
        person_ids = [r.person_id for r, _code in made]
        store_fates(person_ids)
        if made:
            first, last = made[0][0].number, made[-1][0].number
            persons_added(person_ids, f"{len(made)} tracing requests ({first} ... {last})")
    return made


@dataclass(frozen=True, slots=True)
class CaseOpening:
    """One case to open: the arguments of ``open_case``, a row of :func:`open_cases`."""

    person: Person
    organisation: Organisation
    request: TracingRequest | None = None
    assigned_to: Any = None
    reason: str = ""
    jurisdiction: str = ""


def open_cases(actor: Actor, openings: Sequence[CaseOpening]) -> list[Case]:
    """``open_case`` for many persons at once, in one transaction: an organisation's existing case on a
    person is returned as it is, a new case gets its own number and its own ``open_case`` audit entry, and
    the new requests the cases are opened from move to "in progress". Every jurisdiction is checked before
    anything is written. Returns the cases, in the openings' order."""
    from kinlink.registry.legal import default_rules

    for code in sorted({o.jurisdiction for o in openings if o.jurisdiction}):
        default_rules().jurisdiction_name(code)  # refuses an unknown code
    with transaction.atomic():
        found: dict[tuple[int, int], Case] = {}
        person_ids = sorted({o.person.pk for o in openings})
        for start in range(0, len(person_ids), 5000):
            existing = Case.objects.filter(
                person_id__in=person_ids[start : start + 5000],
                organisation_id__in={o.organisation.pk for o in openings},
            )
            for case in existing:
                found.setdefault((case.person_id, case.organisation_id), case)
        new: list[tuple[Case, CaseOpening]] = []
        for o in openings:
            pair = (o.person.pk, o.organisation.pk)
            if pair not in found:
                case = Case(person=o.person, organisation=o.organisation, assigned_to=o.assigned_to)
                if o.jurisdiction:
                    case.jurisdiction = o.jurisdiction
                found[pair] = case
                new.append((case, o))
        for (case, _o), number in zip(new, _new_numbers(Case, len(new), draw_case_number), strict=True):
            case.number = number
        Case.objects.bulk_create([case for case, _o in new], batch_size=BULK_BATCH)
        entries: list[tuple[Action | str, models.Model, dict[str, Any]]] = []
        for case, o in new:
            detail: dict[str, Any] = {"reason": o.reason} if o.reason else {}
            if o.request is not None:
                detail["request"] = o.request.number
            entries.append((Action.OPEN_CASE, case, detail))
        audit.record_many(actor, entries)
        starting = [o.request for o in openings if o.request is not None]
        fresh = [r.pk for r in starting if r.status == TracingRequest.Status.NEW]
        for start in range(0, len(fresh), 5000):
            TracingRequest.objects.filter(
                pk__in=fresh[start : start + 5000], status=TracingRequest.Status.NEW
            ).update(status=TracingRequest.Status.IN_PROGRESS)
        for r in starting:
            if r.status == TracingRequest.Status.NEW:
                r.status = TracingRequest.Status.IN_PROGRESS
    return [found[(o.person.pk, o.organisation.pk)] for o in openings]


# --- the worker's orphans ------------------------------------------------------------------------------


class OrphanedTask(RuntimeError):
    """The reason a task is FAILED when its worker died and the task may not run again."""


def recover_orphaned_tasks() -> dict[str, list[str]]:
    """Re-queue or fail every background task still RUNNING whose worker died (``kill -9``, a lost machine).

    A task is orphaned when the worker that claimed it last is not alive (``services.workers``): at once when
    that worker had a heartbeat, after ``KINLINK_WORKER_LEASE`` from its start when the worker is unknown.
    An idempotent job (``KINLINK_WORKER_IDEMPOTENT_TASKS``) goes back to the queue, unless it was claimed
    ``KINLINK_WORKER_MAX_ATTEMPTS`` times already (a job that kills its worker each time); any other is
    FAILED with the reason. One audit entry names them all; returns ``{"requeued": [...], "failed": [...]}``
    (task ids)."""
    from django.conf import settings
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from kinlink.registry.services import workers

    now = timezone.now()
    idempotent = set(settings.KINLINK_WORKER_IDEMPOTENT_TASKS)
    attempts_allowed = int(settings.KINLINK_WORKER_MAX_ATTEMPTS)
    outcome: dict[str, list[str]] = {"requeued": [], "failed": []}
    with transaction.atomic():
        live, known = workers.live_worker_ids(), workers.known_worker_ids()
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).order_by("started_at")
        for task in running:
            owner = task.worker_ids[-1] if task.worker_ids else ""
            if owner in live:
                continue
            if owner not in known and task.started_at and task.started_at > now - workers.lease():
                continue  # an unknown worker (a bare `db_worker`): its lease has not run out
            still_running = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING)
            attempts = len(task.worker_ids)
            if task.task_path in idempotent and attempts < attempts_allowed:
                if still_running.update(status=TaskResultStatus.READY, started_at=None):
                    outcome["requeued"].append(str(task.pk))
                continue
            reason = (
                f"its worker {owner or '(unknown)'} stopped while it ran (attempt {attempts} of "
                f"{attempts_allowed})"
                if task.task_path in idempotent
                else f"its worker {owner or '(unknown)'} stopped while it ran, and it may not run twice"
            )
            if still_running.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                return_value=None,
                exception_class_path=f"{OrphanedTask.__module__}.{OrphanedTask.__qualname__}",
                traceback=f"{OrphanedTask.__qualname__}: {reason}\n",
            ):
                outcome["failed"].append(str(task.pk))
        if outcome["requeued"] or outcome["failed"]:
            audit.record(
                None,
                Action.RECOVER_ORPHANED_TASKS,
                object_type="task",
                object_id=",".join(outcome["requeued"] + outcome["failed"])[:100],
                label="worker",
                requeued=outcome["requeued"],
                failed=outcome["failed"],
            )
    return outcome


# --- consent withdrawal and retention ------------------------------------------------------------------
#
# An app above the registry that holds data of a request (identification: candidates; field: the family's
# ante-mortem data) erases its part through an ``on_request_erased`` callback, called inside the action's
# transaction with the request and the scope ("dna" or "request").

_REQUEST_ERASED: list[Callable[[TracingRequest, str], None]] = []


def on_request_erased(callback: Callable[[TracingRequest, str], None]) -> None:
    """Register ``callback(tracing_request, scope)``, called inside a withdrawal or an expiry."""
    if callback not in _REQUEST_ERASED:
        _REQUEST_ERASED.append(callback)


def _request_erased(tracing_request: TracingRequest, scope: str) -> None:
    for callback in _REQUEST_ERASED:
        callback(tracing_request, scope)


class WithdrawalError(ValueError):
    """A withdrawal or closure the registry refuses (the request was withdrawn or closed already)."""


def close_tracing_request(actor: Actor, tracing_request: TracingRequest) -> TracingRequest:
    """A caseworker closes a request (answered, or the family no longer needs it): the retention of its
    contact details (rule ``closed_request_contacts``) counts from now."""
    with transaction.atomic():
        locked = TracingRequest.objects.select_for_update().get(pk=tracing_request.pk)
        if locked.status == TracingRequest.Status.CLOSED:
            raise WithdrawalError(f"request {locked.number} is closed already")
        locked.status = TracingRequest.Status.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        audit.record(actor, Action.CLOSE_REQUEST, locked)
    tracing_request.refresh_from_db()
    return tracing_request


def withdraw_dna_consent(
    tracing_request: TracingRequest, *, actor: Actor = None, label: str = FAMILY_ACCESS_CODE
) -> list[str]:
    """The family withdraws its consent to the use of its DNA: the consent is recorded as withdrawn, the
    reference profiles of its samples are erased (a tombstone each), screening leaves them out and nothing
    new is queued. Staff see that consent was withdrawn, never the withdrawn data. Returns the barcodes
    whose profiles were erased."""
    from kinlink.registry.services import retention

    with transaction.atomic():
        locked = TracingRequest.objects.select_for_update().get(pk=tracing_request.pk)
        if locked.withdrawn_at is not None or locked.dna_consent_withdrawn_at is not None:
            raise WithdrawalError(f"request {locked.number}: DNA consent was withdrawn already")
        now = timezone.now()
        TracingRequest.objects.filter(pk=locked.pk).update(consent_dna=False, dna_consent_withdrawn_at=now)
        erased = retention.erase_reference_profiles(
            locked.samples.filter(kind=Sample.Kind.REFERENCE),
            retention.WITHDRAWN,
            "withdrawn_dna",
        )
        _request_erased(locked, "dna")
        audit.record(actor, Action.WITHDRAW_DNA_CONSENT, locked, label=label, profiles_erased=len(erased))
    tracing_request.refresh_from_db()
    return erased


def withdraw_request(
    tracing_request: TracingRequest, *, actor: Actor = None, label: str = FAMILY_ACCESS_CODE
) -> TracingRequest:
    """The family withdraws the whole request: its personal data and those it gave of the missing person
    are erased as far as the purpose allows (``registry.services.retention.erase_request``), the access
    code stops working, a tombstone is left. Staff see a withdrawn request, nothing of what it held."""
    from kinlink.registry.services import retention

    with transaction.atomic():
        locked = TracingRequest.objects.select_for_update().get(pk=tracing_request.pk)
        if locked.withdrawn_at is not None:
            raise WithdrawalError(f"request {locked.number} was withdrawn already")
        now = timezone.now()
        locked.withdrawn_at = now
        _request_erased(locked, "request")
        retention.erase_request(locked, retention.WITHDRAWN, "withdrawn_request")
        recompute_fate(locked.person)
        audit.record(actor, Action.WITHDRAW_REQUEST, locked, label=label)
        # last: the key file is destroyed at once, and with it every copy of the request's ciphertext
        shred_request_key(actor, locked, reason="withdrawn by the family", label=label)
    tracing_request.refresh_from_db()
    return tracing_request


def apply_retention(due: Any, *, actor: Actor = None, label: str = "retention") -> bool:
    """Erase one record a retention rule names (a ``retention.DueRecord``), atomically, with a tombstone
    and one audit entry (``erase_withdrawn`` or ``expire_data``). Returns False when the record is no
    longer due (another run took it), so a run can be repeated."""
    from kinlink.registry.services import retention

    with transaction.atomic():
        if due.kind in ("request", "request_contacts"):
            locked = TracingRequest.objects.select_for_update().filter(number=due.record_id).first()
            if locked is None:
                return False
            if due.kind == "request":
                erased_before = Tombstone.objects.filter(kind="request", record_id=locked.number).exists()
                if locked.withdrawn_at is None or (erased_before and not retention.request_leftovers(locked)):
                    return False
                _request_erased(locked, "request")
                retention.erase_request(locked, due.reason, due.rule)
                recompute_fate(locked.person)
                shred_request_key(actor, locked, reason=due.rule, label=label)
            else:
                if not (locked.enquirer_name or locked.contact):
                    return False
                retention.erase_contacts(locked, due.reason, due.rule)
            obj: Any = locked
        elif due.kind == "reference_profile":
            sample = Sample.objects.select_for_update().filter(code=due.record_id).first()
            if sample is None or not sample.profile:
                return False
            retention.erase_reference_profiles([sample], due.reason, due.rule)
            obj = sample
        elif due.kind == "upload":
            if not retention.erase_orphan_file(due.record_id, due.reason, due.rule):
                return False
            obj = None
        elif due.kind == "audit_detail":
            stripped = retention.strip_audit_details(due.record_id)
            if not stripped:
                return False
            audit.record(
                actor,
                Action.EXPIRE_DATA,
                object_type="auditentry",
                object_id=due.record_id,
                label=label,
                rule=due.rule,
                kind=due.kind,
                entries=stripped,
            )
            return True
        else:
            raise ValueError(f"unknown kind of data {due.kind!r}")
        action = Action.ERASE_WITHDRAWN if due.reason == retention.WITHDRAWN else Action.EXPIRE_DATA
        audit.record(
            actor,
            action,
            obj,
            object_type="" if obj is not None else "upload",
            object_id="" if obj is not None else due.record_id,
            label=label,
            rule=due.rule,
            kind=due.kind,
        )
    return True


# --- keys of encryption at rest ---------------------------------------------------------------------------


def shred_request_key(
    actor: Actor, tracing_request: TracingRequest, *, reason: str = "", label: str = ""
) -> bool:
    """Crypto-shredding: destroy the request's data key (its file in the key store, overwritten, then
    removed) and mark the key shredded. Everything encrypted with it (the request's texts, messages,
    updates, notes, attachments, issued documents), here and in every dump or backup, is unreadable for
    ever. Irreversible: the file is destroyed at once, not on commit. Returns whether there was a key."""
    from kinlink.registry import crypto

    with transaction.atomic():
        if tracing_request.data_key_id is None:
            return False
        key = DataKey.objects.select_for_update().filter(pk=tracing_request.data_key_id).first()
        if key is None or key.shredded_at is not None:
            return False
        key.shredded_at = timezone.now()
        key.save(update_fields=["shredded_at"])
        audit.record(
            actor,
            Action.SHRED_KEY,
            tracing_request,
            label=label,
            request=tracing_request.number,
            key=key.key_id.hex,
            reason=reason,
        )
        crypto.destroy_key_file(key.key_id)
    return True


@dataclass(frozen=True)
class RotationBatch:
    """One batch of ``rotate_data_keys``: what it did (each batch is committed and audited on its own)."""

    rewrapped: int
    already_current: int
    shredded_files_removed: int
    last_key: int


def rotate_data_keys(
    actor: Actor, *, batch_size: int = 500, label: str = "", after: int = 0
) -> Iterator[RotationBatch]:
    """Rewrap every data key with the operator's first key (``KINLINK_FIELD_KEY``, the new key listed first,
    the old one after it), ``batch_size`` keys at a time, in key order; each batch is one audited
    ``rotate_keys`` entry. Resumable: a key the first key already opens is left as it is, so a run that
    stopped is simply run again (``after``: start after that key's id). A key file replaced by rotation is
    written atomically (the old wrapping or the new, never half of one), so the instance keeps serving while
    it runs. A shredded key whose file is still there (a crash between the shredding and the removal) has
    its file destroyed."""
    from kinlink.registry import crypto

    last = after
    while True:
        with transaction.atomic():
            keys = list(DataKey.objects.filter(pk__gt=last).order_by("pk")[:batch_size])
            if not keys:
                return
            rewrapped = current = removed = 0
            for key in keys:
                if key.shredded_at is not None:
                    removed += int(crypto.destroy_key_file(key.key_id))
                    continue
                wrapped = crypto.read_wrapped_key(key.key_id)
                if crypto.wrapped_with_primary(wrapped):
                    current += 1
                    continue
                crypto.write_wrapped_key(key.key_id, crypto.operator_keys().rotate(wrapped.encode()).decode())
                key.rotated_at = timezone.now()
                key.save(update_fields=["rotated_at"])
                rewrapped += 1
            last = keys[-1].pk
            audit.record(
                actor,
                Action.ROTATE_KEYS,
                object_type="datakey",
                object_id=f"{keys[0].pk}-{last}",
                label=label,
                rewrapped=rewrapped,
                already_current=current,
                shredded_files_removed=removed,
            )
        yield RotationBatch(rewrapped, current, removed, last)


def reencrypt_legacy_values(actor: Actor, *, batch_size: int = 500, label: str = "") -> int:
    """Values written before envelope encryption, encrypted again under their owner's data key: the former
    single-key ciphertext (``fernet:``, opened by the operator's key itself, so it must be re-encrypted
    before an old operator key is dropped) and the plain text of columns encrypted since. Claims are
    append-only and keep what they were written with. One audited ``rotate_keys`` entry per model.
    Returns how many values were encrypted again."""
    from django.apps import apps

    from kinlink.registry import crypto
    from kinlink.registry.fields import CipherBytes, Ciphertext, EncryptedBinaryField, EncryptedTextField

    total = 0
    for model in apps.get_models():
        if model is Claim:
            continue
        fields = [
            f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField | EncryptedBinaryField)
        ]
        if not fields:
            continue
        changed = 0
        pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), batch_size):
            with transaction.atomic():
                for obj in model._default_manager.filter(pk__in=pks[start : start + batch_size]):
                    raw = _raw_values(model, obj.pk, [f.column for f in fields])
                    updates: dict[str, Any] = {}
                    for f, stored in zip(fields, raw, strict=True):
                        value = getattr(obj, f.attname)
                        if stored in (None, "", b""):
                            continue
                        if isinstance(f, EncryptedBinaryField):
                            if crypto.file_key_id(bytes(stored)) is None:
                                updates[f.attname] = CipherBytes(crypto.encrypt_bytes(_owner_key(obj), value))
                        elif not str(stored).startswith(crypto.ENVELOPE_PREFIX):
                            updates[f.attname] = Ciphertext(crypto.encrypt_with(_owner_key(obj), value))
                    if updates:
                        model._default_manager.filter(pk=obj.pk).update(**updates)
                        changed += len(updates)
        if changed:
            audit.record(
                actor,
                Action.ROTATE_KEYS,
                object_type=model._meta.model_name or "",
                object_id="legacy",
                label=label,
                reencrypted=changed,
            )
        total += changed
    return total


def _owner_key(obj: Any) -> DataKey:
    from kinlink.registry import crypto

    key_of = getattr(obj, "encryption_key", None)
    return key_of() if key_of is not None else crypto.instance_key()


def _raw_values(model: Any, pk: Any, columns: list[str]) -> tuple[Any, ...]:
    from django.db import connection

    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        pk_column = connection.ops.quote_name(model._meta.pk.column)
        cursor.execute(f"SELECT {quoted} FROM {table} WHERE {pk_column} = %s", [pk])
        row = cursor.fetchone()
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
