"""The family's code check under load (issue 16): a memory-hard hash, bounded per process. A check that
finds every hashing slot taken is told "busy, try again" (503, Retry-After) at once, counting nothing;
codes stored in the former SHA-256 form still open and move to argon2id; the per-address limit still
holds behind the slots."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from django.test import Client

from kinlink.portal import family
from kinlink.portal.models import RateCounter
from kinlink.registry import accesscode
from kinlink.registry.models import TracingRequest, normalise_access_code
from tests.portal.portal_world import World


def _post(client: Client, number: str, code: str, lang: str = "ru") -> Any:
    return client.post(f"/{lang}/request/follow", {"number": number, "code": code})


def test_the_slots_are_shared_by_every_process_of_the_machine(world: World, settings: Any) -> None:
    """A slot held by another process (here a child holding the lock file) turns this one's check away."""
    import subprocess
    import sys

    settings.FAMILY_CODE_HASH_SLOTS = 1
    settings.FAMILY_CODE_SLOT_WAIT_MS = 20
    RateCounter.objects.all().delete()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
            str(settings.FAMILY_CODE_SLOT_DIR / "slot-0"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = _post(Client(REMOTE_ADDR="203.0.113.30"), world.a.request.number, world.a.code)
    finally:
        holder.communicate("")
    assert busy.status_code == 503
    assert _post(Client(REMOTE_ADDR="203.0.113.31"), world.a.request.number, world.a.code).status_code == 302


def test_a_check_that_finds_every_slot_taken_is_told_busy_and_counts_nothing(
    world: World, settings: Any
) -> None:
    settings.FAMILY_CODE_HASH_SLOTS = 1
    settings.FAMILY_CODE_SLOT_WAIT_MS = 20
    RateCounter.objects.all().delete()
    client = Client(REMOTE_ADDR="203.0.113.40")
    with family.hash_slot() as held:  # another check is hashing in this process
        assert held
        busy = _post(client, world.a.request.number, world.a.code)
        busy_en = _post(client, world.a.request.number, world.a.code, lang="en")
    assert busy.status_code == busy_en.status_code == 503
    assert busy["Retry-After"] == str(settings.FAMILY_CODE_BUSY_RETRY_SECONDS)
    assert "Many people are checking their requests right now" in busy_en.content.decode()
    assert "Сейчас многие проверяют свои запросы" in busy.content.decode()
    # nothing was counted: no per-address count, no per-number count
    assert RateCounter.objects.count() == 0
    # the slot free again, the same family opens its request at once
    opened = _post(client, world.a.request.number, world.a.code)
    assert opened.status_code == 302


def test_a_check_waits_for_a_slot_freed_within_the_wait(world: World, settings: Any) -> None:
    """The bound sheds only what it cannot serve within the wait: a slot freed meanwhile is taken."""
    settings.FAMILY_CODE_HASH_SLOTS = 1
    settings.FAMILY_CODE_SLOT_WAIT_MS = 5_000
    RateCounter.objects.all().delete()
    taken, release = threading.Event(), threading.Event()

    def other_check() -> None:  # another thread of this process hashing for 50 ms
        with family.hash_slot() as held:
            assert held
            taken.set()
            release.wait(0.05)

    thread = threading.Thread(target=other_check)
    thread.start()
    taken.wait(5)
    answer = _post(Client(REMOTE_ADDR="203.0.113.50"), world.a.request.number, world.a.code)
    thread.join()
    assert answer.status_code == 302


def test_past_the_waiters_a_check_is_turned_away_without_waiting(world: World, settings: Any) -> None:
    """A waiting check holds a server thread: beyond FAMILY_CODE_SLOT_WAITERS waiting in this process, a
    check that finds every slot taken is answered at once, not after the wait."""
    import time

    settings.FAMILY_CODE_HASH_SLOTS = 1
    settings.FAMILY_CODE_SLOT_WAIT_MS = 5_000
    settings.FAMILY_CODE_SLOT_WAITERS = 1
    RateCounter.objects.all().delete()
    with family.hash_slot() as held:
        assert held
        assert family._waiters.join(1)  # another check of this process already waits
        try:
            started = time.monotonic()
            busy = _post(Client(REMOTE_ADDR="203.0.113.55"), world.a.request.number, world.a.code)
            elapsed = time.monotonic() - started
        finally:
            family._waiters.leave()
    assert busy.status_code == 503
    assert elapsed < 2.5, elapsed  # not the 5 s wait


def test_the_per_address_limit_holds_behind_the_slots(world: World, settings: Any) -> None:
    settings.KINLINK_RATE_LIMITS = {**settings.KINLINK_RATE_LIMITS, "follow_check": "3/h"}
    RateCounter.objects.all().delete()
    client = Client(REMOTE_ADDR="203.0.113.60")
    statuses = [_post(client, f"R-GUESS00{i}", "guess").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    # the limit is the address's: the family's right code from that address waits too
    assert _post(client, world.a.request.number, world.a.code).status_code == 429
    assert _post(Client(REMOTE_ADDR="203.0.113.61"), world.a.request.number, world.a.code).status_code == 302


def test_the_code_is_stored_memory_hard_at_the_configured_cost(world: World, settings: Any) -> None:
    stored = TracingRequest.objects.get(pk=world.a.request.pk).access_code_hash
    prefix, memory, passes, salt, tag = stored.split("$")
    assert (prefix, int(memory), int(passes)) == (
        "a2",
        settings.FAMILY_CODE_HASH_MEMORY_KIB,
        settings.FAMILY_CODE_HASH_TIME,
    )
    assert len(stored) <= TracingRequest._meta.get_field("access_code_hash").max_length  # type: ignore[operator]
    assert (len(accesscode._unb64(salt)), len(accesscode._unb64(tag))) == (16, 16)
    assert world.a.code.replace("-", "") not in stored
    # two requests with the same code store different hashes (a salt each)
    assert accesscode.make(world.a.code) != accesscode.make(world.a.code)
    assert accesscode.check(accesscode.make(world.a.code), world.a.code.lower())


def test_a_code_stored_the_former_way_opens_and_moves_to_argon2(world: World, settings: Any) -> None:
    """A code stored before (a keyed SHA-256) still opens the request; the first right check stores it
    again as argon2id. A wrong code leaves it as it was."""
    legacy = hashlib.sha256(
        ("kinlink-access:" + settings.SECRET_KEY + ":" + normalise_access_code(world.a.code)).encode()
    ).hexdigest()
    TracingRequest.objects.filter(pk=world.a.request.pk).update(access_code_hash=legacy)
    RateCounter.objects.all().delete()
    assert _post(Client(REMOTE_ADDR="203.0.113.70"), world.a.request.number, "WRONG-CODE").status_code == 200
    assert TracingRequest.objects.get(pk=world.a.request.pk).access_code_hash == legacy
    assert _post(Client(REMOTE_ADDR="203.0.113.71"), world.a.request.number, world.a.code).status_code == 302
    stored = TracingRequest.objects.get(pk=world.a.request.pk).access_code_hash
    assert stored.startswith("a2$") and not accesscode.needs_rehash(stored)
    assert _post(Client(REMOTE_ADDR="203.0.113.72"), world.a.request.number, world.a.code).status_code == 302


def test_a_new_cost_is_applied_at_the_next_right_check(world: World, settings: Any) -> None:
    settings.FAMILY_CODE_HASH_MEMORY_KIB = 1024
    settings.FAMILY_CODE_HASH_TIME = 1
    before = TracingRequest.objects.get(pk=world.a.request.pk).access_code_hash
    assert accesscode.needs_rehash(before)
    RateCounter.objects.all().delete()
    assert _post(Client(REMOTE_ADDR="203.0.113.80"), world.a.request.number, world.a.code).status_code == 302
    after = TracingRequest.objects.get(pk=world.a.request.pk).access_code_hash
    assert after.startswith("a2$1024$1$")


def test_a_former_secret_key_still_opens_a_memory_hard_code(world: World, settings: Any) -> None:
    stored = accesscode.make(world.a.code)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert accesscode.check(stored, world.a.code)
    assert not accesscode.check(stored, "AAAA-BBBB-CCCC-DDDD-EEEE")
    settings.SECRET_KEY_FALLBACKS = []
    assert not accesscode.check(stored, world.a.code)
