"""Linkage bounds its memory (issue 17): every run's DuckDB is capped by the setting, and the registry's
persons are streamed to linkage in a fixed number of queries, whatever their number."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kinlink import cli
from kinlink.matching.services import person_frame
from kinlink.registry import actions
from kinlink.registry.models import Person
from tests.matching.conftest import Registry


def _persons(count: int, first: int = 0) -> list[Person]:
    """Persons with two name variants (the second primary) and two claims each (the earlier one counts)."""
    source = actions.add_source(None, kind="unit_notice", name=f"notice {first}", date="2022-04-05")
    persons = []
    for n in range(first, first + count):
        person = actions.add_person(
            None,
            names=[
                {"surname": f"Old{n}", "given_name": "Ivan", "is_primary": False},
                {
                    "surname": f"Petrenko{n}",
                    "given_name": "Oleh",
                    "patronymic": "Ivanovych",
                    "is_primary": True,
                },
            ],
            reason="streaming test",
            birth_date=f"19{60 + n % 30}-01-0{1 + n % 9}",
            birth_place="Poltava",
        )
        actions.add_claim(None, person, source, fate="missing", date="2022-05-01", place="Bakhmut")
        actions.add_claim(None, person, source, fate="missing", date="2022-03-30", place="Izium")
        persons.append(person)
    return persons


@pytest.mark.django_db
def test_person_rows_are_streamed_in_three_queries_whatever_the_number_of_persons() -> None:
    _persons(5)
    with CaptureQueriesContext(connection) as few:
        small = person_frame(Person.objects.all(), "registry")
    _persons(60, first=5)
    with CaptureQueriesContext(connection) as many:
        large = person_frame(Person.objects.all(), "registry")
    assert (len(small), len(large)) == (5, 65)
    # persons, name variants, claims: one query each, not one per person (the old path made 3 + N/100).
    assert len(few.captured_queries) == len(many.captured_queries) <= 3
    row = large.iloc[-1].to_dict()
    assert row["surname"] == "Petrenko64" and row["patronymic"] == "Ivanovych"  # the primary variant
    assert (row["event_date"], row["event_place"]) == ("2022-03-30", "Izium")  # the earliest claim
    assert row["record_id"] == str(Person.objects.order_by("pk").last().pk)  # type: ignore[union-attr]


@pytest.mark.django_db
def test_every_registry_linkage_run_is_capped_by_the_memory_setting(
    registry: Registry, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.KINLINK_LINKAGE_MEMORY_LIMIT = "256MiB"
    settings.KINLINK_LINKAGE_THREADS = 1
    person = actions.add_person(
        None,
        names=[{"surname": "Иванов", "given_name": "Сергей", "patronymic": "Петрович", "is_primary": True}],
        reason="a new list row",
        birth_date="1998-04-17",
        birth_place="Курск",
    )
    assert cli.main(["link-registry", "--person", str(person.pk)]) == 0
    out = capsys.readouterr().out
    # DuckDB's own current_setting('memory_limit') on the run's connection, read back by the run.
    assert "DuckDB: memory limit 256.0 MiB, 1 thread(s)." in out, out
    assert "1 proposed" in out  # the cap does not stop the run from finding Iwanow


@pytest.mark.django_db
def test_the_waiting_persons_are_linked_among_themselves_once_and_not_with_themselves(
    registry: Registry,
) -> None:
    from kinlink.matching.actions import link_waiting_persons, wait_for_linkage
    from kinlink.matching.models import CandidateLink, PendingLinkage

    twins = [
        actions.add_person(
            None,
            names=[
                {"surname": "Коваленко", "given_name": "Андрій", "patronymic": "Петрович", "is_primary": True}
            ],
            reason=f"request {n}",
            birth_date="1991-06-12",
            birth_place="Суми",
        )
        for n in range(2)
    ]
    wait_for_linkage([p.pk for p in twins], "two requests")
    result = link_waiting_persons()
    assert result is not None
    assert (result.new_records, result.proposed, result.already_proposed) == (2, 1, 0)
    assert set(CandidateLink.objects.values_list("person_a_id", "person_b_id")) == {
        (twins[0].pk, twins[1].pk)
    }
    assert result.engine["memory_limit"] and not PendingLinkage.objects.exists()
