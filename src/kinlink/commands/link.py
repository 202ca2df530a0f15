"""``kinlink link``: link person lists (CSV) into clusters of records that describe the same person.

Pure command: no Django. Input files are in the person list format; output is
``record_id,cluster_id,match_probability`` where ``match_probability`` is the record's strongest link
inside its cluster (empty for a record that stands alone).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kinlink.commands.base import CommandError
from kinlink.lib import csvsafe

if TYPE_CHECKING:
    import pandas as pd

    from kinlink.linkage.model import FieldComparison

_STAGES = 8  # messages the model reports through LinkageOptions.progress (7 on Spark: no "blocking")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    link = subparsers.add_parser(
        "link",
        help="link person lists: the same person across lists, scripts and spellings",
        description="Link person-list CSV files with a Splink model and write one cluster id per record.",
    )
    link.add_argument("files", nargs="+", metavar="FILE.csv", help="person lists (person list format)")
    link.add_argument("--out", required=True, metavar="clusters.csv", help="where to write the clusters")
    link.add_argument(
        "--threshold",
        type=float,
        default=None,
        metavar="P",
        help="match probability at or above which two records are the same person (default 0.5)",
    )
    link.add_argument("--explain", metavar="RECORD_ID", help="print the match weights of this record's links")
    link.add_argument(
        "--engine", choices=("duckdb", "spark"), default="duckdb", help="SQL engine (default duckdb)"
    )
    link.add_argument("--memory-limit", metavar="SIZE", help="DuckDB memory limit, e.g. 10GB")
    link.set_defaults(handler=run_link)


def _read_lists(paths: list[str]) -> list[tuple[str, pd.DataFrame]]:
    import pandas as pd

    from kinlink.linkage.model import LinkageInputError, validate_person_list

    frames: list[tuple[str, pd.DataFrame]] = []
    seen: dict[str, str] = {}
    for path in paths:
        if not Path(path).is_file():
            raise CommandError(f"{path}: no such file")
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise CommandError(f"{path}: cannot read as UTF-8 CSV: {error}") from error
        try:
            frame = validate_person_list(frame, path)
        except LinkageInputError as error:
            raise CommandError(str(error)) from error
        for line, record_id in enumerate(frame["record_id"], start=2):
            if record_id in seen:
                raise CommandError(
                    f"{path}: row {line}, column record_id: "
                    f"record id {record_id!r} is also in {seen[record_id]}"
                )
            seen[record_id] = path
        frames.append((path, frame))
    return frames


def run_link(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    import pandas as pd
    from tqdm import tqdm

    from kinlink.linkage.model import (
        DEFAULT_THRESHOLD,
        LinkageInputError,
        LinkageOptions,
        excluded_links,
        explain_record,
        link_records,
    )

    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if not 0.0 < threshold < 1.0:
        raise CommandError(f"--threshold must be between 0 and 1 (exclusive), got {threshold}")
    out_path = Path(args.out)
    if not out_path.parent.exists():
        raise CommandError(f"{out_path.parent}: output folder does not exist")
    frames = _read_lists(list(args.files))
    records: pd.DataFrame = pd.concat([frame for _, frame in frames], ignore_index=True)
    if args.explain and args.explain not in set(records["record_id"]):
        raise CommandError(f"--explain: record id {args.explain!r} is in none of the files")
    bar = tqdm(
        total=_STAGES,
        desc="linking",
        unit="step",
        file=sys.stderr,
        disable=os.environ.get("KINLINK_PROGRESS") == "0",
        leave=False,
    )

    def report(message: str) -> None:
        bar.set_postfix_str(message)
        bar.update(1)

    options = LinkageOptions(
        threshold=threshold,
        engine=args.engine,
        memory_limit=args.memory_limit,
        progress=report,
        explain=(args.explain,) if args.explain else (),
    )
    try:
        result = link_records(records, options)
    except LinkageInputError as error:
        raise CommandError(str(error)) from error
    finally:
        bar.close()
    with out_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csvsafe.writer(handle)
        writer.writerow(["record_id", "cluster_id", "match_probability"])
        for record_id, cluster_id, probability in result.clusters.itertuples(index=False):
            shown = "" if pd.isna(probability) else repr(float(probability))
            writer.writerow([record_id, cluster_id, shown])
    n_clusters = result.clusters["cluster_id"].nunique()
    print(f"{len(result.clusters)} records in {n_clusters} clusters at threshold {threshold} -> {out_path}")
    if args.explain:
        _print_explanation(
            args.explain,
            explain_record(result, args.explain),
            threshold,
            excluded_links(result, args.explain),
        )
    return 0


def _print_explanation(
    record_id: str,
    links: list[tuple[str, float, float, list[FieldComparison]]],
    threshold: float,
    excluded: dict[str, str] | None = None,
) -> None:
    if not links:
        print(f"{record_id}: no candidate links scored")
        return
    excluded = excluded or {}
    for other, probability, weight, fields in links:
        if other in excluded:
            verdict = f"never joined: {excluded[other]}"
        else:
            verdict = "same person" if probability >= threshold else "below threshold"
        print(
            f"{record_id} ~ {other}: match probability {probability:.4f}, "
            f"match weight {weight:+.2f} ({verdict})"
        )
        for comparison in fields:
            print(
                f"    {comparison.field:<12} {comparison.status:<9} "
                f"{comparison.match_weight:+7.2f}  {comparison.level}"
            )
