"""Cached fragments (``portal.fragments``): computed by one thread of the machine at a time, the last
value served meanwhile, shared by processes through ``KINLINK_CACHE_DIR``, and renewed after a commit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from kinlink.portal import fragments

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _own_lock_folder(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    settings.KINLINK_FRAGMENT_LOCK_DIR = tmp_path / "fragment-locks"


def _computing(name: str, value: str) -> tuple[threading.Thread, threading.Event, list[str]]:
    """Another thread computing the fragment ``name`` (it holds the fragment's lock) until ``release`` is
    set; what it got is appended to the list."""
    computing, release = threading.Event(), threading.Event()
    got: list[str] = []

    def slow() -> str:
        computing.set()
        release.wait(10)
        return value

    worker = threading.Thread(target=lambda: got.append(fragments.cached(name, ("scope",), slow)))
    worker.start()
    assert computing.wait(10)
    return worker, release, got


def test_threads_finding_a_fragment_missing_compute_it_once() -> None:
    calls: list[int] = []
    start = threading.Barrier(8)
    results: list[str] = []

    def compute() -> str:
        calls.append(1)
        time.sleep(0.3)
        return "queues"

    def reader() -> None:
        start.wait()
        results.append(fragments.cached("home", ("scope",), compute))

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["queues"] * 8
    assert len(calls) == 1


def test_while_one_thread_recomputes_the_others_get_the_last_value_at_once() -> None:
    assert fragments.cached("home", ("scope",), lambda: "before") == "before"
    fragments.bump_version()  # a write: the fragment is stale
    worker, release, recomputed = _computing("home", "after")
    started = time.monotonic()
    never: list[int] = []

    def again() -> str:
        never.append(1)
        return "again"

    assert fragments.cached("home", ("scope",), again) == "before"
    assert time.monotonic() - started < 0.5 and never == []
    # another reader's fragment (another scope) is not served from this one
    assert fragments.cached("home", ("other",), lambda: "theirs") == "theirs"
    release.set()
    worker.join()
    assert recomputed == ["after"]
    assert fragments.cached("home", ("scope",), lambda: "again") == "after"


def test_a_fragment_asked_without_stale_values_waits_for_the_new_one() -> None:
    """What decides who may see what (the API's lists of ids) is never served from an older version."""
    assert fragments.cached("ids", ("scope",), lambda: "before", stale=False) == "before"
    fragments.bump_version()
    worker, release, _got = _computing("ids", "after")
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    assert fragments.cached("ids", ("scope",), lambda: "again", stale=False) == "after"
    assert time.monotonic() - started >= 0.25  # it waited for the computation, the last value refused
    worker.join()


def test_a_fragment_none_has_yet_is_waited_for_not_computed_twice() -> None:
    worker, release, got = _computing("counts", "first")
    threading.Timer(0.3, release.set).start()
    calls: list[str] = []

    def second() -> str:
        calls.append("second")
        return "second"

    assert fragments.cached("counts", ("scope",), second) == "first"
    worker.join()
    assert got == ["first"] and calls == []


def test_a_waiter_gives_up_after_the_wait_and_computes_itself(settings: Any) -> None:
    settings.KINLINK_FRAGMENT_WAIT_SECONDS = 0.2
    worker, release, _got = _computing("counts", "stuck")
    started = time.monotonic()
    assert fragments.cached("counts", ("scope",), lambda: "own") == "own"
    assert 0.15 < time.monotonic() - started < 2
    release.set()
    worker.join()


def test_a_fragment_inside_another_on_the_same_lock_does_not_wait_for_itself(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.KINLINK_FRAGMENT_WAIT_SECONDS = 5
    monkeypatch.setattr(fragments, "LOCK_SLOTS", 1)  # every fragment on one lock
    started = time.monotonic()
    outer = fragments.cached("outer", (), lambda: "o+" + fragments.cached("inner", (), lambda: "i"))
    assert outer == "o+i" and time.monotonic() - started < 1


@pytest.mark.django_db(transaction=True)
def test_a_write_in_a_transaction_bumps_the_version_again_when_it_commits() -> None:
    from kinlink.registry.models import Person

    seen: list[int] = []
    with transaction.atomic():
        before = fragments.data_version()
        Person.objects.create()
        seen.append(fragments.data_version())
        Person.objects.create()
        seen.append(fragments.data_version())
    after = fragments.data_version()
    assert seen == [before + 1, before + 2]  # each write at once: a version was read after the first
    assert after == seen[1] + 1  # and once more at the commit, however many writes it held


@pytest.mark.django_db(transaction=True)
def test_writes_with_no_read_between_them_bump_once_and_again_at_the_commit() -> None:
    """An import's tens of statements (or COPYs) make one bump, not one each: nothing was read, so
    nothing can be kept under the version the first one made."""
    from kinlink.registry.models import Person

    with transaction.atomic():
        before = fragments.data_version()
        for _ in range(5):
            Person.objects.create()
        Person.objects.filter(pk__gt=0).update(unit="x")
        inside = fragments.data_version()
    assert inside == before + 1
    assert fragments.data_version() == inside + 1


SCRIPT = """
import os, sys, time
import django
django.setup()
from kinlink.portal import fragments
from pathlib import Path

def compute():
    Path(sys.argv[1], f"computed-{os.getpid()}").write_text("x")
    time.sleep(0.5)
    return "shared"

Path(sys.argv[1], f"ready-{os.getpid()}").write_text("x")
while len(list(Path(sys.argv[1]).glob("ready-*"))) < 3:
    time.sleep(0.01)
print(fragments.cached("home", ("scope",), compute))
"""


@pytest.mark.slow
def test_processes_sharing_the_cache_folder_compute_a_fragment_once(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_SETTINGS_MODULE": "kinlink.settings",
        "KINLINK_VAR_DIR": str(tmp_path / "var"),
        "KINLINK_CACHE_DIR": str(tmp_path / "cache"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(marks)], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in processes]
    assert outputs == ["shared"] * 3
    assert len(list(marks.glob("computed-*"))) == 1
    assert any((tmp_path / "cache").iterdir())  # the fragment and the data version, as files


@pytest.mark.django_db(transaction=True)
def test_a_background_fragment_serves_its_last_value_and_is_renewed_off_the_request(settings: Any) -> None:
    """The reader who finds a slow fragment stale does not wait for it: the last value at once, the new
    one computed by the process's background thread, in the reader's language."""
    from django.utils import translation

    settings.KINLINK_FRAGMENT_BACKGROUND = True
    calls: list[str] = []
    gate = threading.Event()

    def compute() -> str:
        gate.wait(10)
        calls.append(translation.get_language() or "")
        return f"v{len(calls)} {calls[-1]}"

    gate.set()
    with translation.override("ru"):
        assert fragments.cached("slow", ("scope",), compute, background=True) == "v1 ru"  # none yet: inline
    fragments.bump_version()
    gate.clear()
    with translation.override("uk"):
        started = time.monotonic()
        assert fragments.cached("slow", ("scope",), compute, background=True) == "v1 ru"
        assert fragments.cached("slow", ("scope",), compute, background=True) == "v1 ru"  # queued once
        assert time.monotonic() - started < 2
    gate.set()
    fragments.background_idle().result(timeout=10)
    assert fragments.cached("slow", ("scope",), compute, background=True) == "v2 uk"
    assert calls == ["ru", "uk"]


@pytest.mark.django_db(transaction=True)
def test_a_fragment_built_from_a_last_value_is_built_again_on_the_next_view(settings: Any) -> None:
    settings.KINLINK_FRAGMENT_BACKGROUND = True
    inner_values = iter(["i1", "i2"])
    outer_builds: list[str] = []

    def outer() -> str:
        inner = fragments.cached("inner", (), lambda: next(inner_values), background=True)
        outer_builds.append(inner)
        return f"o({inner})"

    assert fragments.cached("outer", (), outer) == "o(i1)"
    fragments.bump_version()
    assert fragments.cached("outer", (), outer) == "o(i1)"  # built from the inner one's last value...
    fragments.background_idle().result(timeout=10)
    assert fragments.cached("outer", (), outer) == "o(i2)"  # ...so not kept: built again from the new one
    assert fragments.cached("outer", (), outer) == "o(i2)"  # and kept now
    assert outer_builds == ["i1", "i1", "i2"]


def test_a_background_fragment_is_computed_inline_when_it_is_off() -> None:
    values = iter(["a", "b"])
    assert fragments.cached("inline", (), lambda: next(values), background=True) == "a"
    fragments.bump_version()
    assert fragments.cached("inline", (), lambda: next(values), background=True) == "b"
