"""The missing person's genotype distribution in any pedigree without loops, batched over families (exact).

Screening needs, per family and marker, ``K(x, y)`` proportional to ``Pr(MP = (x, y), references)`` over
the missing person's ordered genotypes (paternal ``x``, maternal ``y``). :mod:`kinlink.genetics.nuclear`
has a closed form for nuclear families; this module computes it for every pedigree whose *family graph*
is a tree (grandparents, half siblings, uncles and aunts, cousins, a man's children by two wives, and any
combination of these), for a whole batch of families of one shape and one marker at once (numpy arrays
with the families on the first axis). Pedigrees with loops (marriages between relatives, two brothers
married to two sisters) are left to the exact engine.

Model: the one of :mod:`kinlink.genetics.likelihood` with theta = 0. Ordered genotypes, founders
``p_a p_b``, transmission ``H_u(a, b) = (Mut[a, u] + Mut[b, u]) / 2`` with the father's (male) matrix into
the paternal allele and the mother's (female) matrix into the maternal allele, reference evidence an
indicator (``a, b``: the two orders of the pair; ``a, -``: "contains a"). As in the exact engine, persons
who are neither typed, nor the missing person, nor an ancestor of one of them are left out (with
row-stochastic mutation matrices their factors sum to 1).

Method (peeling on the family graph). The family graph has a node per person and per *couple* (a father,
a mother and their relevant children) and an edge between a couple and each of its members; it is a tree
exactly when the pedigree has no loop. Rooted at MP, every couple has one member nearer to MP (its
*pivot*); couples are peeled from the leaves, each sending the pivot a *message*, a function of the
pivot's ordered genotype ``(u, v)``, kept as a short sum of products ``sum_t f_t(u) g_t(v)`` (a *term
list*). For a couple ``(F, M)`` with non-pivot children ``c``:

* ``phi_X(a, b)`` of a non-pivot parent: founder prior (if a founder), evidence, and the messages of its
  other couples, as a dense ``n x n`` array;
* ``lambda_c(u, v)`` of a non-pivot child: its evidence times the messages of its own couples, as a term
  list (a typed child has at most two terms: the evidence confines it to two cells, or to a row and a
  column for ``a, -``; an untyped child with typed descendants is the product of its couples' messages);
* a child's term ``f(u) g(v)`` seen from the parents is ``A(a, b) B(c, d)`` with ``A(a, b) = (alpha(a) +
  alpha(b)) / 2``, ``alpha = Mut_male f``, ``B`` likewise with the female matrix and ``g``; expanding the
  product over children (one term each, every combination) separates the father from the mother:
* pivot a child: the message is ``sum_combo fo(u) go(v)`` with ``fo(u) = 1/2 sum_a Mut_male[a, u]
  (rowsum_a + colsum_a)(phi_F prod_c A_c)`` and ``go`` likewise on the mother's side;
* pivot the father: ``sum_combo [sum_{c,d} phi_M prod_c B_c] prod_c A_c(a, b)``, each ``A_c`` a sum of two
  products, expanded into a term list (the mother likewise).

At the root, ``K`` is MP's founder prior (if a founder) times the dense product of its couples'
messages. The number of terms is fixed by the shape and the typing pattern; a pattern whose messages would
need more than :data:`MAX_TERMS` terms (many typed children of one untyped person) goes to the exact
engine. Messages are rescaled per family (a common factor per family cancels in the normalisation). All of
it is the exact computation reordered: tested against the exact engine to 1e-9 in log10.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numba import njit
from numpy.typing import NDArray

from kinlink.genetics.likelihood import genotype_pairs, hardy_weinberg
from kinlink.genetics.markers import Locus
from kinlink.genetics.pedigree import Pedigree

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Most terms of one message, and most combinations of children's terms in one couple.
MAX_TERMS = 256

UNTYPED, HALF, FULL = 0, 1, 2

# A term list: (f, g), each (families, terms, alleles); the function is sum_t f_t(u) g_t(v).
Terms = tuple[FloatArray, FloatArray]


@dataclass(frozen=True)
class Couple:
    """A couple of the pruned pedigree: father, mother and relevant children (positions)."""

    father: int
    mother: int
    children: tuple[int, ...]


@dataclass(frozen=True)
class Step:
    """Peel ``couple`` onto its ``pivot``; ``others[x]`` lists the couples (indices) of member ``x`` other
    than this one, whose messages are ready."""

    couple: int
    pivot: int
    others: tuple[tuple[int, tuple[int, ...]], ...]


@dataclass(frozen=True)
class Schedule:
    """Peeling steps for one typing pattern, and the couples whose messages MP collects at the end."""

    couples: tuple[Couple, ...]
    steps: tuple[Step, ...]
    root_couples: tuple[int, ...]
    founders: frozenset[int]


@dataclass
class TreePlan:
    """One pedigree shape around the missing person: parents, and a schedule per typing pattern."""

    fathers: tuple[int, ...]
    mothers: tuple[int, ...]
    missing: int
    _schedules: dict[tuple[int, ...], Schedule | None] = field(default_factory=dict)

    def schedule(self, pattern: tuple[int, ...]) -> Schedule | None:
        """The schedule for ``pattern`` (per person: untyped, half or fully typed), or ``None`` when the
        pruned pedigree is not a tree around MP or needs too many terms."""
        if pattern not in self._schedules:
            self._schedules[pattern] = _schedule(self, pattern)
        return self._schedules[pattern]


def tree_plan(pedigree: Pedigree, missing: str) -> TreePlan | None:
    """A plan for ``pedigree`` around ``missing``, or ``None`` when the whole pedigree has a loop."""
    ids = pedigree.ids
    pos = {pid: i for i, pid in enumerate(ids)}
    fathers = tuple(-1 if p.father is None else pos[p.father] for p in pedigree)
    mothers = tuple(-1 if p.mother is None else pos[p.mother] for p in pedigree)
    if any((f < 0) != (m < 0) for f, m in zip(fathers, mothers, strict=True)):
        return None
    plan = TreePlan(fathers, mothers, pos[missing])
    if not _is_forest(_couples(plan, set(range(len(ids)))), len(ids)):
        return None
    return plan


def _couples(plan: TreePlan, keep: set[int]) -> list[Couple]:
    groups: dict[tuple[int, int], list[int]] = {}
    for child in sorted(keep):
        f, m = plan.fathers[child], plan.mothers[child]
        if f >= 0:
            groups.setdefault((f, m), []).append(child)
    return [Couple(f, m, tuple(ch)) for (f, m), ch in groups.items()]


def _is_forest(couples: Sequence[Couple], n_persons: int) -> bool:
    parent = list(range(n_persons + len(couples)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for k, c in enumerate(couples):
        node = n_persons + k
        for member in (c.father, c.mother, *c.children):
            a, b = find(node), find(member)
            if a == b:
                return False
            parent[a] = b
    return True


def _schedule(plan: TreePlan, pattern: tuple[int, ...]) -> Schedule | None:
    n = len(pattern)
    relevant: set[int] = set()
    stack = [i for i in range(n) if pattern[i] != UNTYPED] + [plan.missing]
    while stack:
        x = stack.pop()
        if x in relevant:
            continue
        relevant.add(x)
        if plan.fathers[x] >= 0:
            stack.extend((plan.fathers[x], plan.mothers[x]))
    couples = _couples(plan, relevant)
    if not _is_forest(couples, n):
        return None
    of_person: dict[int, list[int]] = {}
    for k, c in enumerate(couples):
        for member in (c.father, c.mother, *c.children):
            of_person.setdefault(member, []).append(k)
    # breadth-first from MP: each couple's pivot is the member it is reached through
    pivot: dict[int, int] = {}
    order: list[int] = []
    frontier = [plan.missing]
    seen_persons = {plan.missing}
    while frontier:
        nxt: list[int] = []
        for x in frontier:
            for k in of_person.get(x, []):
                if k in pivot:
                    continue
                pivot[k] = x
                order.append(k)
                c = couples[k]
                for member in (c.father, c.mother, *c.children):
                    if member not in seen_persons:
                        seen_persons.add(member)
                        nxt.append(member)
        frontier = nxt
    if len(pivot) != len(couples):
        return None  # a couple not connected to MP: its consistency would go unchecked
    terms: dict[int, int] = {}
    steps: list[Step] = []
    for k in reversed(order):
        c = couples[k]
        others = tuple(
            (x, tuple(j for j in of_person[x] if j != k))
            for x in (c.father, c.mother, *c.children)
            if x != pivot[k]
        )
        counts = []
        for x, own in others:
            if x in (c.father, c.mother):
                continue
            if pattern[x] != UNTYPED:
                counts.append(2)
            else:
                size = 1
                for j in own:
                    size *= terms[j]
                counts.append(size)
        combos = 1
        for size in counts:
            combos *= size
        out = combos if pivot[k] in c.children else combos * 2 ** len(counts)
        if combos > MAX_TERMS or out > MAX_TERMS:
            return None
        terms[k] = out
        steps.append(Step(k, pivot[k], others))
    founders = frozenset(x for x in relevant if plan.fathers[x] < 0)
    return Schedule(tuple(couples), tuple(steps), tuple(of_person.get(plan.missing, [])), founders)


# ------------------------------------------------------------------------------------------------ numerics


def _one_hot(idx: IntArray, n: int) -> FloatArray:
    out = np.zeros((idx.shape[0], n))
    out[np.arange(idx.shape[0]), idx] = 1.0
    return out


def _dense(terms: Terms) -> FloatArray:
    f, g = terms
    return np.matmul(f.transpose(0, 2, 1), g)


def _product(lists: Sequence[Terms]) -> Terms:
    f, g = lists[0]
    for f2, g2 in lists[1:]:
        b, t1, n = f.shape
        t2 = f2.shape[1]
        f = (f[:, :, None, :] * f2[:, None, :, :]).reshape(b, t1 * t2, n)
        g = (g[:, :, None, :] * g2[:, None, :, :]).reshape(b, t1 * t2, n)
    return f, g


def _rescale(f: FloatArray, g: FloatArray) -> Terms:
    """Divide ``f`` and ``g`` by a positive factor per family (the largest entry), keeping zeros zero."""
    for x in (f, g):
        top = np.abs(x).max(axis=(1, 2))
        x /= np.where(top > 0, top, 1.0)[:, None, None]
    return f, g


def _at(terms: Terms, rows: IntArray, a: IntArray, b: IntArray) -> FloatArray:
    """The function of a term list at the cells ``(a[k], b[k])``: (B,)."""
    f, g = terms
    return np.einsum("bt,bt->b", f[rows, :, a], g[rows, :, b])


def _person_terms(obs: IntArray, kind: int, base: Terms) -> Terms:
    """A person's prior-and-messages ``base`` times its evidence, as a term list.

    Untyped: ``base``. Typed ``a, b``: two terms confined to the cells (a, b) and (b, a) (the second zero
    when a = b). Typed ``a, -``: the row and the column of ``a``.
    """
    if kind == UNTYPED:
        return base
    b, _t, n = base[0].shape
    rows = np.arange(b)
    if kind == FULL:
        a, c = obs[:, 0], obs[:, 1]
        ea, ec = _one_hot(a, n), _one_hot(c, n)
        het = (a != c).astype(float)
        ea *= _at(base, rows, a, c)[:, None]
        ec *= (_at(base, rows, c, a) * het)[:, None]
        return np.stack([ea, ec], axis=1), np.stack([_one_hot(c, n), _one_hot(a, n)], axis=1)
    z = np.where(obs[:, 0] >= 0, obs[:, 0], obs[:, 1])
    ez = _one_hot(z, n)
    f, g = base
    row = np.einsum("bt,btv->bv", f[rows, :, z], g)  # base(z, v)
    col = np.einsum("btu,bt->bu", f, g[rows, :, z])  # base(u, z)
    return np.stack([ez, col * (1.0 - ez)], axis=1), np.stack([row, ez], axis=1)


def _expand(f: FloatArray, g: FloatArray, vectors: Sequence[FloatArray]) -> Terms:
    """Term list of ``(f, g) * prod_c (v_c(a) + v_c(b)) / 2`` for vectors v_c (B, n)."""
    for v in vectors:
        f = np.concatenate([0.5 * f * v[:, None, :], 0.5 * f], axis=1)
        g = np.concatenate([g, g * v[:, None, :]], axis=1)
    return f, g


def ordered_distributions(
    plan: TreePlan, schedule: Schedule, locus: Locus, observations: NDArray[np.integer]
) -> FloatArray:
    """``K`` (B, n, n), proportional to ``Pr(MP = (x, y), references)``, for B families of one pattern.

    ``observations`` (B, persons, 2): allele indices, -1 where not called; all families must have the
    typing pattern ``schedule`` was made for.
    """
    n = locus.n_alleles
    obs = np.asarray(observations, dtype=np.int64)
    b = obs.shape[0]
    female, male = locus.mutation_matrices()
    mut_m = np.eye(n) if male is None else np.asarray(male, dtype=np.float64)
    mut_f = np.eye(n) if female is None else np.asarray(female, dtype=np.float64)
    p = np.broadcast_to(np.asarray(locus.freqs, dtype=np.float64), (b, 1, n))
    ones = np.ones((b, 1, n))
    messages: dict[int, Terms] = {}

    def kind(x: int) -> int:
        o = obs[0, x]
        return int(o[0] >= 0) + int(o[1] >= 0)

    def terms_of(x: int, own: Sequence[int]) -> Terms:
        founder = [(p, p)] if x in schedule.founders else []
        lists = founder + [messages[j] for j in own]
        return _person_terms(obs[:, x], kind(x), _product(lists) if lists else (ones, ones))

    for step in schedule.steps:
        c = schedule.couples[step.couple]
        own = dict(step.others)
        kids = [x for x in c.children if x != step.pivot]
        lam = [terms_of(x, own[x]) for x in kids]
        alpha = [f @ mut_m.T for f, _ in lam]  # alpha[t](a) = sum_u Mut_male[a, u] f_t(u)
        beta = [g @ mut_f.T for _, g in lam]
        phi_f = terms_of(c.father, own[c.father]) if step.pivot != c.father else None
        phi_m = terms_of(c.mother, own[c.mother]) if step.pivot != c.mother else None
        out_f: list[FloatArray] = []
        out_g: list[FloatArray] = []
        for combo in itertools.product(*(range(f.shape[1]) for f, _ in lam)):
            va = [alpha[i][:, t, :] for i, t in enumerate(combo)]
            vb = [beta[i][:, t, :] for i, t in enumerate(combo)]
            if step.pivot in c.children:
                assert phi_f is not None and phi_m is not None
                for phi, vs, mut, out in ((phi_f, va, mut_m, out_f), (phi_m, vb, mut_f, out_g)):
                    ff, gg = _expand(*phi, vs)
                    r = (ff * gg.sum(axis=2, keepdims=True) + gg * ff.sum(axis=2, keepdims=True)).sum(axis=1)
                    out.append(0.5 * (r @ mut))
                continue
            other, own_side, other_side = (phi_m, va, vb) if step.pivot == c.father else (phi_f, vb, va)
            assert other is not None
            ff, gg = _expand(*other, other_side)
            s = (ff.sum(axis=2) * gg.sum(axis=2)).sum(axis=1)
            fs, gs = _expand(s[:, None, None] * ones, ones, own_side)
            out_f.append(fs)
            out_g.append(gs)
        if step.pivot in c.children:
            f_out, g_out = np.stack(out_f, axis=1), np.stack(out_g, axis=1)
        else:
            f_out, g_out = np.concatenate(out_f, axis=1), np.concatenate(out_g, axis=1)
        messages[step.couple] = _rescale(f_out, g_out)
    lists = [(p, p)] if plan.missing in schedule.founders else []
    lists += [messages[j] for j in schedule.root_couples]
    return _dense(_product(lists)) if lists else np.ones((b, n, n))


def patterns(observations: NDArray[np.integer]) -> IntArray:
    """Typing pattern (families, persons): 0 untyped, 1 one allele called, 2 both called."""
    obs = np.asarray(observations)
    return ((obs[..., 0] >= 0).astype(np.int64) + (obs[..., 1] >= 0)).astype(np.int64)


@njit(cache=True)
def _columns_kernel(kmat, gi, gj, log_hw, log_carrier_hw, out, good):  # type: ignore[no-untyped-def]  # pragma: no cover
    n_fam = kmat.shape[0]
    n = kmat.shape[1]
    n_g = gi.shape[0]
    post = np.empty(n_g)
    carrier = np.empty(n)
    for k in range(n_fam):
        carrier[:] = 0.0
        total = 0.0
        for g in range(n_g):
            i = gi[g]
            j = gj[g]
            v = kmat[k, i, j] if i == j else kmat[k, i, j] + kmat[k, j, i]
            post[g] = v
            total += v
        if not (total > 0.0 and math.isfinite(total)):
            good[k] = False
            for col in range(out.shape[1]):
                out[k, col] = 0.0
            continue
        good[k] = True
        for g in range(n_g):
            v = post[g] / total
            post[g] = v
            carrier[gi[g]] += v
            if gj[g] != gi[g]:
                carrier[gj[g]] += v
        for g in range(n_g):
            out[k, g] = (math.log10(post[g]) if post[g] > 0.0 else -np.inf) - log_hw[g]
        for a in range(n):
            out[k, n_g + a] = (math.log10(carrier[a]) if carrier[a] > 0.0 else -np.inf) - log_carrier_hw[a]
        out[k, n_g + n] = 0.0


def table_columns(locus: Locus, ordered: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """One marker's screening table columns (K, G + n + 1) from ``K`` (K, n, n), and which are possible.

    Columns as :func:`kinlink.genetics.nuclear.marker_columns` writes them: log10(Pr(MP = g | refs) /
    HW(g)) per genotype, the same ratio for "carries allele a" per allele, and 0; a family whose ``K``
    sums to 0 (impossible references) gets zeros and ``False``.
    """
    n = locus.n_alleles
    gi, gj = genotype_pairs(n)
    hw = hardy_weinberg(locus)
    contains = (gi[None, :] == np.arange(n)[:, None]) | (gj[None, :] == np.arange(n)[:, None])
    out = np.empty((ordered.shape[0], gi.size + n + 1))
    good = np.ones(ordered.shape[0], dtype=np.bool_)
    _columns_kernel(
        np.ascontiguousarray(ordered, dtype=np.float64),
        gi.astype(np.int64),
        gj.astype(np.int64),
        np.log10(hw),
        np.log10(contains.astype(np.float64) @ hw),
        out,
        good,
    )
    return out, good
