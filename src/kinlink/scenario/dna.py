"""DNA for the scenario: reference samples of families, degraded remains profiles, and the truth.

Each family has one missing man ``MP`` and references in one of the configurations of
:data:`CONFIGURATIONS` (mothers most often, as in practice). Genotypes are simulated exactly under the
marker's mutation model (Hardy–Weinberg founders, Mendelian transmission through the mutation matrix of
the parent's sex), so a few one-step mutations occur naturally between relatives; the truth records them.
Remains are the missing men of a share of the families plus unrelated men; degraded remains have untyped
markers and allele dropout (a heterozygous marker called with one allele, ``12,-``).

Simulation is vectorised over the families of one configuration, so 100,000 families take seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kinlink.genetics.markers import FrequencyDatabase, Locus, synthetic_database
from kinlink.genetics.mutation import MarkerMutation
from kinlink.genetics.pedigree import Pedigree, Person
from kinlink.genetics.power_file import threshold_label
from kinlink.genetics.screening import Family
from kinlink.lib import csvsafe

IntArray = NDArray[np.int64]

#: Reference configurations: pedigree members (id, sex, father, mother), typed references.
CONFIGURATIONS: dict[str, tuple[tuple[tuple[str, str, str | None, str | None], ...], tuple[str, ...]]] = {
    "mother": (
        (("FA", "male", None, None), ("MO", "female", None, None), ("MP", "male", "FA", "MO")),
        ("MO",),
    ),
    "both_parents": (
        (("FA", "male", None, None), ("MO", "female", None, None), ("MP", "male", "FA", "MO")),
        ("FA", "MO"),
    ),
    "mother_sibling": (
        (
            ("FA", "male", None, None),
            ("MO", "female", None, None),
            ("MP", "male", "FA", "MO"),
            ("S1", "female", "FA", "MO"),
        ),
        ("MO", "S1"),
    ),
    "siblings": (
        (
            ("FA", "male", None, None),
            ("MO", "female", None, None),
            ("MP", "male", "FA", "MO"),
            ("S1", "female", "FA", "MO"),
            ("S2", "male", "FA", "MO"),
        ),
        ("S1", "S2"),
    ),
    "child_mother": (
        (("MP", "male", None, None), ("WI", "female", None, None), ("CH", "male", "MP", "WI")),
        ("CH", "WI"),
    ),
}

#: How often each configuration occurs among families who give samples (mothers most often).
CONFIGURATION_SHARES: dict[str, float] = {
    "mother": 0.45,
    "both_parents": 0.2,
    "mother_sibling": 0.15,
    "siblings": 0.1,
    "child_mother": 0.1,
}


def configuration_pedigree(config: str) -> Pedigree:
    members, _ = CONFIGURATIONS[config]
    return Pedigree([Person(pid, sex, f, m) for pid, sex, f, m in members])


@dataclass
class DnaScenario:
    """Families with reference profiles, remains profiles and the truth behind them.

    ``truth`` maps remains code -> family id (its missing person ``MP``) or ``None`` for unrelated remains.
    ``mutations`` lists (family id, child member, marker) for every transmission that mutated.
    """

    loci: list[Locus]
    families: list[Family]
    configuration: dict[str, str]
    references: dict[str, dict[str, list[str]]]
    remains: dict[str, dict[str, list[str]]]
    truth: dict[str, str | None]
    condition: dict[str, str] = field(default_factory=dict)
    mutations: list[tuple[str, str, str]] = field(default_factory=list)

    def write_csv(self, folder: str | Path) -> dict[str, Path]:
        """Write pedigrees.csv, references.csv, remains.csv and frequencies.csv (``dna screen`` inputs)."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = {k: out / f"{k}.csv" for k in ("pedigrees", "references", "remains", "frequencies")}
        with paths["pedigrees"].open("w", newline="") as fh:
            w = csvsafe.writer(fh)
            w.writerow(["family", "id", "father", "mother", "sex", "sample", "missing"])
            for fam in self.families:
                for p in fam.pedigree:
                    w.writerow(
                        [
                            fam.id,
                            p.id,
                            p.father or "",
                            p.mother or "",
                            p.sex,
                            fam.samples.get(p.id, ""),
                            "1" if p.id in fam.missing else "0",
                        ]
                    )
        for key, profiles in (("references", self.references), ("remains", self.remains)):
            with paths[key].open("w", newline="") as fh:
                w = csvsafe.writer(fh)
                w.writerow(["sample", "marker", "allele1", "allele2"])
                for code, prof in profiles.items():
                    for marker, (a, b) in prof.items():
                        w.writerow([code, marker, a, b])
        with paths["frequencies"].open("w", newline="") as fh:
            w = csvsafe.writer(fh)
            w.writerow(["locus", "allele", "freq"])
            for locus in self.loci:
                for a, p in zip(locus.alleles, locus.freqs, strict=True):
                    w.writerow([locus.name, a, repr(float(p))])
        return paths


def _draw(cum: NDArray[np.float64], u: NDArray[np.float64]) -> IntArray:
    """Inverse-CDF draws: ``cum`` (K, n) cumulative rows, ``u`` (K,) uniforms -> indices (K,)."""
    idx = (u[:, None] > cum).sum(axis=1)
    return np.minimum(idx, cum.shape[1] - 1).astype(np.int64)


def _simulate(
    members: Sequence[tuple[str, str, str | None, str | None]],
    loci: Sequence[Locus],
    k: int,
    rng: np.random.Generator,
) -> tuple[dict[str, IntArray], list[tuple[int, str, int]]]:
    """Allele indices (K, markers, 2) of every member of ``k`` families, and the mutations
    (family, member, marker)."""
    n_m = len(loci)
    alleles: dict[str, IntArray] = {}
    mutations: list[tuple[int, str, int]] = []
    for pid, _sex, father, mother in members:
        g = np.zeros((k, n_m, 2), dtype=np.int64)
        for m, locus in enumerate(loci):
            if father is None or mother is None:
                cum = np.cumsum(locus.freqs)[None, :]
                g[:, m, 0] = _draw(np.broadcast_to(cum, (k, cum.shape[1])), rng.random(k))
                g[:, m, 1] = _draw(np.broadcast_to(cum, (k, cum.shape[1])), rng.random(k))
                continue
            female, male = locus.mutation_matrices()
            for slot, parent, matrix in ((0, father, male), (1, mother, female)):
                pick = rng.integers(0, 2, size=k)
                src = alleles[parent][np.arange(k), m, pick]
                if matrix is None:
                    g[:, m, slot] = src
                else:
                    got = _draw(np.cumsum(matrix, axis=1)[src], rng.random(k))
                    for fam in np.flatnonzero(got != src):
                        mutations.append((int(fam), pid, m))
                    g[:, m, slot] = got
        alleles[pid] = g
    return alleles, mutations


def _profile(loci: Sequence[Locus], g: IntArray) -> dict[str, list[str]]:
    out = {}
    for m, locus in enumerate(loci):
        a, b = sorted((int(g[m, 0]), int(g[m, 1])))
        out[locus.name] = [locus.alleles[a], locus.alleles[b]]
    return out


def _degrade(profile: dict[str, list[str]], condition: str, rng: np.random.Generator) -> dict[str, list[str]]:
    """Untyped markers and one-allele calls for partial / skeletal remains (complete: unchanged)."""
    if condition == "complete":
        return profile
    lost, drop = (0.15, 0.1) if condition == "partial" else (0.4, 0.2)
    out: dict[str, list[str]] = {}
    for marker, (a, b) in profile.items():
        if rng.random() < lost:
            continue
        if a != b and rng.random() < drop:
            out[marker] = [a if rng.random() < 0.5 else b, "-"]
        else:
            out[marker] = [a, b]
    return out


def generate_dna(
    n_families: int,
    n_remains: int,
    seed: int = 1,
    database: FrequencyDatabase | None = None,
    mutation: MarkerMutation | None = None,
    share_related: float = 0.6,
    shares: Mapping[str, float] | None = None,
    conditions: Mapping[str, float] | None = None,
) -> DnaScenario:
    """Families with references and remains: ``share_related`` of the remains are missing persons of
    distinct families, the rest unrelated men. ``shares`` overrides :data:`CONFIGURATION_SHARES`;
    ``conditions`` the shares of complete / partial / skeletal remains (default 0.5 / 0.35 / 0.15).
    """
    if n_remains * share_related > n_families:
        raise ValueError("more related remains than families")
    rng = np.random.default_rng(seed)
    db = database or synthetic_database(23, seed=seed)
    mut = mutation or MarkerMutation.from_json(
        {"model": "stepwise", "rate": 0.002, "rate2": 1e-6, "range": 0.1}
    )
    loci = [db[name].with_mutation(mut) for name in db.names()]
    shares = dict(shares or CONFIGURATION_SHARES)
    names = list(shares)
    probs = np.array([shares[c] for c in names], dtype=float)
    config_of = rng.choice(len(names), size=n_families, p=probs / probs.sum())
    n_related = round(n_remains * share_related)
    related = set(rng.choice(n_families, size=n_related, replace=False).tolist())
    cond = dict(conditions or {"complete": 0.5, "partial": 0.35, "skeletal": 0.15})
    cond_names = list(cond)
    cond_p = np.array([cond[c] for c in cond_names], dtype=float)

    families: list[Family | None] = [None] * n_families
    configuration: dict[str, str] = {}
    references: dict[str, dict[str, list[str]]] = {}
    remains: dict[str, dict[str, list[str]]] = {}
    truth: dict[str, str | None] = {}
    condition: dict[str, str] = {}
    mutations: list[tuple[str, str, str]] = []
    mp_profiles: dict[int, dict[str, list[str]]] = {}
    for c, config in enumerate(names):
        members, typed = CONFIGURATIONS[config]
        fam_idx = np.flatnonzero(config_of == c)
        if fam_idx.size == 0:
            continue
        pedigree = configuration_pedigree(config)
        alleles, muts = _simulate(members, loci, fam_idx.size, rng)
        for local, pid, m in muts:
            mutations.append((f"FAM{int(fam_idx[local]) + 1:07d}", pid, loci[m].name))
        for local, f in enumerate(fam_idx.tolist()):
            fid = f"FAM{f + 1:07d}"
            refs = {pid: _profile(loci, alleles[pid][local]) for pid in typed}
            samples = {pid: f"{fid}-{pid}" for pid in typed}
            for pid in typed:
                references[samples[pid]] = refs[pid]
            families[f] = Family(fid, pedigree, ["MP"], refs, samples)
            configuration[fid] = config
            if f in related:
                mp_profiles[f] = _profile(loci, alleles["MP"][local])
    order = rng.permutation(n_remains)
    related_list = sorted(related)
    for k in range(n_remains):
        code = f"REM{int(order[k]) + 1:06d}"
        state = cond_names[int(rng.choice(len(cond_names), p=cond_p / cond_p.sum()))]
        if k < n_related:
            f = related_list[k]
            profile = mp_profiles[f]
            truth[code] = f"FAM{f + 1:07d}"
        else:
            g = np.stack([rng.choice(locus.n_alleles, size=2, p=locus.freqs) for locus in loci]).astype(
                np.int64
            )
            profile = _profile(loci, g)
            truth[code] = None
        remains[code] = _degrade(profile, state, rng)
        condition[code] = state
    return DnaScenario(
        loci=loci,
        families=[f for f in families if f is not None],
        configuration=configuration,
        references=references,
        remains=dict(sorted(remains.items())),
        truth=truth,
        condition=condition,
        mutations=mutations,
    )


def sampling_advice(
    families_per_configuration: int = 200,
    unrelated: int = 200,
    thresholds: Sequence[float] = (1e3, 1e4, 1e6),
    seed: int = 1,
    database: FrequencyDatabase | None = None,
    condition: str = "partial",
    mutation: MarkerMutation | None = None,
) -> dict[str, dict[str, float]]:
    """Match power of each reference configuration, by simulation over the scenario's families.

    For every configuration we simulate families and the profile of their missing man, degraded as
    ``condition`` (complete, partial or skeletal remains), and
    screen them (exact tables) against those men and against unrelated men. Per configuration:
    ``power_<T>`` = share of true pairs with LR >= T, ``false_positive_rate_<T>`` = share of unrelated
    pairs with LR >= T, and the median log10 LR of true pairs. Configurations are listed best first
    (by power at 10^4), which is the order in which the portal asks relatives for samples.
    """
    from kinlink.genetics.screening import ScreeningIndex, ScreeningPanel

    out: dict[str, dict[str, float]] = {}
    for n, config in enumerate(CONFIGURATIONS):
        sc = generate_dna(
            families_per_configuration,
            families_per_configuration,
            seed=seed + n,
            database=database,
            mutation=mutation,
            share_related=1.0,
            shares={config: 1.0},
            conditions={condition: 1.0},
        )
        rng = np.random.default_rng(seed + 1000 + n)
        strangers: dict[str, dict[str, list[str]]] = {}
        for k in range(unrelated):
            g = np.stack([rng.choice(locus.n_alleles, size=2, p=locus.freqs) for locus in sc.loci])
            strangers[f"U{k}"] = _profile(sc.loci, g.astype(np.int64))
        index = ScreeningIndex(ScreeningPanel(tuple(sc.loci)), threshold=min(thresholds), top=1)
        index.add_families(sc.families)
        index.add_remains({**sc.remains, **strangers})
        index.screen()
        pos = {t.family: i for i, t in enumerate(index.targets)}
        true = np.array(
            [index.screening_log10_lr(r, index.targets[pos[f]]) for r, f in sc.truth.items() if f is not None]
        )
        stranger_pos = {index.remains.index(u) for u in strangers}
        n_unrelated_pairs = len(strangers) * len(sc.families)
        record: dict[str, float] = {"median_log10_lr": float(np.median(true))}
        for t in thresholds:
            lk = math.log10(t)
            label = threshold_label(t)
            record[f"power_{label}"] = float(np.mean(true >= lk))
            hits = sum(1 for (r, _), s in index.hits.items() if r in stranger_pos and s >= lk)
            record[f"false_positive_rate_{label}"] = hits / n_unrelated_pairs
        out[config] = record

    def rank(item: tuple[str, dict[str, float]]) -> tuple[float, ...]:
        rec = item[1]
        return (-rec.get("power_1e4", 0.0), -rec.get("power_1e6", 0.0), -rec["median_log10_lr"])

    return dict(sorted(out.items(), key=rank))
