"""Estimation commands: ``kinlink estimate mse`` (capture histories from a CSV file)."""

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
        "--method", default="stepwise", choices=["stepwise", "bic", "main", "dga", "chapman", "lcmcr"]
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
            with_competing=args.format == "text" and args.method in ("stepwise", "bic", "main"),
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
