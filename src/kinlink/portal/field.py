"""The field pages of the caseworker console: burial sites from testimony and their exhumation, remains
with their post-mortem profile, custody chain, lab samples and ranked non-DNA candidates, repatriation
batches, and a missing person's ante-mortem data.

Who sees what: a site is seen by the organisation whose source reported it and by those who follow a
person it concerns (a claim or an event); remains by those who see their site, and every caseworker sees
the remains of a repatriation batch (an official handover, known by codes). Whatever names a person (the
testimony's claims, the candidates of remains) is filtered by who may see that person: another
organisation's site answers 404 like a missing one, and another organisation's missing person is only
counted. Lab analysts do not reach these pages (the lab works by barcode).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kinlink.field import actions as field_actions
from kinlink.field.compare import CONSISTENT, EXCLUSION, FieldResult
from kinlink.field.models import ComparisonDecision, ExhumationStep, PhysicalProfile
from kinlink.field.services import Candidate, candidates, custody_chain, explain, field_label, outcome_label
from kinlink.portal.field_forms import (
    SOURCE_SUGGESTIONS,
    BatchImportForm,
    CustodyForm,
    DecisionForm,
    ExhumationForm,
    MarkFormSet,
    ProfileForm,
    RemainsForm,
    SiteForm,
    TieSampleForm,
    mark_inputs,
    marks_initial,
    profile_initial,
    source_label,
)
from kinlink.portal.maps import MapPoint, build_map
from kinlink.portal.roles import caseworker_required
from kinlink.registry import actions as registry_actions
from kinlink.registry.models import (
    Case,
    Claim,
    Event,
    Person,
    Remains,
    RepatriationBatch,
    Sample,
    Site,
    Source,
)
from kinlink.registry.services.access import (
    cases_visible_to,
    is_superuser,
    organisations_of,
    persons_visible_to,
)
from kinlink.registry.services.bulk import ImportRefused, RowError

# --- who sees what --------------------------------------------------------------------------------------


#: Burial sites per page of their list.
SITE_PAGE_SIZE = 50


def sites_visible_to(user: Any) -> QuerySet[Site]:
    if is_superuser(user):
        return Site.objects.all()
    # subqueries, not joins through the claims and the events' persons: no row twice, so no DISTINCT
    persons = persons_visible_to(user)
    claims = Claim.objects.filter(person__in=persons)
    return Site.objects.filter(
        Q(reported_by__organisation__in=organisations_of(user))
        | Q(reported_by__in=claims.values("source_id"))
        | Q(pk__in=claims.filter(site__isnull=False).values("site_id"))
        | Q(event__in=Event.persons.through.objects.filter(person__in=persons).values("event_id"))
    )


def remains_visible_to(user: Any) -> QuerySet[Remains]:
    if is_superuser(user):
        return Remains.objects.all()
    return Remains.objects.filter(
        Q(site__in=sites_visible_to(user))
        | Q(batch__isnull=False)
        | Q(identified_person__in=persons_visible_to(user))
    )


def sources_visible_to(user: Any) -> QuerySet[Source]:
    if is_superuser(user):
        return Source.objects.all()
    claimed = Claim.objects.filter(person__in=persons_visible_to(user)).values("source_id")
    return Source.objects.filter(Q(organisation__in=organisations_of(user)) | Q(pk__in=claimed))


def _own_organisation(user: Any) -> Any:
    return organisations_of(user).order_by("name").first()


# --- sites ----------------------------------------------------------------------------------------------


@caseworker_required
def site_list(request: HttpRequest) -> HttpResponse:
    sites = (
        sites_visible_to(request.user)
        .annotate(recovered=Count("remains", distinct=True))
        .select_related("event")
        .order_by("name", "pk")
    )
    page = Paginator(sites, SITE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/field/sites.html", {"sites": page})


def _site_initial(source: Source | None, user: Any) -> dict[str, Any]:
    """What the testimony already says: the place, the circumstances and the event of its claims."""
    if source is None:
        return {"kind": Site.Kind.FIELD_GRAVE}
    claims = list(
        Claim.objects.filter(source=source, person__in=persons_visible_to(user)).select_related("event")
    )
    initial: dict[str, Any] = {"kind": Site.Kind.FIELD_GRAVE}
    places = [c.place for c in claims if c.place]
    if places:
        initial["name"] = places[0]
    told = [c.circumstances for c in claims if c.circumstances]
    if told:
        initial["description"] = told[0]
    events = {c.event for c in claims if c.event_id}
    if not events:
        events = {e for c in claims for e in c.person.events.all()}
    if len(events) == 1:
        initial["event"] = next(iter(events)).pk
    return initial


@require_http_methods(["GET", "POST"])
@caseworker_required
def site_new(request: HttpRequest) -> HttpResponse:
    """Record a burial site: from a testimony of a case (``?source=``) or from a report given here."""
    source: Source | None = None
    source_pk = request.GET.get("source") or request.POST.get("source")
    if source_pk:
        if not str(source_pk).isdigit():
            return HttpResponse(status=404)
        source = get_object_or_404(sources_visible_to(request.user), pk=int(source_pk))
    form = SiteForm(
        request.POST or None, with_reporter=source is None, initial=_site_initial(source, request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user: Any = request.user
        try:
            with transaction.atomic():
                reported_by = source or registry_actions.add_source(
                    user,
                    kind=data["reporter_kind"],
                    name=data["reporter"],
                    date=data["reported_on"],
                    organisation=_own_organisation(user),
                )
                site = field_actions.record_site(
                    user,
                    name=data["name"],
                    kind=data["kind"],
                    reported_by=reported_by,
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    precision_m=data["precision_m"],
                    buried_count=data["buried_count"],
                    buried_on=data["buried_on"],
                    buried_by=data["buried_by"],
                    event=data["event"],
                    description=data["description"],
                )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The burial site was recorded."))
            return HttpResponseRedirect(reverse("portal:field_site", kwargs={"pk": site.pk}))
    status = 400 if form.is_bound else 200
    return render(request, "portal/field/site_new.html", {"form": form, "source": source}, status=status)


def _add_errors(form: Any, exc: ValidationError) -> None:
    """An action's ``ValidationError`` on the form: on its field when the form has one, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error.messages[0])
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _visible_site(request: HttpRequest, pk: int) -> Site:
    return get_object_or_404(sites_visible_to(request.user).select_related("reported_by", "event"), pk=pk)


def _site_page(request: HttpRequest, site: Site, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    testimony: list[Claim] = []
    if site.reported_by is not None:
        testimony = list(
            Claim.objects.filter(source=site.reported_by, person__in=persons_visible_to(user))
            .select_related("person")
            .prefetch_related("person__names")
            .order_by("date", "pk")
        )
    cases = {
        c.person_id: c for c in cases_visible_to(user).filter(person__in=[c.person_id for c in testimony])
    }
    for claim in testimony:
        claim.visible_case = cases.get(claim.person_id)  # type: ignore[attr-defined]
    points = []
    if site.latitude is not None and site.longitude is not None:
        points.append(MapPoint(site.latitude, site.longitude, site.name, "site", site.precision_m))
    remains = list(site.remains.order_by("code"))
    context = {
        "site": site,
        "testimony": testimony,
        "show_description": bool(site.description)
        and site.description.strip() not in {c.circumstances.strip() for c in testimony},
        "source_visible": site.reported_by is not None
        and sources_visible_to(user).filter(pk=site.reported_by.pk).exists(),
        "map": build_map(points, settings.MAP_TILE_URL) if points else None,
        "map_tiles": bool(settings.MAP_TILE_URL),
        "map_attribution": settings.MAP_TILE_ATTRIBUTION,
        "steps": ExhumationStep.objects.filter(site=site).select_related("recorded_by"),
        "exhumation_form": forms.get("exhumation_form")
        or ExhumationForm(current=site.exhumation_status, initial={"on": dt.date.today()}),
        "remains": remains,
        "remains_form": forms.get("remains_form") or RemainsForm(initial={"recovered_on": dt.date.today()}),
    }
    return render(request, "portal/field/site.html", context, status=status)


@caseworker_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _site_page(request, _visible_site(request, pk))


@require_POST
@caseworker_required
def site_exhumation(request: HttpRequest, pk: int) -> HttpResponse:
    site = _visible_site(request, pk)
    form = ExhumationForm(request.POST, current=site.exhumation_status)
    if form.is_valid():
        data = form.cleaned_data
        try:
            field_actions.record_exhumation_step(
                request.user, site, status=data["status"], on=data["on"], by=data["by"], note=data["note"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The exhumation step was recorded."))
            return HttpResponseRedirect(reverse("portal:field_site", kwargs={"pk": site.pk}) + "#exhumation")
    return _site_page(request, site, status=400, exhumation_form=form)


@require_POST
@caseworker_required
def site_remains(request: HttpRequest, pk: int) -> HttpResponse:
    site = _visible_site(request, pk)
    form = RemainsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if Remains.objects.filter(code=data["code"]).exists():
            form.add_error("code", _("Remains with this code are already registered."))
        else:
            try:
                remains = field_actions.recover_remains(
                    request.user,
                    code=data["code"],
                    site=site,
                    recovered_on=data["recovered_on"],
                    by=data["by"],
                    sex_estimate=data["sex_estimate"],
                    age_estimate=data["age_estimate"],
                    condition=data["condition"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The remains were recorded."))
                return HttpResponseRedirect(reverse("portal:field_remains", kwargs={"pk": remains.pk}))
    return _site_page(request, site, status=400, remains_form=form)


# --- remains --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldLine:
    label: str
    outcome: str
    outcome_label: str
    text: str


@dataclass
class CandidateRow:
    person: Person
    case: Case | None
    score: float
    strong: int
    lines: list[FieldLine]
    decision: ComparisonDecision | None
    form: Any = None


def _lines(fields: tuple[FieldResult, ...]) -> list[FieldLine]:
    order = {EXCLUSION: 0, CONSISTENT: 1}
    ranked = sorted(fields, key=lambda f: order.get(f.outcome, 2))
    return [FieldLine(field_label(f.field), f.outcome, outcome_label(f.outcome), explain(f)) for f in ranked]


def _candidate_rows(user: Any, found: list[Candidate]) -> tuple[list[CandidateRow], int]:
    """The candidates this staff member may see by name, and how many others there are."""
    visible = set(
        persons_visible_to(user).filter(pk__in=[c.person.pk for c in found]).values_list("pk", flat=True)
    )
    cases: dict[int, Case] = {}
    for case in cases_visible_to(user).filter(person__in=visible).order_by("pk"):
        cases.setdefault(case.person_id, case)
    rows = [
        CandidateRow(
            c.person,
            cases.get(c.person.pk),
            c.comparison.score,
            c.comparison.strong,
            _lines(c.comparison.fields),
            c.decision,
        )
        for c in found
        if c.person.pk in visible
    ]
    return rows, len(found) - len(rows)


def _visible_remains(request: HttpRequest, pk: int) -> Remains:
    return get_object_or_404(
        remains_visible_to(request.user).select_related("site", "batch", "event", "identified_person"), pk=pk
    )


def _custody_subjects(remains: Remains) -> list[tuple[str, str]]:
    subjects = [(f"remains:{remains.pk}", _("the remains %(code)s") % {"code": remains.code})]
    for sample in remains.samples.order_by("code"):
        subjects.append((f"sample:{sample.pk}", _("sample %(code)s") % {"code": sample.code}))
    return subjects


def _remains_page(request: HttpRequest, remains: Remains, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    profile = PhysicalProfile.objects.filter(remains=remains).prefetch_related("marks").first()
    ranked, excluded = candidates(remains)
    ranked_rows, ranked_hidden = _candidate_rows(user, ranked)
    excluded_rows, excluded_hidden = _candidate_rows(user, excluded)
    decision_forms = forms.get("decision_forms", {})
    for row in ranked_rows:
        row.form = decision_forms.get(row.person.pk) or DecisionForm(prefix=f"p{row.person.pk}")
    context = {
        "remains": remains,
        "profile": profile,
        "profile_sources": {k: source_label(v) for k, v in (profile.sources if profile else {}).items()},
        "profile_form": forms.get("profile_form")
        or ProfileForm(antemortem=False, initial=profile_initial(profile, antemortem=False)),
        "marks_formset": forms.get("marks_formset")
        or MarkFormSet(prefix="marks", initial=marks_initial(profile)),
        "source_suggestions": [str(v) for v in SOURCE_SUGGESTIONS.values()],
        "chain": custody_chain(remains),
        "custody_form": forms.get("custody_form")
        or CustodyForm(subjects=_custody_subjects(remains), initial={"on": dt.date.today()}),
        "tie_form": forms.get("tie_form") or TieSampleForm(initial={"on": dt.date.today()}),
        "samples": remains.samples.order_by("code"),
        "ranked": ranked_rows,
        "ranked_hidden": ranked_hidden,
        "excluded": excluded_rows,
        "excluded_hidden": excluded_hidden,
        "profile_open": bool(forms.get("profile_form")),
    }
    return render(request, "portal/field/remains.html", context, status=status)


@caseworker_required
def remains_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _remains_page(request, _visible_remains(request, pk))


def _save_profile_forms(
    request: HttpRequest, *, antemortem: bool, person: Person | None = None, remains: Remains | None = None
) -> tuple[Any, Any, bool]:
    form = ProfileForm(request.POST, antemortem=antemortem)
    formset = MarkFormSet(request.POST, prefix="marks")
    if not (form.is_valid() and formset.is_valid()):
        return form, formset, False
    try:
        field_actions.save_profile(
            request.user,
            person=person,
            remains=remains,
            values=form.values(),
            sources=form.sources(),
            marks=mark_inputs(formset),
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return form, formset, False
    return form, formset, True


@require_POST
@caseworker_required
def remains_profile(request: HttpRequest, pk: int) -> HttpResponse:
    remains = _visible_remains(request, pk)
    form, formset, saved = _save_profile_forms(request, antemortem=False, remains=remains)
    if not saved:
        return _remains_page(request, remains, status=400, profile_form=form, marks_formset=formset)
    messages.success(request, _("The post-mortem data were saved."))
    return HttpResponseRedirect(reverse("portal:field_remains", kwargs={"pk": remains.pk}) + "#candidates")


@require_POST
@caseworker_required
def remains_custody(request: HttpRequest, pk: int) -> HttpResponse:
    remains = _visible_remains(request, pk)
    subjects = _custody_subjects(remains)
    form = CustodyForm(request.POST, subjects=subjects)
    if form.is_valid():
        data = form.cleaned_data
        kind, _sep, key = data["subject"].partition(":")
        sample = remains.samples.filter(pk=int(key)).first() if kind == "sample" else None
        try:
            field_actions.record_custody(
                request.user,
                step=data["step"],
                on=data["on"],
                remains=remains if sample is None else None,
                sample=sample,
                from_party=data["from_party"],
                to_party=data["to_party"],
                by=data["by"],
                note=data["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The custody step was recorded."))
            return HttpResponseRedirect(
                reverse("portal:field_remains", kwargs={"pk": remains.pk}) + "#custody"
            )
    return _remains_page(request, remains, status=400, custody_form=form)


@require_POST
@caseworker_required
def remains_sample(request: HttpRequest, pk: int) -> HttpResponse:
    remains = _visible_remains(request, pk)
    form = TieSampleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        sample = Sample.objects.filter(code=data["barcode"].strip()).first()
        if sample is None:
            form.add_error("barcode", _("No sample with this barcode is registered by a lab."))
        else:
            try:
                field_actions.tie_sample(request.user, sample, remains, on=data["on"], by=data["by"])
            except ValidationError as exc:
                form.add_error("barcode", exc.messages[0])
            else:
                messages.success(request, _("The sample was tied to the remains."))
                return HttpResponseRedirect(
                    reverse("portal:field_remains", kwargs={"pk": remains.pk}) + "#custody"
                )
    return _remains_page(request, remains, status=400, tie_form=form)


@require_POST
@caseworker_required
def remains_decide(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    remains = _visible_remains(request, pk)
    person = get_object_or_404(persons_visible_to(request.user), pk=person_pk)
    form = DecisionForm(request.POST, prefix=f"p{person.pk}")
    decision = request.POST.get("decision", "")
    if decision not in ComparisonDecision.Decision.values:
        form.add_error(None, _("Choose to exclude him or to mark him possible."))
    elif form.is_valid():
        try:
            field_actions.decide_comparison(
                request.user, remains, person, decision=decision, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if decision == ComparisonDecision.Decision.EXCLUDED:
                messages.success(request, _("Excluded: he will not be offered again for these remains."))
            else:
                messages.success(request, _("Marked possible: compare by DNA."))
            return HttpResponseRedirect(
                reverse("portal:field_remains", kwargs={"pk": remains.pk}) + "#candidates"
            )
    return _remains_page(request, remains, status=400, decision_forms={person.pk: form})


# --- repatriation batches -------------------------------------------------------------------------------


@caseworker_required
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = RepatriationBatch.objects.annotate(bodies=Count("remains")).select_related("event")
    return render(request, "portal/field/batches.html", {"batches": batches})


@require_http_methods(["GET", "POST"])
@caseworker_required
def batch_import(request: HttpRequest) -> HttpResponse:
    form = BatchImportForm(request.POST or None, request.FILES or None)
    errors: list[RowError] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["csv_file"]
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("csv_file", _("The file is not UTF-8 text: save it as CSV (UTF-8)."))
        else:
            try:
                result = field_actions.import_batch(
                    request.user,
                    code=data["code"],
                    received_on=data["received_on"],
                    csv_text=text,
                    filename=upload.name or "batch.csv",
                    handed_over_by=data["handed_over_by"],
                    received_by=data["received_by"],
                    event=data["event"],
                )
            except ImportRefused as refused:
                errors = refused.errors
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Batch %(code)s: %(created)s remains recorded, %(unchanged)s already known.")
                    % {"code": result.batch.code, "created": result.created, "unchanged": result.unchanged},
                )
                return HttpResponseRedirect(reverse("portal:field_batches") + f"#batch-{result.batch.pk}")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "portal/field/batch_import.html",
        {"form": form, "errors": errors, "columns": field_actions.BATCH_COLUMNS},
        status=status,
    )


# --- ante-mortem data of a case's person ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@caseworker_required
def case_antemortem(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(cases_visible_to(request.user).select_related("person"), pk=pk)
    person = case.person
    profile = PhysicalProfile.objects.filter(person=person).prefetch_related("marks").first()
    if request.method == "POST":
        form, formset, saved = _save_profile_forms(request, antemortem=True, person=person)
        if saved:
            messages.success(request, _("The ante-mortem data were saved."))
            return HttpResponseRedirect(reverse("portal:case", kwargs={"pk": case.pk}))
        status = 400
    else:
        form = ProfileForm(antemortem=True, initial=profile_initial(profile, antemortem=True))
        formset = MarkFormSet(prefix="marks", initial=marks_initial(profile))
        status = 200
    return render(
        request,
        "portal/field/antemortem.html",
        {
            "case": case,
            "person": person,
            "form": form,
            "marks_formset": formset,
            "source_suggestions": [str(v) for v in SOURCE_SUGGESTIONS.values()],
        },
        status=status,
    )
