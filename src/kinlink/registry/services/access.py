"""Object-level access: which cases, persons and requests a staff member may see.

An organisation sees its own cases, the cases shared with it, and the tracing requests whose
family consented to it. Lab analysts see samples and remains by code only, never persons.
Superusers (administrators of the instance) see everything.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from kinlink.registry.models import Case, Membership, Organisation, Person, Role, TracingRequest

CASE_ROLES = (Role.CASEWORKER, Role.SUPERVISOR, Role.ADMINISTRATOR)


def organisations_of(
    user: AbstractBaseUser | AnonymousUser, roles: tuple[str, ...] = CASE_ROLES
) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    ids = Membership.objects.filter(user_id=user.pk, role__in=roles).values("organisation_id")
    return Organisation.objects.filter(id__in=ids)


def is_superuser(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(getattr(user, "is_superuser", False)) and user.is_authenticated


def cases_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    if is_superuser(user):
        return Case.objects.all()
    orgs = organisations_of(user)
    return Case.objects.filter(Q(organisation__in=orgs) | Q(shared_with__in=orgs)).distinct()


def requests_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[TracingRequest]:
    if is_superuser(user):
        return TracingRequest.objects.all()
    orgs = organisations_of(user)
    return TracingRequest.objects.filter(
        Q(organisation__in=orgs) | Q(consent_organisations__in=orgs)
    ).distinct()


def persons_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Person]:
    if is_superuser(user):
        return Person.objects.all()
    return Person.objects.filter(
        Q(cases__in=cases_visible_to(user)) | Q(tracing_requests__in=requests_visible_to(user))
    ).distinct()


def can_see_person(user: AbstractBaseUser | AnonymousUser, person: Person) -> bool:
    return persons_visible_to(user).filter(pk=person.pk).exists()
