"""PFIF 1.4 (People Finder Interchange Format) import and export, for persons and notes.

Import keeps every field of every record as the source wrote it (a :class:`ListRecord` per person and
per note, under one Source per PFIF repository), builds Persons with their name variants, and turns
note statuses into Claims (``believed_alive`` and ``is_note_author``: alive; ``believed_missing``:
missing; ``believed_dead``: dead; ``information_sought``: no claim). Contact fields (author e-mail and
phone, found person's e-mail and phone) are kept encrypted at rest and never exported.

XML is parsed with defusedxml: DTDs, entity declarations (billion laughs) and external entities are
refused. Every record is validated before anything is written; any problem refuses the whole file.

Export includes persons that came in through PFIF (already public, unless their record has expired) and
persons whose family consented to the receiving organisation; nobody else. Retracted claims are not exported.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from kinlink.exchange.errors import ImportRefused, RowError, read_limited
from kinlink.partialdate import PartialDateError, parse_partial_date
from kinlink.registry import actions
from kinlink.registry.crypto import encrypt_text
from kinlink.registry.models import (
    Claim,
    ListRecord,
    Organisation,
    Person,
    Source,
    SourceKind,
    script_of,
)
from kinlink.registry.services import audit

NAMESPACE = "http://zesty.ca/pfif/1.4"
PERSON_FIELDS = (
    "person_record_id", "entry_date", "expiry_date", "author_name", "author_email", "author_phone",
    "source_name", "source_date", "source_url", "full_name", "given_name", "family_name",
    "alternate_names", "description", "sex", "date_of_birth", "age", "home_street", "home_neighborhood",
    "home_city", "home_state", "home_postal_code", "home_country", "photo_url", "profile_urls",
)  # fmt: skip
NOTE_FIELDS = (
    "note_record_id", "person_record_id", "linked_person_record_id", "entry_date", "author_name",
    "author_email", "author_phone", "source_date", "author_made_contact", "status", "email_of_found_person",
    "phone_of_found_person", "last_known_location", "text", "photo_url",
)  # fmt: skip
CONTACT_FIELDS = frozenset({"author_email", "author_phone", "email_of_found_person", "phone_of_found_person"})
STATUS_TO_FATE = {
    "believed_alive": "alive",
    "is_note_author": "alive",
    "believed_missing": "missing",
    "believed_dead": "dead",
    "information_sought": "",
    "": "",
}
FATE_TO_STATUS = {
    "alive": "believed_alive",
    "wounded": "believed_alive",
    "detained": "believed_alive",
    "missing": "believed_missing",
    "dead": "believed_dead",
    "buried": "believed_dead",
    "identified": "believed_dead",
}
SEX = {"male": "M", "female": "F", "other": "U", "": "U"}
SEX_OUT = {"M": "male", "F": "female"}
#: Longest value the registry can store per field (the rest are limited to 5000 characters).
MAX_LENGTH = {
    "person_record_id": 100,
    "note_record_id": 100,
    "full_name": 300,
    "given_name": 150,
    "family_name": 150,
    "source_name": 280,
    "author_name": 300,
    "last_known_location": 300,
}
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
_RECORD_ID = re.compile(r"^[^/\s]+/\S+$")
REPOSITORY_REFERENCE = "pfif"
NOTE_REFERENCE = "pfif-note"


@dataclass
class PfifNote:
    fields: dict[str, str]
    row: int


@dataclass
class PfifPerson:
    fields: dict[str, str]
    row: int
    notes: list[PfifNote] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PfifImportResult:
    persons_created: int
    persons_known: int
    notes_created: int
    claims_created: int


def parse(data: bytes, filename: str) -> list[PfifPerson]:
    """Parse and validate a PFIF 1.4 document; raises :class:`ImportRefused` listing every problem."""
    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ImportRefused(
            [
                RowError(
                    filename, 0, "", f"refused XML: {type(exc).__name__} (DTDs and entities are not allowed)"
                )
            ]
        ) from exc
    except ET.ParseError as exc:
        raise ImportRefused([RowError(filename, 0, "", f"not well-formed XML: {exc}")]) from exc
    if root.tag != f"{{{NAMESPACE}}}pfif":
        raise ImportRefused(
            [RowError(filename, 0, "", f"not a PFIF 1.4 document (root element {root.tag!r})")]
        )
    problems: list[RowError] = []
    persons: list[PfifPerson] = []
    loose_notes: list[PfifNote] = []
    row = 0
    for element in root:
        row += 1
        if element.tag == f"{{{NAMESPACE}}}person":
            person = PfifPerson(_fields(element, PERSON_FIELDS, filename, row, problems, nested="note"), row)
            for child in element.findall(f"{{{NAMESPACE}}}note"):
                row += 1
                note = PfifNote(_fields(child, NOTE_FIELDS, filename, row, problems), row)
                note.fields.setdefault("person_record_id", person.fields.get("person_record_id", ""))
                person.notes.append(note)
            persons.append(person)
        elif element.tag == f"{{{NAMESPACE}}}note":
            loose_notes.append(PfifNote(_fields(element, NOTE_FIELDS, filename, row, problems), row))
        else:
            problems.append(RowError(filename, row, "", f"unexpected element {_local(element.tag)!r}"))
    by_id = {p.fields.get("person_record_id", ""): p for p in persons}
    for note in loose_notes:
        target = by_id.get(note.fields.get("person_record_id", ""))
        if (
            target is None
            and not ListRecord.objects.filter(
                source__reference=REPOSITORY_REFERENCE, record_id=note.fields.get("person_record_id", "")
            ).exists()
        ):
            problems.append(RowError(filename, note.row, "person_record_id", "the note's person is unknown"))
        elif target is not None:
            target.notes.append(note)
        else:
            persons.append(PfifPerson({"person_record_id": note.fields["person_record_id"]}, 0, [note]))
    _validate(persons, filename, problems)
    if problems:
        raise ImportRefused(problems)
    return persons


def _local(tag: str) -> str:
    return tag.split("}", 1)[-1]


def _fields(
    element: ET.Element,
    allowed: tuple[str, ...],
    filename: str,
    row: int,
    problems: list[RowError],
    nested: str = "",
) -> dict[str, str]:
    values: dict[str, str] = {}
    for child in element:
        name = _local(child.tag)
        if name == nested:
            continue
        if not child.tag.startswith(f"{{{NAMESPACE}}}") or name not in allowed:
            problems.append(RowError(filename, row, name, "not a PFIF 1.4 field"))
            continue
        if len(child):
            problems.append(RowError(filename, row, name, "a field holds text, not elements"))
            continue
        if name in values:
            problems.append(RowError(filename, row, name, "the field is given twice"))
        values[name] = (child.text or "").strip()
    return values


def _validate(persons: list[PfifPerson], filename: str, problems: list[RowError]) -> None:
    seen: set[str] = set()

    def check(values: dict[str, str], row: int, id_field: str) -> None:
        record_id = values.get(id_field, "")
        if not record_id:
            problems.append(RowError(filename, row, id_field, "required"))
        elif not _RECORD_ID.match(record_id):
            problems.append(RowError(filename, row, id_field, "must be 'domain/unique-id'"))
        elif record_id in seen:
            problems.append(RowError(filename, row, id_field, f"record {record_id!r} appears twice"))
        seen.add(record_id)
        for name, value in values.items():
            if len(value) > MAX_LENGTH.get(name, 5000):
                problems.append(RowError(filename, row, name, f"longer than {MAX_LENGTH.get(name, 5000)}"))
            if name in ("entry_date", "source_date", "expiry_date") and value and not _DATETIME.match(value):
                problems.append(RowError(filename, row, name, "use UTC date and time: YYYY-MM-DDTHH:MM:SSZ"))

    for person in persons:
        if person.row:
            check(person.fields, person.row, "person_record_id")
            sex = person.fields.get("sex", "")
            if sex not in SEX:
                problems.append(
                    RowError(filename, person.row, "sex", f"{sex!r} is not female, male or other")
                )
            birth = person.fields.get("date_of_birth", "")
            if birth:
                try:
                    parse_partial_date(birth)
                except PartialDateError as exc:
                    problems.append(RowError(filename, person.row, "date_of_birth", str(exc)))
        for note in person.notes:
            check(note.fields, note.row, "note_record_id")
            status = note.fields.get("status", "")
            if status not in STATUS_TO_FATE:
                problems.append(
                    RowError(filename, note.row, "status", f"{status!r} is not a PFIF 1.4 status")
                )
            made_contact = note.fields.get("author_made_contact", "")
            if made_contact not in ("", "true", "false"):
                problems.append(RowError(filename, note.row, "author_made_contact", "must be true or false"))


def _stored_row(kind: str, values: dict[str, str]) -> dict[str, str]:
    """What is kept of a record: every field, contact fields encrypted."""
    row = {"pfif_type": kind}
    for name, value in values.items():
        row[name] = encrypt_text(value) if name in CONTACT_FIELDS and value else value
    return row


def _row_hash(row: dict[str, str]) -> str:
    plain = {k: v for k, v in row.items() if k not in CONTACT_FIELDS}
    return hashlib.sha256(json.dumps(plain, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _date_part(value: str) -> str:
    return value[:10] if value else ""


def import_pfif(path: Path) -> PfifImportResult:
    """Import a PFIF 1.4 file; all or nothing."""
    data = read_limited(path, int(settings.KINLINK_MAX_UPLOAD_BYTES))
    return import_pfif_bytes(data, path.name)


def import_pfif_bytes(data: bytes, filename: str) -> PfifImportResult:
    persons = parse(data, filename)
    created = known = notes = claims = 0
    label = f"pfif import {filename}"[:200]
    with transaction.atomic():
        index = _KnownRecords(persons, label)
        for record in persons:
            person, repository, is_new = _import_person(record, index)
            created += is_new
            known += not is_new
            for note in record.notes:
                n, c = _import_note(note, person, repository, index)
                notes += n
                claims += c
        audit.record(
            None,
            audit.Action.IMPORT_PFIF,
            object_type="pfif",
            object_id=filename[:100],
            label=label,
            persons=created,
            notes=notes,
            claims=claims,
        )
    return PfifImportResult(created, known, notes, claims)


class _KnownRecords:
    """PFIF records already in the registry, looked up once per import (in chunks) rather than per record."""

    def __init__(self, persons: list[PfifPerson], label: str) -> None:
        self.label = label
        ids = [p.fields.get("person_record_id", "") for p in persons]
        ids += [n.fields.get("note_record_id", "") for p in persons for n in p.notes]
        self.records: dict[str, tuple[int, int]] = {}
        for start in range(0, len(ids), 500):
            rows = ListRecord.objects.filter(
                source__reference=REPOSITORY_REFERENCE, record_id__in=ids[start : start + 500]
            ).values_list("record_id", "person_id", "source_id")
            self.records.update(
                {record_id: (person_id, source_id) for record_id, person_id, source_id in rows}
            )
        self.repositories: dict[str, Source] = {}

    def repository(self, source_name: str, source_url: str, source_date: str) -> Source:
        name = f"PFIF: {source_name or 'unknown repository'}"
        if name not in self.repositories:
            source = Source.objects.filter(
                kind=SourceKind.OTHER, name=name, reference=REPOSITORY_REFERENCE
            ).first()
            if source is None:
                source = actions.add_source(
                    None,
                    kind=SourceKind.OTHER,
                    name=name[:300],
                    origin=source_url[:300],
                    reference=REPOSITORY_REFERENCE,
                    date=_date_part(source_date),
                    reliability="F",
                    label=self.label,
                )
            self.repositories[name] = source
        return self.repositories[name]


def _import_person(record: PfifPerson, index: _KnownRecords) -> tuple[Person, Source, bool]:
    values = record.fields
    record_id = values["person_record_id"]
    if record_id in index.records:
        person_id, source_id = index.records[record_id]
        return Person.objects.get(pk=person_id), Source.objects.get(pk=source_id), False
    repository = index.repository(
        values.get("source_name", ""), values.get("source_url", ""), values.get("source_date", "")
    )
    birth = values.get("date_of_birth", "")
    full = values.get("full_name", "")
    given, family = values.get("given_name", ""), values.get("family_name", "")
    names: list[dict[str, Any]] = []
    if full or given or family:
        names.append(
            {
                "full_name": full,
                "given_name": given,
                "surname": family,
                "script": script_of(full or f"{family} {given}"),
                "source": repository,
                "is_primary": True,
            }
        )
    for alternate in values.get("alternate_names", "").splitlines():
        if alternate.strip():
            names.append(
                {"full_name": alternate.strip()[:300], "script": script_of(alternate), "source": repository}
            )
    person = actions.add_person(
        None,
        names=names,
        reason=f"pfif record {record_id}",
        label=index.label,
        sex=SEX[values.get("sex", "")],
        birth_date=parse_partial_date(birth).isoformat() if birth else "",
        region=values.get("home_state", "")[:200],
        physical_description=values.get("description", ""),
    )
    row = _stored_row("person", values)
    actions.add_list_record(None, repository, record_id, person, row, _row_hash(row))
    index.records[record_id] = (person.pk, repository.pk)
    return person, repository, True


def _import_note(note: PfifNote, person: Person, repository: Source, index: _KnownRecords) -> tuple[int, int]:
    values = note.fields
    record_id = values["note_record_id"]
    if record_id in index.records:
        return 0, 0
    row = _stored_row("note", values)
    actions.add_list_record(None, repository, record_id, person, row, _row_hash(row))
    index.records[record_id] = (person.pk, repository.pk)
    fate = STATUS_TO_FATE[values.get("status", "")]
    if not fate:
        return 1, 0
    when = _date_part(values.get("source_date") or values.get("entry_date", ""))
    statement = actions.add_source(
        None,
        kind=SourceKind.OTHER,
        name=f"PFIF note {record_id}"[:300],
        origin=values.get("author_name", "")[:300],
        reference=NOTE_REFERENCE,
        date=when,
        reliability="F",
        label=index.label,
    )
    actions.add_claim(
        None,
        person,
        statement,
        fate=fate,
        date=when,
        place=values.get("last_known_location", "")[:300],
        circumstances=values.get("text", ""),
        label=index.label,
    )
    return 1, 1


# --- export -------------------------------------------------------------------------------------------------


def _domain() -> str:
    return str(getattr(settings, "KINLINK_PFIF_DOMAIN", "kinlink.example"))


def _datetime(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _partial_to_datetime(text: str) -> str:
    return f"{parse_partial_date(text).earliest.isoformat()}T00:00:00Z" if text else ""


def exportable_persons(recipient: Organisation | None) -> list[Person]:
    """Persons that came in through PFIF, and persons whose family consented to the recipient."""
    condition = Q(list_records__source__reference=REPOSITORY_REFERENCE, list_records__row__pfif_type="person")
    if recipient is not None:
        condition |= Q(tracing_requests__consent_organisations=recipient)
    records = ListRecord.objects.filter(source__reference=REPOSITORY_REFERENCE).order_by("id")
    claims = (
        Claim.objects.filter(retraction__isnull=True)
        .exclude(source__reference=NOTE_REFERENCE)
        .select_related("source")
        .order_by("id")
    )
    return list(
        Person.objects.filter(id__in=Person.objects.filter(condition, merged_into__isnull=True).values("id"))
        .order_by("id")
        .prefetch_related(
            "names",
            Prefetch("list_records", queryset=records, to_attr="pfif_records"),
            Prefetch("claims", queryset=claims, to_attr="exported_claims"),
        )
    )


def export_pfif(recipient: Organisation | None = None) -> bytes:
    """A PFIF 1.4 document of the exportable persons and their notes; contact fields never included."""
    ET.register_namespace("pfif", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}pfif")
    now = _datetime(timezone.now())
    for person in exportable_persons(recipient):
        records: list[ListRecord] = getattr(person, "pfif_records", [])
        original = next((r.row for r in records if r.row.get("pfif_type") == "person"), None)
        if original is not None and original.get("expiry_date") and original["expiry_date"] <= now:
            continue  # an expired PFIF record is not passed on (PFIF 1.4: expiry_date)
        values = _person_fields(person, original)
        element = ET.SubElement(root, f"{{{NAMESPACE}}}person")
        _write_fields(element, PERSON_FIELDS, values)
        note_rows = [r.row for r in records if r.row.get("pfif_type") == "note"]
        for row in note_rows:
            _write_fields(ET.SubElement(element, f"{{{NAMESPACE}}}note"), NOTE_FIELDS, row)
        claim: Claim
        for claim in getattr(person, "exported_claims", []):
            note = {
                "note_record_id": f"{_domain()}/note.{claim.pk}",
                "person_record_id": values["person_record_id"],
                "entry_date": _datetime(claim.created),
                "author_name": claim.source.name,
                "source_date": _partial_to_datetime(claim.source.date),
                "status": FATE_TO_STATUS.get(claim.fate, ""),
                "last_known_location": claim.place,
                "text": claim.circumstances,
            }
            _write_fields(ET.SubElement(element, f"{{{NAMESPACE}}}note"), NOTE_FIELDS, note)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _person_fields(person: Person, original: dict[str, str] | None) -> dict[str, str]:
    if original is not None:
        return dict(original)
    names = list(person.names.all())
    primary = next((n for n in names if n.is_primary), names[0] if names else None)
    return {
        "person_record_id": f"{_domain()}/person.{person.uid}",
        "entry_date": _datetime(person.created),
        "source_name": "kinlink",
        "source_date": _datetime(person.created),
        "full_name": primary.display() if primary else "",
        "given_name": primary.given_name if primary else "",
        "family_name": primary.surname if primary else "",
        "alternate_names": "\n".join(n.display() for n in names if n is not primary),
        "description": person.physical_description,
        "sex": SEX_OUT.get(person.sex, ""),
        "date_of_birth": person.birth_date,
        "home_state": person.region,
    }


def _write_fields(element: ET.Element, order: tuple[str, ...], values: dict[str, str]) -> None:
    for name in order:
        value = values.get(name, "")
        if value and name not in CONTACT_FIELDS:
            ET.SubElement(element, f"{{{NAMESPACE}}}{name}").text = value
