"""Issue 17: the demo's administrator was a superuser and read the contacts a family consented to another
organisation only. Now it is Poisk's administrator: the admin site with view rights, and contacts only of
the requests the family gave to Poisk; the portal answers 404 for the other organisation's request."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinlink.demo import DemoSummary
from kinlink.registry.models import AuditEntry, Organisation, TracingRequest
from tests.portal.portal_world import current_token

pytestmark = pytest.mark.django_db


def _admin_client() -> Client:
    """The demo's administrator signs in as a person does: password, then the TOTP code."""
    cache.clear()
    user = get_user_model().objects.get(username="admin")
    client = Client()
    response = client.post(
        "/en/staff/login?next=/en/admin/", {"username": "admin", "password": "demo-admin-2026"}
    )
    assert response.status_code == 302 and "/staff/login/code" in response["Location"], response
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    response = client.post("/en/staff/login/code?next=/en/admin/", {"token": current_token(device)})
    assert response.status_code == 302, response
    return client


def _only_to(slug: str) -> TracingRequest:
    """A demo request whose family consented to this organisation alone, with a contact on record."""
    org = Organisation.objects.get(slug=slug)
    for request in (
        TracingRequest.objects.filter(consent_organisations=org).exclude(contact="").order_by("pk")
    ):
        if list(request.consent_organisations.all()) == [org] and request.organisation_id in (None, org.pk):
            return request
    raise AssertionError(f"the demo has no request consented to {slug} alone")


def test_the_demo_administrator_reads_only_the_contacts_given_to_its_organisation(demo: DemoSummary) -> None:
    admin: Any = get_user_model().objects.get(username="admin")
    assert not admin.is_superuser and admin.is_staff
    client = _admin_client()
    assert client.get("/en/admin/").status_code == 200

    theirs = _only_to("nadezhda")
    page = client.get(f"/en/admin/registry/tracingrequest/{theirs.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert theirs.number in text
    assert theirs.contact not in text and theirs.enquirer_name not in text
    assert AuditEntry.objects.filter(object_id=str(theirs.pk), detail__contact="withheld").exists()

    own = _only_to("poisk")
    text = client.get(f"/en/admin/registry/tracingrequest/{own.pk}/change/").content.decode()
    assert own.contact in text

    # the portal: the other organisation's request does not exist for Poisk's administrator
    assert client.get(f"/en/staff/requests/{theirs.pk}/").status_code == 404
    assert client.get(f"/en/staff/requests/{own.pk}/").status_code == 200
