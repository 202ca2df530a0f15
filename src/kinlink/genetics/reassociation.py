"""Re-association of commingled remains by DNA: which samples come from one individual.

Every remains sample is compared with every other under three hypotheses, marker by marker (independent
autosomal markers, Hardy-Weinberg genotype frequencies, no drop-in):

* **same**: both samples come from one individual with genotype G; each sample shows G after allele
  dropout;
* **unrelated**: two individuals drawn from the population;
* **relative**: two individuals who are full siblings, or parent and child (the likelier of the two for
  the pair), so that brothers, or a father and son buried in one grave, are not merged.

Dropout (probability ``d`` per allele copy, the same for every sample): a heterozygote a/b shows a/b with
``(1-d)^2``, only a with ``d(1-d)``, only b with ``d(1-d)``; a homozygote a/a shows a with ``1-d^2``. A
sample showing one allele a is thus a homozygote or a heterozygote that lost its other allele. A marker
a sample was not typed at carries no information for its pairs (partial profiles). Two different
heterozygotes, or a heterozygote and an allele it lacks, can never be one individual: there is no
drop-in.

Two samples are linked when ``LR(same : unrelated)`` reaches the threshold (default 10^6) and
``LR(same : relative)`` reaches the relative threshold (default 10^2: a 20-marker profile seen twice
gives about 10^5 to 10^9 against a brother, far less than against an unrelated man, since a brother
shares a genotype at a marker with probability 0.3 to 0.6; two degraded bones sharing a dozen markers
give 10^2 to 10^3). Links are taken strongest first, and two groups are joined only when no pair
across them excludes being one individual (``LR(same : unrelated)`` below ``1/threshold``), so that one
weak chain cannot join two people. After the pairwise links, groups are compared again as the alleles
their samples show together (up to three rounds), so that a degraded bone meets the nearly whole profile
of its man. A sample with no typed marker is never assigned: it stays unassigned, not guessed. The
minimum number of individuals (MNI) of a site or batch is the number of its groups that pairwise
exclude one another (a greedy lower bound), next to the number of groups.

Pure: numpy and numba, no Django. ``docs/methods/reassociation.md`` states the method and its limits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from kinlink.genetics.markers import FrequencyDatabase, Locus, is_untyped

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int32]

#: log10 of a likelihood that is exactly zero (an exclusion): low enough to dominate any sum.
_ZERO = -1.0e6


class ReassociationError(ValueError):
    """Input the comparison cannot use (a marker without frequencies, a dropout outside [0, 1))."""


@dataclass(frozen=True, slots=True)
class Link:
    """The comparison of two samples: log10 LRs of one individual against unrelated persons and against
    the likelier of full siblings and parent-child, and the number of markers both were typed at."""

    a: str
    b: str
    log10_lr: float
    log10_lr_relative: float
    shared_markers: int


@dataclass(frozen=True, slots=True)
class Assignment:
    sample: str
    group: str  # "" when unassigned
    site: str
    markers: int
    status: str  # "grouped" (with other samples), "single" (no other sample matched), "no_dna"
    best_match: str = ""
    log10_lr: float | None = None
    log10_lr_relative: float | None = None


@dataclass(frozen=True, slots=True)
class SiteCount:
    site: str
    samples: int
    with_dna: int
    groups: int
    minimum_individuals: int


@dataclass
class Reassociation:
    assignments: list[Assignment]
    sites: list[SiteCount]
    links: list[Link] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------- per-marker tables


def _genotypes(n: int) -> tuple[IntArray, IntArray]:
    a, b = np.triu_indices(n)
    return a.astype(np.int32), b.astype(np.int32)


def _observation_matrix(
    observations: Sequence[tuple[int, ...]], ga: IntArray, gb: IntArray, dropout: float
) -> FloatArray:
    """P(observation | genotype) for each observed allele set (rows) and unordered genotype (columns)."""
    d = dropout
    out = np.zeros((len(observations), len(ga)), dtype=np.float64)
    het = ga != gb
    for row, obs in enumerate(observations):
        if len(obs) == 2:
            x, y = obs
            out[row] = ((ga == min(x, y)) & (gb == max(x, y))) * (1.0 - d) ** 2
        else:
            (x,) = obs
            homo = (ga == x) & (gb == x)
            one = het & ((ga == x) | (gb == x))
            out[row] = homo * (1.0 - d * d) + one * (d * (1.0 - d))
    return out


def _joint_tables(freqs: FloatArray, ga: IntArray, gb: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Genotype frequencies, and the joint genotype probabilities of full siblings and of parent-child."""
    p = freqs
    pg = np.where(ga == gb, p[ga] ** 2, 2.0 * p[ga] * p[gb])
    # P(GB | one allele of GA passed on, the other drawn from the population)
    n_g = len(ga)
    given_one = np.zeros((n_g, n_g), dtype=np.float64)
    c, dd = ga, gb
    for s_side in (0, 1):
        s = (ga if s_side == 0 else gb)[:, None]
        contrib = np.where(
            (c == dd)[None, :],
            (s == c[None, :]) * p[c][None, :],
            (s == c[None, :]) * p[dd][None, :] + (s == dd[None, :]) * p[c][None, :],
        )
        given_one += 0.5 * contrib
    parent_child = pg[:, None] * given_one
    siblings = 0.25 * np.outer(pg, pg) + 0.5 * parent_child + 0.25 * np.diag(pg)
    return pg, siblings, parent_child


def _log10(x: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore"):
        return np.where(x > 0, np.log10(np.maximum(x, 1e-300)), _ZERO)


@dataclass
class _Marker:
    same: FloatArray
    unrelated: FloatArray
    siblings: FloatArray
    parent_child: FloatArray


def _marker_tables(locus: Locus, observations: Sequence[tuple[int, ...]], dropout: float) -> _Marker:
    ga, gb = _genotypes(locus.n_alleles)
    v = _observation_matrix(observations, ga, gb, dropout)
    pg, sib, pc = _joint_tables(np.asarray(locus.freqs, dtype=np.float64), ga, gb)
    marginal = v @ pg
    return _Marker(
        same=_log10((v * pg) @ v.T),
        unrelated=_log10(np.outer(marginal, marginal)),
        siblings=_log10(v @ sib @ v.T),
        parent_child=_log10(v @ pc @ v.T),
    )


# ------------------------------------------------------------------------------------------ the kernel


@njit(parallel=True, cache=True)
def _screen_pairs(codes, offsets, widths, llr, threshold, cap):  # type: ignore[no-untyped-def]  # pragma: no cover
    """For each sample i, the samples j > i whose log10 LR(same : unrelated) reaches ``threshold``.

    ``llr`` holds every marker's table of log10 LR(same : unrelated) over its observed allele sets, flat:
    marker m's cell (a, b) is ``llr[offsets[m] + a * widths[m] + b]``; a code of -1 is an untyped marker."""
    n, n_markers = codes.shape
    counts = np.zeros(n, dtype=np.int64)
    found_j = np.full((n, cap), -1, dtype=np.int64)
    found_lr = np.zeros((n, cap), dtype=np.float64)
    for i in prange(n):
        for j in range(i + 1, n):
            total = 0.0
            for m in range(n_markers):
                ci = codes[i, m]
                cj = codes[j, m]
                if ci < 0 or cj < 0:
                    continue
                total += llr[offsets[m] + ci * widths[m] + cj]
                if total < -1.0e5:  # an exclusion: no later marker can undo it
                    break
            if total >= threshold:
                c = counts[i]
                if c < cap:
                    found_j[i, c] = j
                    found_lr[i, c] = total
                counts[i] = c + 1
    return counts, found_j, found_lr


@dataclass
class _Encoded:
    samples: list[str]
    codes: IntArray  # samples x markers, -1 untyped
    markers: list[_Marker]
    notes: list[str]

    def llr_against(self, i: int, others: IntArray) -> FloatArray:
        """log10 LR(same : unrelated) of sample ``i`` against each sample of ``others``."""
        total = np.zeros(len(others), dtype=np.float64)
        for m, tables in enumerate(self.markers):
            a = int(self.codes[i, m])
            if a < 0:
                continue
            b = self.codes[others, m]
            ok = b >= 0
            total[ok] += tables.same[a, b[ok]] - tables.unrelated[a, b[ok]]
        return total

    def pair(self, i: int, j: int) -> Link:
        same = unrel = sib = pc = 0.0
        shared = 0
        for m, tables in enumerate(self.markers):
            a, b = int(self.codes[i, m]), int(self.codes[j, m])
            if a < 0 or b < 0:
                continue
            shared += 1
            same += float(tables.same[a, b])
            unrel += float(tables.unrelated[a, b])
            sib += float(tables.siblings[a, b])
            pc += float(tables.parent_child[a, b])
        return Link(
            self.samples[i],
            self.samples[j],
            _clip(same - unrel),
            _clip(same - max(sib, pc)),
            shared,
        )


def _clip(value: float) -> float:
    return -math.inf if value < -1.0e5 else value


def _encode(
    profiles: Mapping[str, Mapping[str, Sequence[str]]], frequencies: FrequencyDatabase, dropout: float
) -> _Encoded:
    samples = list(profiles)
    markers = sorted({m for profile in profiles.values() for m in profile})
    unknown = [m for m in markers if m not in frequencies]
    if unknown:
        raise ReassociationError(f"no allele frequencies for marker(s) {', '.join(unknown)}")
    codes = np.full((len(samples), len(markers)), -1, dtype=np.int32)
    tables: list[_Marker] = []
    notes: list[str] = []
    for m, name in enumerate(markers):
        labels = [a for p in profiles.values() for a in p.get(name, ()) if not is_untyped(a)]
        locus, added = frequencies[name].with_alleles(labels)
        notes.extend(added)
        observed: dict[tuple[int, ...], int] = {}
        for s, sample in enumerate(samples):
            alleles = [a for a in profiles[sample].get(name, ()) if not is_untyped(a)]
            if not alleles:
                continue
            key = tuple(sorted({locus.index(a) for a in alleles}))
            codes[s, m] = observed.setdefault(key, len(observed))
        tables.append(_marker_tables(locus, list(observed), dropout))
    return _Encoded(samples, codes, tables, notes)


def compare_all(
    profiles: Mapping[str, Mapping[str, Sequence[str]]],
    frequencies: FrequencyDatabase,
    *,
    dropout: float = 0.0,
    threshold: float = 1.0e6,
) -> tuple[_Encoded, list[Link]]:
    """Every pair of samples whose LR(same : unrelated) reaches ``threshold``, with its LR against a
    relative; pairs are found by the numba kernel, then scored under every hypothesis."""
    if not 0.0 <= dropout < 1.0:
        raise ReassociationError(f"dropout must be in [0, 1), not {dropout}")
    if not threshold > 1.0:
        raise ReassociationError(f"the threshold is a likelihood ratio above 1, not {threshold}")
    encoded = _encode(profiles, frequencies, dropout)
    if not encoded.markers or len(encoded.samples) < 2:
        return encoded, []
    widths = np.array([t.same.shape[0] for t in encoded.markers], dtype=np.int64)
    offsets = np.zeros(len(widths) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(widths * widths)
    llr = np.concatenate([(t.same - t.unrelated).ravel() for t in encoded.markers])
    llr = np.where(llr < -1.0e5, -1.0e6, llr)
    cap = 64
    while True:
        counts, found_j, _ = _screen_pairs(encoded.codes, offsets, widths, llr, math.log10(threshold), cap)
        if int(counts.max(initial=0)) <= cap:
            break
        cap = int(counts.max()) + 1
    links = [
        encoded.pair(i, int(found_j[i, c]))
        for i in range(len(encoded.samples))
        for c in range(int(counts[i]))
    ]
    return encoded, links


class _Groups:
    """Union-find over samples; a join is refused when any pair across the two groups excludes identity."""

    def __init__(self, encoded: _Encoded, exclusion: float) -> None:
        self.encoded = encoded
        self.exclusion = exclusion
        self.parent = list(range(len(encoded.samples)))
        self.members: dict[int, list[int]] = {i: [i] for i in range(len(encoded.samples))}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> bool:
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return True
        for a in self.members[ri]:
            for b in self.members[rj]:
                if self.encoded.pair(a, b).log10_lr < self.exclusion:
                    return False
        if len(self.members[ri]) < len(self.members[rj]):
            ri, rj = rj, ri
        self.parent[rj] = ri
        self.members[ri].extend(self.members.pop(rj))
        return True


def reassociate(
    profiles: Mapping[str, Mapping[str, Sequence[str]]],
    frequencies: FrequencyDatabase,
    *,
    sites: Mapping[str, str] | None = None,
    dropout: float = 0.0,
    threshold: float = 1.0e6,
    relative_threshold: float = 1.0e2,
    rounds: int = 3,
) -> Reassociation:
    """Group the samples of one individual and count the individuals per site (see the module docs).

    ``profiles`` maps each sample to its marker -> alleles (a sample with none stays unassigned);
    ``sites`` maps a sample to its site or batch ("" when not given)."""
    sites = sites or {}
    log_t = math.log10(threshold)
    log_rel = math.log10(relative_threshold)
    encoded, links = compare_all(profiles, frequencies, dropout=dropout, threshold=threshold)
    index = {s: i for i, s in enumerate(encoded.samples)}
    accepted = sorted(
        (link for link in links if link.log10_lr_relative >= log_rel),
        key=lambda k: (-k.log10_lr, k.a, k.b),
    )
    groups = _Groups(encoded, -log_t)
    best: dict[str, Link] = {}
    for link in accepted:
        if groups.join(index[link.a], index[link.b]):
            for s in (link.a, link.b):
                if s not in best or best[s].log10_lr < link.log10_lr:
                    best[s] = link
    for _round in range(rounds):
        if not _join_by_consensus(profiles, frequencies, encoded, groups, dropout, threshold, log_rel):
            break
    typed = (encoded.codes >= 0).sum(axis=1)
    # groups numbered in the order of their first sample, so the numbering is reproducible
    numbers: dict[int, str] = {}
    assignments: list[Assignment] = []
    for i, sample in enumerate(encoded.samples):
        site = sites.get(sample, "")
        if typed[i] == 0:
            assignments.append(Assignment(sample, "", site, 0, "no_dna"))
            continue
        root = groups.find(i)
        number = numbers.setdefault(root, f"I{len(numbers) + 1:04d}")
        best_link: Link | None = best.get(sample)
        assignments.append(
            Assignment(
                sample,
                number,
                site,
                int(typed[i]),
                "grouped" if len(groups.members[root]) > 1 else "single",
                best_match=((best_link.b if best_link.a == sample else best_link.a) if best_link else ""),
                log10_lr=best_link.log10_lr if best_link else None,
                log10_lr_relative=best_link.log10_lr_relative if best_link else None,
            )
        )
    return Reassociation(assignments, _site_counts(assignments, encoded, -log_t), links, encoded.notes)


def _consensus(
    profiles: Mapping[str, Mapping[str, Sequence[str]]], samples: Sequence[str]
) -> dict[str, list[str]]:
    """The alleles a group's samples show together, per marker (a marker where they show more than two is
    left out: no genotype has them all)."""
    seen: dict[str, set[str]] = {}
    for sample in samples:
        for marker, alleles in profiles[sample].items():
            seen.setdefault(marker, set()).update(a for a in alleles if not is_untyped(a))
    out: dict[str, list[str]] = {}
    for marker, shown in seen.items():
        ordered = sorted(shown)
        if len(ordered) == 2:
            out[marker] = ordered
        elif len(ordered) == 1:
            out[marker] = [ordered[0], ordered[0]]
    return out


def _join_by_consensus(
    profiles: Mapping[str, Mapping[str, Sequence[str]]],
    frequencies: FrequencyDatabase,
    encoded: _Encoded,
    groups: _Groups,
    dropout: float,
    threshold: float,
    log_rel: float,
) -> bool:
    """One round of comparison between groups, each group standing as the alleles its samples show
    together: a degraded bone that shares too few markers with any other single bone is compared with the
    nearly whole profile of its man. Joins keep the exclusion guard of :class:`_Groups` (every pair of
    samples across two groups is checked). Returns whether any two groups were joined."""
    roots = sorted({groups.find(i) for i in range(len(encoded.samples))})
    members = {r: [encoded.samples[i] for i in groups.members[r]] for r in roots}
    pseudo = {f"#{r}": _consensus(profiles, members[r]) for r in roots}
    pseudo = {k: v for k, v in pseudo.items() if v}
    if len(pseudo) < 2:
        return False
    _, links = compare_all(pseudo, frequencies, dropout=dropout, threshold=threshold)
    joined = False
    for link in sorted(links, key=lambda k: (-k.log10_lr, k.a, k.b)):
        if link.log10_lr_relative < log_rel:
            continue
        a, b = int(link.a[1:]), int(link.b[1:])
        if groups.find(a) != groups.find(b) and groups.join(a, b):
            joined = True
    return joined


def _site_counts(assignments: list[Assignment], encoded: _Encoded, exclusion: float) -> list[SiteCount]:
    index = {s: i for i, s in enumerate(encoded.samples)}
    by_site: dict[str, list[Assignment]] = {}
    for a in assignments:
        by_site.setdefault(a.site, []).append(a)
    out = []
    for site in sorted(by_site):
        rows = by_site[site]
        members: dict[str, list[int]] = {}
        for a in rows:
            if a.group:
                members.setdefault(a.group, []).append(index[a.sample])
        out.append(
            SiteCount(
                site,
                samples=len(rows),
                with_dna=sum(1 for a in rows if a.group),
                groups=len(members),
                minimum_individuals=_minimum_individuals(list(members.values()), encoded, exclusion),
            )
        )
    return out


def _minimum_individuals(groups: list[list[int]], encoded: _Encoded, exclusion: float) -> int:
    """A greedy lower bound on the individuals among ``groups``: a group counts when its representative
    (its most completely typed sample) excludes identity with the representative of every group counted
    before it, largest groups first. Two groups whose representatives exclude each other are two
    individuals, so the count never exceeds the truth."""
    typed = (encoded.codes >= 0).sum(axis=1)
    reps = [max(g, key=lambda i: (typed[i], -i)) for g in sorted(groups, key=lambda g: (-len(g), min(g)))]
    kept: list[int] = []
    for rep in reps:
        if not kept or bool(np.all(encoded.llr_against(rep, np.array(kept)) < exclusion)):
            kept.append(rep)
    return len(kept)


# ------------------------------------------------------------------------------------ direct matching


@dataclass(frozen=True, slots=True)
class DirectMatch:
    """Remains compared with a reference of the missing person himself (a personal item, a stored sample):
    log10 LR(one individual : unrelated), per marker typed in both, and how many such markers."""

    remains: str
    reference: str
    log10_lr: float
    markers: int
    per_marker: dict[str, float]


def direct_match(
    remains: Mapping[str, Mapping[str, Sequence[str]]],
    references: Mapping[str, Mapping[str, Sequence[str]]],
    frequencies: FrequencyDatabase,
    *,
    dropout: float = 0.0,
    threshold: float = 1.0e4,
) -> tuple[list[DirectMatch], list[str]]:
    """Every (remains, direct reference) pair whose LR(same individual : unrelated) reaches ``threshold``,
    best first, and the notes (markers left out, alleles added at the floor frequency).

    The LR per marker is the re-association's identity ratio ``P(o_r, o_s | one individual) /
    (P(o_r) P(o_s))`` under the same dropout model, applied to both samples; without dropout it is
    ``1 / P(genotype)`` (``1 / 2pq`` for a heterozygote, ``1 / p^2`` for a homozygote) when the two
    genotypes are equal and 0 otherwise, as dvir's direct matching computes it. Markers missing from the
    frequency table are left out with a note (the screening panel does the same)."""
    if not 0.0 <= dropout < 1.0:
        raise ReassociationError(f"dropout must be in [0, 1), not {dropout}")
    clash = sorted(set(remains) & set(references))
    if clash:
        raise ReassociationError(f"sample(s) {', '.join(clash)} are both remains and references")
    known = set(frequencies.names())
    left_out = sorted({m for p in (*remains.values(), *references.values()) for m in p} - known)
    notes = (
        [f"markers {left_out} are typed but not compared (not in the frequency database)"] if left_out else []
    )
    profiles = {
        name: {m: g for m, g in profile.items() if m in known}
        for name, profile in (*remains.items(), *references.items())
    }
    if not remains or not references:
        return [], notes
    encoded = _encode(profiles, frequencies, dropout)
    notes.extend(encoded.notes)
    index = {s: i for i, s in enumerate(encoded.samples)}
    markers = sorted({m for profile in profiles.values() for m in profile})
    refs = np.array([index[r] for r in references], dtype=np.int32)
    ref_names = list(references)
    log_t = math.log10(threshold)
    out: list[DirectMatch] = []
    for name in remains:
        i = index[name]
        if not (encoded.codes[i] >= 0).any():
            continue
        totals = encoded.llr_against(i, refs)
        for k in np.flatnonzero(totals >= log_t - 1e-9):
            j = int(refs[k])
            per_marker: dict[str, float] = {}
            for m, tables in enumerate(encoded.markers):
                a, b = int(encoded.codes[i, m]), int(encoded.codes[j, m])
                if a >= 0 and b >= 0:
                    per_marker[markers[m]] = float(tables.same[a, b] - tables.unrelated[a, b])
            total = math.fsum(per_marker.values())
            if total >= log_t:
                out.append(DirectMatch(name, ref_names[int(k)], total, len(per_marker), per_marker))
    out.sort(key=lambda d: (-d.log10_lr, d.remains, d.reference))
    return out, notes
