from __future__ import annotations

import pytest

from kinlink.scenario import LIST_NAMES, PERSON_LIST_COLUMNS, generate, person_list_rows
from kinlink.scenario.names import given_names, patronymic


def test_same_seed_gives_same_world() -> None:
    a = generate(seed=11, size=300)
    b = generate(seed=11, size=300)
    assert a.soldiers == b.soldiers
    assert a.claims == b.claims
    assert person_list_rows(a, "obituaries") == person_list_rows(b, "obituaries")


def test_other_seed_gives_other_world() -> None:
    assert generate(seed=1, size=200).soldiers != generate(seed=2, size=200).soldiers


@pytest.mark.parametrize("size", [99, 1_000_001])
def test_size_outside_bounds_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="size must be between"):
        generate(seed=1, size=size)


def test_world_has_every_part_and_consistent_truth() -> None:
    world = generate(seed=3, size=2000)
    assert len(world.soldiers) == 2000
    assert {s.side for s in world.soldiers} == {"ru", "ua"}
    soldiers = world.soldier_by_id()
    sites = {s.site_id for s in world.sites}
    for remains in world.remains:
        assert remains.site_id in sites
        if remains.person_id is not None:
            assert soldiers[remains.person_id].fate == "dead"
            assert soldiers[remains.person_id].remains_id == remains.remains_id
    assert any(r.person_id is None for r in world.remains), "unrelated remains exist"
    assert any(s.brother_of for s in world.soldiers), "brothers exist as hard negatives"


def test_lists_overlap_and_follow_the_person_list_format() -> None:
    world = generate(seed=5, size=3000)
    assert set(world.lists) == set(LIST_NAMES)
    members = {name: {r.person_id for r in records} for name, records in world.lists.items()}
    assert members["family_requests"] & members["obituaries"]
    assert members["obituaries"] & members["burial_records"]
    for records in world.lists.values():
        ids = [r.record_id for r in records]
        assert len(ids) == len(set(ids))
        for record in records[:50]:
            assert tuple(record.row) == PERSON_LIST_COLUMNS
            assert record.row["full_name"] or record.row["surname"]


def test_sources_disagree_about_some_fates() -> None:
    world = generate(seed=9, size=1000)
    fates_by_person: dict[str, set[str]] = {}
    for claim in world.claims:
        fates_by_person.setdefault(claim.person_id, set()).add(claim.fate)
    assert sum(1 for fates in fates_by_person.values() if len(fates) > 1) > 50


@pytest.mark.parametrize(
    ("father", "side", "expected"),
    [
        ("Сергей", "ru", "Сергеевич"),
        ("Николай", "ru", "Николаевич"),
        ("Михаил", "ru", "Михайлович"),
        ("Олександр", "ua", "Олександрович"),
        ("Микола", "ua", "Миколайович"),
        ("Андрій", "ua", "Андрійович"),
        ("Юрий", "ru", "Юрьевич"),
        ("Василь", "ua", "Васильович"),
    ],
)
def test_patronymics(father: str, side: str, expected: str) -> None:
    name = next(g for g in given_names() if father in (g.ru, g.uk))
    assert patronymic(name, side) == expected
