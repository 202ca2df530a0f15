"""The missing person's genotype distribution in a nuclear family, batched over families (exact).

Screening needs, for every family and every marker, the distribution of the missing person's genotype given
the family's references. Most families are *nuclear*: a father ``F`` and a mother ``M`` (founders) and
their children, with the missing person ``MP`` one of the children or one of the parents (mother only, both
parents, mother and siblings, siblings only, a child and its mother, and their half-typed variants). For
such a pedigree the variable elimination of :mod:`kinlink.genetics.likelihood` has a closed form, which this
module evaluates for a whole batch of families of one shape and one marker in a compiled loop (numba,
parallel over families), instead of one elimination per family.

Model (the same as the exact engine: theta = 0, ordered allele pairs ``(paternal, maternal)``):

* founder ``(a, b)`` has prior ``p_a p_b``; evidence ``E(a, b)`` of an observation is an indicator (a
  reference call ``a, b``; ``a, -`` means "contains a"; untyped is 1);
* a child's paternal allele is ``u`` with ``H_u(gF) = (Mut_male[a, u] + Mut_male[b, u]) / 2`` for the
  father's genotype ``gF = (a, b)``, the maternal one likewise with the female matrix.

Every child's evidence is written as a sum of at most two products of one factor on the paternal allele and
one on the maternal allele: a call ``a, b`` is ``[u = a][v = b] + [u = b][v = a]`` (one term when
homozygous); ``a, -`` is ``[u = a] + [u != a][v = a]``; an untyped child is 1 (and drops out). Expanding the
product over typed children gives ``T`` terms (at most ``2^children``), each a product of a function of
``gF`` and a function of ``gM``, so the two founders are summed out separately:

* MP a child: ``K(x, y) = sum_t vF_t(x) vM_t(y)``, with ``vF_t(x) = sum_gF wF(gF) H_x(gF) prod_j h_tj(gF)``
  and ``wF = prior x evidence`` of the father; because ``H_x(a, b)`` is a half sum,
  ``vF_t(x) = 1/2 sum_a Mut_male[a, x] (rowsum_a Q_t + colsum_a Q_t)`` with ``Q_t = wF prod_j h_tj``;
* MP the father: ``K(x, y) = p_x p_y sum_t prod_j h_tj(x, y) * sum_gM wM(gM) prod_j g_tj(gM)`` (the
  mother likewise);
* MP a founder without children: ``K(x, y) = p_x p_y``.

``K`` is proportional to ``Pr(MP = (x, y), references)``; the unordered distribution is
``K[x, y] + K[y, x]`` normalised. All of it is the exact computation, reordered; only floating-point
rounding differs (tested against the exact engine to 1e-12). Pedigrees that are not nuclear (grandparents,
half siblings, more than one couple) use the batched peeling of :mod:`kinlink.genetics.peeling`; loops and
couples with more than :data:`MAX_CHILDREN` other children the exact engine (see
:func:`kinlink.genetics.screening.family_tables`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from kinlink.genetics.likelihood import genotype_pairs, hardy_weinberg
from kinlink.genetics.markers import Locus
from kinlink.genetics.pedigree import Pedigree

#: Most children (besides MP) of the couple for the batched path: up to 2^8 evidence terms per marker.
MAX_CHILDREN = 8

CHILD, FATHER, MOTHER, ALONE = 0, 1, 2, 3


@dataclass(frozen=True)
class NuclearShape:
    """Positions (pedigree order) of the couple, their children other than MP, and MP with its role.

    ``father`` / ``mother`` are -1 when the pedigree has no child at all. Founders who are neither MP nor a
    parent have no relatives in the pedigree: their references do not change MP's distribution and are
    left out.
    """

    father: int
    mother: int
    children: tuple[int, ...]
    missing: int
    role: int


def nuclear_shape(pedigree: Pedigree, missing: str) -> NuclearShape | None:
    """The nuclear shape of ``pedigree`` around ``missing``, or ``None`` when it is not a nuclear family.

    Nuclear: every non-founder has the same father and mother, both founders.
    """
    ids = pedigree.ids
    pos = {pid: i for i, pid in enumerate(ids)}
    couple: tuple[int, int] | None = None
    children: list[int] = []
    for person in pedigree:
        if person.father is None and person.mother is None:
            continue
        if person.father is None or person.mother is None:
            return None
        pair = (pos[person.father], pos[person.mother])
        if couple is None:
            couple = pair
        elif pair != couple:
            return None
        children.append(pos[person.id])
    mp = pos[missing]
    if couple is None:
        return NuclearShape(-1, -1, (), mp, ALONE)
    father, mother = couple
    for parent in couple:
        parent_person = pedigree[ids[parent]]
        if parent_person.father is not None or parent_person.mother is not None:
            return None
    if mp in children:
        role = CHILD
    elif mp == father:
        role = FATHER
    elif mp == mother:
        role = MOTHER
    else:
        role = ALONE
    others = tuple(c for c in children if c != mp)
    return NuclearShape(father, mother, others, mp, role)


# ------------------------------------------------------------------------------------------------ kernel


@njit(cache=True, inline="always")
def _h(kind, allele, mut, rows, a, b):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Factor on a founder genotype (a, b): Pr(transmits any allele) (1 for a row-stochastic matrix),
    Pr(transmits ``allele``), or Pr(transmits another allele); ``rows`` holds the row sums of ``mut``."""
    any_allele = 0.5 * (rows[a] + rows[b])
    if kind == 0:
        return any_allele
    t = 0.5 * (mut[a, allele] + mut[b, allele])
    return t if kind == 1 else any_allele - t


@njit(cache=True)
def _founder_weight(obs, p, w):  # type: ignore[no-untyped-def]  # pragma: no cover
    """w[a, b] = p_a p_b E(a, b) for a founder's observation ``obs`` (-1 = allele not called)."""
    n = p.shape[0]
    x, y = obs[0], obs[1]
    if x < 0 and y < 0:
        for a in range(n):
            for b in range(n):
                w[a, b] = p[a] * p[b]
    elif x >= 0 and y >= 0:
        w[:, :] = 0.0
        w[x, y] = p[x] * p[y]
        w[y, x] = p[x] * p[y]
    else:
        z = x if x >= 0 else y
        w[:, :] = 0.0
        for a in range(n):
            w[z, a] = p[z] * p[a]
            w[a, z] = p[z] * p[a]


@njit(cache=True)
def _child_terms(obs, kinds_f, alle_f, kinds_m, alle_m, j):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Write the evidence terms of a typed child as (paternal factor, maternal factor); returns how many."""
    x, y = obs[0], obs[1]
    if x >= 0 and y >= 0:
        kinds_f[j, 0], alle_f[j, 0], kinds_m[j, 0], alle_m[j, 0] = 1, x, 1, y
        if x == y:
            return 1
        kinds_f[j, 1], alle_f[j, 1], kinds_m[j, 1], alle_m[j, 1] = 1, y, 1, x
        return 2
    z = x if x >= 0 else y
    kinds_f[j, 0], alle_f[j, 0], kinds_m[j, 0], alle_m[j, 0] = 1, z, 0, 0
    kinds_f[j, 1], alle_f[j, 1], kinds_m[j, 1], alle_m[j, 1] = 2, z, 1, z
    return 2


@njit(cache=True)
def _one_family(  # type: ignore[no-untyped-def]  # pragma: no cover
    obs,
    father,
    mother,
    children,
    role,
    p,
    mut_f,
    mut_m,
    rows_f,
    rows_m,
    kmat,
    wf,
    wm,
    r,
    vf,
    vm,
    kf,
    af,
    km,
    am,
    sel,
    counts,
):
    """K[x, y] (into ``kmat``) for one family at one marker; the other arrays are scratch space."""
    n = p.shape[0]
    kmat[:, :] = 0.0
    if role == ALONE:
        for x in range(n):
            for y in range(n):
                kmat[x, y] = p[x] * p[y]
        return
    _founder_weight(obs[father], p, wf)
    _founder_weight(obs[mother], p, wm)
    nt = 0
    total = 1
    for c in range(children.shape[0]):
        o = obs[children[c]]
        if o[0] < 0 and o[1] < 0:
            continue
        counts[nt] = _child_terms(o, kf, af, km, am, nt)
        total *= counts[nt]
        nt += 1
    for combo in range(total):
        rest = combo
        for j in range(nt):
            sel[j] = rest % counts[j]
            rest //= counts[j]
        if role == CHILD:
            for side in range(2):
                w = wf if side == 0 else wm
                mut = mut_m if side == 0 else mut_f
                rows = rows_m if side == 0 else rows_f
                kinds = kf if side == 0 else km
                alle = af if side == 0 else am
                v = vf if side == 0 else vm
                r[:] = 0.0
                for a in range(n):
                    for b in range(n):
                        x = w[a, b]
                        if x == 0.0:
                            continue
                        for j in range(nt):
                            x *= _h(kinds[j, sel[j]], alle[j, sel[j]], mut, rows, a, b)
                        r[a] += x
                        r[b] += x
                for y in range(n):
                    s = 0.0
                    for a in range(n):
                        s += mut[a, y] * r[a]
                    v[y] = 0.5 * s
            for x in range(n):
                for y in range(n):
                    kmat[x, y] += vf[x] * vm[y]
        else:
            own_is_father = role == FATHER
            w = wm if own_is_father else wf
            mut_own = mut_m if own_is_father else mut_f
            mut_other = mut_f if own_is_father else mut_m
            rows_own = rows_m if own_is_father else rows_f
            rows_other = rows_f if own_is_father else rows_m
            k_own = kf if own_is_father else km
            a_own = af if own_is_father else am
            k_oth = km if own_is_father else kf
            a_oth = am if own_is_father else af
            other = 0.0
            for a in range(n):
                for b in range(n):
                    x = w[a, b]
                    if x == 0.0:
                        continue
                    for j in range(nt):
                        x *= _h(k_oth[j, sel[j]], a_oth[j, sel[j]], mut_other, rows_other, a, b)
                    other += x
            if other == 0.0:
                continue
            for a in range(n):
                for b in range(n):
                    x = other * p[a] * p[b]
                    for j in range(nt):
                        x *= _h(k_own[j, sel[j]], a_own[j, sel[j]], mut_own, rows_own, a, b)
                    kmat[a, b] += x
    return


@njit(parallel=True, cache=True)
def _nuclear_kernel(  # type: ignore[no-untyped-def]  # pragma: no cover
    obs,
    father,
    mother,
    children,
    role,
    p,
    mut_f,
    mut_m,
    rows_f,
    rows_m,
    gi,
    gj,
    log_hw,
    log_carrier_hw,
    out,
    good,
    n_chunks,
):
    """Table columns of one marker for a batch of families (see :func:`marker_columns`)."""
    n_fam = obs.shape[0]
    n = p.shape[0]
    n_g = gi.shape[0]
    n_chunks = min(n_fam, n_chunks)
    max_children = max(1, children.shape[0])
    for c in prange(n_chunks):
        lo = c * n_fam // n_chunks
        hi = (c + 1) * n_fam // n_chunks
        kmat = np.empty((n, n))
        wf = np.empty((n, n))
        wm = np.empty((n, n))
        r = np.empty(n)
        vf = np.empty(n)
        vm = np.empty(n)
        kf = np.zeros((max_children, 2), dtype=np.int64)
        af = np.zeros((max_children, 2), dtype=np.int64)
        km = np.zeros((max_children, 2), dtype=np.int64)
        am = np.zeros((max_children, 2), dtype=np.int64)
        sel = np.zeros(max_children, dtype=np.int64)
        counts = np.zeros(max_children, dtype=np.int64)
        post = np.empty(n_g)
        carrier = np.empty(n)
        for k in range(lo, hi):
            _one_family(
                obs[k],
                father,
                mother,
                children,
                role,
                p,
                mut_f,
                mut_m,
                rows_f,
                rows_m,
                kmat,
                wf,
                wm,
                r,
                vf,
                vm,
                kf,
                af,
                km,
                am,
                sel,
                counts,
            )
            total = 0.0
            for g in range(n_g):
                i = gi[g]
                j = gj[g]
                v = kmat[i, j] if i == j else kmat[i, j] + kmat[j, i]
                post[g] = v
                total += v
            if not (total > 0.0 and math.isfinite(total)):
                good[k] = False
                for col in range(out.shape[1]):
                    out[k, col] = 0.0
                continue
            carrier[:] = 0.0
            for g in range(n_g):
                v = post[g] / total
                post[g] = v
                carrier[gi[g]] += v
                if gj[g] != gi[g]:
                    carrier[gj[g]] += v
            for g in range(n_g):
                out[k, g] = (math.log10(post[g]) if post[g] > 0.0 else -np.inf) - log_hw[g]
            for a in range(n):
                out[k, n_g + a] = (math.log10(carrier[a]) if carrier[a] > 0.0 else -np.inf) - log_carrier_hw[
                    a
                ]
            out[k, n_g + n] = 0.0


def marker_columns(
    shape: NuclearShape,
    locus: Locus,
    observations: NDArray[np.int32],
    out: NDArray[np.floating],
    good: NDArray[np.bool_],
) -> None:
    """Write one marker's table columns for a batch of families of ``shape`` into ``out`` (K x (G + n + 1)).

    ``observations`` is (K, persons, 2): allele indices of every member's reference at this marker, -1 for
    an allele not called (the missing person's row is ignored). Columns: log10(Pr(MP = g | refs) / HW(g))
    per genotype, log10 of the same ratio for "carries allele a" per allele, and 0. ``good[k]`` is set to
    False for a family whose references are impossible (its columns are then 0).
    """
    n = locus.n_alleles
    female, male = locus.mutation_matrices()
    mut_f = np.eye(n) if female is None else np.ascontiguousarray(female, dtype=np.float64)
    mut_m = np.eye(n) if male is None else np.ascontiguousarray(male, dtype=np.float64)
    gi, gj = genotype_pairs(n)
    hw = hardy_weinberg(locus)
    contains = (gi[None, :] == np.arange(n)[:, None]) | (gj[None, :] == np.arange(n)[:, None])
    carrier_hw = contains.astype(np.float64) @ hw
    _nuclear_kernel(
        observations,
        np.int64(shape.father),
        np.int64(shape.mother),
        np.asarray(shape.children, dtype=np.int64),
        np.int64(shape.role),
        np.ascontiguousarray(locus.freqs, dtype=np.float64),
        mut_f,
        mut_m,
        mut_f.sum(axis=1),
        mut_m.sum(axis=1),
        gi.astype(np.int64),
        gj.astype(np.int64),
        np.log10(hw),
        np.log10(carrier_hw),
        out,
        good,
        4 * numba.get_num_threads(),
    )
