"""The caseworker console: queues, search, tracing requests, and the case page with its actions.

Every object is looked up through the registry's access functions, so a case of another
organisation is simply not found (404), exactly like a case that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kinlink.documents.court import default_kind as default_application
from kinlink.documents.legal import case_legal_view
from kinlink.identification.services import PENDING as DNA_PENDING
from kinlink.lib.formats import format_decimal
from kinlink.matching.models import CandidateLink
from kinlink.matching.services import open_links_visible_to
from kinlink.portal import fragments, pagecache
from kinlink.portal.forms import (
    RELATIONSHIP_LABELS,
    ClaimForm,
    CourtApplicationForm,
    DocumentForm,
    LegalStatusForm,
    LinkEventForm,
    NoteForm,
    PersonSearchForm,
    RetractForm,
    StaffMessageForm,
    TaskForm,
    UpdateForm,
)
from kinlink.portal.identifications import candidates_visible_to, case_candidates, pending_for_home
from kinlink.portal.inquiries import BoundForms, case_inquiries, letter_language, overdue_inquiries
from kinlink.portal.maps import MapPoint, build_map
from kinlink.portal.roles import caseworker_required, roles_of, staff_required
from kinlink.registry import actions
from kinlink.registry.crypto import DecryptionError
from kinlink.registry.fate import FateAssessment
from kinlink.registry.legal import LegalStatusError, default_rules
from kinlink.registry.legalplan import PlanInputError, build_plan
from kinlink.registry.models import (
    Attachment,
    Case,
    CaseTask,
    Claim,
    Event,
    FamilyMessage,
    FamilyUpdate,
    Fate,
    NameVariant,
    Person,
    Remains,
    Role,
    Sample,
    Site,
    Source,
    SourceKind,
    TracingRequest,
)
from kinlink.registry.services import audit
from kinlink.registry.services.access import (
    case_visible,
    cases_visible_to,
    claims_retractable_by,
    is_superuser,
    organisations_of,
    persons_visible_to,
    requests_visible_to,
    sources_writable_by,
)
from kinlink.registry.services.attachments import read_attachment
from kinlink.registry.services.fate import (
    assess_person,
    command_notice_dates,
    identified_on,
    last_news_values,
    person_claims,
    plan_facts,
)
from kinlink.registry.services.memo import page_memo, remembered
from kinlink.registry.services.search import PersonQuery, search_persons
from kinlink.registry.services.uploads import UploadError

QUEUE_DAYS = 30
DEADLINE_HORIZON_DAYS = 90
#: Deadlines per page on the staff home page (``?page=`` for those ahead, ``?overdue_page=`` for overdue).
DEADLINE_PAGE_SIZE = 20
#: The most rows of one queue shown on the home page; its heading always gives the real count, and a link
#: leads to the whole queue (``staff_queue``: ``portal:queue_cases``..., pages of ``QUEUE_PAGE_SIZE``).
HOME_LIST_LIMIT = 10
#: Rows per page of a whole queue (``staff_queue``).
QUEUE_PAGE_SIZE = 50
supervisor_required = staff_required((Role.SUPERVISOR, Role.ADMINISTRATOR))


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    case: Case
    title: str
    earliest: dt.date
    reached: bool


@dataclass(frozen=True, slots=True)
class CandidateRow:
    kind: str
    person: Person
    other: Person | None
    reason: str
    link_id: int | None = None


def _deadline_queue(cases: QuerySet[Case], today: dt.date) -> list[DeadlineRow]:
    """Open cases whose next legal steps fall within the horizon, soonest first: the dated steps of each
    case's legal plan (``registry.legalplan``; the inquiries' reply dates have their own queue).

    The last news of every case's person is read at once, by the registry's one definition
    (``registry.services.fate.last_news_values``), and so are the units' notices of death.
    """
    open_cases = list(cases.filter(status=Case.Status.OPEN).select_related("person"))
    person_ids = {c.person_id for c in open_cases}
    last_news = last_news_values(person_ids)
    notices = command_notice_dates(person_ids)
    # an identified person's next step is registering the death (few persons: read one by one)
    identified = {
        c.person_id: identified_on(c.person) for c in open_cases if c.person.fate == Fate.IDENTIFIED
    }
    rules = default_rules()
    horizon = today + dt.timedelta(days=DEADLINE_HORIZON_DAYS)
    rows: list[DeadlineRow] = []
    for case in open_cases:
        facts = plan_facts(
            case,
            today,
            last_news=last_news.get(case.person_id),
            identified=identified.get(case.person_id),
            command_notice=notices.get(case.person_id),
        )
        try:
            steps = build_plan(facts, rules).steps
        except (LegalStatusError, PlanInputError):
            continue
        rows.extend(
            DeadlineRow(case, s.title, s.date, s.reached)
            for s in steps
            if s.date is not None and s.date <= horizon and s.action != "reply_due"
        )
    rows.sort(key=lambda r: r.earliest)
    return rows


def _deadline_entries(user: Any, today: dt.date) -> list[tuple[int, str, dt.date, bool]]:
    """Every deadline of the cases ``user`` sees as (case id, title, date, reached), soonest first: a cached
    fragment (:mod:`kinlink.portal.fragments`), since the legal plan of every open case is computed for it
    (seconds on a large registry): renewed off the request after a write, its last value served meanwhile."""

    def compute() -> list[tuple[int, str, dt.date, bool]]:
        return [
            (r.case.pk, r.title, r.earliest, r.reached)
            for r in _deadline_queue(cases_visible_to(user), today)
        ]

    return fragments.cached(
        "deadlines", (fragments.scope_of(user), today.isoformat()), compute, background=True
    )


def _deadline_pages(
    entries: list[tuple[int, str, dt.date, bool]], today: dt.date, ahead_page: Any, overdue_page: Any
) -> tuple[Page[Any], Page[Any], int, int]:
    """The shown page of the deadlines ahead and of the overdue ones, their rows with their cases read in
    one query (only the rows shown: 2 x ``DEADLINE_PAGE_SIZE`` at most)."""
    ahead = [e for e in entries if e[2] >= today]
    overdue = [e for e in entries if e[2] < today]
    pages: tuple[Page[Any], Page[Any]] = (
        Paginator(ahead, DEADLINE_PAGE_SIZE).get_page(ahead_page),
        Paginator(overdue, DEADLINE_PAGE_SIZE).get_page(overdue_page),
    )
    ids = {e[0] for page in pages for e in page.object_list}
    cases = Case.objects.filter(pk__in=ids).select_related("person").prefetch_related("person__names")
    by_id = {case.pk: case for case in cases}
    for page in pages:
        page.object_list = [
            DeadlineRow(by_id[e[0]], e[1], e[2], e[3]) for e in page.object_list if e[0] in by_id
        ]
    return pages[0], pages[1], len(ahead), len(overdue)


#: Encrypted columns a list never shows: deferred, so that no row decrypts them (about 100 µs a field).
REQUEST_SECRETS = ("enquirer_name", "contact", "circumstances")


def _candidate_queue(user: Any) -> list[CandidateRow]:
    """Candidate matches: DNA matches awaiting review, and record-linkage links awaiting a decision."""
    rows: list[CandidateRow] = []
    for sample in (
        Sample.objects.filter(status=Sample.Status.MATCHED, tracing_request__in=requests_visible_to(user))
        .select_related("tracing_request__person")
        .prefetch_related("tracing_request__person__names")
        .defer("profile", *(f"tracing_request__{f}" for f in REQUEST_SECRETS))
        .order_by("-created", "pk")[: HOME_LIST_LIMIT // 2]
    ):
        person = sample.tracing_request.person if sample.tracing_request else None
        if person is not None:
            rows.append(
                CandidateRow("dna", person, None, _("DNA sample %(code)s matched") % {"code": sample.code})
            )
    links = (
        CandidateLink.objects.filter(pk__in=_home_lists(user)["links"], status=CandidateLink.Status.PROPOSED)
        .select_related("person_a", "person_b")
        .prefetch_related("person_a__names", "person_b__names")
        .defer("explanation")
        .order_by("-match_weight", "pk")[: HOME_LIST_LIMIT - len(rows)]
    )
    for link in links:
        rows.append(
            CandidateRow(
                "linkage",
                link.person_a,
                link.person_b,
                _("match probability %(p)s")
                % {"p": format_decimal(link.match_probability, get_language() or "en")},
                link.pk,
            )
        )
    return rows


def _home_lists(user: Any) -> dict[str, list[int]]:
    """Which rows the home page's longest lists show (the newest claims and open cases, the strongest
    links): a cached fragment of ids, since finding them reads every visible row. The rows themselves are
    read by id on each view, and dropped there when they left the list since (a decided link, a closed
    case)."""

    def compute() -> dict[str, list[int]]:
        recent = timezone.now() - dt.timedelta(days=QUEUE_DAYS)
        return {
            "new_claims": list(
                _new_claims(user, recent).order_by("-created").values_list("pk", flat=True)[:HOME_LIST_LIMIT]
            ),
            "open_cases": list(
                cases_visible_to(user)
                .filter(status=Case.Status.OPEN)
                .order_by("-opened_at")
                .values_list("pk", flat=True)[:HOME_LIST_LIMIT]
            ),
            "links": list(
                open_links_visible_to(user)
                .order_by("-match_weight", "pk")
                .values_list("pk", flat=True)[:HOME_LIST_LIMIT]
            ),
        }

    return fragments.cached("home-lists", (fragments.scope_of(user),), compute)


def _home_counts(user: Any, today: dt.date) -> dict[str, int]:
    """The queues' real sizes (the lists show the newest ``HOME_LIST_LIMIT``): a cached fragment."""

    def compute() -> dict[str, int]:
        recent = timezone.now() - dt.timedelta(days=QUEUE_DAYS)
        requests = requests_visible_to(user)
        return {
            "new_requests_count": requests.filter(status=TracingRequest.Status.NEW).count(),
            "family_messages_count": FamilyMessage.objects.filter(
                tracing_request__in=requests, from_family=True, created__gte=recent
            ).count(),
            "new_claims_count": _new_claims(user, recent).count(),
            "open_cases_count": cases_visible_to(user).filter(status=Case.Status.OPEN).count(),
            "dna_candidates_count": candidates_visible_to(user).filter(status__in=DNA_PENDING).count(),
        }

    return fragments.cached("home-counts", (fragments.scope_of(user), today.isoformat()), compute)


def _new_claims(user: Any, since: dt.datetime) -> QuerySet[Claim]:
    """The claims on the persons ``user`` sees (``persons_visible_to``: those of the cases and the requests
    they see) made since ``since``, but a family's own. The persons are matched on the claim's person id in
    the cases' and the requests' subqueries, not through ``person__in``: PostgreSQL took that for a join it
    could stop early, and compared every recent claim with every visible person (7 s on the medium demo,
    against 0.1 s)."""
    claims = Claim.objects.filter(created__gte=since).exclude(source__kind=SourceKind.FAMILY_REPORT)
    if is_superuser(user):
        return claims
    return claims.filter(
        Q(person_id__in=cases_visible_to(user).values("person_id"))
        | Q(person_id__in=requests_visible_to(user).values("person_id"))
    )


def _page_number(value: str | None) -> int:
    """A page number asked for in the address, as a small integer (a fragment's key holds it)."""
    return int(value) if value and value.isdigit() and len(value) <= 6 else 1


def _home_queues(user: Any, today: dt.date, asked: dict[str, int]) -> dict[str, Any]:
    """What the home page's queues show: short lists (``HOME_LIST_LIMIT`` rows, or pages of
    ``DEADLINE_PAGE_SIZE``) and the queues' real sizes."""
    recent = timezone.now() - dt.timedelta(days=QUEUE_DAYS)
    requests = requests_visible_to(user)
    deadlines, overdue, deadlines_count, overdue_count = _deadline_pages(
        _deadline_entries(user, today), today, asked["page"], asked["overdue_page"]
    )
    overdue_asked = Paginator(overdue_inquiries(user, today), DEADLINE_PAGE_SIZE).get_page(
        asked["inquiry_page"]
    )
    lists = _home_lists(user)
    return {
        "new_requests": requests.filter(status=TracingRequest.Status.NEW)
        .select_related("person")
        .prefetch_related("person__names")
        .defer(*REQUEST_SECRETS)
        .order_by("-submitted_at")[:HOME_LIST_LIMIT],
        "family_messages": FamilyMessage.objects.filter(
            tracing_request__in=requests, from_family=True, created__gte=recent
        )
        .select_related("tracing_request")
        .defer(*(f"tracing_request__{f}" for f in REQUEST_SECRETS))
        .order_by("-created")[:HOME_LIST_LIMIT],
        "new_claims": Claim.objects.filter(pk__in=lists["new_claims"], created__gte=recent)
        .select_related("source", "person")
        .prefetch_related("person__names")
        .defer("circumstances")
        .order_by("-created")[:HOME_LIST_LIMIT],
        "candidates": _candidate_queue(user),
        "dna_candidates": pending_for_home(user, limit=HOME_LIST_LIMIT),
        "deadlines": deadlines,
        "deadlines_count": deadlines_count,
        "overdue": overdue,
        "overdue_count": overdue_count,
        "horizon_days": DEADLINE_HORIZON_DAYS,
        "overdue_inquiries": overdue_asked,
        "overdue_inquiries_count": overdue_asked.paginator.count,
        "open_cases": Case.objects.filter(pk__in=lists["open_cases"], status=Case.Status.OPEN)
        .select_related("person", "organisation")
        .prefetch_related("person__names")
        .order_by("-opened_at")[:HOME_LIST_LIMIT],
        "list_limit": HOME_LIST_LIMIT,
        **_home_counts(user, today),
    }


@caseworker_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """The queues, each a short list with its real count and a link to the whole queue. The queues are the
    same for every member of the same organisations, so their HTML is a cached fragment
    (:mod:`kinlink.portal.fragments`: keyed by the reader's organisations, the language, the day, the pages
    asked for and the data version); the page's cost does not grow with the registry, and a view served
    from the fragment asks only the session's and the sign-in's queries."""
    user = request.user
    today = timezone.localdate()
    asked = {name: _page_number(request.GET.get(name)) for name in ("page", "overdue_page", "inquiry_page")}

    def compute() -> str:
        return str(render_to_string("portal/staff/_queues.html", _home_queues(user, today, asked)))

    queues = fragments.cached(
        "home-queues",
        (fragments.scope_of(user), get_language() or "", today.isoformat(), *asked.values()),
        compute,
    )
    # the fragment is HTML this template rendered itself (every value escaped there)
    return render(request, "portal/staff/home.html", {"queues": mark_safe(queues)})


#: The whole queues linked from the home page: (title, queryset of ``user``'s rows, newest first).
def _queue_rows(user: Any, queue: str) -> tuple[str, QuerySet[Any]]:
    recent = timezone.now() - dt.timedelta(days=QUEUE_DAYS)
    requests = requests_visible_to(user)
    if queue == "requests":
        return _("New tracing requests"), (
            requests.filter(status=TracingRequest.Status.NEW)
            .select_related("person")
            .prefetch_related("person__names")
            .defer(*REQUEST_SECRETS)
            .order_by("-submitted_at", "-pk")
        )
    if queue == "messages":
        return _("Messages from families"), (
            FamilyMessage.objects.filter(tracing_request__in=requests, from_family=True, created__gte=recent)
            .select_related("tracing_request")
            .defer(*(f"tracing_request__{f}" for f in REQUEST_SECRETS))
            .order_by("-created", "-pk")
        )
    if queue == "claims":
        return _("New claims"), (
            _new_claims(user, recent)
            .select_related("source", "person")
            .prefetch_related("person__names")
            .defer("circumstances")
            .order_by("-created", "-pk")
        )
    if queue == "cases":
        return _("Open cases"), (
            cases_visible_to(user)
            .filter(status=Case.Status.OPEN)
            .select_related("person", "organisation")
            .prefetch_related("person__names")
            .order_by("-opened_at", "-pk")
        )
    raise Http404("no such queue")


@caseworker_required
def staff_queue(request: HttpRequest, queue: str) -> HttpResponse:
    """One whole queue of the home page (new requests, families' messages, new claims, open cases), in
    pages of ``QUEUE_PAGE_SIZE``."""
    title, rows = _queue_rows(request.user, queue)
    page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/staff/queue.html",
        {"title": title, "queue": queue, "rows": page, "count": page.paginator.count},
    )


@caseworker_required
@require_http_methods(["GET", "POST"])
def staff_search(request: HttpRequest) -> HttpResponse:
    """Search by POST, answered in place (no redirect): the names searched for never appear in an address,
    so no access log, proxy log or browser history holds them. A GET shows the empty form and ignores any
    query in its address."""
    form = PersonSearchForm(request.POST if request.method == "POST" else None)
    results: list[Person] | None = None
    if form.is_bound and form.is_valid() and any(form.cleaned_data.values()):
        query = PersonQuery(**form.cleaned_data)
        results = search_persons(request.user, query)
        audit.record(
            request.user,
            audit.Action.SEARCH_PERSONS,
            None,
            object_type="person",
            object_id="*",
            results=len(results),
        )
    return render(request, "portal/staff/search.html", {"form": form, "results": results})


@caseworker_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tracing_request = get_object_or_404(requests_visible_to(request.user).select_related("person"), pk=pk)
    audit.record(request.user, audit.Action.VIEW_CONTACT, tracing_request)
    cases = cases_visible_to(request.user).filter(person=tracing_request.person)
    own_orgs = organisations_of(request.user)
    return render(
        request,
        "portal/staff/request.html",
        {
            "tracing_request": tracing_request,
            "person": tracing_request.person,
            "relationship": RELATIONSHIP_LABELS.get(
                tracing_request.relationship, tracing_request.relationship
            ),
            "cases": cases,
            "can_open_case": own_orgs.exists() and not cases.filter(organisation__in=own_orgs).exists(),
            "consented": tracing_request.consent_organisations.all(),
            "thread": FamilyMessage.objects.filter(tracing_request=tracing_request).select_related("author"),
            "contact_days": settings.KINLINK_RETENTION_DAYS["closed_request_contacts"],
        },
    )


@require_POST
@caseworker_required
def open_case(request: HttpRequest, pk: int) -> HttpResponse:
    tracing_request = get_object_or_404(requests_visible_to(request.user), pk=pk)
    organisation = organisations_of(request.user).order_by("name").first()
    if organisation is None:
        raise PermissionDenied
    case = actions.open_case(
        request.user,
        tracing_request.person,
        organisation,
        request=tracing_request,
        assigned_to=request.user,
    )
    return HttpResponseRedirect(reverse("portal:case", kwargs={"pk": case.pk}))


@require_POST
@caseworker_required
def close_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a request the caller's organisation works on; its contact details expire after the retention
    period (``closed_request_contacts``)."""
    tracing_request = get_object_or_404(requests_visible_to(request.user), pk=pk)
    if tracing_request.status != TracingRequest.Status.CLOSED:
        actions.close_tracing_request(request.user, tracing_request)
        messages.success(request, _("The request is closed."))
    return HttpResponseRedirect(reverse("portal:staff_request", kwargs={"pk": tracing_request.pk}))


def _source_ids(user: Any, person: Person) -> list[int]:
    """The ids of the sources of the person's claims and of the member's organisations, each set read by
    its own index: one query with ``id IN (...) OR organisation_id IN (...)`` reads every source of the
    registry (PostgreSQL cannot use an index for such an OR of subqueries)."""

    def read() -> list[int]:
        ids = set(person_claims(person).values_list("source_id", flat=True))
        own = Source.objects.filter(organisation__in=organisations_of(user))
        ids.update(own.values_list("pk", flat=True))
        return sorted(ids)

    return remembered(("case_source_ids", user.pk, person.pk), read)


def _sources_for(user: Any, person: Person) -> QuerySet[Source]:
    return Source.objects.filter(pk__in=_source_ids(user, person)).order_by("-created")


def _writable_sources(user: Any, person: Person) -> QuerySet[Source]:
    """The sources of the case page a staff member may attach a file to (``access.sources_writable_by``):
    its conditions checked on the page's few sources (by id), not on the whole registry's."""
    return sources_writable_by(user).filter(pk__in=_source_ids(user, person)).order_by("-created")


def _refuse_foreign_source(request: HttpRequest, person: Person) -> None:
    """404 when the posted source is one the member may read but not write to (another organisation's):
    answered as an unknown source is."""
    chosen = request.POST.get("source", "")
    if not chosen:
        return
    source_id = int(chosen) if chosen.isdigit() and len(chosen) <= 12 else 0
    if not _writable_sources(request.user, person).filter(pk=source_id).exists():
        raise Http404("no such source")


def _map_points(person: Person, claims: list[Claim]) -> list[MapPoint]:
    points: list[MapPoint] = []
    seen_sites: set[int] = set()
    # sites and remains by subqueries on their own indexes, not joins made unique again by DISTINCT
    event_ids = Event.persons.through.objects.filter(person_id=person.pk).values("event_id")
    sites = list(
        Site.objects.filter(
            Q(pk__in=Claim.objects.filter(person=person, site__isnull=False).values("site_id"))
            | Q(event_id__in=event_ids)
        )
    )
    for site in sites:
        if site.latitude is not None and site.longitude is not None:
            seen_sites.add(site.pk)
            points.append(
                MapPoint(
                    site.latitude,
                    site.longitude,
                    f"{site.name} ({site.get_kind_display()})",
                    "site",
                    site.precision_m,
                )
            )
    remains = Remains.objects.filter(Q(identified_person=person) | Q(event_id__in=event_ids)).select_related(
        "site"
    )
    for item in remains:
        if item.site is not None and item.site.latitude is not None and item.site.longitude is not None:
            label = _("Remains %(code)s at %(site)s") % {"code": item.code, "site": item.site.name}
            points.append(
                MapPoint(item.site.latitude, item.site.longitude, label, "remains", item.site.precision_m)
            )
    for claim in claims:
        if claim.latitude is not None and claim.longitude is not None and claim.site_id not in seen_sites:
            points.append(
                MapPoint(
                    claim.latitude,
                    claim.longitude,
                    f"{claim.source.name}: {claim.place}",
                    "claim",
                    claim.place_precision_m,
                )
            )
    return points


def _threads(requests: list[TracingRequest]) -> list[dict[str, Any]]:
    """Each request's messages, released updates and documents: three queries for all the requests."""
    ids = [tr.pk for tr in requests]
    messages_of: dict[int, list[FamilyMessage]] = {pk: [] for pk in ids}
    for message in FamilyMessage.objects.filter(tracing_request_id__in=ids).select_related("author"):
        messages_of[message.tracing_request_id].append(message)
    updates_of: dict[int, list[FamilyUpdate]] = {pk: [] for pk in ids}
    for update in FamilyUpdate.objects.filter(tracing_request_id__in=ids).select_related("released_by"):
        updates_of[update.tracing_request_id].append(update)
    documents_of: dict[str, list[Attachment]] = {tr.number: [] for tr in requests}
    for attachment in (
        Attachment.objects.filter(
            source__kind=SourceKind.FAMILY_REPORT, source__reference__in=list(documents_of)
        )
        .select_related("source")
        .order_by("pk")
    ):
        documents_of[attachment.source.reference].append(attachment)
    return [
        {
            "tracing_request": tr,
            "messages": messages_of[tr.pk],
            "updates": updates_of[tr.pk],
            "documents": documents_of[tr.number],
        }
        for tr in requests
    ]


def explanation_lines(assessment: FateAssessment, sex: str | None = None) -> list[str]:
    """The fate explanation in the reader's language, fate words and claim labels included, in the
    grammatical gender of the person's sex."""
    from kinlink.registry.services.fate import explanation_lines as localised

    return localised(assessment, sex)


def _case_page(
    request: HttpRequest,
    case: Case,
    status: int = 200,
    inquiry_forms: BoundForms | None = None,
    **forms: Any,
) -> HttpResponse:
    # the page's helpers ask the person's merge group, the member's roles and the family's first request
    # again and again: each is read once while the page is built and rendered
    with page_memo():
        return _build_case_page(request, case, status, inquiry_forms, **forms)


def _build_case_page(
    request: HttpRequest,
    case: Case,
    status: int,
    inquiry_forms: BoundForms | None,
    **forms: Any,
) -> HttpResponse:
    user = request.user
    person = case.person
    # the name variants with their sources, read once: the list and the primary name (title, heading)
    names = Prefetch("names", queryset=NameVariant.objects.select_related("source"))
    prefetch_related_objects([person], names)
    audit.record(user, audit.Action.VIEW_CASE, case)
    claims = list(
        person_claims(person)
        .select_related("source", "event", "site", "retraction__retracted_by")
        .prefetch_related("source__attachments")
        .order_by("date", "created")
    )
    assessment = assess_person(person)
    conflicting = {c.first.claim_id for c in assessment.conflicts} | {
        c.second.claim_id for c in assessment.conflicts
    }
    requests = list(requests_visible_to(user).filter(person=person).order_by("submitted_at"))
    threads = _threads(requests)
    try:
        legal = case_legal_view(case)
    except LegalStatusError:
        legal = None
    sources = _sources_for(user, person)
    events = person.events.all()
    context = {
        "case": case,
        "person": person,
        "names": person.names.all(),
        "claims": claims,
        "conflicting": conflicting,
        "assessment": assessment,
        "explanation": explanation_lines(assessment, person.sex),
        "legal": legal,
        "legal_changes": case.legal_changes.all(),
        "map": build_map(_map_points(person, claims), settings.MAP_TILE_URL),
        "map_tiles": bool(settings.MAP_TILE_URL),
        "map_attribution": settings.MAP_TILE_ATTRIBUTION,
        "events": events,
        "tasks": case.tasks.all(),
        "notes": case.notes.select_related("author"),
        "threads": threads,
        "is_supervisor": is_superuser(user) or bool(roles_of(user) & {Role.SUPERVISOR, Role.ADMINISTRATOR}),
        "claim_form": forms.get("claim_form") or ClaimForm(sources=sources),
        "document_form": forms.get("document_form") or DocumentForm(sources=_writable_sources(user, person)),
        "event_fields": _fields_html(forms.get("event_form"), LinkEventForm),
        "update_fields": _fields_html(forms.get("update_form"), UpdateForm),
        "message_fields": _fields_html(forms.get("message_form"), StaffMessageForm),
        "task_fields": _fields_html(forms.get("task_form"), TaskForm),
        "note_fields": _fields_html(forms.get("note_form"), NoteForm),
        "legal_form": forms.get("legal_form")
        or LegalStatusForm(initial={"effective_on": timezone.now().date()}),
        # one form for every claim's "Retract": its fields rendered once, not once per claim
        "retract_fields": render_to_string("portal/form_fields.html", {"form": RetractForm()}),
        "court_form": CourtApplicationForm(
            prefix="court", initial={"kind": default_application(case), "lang": letter_language(case)}
        ),
        "dna_candidates": case_candidates(user, person, requests),
        "today": timezone.localdate(),
        **case_inquiries(case, timezone.localdate(), inquiry_forms),
    }
    return render(request, "portal/staff/case.html", context, status=status)


def _fields_html(given: Form | None, form_class: type[Form]) -> SafeString:
    """The fields of one of the case page's small forms: those of the form given back (bound, with its
    errors), or else an empty form's, the same for every case and reader: a cached fragment per language
    (``portal.fragments``; the events list in it renewed with the data)."""
    if given is not None:
        return mark_safe(render_to_string("portal/form_fields.html", {"form": given}))

    def render_empty() -> str:
        return str(render_to_string("portal/form_fields.html", {"form": form_class()}))

    # HTML the form's own template wrote (every value escaped there)
    key = (form_class.__name__, get_language() or "")
    return mark_safe(fragments.cached("form-fields", key, render_empty))


#: The case page with forms given back (the inquiries' views render it with the form that failed).
case_page = _case_page


def _actor(request: HttpRequest) -> Any:
    """The signed-in staff member (the decorators guarantee one)."""
    return request.user


def _visible_case(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(cases_visible_to(request.user).select_related("person", "organisation"), pk=pk)


def _back(case: Case, anchor: str) -> HttpResponse:
    return HttpResponseRedirect(reverse("portal:case", kwargs={"pk": case.pk}) + f"#{anchor}")


@caseworker_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # the access check, on every view: the question ``_visible_case`` asks, in SQL compiled once
    if not case_visible(request.user, pk):
        raise Http404
    # the rendered page kept for its reader while nothing changed (its read audited again on every view)
    return pagecache.serve(request, "case", lambda: _case_page(request, _visible_case(request, pk)))


@require_POST
@caseworker_required
def case_add_claim(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    if request.FILES.get("document") is not None:  # a file is attached to the chosen source: it must be ours
        _refuse_foreign_source(request, case.person)
    form = ClaimForm(request.POST, request.FILES, sources=_sources_for(request.user, case.person))
    if not form.is_valid():
        return _case_page(request, case, status=400, claim_form=form)
    data = form.cleaned_data
    user: Any = request.user
    try:
        with transaction.atomic():
            source = data["source"] or actions.add_source(
                user,
                kind=data["source_kind"],
                name=data["source_name"],
                origin=data["source_origin"],
                reference=data["source_reference"],
                date=data["source_date"],
                reliability=data["reliability"],
                organisation=case.organisation,
            )
            actions.add_claim(
                user,
                case.person,
                source,
                fate=data["fate"],
                date=data["date"],
                place=data["place"],
                circumstances=data["circumstances"],
                event=data["event"],
            )
            upload = request.FILES.get("document")
            if upload is not None:
                actions.attach_document(user, source, upload.name or "document", upload.read())
    except UploadError:
        form.add_error(
            "document", _("Only PDF documents and JPEG, PNG, WebP or GIF images up to 10 MB are accepted.")
        )
        return _case_page(request, case, status=400, claim_form=form)
    messages.success(request, _("The claim was added."))
    return _back(case, "claims")


@require_POST
@caseworker_required
def case_retract_claim(request: HttpRequest, pk: int, claim_pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    # a claim read on the case page may be another organisation's (a merged person): only the claims of
    # sources this member may write to are retracted; any other answers 404, as an unknown claim does
    claim = get_object_or_404(
        person_claims(case.person).filter(pk__in=claims_retractable_by(request.user).values("pk")),
        pk=claim_pk,
    )
    form = RetractForm(request.POST)
    if form.is_valid():
        try:
            actions.retract_claim(request.user, claim, form.cleaned_data["reason"])
            messages.success(request, _("The claim was retracted; it stays on record."))
        except actions.ClaimError:
            messages.error(request, _("This claim was already retracted."))
    else:
        messages.error(request, _("Say why the claim is retracted."))
    return _back(case, "claims")


@require_POST
@caseworker_required
def case_add_document(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    _refuse_foreign_source(request, case.person)
    form = DocumentForm(request.POST, request.FILES, sources=_writable_sources(request.user, case.person))
    if not form.is_valid():
        return _case_page(request, case, status=400, document_form=form)
    upload = form.cleaned_data["document"]
    try:
        actions.attach_document(
            request.user, form.cleaned_data["source"], upload.name or "document", upload.read()
        )
    except UploadError:
        form.add_error(
            "document", _("Only PDF documents and JPEG, PNG, WebP or GIF images up to 10 MB are accepted.")
        )
        return _case_page(request, case, status=400, document_form=form)
    messages.success(request, _("The document was attached."))
    return _back(case, "claims")


@require_POST
@caseworker_required
def case_link_event(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = LinkEventForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, status=400, event_form=form)
    actions.link_event(request.user, case.person, form.cleaned_data["event"])
    messages.success(request, _("The event was linked."))
    return _back(case, "events")


def _case_request(request: HttpRequest, case: Case, request_pk: int) -> TracingRequest:
    return get_object_or_404(requests_visible_to(request.user), pk=request_pk, person=case.person)


@require_POST
@caseworker_required
def case_release_update(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    """The only way news reaches the family: a caseworker's own words, released on purpose."""
    case = _visible_case(request, pk)
    tracing_request = _case_request(request, case, request_pk)
    form = UpdateForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, status=400, update_form=form)
    actions.release_update(_actor(request), tracing_request, form.cleaned_data["body"])
    messages.success(request, _("The update was released to the family."))
    return _back(case, f"thread-{tracing_request.pk}")


@require_POST
@caseworker_required
def case_send_message(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    tracing_request = _case_request(request, case, request_pk)
    form = StaffMessageForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, status=400, message_form=form)
    actions.send_message(_actor(request), tracing_request, form.cleaned_data["body"], from_family=False)
    messages.success(request, _("The message was sent to the family."))
    return _back(case, f"thread-{tracing_request.pk}")


@require_POST
@caseworker_required
def case_add_task(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, status=400, task_form=form)
    actions.add_case_task(_actor(request), case, form.cleaned_data["title"], form.cleaned_data["due_on"])
    return _back(case, "tasks")


@require_POST
@caseworker_required
def case_task_done(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    task = get_object_or_404(CaseTask, pk=task_pk, case=case)
    actions.finish_case_task(_actor(request), task)
    return _back(case, "tasks")


@require_POST
@caseworker_required
def case_add_note(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, status=400, note_form=form)
    actions.add_case_note(_actor(request), case, form.cleaned_data["body"])
    return _back(case, "notes")


@require_POST
@supervisor_required
def case_legal_status(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    form = LegalStatusForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, status=400, legal_form=form)
    try:
        actions.change_legal_status(
            _actor(request),
            case,
            form.cleaned_data["to_status"],
            form.cleaned_data["effective_on"],
            form.cleaned_data["note"],
        )
    except LegalStatusError:
        form.add_error("to_status", _("The legal status cannot change this way."))
        return _case_page(request, case, status=400, legal_form=form)
    return _back(case, "legal")


@caseworker_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(persons_visible_to(request.user), pk=pk)
    audit.record(request.user, audit.Action.VIEW_PERSON, person)
    assessment = assess_person(person)
    return render(
        request,
        "portal/staff/person.html",
        {
            "person": person,
            "names": person.names.select_related("source"),
            "explanation": explanation_lines(assessment, person.sex),
            "assessment": assessment,
            "cases": cases_visible_to(request.user).filter(person=person),
            "requests": requests_visible_to(request.user).filter(person=person),
        },
    )


@caseworker_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    attachment = get_object_or_404(Attachment.objects.select_related("source"), pk=pk)
    source = attachment.source
    persons = persons_visible_to(request.user)
    allowed = (
        Claim.objects.filter(source=source, person__in=persons).exists()
        or (
            source.kind == SourceKind.FAMILY_REPORT
            and requests_visible_to(request.user).filter(number=source.reference).exists()
        )
        # the scan of an answer to an inquiry, whether or not the answer stated anything about the fate
        or source.answered_inquiries.filter(case__in=cases_visible_to(request.user)).exists()
    )
    if not allowed:
        raise Http404
    try:
        content = read_attachment(attachment)  # decrypted here; never stored in plaintext
    except (FileNotFoundError, DecryptionError) as exc:
        raise Http404 from exc
    audit.record(request.user, audit.Action.VIEW_DOCUMENT, attachment, source=str(source.pk))
    response = HttpResponse(content, content_type=attachment.content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename) or "attachment"
    return response
