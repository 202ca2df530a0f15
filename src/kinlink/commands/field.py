"""``kinlink field import-batch``: record a repatriation batch from a list of bodies (CSV)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from kinlink.commands.base import CommandError, setup_django

IMPORT_BATCH_DESCRIPTION = (
    "Record a repatriation batch: bodies handed over together, one CSV row each, with a header row. "
    "Columns: code (required, unique), sex (M, F or empty), age, tag_number, documents, effects, "
    "condition, note. Each body becomes a remains record with its tag, documents and effects, and the "
    "batch's transfer opens its custody chain. All or nothing: any error is reported with its row and "
    "column, nothing is written, and the exit status is 1. Importing the same file again changes nothing."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    field = subparsers.add_parser(
        "field",
        help="field records: repatriation batches",
        description="Field records: graves, remains and repatriation batches.",
    )
    commands = field.add_subparsers(dest="field_command", metavar="COMMAND", required=True)
    importer = commands.add_parser(
        "import-batch", help="import a repatriation batch (CSV)", description=IMPORT_BATCH_DESCRIPTION
    )
    importer.add_argument("file", type=Path, metavar="FILE")
    importer.add_argument("--code", required=True, metavar="C", help="the batch's code")
    importer.add_argument(
        "--received-on", required=True, metavar="YYYY-MM-DD", help="the day the bodies were received"
    )
    importer.add_argument("--handed-over-by", default="", metavar="WHO")
    importer.add_argument("--received-by", default="", metavar="WHO")
    importer.add_argument("--event", type=int, metavar="ID", help="the event the batch comes from (its id)")
    importer.set_defaults(handler=run_import_batch)


def run_import_batch(args: argparse.Namespace) -> int:
    try:
        received_on = dt.date.fromisoformat(args.received_on)
    except ValueError as exc:
        raise CommandError(f"--received-on {args.received_on!r}: write the date as YYYY-MM-DD") from exc
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise CommandError(f"{args.file}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{args.file}: not UTF-8 text (save it as CSV UTF-8)") from exc
    setup_django()
    from django.core.exceptions import ValidationError

    from kinlink.field.actions import import_batch
    from kinlink.registry.models import Event
    from kinlink.registry.services.bulk import ImportRefused

    event = None
    if args.event is not None:
        event = Event.objects.filter(pk=args.event).first()
        if event is None:
            raise CommandError(f"no event with id {args.event}")
    try:
        result = import_batch(
            None,
            code=args.code,
            received_on=received_on,
            csv_text=text,
            filename=args.file.name,
            handed_over_by=args.handed_over_by,
            received_by=args.received_by,
            event=event,
            label="cli",
        )
    except ImportRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    except ValidationError as exc:
        raise CommandError("; ".join(exc.messages)) from exc
    print(f"batch {result.batch.code}: {result.created} remains recorded, {result.unchanged} already known.")
    return 0
