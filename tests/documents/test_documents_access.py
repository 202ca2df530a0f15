"""Who may issue and download: the case's organisation, and the family once a document is released."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from kinlink.documents.actions import issue_document, release_document
from kinlink.documents.services import DocumentError
from kinlink.portal.roles import FAMILY_SESSION_KEY
from kinlink.registry.models import AuditEntry, Case, Membership, Organisation

pytestmark = pytest.mark.django_db


def staff(username: str, organisation: Organisation) -> User:
    user = User.objects.create_user(username, password="long-enough-password")
    Membership.objects.create(user=user, organisation=organisation, role="caseworker")
    return user


def signed_in(user: User, *, second_factor: bool = True) -> Client:
    """A browser signed in with the password, and with the TOTP second factor unless told otherwise."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if second_factor:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def test_caseworker_issues_from_the_case_and_outsiders_cannot(history_case: Case) -> None:
    own = staff("own", history_case.organisation)
    other = staff("other", Organisation.objects.create(name="Other", slug="other"))
    with pytest.raises(DocumentError, match="may not issue"):
        issue_document("certificate", history_case, "ru", user=other)

    half = signed_in(own, second_factor=False)
    refused = half.post(f"/ru/documents/case/{history_case.pk}/issue", {"kind": "dossier", "lang": "ru"})
    assert refused.status_code == 302 and "login" in refused["Location"]  # password alone is not enough

    client = signed_in(own)
    response = client.post(f"/ru/documents/case/{history_case.pk}/issue", {"kind": "dossier", "lang": "ru"})
    assert response.status_code == 302
    download = client.get(response["Location"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    assert AuditEntry.objects.filter(action="issue_document", actor=own).exists()
    assert AuditEntry.objects.filter(action="download_document", actor=own).exists()

    outsider = signed_in(other)
    assert (
        outsider.post(
            f"/ru/documents/case/{history_case.pk}/issue", {"kind": "dossier", "lang": "ru"}
        ).status_code
        == 404
    )
    assert outsider.get(response["Location"]).status_code == 404


def test_family_downloads_only_released_documents(history_case: Case) -> None:
    document = issue_document("certificate", history_case, "ru", user=None)
    family = Client()
    session = family.session
    session[FAMILY_SESSION_KEY] = history_case.person.tracing_requests.get().pk
    session.save()
    url = f"/ru/documents/download/{document.number}"
    assert family.get(url).status_code == 404
    release_document(document, None)
    assert family.get(url).status_code == 200
    assert Client().get(url).status_code == 404  # no access code opened: nothing


def test_caseworker_releases_a_document_to_the_family(history_case: Case) -> None:
    own = staff("own", history_case.organisation)
    document = issue_document("certificate", history_case, "ru", user=own)
    client = signed_in(own)
    response = client.post(f"/ru/documents/release/{document.number}")
    assert response.status_code == 302  # back to the case page
    assert response["Location"].endswith(f"/staff/cases/{history_case.pk}/#documents-h")
    document.refresh_from_db()
    assert document.released_to_family and document.issued_by == own
    lab_copy = issue_document("certificate", history_case, "ru", user=own, audience="lab")
    assert client.post(f"/ru/documents/release/{lab_copy.number}", HTTP_HX_REQUEST="true").status_code == 400
