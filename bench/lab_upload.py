"""Benchmark of a large lab genotype CSV: how long `kinlink exchange genotypes-import` (the same action as
the lab console's upload, ``identification.actions.store_lab_profiles``) takes for a file of a given size.

Run by hand (not by the test suite):

    PYTHONPATH=src python bench/lab_upload.py [--megabytes 20] [--markers 23] [--database-url URL]

A fresh database (SQLite under a temporary folder by default) with one lab and as many remains samples as
the file needs (created in bulk: the registration is not what is measured); the file holds each sample's
``--markers`` markers. Times the parse alone, then the real CLI from the outside (a first upload that
stores every profile, then the same file again, which changes nothing). Writes
bench/results/lab_upload.json (or NAME.json with --name).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from bench._machine import write_results

ALLELES = [str(n) for n in range(8, 30)]


def write_file(path: Path, megabytes: float, markers: int) -> int:
    """A genotype CSV of about ``megabytes`` MB; returns the number of samples."""
    target = int(megabytes * 1024 * 1024)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sample", "marker", "allele1", "allele2"])
    n = 0
    while out.tell() < target:
        n += 1
        for m in range(markers):
            writer.writerow([f"BENCH-{n:07d}", f"M{m:02d}", ALLELES[(n + m) % 22], ALLELES[(n * 7 + m) % 22]])
    path.write_text(out.getvalue(), encoding="utf-8")
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=20.0)
    parser.add_argument("--markers", type=int, default=23)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--name", default="lab_upload", help="results file bench/results/NAME.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KINLINK_PROGRESS": "0", "KINLINK_VAR_DIR": tmp}
        env["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        os.environ.update(env)
        path = Path(tmp) / "genotypes.csv"
        samples = write_file(path, args.megabytes, args.markers)
        size = path.stat().st_size

        from kinlink.commands.base import setup_django

        setup_django()
        from kinlink.exchange.genotypes import read_genotype_file
        from kinlink.registry.models import Organisation, Sample

        lab = Organisation.objects.create(name="Bench lab", slug="bench-lab", is_lab=True)
        # direct write: the samples the file names, registered in bulk (registration is not measured)
        Sample.objects.bulk_create(
            [Sample(code=f"BENCH-{n:07d}", kind=Sample.Kind.REMAINS, lab=lab) for n in range(1, samples + 1)],
            batch_size=2000,
        )
        started = time.monotonic()
        parsed = read_genotype_file(path.read_bytes(), path.name)
        parse_s = time.monotonic() - started
        assert not parsed.problems, parsed.problems[:3]

        def cli() -> float:
            started = time.monotonic()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "kinlink",
                    "exchange",
                    "genotypes-import",
                    str(path),
                    "--lab",
                    lab.slug,
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise SystemExit(done.stderr[-2000:])
            return time.monotonic() - started

        first_s = cli()
        again_s = cli()
    results = {
        "file_bytes": size,
        "samples": samples,
        "markers_per_sample": args.markers,
        "rows": samples * args.markers,
        "database": "postgresql" if args.database_url else "sqlite",
        "parse_seconds": round(parse_s, 2),
        "cli_first_upload_seconds": round(first_s, 2),
        "cli_same_file_again_seconds": round(again_s, 2),
    }
    print(json.dumps(results, indent=2))
    write_results(args.name, results)


if __name__ == "__main__":
    main()
