"""Joint identification reproduces dvir 3.4.2 on its published datasets (tests/data/genetics/dvi);
staged conclusions; CLI."""

from __future__ import annotations

import json
import math

import pytest

from kinlink.cli import main
from kinlink.genetics.dvi import DviError, dataset_from_json, read_dvi_json, report_json, solve
from tests.data import DATA

DVI = DATA / "genetics" / "dvi"


def _check_against_expected(name: str, report: dict[str, object]) -> None:
    expected = json.loads((DVI / f"{name}.expected.json").read_text())
    pairwise = report["pairwise_lr"]
    assert isinstance(pairwise, dict)
    rows = expected["pairwise_lr"]
    for victim, values in zip(rows["rows"], rows["values"], strict=True):
        for missing, lr in values.items():
            got = pairwise[victim].get(missing)
            if lr is None:
                assert got is None
            elif lr == 0:
                assert got == 0
            else:
                assert got == pytest.approx(lr, rel=1e-6)
    joint = report["joint"]
    assert isinstance(joint, list)
    ours = {tuple(sorted(a["assignment"].items())): a for a in joint}
    assert len(ours) == len(joint) == report["joint_count"] == expected["joint_count"]
    finite = [j for j in expected["joint_top"] if j["loglik"] is not None]
    for j in expected["joint_top"]:
        key = tuple(sorted((v, j[v]) for v in pairwise))
        if j["loglik"] is None:  # dvir's -Inf: listed too, loglik null (JSON has no -Infinity), posterior 0
            assert ours[key]["loglik"] is None and ours[key]["posterior"] == 0.0
        else:
            assert ours[key]["loglik"] == pytest.approx(j["loglik"], rel=1e-9, abs=1e-8)
    # ranking: the best-first list has the expected log-likelihoods in order, impossible ones last
    got = [a["loglik"] for a in joint[: len(finite)]]
    assert got == pytest.approx([j["loglik"] for j in finite], rel=1e-9, abs=1e-8)
    nulls = [i for i, a in enumerate(joint) if a["loglik"] is None]
    assert nulls == list(range(len(joint) - len(nulls), len(joint)))
    assert all(joint[i]["posterior"] == 0.0 for i in nulls)
    posts = [a["posterior"] for a in joint]
    assert posts == sorted(posts, reverse=True) and sum(posts) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["example1", "example2", "fire"])
def test_reproduces_dvir(name: str) -> None:
    _check_against_expected(name, report_json(solve(read_dvi_json(DVI / f"{name}.json")), top=0))


def test_fire_conclusions_explain_symmetry_and_glr() -> None:
    result = solve(read_dvi_json(DVI / "fire.json"))
    by_victim = {c["victim"]: c for c in result.conclusions}
    assert by_victim["V1"]["conclusion"] == "identified (joint)"
    assert by_victim["V1"]["glr"] == pytest.approx(70582.3872198418, rel=1e-6)
    for v in ("V2", "V3"):
        assert by_victim[v]["conclusion"] == "symmetric match"
        assert by_victim[v]["group_glr"] == pytest.approx(2947149.10353638, rel=1e-6)
        assert "M2/M3" in by_victim[v]["reason"]


def test_stages_exclusions_and_undisputed() -> None:
    result = solve(read_dvi_json(DVI / "planecrash.json"))
    undisputed = {(v, m) for v, m, _ in result.undisputed}
    assert undisputed == {("V2", "M3"), ("V4", "M5"), ("V6", "M2")}
    assert all(a.pairs[v] == m for a in result.joint for v, m in undisputed)
    assert result.excluded and all("Mendel" in why or "LR is 0" in why for _, _, why in result.excluded)
    kinds = {c["conclusion"] for c in result.conclusions}
    assert {"excluded", "identified (undisputed)"} <= kinds
    assert all(c["reason"] for c in result.conclusions)


def test_bad_dataset_is_a_clear_error() -> None:
    with pytest.raises(DviError, match="missing persons"):
        dataset_from_json(
            {
                "loci": [{"name": "L1", "alleles": ["1", "2"], "afreq": [0.5, 0.5], "mutmod": None}],
                "pm": [{"id": "V1", "sex": 1, "genotypes": {"L1": ["1", "2"]}}],
                "am": [{"family": "F1", "pedigree": [{"id": "R1", "fid": None, "mid": None, "sex": 1}]}],
                "missing": ["M1"],
                "pairings": None,
            },
            "x.json",
        )


def test_cli_dvi_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dna", "dvi", str(DVI / "example2.json"), "--format", "json", "--top", "0"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"pairwise_lr", "joint", "conclusions"} <= set(report)
    assert set(report["joint"][0]) == {"assignment", "loglik", "posterior"}
    _check_against_expected("example2", report)
    assert main(["dna", "dvi", str(DVI / "example1.json"), "--format", "text"]) == 0
    assert "Conclusions:" in capsys.readouterr().out
    assert main(["dna", "dvi", str(DVI / "nope.json")]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert math.isfinite(report["joint"][0]["loglik"])
    # dvir lists the 4 assignments placing V1 as M2 (incompatible with his mother) with -Inf: so do we
    impossible = [a for a in report["joint"] if a["loglik"] is None]
    assert len(impossible) == 4 and all(a["assignment"]["V1"] == "M2" for a in impossible)
    assert report["joint"][-4:] == impossible
