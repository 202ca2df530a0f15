"""``kinlink demo``: the registry filled from the synthetic scenario, plus the seed case, through the
product's own paths (actions, list imports, the lab's upload, the worker, two staff confirmations).

The seed case is the one that started kinlink (:mod:`kinlink.demo.seed_case`): the unit notifies
"killed", the ministry answers "missing", a comrade says locals buried the bodies. The grave is found and
exhumed, and his remains recovered from it (:mod:`kinlink.demo.field`), with five other men of his unit
missing from the same withdrawal. Its DNA
(:mod:`kinlink.demo.dna`) identifies him; the family is not told, and the caseworker has a task to tell
them in person. The world (:mod:`kinlink.demo.world`) leaves real candidate links in the caseworkers'
"possible matches" queue.

The demo is at the top layer: it may import every app; nothing imports it but ``kinlink.commands`` and
the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from kinlink.demo.accounts import DemoLogin, create_demo_accounts, organisations
from kinlink.demo.dna import (
    DEMO_FREQUENCIES,
    DEMO_MUTATION,
    DEMO_SEED,
    confirm_seed_identification,
    demo_lab_settings,
    register_and_upload,
)
from kinlink.demo.field import repatriation_batch, seed_event_persons, seed_field_work
from kinlink.demo.seed_case import SEED_SITE, SEED_UNIT_NOTICE, SeedCase, build_seed_case, second_request
from kinlink.demo.world import load_world
from kinlink.registry.models import (
    Case,
    Claim,
    Event,
    Organisation,
    Person,
    Remains,
    Site,
    Source,
    SourceKind,
    TracingRequest,
)

__all__ = [
    "DEMO_FREQUENCIES",
    "DEMO_MUTATION",
    "SIZES",
    "DemoError",
    "DemoLogin",
    "DemoSummary",
    "build_demo",
    "seed_case",
]

SIZES = {"small": 1_000, "medium": 20_000}


class DemoError(RuntimeError):
    """The demo cannot be built on this database."""


@dataclass(frozen=True, slots=True)
class DemoSummary:
    created: bool
    logins: list[DemoLogin]
    counts: dict[str, int]
    seed_case_number: str
    #: The seed request's number and its one-time follow-up code ("" when the demo was filled before).
    seed_request_number: str = ""
    family_code: str = ""


def seed_case() -> Case | None:
    """The seed case: the case of the person the unit notice of в/ч 12345 speaks of."""
    claim = (
        Claim.objects.filter(source__kind=SourceKind.UNIT_NOTICE, source__name=SEED_UNIT_NOTICE)
        .order_by("pk")
        .first()
    )
    if claim is None:
        return None
    return Case.objects.filter(person_id=claim.person_id, organisation__slug="poisk").order_by("pk").first()


def _field_record(seed: SeedCase, orgs: dict[str, Organisation]) -> None:
    """The seed case's field record (:mod:`kinlink.demo.field`): the event's other missing men, the grave's
    exhumation and remains, what the examiner and the mother said of him; and a repatriation batch, tied to
    the world's event with the most missing persons."""
    site = Site.objects.select_related("event").get(name=SEED_SITE)
    event = site.event
    if event is None:
        raise DemoError("the seed case's grave lost its event")
    seed_event_persons(event, orgs["poisk"])
    seed_field_work(site, seed.case.person)
    largest = Event.objects.exclude(pk=event.pk).annotate(n=Count("persons")).order_by("-n", "pk").first()
    repatriation_batch(largest)


def build_demo(size: str = "small", step: Callable[[str], None] | None = None) -> DemoSummary:
    """Fill the database once; a second call only returns the logins (and the seed case's number)."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size '{size}' (use one of: {', '.join(SIZES)})")
    report = step or (lambda _: None)
    started = Organisation.objects.filter(slug="poisk").exists()
    with transaction.atomic():
        orgs = organisations()
        logins = create_demo_accounts(orgs)
    existing = seed_case()
    if started and existing is None:
        raise DemoError(
            "an earlier demo build did not finish (or the database holds other data): "
            "start the demo on an empty database"
        )
    code = ""
    if existing is None:
        from kinlink.scenario import generate
        from kinlink.worker import run_worker

        world = generate(seed=DEMO_SEED, size=SIZES[size])
        report(f"generated a world of {len(world.soldiers)} persons")
        with transaction.atomic():  # the lists' linkage is queued when this commits
            load_world(world, orgs, report)  # its tracing requests and lists wait for linkage
            seed = build_seed_case(orgs)
            second_request(orgs)
            report("the seed case")
            _field_record(seed, orgs)  # before the lab's upload: the screening reads this context
            report("the field: the grave, its exhumation, the remains, a repatriation batch")
        with demo_lab_settings():
            with transaction.atomic():  # the upload's screening run is queued when this commits
                register_and_upload(orgs, seed.request)
            run_worker(
                batch=True
            )  # what `kinlink worker --batch` runs: linkage of every new person, screening
            report("the worker: list linkage and DNA screening")
            confirm_seed_identification(seed.request)
        report("DNA: two confirmations of the seed case's identification")
        from kinlink.demo.world import review_world_links

        keep = set(
            TracingRequest.objects.filter(person__in=[seed.case.person]).values_list("person_id", flat=True)
        ) | {seed.case.person_id}
        keep |= set(TracingRequest.objects.filter(relationship="sister").values_list("person_id", flat=True))
        with transaction.atomic():
            accepted = review_world_links(keep)
        report(f"the supervisor's review: {accepted} likely links accepted, the rest wait in the queue")
        from kinlink.registry.services.figures import refresh_public_figures

        refresh_public_figures()  # what the worker does after changes: the figures page is instant
        report("the public figures")
        existing, code = seed.case, seed.access_code
    request = (
        TracingRequest.objects.filter(person=existing.person, relationship="mother").order_by("pk").first()
    )
    counts = {
        "persons": Person.objects.count(),
        "claims": Claim.objects.count(),
        "sources": Source.objects.count(),
        "events": Event.objects.count(),
        "remains": Remains.objects.count(),
        "sites": Site.objects.count(),
        "tracing_requests": TracingRequest.objects.count(),
        "cases": Case.objects.count(),
    }
    return DemoSummary(
        created=not started,
        logins=logins,
        counts=counts,
        seed_case_number=existing.number,
        seed_request_number=request.number if request is not None else "",
        family_code=code,
    )
