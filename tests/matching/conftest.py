"""A small registry with known duplicates of an imported list, and a hard negative."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kinlink.registry import actions
from kinlink.registry.models import Organisation, Person
from tests.factories import WriteList


@dataclass
class Registry:
    org: Organisation
    ivanov: Person  # the same man as list row L1 (Latin script, German spelling)
    shevchuk: Person  # the same man as list row L2 (Ukrainian given-name form)
    namesake: Person  # hard negative: same surname and given name, other father, born 1971
    stranger: Person
    persons: dict[str, Person] = field(default_factory=dict)


def _person(surname: str, given: str, patronymic: str, birth: str, place: str, unit: str = "") -> Person:
    return actions.add_person(
        None,
        names=[{"surname": surname, "given_name": given, "patronymic": patronymic, "is_primary": True}],
        reason="matching test registry",
        birth_date=birth,
        birth_place=place,
        unit=unit,
    )


@pytest.fixture
def registry(db: None) -> Registry:
    org = Organisation.objects.create(name="Search group", slug="search-group")
    ivanov = _person("Iwanow", "Sergej", "Petrowitsch", "1998-04-17", "Kursk", "12345")
    notice = actions.add_source(None, kind="unit_notice", name="Unit notice", date="2022-04-05")
    actions.add_claim(None, ivanov, notice, fate="missing", date="2022-03-30", place="Hostomel")
    actions.open_case(None, ivanov, org)
    shevchuk = _person("Шевчук", "Олександр", "Іванович", "1990-01-02", "Львів")
    namesake = _person("Иванов", "Сергей", "Павлович", "1971-09-09", "Омск")
    stranger = _person("Сидоров", "Андрей", "Ильич", "1977-01-01", "Тула")
    return Registry(org, ivanov, shevchuk, namesake, stranger)


LIST_ROWS = [
    {
        "record_id": "L1",
        "surname": "Иванов",
        "given_name": "Сергей",
        "patronymic": "Петрович",
        "birth_date": "1998-04-17",
        "birth_place": "Курск",
        "unit": "в/ч 12345",
        "event_date": "2022-03-30",
        "event_place": "Гостомель",
    },
    {
        "record_id": "L2",
        "surname": "Шевчук",
        "given_name": "Александр",
        "patronymic": "Иванович",
        "birth_date": "1990-01-02",
        "birth_place": "Львов",
    },
    {
        "record_id": "L3",
        "surname": "Петров",
        "given_name": "Иван",
        "patronymic": "Олегович",
        "birth_date": "1985-05-05",
        "birth_place": "Тула",
    },
]


@pytest.fixture
def prisoner_list(write_list: WriteList) -> Path:
    return write_list([{**row, "source": "prisoners"} for row in LIST_ROWS], name="prisoners.csv")


def imported(path: Path, capture: Any) -> int:
    """Import the list as a user would; the linkage task runs when the transaction commits."""
    from kinlink.registry.services.imports import import_list

    with capture(execute=True):
        result = import_list(path, "prisoner_list", "Prisoners 2022")
    return result.source_id
