"""Caseworker console: the seed case page, claims, search across scripts, audit of reads, legal status."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Case, CaseNote, CaseTask, Claim, NameVariant, TracingRequest
from kinlink.registry.services.family_intake import FamilyRequest
from kinlink.registry.services.search import PersonQuery, name_key, search_persons
from tests.portal.portal_world import World, verified_client


def test_seed_case_shows_conflict_all_three_sources_and_burial_lead(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.get(f"/en/staff/cases/{world.a.case.pk}/").content.decode()
    for source in ("Unit notice a", "Ministry answer", "Comrade testimony"):
        assert source in page
    assert (
        "Conflicts between sources" in page
        and "reports him dead, but Ministry answer reports him missing" in page
    )
    assert "Burial-site lead" in page and "locals buried the bodies" in page
    assert "disputed" in page
    # The field grave is on the map (plain coordinate view without tiles).
    assert "Field grave near Hostomel" in page and 'class="marker site"' in page and "± 300" in page
    # The legal plan: 6 months after the last news (1 June 2022) end on 1 December 2022, but the rule for
    # participants (120-FZ) took effect on 15 May 2023; the caseworker sees the title and the citation.
    assert "Recognition as missing: 6 months without news (participants, 120-FZ)" in page
    assert 'data-rule="ru-participant-recognise"' in page and "in force 15 May 2023" in page
    assert "The period alone ends earlier" in page


def test_case_page_in_russian_translates_the_explanation(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.get(f"/ru/staff/cases/{world.a.case.pk}/").content.decode()
    assert "Хронология" in page and "спорно" in page


def test_case_view_and_contact_view_are_audited(world: World) -> None:
    user = world.a.users["caseworker"]
    client = verified_client(user, world.a.devices["caseworker"])
    client.get(f"/en/staff/cases/{world.a.case.pk}/")
    page = client.get(f"/en/staff/requests/{world.a.request.pk}/").content.decode()
    assert world.a.request.contact in page
    assert AuditEntry.objects.filter(actor=user, action="view_case", object_id=str(world.a.case.pk)).exists()
    assert AuditEntry.objects.filter(
        actor=user, action="view_contact", object_id=str(world.a.request.pk)
    ).exists()


def test_add_claim_from_new_source_with_document(world: World, settings: Any, tmp_path: Any) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    response = client.post(
        f"/en/staff/cases/{world.a.case.pk}/claims/add",
        {
            "source_kind": "prisoner_list",
            "source_name": "Exchange list 2022-09",
            "source_date": "09.2022",
            "reliability": "B",
            "fate": "detained",
            "date": "2022-09",
            "document": SimpleUploadedFile("list.pdf", b"%PDF-1.4 list", content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    claim = Claim.objects.get(source__name="Exchange list 2022-09")
    assert (
        claim.fate == "detained"
        and claim.source.date == "2022-09"
        and claim.created_by == world.a.users["caseworker"]
    )
    assert claim.source.attachments.get().filename == "list.pdf"
    assert AuditEntry.objects.filter(action="add_claim", object_id=str(claim.pk)).exists()


def test_add_claim_linked_to_an_event_lists_the_person_in_it(world: World) -> None:
    from kinlink.registry.models import Event

    event = Event.objects.create(name="Withdrawal near Popasna", date="2022-03-30")
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    response = client.post(
        f"/en/staff/cases/{world.a.case.pk}/claims/add",
        {"source": world.a.claim.source_id, "fate": "dead", "reliability": "B", "event": event.pk},
    )
    assert response.status_code == 302
    assert Claim.objects.filter(event=event, person=world.a.person).exists()
    assert world.a.person in event.persons.all()


def test_add_claim_needs_a_source(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    before = Claim.objects.count()
    response = client.post(
        f"/en/staff/cases/{world.a.case.pk}/claims/add", {"fate": "dead", "reliability": "F"}
    )
    assert response.status_code == 400 and Claim.objects.count() == before


def test_retracting_keeps_the_claim_and_recomputes_the_fate(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    ministry = Claim.objects.get(person=world.a.person, source__name="Ministry answer")
    client.post(
        f"/en/staff/cases/{world.a.case.pk}/claims/{ministry.pk}/retract",
        {"reason": "superseded by the unit"},
    )
    ministry.refresh_from_db()
    assert ministry.is_retracted and ministry.retraction.reason == "superseded by the unit"
    page = client.get(f"/en/staff/cases/{world.a.case.pk}/").content.decode()
    assert "Conflicts between sources" not in page and "Retracted" in page


def test_tasks_notes_and_legal_status(world: World) -> None:
    caseworker = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    caseworker.post(
        f"/en/staff/cases/{world.a.case.pk}/tasks/add", {"title": "Ask the ministry for a certificate"}
    )
    task = CaseTask.objects.get(case=world.a.case)
    caseworker.post(f"/en/staff/cases/{world.a.case.pk}/tasks/{task.pk}/done")
    task.refresh_from_db()
    assert task.done_at is not None
    caseworker.post(f"/en/staff/cases/{world.a.case.pk}/notes/add", {"body": "Mother called"})
    assert CaseNote.objects.get(case=world.a.case).body == "Mother called"
    assert (
        caseworker.post(
            f"/en/staff/cases/{world.a.case.pk}/legal",
            {"to_status": "certificate_requested", "effective_on": "2024-01-10"},
        ).status_code
        == 403
    )
    supervisor = verified_client(world.a.users["supervisor"], world.a.devices["supervisor"])
    supervisor.post(
        f"/en/staff/cases/{world.a.case.pk}/legal",
        {"to_status": "certificate_requested", "effective_on": "2024-01-10"},
    )
    case = Case.objects.get(pk=world.a.case.pk)
    assert case.legal_status == "certificate_requested" and str(case.legal_status_since) == "2024-01-10"
    page = supervisor.get(f"/en/staff/cases/{world.a.case.pk}/").content.decode()
    assert "Certificate of the circumstances of disappearance is due" in page
    bad = supervisor.post(
        f"/en/staff/cases/{world.a.case.pk}/legal",
        {"to_status": "payments_claimed", "effective_on": "2024-02-10"},
    )
    assert bad.status_code == 400


def test_search_finds_the_same_person_in_any_script(world: World) -> None:
    # direct write: no action adds a name to a person already in the registry
    NameVariant.objects.create(person=world.a.person, full_name="Ivanov Sergei")
    user = world.a.users["caseworker"]
    for query in ("Иванов", "Ivanov", "Iwanow", "ivanov sergei", "Іванов"):
        assert [p.pk for p in search_persons(user, PersonQuery(name=query))] == [world.a.person.pk], query
    assert search_persons(user, PersonQuery(name="Petrenko")) == []  # B's person stays invisible to A
    assert search_persons(user, PersonQuery(unit="12a", born_from="1998", born_to="1998")) == [world.a.person]
    assert search_persons(user, PersonQuery(born_from="1999")) == []
    assert search_persons(user, PersonQuery(place="Hostomel")) == [world.a.person]
    assert name_key("Иванов") == name_key("Iwanow") == name_key("IVANOV")


def test_search_page_and_public_has_no_search(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.post("/en/staff/search", {"name": "Ivanov"}).content.decode()
    assert "1 person found" in page and f"/en/staff/persons/{world.a.person.pk}/" in page
    from django.test import Client

    assert Client().post("/en/staff/search", {"name": "Ivanov"}).status_code == 302
    assert Client().get("/en/staff/search", {"name": "Ivanov"}).status_code == 302


def test_open_case_from_a_new_request(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    request, _code = actions.submit_tracing_request(
        FamilyRequest(
            surname="Сидоров", given_name="Иван", relationship="wife", consent_organisations=[world.a.org]
        )
    )
    person = request.person
    assert request.number in client.get("/en/staff/").content.decode()
    response = client.post(f"/en/staff/requests/{request.pk}/open-case")
    case = Case.objects.get(person=person)
    assert response["Location"] == f"/en/staff/cases/{case.pk}/" and case.organisation == world.a.org
    request.refresh_from_db()
    assert request.status == "in_progress"


def test_queues_show_deadlines_and_candidates(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    request, _code = actions.submit_tracing_request(
        FamilyRequest(
            surname="Iwanow",
            given_name="Sergej",
            birth_date="1998",
            relationship="sister",
            consent_organisations=[world.a.org],
        )
    )
    duplicate = request.person
    from kinlink.matching.actions import reject_link
    from kinlink.matching.models import CandidateLink

    # direct write: a candidate with these exact figures (linkage computes its own)
    link = CandidateLink.objects.create(
        person_a=world.a.person, person_b=duplicate, match_probability=0.91, match_weight=3.4, fingerprint="0"
    )
    page = client.get("/en/staff/").content.decode()
    assert world.a.case.number in page  # the recognise-missing deadline is reached
    assert f"/en/staff/links/{link.pk}/" in page and "match probability 0.91" in page
    reject_link(None, link, "not the same man")
    assert f"/en/staff/links/{link.pk}/" not in client.get("/en/staff/").content.decode()


def test_fate_words_in_the_explanation_are_translated(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.get(f"/uk/staff/cases/{world.a.case.pk}/").content.decode()
    assert "Переважна версія: загинув." in page


def test_search_uses_the_linkage_normalisation(world: World) -> None:
    """Ukrainian forms, diminutives and French spelling find the same person; a namesake's father does not."""
    person = actions.add_person(
        None,
        names=[
            {"surname": "Шевчук", "given_name": "Олександр", "patronymic": "Іванович", "is_primary": True}
        ],
        reason="search test",
        birth_date="1990-01-02",
    )
    actions.open_case(None, person, world.a.org)
    user = world.a.users["caseworker"]
    for query in ("Шевчук Александр", "Schewtschuk Sascha", "Chevtchouk", "Shevchuk Oleksandr Ivanovych"):
        assert [p.pk for p in search_persons(user, PersonQuery(name=query))] == [person.pk], query
    assert search_persons(user, PersonQuery(name="Шевчук Александр Петрович")) == []
    assert search_persons(user, PersonQuery(name="Коваленко")) == []


def _deadline_items(page: str, section: str) -> list[str]:
    """The case numbers listed in one deadline section of the home page (``q-deadlines`` or ``q-overdue``)."""
    start = page.index(f'id="{section}"')
    end = page.index("</ul>", start)
    return re.findall(r'/staff/cases/\d+/">([^<]+)</a>', page[start:end])


def test_home_splits_deadlines_ahead_from_overdue_with_real_counts(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.get("/en/staff/").content.decode()
    # The seed case's last news is from 2022: its deadlines are long past, so they are overdue.
    overdue = _deadline_items(page, "q-overdue")
    assert world.a.case.number in overdue
    heading = re.search(r'id="q-overdue">Overdue: (\d+) deadlines? ha(?:s|ve) passed<', page)
    assert heading is not None and int(heading.group(1)) == len(overdue)
    assert "Legal deadlines in the next 90 days (0)" in page and "No legal deadlines coming up." in page
    requests = TracingRequest.objects.filter(
        status=TracingRequest.Status.NEW, consent_organisations=world.a.org
    )
    assert f"New tracing requests ({requests.count()})" in page
    ru = client.get("/ru/staff/").content.decode()
    assert "Правовые сроки в ближайшие 90 дней (0)" in ru and "Просрочен" in ru


def test_home_pages_deadlines_twenty_at_a_time(world: World, monkeypatch: Any) -> None:
    from kinlink.portal import staff

    today = timezone.localdate()
    title = "A court may recognise him as missing"
    rows = [staff.DeadlineRow(world.a.case, title, today + dt.timedelta(days=d), False) for d in range(45)]
    rows += [
        staff.DeadlineRow(world.a.case, title, today - dt.timedelta(days=d), True) for d in range(22, 0, -1)
    ]
    monkeypatch.setattr(staff, "_deadline_queue", lambda cases, day: sorted(rows, key=lambda r: r.earliest))
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.get("/en/staff/").content.decode()
    assert "Legal deadlines in the next 90 days (45)" in page
    assert "Overdue: 22 deadlines have passed" in page
    assert len(_deadline_items(page, "q-deadlines")) == 20 and len(_deadline_items(page, "q-overdue")) == 20
    assert "Page 1 of 3" in page and 'href="?page=2"' in page and 'href="?overdue_page=2"' in page
    last = client.get("/en/staff/?page=3").content.decode()
    assert len(_deadline_items(last, "q-deadlines")) == 5 and "Page 3 of 3" in last
    assert len(_deadline_items(client.get("/en/staff/?overdue_page=2").content.decode(), "q-overdue")) == 2
    # a page number out of range or not a number shows a real page, not an error
    assert client.get("/en/staff/?page=99").status_code == 200
    assert client.get("/en/staff/?page=x").status_code == 200
    # ahead soonest first (today), overdue oldest first (22 days ago), each in its own list
    with translation.override("en"):
        shown_today, shown_oldest = (
            date_filter(day, "SHORT_DATE_FORMAT") for day in (today, today - dt.timedelta(days=22))
        )
    ahead = page[page.index('id="q-deadlines"') : page.index('id="q-overdue"')]
    behind = page[page.index('id="q-overdue"') :]
    assert shown_today in ahead[: ahead.index("</li>")] and shown_oldest not in ahead
    assert shown_oldest in behind[: behind.index("</li>")]
