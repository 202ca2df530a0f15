"""Allele lumping: merge the alleles nobody carries into one, exactly.

In a pedigree likelihood only the alleles somebody was typed with are told apart; every other allele of the
marker can be merged into one "other" allele with the summed frequency, provided the mutation process
treats those alleles alike. The condition (strong lumpability of the Markov chain, Kemeny and Snell) is:
for every allele ``b`` that is kept, ``M[x, b]`` is the same for every merged allele ``x``. Then

* ``M'[a, b] = M[a, b]`` and ``M'[a, other] = sum over merged x of M[a, x]`` for kept ``a``;
* ``M'[other, b] = M[x, b]`` for any merged ``x``, and ``M'[other, other] = 1 - sum_b M'[other, b]``;

and the likelihood of the typed persons is unchanged, whatever the founders' allele distribution. Without a
mutation model the condition always holds; with pedmut's "equal" and "proportional" models it holds too;
with a stepwise model it usually does not, and the marker is then left as it is.

The gain is large: a marker with 20 alleles seen as 5 in one family is computed with 6, and the cost of
variable elimination grows with the cube of the allele count.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from kinlink.genetics.markers import Locus, is_untyped
from kinlink.genetics.mutation import FloatArray, MarkerMutation, MutationModel

#: Relative tolerance of the lumpability check (the matrices come from files with ~15 digits).
LUMP_TOLERANCE = 1e-12


def _uniform_columns(m: FloatArray) -> FloatArray | None:
    """``c`` with ``M[x, b] = c[b]`` for every ``x != b`` (within :data:`LUMP_TOLERANCE`), or ``None``.

    Such a matrix (pedmut's equal and proportional models) is lumpable for every split, and its lumped
    matrix follows from ``c`` alone."""
    n = m.shape[0]
    if n < 2:
        return None
    c = m[0].copy()
    c[0] = m[1, 0]
    off = ~np.eye(n, dtype=bool)
    spread = np.where(off, np.abs(m - c), 0.0).max(axis=0)
    if np.any(spread > LUMP_TOLERANCE * np.maximum(c, 1e-300)):
        return None
    return c


def _lump_uniform(m: FloatArray, c: FloatArray, keep: list[int], merged: list[int]) -> FloatArray:
    k = len(keep)
    out = np.empty((k + 1, k + 1))
    out[:k, :k] = m[np.ix_(keep, keep)]
    kept_c = c[keep]
    out[:k, k] = c[merged].sum()
    out[k, :k] = kept_c
    out[k, k] = max(0.0, 1.0 - float(kept_c.sum()))
    return out


def _lump_matrix(m: FloatArray, keep: list[int], merged: list[int]) -> FloatArray | None:
    rows_merged = m[merged]
    block = rows_merged[:, keep]
    top = block.max(axis=0)
    if ((top - block.min(axis=0)) > LUMP_TOLERANCE * np.maximum(top, 1e-300)).any():
        return None
    k = len(keep)
    rows_kept = m[keep]
    out = np.empty((k + 1, k + 1))
    out[:k, :k] = rows_kept[:, keep]
    out[:k, k] = rows_kept[:, merged].sum(axis=1)
    out[k, :k] = block.sum(axis=0) / len(merged)  # the mean of the (equal) merged rows
    out[k, k] = max(0.0, 1.0 - float(out[k, :k].sum()))
    return out


def _label(alleles: Iterable[str]) -> str:
    taken = set(alleles)
    label = "other"
    while label in taken:
        label = f"<{label}>"
    return label


def lump(locus: Locus, observed: Iterable[str]) -> Locus:
    """``locus`` with the alleles not in ``observed`` merged into one, or ``locus`` itself when nothing
    would be merged or the mutation model is not lumpable for this split.

    Every observed label must be an allele of ``locus`` (:meth:`Locus.index` raises otherwise)."""
    keep_set = {locus.index(a) for a in set(observed) if not is_untyped(a)}
    if len(keep_set) >= locus.n_alleles - 1:
        return locus
    keep = sorted(keep_set)
    merged = [i for i in range(locus.n_alleles) if i not in keep_set]
    female, male = locus.mutation_matrices()
    models: dict[str, MutationModel] = {}
    matrices: dict[str, FloatArray | None] = {}
    for sex, m in (("female", female), ("male", male)):
        if m is None:
            models[sex], matrices[sex] = MutationModel(), None
            continue
        if sex == "male" and female is not None and (m is female or np.array_equal(m, female)):
            models[sex], matrices[sex] = models["female"], matrices["female"]
            continue
        # whether every column is uniform off the diagonal is a property of the locus: checked once
        uniform = locus.__dict__.get("_uniform_cache")
        if uniform is None:
            uniform = {
                x: _uniform_columns(np.asarray(y, dtype=np.float64))
                for x, y in (("female", female), ("male", male))
                if y is not None
            }
            object.__setattr__(locus, "_uniform_cache", uniform)
        c = uniform.get(sex)
        lumped = (
            _lump_uniform(m, c, keep, merged)
            if c is not None
            else _lump_matrix(np.asarray(m, dtype=np.float64), keep, merged)
        )
        if lumped is None:
            return locus
        models[sex] = MutationModel("custom", matrix=tuple(map(tuple, lumped.tolist())))
        matrices[sex] = lumped
    alleles = tuple(locus.alleles[i] for i in keep)
    freqs = np.concatenate([locus.freqs[keep], [float(locus.freqs[merged].sum())]])
    new = Locus(
        locus.name,
        (*alleles, _label(locus.alleles)),
        freqs,
        MarkerMutation(female=models["female"], male=models["male"]),
        locus.database_size,
    )
    # the matrices are at hand: fill the locus's matrix cache rather than rebuild them from the tuples
    object.__setattr__(new, "_matrix_cache", (matrices["female"], matrices["male"]))
    return new


__all__ = ["LUMP_TOLERANCE", "lump"]
