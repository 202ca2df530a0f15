"""Family portal: submit a request, get a number and code, follow it, message, upload documents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kinlink.portal.dna_advice import dna_advice
from kinlink.registry.models import (
    AuditEntry,
    Claim,
    FamilyMessage,
    NameVariant,
    Sample,
    TracingRequest,
    normalise_access_code,
)
from tests.portal.portal_world import World, family_client, request_form_token, verified_client

PNG = bytes.fromhex(  # a real 1-pixel PNG: photos are re-encoded without their metadata on upload
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63382127f71f0004ba02043e571fc70000000049454e44ae426082"
)


def _submit(client: Client, world: World, **overrides: Any) -> Any:
    data = {
        "surname": "Иванов",
        "given_name": "Сергей",
        "patronymic": "Петрович",
        "other_names": "Ivanov Sergei\nIwanow Sergej",
        "sex": "M",
        "birth_date": "17.04.1998",
        "unit": "в/ч 12345",
        "last_contact": "03.2022",
        "last_known_place": "Гостомель",
        "circumstances": "Последний звонок 28 марта.",
        "enquirer_name": "Иванова Мария",
        "relationship": "mother",
        "contact": "+7 900 123 45 67",
        "consent_organisations": [world.a.org.pk],
        "consent_dna": "on",
        "photos": [SimpleUploadedFile("photo.png", PNG, content_type="image/png")],
    }
    data.update(overrides)
    data.setdefault("form_token", request_form_token(client))
    return client.post("/ru/request/new", data)


def test_submit_gives_number_code_and_dna_advice(world: World, settings: Any, tmp_path: Any) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    client = Client()
    response = _submit(client, world)
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()  # the answer to the POST: the code is shown once, here
    number = re.search(r'id="request-number">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    shown = re.search(r'id="access-code">(.+?)</span></span>', page).group(1)  # type: ignore[union-attr]
    code = re.sub(r"<[^>]+>", "", shown)  # one span per group of four, so a group never wraps
    request = TracingRequest.objects.get(number=number)
    assert request.check_access_code(code)
    assert request.consent_dna is True and list(request.consent_organisations.all()) == [world.a.org]
    assert request.person.birth_date == "1998-04-17"
    assert request.last_contact == "2022-03" and request.language == "ru"
    assert {v.display() for v in NameVariant.objects.filter(person=request.person)} >= {
        "Иванов Сергей Петрович",
        "Iwanow Sergej",
    }
    assert Claim.objects.get(person=request.person).fate == "missing"
    assert "Оба его родителя" in page and "Его дети и их мать" in page
    assert code not in page.split('id="follow-link"')[1]  # the private link carries a token, not the code
    link = re.search(r'id="follow-link" href="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert "/ru/request/link/" in link and number not in link
    # The code is kept nowhere: not in the session (which the database holds for hours), nor shown again.
    from django.contrib.sessions.models import Session

    for session in Session.objects.all():
        assert normalise_access_code(code) not in normalise_access_code(str(session.get_decoded()))
    again = client.get("/ru/request/submitted", follow=True).content.decode()
    assert code not in again and number in again  # the family is signed in to its request
    # Contact details are encrypted at rest: the database never holds the phone number.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contact, enquirer_name FROM registry_tracingrequest WHERE id = %s", [request.pk]
        )
        stored = cursor.fetchone()
    assert "900 123" not in stored[0] and stored[0].startswith("kl1:") and "Мария" not in stored[1]


def test_request_is_required_to_name_someone(world: World) -> None:
    response = _submit(Client(), world, surname="", photos=[])
    assert response.status_code == 200
    assert TracingRequest.objects.count() == 2


def test_request_form_does_not_reveal_known_persons(world: World, settings: Any, tmp_path: Any) -> None:
    """Asking about a person already in the registry looks exactly like asking about a stranger."""
    settings.ATTACHMENT_ROOT = tmp_path
    known = Client()
    stranger = Client()
    page_known = _submit(known, world, surname="Petrenko", given_name="Oleh", photos=[]).content.decode()
    page_stranger = _submit(
        stranger, world, surname="Nobodyknown", given_name="Xyz", photos=[]
    ).content.decode()
    strip = re.compile(
        r'(id="request-number">|class="group">|/request/link/|csrfmiddlewaretoken" value=")[^<"]+'
    )
    assert strip.sub("", page_known) == strip.sub("", page_stranger)


def test_wrong_number_and_wrong_code_look_the_same(world: World) -> None:
    wrong_code = Client().post("/ru/request/follow", {"number": world.a.request.number, "code": "guess"})
    wrong_number = Client().post("/ru/request/follow", {"number": "R-NOSUCH", "code": "guess"})
    assert wrong_code.status_code == wrong_number.status_code == 200
    # Apart from the CSRF token and the number the visitor typed, the answers are byte for byte equal.
    token = re.compile(rb'(name="csrfmiddlewaretoken" value="[^"]+"|name="number" value="[^"]+")')
    assert token.sub(b"", wrong_code.content) == token.sub(b"", wrong_number.content)


def test_too_many_wrong_codes_pause_the_follow_up(world: World, settings: Any) -> None:

    cache.clear()
    client = Client()
    for _ in range(settings.FAMILY_CODE_FAILURE_LIMIT):
        client.post("/ru/request/follow", {"number": world.a.request.number, "code": "guess"})
    response = client.post("/ru/request/follow", {"number": world.a.request.number, "code": world.a.code})
    assert response.status_code == 429
    cache.clear()


def test_access_code_is_grouped_unambiguous_and_forgiving() -> None:
    from kinlink.registry.models import ACCESS_CODE_ALPHABET

    request = TracingRequest()
    code = request.issue_access_code()
    groups = code.split("-")
    assert len(groups) == 5 and all(len(g) == 4 for g in groups)  # 20 characters = 100 random bits
    assert set(code.replace("-", "")) <= set(ACCESS_CODE_ALPHABET)
    assert not set("ILOU") & set(ACCESS_CODE_ALPHABET)
    assert request.check_access_code(code)
    assert request.check_access_code(code.lower())
    assert request.check_access_code(" ".join(groups))
    assert request.check_access_code(code.replace("-", ""))
    assert request.check_access_code(code.replace("1", "l").replace("0", "O"))  # look-alikes read alike
    assert not request.check_access_code(code[:-1])
    assert not request.check_access_code("")


def test_the_retired_link_with_the_code_signs_no_one_in(world: World) -> None:
    """The old private link put the whole credential in every access log: it checks nothing any more,
    records nothing, and answers alike for any number, right code or not."""
    answers = []
    audit_before = AuditEntry.objects.count()
    for number, code in ((world.a.request.number, world.a.code), ("TR-NOSUCH", "WRONG-CODE-0000-0000-0000")):
        client = Client()
        response = client.get(f"/ru/request/follow/{number}/{code}", follow=True)
        page = response.content.decode()
        assert response.redirect_chain == [("/ru/request/follow", 302)]
        assert "больше не работают" in page and 'name="number"' in page
        assert world.a.person.primary_name() not in page  # not signed in
        answers.append(re.sub(r'value="[^"]*"', "", page))
    assert answers[0] == answers[1]
    assert AuditEntry.objects.count() == audit_before


def test_failed_form_has_a_focused_error_summary_linking_to_each_field(world: World) -> None:
    page = Client().post("/uk/request/new", {"surname": ""}).content.decode()
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary is not None
    assert 'role="alert"' in page and 'tabindex="-1"' in page and "autofocus" in page
    assert 'href="#id_surname"' in summary.group(1)
    assert "Виправте, будь ласка" in summary.group(0)
    assert "error-summary" not in Client().get("/uk/request/new").content.decode()


def test_the_private_link_opens_once_by_post(world: World, settings: Any, tmp_path: Any) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    sender = Client()
    page = _submit(sender, world, photos=[]).content.decode()
    link = re.search(r'id="follow-link" href="https?://[^/]+([^"]+)"', page).group(1)  # type: ignore[union-attr]
    number = re.search(r'id="request-number">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    family = Client()
    # A GET (a messenger's link preview) shows a button and spends nothing.
    assert family.get(link).status_code == 200 and family.get(link).status_code == 200
    assert number not in family.get("/uk/request/follow").content.decode()
    response = family.post(link)
    assert response["Location"] == "/ru/request/follow"
    assert number in family.get("/ru/request/follow").content.decode()
    assert (
        AuditEntry.objects.filter(action="family_sign_in", actor_label="family (private link)").count() == 1
    )
    # Spent: a second use (someone who read the link in a log) opens nothing.
    thief = Client()
    page = thief.post(link, follow=True).content.decode()
    assert "уже использована" in page and number not in page


def test_family_sees_only_released_updates_and_never_claims(world: World) -> None:
    family = family_client(world.a)
    page = family.get("/en/request/follow").content.decode()
    assert "There is no news yet" in page
    assert "locals buried" not in page and "Unit notice" not in page and "Ministry" not in page
    assert "Private news for family B only" not in page
    caseworker = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    url = f"/en/staff/cases/{world.a.case.pk}/requests/{world.a.request.pk}/release"
    assert (
        caseworker.post(
            url, {"body": "We have received two conflicting answers and are checking them."}
        ).status_code
        == 302
    )
    page = family.get("/en/request/follow").content.decode()
    assert "two conflicting answers" in page
    assert AuditEntry.objects.filter(action="release_update", actor=world.a.users["caseworker"]).exists()


def test_messages_both_ways(world: World) -> None:
    family = family_client(world.a)
    assert family.post("/en/request/follow/message", {"body": "Есть новости?"}).status_code == 302
    caseworker = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    assert "Есть новости?" in caseworker.get(f"/en/staff/cases/{world.a.case.pk}/").content.decode()
    url = f"/en/staff/cases/{world.a.case.pk}/requests/{world.a.request.pk}/message"
    caseworker.post(url, {"body": "Мы написали в часть."})
    assert "Мы написали в часть." in family.get("/ru/request/follow").content.decode()
    assert FamilyMessage.objects.filter(tracing_request=world.b.request).count() == 0


def test_document_upload(world: World, settings: Any, tmp_path: Any) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    family = family_client(world.a)
    letter = SimpleUploadedFile("letter-from-unit.pdf", b"%PDF-1.4 letter", content_type="application/pdf")
    assert family.post("/en/request/follow/documents", {"documents": [letter]}).status_code == 302
    assert "letter-from-unit.pdf" in family.get("/en/request/follow").content.decode()
    bad = SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/pdf")
    response = family.post("/en/request/follow/documents", {"documents": [bad]})
    assert response.status_code == 200 and "virus.exe" not in response.content.decode()


def test_family_never_sees_matched_before_release(world: World) -> None:
    # direct write: a matched sample before any identification is released (the state the test guards)
    Sample.objects.create(
        code="REF-M1",
        kind="reference",
        tracing_request=world.a.request,
        relationship="mother",
        status="matched",
    )
    page = family_client(world.a).get("/en/request/follow").content.decode()
    assert "searched" in page and "matched" not in page


def test_dna_advice_order_follows_the_enquirer() -> None:
    assert dna_advice("mother")[0].key == "both_parents"
    assert dna_advice("wife")[0].key == "children_and_mother"
    assert {o.key for o in dna_advice("brother")} == {
        "both_parents",
        "parent_and_siblings",
        "children_and_mother",
    }


def test_family_pages_are_light(world: World) -> None:
    """Under 100 KB on a slow connection (HTML plus the stylesheet; no JavaScript on family pages)."""
    from django.contrib.staticfiles import finders

    css = Path(str(finders.find("portal/kinlink.css"))).stat().st_size
    family = family_client(world.a)
    for client, url in (
        (Client(), "/ru/"),
        (Client(), "/ru/request/new"),
        (Client(), "/ru/request/follow"),
        (family, "/ru/request/follow"),
    ):
        html = client.get(url).content
        assert b"<script" not in html, url
        assert len(html) + css < 100_000, (url, len(html), css)


def test_uploads_are_checked_by_content_not_by_name(world: World, settings: Any, tmp_path: Any) -> None:
    from kinlink.registry.services.attachments import read_attachment
    from kinlink.registry.services.uploads import UploadError, sniff_content_type, store_upload

    settings.ATTACHMENT_ROOT = tmp_path
    assert sniff_content_type(b"%PDF-1.7 ...") == "application/pdf"
    assert sniff_content_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_content_type(b"<html><script>") is None
    source = world.a.claim.source
    stored = store_upload(source, "../../etc/passwd.png", PNG)
    assert stored.filename == "passwd.png" and stored.content_type == "image/png"
    assert stored.size == len(read_attachment(stored)) and read_attachment(stored).startswith(PNG[:8])
    for bad in (b"", b"MZ\x90\x00", PNG + b"\x00" * 20):
        try:
            store_upload(source, "x.png", bad, max_bytes=len(PNG) + 10)
        except UploadError:
            continue
        raise AssertionError(f"accepted {bad[:8]!r}")
