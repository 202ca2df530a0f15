"""Data exchange commands: ``kinlink exchange pfif-import|pfif-export|genotypes-import``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kinlink.commands.base import add_operator_argument, operator_label, output_file, setup_django


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exchange = subparsers.add_parser("exchange", help="PFIF 1.4 and bulk data exchange with other registries")
    sub = exchange.add_subparsers(dest="exchange_command", metavar="ACTION", required=True)
    pfif_import = sub.add_parser("pfif-import", help="import persons and notes from a PFIF 1.4 XML file")
    pfif_import.add_argument("file", type=Path)
    pfif_import.set_defaults(handler=run_pfif_import)
    pfif_export = sub.add_parser(
        "pfif-export", help="export persons and notes as PFIF 1.4 (no contact details)"
    )
    pfif_export.add_argument("--out", type=Path, required=True)
    pfif_export.add_argument(
        "--recipient", default=None, help="slug of the receiving organisation; families' consent decides"
    )
    add_operator_argument(pfif_export)
    pfif_export.set_defaults(handler=run_pfif_export)
    genotypes = sub.add_parser(
        "genotypes-import", help="import a lab's genotype CSV (sample,marker,allele1,allele2)"
    )
    genotypes.add_argument("file", type=Path)
    genotypes.add_argument("--lab", required=True, help="slug of the lab organisation holding the samples")
    genotypes.set_defaults(handler=run_genotypes_import)


def run_pfif_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        print(f"error: {args.file}: no such file", file=sys.stderr)
        return 2
    setup_django()
    from kinlink.exchange.errors import ImportRefused
    from kinlink.exchange.pfif import import_pfif

    try:
        result = import_pfif(args.file)
    except ImportRefused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(
        f"{args.file}: {result.persons_created} new persons, {result.persons_known} already known, "
        f"{result.notes_created} notes, {result.claims_created} claims"
    )
    return 0


def run_pfif_export(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.exchange.pfif import export_pfif
    from kinlink.registry.models import Organisation
    from kinlink.registry.services import audit

    recipient = None
    if args.recipient:
        recipient = Organisation.objects.filter(slug=args.recipient).first()
        if recipient is None:
            print(f"error: no organisation with slug {args.recipient!r}", file=sys.stderr)
            return 1
    out = output_file(args.out)
    data = export_pfif(recipient)
    audit.record(
        None,
        audit.Action.EXPORT_PFIF,
        recipient,
        object_type="organisation" if recipient is not None else "registry",
        object_id="" if recipient is not None else "*",
        label=operator_label(args),
        to=str(out),
        bytes=len(data),
    )
    out.write_bytes(data)
    print(f"wrote {out}")
    return 0


def run_genotypes_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        print(f"error: {args.file}: no such file", file=sys.stderr)
        return 2
    setup_django()
    from django.conf import settings

    from kinlink.exchange.errors import ImportRefused, read_limited
    from kinlink.identification.actions import store_lab_profiles
    from kinlink.registry.models import Organisation

    lab = Organisation.objects.filter(slug=args.lab, is_lab=True).first()
    if lab is None:
        print(f"error: no lab organisation with slug {args.lab!r}", file=sys.stderr)
        return 1
    try:
        data = read_limited(args.file, int(settings.KINLINK_MAX_UPLOAD_BYTES))
        result = store_lab_profiles(None, lab, args.file.name, data, label=f"cli genotypes-import {lab.slug}")
    except ImportRefused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(
        f"{args.file}: {len(result.stored)} samples stored, {len(result.unchanged)} unchanged, "
        f"{result.markers} markers"
    )
    if result.run is not None:
        print(f"screening run {result.run.pk} queued (kinlink worker runs it)")
    return 0
