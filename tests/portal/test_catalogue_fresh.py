"""The catalogue, extracted afresh from the code and templates, is fully translated in ru, uk and en.

``test_translations`` checks only the entries already in the ``.po`` files; a string added to the code
(a page, a form, a document label marked with ``N_``) and never extracted would pass it and show in
English. Here the project's own ``makemessages`` runs over a copy of the package, merges into a copy of
the catalogues, and every msgid found in the code must come out translated and not fuzzy. The committed
files are never written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "kinlink"
LANGUAGES = ("ru", "uk", "en")
EXTRACTED = ("*.py", "*.html", "*.txt", "*.po")


def _digests() -> dict[str, str]:
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((PACKAGE / "locale").rglob("*.po"))
    }


def _msgids(po: Path, *options: str) -> list[str]:
    """The msgids ``msgattrib`` selects from ``po`` (the header left out), multi-line strings joined."""
    out = subprocess.run(
        ["msgattrib", "--no-obsolete", "--no-wrap", *options, str(po)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = out.splitlines()
    return [line[len('msgid "') : -1] for line in lines if line.startswith('msgid "') and line != 'msgid ""']


def _ignore(directory: str, names: list[str]) -> list[str]:
    """Copy only what ``makemessages`` reads: folders, sources, templates and the catalogues."""
    keep = {name for name in names if (Path(directory) / name).is_dir() and name != "__pycache__"}
    keep |= {name for name in names if any(Path(name).match(p) for p in EXTRACTED)}
    return [name for name in names if name not in keep]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("msgattrib") is None or shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext, msgmerge, msgattrib) is needed to extract the catalogue")
    before = _digests()
    copy = tmp_path_factory.mktemp("catalogue") / "kinlink"
    shutil.copytree(PACKAGE, copy, ignore=_ignore)
    here = Path.cwd()
    try:
        os.chdir(copy)
        call_command("makemessages", locale=list(LANGUAGES), no_obsolete=True, no_location=True, verbosity=0)
    finally:
        os.chdir(here)
    assert _digests() == before, "extraction must not rewrite the committed catalogues"
    return {lang: copy / "locale" / lang / "LC_MESSAGES" / "django.po" for lang in LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_extracted_msgid_is_translated(fresh: dict[str, Path], language: str) -> None:
    po = fresh[language]
    assert len(_msgids(po)) > 400  # the extraction found the code's strings
    untranslated = _msgids(po, "--untranslated")
    fuzzy = _msgids(po, "--only-fuzzy")
    assert not untranslated, f"{language}: {len(untranslated)} untranslated: {untranslated}"
    assert not fuzzy, f"{language}: {len(fuzzy)} fuzzy: {fuzzy}"


def test_document_labels_are_in_the_catalogue(fresh: dict[str, Path]) -> None:
    """Every word a document prints comes from the shared catalogue, not a dictionary of its own."""
    from kinlink.documents import labels

    found = set(_msgids(fresh["ru"]))
    messages = [*labels.COMMON.values(), *labels.TERMS.values(), *labels.PHRASES.values()]
    for kind in labels.KIND_LABELS.values():
        for value in kind.values():
            messages.extend(value if isinstance(value, list) else [value])
    escaped = {m.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") for m in messages}
    assert escaped <= found, sorted(escaped - found)
