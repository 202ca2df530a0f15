"""Safe aggregates: suppression, complementary suppression and attempts to reconstruct withheld cells."""

from __future__ import annotations

import numpy as np
import pytest

from kinlink.estimation.aggregates import (
    DisclosureError,
    attack_intervals,
    crosstab,
    publish_counts,
    publish_crosstab,
    publish_standard,
    suppress,
)


def _records(rng: np.random.Generator, n: int) -> list[dict[str, object]]:
    regions = [f"oblast-{k}" for k in range(8)]
    fates = ["missing", "dead", "detained", "alive", "buried"]
    weights = rng.dirichlet(np.ones(len(regions)) * 0.7)
    fate_w = np.array([0.6, 0.2, 0.1, 0.07, 0.03])
    return [
        {
            "region": regions[rng.choice(len(regions), p=weights)],
            "fate": fates[rng.choice(len(fates), p=fate_w)],
            "month": f"2022-{rng.integers(1, 13):02d}",
            "name": f"person {k}",
            "unit": f"unit {rng.integers(0, 6) if rng.random() < 0.9 else 100 + k}",
        }
        for k in range(n)
    ]


def _subtraction_attack(values: np.ndarray, hidden: np.ndarray) -> set[tuple[int, int]]:
    """Recover withheld cells the simple way: a line with one unknown gives it away; repeat."""
    vals = values.copy()
    known = ~hidden
    r, c = vals.shape[0] - 1, vals.shape[1] - 1
    recovered: set[tuple[int, int]] = set()
    changed = True
    while changed:
        changed = False
        lines = [([(i, j) for j in range(c)], (i, c)) for i in range(r + 1)]
        lines += [([(i, j) for i in range(r)], (r, j)) for j in range(c + 1)]
        for inner, total in lines:
            unknown = [ij for ij in [*inner, total] if not known[ij]]
            if len(unknown) != 1:
                continue
            ij = unknown[0]
            s = sum(vals[x] for x in inner if known[x] and x != ij)
            vals[ij] = vals[total] - s if ij != total else s
            known[ij] = True
            recovered.add(ij)
            changed = True
    return recovered


@pytest.mark.parametrize("seed", range(8))
def test_reconstruction_attacks_fail(seed: int) -> None:
    rng = np.random.default_rng(seed)
    recs = _records(rng, int(rng.integers(150, 600)))
    table = publish_crosstab(recs, "region", "fate", threshold=10)
    strong = suppress(crosstab(recs, "region", "fate")[2], threshold=10, protection=2)
    assert strong.sum() >= np.sum(table.extended()[1])
    values, hidden = table.extended()
    _, _, truth = crosstab(recs, "region", "fate")
    # every small count is withheld
    for i, row in enumerate(table.cells):
        for j, v in enumerate(row):
            assert v is None or v == 0 or v >= 10
            assert v is None or v == truth[i, j]
    # attack 1: subtraction from totals recovers nothing
    assert _subtraction_attack(values, hidden) == set()
    # attack 2: linear programming leaves every withheld cell a real range
    for (i, j), (lo, hi) in attack_intervals(values, hidden).items():
        assert hi - lo >= 1
        if i < truth.shape[0] and j < truth.shape[1]:
            assert lo <= truth[i, j] <= hi


def test_bridge_pattern_is_protected() -> None:
    """Two blocks joined by a single cell: degree-two suppression alone would expose the bridge."""
    t = np.array(
        [
            [3, 50, 4, 80],
            [5, 60, 2, 90],
            [70, 40, 55, 65],
        ]
    )
    hidden = suppress(t, threshold=10, protection=3)
    ext = np.zeros((4, 5))
    ext[:3, :4] = t
    ext[:3, 4] = t.sum(1)
    ext[3, :4] = t.sum(0)
    ext[3, 4] = t.sum()
    for (i, j), (lo, hi) in attack_intervals(np.where(hidden, 0, ext), hidden).items():
        assert hi - lo >= 1, (i, j, lo, hi)
    assert all(hidden[i, j] for i, j in [(0, 0), (0, 2), (1, 0), (1, 2)])


def test_small_totals_are_withheld() -> None:
    t = np.array([[2, 3], [40, 50]])
    hidden = suppress(t, threshold=10)
    assert hidden[0, 2]  # row total 5 is itself a small count


def test_identifying_fields_are_refused() -> None:
    recs = [{"name": "A", "region": "x"}]
    with pytest.raises(DisclosureError, match="name"):
        publish_crosstab(recs, "name", "region")
    with pytest.raises(DisclosureError, match="service_number"):
        publish_counts(recs, "service_number")


def test_units_under_fifty_are_pooled() -> None:
    rng = np.random.default_rng(3)
    recs = _records(rng, 400)
    counts = publish_counts(recs, "unit", threshold=10)
    for label, _v in counts.items():
        assert "person" not in label
        if label.startswith("unit 1") and len(label) > 6:
            raise AssertionError(f"a small unit is published on its own: {label}")
    assert any(label.startswith("other") for label in counts)
    _, _, tab = crosstab(recs, "unit", "fate")
    rows, _, _ = crosstab(recs, "unit", "fate")
    for row, line in zip(rows, tab, strict=True):
        assert line.sum() >= 50 or row.startswith("other")


def test_one_way_counts_complementary() -> None:
    recs = [{"fate": "missing"}] * 120 + [{"fate": "dead"}] * 40 + [{"fate": "detained"}] * 4
    out = publish_counts(recs, "fate")
    assert out["detained"] is None
    # the total is published, so a second category must be withheld too
    assert out["total"] == 164
    assert sum(v is None for k, v in out.items() if k != "total") >= 2


def test_differential_privacy_noise_is_seeded_and_unbiased() -> None:
    rng = np.random.default_rng(0)
    recs = _records(rng, 2000)
    a = publish_crosstab(recs, "region", "month", epsilon=1.0, rng=np.random.default_rng(1))
    b = publish_crosstab(recs, "region", "month", epsilon=1.0, rng=np.random.default_rng(1))
    assert a.cells == b.cells
    assert a.epsilon == 1.0
    assert any("epsilon" in n for n in a.notes)
    _, _, truth = crosstab(recs, "region", "month")
    noisy = np.array([[0 if v is None else v for v in row] for row in a.cells])
    shown = np.array([[v is not None for v in row] for row in a.cells])
    assert np.any(noisy[shown] != truth[shown])
    assert abs(float(np.mean(noisy[shown] - truth[shown]))) < 1.0


def test_standard_tables_only_use_present_fields() -> None:
    recs = _records(np.random.default_rng(5), 300)
    tables = publish_standard(recs)
    pairs = {(t.row_field, t.col_field) for t in tables}
    assert pairs == {("region", "month"), ("region", "fate"), ("month", "fate")}
    assert all("person" not in str(t.as_dict()) for t in tables)
