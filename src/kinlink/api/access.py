"""What a partner organisation may see through the API: the organisation-level form of
:mod:`kinlink.registry.services.access` (own cases, cases shared with it, requests whose family consented)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kinlink.registry.models import Case, Organisation, Person, Remains, Sample, TracingRequest


def cases_of(organisation: Organisation) -> QuerySet[Case]:
    return Case.objects.filter(Q(organisation=organisation) | Q(shared_with=organisation)).distinct()


def requests_of(organisation: Organisation) -> QuerySet[TracingRequest]:
    return TracingRequest.objects.filter(
        Q(organisation=organisation) | Q(consent_organisations=organisation)
    ).distinct()


def persons_of(organisation: Organisation) -> QuerySet[Person]:
    return Person.objects.filter(
        Q(cases__in=cases_of(organisation)) | Q(tracing_requests__in=requests_of(organisation))
    ).distinct()


def remains_of(organisation: Organisation) -> QuerySet[Remains]:
    """Remains are case material: those of visible persons' events or identified as visible persons,
    and, for a lab, those whose samples it holds."""
    persons = persons_of(organisation)
    return Remains.objects.filter(
        Q(identified_person__in=persons) | Q(event__persons__in=persons) | Q(samples__lab=organisation)
    ).distinct()


def samples_of(organisation: Organisation) -> QuerySet[Sample]:
    """A lab sees the samples it holds, by code only."""
    return Sample.objects.filter(lab=organisation)
