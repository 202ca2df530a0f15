"""Mutation matrices: pedmut's definitions, checked entry by entry on small allele sets."""

from __future__ import annotations

import numpy as np
import pytest

from kinlink.genetics.mutation import (
    MarkerMutation,
    MutationModel,
    MutationModelError,
    equal_matrix,
    is_stationary,
    onestep_matrix,
    proportional_matrix,
    stepwise_matrix,
)


def test_equal() -> None:
    m = equal_matrix(4, 0.06)
    assert m[0, 0] == pytest.approx(0.94)
    assert m[0, 3] == pytest.approx(0.02)
    assert m.sum(axis=1) == pytest.approx(np.ones(4))


def test_proportional_has_expected_rate_and_is_stationary() -> None:
    p = np.array([0.1, 0.2, 0.3, 0.4])
    m = proportional_matrix(p, 0.01)
    assert m.sum(axis=1) == pytest.approx(np.ones(4))
    overall = float(np.sum(p * (1 - np.diag(m))))
    assert overall == pytest.approx(0.01)
    assert is_stationary(m, p)
    alpha = 0.01 / np.sum(p * (1 - p))
    assert m[0, 2] == pytest.approx(alpha * 0.3)


def test_stepwise_by_hand() -> None:
    alleles = ["9", "10", "11", "11.2"]
    rate, rate2, rng = 0.02, 0.001, 0.5
    m = stepwise_matrix(alleles, rate, rate2, rng)
    # From 10: one step to 9 or 11 (weights 0.5 each), no other integer allele.
    assert m[1, 0] == pytest.approx(rate / 2)
    assert m[1, 2] == pytest.approx(rate / 2)
    assert m[1, 3] == pytest.approx(rate2)
    assert m[1, 1] == pytest.approx(1 - rate - rate2)
    # From 9: 10 is one step (0.5), 11 two steps (0.25).
    assert m[0, 1] == pytest.approx(rate * 0.5 / 0.75)
    assert m[0, 2] == pytest.approx(rate * 0.25 / 0.75)
    # The microvariant is alone in its group: it only jumps to integers, with rate2 spread over them.
    assert m[3, 3] == pytest.approx(1 - rate2)
    assert m[3, 0] == pytest.approx(rate2 / 3)
    assert m.sum(axis=1) == pytest.approx(np.ones(4))


def test_stepwise_groups_microvariants_despite_float_noise() -> None:
    # 24.2 - 24 and 35.2 - 35 differ in the last bits; they must still share a group.
    m = stepwise_matrix(["24.2", "35.2", "30"], 0.01, 0.001, 0.1)
    assert m[0, 1] == pytest.approx(0.01)
    assert m[0, 2] == pytest.approx(0.001)


def test_stepwise_rejects_bad_labels() -> None:
    with pytest.raises(MutationModelError, match="numeric"):
        stepwise_matrix(["9", "X"], 0.01, 0.0, 0.5)
    with pytest.raises(MutationModelError, match="one decimal"):
        stepwise_matrix(["9", "9.25"], 0.01, 0.0, 0.5)


def test_onestep() -> None:
    m = onestep_matrix(["8", "9", "10", "14"], 0.02)
    assert m[0, 1] == pytest.approx(0.02)  # lowest allele: one neighbour
    assert m[1, 0] == pytest.approx(0.01) and m[1, 2] == pytest.approx(0.01)
    assert m[3, 3] == 1.0  # no neighbour, never mutates
    with pytest.raises(MutationModelError, match="integer"):
        onestep_matrix(["9", "9.3"], 0.01)


def test_custom_matrix_validated() -> None:
    model = MutationModel("custom", matrix=((0.9, 0.1), (0.2, 0.8)))
    assert model.build(["a", "b"], np.array([0.5, 0.5]))[1, 0] == 0.2
    with pytest.raises(MutationModelError, match="sum to 1"):
        MutationModel("custom", matrix=((0.9, 0.3), (0.2, 0.8))).build(["a", "b"], np.array([0.5, 0.5]))
    with pytest.raises(MutationModelError, match="expected"):
        model.build(["a", "b", "c"], np.ones(3) / 3)


def test_marker_mutation_from_fixture_json() -> None:
    spec = {
        "model": "stepwise",
        "rate": {"female": 0.001, "male": 0.002},
        "rate2": {"female": 1e-6, "male": 1e-6},
        "range": {"female": 0.1, "male": 0.1},
    }
    mm = MarkerMutation.from_json(spec)
    assert mm.female.rate == 0.001 and mm.male.rate == 0.002
    assert mm.male.model == "stepwise"
    assert MarkerMutation.from_json(None).is_trivial
    with pytest.raises(MutationModelError, match="unknown mutation model"):
        MarkerMutation.from_json({"model": "bogus", "rate": 0.1})
