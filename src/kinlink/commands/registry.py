"""Registry commands: demo, serve, import-list, export."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser("serve", help="serve the web application")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from kinlink.commands.base import setup_django

    setup_django()
    from django.core.management import call_command

    call_command("runserver", f"{args.host}:{args.port}", use_reloader=False)
    return 0
