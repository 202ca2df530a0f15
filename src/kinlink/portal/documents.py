"""Document views, the documents app's web adapter: the public verification page, and issuing and
downloading for staff and families.

The verification page reveals nothing but whether a number was issued here, its kind and time, and
whether an uploaded file is the exact file issued. Staff issue, release and download only when signed in
with both factors (the portal's ``caseworker_required`` / ``is_verified``) and only for cases their
organisation sees. Families download only documents a caseworker released to them, once the portal has
opened their tracing request by its access code (``portal.roles.family_request``).
"""

from __future__ import annotations

import datetime as dt
import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from kinlink.documents import actions, court, services
from kinlink.documents.labels import LANGUAGES
from kinlink.documents.models import IssuedDocument
from kinlink.documents.render import NUMBER_PATTERN
from kinlink.lib.formats import format_date
from kinlink.portal.forms import CourtApplicationForm
from kinlink.portal.roles import caseworker_required, family_request, is_verified
from kinlink.registry.models import Case, TracingRequest
from kinlink.registry.services import access, audit

VERIFY_MAX_BYTES = 50 * 1024 * 1024
logger = logging.getLogger(__name__)


class VerifyForm(forms.Form):
    document = forms.FileField(label=_("PDF file"))


class IssueForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in ("certificate", "dossier", "dna-report")])
    lang = forms.ChoiceField(choices=[(lang, lang) for lang in LANGUAGES])


def _upload_limit() -> int:
    return min(VERIFY_MAX_BYTES, int(settings.KINLINK_MAX_UPLOAD_BYTES))


def _too_large(request: HttpRequest) -> bool:
    """Judge the declared size before Django reads (and spools to disk) any of the upload."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > _upload_limit() + 64 * 1024
    except ValueError:
        return True


def _check_upload(form: VerifyForm) -> tuple[bytes | None, str]:
    upload = form.cleaned_data["document"]
    if upload.size is None or upload.size > _upload_limit():
        return None, str(_("The file is larger than any document this instance issues."))
    return upload.read(), ""


def _reason(checked: services.Verification) -> str:
    """What the register says about an uploaded file, in the reader's language."""
    number = checked.number or ""
    if checked.code == "genuine" and checked.document is not None:
        created = date_format(checked.document.created, "DATETIME_FORMAT")
        return str(_("Document %(number)s, issued on %(created)s UTC.")) % {
            "number": number,
            "created": created,
        }
    messages = {
        "not_pdf": _("This is not a PDF file."),
        "no_number": _("Unknown document: it carries no kinlink document number."),
        "unknown_number": _("Unknown document: the number %(number)s was never issued by this instance."),
        "altered": _(
            "The file was altered: document %(number)s is registered, but this file differs from the "
            "issued one (its SHA-256 checksum does not match)."
        ),
    }
    message = messages.get(checked.code)
    return str(message) % {"number": number} if message is not None else checked.reason


def _issued_at(created: dt.datetime) -> str:
    moment = created.astimezone(dt.UTC)
    return f"{format_date(moment.date(), get_language() or 'en')}, {moment:%H:%M}"


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, number: str) -> HttpResponse:
    """What the QR code opens: is this number ours, and (on upload) is this file the issued one?"""
    document = (
        IssuedDocument.objects.filter(number=number).first() if NUMBER_PATTERN.fullmatch(number) else None
    )
    content_hash = request.GET.get("c", "")
    result = None
    if request.method == "POST" and _too_large(request):
        result = {
            "genuine": False,
            "reason": str(_("The file is larger than any document this instance issues.")),
        }
    form = VerifyForm(request.POST or None, request.FILES or None) if result is None else VerifyForm()
    if result is None and request.method == "POST" and form.is_valid():
        data, error = _check_upload(form)
        if data is None:
            result = {"genuine": False, "reason": error}
        else:
            checked = services.verify_pdf(data)
            same = checked.genuine and checked.number == number
            result = {
                "genuine": same,
                "reason": _reason(checked)
                if same or not checked.genuine
                else str(_("This file is a genuine document, but not the one with this number.")),
            }
    context = {
        "number": number,
        "document": document,
        "content_match": bool(document and content_hash and content_hash == document.content_sha256),
        "content_given": bool(content_hash),
        # in UTC, the date as the reader's language writes it ("2 декабря 2026 г., 09:14")
        "issued_at": _issued_at(document.created) if document else "",
        "form": form,
        "result": result,
    }
    return render(request, "documents/verify.html", context, status=200 if document else 404)


@require_http_methods(["GET", "POST"])
def verify_upload(request: HttpRequest) -> HttpResponse:
    """Upload any PDF to check whether this instance issued exactly that file."""
    result = None
    if request.method == "POST" and _too_large(request):
        result = {
            "genuine": False,
            "reason": str(_("The file is larger than any document this instance issues.")),
        }
    form = VerifyForm(request.POST or None, request.FILES or None) if result is None else VerifyForm()
    if result is None and request.method == "POST" and form.is_valid():
        data, error = _check_upload(form)
        if data is None:
            result = {"genuine": False, "reason": error}
        else:
            checked = services.verify_pdf(data)
            result = {"genuine": checked.genuine, "reason": _reason(checked)}
    return render(request, "documents/verify.html", {"form": form, "result": result, "number": ""})


@caseworker_required
@require_POST
def issue(request: HttpRequest, case_id: int) -> HttpResponseBase:
    """A caseworker issues a document from the case page; the new PDF downloads at once."""
    case = get_object_or_404(access.cases_visible_to(request.user), pk=case_id)
    form = IssueForm(request.POST)
    if not form.is_valid():
        return HttpResponse(str(form.errors), status=400, content_type="text/plain; charset=utf-8")
    try:
        document = actions.issue_document(
            form.cleaned_data["kind"], case, form.cleaned_data["lang"], user=request.user
        )
    except services.DocumentError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    return redirect("documents:download", number=document.number)


@require_POST
@caseworker_required
def court_application(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A caseworker drafts an application to a court (``issue_court_application``) from the case page; it
    is listed with the case's documents. A refusal is said on the page."""
    case = get_object_or_404(access.cases_visible_to(request.user).select_related("person"), pk=pk)
    back = redirect(reverse("portal:case", args=[case.pk]) + "#documents-h")
    form = CourtApplicationForm(request.POST, prefix="court")
    if not form.is_valid():
        messages.error(request, gettext("Choose the application and its language."))
        return back
    if case.jurisdiction not in court.JURISDICTIONS:
        messages.error(
            request,
            gettext(
                "kinlink drafts court applications for Russian courts only, and this case is under "
                "another jurisdiction (%(jurisdiction)s)."
            )
            % {"jurisdiction": case.jurisdiction},
        )
        return back
    try:
        document = actions.issue_court_application(
            request.user, case, form.cleaned_data["kind"], form.cleaned_data["lang"]
        )
    except services.DocumentError as exc:
        logger.warning("court application for case %s refused: %s", case.number, exc)
        messages.error(
            request,
            gettext(
                "The application could not be drafted. The reason is in the server's log; tell the "
                "administrator."
            ),
        )
        return back
    messages.success(
        request,
        gettext(
            "The draft application %(number)s is ready (listed below). It is a draft, not legal advice: "
            "the family or their lawyer completes and checks it before filing."
        )
        % {"number": document.number},
    )
    return back


@caseworker_required
@require_POST
def release(request: HttpRequest, number: str) -> HttpResponseBase:
    """A caseworker releases a document to the family's portal."""
    document = get_object_or_404(
        IssuedDocument, number=number, case__in=access.cases_visible_to(request.user)
    )
    try:
        actions.release_document(document, request.user)
    except services.DocumentError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    if request.headers.get("HX-Request") or document.case is None:
        return HttpResponse(status=204)
    return redirect(reverse("portal:case", args=[document.case.pk]) + "#documents-h")


def _reader(request: HttpRequest, document: IssuedDocument) -> tuple[bool, TracingRequest | None]:
    """Whether this browser may download the document, and the family's request when it is a family: a
    family downloads only what was released to its own tracing request (not to another family whose
    request names the same person)."""
    if document.case is None:
        return document.audience == "public", None
    case: Case = document.case
    if is_verified(request) and access.cases_visible_to(request.user).filter(pk=case.pk).exists():
        return True, None
    family = family_request(request)
    if family is not None and document.releases.filter(tracing_request=family).exists():
        return True, family
    return False, None


def download(request: HttpRequest, number: str) -> FileResponse:
    document = IssuedDocument.objects.filter(number=number).select_related("case__person").first()
    allowed, family = (False, None) if document is None else _reader(request, document)
    if document is None or not allowed:
        raise Http404("no such document")
    if family is not None:  # the family that opened its request with its access code
        audit.record(
            None,
            "download_document",
            document,
            label=f"family of request {family.number}",
            number=number,
            request=family.number,
            lang=get_language() or "",
        )
    else:
        audit.record(request.user, "download_document", document, number=number, lang=get_language() or "")
    response = FileResponse(
        iter([services.pdf_bytes(document)]),
        content_type="application/pdf",
        as_attachment=True,
        filename=document.filename,
    )
    response["Content-Length"] = str(document.size)
    return response
