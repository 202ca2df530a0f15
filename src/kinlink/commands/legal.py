"""The legal plan of a case from its facts: ``kinlink legal plan FACTS.json``.

Pure: no Django and no database; the facts come from the file (see ``docs/methods/legal.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    legal = subparsers.add_parser("legal", help="legal plans: the next legal steps and the law's dates")
    sub = legal.add_subparsers(dest="legal_command", metavar="ACTION", required=True)
    plan = sub.add_parser(
        "plan",
        help="the next legal steps of a case, each with its earliest or due date and the law it rests on",
        description=(
            'FACTS.json: {"jurisdiction": "RU-participant" | "RU-general" | "UA", "last_news": '
            '"YYYY-MM-DD" | "YYYY-MM" | "YYYY", "status": "none" | "recognised_missing" | ..., '
            '"status_since": "YYYY-MM-DD", "threatening_circumstances": bool, "hostilities_end": '
            '"YYYY-MM-DD" | null, "as_of": "YYYY-MM-DD", "inquiries": [{"addressee", "sent", '
            '"received", "answered", "basis", "extended"}], "identified_on", "command_notice", '
            '"decision": {"kind", "on"}}. Missing keys: status none, flags false, lists empty, as_of '
            "today. Bad input: one line naming the key, exit status 2. Not legal advice."
        ),
    )
    plan.add_argument("facts", metavar="FACTS.json", help="the case's facts ('-' reads standard input)")
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.set_defaults(handler=run_plan)


def run_plan(args: argparse.Namespace) -> int:
    from kinlink.registry.legalplan import PlanInputError, plan_from_json_text, step_summary

    if args.facts == "-":
        text = sys.stdin.read()
    else:
        path = Path(args.facts)
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            print(f"error: {path}: no such file", file=sys.stderr)
            return 2
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: {path}: cannot be read ({exc})", file=sys.stderr)
            return 2
    try:
        plan = plan_from_json_text(text, today=dt.date.today())
    except PlanInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(plan.to_json(), ensure_ascii=False, indent=2))
        return 0
    facts = plan.facts
    print(f"Legal plan ({facts.jurisdiction}) as of {facts.as_of.isoformat()}; not legal advice.")
    if plan.counting_from:
        print(f"Periods without news are counted from {plan.counting_from.isoformat()}.")
    for line in step_summary(plan.steps) or ["No step can be computed from these facts."]:
        print(line)
    return 0
