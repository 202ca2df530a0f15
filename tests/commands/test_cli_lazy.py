"""The lazy command line: `kinlink CMD` imports only CMD's module, and the static map cannot drift."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kinlink import cli
from tests.data import DATA

SRC = Path(cli.__file__).resolve().parents[1]
CASE = DATA / "genetics" / "cases" / "kin-101-0001.json"


def _registered_by_module() -> dict[str, str]:
    """Register every module of the CLI, as `kinlink --help` does, and note which one added which command."""
    parser = argparse.ArgumentParser(prog="kinlink")
    subparsers = parser.add_subparsers(dest="command")
    owner: dict[str, str] = {}
    for module_name in cli.COMMAND_MODULES:
        before = set(subparsers.choices)
        importlib.import_module(module_name).register(subparsers)
        for name in subparsers.choices:
            if name not in before:
                owner[name] = module_name
    return owner


def test_command_map_equals_full_registration() -> None:
    # A command added to a module but not to cli.COMMANDS (or mapped to the wrong module) fails here.
    assert _registered_by_module() == cli.COMMANDS


def test_every_command_module_is_in_the_map() -> None:
    modules = {
        f"kinlink.commands.{path.stem}"
        for path in (SRC / "kinlink" / "commands").glob("*.py")
        if "def register(" in path.read_text(encoding="utf-8")
    }
    assert modules == set(cli.COMMAND_MODULES)


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_a_command_parser_holds_only_its_module() -> None:
    parser = cli.build_parser("dna")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == {"dna"}
    full = cli.build_parser()
    sub_full = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub_full.choices) == set(cli.COMMANDS)


def test_unknown_command_is_refused_with_the_full_list(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and "'dna'" in err and "'demo'" in err


# What `kinlink dna lr` may import besides the standard library: start-up is most of a one-case run, so
# anything more (Django, scipy, pandas, statsmodels, duckdb, splink, ...) must stay off this path.
LR_THIRD_PARTY = {"numpy"}
LR_KINLINK_MODULES = {
    "kinlink",
    "kinlink.cli",
    "kinlink.commands",
    "kinlink.commands.base",
    "kinlink.commands.dna",
    "kinlink.commands.dna_screen",
    "kinlink.genetics",
    "kinlink.genetics.contraction",
    "kinlink.genetics.formats",
    "kinlink.genetics.kinship",
    "kinlink.genetics.likelihood",
    "kinlink.genetics.markers",
    "kinlink.genetics.mutation",
    "kinlink.genetics.pedigree",
}
# Standard-library modules that cost start-up time and that the LR path does not need (pathlib alone is
# about 5 ms with urllib and ipaddress); the modules on the path import them where they are used.
LR_AVOIDED_STDLIB = {"pathlib", "getpass", "urllib", "ipaddress", "sqlite3", "decimal", "email", "http"}


def test_dna_lr_imports_only_numpy_and_the_genetics_engine() -> None:
    probe = (
        "import io, json, sys, contextlib\n"
        "before = set(sys.modules)\n"
        "from kinlink.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    status = main(['dna', 'lr', {str(CASE)!r}, {str(CASE)!r}])\n"
        "print(json.dumps({'status': status, 'records': out.getvalue().splitlines(),\n"
        "    'modules': sorted(set(sys.modules) - before), 'stdlib': sorted(sys.stdlib_module_names)}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    result = json.loads(done.stdout)
    assert result["status"] == 0
    expected = json.loads(CASE.read_text())["expected"]["lr"]
    assert len(result["records"]) == 2
    for line in result["records"]:
        assert json.loads(line)["lr"] == pytest.approx(expected, rel=1e-6)
    modules = set(result["modules"])
    roots = {name.split(".")[0] for name in modules}
    third_party = roots - set(result["stdlib"]) - {"kinlink"}
    assert third_party <= LR_THIRD_PARTY, f"`kinlink dna lr` imports {sorted(third_party - LR_THIRD_PARTY)}"
    for heavy in ("django", "pandas", "scipy", "statsmodels", "duckdb", "splink", "numba", "tqdm"):
        assert heavy not in roots, heavy
    kinlink_modules = {name for name in modules if name.split(".")[0] == "kinlink"}
    assert kinlink_modules <= LR_KINLINK_MODULES, sorted(kinlink_modules - LR_KINLINK_MODULES)
    assert "kinlink.genetics.report" not in modules
    assert not roots & LR_AVOIDED_STDLIB, sorted(roots & LR_AVOIDED_STDLIB)


def test_import_list_starts_without_scipy_statsmodels_splink_or_duckdb(tmp_path: Path) -> None:
    # What `kinlink import-list` loads before it reads the file: Django set up (every app ready) and the
    # import path. The estimation and linkage engines are not on it (issue 16: start-up is a user's wait).
    probe = (
        "import json, sys\n"
        "from kinlink.cli import build_parser\n"
        "build_parser('import-list')\n"
        "from kinlink.commands.base import setup_django\n"
        "setup_django(check_migrations=False)\n"
        "import kinlink.registry.actions, kinlink.registry.services.imports, kinlink.matching.tasks\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "KINLINK_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    roots = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert "django" in roots
    for heavy in ("scipy", "statsmodels", "splink", "duckdb", "pandas", "sklearn"):
        assert heavy not in roots, heavy
