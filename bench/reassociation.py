"""Re-association of commingled remains at scale: 10,000 samples from 3,000 individuals.

The individuals are drawn here with plain random sampling from the norSTR frequencies (one in five has a
full brother in the same batch, one in ten a father), 1 to 7 bones each, spread over 30 batches; most
bones give a partial profile with allele dropout, some none at all. The truth is known, so the grouping
is scored pairwise (precision and recall of "same individual" over all pairs of samples with DNA) and
the minimum number of individuals per batch is compared with the true number. Run by hand:

    PYTHONPATH=src .venv/bin/python -m bench.reassociation [--samples 10000 --individuals 3000]

Writes ``bench/results/reassociation.json`` with the machine it ran on.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from typing import Any

from tests.data import DATA

from bench._machine import write_results
from kinlink.genetics.markers import read_frequency_table
from kinlink.genetics.reassociation import reassociate

FREQS = DATA / "genetics" / "frequencies" / "norSTR" / "europeDB.csv"


def _draw(loci: dict[str, tuple[list[str], list[float]]], rng: random.Random) -> dict[str, list[str]]:
    return {m: rng.choices(alleles, weights, k=2) for m, (alleles, weights) in loci.items()}


def _child(f: dict[str, list[str]], m: dict[str, list[str]], rng: random.Random) -> dict[str, list[str]]:
    return {k: [rng.choice(f[k]), rng.choice(m[k])] for k in f}


def _bone(
    profile: dict[str, list[str]], keep: float, dropout: float, rng: random.Random
) -> dict[str, list[str]]:
    out = {}
    for marker, (x, y) in profile.items():
        if rng.random() > keep:
            continue
        if x == y:
            seen = [x] if rng.random() >= dropout**2 else []
        else:
            seen = [a for a in (x, y) if rng.random() >= dropout]
        if len(seen) == 2:
            out[marker] = seen
        elif seen:
            out[marker] = [seen[0], seen[0]]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--individuals", type=int, default=3_000)
    parser.add_argument("--markers", type=int, default=21)
    parser.add_argument("--dropout", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threshold", type=float, default=1e6)
    parser.add_argument("--keep", type=float, default=0.75, help="share of markers a degraded bone keeps")
    parser.add_argument("--relative-threshold", type=float, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    db = read_frequency_table(FREQS)
    loci = {n: (list(db[n].alleles), [float(f) for f in db[n].freqs]) for n in db.names()[: args.markers]}

    people: list[dict[str, list[str]]] = []
    batch_of: list[int] = []
    while len(people) < args.individuals:
        batch = rng.randrange(30)
        father, mother = _draw(loci, rng), _draw(loci, rng)
        first = _child(father, mother, rng)
        people.append(first)
        batch_of.append(batch)
        if rng.random() < 0.2 and len(people) < args.individuals:  # his brother, in the same batch
            people.append(_child(father, mother, rng))
            batch_of.append(batch)
        if rng.random() < 0.1 and len(people) < args.individuals:  # his father
            people.append(father)
            batch_of.append(batch)
    # bones: every individual at least one, the rest spread at random
    owners = list(range(len(people))) + [
        rng.randrange(len(people)) for _ in range(args.samples - len(people))
    ]
    rng.shuffle(owners)
    profiles: dict[str, dict[str, list[str]]] = {}
    sites: dict[str, str] = {}
    truth: dict[str, int] = {}
    for k, owner in enumerate(owners):
        sample = f"B{k:05d}"
        quality = rng.random()
        if quality < 0.05:
            profile: dict[str, list[str]] = {}  # no usable DNA
        elif quality < 0.45:
            profile = _bone(people[owner], 1.0, 0.0, rng)
        else:
            profile = _bone(people[owner], args.keep, args.dropout, rng)
        profiles[sample] = profile
        sites[sample] = f"batch-{batch_of[owner]:02d}"
        truth[sample] = owner

    started = time.perf_counter()
    options = {} if args.relative_threshold is None else {"relative_threshold": args.relative_threshold}
    result = reassociate(profiles, db, sites=sites, dropout=args.dropout, threshold=args.threshold, **options)
    seconds = time.perf_counter() - started

    group_of = {a.sample: a.group for a in result.assignments if a.group}
    correct_pairs = 0
    by_owner: dict[int, list[str]] = {}
    by_group: dict[str, list[str]] = {}
    for sample, group in group_of.items():
        by_owner.setdefault(truth[sample], []).append(sample)
        by_group.setdefault(group, []).append(sample)
    true_pairs = sum(len(v) * (len(v) - 1) // 2 for v in by_owner.values())
    predicted_pairs = sum(len(v) * (len(v) - 1) // 2 for v in by_group.values())
    for members in by_group.values():
        counts = Counter(truth[s] for s in members)
        correct_pairs += sum(c * (c - 1) // 2 for c in counts.values())
    per_site_truth: dict[str, set[int]] = {}
    for sample in group_of:
        per_site_truth.setdefault(sites[sample], set()).add(truth[sample])
    mni_over = [s.site for s in result.sites if s.minimum_individuals > len(per_site_truth.get(s.site, ()))]
    figures: dict[str, Any] = {
        "samples": args.samples,
        "individuals": len(people),
        "markers": args.markers,
        "dropout": args.dropout,
        "degraded_bones_keep": args.keep,
        "threshold": args.threshold,
        "relative_threshold": args.relative_threshold,
        "samples_without_dna": sum(1 for p in profiles.values() if not p),
        "seconds": round(seconds, 2),
        "pair_precision": round(correct_pairs / predicted_pairs, 5) if predicted_pairs else None,
        "pair_recall": round(correct_pairs / true_pairs, 5) if true_pairs else None,
        "groups": len(by_group),
        "true_individuals_with_dna": len(by_owner),
        "mni_total": sum(s.minimum_individuals for s in result.sites),
        "true_individuals_per_batch_total": sum(len(v) for v in per_site_truth.values()),
        "batches_where_mni_exceeds_truth": mni_over,
        "unassigned_without_dna": sum(1 for a in result.assignments if a.status == "no_dna"),
    }
    path = write_results("reassociation", figures)
    print(figures)
    print(f"written {path}")


if __name__ == "__main__":
    main()
