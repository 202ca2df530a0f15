"""One audit vocabulary: every action name written to the audit trail is listed in ``audit.Action``."""

from __future__ import annotations

import re
from pathlib import Path

from kinlink.registry.services.audit import Action

SRC = Path(__file__).resolve().parents[2] / "src" / "kinlink"
#: ``audit.record(actor, "name", ...)`` with the name as a string literal (on one line or the next).
LITERAL = re.compile(r"audit\.record\(\s*[^,()]+,\s*\"([a-z_]+)\"")


def test_every_literal_action_name_in_the_code_is_in_the_vocabulary() -> None:
    used: dict[str, list[str]] = {}
    for path in SRC.rglob("*.py"):
        for name in LITERAL.findall(path.read_text(encoding="utf-8")):
            used.setdefault(name, []).append(str(path.relative_to(SRC)))
    assert used, "the scan found no audit.record calls: the pattern is out of date"
    unknown = {name: files for name, files in used.items() if name not in set(Action)}
    assert not unknown, f"add these to registry.services.audit.Action: {unknown}"


def test_the_vocabulary_has_no_duplicate_names() -> None:
    values = [a.value for a in Action]
    assert len(values) == len(set(values))
