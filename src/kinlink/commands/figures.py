"""Public figures: ``kinlink figures refresh`` recomputes them now, ``kinlink figures status`` says how old
the stored ones are and whether the worker will recompute them.

The worker recomputes the figures when the registry changes (``registry.services.figures``); ``refresh``
is for an operator who wants them now (after a restore, a changed ``FIGURES_SUPPRESSION_THRESHOLD``, or on
an instance without a worker).
"""

from __future__ import annotations

import argparse
import json

from kinlink.commands.base import setup_django


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    figures = subparsers.add_parser(
        "figures", help="public figures: recompute them now, or say how old they are"
    )
    sub = figures.add_subparsers(dest="figures_command", metavar="ACTION", required=True)
    refresh = sub.add_parser(
        "refresh",
        help="recompute the public figures now and store them (what the worker does when data change)",
        description=(
            "Compute the public figures (counts, tables, estimates) from the registry and store them as the "
            "snapshot the figures page, its CSV and the statistics report serve. Prints the snapshot: when, "
            "how long it took, its digest."
        ),
    )
    refresh.set_defaults(handler=run_refresh)
    status = sub.add_parser("status", help="when the stored figures were computed, and whether they are due")
    status.set_defaults(handler=run_status)


def run_refresh(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.registry.models import FiguresSnapshot
    from kinlink.registry.services.figures import refresh_public_figures

    ref = refresh_public_figures()
    snap = FiguresSnapshot.objects.get(pk=ref.id)
    print(
        json.dumps(
            {
                "snapshot": snap.pk,
                "computed_at": snap.computed_at.isoformat(),
                "seconds": round(snap.seconds, 3),
                "threshold": snap.threshold,
                "digest": snap.digest,
            }
        )
    )
    return 0


def run_status(args: argparse.Namespace) -> int:
    setup_django()
    from kinlink.registry.models import FiguresChange
    from kinlink.registry.services.figures import figures_due, latest_snapshot

    ref = latest_snapshot()
    print(
        json.dumps(
            {
                "snapshot": None if ref is None else ref.id,
                "computed_at": None if ref is None else ref.computed_at.isoformat(),
                "threshold": None if ref is None else ref.threshold,
                "pending_changes": FiguresChange.objects.count(),
                "due": figures_due() or None,
            }
        )
    )
    return 0
