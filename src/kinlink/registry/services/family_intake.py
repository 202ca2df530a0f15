"""What a family's tracing request carries (:class:`FamilyRequest`), read by the action that submits it
(``registry.actions.submit_tracing_request``): person, name variants, the family's own report, consent.

The request number is random (not a counter), so it says nothing about how many others exist. The
private access code is returned once and only its hash is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import IO

from kinlink.registry.models import Organisation, Source, SourceKind, TracingRequest

_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


@dataclass(frozen=True, slots=True)
class UploadedFile:
    filename: str
    #: the bytes, or an open binary file (an upload spooled to disk), copied into the store in chunks
    content: bytes | IO[bytes]


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


def draw_request_number() -> str:
    """A random request number (not checked against the requests: see :func:`new_request_number`)."""
    return "R-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


def new_request_number() -> str:
    while True:
        number = draw_request_number()
        if not TracingRequest.objects.filter(number=number).exists():
            return number


def find_family_report(request: TracingRequest) -> Source | None:
    """The source that holds what the family sent (made with the request by
    ``registry.actions.submit_tracing_request``)."""
    return Source.objects.filter(kind=SourceKind.FAMILY_REPORT, reference=request.number).first()
