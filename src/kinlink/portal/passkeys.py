"""Passkeys (WebAuthn) as a second factor beside TOTP: the registration ceremony on the account page and the
authentication ceremony at sign-in, with the local script ``portal/passkeys.js`` (no inline script). The
relying party is this instance's host (:func:`relying_party`); signatures are verified by ``webauthn``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from kinlink.portal import actions
from kinlink.portal.auth import complete_sign_in, pending_user, second_factor_failed
from kinlink.portal.models import PasskeyDevice
from kinlink.portal.roles import staff_required
from kinlink.portal.signin import agent_class, client_address
from kinlink.registry.models import Role

REGISTRATION_CHALLENGE = "kinlink_passkey_registration"
AUTHENTICATION_CHALLENGE = "kinlink_passkey_authentication"
ALL_STAFF = (Role.CASEWORKER, Role.SUPERVISOR, Role.ADMINISTRATOR, Role.LAB_ANALYST)


def relying_party(request: HttpRequest) -> tuple[str, str]:
    """(RP id, expected origin): from ``KINLINK_BASE_URL`` when set, else the host the request came to
    (Django has checked it against ``ALLOWED_HOSTS``). ``KINLINK_WEBAUTHN_RP_ID`` overrides the RP id."""
    if settings.KINLINK_BASE_URL:
        parts = urlsplit(settings.KINLINK_BASE_URL)
        origin = f"{parts.scheme}://{parts.netloc}"
        host = parts.hostname or ""
    else:
        origin = f"{request.scheme}://{request.get_host()}"
        host = urlsplit(origin).hostname or ""
    return settings.KINLINK_WEBAUTHN_RP_ID or host, origin


def _descriptors(user: Any) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=bytes(d.credential_id))
        for d in PasskeyDevice.objects.filter(user=user, confirmed=True)
    ]


def _context(request: HttpRequest) -> dict[str, str]:
    return {"ip": client_address(request), "agent": agent_class(str(request.META.get("HTTP_USER_AGENT", "")))}


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


def _credential(request: HttpRequest) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@never_cache
@require_POST
@staff_required(ALL_STAFF)
def registration_options(request: HttpRequest) -> HttpResponse:
    rp_id, _origin = relying_party(request)
    user: Any = request.user
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=settings.KINLINK_INSTANCE_NAME,
        user_name=user.get_username(),
        user_id=f"kinlink-user-{user.pk}".encode(),
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[REGISTRATION_CHALLENGE] = bytes_to_base64url(options.challenge)
    return HttpResponse(options_to_json(options), content_type="application/json")


@never_cache
@require_POST
@staff_required(ALL_STAFF)
def register(request: HttpRequest) -> HttpResponse:
    challenge = request.session.pop(REGISTRATION_CHALLENGE, None)
    credential = _credential(request)
    if challenge is None or credential is None:
        return _refused("no registration in progress")
    rp_id, origin = relying_party(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        return _refused(f"the passkey was not accepted: {exc}")
    if PasskeyDevice.objects.filter(credential_id=verified.credential_id).exists():
        return _refused("this passkey is registered already")
    actions.register_passkey(
        request.user,  # type: ignore[arg-type]
        name=str(credential.get("name") or "passkey"),
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        **_context(request),
    )
    return JsonResponse({"ok": True, "redirect": reverse("portal:account")})


@never_cache
@require_POST
def authentication_options(request: HttpRequest) -> HttpResponse:
    user = pending_user(request)
    if user is None:
        return _refused("sign in with your password first", status=403)
    rp_id, _origin = relying_party(request)
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[AUTHENTICATION_CHALLENGE] = bytes_to_base64url(options.challenge)
    return HttpResponse(options_to_json(options), content_type="application/json")


@never_cache
@require_POST
def authenticate(request: HttpRequest) -> HttpResponse:
    from axes.handlers.proxy import AxesProxyHandler

    user = pending_user(request)
    challenge = request.session.pop(AUTHENTICATION_CHALLENGE, None)
    credential = _credential(request)
    if user is None:
        return _refused("sign in with your password first", status=403)
    if not AxesProxyHandler.is_allowed(request, credentials={"username": user.get_username()}):
        return _refused("locked", status=429)
    if challenge is None or credential is None:
        return _refused("no sign-in in progress")
    rp_id, origin = relying_party(request)
    try:
        raw_id = base64url_to_bytes(str(credential.get("rawId") or credential.get("id") or ""))
    except ValueError:
        raw_id = b""
    device = PasskeyDevice.objects.filter(user=user, confirmed=True, credential_id=raw_id).first()
    verified = None
    if device is not None:
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=rp_id,
                expected_origin=origin,
                credential_public_key=bytes(device.public_key),
                credential_current_sign_count=device.sign_count,
            )
        except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
            verified = None
    if device is None or verified is None:
        if second_factor_failed(request, user, "passkey"):
            return _refused("locked", status=429)
        return _refused("the passkey was not accepted")
    actions.note_passkey_use(device, verified.new_sign_count)
    response = complete_sign_in(request, user, device, "passkey")
    return JsonResponse({"ok": True, "redirect": response["Location"]})
