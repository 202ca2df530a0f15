"""Estimation commands: ``kinlink estimate mse`` (capture histories from a CSV file) and ``kinlink estimate
registry`` (the registry's own lists, per stratum)."""

from __future__ import annotations

import argparse
import json
import sys

from kinlink.commands.base import CommandError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    estimate = subparsers.add_parser("estimate", help="estimate how many people are missing in total")
    sub = estimate.add_subparsers(dest="estimate_command", metavar="SUBCOMMAND")
    estimate.set_defaults(handler=lambda args: _usage(estimate))

    mse = sub.add_parser(
        "mse",
        help="multiple-systems estimate from a capture-history CSV",
        description=(
            "Estimate the total from overlapping lists. FILE.csv has one 0/1 column per list and a last "
            "column 'count' (people with exactly that history)."
        ),
    )
    mse.add_argument("file", metavar="FILE.csv")
    mse.add_argument(
        "--method",
        default="stepwise",
        choices=["stepwise", "bic", "main", "dga", "chapman", "lcmcr", "bic-downhill"],
        help="bic-downhill: greedy BIC search from main effects (Silverman, Chan and Vincent 2024)",
    )
    mse.add_argument("--terms", help="fit this log-linear model instead of choosing one, e.g. A:B,B:C")
    mse.add_argument("--delta", type=float, help="dga: prior weight per cell (default 2^-lists)")
    mse.add_argument(
        "--bootstrap", type=int, default=0, metavar="N", help="BCa bootstrap with N replicates (log-linear)"
    )
    mse.add_argument("--seed", type=int, help="random seed (bootstrap, lcmcr)")
    mse.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    mse.add_argument("--pthresh", type=float, default=0.02, help="stepwise p-value threshold (default 0.02)")
    mse.add_argument("--format", choices=["json", "text"], default="text")
    mse.set_defaults(handler=run_mse)

    reg = sub.add_parser(
        "registry",
        help="multiple-systems estimate from the registry's own lists, per stratum",
        description=(
            "Build capture histories from the linked persons and the registry's lists (one list = one source "
            "with reference 'list'), estimate each stratum and sum. Merged persons count as their survivor; "
            "retracted claims do not count."
        ),
    )
    reg.add_argument("--by", default="", help="strata, comma-separated: region, quarter, month, branch, fate")
    reg.add_argument(
        "--method", default="stepwise", choices=["stepwise", "bic", "main", "dga", "lcmcr", "bic-downhill"]
    )
    reg.add_argument(
        "--bootstrap", type=int, default=0, metavar="N", help="BCa bootstrap with N replicates (log-linear)"
    )
    reg.add_argument("--seed", type=int, help="random seed (bootstrap, lcmcr, sensitivity)")
    reg.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    reg.add_argument("--min-overlap", type=int, default=5, help="refuse strata with fewer people on 2+ lists")
    reg.add_argument(
        "--source-kinds",
        help="treat every source of these kinds as a list (comma-separated, e.g. obituary,media)",
    )
    derived = reg.add_mutually_exclusive_group()
    derived.add_argument(
        "--merge-derived",
        dest="merge_derived",
        action="store_true",
        default=True,
        help="treat media lists as part of the obituary list (default)",
    )
    derived.add_argument("--no-merge-derived", dest="merge_derived", action="store_false")
    reg.add_argument(
        "--sensitivity",
        type=int,
        default=0,
        metavar="RUNS",
        help="re-estimate after simulated linkage errors",
    )
    reg.add_argument("--format", choices=["json", "text"], default="text")
    reg.set_defaults(handler=run_registry)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_mse(args: argparse.Namespace) -> int:
    from kinlink.commands.base import progress
    from kinlink.estimation.capture import CaptureDataError, read_capture_csv
    from kinlink.estimation.loglinear import ModelError, parse_terms
    from kinlink.estimation.mse import describe, estimate_mse

    try:
        data = read_capture_csv(args.file)
        terms = parse_terms(args.terms, data.lists) if args.terms else None
        if args.bootstrap < 0:
            raise CommandError("--bootstrap must be 0 or more")
        if not 0 < args.level < 1:
            raise CommandError("--level must lie between 0 and 1")
        result = estimate_mse(
            data,
            args.method,
            terms=terms,
            delta=args.delta,
            n_boot=args.bootstrap,
            seed=args.seed,
            level=args.level,
            p_threshold=args.pthresh,
            with_competing=args.format == "text"
            and args.method in ("stepwise", "bic", "main", "bic-downhill"),
            progress=lambda r: progress(r, total=len(r), desc="bootstrap", unit="replicate"),  # type: ignore[arg-type,return-value]
        )
    except (CaptureDataError, ModelError, CommandError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(result.as_json()))
    else:
        print(describe(result))
    return 0


def run_registry(args: argparse.Namespace) -> int:
    from kinlink.commands.base import setup_django

    setup_django()
    from kinlink.estimation.loglinear import ModelError
    from kinlink.registry.services.figures import estimate_registry

    by = tuple(b.strip() for b in args.by.split(",") if b.strip())
    kinds = tuple(k.strip() for k in args.source_kinds.split(",") if k.strip()) if args.source_kinds else None
    try:
        if args.bootstrap < 0 or args.sensitivity < 0:
            raise CommandError("--bootstrap and --sensitivity must be 0 or more")
        if not 0 < args.level < 1:
            raise CommandError("--level must lie between 0 and 1")
        result = estimate_registry(
            by,
            args.method,
            n_boot=args.bootstrap,
            seed=args.seed,
            level=args.level,
            source_kinds=kinds,
            merge_derived=args.merge_derived,
            min_overlap=args.min_overlap,
            sensitivity_runs=args.sensitivity,
        )
    except (ModelError, CommandError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"lists: {', '.join(result['lists'])}")
    for name, members in result["derived"].items():
        print(f"derived lists merged into {name!r}: {', '.join(members)}")
    for s in result["strata"]:
        if "refused" in s:
            print(f"{s['stratum']}: observed {s['observed']}, refused: {s['refused']}")
        else:
            lo, hi = s["interval"]
            print(
                f"{s['stratum']}: observed {s['observed']}, "
                f"estimate {s['estimate']:.0f} [{lo}, {hi}] ({s['model']})"
            )
    t = result["total"]
    print(
        f"total: observed {t['observed']}, estimate {t['estimate']:.0f} {t['interval']} "
        f"({t['interval_kind']}); "
        f"{t['observed_refused']} people in refused strata not estimated"
    )
    if "linkage_sensitivity" in result:
        ls = result["linkage_sensitivity"]
        print(
            f"linkage sensitivity ({ls['runs']} runs): "
            f"{ls['perturbed_min']:.0f} .. {ls['perturbed_max']:.0f}, "
            f"median {ls['perturbed_median']:.0f} (unperturbed {ls['estimate']:.0f})"
        )
    return 0
