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

# Every top-level command and the module that registers it (its ``register(subparsers)``). The CLI
# imports only the module of the command named on the command line, so that `kinlink dna lr` starts
# without the registry's imports; `kinlink`, `kinlink --help` and an unknown command register them all.
# A new command adds one line here: tests/commands/test_cli_lazy.py checks that this map equals what
# registering every module yields.
COMMANDS: dict[str, str] = {
    "demo": "kinlink.commands.registry",
    "serve": "kinlink.commands.registry",
    "totp": "kinlink.commands.registry",
    "unlock": "kinlink.commands.registry",
    "worker": "kinlink.commands.registry",
    "import-list": "kinlink.commands.registry",
    "export": "kinlink.commands.registry",
    "dna": "kinlink.commands.dna",
    "estimate": "kinlink.commands.estimate",
    "link": "kinlink.commands.link",
    "case": "kinlink.commands.documents",
    "documents": "kinlink.commands.documents",
    "exchange": "kinlink.commands.exchange",
    "api-token": "kinlink.commands.api_tokens",
    "link-registry": "kinlink.commands.matching",
    "legal": "kinlink.commands.legal",
    "field": "kinlink.commands.field",
    "migrate": "kinlink.commands.ops",
    "check": "kinlink.commands.ops",
    "backup": "kinlink.commands.backup",
    "restore": "kinlink.commands.backup",
    "keys": "kinlink.commands.keys",
    "retention": "kinlink.commands.retention",
    "figures": "kinlink.commands.figures",
}

# The command modules in the order `kinlink --help` lists their commands.
COMMAND_MODULES: list[str] = list(dict.fromkeys(COMMANDS.values()))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or, for a ``command`` of :data:`COMMANDS`, with only the commands
    of its module (the rest of the CLI is never imported)."""
    parser = argparse.ArgumentParser(
        prog="kinlink",
        description="kinlink: tracing people missing in armed conflict.",
    )
    parser.add_argument("--version", action="version", version=f"kinlink {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [COMMANDS[command]] if command in COMMANDS else COMMAND_MODULES
    for module_name in modules:
        importlib.import_module(module_name).register(subparsers)
    return parser


def command_named(argv: Sequence[str]) -> str | None:
    """The top-level command of a command line: its first word, unless that is an option."""
    if argv and not argv[0].startswith("-"):
        return argv[0]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_named(words))
    args = parser.parse_args(words)
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
