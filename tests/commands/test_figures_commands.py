"""``kinlink figures refresh`` recomputes and stores the public figures; ``kinlink figures status`` says how
old they are and whether changes wait."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kinlink.cli import main
from kinlink.registry.models import FiguresSnapshot
from kinlink.registry.services.figures import cached_public_figures, latest_snapshot
from tests.registry.services.figures_world import add_person, build_region, list_sources

pytestmark = pytest.mark.django_db


def test_refresh_stores_the_figures_and_status_reports_them(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.KINLINK_FIGURES_SETTLE_SECONDS = 0
    s = list_sources()
    build_region(s, "Донецкая область", 24)
    assert latest_snapshot() is None
    assert main(["figures", "status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["snapshot"] is None and status["due"] == "no snapshot" and status["pending_changes"] >= 1
    assert main(["figures", "refresh"]) == 0
    out = json.loads(capsys.readouterr().out)
    snap = FiguresSnapshot.objects.get()
    assert out["snapshot"] == snap.pk and out["digest"] == snap.digest and out["threshold"] == 10
    assert cached_public_figures()["people"] == 24
    assert main(["figures", "status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status == {
        "snapshot": snap.pk,
        "computed_at": snap.computed_at.isoformat(),
        "threshold": 10,
        "pending_changes": 0,
        "due": None,
    }
    add_person(s, ["Obituaries"], "Донецкая область", number=99)
    assert main(["figures", "status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["pending_changes"] == 1 and status["due"] == "changes settled"
    assert main(["figures", "refresh"]) == 0
    capsys.readouterr()
    assert cached_public_figures()["people"] == 25
