"""PFIF 1.4: every field kept, statuses become claims, a round trip loses nothing PFIF can carry,
contact details never leave, and hostile XML is refused with nothing written."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from kinlink.cli import main
from kinlink.exchange.errors import ImportRefused
from kinlink.exchange.pfif import CONTACT_FIELDS, NAMESPACE, export_pfif, import_pfif_bytes
from kinlink.registry import actions
from kinlink.registry.models import Claim, ListRecord, NameVariant, Organisation, Person, Source
from kinlink.registry.services.family_intake import FamilyRequest

pytestmark = pytest.mark.django_db

PERSON = {
    "person_record_id": "example.org/person.1",
    "entry_date": "2024-03-01T10:00:00Z",
    "expiry_date": "2034-03-01T10:00:00Z",
    "author_name": "Мария Кузнецова",
    "author_email": "maria@example.org",
    "author_phone": "+7 900 000-00-00",
    "source_name": "Поиск родных",
    "source_date": "2024-03-01T09:00:00Z",
    "source_url": "https://example.org/person/1",
    "full_name": "Кузнецов Алексей Петрович",
    "given_name": "Алексей",
    "family_name": "Кузнецов",
    "alternate_names": "Kuznetsov Aleksei\nЛёша Кузнецов",
    "description": "шрам на левой руке",
    "sex": "male",
    "date_of_birth": "1991-04",
    "age": "32",
    "home_street": "ул. Ленина 1",
    "home_neighborhood": "Центр",
    "home_city": "Курск",
    "home_state": "Курская область",
    "home_postal_code": "305000",
    "home_country": "RU",
    "photo_url": "https://example.org/photo/1.jpg",
    "profile_urls": "https://vk.com/id1",
}
NOTES = [
    {
        "note_record_id": "example.org/note.1",
        "entry_date": "2024-03-02T10:00:00Z",
        "author_name": "Сослуживец",
        "author_email": "witness@example.org",
        "author_phone": "+7 911 111-11-11",
        "source_date": "2024-03-02T09:00:00Z",
        "author_made_contact": "false",
        "status": "believed_dead",
        "last_known_location": "под Работино",
        "text": "видел его тело после обстрела",
        "photo_url": "https://example.org/photo/2.jpg",
    },
    {
        "note_record_id": "example.org/note.2",
        "linked_person_record_id": "example.org/person.9",
        "entry_date": "2024-04-01T10:00:00Z",
        "author_name": "Волонтёр",
        "source_date": "2024-04-01T09:00:00Z",
        "author_made_contact": "true",
        "status": "believed_alive",
        "email_of_found_person": "found@example.org",
        "phone_of_found_person": "+7 922 222-22-22",
        "text": "в списке пленных",
    },
    {
        "note_record_id": "example.org/note.3",
        "entry_date": "2024-05-01T10:00:00Z",
        "source_date": "2024-05-01T09:00:00Z",
        "status": "information_sought",
        "text": "ищем любые сведения",
    },
]


def pfif_document(person: dict[str, str], notes: list[dict[str, str]]) -> bytes:
    ET.register_namespace("pfif", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}pfif")
    element = ET.SubElement(root, f"{{{NAMESPACE}}}person")
    for name, value in person.items():
        ET.SubElement(element, f"{{{NAMESPACE}}}{name}").text = value
    for note in notes:
        child = ET.SubElement(element, f"{{{NAMESPACE}}}note")
        for name, value in note.items():
            ET.SubElement(child, f"{{{NAMESPACE}}}{name}").text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def records(document: bytes) -> list[dict[str, Any]]:
    """Persons of a PFIF document as dicts of their fields, with their notes."""
    root = ET.fromstring(document)
    found = []
    for person in root.findall(f"{{{NAMESPACE}}}person"):
        fields = {c.tag.split("}")[1]: c.text for c in person if not c.tag.endswith("}note")}
        notes = [
            {c.tag.split("}")[1]: c.text for c in note} for note in person.findall(f"{{{NAMESPACE}}}note")
        ]
        found.append({**fields, "notes": notes})
    return found


def wipe_registry() -> None:
    """Make this an empty instance again (claims and sources are protected; remove them in order)."""
    ListRecord.objects.all().delete()
    if connection.vendor == "postgresql":
        # claims are append-only in the database itself: only TRUNCATE empties the table
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE registry_claimretraction, registry_claim")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        Claim.objects.all()._raw_delete(Claim.objects.db)  # type: ignore[attr-defined]
    NameVariant.objects.all().delete()
    Person.objects.all().delete()
    Source.objects.all().delete()


def test_import_keeps_every_field_and_maps_statuses_to_claims() -> None:
    result = import_pfif_bytes(pfif_document(PERSON, NOTES), "in.xml")
    assert (result.persons_created, result.notes_created, result.claims_created) == (1, 3, 2)
    person = Person.objects.get()
    assert person.primary_name() == "Кузнецов Алексей Петрович"
    assert person.birth_date == "1991-04" and person.sex == "M" and person.region == "Курская область"
    assert {n.full_name for n in person.names.all()} >= {"Kuznetsov Aleksei", "Лёша Кузнецов"}
    assert sorted(Claim.objects.values_list("fate", flat=True)) == ["alive", "dead"]
    kept = ListRecord.objects.get(record_id="example.org/person.1").row
    for name, value in PERSON.items():
        if name in CONTACT_FIELDS:
            assert kept[name].startswith("kl1:") and value not in kept[name]  # kept, encrypted at rest
        else:
            assert kept[name] == value
    # importing the same file again adds nothing
    again = import_pfif_bytes(pfif_document(PERSON, NOTES), "in.xml")
    assert (again.persons_created, again.persons_known, again.notes_created) == (0, 1, 0)


def test_round_trip_into_an_empty_instance_loses_no_field() -> None:
    import_pfif_bytes(pfif_document(PERSON, NOTES), "in.xml")
    first = export_pfif()
    exported = records(first)
    assert len(exported) == 1
    person = exported[0]
    for name, value in PERSON.items():
        assert person.get(name) == (None if name in CONTACT_FIELDS else value), name
    by_id = {n["note_record_id"]: n for n in person["notes"]}
    for note in NOTES:
        for name, value in note.items():
            assert by_id[note["note_record_id"]].get(name) == (None if name in CONTACT_FIELDS else value), (
                name
            )
    for secret in (b"maria@example.org", b"+7 900", b"found@example.org", b"+7 922", b"witness@"):
        assert secret not in first

    wipe_registry()
    assert not Person.objects.exists()
    import_pfif_bytes(first, "exported.xml")
    second = export_pfif()
    assert records(second) == records(first)
    assert sorted(Claim.objects.values_list("fate", flat=True)) == ["alive", "dead"]


def test_export_honours_consent() -> None:
    partner = Organisation.objects.create(name="Partner", slug="partner")
    stranger = Organisation.objects.create(name="Stranger", slug="stranger")
    request, _code = actions.submit_tracing_request(
        FamilyRequest(
            surname="Иванова",
            given_name="Анна",
            sex="F",
            relationship="сестра",
            contact="anna.sister@example.org",
            consent_organisations=[partner],
        )
    )
    consenting = request.person
    source = actions.add_source(None, kind="unit_notice", name="Извещение", date="2024-04-05")
    actions.add_claim(None, consenting, source, fate="missing", place="Волчанск")
    actions.submit_tracing_request(FamilyRequest(surname="Петров", given_name="", relationship="мать"))

    to_partner = records(export_pfif(partner))
    assert [p["full_name"] for p in to_partner] == ["Иванова Анна"]
    notes = to_partner[0]["notes"]  # the family's report (made with the request) and the unit notice
    assert [note["status"] for note in notes] == ["believed_missing", "believed_missing"]
    assert "2024-04-05T00:00:00Z" in [note["source_date"] for note in notes]
    assert records(export_pfif(stranger)) == []
    assert b"anna.sister" not in export_pfif(partner)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person>
<pfif:person_record_id>x.org/1</pfif:person_record_id><pfif:full_name>&lol9;</pfif:full_name>
</pfif:person></pfif:pfif>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4"><pfif:person>
<pfif:person_record_id>x.org/1</pfif:person_record_id><pfif:full_name>&secret;</pfif:full_name>
</pfif:person></pfif:pfif>"""


@pytest.mark.parametrize(
    "document", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"]
)
def test_hostile_xml_is_refused_and_nothing_is_written(document: bytes) -> None:
    with pytest.raises(ImportRefused, match="refused XML") as refused:
        import_pfif_bytes(document, "hostile.xml")
    assert refused.value.errors[0].file == "hostile.xml"
    assert not Person.objects.exists() and not Source.objects.exists()


def test_invalid_records_are_reported_by_row_and_field_and_nothing_is_written() -> None:
    good = dict(PERSON)
    bad_notes = [{**NOTES[0], "status": "believed_teleported"}, {**NOTES[1], "entry_date": "yesterday"}]
    with pytest.raises(ImportRefused) as refused:
        import_pfif_bytes(pfif_document({**good, "sex": "robot"}, bad_notes), "bad.xml")
    problems = {(p.row, p.column) for p in refused.value.errors}
    assert problems == {(1, "sex"), (2, "status"), (3, "entry_date")}
    assert "bad.xml: row 2, column 'status'" in str(refused.value)
    assert not Person.objects.exists() and not ListRecord.objects.exists()


def test_cli_refuses_a_two_gigabyte_file_before_reading_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no 2 GB are written to disk
    assert main(["exchange", "pfif-import", str(huge)]) == 1
    assert "the file is 2147483648 bytes; the limit is" in capsys.readouterr().err
    assert not Person.objects.exists()


def test_cli_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.xml"
    source.write_bytes(pfif_document(PERSON, NOTES))
    assert main(["exchange", "pfif-import", str(source)]) == 0
    assert "1 new persons" in capsys.readouterr().out
    out = tmp_path / "out.xml"
    assert main(["exchange", "pfif-export", "--out", str(out)]) == 0
    assert records(out.read_bytes())[0]["full_name"] == PERSON["full_name"]


def test_expired_pfif_records_are_not_exported() -> None:
    expired = {**PERSON, "person_record_id": "example.org/person.2", "expiry_date": "2020-01-01T00:00:00Z"}
    import_pfif_bytes(pfif_document(expired, []), "old.xml")
    import_pfif_bytes(pfif_document(PERSON, []), "new.xml")
    assert [p["person_record_id"] for p in records(export_pfif())] == ["example.org/person.1"]
