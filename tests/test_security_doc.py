"""docs/security.md: every claim names a test, and every test it names exists (issue 17)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`")


def test_every_test_the_threat_model_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    current: Path | None = None
    named = 0
    missing = []
    for match in REFERENCE.finditer(text):
        path, test, same_file_test = match.groups()
        if path:
            current = ROOT / path
            if not current.exists():
                missing.append(path)
                continue
        name = test or same_file_test
        if name:
            named += 1
            if current is None or f"def {name}(" not in current.read_text(encoding="utf-8"):
                missing.append(f"{current}::{name}")
    assert not missing, missing
    assert named > 80


def test_every_row_of_what_kinlink_does_names_a_verification() -> None:
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| ") else []
        if len(cells) == 2 and cells[0] not in ("what kinlink does", "---"):
            assert "tests/" in cells[1] or "`::" in cells[1] or "scripts/" in cells[1], line[:80]
