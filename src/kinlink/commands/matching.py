"""``kinlink link-registry``: link imported lists against the registry's persons now, in this process.

The import normally queues this as a background task; the command is for re-running it (after a
threshold change, or for lists imported before linkage was installed).
"""

from __future__ import annotations

import argparse

from kinlink.commands.base import CommandError, setup_django


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    linker = subparsers.add_parser(
        "link-registry",
        help="propose candidate links between imported lists and the registry's persons",
        description="Link one imported list (or every list) against all other persons in the registry "
        "and queue the candidate links for caseworker review. Rejected pairs are not proposed again "
        "unless new data arrived.",
    )
    linker.add_argument("--source", type=int, metavar="ID", help="the list's source id (default: every list)")
    linker.add_argument(
        "--threshold", type=float, help="lowest match probability to propose (default: the setting)"
    )
    linker.set_defaults(handler=run_link_registry)


def run_link_registry(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.matching.services import link_source_against_registry
    from kinlink.registry.models import Source

    lists = Source.objects.filter(reference="list").order_by("pk")
    if args.source is not None:
        lists = lists.filter(pk=args.source)
        if not lists.exists():
            raise CommandError(f"no imported list has source id {args.source}")
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise CommandError(f"--threshold must be a probability between 0 and 1, not {args.threshold}")
    for source in lists:
        result = link_source_against_registry(source.pk, threshold=args.threshold)
        print(
            f"'{source.name}': {result.new_records} record(s) against {result.existing_persons} person(s); "
            f"{result.proposed} proposed, {result.reproposed} proposed again, "
            f"{result.already_proposed} already proposed, {result.still_rejected} still rejected."
        )
    return 0
