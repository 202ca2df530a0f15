"""Comparison pairs and true-pair coverage of every prediction blocking rule (issue 16).

Run by hand:  PYTHONPATH=src python bench/linkage_blocking.py [--label NAME] LISTS.parquet [LISTS.parquet ...]
The lists are those bench/linkage.py writes (``--generate SIZE PATH --rates harsh``): person-list rows
with the truth in ``_person_id``. For each rule: the record pairs it joins (sum over its key groups of
n(n-1)/2, counted in DuckDB without forming the pairs; a pair several rules join counts once per
rule), the true pairs it reaches and the true pairs no other rule reaches. Also the true pairs no
rule reaches. Writes bench/results/linkage_blocking.json.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _machine

RESULTS = Path(__file__).resolve().parent / "results" / "linkage_blocking.json"
_EQUAL = re.compile(r'l\."?(\w+)"?\s*=\s*r\."?(\w+)"?')


def _pair_count(con: Any, sql: str) -> int:
    """Pairs a rule joins: exact for a conjunction of equalities, by a self-join otherwise."""
    columns = _EQUAL.findall(sql)
    rest = _EQUAL.sub("", sql).replace("AND", "").replace("and", "").replace("(", "").replace(")", "")
    if columns and not rest.strip() and all(a == b for a, b in columns):
        keys = ", ".join(a for a, _ in columns)
        not_null = " and ".join(f"{a} is not null" for a, _ in columns)
        query = (
            f"select coalesce(sum(n * (n - 1) / 2), 0) from "
            f"(select count(*) as n from records where {not_null} group by {keys})"
        )
    else:
        query = f"select count(*) from records l join records r on l.unique_id < r.unique_id and ({sql})"
    return int(con.execute(query).fetchall()[0][0])


def measure(path: Path, label: str = "") -> dict[str, Any]:
    import duckdb
    import pandas as pd

    from kinlink.linkage.model import blocking_rules, cluster_pairs, prepare_records

    frame = pd.read_parquet(path)
    truth = frame.pop("_person_id")
    start = time.perf_counter()
    prepared = prepare_records(frame).drop(columns=["given_alts", "given_initials", "patronymic_initials"])
    prepare_s = time.perf_counter() - start
    true_pairs = sorted(cluster_pairs(frame["record_id"].tolist(), truth.tolist()))
    con = duckdb.connect(config={"threads": 2, "memory_limit": "3GB"})
    con.register("records_frame", prepared)
    con.execute("create table records as select * from records_frame")
    con.register("pairs_frame", pd.DataFrame(true_pairs, columns=["a", "b"]))
    con.execute(
        "create table truth as select p.a, p.b from pairs_frame p"
        " join records l on l.unique_id = p.a join records r on r.unique_id = p.b"
    )
    rules = [rule.get_blocking_rule("duckdb").blocking_rule_sql for rule in blocking_rules()]
    reach = []
    for index, sql in enumerate(rules):
        con.execute(
            f"create or replace table hit_{index} as select p.a, p.b from truth p"
            f" join records l on l.unique_id = p.a join records r on r.unique_id = p.b where {sql}"
        )
    union = " union all ".join(f"select a, b, {i} as rule from hit_{i}" for i in range(len(rules)))
    con.execute(f"create table hits as {union}")
    only = dict(
        con.execute(
            "select rule, count(*) from (select a, b, min(rule) as rule, count(*) as n from hits"
            " group by a, b) where n = 1 group by rule"
        ).fetchall()
    )
    reached = con.execute("select count(distinct (a, b)) from hits").fetchall()[0][0]
    total_pairs = 0
    for index, sql in enumerate(rules):
        mark = time.perf_counter()
        pairs = _pair_count(con, sql)
        total_pairs += pairs
        found = con.execute(f"select count(*) from hit_{index}").fetchall()[0][0]
        reach.append(
            {
                "rule": sql,
                "pairs": pairs,
                "true_pairs_reached": int(found),
                "true_pairs_only_this_rule": int(only.get(index, 0)),
                "count_s": round(time.perf_counter() - mark, 2),
            }
        )
        print(json.dumps(reach[-1]), file=sys.stderr)
    return {
        "label": label,
        "lists": path.name,
        "records": len(frame),
        "true_pairs": len(true_pairs),
        "true_pairs_reached": int(reached),
        "true_pairs_never_compared": len(true_pairs) - int(reached),
        "pairs_sum_over_rules": total_pairs,
        "prepare_s": round(prepare_s, 2),
        "load_1min": round(os.getloadavg()[0], 2),
        "peak_memory_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
        "rules": reach,
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", default="", help="a name for this run in the results (e.g. 'before')")
    parser.add_argument("lists", type=Path, nargs="+")
    args = parser.parse_args(argv)
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    for path in args.lists:
        out = measure(path, args.label)
        print(json.dumps({k: v for k, v in out.items() if k != "rules"}))
        keep = [r for r in existing["runs"] if (r["lists"], r.get("label", "")) != (out["lists"], args.label)]
        existing["runs"] = [*keep, out]
    existing["description"] = (
        "Per prediction blocking rule: record pairs joined (a pair joined by several rules counts once "
        "per rule), true pairs reached, and true pairs no other rule reaches, on bench/linkage.py lists."
    )
    existing["machine"] = _machine.machine()
    RESULTS.write_text(json.dumps(existing, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
