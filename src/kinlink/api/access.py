"""What a partner organisation may see through the API: the organisation-level form of
:mod:`kinlink.registry.services.access` (own cases, cases shared with it, requests whose family consented)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kinlink.registry.models import Case, Organisation, Person, Remains, Sample, TracingRequest

# Each rule is a subquery, never a join through a many-to-many table: no row comes twice, so no DISTINCT
# over whole rows, and a page (ORDER BY id LIMIT n) stays an index walk on large registries.


def cases_of(organisation: Organisation) -> QuerySet[Case]:
    shared = Case.shared_with.through.objects.filter(organisation=organisation).values("case_id")
    return Case.objects.filter(Q(organisation=organisation) | Q(pk__in=shared))


def requests_of(organisation: Organisation) -> QuerySet[TracingRequest]:
    consented = TracingRequest.consent_organisations.through.objects.filter(organisation=organisation).values(
        "tracingrequest_id"
    )
    return TracingRequest.objects.filter(Q(organisation=organisation) | Q(pk__in=consented))


def persons_of(organisation: Organisation) -> QuerySet[Person]:
    return Person.objects.filter(
        Q(pk__in=cases_of(organisation).values("person_id"))
        | Q(pk__in=requests_of(organisation).values("person_id"))
    )


def remains_of(organisation: Organisation) -> QuerySet[Remains]:
    """Remains are case material: those of visible persons' events or identified as visible persons,
    and, for a lab, those whose samples it holds."""
    persons = persons_of(organisation)
    events = Person.events.through.objects.filter(person__in=persons).values("event_id")
    return Remains.objects.filter(
        Q(identified_person__in=persons)
        | Q(event__in=events)
        | Q(pk__in=Sample.objects.filter(lab=organisation, remains__isnull=False).values("remains_id"))
    )


def samples_of(organisation: Organisation) -> QuerySet[Sample]:
    """A lab sees the samples it holds, by code only."""
    return Sample.objects.filter(lab=organisation)
