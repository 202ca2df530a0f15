"""The family portal: send a tracing request without an account, then follow it with the access code.

Nothing on these pages reveals whether anyone else is in the registry: a new request never says
"we already know him", and a wrong request number and a wrong code get the same answer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kinlink.documents.legal import case_legal_view
from kinlink.documents.models import IssuedDocument
from kinlink.field import actions as field_actions
from kinlink.portal.dna_advice import dna_advice, sampling_power
from kinlink.portal.forms import (
    RELATIONSHIP_LABELS,
    FamilyDocumentForm,
    FamilyInquiryForm,
    FamilyMessageForm,
    FamilyRequestForm,
    FollowForm,
)
from kinlink.portal.inquiries import family_cases, family_inquiries
from kinlink.portal.roles import FAMILY_SESSION_KEY, family_required
from kinlink.registry import actions
from kinlink.registry.actions import FAMILY_ACCESS_CODE, FamilyRequest, UploadedFile, UploadError
from kinlink.registry.legal import LegalStatusError
from kinlink.registry.models import Attachment, FamilyMessage, FamilyUpdate, Sample, TracingRequest
from kinlink.registry.services import audit
from kinlink.registry.services.family_intake import find_family_report

NEW_REQUEST_SESSION_KEY = "kinlink_new_request"
#: What a family is told about a DNA sample: never "matched" before a caseworker releases the news.
FAMILY_SAMPLE_STATUS = {
    Sample.Status.REGISTERED: Sample.Status.REGISTERED,
    Sample.Status.COLLECTED: Sample.Status.COLLECTED,
    Sample.Status.PROFILED: Sample.Status.PROFILED,
    Sample.Status.SEARCHED: Sample.Status.SEARCHED,
    Sample.Status.MATCHED: Sample.Status.SEARCHED,
}


def _client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def _uploads(request: HttpRequest, field: str) -> list[UploadedFile]:
    return [UploadedFile(f.name or "file", f.read()) for f in request.FILES.getlist(field)]


@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    form = FamilyRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        am_values, am_marks = form.antemortem()
        try:
            with transaction.atomic():
                tracing_request, code = actions.submit_tracing_request(
                    FamilyRequest(
                        surname=data["surname"],
                        given_name=data["given_name"],
                        patronymic=data["patronymic"],
                        other_names=data["other_names"],
                        sex=data["sex"],
                        birth_date=data["birth_date"],
                        birth_place=data["birth_place"],
                        unit=data["unit"],
                        service_number=data["service_number"],
                        last_contact=data["last_contact"],
                        last_known_place=data["last_known_place"],
                        circumstances=data["circumstances"],
                        enquirer_name=data["enquirer_name"],
                        relationship=data["relationship"],
                        contact=data["contact"],
                        consent_organisations=list(data["consent_organisations"]),
                        consent_dna=data["consent_dna"],
                        language=get_language() or "ru",
                        photos=_uploads(request, "photos"),
                    )
                )
                if am_values or am_marks:
                    # what would help recognise him, as the family said it: his ante-mortem data
                    field_actions.save_profile(
                        None,
                        person=tracing_request.person,
                        values=am_values,
                        sources=dict.fromkeys(am_values, "family"),
                        marks=[
                            field_actions.MarkInput(kind, region, description, "family")
                            for kind, region, description in am_marks
                        ],
                        label="family form",
                    )
        except UploadError:
            form.add_error("photos", _("Only JPEG, PNG, WebP or GIF photos up to 10 MB are accepted."))
        else:
            request.session.cycle_key()
            request.session[FAMILY_SESSION_KEY] = tracing_request.pk
            request.session[NEW_REQUEST_SESSION_KEY] = {"number": tracing_request.number, "code": code}
            return HttpResponseRedirect(reverse("portal:request_submitted"))
    return render(request, "portal/family/new.html", {"form": form})


def request_submitted(request: HttpRequest) -> HttpResponse:
    issued = request.session.get(NEW_REQUEST_SESSION_KEY)
    tracing_request = TracingRequest.objects.filter(pk=request.session.get(FAMILY_SESSION_KEY, 0)).first()
    if not issued or tracing_request is None or tracing_request.number != issued.get("number"):
        return HttpResponseRedirect(reverse("portal:follow"))
    link = request.build_absolute_uri(
        reverse("portal:follow_link", kwargs={"number": issued["number"], "code": issued["code"]})
    )
    return render(
        request,
        "portal/family/submitted.html",
        {
            "number": issued["number"],
            "code": issued["code"],
            "code_groups": issued["code"].split("-"),
            "link": link,
            "advice": dna_advice(tracing_request.relationship),
            "legal": _family_legal(tracing_request),
            "person_sex": tracing_request.person.sex,
            "power": sampling_power(),
            "consent_dna": tracing_request.consent_dna,
        },
    )


def _too_many_failures(request: HttpRequest) -> bool:
    return (
        int(cache.get(f"family-code-failures:{_client_address(request)}", 0))
        >= settings.FAMILY_CODE_FAILURE_LIMIT
    )


def _note_failure(request: HttpRequest) -> None:
    key = f"family-code-failures:{_client_address(request)}"
    cache.set(key, int(cache.get(key, 0)) + 1, timeout=60 * 60)


def _open(request: HttpRequest, number: str, code: str) -> TracingRequest | None:
    """The request when number and code match; the same silence for any wrong number or code."""
    if _too_many_failures(request):
        return None
    tracing_request = TracingRequest.objects.filter(number=number.strip().upper()).first()
    if tracing_request is None or not tracing_request.check_access_code(code):
        _note_failure(request)
        return None
    request.session.cycle_key()
    request.session[FAMILY_SESSION_KEY] = tracing_request.pk
    audit.record(None, audit.Action.FAMILY_SIGN_IN, tracing_request, label=FAMILY_ACCESS_CODE)
    return tracing_request


@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    tracing_request = TracingRequest.objects.filter(pk=request.session.get(FAMILY_SESSION_KEY, 0)).first()
    if tracing_request is not None and request.method == "GET":
        return _follow_page(request, tracing_request)
    form = FollowForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if _open(request, form.cleaned_data["number"], form.cleaned_data["code"]) is not None:
            return HttpResponseRedirect(reverse("portal:follow"))
        if _too_many_failures(request):
            form.add_error(None, _("Too many wrong codes from this connection. Please try again in an hour."))
            status = 429
        else:
            form.add_error(None, _("The request number or the access code is not right."))
    return render(request, "portal/family/follow_login.html", {"form": form}, status=status)


def follow_link(request: HttpRequest, number: str, code: str) -> HttpResponse:
    """The private follow-up link: checks the code, then moves to the plain address (no code in history).

    A wrong link says so, in the same words whether or not the request number exists.
    """
    if _open(request, number, code) is None:
        messages.error(
            request,
            _("This link is not valid or has expired. Enter your request number and access code below."),
        )
    return HttpResponseRedirect(reverse("portal:follow"))


def _family_legal(tracing_request: TracingRequest) -> dict[str, Any] | None:
    """The legal plan of the request's case in plain words, or None without a case. While the plan rests on
    news of a death (an identification, the unit's notice) the family sees no steps: a caseworker tells
    them first, in person."""
    case = family_cases(tracing_request).first()  # a case of the organisations the family chose
    if case is None:
        return None
    try:
        view = case_legal_view(case)
    except LegalStatusError:
        return None
    return {"steps": view.family_steps, "waiting_for_caseworker": view.family_steps is None}


def _follow_page(
    request: HttpRequest,
    tracing_request: TracingRequest,
    message_form: FamilyMessageForm | None = None,
    document_form: FamilyDocumentForm | None = None,
    inquiry_form: FamilyInquiryForm | None = None,
    status: int = 200,
) -> HttpResponse:
    audit.record(None, audit.Action.FAMILY_VIEW, tracing_request, label=FAMILY_ACCESS_CODE)
    today = timezone.localdate()
    source = find_family_report(tracing_request)
    samples = [
        (
            RELATIONSHIP_LABELS.get(sample.relationship, sample.relationship),
            Sample.Status(FAMILY_SAMPLE_STATUS[Sample.Status(sample.status)]).label,
        )
        for sample in Sample.objects.filter(tracing_request=tracing_request, kind=Sample.Kind.REFERENCE)
    ]
    return render(
        request,
        "portal/family/follow.html",
        {
            "tracing_request": tracing_request,
            "person_name": tracing_request.person.primary_name(),
            "relationship": RELATIONSHIP_LABELS.get(
                tracing_request.relationship, tracing_request.relationship
            ),
            "updates": FamilyUpdate.objects.filter(tracing_request=tracing_request),
            "thread": FamilyMessage.objects.filter(tracing_request=tracing_request),
            "documents": Attachment.objects.filter(source=source).order_by("created")
            if source is not None
            else Attachment.objects.none(),
            "samples": samples,
            "issued_documents": IssuedDocument.objects.filter(
                releases__tracing_request=tracing_request
            ).order_by("created"),
            "advice": dna_advice(tracing_request.relationship),
            "legal": _family_legal(tracing_request),
            "person_sex": tracing_request.person.sex,
            "power": sampling_power(),
            "message_form": message_form or FamilyMessageForm(),
            "document_form": document_form or FamilyDocumentForm(),
            "inquiries": family_inquiries(tracing_request, today),
            "can_log_inquiry": family_cases(tracing_request).exists(),
            "inquiry_form": inquiry_form
            or FamilyInquiryForm(prefix="family-inquiry", initial={"asked_on": today}),
        },
        status=status,
    )


#: The follow page with forms given back (the inquiry view renders it with the form that failed).
follow_page = _follow_page


@require_POST
@family_required
def follow_message(request: HttpRequest, tracing_request: TracingRequest) -> HttpResponse:
    form = FamilyMessageForm(request.POST)
    if not form.is_valid():
        return _follow_page(request, tracing_request, message_form=form)
    actions.send_message(None, tracing_request, form.cleaned_data["body"], from_family=True)
    messages.success(request, _("Your message was sent to the caseworker."))
    return HttpResponseRedirect(reverse("portal:follow") + "#thread")


@require_POST
@family_required
def follow_documents(request: HttpRequest, tracing_request: TracingRequest) -> HttpResponse:
    form = FamilyDocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _follow_page(request, tracing_request, document_form=form)
    uploads = _uploads(request, "documents")
    try:
        with transaction.atomic():
            source = actions.family_report_source(tracing_request)
            for upload in uploads:
                actions.attach_document(
                    None, source, upload.filename, upload.content, label=FAMILY_ACCESS_CODE
                )
    except UploadError:
        form.add_error(
            "documents",
            _("Only PDF documents and JPEG, PNG, WebP or GIF photos up to 10 MB are accepted."),
        )
        return _follow_page(request, tracing_request, document_form=form)
    messages.success(request, _("Thank you. The caseworker will see your documents."))
    return HttpResponseRedirect(reverse("portal:follow") + "#documents")


@require_POST
def follow_leave(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return HttpResponseRedirect(reverse("portal:home"))
