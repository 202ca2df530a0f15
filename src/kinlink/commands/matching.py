"""``kinlink link-registry``: link imported lists against the registry's persons now, in this process;
or undo a merge of two persons (``--unmerge``).

Imports and tracing requests normally queue their linkage as a background task; the command is for
re-running it (after a threshold change, or for lists imported before linkage was installed).
"""

from __future__ import annotations

import argparse

from kinlink.commands.base import CommandError, setup_django


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    linker = subparsers.add_parser(
        "link-registry",
        help="propose candidate links between imported lists and the registry's persons; undo a merge",
        description="Link one imported list (or every list) against all other persons in the registry "
        "and queue the candidate links for caseworker review. Rejected pairs, and pairs whose merge was "
        "undone, are not proposed again unless new data arrived. With --unmerge MERGE_ID --reason TEXT, "
        "undo one merge of two persons instead (the merge ids are in the audit trail, action "
        "merge_person, and on the candidate link's page): every moved row goes back, the history stays.",
    )
    linker.add_argument("--source", type=int, metavar="ID", help="the list's source id (default: every list)")
    linker.add_argument(
        "--person",
        type=int,
        action="append",
        metavar="ID",
        help="link these persons (repeatable) against the registry instead of the lists",
    )
    linker.add_argument(
        "--threshold", type=float, help="lowest match probability to propose (default: the setting)"
    )
    linker.add_argument("--unmerge", type=int, metavar="MERGE_ID", help="undo this merge of two persons")
    linker.add_argument("--reason", metavar="TEXT", help="why the merge is undone (required with --unmerge)")
    linker.set_defaults(handler=run_link_registry)


def run_link_registry(args: argparse.Namespace) -> int:
    setup_django()
    if args.unmerge is not None:
        return _unmerge(args)
    from kinlink.matching.actions import link_source
    from kinlink.matching.services import link_persons_against_registry
    from kinlink.registry.models import Source

    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise CommandError(f"--threshold must be a probability between 0 and 1, not {args.threshold}")
    if args.person:
        result = link_persons_against_registry(args.person, "kinlink link-registry --person", args.threshold)
        model = f" Model: {result.model}." if result.model else ""
        print(
            f"{result.new_records} person(s) against {result.existing_persons} person(s); "
            f"{result.proposed} proposed, {result.reproposed} proposed again, "
            f"{result.already_proposed} already proposed, {result.still_rejected} still rejected.{model}"
            f"{_engine(result.engine)}"
        )
        return 0
    lists = Source.objects.filter(reference="list").order_by("pk")
    if args.source is not None:
        lists = lists.filter(pk=args.source)
        if not lists.exists():
            raise CommandError(f"no imported list has source id {args.source}")
    for source in lists:
        result = link_source(source.pk, threshold=args.threshold)
        model = f" Model: {result.model}." if result.model else ""
        print(
            f"'{source.name}': {result.new_records} record(s) against {result.existing_persons} person(s); "
            f"{result.proposed} proposed, {result.reproposed} proposed again, "
            f"{result.already_proposed} already proposed, {result.still_rejected} still rejected.{model}"
            f"{_engine(result.engine)}"
        )
        for note in result.notes:
            print(f"    note: {note}")
    return 0


def _engine(engine: dict[str, str]) -> str:
    """What DuckDB ran under, as the run read it back (empty when nothing was scored)."""
    if not engine.get("memory_limit"):
        return ""
    return f" DuckDB: memory limit {engine['memory_limit']}, {engine.get('threads', '?')} thread(s)."


def _unmerge(args: argparse.Namespace) -> int:
    from kinlink.matching.actions import MergeError, unmerge_persons
    from kinlink.matching.models import PersonMerge

    if not (args.reason or "").strip():
        raise CommandError("--unmerge needs --reason: say why the merge is undone")
    merge = PersonMerge.objects.filter(pk=args.unmerge).first()
    if merge is None:
        raise CommandError(f"no merge has id {args.unmerge}")
    try:
        person = unmerge_persons(None, merge, args.reason, label="cli")
    except MergeError as error:
        raise CommandError(str(error)) from error
    print(f"merge {merge.pk} undone: person {person.pk} is separate from person {merge.keep_id} again.")
    return 0
