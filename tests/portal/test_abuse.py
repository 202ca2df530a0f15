"""Abuse of the public forms (issue 17): rate limits per form and per client address (proxy-aware),
counted in the database; the per-request-number lockout of the family code; the one-time form token; the
total upload cap; nothing stored when a submission is refused; staff search terms never in an address."""

from __future__ import annotations

import re
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kinlink.portal.models import RateCounter
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, FamilyMessage, TracingRequest
from tests.portal.portal_world import World, family_client, request_form_token, verified_client


def _png(width: int = 1, height: int = 1, noise: bool = False) -> bytes:
    """A real PNG (uploads are decoded and re-encoded without metadata; a fake one is refused)."""
    import io
    import os

    from PIL import Image

    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (200, 30, 30))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def _form(world: World, client: Client, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "surname": "Бондаренко",
        "given_name": "Олег",
        "sex": "M",
        "birth_date": "1990",
        "last_contact": "04.2022",
        "enquirer_name": "Бондаренко Ирина",
        "relationship": "wife",
        "contact": "+380 50 000 00 00",
        "consent_organisations": [world.a.org.pk],
        "form_token": request_form_token(client),
    }
    data.update(overrides)
    return data


def _send(world: World, client: Client, **overrides: Any) -> Any:
    return client.post("/ru/request/new", _form(world, client, **overrides))


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- rate limits --------------------------------------------------------------------------------------


def test_the_public_form_is_limited_per_client_address(world: World, settings: Any) -> None:
    settings.KINLINK_RATE_LIMITS = {**settings.KINLINK_RATE_LIMITS, "request_form": "3/h"}
    before = TracingRequest.objects.count()
    flooder = Client(REMOTE_ADDR="203.0.113.5")
    assert [_send(world, flooder).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert TracingRequest.objects.count() == before + 3
    refused = _send(world, flooder)
    assert refused.status_code == 429 and "слишком много запросов" in refused.content.decode()
    # A client cannot pick another address by writing X-Forwarded-For itself.
    assert _send(world, flooder, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert (
        _send(world, Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")).status_code
        == 429
    )
    # Another family elsewhere is not held back.
    assert _send(world, Client(REMOTE_ADDR="203.0.113.6")).status_code == 200
    assert TracingRequest.objects.count() == before + 4


def test_behind_a_trusted_proxy_each_client_has_its_own_count(world: World, settings: Any) -> None:
    """Behind the TLS proxy every request arrives from 127.0.0.1: without TRUSTED_PROXIES all families would
    share one count; with it, the client the proxy names is counted."""
    settings.KINLINK_RATE_LIMITS = {**settings.KINLINK_RATE_LIMITS, "request_form": "2/h"}
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    def via_proxy(client_address: str) -> int:
        client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client_address)
        return int(_send(world, client).status_code)

    assert [via_proxy("203.0.113.5") for _ in range(3)] == [200, 200, 429]
    # a spoofed left-hand hop does not help: the proxy appended the real one
    assert via_proxy("198.51.100.7, 203.0.113.5") == 429
    assert via_proxy("203.0.113.9") == 200


def test_counts_live_in_the_database_without_addresses(world: World, settings: Any) -> None:
    """Not in a worker's memory nor in a per-process cache: a cache flush (or a restart) resets nothing,
    and the table holds no client address in the clear."""
    settings.KINLINK_RATE_LIMITS = {**settings.KINLINK_RATE_LIMITS, "request_form": "1/h"}
    client = Client(REMOTE_ADDR="203.0.113.44")
    assert _send(world, client).status_code == 200
    cache.clear()
    assert _send(world, client).status_code == 429
    keys = list(RateCounter.objects.values_list("key", flat=True))
    assert keys and not any("203.0.113" in key for key in keys)


def test_the_code_check_is_limited_per_client_address(world: World, settings: Any) -> None:
    settings.KINLINK_RATE_LIMITS = {**settings.KINLINK_RATE_LIMITS, "follow_check": "4/h"}
    client = Client(REMOTE_ADDR="203.0.113.20")
    answers = [
        client.post("/ru/request/follow", {"number": f"TR-GUESS{i}", "code": "x"}).status_code
        for i in range(5)
    ]
    assert answers == [200, 200, 200, 200, 429]
    # even the right code waits: the limit counts every check from the address
    right = client.post("/ru/request/follow", {"number": world.a.request.number, "code": world.a.code})
    assert right.status_code == 429
    other = Client(REMOTE_ADDR="203.0.113.21")
    assert (
        other.post("/ru/request/follow", {"number": world.a.request.number, "code": world.a.code}).status_code
        == 302
    )


def test_the_family_message_form_is_limited(world: World, settings: Any) -> None:
    settings.KINLINK_RATE_LIMITS = {**settings.KINLINK_RATE_LIMITS, "family_message": "2/h"}
    family = family_client(world.a)
    answers = [
        family.post("/en/request/follow/message", {"body": f"Any news? {i}"}).status_code for i in range(3)
    ]
    assert answers == [302, 302, 429]
    assert FamilyMessage.objects.filter(tracing_request=world.a.request, from_family=True).count() == 2


# --- the family-code lockout --------------------------------------------------------------------------


def _wrong_codes(number: str, times: int) -> None:
    for i in range(times):  # each from a different address: the lockout is per request number
        Client(REMOTE_ADDR=f"198.51.100.{i + 1}").post(
            "/ru/request/follow", {"number": number, "code": "guess"}
        )


def test_ten_wrong_codes_from_anywhere_pause_that_request(world: World, settings: Any) -> None:
    settings.FAMILY_CODE_PAUSE_SECONDS = 2
    _wrong_codes(world.a.request.number, settings.FAMILY_CODE_FAILURE_LIMIT)
    family = Client(REMOTE_ADDR="203.0.113.77")
    paused = family.post("/ru/request/follow", {"number": world.a.request.number, "code": world.a.code})
    assert paused.status_code == 429 and "приостановлена" in paused.content.decode()
    entry = AuditEntry.objects.get(action="pause_family_code_check")
    assert entry.object_id == str(world.a.request.pk)
    # not in a worker's memory: a cache flush (or a restart) does not lift it
    cache.clear()
    assert (
        family.post(
            "/ru/request/follow", {"number": world.a.request.number, "code": world.a.code}
        ).status_code
        == 429
    )
    # another family's request is not paused
    other = Client(REMOTE_ADDR="203.0.113.78")
    assert (
        other.post("/ru/request/follow", {"number": world.b.request.number, "code": world.b.code}).status_code
        == 302
    )
    time.sleep(2.1)  # the pause ends by itself
    assert (
        family.post(
            "/ru/request/follow", {"number": world.a.request.number, "code": world.a.code}
        ).status_code
        == 302
    )


def test_a_right_code_ends_the_count_of_wrong_ones(world: World, settings: Any) -> None:
    limit = settings.FAMILY_CODE_FAILURE_LIMIT
    _wrong_codes(world.a.request.number, limit - 1)
    ok = Client().post("/ru/request/follow", {"number": world.a.request.number, "code": world.a.code})
    assert ok.status_code == 302
    _wrong_codes(world.a.request.number, limit - 1)
    assert (
        Client()
        .post("/ru/request/follow", {"number": world.a.request.number, "code": world.a.code})
        .status_code
        == 302
    )


def test_a_paused_number_that_does_not_exist_looks_like_one_that_does(world: World, settings: Any) -> None:
    """The pause answers alike for numbers that exist and numbers that do not, so it cannot be used to find
    which request numbers exist; before the pause, a wrong number and a wrong code look alike too."""
    strip = re.compile(rb'(name="csrfmiddlewaretoken" value="[^"]+"|name="number" value="[^"]+")')
    for step in ("wrong", "paused"):
        answers = []
        for number in (world.a.request.number, "TR-NOSUCH1"):
            if step == "paused":
                _wrong_codes(number, settings.FAMILY_CODE_FAILURE_LIMIT)
            response = Client(REMOTE_ADDR="203.0.113.90").post(
                "/ru/request/follow", {"number": number, "code": "guess"}
            )
            answers.append((response.status_code, strip.sub(b"", response.content)))
        assert answers[0] == answers[1], step
    assert answers[0][0] == 429


def test_a_check_costs_the_same_for_a_missing_number(world: World) -> None:
    """A wrong number runs the same hashing as a wrong code (the same timing class: one memory-hard hash,
    against a dummy for a missing number), measured over many checks."""

    def cost(number: str) -> float:
        start = time.perf_counter()
        for _ in range(40):
            RateCounter.objects.all().delete()
            Client(REMOTE_ADDR="203.0.113.91").post("/ru/request/follow", {"number": number, "code": "guess"})
        return (time.perf_counter() - start) / 40

    cost("TR-WARMUP")
    existing, missing = cost(world.a.request.number), cost("TR-NOSUCH2")
    print(f"code check over HTTP: existing number {existing * 1e3:.1f} ms, missing {missing * 1e3:.1f} ms")
    assert 0.5 < existing / missing < 2.0, (existing, missing)


# --- the one-time form token --------------------------------------------------------------------------


def test_the_same_form_sent_twice_is_stored_once(world: World) -> None:
    client = Client()
    data = _form(world, client)
    before = TracingRequest.objects.count()
    first = client.post("/ru/request/new", data)
    assert first.status_code == 200 and 'id="request-number"' in first.content.decode()
    number = re.search(r'id="request-number">([^<]+)<', first.content.decode()).group(1)  # type: ignore[union-attr]
    # the reload of the answer (or a double click) sends the same form again
    again = client.post("/ru/request/new", data, follow=True)
    assert again.redirect_chain == [("/ru/request/follow", 302)]
    assert "уже отправлен" in again.content.decode() and number in again.content.decode()
    assert TracingRequest.objects.count() == before + 1
    # someone else replaying the captured form gets nothing stored either
    replay = Client().post("/ru/request/new", data)
    assert replay.status_code == 409 and "уже отправлена" in replay.content.decode()
    assert TracingRequest.objects.count() == before + 1


@pytest.mark.parametrize("token", ["", "forged-token", "abc:def:ghi"])
def test_a_form_without_a_valid_token_stores_nothing(world: World, token: str) -> None:
    client = Client()
    before = TracingRequest.objects.count()
    response = client.post("/ru/request/new", _form(world, client, form_token=token))
    assert response.status_code == 200 and "устарела" in response.content.decode()
    assert TracingRequest.objects.count() == before


# --- uploads ------------------------------------------------------------------------------------------


def test_the_files_of_one_form_are_capped_in_total(world: World, settings: Any, tmp_path: Path) -> None:
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    # each photo below the per-file limit, together above the total
    settings.FAMILY_UPLOAD_TOTAL_MAX_BYTES = 1024 * 1024
    client = Client()
    photos = [
        SimpleUploadedFile(f"p{i}.png", PNG + b"\x00" * 400_000, content_type="image/png") for i in range(3)
    ]
    before = TracingRequest.objects.count()
    response = _send(world, client, photos=photos)
    assert response.status_code == 200
    assert "Все файлы вместе могут занимать не больше 1 МБ." in response.content.decode()
    assert TracingRequest.objects.count() == before
    assert _files(settings.ATTACHMENT_ROOT) == []


def test_a_form_larger_than_the_cap_is_refused_unread(world: World, settings: Any, tmp_path: Path) -> None:
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.FAMILY_UPLOAD_TOTAL_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (2 * 1024 * 1024 + 10), content_type="image/png")
    client = Client()
    before = TracingRequest.objects.count()
    response = _send(world, client, photos=[big])
    assert response.status_code == 413 and "Ничего не сохранено" in response.content.decode()
    assert TracingRequest.objects.count() == before and _files(settings.ATTACHMENT_ROOT) == []


def test_a_refused_submission_leaves_no_file(world: World, settings: Any, tmp_path: Path) -> None:
    """A good photo and a refused file in one form: nothing is stored, the good photo neither."""
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    good = SimpleUploadedFile("him.png", PNG, content_type="image/png")
    bad = SimpleUploadedFile("virus.png", b"MZ\x90\x00" * 10, content_type="image/png")
    before = TracingRequest.objects.count()
    response = _send(world, Client(), photos=[good, bad])
    assert response.status_code == 200 and "JPEG" in response.content.decode()
    assert TracingRequest.objects.count() == before
    assert _files(settings.ATTACHMENT_ROOT) == []
    # the same holds for the documents a family sends later
    family = family_client(world.a)
    good = SimpleUploadedFile("letter.pdf", b"%PDF-1.4 letter", content_type="application/pdf")
    bad = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00", content_type="application/pdf")
    assert family.post("/en/request/follow/documents", {"documents": [good, bad]}).status_code == 200
    assert _files(settings.ATTACHMENT_ROOT) == []


def test_an_upload_is_stored_encrypted_with_bounded_memory(
    world: World, settings: Any, tmp_path: Path
) -> None:
    """A 9 MB file goes from its temporary file to the store encrypted under its request's key: the file
    on disk is not the plain file, and the memory it takes is bounded by a few copies of the file (it is
    encrypted whole, one token per file: about 8 copies at the peak), which the per-file cap bounds."""
    from kinlink.registry.services.attachments import read_attachment

    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    photo = tmp_path / "letter.pdf"
    photo.write_bytes(b"%PDF-1.4 " + b"\x01" * (9 * 1024 * 1024))
    with photo.open("rb") as handle:
        tracemalloc.start()
        attachment = actions.attach_document(None, world.a.claim.source, "letter.pdf", handle)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert attachment.size == photo.stat().st_size
    assert peak < 10 * photo.stat().st_size, peak  # measured: about 8 copies while Fernet encrypts
    stored = _files(settings.ATTACHMENT_ROOT)
    assert len(stored) == 1 and stored[0].read_bytes() != photo.read_bytes()
    assert b"\x01" * 1024 not in stored[0].read_bytes()
    assert read_attachment(attachment) == photo.read_bytes()


def test_a_photo_sent_with_the_form_is_stored_whole(world: World, settings: Any, tmp_path: Path) -> None:
    from kinlink.registry.models import Attachment
    from kinlink.registry.services.attachments import read_attachment

    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    content = _png(1000, 1000, noise=True)  # about 3 MB: spooled to disk by the upload handler
    assert len(content) > 2 * 1024 * 1024
    response = _send(
        world, Client(), photos=[SimpleUploadedFile("him.png", content, content_type="image/png")]
    )
    assert response.status_code == 200
    stored = _files(settings.ATTACHMENT_ROOT)
    assert len(stored) == 1 and stored[0].read_bytes() != content
    photo = Attachment.objects.get(filename="him.png")
    assert read_attachment(photo)[:8] == b"\x89PNG\r\n\x1a\n"  # re-encoded without metadata, decrypted


# --- staff search ---------------------------------------------------------------------------------------


def test_names_searched_for_never_appear_in_an_address(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    form = client.get("/en/staff/search").content.decode()
    assert 'method="post"' in form and "hx-get" not in form and "hx-push-url" not in form
    # a search put in the address (an old bookmark, a crafted link) is not run
    page = client.get("/en/staff/search", {"name": "Ivanov"}).content.decode()
    assert "person found" not in page
    page = client.post("/en/staff/search", {"name": "Ivanov"}).content.decode()
    assert "1 person found" in page
    assert not any("Ivanov" in href for href in re.findall(r'(?:href|action|hx-post)="([^"]*)"', page))
    assert AuditEntry.objects.filter(action="search_persons").exclude(detail__has_key="name").exists()
