"""A small world for portal tests: two organisations, one lab each, staff of every role with TOTP
devices, one family request per organisation, and the seed case (unit: killed; ministry: missing;
comrade: locals buried the bodies)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinlink.identification import actions as lab_actions
from kinlink.portal.models import RateCounter
from kinlink.registry import actions
from kinlink.registry.models import (
    Case,
    Claim,
    Membership,
    Organisation,
    Person,
    Role,
    Sample,
    TracingRequest,
)
from kinlink.registry.services.family_intake import FamilyRequest

PASSWORD = "correct horse battery staple"
ROLES = ("caseworker", "supervisor", "administrator", "lab_analyst")


@dataclass
class Side:
    """Everything one organisation owns."""

    org: Organisation
    lab: Organisation
    users: dict[str, Any]
    devices: dict[str, TOTPDevice]
    person: Person
    request: TracingRequest
    code: str
    case: Case
    claim: Claim
    sample: Sample
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    a: Side
    b: Side


def current_token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def verified_client(user: Any, device: TOTPDevice) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def signed_in_client(user: Any, device: TOTPDevice, password: str = PASSWORD, lang: str = "en") -> Client:
    """A client that signed in as a person does: the password form, then the TOTP code form.

    End-to-end tests use this (not :func:`verified_client`), so the real login and second factor
    are part of the path they drive."""
    cache.clear()  # rate-limit counters of earlier tests from the same test address
    client = Client()
    response = client.post(f"/{lang}/staff/login", {"username": user.get_username(), "password": password})
    assert response.status_code == 302 and "/staff/login/code" in response["Location"], response
    response = client.post(f"/{lang}/staff/login/code", {"token": current_token(device)})
    assert response.status_code == 302 and "/login" not in response["Location"], response
    return client


def family_client(side: Side) -> Client:
    cache.clear()
    # The per-address count of code checks (kinlink.portal.ratelimit): every test client has one address, and
    # tests sign many families in; the limits themselves are tested in tests/portal/test_abuse.py.
    RateCounter.objects.all().delete()
    client = Client()
    response = client.post("/en/request/follow", {"number": side.request.number, "code": side.code})
    assert response.status_code == 302, response.content[:500]
    return client


_PASSWORD_HASH: list[str] = []


def _side(tag: str, surname: str, given: str) -> Side:
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(make_password(PASSWORD))
    org = Organisation.objects.create(name=f"Search group {tag.upper()}", slug=f"org-{tag}")
    lab = Organisation.objects.create(name=f"Lab {tag.upper()}", slug=f"lab-{tag}", is_lab=True)
    org.labs.add(lab)  # each organisation works with its own lab
    users: dict[str, Any] = {}
    devices: dict[str, TOTPDevice] = {}
    for role in ROLES:
        user = get_user_model().objects.create(username=f"{role}-{tag}", password=_PASSWORD_HASH[0])
        Membership.objects.create(user=user, organisation=lab if role == Role.LAB_ANALYST else org, role=role)
        users[role] = user
        devices[role] = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    request, code = actions.submit_tracing_request(
        FamilyRequest(
            surname=surname,
            given_name=given,
            sex="M",
            birth_date="1998-04-17",
            unit=f"unit 12{tag}",
            relationship="mother",
            contact=f"+7 900 000 00 0{tag}",
            enquirer_name=f"Mother {tag}",
            consent_organisations=[org],
            consent_dna=True,
        )
    )
    person = request.person
    case = actions.open_case(None, person, org)
    unit = actions.add_source(
        None, kind="unit_notice", name=f"Unit notice {tag}", date="2022-04-05", reliability="B"
    )
    claim = actions.add_claim(None, person, unit, fate="dead", date="2022-03-30", place="Hostomel")
    sample = lab_actions.register_sample(None, lab, f"BC-{tag}-001", "reference", relationship="mother")
    return Side(org, lab, users, devices, person, request, code, case, claim, sample)


def seed_conflict(side: Side) -> None:
    """The foundation issue's seed case on this side's person: the ministry and a comrade disagree."""
    ministry = actions.add_source(
        None, kind="ministry_letter", name="Ministry answer", date="2022-05-10", reliability="B"
    )
    actions.add_claim(None, side.person, ministry, fate="missing", date="2022-03-30")
    comrade = actions.add_source(
        None, kind="testimony", name="Comrade testimony", date="2022-06-01", reliability="C"
    )
    site = actions.add_site(
        None,
        name="Field grave near Hostomel",
        kind="field_grave",
        latitude=50.58,
        longitude=30.21,
        precision_m=300,
    )
    actions.add_claim(
        None,
        side.person,
        comrade,
        fate="dead",
        date="2022-03-30",
        site=site,
        circumstances="They were withdrawing, there was a battle, locals buried the bodies.",
    )


def build_world() -> World:
    a = _side("a", "Иванов", "Сергей")
    b = _side("b", "Petrenko", "Oleh")
    seed_conflict(a)
    actions.release_update(None, b.request, "Private news for family B only")
    return World(a, b)


def request_form_token(client: Client, language: str = "ru") -> str:
    """The one-time token of a fresh public request form, as a browser gets it with the page."""
    page = client.get(f"/{language}/request/new").content.decode()
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    assert match is not None, "the request form carries no one-time token"
    return match.group(1)
