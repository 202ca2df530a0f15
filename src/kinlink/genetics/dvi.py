"""Joint identification of several remains (victims) and missing persons in one incident (DVI).

Data: victims (post-mortem samples), families (pedigrees with reference profiles and missing members) and
the candidate pairings (victim -> missing persons it may be, sex-consistent by default). An *assignment*
gives each victim one missing person or ``*`` (not among the missing), each missing person at most once.

Likelihood of an assignment (theta = 0, markers independent), in natural log as dvir reports it:

    loglik(a) = sum over families F of ln Pr(references of F, victims placed in F's missing members)
              + sum over victims not assigned of ln Pr_HW(victim).

Two results, each conclusion with its reason:

* the joint list: exclusions (a pair whose exact pairwise LR is 0, or with more than ``max_incompatible``
  markers breaking Mendel's laws), the undisputed pairs fixed, then every remaining assignment, family by
  family (the likelihood factorises over families, so each family's placements are computed once and
  combined by a depth-first search over disjoint victims); best first, ties in dvir's order; posteriors
  under a flat prior over the admissible assignments;
* dvir's staged conclusions (``dviSolve``): nonidentifiable missing persons, exclusions and undisputed
  matches until nothing changes (an undisputed victim becomes a reference of its family), families with one
  missing person by their pairwise LRs, families with several by the GLR of their own joint table
  (GLR = max_{a: V=M} L(a) / max_{a: V!=M} L(a)) and symmetric matches with the GLR of the group, and the
  victims left by their pairwise LRs; in dvir's words (docs/methods/screening.md says where kinlink differs).

The pairwise LR of (V, M) is Pr(family with V placed at M) / (Pr(family) Pr_HW(V)), the other missing
members untyped, given the victims already moved into the family.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kinlink.genetics.likelihood import LikelihoodError, Observation, PedigreeLikelihood, observation
from kinlink.genetics.lumping import lump
from kinlink.genetics.markers import Locus, UnknownAlleleError
from kinlink.genetics.mutation import FloatArray, MarkerMutation, MutationModel, MutationModelError
from kinlink.genetics.pedigree import Pedigree, PedigreeError, Person

LN10 = math.log(10.0)
UNASSIGNED = "*"
MAX_ASSIGNMENTS = 2_000_000


class DviError(ValueError):
    """A dataset that cannot be solved; the message names the file and the part at fault."""


@dataclass
class DviFamily:
    id: str
    pedigree: Pedigree
    references: dict[str, dict[str, list[str]]]
    missing: list[str]


@dataclass
class DviDataset:
    """One incident: loci, victims (id -> profile, sex), families and pairings (victim -> candidates)."""

    name: str
    loci: list[Locus]
    victims: dict[str, dict[str, list[str]]]
    victim_sex: dict[str, str]
    families: list[DviFamily]
    pairings: dict[str, list[str]]

    def family_of(self) -> dict[str, DviFamily]:
        return {m: fam for fam in self.families for m in fam.missing}


_SEX = {1: "male", 2: "female", 0: "unknown"}


def _mutation(spec: Mapping[str, Any] | None, source: str) -> MarkerMutation:
    if not spec:
        return MarkerMutation()
    models: dict[str, MutationModel] = {}
    for sex in ("female", "male"):
        part = spec.get(sex) or spec.get("female")
        if part is None:
            raise DviError(f"{source}: mutation model lacks {sex}")
        matrix = part.get("matrix")
        try:
            models[sex] = MutationModel(
                "custom" if matrix is not None else str(part.get("model", "none")),
                float(part.get("rate", 0.0) or 0.0),
                float(part.get("rate2", 0.0) or 0.0),
                float(part.get("range", 0.5) or 0.5),
                None if matrix is None else tuple(tuple(float(x) for x in row) for row in matrix),
            )
        except (MutationModelError, TypeError, ValueError) as exc:
            raise DviError(f"{source}: {exc}") from exc
    return MarkerMutation(female=models["female"], male=models["male"])


def dataset_from_json(obj: Mapping[str, Any], source: str = "<dvi>") -> DviDataset:
    """Read the dvir-style JSON of ``tests/data/genetics/dvi`` (see its README)."""
    try:
        loci = []
        for spec in obj["loci"]:
            name = str(spec["name"])
            alleles = tuple(str(a) for a in spec["alleles"])
            freqs = np.asarray(spec["afreq"], dtype=np.float64)
            loci.append(Locus(name, alleles, freqs, _mutation(spec.get("mutmod"), f"{source}, locus {name}")))
        victims: dict[str, dict[str, list[str]]] = {}
        victim_sex: dict[str, str] = {}
        for pm in obj["pm"]:
            vid = str(pm["id"])
            victims[vid] = {m: [str(a) for a in g] for m, g in (pm.get("genotypes") or {}).items()}
            victim_sex[vid] = _SEX.get(int(pm.get("sex", 0) or 0), "unknown")
        missing = [str(m) for m in obj["missing"]]
        families: list[DviFamily] = []
        for am in obj["am"]:
            persons = [
                Person(
                    str(p["id"]),
                    _SEX.get(int(p.get("sex", 0) or 0), "unknown"),
                    None if p.get("fid") in (None, "", "0") else str(p["fid"]),
                    None if p.get("mid") in (None, "", "0") else str(p["mid"]),
                )
                for p in am["pedigree"]
            ]
            ped = Pedigree(persons)
            refs = {
                str(pid): {m: [str(a) for a in g] for m, g in prof.items()}
                for pid, prof in (am.get("genotypes") or {}).items()
            }
            fam_missing = [m for m in missing if m in ped]
            families.append(DviFamily(str(am.get("family", f"F{len(families) + 1}")), ped, refs, fam_missing))
    except (KeyError, TypeError, ValueError, PedigreeError) as exc:
        raise DviError(f"{source}: {exc}") from exc
    placed = {m for fam in families for m in fam.missing}
    lost = [m for m in missing if m not in placed]
    if lost:
        raise DviError(f"{source}: missing persons {lost} are in no family pedigree")
    pairings_obj = obj.get("pairings")
    pairings: dict[str, list[str]] = {}
    family_of = {m: fam for fam in families for m in fam.missing}
    for vid in victims:
        if pairings_obj:
            cands = [str(c) for c in pairings_obj.get(vid, [UNASSIGNED]) if str(c) != UNASSIGNED]
            unknown = [c for c in cands if c not in family_of]
            if unknown:
                raise DviError(f"{source}: pairings of {vid} name unknown missing persons {unknown}")
        else:
            cands = [
                m
                for m in missing
                if victim_sex[vid] == "unknown"
                or family_of[m].pedigree[m].sex in ("unknown", victim_sex[vid])
            ]
        pairings[vid] = cands
    return DviDataset(str(obj.get("dataset", source)), loci, victims, victim_sex, families, pairings)


def read_dvi_json(path: str | Path) -> DviDataset:
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DviError(f"{path}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise DviError(f"{path}: not JSON: {exc}") from exc
    return dataset_from_json(obj, str(path))


# ------------------------------------------------------------------------------------------------ results


@dataclass
class Assignment:
    pairs: dict[str, str]  # victim -> missing person or "*"
    loglik: float
    posterior: float = 0.0


@dataclass
class DviResult:
    dataset: DviDataset
    pairwise_lr: dict[str, dict[str, float]]
    excluded: list[tuple[str, str, str]]  # victim, missing person, reason
    undisputed: list[tuple[str, str, float]]
    joint: list[Assignment]
    conclusions: list[dict[str, Any]] = field(default_factory=list)  # one per victim (dvir's PM table)
    prior: str = ""
    conclusions_am: list[dict[str, Any]] = field(default_factory=list)  # one per missing person (AM table)


_Key = tuple[tuple[str, str], ...]  # placements (missing person, victim), sorted


class _Solver:
    """Likelihoods of one dataset, each computed once.

    Per family, the loci are lumped (:mod:`kinlink.genetics.lumping`) to the alleles seen in the family's
    references and in the victims that may be placed in it, which is exact and makes the pedigree
    computations several times cheaper. Every quantity is a family likelihood with some victims placed at
    missing members (a pairwise LR is one placement against none); the per-marker values of all the
    placements a stage needs are computed together, stacked along the marker axis, and cached: placements
    that differ only in the victim at one missing member from one table of that member's genotype
    (:meth:`PedigreeLikelihood.kept_factors_batch`, see :meth:`_compute`), the others directly
    (:meth:`PedigreeLikelihood.log10_likelihoods_batch`).
    """

    BATCH = 512  # placements per stacked computation (bounds the size of the stacked arrays)
    KEPT_FROM = 2  # placements sharing all but one victim from which they are computed from one kept table

    def __init__(self, data: DviDataset) -> None:
        self.data = data
        self.family_of = data.family_of()
        self.loci = self._loci()
        self.mutations = any(not x.mutation.is_trivial for x in self.loci)
        self._models = {fam.id: PedigreeLikelihood(fam.pedigree) for fam in data.families}
        self._cache: dict[tuple[str, bool, _Key], FloatArray] = {}
        # families that show the same alleles at a marker share its lumped locus (and its parsed calls)
        self._lump_cache: dict[tuple[int, frozenset[str]], Locus] = {}
        self._fam_loci = {fam.id: self._lumped(fam) for fam in data.families}
        # without the mutation model: the same lumped alleles (so a profile reads the same in both)
        plain = (
            {x: x.with_mutation(MarkerMutation()) for x in set(self._lump_cache.values())}
            if self.mutations
            else {}
        )
        self._plain_loci = {
            fid: [plain[x] for x in loci] if self.mutations else loci for fid, loci in self._fam_loci.items()
        }
        self._parsed_cache: dict[tuple[str, str], dict[str, Observation]] = {}
        # parsed calls by lumped locus and profile (the profiles live as long as the dataset)
        self._call_cache: dict[tuple[Locus, int], Observation] = {}
        self.hw = {v: self._hw_loglik(v) for v in data.victims}

    def _loci(self) -> list[Locus]:
        loci = []
        profiles = [
            *self.data.victims.values(),
            *(p for f in self.data.families for p in f.references.values()),
        ]
        for locus in self.data.loci:
            seen = [a for p in profiles for a in p.get(locus.name, ())]
            new, _ = locus.with_alleles(seen)
            if new is not locus:
                raise DviError(f"marker {locus.name}: observed alleles are not in the dataset's allele list")
            loci.append(locus)
        return loci

    def _lumped(self, fam: DviFamily) -> list[Locus]:
        members = set(fam.missing)
        profiles = [
            *fam.references.values(),
            *(self.data.victims[v] for v, cands in self.data.pairings.items() if members & set(cands)),
        ]
        out = []
        for k, locus in enumerate(self.loci):
            seen = frozenset(a for p in profiles for a in p.get(locus.name, ()))
            lumped = self._lump_cache.get((k, seen))
            if lumped is None:
                lumped = self._lump_cache[(k, seen)] = lump(locus, seen)
            out.append(lumped)
        return out

    def _hw_loglik(self, victim: str) -> float:
        total = 0.0
        for locus in self.loci:
            labels = self.data.victims[victim].get(locus.name)
            if not labels:
                continue
            try:
                a, b = observation(locus, labels)
            except UnknownAlleleError as exc:
                raise DviError(f"victim {victim}: {exc}") from exc
            if a is None or b is None:
                x = a if a is not None else b
                assert x is not None
                p = float(locus.freqs[x])
                total += math.log(p * (2.0 - p))
                continue
            p, q = float(locus.freqs[a]), float(locus.freqs[b])
            total += math.log(p * q if a == b else 2.0 * p * q)
        return total

    def _parsed(
        self, fam: DviFamily, who: str, profile: Mapping[str, Sequence[str]]
    ) -> dict[str, Observation]:
        """A profile as allele indices of the family's lumped loci (parsed once per family and person;
        the loci without mutation have the same alleles)."""
        key = (fam.id, who)
        if key not in self._parsed_cache:
            out: dict[str, Observation] = {}
            for locus in self._fam_loci[fam.id]:
                labels = profile.get(locus.name)
                if labels:
                    call = self._call_cache.get((locus, id(profile)))
                    if call is None:
                        try:
                            call = self._call_cache[(locus, id(profile))] = observation(locus, labels)
                        except (LikelihoodError, UnknownAlleleError) as exc:
                            raise DviError(f"family {fam.id}, {who}: {exc}") from exc
                    out[locus.name] = call
            self._parsed_cache[key] = out
        return self._parsed_cache[key]

    def _profiles(self, fam: DviFamily, placed: _Key) -> dict[str, Mapping[str, Observation]]:
        profiles: dict[str, Mapping[str, Observation]] = {
            p: self._parsed(fam, p, prof) for p, prof in fam.references.items()
        }
        for missing, victim in placed:
            profiles[missing] = self._parsed(fam, victim, self.data.victims[victim])
        return profiles

    def marker_logliks(
        self, fam: DviFamily, keys: Sequence[_Key], plain: bool = False, both: bool = False
    ) -> list[FloatArray]:
        """log10 Pr(references and the victims placed at missing members) per marker, per placement;
        ``plain``: without the mutation model (to count the markers that break Mendel's laws); ``both``:
        compute the placements with and without the mutation model together (the pairwise stages need
        both), in one pass of the engine.

        All placements not yet cached are computed together. Childless missing members placed in some of
        them and not in others enter as stand-ins, so placements differ in typing pattern only by the
        missing members with children they place."""
        plain = plain and self.mutations
        variants = (False, True) if both and self.mutations else (plain,)
        todo = list(dict.fromkeys(k for k in keys for x in variants if (fam.id, x, k) not in self._cache))
        if todo:
            self._compute(fam, variants, todo, self.BATCH)
        return [self._cache[(fam.id, plain, k)] for k in keys]

    def family_logliks(self, fam: DviFamily, keys: Sequence[_Key], both: bool = False) -> list[float]:
        """Natural-log likelihood of the family with the placements (``-inf`` when impossible)."""
        return [float(np.sum(v)) * LN10 for v in self.marker_logliks(fam, keys, both=both)]

    def _loci_of(self, fam: DviFamily, variants: tuple[bool, ...]) -> list[Locus]:
        """The family's loci of each variant, one after the other (the engine computes them in one pass)."""
        return [locus for x in variants for locus in (self._plain_loci if x else self._fam_loci)[fam.id]]

    def _store(self, fam: DviFamily, variants: tuple[bool, ...], key: _Key, row: FloatArray) -> None:
        n = len(self.loci)
        for k, x in enumerate(variants):
            self._cache[(fam.id, x, key)] = row[k * n : (k + 1) * n]

    def _compute(self, fam: DviFamily, variants: tuple[bool, ...], todo: list[_Key], chunk: int) -> None:
        """Placements that share all but one victim are computed together: each key is split into the
        placements of the others (``rest``) and one (missing person ``m``, victim ``v``), chosen so that
        as many keys as possible share ``(rest, m)``. One elimination with ``m`` kept
        (:meth:`PedigreeLikelihood.kept_factors_batch`) gives ``Pr(rest, m = (a, b))`` per marker, and
        each victim's likelihood at ``m`` is that table summed over the victim's genotype (``rest`` alone,
        if wanted too, is the sum of the whole table): exact, and one pedigree computation instead of one
        per victim. Keys that share nothing are computed directly."""
        wanted = set(todo)
        counts: dict[tuple[_Key, str], int] = {}
        for key in todo:
            for i, (m, _) in enumerate(key):
                split = (key[:i] + key[i + 1 :], m)
                # a rest that is wanted too comes free with the group (the sum of its table)
                counts[split] = counts.get(split, 1 if split[0] in wanted else 0) + 1
        groups: dict[str, dict[_Key, list[tuple[_Key, str | None]]]] = {}
        split_of: dict[_Key, tuple[str, _Key, str]] = {}
        for key in todo:
            if key:
                i = max(range(len(key)), key=lambda j: counts[(key[:j] + key[j + 1 :], key[j][0])])
                rest, (m, v) = key[:i] + key[i + 1 :], key[i]
                groups.setdefault(m, {}).setdefault(rest, []).append((key, v))
                split_of[key] = (m, rest, v)
        direct: list[_Key] = []
        for key in todo:  # a key that is the rest of a group: the sum of that group's table
            owner = next((m for m, by_rest in groups.items() if key in by_rest), None)
            if owner is None:
                if not key:
                    direct.append(key)
                continue
            if key:
                m, rest, v = split_of[key]
                groups[m][rest].remove((key, v))
                if not groups[m][rest]:
                    del groups[m][rest]
            groups[owner][key].append((key, None))
        for m in list(groups):
            for rest in list(groups[m]):
                if len(groups[m][rest]) < self.KEPT_FROM:
                    direct.extend(key for key, _ in groups[m].pop(rest))
            if not groups[m]:
                del groups[m]
        if direct:
            self._direct(fam, variants, direct, chunk)
        loci = self._loci_of(fam, variants)
        variable = sorted({m for placed in todo for m, _ in placed})
        model = self._models[fam.id]
        for m, by_rest in groups.items():
            rests = list(by_rest)
            for start in range(0, len(rests), chunk):
                part = rests[start : start + chunk]
                sets = [self._profiles(fam, rest) for rest in part]
                try:
                    kept = model.kept_factors_batch(loci, sets, m, variable)
                except LikelihoodError:  # too large with m kept: the placements one by one, as before
                    self._direct(fam, variants, [key for rest in part for key, _ in by_rest[rest]], chunk)
                    continue
                for rest, factors in zip(part, kept, strict=True):
                    for key, victim in by_rest[rest]:
                        obs = {} if victim is None else self._parsed(fam, victim, self.data.victims[victim])
                        self._store(fam, variants, key, _placed_log10(loci, factors, obs))

    def _direct(self, fam: DviFamily, variants: tuple[bool, ...], todo: list[_Key], chunk: int) -> None:
        loci = self._loci_of(fam, variants)
        variable = sorted({m for placed in todo for m, _ in placed})
        for start in range(0, len(todo), chunk):
            part = todo[start : start + chunk]
            sets = [self._profiles(fam, placed) for placed in part]
            try:
                values = self._models[fam.id].log10_likelihoods_batch(loci, sets, variable)
            except LikelihoodError as exc:
                if chunk > 1 and "entries" in str(exc):  # stacked arrays too large: smaller batches
                    self._direct(fam, variants, part, max(1, chunk // 4))
                    continue
                raise DviError(f"family {fam.id}: {exc}") from exc
            for placed, row in zip(part, values, strict=True):
                self._store(fam, variants, placed, row)

    def lr_matrix(
        self, pairs: Sequence[tuple[str, str]], fixed: Mapping[str, str]
    ) -> dict[tuple[str, str], float]:
        """Pairwise LR of each (victim, missing person) given the victims already placed (``fixed``:
        missing person -> victim, taken as references, as dvir moves identified victims into the AM data):
        Pr(family with the victim placed) / (Pr(family) Pr_HW(victim))."""
        out: dict[tuple[str, str], float] = {}
        by_family: dict[str, list[tuple[str, str]]] = {}
        for v, m in pairs:
            by_family.setdefault(self.family_of[m].id, []).append((v, m))
        for fam in self.data.families:
            wanted = by_family.get(fam.id)
            if not wanted:
                continue
            base = tuple(sorted((m, v) for m, v in fixed.items() if m in fam.missing))
            keys = [tuple(sorted([*base, (m, v)])) for v, m in wanted]
            lls = self.family_logliks(fam, [base, *keys], both=True)
            if lls[0] == -math.inf:
                raise DviError(
                    f"family {fam.id}: the reference profiles are impossible in its pedigree (Mendelian "
                    "inconsistency without a mutation model)"
                )
            for (v, m), ll in zip(wanted, lls[1:], strict=True):
                out[(v, m)] = 0.0 if ll == -math.inf else math.exp(ll - lls[0] - self.hw[v])
        return out

    def incompatible(
        self, pairs: Sequence[tuple[str, str]], fixed: Mapping[str, str]
    ) -> dict[tuple[str, str], list[str]]:
        """Markers where each pair breaks Mendel's laws: the family likelihood with the victim placed (and
        ``fixed``) is 0 without a mutation model. As forrel's ``findExclusions`` (which dvir uses), a marker
        where the references alone need a mutation counts for every pair."""
        out: dict[tuple[str, str], list[str]] = {}
        for fam in self.data.families:
            wanted = [(v, m) for v, m in pairs if m in fam.missing]
            if not wanted:
                continue
            base = tuple(sorted((m, v) for m, v in fixed.items() if m in fam.missing))
            keys = [tuple(sorted([*base, (m, v)])) for v, m in wanted]
            for pair, row in zip(wanted, self.marker_logliks(fam, keys, plain=True, both=True), strict=True):
                out[pair] = [locus.name for locus, x in zip(self.loci, row, strict=True) if x == -math.inf]
        return out


def _placed_log10(
    loci: Sequence[Locus], factors: Sequence[tuple[FloatArray, float]], obs: Mapping[str, Observation]
) -> FloatArray:
    """log10 likelihood per marker of a family with one more person typed ``obs``, from that person's
    kept table ``K / 10**scale`` per marker (:meth:`PedigreeLikelihood.kept_factors_batch`): ``sum E * K``
    over the person's ordered allele pairs, with the evidence ``E`` of :func:`evidence_table` (no dropout);
    ``-inf`` where it is 0."""
    out = np.empty(len(loci))
    for b, (locus, (k, scale)) in enumerate(zip(loci, factors, strict=True)):
        a, c = obs.get(locus.name, (None, None))
        if a is None and c is None:
            s = float(k.sum())
        elif a is None or c is None:  # one allele called: every genotype that contains it
            x = a if a is not None else c
            assert x is not None
            s = float(k[x, :].sum()) + float(k[:x, x].sum()) + float(k[x + 1 :, x].sum())
        elif a == c:
            s = float(k[a, a])
        else:
            s = float(k[a, c]) + float(k[c, a])
        out[b] = math.log10(s) + scale if s > 0.0 else -math.inf
    return out


def _undisputed_entries(
    lrs: Mapping[tuple[str, str], float], threshold: float
) -> list[tuple[str, str, float]]:
    """dvir's rule: LR >= threshold, and every other LR of the same victim and of the same missing person
    is at most LR / threshold."""
    out = []
    for (v, m), lr in lrs.items():
        if lr < threshold - _EPS:
            continue
        others = [x for (vv, mm), x in lrs.items() if (vv == v) != (mm == m)]
        if all(x <= lr / threshold for x in others):
            out.append((v, m, lr))
    return out


_Option = tuple[frozenset[str], _Key, float]
_EPS = math.sqrt(sys.float_info.epsilon)
#: An LR this close to 1 is 1 (dvir compares the rounded value: 0.999999999999996 is "No match" there).
_ONE = 1.0 - 1e-9
_TIE = 1e-10  # log-likelihoods closer than this (relative) are ties, ordered by the assignment's labels


def _family_options(
    solver: _Solver,
    fam: DviFamily,
    victims: Sequence[str],
    candidates: Mapping[str, Sequence[str]],
    fixed: Mapping[str, str],
    impossible: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> list[_Option]:
    """(victims used, placements, log-likelihood gain over "all unassigned") for every placement.

    ``fixed`` (victim -> missing person) are placed in every option. A placement with an ``impossible``
    (victim, missing) pair has gain -inf without being computed: its pairwise LR is 0, so the family
    likelihood with more members placed is 0 too."""
    found: list[tuple[frozenset[str], _Key]] = []
    possible = {m: [v for v in victims if m in candidates[v]] for m in fam.missing}
    forced = {m: v for v, m in fixed.items() if m in fam.missing}

    def extend(i: int, placed: list[tuple[str, str]], used: set[str]) -> None:
        if i == len(fam.missing):
            found.append((frozenset(used), tuple(sorted(placed))))
            return
        m = fam.missing[i]
        if m not in forced:
            extend(i + 1, placed, used)
        for v in [forced[m]] if m in forced else possible[m]:
            if v not in used:
                extend(i + 1, [*placed, (m, v)], used | {v})

    extend(0, [], set())
    feasible = [key for _, key in found if not any((v, m) in impossible for m, v in key)]
    logliks = dict(zip(feasible, solver.family_logliks(fam, feasible), strict=True))
    return [
        (used, key, logliks[key] - sum(solver.hw[v] for _, v in key) if key in logliks else -math.inf)
        for used, key in found
    ]


def _dvir_order(rows: list[tuple[dict[str, str], float]], victims: Sequence[str]) -> list[int]:
    """Indices of ``rows`` (assignment, log-likelihood) best first, ties in dvir's order.

    dvir sorts by decreasing log-likelihood, then by each victim's missing person in turn (victims in
    dataset order, labels in increasing order, ``*`` last). Log-likelihoods equal to ``_TIE`` (relative)
    count as equal here, so that rounding in the last digits (which differs between implementations) does
    not decide the order of symmetric assignments."""

    def label_key(i: int) -> tuple[tuple[int, str], ...]:
        pairs = rows[i][0]
        return tuple((1, "") if pairs[v] == UNASSIGNED else (0, pairs[v]) for v in victims)

    order = sorted(range(len(rows)), key=lambda i: (-rows[i][1], label_key(i)))
    out: list[int] = []
    k = 0
    while k < len(order):
        head = rows[order[k]][1]
        j = k + 1
        while (
            j < len(order)
            and head > -math.inf
            and abs(rows[order[j]][1] - head) <= _TIE * max(1.0, abs(head))
        ):
            j += 1
        out.extend(sorted(order[k:j], key=label_key))
        k = j
    return out


def _ancestors(ped: Pedigree, pid: str) -> set[str]:
    out = {pid}
    todo = [pid]
    while todo:
        p = ped[todo.pop()]
        for parent in (p.father, p.mother):
            if parent is not None and parent not in out:
                out.add(parent)
                todo.append(parent)
    return out


def _nonidentifiable(data: DviDataset) -> dict[str, str]:
    """Missing persons related by blood to no typed reference, directly or through other missing persons
    (dvir's ``findNonidentifiable``): missing person -> why."""
    out: dict[str, str] = {}
    for fam in data.families:
        typed = [p for p, prof in fam.references.items() if prof]
        anc = {p: _ancestors(fam.pedigree, p) for p in [*typed, *fam.missing]}
        cand = list(fam.missing)
        linked = list(typed)
        while cand and linked:
            linked = [c for c in cand if any(anc[c] & anc[x] for x in linked)]
            cand = [c for c in cand if c not in linked]
        for m in cand:
            out[m] = "No references in family" if not typed else "Unrelated to all references"
    return out


def _relationship(fam: DviFamily, a: str, b: str) -> str:
    pa, pb = fam.pedigree[a], fam.pedigree[b]
    if pa.father is not None and pa.father == pb.father and pa.mother == pb.mother:
        return "full siblings"
    if pa.father is not None and (pa.father == pb.father or pa.mother == pb.mother):
        return "half siblings"
    return "relatives"


def _row(
    missing: str | None,
    victim: str | None,
    family: str | None,
    conclusion: str,
    reason: str,
    lr: float | None = None,
    glr: float | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    return {
        "victim": victim,
        "missing": missing,
        "family": family,
        "lr": lr,
        "glr": glr,
        "conclusion": conclusion,
        "comment": comment,
        "reason": reason,
    }


def _fmt(x: float) -> str:
    return f"{x:.2g}"


class _Stages:
    """dvir's ``dviSolve`` stages on kinlink's likelihoods: nonidentifiable missing persons; exclusions and
    undisputed matches until nothing changes (an undisputed victim is moved into its family as a
    reference, and the LRs are computed again given it); families with one missing person by their pairwise
    LRs; families with several by the GLR of their own joint table and symmetric matches; the victims left
    by their pairwise LRs. Conclusions use dvir's words (see docs/methods/screening.md)."""

    def __init__(self, solver: _Solver, threshold: float, threshold2: float, max_incompatible: int) -> None:
        self.s = solver
        self.data = solver.data
        self.threshold = threshold
        self.threshold2 = threshold2
        self.max_incompatible = max_incompatible
        self.am: dict[str, dict[str, Any]] = {}
        self.pm: dict[str, dict[str, Any]] = {}
        self.fixed: dict[str, str] = {}  # missing person -> victim moved into the AM data
        self.undisputed: list[tuple[str, str, float]] = []
        self.lrmat: dict[tuple[str, str], float] = {}
        self.glr: dict[tuple[str, str], float] = {}

    def fam(self, m: str) -> str:
        return self.s.family_of[m].id

    def run(self) -> None:
        data = self.data
        vics = list(data.victims)
        miss = [m for fam in data.families for m in fam.missing]
        for m, why in _nonidentifiable(data).items():
            self.am[m] = _row(
                m, None, self.fam(m), "Nonidentifiable", f"{m} is related to no typed reference", comment=why
            )
        miss = [m for m in miss if m not in self.am]
        pairings = {v: [m for m in data.pairings[v] if m in miss] for v in vics}
        iteration = 0
        while True:
            iteration += 1
            changed, vics, miss, pairings = self._exclusions(vics, miss, pairings)
            if not changed and iteration > 1:
                break
            changed, vics, miss, pairings = self._undisputed(vics, miss, pairings)
            if not changed:
                break
        vics = self._families(vics, miss, pairings)
        self._pm_driven(vics)

    def _exclusions(
        self, vics: list[str], miss: list[str], pairings: dict[str, list[str]]
    ) -> tuple[bool, list[str], list[str], dict[str, list[str]]]:
        pairs = [(v, m) for v in vics for m in pairings[v]]
        bad = self.s.incompatible(pairs, self.fixed)
        count = {p: len(b) for p, b in bad.items()}
        vmin = {v: min((count[(v, m)] for m in pairings[v]), default=math.inf) for v in vics}
        mmin = {m: min((count[(v, mm)] for v, mm in pairs if mm == m), default=math.inf) for m in miss}
        ex_v = [v for v in vics if vmin[v] > self.max_incompatible]
        ex_m = [m for m in miss if mmin[m] > self.max_incompatible]

        def why(k: float) -> str:
            return "No compatible pairings" if k == math.inf else f"{k:g}+ inconsistencies"

        for v in ex_v:
            self.pm[v] = _row(
                None,
                v,
                None,
                "Excluded",
                f"every pairing of {v} breaks Mendel's laws at more than {self.max_incompatible} markers",
                comment=why(vmin[v]),
            )
        for m in ex_m:
            self.am[m] = _row(
                m,
                None,
                self.fam(m),
                "Excluded",
                f"every victim breaks Mendel's laws with {m} at more than {self.max_incompatible} markers",
                comment=why(mmin[m]),
            )
        new_vics = [v for v in vics if v not in ex_v]
        new_miss = [m for m in miss if m not in ex_m]
        new_pairings = {
            v: [m for m in pairings[v] if m in new_miss and count[(v, m)] <= self.max_incompatible]
            for v in new_vics
        }
        changed = bool(ex_v or ex_m) or any(new_pairings[v] != pairings[v] for v in new_vics)
        return changed, new_vics, new_miss, new_pairings

    def _undisputed(
        self, vics: list[str], miss: list[str], pairings: dict[str, list[str]]
    ) -> tuple[bool, list[str], list[str], dict[str, list[str]]]:
        changed = False
        step = 0
        reduced = pairings
        while vics and miss:
            step += 1
            pairs = [(v, m) for v in vics for m in pairings[v]]
            lrs = self.s.lr_matrix(pairs, self.fixed)
            self.lrmat = lrs
            reduced = {v: [m for m in pairings[v] if lrs[(v, m)] > 0] for v in vics}
            found = _undisputed_entries(lrs, self.threshold)
            if not found:
                break
            changed = True
            for v, m, lr in found:
                reason = (
                    f"pairwise LR {lr:.4g} >= {self.threshold:g} and at least {self.threshold:g} times every "
                    f"other LR of {v} and of {m}"
                )
                if step > 1:
                    reason += ", given the undisputed matches of the earlier steps"
                for table, key in ((self.pm, v), (self.am, m)):
                    table[key] = _row(m, v, self.fam(m), "Undisputed", reason, lr=lr, comment=f"Step {step}")
                self.fixed[m] = v
                self.undisputed.append((v, m, lr))
            done_v = {v for v, _, _ in found}
            done_m = {m for _, m, _ in found}
            vics = [v for v in vics if v not in done_v]
            miss = [m for m in miss if m not in done_m]
            pairings = {v: [m for m in pairings[v] if m not in done_m] for v in vics}
            for v in [v for v in vics if not pairings[v]]:
                self.pm[v] = _row(
                    None, v, None, "Excluded", f"no pairing of {v} is left", comment="No compatible pairings"
                )
            vics = [v for v in vics if pairings[v]]
            reduced = pairings
        if any(reduced[v] != pairings[v] for v in vics):
            changed = True
        return changed, vics, miss, {v: reduced[v] for v in vics}

    def _families(self, vics: list[str], miss: list[str], pairings: dict[str, list[str]]) -> list[str]:
        for fam in self.data.families:
            fm = [m for m in miss if m in fam.missing]
            if len(fm) == 1:
                self._simple(fam, fm[0], vics)
        for fam in self.data.families:
            fm = [m for m in miss if m in fam.missing]
            if len(fm) > 1:
                vics = self._complex(fam, fm, vics, pairings)
        return vics

    def _simple(self, fam: DviFamily, m: str, vics: list[str]) -> None:
        lrs = {v: self.lrmat[(v, m)] for v in vics if (v, m) in self.lrmat}
        if not lrs:
            self.am[m] = _row(
                m, None, fam.id, "No match", f"no victim may be {m}", comment="No remaining pairings"
            )
            return
        best = max(lrs, key=lambda v: lrs[v])  # the first of equal maxima, as which.max
        top = lrs[best]
        high = [v for v, x in lrs.items() if x > self.threshold2]
        rups = {v: x for v, x in lrs.items() if v != best}
        if len(high) > 1:
            concl = "Disputed"
            comment = "Also: " + ", ".join(f"{v} (LR={_fmt(lrs[v])})" for v in high if v != best)
            reason = f"{len(high)} victims have a pairwise LR above {self.threshold2:g} for {m}"
        elif high:
            concl = "Probable"
            runner = max(rups, key=lambda v: rups[v]) if rups else None
            comment = "Runner-up: " + (f"{runner} (LR={_fmt(rups[runner])})" if runner else "-")
            reason = f"only {best} has a pairwise LR above {self.threshold2:g} for {m} ({top:.4g})"
        elif top >= _ONE:
            concl, comment = "Inconclusive", f"Best: {best}"
            reason = f"the best pairwise LR for {m} is {top:.4g} ({best}), below {self.threshold2:g}"
        else:
            concl, comment = "No match", None
            reason = f"every pairwise LR for {m} is below 1"
        self.am[m] = _row(m, best, fam.id, concl, reason, lr=top, comment=comment)

    def _complex(
        self, fam: DviFamily, fm: list[str], vics: list[str], pairings: dict[str, list[str]]
    ) -> list[str]:
        fv = [v for v in vics if set(pairings[v]) & set(fm)]
        if not fv:
            return vics
        cands = {v: [m for m in pairings[v] if m in fm] for v in fv}
        base = [(m, v) for m, v in self.fixed.items() if m in fam.missing]
        found: list[dict[str, str]] = []

        def extend(i: int, a: dict[str, str], used: set[str]) -> None:
            if i == len(fv):
                found.append(dict(a))
                return
            v = fv[i]
            a[v] = UNASSIGNED
            extend(i + 1, a, used)
            for m in cands[v]:
                if m not in used:
                    a[v] = m
                    extend(i + 1, a, used | {m})

        extend(0, {}, set())
        keys = [tuple(sorted([*base, *((m, v) for v, m in a.items() if m != UNASSIGNED)])) for a in found]
        lls = self.s.family_logliks(fam, keys)
        rows = [
            (a, ll - sum(self.s.hw[v] for v, m in a.items() if m != UNASSIGNED))
            for a, ll in zip(found, lls, strict=True)
        ]
        table = [rows[i] for i in _dvir_order(rows, fv)]
        ll = [x for _, x in table]

        def ratio(i: int, j: int) -> float:
            if ll[i] == -math.inf:
                return 0.0 if ll[j] > -math.inf else math.nan
            return math.exp(ll[i] - ll[j])

        glr: dict[tuple[str, str], float] = {}
        for v in fv:
            col = [a[v] for a, _ in table]
            if len(set(col)) < 2:
                continue
            for m in fm:
                if m not in col:
                    continue
                num = col.index(m)
                den = next(i for i, x in enumerate(col) if x != col[0]) if num == 0 else 0
                glr[(v, m)] = ratio(num, den)
        self.glr.update(glr)
        joint = "{" + ",".join(fm) + "}"
        matched = [(v, m, g) for (v, m), g in glr.items() if g >= self.threshold - _EPS]
        for v, m, g in matched:
            reason = (
                f"GLR {g:.4g} >= {self.threshold:g}: the best assignment of family {fam.id} with {v} = {m} "
                f"against the best without"
            )
            for tab, key in ((self.pm, v), (self.am, m)):
                tab[key] = _row(
                    m, v, fam.id, "Match (GLR)", reason, self.lrmat.get((v, m)), g, f"Joint: {joint}"
                )
        done_v = {v for v, _, _ in matched}
        rem_v = [v for v in fv if v not in done_v]
        rem_m = [m for m in fm if m not in {m for _, m, _ in matched}]
        done_v |= self._symmetric(fam, table, rem_v, rem_m)
        for m in fm:
            if m in self.am:
                continue
            gs = [g for (v, mm), g in glr.items() if mm == m and not math.isnan(g)]
            lrs = [x for (v, mm), x in self.lrmat.items() if mm == m]
            self.am[m] = _row(
                m,
                None,
                fam.id,
                "Inconclusive",
                f"no victim reaches GLR {self.threshold:g} for {m} in the joint table of family {fam.id}",
                lr=max(lrs) if lrs else None,
                glr=max(gs) if gs else None,
            )
        return [v for v in vics if v not in done_v]

    def _symmetric(
        self, fam: DviFamily, table: list[tuple[dict[str, str], float]], vics: list[str], miss: list[str]
    ) -> set[str]:
        """dvir's symmetric matches: the two best assignments differ only by one victim placed as either
        of two missing persons, or by two victims swapped between two missing persons (full siblings, for
        example). The GLR of the group compares the best assignment with the best one that does not place
        the victim(s) within the pair of missing persons."""
        if len(vics) * len(miss) <= 1 or len(table) < 3:
            return set()
        (r1, l1), (r2, _) = table[0], table[1]
        diffs = [v for v in vics if r1[v] != r2[v]]
        if not diffs or len(diffs) > 2 or any(UNASSIGNED in (r1[v], r2[v]) for v in diffs):
            return set()
        if len(diffs) == 1:
            group = [diffs[0]]
            pair = [m for m in miss if m in (r1[diffs[0]], r2[diffs[0]])]
        elif {r1[v] for v in diffs} == {r2[v] for v in diffs}:
            group = diffs
            pair = [m for m in miss if m in {r1[v] for v in diffs}]
        else:
            return set()
        if len(pair) != 2:
            return set()
        end = next((a for a in table if not all(a[0][v] in pair for v in group)), None)
        if end is None or (end[1] == -math.inf and l1 == -math.inf):
            return set()
        g = math.inf if end[1] == -math.inf else math.exp(l1 - end[1])
        if g < self.threshold - _EPS:
            return set()
        rel = _relationship(fam, pair[0], pair[1])
        reason = (
            f"{' and '.join(group)} fit {' and '.join(pair)} ({rel}) equally well, so the data cannot tell "
            f"which is which; GLR {g:.4g} for the group {{{', '.join(group)}}} = {{{', '.join(pair)}}} "
            "against the best assignment that places them otherwise"
        )

        def same(xs: list[float | None]) -> float | None:
            vals = [x for x in xs if x is not None]
            return vals[0] if len(vals) == len(xs) and max(vals) - min(vals) < 1e-3 else None

        glr = None if math.isinf(g) else g
        if len(group) == 1:
            v = group[0]
            for m, other in ((pair[0], pair[1]), (pair[1], pair[0])):
                self.am[m] = _row(
                    m,
                    v,
                    fam.id,
                    "Symmetric match",
                    reason,
                    self.lrmat.get((v, m)),
                    glr,
                    f"{v} also matches {other} ({rel})",
                )
            self.pm[v] = _row(
                "/".join(pair),
                v,
                fam.id,
                "Symmetric match",
                reason,
                same([self.lrmat.get((v, m)) for m in pair]),
                glr,
                f"{pair[0]} and {pair[1]} are {rel}",
            )
        else:
            cap = rel[:1].upper() + rel[1:]
            for m in pair:
                self.am[m] = _row(
                    m,
                    "/".join(group),
                    fam.id,
                    "Symmetric match",
                    reason,
                    same([self.lrmat.get((v, m)) for v in group]),
                    glr,
                    f"{cap}: {{{', '.join(pair)}}} = {{{', '.join(group)}}}",
                )
            for v in group:
                self.pm[v] = _row(
                    "/".join(pair),
                    v,
                    fam.id,
                    "Symmetric match",
                    reason,
                    same([self.lrmat.get((v, m)) for m in pair]),
                    glr,
                    f"{cap}: {{{', '.join(group)}}} = {{{', '.join(pair)}}}",
                )
        return set(group)

    def _pm_driven(self, vics: list[str]) -> None:
        columns = list(dict.fromkeys(m for _, m in self.lrmat))
        for v in vics:
            if v in self.pm:
                continue
            lrs = {m: self.lrmat[(v, m)] for m in columns if (v, m) in self.lrmat}
            if not lrs:
                self.pm[v] = _row(
                    None, v, None, "No match", f"no pairing of {v} is left", comment="No remaining pairings"
                )
                continue
            best = max(lrs, key=lambda m: lrs[m])
            top = lrs[best]
            high = [m for m, x in lrs.items() if x >= self.threshold2 - _EPS]
            rups = {m: x for m, x in lrs.items() if m != best}
            if len(high) > 1:
                comment = "Also: " + ", ".join(f"{m} (LR={_fmt(lrs[m])})" for m in high if m != best)
                self.pm[v] = _row(
                    best,
                    v,
                    self.fam(best),
                    "Disputed",
                    f"{len(high)} missing persons have a pairwise LR of at least {self.threshold2:g} for {v}",
                    lr=top,
                    comment=comment,
                )
            elif high:
                runner = max(rups, key=lambda m: rups[m]) if rups else None
                self.pm[v] = _row(
                    best,
                    v,
                    self.fam(best),
                    "Probable",
                    f"only {best} has a pairwise LR of at least {self.threshold2:g} for {v} ({top:.4g})",
                    lr=top,
                    comment="Runner-up: " + (f"{runner} (LR={_fmt(rups[runner])})" if runner else "-"),
                )
            elif top >= _ONE:
                self.pm[v] = _row(
                    None,
                    v,
                    None,
                    "Inconclusive",
                    f"the best pairwise LR of {v} is {top:.4g} ({best}), below {self.threshold2:g}",
                    lr=top,
                    comment=f"Best: {best}",
                )
            else:
                self.pm[v] = _row(None, v, None, "No match", f"every pairwise LR of {v} is below 1", lr=top)


def solve(
    data: DviDataset,
    threshold: float = 1e4,
    max_incompatible: int = 2,
    max_assignments: int = MAX_ASSIGNMENTS,
    threshold2: float | None = None,
) -> DviResult:
    """Exclusions, undisputed pairs, joint search and dvir's staged conclusions; see the module docstring.

    A pair is excluded when its exact LR is 0, or when more than ``max_incompatible`` markers break
    Mendel's laws (each would need a mutation; dvir's rule, a judgement stated in the conclusion).
    ``threshold2`` (default ``max(1, threshold / 10)``, as dvir) is the pairwise LR that makes a match
    "Probable" where no joint GLR decides.
    """
    solver = _Solver(data)
    victims = list(data.victims)
    all_pairs = [(v, m) for v in victims for m in data.pairings[v]]
    lr0 = solver.lr_matrix(all_pairs, {})
    pairwise: dict[str, dict[str, float]] = {v: {m: lr0[(v, m)] for m in data.pairings[v]} for v in victims}
    bad = solver.incompatible(all_pairs, {})
    excluded: list[tuple[str, str, str]] = []
    impossible: set[tuple[str, str]] = set()
    for v, m in all_pairs:
        lr, markers = lr0[(v, m)], bad[(v, m)]
        if len(markers) > max_incompatible:
            excluded.append(
                (
                    v,
                    m,
                    f"{len(markers)} markers break Mendel's laws ({', '.join(markers)}), more than the "
                    f"{max_incompatible} mutations allowed; pairwise LR {lr:.3g}",
                )
            )
        elif lr == 0.0:
            excluded.append((v, m, "pairwise LR is 0: the profiles are incompatible"))
            # impossible pairs (LR 0, at most ``max_incompatible`` markers at fault) stay in the enumeration
            # with log-likelihood -inf, as dvir lists them; pairs with more incompatible markers leave it.
            impossible.add((v, m))
    excluded_pairs = {(v, m) for v, m, _ in excluded} - impossible
    stages = _Stages(
        solver, threshold, max(1.0, threshold / 10) if threshold2 is None else threshold2, max_incompatible
    )
    stages.run()
    fixed = {v: m for v, m, _ in stages.undisputed}
    fixed_missing = set(fixed.values())
    candidates = {
        v: (
            [fixed[v]]
            if v in fixed
            else [m for m in pairwise[v] if (v, m) not in excluded_pairs and m not in fixed_missing]
        )
        for v in victims
    }
    # Per family: every injective placement of its candidate victims into its missing members.
    fam_options = [
        _family_options(solver, fam, victims, candidates, fixed, impossible) for fam in data.families
    ]
    total_options = math.prod(len(o) for o in fam_options)
    base = sum(solver.hw.values())
    joint: list[Assignment] = []

    def combine(i: int, used: frozenset[str], placed: list[tuple[str, str]], ll: float) -> None:
        if len(joint) > max_assignments:
            raise DviError(
                f"more than {max_assignments} joint assignments; raise the threshold for undisputed pairs or "
                "restrict the pairings"
            )
        if i == len(fam_options):
            pairs = dict.fromkeys(victims, UNASSIGNED)
            for m, v in placed:
                pairs[v] = m
            joint.append(Assignment(pairs, base + ll))
            return
        for vs, key, fll in fam_options[i]:
            if vs & used:
                continue
            combine(i + 1, used | vs, [*placed, *key], ll + fll)

    combine(0, frozenset(), [], 0.0)
    # best first, ties in dvir's order; impossible assignments (loglik -inf, posterior 0) last
    order = _dvir_order([(a.pairs, a.loglik) for a in joint], victims)
    joint = [joint[i] for i in order]
    finite = [a.loglik for a in joint if a.loglik > -math.inf]
    if finite:
        top = max(finite)
        weights = [math.exp(a.loglik - top) if a.loglik > -math.inf else 0.0 for a in joint]
        norm = sum(weights)
        for a, w in zip(joint, weights, strict=True):
            a.posterior = w / norm
    result = DviResult(
        data,
        pairwise,
        excluded,
        stages.undisputed,
        joint,
        prior=f"uniform over the {len(joint)} joint assignments (of {total_options} combinations); "
        f"{sum(1 for a in joint if a.loglik == -math.inf)} of them are impossible (log-likelihood -inf, "
        "posterior 0)",
    )
    post: dict[tuple[str, str], float] = {}
    for a in joint:
        for v, m in a.pairs.items():
            post[(v, m)] = post.get((v, m), 0.0) + a.posterior
    family_of = data.family_of()
    for v in victims:
        row = stages.pm.get(v) or _row(
            None, v, None, "Inconclusive", f"no stage reached a conclusion for {v}"
        )
        m = row["missing"]
        row["posterior"] = post.get((v, m)) if m in family_of else None
        result.conclusions.append(row)
    for fam in data.families:
        for m in fam.missing:
            result.conclusions_am.append(
                stages.am.get(m)
                or _row(m, None, fam.id, "Inconclusive", f"no stage reached a conclusion for {m}")
            )
    return result


# ------------------------------------------------------------------------------------------------ output


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _clean(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()}


def report_json(result: DviResult, top: int = 20) -> dict[str, Any]:
    """``{"pairwise_lr", "joint", "conclusions", "conclusions_am", "excluded", "undisputed", "prior"}``;
    ``joint`` best first, ties in dvir's order (``top`` = 0: all); ``conclusions`` one per victim and
    ``conclusions_am`` one per missing person, as dvir's ``dviSolve`` tables (PM and AM)."""
    joint = result.joint if top <= 0 else result.joint[:top]
    return {
        "dataset": result.dataset.name,
        "pairwise_lr": {v: {m: _num(lr) for m, lr in row.items()} for v, row in result.pairwise_lr.items()},
        "joint": [{"assignment": a.pairs, "loglik": _num(a.loglik), "posterior": a.posterior} for a in joint],
        "joint_count": len(result.joint),
        "prior": result.prior,
        "conclusions": [_clean(c) for c in result.conclusions],
        "conclusions_am": [_clean(c) for c in result.conclusions_am],
        "excluded": [{"victim": v, "missing": m, "reason": why} for v, m, why in result.excluded],
        "undisputed": [{"victim": v, "missing": m, "lr": _num(lr)} for v, m, lr in result.undisputed],
    }


def _g(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def report_text(result: DviResult, top: int = 20) -> str:
    lines = [f"Dataset {result.dataset.name}", "", "Pairwise LR (victim x missing person):"]
    for v, row in result.pairwise_lr.items():
        lines.append(f"  {v}: " + ", ".join(f"{m}={lr:.4g}" for m, lr in row.items()))
    lines += ["", f"Joint assignments (prior: {result.prior}):"]
    for a in result.joint if top <= 0 else result.joint[:top]:
        pairs = ", ".join(f"{v}={m}" for v, m in a.pairs.items())
        lines.append(f"  loglik {a.loglik:.6f}  posterior {a.posterior:.4g}  {pairs}")
    lines += ["", "Conclusions:"]
    for c in result.conclusions:
        lines.append(
            f"  {c['victim']} / {c['missing'] or '-'}: {c['conclusion']} ({c['reason']}) "
            f"[LR {_g(c['lr'])}, GLR {_g(c['glr'])}{'; ' + c['comment'] if c['comment'] else ''}]"
        )
    lines += ["", "Conclusions per missing person:"]
    for c in result.conclusions_am:
        lines.append(
            f"  {c['missing']} ({c['family']}) / {c['victim'] or '-'}: {c['conclusion']} "
            f"[LR {_g(c['lr'])}, GLR {_g(c['glr'])}{'; ' + c['comment'] if c['comment'] else ''}]"
        )
    return "\n".join(lines)


__all__ = [
    "DviDataset",
    "DviError",
    "DviResult",
    "dataset_from_json",
    "read_dvi_json",
    "report_json",
    "solve",
]
