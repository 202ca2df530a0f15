"""Allele lumping is exact: likelihoods with the unseen alleles merged equal those without merging."""

from __future__ import annotations

import numpy as np
import pytest

from kinlink.genetics.likelihood import PedigreeLikelihood
from kinlink.genetics.lumping import lump
from kinlink.genetics.markers import make_locus
from kinlink.genetics.mutation import MarkerMutation, MutationModel
from kinlink.genetics.pedigree import Pedigree, Person

PEDIGREE = Pedigree(
    [
        Person("GF", "male"),
        Person("GM", "female"),
        Person("F", "male", "GF", "GM"),
        Person("M", "female"),
        Person("C", "male", "F", "M"),
        Person("U", "female", "GF", "GM"),
    ]
)


@pytest.mark.parametrize(
    "model",
    [
        MutationModel(),
        MutationModel("equal", 0.01),
        MutationModel("proportional", 0.005),
    ],
)
def test_lumped_likelihood_equals_full(model: MutationModel) -> None:
    rng = np.random.default_rng(5)
    freqs = rng.dirichlet(np.ones(15))
    locus = make_locus(
        "L",
        {str(10 + i): float(f) for i, f in enumerate(freqs)},
        MarkerMutation(model, MutationModel("equal", 0.002)),
    )
    genotypes = {"C": ["11", "13"], "U": ["13", "13"], "GM": ["11", "20"]}
    lumped = lump(locus, [a for g in genotypes.values() for a in g])
    assert lumped.n_alleles == 4 and lumped.alleles[:3] == ("11", "13", "20")
    assert lumped.freqs.sum() == pytest.approx(1.0)
    engine = PedigreeLikelihood(PEDIGREE)
    full = engine.log10_likelihood(locus, genotypes)
    assert engine.log10_likelihood(lumped, genotypes) == pytest.approx(full, rel=1e-12)
    # also where a paternal mutation is needed (F passes 14, which neither grandparent carries)
    odd = {"C": ["14", "14"], "GF": ["11", "11"], "GM": ["11", "11"], "M": ["12", "14"]}
    lumped = lump(locus, [a for g in odd.values() for a in g])
    assert engine.log10_likelihood(locus, odd) > -np.inf
    assert engine.log10_likelihood(lumped, odd) == pytest.approx(
        engine.log10_likelihood(locus, odd), rel=1e-12
    )


def test_not_lumpable_models_and_nothing_to_merge_leave_the_locus() -> None:
    freqs = {str(10 + i): 0.1 for i in range(10)}
    stepwise = make_locus("S", freqs, MarkerMutation(MutationModel("stepwise", 0.01, 1e-4, 0.5)))
    assert lump(stepwise, ["11", "12"]) is stepwise
    plain = make_locus("P", freqs)
    assert lump(plain, [str(10 + i) for i in range(9)]) is plain  # one allele left: nothing to merge
    with_other = make_locus("O", {"other": 0.5, "1": 0.25, "2": 0.125, "3": 0.125})
    assert lump(with_other, ["1"]).alleles == ("1", "<other>")


def test_uniform_columns_shortcut_matches_the_general_lumping() -> None:
    """Matrices uniform off the diagonal (equal, proportional) are lumped from their column values; the
    result is the general construction's. A matrix lumpable only for some splits (merged rows equal, kept
    rows arbitrary) goes the general way and stays exact."""
    from kinlink.genetics.lumping import _lump_matrix, _lump_uniform, _uniform_columns

    rng = np.random.default_rng(9)
    freqs = rng.dirichlet(np.ones(8))
    labels = {str(10 + i): float(f) for i, f in enumerate(freqs)}
    keep, merged = [1, 4, 6], [0, 2, 3, 5, 7]
    for model in (MutationModel("equal", 0.01), MutationModel("proportional", 0.005)):
        m = make_locus("L", labels, MarkerMutation(model, model)).mutation_matrices()[0]
        assert m is not None
        c = _uniform_columns(m)
        assert c is not None
        general = _lump_matrix(m, keep, merged)
        assert general is not None
        assert _lump_uniform(m, c, keep, merged) == pytest.approx(general, rel=1e-14, abs=1e-17)
    # merged rows equal, kept rows not uniform: lumpable for this split only
    custom = rng.dirichlet(np.ones(8), size=8)
    shared = rng.dirichlet(np.ones(8))
    custom[merged] = shared
    assert _uniform_columns(custom) is None
    model = MutationModel("custom", matrix=tuple(map(tuple, custom.tolist())))
    locus = make_locus("C", labels, MarkerMutation(model, model))
    seen = [locus.alleles[i] for i in keep]
    lumped = lump(locus, seen)
    assert lumped is not locus and lumped.n_alleles == 4
    genotypes = {"C": [seen[0], seen[1]], "GM": [seen[2], seen[2]], "M": [seen[1], seen[0]]}
    engine = PedigreeLikelihood(PEDIGREE)
    assert engine.log10_likelihood(lumped, genotypes) == pytest.approx(
        engine.log10_likelihood(locus, genotypes), rel=1e-12
    )
    other = [locus.alleles[i] for i in (0, 1)]  # merging 4, 6 with rows that differ: not lumpable
    assert lump(locus, other) is locus
