"""``kinlink worker``: run queued DNA screening runs (lab uploads queue them)."""

from __future__ import annotations

import argparse
import sys
import time

from kinlink.commands.base import setup_django


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = subparsers.add_parser(
        "worker",
        help="run queued background jobs (DNA screening after lab uploads)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    worker.add_argument("--once", action="store_true", help="run what is queued, then exit")
    worker.add_argument("--interval", type=float, default=10.0, help="seconds between polls")
    worker.set_defaults(handler=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.identification.services import run_pending

    while True:
        for run in run_pending():
            print(
                f"screening run {run.pk}: {run.status}, {run.pairs_screened} pairs, "
                f"{run.candidates_created} candidates",
                file=sys.stderr,
            )
        if args.once:
            return 0
        time.sleep(args.interval)
