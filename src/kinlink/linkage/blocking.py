"""Candidate pairs for scoring on DuckDB: every blocking rule joined once, the pairs that a cannot-link
rule forbids left out, the rest made distinct and handed to Splink to score.

Splink generates the pairs of rule *k* and removes those an earlier rule already proposed by testing
every earlier rule on each of them: with 28 rules that is up to 27 rule tests per proposed pair, the
closeness conditions' ``levenshtein`` among them. On the harsh benchmark lists of 10^6 records that was
most of the run (the blocking alone took longer than everything else together). Here each rule is a plain
hash join on its keys, and the union is made distinct by one hash aggregate on a pair number.

A pair that a cannot-link rule forbids (``model.exclusions``: different given names or fathers' names
that the name table resolves, birth dates too far apart) is never joined into a cluster, whatever its
score, so scoring it changes no cluster. Such pairs are left out before scoring, except those of the
records named in ``keep`` (a ``kinlink link --explain`` record, whose forbidden links are reported with
their reasons). The test suite checks that the clusters and every allowed pair's weight are the same as
with Splink's own blocking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd


def register_blocked_pairs(
    linker: Any,
    keys: pd.DataFrame,
    *,
    join_condition: str = "",
    pair_condition: str = "",
    keep: Sequence[str] = (),
) -> Any:
    """Compute the candidate pairs of ``linker``'s prediction blocking rules on its DuckDB connection and
    register them for ``linker.inference.predict``; returns the registered table (a SplinkDataFrame: drop
    it once scored, Splink keeps a registered table).

    ``keys``: one row per record, ``unique_id`` and every column the rules join on (plus whatever the
    conditions read). A pair is scored only when it meets both conditions (SQL over the aliases ``l`` and
    ``r``), unless one of its records is in ``keep``. ``join_condition`` is tested on each pair a rule's
    join proposes: keep it to a few integer columns, since it is tested as the join probes, before the
    pairs are made distinct. ``pair_condition`` is tested once on each distinct pair afterwards."""
    settings = linker._settings_obj
    connection = linker._db_api._con
    tag = linker._cache_uid
    table = f"__kinlink_blocking_keys_{tag}"
    distinct = f"__kinlink_blocked_distinct_{tag}"
    pairs = f"__kinlink_blocked_pairs_{tag}"
    rules = settings._blocking_rules_to_generate_predictions
    read = _columns_read([rule.blocking_rule_sql for rule in rules] + [join_condition, pair_condition])
    # Numbered in the order of the ids, so that ``l.__rn < r.__rn`` is Splink's ``l.unique_id < r.unique_id``
    # (each pair once, the smaller id on the left) compared on integers. Only the columns the rules and
    # conditions read are copied (a copy of every key of 10^6 records was the run's peak of memory).
    wanted = ["unique_id", *(c for c in keys.columns if c in read and c != "unique_id")]
    frame = keys[wanted].sort_values("unique_id", kind="stable").reset_index(drop=True)
    frame.insert(0, "__rn", range(len(frame)))
    frame["__keep"] = frame["unique_id"].isin(list(keep)) if keep else False
    view = f"__kinlink_blocking_frame_{tag}"
    connection.register(view, frame)
    try:
        connection.execute(f"create or replace table {table} as select * from {view}")
    finally:
        connection.unregister(view)
    stride = len(frame) + 1
    del frame
    exempt = " or l.__keep or r.__keep" if keep else ""
    joined = f" where ({join_condition}){exempt}" if join_condition else ""
    selects = [
        f"select l.__rn * {stride} + r.__rn as pair, {k} as rule from {table} as l join {table} as r "
        f"on ({rule.blocking_rule_sql}) and l.__rn < r.__rn{joined}"
        for k, rule in enumerate(rules)
    ]
    try:
        # Distinct first, then the pair condition on each distinct pair: the birth-date rules, which read
        # five columns of both sides, tested per match while the joins probe, made blocking 10^6 records
        # take 107 s instead of 53 s.
        connection.execute(
            f"create or replace table {distinct} as select pair, min(rule) as rule from ("
            + " union all ".join(selects)
            + ") group by pair"
        )
        where = f" where ({pair_condition}){exempt}" if pair_condition else ""
        connection.execute(
            f"create or replace table {pairs} as select cast(p.rule as varchar) as match_key, "
            f"l.unique_id as join_key_l, r.unique_id as join_key_r from {distinct} as p "
            f"join {table} as l on l.__rn = p.pair // {stride} "
            f"join {table} as r on r.__rn = p.pair % {stride}{where}"
        )
    finally:
        connection.execute(f"drop table if exists {distinct}")
        connection.execute(f"drop table if exists {table}")
    registered = linker._db_api.table_to_splink_dataframe(pairs, pairs)
    linker.table_management.register_blocked_pairs_for_predict(registered)
    return registered


def _columns_read(sqls: Sequence[str]) -> set[str]:
    """The columns that SQL over the aliases ``l`` and ``r`` reads (``l.x``, ``r."x"``)."""
    return {
        match.group(1) for sql in sqls for match in re.finditer(r'\b[lr]\."?([A-Za-z_][A-Za-z0-9_]*)"?', sql)
    }
