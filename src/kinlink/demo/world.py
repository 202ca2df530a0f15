"""The synthetic world (:mod:`kinlink.scenario`) entered into the registry the way its users enter data.

* Caseworkers record the incidents, the burial sites and the recovered remains.
* The units' lists of servicemen reported missing come in as a person-list import (``kinlink
  import-list``'s path); each row becomes a person with a "missing" claim, and the import queues linkage.
* Caseworkers record each notice, ministry letter and testimony as a source with its claim.
* The prisoner list, the obituaries, the burial records and the foreign media come in as list imports
  too, written as such lists are (Ukrainian name forms, diminutives, initials, Latin transliterations):
  new persons that record linkage proposes as the same as the units' ones.
* Families file tracing requests on the web form; caseworkers open a case on each; the new persons are
  linked against the registry (by the caller, with the seed case's requests).

Nothing here writes a model: every write is an action.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kinlink.demo.accounts import staff
from kinlink.lib import csvsafe
from kinlink.registry.actions import (
    CaseOpening,
    FamilyRequest,
    SourceClaim,
    add_events,
    add_sites,
    add_sources_with_claims,
    change_legal_status,
    open_cases,
    register_many_remains,
    submit_tracing_requests,
)
from kinlink.registry.models import (
    Event,
    LegalStatus,
    ListRecord,
    Organisation,
    Person,
    Site,
    SourceKind,
    TracingRequest,
)
from kinlink.registry.services.imports import import_list
from kinlink.scenario.lists import varied_lists
from kinlink.scenario.model import PERSON_LIST_COLUMNS, Soldier, World

#: The lists of the world, imported as lists of these kinds (family requests come in as requests).
LIST_KINDS = {
    "prisoner_list": SourceKind.PRISONER_LIST,
    "obituaries": SourceKind.OBITUARY,
    "burial_records": SourceKind.BURIAL_RECORD,
    "media_list": SourceKind.MEDIA,
}
LIST_NAMES = {
    "prisoner_list": "Список военнопленных (штаб по обмену военнопленными)",
    "obituaries": "Некрологи в региональных газетах",
    "burial_records": "Книги регистрации захоронений на кладбищах",
    "media_list": "Публикации зарубежных СМИ",
}
ROSTER_NAME = "Списки военнослужащих, пропавших без вести, от воинских частей"
#: The reason each side's caseworker gives for opening a case on a family's request, in their language.
CASE_REASON = {"ru": "заявление родственников о розыске", "ua": "заява родичів про розшук"}
#: How many world cases the caseworkers have asked a certificate of disappearance for.
CERTIFICATES_REQUESTED = 10
CERTIFICATE_NOTE = "запрошена справка об обстоятельствах исчезновения (постановление Правительства № 1421)"


def load_world(
    world: World, orgs: dict[str, Organisation], step: Callable[[str], None]
) -> list[TracingRequest]:
    """Enter the world; returns the families' tracing requests (oldest first)."""
    caseworkers = {"ru": staff("caseworker"), "ua": staff("caseworker2")}
    sides = {s.person_id: s.side for s in world.soldiers}
    events, _sites = _places(world, caseworkers["ru"])
    step("events, sites and remains")

    with tempfile.TemporaryDirectory(prefix="kinlink-demo-") as folder:
        persons = _roster(world, Path(folder))
        step("the units' lists of missing servicemen")
        _claims(world, persons, sides, caseworkers, events)
        step("notices, letters and testimonies")
        varied = varied_lists(world, seed=world.seed)
        for list_name, kind in LIST_KINDS.items():
            rows = [r.row for r in varied if r.list_name == list_name]
            _import(Path(folder) / f"{list_name}.csv", rows, kind, LIST_NAMES[list_name])
        step("prisoner, obituary, burial and media lists")
    requests = _requests(world, orgs, sides, caseworkers)
    step("tracing requests and cases")
    return requests


def _places(world: World, actor: Any) -> tuple[dict[str, Event], dict[str, Site]]:
    """The incidents, the burial sites and the recovered remains, each kind in one batch (``add_events``,
    ``add_sites``, ``register_many_remains``)."""
    added = add_events(
        actor,
        [
            {
                "name": e.name,
                "kind": e.kind,
                "date": e.date.isoformat(),
                "place": e.place.name_ru,
                "region": e.place.region,
                "latitude": e.place.lat,
                "longitude": e.place.lon,
                "external_ref": e.event_id,
            }
            for e in world.events
        ],
    )
    events = {e.event_id: event for e, event in zip(world.events, added, strict=True)}
    made = add_sites(
        actor,
        [
            {
                "name": s.name,
                "kind": s.kind,
                "latitude": s.lat,
                "longitude": s.lon,
                "precision_m": s.precision_m,
                "event": events.get(s.event_id or ""),
                "external_ref": s.site_id,
                "exhumation_status": Site.Exhumation.REPORTED,
            }
            for s in world.sites
        ],
    )
    sites = {s.site_id: site for s, site in zip(world.sites, made, strict=True)}
    register_many_remains(
        actor,
        [
            {
                "code": r.remains_id,
                "site": sites[r.site_id],
                "event": sites[r.site_id].event,
                "recovered_on": r.recovered.isoformat(),
                "condition": r.condition,
                "sex_estimate": "M",
            }
            for r in world.remains
        ],
    )
    return events, sites


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csvsafe.DictWriter(handle, fieldnames=list(PERSON_LIST_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _import(path: Path, rows: list[dict[str, str]], kind: str, name: str) -> int:
    """One list through the list import (atomic; queues the list's linkage on commit). Lists as
    published hold bad rows (a birth date in the future): they are skipped, as ``--skip-bad-rows`` does."""
    return import_list(_write(path, rows), kind, name, skip_bad_rows=True).source_id


def _roster_row(
    soldier: Soldier, event_dates: dict[str, str], event_places: dict[str, str]
) -> dict[str, str]:
    return {
        "record_id": f"UNIT-{soldier.person_id}",
        "source": "unit_roster",
        "full_name": f"{soldier.surname} {soldier.given_name} {soldier.patronymic}",
        "surname": soldier.surname,
        "given_name": soldier.given_name,
        "patronymic": soldier.patronymic,
        "birth_date": soldier.birth_date.isoformat(),
        "birth_place": soldier.birth_place.name_uk if soldier.side == "ua" else soldier.birth_place.name_ru,
        "unit": soldier.unit,
        "rank": soldier.rank,
        "event_date": event_dates[soldier.event_id],
        "event_place": event_places[soldier.event_id],
    }


def _roster(world: World, folder: Path) -> dict[str, Person]:
    """The units' lists: one row per serviceman; returns the registry person of each world person."""
    dates = {e.event_id: e.date.isoformat() for e in world.events}
    places = {e.event_id: e.place.name_ru for e in world.events}
    rows = [_roster_row(s, dates, places) for s in world.soldiers]
    source_id = _import(folder / "unit_roster.csv", rows, SourceKind.UNIT_NOTICE, ROSTER_NAME)
    by_record = {
        r.record_id: r.person for r in ListRecord.objects.filter(source_id=source_id).select_related("person")
    }
    return {s.person_id: by_record[f"UNIT-{s.person_id}"] for s in world.soldiers}


def _claims(
    world: World,
    persons: dict[str, Person],
    sides: dict[str, str],
    caseworkers: dict[str, Any],
    events: dict[str, Event],
) -> None:
    """Each notice, letter and testimony as the caseworker of the soldier's side records it: a source and
    its claim, all of one caseworker's in one batch (``add_sources_with_claims``)."""
    about = {c.source_id: c for c in world.claims}
    soldiers = world.soldier_by_id()
    batches: dict[str, list[SourceClaim]] = {side: [] for side in caseworkers}
    for record in world.sources:
        claim = about.get(record.source_id)
        if claim is None:
            continue
        batches[sides[claim.person_id]].append(
            SourceClaim(
                person=persons[claim.person_id],
                kind=record.kind,
                name=record.name,
                date=record.date.isoformat(),
                reliability=record.reliability,
                fate=claim.fate,
                claim_date=claim.date.isoformat() if claim.date else "",
                place=claim.place,
                circumstances=claim.circumstances,
                event=events[soldiers[claim.person_id].event_id],
            )
        )
    for side, rows in batches.items():
        add_sources_with_claims(caseworkers[side], rows)


def _requests(
    world: World, orgs: dict[str, Organisation], sides: dict[str, str], caseworkers: dict[str, Any]
) -> list[TracingRequest]:
    """Each family's request on the web form (all of them in one batch, ``submit_tracing_requests``), and
    the case its organisation opens (one batch per side's caseworker, ``open_cases``)."""
    from kinlink.registry.legal import default_rules

    soldiers = world.soldier_by_id()
    certificate = LegalStatus.CERTIFICATE_REQUESTED
    can_request = certificate in default_rules().transitions.get(LegalStatus.NONE, ())
    families = [f for f in world.families if f.enquirer_id is not None]
    forms: list[FamilyRequest] = []
    for n, family in enumerate(families):
        soldier = soldiers[family.person_id]
        enquirer = next(r for r in family.relatives if r.relative_id == family.enquirer_id)
        side = sides[family.person_id]
        forms.append(
            FamilyRequest(
                surname=soldier.surname,
                given_name=soldier.given_name,
                patronymic=soldier.patronymic,
                sex=soldier.sex,
                birth_date=soldier.birth_date.isoformat(),
                birth_place=soldier.birth_place.name_uk if side == "ua" else soldier.birth_place.name_ru,
                unit=soldier.unit,
                service_number=soldier.service_number,
                enquirer_name=enquirer.full_name,
                relationship=enquirer.relationship,
                contact=f"+7 900 {n + 2:07d}",
                consent_organisations=[orgs["poisk"] if side == "ru" else orgs["nadezhda"]],
                consent_dna=(n + 2) % 3 != 0,
                language=family.language if family.language in ("ru", "uk", "en") else "ru",
            )
        )
    requests = [request for request, _code in submit_tracing_requests(forms)]
    openings: dict[str, list[tuple[int, CaseOpening]]] = {side: [] for side in caseworkers}
    for n, (family, request) in enumerate(zip(families, requests, strict=True)):
        side = sides[family.person_id]
        org = orgs["poisk"] if side == "ru" else orgs["nadezhda"]
        opening = CaseOpening(
            request.person,
            org,
            request=request,
            reason=CASE_REASON[side],
            jurisdiction="RU-participant" if side == "ru" else "UA",
        )
        openings[side].append((n, opening))
    for side, batch in openings.items():
        cases = open_cases(caseworkers[side], [opening for _n, opening in batch])
        for (n, _opening), case in zip(batch, cases, strict=True):
            if can_request and side == "ru" and n < CERTIFICATES_REQUESTED * 2 and n % 2 == 0:
                family = families[n]
                change_legal_status(
                    caseworkers[side],
                    case,
                    certificate,
                    family.request_date or soldiers[family.person_id].fate_date,
                    note=CERTIFICATE_NOTE,
                )
    return requests


#: Candidate links at least this likely are reviewed and accepted by the demo's supervisor, so that the
#: lists overlap as they would after months of work and the public figures carry an estimate; the rest
#: (and every link touching the seed case) wait in the caseworkers' queue.
REVIEWED_LINK_PROBABILITY = 0.999


def review_world_links(keep: set[int]) -> int:
    """The supervisor's review of the world's likeliest candidate links, through ``accept_links`` (one
    batch: each link accepted and merged as ``accept_link`` would, in this order); links of the persons in
    ``keep`` (the seed case's) stay in the queue, and so does a link one of whose persons an earlier link
    merged away (it waits for a person). Returns the number accepted."""
    from kinlink.matching.actions import accept_links
    from kinlink.matching.models import CandidateLink

    supervisor = staff("supervisor")
    links = CandidateLink.objects.filter(
        status=CandidateLink.Status.PROPOSED, match_probability__gte=REVIEWED_LINK_PROBABILITY
    ).order_by("-match_probability", "pk")
    merged = set(Person.objects.filter(merged_into__isnull=False).values_list("pk", flat=True))
    accepted: list[CandidateLink] = []
    for link in links:
        pair = {link.person_a_id, link.person_b_id}
        if pair & keep or pair & merged:
            continue
        accepted.append(link)
        merged.add(link.person_b_id)  # accept_link merges the newer person into the older one
    accept_links(supervisor, accepted, reason="reviewed: same person on both lists")
    return len(accepted)
