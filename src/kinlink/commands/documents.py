"""Case listing and documents: ``kinlink case list``, ``kinlink documents render`` and ``verify``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kinlink.commands.base import CommandError, find_case, output_file, setup_django

if TYPE_CHECKING:
    from kinlink.documents.dna import DnaReportData
    from kinlink.documents.models import IssuedDocument

KINDS = ("certificate", "dossier", "dna-report", "statistics", "inquiry", "court-application")
LANGS = ("ru", "en", "uk")
#: ``documents.models.Inquiry.Addressee`` values (a test checks they match: the parser is built before
#: Django is set up).
ADDRESSEES = (
    "military_unit",
    "commissariat",
    "ministry",
    "prosecutor",
    "investigative_committee",
    "ombudsman",
    "red_cross",
    "pow_body",
    "hospital",
    "forensic_centre",
    "other",
)
LETTER_KINDS = ("inquiry", "reminder", "complaint")
APPLICATIONS = ("recognise-missing", "declare-dead")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    case = subparsers.add_parser("case", help="cases in the registry")
    case_sub = case.add_subparsers(dest="case_command", metavar="ACTION", required=True)
    listing = case_sub.add_parser("list", help="list cases with their ids and numbers")
    listing.add_argument("--format", choices=("json", "text"), default="text")
    listing.set_defaults(handler=run_case_list)

    documents = subparsers.add_parser("documents", help="render and verify documents")
    doc_sub = documents.add_subparsers(dest="documents_command", metavar="ACTION", required=True)
    render = doc_sub.add_parser("render", help="render a document to a PDF file and register it")
    render.add_argument("kind", choices=KINDS)
    render.add_argument(
        "--case",
        metavar="CASE",
        help="case number (C-000001) or id (see `kinlink case list`); not needed for statistics",
    )
    render.add_argument("--lang", choices=LANGS, default="ru")
    render.add_argument("--audience", choices=("family", "caseworker", "lab", "public"), default=None)
    render.add_argument("--out", required=True, type=Path, help="FILE.pdf to write")
    render.add_argument(
        "--kinship-case",
        type=Path,
        help="dna-report: a genetics case JSON (pedigree, genotypes, remains profile as 'poi') to compute",
    )
    render.add_argument("--prior", type=float, default=0.5, help="dna-report: prior probability of H1")
    render.add_argument("--lab", default="", help="dna-report: the laboratory's name")
    render.add_argument("--remains-code", default="", help="dna-report: the remains sample's code")
    render.add_argument(
        "--addressee",
        choices=ADDRESSEES,
        help="inquiry: who the letter goes to; a recorded inquiry of the case to that addressee is the one "
        "the letter is for (the latest, or --inquiry)",
    )
    render.add_argument(
        "--inquiry", type=int, metavar="ID", help="inquiry: the recorded inquiry the letter is for"
    )
    render.add_argument(
        "--letter",
        choices=LETTER_KINDS,
        help="inquiry: a reminder or complaint following the inquiry (default: the inquiry's own letter, "
        "or a "
        "complaint about the case's latest overdue inquiry when writing to the prosecutor or ombudsman)",
    )
    render.add_argument(
        "--purpose",
        choices=("circumstances", "certificate"),
        help="inquiry to the military unit: the circumstances of disappearance, or the certificate of "
        "Decree 1421",
    )
    render.add_argument("--to", default="", help="inquiry: the addressee block as written on the letter")
    render.add_argument(
        "--kind",
        dest="application",
        choices=APPLICATIONS,
        help="court-application: recognise as missing or declare dead (default: the next one for the "
        "legal status)",
    )
    render.set_defaults(handler=run_render)
    verify = doc_sub.add_parser(
        "verify", help="check that a PDF is a genuine, unaltered document of this instance"
    )
    verify.add_argument("file", type=Path, metavar="FILE.pdf")
    verify.set_defaults(handler=run_verify)


def run_case_list(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.registry.models import Case

    cases = (
        Case.objects.select_related("person", "organisation").prefetch_related("person__names").order_by("id")
    )
    rows = [
        {
            "id": case.pk,
            "number": case.number,
            "person": case.person.primary_name(),
            "organisation": case.organisation.slug,
            "status": case.status,
            "jurisdiction": case.jurisdiction,
            "legal_status": case.legal_status,
        }
        for case in cases
    ]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(f"{'ID':>6}  {'NUMBER':<20} {'STATUS':<9} PERSON")
        for row in rows:
            print(f"{row['id']:>6}  {row['number']:<20} {row['status']:<9} {row['person']}")
    return 0


def run_render(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.documents.actions import issue_document
    from kinlink.documents.services import DocumentError

    out = output_file(args.out)
    case = find_case(args.case) if args.case is not None else None
    try:
        if args.kind == "inquiry":
            document = _render_letter(args, case)
        elif args.kind == "court-application":
            document = _render_application(args, case)
        else:
            dna_result = _dna_result(args, case) if args.kinship_case is not None else None
            document = issue_document(
                args.kind, case, args.lang, user=None, audience=args.audience, dna_result=dna_result
            )
    except (DocumentError, CommandError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out.write_bytes(bytes(document.pdf))
    print(f"{document.number} {out} sha256={document.pdf_sha256}")
    return 0


def _render_letter(args: argparse.Namespace, case: Any) -> IssuedDocument:
    """A letter for the case: for its recorded inquiry to the addressee (--inquiry, or the latest one), a
    follow-up to it (--letter), or a new one; to the prosecutor or ombudsman with nothing recorded to them,
    a complaint about the case's latest overdue inquiry."""
    from django.utils import timezone

    from kinlink.documents.actions import issue_letter
    from kinlink.documents.models import Inquiry

    if case is None:
        raise CommandError("a letter is written for a case: give --case")
    if args.inquiry is not None:
        recorded = Inquiry.objects.filter(case=case, pk=args.inquiry).first()
        if recorded is None:
            raise CommandError(f"case {case.number} has no inquiry with id {args.inquiry}")
    else:
        if args.addressee is None:
            raise CommandError("give --addressee (or --inquiry ID)")
        recorded = (
            Inquiry.objects.filter(case=case, addressee_kind=args.addressee)
            .order_by("-asked_on", "-id")
            .first()
        )
    if recorded is not None:
        return issue_letter(
            None,
            recorded,
            args.addressee,
            args.lang,
            letter_kind=args.letter,
            purpose=args.purpose,
            addressee=args.to,
        )
    letter_kind = args.letter
    today = timezone.now().date()
    if letter_kind is None and args.addressee in ("prosecutor", "ombudsman"):
        overdue = Inquiry.objects.filter(case=case, answered_on__isnull=True, reply_due__lt=today).exists()
        letter_kind = "complaint" if overdue else None
    return issue_letter(
        None,
        case,
        args.addressee,
        args.lang,
        letter_kind=letter_kind,
        purpose=args.purpose,
        addressee=args.to,
    )


def _render_application(args: argparse.Namespace, case: Any) -> IssuedDocument:
    from kinlink.documents.actions import issue_court_application

    if case is None:
        raise CommandError("a court application is drafted for a case: give --case")
    return issue_court_application(None, case, args.application, args.lang)


def _dna_result(args: argparse.Namespace, case: object) -> DnaReportData:
    """Compute the LR of a genetics case JSON and label it from the registry (sample codes, relationships)."""
    from kinlink.documents.dna import from_kinship
    from kinlink.genetics.formats import read_case_json
    from kinlink.genetics.kinship import missing_person_lr
    from kinlink.registry.models import Case, Sample

    if args.kind != "dna-report":
        raise CommandError("--kinship-case goes with dna-report")
    if not isinstance(case, Case):
        raise CommandError("a DNA report is made for a case: give --case")
    kinship_case = read_case_json(args.kinship_case)
    result = missing_person_lr(kinship_case)
    samples = Sample.objects.filter(code__in=list(kinship_case.references))
    roles = {s.code: s.relationship for s in samples}
    return from_kinship(
        kinship_case,
        result,
        case_number=case.number,
        remains_code=args.remains_code or kinship_case.id,
        lab=args.lab or "—",
        prior=args.prior,
        roles=roles,
        remains_name=case.person.primary_name(),
    )


def run_verify(args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    from django.conf import settings as django_settings

    setup_django()
    limit = int(django_settings.KINLINK_MAX_UPLOAD_BYTES)
    if path.stat().st_size > limit:
        print(
            f"not genuine: {path}: {path.stat().st_size} bytes is larger than any issued document",
            file=sys.stderr,
        )
        return 1
    from kinlink.documents.services import verify_pdf

    result = verify_pdf(path.read_bytes())
    if result.genuine:
        print(f"{path}: {result.reason}")
        return 0
    print(f"not genuine: {path}: {result.reason}", file=sys.stderr)
    return 1
