"""Where linkage loses true pairs and where it invents false ones, by source pair (issue 16).

Run by hand:  PYTHONPATH=src python bench/linkage_errors.py --size 10000 [--rates hard|harsh] [--show 20]
Each true pair (two records of one person) that the clusters miss is put in one class:
- ``never_compared``: no blocking rule brought the two records together;
- ``below_floor``: a blocking rule proposed them, but their match probability was under the prediction
  floor (0.2), so the pair was not kept;
- ``below_threshold``: scored, with a match probability under the threshold, and not joined through others;
- ``cut_by_rule``: scored at or above the threshold but a cannot-link rule (``exclusions``) forbids it or
  the cluster was split on a conflict.
False pairs are counted the same way by source pair. Writes bench/results/linkage_errors.json.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._machine import machine

RESULTS = Path(__file__).resolve().parent / "results" / "linkage_errors.json"


def _blocked(pairs: list[tuple[str, str]], frame: Any) -> set[tuple[str, str]]:
    """The pairs some blocking rule proposes (scored, but under the prediction floor and so not kept)."""
    import duckdb
    import pandas as pd

    from kinlink.linkage.model import blocking_rules, prepare_records

    if not pairs:
        return set()
    prepared = prepare_records(frame).drop(columns=["given_alts", "given_initials", "patronymic_initials"])
    con = duckdb.connect()
    con.register("records", prepared)
    con.register("pairs", pd.DataFrame(pairs, columns=["a", "b"]))
    rules = " OR ".join(
        f"({rule.get_blocking_rule('duckdb').blocking_rule_sql})" for rule in blocking_rules()
    )
    query = (
        "select p.a, p.b from pairs p join records l on l.unique_id = p.a "
        f"join records r on r.unique_id = p.b where {rules}"
    )
    return {(str(a), str(b)) for a, b in con.execute(query).fetchall()}


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    from kinlink.linkage.model import LinkageOptions, cluster_pairs, link_records, pairwise_scores
    from kinlink.scenario import generate
    from kinlink.scenario.lists import VariationRates, varied_lists

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000, help="list records (about)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rates", choices=("default", "hard", "harsh"), default="default")
    parser.add_argument(
        "--iso-dates",
        action="store_true",
        help="harsh lists with ISO dates only (for linkers that refuse others)",
    )
    parser.add_argument("--label", default="", help="a name for this run in the results (e.g. 'before')")
    parser.add_argument("--show", type=int, default=15, help="examples of missed pairs to print")
    args = parser.parse_args(argv)

    rates = {"hard": VariationRates.hard, "harsh": VariationRates.harsh}.get(args.rates, VariationRates)()
    if args.iso_dates:
        rates = dataclasses.replace(rates, date_format=0.0)
    world = generate(seed=args.seed, size=max(100, round(args.size / 1.295)))
    records = varied_lists(world, rates=rates)
    frame = pd.DataFrame([r.row for r in records])
    truth = {r.record_id: r.person_id for r in records}
    source = {r.record_id: r.list_name for r in records}
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    options = LinkageOptions()
    result = link_records(frame, options)
    seconds = time.perf_counter() - start
    ids = result.clusters["record_id"].tolist()
    predicted = cluster_pairs(ids, result.clusters["cluster_id"].tolist())
    true_pairs = cluster_pairs(ids, [truth[i] for i in ids])
    scores = pairwise_scores(true_pairs, predicted)

    pairs = result.pairs
    scored: dict[tuple[str, str], tuple[float, str]] = {}
    for a, b, p, ex in zip(
        pairs["unique_id_l"], pairs["unique_id_r"], pairs["match_probability"], pairs["excluded"], strict=True
    ):
        key = (a, b) if a < b else (b, a)
        scored[key] = (float(p), str(ex or ""))

    def kind(pair: tuple[str, str]) -> str:
        a, b = sorted((source[pair[0]], source[pair[1]]))
        return f"{a}~{b}"

    missed: collections.Counter[str] = collections.Counter()
    false: collections.Counter[str] = collections.Counter()
    by_pair: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    examples: list[dict[str, Any]] = []
    rows = frame.set_index("record_id")
    unscored = [pair for pair in true_pairs - predicted if pair not in scored]
    blocked = _blocked(unscored, frame)
    for pair in sorted(true_pairs - predicted):
        hit = scored.get(pair)
        if hit is None:
            why = "below_floor" if pair in blocked else "never_compared"
        elif hit[1]:
            why = f"cut_by_rule:{hit[1]}"
        elif hit[0] < options.threshold:
            why = "below_threshold"
        else:
            why = "cut_by_cluster_split"
        missed[why] += 1
        by_pair[kind(pair)][why] += 1
        if len(examples) < args.show:
            examples.append(
                {
                    "why": why,
                    "p": None if hit is None else round(hit[0], 4),
                    "a": {k: v for k, v in rows.loc[pair[0]].items() if v},
                    "b": {k: v for k, v in rows.loc[pair[1]].items() if v},
                }
            )
    for pair in predicted - true_pairs:
        false[kind(pair)] += 1
    per_source: dict[str, dict[str, Any]] = {}
    true_by_kind = collections.Counter(kind(p) for p in true_pairs)
    predicted_by_kind = collections.Counter(kind(p) for p in predicted)
    for name in sorted(set(true_by_kind) | set(false)):
        found = true_by_kind[name] - sum(by_pair[name].values())
        precision = found / predicted_by_kind[name] if predicted_by_kind[name] else 1.0
        recall = found / true_by_kind[name] if true_by_kind[name] else 1.0
        per_source[name] = {
            "true_pairs": true_by_kind[name],
            "predicted_pairs": predicted_by_kind[name],
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            **by_pair[name],
            "false_pairs": false[name],
        }
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent,
    ).stdout.strip()
    out = {
        "description": "True pairs the linker missed, by reason and source pair; false pairs by source pair; "
        "precision and recall per source pair.",
        "machine": {
            **machine(),
            "load_1min_before": round(load_before, 2),
            "load_1min_after": round(os.getloadavg()[0], 2),
        },
        "label": args.label,
        "bench_commit": commit,
        "size": len(frame),
        "rates": args.rates + ("_iso_dates" if args.iso_dates else ""),
        "seed": args.seed,
        "link_s": round(seconds, 2),
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()},
        "missed": dict(missed),
        "by_source_pair": per_source,
    }
    print(json.dumps(out, indent=1, ensure_ascii=False))
    for e in examples:
        print(json.dumps(e, ensure_ascii=False))
    RESULTS.parent.mkdir(exist_ok=True)
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    existing["runs"] = [
        r
        for r in existing["runs"]
        if (r["size"], r["rates"], r.get("label", "")) != (out["size"], out["rates"], out["label"])
    ]
    existing["runs"].append(out)
    RESULTS.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
