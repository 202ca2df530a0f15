"""Pedigree likelihood: brute-force agreement, probability axioms and order independence (hypothesis)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinlink.genetics import likelihood
from kinlink.genetics.likelihood import (
    LikelihoodError,
    OrderedRequest,
    PedigreeLikelihood,
    balding_nichols_factor,
    evidence_table,
    genotype_index,
    genotype_pairs,
    observation,
    ordered_distributions_batch,
)
from kinlink.genetics.markers import Locus, make_locus
from kinlink.genetics.mutation import MarkerMutation, MutationModel
from kinlink.genetics.pedigree import Pedigree, Person


def balding_nichols(alleles: list[int], freqs: np.ndarray, theta: float) -> float:
    """Sequential Balding–Nichols probability of founder alleles drawn in this order."""
    prob = 1.0
    for k, a in enumerate(alleles):
        seen = alleles[:k].count(a)
        prob *= (seen * theta + (1 - theta) * freqs[a]) / (1 + (k - 1) * theta)
    return prob


def brute_force(
    pedigree: Pedigree,
    locus: Locus,
    genotypes: dict[str, list[str]],
    dropout: dict[str, float],
    theta: float = 0.0,
) -> float:
    """Sum over every ordered allele pair of every person: the definition of the likelihood."""
    n = locus.n_alleles
    female, male = locus.mutation_matrices()
    fm = np.eye(n) if female is None else female
    mm = np.eye(n) if male is None else male
    persons = pedigree.persons
    index = {p.id: i for i, p in enumerate(persons)}
    evidence = {
        pid: evidence_table(n, observation(locus, g), dropout.get(pid, 0.0)) for pid, g in genotypes.items()
    }
    total = 0.0
    for state in itertools.product(range(n * n), repeat=len(persons)):
        prob = 1.0
        if theta > 0:
            founder_alleles = [
                a for i, p in enumerate(persons) if p.father is None for a in divmod(state[i], n)
            ]
            prob = balding_nichols(founder_alleles, locus.freqs, theta)
        for i, person in enumerate(persons):
            pat, mat = divmod(state[i], n)
            if person.father is None:
                if theta == 0:
                    prob *= locus.freqs[pat] * locus.freqs[mat]
            else:
                fp, fmat = divmod(state[index[person.father]], n)
                mp, mmat = divmod(state[index[person.mother]], n)  # type: ignore[index]
                prob *= 0.5 * (mm[fp, pat] + mm[fmat, pat]) * 0.5 * (fm[mp, mat] + fm[mmat, mat])
            e = evidence.get(person.id)
            if e is not None:
                prob *= e[pat, mat]
            if prob == 0.0:
                break
        total += prob
    return total


@st.composite
def pedigrees(draw: st.DrawFn, max_persons: int = 4) -> Pedigree:
    size = draw(st.integers(2, max_persons))
    persons: list[Person] = []
    for i in range(size):
        sex = draw(st.sampled_from(["male", "female"]))
        males = [p.id for p in persons if p.sex == "male"]
        females = [p.id for p in persons if p.sex == "female"]
        has_parents: bool = draw(st.booleans())
        if males and females and has_parents:
            persons.append(Person(f"P{i}", sex, draw(st.sampled_from(males)), draw(st.sampled_from(females))))
        else:
            persons.append(Person(f"P{i}", sex))
    return Pedigree(persons)


@st.composite
def loci(draw: st.DrawFn) -> Locus:
    n = draw(st.integers(2, 3))
    weights = draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n))
    labels = ["10", "11", "11.2"][:n] if n == 3 and draw(st.booleans()) else [str(10 + i) for i in range(n)]
    freqs = {a: w / sum(weights) for a, w in zip(labels, weights, strict=True)}
    kind = draw(st.sampled_from(["none", "equal", "proportional", "stepwise", "onestep", "custom"]))
    if kind == "onestep" and "11.2" in labels:
        kind = "equal"
    rate = draw(st.floats(0.0, 0.2))
    if kind == "proportional":
        # pedmut's proportional model exists only while rate <= sum p(1 - p) (else a diagonal goes below 0,
        # which the engine rightly refuses); keep the drawn rate inside that bound
        rate = min(rate, 0.9 * sum(f * (1 - f) for f in freqs.values()))
    if kind == "custom":
        raw = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=n * n, max_size=n * n))).reshape(n, n)
        matrix = tuple(tuple(row) for row in raw / raw.sum(axis=1, keepdims=True))
        model = MutationModel("custom", matrix=matrix)
    else:
        model = MutationModel(kind, rate, rate / 10, 0.5)
    other = MutationModel("equal", rate / 2) if kind != "none" else MutationModel()
    return make_locus("L", freqs, MarkerMutation(female=other, male=model))


@st.composite
def typings(draw: st.DrawFn, pedigree: Pedigree, locus: Locus) -> dict[str, list[str]]:
    out = {}
    for pid in pedigree.ids:
        if draw(st.booleans()):
            out[pid] = [draw(st.sampled_from(locus.alleles)) for _ in range(2)]
    return out


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=st.data())
def test_engine_equals_brute_force(data: st.DataObject) -> None:
    pedigree = data.draw(pedigrees())
    locus = data.draw(loci())
    genotypes = data.draw(typings(pedigree, locus))
    dropout = {pid: data.draw(st.sampled_from([0.0, 0.1])) for pid in genotypes}
    expected = brute_force(pedigree, locus, genotypes, dropout)
    value = PedigreeLikelihood(pedigree).likelihood(locus, genotypes, dropout)
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert 0.0 <= value <= 1.0 + 1e-12


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_engine_equals_brute_force_with_theta(data: st.DataObject) -> None:
    pedigree = data.draw(pedigrees(3))
    locus = data.draw(loci())
    genotypes = data.draw(typings(pedigree, locus))
    theta = data.draw(st.sampled_from([0.01, 0.05, 0.2]))
    dropout = {pid: data.draw(st.sampled_from([0.0, 0.1])) for pid in genotypes}
    expected = brute_force(pedigree, locus, genotypes, dropout, theta)
    value = PedigreeLikelihood(pedigree).likelihood(locus, genotypes, dropout, theta=theta)
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-300)


@SETTINGS
@given(data=st.data())
def test_likelihood_sums_to_one_over_a_persons_genotypes(data: st.DataObject) -> None:
    pedigree = data.draw(pedigrees())
    locus = data.draw(loci())
    genotypes = data.draw(typings(pedigree, locus))
    person = data.draw(st.sampled_from(pedigree.ids))
    genotypes.pop(person, None)
    model = PedigreeLikelihood(pedigree)
    base = model.likelihood(locus, genotypes)
    i, j = genotype_pairs(locus.n_alleles)
    each = [
        model.likelihood(locus, {**genotypes, person: [locus.alleles[a], locus.alleles[b]]})
        for a, b in zip(i, j, strict=True)
    ]
    assert sum(each) == pytest.approx(base, rel=1e-9, abs=1e-300)
    dist = model.genotype_distribution(locus, genotypes, person)
    if base > 0:
        assert dist.probs.sum() == pytest.approx(1.0, rel=1e-12)
        assert dist.probs == pytest.approx(np.array(each) / base, rel=1e-8, abs=1e-14)
        assert dist.log10_likelihood == pytest.approx(math.log10(base), rel=1e-10, abs=1e-12)


@SETTINGS
@given(data=st.data())
def test_person_order_does_not_matter(data: st.DataObject) -> None:
    pedigree = data.draw(pedigrees(5))
    locus = data.draw(loci())
    genotypes = data.draw(typings(pedigree, locus))
    order = data.draw(st.permutations(pedigree.ids))
    theta = data.draw(st.sampled_from([0.0, 0.02]))
    a = PedigreeLikelihood(pedigree).likelihood(locus, genotypes, theta=theta)
    b = PedigreeLikelihood(pedigree.relabelled(order)).likelihood(locus, genotypes, theta=theta)
    assert a == pytest.approx(b, rel=1e-10, abs=1e-300)


def test_batched_markers_equal_single_markers() -> None:
    pedigree = Pedigree(
        [
            Person("F", "male"),
            Person("M", "female"),
            Person("A", "male", "F", "M"),
            Person("B", "female", "F", "M"),
        ]
    )
    rng = np.random.default_rng(3)
    markers = []
    profiles: dict[str, dict[str, list[str]]] = {"A": {}, "B": {}, "M": {}}
    for k in range(12):
        n = int(rng.integers(3, 30))
        freqs = rng.dirichlet(np.ones(n))
        mut = MutationModel("stepwise", 0.01, 1e-4, 0.3) if k % 2 else MutationModel("proportional", 0.005)
        locus = make_locus(
            f"L{k}", {str(8 + i): float(f) for i, f in enumerate(freqs)}, MarkerMutation(mut, mut)
        )
        markers.append(locus)
        for pid in profiles:
            if rng.random() < 0.7:
                profiles[pid][locus.name] = [str(8 + int(x)) for x in rng.integers(0, n, 2)]
    model = PedigreeLikelihood(pedigree)
    batched = model.log10_likelihoods(markers, profiles)
    for locus, value in zip(markers, batched, strict=True):
        single = {pid: prof[locus.name] for pid, prof in profiles.items() if locus.name in prof}
        assert value == pytest.approx(model.log10_likelihood(locus, single), rel=1e-12, abs=1e-12)
    dists = model.genotype_distributions(markers, profiles, "A")
    for locus, dist in zip(markers, dists, strict=True):
        single = {
            pid: prof[locus.name] for pid, prof in profiles.items() if locus.name in prof and pid != "A"
        }
        alone = model.genotype_distribution(locus, single, "A")
        assert dist.probs == pytest.approx(alone.probs, rel=1e-10, abs=1e-15)


def test_requests_of_one_shape_computed_together_equal_each_alone() -> None:
    # Three families: two of one shape (with other ids and person order kept), one of another shape, and
    # one with dropout; a request's numbers must not depend on the requests it is batched with.
    rng = np.random.default_rng(11)
    same_a = Pedigree([Person("F", "male"), Person("M", "female"), Person("X", "male", "F", "M")])
    same_b = Pedigree([Person("P", "male"), Person("Q", "female"), Person("Y", "female", "P", "Q")])
    other = Pedigree(
        [
            Person("F", "male"),
            Person("M", "female"),
            Person("X", "male", "F", "M"),
            Person("S", "female", "F", "M"),
        ]
    )
    assert PedigreeLikelihood(same_a).shape == PedigreeLikelihood(same_b).shape
    assert PedigreeLikelihood(same_a).shape != PedigreeLikelihood(other).shape
    requests = []
    for k, (pedigree, person, typed) in enumerate(
        [(same_a, "X", ["M"]), (same_b, "Y", ["Q"]), (other, "X", ["M", "S"]), (same_a, "X", ["F"])]
    ):
        loci = []
        profiles: dict[str, dict[str, list[str]]] = {pid: {} for pid in typed}
        for j in range(5):
            n = int(rng.integers(3, 40))
            freqs = rng.dirichlet(np.ones(n))
            mut = MutationModel("stepwise", 0.01, 1e-4, 0.3)
            locus = make_locus(
                f"L{j}", {str(8 + i): float(f) for i, f in enumerate(freqs)}, MarkerMutation(mut, mut)
            )
            loci.append(locus)
            for pid in typed:
                profiles[pid][locus.name] = [str(8 + int(x)) for x in rng.integers(0, n, 2)]
        dropout = {typed[0]: 0.05} if k == 3 else None
        requests.append(OrderedRequest(PedigreeLikelihood(pedigree), loci, profiles, person, dropout))
    together = ordered_distributions_batch(requests)
    for request, got in zip(requests, together, strict=True):
        alone = request.model.ordered_distributions(
            request.loci, request.profiles, request.person, request.dropout
        )
        assert len(got) == len(alone) == len(request.loci)
        for (w, log10_w), (a, log10_a), locus in zip(got, alone, request.loci, strict=True):
            assert w.shape == (locus.n_alleles, locus.n_alleles)
            assert np.array_equal(w, a)
            assert log10_w == log10_a
            assert w.sum() == pytest.approx(1.0, rel=1e-12)
    # However the requests are split into chunks, and when a chunk's factors are too large together
    # but not alone, every number stays the same.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(likelihood, "BATCH_ENTRIES", 1)
        assert _same(ordered_distributions_batch(requests), together)
        patch.setattr(likelihood, "BATCH_ENTRIES", 10**9)
        patch.setattr(likelihood, "MAX_FACTOR_ENTRIES", 1)
        with pytest.raises(LikelihoodError, match="intermediate factor would hold"):
            ordered_distributions_batch(requests)
    with pytest.raises(LikelihoodError, match="not in the pedigree"):
        ordered_distributions_batch([OrderedRequest(PedigreeLikelihood(same_a), [], {}, "nobody")])


def test_requests_too_large_together_are_computed_one_by_one() -> None:
    # Two families of one shape, markers of one allele count: together their factors are twice as large
    # as alone. With the limit at what one family needs, the batch fails and each family alone succeeds.
    rng = np.random.default_rng(5)
    mut = MarkerMutation(
        MutationModel("stepwise", 0.01, 1e-4, 0.3), MutationModel("stepwise", 0.01, 1e-4, 0.3)
    )
    requests = []
    for ids in (("F", "M", "X"), ("P", "Q", "Y")):
        pedigree = Pedigree(
            [Person(ids[0], "male"), Person(ids[1], "female"), Person(ids[2], "male", *ids[:2])]
        )
        loci = [
            make_locus(f"L{j}", {str(8 + i): float(f) for i, f in enumerate(rng.dirichlet(np.ones(9)))}, mut)
            for j in range(4)
        ]
        profiles = {ids[1]: {locus.name: [str(8 + int(a)) for a in rng.integers(0, 9, 2)] for locus in loci}}
        requests.append(OrderedRequest(PedigreeLikelihood(pedigree), loci, profiles, ids[2]))
    expected = ordered_distributions_batch(requests)
    low, high = 1, 10**8  # the smallest limit at which one family alone can be computed
    with pytest.MonkeyPatch.context() as patch:
        while low < high:
            middle = (low + high) // 2
            patch.setattr(likelihood, "MAX_FACTOR_ENTRIES", middle)
            try:
                ordered_distributions_batch(requests[:1])
                high = middle
            except LikelihoodError:
                low = middle + 1
        patch.setattr(likelihood, "MAX_FACTOR_ENTRIES", low)
        calls: list[int] = []
        compute = PedigreeLikelihood._compute

        def counted(self: PedigreeLikelihood, loci: list[Locus], *args: object) -> object:
            calls.append(len(loci))
            return compute(self, loci, *args)  # type: ignore[arg-type]

        patch.setattr(PedigreeLikelihood, "_compute", counted)
        assert _same(ordered_distributions_batch(requests), expected)
    assert calls == [8, 4, 4]  # the batch (refused), then each family


def _same(a: list[list[tuple[np.ndarray, float]]], b: list[list[tuple[np.ndarray, float]]]) -> bool:
    return len(a) == len(b) and all(
        len(x) == len(y) and all(np.array_equal(w, v) and s == t for (w, s), (v, t) in zip(x, y, strict=True))
        for x, y in zip(a, b, strict=True)
    )


def test_long_pedigree_does_not_underflow() -> None:
    # A chain of 130 generations, every person typed: the likelihood is far below 1e-308.
    persons = [Person("W0", "female"), Person("M0", "male")]
    for g in range(1, 130):
        persons.append(Person(f"W{g}", "female"))
        persons.append(Person(f"M{g}", "male", f"M{g - 1}", f"W{g - 1}"))
    pedigree = Pedigree(persons)
    locus = make_locus("L", {str(i): 0.05 for i in range(20)})
    genotypes = {p.id: ["0", "1"] if p.id.startswith("M") else ["1", "2"] for p in persons}
    log10 = PedigreeLikelihood(pedigree).log10_likelihood(locus, genotypes)
    assert math.isfinite(log10)
    assert log10 < -308
    # 131 founders (W0..W129, M0) typed heterozygous; each M_g gets "0" from father, "1" from mother.
    expected = 131 * math.log10(2 * 0.05 * 0.05) + 129 * math.log10(0.5 * 0.5)
    assert log10 == pytest.approx(expected, rel=1e-9)


def test_genotype_index_matches_pairs() -> None:
    i, j = genotype_pairs(5)
    assert [genotype_index(5, int(a), int(b)) for a, b in zip(i, j, strict=True)] == list(range(15))
    assert genotype_index(5, 3, 1) == genotype_index(5, 1, 3)


def test_balding_nichols_theta_zero_is_hardy_weinberg() -> None:
    freqs = np.array([0.2, 0.3, 0.5])
    dom = np.arange(3)
    f = balding_nichols_factor([dom, dom], freqs, 0.0)
    assert f == pytest.approx(np.outer(freqs, freqs))
    g = balding_nichols_factor([dom, dom, dom], freqs, 0.05)
    assert g.sum() == pytest.approx(1.0)
    # Homozygote probability p (theta + (1 - theta) p).
    assert g.sum(axis=2)[0, 0] == pytest.approx(0.2 * (0.05 + 0.95 * 0.2))


def test_unknown_allele_and_person_are_clear_errors() -> None:
    pedigree = Pedigree([Person("A", "male")])
    locus = make_locus("L", {"1": 0.5, "2": 0.5})
    model = PedigreeLikelihood(pedigree)
    with pytest.raises(KeyError, match="allele '3' is not in the frequency table of locus L"):
        model.likelihood(locus, {"A": ["1", "3"]})
    with pytest.raises(LikelihoodError, match="'B'"):
        model.likelihood(locus, {"B": ["1", "2"]})


def test_loop_pedigree_first_cousin_mating() -> None:
    # Child of first cousins: inbreeding coefficient 1/16; P(child homozygous a) = p^2 + F p (1 - p).
    persons = [
        Person("GF", "male"), Person("GM", "female"),
        Person("S1", "male", "GF", "GM"), Person("S2", "female", "GF", "GM"),
        Person("W1", "female"), Person("H2", "male"),
        Person("C1", "male", "S1", "W1"), Person("C2", "female", "H2", "S2"),
        Person("X", "male", "C1", "C2"),
    ]  # fmt: skip
    pedigree = Pedigree(persons)
    p = 0.1
    locus = make_locus("L", {"a": p, "b": 1 - p})
    value = PedigreeLikelihood(pedigree).likelihood(locus, {"X": ["a", "a"]})
    assert value == pytest.approx(p * p + p * (1 - p) / 16, rel=1e-12)


def test_profile_sets_in_one_batch_equal_one_by_one() -> None:
    """log10_likelihoods_batch: sets that type different persons (childless ones as stand-ins where
    untyped, a parent by pattern) give the same values as separate computations."""
    pedigree = Pedigree(
        [
            Person("F", "male"),
            Person("M", "female"),
            Person("A", "male", "F", "M"),
            Person("W", "female"),
            Person("C1", "male", "A", "W"),
            Person("C2", "female", "A", "W"),
            Person("B", "female", "F", "M"),
        ]
    )
    rng = np.random.default_rng(11)
    markers = []
    for k in range(6):
        n = int(rng.integers(3, 12))
        freqs = rng.dirichlet(np.ones(n))
        mut = MutationModel("proportional", 0.004) if k % 2 else MutationModel()
        markers.append(
            make_locus(f"L{k}", {str(8 + i): float(f) for i, f in enumerate(freqs)}, MarkerMutation(mut, mut))
        )

    def profile() -> dict[str, list[str]]:
        return {
            locus.name: [str(8 + int(x)) for x in rng.integers(0, locus.n_alleles, 2)]
            for locus in markers
            if rng.random() < 0.8
        }

    refs = {"M": profile(), "C2": profile()}
    variable = ["A", "B", "C1"]  # B and C1 childless (stand-ins), A a parent
    sets: list[dict[str, dict[str, list[str]]]] = []
    for _ in range(14):
        s = dict(refs)
        for pid in variable:
            if rng.random() < 0.5:
                s[pid] = profile()
        sets.append(s)
    model = PedigreeLikelihood(pedigree)
    batched = model.log10_likelihoods_batch(markers, sets, variable)  # type: ignore[arg-type]
    assert batched.shape == (len(sets), len(markers))
    for s, row in zip(sets, batched, strict=True):
        alone = model.log10_likelihoods(markers, s)  # type: ignore[arg-type]
        assert row == pytest.approx(alone, rel=1e-12, abs=1e-12)
    # an impossible set is -inf at its marker, not an error
    bad = dict(refs, C1={markers[0].name: ["8", "8"]}, A={markers[0].name: ["9", "9"]})
    assert model.log10_likelihoods_batch(markers[:1], [bad], ["A", "C1"])[0, 0] == -math.inf
    with pytest.raises(LikelihoodError, match="not in the pedigree"):
        model.log10_likelihoods_batch(markers, sets, ["nobody"])  # type: ignore[arg-type]


def test_kept_factors_give_the_likelihood_of_every_profile_of_the_kept_person() -> None:
    """kept_factors_batch: sum over the kept person's ordered genotypes of its evidence times the kept table
    is the likelihood with that person typed (a parent and a childless person kept; full, homozygous,
    one-allele, untyped and impossible profiles), for sets stacked in one batch; and each marker computed
    alone (no padding to a common width) gives the same."""
    pedigree = Pedigree(
        [
            Person("F", "male"),
            Person("M", "female"),
            Person("A", "male", "F", "M"),
            Person("W", "female"),
            Person("C1", "male", "A", "W"),
            Person("C2", "female", "A", "W"),
            Person("B", "female", "F", "M"),
        ]
    )
    rng = np.random.default_rng(5)
    markers = []
    for k in range(7):
        n = int(rng.integers(2, 14))
        freqs = rng.dirichlet(np.ones(n))
        mut = MutationModel("equal", 0.003) if k % 2 else MutationModel()
        markers.append(
            make_locus(f"L{k}", {str(8 + i): float(f) for i, f in enumerate(freqs)}, MarkerMutation(mut, mut))
        )

    def profile(p_typed: float = 0.85) -> dict[str, list[str]]:
        out = {}
        for locus in markers:
            if rng.random() < p_typed:
                a, b = (str(8 + int(x)) for x in rng.integers(0, locus.n_alleles, 2))
                out[locus.name] = [a, "-"] if rng.random() < 0.15 else [a, b]
        return out

    model = PedigreeLikelihood(pedigree)
    refs = {"M": profile(), "C2": profile()}
    for person in ("A", "C1"):
        variable = [p for p in ("A", "B", "C1") if p != person]
        sets = []
        for _ in range(5):
            s = dict(refs)
            for pid in variable:
                if rng.random() < 0.5:
                    s[pid] = profile()
            s[person] = profile()  # ignored: the kept person is untyped in the kept table
            sets.append(s)
        kept = model.kept_factors_batch(markers, sets, person, variable)  # type: ignore[arg-type]
        assert len(kept) == len(sets) and all(len(row) == len(markers) for row in kept)
        for s, row in zip(sets, kept, strict=True):
            for candidate in [profile(), profile(), {}]:
                typed = dict(s, **{person: candidate})
                direct = model.log10_likelihoods(markers, typed)  # type: ignore[arg-type]
                for locus, (table, scale), want in zip(markers, row, direct, strict=True):
                    assert table.shape == (locus.n_alleles, locus.n_alleles)
                    e = evidence_table(locus.n_alleles, observation(locus, candidate.get(locus.name)))
                    total = float((table * (1.0 if e is None else e)).sum())
                    got = math.log10(total) + scale if total > 0 else -math.inf
                    assert got == pytest.approx(want, rel=1e-10, abs=1e-10)
                    alone = model.log10_likelihood(
                        locus, {p: g[locus.name] for p, g in typed.items() if locus.name in g}
                    )
                    assert alone == pytest.approx(want, rel=1e-10, abs=1e-10)
    # a profile the kept table rules out: probability 0 exactly
    locus = make_locus("X", {"1": 0.5, "2": 0.3, "3": 0.2})
    (((table, _),),) = model.kept_factors_batch(
        [locus], [{"F": {"X": ["1", "1"]}, "M": {"X": ["1", "1"]}}], "A"
    )
    assert table[1, 1] == 0.0 and table[0, 1] == 0.0 and table[0, 0] > 0
    with pytest.raises(LikelihoodError, match="not in the pedigree"):
        model.kept_factors_batch(markers, [refs], "nobody")  # type: ignore[arg-type]
