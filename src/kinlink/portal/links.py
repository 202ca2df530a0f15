"""Caseworker review of candidate "same person" links proposed by record linkage.

The queue lists open links where the caseworker may see at least one of the two persons; a link's
page compares both persons field by field with the model's verdict (agree, disagree, missing) and
the match weight each field contributed. Accepting merges the persons; rejecting is remembered. A
merge accepted by mistake is undone from the link's page, with a reason; the history stays. Every
write goes through :mod:`kinlink.matching.actions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kinlink.matching.actions import (
    LinkDecisionError,
    MergeError,
    accept_link,
    reject_link,
    unmerge_persons,
)
from kinlink.matching.models import CandidateLink, PersonMerge
from kinlink.matching.services import links_visible_to, open_links_visible_to, person_rows
from kinlink.portal.roles import caseworker_required
from kinlink.registry.models import Person
from kinlink.registry.services import audit
from kinlink.registry.services.access import persons_visible_to

#: Links per page of the queue.
LINK_PAGE_SIZE = 50
#: The linkage library's field names (``COMPARISON_FIELDS``) with their labels, in display order.
FIELD_LABELS: dict[str, Any] = {
    "surname": gettext_lazy("Surname"),
    "given name": gettext_lazy("Given name"),
    "patronymic": gettext_lazy("Patronymic"),
    "birth date": gettext_lazy("Date of birth"),
    "birth place": gettext_lazy("Place of birth"),
    "unit": gettext_lazy("Unit"),
    "rank": gettext_lazy("Rank"),
    "event date": gettext_lazy("Date of the event"),
    "event place": gettext_lazy("Place of the event"),
}
_ROW_KEYS = {
    "surname": "surname",
    "given name": "given_name",
    "patronymic": "patronymic",
    "birth date": "birth_date",
    "birth place": "birth_place",
    "unit": "unit",
    "rank": "rank",
    "event date": "event_date",
    "event place": "event_place",
}
STATUS_LABELS: dict[str, Any] = {
    "agree": gettext_lazy("agree"),
    "disagree": gettext_lazy("disagree"),
    "missing": gettext_lazy("missing"),
    "": gettext_lazy("not compared"),
}


class UndoMergeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the merge is undone"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=gettext_lazy("The records go back exactly as they were before the merge."),
    )


class LinkDecisionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("What the decision rests on; required to reject a link."),
    )


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One line of the side-by-side table."""

    label: str
    value_a: str
    value_b: str
    status: str  # agree, disagree, missing, or "" when the model does not compare the field
    status_label: str
    level: str
    match_weight: float | None


def comparison_rows(link: CandidateLink) -> list[ComparisonRow]:
    """Both persons' compared fields next to each other, with the model's per-field verdict."""
    persons = Person.objects.filter(pk__in=(link.person_a_id, link.person_b_id))
    rows = {int(r["record_id"]): r for r in person_rows(persons, "registry")}
    a, b = rows.get(link.person_a_id, {}), rows.get(link.person_b_id, {})
    verdicts = {str(f.get("field")): f for f in link.explanation if isinstance(f, dict)}
    out = []
    for name, label in FIELD_LABELS.items():
        verdict = verdicts.get(name, {})
        status = str(verdict.get("status", ""))
        weight = verdict.get("match_weight")
        out.append(
            ComparisonRow(
                str(label),
                a.get(_ROW_KEYS[name], ""),
                b.get(_ROW_KEYS[name], ""),
                status,
                str(STATUS_LABELS.get(status, status)),
                str(verdict.get("level", "")),
                float(weight) if weight is not None else None,
            )
        )
    return out


@caseworker_required
def links_queue(request: HttpRequest) -> HttpResponse:
    links = (
        open_links_visible_to(request.user)
        .select_related("person_a", "person_b")
        .prefetch_related("person_a__names", "person_b__names")
        .defer("explanation")
        .order_by("-match_weight", "pk")
    )
    page = Paginator(links, LINK_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/staff/links.html", {"links": page})


def _visible_link(request: HttpRequest, pk: int) -> CandidateLink:
    return get_object_or_404(links_visible_to(request.user).select_related("person_a", "person_b"), pk=pk)


def _link_page(
    request: HttpRequest,
    link: CandidateLink,
    form: LinkDecisionForm | None = None,
    status: int = 200,
    undo_form: UndoMergeForm | None = None,
) -> HttpResponse:
    visible = set(
        persons_visible_to(request.user)
        .filter(pk__in=(link.person_a_id, link.person_b_id))
        .values_list("pk", flat=True)
    )
    open_for_decision = (
        link.status in (CandidateLink.Status.PROPOSED, CandidateLink.Status.UNDONE)
        and link.person_a.merged_into_id is None
        and link.person_b.merged_into_id is None
    )
    merges = list(link.merges.select_related("by", "undone_by").order_by("at", "pk"))
    context = {
        "link": link,
        "rows": comparison_rows(link),
        "names_a": link.person_a.names.select_related("source"),
        "names_b": link.person_b.names.select_related("source"),
        "visible": visible,
        "open_for_decision": open_for_decision,
        "form": form or LinkDecisionForm(),
        "merges": merges,
        "open_merge": next((m for m in merges if m.undone_at is None), None),
        "undo_form": undo_form or UndoMergeForm(prefix="undo"),
    }
    return render(request, "portal/staff/link.html", context, status=status)


@caseworker_required
def link_detail(request: HttpRequest, pk: int) -> HttpResponse:
    link = _visible_link(request, pk)
    audit.record(request.user, "view_link", link)
    return _link_page(request, link)


def _decide(request: HttpRequest, pk: int, accept: bool) -> HttpResponse:
    link = _visible_link(request, pk)
    form = LinkDecisionForm(request.POST)
    if not form.is_valid():
        return _link_page(request, link, form, status=400)
    reason = form.cleaned_data["reason"].strip()
    if not accept and not reason:
        form.add_error("reason", _("Say why the two records are not the same person."))
        return _link_page(request, link, form, status=400)
    user: Any = request.user
    try:
        if accept:
            merge = accept_link(user, link, reason)
            messages.success(request, _("The records were merged."))
            if persons_visible_to(user).filter(pk=merge.keep_id).exists():
                return HttpResponseRedirect(reverse("portal:person", args=[merge.keep_id]))
        else:
            reject_link(user, link, reason)
            messages.success(request, _("The link was rejected; it will not be proposed again."))
    except (LinkDecisionError, MergeError):
        messages.error(request, _("This link was already decided."))
        return HttpResponseRedirect(reverse("portal:link", args=[link.pk]))
    return HttpResponseRedirect(reverse("portal:links"))


@caseworker_required
@require_POST
def link_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, accept=True)


@caseworker_required
@require_POST
def link_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, accept=False)


@caseworker_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a merge made from a candidate link the user may see (the kept person must be visible)."""
    merge = get_object_or_404(PersonMerge.objects.select_related("link"), pk=pk, link__isnull=False)
    link = _visible_link(request, merge.link_id or 0)
    if not persons_visible_to(request.user).filter(pk=merge.keep_id).exists():
        raise Http404
    form = UndoMergeForm(request.POST, prefix="undo")
    if not form.is_valid() or not form.cleaned_data["reason"].strip():
        if form.is_valid():
            form.add_error("reason", _("Say why the merge is undone."))
        return _link_page(request, link, status=400, undo_form=form)
    user: Any = request.user
    try:
        unmerge_persons(user, merge, form.cleaned_data["reason"])
    except MergeError:
        messages.error(
            request, _("This merge cannot be undone: it was already undone, or a later merge rests on it.")
        )
        return HttpResponseRedirect(reverse("portal:link", args=[link.pk]))
    messages.success(request, _("The merge was undone; both records are separate again."))
    return HttpResponseRedirect(reverse("portal:link", args=[link.pk]))
