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

Three devices keep this fast and exact: the transmission factor of an untyped parent is split with a
meiosis indicator ``s`` (which parental allele was passed on) so the parent's two alleles are summed out
separately; untyped persons without typed descendants are left out (their factors sum to 1); and markers
with the same typing pattern are stacked along a leading marker axis, zero-padded to a common allele
count, and eliminated together in one pass of ``einsum`` calls.

Unordered genotypes of a marker with ``n`` alleles are indexed as ``numpy.triu_indices(n)``: the pairs
``(i, j)`` with ``i <= j`` in row-major order (see :func:`genotype_pairs`).
"""

from __future__ import annotations

import itertools
import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from kinlink.genetics.contraction import contract
from kinlink.genetics.markers import Locus, is_untyped
from kinlink.genetics.mutation import FloatArray
from kinlink.genetics.pedigree import Pedigree

IntArray = NDArray[np.intp]

#: An observation at one marker: allele indices; ``None`` stands for an allele that was not called.
Observation = tuple[int | None, int | None]

MAX_FACTOR_ENTRIES = 20_000_000
_RESCALE_BELOW = 1e-150
_RESCALE_FROM_FACTORS = 48
_PAIRWISE_FROM = 20_000  # nominal loop size above which a multi-operand step is contracted pairwise
_LETTERS = string.ascii_letters[:-1]  # "Z" is the marker (batch) axis


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
    if len(labels) == 2:  # fast path: two labels of the table, as they are
        calls = locus.call_index()
        try:
            a, b = calls.get(labels[0]), calls.get(labels[1])
        except TypeError:  # an unhashable label: the rules below say what it is
            a = b = None
        if a is not None and b is not None:
            return (a, b)
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


def balding_nichols_factor(domains: Sequence[IntArray], freqs: FloatArray, theta: float) -> FloatArray:
    """Joint probability of founder alleles under the Balding–Nichols (theta) model.

    Alleles are drawn one after the other from the sub-population: the ``k``-th allele (``k = 1, 2, ..``)
    is ``a`` with probability ``(m_a theta + (1 - theta) p_a) / (1 + (k - 2) theta)``, where ``m_a`` counts
    earlier alleles equal to ``a``. The result is exchangeable, so the order of founders does not matter,
    and theta = 0 gives Hardy–Weinberg. The array has one axis per entry of ``domains``.
    """
    batched = _balding_nichols_batch(
        [np.asarray(d)[None, :] for d in domains], np.asarray(freqs)[None, :], theta
    )
    return np.asarray(batched[0], dtype=np.float64)


def _balding_nichols_batch(domains: Sequence[IntArray], freqs: FloatArray, theta: float) -> FloatArray:
    """Batched :func:`balding_nichols_factor`: ``domains[i]`` is (B, k_i), ``freqs`` is (B, n)."""
    k = len(domains)
    batch = freqs.shape[0]
    shape = (batch, *(d.shape[1] for d in domains))
    size = math.prod(shape)
    if size > MAX_FACTOR_ENTRIES:
        raise LikelihoodError(
            f"theta correction couples {k} founder alleles ({size:.3g} combinations); too many untyped "
            "founders for an exact theta computation"
        )
    rows = np.arange(batch).reshape((batch,) + (1,) * k)
    grids = [d.reshape((batch, *(-1 if j == i else 1 for j in range(k)))) for i, d in enumerate(domains)]
    out = np.ones(shape)
    for i in range(k):
        count = np.zeros(shape)
        for j in range(i):
            count = count + (grids[j] == grids[i])
        out = out * (count * theta + (1.0 - theta) * freqs[rows, grids[i]]) / (1.0 + (i - 1) * theta)
    return out


@dataclass(frozen=True)
class _Op:
    """One einsum call: multiply the factors in ``operands`` (slot ids) and sum out what is no longer used."""

    operands: tuple[int, ...]
    subscripts: str
    rescale: bool


@dataclass(frozen=True)
class _Plan:
    ops: tuple[_Op, ...]
    final_operands: tuple[int, ...]
    final_subscripts: str
    scopes: tuple[tuple[int, ...], ...]  # scope of every slot, initial factors first
    # (number of all-allele axes, product of the other axis sizes) of every intermediate factor
    shapes: tuple[tuple[int, int], ...]


def _size_class(size: int) -> int:
    return size if size <= 2 else 64


def _subscripts(inputs: Sequence[tuple[int, ...]], output: tuple[int, ...]) -> str:
    """einsum subscripts; every operand carries the marker (batch) axis first, letter ``Z``."""
    names = sorted({u for s in inputs for u in s} | set(output))
    if len(names) > len(_LETTERS):
        raise LikelihoodError(
            f"one elimination step couples {len(names)} variables; the pedigree is too densely looped for "
            "exact computation"
        )
    letters = {u: _LETTERS[i] for i, u in enumerate(names)}
    terms = ",".join("Z" + "".join(letters[u] for u in s) for s in inputs)
    return terms + "->Z" + "".join(letters[u] for u in output)


@lru_cache(maxsize=4096)
def _make_plan(scopes: tuple[tuple[int, ...], ...], sizes: tuple[int, ...], keep: tuple[int, ...]) -> _Plan:
    """Greedy elimination order and the einsum calls that carry it out.

    At each step we sum out the variable whose new factor is smallest (ties: the cheaper loop), using the
    nominal sizes in ``sizes``. An elimination that multiplies more than two large factors is split into
    pairwise products in the order numpy's greedy path finder proposes.
    """
    slot_scopes: list[tuple[int, ...]] = list(scopes)
    live: dict[int, tuple[int, ...]] = dict(enumerate(scopes))
    remaining = {v for s in scopes for v in s} - set(keep)
    ops: list[_Op] = []

    # Small pedigrees cannot underflow float64 at one marker; long ones are rescaled after each elimination.
    check = len(scopes) > _RESCALE_FROM_FACTORS

    def emit(inputs: list[int], output: tuple[int, ...], rescale: bool) -> int:
        ops.append(
            _Op(tuple(inputs), _subscripts([slot_scopes[i] for i in inputs], output), rescale and check)
        )
        slot_scopes.append(output)
        return len(slot_scopes) - 1

    var_factors: dict[int, set[int]] = {}
    for fid, sc in live.items():
        for u in sc:
            var_factors.setdefault(u, set()).add(fid)

    def cost(v: int) -> tuple[int, int]:
        union: set[int] = set()
        for fid in var_factors[v]:
            union.update(live[fid])
        loop = math.prod(sizes[u] for u in union)
        return (loop // sizes[v], loop)

    costs = {v: cost(v) for v in remaining}
    while remaining:
        v = min(remaining, key=lambda u: (costs[u], u))
        best = (costs[v], v)
        remaining.discard(v)
        used = sorted(var_factors[v])
        inside = {u for fid in used for u in live[fid]}
        # Variables that occur only in these factors are summed out in the same call.
        gone = {v} | {u for u in inside & remaining if var_factors[u] <= set(used)}
        remaining -= gone
        out_scope = tuple(sorted(inside - gone))
        for fid in used:
            del live[fid]
        if len(used) > 2 and best[0][1] >= _PAIRWISE_FROM:
            dummies = [np.empty((1, *(sizes[u] for u in slot_scopes[fid]))) for fid in used]
            path = np.einsum_path(
                _subscripts([slot_scopes[f] for f in used], out_scope), *dummies, optimize="greedy"
            )[0]
            current = list(used)
            for k, pair in enumerate(path[1:]):
                picked = [current[i] for i in pair]
                for i in sorted(pair, reverse=True):
                    del current[i]
                needed = set(out_scope).union(*(slot_scopes[c] for c in current))
                last = k == len(path) - 2
                result = (
                    out_scope if last else tuple(sorted({u for f in picked for u in slot_scopes[f]} & needed))
                )
                current.append(emit(picked, result, last))
            new_slot = current[-1]
        else:
            new_slot = emit(used, out_scope, True)
        live[new_slot] = out_scope
        for u in inside:
            var_factors[u].difference_update(used)
            if u in out_scope:
                var_factors[u].add(new_slot)
        for u in out_scope:
            if u in remaining:
                costs[u] = cost(u)
    final = tuple(live)
    wide = _size_class(3)
    shapes = {
        (sum(sizes[u] == wide for u in sc), math.prod(sizes[u] for u in sc if sizes[u] != wide))
        for sc in slot_scopes[len(scopes) :]
    }
    return _Plan(
        tuple(ops),
        final,
        _subscripts([slot_scopes[f] for f in final], keep),
        tuple(slot_scopes),
        tuple(sorted(shapes)),
    )


def _run_plan(
    plan: _Plan, arrays: list[FloatArray], batch: int, keep_shape: tuple[int, ...]
) -> tuple[FloatArray, FloatArray]:
    """Execute an elimination plan; returns the kept factor (batch first) and its log10 scale per marker."""
    log10_scale = np.zeros(batch)
    einsum = contract
    for op in plan.ops:
        result = einsum(op.subscripts, *[arrays[i] for i in op.operands])
        if op.rescale and result.ndim > 0:
            top = result.reshape(batch, -1).max(axis=1) if result.ndim > 1 else result
            if float(top.min()) < _RESCALE_BELOW:
                scale = np.where((top > 0) & (top < _RESCALE_BELOW), top, 1.0)
                result = result / scale.reshape((batch,) + (1,) * (result.ndim - 1))
                log10_scale += np.log10(scale)
        arrays.append(result)
    if plan.final_operands:
        final = einsum(plan.final_subscripts, *[arrays[i] for i in plan.final_operands])
    else:
        final = np.ones((batch, *keep_shape))
    return np.asarray(final, dtype=np.float64), log10_scale


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
        return [
            (self.locus.alleles[i], self.locus.alleles[j])
            for i, j in zip(self.first, self.second, strict=True)
        ]


def _width_bucket(n: int) -> int:
    """Pad allele axes to one of a few widths (3, 5, 7, 9, 12, 16, 24, 32, 48, ...) so markers can share a
    batch. Small widths are odd numbers, close to the allele count: markers lumped to the alleles a family
    shows (:mod:`kinlink.genetics.lumping`) have 3 to 9, where padding would cost more than a batch."""
    if n <= 9:
        return max(n | 1, 3)
    width = 8
    while width < n:
        width = width * 3 // 2 if width & (width - 1) == 0 else width * 4 // 3
    return width


#: Markers of one typing pattern in different width buckets are padded to the widest when the batch holds
#: at most this many padded allele pairs (markers x width²): one pass then costs less than one per width.
MERGE_WIDTHS_ENTRIES = 4096


def _merge_widths(
    groups: dict[tuple[tuple[int, ...], int], list[int]],
) -> dict[tuple[tuple[int, ...], int], list[int]]:
    """Merge the width buckets of each typing pattern into the widest, for small batches (see
    :data:`MERGE_WIDTHS_ENTRIES`); zero-padding changes nothing in the sums."""
    by_modes: dict[tuple[int, ...], list[tuple[int, list[int]]]] = {}
    for (modes, width), members in groups.items():
        by_modes.setdefault(modes, []).append((width, members))
    if len(by_modes) == len(groups):
        return groups
    out: dict[tuple[tuple[int, ...], int], list[int]] = {}
    for modes, parts in by_modes.items():
        top = max(width for width, _ in parts)
        if len(parts) > 1 and sum(len(m) for _, m in parts) * top * top <= MERGE_WIDTHS_ENTRIES:
            out[(modes, top)] = sorted(b for _, members in parts for b in members)
        else:
            out.update(((modes, width), members) for width, members in parts)
    return out


@lru_cache(maxsize=128)
def _stacked(loci: tuple[Locus, ...], width: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Frequencies (B, W) and female / male mutation matrices (B, W, W), zero-padded to ``width``."""
    batch = len(loci)
    freqs = np.zeros((batch, width))
    female = np.zeros((batch, width, width))
    male = np.zeros((batch, width, width))
    for b, locus in enumerate(loci):
        n = locus.n_alleles
        freqs[b, :n] = locus.freqs
        f, m = locus.mutation_matrices()
        female[b, :n, :n] = np.eye(n) if f is None else f
        male[b, :n, :n] = np.eye(n) if m is None else m
    return freqs, female, male


def _gather(matrix: FloatArray, rows: IntArray | None, cols: IntArray | None) -> FloatArray:
    """``matrix[b][rows[b]][:, cols[b]]`` for every marker ``b``; ``None`` selects all alleles."""
    if rows is None and cols is None:
        return matrix
    bi = np.arange(matrix.shape[0])
    if cols is None:
        assert rows is not None
        return matrix[bi[:, None], rows]
    if rows is None:
        return matrix[bi[:, None, None], np.arange(matrix.shape[1])[None, :, None], cols[:, None, :]]
    return matrix[bi[:, None, None], rows[:, :, None], cols[:, None, :]]


def _pick(freqs: FloatArray, domain: IntArray | None) -> FloatArray:
    if domain is None:
        return freqs
    return freqs[np.arange(freqs.shape[0])[:, None], domain]


_UNTYPED, _EXACT, _FULL = 0, 1, 2


def _mode(obs: Observation | None, dropout: float) -> int:
    """How a person's alleles enter the computation at one marker (untyped, 2 candidates, all alleles)."""
    if obs is None or (obs[0] is None and obs[1] is None):
        return _UNTYPED
    if obs[0] is not None and obs[1] is not None and (dropout == 0.0 or obs[0] != obs[1]):
        return _EXACT
    return _FULL


class PedigreeLikelihood:
    """Exact likelihoods for one pedigree, for one marker or many markers at once.

    Observations map person ids to allele labels at a marker (``["15", "17"]``) or, for many markers,
    person id -> marker name -> labels; persons absent from the mapping are untyped. ``dropout`` maps
    person ids to their per-allele dropout probability (see :func:`evidence_table`).

    Markers with the same typing pattern are computed together: their arrays are stacked along a leading
    marker axis and zero-padded to a common allele count, which changes nothing in the sums.
    """

    def __init__(self, pedigree: Pedigree) -> None:
        self.pedigree = pedigree
        self._ids = pedigree.ids
        self._index = {pid: i for i, pid in enumerate(self._ids)}
        self._parents: list[tuple[int, int] | None] = []
        for p in pedigree:
            if p.father is None or p.mother is None:
                self._parents.append(None)
            else:
                self._parents.append((self._index[p.father], self._index[p.mother]))
        self._children: list[list[int]] = [[] for _ in self._ids]
        for child, pair in enumerate(self._parents):
            if pair is not None:
                self._children[pair[0]].append(child)
                self._children[pair[1]].append(child)
        self._ancestors: list[frozenset[int]] = []
        for pair in self._parents:  # parents come first, so their ancestor sets exist
            if pair is None:
                self._ancestors.append(frozenset())
            else:
                f, m = pair
                self._ancestors.append(self._ancestors[f] | self._ancestors[m] | {f, m})

    def _relevant(self, modes: tuple[int, ...], keep: int | None) -> tuple[bool, ...]:
        """Persons that matter: the typed, the kept person, and their ancestors.

        An untyped person without typed descendants contributes factors that sum to 1, so leaving them
        out is exact and saves work.
        """
        seeds = [i for i, m in enumerate(modes) if m != _UNTYPED]
        if keep is not None:
            seeds.append(keep)
        wanted: set[int] = set(seeds)
        for i in seeds:
            wanted |= self._ancestors[i]
        return tuple(i in wanted for i in range(len(modes)))

    # ------------------------------------------------------------------------------------ inputs

    def _observations(
        self, locus: Locus, genotypes: Mapping[str, Sequence[str] | Observation]
    ) -> dict[int, Observation]:
        obs: dict[int, Observation] = {}
        for pid, g in genotypes.items():
            if pid not in self._index:
                raise LikelihoodError(f"person {pid!r} has a genotype but is not in the pedigree")
            if (
                isinstance(g, tuple)
                and len(g) == 2
                and all(x is None or isinstance(x, (int, np.integer)) for x in g)
            ):
                o: Observation = (None if g[0] is None else int(g[0]), None if g[1] is None else int(g[1]))
            else:
                o = observation(locus, g)  # type: ignore[arg-type]
            if is_typed(o):
                obs[self._index[pid]] = o
        return obs

    @staticmethod
    def _one(locus: Locus, g: Sequence[str] | Observation | None) -> Observation:
        if g is None:
            return (None, None)
        if (
            isinstance(g, tuple)
            and len(g) == 2
            and all(x is None or isinstance(x, (int, np.integer)) for x in g)
        ):
            return (None if g[0] is None else int(g[0]), None if g[1] is None else int(g[1]))
        return observation(locus, g)  # type: ignore[arg-type]

    def _dropout(self, dropout: Mapping[str, float] | None) -> list[float]:
        values = [0.0] * len(self._ids)
        for pid, d in (dropout or {}).items():
            if pid in self._index:
                if not 0.0 <= d < 1.0:
                    raise LikelihoodError(f"person {pid}: dropout probability must be in [0, 1), got {d}")
                values[self._index[pid]] = float(d)
        return values

    # ------------------------------------------------------------------------------------ engine

    def _compute(
        self,
        loci: Sequence[Locus],
        observations: Sequence[Mapping[int, Observation]],
        dropout: Sequence[float],
        theta: float,
        keep: int | None,
        leaves: frozenset[int] = frozenset(),
    ) -> list[tuple[FloatArray, float]]:
        """Per marker: the kept factor (``keep``'s ordered allele pairs, n x n; or a 0-d value) and its
        log10 scale.

        ``leaves`` are persons without children who are typed at some markers and not at others (theta 0,
        no dropout): where one is untyped it enters as a *stand-in*, typed ``{0, 0}`` with transmission
        and founder factors replaced by an indicator on that allele, which sums to 1 exactly as leaving
        an untyped leaf out does. Markers where such a leaf is typed and where it is not then share one
        typing pattern and are computed in one batch."""
        groups: dict[tuple[tuple[int, ...], int], list[int]] = {}
        blank = [_UNTYPED] * len(self._ids)
        for i in leaves:
            blank[i] = _EXACT
        for b, locus in enumerate(loci):
            obs = observations[b]
            pattern = list(blank)
            for i, o in obs.items():
                pattern[i] = _mode(o, dropout[i])
            if keep is not None:
                pattern[keep] = _UNTYPED
            modes = tuple(pattern)
            needs_width = keep is not None or any(m != _EXACT for m in modes)
            width = _width_bucket(locus.n_alleles) if needs_width else 0
            groups.setdefault((modes, width), []).append(b)
        groups = _merge_widths(groups)
        out: list[tuple[FloatArray, float]] = [(np.zeros(0), 0.0)] * len(loci)
        for (modes, width), members in groups.items():
            batch_loci = tuple(loci[b] for b in members)
            if width == 0:
                width = max(locus.n_alleles for locus in batch_loci)
            kept, scale = self._run_batch(
                batch_loci, [observations[b] for b in members], modes, width, dropout, theta, keep, leaves
            )
            for k, b in enumerate(members):
                n = loci[b].n_alleles
                value = kept[k] if keep is None else kept[k][:n, :n]
                out[b] = (value, float(scale[k]))
        return out

    def _run_batch(
        self,
        loci: tuple[Locus, ...],
        observations: Sequence[Mapping[int, Observation]],
        modes: tuple[int, ...],
        width: int,
        dropout: Sequence[float],
        theta: float,
        keep: int | None,
        leaves: frozenset[int] = frozenset(),
    ) -> tuple[FloatArray, FloatArray]:
        batch = len(loci)
        freqs, female, male = _stacked(loci, width)
        # rows where a leaf is a stand-in for "untyped" (see :meth:`_compute`)
        stand_in: dict[int, IntArray] = {}
        for i in leaves:
            if modes[i] == _EXACT:
                rows = np.array([b for b in range(batch) if i not in observations[b]], dtype=np.intp)
                if rows.size:
                    stand_in[i] = rows
        domains: list[IntArray | None] = []
        evidence: list[FloatArray | None] = []
        for i, mode in enumerate(modes):
            if mode == _UNTYPED:
                domains.extend((None, None))
                evidence.append(None)
            elif mode == _EXACT:
                pairs = np.array([observations[b].get(i, (0, 0)) for b in range(batch)], dtype=np.intp)
                domains.extend((pairs, pairs))
                het = pairs[:, 0] != pairs[:, 1]
                e = np.zeros((batch, 2, 2))
                w = (1.0 - dropout[i]) ** 2
                e[:, 0, 1] = e[:, 1, 0] = np.where(het, w, 0.0)
                e[:, 0, 0] = np.where(het, 0.0, 1.0)
                evidence.append(e)
            else:
                domains.extend((None, None))
                e = np.zeros((batch, width, width))
                for b in range(batch):
                    n = loci[b].n_alleles
                    table = evidence_table(n, observations[b].get(i, (None, None)), dropout[i])
                    e[b, :n, :n] = 1.0 if table is None else table
                evidence.append(e)
        sizes: list[int] = [width if d is None else 2 for d in domains]
        scopes: list[tuple[int, ...]] = []
        arrays: list[FloatArray] = []
        founder_vars: list[int] = []
        # Priors of untyped founders' alleles, multiplied into the first factor that uses the allele.
        prior: dict[int, FloatArray] = {}
        relevant = self._relevant(modes, keep)
        for i in range(len(modes)):
            if not relevant[i]:
                continue
            vp, vm = 2 * i, 2 * i + 1
            ev = evidence[i]
            parents = self._parents[i]
            if parents is None:
                if theta > 0:
                    if ev is not None or i == keep or any(relevant[c] for c in self._children[i]):
                        founder_vars.extend((vp, vm))  # a kept founder's alleles are drawn with the others
                    if ev is not None:
                        scopes.append((vp, vm))
                        arrays.append(ev)
                    continue
                fp, fm = _pick(freqs, domains[vp]), _pick(freqs, domains[vm])
                if ev is None:
                    prior[vp], prior[vm] = fp, fm
                else:
                    scopes.append((vp, vm))
                    founder = fp[:, :, None] * fm[:, None, :] * ev
                    if i in stand_in:
                        founder[stand_in[i]] = ev[stand_in[i]]
                    arrays.append(founder)
                continue
            for parent, child_var, matrix in ((parents[0], vp, male), (parents[1], vm, female)):
                pp, pm, dc = domains[2 * parent], domains[2 * parent + 1], domains[child_var]
                a = _gather(matrix, pp, dc)
                b_ = _gather(matrix, pm, dc)
                if i in stand_in:  # the stand-in takes allele slot 0 whatever the parents carry
                    a, b_ = a.copy(), b_.copy()
                    for t in (a, b_):
                        t[stand_in[i]] = 0.0
                        t[stand_in[i], :, 0] = 1.0
                if modes[parent] == _EXACT:
                    scopes.append((2 * parent, 2 * parent + 1, child_var))
                    arrays.append(0.5 * (a[:, :, None, :] + b_[:, None, :, :]))
                else:
                    s = len(sizes)
                    sizes.append(2)
                    u = np.empty((batch, a.shape[1], 2, a.shape[2]))
                    u[:, :, 0, :] = 0.5 * a
                    u[:, :, 1, :] = 0.5
                    v = np.empty((batch, b_.shape[1], 2, b_.shape[2]))
                    v[:, :, 0, :] = 1.0
                    v[:, :, 1, :] = b_
                    if 2 * parent in prior:
                        u *= prior.pop(2 * parent)[:, :, None, None]
                    if 2 * parent + 1 in prior:
                        v *= prior.pop(2 * parent + 1)[:, :, None, None]
                    scopes.extend(((2 * parent, s, child_var), (2 * parent + 1, s, child_var)))
                    arrays.extend((u, v))
            if ev is not None:
                scopes.append((vp, vm))
                arrays.append(ev)
        for var, p in prior.items():  # founders whose alleles nobody inherits in this pedigree
            scopes.append((var,))
            arrays.append(p)
        if founder_vars:
            full = np.broadcast_to(np.arange(width, dtype=np.intp), (batch, width))
            bn_domains = [full if domains[v] is None else domains[v] for v in founder_vars]
            scopes.append(tuple(founder_vars))
            arrays.append(_balding_nichols_batch(bn_domains, freqs, theta))  # type: ignore[arg-type]
        keep_vars = () if keep is None else (2 * keep, 2 * keep + 1)
        plan = _make_plan(tuple(scopes), tuple(_size_class(x) for x in sizes), keep_vars)
        for n_wide, rest in plan.shapes:
            size = batch * rest * width**n_wide
            if size > MAX_FACTOR_ENTRIES:
                raise LikelihoodError(
                    f"an intermediate factor would hold {size:.3g} entries; the pedigree has too many "
                    "untyped members in a loop for exact computation"
                )
        return _run_plan(plan, arrays, batch, tuple(sizes[v] for v in keep_vars))

    # ------------------------------------------------------------------------------------ one marker

    def log10_likelihood(
        self,
        locus: Locus,
        genotypes: Mapping[str, Sequence[str] | Observation],
        dropout: Mapping[str, float] | None = None,
        theta: float = 0.0,
    ) -> float:
        """log10 of the probability of the observed genotypes at one marker (``-inf`` when impossible)."""
        obs = self._observations(locus, genotypes)
        ((value, scale),) = self._compute([locus], [obs], self._dropout(dropout), theta, None)
        v = float(value)
        return -math.inf if v <= 0.0 else math.log10(v) + scale

    def likelihood(
        self,
        locus: Locus,
        genotypes: Mapping[str, Sequence[str] | Observation],
        dropout: Mapping[str, float] | None = None,
        theta: float = 0.0,
    ) -> float:
        """Probability of the observed genotypes at one marker (exactly 0 when they are impossible)."""
        obs = self._observations(locus, genotypes)
        ((value, scale),) = self._compute([locus], [obs], self._dropout(dropout), theta, None)
        return float(value) * 10.0**scale

    def genotype_distribution(
        self,
        locus: Locus,
        genotypes: Mapping[str, Sequence[str] | Observation],
        person: str,
        dropout: Mapping[str, float] | None = None,
        theta: float = 0.0,
    ) -> GenotypeDistribution:
        """Predictive distribution of ``person``'s unordered genotype given the others' data at one marker.

        ``person``'s own observation, if any, is ignored. The probabilities sum to 1 (unless the others'
        data are impossible, when all are 0 and ``log10_likelihood`` is ``-inf``).
        """
        return self.genotype_distributions(
            [locus], {pid: {locus.name: g} for pid, g in genotypes.items()}, person, dropout, theta
        )[0]

    # ------------------------------------------------------------------------------------ many markers

    def _profiles(
        self, loci: Sequence[Locus], profiles: Mapping[str, Mapping[str, Sequence[str] | Observation]]
    ) -> list[dict[int, Observation]]:
        out: list[dict[int, Observation]] = []
        for locus in loci:
            per = {pid: prof[locus.name] for pid, prof in profiles.items() if locus.name in prof}
            out.append(self._observations(locus, per))
        return out

    def log10_likelihoods(
        self,
        loci: Sequence[Locus],
        profiles: Mapping[str, Mapping[str, Sequence[str] | Observation]],
        dropout: Mapping[str, float] | None = None,
        theta: float = 0.0,
    ) -> FloatArray:
        """log10 likelihood per marker; ``profiles`` maps person id -> marker name -> allele labels."""
        results = self._compute(loci, self._profiles(loci, profiles), self._dropout(dropout), theta, None)
        return np.array([-math.inf if float(v) <= 0 else math.log10(float(v)) + s for v, s in results])

    def _set_observations(
        self,
        loci: Sequence[Locus],
        profile_sets: Sequence[Mapping[str, Mapping[str, Sequence[str] | Observation]]],
        skip: int | None = None,
    ) -> list[dict[int, Observation]]:
        """Typed observations per set and marker (sets one after the other), leaving out person ``skip``."""
        observations: list[dict[int, Observation]] = []
        parsed: dict[int, tuple[Mapping[str, Sequence[str] | Observation], list[Observation]]] = {}
        for profiles in profile_sets:
            per_marker: list[dict[int, Observation]] = [{} for _ in loci]
            for pid, profile in profiles.items():
                if pid not in self._index:
                    raise LikelihoodError(f"person {pid!r} has a genotype but is not in the pedigree")
                i = self._index[pid]
                if i == skip:
                    continue
                # a profile shared by many sets (the references) is parsed once
                cached = parsed.get(id(profile))
                if cached is None or cached[0] is not profile:
                    cached = (profile, [self._one(locus, profile.get(locus.name)) for locus in loci])
                    parsed[id(profile)] = cached
                for b, o in enumerate(cached[1]):
                    if o[0] is not None or o[1] is not None:
                        per_marker[b][i] = o
            observations.extend(per_marker)
        return observations

    def log10_likelihoods_batch(
        self,
        loci: Sequence[Locus],
        profile_sets: Sequence[Mapping[str, Mapping[str, Sequence[str] | Observation]]],
        variable: Sequence[str] = (),
    ) -> FloatArray:
        """:meth:`log10_likelihoods` for many sets of profiles at once: shape (sets, markers).

        Sets with the same typing pattern at a marker are stacked along the marker axis and eliminated
        together. Persons listed in ``variable`` (typed in some sets, untyped in others) who have no
        children enter untyped sets as stand-ins (see :meth:`_compute`), so they do not split the sets into
        patterns: a thousand variants of a family cost a few hundred ``einsum`` calls instead of a thousand
        times that (theta 0, no dropout)."""
        unknown = [p for p in variable if p not in self._index]
        if unknown:
            raise LikelihoodError(f"persons {unknown} are not in the pedigree")
        leaves = frozenset(self._index[p] for p in variable if not self._children[self._index[p]])
        if not profile_sets:
            return np.zeros((0, len(loci)))
        flat_loci = list(loci) * len(profile_sets)
        observations = self._set_observations(loci, profile_sets)
        results = self._compute(flat_loci, observations, self._dropout(None), 0.0, None, leaves)
        values = np.array([float(v) for v, _ in results])
        scales = np.array([s for _, s in results])
        with np.errstate(divide="ignore"):
            out = np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)) + scales, -np.inf)
        return out.reshape(len(profile_sets), len(loci))

    def kept_factors_batch(
        self,
        loci: Sequence[Locus],
        profile_sets: Sequence[Mapping[str, Mapping[str, Sequence[str] | Observation]]],
        person: str,
        variable: Sequence[str] = (),
    ) -> list[list[tuple[FloatArray, float]]]:
        """Per set and marker: ``K[a, b] = Pr(the set's data, person's paternal allele a and maternal
        allele b)`` (n x n, not normalised) as ``(K / 10**scale, scale)``, ``person`` untyped whatever the set
        says (theta 0, no dropout).

        The likelihood of a set with ``person`` typed as one more profile is ``sum E * K`` times
        ``10**scale``, where ``E[a, b]`` is the ordered evidence of that profile (:func:`evidence_table`):
        one computation gives the likelihoods of every profile ``person`` may be given. Sets are stacked as
        in :meth:`log10_likelihoods_batch` (``variable``: childless persons typed in some sets only)."""
        for p in (*variable, person):
            if p not in self._index:
                raise LikelihoodError(f"person {p!r} is not in the pedigree")
        x = self._index[person]
        leaves = frozenset(
            self._index[p] for p in variable if p != person and not self._children[self._index[p]]
        )
        flat_loci = list(loci) * len(profile_sets)
        observations = self._set_observations(loci, profile_sets, skip=x)
        results = self._compute(flat_loci, observations, self._dropout(None), 0.0, x, leaves)
        n = len(loci)
        return [results[k * n : (k + 1) * n] for k in range(len(profile_sets))]

    def genotype_distributions(
        self,
        loci: Sequence[Locus],
        profiles: Mapping[str, Mapping[str, Sequence[str] | Observation]],
        person: str,
        dropout: Mapping[str, float] | None = None,
        theta: float = 0.0,
    ) -> list[GenotypeDistribution]:
        """:meth:`genotype_distribution` for many markers at once (one elimination per typing pattern)."""
        out = []
        for locus, (ordered, log10_total) in zip(
            loci, self.ordered_distributions(loci, profiles, person, dropout, theta), strict=True
        ):
            i, j = genotype_pairs(locus.n_alleles)
            unordered = ordered[i, j] + np.where(i != j, ordered[j, i], 0.0)
            out.append(GenotypeDistribution(locus, i, j, unordered, log10_total))
        return out

    def ordered_distributions(
        self,
        loci: Sequence[Locus],
        profiles: Mapping[str, Mapping[str, Sequence[str] | Observation]],
        person: str,
        dropout: Mapping[str, float] | None = None,
        theta: float = 0.0,
    ) -> list[tuple[FloatArray, float]]:
        """Per marker: ``W[a, b] = Pr(person's paternal allele a, maternal allele b | others' data)`` (an
        n x n array summing to 1, all zero when the others' data are impossible) and the log10 likelihood
        of the others' data. The unordered genotype ``{a, b}`` has probability ``W[a, b] + W[b, a]``."""
        return ordered_distributions_batch([OrderedRequest(self, loci, profiles, person, dropout)], theta)[0]

    @property
    def shape(self) -> tuple[tuple[int, int] | None, ...]:
        """The parents (father, mother) of every member by position, ``None`` for a founder: two pedigrees
        of the same shape are the same computation once their members are numbered."""
        return tuple(self._parents)


# Requests computed together: pedigree shape, position of the person asked about, dropout per position.
_BatchKey = tuple[tuple[tuple[int, int] | None, ...], int, tuple[float, ...]]


@dataclass(frozen=True)
class OrderedRequest:
    """A question for :meth:`PedigreeLikelihood.ordered_distributions`, one of a batch."""

    model: PedigreeLikelihood
    loci: Sequence[Locus]
    profiles: Mapping[str, Mapping[str, Sequence[str] | Observation]]
    person: str
    dropout: Mapping[str, float] | None = None


def ordered_distributions_batch(
    requests: Sequence[OrderedRequest], theta: float = 0.0
) -> list[list[tuple[FloatArray, float]]]:
    """:meth:`PedigreeLikelihood.ordered_distributions` of many requests (families, cases) at once.

    Requests whose pedigrees have the same :attr:`~PedigreeLikelihood.shape`, the same position of
    ``person`` and the same dropout per position are one computation: their markers are stacked along the
    marker axis exactly as the markers of one family are, so a batch of cases pays the per-step cost of
    the elimination once per shape and typing pattern instead of once per case. Each marker's numbers are
    those of its own request alone (every sum runs within one marker).
    """
    groups: dict[_BatchKey, list[tuple[int, list[dict[int, Observation]]]]] = {}
    for k, request in enumerate(requests):
        model = request.model
        if request.person not in model._index:
            raise LikelihoodError(f"person {request.person!r} is not in the pedigree")
        x = model._index[request.person]
        observations = model._profiles(request.loci, request.profiles)
        for obs in observations:
            obs.pop(x, None)
        key = (model.shape, x, tuple(model._dropout(request.dropout)))
        groups.setdefault(key, []).append((k, observations))
    out: list[list[tuple[FloatArray, float]]] = [[] for _ in requests]
    for (_, x, dropout), members in groups.items():
        for chunk in _chunks(members, requests):
            first = requests[chunk[0][0]].model
            loci = [locus for k, _ in chunk for locus in requests[k].loci]
            observations = [obs for _, per_marker in chunk for obs in per_marker]
            try:
                kept = iter(first._compute(loci, observations, dropout, theta, x))
            except LikelihoodError:
                if len(chunk) == 1:
                    raise
                # A factor too large for the chunk may fit for each request alone (as before batching).
                kept = iter(
                    [
                        value
                        for k, per_marker in chunk
                        for value in first._compute(requests[k].loci, per_marker, dropout, theta, x)
                    ]
                )
            for k, per_marker in chunk:
                for ordered, scale in itertools.islice(kept, len(per_marker)):
                    total = float(ordered.sum())
                    if total <= 0:
                        out[k].append((ordered, -math.inf))
                    else:
                        out[k].append((ordered / total, math.log10(total) + scale))
    return out


# Requests computed together hold at most this many padded allele pairs (the sum of width² over their
# markers), so that the arrays of a batch stay small however many cases share a shape.
BATCH_ENTRIES = 2_000_000


def _chunks(
    members: list[tuple[int, list[dict[int, Observation]]]], requests: Sequence[OrderedRequest]
) -> list[list[tuple[int, list[dict[int, Observation]]]]]:
    chunks: list[list[tuple[int, list[dict[int, Observation]]]]] = []
    size = 0
    for member in members:
        entries = sum(_width_bucket(locus.n_alleles) ** 2 for locus in requests[member[0]].loci)
        if not chunks or size + entries > BATCH_ENTRIES:
            chunks.append([])
            size = 0
        chunks[-1].append(member)
        size += entries
    return chunks


def hardy_weinberg(locus: Locus) -> FloatArray:
    """Population genotype probabilities (theta = 0) in :func:`genotype_pairs` order."""
    p = locus.freqs
    i, j = genotype_pairs(locus.n_alleles)
    return np.where(i == j, p[i] * p[j], 2.0 * p[i] * p[j])


def evidence_vector(
    locus: Locus, labels: Sequence[str] | Observation | None, dropout: float = 0.0
) -> FloatArray:
    """``Pr(observation | genotype)`` for every unordered genotype (:func:`genotype_pairs` order)."""
    if labels is None:
        obs: Observation = (None, None)
    elif isinstance(labels, tuple) and all(x is None or isinstance(x, (int, np.integer)) for x in labels):
        obs = labels
    else:
        obs = observation(locus, labels)  # type: ignore[arg-type]
    n = locus.n_alleles
    e = evidence_table(n, obs, dropout)
    if e is None:
        return np.ones(n * (n + 1) // 2)
    i, j = genotype_pairs(n)
    return np.asarray(e[i, j], dtype=np.float64)
