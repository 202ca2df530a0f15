"""``kinlink dna screen`` (all remains against all families) and ``kinlink dna dvi`` (joint identification).

Registered under ``kinlink dna`` by :func:`register_screening`, called from :mod:`kinlink.commands.dna`.
Both commands are pure: they never start Django.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any

from kinlink.commands.base import CommandError, output_file

MUTATION_HELP = (
    "one mutation model for all markers, MODEL[:rate=R,rate2=R2,range=X] (models: equal, proportional, "
    "stepwise, onestep), or a per-marker CSV marker,model,sex,rate,rate2,range (sex: female, male or empty "
    "for both)"
)


def register_screening(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``screen`` and ``dvi`` to the ``kinlink dna`` sub-commands."""
    sc = sub.add_parser(
        "screen",
        help="screen every set of remains against every family; shortlist re-checked by the exact engine",
        description=(
            "All-against-all screening by exact precomputed genotype tables (see docs/methods/screening.md). "
            "Writes remains,family,missing,lr,log10_lr: every pair at or above --threshold and the --top "
            "best families per remains; LRs at or above the threshold come from the exact engine."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sc.add_argument(
        "--pedigrees", required=True, help="pedigree CSV family,id,father,mother,sex,sample,missing"
    )
    sc.add_argument(
        "--references", required=True, help="reference genotypes CSV sample,marker,allele1,allele2"
    )
    sc.add_argument("--remains", required=True, help="remains genotypes CSV sample,marker,allele1,allele2")
    sc.add_argument(
        "--frequencies", required=True, help="frequency table: CSV locus,allele,freq[,population] or Familias"
    )
    sc.add_argument("--population", help="population of a multi-population frequency CSV")
    sc.add_argument("--database-size", type=int, help="N of the frequency database (floor frequency 5/2N)")
    sc.add_argument("--mutation", help=MUTATION_HELP)
    sc.add_argument("--threshold", type=float, default=1e4, help="LR threshold of the shortlist")
    sc.add_argument("--top", type=int, default=5, help="best families kept per remains")
    sc.add_argument(
        "--remains-dropout", type=float, default=0.0, help="allele dropout probability of remains"
    )
    sc.add_argument(
        "--theta",
        type=float,
        default=0.0,
        help="Balding-Nichols coancestry coefficient (subpopulation correction) of founders and remains; "
        "above 0 the tables come from the exact engine (slower)",
    )
    sc.add_argument(
        "--recheck",
        choices=("threshold", "all"),
        default="threshold",
        help="re-check with the exact engine the pairs at or above the threshold, or every output pair",
    )
    sc.add_argument("--engine", choices=("local", "spark"), default="local", help="screening kernel runner")
    sc.add_argument("--out", required=True, help="output CSV of candidate pairs")
    sc.set_defaults(handler=run_screen)

    dv = sub.add_parser(
        "dvi",
        help="joint identification of several remains and missing persons in one incident",
        description=(
            "Reads a dvir-style JSON dataset; prints pairwise LRs, ranked joint assignments with "
            "log-likelihoods and posteriors, and reasoned conclusions (see docs/methods/screening.md)."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    dv.add_argument("dataset", metavar="DATASET.json")
    dv.add_argument("--format", choices=("json", "text"), default="json")
    dv.add_argument("--threshold", type=float, default=1e4, help="LR needed to call an undisputed pair")
    dv.add_argument("--top", type=int, default=20, help="joint assignments to print (0 = all)")
    dv.set_defaults(handler=run_dvi)

    ad = sub.add_parser(
        "advice",
        help="match power of each reference configuration (which relatives should give samples)",
        description=(
            "Simulates families of each reference configuration and reports the match power (the file the "
            "portal's sampling advice reads: src/kinlink/portal/data/sampling_power.json). The command "
            "line, the date and the parameters are recorded in the output."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ad.add_argument("--families", type=int, default=200, help="simulated families per configuration")
    ad.add_argument("--condition", choices=("complete", "partial", "skeletal"), default="partial")
    ad.add_argument("--seed", type=int, default=1)
    ad.add_argument(
        "--frequencies", help="frequency CSV locus,allele,freq (default: a synthetic 23-marker table)"
    )
    ad.add_argument("--population", help="population of a multi-population frequency CSV")
    ad.add_argument("--markers", help="comma-separated markers of the frequency table to use (a kit)")
    ad.add_argument("--mutation", default="stepwise:rate=0.002,rate2=1e-6,range=0.1", help=MUTATION_HELP)
    ad.add_argument(
        "--missing-persons",
        type=int,
        default=100_000,
        help="missing persons searched: an identification needs the LR that lifts a prior of 1/N to 99.95%%",
    )
    ad.add_argument("--out", help="write the power file here instead of printing it")
    ad.set_defaults(handler=run_advice)


# ------------------------------------------------------------------------------------------------ screen


def parse_mutation(text: str) -> Any:
    """``--mutation``: the genetics engine's :func:`~kinlink.genetics.mutation.parse_mutation_spec`, its
    error as a command error."""
    from kinlink.genetics.mutation import MutationModelError, parse_mutation_spec

    try:
        return parse_mutation_spec(text)
    except MutationModelError as exc:
        raise CommandError(f"--mutation: {exc}") from exc


def _read_inputs(args: argparse.Namespace) -> tuple[Any, list[Any], dict[str, dict[str, list[str]]]]:
    from kinlink.genetics.formats import FormatError, _read_csv, read_genotype_csv
    from kinlink.genetics.markers import FrequencyError, read_familias_frequencies, read_frequency_csv
    from kinlink.genetics.screening import ScreeningError, ScreeningPanel, families_from_tables

    try:
        if args.frequencies.lower().endswith(".csv"):
            db = read_frequency_csv(args.frequencies, args.population, args.database_size)
        else:
            db = read_familias_frequencies(args.frequencies, args.database_size)
        references = read_genotype_csv(args.references)
        remains = read_genotype_csv(args.remains)
        name, rows = _read_csv(
            args.pedigrees, ("family", "id", "father", "mother", "sex", "sample", "missing")
        )
        families = families_from_tables(rows, references, name)
        mutation = parse_mutation(args.mutation) if args.mutation else None
        profiles = [*references.values(), *remains.values()]
        panel = ScreeningPanel.build(db, profiles, mutation=mutation, theta=args.theta)
    except (FormatError, FrequencyError, ScreeningError, ValueError, KeyError) as exc:
        raise CommandError(str(exc)) from exc
    return panel, families, remains


def run_screen(args: argparse.Namespace) -> int:
    try:
        return _run_screen(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _run_screen(args: argparse.Namespace) -> int:
    import tempfile

    from tqdm import tqdm

    from kinlink.genetics.kinship import KinshipError
    from kinlink.genetics.screening import ScreeningError, ScreeningIndex
    from kinlink.lib import csvsafe

    if args.threshold <= 0:
        raise CommandError("--threshold must be a positive LR")
    if args.top < 1:
        raise CommandError("--top must be at least 1")
    panel, families, remains = _read_inputs(args)
    try:
        if args.engine == "spark":
            from kinlink.genetics.spark import spark_screen

            candidates, notes = spark_screen(
                panel, families, remains, args.threshold, args.top, args.remains_dropout, args.recheck
            )
        else:
            index = ScreeningIndex(panel, args.threshold, args.top)
            index.add_families(families)
            index.add_remains(remains, {r: args.remains_dropout for r in remains})
            bar = tqdm(
                total=index.pending_pairs(),
                desc="screening",
                unit="pair",
                unit_scale=True,
                file=sys.stderr,
                disable=os.environ.get("KINLINK_PROGRESS") == "0",
                leave=False,
            )
            with bar:
                index.screen(on_progress=bar.update)
            candidates = index.candidates(args.recheck)
            notes = index.notes
    except (ScreeningError, KinshipError) as exc:
        raise CommandError(str(exc)) from exc
    out = output_file(args.out)
    with tempfile.NamedTemporaryFile("w", newline="", dir=out.parent, delete=False, suffix=".tmp") as fh:
        writer = csvsafe.writer(fh)
        writer.writerow(["remains", "family", "missing", "lr", "log10_lr"])
        for c in candidates:
            log10 = c.log10_lr if c.log10_lr is not None else -math.inf
            writer.writerow(
                [
                    c.remains,
                    c.family,
                    c.missing,
                    repr(float(c.lr)) if c.lr is not None else "",  # full precision, reads back exactly
                    repr(float(log10)) if math.isfinite(log10) else "-inf",
                ]
            )
        tmp = fh.name
    os.replace(tmp, out)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    above = sum(1 for c in candidates if (c.log10_lr or -math.inf) >= math.log10(args.threshold))
    print(
        f"{len(remains)} remains x {sum(len(f.missing) for f in families)} missing persons: "
        f"{above} pairs at or above LR {args.threshold:g}; {len(candidates)} rows written to {out}",
        file=sys.stderr,
    )
    return 0


# ------------------------------------------------------------------------------------------------ dvi


def run_dvi(args: argparse.Namespace) -> int:
    from kinlink.genetics.dvi import DviError, read_dvi_json, report_json, report_text, solve

    try:
        dataset = read_dvi_json(args.dataset)
        result = solve(dataset, threshold=args.threshold)
    except DviError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(report_json(result, args.top), indent=1, allow_nan=False))
    else:
        print(report_text(result, args.top))
    return 0


def run_advice(args: argparse.Namespace) -> int:
    try:
        return _run_advice(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _run_advice(args: argparse.Namespace) -> int:
    import datetime as dt
    import shlex

    from kinlink.genetics.markers import (
        FrequencyDatabase,
        FrequencyError,
        read_frequency_csv,
        synthetic_database,
    )
    from kinlink.genetics.posterior import IDENTIFICATION_POSTERIOR, identification_lr
    from kinlink.genetics.power_file import sampling_power_file
    from kinlink.scenario.dna import sampling_advice

    if args.families < 2:
        raise CommandError("--families must be at least 2")
    if args.missing_persons < 2:
        raise CommandError("--missing-persons must be at least 2")
    mutation = parse_mutation(args.mutation)
    if isinstance(mutation, dict):
        raise CommandError("--mutation: one model for all markers is needed here, not a per-marker CSV")
    if args.frequencies:
        try:
            db = read_frequency_csv(args.frequencies, args.population)
        except (FrequencyError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        source = args.frequencies + (f" ({args.population})" if args.population else "")
    else:
        db = synthetic_database(23, seed=args.seed)
        source = f"synthetic 23-marker table (seed {args.seed})"
    if args.markers:
        wanted = [m.strip() for m in args.markers.split(",") if m.strip()]
        unknown = [m for m in wanted if m not in db.loci]
        if unknown:
            raise CommandError(f"--markers: {unknown} are not in the frequency table")
        db = FrequencyDatabase(loci={m: db.loci[m] for m in wanted}, population=db.population)
    needed = identification_lr(args.missing_persons)
    thresholds = (1e4, 1e6, needed)
    advice = sampling_advice(
        args.families,
        args.families,
        thresholds,
        seed=args.seed,
        database=db,
        condition=args.condition,
        mutation=mutation,
    )
    options = [
        ("--families", args.families),
        ("--condition", args.condition),
        ("--seed", args.seed),
        ("--frequencies", args.frequencies),
        ("--population", args.population),
        ("--markers", args.markers),
        ("--mutation", args.mutation),
        ("--missing-persons", args.missing_persons),
        ("--out", args.out),
    ]
    command = "kinlink dna advice " + " ".join(
        f"{flag} {shlex.quote(str(value))}" for flag, value in options if value is not None
    )
    data = sampling_power_file(
        advice,
        command=command,
        generated_on=dt.date.today().isoformat(),
        parameters={
            "families_per_configuration": args.families,
            "unrelated_men": args.families,
            "condition": args.condition,
            "seed": args.seed,
            "frequencies": source,
            "markers": list(db.loci),
            "mutation": args.mutation,
            "missing_persons": args.missing_persons,
            "posterior": IDENTIFICATION_POSTERIOR,
            "identification_lr": needed,
            "thresholds": list(thresholds),
        },
    )
    text = json.dumps(data, indent=1, allow_nan=False) + "\n"
    if args.out:
        out = output_file(args.out)
        out.write_text(text, encoding="utf-8")
        print(f"match power of {len(advice)} configurations written to {out}", file=sys.stderr)
    else:
        print(text, end="")
    return 0
