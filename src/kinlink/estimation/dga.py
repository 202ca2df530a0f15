"""Bayesian model averaging over decomposable graphical models (Madigan and York 1997; R package dga).

Each decomposable graph on the lists is a log-linear model whose cliques carry the interactions. With a
hyper-Dirichlet prior (``δ`` per cell of the full ``2**p`` table) the marginal likelihood of the complete
table, the unseen count ``N₀`` included, has the closed form

    log p(y, N₀ | g) = Σ_cliques L(C) − Σ_separators L(S),
    L(A) = log Γ(Σα) − log Γ(N + Σα) + Σ_cells [log Γ(y_A + α_A) − log Γ(α_A)],

where ``y_A`` is the marginal table of the lists in ``A`` (its all-zero cell holds ``N₀``),
``α_A = δ 2^(p−|A|)`` and ``Σα = δ 2^p``. Empty separators contribute nothing. The multinomial
coefficient ``N! / (N₀! Π y!)`` and the prior on the total (default ∝ 1/N, N being the total)
complete the joint posterior over (graph, N₀); graphs are equally likely a priori.

The point estimate is the Bayes estimate under relative squared error, ``E[1/N] / E[1/N²]``; the interval is
the equal-tailed credible interval of the model-averaged posterior.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from kinlink.estimation.capture import CaptureData
from kinlink.estimation.loglinear import ModelError, Term

MAX_LISTS = 6


@dataclass(frozen=True)
class DecomposableGraph:
    """A chordal graph on the lists with its cliques and (non-empty) separators."""

    edges: tuple[Term, ...]
    cliques: tuple[tuple[int, ...], ...]
    separators: tuple[tuple[int, ...], ...]


def _is_chordal(n: int, adj: list[set[int]]) -> bool:
    left = set(range(n))
    while left:
        for v in sorted(left):
            nb = adj[v] & left
            if all(b in adj[a] for a, b in itertools.combinations(nb, 2)):
                left.remove(v)
                break
        else:
            return False
    return True


def _maximal_cliques(n: int, adj: list[set[int]]) -> list[tuple[int, ...]]:
    cliques: list[tuple[int, ...]] = []
    for size in range(n, 0, -1):
        for sub in itertools.combinations(range(n), size):
            if all(b in adj[a] for a, b in itertools.combinations(sub, 2)) and not any(
                set(sub) <= set(c) for c in cliques
            ):
                cliques.append(sub)
    return cliques


def _separators(cliques: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Separators from an ordering with the running-intersection property (found by search)."""
    for order in itertools.permutations(cliques):
        seps = []
        ok = True
        for j in range(1, len(order)):
            inter = set(order[j]) & set().union(*order[:j])
            if not any(inter <= set(order[i]) for i in range(j)):
                ok = False
                break
            if inter:
                seps.append(tuple(sorted(inter)))
        if ok:
            return seps
    raise ModelError("no running-intersection ordering: the graph is not decomposable")


def decomposable_graphs(n_lists: int) -> list[DecomposableGraph]:
    """All decomposable (chordal) graphs on ``n_lists`` vertices."""
    if not 2 <= n_lists <= MAX_LISTS:
        raise ModelError(f"dga handles 2 to {MAX_LISTS} lists, got {n_lists}")
    pairs = list(itertools.combinations(range(n_lists), 2))
    graphs = []
    for mask in range(1 << len(pairs)):
        edges = tuple(pairs[i] for i in range(len(pairs)) if mask >> i & 1)
        adj: list[set[int]] = [set() for _ in range(n_lists)]
        for a, b in edges:
            adj[a].add(b)
            adj[b].add(a)
        if not _is_chordal(n_lists, adj):
            continue
        cliques = _maximal_cliques(n_lists, adj)
        graphs.append(DecomposableGraph(edges, tuple(cliques), tuple(_separators(cliques))))
    return graphs


@dataclass(frozen=True)
class DgaResult:
    """Joint posterior over graphs and totals."""

    lists: tuple[str, ...]
    totals: NDArray[np.float64]
    graphs: tuple[DecomposableGraph, ...]
    weights: NDArray[np.float64]  # (graphs, totals), sums to 1

    @property
    def posterior(self) -> NDArray[np.float64]:
        """Model-averaged posterior of the total."""
        return np.asarray(self.weights.sum(axis=0))

    @property
    def model_probabilities(self) -> NDArray[np.float64]:
        return np.asarray(self.weights.sum(axis=1))

    @property
    def bayes_estimate(self) -> float:
        """E[1/N] / E[1/N²]: the Bayes estimate under relative squared error loss (as in dga)."""
        p = self.posterior
        return float(np.sum(p / self.totals) / np.sum(p / self.totals**2))

    @property
    def median(self) -> float:
        """The posterior median of the total: the smallest total whose posterior CDF reaches 1/2 (the point
        estimate HRDAG publishes)."""
        cdf = np.cumsum(self.posterior)
        return float(self.totals[min(int(np.searchsorted(cdf, 0.5)), len(cdf) - 1)])

    @property
    def mode(self) -> float:
        return float(self.totals[int(np.argmax(self.posterior))])

    def credible_interval(self, level: float = 0.95) -> tuple[float, float]:
        cdf = np.cumsum(self.posterior)
        lo = self.totals[int(np.searchsorted(cdf, (1 - level) / 2))]
        hi = self.totals[min(int(np.searchsorted(cdf, (1 + level) / 2)), len(cdf) - 1)]
        return float(lo), float(hi)

    def graph_name(self, k: int) -> str:
        g = self.graphs[k]
        return " ".join(":".join(self.lists[i] for i in e) for e in g.edges) or "independence"

    def top_models(self, k: int = 5) -> list[tuple[str, float, float]]:
        """(graph, posterior probability, Bayes estimate within the graph) for the ``k`` likeliest graphs."""
        probs = self.model_probabilities
        out = []
        for g in np.argsort(-probs)[:k]:
            w = self.weights[g] / probs[g]
            est = float(np.sum(w / self.totals) / np.sum(w / self.totals**2))
            out.append((self.graph_name(int(g)), float(probs[g]), est))
        return out


def dga(
    data: CaptureData,
    delta: float | None = None,
    n_missing: NDArray[np.float64] | None = None,
    log_prior: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
) -> DgaResult:
    """Model-averaged posterior of the total over all decomposable graphs.

    ``delta`` defaults to ``2**-p``. ``n_missing`` are the candidate unseen counts (default 0 to 20 n,
    extended while the posterior tail is not negligible, up to 100 n + 1000: models close to saturated have
    very heavy tails, which the credible interval then reports as reaching that bound). ``log_prior(N)``
    is the log prior of the total (default ``-log N``).
    """
    p = data.n_lists
    d = 2.0**-p if delta is None else float(delta)
    if d <= 0:
        raise ModelError("delta must be positive")
    n = data.observed
    if n <= 0:
        raise ModelError("no one is on any list")
    graphs = decomposable_graphs(p)
    auto = n_missing is None
    upper = 20 * n + 100
    cap = 100 * n + 1000
    while True:
        nm = (
            np.arange(0, int(upper) + 1, dtype=np.float64)
            if auto
            else np.asarray(n_missing, dtype=np.float64)
        )
        weights = _weights(data, graphs, d, nm, log_prior)
        tail = weights.sum(axis=0)[-max(1, len(nm) // 20) :].sum()
        if not auto or tail < 1e-6 or upper >= cap:
            break
        upper = min(upper * 4, cap)
    return DgaResult(data.lists, nm + n, tuple(graphs), weights)


def _weights(
    data: CaptureData,
    graphs: list[DecomposableGraph],
    delta: float,
    n_missing: NDArray[np.float64],
    log_prior: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None,
) -> NDArray[np.float64]:
    p = data.n_lists
    n = data.observed
    totals = n_missing + n
    full = np.concatenate([[0.0], data.counts])  # cell code 0 = unseen
    codes = np.arange(2**p)
    sum_alpha = delta * 2**p
    base = special.gammaln(sum_alpha) - special.gammaln(totals + sum_alpha)
    comp: dict[tuple[int, ...], NDArray[np.float64]] = {}

    def component(subset: tuple[int, ...]) -> NDArray[np.float64]:
        if subset not in comp:
            sub_codes = sum(((codes >> j) & 1) << k for k, j in enumerate(subset))
            marg = np.bincount(sub_codes, weights=full, minlength=2 ** len(subset))
            alpha = delta * 2 ** (p - len(subset))
            table = np.broadcast_to(marg, (len(totals), len(marg))).astype(np.float64)
            table[:, 0] += n_missing
            comp[subset] = base + np.sum(special.gammaln(table + alpha) - special.gammaln(alpha), axis=1)
        return comp[subset]

    logw = np.empty((len(graphs), len(totals)))
    for g, graph in enumerate(graphs):
        val: NDArray[np.float64] = np.zeros(len(totals), dtype=np.float64)
        for c in graph.cliques:
            val += component(c)
        for s in graph.separators:
            val -= component(s)
        logw[g] = val
    multicoef = (
        special.gammaln(totals + 1) - special.gammaln(n_missing + 1) - special.gammaln(data.counts + 1).sum()
    )
    prior = -np.log(totals) if log_prior is None else np.asarray(log_prior(totals), dtype=np.float64)
    logw += multicoef + prior
    logw -= logw.max()
    w = np.exp(logw)
    return np.asarray(w / w.sum())
