"""``kinlink retention run``: withdrawals and expiries applied record by record, with tombstones."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest

from kinlink import worker
from kinlink.cli import main
from kinlink.exchange.genotypes import genotype_csv
from kinlink.identification.actions import store_lab_profiles
from kinlink.registry import actions
from kinlink.registry.models import AuditEntry, Sample, Tombstone, TracingRequest
from tests.portal.portal_world import World, build_world
from tests.portal.test_withdrawal import give_dna

LATE_PROFILE = genotype_csv({"REF-B-01": {"vWA": ["17", "18"]}})

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def _orphan(root: Path, content: bytes, age_days: float) -> Path:
    """A file in the attachment store that no attachment names (a refused or interrupted upload)."""
    digest = hashlib.sha256(content).hexdigest()
    path = root / digest[:2] / digest[2:4] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    then = time.time() - age_days * 86400
    os.utime(path, (then, then))
    return path


def _withdrawn_without_erasing(tracing_request: TracingRequest) -> None:
    """A DNA withdrawal whose erasing did not happen (an older backup restored after it): what retention's
    ``withdrawn_dna`` rule exists to catch."""
    from django.utils import timezone

    TracingRequest.objects.filter(pk=tracing_request.pk).update(
        consent_dna=False, dna_consent_withdrawn_at=timezone.now()
    )


def _lines(out: str) -> list[list[str]]:
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def test_dry_run_lists_what_is_due_and_changes_nothing_then_the_run_erases_it_once(
    world: World,
    settings: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.ATTACHMENT_ROOT = tmp_path
    settings.KINLINK_RETENTION_DAYS = {**settings.KINLINK_RETENTION_DAYS, "closed_request_contacts": 0}
    # B's family withdrew its DNA consent, but a profile was left behind (a withdrawal whose erasing was
    # lost: an older backup restored after it); a lab's upload after a withdrawal is refused outright
    (sample,) = give_dna(world.b, "REF-B-01")
    store_lab_profiles(None, world.b.lab, "late.csv", LATE_PROFILE)
    _withdrawn_without_erasing(world.b.request)
    sample.refresh_from_db()
    assert sample.profile
    # A's request is closed (its contacts are due at once with a period of 0 days)
    actions.close_tracing_request(None, world.a.request)
    # an upload refused long ago, and one from a minute ago (not due yet)
    old = _orphan(tmp_path, b"%PDF-1.4 refused", age_days=30)
    fresh = _orphan(tmp_path, b"%PDF-1.4 just now", age_days=0)
    audit_before = AuditEntry.objects.count()

    assert main(["retention", "run", "--dry-run"]) == 0
    captured = capsys.readouterr()
    listed = _lines(captured.out)
    assert [row[:4] for row in listed] == [
        ["withdrawn_dna", "reference_profile", "REF-B-01", "withdrawn"],
        ["closed_request_contacts", "request_contacts", world.a.request.number, "expired"],
        ["refused_uploads", "upload", old.name, "expired"],
    ]
    assert "would erase 3 record(s)" in captured.err
    # nothing changed, and a listing names no personal data
    sample.refresh_from_db()
    assert sample.profile and TracingRequest.objects.get(pk=world.a.request.pk).contact
    assert old.exists() and AuditEntry.objects.count() == audit_before
    assert "Mother a" not in captured.out and "+7 900" not in captured.out

    with django_capture_on_commit_callbacks(execute=True):
        assert main(["retention", "run"]) == 0
    assert "erased 3 record(s)" in capsys.readouterr().err
    sample.refresh_from_db()
    request = TracingRequest.objects.get(pk=world.a.request.pk)
    assert sample.profile == "" and (request.enquirer_name, request.contact) == ("", "")
    assert request.circumstances == "" and request.withdrawn_at is None  # only the contacts expired
    assert not old.exists() and fresh.exists()
    assert set(Tombstone.objects.values_list("kind", "record_id", "reason")) == {
        ("reference_profile", "REF-B-01", "withdrawn"),
        ("request_contacts", world.a.request.number, "expired"),
        ("upload", old.name, "expired"),
    }
    trail = AuditEntry.objects.filter(pk__gt=0).order_by("pk")
    assert [e.action for e in trail][-3:] == ["erase_withdrawn", "expire_data", "expire_data"]
    assert trail.get(action="erase_withdrawn").detail == {
        "rule": "withdrawn_dna",
        "kind": "reference_profile",
    }

    # idempotent: a second run finds nothing and writes nothing
    audit_after = AuditEntry.objects.count()
    assert main(["retention", "run"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "erased 0 record(s)" in captured.err
    assert AuditEntry.objects.count() == audit_after


def test_reference_profiles_expire_after_an_identification(
    world: World, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    give_dna(world.a, "REF-A-01")
    actions.record_dna_identification(
        None, world.a.person, remains_code="R-1", run_id=None, lr=1e9, posterior=0.9999, candidate_id=1
    )
    assert main(["retention", "run", "--dry-run"]) == 0
    assert capsys.readouterr().out == ""  # a year has not passed
    settings.KINLINK_RETENTION_DAYS = {**settings.KINLINK_RETENTION_DAYS, "identified_reference_profiles": 0}
    assert main(["retention", "run"]) == 0
    assert _lines(capsys.readouterr().out)[0][:4] == [
        "identified_reference_profiles",
        "reference_profile",
        "REF-A-01",
        "expired",
    ]
    assert Sample.objects.get(code="REF-A-01").profile == ""


def test_the_worker_runs_retention_once_per_interval(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (sample,) = give_dna(world.b, "REF-B-01")
    monkeypatch.setattr(worker, "_retention_ran_at", None)
    settings.KINLINK_RETENTION_INTERVAL_HOURS = 24
    assert main(["worker", "--once"]) == 0  # the first pass runs retention (nothing due yet)
    store_lab_profiles(None, world.b.lab, "late.csv", LATE_PROFILE)
    _withdrawn_without_erasing(world.b.request)
    assert main(["worker", "--once"]) == 0  # within the day: not again
    sample.refresh_from_db()
    assert sample.profile
    monkeypatch.setattr(worker, "_retention_ran_at", time.monotonic() - 25 * 3600)
    assert main(["worker", "--once"]) == 0  # a day later
    sample.refresh_from_db()
    assert sample.profile == ""
    assert AuditEntry.objects.filter(action="erase_withdrawn", object_id=str(sample.pk)).count() == 1


def test_rules_are_listed_with_their_periods_and_purposes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retention", "rules"]) == 0
    rows = _lines(capsys.readouterr().out)
    assert {row[0] for row in rows} == {
        "withdrawn_request",
        "withdrawn_dna",
        "identified_reference_profiles",
        "closed_request_contacts",
        "refused_uploads",
        "audit_details",
    }
    assert all(row[2].endswith(" days") and len(row[4]) > 40 for row in rows)


def test_old_audit_entries_keep_who_what_and_when_but_lose_their_details(
    world: World, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = AuditEntry.objects.filter(action="submit_request").order_by("pk").first()
    assert entry is not None and entry.detail  # {"channel": "web"}
    kept = (entry.at, entry.actor_label, entry.action, entry.object_type, entry.object_id)
    assert main(["retention", "run", "--dry-run"]) == 0
    assert "audit_details" not in capsys.readouterr().out  # five years have not passed
    settings.KINLINK_RETENTION_DAYS = {**settings.KINLINK_RETENTION_DAYS, "audit_details": 0}
    with_details = AuditEntry.objects.exclude(detail={}).count()
    assert with_details > 1
    assert main(["retention", "run"]) == 0
    rows = _lines(capsys.readouterr().out)
    assert [row[:2] for row in rows] == [["audit_details", "audit_detail"]]
    entry.refresh_from_db()
    assert entry.detail == {}
    assert (entry.at, entry.actor_label, entry.action, entry.object_type, entry.object_id) == kept
    record = AuditEntry.objects.get(action="expire_data", object_type="auditentry")
    assert record.detail["entries"] == with_details
    assert list(AuditEntry.objects.exclude(detail={})) == [record]
