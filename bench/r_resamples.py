"""Write R's multinomial bootstrap resamples for the reference data sets (needs ``Rscript``; run by hand).

SparseMSE's ``estimatepopulation`` (and MultipleSystemsEstimation's bootstrap) draws its replicates with
``set.seed(iseed)`` and ``rmultinom(1, n, counts)`` over the rows of the data as given (the reference
files in tests/data/estimation keep R's row order; the UK files are also in the order of
MultipleSystemsEstimation's ``tidy_lists``).
Those draws come from R's Mersenne-Twister and R's binomial generator, which numpy does not reproduce,
so a published BCa limit that sits on an extreme replicate can only be matched with R's own draws. This
script asks R for them (a short R program of ours; no package needed) and stores them, gzipped, under
tests/data/estimation/r_draws/, one row per replicate and one column per capture history (header = the
history, e.g. ``10100``), so that tests/estimation/test_intervals.py can check our BCa against the published
intervals exactly.

    PYTHONPATH=src python bench/r_resamples.py [--data DIR] [--seed 1234] [--replicates 1000]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.data import DATA  # noqa: E402
from tests.estimation.r_draws import draws_path  # noqa: E402

DATASETS = (
    "us_western_site_trafficking_5lists.csv",
    "new_orleans_trafficking_5lists.csv",
    "new_orleans_trafficking_8lists.csv",
    "uk_modern_slavery_2013_5lists.csv",
    "uk_modern_slavery_2013_6lists.csv",
)
R_PROGRAM = """
args <- commandArgs(trailingOnly = TRUE)
z <- read.csv(args[1])
set.seed(as.integer(args[3]))
d <- rmultinom(as.integer(args[4]), sum(z[, ncol(z)]), z[, ncol(z)])
write.table(t(d), args[2], sep = ",", row.names = FALSE, col.names = FALSE)
"""


def out_path(name: str, seed: int) -> Path:
    return draws_path(name, seed)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(DATA / "estimation"), help="reference capture histories")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--replicates", type=int, default=1000)
    args = parser.parse_args()
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("Rscript is not installed (Debian: apt-get install r-base-core)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        prog = Path(tmp) / "draws.R"
        prog.write_text(R_PROGRAM, encoding="utf-8")
        for name in DATASETS:
            src = Path(args.data) / name
            with src.open(encoding="utf-8") as fh:
                rows = list(csv.reader(fh))[1:]
            histories = ["".join(r[:-1]) for r in rows]
            raw = Path(tmp) / f"{name}.out"
            subprocess.run(
                [rscript, str(prog), str(src), str(raw), str(args.seed), str(args.replicates)], check=True
            )
            body = raw.read_text(encoding="utf-8")
            target = out_path(name, args.seed)
            target.parent.mkdir(parents=True, exist_ok=True)
            with gzip.open(target, "wt", encoding="utf-8", compresslevel=9) as fh:
                fh.write(",".join(histories) + "\n" + body)
            print(f"wrote {target.relative_to(ROOT)} ({len(rows)} histories, {args.replicates} replicates)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
