"""Rotating the secret key (``KINLINK_SECRET_KEY_FALLBACKS``): a family's access code and a staff member's
signed-in session, both keyed on the secret key, keep working while the former key is listed as a
fallback, and stop when it is dropped. The instance has its own field key, as production must
(``kinlink check --deploy``, kinlink.E003): a field key derived from the secret key would not survive."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache
from django.test import Client

from tests.portal.portal_world import World, signed_in_client

NEW_KEY = "the-rotated-production-secret-" + "Xy7Qp2" * 6


@pytest.fixture
def field_key(settings: Any) -> None:
    """A production instance's own field key, set before the world is written."""
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()


def _rotate(settings: Any, *, keep_former: bool) -> None:
    former = settings.SECRET_KEY
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [former] if keep_former else []


def _follow(world: World) -> int:
    cache.clear()
    response = Client().post("/en/request/follow", {"number": world.a.request.number, "code": world.a.code})
    return int(response.status_code)


def test_family_access_code_survives_a_rotation_with_the_former_key_as_fallback(
    field_key: None, world: World, settings: Any
) -> None:
    assert _follow(world) == 302  # signed in under the key the code was issued with
    _rotate(settings, keep_former=True)
    assert _follow(world) == 302
    settings.SECRET_KEY_FALLBACKS = []
    assert _follow(world) == 200  # the form again: the code no longer opens the request


def test_staff_session_survives_a_rotation_with_the_former_key_as_fallback(
    field_key: None, world: World, settings: Any
) -> None:
    active = signed_in_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    idle = signed_in_client(world.a.users["supervisor"], world.a.devices["supervisor"])
    _rotate(settings, keep_former=True)
    assert active.get("/en/staff/").status_code == 200  # Django re-signs the session under the new key
    settings.SECRET_KEY_FALLBACKS = []
    assert active.get("/en/staff/").status_code == 200
    # a session not seen while the former key was a fallback is signed out (sent to sign in again)
    response = idle.get("/en/staff/")
    assert response.status_code == 302 and "/staff/login" in response["Location"]
