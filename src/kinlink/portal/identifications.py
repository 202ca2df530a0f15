"""Caseworker review of DNA candidate identifications proposed by screening.

The queue lists the candidates waiting for a decision on tracing requests the caseworker may see; a
candidate's page shows the remains sample, the family and the missing person (staff only: the lab works
by barcode), the LR, the prior with its basis, the posterior, the markers that drive the LR, the data the
candidate rests on, and every decision with who and when. Two different staff members must confirm, and
only at a posterior of at least 99.95%; "not this family" closes the candidate and is remembered.

When a candidate becomes an identification, nobody tells the family automatically: each case of the
person held by an organisation that follows the request gets a task to tell the family in person, and
news reaches the family only through an update a caseworker writes and releases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, ngettext, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kinlink.documents.dna import prior_basis_words
from kinlink.identification.actions import decide_identification, family_cases, required_posterior
from kinlink.identification.models import CandidateIdentification, IdentificationDecision, ScreeningRun
from kinlink.identification.prior import screened_count
from kinlink.identification.relationships import RELATIONSHIP_LABELS as DONOR_RELATIONSHIPS
from kinlink.identification.services import (
    PENDING,
    IdentificationError,
    current_fingerprint,
    identified_elsewhere,
    reference_samples,
)
from kinlink.lib.formats import format_decimal, format_ratio, format_scientific, format_significant
from kinlink.portal.forms import RELATIONSHIP_LABELS
from kinlink.portal.roles import caseworker_required
from kinlink.registry.models import Person, TracingRequest
from kinlink.registry.services import audit
from kinlink.registry.services.access import cases_visible_to, requests_visible_to

STATUS_LABELS: dict[str, Any] = {
    CandidateIdentification.Status.PROPOSED: pgettext_lazy("DNA candidate", "proposed"),
    CandidateIdentification.Status.CONFIRMED_ONCE: gettext_lazy(
        "confirmed once: a second staff member must confirm"
    ),
    CandidateIdentification.Status.IDENTIFIED: gettext_lazy("identified (two confirmations)"),
    CandidateIdentification.Status.REJECTED: gettext_lazy("not this family"),
}
RUN_STATUS_LABELS: dict[str, Any] = {
    ScreeningRun.Status.QUEUED: gettext_lazy("queued"),
    ScreeningRun.Status.RUNNING: gettext_lazy("running"),
    ScreeningRun.Status.DONE: gettext_lazy("done"),
    ScreeningRun.Status.FAILED: gettext_lazy("failed"),
}
DECISION_LABELS: dict[str, Any] = {
    IdentificationDecision.Decision.CONFIRM: gettext_lazy("confirmed"),
    IdentificationDecision.Decision.REJECT: gettext_lazy("not this family"),
}


class DnaDecisionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("What the decision rests on; required for “not this family”."),
    )


#: Encrypted columns the candidates' lists never show (the samples' profiles, the families' contacts):
#: deferred, so that no row of a list decrypts them.
LIST_SECRETS = (
    "remains_sample__profile",
    "tracing_request__enquirer_name",
    "tracing_request__contact",
    "tracing_request__circumstances",
)


def candidates_visible_to(user: Any) -> QuerySet[CandidateIdentification]:
    """Candidates on tracing requests the staff member may see (another organisation's: none)."""
    return CandidateIdentification.objects.filter(tracing_request__in=requests_visible_to(user))


def case_candidates(
    user: Any, person: Person, requests: list[TracingRequest] | None = None
) -> list[CandidateIdentification]:
    """The DNA candidates of a person visible to the staff member, waiting ones first (the case page).
    ``requests``: the person's tracing requests visible to the member, when the caller read them already
    (the candidates are then read by their ids, without the visibility subqueries again)."""
    order: dict[str, int] = {
        str(s): i for i, s in enumerate((*PENDING, CandidateIdentification.Status.IDENTIFIED))
    }
    if requests is None:
        candidates = candidates_visible_to(user).filter(tracing_request__person=person)
    else:
        ids = [r.pk for r in requests if r.person_id == person.pk]
        candidates = CandidateIdentification.objects.filter(tracing_request_id__in=ids)
    found = list(
        candidates.select_related("remains_sample", "tracing_request")
        .defer(*LIST_SECRETS)
        .order_by("-posterior", "-log10_lr", "pk")
    )
    found.sort(key=lambda c: order.get(c.status, len(order)))
    for c in found:
        c.status_label = str(STATUS_LABELS.get(c.status, c.status))  # type: ignore[attr-defined]
    return found


def pending_for_home(user: Any, limit: int = 20) -> list[CandidateIdentification]:
    return list(
        candidates_visible_to(user)
        .filter(status__in=PENDING)
        .select_related("remains_sample", "tracing_request__person")
        .prefetch_related("tracing_request__person__names")
        .defer(*LIST_SECRETS)
        .order_by("-posterior", "-log10_lr", "pk")[:limit]
    )


def posterior_text(posterior: float) -> str:
    """A posterior as a percentage that never rounds a short-of-certain value up to 100%."""
    percent = math.floor(posterior * 1_000_000 + 1e-6) / 10_000
    return format_decimal(percent, _reader_language(), 4, grouping=False) + "%"


def _reader_language() -> str:
    return get_language() or "en"


def prior_basis_text(basis: str) -> str:
    """The stated basis of the prior in the reader's language (the stored text when it is not the
    screening's own "1 / N missing persons screened")."""
    count = screened_count(basis)
    if count is None:  # an event prior (or a free text): worded as the DNA report words it
        return prior_basis_words(basis, _reader_language())
    return ngettext(
        "one in %(n)s: the %(n)s missing person screened is equally likely a priori",
        "one in %(n)s: each of the %(n)s missing persons screened is equally likely a priori",
        count,
    ) % {"n": count}


def method_text(method: str) -> str:
    """How the candidate's LR was computed, in the reader's language."""
    if method == CandidateIdentification.Method.DIRECT:
        return _(
            "direct match: the remains against a reference of the missing person himself (a personal item "
            "or a stored sample), one individual against an unrelated man"
        )
    return _("kinship: the remains against the relatives' references, through the family's pedigree")


def conflict_text(conflict: dict[str, Any]) -> str:
    """The non-DNA comparison's exclusion of the candidate person, in the reader's language; "" when none."""
    if not conflict:
        return ""
    from kinlink.field.services import field_label

    parts = []
    if conflict.get("fields"):
        parts.append(
            _("The physical comparison excludes him: %(fields)s.")
            % {"fields": ", ".join(field_label(f) for f in conflict["fields"])}
        )
    if conflict.get("caseworker"):
        parts.append(
            _("A caseworker excluded him for these remains: %(reason)s") % {"reason": conflict["caseworker"]}
        )
    parts.append(
        _(
            "The prior ignores the exclusion, so that it cannot hide a DNA match. Resolve the conflict "
            "before confirming: re-examine the remains or the family's description, or check that the sample "
            "comes from these remains."
        )
    )
    return " ".join(parts)


def _short_number(x: float) -> str:
    """A marker's LR as the reader writes it (``1,93·10⁶`` in ru and uk, ``1.93 × 10⁶`` in en)."""
    return format_ratio(x, _reader_language()) if x >= 1e6 else format_significant(x, _reader_language(), 3)


@dataclass(frozen=True, slots=True)
class MarkerRow:
    marker: str
    log10_lr: float
    lr: str
    share: float | None  # share of the total log10 LR, percent


def marker_rows(candidate: CandidateIdentification) -> list[MarkerRow]:
    rows = []
    for item in candidate.driving_markers or []:
        value = float(item.get("log10_lr", 0.0))
        share = 100.0 * value / candidate.log10_lr if candidate.log10_lr > 0 else None
        rows.append(MarkerRow(str(item.get("marker", "")), value, _short_number(10.0**value), share))
    return rows


@caseworker_required
def dna_queue(request: HttpRequest) -> HttpResponse:
    decided = request.GET.get("show") == "decided"
    statuses = (
        (CandidateIdentification.Status.IDENTIFIED, CandidateIdentification.Status.REJECTED)
        if decided
        else PENDING
    )
    candidates = list(
        candidates_visible_to(request.user)
        .filter(status__in=statuses)
        .select_related("remains_sample", "tracing_request__person")
        .prefetch_related("tracing_request__person__names", "decisions__staff")
        .defer(*LIST_SECRETS)
        .order_by("-posterior", "-log10_lr", "pk")[:200]
    )
    for c in candidates:
        c.status_label = str(STATUS_LABELS.get(c.status, c.status))  # type: ignore[attr-defined]
        c.posterior_text = posterior_text(c.posterior)  # type: ignore[attr-defined]
        c.confirmed_by = [  # type: ignore[attr-defined]
            d.staff.get_username()
            for d in c.decisions.all()
            if d.decision == IdentificationDecision.Decision.CONFIRM
        ]
    audit.record(
        request.user,
        "view_dna_queue",
        None,
        object_type="candidateidentification",
        object_id="*",
        results=len(candidates),
        decided=decided,
    )
    run = ScreeningRun.objects.order_by("-created", "-pk").first()
    return render(
        request,
        "portal/staff/dna_queue.html",
        {
            "candidates": candidates,
            "decided": decided,
            "run": run,
            "run_status": str(RUN_STATUS_LABELS.get(run.status, run.status)) if run else "",
            "needed": posterior_text(required_posterior()),
        },
    )


def _visible_candidate(request: HttpRequest, pk: int) -> CandidateIdentification:
    return get_object_or_404(
        candidates_visible_to(request.user).select_related(
            "remains_sample__remains__site", "tracing_request__person", "run"
        ),
        pk=pk,
    )


def _candidate_page(
    request: HttpRequest,
    candidate: CandidateIdentification,
    form: DnaDecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The candidate's page; ``form`` (prefix confirm or reject) is a submitted form to show again."""
    user: Any = request.user
    tracing_request = candidate.tracing_request
    decisions = list(candidate.decisions.select_related("staff").order_by("decided", "pk"))
    for d in decisions:
        d.label = str(DECISION_LABELS.get(d.decision, d.decision))  # type: ignore[attr-defined]
    now = current_fingerprint(candidate)
    references = [
        {
            "code": s.code,
            "relationship": DONOR_RELATIONSHIPS.get(s.relationship, s.relationship),
            "status": s.get_status_display(),
        }
        for s in reference_samples(tracing_request)
    ]
    pending = candidate.status in PENDING
    context = {
        "candidate": candidate,
        "status_label": STATUS_LABELS.get(candidate.status, candidate.status),
        "person": tracing_request.person,
        "tracing_request": tracing_request,
        "relationship": RELATIONSHIP_LABELS.get(tracing_request.relationship, tracing_request.relationship),
        "cases": cases_visible_to(user).filter(person=tracing_request.person),
        "remains": candidate.remains_sample.remains,
        "markers": marker_rows(candidate),
        "posterior_text": posterior_text(candidate.posterior),
        "prior_basis": prior_basis_text(candidate.prior_basis),
        "method_text": method_text(candidate.method),
        "conflict": conflict_text(candidate.non_dna_conflict),
        "doubt": format_scientific(1.0 - candidate.posterior, _reader_language(), 3),
        "lr_text": format_ratio(candidate.lr, _reader_language()),
        "prior_text": format_significant(candidate.prior, _reader_language(), 4),
        "needed": posterior_text(required_posterior()),
        "meets_posterior": candidate.posterior >= required_posterior(),
        "references": references,
        "fingerprint_now": now,
        "data_changed": now is not None and now != candidate.fingerprint,
        "decisions": decisions,
        "already_decided": any(d.staff_id == user.pk for d in decisions),
        "identified_elsewhere": identified_elsewhere(candidate) if pending else None,
        "pending": pending,
        "confirm_form": form
        if form is not None and form.prefix == "confirm"
        else DnaDecisionForm(prefix="confirm"),
        "reject_form": form
        if form is not None and form.prefix == "reject"
        else DnaDecisionForm(prefix="reject"),
        "refusal": form.non_field_errors() if form is not None else [],
    }
    return render(request, "portal/staff/dna_candidate.html", context, status=status)


@caseworker_required
def dna_candidate(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _visible_candidate(request, pk)
    audit.record(
        request.user,
        "view_dna_candidate",
        candidate,
        remains=candidate.remains_sample.code,
        request=candidate.tracing_request.number,
    )
    return _candidate_page(request, candidate)


def _refusal(error: IdentificationError) -> str:
    return {
        "decided": _("This candidate was already decided."),
        "same_staff": _(
            "You have already decided on this candidate. A different staff member must give the second "
            "confirmation."
        ),
        "posterior": _(
            "The posterior is below %(needed)s: this cannot be confirmed as an identification. "
            "Ask the family for more reference samples."
        )
        % {"needed": posterior_text(required_posterior())},
        "remains_identified": _("These remains are already identified as another person."),
    }.get(error.code, _("This decision is not allowed."))


def _decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    candidate = _visible_candidate(request, pk)
    form = DnaDecisionForm(request.POST, prefix=decision)
    if not form.is_valid():
        return _candidate_page(request, candidate, form, status=400)
    reason = form.cleaned_data["reason"].strip()
    if decision == IdentificationDecision.Decision.REJECT and not reason:
        form.add_error("reason", _("Say why these remains are not this family's missing person."))
        return _candidate_page(request, candidate, form, status=400)
    user: Any = request.user
    try:
        candidate = decide_identification(user, candidate, decision, reason)
    except IdentificationError as exc:
        form.add_error(None, _refusal(exc))
        candidate.refresh_from_db()
        return _candidate_page(request, candidate, form, status=400)
    if candidate.status == CandidateIdentification.Status.IDENTIFIED:
        cases, _orgs = family_cases(candidate.tracing_request)
        messages.success(
            request,
            _(
                "Identified by two confirmations. The family has not been told: a task to tell them in "
                "person was added to case %(cases)s."
            )
            % {"cases": ", ".join(c.number for c in cases) or "—"},
        )
    elif candidate.status == CandidateIdentification.Status.CONFIRMED_ONCE:
        messages.success(
            request, _("Your confirmation was recorded. A different staff member must confirm too.")
        )
    else:
        messages.success(
            request,
            _("Recorded as not this family. The pair is not proposed again unless new DNA data arrive."),
        )
    return HttpResponseRedirect(reverse("portal:dna_candidate", args=[candidate.pk]))


@caseworker_required
@require_POST
def dna_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, IdentificationDecision.Decision.CONFIRM)


@caseworker_required
@require_POST
def dna_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, IdentificationDecision.Decision.REJECT)
