"""Exact pedigree likelihood per marker by variable elimination over allele variables.

Model. Each person ``i`` carries two allele variables: ``P_i`` (the allele from the father) and ``M_i``
(from the mother), each ranging over the marker's alleles in :class:`~kinlink.genetics.markers.Locus`
order. The joint probability of all allele variables is a product of factors:

* founder alleles: ``p[P_i] p[M_i]`` (Hardy–Weinberg, theta = 0), or one Balding–Nichols factor over all
  founder alleles when theta > 0 (see :func:`balding_nichols_factor`);
* transmission from father ``f`` to child ``c``: ``T(P_f, M_f, P_c) = (Mut_male[P_f, P_c] +
  Mut_male[M_f, P_c]) / 2``, and the same for the mother with the female matrix into ``M_c``;
* evidence: ``E_i(P_i, M_i) = Pr(observed alleles | unordered genotype {P_i, M_i})``, which is an
  indicator without dropout, or the dropout model of :func:`evidence_table`.

The likelihood is the sum of this product over all allele variables. We sum variables out one at a time
(variable elimination; for a pedigree without loops this is peeling), choosing at each step the variable
whose elimination makes the smallest new factor. Typed persons have at most two possible alleles per
variable, so their variables are tiny; untyped persons range over all alleles, so an untyped founder passes
on alleles through the mutation model exactly (``sum_b p_b Mut[b, a]``, not ``p_a``). Loops are handled
by the same algorithm at a higher cost. Factors are rescaled when they become tiny, and the scale is kept
in log10, so long pedigrees do not underflow.

Unordered genotypes of a marker with ``n`` alleles are indexed as ``numpy.triu_indices(n)``: the pairs
``(i, j)`` with ``i <= j`` in row-major order (see :func:`genotype_pairs`).
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from kinlink.genetics.markers import Locus, is_untyped
from kinlink.genetics.mutation import FloatArray
from kinlink.genetics.pedigree import Pedigree

IntArray = NDArray[np.intp]

#: An observation at one marker: allele indices; ``None`` stands for an allele that was not called.
Observation = tuple[int | None, int | None]

MAX_FACTOR_ENTRIES = 20_000_000
_RESCALE_BELOW = 1e-150
_LETTERS = string.ascii_letters


class LikelihoodError(ValueError):
    """A likelihood that cannot be computed (unknown allele, a factor too large for memory)."""


def genotype_pairs(n: int) -> tuple[IntArray, IntArray]:
    """Allele index pairs ``(i, j)``, ``i <= j``, of the ``n (n + 1) / 2`` unordered genotypes, in order."""
    return _pairs(n)


@lru_cache(maxsize=256)
def _pairs(n: int) -> tuple[IntArray, IntArray]:
    i, j = np.triu_indices(n)
    return i.astype(np.intp), j.astype(np.intp)


def genotype_index(n: int, a: int, b: int) -> int:
    """Position of the unordered genotype ``{a, b}`` in :func:`genotype_pairs` order."""
    i, j = (a, b) if a <= b else (b, a)
    return i * n - i * (i - 1) // 2 + (j - i)


def observation(locus: Locus, labels: Sequence[str] | None) -> Observation:
    """Allele indices of a typed genotype given as labels, e.g. ``["9.3", "10"]``.

    ``[]``, ``None`` or ``["-", "-"]`` is untyped; ``["12", "-"]`` means one allele 12 and the other not
    called; a single label ``["12"]`` is read as the homozygote-looking call ``12, 12``.
    """
    if labels is None:
        return (None, None)
    items = [str(a).strip() for a in labels]
    if len(items) == 1:
        items = [items[0], items[0]]
    if len(items) != 2:
        raise LikelihoodError(f"{locus.name}: a genotype has two alleles, got {list(labels)}")
    out: list[int | None] = []
    for label in items:
        out.append(None if is_untyped(label) else locus.index(label))
    return (out[0], out[1])


def is_typed(obs: Observation) -> bool:
    return obs[0] is not None or obs[1] is not None


def evidence_table(n: int, obs: Observation, dropout: float = 0.0) -> FloatArray | None:
    """``E[a, b] = Pr(obs | true genotype {a, b})`` over ordered allele pairs; ``None`` when untyped.

    Dropout model (per sample, probability ``d`` that one allele copy is not detected, independently):
    a heterozygote ``{a, b}`` shows both alleles with ``(1 - d)^2`` and only ``a`` with ``d (1 - d)``; a
    homozygote ``{a, a}`` shows ``a`` with ``1 - d^2``. No drop-in. A one-allele call ``{a, -}`` means "at
    least ``a``": any genotype containing ``a`` has weight 1.
    """
    a, b = obs
    if a is None and b is None:
        return None
    e = np.zeros((n, n))
    if a is None or b is None:
        x = a if a is not None else b
        e[x, :] = 1.0
        e[:, x] = 1.0
        return e
    if a != b:
        e[a, b] = e[b, a] = (1.0 - dropout) ** 2
        return e
    e[a, a] = 1.0 - dropout**2
    if dropout > 0:
        e[a, :] = np.where(np.arange(n) == a, e[a, a], dropout * (1.0 - dropout))
        e[:, a] = e[a, :]
    return e


def _domain_and_evidence(
    n: int, obs: Observation, dropout: float
) -> tuple[IntArray, IntArray, FloatArray | None]:
    """Possible alleles of (P, M) for one person and the evidence restricted to them."""
    a, b = obs
    if a is None and b is None:
        full = np.arange(n, dtype=np.intp)
        return full, full, None
    if a is not None and b is not None and (dropout == 0.0 or a != b):
        dom = np.array([a] if a == b else [a, b], dtype=np.intp)
        if a == b:
            return dom, dom, np.array([[1.0 - dropout**2]])
        w = (1.0 - dropout) ** 2
        return dom, dom, np.array([[0.0, w], [w, 0.0]])
    e = evidence_table(n, obs, dropout)
    assert e is not None
    full = np.arange(n, dtype=np.intp)
    return full, full, e


def balding_nichols_factor(domains: Sequence[IntArray], freqs: FloatArray, theta: float) -> FloatArray:
    """Joint probability of founder alleles under the Balding–Nichols (theta) model.

    Alleles are drawn one after the other from the sub-population: the ``k``-th allele (``k = 1, 2, ..``)
    is ``a`` with probability ``(m_a theta + (1 - theta) p_a) / (1 + (k - 2) theta)``, where ``m_a`` counts
    earlier alleles equal to ``a``. The result is exchangeable, so the order of founders does not matter,
    and theta = 0 gives Hardy–Weinberg. The array has one axis per entry of ``domains``.
    """
    k = len(domains)
    shape = tuple(len(d) for d in domains)
    size = math.prod(shape)
    if size > MAX_FACTOR_ENTRIES:
        raise LikelihoodError(
            f"theta correction couples {k} founder alleles ({size:.3g} combinations); too many untyped "
            "founders for an exact theta computation"
        )
    grids = [np.asarray(d).reshape([-1 if j == i else 1 for j in range(k)]) for i, d in enumerate(domains)]
    out = np.ones(shape)
    for i in range(k):
        count = np.zeros(shape)
        for j in range(i):
            count = count + (grids[j] == grids[i])
        out = out * (count * theta + (1.0 - theta) * freqs[grids[i]]) / (1.0 + (i - 1) * theta)
    return out


@dataclass(frozen=True)
class _Step:
    operands: tuple[int, ...]
    subscripts: str
    scope: tuple[int, ...]


@dataclass(frozen=True)
class _Plan:
    steps: tuple[_Step, ...]
    final_operands: tuple[int, ...]
    final_subscripts: str


def _size_class(size: int) -> int:
    return size if size <= 2 else 16


@lru_cache(maxsize=4096)
def _make_plan(
    scopes: tuple[tuple[int, ...], ...], sizes: tuple[int, ...], keep: tuple[int, ...]
) -> _Plan:
    """Greedy elimination order (smallest new factor first) and the einsum calls that carry it out."""
    live: dict[int, tuple[int, ...]] = dict(enumerate(scopes))
    next_id = len(scopes)
    variables = sorted({v for s in scopes for v in s} - set(keep))
    steps: list[_Step] = []
    remaining = set(variables)
    while remaining:
        best: tuple[float, int] | None = None
        for v in remaining:
            union: set[int] = set()
            for s in live.values():
                if v in s:
                    union.update(s)
            union.discard(v)
            cost = math.prod(sizes[u] for u in union) if union else 1
            if best is None or (cost, v) < best:
                best = (cost, v)
        assert best is not None
        v = best[1]
        remaining.discard(v)
        used = [fid for fid, s in live.items() if v in s]
        out_scope = tuple(sorted({u for fid in used for u in live[fid]} - {v}))
        letters = {u: _LETTERS[i] for i, u in enumerate(sorted({u for fid in used for u in live[fid]}))}
        subs = ",".join("".join(letters[u] for u in live[fid]) for fid in used)
        subs += "->" + "".join(letters[u] for u in out_scope)
        steps.append(_Step(tuple(used), subs, out_scope))
        for fid in used:
            del live[fid]
        live[next_id] = out_scope
        next_id += 1
    final = tuple(live)
    all_vars = sorted({u for fid in final for u in live[fid]} | set(keep))
    letters = {u: _LETTERS[i] for i, u in enumerate(all_vars)}
    subs = ",".join("".join(letters[u] for u in live[fid]) for fid in final)
    subs += "->" + "".join(letters[u] for u in keep)
    return _Plan(tuple(steps), final, subs)


def _run_plan(plan: _Plan, arrays: list[FloatArray], keep_shape: tuple[int, ...]) -> tuple[FloatArray, float]:
    """Execute an elimination plan; returns the kept factor and its log10 scale."""
    log10_scale = 0.0
    for step in plan.steps:
        result = np.einsum(step.subscripts, *[arrays[i] for i in step.operands])
        if result.ndim == 0 or result.size <= 64:
            top = float(np.max(result)) if result.size else 0.0
        else:
            top = float(result.max())
        if 0.0 < top < _RESCALE_BELOW:
            result = result / top
            log10_scale += math.log10(top)
        arrays.append(result)
    if plan.final_operands:
        final = np.einsum(plan.final_subscripts, *[arrays[i] for i in plan.final_operands])
    else:
        final = np.ones(keep_shape)
    return np.asarray(final, dtype=np.float64), log10_scale


def _transmission(
    matrix: FloatArray | None, parent_p: IntArray, parent_m: IntArray, child: IntArray
) -> FloatArray:
    """``T[x, y, c] = (Mut[x, c] + Mut[y, c]) / 2`` on the given allele domains."""
    if matrix is None:
        a = (parent_p[:, None] == child[None, :]).astype(np.float64)
        b = (parent_m[:, None] == child[None, :]).astype(np.float64)
    else:
        a = matrix[np.ix_(parent_p, child)]
        b = matrix[np.ix_(parent_m, child)]
    return 0.5 * (a[:, None, :] + b[None, :, :])


@dataclass(frozen=True)
class GenotypeDistribution:
    """Distribution of one person's unordered genotype given the others' data at one marker.

    ``probs[k]`` is the probability of genotype ``(first[k], second[k])`` (allele indices in locus order,
    ``first <= second``, :func:`genotype_pairs` order); ``log10_likelihood`` is log10 of the probability
    of the other persons' data, the normalising constant.
    """

    locus: Locus
    first: IntArray
    second: IntArray
    probs: FloatArray
    log10_likelihood: float

    def labels(self) -> list[tuple[str, str]]:
        return [(self.locus.alleles[i], self.locus.alleles[j]) for i, j in zip(self.first, self.second, strict=True)]


class PedigreeLikelihood:
    """Exact likelihoods for one pedigree, marker by marker.

    Observations map person ids to allele labels at the marker (``["15", "17"]``); persons absent from
    the mapping are untyped. ``dropout`` maps person ids to their per-allele dropout probability.
    """

    def __init__(self, pedigree: Pedigree) -> None:
        self.pedigree = pedigree
        self._ids = pedigree.ids
        self._index = {pid: i for i, pid in enumerate(self._ids)}
        self._parents = [
            (None if p.father is None else self._index[p.father], None if p.mother is None else self._index[p.mother])
            for p in pedigree
        ]
        self._has_children = [False] * len(self._ids)
        for f, m in self._parents:
            if f is not None:
                self._has_children[f] = True
            if m is not None:
                self._has_children[m] = True

    def _observations(
        self, locus: Locus, genotypes: Mapping[str, Sequence[str] | Observation]
    ) -> dict[int, Observation]:
        obs: dict[int, Observation] = {}
        for pid, g in genotypes.items():
            if pid not in self._index:
                raise LikelihoodError(f"person {pid!r} has a genotype but is not in the pedigree")
            if isinstance(g, tuple) and len(g) == 2 and all(x is None or isinstance(x, (int, np.integer)) for x in g):
                o: Observation = (None if g[0] is None else int(g[0]), None if g[1] is None else int(g[1]))
            else:
                o = observation(locus, g)  # type: ignore[arg-type]
            if is_typed(o):
                obs[self._index[pid]] = o
        return obs

    def _factors(
        self,
        locus: Locus,
        obs: Mapping[int, Observation],
        dropout: Mapping[str, float] | None,
        theta: float,
    ) -> tuple[list[tuple[int, ...]], list[FloatArray], list[IntArray]]:
        n = locus.n_alleles
        freqs = locus.freqs
        female, male = locus.mutation_matrices()
        domains: list[IntArray] = []
        evidence: list[FloatArray | None] = []
        for i, pid in enumerate(self._ids):
            d = 0.0 if dropout is None else float(dropout.get(pid, 0.0))
            o = obs.get(i, (None, None))
            dp, dm, e = _domain_and_evidence(n, o, d)
            domains.extend((dp, dm))
            evidence.append(e)
        scopes: list[tuple[int, ...]] = []
        arrays: list[FloatArray] = []
        founder_vars: list[int] = []
        for i in range(len(self._ids)):
            f, m = self._parents[i]
            vp, vm = 2 * i, 2 * i + 1
            e = evidence[i]
            if f is None:
                if theta > 0:
                    if e is not None or self._has_children[i]:
                        founder_vars.extend((vp, vm))
                    if e is not None:
                        scopes.append((vp, vm))
                        arrays.append(e)
                    continue
                prior = freqs[domains[vp]][:, None] * freqs[domains[vm]][None, :]
                scopes.append((vp, vm))
                arrays.append(prior if e is None else prior * e)
                continue
            assert m is not None
            scopes.append((2 * f, 2 * f + 1, vp))
            arrays.append(_transmission(male, domains[2 * f], domains[2 * f + 1], domains[vp]))
            scopes.append((2 * m, 2 * m + 1, vm))
            arrays.append(_transmission(female, domains[2 * m], domains[2 * m + 1], domains[vm]))
            if e is not None:
                scopes.append((vp, vm))
                arrays.append(e)
        if founder_vars:
            scopes.append(tuple(founder_vars))
            arrays.append(balding_nichols_factor([domains[v] for v in founder_vars], freqs, theta))
        return scopes, arrays, domains

    def _eliminate(
        self,
        locus: Locus,
        obs: Mapping[int, Observation],
        dropout: Mapping[str, float] | None,
        theta: float,
        keep: tuple[int, ...] = (),
    ) -> tuple[FloatArray, float, list[IntArray]]:
        scopes, arrays, domains = self._factors(locus, obs, dropout, theta)
        sizes = tuple(_size_class(len(d)) for d in domains)
        plan = _make_plan(tuple(scopes), sizes, keep)
        for step in plan.steps:
            size = math.prod(len(domains[v]) for v in step.scope)
            if size > MAX_FACTOR_ENTRIES:
                raise LikelihoodError(
                    f"{locus.name}: an intermediate factor would hold {size:.3g} entries; the pedigree has "
                    "too many untyped members in a loop for exact computation"
                )
        result, log10_scale = _run_plan(plan, arrays, tuple(len(domains[v]) for v in keep))
        return result, log10_scale, domains

    def log10_likelihood(
        self,
        locus: Locus,
        genotypes: Mapping[str, Sequence[str] | Observation],
        dropout: Mapping[str, float] | None = None,
        theta: float = 0.0,
    ) -> float:
        """log10 of the probability of the observed genotypes at one marker (``-inf`` when impossible)."""
        obs = self._observations(locus, genotypes)
        value, log10_scale, _ = self._eliminate(locus, obs, dropout, theta)
        v = float(value)
        return -math.inf if v <= 0.0 else math.log10(v) + log10_scale

    def likelihood(
        self,
        locus: Locus,
        genotypes: Mapping[str, Sequence[str] | Observation],
        dropout: Mapping[str, float] | None = None,
        theta: float = 0.0,
    ) -> float:
        """Probability of the observed genotypes at one marker (exactly 0 when they are impossible)."""
        obs = self._observations(locus, genotypes)
        value, log10_scale, _ = self._eliminate(locus, obs, dropout, theta)
        return float(value) * 10.0**log10_scale

    def genotype_distribution(
        self,
        locus: Locus,
        genotypes: Mapping[str, Sequence[str] | Observation],
        person: str,
        dropout: Mapping[str, float] | None = None,
        theta: float = 0.0,
    ) -> GenotypeDistribution:
        """Predictive distribution of ``person``'s unordered genotype given the others' data.

        ``person``'s own observation, if any, is ignored. The probabilities sum to 1 (unless the others'
        data are impossible, when all are 0 and ``log10_likelihood`` is ``-inf``).
        """
        if person not in self._index:
            raise LikelihoodError(f"person {person!r} is not in the pedigree")
        x = self._index[person]
        obs = {k: v for k, v in self._observations(locus, genotypes).items() if k != x}
        ordered, log10_scale, domains = self._eliminate(locus, obs, dropout, theta, keep=(2 * x, 2 * x + 1))
        n = locus.n_alleles
        full = np.zeros((n, n))
        full[np.ix_(domains[2 * x], domains[2 * x + 1])] = ordered
        i, j = genotype_pairs(n)
        unordered = full[i, j] + np.where(i != j, full[j, i], 0.0)
        total = float(unordered.sum())
        if total <= 0:
            return GenotypeDistribution(locus, i, j, unordered, -math.inf)
        return GenotypeDistribution(locus, i, j, unordered / total, math.log10(total) + log10_scale)


def hardy_weinberg(locus: Locus) -> FloatArray:
    """Population genotype probabilities (theta = 0) in :func:`genotype_pairs` order."""
    p = locus.freqs
    i, j = genotype_pairs(locus.n_alleles)
    return np.where(i == j, p[i] * p[j], 2.0 * p[i] * p[j])


def evidence_vector(locus: Locus, labels: Sequence[str] | Observation | None, dropout: float = 0.0) -> FloatArray:
    """``Pr(observation | genotype)`` for every unordered genotype (:func:`genotype_pairs` order)."""
    if labels is None:
        obs: Observation = (None, None)
    elif isinstance(labels, tuple) and all(x is None or isinstance(x, (int, np.integer)) for x in labels):
        obs = labels  # type: ignore[assignment]
    else:
        obs = observation(locus, labels)  # type: ignore[arg-type]
    n = locus.n_alleles
    e = evidence_table(n, obs, dropout)
    if e is None:
        return np.ones(n * (n + 1) // 2)
    i, j = genotype_pairs(n)
    return np.asarray(e[i, j], dtype=np.float64)
