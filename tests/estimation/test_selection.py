"""Model choice (stepwise, bic, main) against the published estimates."""

from __future__ import annotations

import itertools

import pytest

from kinlink.estimation.loglinear import check_model, fit_loglinear, parse_terms
from kinlink.estimation.selection import (
    bic_ranking,
    downhill_neighbours,
    downhill_search,
    hierarchical_models,
    overlap_p_value,
    select_model,
    stepwise_terms,
)

from .conftest import Loader


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


@pytest.mark.parametrize(
    ("name", "model", "estimate", "wald"),
    [
        (
            "uk_modern_slavery_2013_5lists.csv",
            "LA:NG LA:PFNCA NG:GO NG:GP PFNCA:GP GO:GP",
            11313,
            (9884, 13027),
        ),
        (
            "uk_modern_slavery_2013_6lists.csv",
            "PF:NCA LA:NG NG:GP LA:PF PF:GP GO:GP NG:GO",
            11418,
            (9977, 13146),
        ),
        ("new_orleans_trafficking_8lists.csv", "D:E", 1184, None),
        ("new_orleans_trafficking_5lists.csv", "", 1034, None),
        ("us_western_site_trafficking_5lists.csv", "A:E", 2483, None),
    ],
)
def test_stepwise_reproduces_sparsemse(
    load: Loader, name: str, model: str, estimate: float, wald: tuple[float, float] | None
) -> None:
    data = load(name)
    chosen = stepwise_terms(data)
    assert set(chosen) == set(parse_terms(model, data.lists))
    fit = select_model(data, "stepwise").fit
    assert rel(fit.estimate, estimate) < 1e-3
    if wald is not None:
        lo, hi = fit.wald_interval()
        assert rel(lo, wald[0]) < 1e-3
        assert rel(hi, wald[1]) < 1e-3


@pytest.mark.parametrize(
    ("name", "estimate", "wald"),
    [
        ("uk_modern_slavery_2013_5lists.csv", 13444, (11985, 15133)),
        ("uk_modern_slavery_2013_6lists.csv", 12214, (10989, 13621)),
        ("new_orleans_trafficking_8lists.csv", 997, None),
    ],
)
def test_main_effects(load: Loader, name: str, estimate: float, wald: tuple[float, float] | None) -> None:
    fit = select_model(load(name), "main").fit
    assert rel(fit.estimate, estimate) < 1e-3
    if wald is not None:
        lo, hi = fit.wald_interval()
        assert rel(lo, wald[0]) < 1e-3
        assert rel(hi, wald[1]) < 1e-3


def test_bic_two_way_uk5_matches_rcapture(load: Loader) -> None:
    data = load("uk_modern_slavery_2013_5lists.csv")
    ranking = bic_ranking(data, max_order=2)
    assert len(ranking) == 1024
    best = ranking[0]
    assert set(best.terms) == set(parse_terms("LA:NG LA:PFNCA NG:PFNCA NG:GP PFNCA:GO", data.lists))
    assert rel(best.estimate, 22991) < 1e-3
    # the paper's downhill search stops at the runner-up
    assert set(ranking[1].terms) == set(parse_terms("LA:NG LA:PFNCA NG:GP PFNCA:GP GO:GP", data.lists))
    assert rel(ranking[1].estimate, 12262) < 1e-3


def test_bic_all_hierarchical_uk5(load: Loader) -> None:
    data = load("uk_modern_slavery_2013_5lists.csv")
    sel = select_model(data, "bic")
    expected = parse_terms("LA:NG LA:PFNCA NG:PFNCA NG:GP PFNCA:GO LA:NG:PFNCA", data.lists)
    assert set(sel.fit.terms) == set(expected)
    assert rel(sel.fit.estimate, 25311) < 1e-3
    models = hierarchical_models(5, 3)
    assert len(models) == 6212
    # every model is ranked except those without an MLE (16 here, whose fits run the dark figure to 0);
    # R's assemble_bic drops the same ones
    ranked = {r.terms for r in sel.ranking}
    missing = [m for m in models if m not in ranked]
    assert len(missing) <= 16
    assert all(not check_model(data, m).exists for m in missing)
    # BIC of the batch equals that of a single fit, −∞ terms counted as parameters
    assert sel.ranking[0].criterion == pytest.approx(sel.fit.bic, abs=1e-6)


def test_hierarchical_models_of_any_order() -> None:
    # the 2024 paper's catalogue: all hierarchical models up to order t − 1 (113 on four lists, 6,893 on five)
    assert len(hierarchical_models(4, 3)) == 113
    four = hierarchical_models(5, 4)
    assert len(four) == 6893 and len(set(four)) == 6893
    assert set(hierarchical_models(5, 3)) == {m for m in four if all(len(t) <= 3 for t in m)}
    for model in four:
        terms = set(model)
        assert all(
            set(itertools.combinations(t, len(t) - 1)) <= terms for t in model if len(t) > 2
        )  # closed under subsets
    assert len(hierarchical_models(4, 4)) == 114  # the saturated model added
    for bad in (0, 6):
        with pytest.raises(ValueError, match="max_order must lie between 1 and 5"):
            hierarchical_models(5, bad)


def test_bic_order_four_uk5_keeps_the_order_three_choice(load: Loader) -> None:
    # four-way terms do not beat LA:NG:PFNCA (2024 Table 6: 25,311 over all hierarchical models)
    data = load("uk_modern_slavery_2013_5lists.csv")
    ranking = bic_ranking(data, max_order=4)
    assert len(ranking) > 6500
    assert set(ranking[0].terms) == set(select_model(data, "bic").fit.terms)
    assert rel(ranking[0].estimate, 25311) < 1e-3


def test_bic_two_way_uk6(load: Loader) -> None:
    data = load("uk_modern_slavery_2013_6lists.csv")
    best = bic_ranking(data)[0]
    assert set(best.terms) == set(parse_terms("LA:NG LA:PF NG:GP PF:GP PF:NCA GO:GP", data.lists))
    assert rel(best.estimate, 12350) < 1e-3


def test_bic_counts_minus_infinity_terms(load: Loader) -> None:
    data = load("uk_modern_slavery_2013_5lists.csv")
    with_empty = fit_loglinear(data, parse_terms("LA:GP", data.lists))
    assert with_empty.empty_terms == ((0, 4),)
    assert with_empty.n_params == 1 + 5 + 1


def test_overlap_p_value_is_two_sided_minimum() -> None:
    assert overlap_p_value(0, 3.0) == pytest.approx(0.049787, rel=1e-4)
    assert overlap_p_value(10, 3.0) == pytest.approx(0.0011025, rel=1e-3)
    assert overlap_p_value(3, 3.0) == pytest.approx(0.576810, rel=1e-4)


@pytest.mark.parametrize(
    ("name", "max_order", "model", "estimate"),
    [
        # Silverman, Chan and Vincent (2024), Table 6: the downhill search and its estimate
        ("uk_modern_slavery_2013_5lists.csv", 4, "LA:NG LA:PFNCA NG:GP PFNCA:GP GO:GP", 12262),
        ("uk_modern_slavery_2013_5lists.csv", 2, "LA:NG LA:PFNCA NG:GP PFNCA:GP GO:GP", 12262),
        ("uk_modern_slavery_2013_6lists.csv", 2, "LA:NG LA:PF NG:GP PF:GP PF:NCA GO:GP", 12350),
        ("kosovo_1999_killings_4lists.csv", 3, None, 10357),
        ("kosovo_1999_killings_4lists.csv", 2, None, 14342),
        ("korea_palembang_3lists.csv", 2, None, 157),
    ],
)
def test_downhill_bic_reproduces_the_2024_search(
    load: Loader, name: str, max_order: int, model: str | None, estimate: float
) -> None:
    data = load(name)
    found = downhill_search(data, max_order)
    if model is not None:
        assert set(found.terms) == set(parse_terms(model, data.lists))
    assert rel(found.estimate, estimate) < 1e-3 if estimate > 1000 else abs(found.estimate - estimate) < 0.5
    # every move lowered the BIC, and the end point is no worse than any neighbour that can be fitted
    bics = [b for _, b in found.path]
    assert all(a > b for a, b in itertools.pairwise(bics))
    assert found.path[0][0] == ()
    for nb in downhill_neighbours(found.terms, data.n_lists, max_order):
        if check_model(data, nb).ok:
            assert fit_loglinear(data, nb, check=False).bic >= found.bic - 1e-6


def test_downhill_stops_in_a_local_minimum_that_the_exhaustive_search_beats(load: Loader) -> None:
    """UK five lists: the greedy path ends at 12,262 (BIC 197.49); the exhaustive order-2 search finds 22,991
    (BIC 196.54). Starting also from each single two-list term reaches the better model."""
    data = load("uk_modern_slavery_2013_5lists.csv")
    greedy = downhill_search(data, 2)
    best = bic_ranking(data, 2)[0]
    assert best.criterion < greedy.bic
    assert rel(best.estimate, 22991) < 1e-3
    pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    multi = downhill_search(data, 2, starts=[(), *[(p,) for p in pairs]])
    assert multi.bic <= greedy.bic
    assert rel(multi.estimate, 22991) < 1e-3


def test_downhill_neighbours_keep_the_hierarchy() -> None:
    # [12, 13, 23] on three lists: inner neighbours drop one pair; the only outer one adds 123
    model = ((0, 1), (0, 2), (1, 2))
    nbs = downhill_neighbours(model, 3, 2)
    assert sorted(nbs) == sorted([((0, 2), (1, 2)), ((0, 1), (1, 2)), ((0, 1), (0, 2))])
    nbs3 = downhill_neighbours(model, 3, 3)
    assert ((0, 1), (0, 2), (1, 2), (0, 1, 2)) in nbs3
    # removing the generator 123 keeps its pairs
    assert ((0, 1), (0, 2), (1, 2)) in downhill_neighbours(((0, 1), (0, 2), (1, 2), (0, 1, 2)), 3, 3)
    # a triple needs all three pairs
    assert not any(len(t) == 3 for nb in downhill_neighbours(((0, 1), (0, 2)), 3, 3) for t in nb)
