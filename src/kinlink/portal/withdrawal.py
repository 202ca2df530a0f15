"""The family withdraws its consent from the follow page: to the use of its DNA, or the whole request.

Each withdrawal is a confirmation page and one action (``registry.actions.withdraw_dna_consent``,
``withdraw_request``). The follow page's sign-in is not here: these views serve a family already signed
in with its code (``family_required``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kinlink.portal.forms import WithdrawDnaConsentForm, WithdrawRequestForm
from kinlink.portal.roles import family_required
from kinlink.registry import actions
from kinlink.registry.models import Sample, TracingRequest

WITHDRAWN_SESSION_KEY = "kinlink_withdrawn_request"


def _page(
    request: HttpRequest,
    tracing_request: TracingRequest,
    dna_form: WithdrawDnaConsentForm | None = None,
    request_form: WithdrawRequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "portal/family/withdraw.html",
        {
            "tracing_request": tracing_request,
            "has_samples": Sample.objects.filter(
                tracing_request=tracing_request, kind=Sample.Kind.REFERENCE
            ).exists(),
            "dna_form": dna_form or WithdrawDnaConsentForm(prefix="dna"),
            "request_form": request_form or WithdrawRequestForm(prefix="request"),
        },
        status=status,
    )


@require_GET
@family_required
def follow_withdraw(request: HttpRequest, tracing_request: TracingRequest) -> HttpResponse:
    return _page(request, tracing_request)


@require_POST
@family_required
def follow_withdraw_dna(request: HttpRequest, tracing_request: TracingRequest) -> HttpResponse:
    form = WithdrawDnaConsentForm(request.POST, prefix="dna")
    if not form.is_valid():
        return _page(request, tracing_request, dna_form=form)
    if tracing_request.dna_consent_withdrawn_at is None:
        actions.withdraw_dna_consent(tracing_request)
    messages.success(
        request,
        _("You have withdrawn your consent to the use of your family's DNA. Its profiles have been erased."),
    )
    return HttpResponseRedirect(reverse("portal:follow") + "#consent")


@require_POST
@family_required
def follow_withdraw_request(request: HttpRequest, tracing_request: TracingRequest) -> HttpResponse:
    form = WithdrawRequestForm(request.POST, prefix="request")
    if not form.is_valid():
        return _page(request, tracing_request, request_form=form)
    number = tracing_request.number
    actions.withdraw_request(tracing_request)
    request.session.flush()
    request.session[WITHDRAWN_SESSION_KEY] = number
    return HttpResponseRedirect(reverse("portal:request_withdrawn"))


@require_GET
def request_withdrawn(request: HttpRequest) -> HttpResponse:
    number = request.session.get(WITHDRAWN_SESSION_KEY)
    if not number:
        return HttpResponseRedirect(reverse("portal:follow"))
    return render(request, "portal/family/withdrawn.html", {"number": number})
