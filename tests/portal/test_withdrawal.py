"""A family withdraws its consent from the follow page: to DNA use, or the whole request (issue 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kinlink.exchange.genotypes import genotype_csv
from kinlink.identification.actions import register_reference_samples, store_lab_profiles
from kinlink.registry import actions
from kinlink.registry.models import (
    Attachment,
    AuditEntry,
    ClaimRetraction,
    FamilyMessage,
    FamilyUpdate,
    NameVariant,
    Sample,
    Tombstone,
    TracingRequest,
)
from kinlink.registry.services.attachments import attachment_path
from kinlink.registry.services.family_intake import find_family_report
from tests.portal.portal_world import Side, World, family_client, verified_client

PROFILE = {"D3S1358": ["15", "16"], "vWA": ["17", "18"], "FGA": ["21", "24"]}


def give_dna(side: Side, *codes: str) -> list[Sample]:
    """The family's reference samples as the lab registers and profiles them, through the lab's actions."""
    rows = "".join(f"{code},brother,{side.request.number}\n" for code in codes)
    register_reference_samples(None, side.lab, "refs.csv", f"sample,relationship,request\n{rows}".encode())
    store_lab_profiles(None, side.lab, "profiles.csv", genotype_csv(dict.fromkeys(codes, PROFILE)))
    samples = list(Sample.objects.filter(code__in=codes))
    assert samples and all(s.profile for s in samples)
    return samples


def test_follow_page_links_to_the_withdrawal_page_in_each_language(world: World) -> None:
    family = family_client(world.a)
    page = family.get("/ru/request/follow").content.decode()
    assert 'href="/ru/request/follow/withdraw"' in page
    for lang, title, box in (
        ("ru", "Отозвать согласие", "профили ДНК моей семьи будут удалены"),
        ("uk", "Відкликати згоду", "профілі ДНК моєї родини буде видалено"),
        ("en", "Withdraw your consent", "the DNA profiles of my family will be erased"),
    ):
        response = family.get(f"/{lang}/request/follow/withdraw")
        assert response.status_code == 200
        text = response.content.decode()
        assert title in text and box in text, lang
    # without the family's code the page is not there
    assert Client().get("/en/request/follow/withdraw")["Location"] == "/en/request/follow"


def test_withdrawing_dna_consent_needs_the_box_ticked(world: World) -> None:
    (sample,) = give_dna(world.a, "REF-A-01")
    family = family_client(world.a)
    response = family.post("/en/request/follow/withdraw/dna", {})
    assert response.status_code == 200 and "Tick the box to confirm." in response.content.decode()
    sample.refresh_from_db()
    world.a.request.refresh_from_db()
    assert sample.profile and world.a.request.dna_consent_withdrawn_at is None
    assert not AuditEntry.objects.filter(action="withdraw_dna_consent").exists()


def test_family_withdraws_dna_consent_and_staff_see_only_that(world: World) -> None:
    samples = give_dna(world.a, "REF-A-01", "REF-A-02")
    other = give_dna(world.b, "REF-B-01")
    family = family_client(world.a)
    response = family.post("/uk/request/follow/withdraw/dna", {"dna-confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/uk/request/follow#consent"
    request = TracingRequest.objects.get(pk=world.a.request.pk)
    assert request.dna_consent_withdrawn_at is not None and request.consent_dna is False
    assert request.withdrawn_at is None and request.contact  # only the DNA consent went
    for sample in samples:
        sample.refresh_from_db()
        assert sample.profile == ""
        tombstone = Tombstone.objects.get(kind="reference_profile", record_id=sample.code)
        assert (tombstone.reason, tombstone.rule) == ("withdrawn", "withdrawn_dna")
    other[0].refresh_from_db()
    assert other[0].profile  # the other family's DNA is untouched
    entry = AuditEntry.objects.get(action="withdraw_dna_consent")
    assert entry.object_id == str(request.pk) and entry.actor_label == actions.FAMILY_ACCESS_CODE
    assert entry.detail == {"profiles_erased": 2}
    page = family.get("/uk/request/follow").content.decode()
    assert "Ви відкликали згоду на використання ДНК вашої родини" in page
    # a second withdrawal does nothing more
    assert family.post("/uk/request/follow/withdraw/dna", {"dna-confirm": "on"}).status_code == 302
    assert AuditEntry.objects.filter(action="withdraw_dna_consent").count() == 1
    caseworker = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    staff_page = caseworker.get(f"/en/staff/requests/{request.pk}/").content.decode()
    assert 'id="dna-withdrawn"' in staff_page and "DNA consent withdrawn" in staff_page
    assert "D3S1358" not in staff_page


def test_family_withdraws_the_whole_request(
    world: World, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    (sample,) = give_dna(world.a, "REF-A-01")
    family = family_client(world.a)
    letter = SimpleUploadedFile(
        "letter.pdf", b"%PDF-1.4 letter from the unit", content_type="application/pdf"
    )
    assert family.post("/en/request/follow/documents", {"documents": [letter]}).status_code == 302
    assert family.post("/en/request/follow/message", {"body": "Мой телефон сменился"}).status_code == 302
    actions.release_update(None, world.a.request, "We wrote to the unit.")
    actions.add_case_note(None, world.a.case, "Мать просила звонить после 18:00")
    source = find_family_report(world.a.request)
    (attachment,) = Attachment.objects.filter(source=source)
    stored = attachment_path(attachment.sha256)
    assert stored.exists()

    refused = family.post("/ru/request/follow/withdraw/request", {})
    assert refused.status_code == 200 and "Отметьте поле, чтобы подтвердить." in refused.content.decode()
    assert TracingRequest.objects.get(pk=world.a.request.pk).withdrawn_at is None

    with django_capture_on_commit_callbacks(execute=True):
        response = family.post("/ru/request/follow/withdraw/request", {"request-confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/ru/request/withdrawn"
    done = family.get("/ru/request/withdrawn").content.decode()
    assert world.a.request.number in done and "отозван" in done

    request = TracingRequest.objects.get(pk=world.a.request.pk)
    assert request.withdrawn_at is not None and request.status == TracingRequest.Status.CLOSED
    assert (request.enquirer_name, request.contact, request.circumstances, request.access_code_hash) == (
        "",
        "",
        "",
        "",
    )
    sample.refresh_from_db()
    assert sample.profile == ""
    assert not FamilyMessage.objects.filter(tracing_request=request).exists()
    assert not FamilyUpdate.objects.filter(tracing_request=request).exists()
    assert not Attachment.objects.filter(source=source).exists() and not stored.exists()
    # the family's report claim no longer counts; the unit's notice (another source) stays
    assert ClaimRetraction.objects.filter(claim__source=source).exists()
    assert not ClaimRetraction.objects.filter(claim=world.a.claim).exists()
    # the family's names were the only names the unit's notice can be found under: kept for that purpose
    assert NameVariant.objects.filter(person=world.a.person).exists()
    tombstone = Tombstone.objects.get(kind="request", record_id=request.number)
    assert (tombstone.reason, tombstone.rule) == ("withdrawn", "withdrawn_request")
    assert tombstone.record_created == request.submitted_at
    assert AuditEntry.objects.filter(action="withdraw_request", object_id=str(request.pk)).count() == 1

    # the family's session and code are gone; the same answer as any wrong code
    assert family.get("/ru/request/follow/withdraw")["Location"] == "/ru/request/follow"
    again = Client().post("/en/request/follow", {"number": request.number, "code": world.a.code})
    assert again.status_code == 200 and "is not right" in again.content.decode()
    # staff see the withdrawal, nothing of what the request held
    caseworker = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    staff_page = caseworker.get(f"/en/staff/requests/{request.pk}/").content.decode()
    assert 'id="withdrawn"' in staff_page
    assert "+7 900 000 00 0a" not in staff_page and "Mother a" not in staff_page
    assert world.b.request.contact == TracingRequest.objects.get(pk=world.b.request.pk).contact
    # the case goes on: what was under the family's key reads as gone, new notes go under a live key
    case_url = f"/en/staff/cases/{world.a.case.pk}/"
    case_page = caseworker.get(case_url)
    assert case_page.status_code == 200 and "звонить после 18:00" not in case_page.content.decode()
    assert caseworker.post(case_url + "notes/add", {"body": "Unit answered"}).status_code == 302
    assert "Unit answered" in caseworker.get(case_url).content.decode()


def test_withdrawing_a_request_nobody_else_speaks_of_erases_the_person_it_described(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from kinlink.registry.services.family_intake import FamilyRequest

    alone, code = actions.submit_tracing_request(
        FamilyRequest(
            surname="Коваленко",
            given_name="Андрей",
            birth_date="1991-02-03",
            birth_place="Полтава",
            unit="в/ч 55555",
            relationship="sister",
            contact="kovalenko@example.org",
            enquirer_name="Коваленко Ирина",
            circumstances="Последнее сообщение 2 марта.",
        )
    )
    client = Client()
    assert client.post("/en/request/follow", {"number": alone.number, "code": code}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post("/en/request/follow/withdraw/request", {"request-confirm": "on"}).status_code == 302
        )
    person = alone.person
    person.refresh_from_db()
    assert not NameVariant.objects.filter(person=person).exists()
    assert (person.birth_date, person.birth_place, person.unit) == ("", "", "")
    assert person.fate == "unknown"  # the family's "missing" claim is retracted
