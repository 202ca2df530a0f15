"""Linking an imported list against the registry, merging, and remembered rejections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from kinlink.matching.actions import (
    LinkDecisionError,
    MergeError,
    accept_link,
    merge_persons,
    reject_link,
)
from kinlink.matching.models import CandidateLink, PersonMerge
from kinlink.matching.services import link_source_against_registry
from kinlink.registry.models import (
    AuditEntry,
    Case,
    Claim,
    Event,
    ListRecord,
    NameVariant,
    Person,
    Remains,
    Source,
    TracingRequest,
)
from tests.matching.conftest import Registry, imported


def _list_person(record_id: str) -> Person:
    return ListRecord.objects.get(record_id=record_id).person


def _pairs() -> set[tuple[int, int]]:
    return set(CandidateLink.objects.values_list("person_a_id", "person_b_id"))


def _pair(a: Person, b: Person) -> tuple[int, int]:
    return (min(a.pk, b.pk), max(a.pk, b.pk))


def test_import_links_known_duplicates_and_not_the_namesake(
    registry: Registry, prisoner_list: Path, django_capture_on_commit_callbacks: Any
) -> None:
    imported(prisoner_list, django_capture_on_commit_callbacks)
    l1, l2 = _list_person("L1"), _list_person("L2")
    assert _pairs() == {_pair(l1, registry.ivanov), _pair(l2, registry.shevchuk)}
    link = CandidateLink.objects.get(person_a=registry.ivanov)
    assert link.status == CandidateLink.Status.PROPOSED
    assert link.match_probability >= 0.5
    fields = {f["field"]: f for f in link.explanation}
    assert fields["birth date"]["status"] == "agree"
    assert fields["birth date"]["match_weight"] > 0
    assert fields["surname"]["status"] == "agree"
    assert set(fields) >= {"surname", "given name", "patronymic", "birth place", "unit", "event date"}


def test_threshold_setting_filters_links(
    registry: Registry, prisoner_list: Path, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.KINLINK_LINK_REVIEW_THRESHOLD = 1.0
    imported(prisoner_list, django_capture_on_commit_callbacks)
    assert ListRecord.objects.count() == 3
    assert CandidateLink.objects.count() == 0


@pytest.mark.slow  # > 5 s
def test_rejection_is_remembered_until_new_data_arrives(
    registry: Registry, prisoner_list: Path, django_capture_on_commit_callbacks: Any
) -> None:
    source_id = imported(prisoner_list, django_capture_on_commit_callbacks)
    user = get_user_model().objects.create(username="caseworker")
    link = CandidateLink.objects.get(person_a=registry.ivanov)
    reject_link(user, link, "different mother's name in the request")
    with pytest.raises(LinkDecisionError):
        reject_link(user, link, "twice")

    again = link_source_against_registry(source_id)
    assert (again.proposed, again.reproposed, again.still_rejected, again.already_proposed) == (0, 0, 1, 1)
    link.refresh_from_db()
    assert link.status == CandidateLink.Status.REJECTED
    assert link.reason == "different mother's name in the request"
    assert AuditEntry.objects.filter(action="reject_link", object_id=str(link.pk)).exists()

    # New data about one of the persons: the pair is proposed again, the old decision stays in the audit.
    NameVariant.objects.create(person=registry.ivanov, full_name="Иванов Серёжа", script="Cyrl")
    third = link_source_against_registry(source_id)
    assert third.reproposed == 1
    link.refresh_from_db()
    assert link.status == CandidateLink.Status.PROPOSED
    assert link.decided_by is None
    reproposal = AuditEntry.objects.get(action="repropose_link", object_id=str(link.pk))
    assert reproposal.detail["reason"] == "different mother's name in the request"


@pytest.mark.slow  # > 5 s
def test_accepting_a_link_merges_and_keeps_every_variant_and_source(
    registry: Registry, prisoner_list: Path, django_capture_on_commit_callbacks: Any
) -> None:
    source_id = imported(prisoner_list, django_capture_on_commit_callbacks)
    user = get_user_model().objects.create(username="caseworker")
    listed = _list_person("L1")
    link = CandidateLink.objects.get(person_a=registry.ivanov)
    merge = accept_link(user, link, "same unit, date of birth and place")
    keep = merge.keep
    assert keep.pk == registry.ivanov.pk
    listed.refresh_from_db()
    assert listed.merged_into_id == keep.pk
    names = {n.display() for n in keep.names.all()}
    assert names == {"Iwanow Sergej Petrowitsch", "Иванов Сергей Петрович"}
    assert keep.names.filter(is_primary=True).count() == 1
    # Claims are append-only: the list's claim stays on the merged record, read across the merge group.
    assert set(Claim.objects.filter(person=keep).values_list("source__name", flat=True)) == {"Unit notice"}
    assert set(Claim.objects.filter(person=listed).values_list("source__name", flat=True)) == {
        "Prisoners 2022"
    }
    assert ListRecord.objects.get(record_id="L1").person_id == keep.pk
    link.refresh_from_db()
    assert link.status == CandidateLink.Status.ACCEPTED and link.decided_by == user
    # The merged record takes no part in the next run; its list row now speaks for the kept person.
    rerun = link_source_against_registry(source_id)
    assert (rerun.new_records, rerun.existing_persons) == (3, 3)
    assert rerun.proposed == 0 and rerun.already_proposed == 1
    assert CandidateLink.objects.filter(status=CandidateLink.Status.PROPOSED).count() == 1


def test_merge_repoints_every_relation_and_is_audited(db: None) -> None:
    keep = Person.objects.create(birth_date="1990")
    other = Person.objects.create(birth_date="1990-05-01", unit="в/ч 1", rank="рядовой")
    source = Source.objects.create(kind="testimony", name="Comrade")
    NameVariant.objects.create(person=keep, surname="Петров", given_name="Иван", is_primary=True)
    NameVariant.objects.create(person=other, surname="Петров", given_name="Иван", is_primary=True)
    NameVariant.objects.create(person=other, full_name="Petrov Ivan", script="Latn", source=source)
    claim = Claim.objects.create(person=other, source=source, fate="dead", date="2022-03-30")
    request = TracingRequest.objects.create(number="R-1", person=other, relationship="mother")
    org = Case._meta.get_field("organisation").related_model.objects.create(name="Org", slug="org")  # type: ignore[union-attr]
    case = Case.objects.create(number="C-9", person=other, organisation=org)
    event = Event.objects.create(name="Battle", date="2022-03-30")
    event.persons.add(other)
    remains = Remains.objects.create(code="RM-1", identified_person=other)
    earlier = Person.objects.create()
    earlier.merged_into = other
    earlier.save()

    merge = merge_persons(None, keep, other, reason="same man")

    for obj in (claim, request, case, remains):
        obj.refresh_from_db()
    assert request.person_id == case.person_id == keep.pk
    assert claim.person_id == other.pk  # claims never move
    assert remains.identified_person_id == keep.pk
    assert list(event.persons.all()) == [keep]
    earlier.refresh_from_db()
    assert earlier.merged_into_id == keep.pk
    keep.refresh_from_db()
    assert keep.birth_date == "1990"  # the kept value wins; only blanks are filled
    assert (keep.unit, keep.rank) == ("в/ч 1", "рядовой")
    # The identical Cyrillic variant stays on the merged record (not deleted); the Latin one moves.
    assert sorted(n.display() for n in keep.names.all()) == ["Petrov Ivan", "Петров Иван"]
    assert [n.display() for n in other.names.all()] == ["Петров Иван"]
    assert merge.kept_back == {"names": [other.names.get().pk]}
    entry = AuditEntry.objects.get(action="merge_person")
    assert entry.object_id == str(keep.pk) and entry.detail["merged"] == str(other.pk)
    assert entry.detail["merge"] == str(merge.pk)
    assert "claims" not in entry.detail["moved"] and entry.detail["moved"]["events"] == 1
    assert merge.moved["tracing_requests"] == [request.pk] and merge.moved["merged_from"] == [earlier.pk]
    assert PersonMerge.objects.get() == merge
    with pytest.raises(MergeError):
        merge_persons(None, keep, other)
    with pytest.raises(MergeError):
        merge_persons(None, keep, keep)
