"""Queries compiled once per process (`registry.services.compiled`) and the checks built on them (the case
access check, the member's organisations and roles), on both databases: the same answers as the querysets
they come from."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from kinlink.portal.roles import roles_of
from kinlink.registry.models import Case, Membership, Organisation, Person, Role
from kinlink.registry.services.access import (
    case_visible,
    cases_visible_to,
    organisation_ids_of,
    organisations_of,
)
from kinlink.registry.services.compiled import CompiledQuery

pytestmark = pytest.mark.django_db

_numbers = count(1)


def make_case(organisation: Organisation, shared: tuple[Organisation, ...] = ()) -> Case:
    n = next(_numbers)
    case = Case.objects.create(number=f"T-{n}", person=Person.objects.create(), organisation=organisation)
    case.shared_with.set(shared)
    return case


def test_a_compiled_query_answers_as_its_queryset_and_compiles_once() -> None:
    persons = [Person.objects.create(birth_date=str(1960 + n)) for n in range(6)]
    built: list[tuple[int, int]] = []

    def build(low: int, high: int) -> QuerySet[Any]:
        built.append((low, high))
        return Person.objects.filter(pk__gte=low, pk__lte=high).order_by("pk").values_list("pk", "birth_date")

    query = CompiledQuery(build, arity=2)
    first, last = persons[0].pk, persons[-1].pk
    for low, high in [(first, last), (first + 2, first + 3), (last, first), (last + 1, last + 9)]:
        expected = list(
            Person.objects.filter(pk__gte=low, pk__lte=high).order_by("pk").values_list("pk", "birth_date")
        )
        assert list(query.rows(low, high)) == expected
    assert len(built) == 1  # compiled once, with the markers
    assert all(value < -(10**18) for value in built[0])


def test_a_value_django_writes_into_the_sql_text_is_never_kept() -> None:
    """A queryset that writes a value as a literal cannot be compiled once: every call compiles it."""
    persons = [Person.objects.create() for _ in range(3)]
    calls = 0

    def build(pk: int) -> QuerySet[Any]:
        nonlocal calls
        calls += 1
        return Person.objects.filter(pk=RawSQL(str(pk), ())).values_list("pk")

    query = CompiledQuery(build, arity=1)
    for person in persons:
        assert list(query.rows(person.pk)) == [(person.pk,)]
    assert calls == 1 + len(persons)  # the refused compilation, then one per call


def test_a_compiled_query_takes_integers_only() -> None:
    query = CompiledQuery(lambda pk: Person.objects.filter(pk=pk).values_list("pk"), arity=1)
    with pytest.raises(TypeError):
        query.rows("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        query.rows(1, 2)


def test_case_visible_agrees_with_cases_visible_to_for_every_member_and_case() -> None:
    """Own cases, cases shared with the member's organisation, other organisations' cases, members of
    two organisations, roles that see no cases (lab analyst), a superuser and an anonymous visitor."""
    users = get_user_model().objects
    north, south, east = (Organisation.objects.create(name=n, slug=n) for n in ("north", "south", "east"))
    lab = Organisation.objects.create(name="lab", slug="lab", is_lab=True)
    cases = [
        make_case(north),
        make_case(north, shared=(south,)),
        make_case(south),
        make_case(east, shared=(north, south)),
        make_case(east),
    ]
    members = {
        "north caseworker": [(north, Role.CASEWORKER)],
        "south supervisor": [(south, Role.SUPERVISOR)],
        "north and east": [(north, Role.CASEWORKER), (east, Role.ADMINISTRATOR)],
        "lab analyst": [(lab, Role.LAB_ANALYST)],
        "east lab analyst": [(east, Role.LAB_ANALYST)],
        "no membership": [],
    }
    people: list[Any] = []
    for name, memberships in members.items():
        user = users.create_user(username=name.replace(" ", "-"), password="x")
        for organisation, role in memberships:
            Membership.objects.create(user=user, organisation=organisation, role=role)
        people.append(user)
    people.append(users.create_superuser(username="root", password="x"))
    unknown = max(case.pk for case in cases) + 1000
    for user in people:
        visible = set(cases_visible_to(user).values_list("pk", flat=True))
        for case in cases:
            assert case_visible(user, case.pk) == (case.pk in visible), (user.username, case.number)
        assert not case_visible(user, unknown)
        members_orgs = sorted(organisations_of(user).values_list("pk", flat=True))
        assert organisation_ids_of(user) == members_orgs
        memberships = set(Membership.objects.filter(user=user).values_list("role", flat=True))
        assert roles_of(user) == memberships
    seen = {user.username: {c.pk for c in cases if case_visible(user, c.pk)} for user in people}
    assert seen["north-caseworker"] == {cases[0].pk, cases[1].pk, cases[3].pk}
    assert seen["lab-analyst"] == seen["east-lab-analyst"] == seen["no-membership"] == set()
    assert seen["root"] == {case.pk for case in cases}
    assert not any(case_visible(AnonymousUser(), case.pk) for case in cases)
    assert organisation_ids_of(AnonymousUser()) == [] and roles_of(AnonymousUser()) == set()
    assert organisation_ids_of(people[2]) == sorted([north.pk, east.pk])  # both organisations
    assert roles_of(people[2]) == {Role.CASEWORKER, Role.ADMINISTRATOR}
