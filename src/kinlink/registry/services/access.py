"""Object-level access: which cases, persons and requests a staff member may see.

An organisation sees its own cases, the cases shared with it, and the tracing requests whose
family consented to it. Lab analysts see samples and remains by code only, never persons.
Superusers (administrators of the instance) see everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from kinlink.registry.models import (
    Case,
    Claim,
    Membership,
    Organisation,
    Person,
    Role,
    Source,
    SourceKind,
    TracingRequest,
)
from kinlink.registry.services.compiled import CompiledQuery
from kinlink.registry.services.memo import remembered

CASE_ROLES = (Role.CASEWORKER, Role.SUPERVISOR, Role.ADMINISTRATOR)


def organisations_of(
    user: AbstractBaseUser | AnonymousUser, roles: tuple[str, ...] = CASE_ROLES
) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()

    def build() -> QuerySet[Organisation]:
        ids = Membership.objects.filter(user_id=user.pk, role__in=roles).values("organisation_id")
        return Organisation.objects.filter(id__in=ids)

    # built once per member inside a ``page_memo`` block; each caller gets its own (unevaluated) copy
    return remembered(("organisations_of", user.pk, roles), build).all()


def is_superuser(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(getattr(user, "is_superuser", False)) and user.is_authenticated


def cases_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    if is_superuser(user):
        return Case.objects.all()
    orgs = organisations_of(user)
    # subqueries, not a join through the shares: no duplicate rows, so no DISTINCT over every case (and
    # counts, orders and slices of the consoles stay cheap on large registries)
    shared = Case.shared_with.through.objects.filter(organisation__in=orgs).values("case_id")
    return Case.objects.filter(Q(organisation__in=orgs) | Q(pk__in=shared))


def _member(user_id: int) -> AbstractBaseUser:
    """A stand-in for the member ``user_id`` (not a superuser), for compiling their queries."""
    from django.contrib.auth import get_user_model

    return get_user_model()(pk=user_id)


#: ``cases_visible_to`` a member (not a superuser), narrowed to one case: compiled once per process.
_CASE_VISIBLE = CompiledQuery(
    lambda user_id, case_id: cases_visible_to(_member(user_id)).filter(pk=case_id).values_list("pk")[:1],
    arity=2,
)


#: The ids of ``organisations_of`` a member (case roles): compiled once per process.
_ORGANISATION_IDS = CompiledQuery(
    lambda user_id: organisations_of(_member(user_id)).values_list("pk"), arity=1
)


def organisation_ids_of(user: AbstractBaseUser | AnonymousUser) -> list[int]:
    """The ids of ``organisations_of(user)`` (the case roles), in order: the same SQL, compiled once, for
    the consoles' fragments, which ask it on every view."""
    if not user.is_authenticated:
        return []
    assert isinstance(user.pk, int)
    return sorted(pk for (pk,) in _ORGANISATION_IDS.rows(user.pk))


def case_visible(user: AbstractBaseUser | AnonymousUser, case_id: int) -> bool:
    """Whether ``cases_visible_to(user)`` holds the case ``case_id``: the same question in the same SQL,
    compiled once (:mod:`kinlink.registry.services.compiled`), for the check every view of a kept case
    page makes."""
    if not user.is_authenticated:
        return False
    if is_superuser(user):
        return Case.objects.filter(pk=case_id).exists()
    assert isinstance(user.pk, int)
    return bool(_CASE_VISIBLE.rows(user.pk, case_id))


def requests_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[TracingRequest]:
    if is_superuser(user):
        return TracingRequest.objects.all()

    def build() -> QuerySet[TracingRequest]:
        orgs = organisations_of(user)
        through = TracingRequest.consent_organisations.through
        consented = through.objects.filter(organisation__in=orgs).values("tracingrequest_id")
        return TracingRequest.objects.filter(Q(organisation__in=orgs) | Q(pk__in=consented))

    # built once per member inside a ``page_memo`` block; each caller gets its own (unevaluated) copy
    return remembered(("requests_visible_to", user.pk), build).all()


def requests_of_labs(labs: Iterable[Organisation]) -> QuerySet[TracingRequest]:
    """The tracing requests a lab works for: those held by an organisation (the one the family wrote to
    or one it consented to) that works with the lab (``Organisation.labs``), or held by the lab itself.
    Any other request is, to the lab, exactly as if it did not exist: the pedigree import and the
    reference registration answer both with the same words."""
    ids = [lab.pk for lab in labs]
    return TracingRequest.objects.filter(
        Q(organisation_id__in=ids)
        | Q(consent_organisations__in=ids)
        | Q(organisation__labs__in=ids)
        | Q(consent_organisations__labs__in=ids)
    ).distinct()


def requests_of_case(case: Case) -> QuerySet[TracingRequest]:
    """The tracing requests a case answers: those on the case's person that the case's organisation holds
    or was consented to. A family whose request names the same person through another organisation (after
    a merge) is not among them."""
    return (
        TracingRequest.objects.filter(person_id=case.person_id)
        .filter(Q(organisation_id=case.organisation_id) | Q(consent_organisations=case.organisation_id))
        .distinct()
    )


def persons_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Person]:
    if is_superuser(user):
        return Person.objects.all()
    return Person.objects.filter(
        Q(pk__in=cases_visible_to(user).values("person_id"))
        | Q(pk__in=requests_visible_to(user).values("person_id"))
    )


def can_see_person(user: AbstractBaseUser | AnonymousUser, person: Person) -> bool:
    return persons_visible_to(user).filter(pk=person.pk).exists()


def sources_writable_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Source]:
    """The sources a staff member may add to or retract from (attach files, retract their claims): those of
    the member's organisations, a family's report only when its request is visible to the member, and the
    registry's shared sources that belong to no organisation (lists, unit notices). Another organisation's
    source is not among them, even when its claims are read on a merged person's case page."""
    if is_superuser(user):
        return Source.objects.all()
    orgs = organisations_of(user)
    family_reports = Q(kind=SourceKind.FAMILY_REPORT)
    visible_numbers = requests_visible_to(user).values("number")
    return Source.objects.filter(
        Q(organisation__in=orgs)
        | (family_reports & Q(reference__in=visible_numbers))
        | (Q(organisation__isnull=True) & ~family_reports)
    )


def claims_retractable_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Claim]:
    """The claims a staff member may retract: those of the sources the member may write to."""
    return Claim.objects.filter(source__in=sources_writable_by(user))
