"""Re-association in the hardest case we model: graves of brothers. 300 graves, each holding three full
brothers and their father, three bones each (20 % full profiles, the rest keeping 60 % of 21 markers with
dropout 0.1). Drawn with plain random sampling that shares no code with the engine. Reports wrong merges
(groups holding two men) and the pairwise recall, for several relative thresholds. Run by hand:

    PYTHONPATH=src .venv/bin/python -m bench.reassociation_brothers

Writes ``bench/results/reassociation_brothers.json`` with the machine it ran on.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from typing import Any

from bench._machine import write_results
from bench.reassociation import FREQS, _bone, _child, _draw
from kinlink.genetics.markers import read_frequency_table
from kinlink.genetics.reassociation import reassociate


def run(relative_threshold: float, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    db = read_frequency_table(FREQS)
    loci = {n: (list(db[n].alleles), [float(f) for f in db[n].freqs]) for n in db.names()[:21]}
    people: list[dict[str, list[str]]] = []
    grave: list[int] = []
    for family in range(300):
        father, mother = _draw(loci, rng), _draw(loci, rng)
        for _ in range(3):
            people.append(_child(father, mother, rng))
            grave.append(family)
        people.append(father)
        grave.append(family)
    profiles: dict[str, dict[str, list[str]]] = {}
    truth: dict[str, int] = {}
    sites: dict[str, str] = {}
    for owner, person in enumerate(people):
        for bone in range(3):
            sample = f"B{owner}-{bone}"
            full = rng.random() < 0.2
            profiles[sample] = _bone(person, 1.0, 0.0, rng) if full else _bone(person, 0.6, 0.1, rng)
            truth[sample] = owner
            sites[sample] = f"grave-{grave[owner]}"
    started = time.perf_counter()
    result = reassociate(profiles, db, sites=sites, dropout=0.1, relative_threshold=relative_threshold)
    seconds = time.perf_counter() - started
    group = {a.sample: a.group for a in result.assignments}
    men: dict[str, set[int]] = defaultdict(set)
    for sample, g in group.items():
        if g:
            men[g].add(truth[sample])
    by_owner: dict[int, list[str]] = defaultdict(list)
    for sample, owner in truth.items():
        if profiles[sample]:
            by_owner[owner].append(sample)
    pairs = joined = 0
    for samples in by_owner.values():
        for i, a in enumerate(samples):
            for b in samples[i + 1 :]:
                pairs += 1
                joined += group[a] == group[b]
    return {
        "relative_threshold": relative_threshold,
        "seconds": round(seconds, 2),
        "groups_holding_two_men": sum(1 for v in men.values() if len(v) > 1),
        "pair_recall": round(joined / pairs, 4),
    }


def main() -> None:
    runs = [run(t) for t in (1e3, 1e2, 1e1)]
    path = write_results("reassociation_brothers", {"graves": 300, "men": 1200, "bones": 3600, "runs": runs})
    print(runs)
    print(f"written {path}")


if __name__ == "__main__":
    main()
