"""Operations commands: ``migrate`` (the one command that changes the schema) and ``check``."""

from __future__ import annotations

import argparse
import sys

from kinlink.commands.base import database_label, migrate_database, setup_django


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate = subparsers.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Apply every migration the database (DATABASE_URL, else var/kinlink.sqlite3) lacks and "
        "print each one applied. No other command changes the schema: run this after installing or "
        "upgrading kinlink, before `kinlink serve` (other commands refuse a database that lacks migrations).",
    )
    migrate.set_defaults(handler=run_migrate)

    check = subparsers.add_parser(
        "check",
        help="check the settings (--deploy: fit for production?)",
        description="Run Django's system checks. With --deploy also the deployment checks, Django's and "
        "kinlink's (KINLINK_SECRET_KEY long and not the development key, KINLINK_FIELD_KEY set and valid, "
        "KINLINK_ALLOWED_HOSTS public, KINLINK_BASE_URL https and public, secure cookies and HSTS, DEBUG "
        "off): exits 1 naming each failed check, 0 when the settings are sound. Warnings are printed and "
        "do not fail. `kinlink serve --production` refuses to start on the same failures.",
    )
    check.add_argument("--deploy", action="store_true", help="also the production deployment checks")
    check.set_defaults(handler=run_check)


def run_migrate(args: argparse.Namespace) -> int:
    setup_django(check_migrations=False)
    applied = migrate_database()
    for name in applied:
        print(f"applied {name}")
    where = database_label()
    if applied:
        print(f"{where}: {len(applied)} migration(s) applied; the schema is up to date.")
    else:
        print(f"{where}: no migrations to apply; the schema is up to date.")
    return 0


def run_check(args: argparse.Namespace) -> int:
    setup_django(check_migrations=False)
    from django.core import checks

    from kinlink.portal.checks import describe, is_failure

    messages = list(checks.run_checks(include_deployment_checks=args.deploy))
    failures = [m for m in messages if (is_failure(m) if args.deploy else m.is_serious())]
    warnings = [m for m in messages if m not in failures and not m.is_silenced()]
    for message in warnings:
        print(f"warning: {describe(message)}", file=sys.stderr)
    for message in failures:
        print(f"FAILED {describe(message)}", file=sys.stderr)
    what = "deployment checks" if args.deploy else "checks"
    if failures:
        print(f"{len(failures)} of the {what} failed.", file=sys.stderr)
        return 1
    print(f"All {what} passed" + (f" ({len(warnings)} warning(s))." if warnings else "."))
    return 0
