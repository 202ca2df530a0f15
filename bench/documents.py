"""Documents and exchange benchmarks: PDF rendering per kind, verification, PFIF import and export.

Run by hand: `.venv/bin/python bench/documents.py`. Uses a fresh SQLite database in a temporary folder:
fills it with `kinlink demo --size small --no-serve`, renders each document kind for the seed case
(timed in-process, after one warm-up render that loads the fonts; the DNA report and the dossier recompute
the seed case's DNA identification with the exact engine, timed alone as ``dna_recompute``), verifies a
file, then imports and
exports a synthetic PFIF 1.4 file of 2,000 persons with 2 notes each. Writes bench/results/documents.json.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bench._machine import write_results

PFIF_PERSONS = 2000
RENDERS = 5


def pfif_file(persons: int) -> bytes:
    from kinlink.exchange.pfif import NAMESPACE

    ET.register_namespace("pfif", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}pfif")
    for i in range(persons):
        person = ET.SubElement(root, f"{{{NAMESPACE}}}person")
        for name, value in (
            ("person_record_id", f"bench.example/person.{i}"),
            ("entry_date", "2024-03-01T10:00:00Z"),
            ("source_name", "bench"),
            ("full_name", f"Иванов Иван {i}"),
            ("given_name", "Иван"),
            ("family_name", "Иванов"),
            ("sex", "male"),
            ("date_of_birth", "1990-05"),
            ("author_phone", "+7 900 000-00-00"),
        ):
            ET.SubElement(person, f"{{{NAMESPACE}}}{name}").text = value
        for j, status in enumerate(("believed_missing", "information_sought")):
            note = ET.SubElement(person, f"{{{NAMESPACE}}}note")
            for name, value in (
                ("note_record_id", f"bench.example/note.{i}.{j}"),
                ("entry_date", "2024-03-02T10:00:00Z"),
                ("status", status),
                ("text", "сведений нет"),
            ):
                ET.SubElement(note, f"{{{NAMESPACE}}}{name}").text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="kinlink-bench-documents-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["KINLINK_VAR_DIR"] = str(folder)
    os.environ["KINLINK_PROGRESS"] = "0"
    from kinlink.commands.base import setup_django

    setup_django()
    from kinlink.demo import build_demo
    from kinlink.documents.actions import issue_document
    from kinlink.documents.services import verify_pdf
    from kinlink.exchange.pfif import export_pfif, import_pfif_bytes
    from kinlink.registry.models import Case, Person

    started = time.monotonic()
    build_demo(size="small")
    demo_seconds = time.monotonic() - started
    case = Case.objects.get(number="C-000001")
    issue_document("certificate", case, "ru", user=None)  # warm-up: fonts and templates
    figures: dict[str, object] = {"demo_small_seconds": round(demo_seconds, 2), "renders_per_kind": RENDERS}
    for kind in ("certificate", "dossier", "dna-report", "statistics"):
        times, sizes = [], []
        for _ in range(RENDERS):
            t0 = time.monotonic()
            document = issue_document(kind, case if kind != "statistics" else None, "ru", user=None)
            times.append(time.monotonic() - t0)
            sizes.append(document.size)
        figures[f"{kind}_median_seconds"] = round(statistics.median(times), 3)
        figures[f"{kind}_pdf_bytes"] = max(sizes)
    from kinlink.documents.registry_dna import registry_result

    times = []
    for _ in range(RENDERS):
        t0 = time.monotonic()
        assert registry_result(case) is not None
        times.append(time.monotonic() - t0)
    figures["dna_recompute_median_seconds"] = round(statistics.median(times), 3)
    pdf = bytes(issue_document("dossier", case, "ru", user=None).pdf)
    t0 = time.monotonic()
    for _ in range(100):
        assert verify_pdf(pdf).genuine
    figures["verify_median_ms"] = round((time.monotonic() - t0) * 10, 3)

    data = pfif_file(PFIF_PERSONS)
    persons_before = Person.objects.count()
    t0 = time.monotonic()
    result = import_pfif_bytes(data, "bench.xml")
    figures["pfif_import_persons"] = result.persons_created
    figures["pfif_import_notes"] = result.notes_created
    figures["pfif_file_bytes"] = len(data)
    figures["pfif_import_seconds"] = round(time.monotonic() - t0, 2)
    t0 = time.monotonic()
    exported = export_pfif()
    figures["pfif_export_seconds"] = round(time.monotonic() - t0, 2)
    figures["pfif_export_bytes"] = len(exported)
    figures["persons_in_registry"] = Person.objects.count()
    assert Person.objects.count() == persons_before + PFIF_PERSONS
    path = write_results("documents", figures)
    print(path.read_text())


if __name__ == "__main__":
    main()
