"""DNA commands: kinship likelihood ratios, power of a family's references, lineage comparison.

``kinlink dna lr CASE.json [CASE.json ...] --format jsonl`` prints one JSON object per case:
``{"id", "lr", "log10_lr", "lr_per_marker"}`` (plus ``"notes"`` when a frequency was floored, and the
verbal scale and posterior with ``--verbal`` / ``--prior``). Cases can also be built from lab tables
(``--pedigree``, ``--genotypes``, ``--frequencies``, ``--missing``, ``--poi``) or read from a Familias
``.fam`` file (``--fam`` with ``--h1``/``--h2``). These commands are pure: they never start Django,
except ``kinlink dna import-pedigree``, which stores a family's pedigree in the registry.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from kinlink.commands.base import CommandError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dna = subparsers.add_parser("dna", help="DNA kinship: likelihood ratios, power, lineage markers")
    sub = dna.add_subparsers(dest="dna_command", metavar="DNA_COMMAND")

    lr = sub.add_parser(
        "lr",
        help="likelihood ratio: remains (POI) = the missing person vs an unrelated person",
        description=(
            "Exact kinship LR per marker and in total. Inputs: case JSON files (see "
            "docs/methods/genetics.md), or lab tables (--pedigree, --genotypes, --frequencies, --missing, "
            "--poi), or a Familias .fam file (--fam, --h1, --h2)."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    lr.add_argument("cases", nargs="*", metavar="CASE.json", help="case JSON files")
    lr.add_argument("--format", choices=("jsonl", "json", "text"), default="jsonl", help="output format")
    lr.add_argument("--theta", type=float, help="Balding–Nichols theta for all founders (overrides the case)")
    lr.add_argument("--poi-dropout", type=float, help="allele dropout probability of the POI sample")
    lr.add_argument(
        "--floor", type=float, help="frequency for alleles missing from the database (default 5/2N)"
    )
    lr.add_argument("--prior", type=float, help="prior probability of H1; adds the posterior probability")
    lr.add_argument("--verbal", action="store_true", help="add the ENFSI (2015) verbal equivalent")
    tables = lr.add_argument_group("lab tables (instead of CASE.json)")
    tables.add_argument("--pedigree", help="pedigree CSV: id,father,mother,sex")
    tables.add_argument("--genotypes", help="genotype CSV: sample,marker,allele1,allele2")
    tables.add_argument(
        "--frequencies", help="frequency table: CSV locus,allele,freq[,population] or Familias text"
    )
    tables.add_argument("--population", help="population of a multi-population frequency CSV")
    tables.add_argument(
        "--database-size", type=int, help="N of the frequency database (floor frequency 5/2N)"
    )
    tables.add_argument("--missing", help="pedigree id of the missing person")
    tables.add_argument("--poi", help="sample id of the POI (remains) in the genotype CSV")
    tables.add_argument("--case-id", default="case", help="id reported for a case built from tables")
    tables.add_argument(
        "--mutation-model",
        choices=("none", "equal", "proportional", "stepwise", "onestep"),
        default="none",
        help="mutation model for every marker (both sexes)",
    )
    tables.add_argument("--mutation-rate", type=float, default=0.0, help="mutation rate per meiosis")
    tables.add_argument("--mutation-rate2", type=float, default=1e-6, help="stepwise: microvariant rate")
    tables.add_argument("--mutation-range", type=float, default=0.1, help="stepwise: range")
    fam = lr.add_argument_group("Familias file (instead of CASE.json)")
    fam.add_argument("--fam", help="Familias .fam file with two pedigrees (hypotheses)")
    fam.add_argument("--h1", help="name of the H1 pedigree in the .fam file")
    fam.add_argument("--h2", help="name of the H2 pedigree in the .fam file")
    lr.set_defaults(handler=run_lr)

    pw = sub.add_parser(
        "power",
        help="expected LR for the true missing person and for an unrelated man, by simulation",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    pw.add_argument("case", metavar="CASE.json")
    pw.add_argument("--simulations", type=int, default=1000)
    pw.add_argument("--seed", type=int, default=1)
    pw.add_argument("--threshold", type=float, default=1e4, help="reporting threshold on the LR")
    pw.add_argument(
        "--extra", action="append", default=[], help="untyped relative to simulate as typed (repeat)"
    )
    pw.set_defaults(handler=run_power)

    lin = sub.add_parser(
        "lineage",
        help="Y-STR or mtDNA comparison of the POI with a reference, with a database match count",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    lin.add_argument("kind", choices=("y", "mt"))
    lin.add_argument(
        "--poi", required=True, help="POI haplotype: Y 'DYS19=14,DYS389I=13,...'; mt '16223T 263G'"
    )
    lin.add_argument("--reference", required=True, help="reference haplotype, same syntax")
    lin.add_argument("--database", help="haplotype database CSV (Y: id,locus,allele; mt: id,variants)")
    lin.add_argument("--confidence", type=float, default=0.95, help="confidence of the frequency upper bound")
    lin.set_defaults(handler=run_lineage)

    from kinlink.commands.dna_screen import register_screening

    register_screening(sub)  # screen, dvi

    re_ = sub.add_parser(
        "reassociate",
        help="group commingled remains samples by individual and count individuals per site",
        description=(
            "Compares every remains sample with every other (one individual against unrelated persons and "
            "against full siblings or parent-child, with allele dropout and partial profiles), groups the "
            "samples of one individual and prints the minimum number of individuals per site or batch. "
            "Samples without a typed marker stay unassigned. See docs/methods/reassociation.md."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    re_.add_argument(
        "--remains", required=True, help="CSV sample,marker,allele1,allele2[,site]: the remains samples"
    )
    re_.add_argument(
        "--frequencies", required=True, help="frequency table (CSV locus,allele,freq or Familias)"
    )
    re_.add_argument("--dropout", type=float, default=0.0, help="allele dropout probability per allele copy")
    re_.add_argument(
        "--threshold",
        type=float,
        default=1e6,
        help="LR (one individual : unrelated) needed to link two samples",
    )
    re_.add_argument(
        "--relative-threshold",
        type=float,
        default=1e2,
        help="LR (one individual : full siblings or parent-child) also needed to link two samples",
    )
    re_.add_argument(
        "--out",
        required=True,
        help="output CSV: sample,individual,... (one row per sample; the samples of one individual share it)",
    )
    re_.add_argument("--summary", help="also write the per-site counts to this CSV")
    re_.set_defaults(handler=run_reassociate)

    rr = sub.add_parser(
        "reassociate-registry",
        help="group the registry's remains samples of a site or batch by individual (reads only)",
        description=(
            "Re-association (as `kinlink dna reassociate`) over the profiled remains samples the registry "
            "holds for one site (--site ID) or one repatriation batch (--batch CODE), or for all of them. "
            "Prints each group of samples (barcodes and remains codes, no names), the samples without DNA "
            "(unassigned) and the minimum number of individuals per site or batch. Nothing is written."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    scope = rr.add_mutually_exclusive_group()
    scope.add_argument("--site", type=int, help="site id")
    scope.add_argument("--batch", help="repatriation batch code")
    rr.add_argument("--frequencies", help="frequency table (default: KINLINK_DNA_FREQUENCIES)")
    rr.add_argument("--dropout", type=float, default=0.0, help="allele dropout probability per allele copy")
    rr.add_argument("--threshold", type=float, default=1e6, help="LR (one individual : unrelated) to link")
    rr.add_argument(
        "--relative-threshold", type=float, default=1e2, help="LR (one individual : a relative) also needed"
    )
    rr.add_argument("--out", help="also write sample,remains,individual,site,status to this CSV")
    rr.set_defaults(handler=run_reassociate_registry)

    imp = sub.add_parser(
        "import-pedigree",
        help="store family pedigrees in the registry from a Familias .fam file or a pedigree CSV",
        description=(
            "A pedigree CSV (family,id,father,mother,sex,sample,missing; family = tracing request number) "
            "may hold many families; a .fam file holds one, for --request, with the person sought named by "
            "--missing. All or nothing: any problem is reported as file, row (line), column, reason and "
            "nothing is written; importing the same pedigree again changes nothing."
        ),
    )
    imp.add_argument("file", metavar="FILE", help="pedigree CSV or Familias .fam")
    imp.add_argument("--request", help="tracing request number (required for .fam; for a CSV: only it)")
    imp.add_argument("--missing", help=".fam: the id of the person sought")
    imp.add_argument("--hypothesis", help=".fam: the pedigree to import when the file holds several")
    imp.set_defaults(handler=run_import_pedigree)

    def show_help(args: argparse.Namespace) -> int:
        dna.print_help()
        return 2

    dna.set_defaults(handler=show_help)


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _cases_from_args(args: argparse.Namespace) -> list[Any]:
    from kinlink.genetics.formats import (
        FormatError,
        case_from_tables,
        read_case_json,
        read_genotype_csv,
        read_pedigree_csv,
    )
    from kinlink.genetics.markers import FrequencyError, read_familias_frequencies, read_frequency_csv
    from kinlink.genetics.mutation import MarkerMutation, MutationModel, MutationModelError

    cases = []
    try:
        for path in args.cases:
            cases.append(read_case_json(path))
        if args.pedigree or args.genotypes or args.frequencies:
            missing = [
                opt
                for opt, value in (
                    ("--pedigree", args.pedigree),
                    ("--genotypes", args.genotypes),
                    ("--frequencies", args.frequencies),
                    ("--missing", args.missing),
                    ("--poi", args.poi),
                )
                if not value
            ]
            if missing:
                raise CommandError(f"building a case from lab tables needs {', '.join(missing)}")
            if args.frequencies.lower().endswith(".csv"):
                db = read_frequency_csv(args.frequencies, args.population, args.database_size)
            else:
                db = read_familias_frequencies(args.frequencies, args.database_size)
            model = MutationModel(
                args.mutation_model, args.mutation_rate, args.mutation_rate2, args.mutation_range
            )
            mutation = MarkerMutation(model, model) if args.mutation_model != "none" else None
            cases.append(
                case_from_tables(
                    args.case_id,
                    read_pedigree_csv(args.pedigree),
                    args.missing,
                    read_genotype_csv(args.genotypes),
                    args.poi,
                    db,
                    mutation,
                )
            )
    except (FormatError, FrequencyError, MutationModelError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    return cases


def run_lr(args: argparse.Namespace) -> int:
    try:
        return _run_lr(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _run_lr(args: argparse.Namespace) -> int:
    from kinlink.genetics.kinship import KinshipError, missing_person_lrs

    if args.fam:
        return _run_fam(args)
    cases = _cases_from_args(args)
    if not cases:
        raise CommandError("no case given: pass CASE.json files, lab tables or --fam")
    outputs: list[dict[str, Any]] = []
    texts: list[str] = []
    for case in cases:
        if args.theta is not None:
            case.theta = args.theta
        if args.poi_dropout is not None:
            case.poi_dropout = args.poi_dropout
        if args.floor is not None:
            case.floor = args.floor
    try:
        # All cases at once: cases of the same family shape share their elimination steps.
        results = missing_person_lrs(cases)
    except KinshipError as exc:
        raise CommandError(str(exc)) from exc
    for result in results:
        if args.format == "text":
            from kinlink.genetics.report import format_text

            texts.append(format_text(result, args.prior))
            continue
        record: dict[str, Any] = {
            "id": result.case_id,
            "lr": _num(result.lr),
            "log10_lr": _num(result.log10_lr),
            "lr_per_marker": {k: _num(v) for k, v in result.lr_per_marker.items()},
        }
        if result.notes:
            record["notes"] = result.notes
        if args.verbal or args.prior is not None:
            from kinlink.genetics.report import case_report

            full = case_report(result, args.prior)
            for key in ("verbal", "verbal_scale", "prior", "posterior"):
                if key in full:
                    record[key] = full[key]
        outputs.append(record)
    if args.format == "text":
        print("\n\n".join(texts))
    elif args.format == "json":
        print(json.dumps(outputs, indent=2))
    else:
        for record in outputs:
            print(json.dumps(record))
    return 0


def _run_fam(args: argparse.Namespace) -> int:
    from kinlink.genetics.formats import FormatError, familias_lr, read_familias_fam

    try:
        fam = read_familias_fam(args.fam)
        names = list(fam.pedigrees)
        h1 = args.h1 or (names[0] if names else None)
        h2 = args.h2 or (names[1] if len(names) > 1 else None)
        if h1 is None or h2 is None:
            raise CommandError(f"{args.fam}: needs two pedigrees (hypotheses); found {names}")
        total, per_marker = familias_lr(fam, h1, h2)
    except FormatError as exc:
        raise CommandError(str(exc)) from exc
    record = {
        "id": f"{args.fam}:{h1}/{h2}",
        "lr": _num(total),
        "log10_lr": _num(math.log10(total)) if total > 0 else None,
        "lr_per_marker": {k: _num(v) for k, v in per_marker.items()},
    }
    print(json.dumps(record, indent=2 if args.format == "json" else None))
    return 0


def run_power(args: argparse.Namespace) -> int:
    from kinlink.genetics.formats import FormatError, read_case_json
    from kinlink.genetics.report import power

    try:
        case = read_case_json(args.case)
        result = power(case, args.simulations, args.seed, args.threshold, args.extra)
    except (FormatError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result.summary(), indent=2))
    return 0


def run_lineage(args: argparse.Namespace) -> int:
    from kinlink.genetics import lineage

    try:
        if args.kind == "y":
            poi = lineage.parse_y_haplotype(args.poi)
            ref = lineage.parse_y_haplotype(args.reference)
            database = lineage.read_y_database(args.database) if args.database else []
            result = lineage.compare_y(poi, ref, database, confidence=args.confidence)
        else:
            poi_mt = lineage.parse_mt_haplotype(args.poi)
            ref_mt = lineage.parse_mt_haplotype(args.reference)
            db_mt = lineage.read_mt_database(args.database) if args.database else []
            result = lineage.compare_mt(poi_mt, ref_mt, db_mt, confidence=args.confidence)
    except (lineage.LineageError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result.to_json(), indent=2))
    return 0


def run_reassociate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kinlink.genetics.formats import FormatError, read_remains_csv
    from kinlink.genetics.markers import FrequencyError, read_frequency_table
    from kinlink.genetics.reassociation import ReassociationError, reassociate
    from kinlink.lib import csvsafe

    out = Path(args.out)
    if not out.parent.is_dir():
        print(f"error: --out {out}: no such folder {out.parent}", file=sys.stderr)
        return 2
    try:
        profiles, sites = read_remains_csv(args.remains)
        frequencies = read_frequency_table(args.frequencies)
        result = reassociate(
            profiles,
            frequencies,
            sites=sites,
            dropout=args.dropout,
            threshold=args.threshold,
            relative_threshold=args.relative_threshold,
        )
    except (FormatError, FrequencyError, ReassociationError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    def number(x: float | None) -> str:
        if x is None:
            return ""
        return repr(x) if math.isfinite(x) else "-inf"

    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csvsafe.writer(fh)
        writer.writerow(
            (
                "sample",
                "individual",
                "site",
                "markers",
                "status",
                "best_match",
                "log10_lr",
                "log10_lr_relative",
            )
        )
        for a in result.assignments:
            writer.writerow(
                (
                    a.sample,
                    a.group,
                    a.site,
                    a.markers,
                    a.status,
                    a.best_match,
                    number(a.log10_lr),
                    number(a.log10_lr_relative),
                )
            )
    tmp.replace(out)
    header = ("site", "samples", "with_dna", "groups", "minimum_individuals")
    rows = [(s.site, s.samples, s.with_dna, s.groups, s.minimum_individuals) for s in result.sites]
    if args.summary:
        with open(args.summary, "w", newline="", encoding="utf-8") as fh:
            csvsafe.writer(fh).writerows([header, *rows])
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    individuals = len({a.group for a in result.assignments if a.group})
    unassigned = sum(1 for a in result.assignments if not a.group)
    print(
        f"individuals: {individuals} "
        f"(samples: {len(result.assignments)}; without DNA, unassigned: {unassigned})"
    )
    print("\t".join(header))
    for row in rows:
        print("\t".join(str(x) if x != "" else "(none)" for x in row))
    return 0


def run_reassociate_registry(args: argparse.Namespace) -> int:

    from kinlink.commands.base import output_file, setup_django
    from kinlink.lib import csvsafe

    out = output_file(args.out) if args.out else None
    setup_django()
    from kinlink.genetics.markers import FrequencyError
    from kinlink.genetics.reassociation import ReassociationError
    from kinlink.identification.reassociation import ReassociationScopeError, registry_reassociation

    try:
        found = registry_reassociation(
            site=args.site,
            batch=args.batch,
            frequencies=args.frequencies or "",
            dropout=args.dropout,
            threshold=args.threshold,
            relative_threshold=args.relative_threshold,
        )
    except (ReassociationScopeError, ReassociationError, FrequencyError, OSError) as exc:
        raise CommandError(str(exc)) from exc
    result = found.result
    groups: dict[str, list[str]] = {}
    unassigned: list[str] = []
    for a in result.assignments:
        if a.group:
            groups.setdefault(a.group, []).append(a.sample)
        else:
            unassigned.append(a.sample)

    def label(code: str) -> str:
        remains = found.remains_of.get(code, "")
        return f"{code} ({remains})" if remains else code

    print(f"re-association of {found.scope}: {len(result.assignments)} remains samples")
    for group, members in groups.items():
        print(f"individual {group}: {', '.join(label(c) for c in members)}")
    if unassigned:
        print(f"unassigned (no DNA): {', '.join(label(c) for c in unassigned)}")
    print("\t".join(("site", "samples", "with_dna", "groups", "minimum_individuals")))
    for site in result.sites:
        row = (site.site or "(none)", site.samples, site.with_dna, site.groups, site.minimum_individuals)
        print("\t".join(str(x) for x in row))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if out is not None:
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csvsafe.writer(fh)
            writer.writerow(("sample", "remains", "individual", "site", "status"))
            for a in result.assignments:
                writer.writerow((a.sample, found.remains_of.get(a.sample, ""), a.group, a.site, a.status))
    return 0


def run_import_pedigree(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kinlink.commands.base import setup_django

    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    setup_django()
    from kinlink.identification.pedigrees import import_pedigree_file
    from kinlink.registry.services.bulk import ImportRefused

    try:
        result = import_pedigree_file(
            path, request=args.request, missing=args.missing, hypothesis=args.hypothesis
        )
    except ImportRefused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(result.summary())
    for label, numbers in (("created", result.created), ("replaced", result.replaced)):
        for number in numbers:
            print(f"  {label}: {number}")
    return 0
