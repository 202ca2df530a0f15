"""Staff sign-in: argon2 password, TOTP second factor, lockout after repeated failures (django-axes)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import identify_hasher
from django.test import Client

from kinlink.registry.models import AuditEntry
from tests.portal.portal_world import PASSWORD, World, current_token


def _password_step(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/en/staff/login", {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(world: World) -> None:
    assert identify_hasher(world.a.users["caseworker"].password).algorithm == "argon2"


def test_password_then_totp_signs_in_and_is_audited(world: World) -> None:
    client = Client()
    response = _password_step(client, "caseworker-a")
    assert response.status_code == 302 and response["Location"].startswith("/en/staff/login/code")
    # Password alone opens nothing.
    assert client.get("/en/staff/")["Location"].startswith("/en/staff/login")
    response = client.post("/en/staff/login/code", {"token": current_token(world.a.devices["caseworker"])})
    assert response.status_code == 302 and response["Location"] == "/en/staff/"
    assert client.get("/en/staff/").status_code == 200
    assert AuditEntry.objects.filter(action="login", actor=world.a.users["caseworker"]).exists()


def test_lab_analyst_lands_on_lab_console(world: World) -> None:
    client = Client()
    _password_step(client, "lab_analyst-a")
    response = client.post("/en/staff/login/code", {"token": current_token(world.a.devices["lab_analyst"])})
    assert response["Location"] == "/en/lab/"


def test_wrong_totp_is_refused(world: World) -> None:
    client = Client()
    _password_step(client, "caseworker-a")
    good = current_token(world.a.devices["caseworker"])
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post("/en/staff/login/code", {"token": wrong})
    assert response.status_code == 200
    assert client.get("/en/staff/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(world: World) -> None:
    response = _password_step(Client(), "caseworker-a", "not the password")
    assert response.status_code == 200
    assert b"user name or the password is not right" in response.content
    response = _password_step(Client(), "nobody-at-all", "not the password")
    assert b"user name or the password is not right" in response.content


def test_lockout_after_repeated_password_failures(world: World, settings: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(client, "caseworker-a", "wrong password")
    # Even the right password is refused now.
    response = _password_step(client, "caseworker-a")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content


def test_lockout_after_repeated_totp_failures(world: World, settings: Any) -> None:
    client = Client()
    _password_step(client, "supervisor-a")
    good = current_token(world.a.devices["supervisor"])
    wrong = f"{(int(good) + 7) % 1_000_000:06d}"
    statuses = [
        client.post("/en/staff/login/code", {"token": wrong}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429
    response = client.post("/en/staff/login/code", {"token": good})
    assert response.status_code == 429


def test_account_without_totp_device_cannot_sign_in(world: World) -> None:
    world.a.devices["caseworker"].delete()
    response = _password_step(Client(), "caseworker-a")
    assert response.status_code == 200
    assert b"no second factor" in response.content


def test_next_parameter_only_goes_to_this_site(world: World) -> None:
    client = Client()
    client.post(
        "/en/staff/login?next=https://evil.example/",
        {"username": "caseworker-a", "password": PASSWORD, "next": "https://evil.example/"},
    )
    response = client.post(
        "/en/staff/login/code",
        {"token": current_token(world.a.devices["caseworker"]), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/en/staff/"


def test_admin_sign_in_goes_through_the_totp_sign_in(world: World) -> None:
    user = world.a.users["administrator"]
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client = Client()
    response = client.get("/en/admin/login/?next=/en/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/en/staff/login?next=/en/admin/")
    # A password posted to the admin's own login page signs no one in.
    client.post("/en/admin/login/", {"username": "administrator-a", "password": PASSWORD})
    assert client.get("/en/admin/").status_code == 302
    _password_step(client, "administrator-a")
    client.post(
        "/en/staff/login/code?next=/en/admin/", {"token": current_token(world.a.devices["administrator"])}
    )
    assert client.get("/en/admin/").status_code == 200


def test_a_correct_code_right_after_a_wrong_one_is_accepted(world: World) -> None:
    from axes.models import AccessAttempt

    client = Client()
    _password_step(client, "caseworker-a")
    device = world.a.devices["caseworker"]
    good = current_token(device)
    wrong = f"{(int(good) + 3) % 1_000_000:06d}"
    assert client.post("/en/staff/login/code", {"token": wrong}).status_code == 200
    assert AccessAttempt.objects.get(username="caseworker-a").failures_since_start == 1
    response = client.post("/en/staff/login/code", {"token": good})
    assert response.status_code == 302 and response["Location"] == "/en/staff/"
    assert not AccessAttempt.objects.filter(username="caseworker-a").exists()  # a success clears the count


def test_the_sign_in_page_says_how_long_the_lock_lasts(world: World) -> None:
    page = Client().get("/en/staff/login").content.decode()
    assert "After 5 wrong attempts in a row" in page and "The lock lasts 1 hour" in page
    page = Client().get("/ru/staff/login").content.decode()
    assert "1 час" in page
