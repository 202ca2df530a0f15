"""Inquiries on the case page, the overdue queue, and the family's view of them on the follow page.

The dated record of what was asked of whom and what was (not) answered. Every write goes through
``documents.actions``; every case is looked up through ``cases_visible_to`` (another organisation's case,
or an inquiry of it, is a 404 exactly like a missing one). The family sees the inquiries of the cases of
the organisations its request consented to, in plain words: to whom, when, answered or not, overdue; the
text of an answer only of what it logged itself or what a caseworker shared, so that no news of a death
reaches it by this way before a caseworker tells it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kinlink.documents import actions as document_actions
from kinlink.documents.labels import LANGUAGES
from kinlink.documents.letters import NextStep, default_addressee, enquirer, next_step
from kinlink.documents.models import Inquiry
from kinlink.documents.services import DocumentError
from kinlink.portal.forms import (
    FamilyInquiryForm,
    FollowUpForm,
    InquiryAnswerForm,
    InquiryDatesForm,
    InquiryForm,
    LetterForm,
    NextStepForm,
)
from kinlink.portal.roles import caseworker_required, family_required
from kinlink.registry.actions import FAMILY_ACCESS_CODE
from kinlink.registry.models import Case, TracingRequest
from kinlink.registry.services.access import cases_visible_to
from kinlink.registry.services.uploads import UploadError

logger = logging.getLogger(__name__)

#: The channels an inquiry is a letter on (a call or a visit has none).
LETTER_CHANNELS = (Inquiry.Channel.POST, Inquiry.Channel.EMAIL, Inquiry.Channel.ONLINE)

#: The form a view was given back with errors: (inquiry id or 0 for a new one, form name) -> bound form.
BoundForms = dict[tuple[int, str], Any]


@dataclass
class InquiryRow:
    """One inquiry as the case page shows it, with its status and the forms that act on it."""

    inquiry: Inquiry
    status: str  # answered, answered_late, overdue, waiting, no_deadline
    forms: dict[str, Any] = field(default_factory=dict)
    #: the fields of an unbound form that is the same for every inquiry but for its prefix, already
    #: rendered (``_SharedFields``); the template renders the others from ``forms``
    html: dict[str, SafeString] = field(default_factory=dict)
    open_form: str = ""
    next_step: NextStep | None = None

    @property
    def pending_review(self) -> bool:
        return self.inquiry.evidence == Inquiry.Evidence.PENDING

    @property
    def next_step_text(self) -> str:
        """kinlink's suggestion for an overdue inquiry, in the reader's language."""
        step = self.next_step
        if step is None:
            return ""
        if step.letter_kind == Inquiry.Kind.REMINDER:
            return _("Send a reminder to the same addressee: the answer is overdue (59-FZ, art. 12).")
        if step.addressee_kind == Inquiry.Addressee.OMBUDSMAN:
            return _(
                "Complain to the human-rights ombudsman: the military prosecutor has not answered the "
                "complaint either."
            )
        return _("Complain to the military prosecutor: the appeal and the reminder went unanswered.")

    @property
    def next_step_button(self) -> str:
        step = self.next_step
        if step is not None and step.letter_kind == Inquiry.Kind.REMINDER:
            return _("Record the reminder and generate its letter")
        return _("Record the complaint and generate its letter")

    @property
    def overdue_since(self) -> dt.date | None:
        """The first day without the answer the law required (the day after the reply date)."""
        due = self.inquiry.reply_due
        return due + dt.timedelta(days=1) if due is not None else None


def inquiry_status(inquiry: Inquiry, today: dt.date) -> str:
    """answered, answered_late, overdue, waiting (a deadline ahead) or no_deadline (unanswered, none set)."""
    if inquiry.answered_on is not None:
        return "answered_late" if inquiry.answered_late() else "answered"
    if inquiry.reply_due is None:
        return "no_deadline"
    return "overdue" if inquiry.is_overdue(today) else "waiting"


def _prefix(inquiry: Inquiry, name: str) -> str:
    return f"inquiry{inquiry.pk}-{name}"


def _follow_up_initial(inquiry: Inquiry, today: dt.date) -> dict[str, Any]:
    return {
        "kind": Inquiry.Kind.REMINDER,
        "addressee_kind": inquiry.addressee_kind,
        "addressee": inquiry.addressee,
        "channel": inquiry.channel,
        "asked_on": today,
        "question": inquiry.question,
    }


def letter_language(case: Case) -> str:
    """The language a letter is drafted in unless the caseworker chooses another: the language of the
    family's request, or Russian."""
    request = enquirer(case)
    language = request.language if request is not None else ""
    return language if language in LANGUAGES else "ru"


def step_key(step: NextStep | None) -> str:
    """The suggested step as the form carries it, so that a stale suggestion is noticed."""
    return f"{step.letter_kind}:{step.addressee_kind}" if step is not None else ""


def _next_step_initial(inquiry: Inquiry, step: NextStep, lang: str, today: dt.date) -> dict[str, Any]:
    addressee = (
        inquiry.addressee
        if step.letter_kind == Inquiry.Kind.REMINDER
        else ", ".join(default_addressee(step.addressee_kind, inquiry.case.person, lang))
    )
    return {"step": step_key(step), "addressee": addressee, "asked_on": today, "lang": lang}


class _SharedFields:
    """The fields of the forms every open inquiry shows alike but for the prefix (the dates and the answer
    form): rendered once for the case with a stand-in prefix, each inquiry's copy then names its own."""

    SLOT = "inquiry__slot__"

    def __init__(self) -> None:
        self.rendered: dict[str, str] = {}

    def html(self, inquiry: Inquiry, name: str, make: Any) -> SafeString:
        """The fields of ``make(prefix=...)``, prefixed as ``_prefix(inquiry, name)`` would."""
        stand_in = f"{self.SLOT}-{name}"
        if name not in self.rendered:
            self.rendered[name] = render_to_string("portal/form_fields.html", {"form": make(prefix=stand_in)})
        # the stand-in is plain ASCII, kept as is by escaping; the prefix put in its place is too
        return mark_safe(self.rendered[name].replace(stand_in, _prefix(inquiry, name)))


def case_inquiries(case: Case, today: dt.date, bound: BoundForms | None = None) -> dict[str, Any]:
    """The case page's inquiries section: every inquiry with its status and forms, and the new one's form."""
    bound = bound or {}
    sex = case.person.sex
    lang = letter_language(case)
    rows: list[InquiryRow] = []
    shared = _SharedFields()
    inquiries = (
        Inquiry.objects.filter(case=case)
        .select_related("follows", "answer_source", "letter", "case__person")
        .prefetch_related("answer_source__attachments", "follow_ups")
        .order_by("asked_on", "id")
    )
    for inquiry in inquiries:
        status = inquiry_status(inquiry, today)
        row = InquiryRow(inquiry, status)
        by_staff = inquiry.logged_by == Inquiry.LoggedBy.STAFF
        if (
            by_staff
            and inquiry.letter_id is None
            and inquiry.answered_on is None
            and inquiry.channel in LETTER_CHANNELS
        ):
            row.forms["letter"] = LetterForm(prefix=_prefix(inquiry, "letter"), initial={"lang": lang})
        if status == "overdue" and by_staff and not inquiry.follow_ups.all():
            row.next_step = next_step(inquiry, today)
        if row.next_step is not None:
            row.forms["next"] = bound.get((inquiry.pk, "next")) or NextStepForm(
                prefix=_prefix(inquiry, "next"),
                initial=_next_step_initial(inquiry, row.next_step, lang, today),
            )
        if inquiry.answered_on is None:
            row.forms["dates"] = bound.get((inquiry.pk, "dates")) or InquiryDatesForm(
                prefix=_prefix(inquiry, "dates")
            )
            row.forms["answer"] = bound.get((inquiry.pk, "answer")) or InquiryAnswerForm(
                prefix=_prefix(inquiry, "answer"), sex=sex
            )
            if (inquiry.pk, "dates") not in bound:
                row.html["dates"] = shared.html(inquiry, "dates", InquiryDatesForm)
            if (inquiry.pk, "answer") not in bound:
                row.html["answer"] = shared.html(
                    inquiry, "answer", lambda prefix: InquiryAnswerForm(prefix=prefix, sex=sex)
                )
        if status == "overdue":
            row.forms["follow_up"] = bound.get((inquiry.pk, "follow_up")) or FollowUpForm(
                prefix=_prefix(inquiry, "follow_up"), initial=_follow_up_initial(inquiry, today)
            )
        for name in ("dates", "answer", "follow_up", "next"):
            if (inquiry.pk, name) in bound:
                row.open_form = name
        rows.append(row)
    overdue = [row for row in rows if row.status == "overdue"]
    return {
        "inquiry_rows": rows,
        "inquiries_overdue": len(overdue),
        "inquiries_pending_review": sum(1 for row in rows if row.pending_review),
        "inquiry_form": bound.get((0, "new"))
        or InquiryForm(prefix="inquiry", initial={"asked_on": today, "channel": Inquiry.Channel.POST}),
        "inquiry_form_open": (0, "new") in bound,
    }


def overdue_inquiries(user: Any, today: dt.date) -> QuerySet[Inquiry]:
    """Unanswered inquiries past their reply date of the cases ``user`` may see, oldest deadline first (an
    entry the caseworker declined as evidence is left out)."""
    return (
        Inquiry.objects.filter(case__in=cases_visible_to(user), answered_on__isnull=True, reply_due__lt=today)
        .exclude(evidence=Inquiry.Evidence.DECLINED)
        .select_related("case__person")
        .prefetch_related("case__person__names")
        .order_by("reply_due", "id")
    )


# --- the caseworker's adapters ---


def _case(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(cases_visible_to(request.user).select_related("person", "organisation"), pk=pk)


def _inquiry(case: Case, inquiry_pk: int) -> Inquiry:
    return get_object_or_404(Inquiry.objects.filter(case=case), pk=inquiry_pk)


def _back(case: Case, anchor: str = "inquiries") -> HttpResponse:
    return HttpResponseRedirect(reverse("portal:case", kwargs={"pk": case.pk}) + f"#{anchor}")


def _again(request: HttpRequest, case: Case, key: tuple[int, str], form: Any) -> HttpResponse:
    """The case page again, status 400, with the form that failed open, its values and its errors."""
    from kinlink.portal.staff import case_page

    return case_page(request, case, status=400, inquiry_forms={key: form})


def _apply_errors(form: Any, exc: ValidationError) -> None:
    """An action's refusal shown on the form: on the field it names when the form has it."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _record(request: HttpRequest, case: Case, data: dict[str, Any], **extra: Any) -> Inquiry:
    """``record_inquiry`` with what the inquiry forms ask (the new inquiry's and the follow-up's)."""
    fields = (
        "addressee_kind",
        "addressee",
        "channel",
        "tracking_number",
        "operator_name",
        "asked_on",
        "reference",
        "legal_basis",
        "question",
    )
    return document_actions.record_inquiry(request.user, case, **{f: data[f] for f in fields}, **extra)


@require_POST
@caseworker_required
def case_add_inquiry(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = InquiryForm(request.POST, prefix="inquiry")
    if not form.is_valid():
        return _again(request, case, (0, "new"), form)
    data = form.cleaned_data
    try:
        inquiry = _record(request, case, data)
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _again(request, case, (0, "new"), form)
    messages.success(request, _("The inquiry was recorded."))
    return _back(case, f"inquiry-{inquiry.pk}")


@require_POST
@caseworker_required
def case_inquiry_dates(request: HttpRequest, pk: int, inquiry_pk: int) -> HttpResponse:
    case = _case(request, pk)
    inquiry = _inquiry(case, inquiry_pk)
    form = InquiryDatesForm(request.POST, prefix=_prefix(inquiry, "dates"))
    if not form.is_valid():
        return _again(request, case, (inquiry.pk, "dates"), form)
    try:
        document_actions.update_inquiry_dates(
            request.user,
            inquiry,
            received_on=form.cleaned_data["received_on"],
            extended_on=form.cleaned_data["extended_on"],
        )
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _again(request, case, (inquiry.pk, "dates"), form)
    messages.success(request, _("The dates were recorded; the reply deadline follows them."))
    return _back(case, f"inquiry-{inquiry.pk}")


@require_POST
@caseworker_required
def case_inquiry_answer(request: HttpRequest, pk: int, inquiry_pk: int) -> HttpResponse:
    case = _case(request, pk)
    inquiry = _inquiry(case, inquiry_pk)
    form = InquiryAnswerForm(
        request.POST, request.FILES, prefix=_prefix(inquiry, "answer"), sex=case.person.sex
    )
    if not form.is_valid():
        return _again(request, case, (inquiry.pk, "answer"), form)
    data = form.cleaned_data
    upload = data.get("scan")
    try:
        document_actions.record_inquiry_answer(
            request.user,
            inquiry,
            answered_on=data["answered_on"],
            answer=data["answer"],
            answer_reference=data["answer_reference"],
            reliability=data["reliability"],
            statements=[
                document_actions.StatedFate(fate, date, place) for fate, date, place in form.statements()
            ],
            scan=(upload.name or "answer", upload.read()) if upload is not None else None,
        )
    except UploadError:
        form.add_error(
            "scan", _("Only PDF documents and JPEG, PNG, WebP or GIF images up to 10 MB are accepted.")
        )
        return _again(request, case, (inquiry.pk, "answer"), form)
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _again(request, case, (inquiry.pk, "answer"), form)
    messages.success(request, _("The answer was recorded as a source; what it states was added as claims."))
    return _back(case, f"inquiry-{inquiry.pk}")


@require_POST
@caseworker_required
def case_inquiry_follow_up(request: HttpRequest, pk: int, inquiry_pk: int) -> HttpResponse:
    case = _case(request, pk)
    inquiry = _inquiry(case, inquiry_pk)
    form = FollowUpForm(request.POST, prefix=_prefix(inquiry, "follow_up"))
    if not form.is_valid():
        return _again(request, case, (inquiry.pk, "follow_up"), form)
    data = form.cleaned_data
    try:
        follow_up = _record(request, case, data, kind=data["kind"], follows=inquiry)
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _again(request, case, (inquiry.pk, "follow_up"), form)
    messages.success(request, _("The follow-up was recorded."))
    return _back(case, f"inquiry-{follow_up.pk}")


def _letter_failed() -> str:
    return _(
        "The letter could not be drafted, and nothing was recorded. The reason is in the server's log; "
        "tell the administrator."
    )


@require_POST
@caseworker_required
def case_inquiry_letter(request: HttpRequest, pk: int, inquiry_pk: int) -> HttpResponse:
    """Draft the letter of a recorded inquiry (``issue_letter``) in the language chosen; the card links it."""
    case = _case(request, pk)
    inquiry = _inquiry(case, inquiry_pk)
    form = LetterForm(request.POST, prefix=_prefix(inquiry, "letter"))
    if inquiry.logged_by != Inquiry.LoggedBy.STAFF or inquiry.channel not in LETTER_CHANNELS:
        messages.error(request, _("A letter is drafted only for a written inquiry a caseworker recorded."))
        return _back(case, f"inquiry-{inquiry.pk}")
    if inquiry.letter_id is not None:
        messages.info(request, _("This inquiry already has its letter."))
        return _back(case, f"inquiry-{inquiry.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose the language of the letter."))
        return _back(case, f"inquiry-{inquiry.pk}")
    try:
        document = document_actions.issue_letter(request.user, inquiry, None, form.cleaned_data["lang"])
    except DocumentError as exc:
        logger.warning("letter for inquiry %s of case %s refused: %s", inquiry.pk, case.number, exc)
        messages.error(request, _letter_failed())
        return _back(case, f"inquiry-{inquiry.pk}")
    messages.success(
        request,
        _("The letter %(number)s is ready: download it from the inquiry, print it, sign it and send it.")
        % {"number": document.number},
    )
    return _back(case, f"inquiry-{inquiry.pk}")


@require_POST
@caseworker_required
def case_inquiry_next_step(request: HttpRequest, pk: int, inquiry_pk: int) -> HttpResponse:
    """Record the follow-up kinlink suggests for an overdue inquiry and generate its letter, together
    (``record_next_step``: if the letter cannot be drafted, nothing is recorded)."""
    case = _case(request, pk)
    inquiry = _inquiry(case, inquiry_pk)
    form = NextStepForm(request.POST, prefix=_prefix(inquiry, "next"))
    if not form.is_valid():
        return _again(request, case, (inquiry.pk, "next"), form)
    data = form.cleaned_data
    today = timezone.localdate()
    step = next_step(inquiry, today) if not inquiry.follow_ups.exists() else None
    if step is None or data["step"] != step_key(step):
        messages.error(
            request,
            _(
                "The suggested step has changed (another caseworker may have recorded it already): look at "
                "the inquiry again."
            ),
        )
        return _back(case, f"inquiry-{inquiry.pk}")
    try:
        follow_up, document = document_actions.record_next_step(
            request.user,
            inquiry,
            data["lang"],
            asked_on=data["asked_on"],
            addressee=data["addressee"],
            tracking_number=data["tracking_number"],
        )
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _again(request, case, (inquiry.pk, "next"), form)
    except DocumentError as exc:
        logger.warning("follow-up of inquiry %s of case %s refused: %s", inquiry.pk, case.number, exc)
        messages.error(request, _letter_failed())
        return _back(case, f"inquiry-{inquiry.pk}")
    messages.success(
        request,
        (
            _("The reminder was recorded and its letter %(number)s is ready.")
            if follow_up.kind == Inquiry.Kind.REMINDER
            else _("The complaint was recorded and its letter %(number)s is ready.")
        )
        % {"number": document.number},
    )
    return _back(case, f"inquiry-{follow_up.pk}")


@require_POST
@caseworker_required
def case_inquiry_review(request: HttpRequest, pk: int, inquiry_pk: int) -> HttpResponse:
    """Accept or decline an entry the family logged as evidence for the case."""
    case = _case(request, pk)
    inquiry = _inquiry(case, inquiry_pk)
    decision = request.POST.get("decision")
    if decision not in ("accept", "decline"):
        messages.error(request, _("Choose whether the entry becomes evidence."))
        return _back(case, f"inquiry-{inquiry.pk}")
    try:
        document_actions.review_family_inquiry(request.user, inquiry, accept=decision == "accept")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(case, f"inquiry-{inquiry.pk}")
    messages.success(
        request,
        _("The entry is now evidence for the case.")
        if decision == "accept"
        else _("The entry stays on record but is not used as evidence."),
    )
    return _back(case, f"inquiry-{inquiry.pk}")


@require_POST
@caseworker_required
def case_inquiry_share(request: HttpRequest, pk: int, inquiry_pk: int) -> HttpResponse:
    """Let the family read an answer on its follow page, or stop it."""
    case = _case(request, pk)
    inquiry = _inquiry(case, inquiry_pk)
    shared = request.POST.get("shared") == "1"
    try:
        document_actions.share_inquiry_answer(request.user, inquiry, shared=shared)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(case, f"inquiry-{inquiry.pk}")
    messages.success(
        request,
        _("The family can now read this answer.") if shared else _("The family no longer sees this answer."),
    )
    return _back(case, f"inquiry-{inquiry.pk}")


# --- the family's view ---


@dataclass(frozen=True)
class FamilyInquiryRow:
    """One inquiry as the family reads it."""

    inquiry: Inquiry
    status: str
    own: bool  # logged by this family
    answer: str  # the text it may read, or ""


def family_cases(tracing_request: TracingRequest) -> QuerySet[Case]:
    """The cases on the request's person of the organisations the family chose (and the one it wrote to)."""
    organisations = Q(organisation__in=tracing_request.consent_organisations.all())
    if tracing_request.organisation_id is not None:
        organisations |= Q(organisation_id=tracing_request.organisation_id)
    return Case.objects.filter(organisations, person_id=tracing_request.person_id).order_by("opened_at", "id")


def family_inquiries(tracing_request: TracingRequest, today: dt.date) -> list[FamilyInquiryRow]:
    """The caseworkers' inquiries on the family's cases and the entries this family logged, oldest first.
    Another family's entries are not shown."""
    inquiries = (
        Inquiry.objects.filter(case__in=family_cases(tracing_request))
        .filter(Q(logged_by=Inquiry.LoggedBy.STAFF) | Q(tracing_request=tracing_request))
        .order_by("asked_on", "id")
    )
    rows = []
    for inquiry in inquiries:
        own = inquiry.logged_by == Inquiry.LoggedBy.FAMILY
        readable = own or inquiry.shared_with_family
        rows.append(
            FamilyInquiryRow(inquiry, inquiry_status(inquiry, today), own, inquiry.answer if readable else "")
        )
    return rows


@require_POST
@family_required
def follow_inquiry(request: HttpRequest, tracing_request: TracingRequest) -> HttpResponse:
    """The family logs an inquiry or a call of its own (``logged_by="family"``) for a caseworker."""
    from kinlink.portal.family import follow_page

    case = family_cases(tracing_request).first()
    form = FamilyInquiryForm(request.POST, prefix="family-inquiry")
    if case is None:
        form.add_error(None, _("You can note your inquiries here once a caseworker has opened a case."))
        return follow_page(request, tracing_request, inquiry_form=form, status=400)
    if not form.is_valid():
        return follow_page(request, tracing_request, inquiry_form=form, status=400)
    data = form.cleaned_data
    answer = data["answer"].strip()
    try:
        document_actions.record_inquiry(
            None,
            case,
            addressee_kind=data["addressee_kind"],
            addressee=data["addressee"],
            channel=data["channel"],
            operator_name=data["operator_name"],
            asked_on=data["asked_on"],
            question=data["question"],
            answer=answer,
            answered_on=(data["answered_on"] or data["asked_on"]) if answer else None,
            logged_by=Inquiry.LoggedBy.FAMILY,
            tracing_request=tracing_request,
            label=FAMILY_ACCESS_CODE,
        )
    except ValidationError as exc:
        _apply_errors(form, exc)
        return follow_page(request, tracing_request, inquiry_form=form, status=400)
    messages.success(request, _("Thank you. The caseworker will see what you noted."))
    return HttpResponseRedirect(reverse("portal:follow") + "#inquiries")
