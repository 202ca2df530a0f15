"""A family's tracing request from the web form: person, name variants, the family's own report, consent.

The request number is random (not a counter), so it says nothing about how many others exist. The
private access code is returned once and only its hash is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from kinlink.registry.models import (
    Channel,
    Claim,
    Fate,
    NameVariant,
    Organisation,
    Person,
    Source,
    SourceKind,
    TracingRequest,
    script_of,
)
from kinlink.registry.services import audit
from kinlink.registry.services.uploads import store_upload

_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


@dataclass(frozen=True, slots=True)
class UploadedFile:
    filename: str
    content: bytes


@dataclass
class FamilyRequest:
    """What the family told us, already validated by the form."""

    surname: str
    given_name: str
    patronymic: str = ""
    other_names: list[str] = field(default_factory=list)
    sex: str = "M"
    birth_date: str = ""
    birth_place: str = ""
    unit: str = ""
    service_number: str = ""
    last_contact: str = ""
    last_known_place: str = ""
    circumstances: str = ""
    enquirer_name: str = ""
    relationship: str = ""
    contact: str = ""
    consent_organisations: list[Organisation] = field(default_factory=list)
    consent_dna: bool = False
    language: str = "ru"
    photos: list[UploadedFile] = field(default_factory=list)


def new_request_number() -> str:
    while True:
        number = "R-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))
        if not TracingRequest.objects.filter(number=number).exists():
            return number


@transaction.atomic
def submit_family_request(form: FamilyRequest) -> tuple[TracingRequest, str]:
    """Create the request and everything it implies; returns the request and its one-time access code."""
    person = Person.objects.create(
        sex=form.sex,
        birth_date=form.birth_date,
        birth_place=form.birth_place,
        unit=form.unit,
        service_number=form.service_number,
    )
    primary = NameVariant(
        person=person,
        surname=form.surname,
        given_name=form.given_name,
        patronymic=form.patronymic,
        script=script_of(form.surname + form.given_name),
        language=form.language,
        is_primary=True,
    )
    primary.save()
    for other in form.other_names:
        if other.strip():
            NameVariant.objects.create(
                person=person, full_name=other.strip(), script=script_of(other), language=""
            )
    request = TracingRequest(
        number=new_request_number(),
        person=person,
        enquirer_name=form.enquirer_name,
        relationship=form.relationship,
        contact=form.contact,
        consent_dna=form.consent_dna,
        language=form.language,
        channel=Channel.WEB,
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
    primary.source = report
    primary.save(update_fields=["source"])
    Claim.objects.create(
        person=person,
        source=report,
        fate=Fate.MISSING,
        date=form.last_contact,
        place=form.last_known_place,
        circumstances=form.circumstances,
    )
    for photo in form.photos:
        store_upload(report, photo.filename, photo.content)
    audit.record(None, "submit_request", request, label="family (web form)", channel=Channel.WEB)
    return request, code


def family_report_source(request: TracingRequest) -> Source:
    """The source that holds what the family sent (created with the request; made here if missing)."""
    source = Source.objects.filter(kind=SourceKind.FAMILY_REPORT, reference=request.number).first()
    if source is None:
        source = Source.objects.create(
            kind=SourceKind.FAMILY_REPORT,
            name=f"Tracing request {request.number}",
            origin=request.relationship,
            reference=request.number,
            date=timezone.now().date().isoformat(),
        )
    return source
