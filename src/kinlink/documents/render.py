"""Typst rendering: a payload of plain data in, reproducible PDF bytes out.

Pure: no Django. Every template in ``typst/`` reads one JSON payload from ``sys.inputs.payload``
(strings are inserted as text, never parsed as markup, so no registry value can inject Typst code).
Fonts come only from the package's ``fonts/`` folder (DejaVu Sans, Cyrillic coverage): system fonts
and Typst's bundled fonts are ignored, and no package is ever downloaded, so rendering works offline
and gives the same bytes on every machine. The same payload, number and creation time give the same
bytes; the creation time is both the PDF's metadata date and the time printed on the page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import segno
import typst

from kinlink.lib.formats import format_date

#: Document kinds as the CLI names them, and the template each one uses.
TEMPLATES: dict[str, str] = {
    "certificate": "certificate.typ",
    "dossier": "dossier.typ",
    "dna-report": "dna_report.typ",
    "statistics": "statistics.typ",
    "inquiry-letter": "letter.typ",
    "court-application": "court_application.typ",
}
#: One letter per kind in the document number: KL-C-2026-XXXXXXXXXX.
KIND_LETTER: dict[str, str] = {
    "certificate": "C",
    "dossier": "D",
    "dna-report": "G",
    "statistics": "S",
    "inquiry-letter": "L",
    "court-application": "A",
}
NUMBER_PATTERN = re.compile(r"KL-[CDGSLA]-\d{4}-[0-9A-Z]{10}")
#: The marker written into the PDF's Info dictionary (``/Keywords``), read back by verification.
KEYWORD_PREFIX = "kinlink-document:"
_KEYWORD_RE = re.compile(rb"kinlink-document:(KL-[CDGSLA]-\d{4}-[0-9A-Z]{10})")
_PAGE_RE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


class RenderError(RuntimeError):
    """Typst could not typeset the document; the message names the template problem."""


def package_dir() -> Path:
    return Path(str(resources.files("kinlink.documents")))


@cache
def _compiler() -> typst.Compiler:
    base = package_dir()
    fonts = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(base / "fonts")]
    )
    return typst.Compiler(root=str(base / "typst"), font_paths=fonts, ignore_system_fonts=True)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the byte form that content hashes are taken of."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_sha256(kind: str, lang: str, facts: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the document's facts: what the document says.

    It excludes the number, the creation time and the QR code, so the same data always gives the
    same content hash. The PDF file's own SHA-256 is kept separately in the register.
    """
    return hashlib.sha256(canonical_json({"kind": kind, "lang": lang, "facts": facts}).encode()).hexdigest()


def qr_svg(url: str) -> str:
    """An SVG QR code (error correction M) for the verification address."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, border=2)
    return buffer.getvalue().decode("utf-8")


def compile_pdf(
    kind: str,
    *,
    number: str,
    created: dt.datetime,
    lang: str,
    facts: dict[str, Any],
    labels: dict[str, str],
    verify_url: str,
    annexes: list[bytes] | tuple[bytes, ...] = (),
) -> bytes:
    """Typeset one document. ``created`` must be timezone-aware; it is rounded to whole seconds.

    The QR code encodes ``verify_url?c=<content SHA-256>``, so the verification page can also say
    whether the content hash printed on the paper is the registered one. ``annexes`` are earlier PDFs
    (kinlink's own letters) whose pages a template places after the document (``facts["annexes"]``
    describes them; their bytes are not part of the content hash, their numbers are).
    """
    if kind not in TEMPLATES:
        raise RenderError(f"unknown document kind '{kind}' (known: {', '.join(TEMPLATES)})")
    if created.tzinfo is None:
        raise RenderError("the creation time must be timezone-aware")
    created = created.astimezone(dt.UTC).replace(microsecond=0)
    digest = content_sha256(kind, lang, facts)
    payload = {
        "kind": kind,
        "number": number,
        "keyword": KEYWORD_PREFIX + number,
        "lang": lang,
        "created": f"{format_date(created.date(), lang)}, {created:%H:%M:%S} UTC",
        "created_parts": [
            created.year,
            created.month,
            created.day,
            created.hour,
            created.minute,
            created.second,
        ],
        "content_sha256": digest,
        "verify_url": verify_url,
        "qr": qr_svg(f"{verify_url}?c={digest}"),
        "labels": labels,
        "facts": facts,
        "annex_pdfs": [list(pdf) for pdf in annexes],
    }
    try:
        result = _compiler().compile(
            input=str(package_dir() / "typst" / TEMPLATES[kind]),
            format="pdf",
            sys_inputs={"payload": canonical_json(payload)},
            timestamp=created,
        )
    except typst.TypstError as exc:
        raise RenderError(f"{TEMPLATES[kind]}: {exc.message}") from exc
    if not isinstance(result, bytes):
        raise RenderError(f"{TEMPLATES[kind]}: Typst returned no single PDF")
    return result


def number_in_pdf(pdf: bytes) -> str | None:
    """The document number kinlink wrote into a PDF's metadata, or ``None`` if there is none."""
    match = _KEYWORD_RE.search(pdf)
    return match.group(1).decode("ascii") if match else None


def page_count(pdf: bytes) -> int:
    """The number of pages of a PDF kinlink made (Typst writes each page object uncompressed)."""
    return len(_PAGE_RE.findall(pdf))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
