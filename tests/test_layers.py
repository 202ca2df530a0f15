"""The layers of docs/architecture.md, checked with import-linter (the contracts are in pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(*contracts: str) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` from the repository root on this checkout's sources (``src`` first)."""
    binary = Path(sys.executable).with_name("lint-imports")
    command = str(binary) if binary.exists() else shutil.which("lint-imports")
    assert command, "lint-imports is not installed (pip install -e '.[dev]')"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    }
    args = [command, "--no-cache", "--no-logo", *(f"--contract={c}" for c in contracts)]
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_engines_and_lib_import_no_django() -> None:
    result = lint_imports("pure-engines")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_import_contract_is_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
