"""Staff accounts through the real sign-in: recovery codes, passkeys (a software authenticator that really
signs), the audit of every sign-in step, lockouts per user and address, the administrators' lockouts page,
and idle and absolute session timeouts."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from django.test import Client

from kinlink.portal.auth import LAST_SEEN_AT, SIGNED_IN_AT
from kinlink.portal.models import PasskeyDevice, RecoveryCode
from kinlink.registry.models import AuditEntry
from tests.portal.portal_world import PASSWORD, World, current_token, family_client, signed_in_client
from tests.portal.software_authenticator import SoftwareAuthenticator

CODE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _password(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/en/staff/login", {"username": username, "password": password}, **extra)


def _new_codes(client: Client) -> list[str]:
    response = client.post("/en/staff/account/recovery-codes")
    assert response.status_code == 200
    return CODE.findall(response.content.decode())


def _actions(user: Any) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="user", object_id=str(user.pk))
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )


# Recovery codes


def test_recovery_codes_are_shown_once_stored_hashed_and_sign_in_once_each(world: World) -> None:
    user = world.a.users["caseworker"]
    client = signed_in_client(user, world.a.devices["caseworker"])
    codes = _new_codes(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(device__user=user).values_list("digest", flat=True))
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & set(stored)
    assert not any(code in client.get("/en/staff/account/").content.decode() for code in codes)
    assert "You have 10 unused recovery codes" in client.get("/en/staff/account/").content.decode()

    fresh = Client(HTTP_USER_AGENT=FIREFOX)
    _password(fresh, "caseworker-a")
    response = fresh.post("/en/staff/login/code", {"token": codes[3].upper().replace("-", " ")})
    assert response.status_code == 302 and response["Location"] == "/en/staff/"
    assert fresh.get("/en/staff/").status_code == 200
    used = AuditEntry.objects.filter(action="use_recovery_code", actor=user).get()
    assert used.detail["remaining"] == 9 and used.detail["agent"] == "Firefox on Linux"
    assert (
        AuditEntry.objects.filter(action="login", actor=user).latest("at").detail["method"] == "recovery_code"
    )

    again = Client()
    _password(again, "caseworker-a")
    response = again.post("/en/staff/login/code", {"token": codes[3]})
    assert response.status_code == 200 and again.get("/en/staff/").status_code == 302
    assert AuditEntry.objects.filter(action="sign_in_second_factor_failed", actor=user).exists()


def test_new_recovery_codes_void_the_old_ones_and_are_audited(world: World) -> None:
    user = world.a.users["supervisor"]
    client = signed_in_client(user, world.a.devices["supervisor"])
    old = _new_codes(client)
    new = _new_codes(client)
    assert not set(old) & set(new)
    assert AuditEntry.objects.filter(action="regenerate_recovery_codes", actor=user).count() == 2
    fresh = Client()
    _password(fresh, "supervisor-a")
    assert fresh.post("/en/staff/login/code", {"token": old[0]}).status_code == 200
    assert fresh.post("/en/staff/login/code", {"token": new[0]}).status_code == 302


def test_one_users_recovery_code_does_not_open_another_account(world: World) -> None:
    client = signed_in_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    codes = _new_codes(client)
    other = Client()
    _password(other, "caseworker-b")
    assert other.post("/en/staff/login/code", {"token": codes[0]}).status_code == 200
    assert other.get("/en/staff/").status_code == 302


# Passkeys


def _register_passkey(client: Client, authenticator: SoftwareAuthenticator) -> Any:
    options = client.post("/en/staff/account/passkeys/options").json()
    return client.post(
        "/en/staff/account/passkeys/register",
        json.dumps(authenticator.create(options)),
        content_type="application/json",
    )


def _passkey_sign_in(client: Client, authenticator: SoftwareAuthenticator, **kwargs: Any) -> Any:
    options = client.post("/en/staff/login/passkey/options").json()
    answer = authenticator.get(options, **kwargs)
    return client.post("/en/staff/login/passkey", json.dumps(answer), content_type="application/json")


def test_a_passkey_registers_and_signs_in_with_a_verified_signature(world: World, settings: Any) -> None:
    settings.KINLINK_BASE_URL = "https://kinlink.example.org"
    user = world.a.users["caseworker"]
    authenticator = SoftwareAuthenticator(rp_id="kinlink.example.org", origin="https://kinlink.example.org")
    client = signed_in_client(user, world.a.devices["caseworker"])
    options = client.post("/en/staff/account/passkeys/options").json()
    assert options["rp"]["id"] == "kinlink.example.org" and options["attestation"] == "none"
    response = client.post(
        "/en/staff/account/passkeys/register",
        json.dumps(authenticator.create(options)),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["ok"], response.content
    device = PasskeyDevice.objects.get(user=user)
    assert bytes(device.credential_id) == authenticator.credential_id
    assert AuditEntry.objects.filter(action="register_passkey", actor=user).exists()

    fresh = Client()
    assert fresh.post("/en/staff/login/passkey/options").status_code == 403  # password first
    _password(fresh, "caseworker-a")
    assert b"Sign in with a passkey" in fresh.get("/en/staff/login/code").content
    response = _passkey_sign_in(fresh, authenticator)
    assert response.status_code == 200 and response.json()["redirect"] == "/en/staff/"
    assert fresh.get("/en/staff/").status_code == 200
    assert AuditEntry.objects.filter(action="login", actor=user).latest("at").detail["method"] == "passkey"
    device.refresh_from_db()
    assert device.sign_count == 1


def test_a_passkey_answer_with_a_bad_signature_or_a_stale_counter_or_another_origin_is_refused(
    world: World, settings: Any
) -> None:
    settings.KINLINK_BASE_URL = "https://kinlink.example.org"
    user = world.a.users["supervisor"]
    authenticator = SoftwareAuthenticator(rp_id="kinlink.example.org", origin="https://kinlink.example.org")
    assert _register_passkey(signed_in_client(user, world.a.devices["supervisor"]), authenticator).json()[
        "ok"
    ]
    attempts = [
        {"tamper": True},  # signature does not cover the data sent
        {"origin": "https://evil.example"},  # a phishing page's origin
    ]
    for kwargs in attempts:
        client = Client()
        _password(client, "supervisor-a")
        response = _passkey_sign_in(client, authenticator, **kwargs)
        assert response.status_code == 400, kwargs
        assert client.get("/en/staff/").status_code == 302
    client = Client()
    _password(client, "supervisor-a")
    assert _passkey_sign_in(client, authenticator, count=10).status_code == 200
    client = Client()
    _password(client, "supervisor-a")
    assert _passkey_sign_in(client, authenticator, count=5).status_code == 400  # a cloned key goes back
    assert AuditEntry.objects.filter(action="sign_in_second_factor_failed", actor=user).count() == 3


def test_another_users_passkey_does_not_sign_in(world: World, settings: Any) -> None:
    settings.KINLINK_BASE_URL = "https://kinlink.example.org"
    authenticator = SoftwareAuthenticator(rp_id="kinlink.example.org", origin="https://kinlink.example.org")
    client = signed_in_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    assert _register_passkey(client, authenticator).json()["ok"]
    other = Client()
    _password(other, "caseworker-b")
    assert _passkey_sign_in(other, authenticator).status_code == 400
    assert other.get("/en/staff/").status_code == 302


def test_a_passkey_can_be_removed_only_by_its_owner(world: World, settings: Any) -> None:
    settings.KINLINK_BASE_URL = "https://kinlink.example.org"
    authenticator = SoftwareAuthenticator(rp_id="kinlink.example.org", origin="https://kinlink.example.org")
    owner = signed_in_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    assert _register_passkey(owner, authenticator).json()["ok"]
    device = PasskeyDevice.objects.get()
    stranger = signed_in_client(world.a.users["supervisor"], world.a.devices["supervisor"])
    assert stranger.post(f"/en/staff/account/passkeys/{device.pk}/remove").status_code == 404
    assert owner.post(f"/en/staff/account/passkeys/{device.pk}/remove").status_code == 302
    assert not PasskeyDevice.objects.exists()
    assert AuditEntry.objects.filter(action="remove_passkey").count() == 1


# The audit of every sign-in step, and the account page


def test_every_sign_in_step_is_audited_with_address_and_browser_and_no_secret(world: World) -> None:
    user = world.a.users["caseworker"]
    client = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="198.51.100.20")
    _password(client, "caseworker-a", "wrong password 1")
    _password(client, "caseworker-a")
    good = current_token(world.a.devices["caseworker"])
    client.post("/en/staff/login/code", {"token": f"{(int(good) + 1) % 1_000_000:06d}"})
    client.post("/en/staff/login/code", {"token": good})
    client.post("/en/staff/logout")
    assert _actions(user) == [
        "sign_in_password_failed",
        "sign_in_password",
        "sign_in_second_factor_failed",
        "login",
        "logout",
    ]
    entries = AuditEntry.objects.filter(object_type="user", object_id=str(user.pk))
    assert {e.detail["ip"] for e in entries} == {"198.51.100.20"}
    assert {e.detail["agent"] for e in entries} == {"Firefox on Linux"}
    text = json.dumps([e.detail for e in entries])
    assert "wrong password" not in text and PASSWORD not in text and good not in text


def test_a_failure_for_an_unknown_name_is_audited_without_the_name(world: World) -> None:
    _password(Client(), "correct horse battery staple", "x" * 12)  # a password typed as the user name
    entry = AuditEntry.objects.get(action="sign_in_password_failed")
    assert entry.object_id == "unknown" and "correct horse" not in json.dumps(entry.detail)


def test_staff_see_their_own_recent_sign_ins_and_no_one_elses(world: World) -> None:
    _password(Client(REMOTE_ADDR="203.0.113.99"), "caseworker-a", "wrong password 1")
    _password(Client(REMOTE_ADDR="203.0.113.77"), "supervisor-a", "wrong password 2")
    client = signed_in_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.get("/en/staff/account/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "203.0.113.99" in text and "wrong password" in text and "signed in" in text
    assert "203.0.113.77" not in text
    assert "Недавние входы" in client.get("/ru/staff/account/").content.decode()


# Lockouts


def test_a_stranger_cannot_lock_a_caseworker_out_of_his_own_address(world: World, settings: Any) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _password(Client(REMOTE_ADDR="203.0.113.66"), "caseworker-a", "wrong password")
    assert _password(Client(REMOTE_ADDR="203.0.113.66"), "caseworker-a").status_code == 429
    assert AuditEntry.objects.filter(action="sign_in_locked_out").exists()
    # The caseworker at his own desk signs in as usual.
    response = _password(Client(REMOTE_ADDR="198.51.100.5"), "caseworker-a")
    assert response.status_code == 302 and "/staff/login/code" in response["Location"]


def test_a_forged_forwarded_for_does_not_move_the_lock_but_a_trusted_proxys_does(
    world: World, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = []
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password(
            Client(REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="198.51.100.5"),
            "caseworker-a",
            "wrong pw",
        )
    # The lock is on the stranger's real address, not on the one he wrote in the header.
    assert _password(Client(REMOTE_ADDR="198.51.100.5"), "caseworker-a").status_code == 302
    assert _password(Client(REMOTE_ADDR="203.0.113.66"), "caseworker-a").status_code == 429
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    behind = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert _password(behind, "caseworker-a").status_code == 429
    elsewhere = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.5")
    assert _password(elsewhere, "caseworker-a").status_code == 302


def test_an_address_that_tries_many_names_is_locked_for_all(world: World, settings: Any) -> None:
    settings.KINLINK_LOGIN_ADDRESS_FAILURE_LIMIT = 8
    statuses = [
        _password(Client(REMOTE_ADDR="203.0.113.50"), f"guess-{i}", "wrong password").status_code
        for i in range(8)
    ]
    assert statuses == [200] * 7 + [429]  # each name failed once: only the address's count reached a limit
    assert _password(Client(REMOTE_ADDR="203.0.113.50"), "supervisor-a").status_code == 429
    assert _password(Client(REMOTE_ADDR="203.0.113.51"), "supervisor-a").status_code == 302


def test_signing_in_to_ones_own_account_does_not_wipe_an_addresss_guessing(
    world: World, settings: Any
) -> None:
    settings.KINLINK_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for i in range(5):
        _password(Client(REMOTE_ADDR="203.0.113.50"), f"guess-{i}", "wrong password")
    client = Client(REMOTE_ADDR="203.0.113.50")
    _password(client, "caseworker-a")
    assert (
        client.post(
            "/en/staff/login/code", {"token": current_token(world.a.devices["caseworker"])}
        ).status_code
        == 302
    )
    assert _password(Client(REMOTE_ADDR="203.0.113.50"), "guess-9", "wrong password").status_code == 429


def test_an_administrator_lists_and_lifts_a_lockout_of_his_organisation(world: World, settings: Any) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password(Client(REMOTE_ADDR="203.0.113.66"), "caseworker-a", "wrong password")
        _password(Client(REMOTE_ADDR="203.0.113.66"), "caseworker-b", "wrong password")
    admin_a = signed_in_client(world.a.users["administrator"], world.a.devices["administrator"])
    page = admin_a.get("/en/staff/lockouts/").content.decode()
    assert "caseworker-a" in page and "203.0.113.66" in page
    assert "caseworker-b" not in page  # another organisation's account
    lift_b = admin_a.post(
        "/en/staff/lockouts/lift", {"username": "caseworker-b", "ip_address": "203.0.113.66"}
    )
    assert lift_b.status_code == 404
    response = admin_a.post(
        "/en/staff/lockouts/lift", {"username": "caseworker-a", "ip_address": "203.0.113.66"}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="unlock_account")
    assert entry.actor == world.a.users["administrator"] and entry.object_id == str(
        world.a.users["caseworker"].pk
    )
    assert _password(Client(REMOTE_ADDR="203.0.113.66"), "caseworker-a").status_code == 302
    assert _password(Client(REMOTE_ADDR="203.0.113.66"), "caseworker-b").status_code == 429
    assert "No lock is in force" in admin_a.get("/en/staff/lockouts/").content.decode()


def test_only_administrators_open_the_lockouts_page(world: World) -> None:
    caseworker = signed_in_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    assert caseworker.get("/en/staff/lockouts/").status_code == 403
    assert caseworker.post("/en/staff/lockouts/lift", {"username": "caseworker-a"}).status_code == 403
    assert Client().get("/en/staff/lockouts/").status_code == 302


# Sessions expire


def _age_session(client: Client, *, idle: float = 0, since_sign_in: float = 0) -> None:
    session = client.session
    now = time.time()
    session[LAST_SEEN_AT] = now - idle
    session[SIGNED_IN_AT] = now - since_sign_in
    session.save()


@pytest.mark.parametrize(
    ("idle", "since", "reason"), [(31 * 60, 31 * 60, "idle"), (60, 9 * 3600, "absolute")]
)
def test_a_staff_session_ends_when_idle_or_too_old(
    world: World, settings: Any, idle: float, since: float, reason: str
) -> None:
    settings.KINLINK_STAFF_IDLE_MINUTES = 30
    settings.KINLINK_STAFF_SESSION_HOURS = 8
    user = world.a.users["caseworker"]
    client = signed_in_client(user, world.a.devices["caseworker"])
    _age_session(client, idle=29 * 60, since_sign_in=29 * 60)
    assert client.get("/en/staff/").status_code == 200
    _age_session(client, idle=idle, since_sign_in=since)
    response = client.get("/en/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/en/staff/login")
    assert AuditEntry.objects.get(action="session_expired", actor=user).detail["reason"] == reason


def test_a_family_session_is_shorter_than_staffs(world: World, settings: Any) -> None:
    settings.KINLINK_FAMILY_IDLE_MINUTES = 15
    client = family_client(world.a)
    assert client.get("/en/request/follow").status_code == 200
    _age_session(client, idle=16 * 60, since_sign_in=16 * 60)
    response = client.post("/en/request/follow/message", {"body": "Any news?"})
    assert response.status_code == 302 and response["Location"].endswith("/request/follow")


def test_the_instances_superuser_lifts_an_address_lock(world: World, settings: Any) -> None:
    settings.KINLINK_LOGIN_ADDRESS_FAILURE_LIMIT = 4
    for i in range(4):
        _password(Client(REMOTE_ADDR="203.0.113.40"), f"guess-{i}", "wrong password")
    assert _password(Client(REMOTE_ADDR="203.0.113.40"), "caseworker-a").status_code == 429
    plain_admin = signed_in_client(world.b.users["administrator"], world.b.devices["administrator"])
    assert "203.0.113.40" not in plain_admin.get("/en/staff/lockouts/").content.decode()
    assert plain_admin.post("/en/staff/lockouts/lift", {"ip_address": "203.0.113.40"}).status_code == 404
    superuser = world.a.users["administrator"]
    superuser.is_superuser = True
    superuser.save()
    client = signed_in_client(superuser, world.a.devices["administrator"])
    assert "every account" in client.get("/en/staff/lockouts/").content.decode()
    assert client.post("/en/staff/lockouts/lift", {"ip_address": "203.0.113.40"}).status_code == 302
    entry = AuditEntry.objects.get(action="unlock_address")
    assert entry.actor == superuser and entry.object_id == "203.0.113.40"
    assert _password(Client(REMOTE_ADDR="203.0.113.40"), "caseworker-a").status_code == 302
