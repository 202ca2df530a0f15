"""The family portal: send a tracing request without an account, then follow it with the access code.

Nothing on these pages reveals whether anyone else is in the registry: a new request never says
"we already know him", and a wrong request number and a wrong code get the same answer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.contrib import messages
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
from kinlink.portal import actions as portal_actions
from kinlink.portal import formtokens, ratelimit
from kinlink.portal.clientip import client_ip
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
from kinlink.portal.publiccache import render_public
from kinlink.portal.roles import FAMILY_SESSION_KEY, family_required
from kinlink.registry import accesscode, actions
from kinlink.registry.actions import FAMILY_ACCESS_CODE, FamilyRequest, UploadedFile, UploadError
from kinlink.registry.legal import LegalStatusError
from kinlink.registry.models import Attachment, FamilyMessage, FamilyUpdate, Sample, TracingRequest
from kinlink.registry.services import audit
from kinlink.registry.services.family_intake import find_family_report
from kinlink.registry.services.uploads import UploadTotalTooLarge, check_uploads

#: What a family is told about a DNA sample: never "matched" before a caseworker releases the news.
FAMILY_SAMPLE_STATUS = {
    Sample.Status.REGISTERED: Sample.Status.REGISTERED,
    Sample.Status.COLLECTED: Sample.Status.COLLECTED,
    Sample.Status.PROFILED: Sample.Status.PROFILED,
    Sample.Status.SEARCHED: Sample.Status.SEARCHED,
    Sample.Status.MATCHED: Sample.Status.SEARCHED,
}


def _uploads(request: HttpRequest, field: str) -> list[UploadedFile]:
    """The uploaded files as open files (Django spooled the large ones to disk): never read whole."""
    return [UploadedFile(f.name or "file", cast(IO[bytes], f)) for f in request.FILES.getlist(field)]


def _upload_error(error: UploadError) -> str:
    if isinstance(error, UploadTotalTooLarge):
        return _("All files together may be at most %(megabytes)d MB.") % {
            "megabytes": settings.FAMILY_UPLOAD_TOTAL_MAX_BYTES // (1024 * 1024)
        }
    return _("Only JPEG, PNG, WebP or GIF photos up to 10 MB are accepted.")


def _code_lockout() -> ratelimit.Limit:
    """Wrong codes for one request number, from anywhere, before its code check pauses."""
    return ratelimit.Limit(
        count=settings.FAMILY_CODE_FAILURE_LIMIT,
        window=settings.FAMILY_CODE_FAILURE_WINDOW,
        lock_seconds=settings.FAMILY_CODE_PAUSE_SECONDS,
    )


def _new_request_page(request: HttpRequest, form: FamilyRequestForm, status: int = 200) -> HttpResponse:
    return render(
        request, "portal/family/new.html", {"form": form, "form_token": formtokens.issue()}, status=status
    )


@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        # the empty form, rendered once for every visitor with no session; each gets their own CSRF and
        # form tokens put in (portal.publiccache)
        return render_public(
            request, "portal/family/new.html", lambda: {"form": FamilyRequestForm()}, form_token=True
        )
    form = FamilyRequestForm(request.POST, request.FILES)
    if not ratelimit.hit(
        "request-form", client_ip(request), ratelimit.limit_from_settings("request_form")
    ).allowed:
        form.is_valid()
        form.add_error(None, _("Too many requests were sent from this connection. Please try again later."))
        return _new_request_page(request, form, status=429)
    token = request.POST.get("form_token", "")
    token_state = formtokens.state(token)
    if token_state is formtokens.TokenState.SPENT:
        return _already_sent(request, form, token)
    if token_state is formtokens.TokenState.INVALID:
        form.is_valid()
        form.add_error(
            None, _("This form is too old to be sent. Please check what you wrote and send it again.")
        )
        return _new_request_page(request, form)
    if not form.is_valid():
        return _new_request_page(request, form)
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
            formtokens.spend(token, tracing_request)
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
            link_token = portal_actions.issue_follow_link(tracing_request)
    except UploadError as error:
        form.add_error("photos", _upload_error(error))
        return _new_request_page(request, form)
    except formtokens.TokenSpent:
        return _already_sent(request, form, token)
    request.session.cycle_key()
    request.session[FAMILY_SESSION_KEY] = tracing_request.pk
    # The code and the link are shown in this answer, once, and kept nowhere (not in the session either).
    return _submitted_page(request, tracing_request, code, link_token)


def _already_sent(request: HttpRequest, form: FamilyRequestForm, token: str) -> HttpResponse:
    """The same form sent a second time (a double click, a reload of the answer): nothing is stored again.
    The family who sent it (same session) goes to its request; anyone else is told the form was used."""
    earlier = formtokens.spent_for(token)
    if earlier is not None and request.session.get(FAMILY_SESSION_KEY) == earlier.pk:
        messages.info(request, _("Your request was already sent; it is not sent twice. Here it is."))
        return HttpResponseRedirect(reverse("portal:follow"))
    form.is_valid()
    form.add_error(None, _("This form was already sent. To send another request, fill in a new form."))
    return _new_request_page(request, form, status=409)


def _submitted_page(
    request: HttpRequest, tracing_request: TracingRequest, code: str, link_token: str
) -> HttpResponse:
    link = request.build_absolute_uri(reverse("portal:follow_link_open", kwargs={"token": link_token}))
    return render(
        request,
        "portal/family/submitted.html",
        {
            "number": tracing_request.number,
            "code": code,
            "code_groups": code.split("-"),
            "link": link,
            "link_days": settings.KINLINK_FOLLOW_LINK_DAYS,
            "advice": dna_advice(tracing_request.relationship),
            "legal": _family_legal(tracing_request),
            "person_sex": tracing_request.person.sex,
            "power": sampling_power(),
            "consent_dna": tracing_request.consent_dna,
        },
    )


def request_submitted(request: HttpRequest) -> HttpResponse:
    """The former address of the answer to a sent request. The code is shown once, in that answer, and
    never again: this address goes to the request (signed in) or to the sign-in form."""
    return HttpResponseRedirect(reverse("portal:follow"))


@contextlib.contextmanager
def hash_slot() -> Iterator[bool]:
    """One of the machine's ``FAMILY_CODE_HASH_SLOTS`` slots to hash a family's code in; yields whether one
    was had within ``FAMILY_CODE_SLOT_WAIT_MS``.

    Each check costs a memory-hard hash (``registry.accesscode``: milliseconds of a core and megabytes of
    memory, docs/security.md). Unbounded, a burst of checks (a crowd after a news item, or someone guessing
    from many addresses) runs one hash per server thread at once: every core is taken and every page waits
    behind them. Bounded, the checks beyond the slots wait at most ``FAMILY_CODE_SLOT_WAIT_MS`` (at most
    ``FAMILY_CODE_SLOT_WAITERS`` of them per process: a waiting check holds a server thread) and are then
    told "busy, try again" at once. The slots are lock files (``flock``) in ``FAMILY_CODE_SLOT_DIR``
    (``VAR_DIR/run/code-check-slots``), shared by every process and thread of the machine, as its cores are;
    a process that dies releases its slot."""
    folder = Path(settings.FAMILY_CODE_SLOT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    count = max(1, settings.FAMILY_CODE_HASH_SLOTS)
    deadline = time.monotonic() + settings.FAMILY_CODE_SLOT_WAIT_MS / 1000
    descriptor = _take_slot(folder, count)
    # a waiting check holds a server thread: at most FAMILY_CODE_SLOT_WAITERS per process wait, the others
    # are answered at once and leave the threads to the other pages
    if descriptor is None and _waiters.join(settings.FAMILY_CODE_SLOT_WAITERS):
        try:
            while descriptor is None and time.monotonic() < deadline:
                time.sleep(min(0.005, max(0.0, deadline - time.monotonic())))
                descriptor = _take_slot(folder, count)
        finally:
            _waiters.leave()
    if descriptor is None:
        yield False
        return
    try:
        yield True
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _take_slot(folder: Path, count: int) -> int | None:
    """A free slot's locked file descriptor, or None when every slot is taken."""
    for index in range(count):
        descriptor = os.open(folder / f"slot-{index}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return descriptor
    return None


class _Waiters:
    """How many checks of this process wait for a slot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def join(self, limit: int) -> bool:
        with self._lock:
            if self.count >= limit:
                return False
            self.count += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.count -= 1


_waiters = _Waiters()


class CodeCheck(enum.Enum):
    OPENED = "opened"
    WRONG = "wrong"
    PAUSED = "paused"
    #: the per-address limit was reached: nothing was checked
    TOO_MANY = "too_many"
    #: every hashing slot of this process was taken: nothing was checked or counted
    BUSY = "busy"


def _sign_in(request: HttpRequest, tracing_request: TracingRequest) -> None:
    request.session.cycle_key()
    request.session[FAMILY_SESSION_KEY] = tracing_request.pk


def _open(request: HttpRequest, number: str, code: str) -> CodeCheck:
    """Check a request number and code. A wrong number and a wrong code take the same path (the same
    hashing, the same count, the same answer); ten wrong codes for one number, from any address, pause
    the check of that number (``FAMILY_CODE_*`` settings).

    A hashing slot is taken first (:func:`hash_slot`): without one the answer is BUSY, with nothing
    checked and nothing counted. With one, the per-address limit and then the per-number count are
    counted before the code is hashed, and the slot is given back as soon as the hash is done (signing in
    is done outside it). Attempts sent in parallel are counted one by one (the row is locked), so none
    slips past the limit; a right code clears the count."""
    number = number.strip().upper()
    lockout = _code_lockout()
    with hash_slot() as slot:
        if not slot:
            return CodeCheck.BUSY
        if not _follow_check_allowed(request):
            return CodeCheck.TOO_MANY
        verdict = ratelimit.hit("follow-code", number, lockout)
        if not verdict.allowed:
            return CodeCheck.PAUSED
        tracing_request = TracingRequest.objects.filter(number=number).first()
        # a number that does not exist costs the same hashing as a wrong code for one that does
        candidate = tracing_request or TracingRequest(access_code_hash=accesscode.dummy())
        opened = candidate.check_access_code(code) and tracing_request is not None
    if not opened or tracing_request is None:
        if verdict.count >= lockout.count:
            portal_actions.pause_family_code_check(
                number, timezone.now() + dt.timedelta(seconds=lockout.lock_seconds)
            )
        return CodeCheck.WRONG
    ratelimit.clear("follow-code", number)
    if accesscode.needs_rehash(tracing_request.access_code_hash):
        actions.store_access_code_again(tracing_request, code)
    _sign_in(request, tracing_request)
    audit.record(None, audit.Action.FAMILY_SIGN_IN, tracing_request, label=FAMILY_ACCESS_CODE)
    return CodeCheck.OPENED


def _follow_check_allowed(request: HttpRequest) -> bool:
    """The per-address limit on code checks and private links (any answer counts)."""
    return ratelimit.hit(
        "follow-check", client_ip(request), ratelimit.limit_from_settings("follow_check")
    ).allowed


@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    family_pk = request.session.get(FAMILY_SESSION_KEY)
    tracing_request = TracingRequest.objects.filter(pk=family_pk).first() if family_pk else None
    if tracing_request is not None and request.method == "GET":
        return _follow_page(request, tracing_request)
    if request.method != "POST":
        # the empty sign-in form: rendered once for every visitor with no session (portal.publiccache)
        return render_public(request, "portal/family/follow_login.html", lambda: {"form": FollowForm()})
    form = FollowForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        # the slot first: a check turned away as busy hashes nothing and counts nothing (the family in a
        # crowd loses no attempt), and costs the server no more than rendering the form
        outcome = _open(request, form.cleaned_data["number"], form.cleaned_data["code"])
        if outcome is CodeCheck.BUSY:
            form.add_error(
                None,
                _(
                    "Many people are checking their requests right now. Please try again in a few "
                    "seconds; nothing was counted against you."
                ),
            )
            response = render(request, "portal/family/follow_login.html", {"form": form}, status=503)
            response["Retry-After"] = str(settings.FAMILY_CODE_BUSY_RETRY_SECONDS)
            # an expected answer under load, not a server error: the request log (kinlink.request) has it,
            # Django's error log does not
            response._has_been_logged = True  # type: ignore[attr-defined]
            return response
        if outcome is CodeCheck.OPENED:
            return HttpResponseRedirect(reverse("portal:follow"))
        if outcome is CodeCheck.TOO_MANY:
            form.add_error(
                None, _("Too many attempts from this connection. Please try again in a little while.")
            )
            status = 429
        elif outcome is CodeCheck.PAUSED:
            form.add_error(
                None,
                _(
                    "Too many wrong codes were entered for this request number. Checking codes for it "
                    "is paused for a while; please try again later."
                ),
            )
            status = 429
        else:
            form.add_error(None, _("The request number or the access code is not right."))
    return render(request, "portal/family/follow_login.html", {"form": form}, status=status)


def follow_link(request: HttpRequest, number: str, code: str) -> HttpResponse:
    """The retired private link that carried the access code in its address. It no longer signs anyone in:
    the code is neither checked nor recorded; the family is sent to the sign-in form."""
    messages.info(
        request,
        _(
            "Links with the access code in them no longer work. Enter your request number and access "
            "code below."
        ),
    )
    return HttpResponseRedirect(reverse("portal:follow"))


@require_http_methods(["GET", "POST"])
def follow_link_open(request: HttpRequest, token: str) -> HttpResponse:
    """A one-time private link. GET shows a button and spends nothing (a messenger's link preview cannot use
    it up); the button's POST spends the link and signs the family in."""
    if request.method == "GET":
        return render(request, "portal/family/follow_link.html", {})
    if not _follow_check_allowed(request):
        messages.error(
            request, _("Too many attempts from this connection. Please try again in a little while.")
        )
        return HttpResponseRedirect(reverse("portal:follow"))
    tracing_request = portal_actions.open_follow_link(token)
    if tracing_request is not None:
        _sign_in(request, tracing_request)
        return HttpResponseRedirect(reverse("portal:follow"))
    messages.error(
        request,
        _(
            "This link is not valid, was already used or has expired. Enter your request number and "
            "access code below."
        ),
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
    limit = ratelimit.limit_from_settings("family_message")
    if not (
        ratelimit.hit("family-message", f"request:{tracing_request.pk}", limit).allowed
        and ratelimit.hit("family-message", client_ip(request), limit).allowed
    ):
        form.add_error(
            None, _("You have sent many messages in a short time. Please wait a little before writing again.")
        )
        return _follow_page(request, tracing_request, message_form=form, status=429)
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
        # all files, and their total, are checked before the first is stored: a refusal stores nothing
        check_uploads([(upload.filename, upload.content) for upload in uploads])
        with transaction.atomic():
            source = actions.family_report_source(tracing_request)
            for upload in uploads:
                actions.attach_document(
                    None, source, upload.filename, upload.content, label=FAMILY_ACCESS_CODE
                )
    except UploadError as error:
        form.add_error(
            "documents",
            _upload_error(error)
            if isinstance(error, UploadTotalTooLarge)
            else _("Only PDF documents and JPEG, PNG, WebP or GIF photos up to 10 MB are accepted."),
        )
        return _follow_page(request, tracing_request, document_form=form)
    messages.success(request, _("Thank you. The caseworker will see your documents."))
    return HttpResponseRedirect(reverse("portal:follow") + "#documents")


@require_POST
def follow_leave(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return HttpResponseRedirect(reverse("portal:home"))
