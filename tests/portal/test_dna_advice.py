"""Sampling advice for families from measured match power: the shipped file, its regeneration, the page."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from kinlink.cli import main
from kinlink.genetics.power_file import PowerFileError, check_sampling_power
from kinlink.portal import dna_advice
from kinlink.portal.dna_advice import POWER_FILE, in_100, read_sampling_power
from tests.portal.portal_world import World, family_client


def test_regenerated_simulation_has_the_shipped_format(tmp_path: Path) -> None:
    out = tmp_path / "power.json"
    assert main(["dna", "advice", "--families", "6", "--missing-persons", "5000", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    check_sampling_power(data)
    assert data["generated_by"].startswith("kinlink dna advice --families 6 ")
    assert "--missing-persons 5000" in data["generated_by"] and str(out) in data["generated_by"]
    assert data["generated_on"] == dt.date.today().isoformat()
    params = data["parameters"]
    assert params["families_per_configuration"] == 6 and params["condition"] == "partial"
    assert params["identification_lr"] == pytest.approx(0.9995 / 0.0005 * 4999)
    assert len(params["markers"]) == 23 and params["mutation"].startswith("stepwise")
    needed = f"power_{dna_advice.threshold_label(params['identification_lr'])}"
    assert needed == "power_9.99e6"
    for record in data["configurations"].values():
        assert record["power_1e4"] >= record["power_1e6"] >= record[needed]
    power = read_sampling_power(out)
    assert power.missing_persons == 5000 and power.families == 6
    assert [r.in_100 for r in power.rows] == sorted((r.in_100 for r in power.rows), reverse=True)
    # the shipped file is valid, made by the command it names, and from a real simulation size
    shipped = json.loads(POWER_FILE.read_text())
    check_sampling_power(shipped)
    assert shipped["generated_by"].startswith("kinlink dna advice ")
    assert shipped["parameters"]["families_per_configuration"] >= 500
    del data["configurations"]["mother"]
    with pytest.raises(PowerFileError, match="configurations"):
        check_sampling_power(data)
    assert main(["dna", "advice", "--families", "6", "--markers", "NOPE"]) == 1


def test_in_100_never_rounds_to_certainty() -> None:
    assert [in_100(x) for x in (0.0, 0.001, 0.08, 0.5, 0.996, 1.0)] == [0, 1, 8, 50, 99, 100]


def _power_file(tmp_path: Path, shares: dict[str, float]) -> Path:
    data = json.loads(POWER_FILE.read_text())
    key = f"power_{dna_advice.threshold_label(data['parameters']['identification_lr'])}"
    for name, share in shares.items():
        data["configurations"][name][key] = share
    data["generated_on"] = "2026-01-15"
    path = tmp_path / "power.json"
    path.write_text(json.dumps(data))
    return path


def test_family_page_shows_the_figures_from_the_file(world: World, tmp_path: Path, monkeypatch: Any) -> None:
    shipped = read_sampling_power(POWER_FILE)
    dna_advice.sampling_power.cache_clear()
    page = family_client(world.a).get("/en/request/follow").content.decode()
    mother, both = shipped.by_configuration["mother"], shipped.by_configuration["both_parents"]
    assert f"about {mother} in 100 missing persons are identified by DNA" in page
    assert f"raises it to about {both} in 100" in page
    for row in shipped.rows:
        assert str(row.label).replace("'", "&#x27;") in page
    path = _power_file(
        tmp_path,
        {
            "mother": 0.37,
            "both_parents": 0.91,
            "mother_sibling": 0.64,
            "siblings": 0.52,
            "child_mother": 0.73,
        },
    )
    monkeypatch.setattr(dna_advice, "POWER_FILE", path)
    dna_advice.sampling_power.cache_clear()
    try:
        page = family_client(world.a).get("/en/request/follow").content.decode()
        assert "about 37 in 100 missing persons" in page and "raises it to about 91 in 100" in page
        assert (
            page.index("about 91 in 100</td>")
            < page.index("about 73 in 100</td>")
            < page.index("about 37 in 100</td>")
        )
        assert "100,000 missing persons" in page and "Jan. 15, 2026" in page
        russian = family_client(world.a).get("/ru/request/follow").content.decode()
        assert "около 37 из 100" in russian
        path.write_text("{}")
        dna_advice.sampling_power.cache_clear()
        page = family_client(world.a).get("/en/request/follow").content.decode()
        assert "in 100" not in page and "Both of his parents" in page  # advice without figures
    finally:
        dna_advice.sampling_power.cache_clear()
