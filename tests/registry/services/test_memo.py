"""The page memo: a read made once per key inside a block, every time outside one; the merge group read
through it is the same group, and a merge made after the block is seen."""

from __future__ import annotations

from typing import Any

import pytest

from kinlink.registry.models import Person
from kinlink.registry.services.fate import merge_groups
from kinlink.registry.services.memo import page_memo, remembered
from tests.registry.test_actions import request_for


def test_a_read_is_made_once_per_key_inside_a_block_and_every_time_outside() -> None:
    calls: list[str] = []

    def read(key: str) -> str:
        calls.append(key)
        return key.upper()

    assert remembered("a", lambda: read("a")) == "A"
    assert remembered("a", lambda: read("a")) == "A"
    assert calls == ["a", "a"]
    with page_memo():
        assert remembered("a", lambda: read("a")) == "A"
        with page_memo():  # a nested block shares the outer memo
            assert remembered("a", lambda: read("a")) == "A"
        assert remembered("b", lambda: read("b")) == "B"
        assert remembered("a", lambda: read("a")) == "A"
    assert calls == ["a", "a", "a", "b"]
    assert remembered("a", lambda: read("a")) == "A"  # the block is over: read afresh
    assert calls == ["a", "a", "a", "b", "a"]


@pytest.mark.django_db
def test_the_merge_group_is_read_once_inside_a_block_and_a_later_merge_is_seen(
    django_assert_num_queries: Any,
) -> None:
    keep = request_for("Иванов").person
    other = request_for("Иванов").person
    Person.objects.filter(pk=other.pk).update(merged_into=keep)
    with page_memo():
        with django_assert_num_queries(2):  # the first read walks two levels (other, then none)
            first = merge_groups([keep.pk])
        with django_assert_num_queries(0):
            again = merge_groups([keep.pk])
        again[12345] = keep.pk  # a caller's change stays its own
        assert merge_groups([keep.pk]) == first == {keep.pk: keep.pk, other.pk: keep.pk}
    third = request_for("Ivanov").person
    Person.objects.filter(pk=third.pk).update(merged_into=other)
    assert merge_groups([keep.pk]) == {keep.pk: keep.pk, other.pk: keep.pk, third.pk: keep.pk}


@pytest.mark.django_db
def test_an_access_rule_remembered_inside_a_block_gives_each_caller_its_own_copy() -> None:
    from kinlink.registry.services.access import requests_visible_to
    from tests.portal.portal_world import build_world

    world = build_world()
    a, b = world.a, world.b
    user = a.users["caseworker"]
    with page_memo():
        first, second = requests_visible_to(user), requests_visible_to(user)
        assert first is not second
        narrowed = first.filter(pk=a.request.pk)
        assert list(narrowed) == [a.request]
        assert second.filter(pk=b.request.pk).count() == 0  # another organisation's request stays hidden
        assert set(second) == {a.request}  # not narrowed by the first caller's filter
