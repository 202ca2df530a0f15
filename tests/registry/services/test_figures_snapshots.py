"""Stored public figures: a change through an action marks them stale (once per transaction), the worker
recomputes them once per burst, and what it stores is exactly what ``public_figures`` computes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from kinlink.registry.models import FiguresChange, FiguresSnapshot
from kinlink.registry.services.audit import Action
from kinlink.registry.services.figures import (
    UNCOUNTED_ACTIONS,
    cached_public_figures,
    figures_due,
    latest_snapshot,
    public_figures,
    refresh_figures_when_due,
    refresh_public_figures,
    snapshot_figures,
)
from kinlink.worker import work_once
from tests.registry.services.figures_world import add_person, build_region, list_sources

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings: Any) -> None:
    settings.KINLINK_FIGURES_SETTLE_SECONDS = 0
    settings.KINLINK_RETENTION_INTERVAL_HOURS = 0  # the worker's pass does nothing else
    s = list_sources()
    build_region(s, "Донецкая область", 48, date="2022-05")
    build_region(s, "Луганская область", 40, start=100, date="2022-09")


def test_the_snapshot_is_what_public_figures_computes(world: None) -> None:
    ref = refresh_public_figures()
    stored = snapshot_figures(ref)
    computed = public_figures(10)
    assert stored == computed
    # the same order of categories and tables too (the page shows them in this order)
    assert json.dumps(stored, ensure_ascii=False) == json.dumps(computed, ensure_ascii=False)
    assert stored["people"] == 88
    snap = FiguresSnapshot.objects.get(pk=ref.id)
    assert snap.threshold == 10 and snap.seconds > 0 and len(snap.digest) == 64
    # computed again on the same data: the same digest (the page keeps its ETag)
    assert refresh_public_figures().digest == ref.digest


def test_a_change_through_an_action_marks_the_figures_stale_and_the_worker_recomputes(world: None) -> None:
    first = refresh_public_figures()
    assert FiguresChange.objects.count() == 0 and figures_due() == ""
    assert work_once() == 0 and latest_snapshot() == first  # nothing changed: nothing recomputed
    s = list_sources()
    for i in range(12):
        add_person(s, ["Family requests"], "Харьковская область", number=900 + i)
    assert FiguresChange.objects.count() >= 1
    assert figures_due() == "changes settled"
    assert cached_public_figures()["people"] == 88  # the page still shows the stored figures
    work_once()
    second = latest_snapshot()
    assert second is not None and second.id != first.id
    assert cached_public_figures()["people"] == 100
    assert cached_public_figures()["counts"]["region"]["Харьковская область"] == 12
    assert FiguresChange.objects.count() == 0 and figures_due() == ""
    # and a later change is marked again
    add_person(s, ["Family requests"], "Харьковская область", number=950)
    assert FiguresChange.objects.count() == 1


def test_a_burst_of_changes_is_one_recomputation(world: None) -> None:
    refresh_public_figures()
    before = FiguresSnapshot.objects.count()
    s = list_sources()
    for i in range(30):
        add_person(s, ["Family requests", "Prisoner list"], "Курская область", number=700 + i)
    work_once()
    work_once()
    assert FiguresSnapshot.objects.count() == before + 1
    assert cached_public_figures()["counts"]["region"]["Курская область"] == 30


def test_one_mark_per_transaction_and_none_for_reads(world: None) -> None:
    refresh_public_figures()
    s = list_sources()
    with transaction.atomic():
        for i in range(5):
            add_person(s, ["Obituaries"], "Курская область", number=800 + i)
    assert FiguresChange.objects.count() == 1
    refresh_public_figures()
    # a rolled-back change leaves no mark, and the next change is marked
    with pytest.raises(RuntimeError), transaction.atomic():
        add_person(s, ["Obituaries"], "Курская область", number=810)
        raise RuntimeError
    assert FiguresChange.objects.count() == 0
    from kinlink.registry.services import audit

    audit.record(None, Action.VIEW_PERSON, object_type="person", object_id="1")
    audit.record(None, Action.LOGIN, object_type="user", object_id="1")
    assert FiguresChange.objects.count() == 0
    add_person(s, ["Obituaries"], "Курская область", number=811)
    assert FiguresChange.objects.count() == 1


def test_reads_are_the_only_uncounted_actions() -> None:
    """Every name in the uncounted list is an audit action; the writes of the registry are not in it."""
    assert UNCOUNTED_ACTIONS.issubset({a.value for a in Action})
    for write in ("add_person", "add_claim", "retract_claim", "merge_person", "change_legal_status",
                  "identify_remains", "confirm_identification", "import_list", "record_inquiry",
                  "erase_withdrawn", "restore_instance", "submit_request"):  # fmt: skip
        assert write not in UNCOUNTED_ACTIONS


def test_changes_that_never_pause_wait_at_most_the_maximum_delay(world: None, settings: Any) -> None:
    refresh_public_figures()
    settings.KINLINK_FIGURES_SETTLE_SECONDS = 60
    settings.KINLINK_FIGURES_MAX_DELAY_SECONDS = 300
    add_person(list_sources(), ["Obituaries"], "Курская область", number=820)
    now = timezone.now()
    assert figures_due(now) == ""  # still changing: wait
    assert refresh_figures_when_due(now) is None
    assert figures_due(now + dt.timedelta(seconds=61)) == "changes settled"
    FiguresChange.objects.update(at=now - dt.timedelta(seconds=301))
    FiguresChange.objects.create(action="add_claim", at=now)  # a change a moment ago: not settled
    assert figures_due(now) == "changes waited too long"


def test_a_new_day_or_a_new_threshold_recomputes(world: None, settings: Any) -> None:
    ref = refresh_public_figures()
    assert figures_due(ref.computed_at + dt.timedelta(days=1)) == "a new day"
    settings.FIGURES_SUPPRESSION_THRESHOLD = 5
    assert figures_due() == "no snapshot"
    assert cached_public_figures()["threshold"] == 5  # computed once, then stored
    assert latest_snapshot() is not None and latest_snapshot().threshold == 5  # type: ignore[union-attr]


def test_old_snapshots_are_pruned(world: None) -> None:
    for _ in range(7):
        refresh_public_figures()
    assert FiguresSnapshot.objects.count() == 5


def test_a_failed_recomputation_keeps_the_last_snapshot_and_waits_before_trying_again(
    world: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from kinlink import worker
    from kinlink.registry.services import figures

    monkeypatch.setattr(worker, "_figures_failed_at", None)
    first = refresh_public_figures()
    add_person(list_sources(), ["Obituaries"], "Курская область", number=830)
    calls: list[int] = []

    def broken(threshold: int = 10, method: str = "stepwise") -> dict[str, Any]:
        calls.append(threshold)
        raise RuntimeError("the estimation broke")

    monkeypatch.setattr(figures, "public_figures", broken)
    assert worker.refresh_figures() is False
    assert "could not be recomputed" in caplog.text and calls == [10]
    assert worker.refresh_figures() is False and calls == [10]  # not again on the next pass
    assert latest_snapshot() == first and FiguresChange.objects.count() == 1  # the change still waits
    monkeypatch.undo()
    monkeypatch.setattr(worker, "_figures_failed_at", None)
    assert worker.refresh_figures() is True
    assert cached_public_figures()["people"] == 89
