"""Adding and retracting claims, and recording sources, with every change in the audit trail."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from kinlink.registry.models import Claim, Event, Organisation, Person, Site, Source
from kinlink.registry.services import audit


class ClaimError(ValueError):
    """A claim change the registry refuses, with the reason."""


@transaction.atomic
def add_source(
    user: AbstractBaseUser,
    *,
    kind: str,
    name: str,
    origin: str = "",
    reference: str = "",
    date: str = "",
    reliability: str = "F",
    organisation: Organisation | None = None,
) -> Source:
    source = Source(
        kind=kind,
        name=name,
        origin=origin,
        reference=reference,
        date=date,
        reliability=reliability,
        organisation=organisation,
        created_by=user,  # type: ignore[misc]
    )
    source.full_clean()
    source.save()
    audit.record(user, "add_source", source, kind=kind)
    return source


@transaction.atomic
def add_claim(
    user: AbstractBaseUser,
    person: Person,
    source: Source,
    *,
    fate: str,
    date: str = "",
    place: str = "",
    circumstances: str = "",
    event: Event | None = None,
    site: Site | None = None,
) -> Claim:
    """Record one statement of ``source`` about ``person``; a linked event also lists the person."""
    claim = Claim(
        person=person,
        source=source,
        fate=fate,
        date=date,
        place=place,
        circumstances=circumstances,
        event=event,
        site=site,
        created_by=user,  # type: ignore[misc]
    )
    claim.full_clean()
    claim.save()
    if event is not None:
        event.persons.add(person)
    audit.record(user, "add_claim", claim, person=str(person.pk), source=str(source.pk), fate=fate)
    return claim


@transaction.atomic
def retract_claim(user: AbstractBaseUser, claim: Claim, reason: str) -> Claim:
    """Withdraw a claim from the reckoning; it stays on record with who withdrew it and why."""
    if claim.retracted_at is not None:
        raise ClaimError("this claim was already retracted")
    if not reason.strip():
        raise ClaimError("say why the claim is retracted")
    claim.retracted_at = timezone.now()
    claim.retracted_by = user  # type: ignore[assignment]
    claim.retraction_reason = reason.strip()
    claim.save(update_fields=["retracted_at", "retracted_by", "retraction_reason"])
    audit.record(user, "retract_claim", claim, reason=reason.strip())
    return claim


@transaction.atomic
def link_event(user: AbstractBaseUser, person: Person, event: Event) -> None:
    event.persons.add(person)
    audit.record(user, "link_event", event, person=str(person.pk))
