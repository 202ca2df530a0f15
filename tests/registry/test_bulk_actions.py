"""The bulk forms of the actions (the demo's world, a partner's batch) validate, write and audit as the
single actions do, row for row, and are atomic: a refused row leaves nothing behind."""

from __future__ import annotations

import stat
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection

from kinlink.registry import actions, crypto
from kinlink.registry.models import (
    AuditEntry,
    Case,
    Claim,
    DataKey,
    NameVariant,
    Organisation,
    Person,
    Remains,
    Site,
    Source,
    TracingRequest,
)
from kinlink.registry.services.fate import assess_person

pytestmark = pytest.mark.django_db


def person(surname: str) -> Person:
    return actions.add_person(None, names=[{"surname": surname, "given_name": "Иван"}], reason="test")


def stored(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def entry(action: str, obj: Any) -> AuditEntry:
    return AuditEntry.objects.get(action=action, object_type=obj._meta.model_name, object_id=str(obj.pk))


def test_sources_with_claims_are_written_and_audited_as_add_source_and_add_claim() -> None:
    user = get_user_model().objects.create(username="caseworker")
    event = actions.add_event(None, name="Бой у Н.", date="2022-03-30")
    petrov, sidorov = person("Петров"), person("Сидоров")
    # the single actions, for comparison
    single_source = actions.add_source(user, kind="unit_notice", name="Извещение 1", date="2022-04-05")
    single = actions.add_claim(user, petrov, single_source, fate="dead", date="2022-03-30", event=event)
    rows = [
        actions.SourceClaim(
            person=petrov,
            kind="ministry_letter",
            name="Ответ министерства",
            date="2022-05-01",
            reliability="B",
            fate="missing",
            claim_date="2022-03-30",
            circumstances="не вышел из боя",
            event=event,
        ),
        actions.SourceClaim(person=sidorov, kind="testimony", name="Сослуживец", fate="dead", event=event),
    ]
    claims = actions.add_sources_with_claims(user, rows)
    assert [c.person for c in claims] == [petrov, sidorov]
    for claim, row in zip(claims, rows, strict=True):
        claim = Claim.objects.select_related("source").get(pk=claim.pk)
        assert (claim.source.kind, claim.source.name, claim.fate) == (row.kind, row.name, row.fate)
        assert claim.created_by == user and claim.source.created_by == user
        # the same audit entries as the single actions write, detail for detail
        source_entry, claim_entry = entry("add_source", claim.source), entry("add_claim", claim)
        assert source_entry.actor == user and set(source_entry.detail) == set(
            entry("add_source", single_source).detail
        )
        assert claim_entry.detail == {
            "person": str(row.person.pk),
            "source": str(claim.source_id),
            "fate": row.fate,
        }
        assert set(claim_entry.detail) == set(entry("add_claim", single).detail)
    # the circumstances are encrypted with the source's key, as the field encrypts them
    raw = stored("registry_claim", "circumstances", claims[0].pk)
    assert raw.startswith(crypto.ENVELOPE_PREFIX) and "не вышел" not in raw
    assert Claim.objects.get(pk=claims[0].pk).circumstances == "не вышел из боя"
    assert crypto.key_id_of(raw) == claims[0].source.encryption_key().key_id
    assert set(event.persons.all()) == {petrov, sidorov}
    for p in (petrov, sidorov):
        p.refresh_from_db()
        assert p.fate == assess_person(p).fate
    assert sidorov.fate == "dead"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"fate": "zombie"}, "fate"),
        ({"date": "2022-13-01"}, "date"),
        ({"claim_date": "30.03.2022"}, "date"),
        ({"reliability": "Z"}, "reliability"),
        ({"person": Person(pk=10**9)}, "person"),
    ],
)
def test_a_refused_row_leaves_nothing_and_names_the_row(bad: dict[str, Any], field: str) -> None:
    petrov = person("Петров")
    before = (Source.objects.count(), Claim.objects.count(), AuditEntry.objects.count())
    good = {"person": petrov, "kind": "testimony", "name": "Сослуживец", "fate": "dead"}
    rows = [actions.SourceClaim(**good), actions.SourceClaim(**{**good, **bad}), actions.SourceClaim(**good)]
    with pytest.raises(ValidationError) as refused:
        actions.add_sources_with_claims(None, rows)
    assert field in refused.value.message_dict
    assert all(m.startswith("row 2: ") for m in refused.value.message_dict[field])
    assert (Source.objects.count(), Claim.objects.count(), AuditEntry.objects.count()) == before
    petrov.refresh_from_db()
    assert petrov.fate == "unknown"


def form(n: int, org: Organisation, **fields: Any) -> actions.FamilyRequest:
    return actions.FamilyRequest(
        surname=f"Петров{n}",
        given_name="Сергей",
        relationship="mother",
        contact=f"+7 900 000-00-0{n}",
        enquirer_name=f"Ирина {n}",
        circumstances=f"звонил {n} марта",
        last_contact="2022-03-0" + str(n + 1),
        consent_organisations=[org],
        other_names=["Petrov"],
        **fields,
    )


def test_bulk_requests_each_have_their_own_key_code_report_claim_and_audit_entry(
    django_capture_on_commit_callbacks: Any,
) -> None:
    org = Organisation.objects.create(name="Поиск", slug="poisk")
    seen: list[tuple[list[int], str]] = []

    def hook(person_ids: Any, reason: str) -> None:
        seen.append((list(person_ids), reason))

    actions.on_person_added(hook)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            made = actions.submit_tracing_requests([form(n, org) for n in range(3)])
    finally:
        actions._PERSON_ADDED.remove(hook)
    requests = [TracingRequest.objects.get(pk=r.pk) for r, _code in made]
    assert len({r.number for r in requests}) == 3
    keys = [r.data_key for r in requests]
    assert all(k is not None and k.scope == DataKey.Scope.REQUEST for k in keys)
    assert len({k.key_id for k in keys if k is not None}) == 3
    for n, (request, (_made, code)) in enumerate(zip(requests, made, strict=True)):
        key = request.data_key
        assert key is not None
        path = crypto.key_path(key.key_id)
        assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert request.check_access_code(code) and not request.check_access_code(made[(n + 1) % 3][1])
        for column in ("contact", "enquirer_name", "circumstances"):
            raw = stored("registry_tracingrequest", column, request.pk)
            assert crypto.key_id_of(raw) == key.key_id  # its own key, not a shared one
        assert (request.contact, request.enquirer_name) == (f"+7 900 000-00-0{n}", f"Ирина {n}")
        assert list(request.consent_organisations.all()) == [org]
        report = Source.objects.get(kind="family_report", reference=request.number)
        claim = Claim.objects.get(source=report)
        assert (claim.person_id, claim.fate, claim.circumstances) == (
            request.person_id,
            "missing",
            f"звонил {n} марта",
        )
        assert crypto.key_id_of(stored("registry_claim", "circumstances", claim.pk)) == key.key_id
        names = NameVariant.objects.filter(person=request.person)
        assert sorted(names.values_list("is_primary", flat=True)) == [False, True]
        assert request.person.fate == "missing"
        audit = entry("submit_request", request)
        assert audit.actor_label == "family (web form)" and audit.detail == {"channel": "web"}
    assert not list(crypto.key_dir().glob(".part-*"))
    # the linkage hook is called once, with every new person
    assert len(seen) == 1 and seen[0][0] == [r.person_id for r in requests]


def test_bulk_requests_refuse_a_bad_photo_before_writing_anything() -> None:
    org = Organisation.objects.create(name="Поиск", slug="poisk")
    photo = actions.UploadedFile("letter.exe", b"MZ\x90\x00 not a photo")
    with pytest.raises(actions.UploadError):
        actions.submit_tracing_requests([form(0, org), form(1, org, photos=[photo])])
    assert not TracingRequest.objects.exists() and not Person.objects.exists()
    assert not AuditEntry.objects.exists() and not DataKey.objects.exists()


def test_bulk_cases_are_opened_once_audited_and_move_their_requests_on() -> None:
    org = Organisation.objects.create(name="Поиск", slug="poisk")
    [(first, _), (second, _)] = actions.submit_tracing_requests([form(0, org), form(1, org)])
    earlier = actions.open_case(None, first.person, org)
    with pytest.raises(Exception, match="NOWHERE"):
        actions.open_cases(None, [actions.CaseOpening(second.person, org, jurisdiction="NOWHERE")])
    assert Case.objects.count() == 1
    cases = actions.open_cases(
        None,
        [
            actions.CaseOpening(first.person, org, request=first, reason="заявление"),
            actions.CaseOpening(second.person, org, request=second, reason="заявление", jurisdiction="UA"),
        ],
    )
    assert cases[0] == earlier and Case.objects.count() == 2
    new = Case.objects.get(person=second.person)
    assert cases[1] == new and new.jurisdiction == "UA" and new.number.startswith("C-")
    assert entry("open_case", new).detail == {"reason": "заявление", "request": second.number}
    assert AuditEntry.objects.filter(action="open_case", object_id=str(earlier.pk)).count() == 1
    for request in (first, second):
        request.refresh_from_db()
        assert request.status == TracingRequest.Status.IN_PROGRESS


def test_many_key_files_are_written_whole_and_readable() -> None:
    made = crypto.new_keys_material(5)
    assert len({key_id for key_id, _raw in made}) == 5
    for key_id, raw in made:
        crypto.forget_key(key_id)
        assert crypto.unwrap(crypto.read_wrapped_key(key_id)) == raw
        assert stat.S_IMODE(crypto.key_path(key_id).stat().st_mode) == 0o600
    assert not list(crypto.key_dir().glob(".part-*"))


def test_events_sites_and_remains_in_bulk_are_validated_audited_and_unique() -> None:
    [event] = actions.add_events(None, [{"name": "Бой у Н.", "date": "2022-03-30"}])
    [site] = actions.add_sites(None, [{"name": "Могила", "kind": "field_grave", "event": event}])
    remains = actions.register_many_remains(
        None, [{"code": f"R-{n}", "site": site, "recovered_on": "2023-05"} for n in range(3)]
    )
    for obj, action in (
        (event, "add_event"),
        (site, "add_site"),
        *((r, "register_remains") for r in remains),
    ):
        assert entry(action, obj).detail == {}
    actions.register_remains(None, code="R-single")
    before = (Remains.objects.count(), AuditEntry.objects.count())
    for rows, field in (
        ([{"code": "R-new"}, {"code": "R-single"}], "code"),  # taken in the table
        ([{"code": "R-new"}, {"code": "R-new"}], "code"),  # twice in the batch
        ([{"code": "R-new"}, {"code": "R-x", "recovered_on": "May 2023"}], "recovered_on"),
        ([{"code": "R-new"}, {"code": "R-x", "site": Site(pk=10**9)}], "site"),
    ):
        with pytest.raises(ValidationError) as refused:
            actions.register_many_remains(None, rows)
        assert [m[:7] for m in refused.value.message_dict[field]] == ["row 2: "]
        assert (Remains.objects.count(), AuditEntry.objects.count()) == before
    with pytest.raises(ValidationError):
        actions.add_sites(None, [{"name": "Могила 2", "kind": "volcano"}])
    assert Site.objects.count() == 1
