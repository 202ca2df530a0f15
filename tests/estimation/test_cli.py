"""``kinlink estimate mse`` in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kinlink.cli import main

KEYS = {"method", "model", "observed", "estimate", "interval", "interval_kind"}


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["estimate", "mse", *argv, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert KEYS <= set(out) <= KEYS | {"bayes_estimate"}
    return out


def test_stepwise_json(estimation_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, str(estimation_data / "uk_modern_slavery_2013_5lists.csv"), "--method", "stepwise")
    assert out["method"] == "stepwise"
    assert out["model"] == "LA:NG LA:PFNCA NG:GO NG:GP PFNCA:GP GO:GP"
    assert out["observed"] == 2744
    assert abs(float(out["estimate"]) - 11313) < 11.3
    lo, hi = out["interval"]
    assert 2744 <= lo < 11313 < hi
    assert "profile likelihood" in str(out["interval_kind"])


def test_terms_profile_interval(estimation_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(
        capsys, str(estimation_data / "rome_hiv_4lists.csv"), "--method", "main", "--terms", "c1:c2"
    )
    assert out["method"] == "fixed"
    assert out["model"] == "c1:c2"
    lo, hi = out["interval"]
    assert abs(lo - 10266) < 10.3 and abs(hi - 14992.3) < 15


def test_other_methods(estimation_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ch = run_json(capsys, str(estimation_data / "seber_2lists.csv"), "--method", "chapman")
    assert abs(float(ch["estimate"]) - 2382.8) < 2.4
    dga = run_json(
        capsys, str(estimation_data / "madigan_york_3lists.csv"), "--method", "dga", "--delta", "1"
    )
    assert dga["method"] == "dga"
    # the posterior median is the estimate (HRDAG's convention); the Bayes estimate is kept beside it
    assert dga["bayes_estimate"] is not None and "posterior median" in dga["interval_kind"]
    assert abs(dga["estimate"] - dga["bayes_estimate"]) < 0.05 * dga["estimate"]
    boot = run_json(
        capsys,
        str(estimation_data / "new_orleans_trafficking_5lists.csv"),
        "--method",
        "main",
        "--bootstrap",
        "60",
        "--seed",
        "4",
    )
    assert "BCa" in str(boot["interval_kind"])


def test_text_output_shows_competing_models(
    estimation_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estimate", "mse", str(estimation_data / "rome_hiv_4lists.csv")]) == 0
    text = capsys.readouterr().out
    assert "other models" in text
    assert "bic #1" in text


def test_bad_input_reports_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B,count\n1,0,5\n1,2,3\n", encoding="utf-8")
    assert main(["estimate", "mse", str(bad), "--format", "json"]) == 1
    err = capsys.readouterr().err
    assert "line 3, column B" in err
    good = tmp_path / "good.csv"
    good.write_text("A,B,C,count\n1,0,0,5\n0,1,0,3\n1,1,0,2\n0,0,1,4\n", encoding="utf-8")
    assert main(["estimate", "mse", str(good), "--terms", "A:Z", "--format", "json"]) == 1
    assert "unknown list 'Z'" in capsys.readouterr().err
    assert main(["estimate", "mse", str(good), "--method", "chapman", "--format", "json"]) == 1
    assert "exactly two lists" in capsys.readouterr().err


def test_bic_downhill_json(estimation_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(
        capsys, str(estimation_data / "uk_modern_slavery_2013_5lists.csv"), "--method", "bic-downhill"
    )
    assert out["method"] == "bic-downhill"
    assert out["model"] == "LA:NG LA:PFNCA NG:GP PFNCA:GP GO:GP"
    assert abs(float(out["estimate"]) - 12262) < 12.3
    lo, hi = out["interval"]
    assert 2744 <= lo < 12262 < hi
