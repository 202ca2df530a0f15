"""Registry figures: capture histories from linked persons and lists, strata, sensitivity, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kinlink.cli import main
from kinlink.estimation.capture import CaptureData, histories_from_memberships
from kinlink.registry import actions
from kinlink.registry.models import Claim, Person, Source
from kinlink.registry.services.figures import (
    estimate_registry,
    person_records,
    public_figures,
    quarter,
    registry_lists,
)
from tests.registry.services.figures_world import add_person, build_region, list_sources

pytestmark = pytest.mark.django_db

F, P, OB, M = "Family requests", "Prisoner list", "Obituaries", "Media list"


def seen(data: CaptureData) -> dict[tuple[int, ...], float]:
    """The non-empty histories and their counts."""
    return {h: c for h, c in data.rows() if c}


def test_capture_histories_count_survivors_once_and_drop_retracted_links() -> None:
    s = list_sources()
    a = add_person(s, [F, P], "Луганская область")
    b = add_person(s, [OB], "Луганская область", number=1)
    b.merged_into = a  # b was the same person as a: a's history gains the obituary
    b.save()
    c = add_person(s, [M], "Луганская область", number=2)
    d = add_person(s, [F, OB], "Луганская область", number=3)
    actions.retract_claim(None, Claim.objects.get(person=d, source=s[OB]), "wrong person")

    reg = registry_lists(merge_derived=False)
    assert reg.lists == (F, M, OB, P)
    assert set(reg.memberships) == {
        (str(a.pk), F),
        (str(a.pk), P),
        (str(a.pk), OB),
        (str(c.pk), M),
        (str(d.pk), F),
    }
    data = histories_from_memberships(reg.memberships, reg.lists)
    assert data.observed == 3  # a (with b), c, d
    assert seen(data) == {(1, 0, 0, 0): 1.0, (0, 1, 0, 0): 1.0, (1, 0, 1, 1): 1.0}


def test_media_list_is_merged_into_obituaries_by_default() -> None:
    s = list_sources()
    add_person(s, [OB, M], "Луганская область")
    add_person(s, [M], "Луганская область", number=1)
    add_person(s, [F], "Луганская область", number=2)
    reg = registry_lists()
    assert reg.derived == {OB: [OB, M]}
    data = histories_from_memberships(reg.memberships, reg.lists, reg.derived)
    assert data.lists == (F, OB, P)
    # the person on both obituaries and media is on the merged list once, not twice
    assert seen(data) == {(1, 0, 0): 1.0, (0, 1, 0): 2.0}


def test_source_kinds_pick_the_lists() -> None:
    s = list_sources()
    add_person(s, [F, P], "Луганская область")
    reg = registry_lists(source_kinds=["prisoner_list", "family_report"])
    assert reg.lists == (F, P)
    assert len(reg.memberships) == 2


def test_person_records_use_the_stored_fate_and_earliest_month() -> None:
    s = list_sources()
    p = add_person(s, [F], "Луганская область", date="2022-03-10")
    actions.add_claim(None, p, s[OB], fate="dead", date="2022-07")
    detained = actions.add_claim(None, p, s[P], fate="detained", date="2023-01")
    actions.retract_claim(None, detained, "another man of the same name")
    r = person_records()[str(p.pk)]
    assert (r["month"], r["quarter"], r["fate"], r["source_kind"]) == (
        "2022-03",
        "2022-Q1",
        "dead",
        "family_report",
    )
    assert quarter("2024-11") == "2024-Q4" and quarter("unknown") == "unknown"
    assert "surname" not in r and "unit" not in r


def test_strata_without_overlap_are_refused_with_the_reason() -> None:
    s = list_sources()
    build_region(s, "Донецкая область", 80)
    for i in range(3):
        add_person(s, [F], "Курская область", number=100 + i)
    out = estimate_registry(("region",), "main")
    by = {x["stratum"]: x for x in out["strata"]}
    assert "only 1 list(s) have people" in by["Курская область"]["refused"]
    ok = by["Донецкая область"]
    assert set(ok) >= {"method", "model", "observed", "estimate", "interval", "interval_kind"}
    assert ok["observed"] == 80 and ok["estimate"] > 80
    assert out["total"]["estimate"] == pytest.approx(ok["estimate"])
    assert out["total"]["observed_refused"] == 3


def test_sensitivity_run_perturbs_linkage() -> None:
    s = list_sources()
    build_region(s, "Донецкая область", 120)
    out = estimate_registry((), "main", sensitivity_runs=4, seed=3)
    sens = out["linkage_sensitivity"]
    assert sens["estimate"] == pytest.approx(out["total"]["estimate"], rel=1e-6)
    assert sens["perturbed_min"] <= sens["perturbed_median"] <= sens["perturbed_max"]
    assert np.isfinite(sens["perturbed_max"])
    # split links only create apparent singletons: with 5 % splits and 2 % merges the estimate moves
    assert sens["perturbed_min"] != sens["estimate"] or sens["perturbed_max"] != sens["estimate"]


def test_public_figures_suppress_small_cells() -> None:
    s = list_sources()
    build_region(s, "Донецкая область", 60)
    build_region(s, "Курская область", 4, start=500)
    build_region(s, "Ростовская область", 30, start=600)
    fig = public_figures(threshold=10, method="main")
    assert fig["counts"]["region"]["Донецкая область"] == 60
    # 4 is withheld, and so is the smallest other region, or 4 would follow from the total
    assert fig["counts"]["region"]["Курская область"] is None
    assert fig["counts"]["region"]["Ростовская область"] is None
    assert fig["counts"]["region"]["total"] == 94
    assert fig["estimate"] is not None and fig["estimate"]["observed"] == 94
    assert all(r["region"] != "Курская область" for r in fig["region_estimates"])


def test_cli_estimate_registry_json(capsys: pytest.CaptureFixture[str]) -> None:
    s = list_sources()
    build_region(s, "Донецкая область", 80, date="2022-05")
    build_region(s, "Донецкая область", 40, start=200, date="2022-11")
    add_person(s, [P], "Курская область", number=999)
    code = main(["estimate", "registry", "--by", "region,quarter", "--method", "main", "--format", "json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert [x["stratum"] for x in out["strata"]] == [
        "Донецкая область / 2022-Q2",
        "Донецкая область / 2022-Q4",
        "Курская область / 2022-Q2",
    ]
    assert "refused" in out["strata"][2]
    assert out["derived"] == {OB: [OB, M]}
    total = out["total"]
    assert total["observed"] == 120
    assert total["interval"][0] <= total["estimate"] <= total["interval"][1]
    # the total's interval is the profile likelihood of the sum, not a normal approximation
    assert total["interval_kind"].startswith("profile likelihood 95% of the sum over 2 independent strata")
    lo_sum = sum(x["interval"][0] for x in out["strata"][:2])
    hi_sum = sum(x["interval"][1] for x in out["strata"][:2])
    assert lo_sum < total["interval"][0] and total["interval"][1] < hi_sum


def test_stratified_total_by_bootstrap_adds_independent_replicates() -> None:
    s = list_sources()
    build_region(s, "Донецкая область", 80, date="2022-05")
    build_region(s, "Донецкая область", 40, start=200, date="2022-11")
    a = estimate_registry(("region", "quarter"), "main", n_boot=60, seed=5)
    b = estimate_registry(("region", "quarter"), "main", n_boot=60, seed=5)
    assert a["total"] == b["total"]  # seeded
    kind = a["total"]["interval_kind"]
    assert kind.startswith("BCa bootstrap 95% of the sum over 2 strata (60 replicates per stratum")
    lo, hi = a["total"]["interval"]
    assert 120 <= lo < a["total"]["estimate"] < hi
    # every accepted stratum was bootstrapped (on its own stream, see stratum_seeds)
    strata = [x for x in a["strata"] if "refused" not in x]
    assert len(strata) == 2 and all(x["interval_kind"].startswith("BCa") for x in strata)


def test_cli_estimate_registry_text_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "registry"]) == 1
    assert "no one on any list" in capsys.readouterr().err
    s = list_sources()
    build_region(s, "Донецкая область", 80)
    assert main(["estimate", "registry", "--by", "surname"]) == 1
    assert "cannot stratify by 'surname'" in capsys.readouterr().err
    assert main(["estimate", "registry", "--method", "main", "--no-merge-derived", "--sensitivity", "2"]) == 0
    text = capsys.readouterr().out
    assert "lists: Family requests, Media list, Obituaries, Prisoner list" in text
    assert "linkage sensitivity (2 runs)" in text
    assert Person.objects.count() == 80


def test_public_figures_count_the_reconciled_fate_not_the_latest_claim() -> None:
    """The unit says dead (March); a later ministry letter says missing (May). The reconciliation keeps
    "dead" (a later missing claim is no news of life), so the person counts once, as dead, in the figures
    as on the case page; "the latest claim" would have said missing."""
    unit = actions.add_source(
        None, kind="unit_notice", name="Unit notice 1", date="2022-04-02", reliability="B"
    )
    ministry = actions.add_source(
        None, kind="ministry_letter", name="Ministry", date="2022-06-01", reliability="B"
    )
    person = actions.add_person(
        None, names=[], reason="figures test", region="Луганская область", military_branch="artillery"
    )
    actions.add_claim(None, person, unit, fate="dead", date="2022-03-30")
    actions.add_claim(None, person, ministry, fate="missing", date="2022-05-10")
    person.refresh_from_db()
    records = person_records()
    assert person.fate == "dead"
    assert list(records) == [str(person.pk)]
    assert records[str(person.pk)]["fate"] == person.fate == "dead"
    assert Source.objects.count() == 2
