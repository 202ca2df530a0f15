"""Joint identification of several remains (victims) and missing persons in one incident (DVI).

Data: victims (post-mortem samples), families (pedigrees with reference profiles and missing members) and
the candidate pairings (victim -> missing persons it may be, sex-consistent by default). An *assignment*
gives each victim one missing person or ``*`` (not among the missing), each missing person at most once.

Likelihood of an assignment (theta = 0, markers independent), in natural log as dvir reports it:

    loglik(a) = sum over families F of ln Pr(references of F, victims placed in F's missing members)
              + sum over victims not assigned of ln Pr_HW(victim).

Stages, each with its reason recorded:

1. exclusions: a pair whose exact pairwise LR is 0 (Mendelian incompatibility without a mutation model)
   is removed from the pairings;
2. undisputed pairs: pairwise LR >= ``threshold`` and at least ``threshold`` times every other LR of the
   same victim and of the same missing person; they are fixed before the joint search;
3. joint search over all remaining assignments, family by family (the likelihood factorises over families,
   so each family's sub-assignments are computed once and combined by a depth-first search over disjoint
   victims). Posteriors use a flat prior over the admissible assignments; for a pair (V, M) we report its
   posterior (sum over assignments containing it) and the generalised LR
   GLR = max_{a: V=M} L(a) / max_{a: V!=M} L(a).

The pairwise LR of (V, M) is the missing-person LR of V in M's family with the other missing members
untyped (:func:`kinlink.genetics.kinship.marker_lrs`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kinlink.genetics.kinship import poi_marker_lr
from kinlink.genetics.likelihood import LikelihoodError, Observation, PedigreeLikelihood, observation
from kinlink.genetics.lumping import lump
from kinlink.genetics.markers import Locus, UnknownAlleleError, is_untyped
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
    conclusions: list[dict[str, Any]] = field(default_factory=list)
    prior: str = ""


class _Solver:
    """Likelihoods of one dataset, each computed once.

    Per family, the loci are lumped (:mod:`kinlink.genetics.lumping`) to the alleles seen in the family's
    references and in the victims that may be placed in it, which is exact and makes the pedigree
    computations several times cheaper. Pairwise LRs come from the missing person's predictive genotype
    distribution, computed once per missing person and scored against every victim; the family likelihoods
    of all sub-assignments are computed together, stacked along the marker axis
    (:meth:`PedigreeLikelihood.log10_likelihoods_batch`), and cached.
    """

    BATCH = 512  # sub-assignments per stacked computation (bounds the size of the stacked arrays)

    def __init__(self, data: DviDataset) -> None:
        self.data = data
        self.family_of = data.family_of()
        self.loci = self._loci()
        self._models = {fam.id: PedigreeLikelihood(fam.pedigree) for fam in data.families}
        self._fam_cache: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._fam_loci = {fam.id: self._lumped(fam, plain=False) for fam in data.families}
        self._plain_loci: dict[str, list[Locus]] = {}
        self._parsed_cache: dict[tuple[str, str], dict[str, Observation]] = {}
        self._dist_cache: dict[tuple[str, bool], list[tuple[FloatArray, float]] | None] = {}
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

    def _lumped(self, fam: DviFamily, plain: bool) -> list[Locus]:
        members = set(fam.missing)
        profiles = [
            *fam.references.values(),
            *(self.data.victims[v] for v, cands in self.data.pairings.items() if members & set(cands)),
        ]
        out = []
        for locus in self.loci:
            base = locus.with_mutation(MarkerMutation()) if plain else locus
            out.append(lump(base, [a for p in profiles for a in p.get(locus.name, ())]))
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

    def family_logliks(
        self, fam: DviFamily, keys: Sequence[tuple[tuple[str, str], ...]]
    ) -> list[float]:
        """ln Pr(references and the victims placed at missing members) for one family, per placement.

        All placements not yet cached are computed together: the missing members placed in any of them
        range over all alleles in each (untyped where nobody is placed), so every placement has the same
        typing pattern and the family is eliminated once per allele-count class, for all placements."""
        todo = list(dict.fromkeys(k for k in keys if (fam.id, k) not in self._fam_cache))
        if todo:
            self._compute_family(fam, todo, self.BATCH)
        return [self._fam_cache[(fam.id, k)] for k in keys]

    def _compute_family(self, fam: DviFamily, todo: list[tuple[tuple[str, str], ...]], chunk: int) -> None:
        loci = self._fam_loci[fam.id]
        variable = sorted({m for placed in todo for m, _ in placed})
        for start in range(0, len(todo), chunk):
            part = todo[start : start + chunk]
            refs = {p: self._parsed(fam, p, prof) for p, prof in fam.references.items()}
            sets: list[dict[str, Mapping[str, Observation]]] = []
            for placed in part:
                profiles = dict(refs)
                for missing, victim in placed:
                    profiles[missing] = self._parsed(fam, victim, self.data.victims[victim])
                sets.append(profiles)
            try:
                values = self._models[fam.id].log10_likelihoods_batch(loci, sets, variable)  # type: ignore[arg-type]
            except UnknownAlleleError as exc:
                raise DviError(f"family {fam.id}: {exc}") from exc
            except LikelihoodError as exc:
                if chunk > 1 and "entries" in str(exc):  # stacked arrays too large: smaller batches
                    self._compute_family(fam, part, max(1, chunk // 4))
                    continue
                raise DviError(f"family {fam.id}: {exc}") from exc
            for placed, row in zip(part, values, strict=True):
                self._fam_cache[(fam.id, placed)] = float(np.sum(row)) * LN10

    def _parsed(self, fam: DviFamily, who: str, profile: Mapping[str, Sequence[str]]) -> dict[str, Observation]:
        """A profile as allele indices of the family's lumped loci (parsed once per family and person)."""
        key = (fam.id, who)
        if key not in self._parsed_cache:
            out: dict[str, Observation] = {}
            for locus in self._fam_loci[fam.id]:
                labels = profile.get(locus.name)
                if labels:
                    try:
                        out[locus.name] = observation(locus, labels)
                    except (LikelihoodError, UnknownAlleleError) as exc:
                        raise DviError(f"family {fam.id}, {who}: {exc}") from exc
            self._parsed_cache[key] = out
        return self._parsed_cache[key]

    def family_loglik(self, fam: DviFamily, placed: tuple[tuple[str, str], ...]) -> float:
        return self.family_logliks(fam, [placed])[0]

    def _distributions(self, missing: str, plain: bool) -> list[tuple[FloatArray, float]] | None:
        """The missing person's ordered genotype distribution per marker given the references (``None``
        when the references are impossible at some marker)."""
        key = (missing, plain)
        if key not in self._dist_cache:
            fam = self.family_of[missing]
            if plain:
                if fam.id not in self._plain_loci:
                    self._plain_loci[fam.id] = self._lumped(fam, plain=True)
                loci = self._plain_loci[fam.id]
            else:
                loci = self._fam_loci[fam.id]
            refs = {
                p: {m: g for m, g in prof.items() if g and not all(is_untyped(a) for a in g)}
                for p, prof in fam.references.items()
            }
            try:
                dists = self._models[fam.id].ordered_distributions(loci, refs, missing)
            except (LikelihoodError, UnknownAlleleError) as exc:
                raise DviError(f"family {fam.id}: {exc}") from exc
            self._dist_cache[key] = None if any(s == -math.inf for _, s in dists) else dists
        return self._dist_cache[key]

    def _marker_lrs(self, victim: str, missing: str, plain: bool) -> list[float]:
        dists = self._distributions(missing, plain)
        if dists is None:
            raise DviError(
                f"pair {victim}-{missing}: the reference profiles of family {self.family_of[missing].id} are "
                "impossible in its pedigree (Mendelian inconsistency without a mutation model)"
            )
        fam = self.family_of[missing]
        loci = self._plain_loci[fam.id] if plain else self._fam_loci[fam.id]
        profile = self.data.victims[victim]
        out = []
        for locus, (ordered, _) in zip(loci, dists, strict=True):
            labels = profile.get(locus.name)
            if not labels or all(is_untyped(a) for a in labels):
                out.append(1.0)
                continue
            try:
                out.append(poi_marker_lr(ordered, locus, labels, 0.0))
            except UnknownAlleleError as exc:
                raise DviError(f"victim {victim}: {exc}") from exc
        return out

    def pairwise(self, victim: str, missing: str) -> float:
        """Exact pairwise LR (the other missing members untyped)."""
        return math.prod(self._marker_lrs(victim, missing, plain=False))

    def incompatible(self, victim: str, missing: str) -> list[str]:
        """Markers where the pair breaks Mendel's laws (the LR without a mutation model is 0)."""
        if self._distributions(missing, plain=True) is None:  # references themselves need a mutation
            return []
        lrs = self._marker_lrs(victim, missing, plain=True)
        return [locus.name for locus, lr in zip(self.loci, lrs, strict=True) if lr == 0.0]


def _undisputed(
    pairwise: Mapping[str, Mapping[str, float]], threshold: float
) -> list[tuple[str, str, float]]:
    out = []
    for v, row in pairwise.items():
        for m, lr in row.items():
            if lr < threshold:
                continue
            others = [x for mm, x in row.items() if mm != m]
            others += [r[m] for vv, r in pairwise.items() if vv != v and m in r]
            if all(lr >= threshold * x for x in others):
                out.append((v, m, lr))
    return out


_Option = tuple[frozenset[str], tuple[tuple[str, str], ...], float]


def _family_options(
    solver: _Solver,
    fam: DviFamily,
    victims: Sequence[str],
    candidates: Mapping[str, Sequence[str]],
    fixed: Mapping[str, str],
    impossible: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> list[_Option]:
    """(victims used, placements, log-likelihood gain over "all unassigned") for every placement.

    A placement with an ``impossible`` (victim, missing) pair has gain -inf without being computed: its
    pairwise LR is 0, so the family likelihood with more members placed is 0 too."""
    found: list[tuple[frozenset[str], tuple[tuple[str, str], ...]]] = []
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


def solve(
    data: DviDataset,
    threshold: float = 1e4,
    max_incompatible: int = 2,
    max_assignments: int = MAX_ASSIGNMENTS,
) -> DviResult:
    """Exclusions, undisputed pairs, joint search; see the module docstring.

    A pair is excluded when its exact LR is 0, or when more than ``max_incompatible`` markers break
    Mendel's laws (each would need a mutation; dvir's rule, a judgement stated in the conclusion).
    """
    solver = _Solver(data)
    victims = list(data.victims)
    pairwise: dict[str, dict[str, float]] = {
        v: {m: solver.pairwise(v, m) for m in data.pairings[v]} for v in victims
    }
    excluded: list[tuple[str, str, str]] = []
    for v in victims:
        for m, lr in pairwise[v].items():
            if lr == 0.0:
                excluded.append((v, m, "pairwise LR is 0: the profiles are incompatible"))
                continue
            bad = solver.incompatible(v, m) if any(not x.mutation.is_trivial for x in solver.loci) else []
            if len(bad) > max_incompatible:
                excluded.append(
                    (
                        v,
                        m,
                        f"{len(bad)} markers break Mendel's laws ({', '.join(bad)}), more than the "
                        f"{max_incompatible} mutations allowed; pairwise LR {lr:.3g}",
                    )
                )
    # Impossible pairs (LR 0, at most ``max_incompatible`` markers at fault) stay in the enumeration with
    # log-likelihood -inf, as dvir lists them; pairs with more incompatible markers leave the search.
    impossible = {
        (v, m)
        for v, m, _ in excluded
        if pairwise[v][m] == 0.0 and len(solver.incompatible(v, m)) <= max_incompatible
    }
    excluded_pairs = {(v, m) for v, m, _ in excluded} - impossible
    undisputed = _undisputed(pairwise, threshold)
    fixed = {v: m for v, m, _ in undisputed}
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
    # best first; impossible assignments (loglik -inf, posterior 0) last, in a fixed order
    joint.sort(key=lambda a: (-a.loglik, sorted(a.pairs.items())))
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
        undisputed,
        joint,
        prior=f"uniform over the {len(joint)} joint assignments (of {total_options} combinations); "
        f"{sum(1 for a in joint if a.loglik == -math.inf)} of them are impossible (log-likelihood -inf, "
        "posterior 0)",
    )
    result.conclusions = _conclusions(result, threshold)
    return result


def _conclusions(result: DviResult, threshold: float) -> list[dict[str, Any]]:
    """One conclusion per victim and per missing person, each with the reason."""
    data = result.dataset
    out: list[dict[str, Any]] = []
    family_of = data.family_of()
    for v, m, why in result.excluded:
        out.append(
            {"victim": v, "missing": m, "family": family_of[m].id, "conclusion": "excluded", "reason": why}
        )
    undisputed = {(v, m): lr for v, m, lr in result.undisputed}
    for (v, m), lr in undisputed.items():
        out.append(
            {
                "victim": v,
                "missing": m,
                "family": family_of[m].id,
                "conclusion": "identified (undisputed)",
                "lr": lr,
                "reason": f"pairwise LR {lr:.4g} >= {threshold:g} and at least {threshold:g} times every "
                "other LR of this victim and of this missing person",
            }
        )
    if not result.joint or result.joint[0].loglik == -math.inf:
        return out
    best = result.joint[0]

    def glr(v: str, m: str) -> tuple[float, float]:
        with_ = max((a.loglik for a in result.joint if a.pairs[v] == m), default=-math.inf)
        without = max((a.loglik for a in result.joint if a.pairs[v] != m), default=-math.inf)
        post = sum(a.posterior for a in result.joint if a.pairs[v] == m)
        if with_ == -math.inf:
            return 0.0, post
        if without == -math.inf:
            return math.inf, post
        return math.exp(with_ - without), post

    for v in data.victims:
        m = best.pairs[v]
        if (v, m) in undisputed:
            continue
        g, post = glr(v, m)
        ties = [
            a.pairs[v]
            for a in result.joint
            if abs(a.loglik - best.loglik) <= 1e-9 * max(1.0, abs(best.loglik)) and a.pairs[v] != m
        ]
        record: dict[str, Any] = {
            "victim": v,
            "missing": m,
            "family": family_of[m].id if m in family_of else None,
            "glr": g if math.isfinite(g) else None,
            "posterior": post,
        }
        if ties:
            alt_set = sorted({m, *ties})
            alts = "/".join(alt_set)
            group = sorted(w for w in data.victims if best.pairs[w] in alt_set)
            placed = sorted(best.pairs[w] for w in group)
            outside = [a.loglik for a in result.joint if sorted(a.pairs[w] for w in group) != placed]
            group_glr = math.exp(best.loglik - max(outside, default=-math.inf))
            record.update(
                conclusion="symmetric (undecidable)" if group_glr < threshold else "symmetric match",
                group_glr=group_glr if math.isfinite(group_glr) else None,
                reason=f"assignments placing {v} as {alts} have the same likelihood (for example full "
                f"siblings), so the data cannot tell them apart; the group {{{', '.join(group)}}} = "
                f"{{{', '.join(placed)}}} has GLR {group_glr:.4g}",
            )
        elif m == UNASSIGNED:
            record.update(
                conclusion="not among the missing" if g >= threshold else "inconclusive",
                reason=f"the best joint assignment leaves {v} unassigned; GLR {g:.4g} against the best "
                f"assignment that places it",
            )
        elif g >= threshold:
            record.update(
                conclusion="identified (joint)",
                reason=f"GLR {g:.4g} >= {threshold:g}: the best assignment with {v} = {m} against the best "
                f"without; posterior {post:.6g} under a flat prior over assignments",
            )
        else:
            record.update(
                conclusion="inconclusive",
                reason=f"best joint assignment places {v} as {m} but GLR {g:.4g} < {threshold:g}",
            )
        out.append(record)
    return out


# ------------------------------------------------------------------------------------------------ output


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


def report_json(result: DviResult, top: int = 20) -> dict[str, Any]:
    """``{"pairwise_lr", "joint", "conclusions", "prior"}``; ``joint`` best first (``top`` = 0: all)."""
    joint = result.joint if top <= 0 else result.joint[:top]
    return {
        "dataset": result.dataset.name,
        "pairwise_lr": {v: {m: _num(lr) for m, lr in row.items()} for v, row in result.pairwise_lr.items()},
        "joint": [{"assignment": a.pairs, "loglik": _num(a.loglik), "posterior": a.posterior} for a in joint],
        "joint_count": len(result.joint),
        "prior": result.prior,
        "conclusions": [
            {k: (_num(v) if isinstance(v, float) else v) for k, v in c.items()} for c in result.conclusions
        ],
    }


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
        lines.append(f"  {c['victim']} / {c['missing']}: {c['conclusion']} ({c['reason']})")
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
