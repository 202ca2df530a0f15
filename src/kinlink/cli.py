"""The ``kinlink`` command line.

Each group of commands lives in its own module under :mod:`kinlink.commands` and exposes
``register(subparsers)``. Commands that touch the registry call :func:`kinlink.commands.base.setup_django`
themselves, so pure commands (``kinlink dna lr``) start without Django.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

from kinlink import __version__
from kinlink.commands.base import CommandError

COMMAND_MODULES = [
    "kinlink.commands.registry",
    "kinlink.commands.dna",
    "kinlink.commands.estimate",
    "kinlink.commands.link",
    "kinlink.commands.documents",
    "kinlink.commands.exchange",
    "kinlink.commands.api_tokens",
    "kinlink.commands.matching",
    "kinlink.commands.legal",
    "kinlink.commands.field",
    "kinlink.commands.retention",
    "kinlink.commands.keys",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kinlink",
        description="kinlink: tracing people missing in armed conflict.",
    )
    parser.add_argument("--version", action="version", version=f"kinlink {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        status = int(handler(args) or 0)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # `kinlink case list | head`: the reader closed the pipe; end quietly, as Unix tools do.
        _silence_stdout()
        return 141
    except CommandError as exc:
        print(f"kinlink: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush does not raise again."""
    # stdout that is not a real file (a test's capture) has nothing left to flush
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
