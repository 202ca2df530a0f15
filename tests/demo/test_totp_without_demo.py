"""``kinlink totp`` refuses a database that holds no demo."""

from __future__ import annotations

from typing import Any

import pytest

from kinlink.cli import main


@pytest.mark.django_db
def test_totp_is_refused_without_the_demo(settings: Any, capsys: pytest.CaptureFixture[str]) -> None:
    settings.DEBUG = True
    assert main(["totp", "caseworker"]) == 1
    assert "holds no demo" in capsys.readouterr().err
