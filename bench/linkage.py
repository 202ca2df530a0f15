"""Benchmark of kinlink.linkage against plain Splink on raw strings, on scenario lists with truth.

Run by hand:  PYTHONPATH=src python bench/linkage.py --sizes 10000 100000 [--skip-baseline-above N]
                 [--rates default|hard|harsh] [--lists-dir DIR]
Writes bench/results/linkage.json: pairwise precision, recall and F1, runtime and peak memory per size.
The lists of each size are generated in one subprocess and written to a Parquet file; each method then
links them in a fresh subprocess, so that its peak memory (ru_maxrss) is the linkage's alone (as a
``kinlink link`` run reading its lists), not the generator's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _machine

RESULTS = Path(__file__).resolve().parent / "results" / "linkage.json"
BASELINE_THRESHOLD = 0.5
RECORDS_PER_SOLDIER = 1.295  # list records per soldier in kinlink.scenario (measured at 10^5 soldiers)


def _lists(n_records: int, seed: int, rates_name: str = "default") -> tuple[Any, dict[str, str]]:
    import pandas as pd

    from kinlink.scenario import generate
    from kinlink.scenario.lists import VariationRates, varied_lists

    rates = {"hard": VariationRates.hard, "harsh": VariationRates.harsh}.get(rates_name, VariationRates)()
    size = max(100, round(n_records / RECORDS_PER_SOLDIER))
    world = generate(seed=seed, size=size)
    records = varied_lists(world, rates=rates)
    frame = pd.DataFrame([r.row for r in records])
    return frame, {r.record_id: r.person_id for r in records}


def generate_to(path: Path, n_records: int, seed: int, rates_name: str) -> dict[str, Any]:
    """Generate the lists of one size and write them (with the truth as a column) to ``path``."""
    start = time.perf_counter()
    frame, truth = _lists(n_records, seed, rates_name)
    frame["_person_id"] = frame["record_id"].map(truth)
    frame.to_parquet(path, index=False)
    return {"generate_s": round(time.perf_counter() - start, 2), "records": len(frame)}


def _baseline(frame: Any, threshold: float) -> tuple[Any, Any]:
    """Plain Splink on the raw strings with default comparisons: the baseline."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    raw = frame.rename(columns={"record_id": "unique_id"}).replace("", None)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("full_name"),
            cl.NameComparison("surname"),
            cl.NameComparison("given_name"),
            cl.NameComparison("patronymic"),
            cl.LevenshteinAtThresholds("birth_date", 1),
            cl.ExactMatch("birth_place"),
            cl.ExactMatch("unit"),
            cl.LevenshteinAtThresholds("event_date", 1),
            cl.ExactMatch("event_place"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("full_name"),
            block_on("surname", "given_name"),
            block_on("birth_date"),
            block_on("unit", "event_date"),
        ],
    )
    linker = Linker(DuckDBAPI().register(raw), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("full_name", "birth_date")], recall=0.5
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=3e6, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"), max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("unit"), max_pairs=2e6)
    predictions = linker.inference.predict(threshold_match_probability=0.2, warning_mode="never")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    out = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    return out["unique_id"].tolist(), out["cluster_id"].tolist()


def run_one(
    n_records: int, method: str, threshold: float | None, seed: int, lists: Path | None = None
) -> dict[str, Any]:
    from kinlink.linkage.model import (
        DEFAULT_THRESHOLD,
        LinkageOptions,
        cluster_pairs,
        link_records,
        pairwise_scores,
    )

    if threshold is None:
        threshold = DEFAULT_THRESHOLD if method == "kinlink" else BASELINE_THRESHOLD

    start = time.perf_counter()
    if lists is not None:
        import pandas as pd

        frame = pd.read_parquet(lists)
        truth = dict(zip(frame["record_id"], frame.pop("_person_id"), strict=True))
    else:
        frame, truth = _lists(n_records, seed)
    load_before = os.getloadavg()[0]
    generated = time.perf_counter()
    cpu_before = _cpu_seconds()
    timings: dict[str, float] = {}
    if method == "kinlink":
        result = link_records(frame, LinkageOptions(threshold=threshold))
        ids, clusters = result.clusters["record_id"].tolist(), result.clusters["cluster_id"].tolist()
        timings = {k: round(v, 2) for k, v in result.timings.items()}
    else:
        ids, clusters = _baseline(frame, threshold)
    linked = time.perf_counter()
    cpu_s = _cpu_seconds() - cpu_before
    predicted = cluster_pairs(ids, clusters)
    true_pairs = cluster_pairs(ids, [truth[i] for i in ids])
    scores = pairwise_scores(true_pairs, predicted)
    source = dict(zip(frame["record_id"], frame["source"], strict=True))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "method": method,
        "records": len(frame),
        "persons": len(set(truth.values())),
        "threshold": threshold,
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()},
        "generate_s" if lists is None else "read_s": round(generated - start, 2),
        "link_s": round(linked - generated, 2),
        "link_cpu_s": round(cpu_s, 2),
        "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "stages_s": timings,
        "peak_memory_gb": round(peak_kib / 1024**2, 2),
        "seed": seed,
        "by_source_pair": _by_source_pair(true_pairs, predicted, source),
    }


def _cpu_seconds() -> float:
    """User and system CPU time of this process, all its threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _by_source_pair(
    true_pairs: set[tuple[str, str]], predicted: set[tuple[str, str]], source: dict[str, str]
) -> dict[str, dict[str, float]]:
    """Pairwise precision, recall and F1 per pair of source lists (``a~b``, sorted)."""
    from kinlink.linkage.model import pairwise_scores

    def kind(pair: tuple[str, str]) -> str:
        return "~".join(sorted((source[pair[0]], source[pair[1]])))

    kinds = sorted({kind(p) for p in true_pairs | predicted})
    out = {}
    for name in kinds:
        scores = pairwise_scores(
            {p for p in true_pairs if kind(p) == name}, {p for p in predicted if kind(p) == name}
        )
        out[name] = {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="match probability threshold (default: kinlink's DEFAULT_THRESHOLD; 0.5 for the baseline)",
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-baseline-above", type=int, default=200_000)
    parser.add_argument("--methods", nargs="+", default=["kinlink", "baseline_splink_raw"])
    parser.add_argument("--rates", choices=("default", "hard", "harsh"), default="default")
    parser.add_argument(
        "--lists-dir",
        type=Path,
        help="keep the generated lists here (lists-RATES-SIZE-SEED.parquet) and reuse them when present "
        "(generating 10^6 records takes minutes)",
    )
    parser.add_argument("--one", nargs=2, metavar=("SIZE", "METHOD"), help=argparse.SUPPRESS)
    parser.add_argument("--lists", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, metavar=("SIZE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        print(json.dumps(generate_to(Path(args.generate[1]), int(args.generate[0]), args.seed, args.rates)))
        return 0
    if args.one:
        row = run_one(int(args.one[0]), args.one[1], args.threshold, args.seed, args.lists)
        print(json.dumps(row))
        return 0
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    methods_for = {
        size: [m for m in args.methods if m == "kinlink" or size <= args.skip_baseline_above]
        for size in args.sizes
    }
    runs = [
        r
        for r in existing.get("runs", [])
        if r["method"] not in methods_for.get(r["records_requested"], [])
        or r.get("rates", "default") != args.rates
    ]
    scratch = Path(tempfile.mkdtemp(prefix="kinlink-bench-linkage-"))
    try:
        for size in args.sizes:
            lists = (args.lists_dir or scratch) / f"lists-{args.rates}-{size}-{args.seed}.parquet"
            if lists.exists() and args.lists_dir:
                generated = {"generate_s": None}
            else:
                command = [
                    sys.executable,
                    __file__,
                    "--generate",
                    str(size),
                    str(lists),
                    "--seed",
                    str(args.seed),
                ]
                done = subprocess.run(
                    [*command, "--rates", args.rates],
                    capture_output=True,
                    text=True,
                    env=os.environ,
                    check=False,
                )
                if done.returncode != 0:
                    print(done.stderr[-3000:], file=sys.stderr)
                    return done.returncode
                generated = json.loads(done.stdout.strip().splitlines()[-1])
            for method in methods_for[size]:
                command = [sys.executable, __file__, "--one", str(size), method, "--seed", str(args.seed)]
                command += ["--lists", str(lists)]
                if args.threshold is not None:
                    command += ["--threshold", str(args.threshold)]
                done = subprocess.run(command, capture_output=True, text=True, env=os.environ, check=False)
                if done.returncode != 0:
                    print(done.stderr[-3000:], file=sys.stderr)
                    return done.returncode
                row = json.loads(done.stdout.strip().splitlines()[-1])
                row.update(records_requested=size, rates=args.rates, generate_s=generated["generate_s"])
                print(json.dumps(row))
                runs.append(row)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    runs.sort(key=lambda r: (r.get("rates", "default"), r["records_requested"], r["method"]))
    machine = _machine.machine()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "description": "Pairwise precision/recall/F1 of kinlink.linkage vs plain Splink on raw "
                "strings (default comparisons) on kinlink.scenario lists with kinlink.scenario.lists "
                "variation (rates: default, hard or harsh). The lists are generated in one process "
                "(generate_s) and written to Parquet; each method reads them (read_s) and links them "
                "in a fresh process: link_s is the linkage alone, peak_memory_gb the maximum resident "
                "set size (ru_maxrss) of that process, Python, pandas and DuckDB (in process) together. "
                "load_1min is the machine's 1-minute load average before and after linking (the "
                "machine is shared: timings under load are not comparable).",
                "machine": machine,
                "runs": runs,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
