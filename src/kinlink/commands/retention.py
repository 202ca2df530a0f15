"""Retention: ``kinlink retention run [--dry-run]`` applies withdrawals and expiries.

Each record due under a rule (``registry.services.retention.RULES``, periods in
``KINLINK_RETENTION_DAYS``) is erased by ``registry.actions.apply_retention`` in its own transaction,
leaving a tombstone and an audit entry; a run that stops half-way leaves every record whole or erased,
and the next run takes the rest. ``--dry-run`` lists what would go and changes nothing. The worker runs it
every ``KINLINK_RETENTION_INTERVAL_HOURS``.
"""

from __future__ import annotations

import argparse
import sys

from kinlink.commands.base import setup_django


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    retention = subparsers.add_parser(
        "retention", help="retention periods: erase withdrawn and expired personal data"
    )
    sub = retention.add_subparsers(dest="retention_command", metavar="ACTION", required=True)
    run = sub.add_parser(
        "run",
        help="apply withdrawals and expiries (each record atomic, a tombstone and an audit entry each)",
        description=(
            "Erase every record whose retention period is over or whose consent was withdrawn. Lines "
            "printed: rule, kind of data, record (a request number, a barcode or a file's SHA-256, never "
            "personal data), reason, since."
        ),
    )
    run.add_argument("--dry-run", action="store_true", help="list what would be erased; change nothing")
    run.set_defaults(handler=run_retention)
    rules = sub.add_parser("rules", help="list the retention rules, their periods and purposes")
    rules.set_defaults(handler=run_rules)


def run_retention(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.registry.services.retention import run_retention as apply_all

    report = apply_all(dry_run=args.dry_run)
    for due in report.due:
        print(due.describe())
    verb = "would erase" if args.dry_run else "erased"
    print(f"{verb} {len(report.due) if args.dry_run else report.erased} record(s)", file=sys.stderr)
    return 0


def run_rules(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.registry.services.retention import RULES

    for rule in RULES:
        print(f"{rule.name}\t{rule.kind}\t{rule.days} days\t{rule.reason}\t{rule.purpose}")
    return 0
