"""The actions of record linkage: reversible merges, incremental linkage, and linkage that never crashes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from kinlink.cli import main
from kinlink.linkage.model import default_model
from kinlink.matching.actions import (
    LinkDecisionError,
    MergeError,
    accept_link,
    accept_links,
    link_persons,
    link_source,
    merge_persons,
    unmerge_persons,
)
from kinlink.matching.models import CandidateLink, LinkageModel, PersonMerge
from kinlink.registry.models import (
    AuditEntry,
    Case,
    Claim,
    Event,
    ListRecord,
    NameVariant,
    Organisation,
    Person,
    Remains,
    Source,
    TracingRequest,
)
from tests.factories import WriteList
from tests.matching.conftest import LIST_ROWS, Registry, imported


def _name(person: Person, surname: str, given: str, patronymic: str = "", **fields: Any) -> NameVariant:
    return NameVariant.objects.create(
        person=person, surname=surname, given_name=given, patronymic=patronymic, **fields
    )


def _snapshot(person: Person) -> dict[str, Any]:
    """What a person holds, by relation, to compare before a merge and after its undoing."""
    person.refresh_from_db()
    return {
        "names": sorted(person.names.values_list("pk", "is_primary")),
        "requests": sorted(person.tracing_requests.values_list("pk", flat=True)),
        "cases": sorted(person.cases.values_list("pk", flat=True)),
        "events": sorted(person.events.values_list("pk", flat=True)),
        "remains": sorted(person.identified_remains.values_list("pk", flat=True)),
        "claims": sorted(Claim.objects.filter(person=person).values_list("pk", flat=True)),
        "merged_from": sorted(person.merged_from.values_list("pk", flat=True)),
        "merged_into": person.merged_into_id,
        "details": (person.birth_date, person.birth_place, person.unit, person.rank),
    }


def test_unmerge_moves_back_exactly_what_the_merge_moved(db: None) -> None:
    org = Organisation.objects.create(name="Org", slug="org")
    user = get_user_model().objects.create(username="caseworker")
    keep = Person.objects.create(birth_date="1990")
    other = Person.objects.create(birth_date="1990-05-01", unit="в/ч 1", rank="рядовой")
    source = Source.objects.create(kind="testimony", name="Comrade")
    _name(keep, "Петров", "Иван", is_primary=True)
    _name(other, "Петров", "Иван", is_primary=True)  # a duplicate of keep's: stays on the merged record
    _name(other, "Petrov", "Ivan", script="Latn", source=source)
    Claim.objects.create(person=keep, source=source, fate="missing", date="2022-03-30")
    Claim.objects.create(person=other, source=source, fate="dead", date="2022-03-30")
    TracingRequest.objects.create(number="R-1", person=other, relationship="mother")
    TracingRequest.objects.create(number="R-2", person=keep, relationship="wife")
    Case.objects.create(number="C-9", person=other, organisation=org)
    both = Event.objects.create(name="Battle", date="2022-03-30")
    only_other = Event.objects.create(name="Shelling", date="2022-04-02")
    both.persons.add(keep, other)
    only_other.persons.add(other)
    Remains.objects.create(code="RM-1", identified_person=other)
    earlier = Person.objects.create(merged_into=other)
    before = {"keep": _snapshot(keep), "other": _snapshot(other)}

    merge = merge_persons(user, keep, other, reason="same man")

    after_merge = _snapshot(keep)
    assert len(after_merge["requests"]) == 2 and after_merge["cases"] and after_merge["remains"]
    assert after_merge["events"] == sorted([both.pk, only_other.pk])
    assert after_merge["merged_from"] == sorted([other.pk, earlier.pk])
    assert after_merge["details"] == ("1990", "", "в/ч 1", "рядовой")
    assert _snapshot(other)["claims"] == before["other"]["claims"]  # claims never move
    assert merge.shared == {"events": [both.pk]} and merge.moved["events"] == [only_other.pk]
    assert merge.filled == {"unit": "в/ч 1", "rank": "рядовой"}

    with pytest.raises(MergeError):
        unmerge_persons(user, merge, "  ")
    separate = unmerge_persons(user, merge, "the mother says he had no brother in the unit")

    assert separate.pk == other.pk
    assert {"keep": _snapshot(keep), "other": _snapshot(other)} == before
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == user
    assert merge.undo_reason == "the mother says he had no brother in the unit"
    assert PersonMerge.objects.count() == 1  # the history is kept
    undo = AuditEntry.objects.get(action="unmerge_person")
    assert undo.detail["merge"] == str(merge.pk) and undo.detail["moved_back"]["tracing_requests"] == 1
    assert AuditEntry.objects.filter(action="merge_person", detail__merge=str(merge.pk)).exists()
    with pytest.raises(MergeError):
        unmerge_persons(user, merge, "twice")


def test_a_merge_another_merge_rests_on_is_undone_last(db: None) -> None:
    a, b, c = (Person.objects.create() for _ in range(3))
    for person, given in ((a, "Иван"), (b, "Ваня"), (c, "Иван")):
        _name(person, "Петров", given, is_primary=True)
    first = merge_persons(None, b, c)
    second = merge_persons(None, a, b)
    with pytest.raises(MergeError, match=f"undo merge {second.pk} first"):
        unmerge_persons(None, first, "wrong")
    unmerge_persons(None, second, "wrong")
    unmerge_persons(None, first, "wrong")
    assert Person.objects.filter(merged_into__isnull=False).count() == 0


def test_an_undone_merge_reopens_its_link_and_is_not_proposed_again_blindly(
    registry: Registry, prisoner_list: Path, django_capture_on_commit_callbacks: Any
) -> None:
    source_id = imported(prisoner_list, django_capture_on_commit_callbacks)
    user = get_user_model().objects.create(username="caseworker")
    listed = ListRecord.objects.get(record_id="L1").person
    link = CandidateLink.objects.get(person_a=registry.ivanov, person_b=listed)
    merge = accept_link(user, link, "same unit")
    assert merge.link == link and merge.keep == registry.ivanov and merge.merged == listed

    unmerge_persons(user, merge, "a namesake: the family confirmed another father")

    link.refresh_from_db()
    assert link.status == CandidateLink.Status.UNDONE
    assert link.reason == "a namesake: the family confirmed another father"
    assert ListRecord.objects.get(record_id="L1").person_id == listed.pk
    again = link_source(source_id)
    assert again.still_rejected == 1 and again.proposed == 0
    link.refresh_from_db()
    assert link.status == CandidateLink.Status.UNDONE
    # The link is open for a new decision on its page (accepted again, it merges again).
    second = accept_link(user, link, "new evidence: the same service number")
    assert second.pk != merge.pk and PersonMerge.objects.count() == 2


def test_a_one_row_list_is_linked_with_the_default_model_without_crashing(
    registry: Registry,
    write_list: WriteList,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = write_list([{**LIST_ROWS[0], "source": "one"}], name="one.csv")
    with caplog.at_level(logging.ERROR):
        imported(path, django_capture_on_commit_callbacks)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    listed = ListRecord.objects.get(record_id="L1").person
    link = CandidateLink.objects.get(person_b=listed)
    assert link.person_a == registry.ivanov and link.match_probability >= 0.5
    assert LinkageModel.objects.count() == 0  # too small to train: nothing stored


def test_a_small_input_is_scored_with_the_stored_trained_model(registry: Registry) -> None:
    stored = LinkageModel.objects.create(
        records=10_000, reason="earlier training", parameters=default_model()
    )
    person = Person.objects.create(birth_date="1998-04-17", birth_place="Курск", unit="в/ч 12345")
    _name(person, "Иванов", "Сергей", "Петрович", is_primary=True)
    result = link_persons([person.pk], "tracing request R-TEST")
    assert result.model == f"stored model {stored.pk}"
    assert (result.new_records, result.existing_persons, result.proposed) == (1, 4, 1)
    assert CandidateLink.objects.get().person_a == registry.ivanov
    # A stored model that no longer fits the settings falls back to the default model; no crash.
    LinkageModel.objects.create(records=10_000, parameters={"comparisons": []})
    other = Person.objects.create(birth_date="1990-01-02")
    _name(other, "Шевчук", "Олександр", "Іванович", is_primary=True)
    assert link_persons([other.pk], "tracing request R-TEST2").notes


def test_a_big_enough_run_trains_and_keeps_its_model(
    registry: Registry, write_list: WriteList, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from kinlink.registry.services.imports import import_list
    from kinlink.scenario import generate, person_list_rows

    settings.KINLINK_LINK_TRAIN_MIN_RECORDS = 100
    world = generate(seed=7, size=400)
    for name in ("family_requests", "prisoner_list", "obituaries"):
        path = write_list(person_list_rows(world, name), name=f"{name}.csv")
        with django_capture_on_commit_callbacks(execute=True):
            import_list(path, "prisoner_list", name)
    kept = LinkageModel.objects.order_by("pk").last()
    assert kept is not None and kept.records >= 100
    assert 0 < kept.parameters["probability_two_random_records_match"] < 1
    assert CandidateLink.objects.count() > 10
    # The next small input is scored with the kept model, without training.
    person = Person.objects.create(birth_date="1998-04-17")
    _name(person, "Иванов", "Сергей", "Петрович", is_primary=True)
    assert link_persons([person.pk], "one request").model == f"stored model {kept.pk}"


def test_link_registry_survives_odd_data(
    registry: Registry, prisoner_list: Path, django_capture_on_commit_callbacks: Any, capsys: Any
) -> None:
    source_id = imported(prisoner_list, django_capture_on_commit_callbacks)
    source = Source.objects.get(pk=source_id)
    odd = [
        ("nan", "nan", "nan", "nan"),
        ("", "", "", ""),
        ("Иванов", "", "", "2022-02-30"),
        ("NULL", "Сергей", "None", "17.04.1998"),
        ("Сидоров", "Андрей", "", "1977-13"),
        ("Петров", "nan", "Олегович", "около 1985"),
    ]
    for number, (surname, given, patronymic, birth) in enumerate(odd):
        person = Person.objects.create(birth_date=birth, birth_place="nan", unit="None")
        _name(person, surname, given, patronymic, is_primary=True)
        ListRecord.objects.create(
            source=source,
            record_id=f"odd{number}",
            person=person,
            row={"surname": surname},
            row_sha256=f"{number}",
        )
        Claim.objects.create(person=person, source=source, fate="detained", date="nan", place="NaN")
    Person.objects.create(birth_date="nan")  # a person without any name variant
    assert main(["link-registry"]) == 0
    out = capsys.readouterr().out
    assert "'Prisoners 2022'" in out and "record(s) against" in out
    assert main(["link-registry", "--person", str(registry.stranger.pk)]) == 0


def test_the_cli_undoes_a_merge_with_a_reason(db: None, capsys: Any) -> None:
    keep, other = Person.objects.create(), Person.objects.create()
    _name(keep, "Петров", "Иван", is_primary=True)
    _name(other, "Petrov", "Ivan", is_primary=True)
    merge = merge_persons(None, keep, other)
    assert main(["link-registry", "--unmerge", str(merge.pk)]) == 1
    assert "--reason" in capsys.readouterr().err
    assert main(["link-registry", "--unmerge", str(merge.pk), "--reason", "two brothers"]) == 0
    assert f"merge {merge.pk} undone" in capsys.readouterr().out
    other.refresh_from_db()
    assert other.merged_into_id is None and other.names.get().is_primary
    entry = AuditEntry.objects.get(action="unmerge_person")
    assert entry.actor_label == "cli" and entry.detail["reason"] == "two brothers"
    assert main(["link-registry", "--unmerge", str(merge.pk), "--reason", "again"]) == 1


class _Rollback(Exception):
    pass


def _merge_outcome(merges: list[PersonMerge], persons: list[Person]) -> dict[str, Any]:
    """What a series of merges did: each merge's record and audit entry (its id aside), and every person."""
    entries = []
    for merge in merges:
        detail = dict(AuditEntry.objects.get(action="merge_person", detail__merge=str(merge.pk)).detail)
        detail.pop("merge")
        accepted = AuditEntry.objects.get(action="accept_link", object_id=str(merge.link_id))
        entries.append((detail, accepted.actor_label, accepted.detail["reason"]))
    records = [
        (m.keep_id, m.merged_id, m.link_id, m.moved, m.shared, m.unprimary, m.kept_back, m.filled, m.by_id)
        for m in merges
    ]
    links = sorted(CandidateLink.objects.values_list("pk", "status", "decided_by", "reason"))
    fates = sorted(Person.objects.values_list("pk", "fate", "merged_into"))
    return {
        "records": records,
        "entries": entries,
        "links": links,
        "fates": fates,
        "persons": [_snapshot(p) for p in persons],
    }


def test_accepting_links_in_bulk_merges_as_accepting_them_one_by_one(db: None) -> None:
    """``accept_links`` (the demo's review) makes the merges ``accept_link`` makes one at a time, in the
    same order, with the same records and audit entries, chains included (a person kept twice, then
    merged into a third); each merge is undone exactly by ``unmerge_persons``."""
    org = Organisation.objects.create(name="Org", slug="org")
    user = get_user_model().objects.create(username="supervisor")
    source = Source.objects.create(kind="testimony", name="Comrade")
    battle = Event.objects.create(name="Battle", date="2022-03-30")
    # a link joins an older person (person_a) and a newer one: made in this order, g is the oldest
    g, d, e, a, b, c, f = (Person.objects.create(birth_date="1990") for _ in range(7))
    persons = [a, b, c, d, e, f, g]
    Person.objects.filter(pk=b.pk).update(unit="в/ч 1", rank="рядовой")
    Person.objects.filter(pk=f.pk).update(birth_place="Курск")
    for person, given in zip(persons, ["Иван", "Иван", "Ваня", "Иван", "Пётр", "Петя", "Олег"], strict=True):
        _name(person, "Петров", given, is_primary=True)
    _name(b, "Petrov", "Ivan", script="Latn", source=source)
    for person, fate in ((a, "missing"), (b, "dead"), (d, "missing"), (f, "dead")):
        Claim.objects.create(person=person, source=source, fate=fate, date="2022-03-30")
    TracingRequest.objects.create(number="R-1", person=b, relationship="mother")
    Case.objects.create(number="C-1", person=c, organisation=org)
    battle.persons.add(a, b, c, f)
    Remains.objects.create(code="RM-1", identified_person=f)
    pairs = [(a, b), (a, c), (e, f), (d, a), (g, e)]  # a keeps b and c, then d keeps a; g keeps e
    links = [
        CandidateLink.objects.create(
            person_a=keep, person_b=other, match_probability=0.9999, match_weight=12.0, fingerprint=str(n)
        )
        for n, (keep, other) in enumerate(pairs)
    ]
    before = [_snapshot(p) for p in persons]
    with pytest.raises(_Rollback), transaction.atomic():
        one_by_one = [accept_link(user, link, "same man") for link in links]
        expected = _merge_outcome(one_by_one, persons)
        raise _Rollback
    assert [_snapshot(p) for p in persons] == before

    merges = accept_links(user, [CandidateLink.objects.get(pk=link.pk) for link in links], "same man")

    assert _merge_outcome(merges, persons) == expected
    assert [(m.keep_id, m.merged_id) for m in merges] == [(k.pk, o.pk) for k, o in pairs]
    with pytest.raises(LinkDecisionError):
        accept_links(user, [links[0]], "twice")
    for merge in reversed(merges):
        unmerge_persons(user, merge, "test")
    assert [_snapshot(p) for p in persons] == before


def test_accepting_links_in_bulk_refuses_a_person_merged_away_and_writes_nothing(db: None) -> None:
    a, b, c = (Person.objects.create(birth_date="1990") for _ in range(3))
    first = CandidateLink.objects.create(
        person_a=a, person_b=b, match_probability=0.9999, match_weight=12.0, fingerprint="1"
    )
    second = CandidateLink.objects.create(
        person_a=b, person_b=c, match_probability=0.9999, match_weight=12.0, fingerprint="2"
    )
    with pytest.raises(MergeError, match=f"person {b.pk} is already merged"):
        accept_links(None, [first, second], "same man")
    assert not PersonMerge.objects.exists() and not AuditEntry.objects.exists()
    assert set(CandidateLink.objects.values_list("status", flat=True)) == {"proposed"}
    assert not Person.objects.filter(merged_into__isnull=False).exists()
