"""All-against-all DNA screening of remains against families, re-checked by the exact engine.

Method (theta = 0 here; theta > 0 below; markers independent). For a family with references ``R`` and a
missing person ``MP``, the exact likelihood ratio of a set of remains with observation ``o_m`` at marker
``m`` is

    LR = prod_m  sum_g Pr(MP = g | R) Pr(o_m | g)  /  sum_g HW(g) Pr(o_m | g).

We precompute, once per (family, missing person) ("target"), the exact posterior genotype distribution of
the missing person at every marker with :class:`~kinlink.genetics.likelihood.PedigreeLikelihood`
(mutation included), and store per marker a row of log10 ratios, the *table*:

* one column per unordered genotype ``g``: ``log10(Pr(MP = g | R) / HW(g))``; a fully typed marker of the
  remains is one look-up, exact;
* one column per allele ``a``: ``log10(sum_{g contains a} Pr(MP = g | R) / sum_{g contains a} HW(g))``,
  the LR of a one-allele call ``a, -`` (the other allele not called);
* one column holding 0, used by untyped markers (LR 1).

A homozygous-looking call ``a, a`` of remains with a per-allele dropout probability ``d > 0`` has the exact
LR ``w r_aa + (1 - w) r_a`` with ``w = HW(aa) / (HW(aa) + d Pr_HW(a in g))`` (a derivation is in
docs/methods/screening.md); the kernel evaluates it with a log-sum of two look-ups. So the screening score
equals the exact log10 LR for every kind of remains observation the engine knows, up to the floating
point precision of the tables (float32 by default: about 1e-5 in log10 for 23 markers). Shortlisting
uses the threshold lowered by ``margin`` (0.01 in log10) so rounding cannot lose a pair, and every
shortlisted pair at or above the threshold is re-checked with
:func:`kinlink.genetics.kinship.missing_person_lr`, whose LR is the one reported.

Families with the same pedigree shape are precomputed together, each distinct set of reference calls of a
marker once. Nuclear families (parents and children, MP among them: every usual reference configuration)
use the batched exact closed form of :mod:`kinlink.genetics.nuclear`; every other pedigree without loops
(grandparents, half siblings, uncles, cousins, and combinations) the batched exact peeling of
:mod:`kinlink.genetics.peeling`; pedigrees with loops fall back to the exact engine, with the markers of
many families stacked on the batch axis of one variable elimination.

Theta > 0 (:attr:`ScreeningPanel.theta`, Balding–Nichols): the remains under H2 are an unrelated member
``U`` of the family's subpopulation, so the denominator is ``sum_g Pr(U = g | R) Pr(o_m | g)``; the exact
engine gives both distributions (an extra person ``U`` in the pedigree) and the columns are ratios against
``U`` instead of HW. The dropout weight ``w`` of a homozygous call then depends on the target: one more
column per allele holds ``log10(Pr(U carries a | R) / Pr(U = aa | R))`` and the kernel computes ``w`` from
it (``col3`` of the remains' code). Every shape takes the exact engine when theta > 0. The screening kernel
(numba, parallel over targets) scores a block of targets against a block of remains:
``score[t, r] = sum_m table[t, col(r, m)]``.

Incremental: :class:`ScreeningIndex` remembers what has been screened. New remains are screened against
all targets, new targets against all remains, and a family whose references change is re-screened; the
top-k lists stay exact (a remains that loses an entry is re-screened in full).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from kinlink.genetics import likelihood as _likelihood
from kinlink.genetics.kinship import POI_ID, KinshipCase, missing_person_lr
from kinlink.genetics.likelihood import (
    LikelihoodError,
    Observation,
    PedigreeLikelihood,
    genotype_index,
    genotype_pairs,
    hardy_weinberg,
    observation,
)
from kinlink.genetics.markers import FrequencyDatabase, Locus, UnknownAlleleError, is_untyped
from kinlink.genetics.mutation import MarkerMutation
from kinlink.genetics.nuclear import MAX_CHILDREN, NuclearShape, marker_columns, nuclear_shape
from kinlink.genetics.pedigree import Pedigree, Person
from kinlink.genetics.peeling import Schedule, TreePlan, tree_plan
from kinlink.genetics.peeling import ordered_distributions as tree_distributions
from kinlink.genetics.peeling import patterns as peeling_patterns
from kinlink.genetics.peeling import table_columns as tree_columns

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Profile = Mapping[str, Sequence[str]]
#: Encoded remains as the kernels take them: col1, col2, lw1, lw2, col3 (see :class:`RemainsCode`).
Codes = tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]

DEFAULT_MARGIN = 0.01  # log10 units subtracted from the threshold when shortlisting
_FAMILY_CHUNK_ENTRIES = 8192  # markers x families per variable elimination
_BLOCK_ROWS = 2048  # targets per table block
_TREE_CHUNK = 1024  # families per batched peeling call


class ScreeningError(ValueError):
    """Input that cannot be screened; the message names the family, sample and marker."""


# ------------------------------------------------------------------------------------------------ panel


@dataclass(frozen=True, eq=False)
class ScreeningPanel:
    """The markers screened, with a fixed allele order each, and the layout of a target's table row.

    Row layout per marker ``m`` (``n`` alleles, ``G = n (n + 1) / 2`` genotypes), starting at
    ``offsets[m]``: ``G`` genotype columns, ``n`` one-allele columns, one zero column, and with ``theta`` > 0
    ``n`` dropout columns (see the module docstring).

    ``theta``: the Balding–Nichols coancestry coefficient of every founder and of the remains under H2.
    """

    loci: tuple[Locus, ...]
    notes: tuple[str, ...] = ()
    theta: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.theta < 1.0:
            raise ScreeningError(f"theta must be in [0, 1), got {self.theta}")
        extra = 1 if self.theta > 0 else 0
        sizes = [
            locus.n_alleles * (locus.n_alleles + 1) // 2 + (1 + extra) * locus.n_alleles + 1
            for locus in self.loci
        ]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if sizes else np.zeros(0)
        object.__setattr__(self, "_offsets", offsets.astype(np.int64))
        object.__setattr__(self, "_width", int(sum(sizes)))

    @property
    def markers(self) -> list[str]:
        return [locus.name for locus in self.loci]

    @property
    def offsets(self) -> IntArray:
        """Start column of every marker in a table row."""
        return self.__dict__["_offsets"]

    @property
    def width(self) -> int:
        """Columns of a table row."""
        return int(self.__dict__["_width"])

    def columns(self, m: int) -> int:
        n = self.loci[m].n_alleles
        return n * (n + 1) // 2 + (2 if self.theta > 0 else 1) * n + 1

    @classmethod
    def build(
        cls,
        database: FrequencyDatabase,
        profiles: Iterable[Profile],
        markers: Sequence[str] | None = None,
        mutation: MarkerMutation | Mapping[str, MarkerMutation] | None = None,
        theta: float = 0.0,
    ) -> ScreeningPanel:
        """Panel of ``markers`` (default: all database markers typed in ``profiles``).

        Alleles observed in ``profiles`` but absent from the database are added at the floor frequency
        and the table renormalised, once for all pairs, with a note (the exact re-check uses the same loci).
        """
        profiles = list(profiles)
        typed = {m for p in profiles for m, g in p.items() if any(not is_untyped(a) for a in g)}
        names = list(markers) if markers is not None else [m for m in database.names() if m in typed]
        unknown = sorted(set(names) - set(database.names()))
        if unknown:
            raise ScreeningError(f"markers {unknown} are not in the frequency database")
        notes: list[str] = []
        skipped = sorted(typed - set(names))
        if skipped:
            notes.append(f"markers {skipped} are typed but not screened (not in the frequency database)")
        loci = []
        for name in names:
            locus = database[name]
            if isinstance(mutation, MarkerMutation):
                locus = locus.with_mutation(mutation)
            elif mutation is not None and name in mutation:
                locus = locus.with_mutation(mutation[name])
            seen = [a for p in profiles for a in p.get(name, ())]
            locus, added = locus.with_alleles(seen)
            if np.any(locus.freqs <= 0):
                raise ScreeningError(f"marker {name}: allele frequencies must be positive for screening")
            loci.append(locus)
            notes.extend(added)
        return cls(tuple(loci), tuple([*database.notes, *notes]), float(theta))


# ------------------------------------------------------------------------------------------------ families


@dataclass
class Family:
    """A family: pedigree, its missing members and the reference profiles of typed members.

    ``references`` maps pedigree member id -> marker -> two allele labels; ``samples`` maps member id to
    the lab's sample code (for reports).
    """

    id: str
    pedigree: Pedigree
    missing: list[str]
    references: dict[str, dict[str, list[str]]]
    samples: dict[str, str] = field(default_factory=dict)

    def shape(self, missing: str) -> tuple[Any, ...]:
        """Pedigree shape: sexes and parent positions in pedigree order, and the missing person's position."""
        ids = self.pedigree.ids
        pos = {pid: i for i, pid in enumerate(ids)}
        members = tuple(
            (
                p.sex,
                -1 if p.father is None else pos[p.father],
                -1 if p.mother is None else pos[p.mother],
            )
            for p in self.pedigree
        )
        return (members, pos[missing])


@dataclass(frozen=True)
class Target:
    """One (family, missing person) pair that remains are screened against."""

    family: str
    missing: str


def _observe(locus: Locus, labels: Sequence[str] | None, what: str) -> Observation:
    try:
        return observation(locus, labels)
    except (UnknownAlleleError, ValueError) as exc:
        raise ScreeningError(f"{what}, marker {locus.name}: {exc}") from exc


def family_tables(
    panel: ScreeningPanel,
    families: Sequence[Family],
    dtype: type = np.float32,
    workers: int = 1,
    fast: bool = True,
) -> tuple[list[Target], NDArray[Any], list[str]]:
    """Table rows (targets x ``panel.width``) of log10 ratios for every missing person of ``families``.

    Families are grouped by pedigree shape (sexes, parent links, position of the missing person). A group
    whose shape is a nuclear family (see :mod:`kinlink.genetics.nuclear`) is computed by the batched
    closed form, parallel over families (``fast``; exact). Any other group falls back to the exact engine:
    one variable elimination per marker and distinct set of reference observations (``workers`` > 1: in
    that many forked processes). ``fast=False`` sends every group to the exact engine (for checks).
    Returns the targets (in row order), the rows and notes (for example families whose references are
    Mendelian-inconsistent: their rows are all ``-inf``).
    """
    jobs: dict[tuple[Any, ...], list[tuple[Family, str]]] = {}
    for fam in families:
        for mp in fam.missing:
            if mp not in fam.pedigree:
                raise ScreeningError(f"family {fam.id}: missing person {mp!r} is not in the pedigree")
            if mp in fam.references:
                raise ScreeningError(f"family {fam.id}: missing person {mp!r} has a reference profile")
            jobs.setdefault(fam.shape(mp), []).append((fam, mp))
    targets: list[Target] = []
    notes: list[str] = []
    table: NDArray[Any] = np.empty((sum(len(m) for m in jobs.values()), panel.width), dtype=dtype)
    start = 0
    for members in jobs.values():
        ok: NDArray[np.bool_] | None
        block = table[start : start + len(members)]
        start += len(members)
        pedigree = members[0][0].pedigree
        fast_here = fast and panel.theta == 0.0  # theta couples every founder: the exact engine only
        shape = nuclear_shape(pedigree, members[0][1]) if fast_here else None
        plan = tree_plan(pedigree, members[0][1]) if fast_here and shape is None else None
        if shape is not None and len(shape.children) <= MAX_CHILDREN:
            ok = _nuclear_rows(panel, shape, members, block)
        elif plan is not None and (ok_tree := _tree_rows(panel, plan, members, block)) is not None:
            ok = ok_tree
        else:
            try:
                ok = _exact_rows(panel, pedigree, pedigree.ids.index(members[0][1]), members, block, workers)
            except (LikelihoodError, MemoryError):
                if panel.theta == 0.0:
                    raise
                ok = None  # the theta factor over this pedigree's founders is too large for memory
        for k, (fam, mp) in enumerate(members):
            if ok is None:
                block[k] = -np.inf
                notes.append(
                    f"family {fam.id}, missing {mp}: the theta correction couples too many untyped founders "
                    "of this pedigree for an exact computation; not screened (screen it with theta = 0)"
                )
            elif not ok[k]:
                block[k] = -np.inf
                notes.append(
                    f"family {fam.id}, missing {mp}: references are impossible at some marker (Mendelian "
                    "inconsistency without a mutation model); not screened"
                )
            targets.append(Target(fam.id, mp))
    return targets, table, notes


def _check_references(fam: Family, position: Mapping[str, int]) -> None:
    for pid in fam.references:
        if pid not in position:
            raise ScreeningError(f"family {fam.id}: reference {pid!r} is not in the pedigree")


def _reference_observations(
    panel: ScreeningPanel, members: Sequence[tuple[Family, str]]
) -> NDArray[np.int32]:
    """Allele indices (markers, families, persons, 2) of the references of ``members`` (-1: not called)."""
    n_persons = len(members[0][0].pedigree.ids)
    out = np.full((len(panel.loci), len(members), n_persons, 2), -1, dtype=np.int32)
    names = panel.markers
    parsed: list[dict[tuple[str, ...], tuple[int, int]]] = [{} for _ in panel.loci]
    untyped = (-1, -1)
    fam_rows: list[int] = []
    person_rows: list[int] = []
    calls: list[list[tuple[int, int]]] = []
    for k, (fam, _mp) in enumerate(members):
        position = {pid: i for i, pid in enumerate(fam.pedigree.ids)}
        _check_references(fam, position)
        for pid, prof in fam.references.items():
            row: list[tuple[int, int]] = []
            for m, name in enumerate(names):
                labels = prof.get(name)
                if not labels:
                    row.append(untyped)
                    continue
                key = (labels[0], labels[-1]) if len(labels) <= 2 else tuple(labels)
                o = parsed[m].get(key)
                if o is None:
                    a, b = _observe(panel.loci[m], labels, f"family {fam.id}, reference {pid}")
                    o = parsed[m][key] = (-1 if a is None else a, -1 if b is None else b)
                row.append(o)
            fam_rows.append(k)
            person_rows.append(position[pid])
            calls.append(row)
    if calls:
        values = np.array(calls, dtype=np.int32)  # (references, markers, 2)
        out[:, np.array(fam_rows), np.array(person_rows), :] = values.transpose(1, 0, 2)
    return out


def _nuclear_rows(
    panel: ScreeningPanel, shape: NuclearShape, members: Sequence[tuple[Family, str]], block: NDArray[Any]
) -> NDArray[np.bool_]:
    """Fill ``block`` for families of one nuclear shape by the batched closed form.

    Returns which families' references are possible at every marker.
    """
    observations = _reference_observations(panel, members)
    ok = np.ones(len(members), dtype=np.bool_)
    for m, locus in enumerate(panel.loci):
        off = int(panel.offsets[m])
        distinct, inverse = _distinct_observations(observations[m])
        cols = np.empty((distinct.shape[0], panel.columns(m)))
        good = np.ones(distinct.shape[0], dtype=np.bool_)
        marker_columns(shape, locus, distinct, cols, good)
        block[:, off : off + cols.shape[1]] = cols[inverse]
        ok &= good[inverse]
    return ok


def _distinct_observations(obs: NDArray[np.int32]) -> tuple[NDArray[np.int32], IntArray]:
    """The distinct reference observations (U, persons, 2) of one marker's families, and each family's.

    The two calls of a person are put in order first (``b, a`` is ``a, b``; ``-, a`` is ``a, -``): the
    tables depend on the unordered calls only, so families that differ only in call order share a row.
    """
    canon = np.ascontiguousarray(np.sort(obs, axis=2))
    flat = canon.reshape(canon.shape[0], -1)
    key = flat.view(np.dtype((np.void, flat.dtype.itemsize * flat.shape[1]))).reshape(-1)
    _keys, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return canon[first], inverse.reshape(-1).astype(np.int64)


def _tree_rows(
    panel: ScreeningPanel, plan: TreePlan, members: Sequence[tuple[Family, str]], block: NDArray[Any]
) -> NDArray[np.bool_] | None:
    """Fill ``block`` for families of one tree shape by batched peeling (:mod:`kinlink.genetics.peeling`).

    Families are grouped per marker by typing pattern. Returns which families' references are possible at
    every marker, or ``None`` (``block`` untouched) when a pattern cannot take this path (see
    :meth:`~kinlink.genetics.peeling.TreePlan.schedule`).
    """
    observations = _reference_observations(panel, members)
    grouped: list[list[tuple[Schedule, IntArray]]] = []
    distinct: list[tuple[NDArray[np.int32], IntArray]] = []
    for m in range(len(panel.loci)):
        distinct.append(_distinct_observations(observations[m]))
        pats = peeling_patterns(distinct[m][0])
        uniq, inverse = np.unique(pats, axis=0, return_inverse=True)
        groups = []
        for u, pattern in enumerate(uniq):
            schedule = plan.schedule(tuple(int(x) for x in pattern))
            if schedule is None:
                return None
            groups.append((schedule, np.flatnonzero(inverse.reshape(-1) == u)))
        grouped.append(groups)
    ok = np.ones(len(members), dtype=np.bool_)
    for m, locus in enumerate(panel.loci):
        off = int(panel.offsets[m])
        obs, inverse = distinct[m]
        cols = np.empty((obs.shape[0], panel.columns(m)))
        good = np.ones(obs.shape[0], dtype=np.bool_)
        for schedule, rows in grouped[m]:
            for lo in range(0, rows.size, _TREE_CHUNK):
                part = rows[lo : lo + _TREE_CHUNK]
                ordered = tree_distributions(plan, schedule, locus, obs[part])
                cols[part], good[part] = tree_columns(locus, ordered)
        block[:, off : off + cols.shape[1]] = cols[inverse]
        ok &= good[inverse]
    return ok


def _exact_rows(
    panel: ScreeningPanel,
    pedigree: Pedigree,
    keep: int,
    members: Sequence[tuple[Family, str]],
    block: NDArray[Any],
    workers: int,
) -> NDArray[np.bool_]:
    """Fill ``block`` by the exact engine for families of one (any) shape; returns which are possible.

    The missing person's distribution at a marker depends only on that marker's reference observations:
    each distinct one is computed once (exact; most families share them with others).
    """
    entry = np.empty((len(members), len(panel.loci)), dtype=np.int64)
    distinct: list[dict[tuple[Any, ...], int]] = [{} for _ in panel.loci]
    distinct_obs: list[list[dict[int, Observation]]] = [[] for _ in panel.loci]
    parsed: dict[tuple[int, str, str], Observation] = {}
    for k, (fam, _mp) in enumerate(members):
        position = {pid: i for i, pid in enumerate(fam.pedigree.ids)}
        _check_references(fam, position)
        for m, locus in enumerate(panel.loci):
            obs: dict[int, Observation] = {}
            for pid, prof in fam.references.items():
                labels = prof.get(locus.name)
                if not labels:
                    continue
                key = (m, labels[0], labels[-1]) if len(labels) <= 2 else (m, ",".join(labels), "")
                o = parsed.get(key)
                if o is None:
                    o = _observe(locus, labels, f"family {fam.id}, reference {pid}")
                    parsed[key] = o
                if o[0] is not None or o[1] is not None:
                    obs[position[pid]] = o
            signature = tuple(sorted(obs.items()))
            u = distinct[m].get(signature)
            if u is None:
                u = distinct[m][signature] = len(distinct_obs[m])
                distinct_obs[m].append(obs)
            entry[k, m] = u
    tasks = [(pedigree, keep, locus, distinct_obs[m], panel.theta) for m, locus in enumerate(panel.loci)]
    if workers > 1 and len(members) * len(panel.loci) > _FAMILY_CHUNK_ENTRIES:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(workers) as pool:
            columns = pool.starmap(_distinct_rows, tasks, chunksize=1)
    else:
        columns = [_distinct_rows(*task) for task in tasks]
    ok = np.ones(len(members), dtype=bool)
    for m, (cols, good) in enumerate(columns):
        off = int(panel.offsets[m])
        block[:, off : off + cols.shape[1]] = cols[entry[:, m]]
        ok &= good[entry[:, m]]
    return ok


def _distinct_rows(
    pedigree: Pedigree,
    keep: int,
    locus: Locus,
    observations: Sequence[dict[int, Observation]],
    theta: float = 0.0,
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Table columns of one marker for each distinct set of reference observations (exact elimination).

    With ``theta`` > 0 the pedigree gets an unrelated person ``U`` (the remains under H2), and the columns
    are ratios against U's genotype distribution given the references (see :func:`_theta_rows`).
    """
    if theta > 0:
        pedigree = pedigree.with_persons([Person(POI_ID, "unknown")])
    model = PedigreeLikelihood(pedigree)
    n_persons = len(pedigree.ids)
    parts_cols, parts_good = [], []
    for start in range(0, len(observations), _FAMILY_CHUNK_ENTRIES):
        chunk = observations[start : start + _FAMILY_CHUNK_ENTRIES]
        results = model._compute([locus] * len(chunk), chunk, [0.0] * n_persons, theta, keep)
        if theta > 0:
            unrelated = model._compute([locus] * len(chunk), chunk, [0.0] * n_persons, theta, n_persons - 1)
        if _likelihood._stacked.cache_info().currsize > 16:
            _likelihood._stacked.cache_clear()  # stacked arrays of past chunks: free them
        if theta > 0:
            cols, good = _theta_rows(
                locus, np.stack([r[0] for r in results]), np.stack([r[0] for r in unrelated])
            )
        else:
            cols, good = _marker_rows(locus, np.stack([r[0] for r in results]))
        parts_cols.append(cols)
        parts_good.append(good)
    return np.concatenate(parts_cols), np.concatenate(parts_good)


def _marker_rows(locus: Locus, ordered: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """One marker's table columns for K targets from their kept factors over ordered allele pairs (K, n, n).

    Returns the columns (K, G + n + 1) and whether each target's references were possible at all.
    """
    n = locus.n_alleles
    i, j = genotype_pairs(n)
    post = ordered[:, i, j] + np.where(i != j, ordered[:, j, i], 0.0)
    total = post.sum(axis=1)
    good = np.isfinite(total) & (total > 0)
    post = post / np.where(good, total, 1.0)[:, None]
    hw = hardy_weinberg(locus)
    contains = ((i[None, :] == np.arange(n)[:, None]) | (j[None, :] == np.arange(n)[:, None])).astype(float)
    with np.errstate(divide="ignore"):
        geno = np.log10(post) - np.log10(hw)[None, :]
        single = np.log10(post @ contains.T) - np.log10(contains @ hw)[None, :]
    cols = np.concatenate([geno, single, np.zeros((post.shape[0], 1))], axis=1)
    cols[~good] = 0.0
    return cols, good


def _theta_rows(
    locus: Locus, ordered: FloatArray, unrelated: FloatArray
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Theta > 0: one marker's columns (K, G + 2n + 1) from MP's and U's kept factors (K, n, n).

    ``U`` is an unrelated member of the references' subpopulation (the remains under H2). Columns:
    log10(Pr(MP = g | refs) / Pr(U = g | refs)) per genotype; the same for "carries a" per allele; 0; and
    per allele the dropout column log10(Pr(U carries a | refs) / Pr(U = aa | refs)).
    """
    n = locus.n_alleles
    i, j = genotype_pairs(n)
    contains = ((i[None, :] == np.arange(n)[:, None]) | (j[None, :] == np.arange(n)[:, None])).astype(float)
    hom = genotype_index_array(n)
    posts = []
    good = np.ones(ordered.shape[0], dtype=bool)
    for x in (ordered, unrelated):
        post = x[:, i, j] + np.where(i != j, x[:, j, i], 0.0)
        total = post.sum(axis=1)
        ok = np.isfinite(total) & (total > 0)
        good &= ok
        posts.append(post / np.where(ok, total, 1.0)[:, None])
    mp, un = posts
    with np.errstate(divide="ignore", invalid="ignore"):
        geno = np.log10(mp) - np.log10(un)
        carrier_u = un @ contains.T
        single = np.log10(mp @ contains.T) - np.log10(carrier_u)
        ratio = np.log10(carrier_u) - np.log10(un[:, hom])
    cols = np.concatenate([geno, single, np.zeros((mp.shape[0], 1)), ratio], axis=1)
    cols[~good] = 0.0
    return cols, good


def genotype_index_array(n: int) -> IntArray:
    """Positions of the homozygous genotypes ``aa`` (a = 0 .. n-1) in :func:`genotype_pairs` order."""
    return np.array([genotype_index(n, a, a) for a in range(n)], dtype=np.int64)


# ------------------------------------------------------------------------------------------------ remains


@dataclass(frozen=True)
class RemainsCode:
    """Table columns of one set of remains: ``col1`` (and ``col2`` with log10 weights for dropout; with
    theta, ``col3`` is the target's dropout column and ``lw2`` holds log10 of the dropout probability)."""

    col1: IntArray
    col2: IntArray
    lw1: FloatArray
    lw2: FloatArray
    col3: IntArray


def encode_remains(
    panel: ScreeningPanel, profile: Profile, dropout: float = 0.0, name: str = "?"
) -> RemainsCode:
    """Columns of a remains profile in a target's table row (see the module docstring)."""
    if not 0.0 <= dropout < 1.0:
        raise ScreeningError(f"remains {name}: dropout probability must be in [0, 1), got {dropout}")
    n_m = len(panel.loci)
    col1 = np.zeros(n_m, dtype=np.int64)
    col2 = np.full(n_m, -1, dtype=np.int64)
    col3 = np.full(n_m, -1, dtype=np.int64)
    lw1 = np.zeros(n_m)
    lw2 = np.zeros(n_m)
    offsets = panel.offsets
    for m, locus in enumerate(panel.loci):
        n = locus.n_alleles
        g_count = n * (n + 1) // 2
        off = int(offsets[m])
        a, b = _observe(locus, profile.get(locus.name), f"remains {name}")
        if a is None and b is None:
            col1[m] = off + g_count + n
        elif a is None or b is None:
            x = a if a is not None else b
            assert x is not None
            col1[m] = off + g_count + x
        elif a != b or dropout == 0.0:
            col1[m] = off + genotype_index(n, a, b)
        elif panel.theta > 0:
            col1[m] = off + genotype_index(n, a, a)
            col2[m] = off + g_count + a
            col3[m] = off + g_count + n + 1 + a
            lw2[m] = math.log10(dropout)
        else:
            p = float(locus.freqs[a])
            hom = p * p
            carrier = p * (2.0 - p)
            w = hom / (hom + dropout * carrier)
            col1[m] = off + genotype_index(n, a, a)
            col2[m] = off + g_count + a
            lw1[m] = math.log10(w)
            lw2[m] = math.log10(1.0 - w)
    return RemainsCode(col1, col2, lw1, lw2, col3)


# ------------------------------------------------------------------------------------------------ kernels


@njit(cache=True, inline="always")
def _pair_score(row, col1, col2, lw1, lw2, col3, r, slow):  # type: ignore[no-untyped-def]  # pragma: no cover
    """log10 LR of remains ``r`` against one table row (the dropout log-sum only where ``slow``)."""
    s = 0.0
    for m in range(col1.shape[1]):
        c2 = col2[r, m]
        if not slow or c2 < 0:
            s += row[col1[r, m]]
        else:
            x = row[col1[r, m]] + lw1[r, m]
            y = row[c2] + lw2[r, m]
            c3 = col3[r, m]
            if c3 >= 0:  # theta: the weight depends on the target, log10 w = -log10(1 + d rho)
                t = lw2[r, m] + row[c3]
                big = max(t, 0.0)
                lp = big + math.log10(10.0 ** (0.0 - big) + 10.0 ** (t - big))
                x = row[col1[r, m]] - lp
                y = row[c2] + t - lp
            hi = max(x, y)
            if hi == -np.inf:
                s += hi
            else:
                s += hi + math.log10(10.0 ** (x - hi) + 10.0 ** (y - hi))
    return s


@njit(cache=True, inline="always")
def _insert(vals, idx, a, b, s, who):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Insert score ``s`` of ``who`` into the best-first top-k list ``vals[a, b, :]``."""
    k = vals.shape[2]
    if idx[a, b, k - 1] >= 0 and s <= vals[a, b, k - 1]:
        return
    j = k - 1
    while j > 0 and (idx[a, b, j - 1] < 0 or s > vals[a, b, j - 1]):
        vals[a, b, j] = vals[a, b, j - 1]
        idx[a, b, j] = idx[a, b, j - 1]
        j -= 1
    vals[a, b, j] = s
    idx[a, b, j] = who


@njit(parallel=True, cache=True)
def _screen_kernel(  # type: ignore[no-untyped-def]  # pragma: no cover
    table,
    rows,
    col1,
    col2,
    lw1,
    lw2,
    col3,
    slow,
    cut,
    tgt_vals,
    tgt_idx,
    rem_vals,
    rem_idx,
    hit_t,
    hit_r,
    hit_s,
    hit_n,
):
    """Score every (row, remains) pair, keeping top-k lists and the pairs at or above ``cut``.

    Parallel over ``n_chunks = rem_vals.shape[0]`` contiguous ranges of rows; chunk ``c`` has its own
    per-remains top-k ``rem_vals[c]`` and hit buffer ``hit_*[c]`` (``hit_n[c]`` may exceed the buffer:
    the caller then repeats with a larger one). Rows are taken four at a time so that each remains'
    column indices are read once per four rows.
    """
    n_rows = rows.shape[0]
    n_r = col1.shape[0]
    n_chunks = rem_vals.shape[0]
    k = tgt_vals.shape[2]
    cap = hit_t.shape[1]
    for c in prange(n_chunks):
        t0 = c * n_rows // n_chunks
        t1 = (c + 1) * n_rows // n_chunks
        for t in range(t0, t1, 4):
            q1 = min(t + 1, t1 - 1)
            q2 = min(t + 2, t1 - 1)
            q3 = min(t + 3, t1 - 1)
            row0 = table[rows[t]]
            row1 = table[rows[q1]]
            row2 = table[rows[q2]]
            row3 = table[rows[q3]]
            n_valid = min(4, t1 - t)
            gate = -np.inf  # below it a score changes nothing (min of the rows' k-th best and the cut)
            for r in range(n_r):
                if slow[r]:
                    s0 = _pair_score(row0, col1, col2, lw1, lw2, col3, r, True)
                    s1 = _pair_score(row1, col1, col2, lw1, lw2, col3, r, True)
                    s2 = _pair_score(row2, col1, col2, lw1, lw2, col3, r, True)
                    s3 = _pair_score(row3, col1, col2, lw1, lw2, col3, r, True)
                else:
                    s0 = 0.0
                    s1 = 0.0
                    s2 = 0.0
                    s3 = 0.0
                    for m in range(col1.shape[1]):
                        j = col1[r, m]
                        s0 += row0[j]
                        s1 += row1[j]
                        s2 += row2[j]
                        s3 += row3[j]
                hi = max(max(s0, s1), max(s2, s3))
                if hi <= gate and hi <= rem_vals[c, r, k - 1]:
                    continue  # the common case: no top-k list and no hit is touched
                for q in range(n_valid):
                    s = s0 if q == 0 else (s1 if q == 1 else (s2 if q == 2 else s3))
                    tq = t + q
                    if s > tgt_vals[tq, 0, k - 1]:
                        _insert(tgt_vals, tgt_idx, tq, 0, s, r)
                    if s > rem_vals[c, r, k - 1]:
                        _insert(rem_vals, rem_idx, c, r, s, tq)
                    if s >= cut:
                        n = hit_n[c]
                        if n < cap:
                            hit_t[c, n] = tq
                            hit_r[c, n] = r
                            hit_s[c, n] = s
                        hit_n[c] = n + 1
                gate = cut
                for q in range(n_valid):
                    gate = min(gate, tgt_vals[t + q, 0, k - 1])
                if gate == cut:
                    gate = np.nextafter(cut, -np.inf)


def marker_scores(
    row: FloatArray, col1: IntArray, col2: IntArray, lw1: FloatArray, lw2: FloatArray, col3: IntArray
) -> FloatArray:
    """Per-marker log10 LR of one encoded remains against one table row (numpy; as the kernel computes)."""
    ln10 = math.log(10.0)
    x = row[col1]
    two = col2 >= 0
    if not two.any():
        return x
    y = row[np.where(two, col2, 0)]
    w1, w2 = lw1.copy(), lw2.copy()
    three = col3 >= 0
    if three.any():
        t = lw2 + row[np.where(three, col3, 0)]
        lp = np.logaddexp(0.0, t * ln10) / ln10
        w1 = np.where(three, -lp, w1)
        w2 = np.where(three, t - lp, w2)
    both = np.logaddexp((x + w1) * ln10, (y + w2) * ln10) / ln10
    return np.where(two, both, x)


def score_block(table: NDArray[Any], rows: IntArray, codes: Codes) -> NDArray[Any]:
    """log10 LR of every (target row, remains) pair: an array (len(rows), n_remains) of ``table``'s dtype.

    For small checks and reports; the screening itself uses the fused kernel of :func:`screen_block`.
    """
    col1, col2, lw1, lw2, col3 = codes
    out = np.empty((rows.shape[0], col1.shape[0]), dtype=table.dtype)
    for t in range(rows.shape[0]):
        row = table[rows[t]].astype(np.float64)
        for r in range(col1.shape[0]):
            out[t, r] = marker_scores(row, col1[r], col2[r], lw1[r], lw2[r], col3[r]).sum()
    return out


@dataclass
class BlockResult:
    """Output of :func:`screen_block`: top-k per row (``tgt_*``, remains positions), top-k per remains
    (``rem_*``, row positions), and the pairs at or above the cut (row position, remains position, score)."""

    tgt_vals: FloatArray
    tgt_idx: IntArray
    rem_vals: FloatArray
    rem_idx: IntArray
    hits: tuple[IntArray, IntArray, FloatArray]


def screen_block(
    table: NDArray[Any],
    rows: IntArray,
    codes: Codes,
    k: int,
    cut: float,
    n_chunks: int = 0,
) -> BlockResult:
    """Run the fused screening kernel on ``rows`` of ``table`` against the encoded remains."""
    col1, col2, lw1, lw2, col3 = codes
    n_rows, n_r = rows.shape[0], col1.shape[0]
    if n_chunks <= 0:
        n_chunks = max(1, min(numba.get_num_threads() * 4, n_rows))
    slow = (col2 >= 0).any(axis=1) if n_r else np.zeros(0, dtype=np.bool_)
    c1 = col1.astype(np.int32)
    c2 = col2.astype(np.int32)
    c3 = col3.astype(np.int32)
    w1 = lw1.astype(table.dtype)
    w2 = lw2.astype(table.dtype)
    cap = 4096
    while True:
        tgt_vals = np.full((n_rows, 1, k), -np.inf)
        tgt_idx = np.full((n_rows, 1, k), -1, dtype=np.int64)
        rem_vals = np.full((n_chunks, n_r, k), -np.inf)
        rem_idx = np.full((n_chunks, n_r, k), -1, dtype=np.int64)
        hit_t = np.zeros((n_chunks, cap), dtype=np.int64)
        hit_r = np.zeros((n_chunks, cap), dtype=np.int64)
        hit_s = np.zeros((n_chunks, cap))
        hit_n = np.zeros(n_chunks, dtype=np.int64)
        if n_rows and n_r:
            _screen_kernel(
                table,
                rows,
                c1,
                c2,
                w1,
                w2,
                c3,
                slow,
                cut,
                tgt_vals,
                tgt_idx,
                rem_vals,
                rem_idx,
                hit_t,
                hit_r,
                hit_s,
                hit_n,
            )
        if hit_n.max(initial=0) <= cap:
            break
        cap = int(hit_n.max()) + 1
    vals, idx = rem_vals[0], rem_idx[0]
    for c in range(1, n_chunks):
        vals, idx = _merge_topk(vals, idx, rem_vals[c], rem_idx[c])
    mask = np.arange(cap)[None, :] < hit_n[:, None]
    return BlockResult(
        tgt_vals[:, 0, :], tgt_idx[:, 0, :], vals, idx, (hit_t[mask], hit_r[mask], hit_s[mask])
    )


def _merge_topk(
    vals: FloatArray, idx: IntArray, new_vals: FloatArray, new_idx: IntArray
) -> tuple[FloatArray, IntArray]:
    """Best ``k`` of two top-k lists per row (no duplicates between them by construction)."""
    k = vals.shape[1]
    v = np.concatenate([vals, new_vals], axis=1)
    i = np.concatenate([idx, new_idx], axis=1)
    v = np.where(i < 0, -np.inf, v)
    order = np.argsort(-v, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(v, order, 1), np.take_along_axis(i, order, 1)


# ------------------------------------------------------------------------------------------------ index


@dataclass
class Candidate:
    """A shortlisted (remains, target) pair: screening log10 LR and, once re-checked, the exact LR."""

    remains: str
    family: str
    missing: str
    screening_log10_lr: float
    lr: float | None = None
    log10_lr: float | None = None
    reasons: tuple[str, ...] = ()


class ScreeningIndex:
    """Incremental all-against-all screening state: family tables, remains codes and shortlists.

    ``threshold`` is an LR; ``top`` the number of best families kept per remains (and best remains per
    target). ``dtype`` of the tables: float32 (default, half the memory) or float64. ``workers``: processes
    for the precomputation.
    """

    def __init__(
        self,
        panel: ScreeningPanel,
        threshold: float = 1e4,
        top: int = 5,
        dtype: type = np.float32,
        margin: float = DEFAULT_MARGIN,
        workers: int = 1,
    ) -> None:
        if threshold <= 0:
            raise ScreeningError(f"threshold must be a positive LR, got {threshold}")
        if top < 1:
            raise ScreeningError(f"top must be at least 1, got {top}")
        self.panel = panel
        self.workers = workers
        self.threshold = threshold
        self.top = top
        self.dtype = dtype
        self.cut = math.log10(threshold) - margin
        self.notes: list[str] = list(panel.notes)
        self.families: dict[str, Family] = {}
        self.targets: list[Target] = []
        self._target_pos: dict[Target, int] = {}
        self._blocks: list[NDArray[Any]] = []
        self.remains: list[str] = []
        self.remains_profiles: dict[str, Profile] = {}
        self.remains_dropout: dict[str, float] = {}
        self._remains_pos: dict[str, int] = {}
        self._codes: list[RemainsCode] = []
        self._rem_vals = np.zeros((0, top))
        self._rem_idx = np.zeros((0, top), dtype=np.int64)
        self._tgt_vals = np.zeros((0, top))
        self._tgt_idx = np.zeros((0, top), dtype=np.int64)
        self.hits: dict[tuple[int, int], float] = {}
        self._screened_remains = 0
        self._screened_targets = 0
        self._dirty_targets: set[int] = set()
        self.pairs_screened = 0

    # ---------------------------------------------------------------------------------------- data in

    def add_families(self, families: Sequence[Family]) -> None:
        """Add new families, or replace those whose id is known (new references: they are re-screened)."""
        ids = [f.id for f in families]
        if len(set(ids)) != len(ids):
            raise ScreeningError("a family appears twice in one update")
        targets, table, notes = family_tables(self.panel, families, self.dtype, self.workers)
        self.notes.extend(notes)
        new_rows: list[int] = []
        for k, target in enumerate(targets):
            pos = self._target_pos.get(target)
            if pos is None:
                self._target_pos[target] = len(self.targets) + len(new_rows)
                new_rows.append(k)
            else:
                block, local = divmod(pos, _BLOCK_ROWS)
                self._blocks[block][local] = table[k]
                if pos < self._screened_targets:
                    self._dirty_targets.add(pos)
        for fam in families:
            old = self.families.get(fam.id)
            if old is not None and set(old.missing) - set(fam.missing):
                raise ScreeningError(f"family {fam.id}: an update cannot remove missing persons")
            self.families[fam.id] = fam
        new_targets = [t for t in targets if self._target_pos[t] >= len(self.targets)]
        self.targets.extend(new_targets)
        # Fill the last block, then new blocks of _BLOCK_ROWS rows: views of ``table`` where the new rows
        # are contiguous (no copy), else one copy per block.
        rows = np.asarray(new_rows, dtype=np.int64)
        done = 0
        while done < rows.size:
            last = self._blocks[-1] if self._blocks and self._blocks[-1].shape[0] < _BLOCK_ROWS else None
            room = _BLOCK_ROWS - (0 if last is None else last.shape[0])
            part = rows[done : done + room]
            contiguous = int(part[-1] - part[0]) + 1 == part.size
            more = table[int(part[0]) : int(part[-1]) + 1] if contiguous else table[part]
            if last is None:
                self._blocks.append(more)
            else:
                self._blocks[-1] = np.concatenate([last, more])
            done += part.size
        n = len(self.targets)
        grow = n - self._tgt_vals.shape[0]
        self._tgt_vals = np.vstack([self._tgt_vals, np.full((grow, self.top), -np.inf)])
        self._tgt_idx = np.vstack([self._tgt_idx, np.full((grow, self.top), -1, dtype=np.int64)])

    def add_remains(
        self, profiles: Mapping[str, Profile], dropout: Mapping[str, float] | None = None
    ) -> None:
        """Add remains profiles (sample code -> marker -> labels); a known code is an error."""
        dropout = dropout or {}
        for name, profile in profiles.items():
            if name in self._remains_pos:
                raise ScreeningError(f"remains {name} are already in the index")
            code = encode_remains(self.panel, profile, float(dropout.get(name, 0.0)), name)
            self._remains_pos[name] = len(self.remains)
            self.remains.append(name)
            self.remains_profiles[name] = profile
            self.remains_dropout[name] = float(dropout.get(name, 0.0))
            self._codes.append(code)
        grow = len(self.remains) - self._rem_vals.shape[0]
        self._rem_vals = np.vstack([self._rem_vals, np.full((grow, self.top), -np.inf)])
        self._rem_idx = np.vstack([self._rem_idx, np.full((grow, self.top), -1, dtype=np.int64)])

    # ---------------------------------------------------------------------------------------- screening

    def table_row(self, target: int) -> NDArray[Any]:
        block, local = divmod(target, _BLOCK_ROWS)
        return self._blocks[block][local]

    def _code_arrays(self, remains: IntArray) -> Codes:
        codes = [self._codes[int(r)] for r in remains]
        n_m = len(self.panel.loci)
        if not codes:
            z = np.zeros((0, n_m))
            return z.astype(np.int64), z.astype(np.int64), z, z, z.astype(np.int64)
        return (
            np.stack([c.col1 for c in codes]),
            np.stack([c.col2 for c in codes]),
            np.stack([c.lw1 for c in codes]),
            np.stack([c.lw2 for c in codes]),
            np.stack([c.col3 for c in codes]),
        )

    def pending_pairs(self) -> int:
        """Number of pairs the next :meth:`screen` scores (before re-screens caused by updates)."""
        new_r = len(self.remains) - self._screened_remains
        new_t = len(self.targets) - self._screened_targets + len(self._dirty_targets)
        return new_r * len(self.targets) + self._screened_remains * new_t

    def screen(self, on_progress: Callable[[int], object] | None = None) -> int:
        """Score every pair not yet scored (see the class docstring); returns the number of pairs scored."""
        n_r, n_t = len(self.remains), len(self.targets)
        dirty = np.array(sorted(self._dirty_targets), dtype=np.int64)
        affected: set[int] = set()
        if dirty.size:
            lost = np.isin(self._rem_idx, dirty)
            affected = set(np.flatnonzero(lost.any(axis=1)).tolist())
            self._tgt_vals[dirty] = -np.inf
            self._tgt_idx[dirty] = -1
            dset = set(dirty.tolist())
            self.hits = {k: v for k, v in self.hits.items() if k[1] not in dset}
        aff = np.array(sorted(affected), dtype=np.int64)
        if aff.size:
            self._rem_vals[aff] = -np.inf
            self._rem_idx[aff] = -1
            drop = np.isin(self._tgt_idx, aff)
            self._tgt_vals[drop] = -np.inf
            self._tgt_idx[drop] = -1
            self.hits = {k: v for k, v in self.hits.items() if k[0] not in affected}
        full_r = np.concatenate([aff, np.arange(self._screened_remains, n_r, dtype=np.int64)])
        old_r = np.setdiff1d(np.arange(self._screened_remains, dtype=np.int64), aff)
        new_t = np.union1d(np.arange(self._screened_targets, n_t, dtype=np.int64), dirty)
        total = 0
        total += self._pass(full_r, np.arange(n_t, dtype=np.int64), on_progress)
        total += self._pass(old_r, new_t, on_progress)
        self._screened_remains, self._screened_targets = n_r, n_t
        self._dirty_targets.clear()
        self.pairs_screened += total
        return total

    def _pass(self, remains: IntArray, targets: IntArray, on_progress: Callable[[int], object] | None) -> int:
        if remains.size == 0 or targets.size == 0:
            return 0
        codes = self._code_arrays(remains)
        k = self.top
        done = 0
        for b, block in enumerate(self._blocks):
            lo = b * _BLOCK_ROWS
            sel = targets[(targets >= lo) & (targets < lo + block.shape[0])]
            if sel.size == 0:
                continue
            local = sel - lo
            res = screen_block(block, local, codes, k, self.cut)
            self.absorb(remains, sel, res)
            n_pairs = sel.size * remains.size
            done += n_pairs
            if on_progress is not None:
                on_progress(int(n_pairs))
        return done

    def absorb(self, remains: IntArray, targets: IntArray, res: BlockResult) -> None:
        """Merge the kernel's output for ``remains`` x ``targets`` (global positions) into the shortlists."""
        ti_global = np.where(res.tgt_idx >= 0, remains[np.maximum(res.tgt_idx, 0)], -1)
        self._tgt_vals[targets], self._tgt_idx[targets] = _merge_topk(
            self._tgt_vals[targets], self._tgt_idx[targets], res.tgt_vals, ti_global
        )
        ri_global = np.where(res.rem_idx >= 0, targets[np.maximum(res.rem_idx, 0)], -1)
        self._rem_vals[remains], self._rem_idx[remains] = _merge_topk(
            self._rem_vals[remains], self._rem_idx[remains], res.rem_vals, ri_global
        )
        tt, rr, ss = res.hits
        for t_, r_, s_ in zip(tt.tolist(), rr.tolist(), ss.tolist(), strict=True):
            self.hits[(int(remains[r_]), int(targets[t_]))] = float(s_)

    def mark_screened(self, pairs: int) -> None:
        """Record that every pending pair was scored elsewhere (Spark) and merged by :meth:`absorb`."""
        self._screened_remains, self._screened_targets = len(self.remains), len(self.targets)
        self._dirty_targets.clear()
        self.pairs_screened += pairs

    def code_arrays(self, remains: IntArray) -> Codes:
        """Encoded columns of the given remains (positions), as the kernel takes them."""
        return self._code_arrays(remains)

    @property
    def blocks(self) -> list[NDArray[Any]]:
        """Table blocks of up to ``_BLOCK_ROWS`` targets each, in target order."""
        return self._blocks

    # ---------------------------------------------------------------------------------------- results

    def shortlist(self) -> list[tuple[int, int, float, str]]:
        """(remains, target, screening log10 LR, reason) for every pair over the cut or in a top-k list."""
        out: dict[tuple[int, int], tuple[float, list[str]]] = {}
        for (r, t), s in self.hits.items():
            out[(r, t)] = (s, ["threshold"])
        for r in range(len(self.remains)):
            for j in range(self.top):
                t = int(self._rem_idx[r, j])
                if t >= 0:
                    out.setdefault((r, t), (float(self._rem_vals[r, j]), []))[1].append(f"top{j + 1}-remains")
        for t in range(len(self.targets)):
            for j in range(self.top):
                r = int(self._tgt_idx[t, j])
                if r >= 0:
                    out.setdefault((r, t), (float(self._tgt_vals[t, j]), []))[1].append(f"top{j + 1}-family")
        return [(r, t, s, ",".join(why)) for (r, t), (s, why) in sorted(out.items())]

    def top_for_remains(self, remains: str) -> list[tuple[Target, float]]:
        r = self._remains_pos[remains]
        return [
            (self.targets[int(t)], float(v))
            for v, t in zip(self._rem_vals[r], self._rem_idx[r], strict=True)
            if t >= 0
        ]

    def top_for_target(self, target: Target) -> list[tuple[str, float]]:
        t = self._target_pos[target]
        return [
            (self.remains[int(r)], float(v))
            for v, r in zip(self._tgt_vals[t], self._tgt_idx[t], strict=True)
            if r >= 0
        ]

    def screening_log10_lr(self, remains: str, target: Target) -> float:
        """Screening log10 LR of one pair (one look-up per marker)."""
        r, t = self._remains_pos[remains], self._target_pos[target]
        codes = self._code_arrays(np.array([r], dtype=np.int64))
        row = self.table_row(t)[None, :]
        return float(score_block(row, np.zeros(1, dtype=np.int64), codes)[0, 0])

    def marker_log10_lrs(self, remains: str, target: Target) -> dict[str, float]:
        """Per-marker log10 LR of a pair from the tables (the markers that drive a candidate)."""
        r, t = self._remains_pos[remains], self._target_pos[target]
        code, row = self._codes[r], self.table_row(t).astype(np.float64)
        values = marker_scores(row, code.col1, code.col2, code.lw1, code.lw2, code.col3)
        return {locus.name: float(values[m]) for m, locus in enumerate(self.panel.loci)}

    def exact_case(self, remains: str, target: Target) -> KinshipCase:
        """The pair as a :class:`KinshipCase` on the panel's loci, for the exact engine."""
        fam = self.families[target.family]
        return KinshipCase(
            id=f"{remains}|{target.family}|{target.missing}",
            pedigree=fam.pedigree,
            missing=target.missing,
            loci=list(self.panel.loci),
            references={pid: dict(p) for pid, p in fam.references.items()},
            poi={
                m: list(g) for m, g in self.remains_profiles[remains].items() if m in set(self.panel.markers)
            },
            poi_dropout=self.remains_dropout[remains],
            theta=self.panel.theta,
        )

    def exact_log10_lr(self, remains: str, target: Target) -> float:
        """log10 LR of a pair by the exact engine (:func:`missing_person_lr`)."""
        return missing_person_lr(self.exact_case(remains, target)).log10_lr

    def candidates(self, recheck: str = "threshold") -> list[Candidate]:
        """The shortlist with exact LRs: every pair with exact LR >= threshold, plus the top k per remains.

        ``recheck`` = "threshold" re-checks the pairs whose screening score reaches the (lowered) cut;
        "all" re-checks every shortlisted pair. Pairs not re-checked report the screening value.
        Sorted by remains, then LR, best first.
        """
        out: list[Candidate] = []
        for r, t, s, why in self.shortlist():
            target = self.targets[t]
            name = self.remains[r]
            in_top = "remains" in why
            exact = self.exact_log10_lr(name, target) if recheck == "all" or s >= self.cut else s
            if exact >= math.log10(self.threshold) or in_top:
                out.append(
                    Candidate(
                        name,
                        target.family,
                        target.missing,
                        s,
                        10.0**exact if exact > -math.inf else 0.0,
                        exact,
                        tuple(why.split(",")),
                    )
                )
        out.sort(key=lambda c: (c.remains, -(c.log10_lr if c.log10_lr is not None else -math.inf), c.family))
        return out


# ------------------------------------------------------------------------------------------------ tables in


def families_from_tables(
    rows: Sequence[Mapping[str, str]], references: Mapping[str, Profile], source: str = "<pedigrees>"
) -> list[Family]:
    """Families from pedigree CSV rows ``family,id,father,mother,sex,sample,missing``.

    The rows are read by the one pedigree reader (:func:`kinlink.genetics.formats.parse_pedigree_rows`).
    ``sample`` links a member to a genotype sample code in ``references``; ``missing`` is 1 for each
    missing member. Every problem is reported (one :class:`ScreeningError` naming file, row and column).
    """
    from kinlink.genetics.formats import FormatError, parse_pedigree_rows
    from kinlink.genetics.pedigree import Person, Problem

    try:
        table = parse_pedigree_rows(rows, source, families=True)
    except FormatError as exc:
        raise ScreeningError(str(exc)) from exc
    problems: list[Problem] = []
    families: list[Family] = []
    for fid, members in table.families().items():
        missing: list[str] = []
        refs: dict[str, dict[str, list[str]]] = {}
        samples: dict[str, str] = {}
        for m in members:
            if m.missing:
                if m.sample:
                    problems.append(
                        Problem(m.row, "sample", "a missing member cannot have a reference sample")
                    )
                missing.append(m.id)
            elif m.sample:
                if m.sample not in references:
                    problems.append(
                        Problem(m.row, "sample", f"sample {m.sample!r} is not in the reference genotypes")
                    )
                    continue
                refs[m.id] = {marker: list(g) for marker, g in references[m.sample].items()}
                samples[m.id] = m.sample
        if not missing:
            problems.append(Problem(None, "", f"family {fid}: no member has missing = 1"))
            continue
        pedigree = Pedigree(Person(m.id, m.sex, m.father, m.mother) for m in members)
        families.append(Family(fid, pedigree, missing, refs, samples))
    if problems:
        raise ScreeningError(str(FormatError.collected(source, problems)))
    return families
