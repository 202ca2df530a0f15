"""Reports: verbal scale, posterior, and power simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kinlink.genetics.kinship import KinshipCase, missing_person_lr
from kinlink.genetics.markers import synthetic_database
from kinlink.genetics.pedigree import Pedigree, Person
from kinlink.genetics.report import case_report, format_text, posterior_probability, power, verbal_equivalent


@pytest.mark.parametrize(
    ("lr", "words"),
    [
        (1.5, "no support"),
        (5, "weak support for H1"),
        (50, "moderate support for H1"),
        (500, "moderately strong support for H1"),
        (5e3, "strong support for H1"),
        (5e5, "very strong support for H1"),
        (5e7, "extremely strong support for H1"),
        (1e-5, "very strong support for H2"),
        (0.0, "excluded"),
    ],
)
def test_verbal_scale(lr: float, words: str) -> None:
    assert words in verbal_equivalent(lr)


def test_posterior() -> None:
    assert posterior_probability(99.0, 0.01) == pytest.approx(0.5)
    assert posterior_probability(math.inf, 0.5) == 1.0
    with pytest.raises(ValueError, match="strictly between"):
        posterior_probability(10, 0.0)


def mother_case(n_markers: int = 15) -> KinshipCase:
    db = synthetic_database(n_markers, seed=4)
    loci = [db[n] for n in db.names()]
    ped = Pedigree(
        [
            Person("F", "male"),
            Person("M", "female"),
            Person("MP", "male", "F", "M"),
            Person("B", "male", "F", "M"),
        ]
    )
    rng = np.random.default_rng(0)
    refs: dict[str, dict[str, list[str]]] = {"M": {}}
    poi: dict[str, list[str]] = {}
    for locus in loci:
        refs["M"][locus.name] = [str(a) for a in rng.choice(locus.alleles, 2, p=locus.freqs)]
        poi[locus.name] = [refs["M"][locus.name][0], str(rng.choice(locus.alleles, p=locus.freqs))]
    return KinshipCase("demo", ped, "MP", loci, refs, poi)


def test_case_report_and_text() -> None:
    result = missing_person_lr(mother_case())
    report = case_report(result, prior=0.001)
    assert report["verbal_scale"].startswith("ENFSI")
    assert 0 < report["posterior"] < 1
    text = format_text(result, prior=0.001)
    assert "total" in text and "Posterior" in text


def test_power_exact_expectations_match_simulation() -> None:
    case = mother_case()
    res = power(case, simulations=4000, seed=7)
    assert res.expected_log10_lr_h1 is not None and res.expected_log10_lr_h1 > 0
    sim_mean = float(np.mean(res.log10_lr_h1))
    se = float(np.std(res.log10_lr_h1)) / math.sqrt(res.log10_lr_h1.size)
    assert abs(sim_mean - res.expected_log10_lr_h1) < 5 * se
    summary = res.summary()
    assert summary["h1"]["p_lr_above_threshold"] > summary["h2"]["p_lr_above_threshold"]
    assert summary["h2"]["p_excluded"] > 0.5  # without mutation, unrelated men are mostly excluded


def test_power_with_an_extra_relative_is_higher() -> None:
    case = mother_case(8)
    base = power(case, simulations=40, seed=3)
    more = power(case, simulations=40, seed=3, extra_relatives=["B"])
    assert more.extra_relatives == ["B"]
    # Typing a full brother besides the mother makes the father's side informative.
    assert np.mean(more.log10_lr_h1) > np.mean(base.log10_lr_h1)
    assert np.all(np.isfinite(more.log10_lr_h1))
    with pytest.raises(ValueError, match="extra relative"):
        power(case, simulations=5, extra_relatives=["M"])
