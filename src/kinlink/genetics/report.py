"""Reading an LR: verbal scale, posterior probability for a stated prior, and power by simulation.

Verbal scale: the ENFSI Guideline for Evaluative Reporting in Forensic Science (2015), which words the
support that the findings give to one proposition over the other by orders of magnitude of the LR. An
LR below 1 supports H2 and is worded with the same scale applied to 1/LR.

Power: for a case as it stands (the references typed so far), :func:`power` gives the distribution of the
log10 LR that a POI would get if he were the missing person (H1 true) and if he were an unrelated man (H2
true). The expected log10 LR under each hypothesis is exact (a sum over genotypes per marker); quantiles
and exceedance probabilities come from simulating full POI profiles. Comparing these with the lab's
reporting threshold tells a caseworker whether more relatives should give samples; ``extra_relatives``
simulates the effect of typing more pedigree members.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kinlink.genetics.kinship import KinshipCase, KinshipResult, marker_lrs, prepare_loci
from kinlink.genetics.likelihood import PedigreeLikelihood, genotype_pairs, hardy_weinberg
from kinlink.genetics.markers import Locus
from kinlink.genetics.pedigree import Pedigree
from kinlink.genetics.posterior import posterior_probability

VERBAL_SCALE_SOURCE = "ENFSI Guideline for Evaluative Reporting in Forensic Science (2015)"

#: (lower bound of the LR, wording) from the ENFSI guideline, strongest first.
ENFSI_SCALE: tuple[tuple[float, str], ...] = (
    (1e6, "extremely strong support"),
    (1e4, "very strong support"),
    (1e3, "strong support"),
    (1e2, "moderately strong support"),
    (1e1, "moderate support"),
    (2.0, "weak support"),
)


def verbal_equivalent(lr: float) -> str:
    """ENFSI (2015) wording for an LR, e.g. ``"very strong support for H1"``; LR < 1 is worded for H2."""
    if math.isnan(lr):
        raise ValueError("the LR is not a number")
    if lr == 0.0:
        return "excluded: the findings are impossible under H1"
    favoured, value = ("H1", lr) if lr >= 1 else ("H2", 1.0 / lr)
    for bound, words in ENFSI_SCALE:
        if value >= bound:
            return f"{words} for {favoured}"
    return "no support for either proposition (LR close to 1)"


def case_report(result: KinshipResult, prior: float | None = None) -> dict[str, Any]:
    """A reportable summary: per-marker and total LR, log10 LR, verbal scale, posterior, notes."""
    out: dict[str, Any] = result.to_json()
    out["verbal"] = verbal_equivalent(result.lr)
    out["verbal_scale"] = VERBAL_SCALE_SOURCE
    if prior is not None:
        out["prior"] = prior
        out["posterior"] = posterior_probability(result.lr, prior)
    return out


def format_text(result: KinshipResult, prior: float | None = None) -> str:
    """A plain-text table of a case's LR for caseworkers."""
    lines = [f"Case {result.case_id}", f"{'marker':<14}{'LR':>14}{'log10 LR':>11}"]
    for m in result.markers:
        log10 = f"{m.log10_lr:.3f}" if math.isfinite(m.log10_lr) else "-inf"
        note = "" if m.poi_typed else "  (POI untyped)"
        lines.append(f"{m.marker:<14}{m.lr:>14.6g}{log10:>11}{note}")
    total = f"{result.log10_lr:.3f}" if math.isfinite(result.log10_lr) else "-inf"
    lines.append(f"{'total':<14}{result.lr:>14.6g}{total:>11}")
    lines.append(f"Verbal ({VERBAL_SCALE_SOURCE}): {verbal_equivalent(result.lr)}")
    if prior is not None:
        lines.append(f"Posterior P(H1) for prior {prior:g}: {posterior_probability(result.lr, prior):.6g}")
    lines.extend(f"Note: {n}" for n in result.notes)
    return "\n".join(lines)


@dataclass
class PowerResult:
    """Simulated log10 LRs under H1 (POI is the missing person) and H2 (POI unrelated)."""

    case_id: str
    markers: list[str]
    log10_lr_h1: np.ndarray
    log10_lr_h2: np.ndarray
    expected_log10_lr_h1: float | None
    expected_log10_lr_h2: float | None
    threshold: float
    extra_relatives: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        def quantiles(x: np.ndarray) -> dict[str, float]:
            finite = np.where(np.isfinite(x), x, -400.0)
            return {
                f"q{int(q * 100):02d}": float(np.quantile(finite, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)
            }

        def finite(x: float | None) -> float | None:
            return x if x is not None and math.isfinite(x) else None

        log_t = math.log10(self.threshold)
        return {
            "id": self.case_id,
            "markers": len(self.markers),
            "simulations": int(self.log10_lr_h1.size),
            "extra_relatives": self.extra_relatives,
            "threshold_lr": self.threshold,
            "h1": {
                "expected_log10_lr": finite(self.expected_log10_lr_h1),
                "p_lr_above_threshold": float(np.mean(self.log10_lr_h1 >= log_t)),
                "quantiles_log10_lr": quantiles(self.log10_lr_h1),
            },
            "h2": {
                "expected_log10_lr": finite(self.expected_log10_lr_h2),
                "p_lr_above_threshold": float(np.mean(self.log10_lr_h2 >= log_t)),
                "p_excluded": float(np.mean(self.log10_lr_h2 == -np.inf)),
                "quantiles_log10_lr": quantiles(self.log10_lr_h2),
            },
        }


def simulate_profiles(
    pedigree: Pedigree, loci: Sequence[Locus], rng: np.random.Generator
) -> dict[str, dict[str, list[str]]]:
    """Unconditional genotypes of every pedigree member: founders from the frequencies (Hardy–Weinberg),
    children by Mendelian transmission through each sex's mutation matrix."""
    profiles: dict[str, dict[str, list[str]]] = {pid: {} for pid in pedigree.ids}
    for locus in loci:
        female, male = locus.mutation_matrices()
        n = locus.n_alleles
        alleles: dict[str, tuple[int, int]] = {}
        for person in pedigree:
            if person.father is None or person.mother is None:
                pair = rng.choice(n, size=2, p=locus.freqs)
                alleles[person.id] = (int(pair[0]), int(pair[1]))
            else:
                got = []
                for parent, matrix in ((person.father, male), (person.mother, female)):
                    a = alleles[parent][int(rng.integers(2))]
                    if matrix is not None:
                        a = int(rng.choice(n, p=matrix[a]))
                    got.append(a)
                alleles[person.id] = (got[0], got[1])
            a, b = sorted(alleles[person.id])
            profiles[person.id][locus.name] = [locus.alleles[a], locus.alleles[b]]
    return profiles


def _sample_genotype(locus: Locus, probs: np.ndarray, rng: np.random.Generator) -> list[str]:
    i, j = genotype_pairs(locus.n_alleles)
    k = int(rng.choice(probs.size, p=probs / probs.sum()))
    return [locus.alleles[i[k]], locus.alleles[j[k]]]


def power(
    case: KinshipCase,
    simulations: int = 1000,
    seed: int = 1,
    threshold: float = 1e4,
    extra_relatives: Sequence[str] = (),
) -> PowerResult:
    """Distribution of the log10 LR under H1 and H2 for this case's pedigree and references.

    The POI is simulated with a full profile at all the case's markers, without dropout, theta = 0.
    Without ``extra_relatives`` each marker needs one exact elimination, and the per-genotype LR is
    ``Pr(MP = g | refs) / HW(g)``; the expected log10 LRs are exact. With ``extra_relatives`` (untyped
    pedigree members to be sampled), their genotypes are drawn jointly with the missing person's given the
    references (one person at a time, each from its exact conditional distribution) and the LR is
    recomputed with them as references.
    """
    if simulations < 1:
        raise ValueError("simulations must be at least 1")
    if case.theta != 0.0:
        raise ValueError("power simulation supports theta = 0 only")
    for pid in extra_relatives:
        if pid not in case.pedigree or pid == case.missing or pid in case.references:
            raise ValueError(
                f"extra relative {pid!r} must be an untyped pedigree member other than the missing person"
            )
    rng = np.random.default_rng(seed)
    loci, _ = prepare_loci(case)
    names = [locus.name for locus in loci]
    model = PedigreeLikelihood(case.pedigree)
    refs = {pid: dict(prof) for pid, prof in case.references.items()}
    if not extra_relatives:
        dists = model.genotype_distributions(loci, refs, case.missing, case.dropout)
        h1 = np.zeros(simulations)
        h2 = np.zeros(simulations)
        exp1 = 0.0
        exp2 = 0.0
        for locus, dist in zip(loci, dists, strict=True):
            post = dist.probs
            hw = hardy_weinberg(locus)
            with np.errstate(divide="ignore"):
                log_lr = np.log10(post) - np.log10(hw)
            k1 = rng.choice(post.size, size=simulations, p=post / post.sum())
            k2 = rng.choice(hw.size, size=simulations, p=hw / hw.sum())
            h1 += log_lr[k1]
            h2 += log_lr[k2]
            support = post > 0
            exp1 += float(np.sum(post[support] * log_lr[support]))
            # An unrelated man who cannot be the missing person has log10 LR = -inf.
            exp2 += -math.inf if not support.all() else float(np.sum(hw * log_lr))
        return PowerResult(case.id, names, h1, h2, exp1, exp2, threshold)
    h1 = np.zeros(simulations)
    h2 = np.zeros(simulations)
    for s in range(simulations):
        sampled = {pid: dict(prof) for pid, prof in refs.items()}
        for pid in [*extra_relatives, case.missing]:
            dists = model.genotype_distributions(loci, sampled, pid, case.dropout)
            sampled[pid] = {
                locus.name: _sample_genotype(locus, d.probs, rng)
                for locus, d in zip(loci, dists, strict=True)
            }
        true_poi = sampled.pop(case.missing)
        unrelated = {locus.name: _sample_genotype(locus, hardy_weinberg(locus), rng) for locus in loci}
        for poi, target in ((true_poi, h1), (unrelated, h2)):
            sim_case = KinshipCase(
                case.id, case.pedigree, case.missing, loci, sampled, poi, dropout=case.dropout
            )
            results = marker_lrs(sim_case, loci)
            target[s] = -math.inf if any(r.lr == 0 for r in results) else sum(r.log10_lr for r in results)
    return PowerResult(case.id, names, h1, h2, None, None, threshold, list(extra_relatives))
