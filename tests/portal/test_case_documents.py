"""Documents from the case page: a caseworker issues and releases, the family downloads what was released."""

from __future__ import annotations

from kinlink.documents.models import IssuedDocument
from tests.portal.portal_world import World, family_client, verified_client


def test_caseworker_issues_a_certificate_and_releases_it_to_the_family(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.get(f"/en/staff/cases/{world.a.case.pk}/").content.decode()
    assert "Issue the document" in page and "No documents issued yet." in page
    response = client.post(
        f"/en/documents/case/{world.a.case.pk}/issue", {"kind": "certificate", "lang": "ru"}
    )
    assert response.status_code == 302
    document = IssuedDocument.objects.get(case=world.a.case)
    assert document.kind == "certificate" and not document.released_to_family
    page = client.get(f"/en/staff/cases/{world.a.case.pk}/").content.decode()
    assert document.number in page

    family = family_client(world.a)
    assert document.number not in family.get("/en/request/follow").content.decode()

    released = client.post(f"/en/documents/release/{document.number}")
    assert released.status_code == 302 and released["Location"].endswith(
        f"/staff/cases/{world.a.case.pk}/#documents-h"
    )
    follow = family.get("/en/request/follow").content.decode()
    assert document.number in follow
    download = family.get(f"/en/documents/download/{document.number}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_other_family_never_sees_the_document(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    client.post(f"/en/documents/case/{world.a.case.pk}/issue", {"kind": "certificate", "lang": "en"})
    document = IssuedDocument.objects.get(case=world.a.case)
    client.post(f"/en/documents/release/{document.number}")
    other = family_client(world.b)
    assert document.number not in other.get("/en/request/follow").content.decode()
    assert other.get(f"/en/documents/download/{document.number}").status_code == 404


def test_caseworker_of_another_organisation_cannot_issue(world: World) -> None:
    client = verified_client(world.b.users["caseworker"], world.b.devices["caseworker"])
    response = client.post(
        f"/en/documents/case/{world.a.case.pk}/issue", {"kind": "certificate", "lang": "en"}
    )
    assert response.status_code == 404
    assert not IssuedDocument.objects.exists()
