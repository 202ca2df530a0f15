"""Issue 17, after linkage merged two organisations' persons into one: documents are released, listed and
downloaded per tracing request (not per person), a family's download is audited with its request number,
and one organisation's caseworker cannot retract the other's claims or attach files to its sources."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kinlink.documents.actions import issue_document
from kinlink.documents.models import DocumentRelease
from kinlink.matching.actions import merge_persons
from kinlink.registry import actions
from kinlink.registry.models import Attachment, AuditEntry, ClaimRetraction, Source
from kinlink.registry.services.family_intake import find_family_report
from tests.portal.portal_world import World, family_client, signed_in_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def merged(world: World) -> World:
    """Linkage found that A's and B's families look for the same man: B's person is merged into A's.
    Both requests and both cases now name A's person; each stays its organisation's."""
    merge_persons(None, world.a.person, world.b.person, reason="same man, two families")
    world.b.request.refresh_from_db()
    world.b.case.refresh_from_db()
    assert world.b.request.person == world.a.person == world.b.case.person
    return world


def test_a_document_released_to_one_family_is_not_another_familys(merged: World) -> None:
    world = merged
    caseworker = signed_in_client(world.b.users["caseworker"], world.b.devices["caseworker"])
    document = issue_document("certificate", world.b.case, "en", user=world.b.users["caseworker"])
    released = caseworker.post(f"/en/documents/release/{document.number}")
    assert released.status_code == 302
    assert list(DocumentRelease.objects.values_list("tracing_request", flat=True)) == [world.b.request.pk]
    url = f"/en/documents/download/{document.number}"

    # family A's request names the same person, through organisation A: nothing listed, nothing to download
    family_a = family_client(world.a)
    assert document.number not in family_a.get("/en/request/follow").content.decode()
    assert family_a.get(url).status_code == 404

    # family B, to whose request it was released, lists and downloads it; the trail names its request
    family_b = family_client(world.b)
    assert document.number in family_b.get("/en/request/follow").content.decode()
    download = family_b.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    entry = AuditEntry.objects.get(action="download_document")
    assert entry.actor_label == f"family of request {world.b.request.number}"
    assert entry.detail["request"] == world.b.request.number
    assert not AuditEntry.objects.filter(action="download_document", actor_label="anonymous").exists()


def test_a_caseworker_cannot_retract_another_organisations_claim(merged: World) -> None:
    world = merged
    own_source = actions.add_source(
        None, kind="testimony", name="B's witness", date="2022-06-01", organisation=world.b.org
    )
    theirs = actions.add_claim(None, world.b.person, own_source, fate="alive", date="2022-07-01")
    family_report = find_family_report(world.b.request)
    assert family_report is not None
    family_claim = family_report.claims.get()
    client = signed_in_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    page = client.get(f"/en/staff/cases/{world.a.case.pk}/").content.decode()
    assert "B&#x27;s witness" in page or "B's witness" in page  # read on the merged person's case page
    for claim in (theirs, family_claim):
        response = client.post(
            f"/en/staff/cases/{world.a.case.pk}/claims/{claim.pk}/retract", {"reason": "not ours"}
        )
        assert response.status_code == 404
    assert not ClaimRetraction.objects.exists()
    # A's own family report and the shared registry sources remain A's to retract
    own_report = find_family_report(world.a.request)
    assert own_report is not None
    response = client.post(
        f"/en/staff/cases/{world.a.case.pk}/claims/{own_report.claims.get().pk}/retract",
        {"reason": "the family wrote again"},
    )
    assert response.status_code == 302 and ClaimRetraction.objects.count() == 1
    # B's caseworker retracts B's own claim
    b_client = signed_in_client(world.b.users["caseworker"], world.b.devices["caseworker"])
    response = b_client.post(
        f"/en/staff/cases/{world.b.case.pk}/claims/{theirs.pk}/retract", {"reason": "the witness recanted"}
    )
    assert response.status_code == 302 and ClaimRetraction.objects.count() == 2


def test_a_caseworker_cannot_attach_files_to_another_organisations_source(merged: World) -> None:
    world = merged
    theirs = actions.add_source(
        None, kind="testimony", name="B's witness", date="2022-06-01", organisation=world.b.org
    )
    actions.add_claim(None, world.b.person, theirs, fate="alive", date="2022-07-01")
    family_report = find_family_report(world.b.request)
    assert family_report is not None
    client = signed_in_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    url = f"/en/staff/cases/{world.a.case.pk}"
    for source in (theirs, family_report):
        attach = client.post(
            f"{url}/documents/add",
            {"source": source.pk, "document": SimpleUploadedFile("scan.pdf", PDF, "application/pdf")},
        )
        assert attach.status_code == 404
        with_claim = client.post(
            f"{url}/claims/add",
            {
                "source": source.pk,
                "fate": "dead",
                "reliability": "C",
                "document": SimpleUploadedFile("scan.pdf", PDF, "application/pdf"),
            },
        )
        assert with_claim.status_code == 404
    assert not Attachment.objects.filter(source__in=[theirs, family_report]).exists()
    # the form on A's case page offers none of B's sources
    page = client.get(f"{url}/").content.decode()
    start = page.index('name="source"', page.index(f"{url}/documents/add"))
    form = page[start : page.index("</select>", start)]
    assert f'value="{world.a.claim.source_id}"' in form  # the shared unit notice is offered
    assert f'value="{theirs.pk}"' not in form
    # A's own source takes a file
    own = actions.add_source(None, kind="testimony", name="A's", date="2022-06-01", organisation=world.a.org)
    actions.add_claim(None, world.a.person, own, fate="dead", date="2022-06-01")
    ok = client.post(
        f"{url}/documents/add",
        {"source": own.pk, "document": SimpleUploadedFile("scan.pdf", PDF, "application/pdf")},
    )
    assert ok.status_code == 302 and Attachment.objects.filter(source=own).count() == 1
    assert Source.objects.filter(pk=theirs.pk, attachments__isnull=True).exists()
