"""The record-linkage model: Splink settings, unsupervised training, prediction, clustering, explanation.

One :func:`linkage_settings` object describes the whole Fellegi–Sunter model. It runs on DuckDB (the
default, in process) and unchanged on Spark (``engine="spark"``). Every record is first reduced to ASCII
keys by :func:`prepare_records` (see :mod:`kinlink.linkage.names`), so the SQL never sees Cyrillic.

Conventions: ``match_weight`` is log2 of the Bayes factor; ``match_probability`` is the posterior
probability that two records describe the same person, given the prior
``probability_two_random_records_match`` estimated from deterministic rules.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd

from kinlink.lib.personlist import PERSON_LIST_COLUMNS
from kinlink.linkage import names

#: The comparisons of the model, in the order of the settings, with the caseworker's field names.
COMPARISON_FIELDS: dict[str, str] = {
    "surname": "surname",
    "given_name": "given name",
    "patronymic": "patronymic",
    "birth_date": "birth date",
    "birth_place": "birth place",
    "unit": "unit",
    "event_date": "event date",
    "event_place": "event place",
}

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
DEFAULT_THRESHOLD = 0.5
LEVEL_NOT_OBSERVED = "level not observed in training dataset"  # Splink's LEVEL_NOT_OBSERVED_TEXT


class LinkageInputError(ValueError):
    """Bad input records: the message names the table, row, column and reason."""


@dataclass(slots=True)
class LinkageOptions:
    """Knobs of a linkage run.

    ``threshold``: match probability at or above which two records join one cluster (caseworker's
    choice; see docs/methods/linkage.md). ``prediction_floor``: pairs below it are not kept at all.
    ``em_max_pairs`` caps each EM training session; ``u_max_pairs`` the random pairs for u.
    ``memory_limit`` is DuckDB's (for example "10GB"); every DuckDB run is capped, by default at
    :data:`DEFAULT_MEMORY_LIMIT`, and spills past it to a fresh folder under ``spill_dir`` (default: the
    system's temporary directory). On DuckDB the candidate pairs come from :mod:`kinlink.linkage.blocking`;
    on Spark, runs of 5·10^5 records or more score in chunks (``predict_chunks`` per side, by default one
    per 5·10^5 records), so that peak memory stays bounded.
    ``threads``: DuckDB's threads (default: one per core).
    """

    threshold: float = DEFAULT_THRESHOLD
    prediction_floor: float = 0.2
    em_max_pairs: float = 2e6
    u_max_pairs: float = 3e6
    seed: int = 42
    engine: str = "duckdb"
    memory_limit: str | None = None
    threads: int | None = None
    spill_dir: str | None = None
    spark_session: Any = None
    progress: Callable[[str], None] | None = None
    blocking_rule_count: int | None = None  # use only the first N of blocking_rules() (quick checks)
    u_num_chunks: int = 10  # chunks of u sampling; 1 skips Splink's probe phase (small inputs)
    predict_chunks: int | None = None  # Spark: chunks per side when scoring; None: one per 5·10^5 records
    term_frequencies: bool = True  # False: no term-frequency adjustment (a registry too small to tell)
    #: Records whose pairs are scored even where a cannot-link rule forbids them (``kinlink link
    #: --explain`` reports such links with their reasons); on DuckDB other forbidden pairs are not scored.
    explain: tuple[str, ...] = ()


# --- input preparation ----------------------------------------------------------------------------


def _clean(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


#: Local ways of writing a date that linkage reads (day before month, as Russian, Ukrainian and European
#: lists write it): regular expression -> the order of its groups (d day, m month, y year).
_LOCAL_DATES: tuple[tuple[str, str], ...] = (
    (r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$", "dmy"),  # 22.02.1970, 22/2/1970, 22-02-1970
    (r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$", "ymd"),  # 1970.02.22, 1970/02/22
    (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", "ymd"),  # 1970-2-22
    (r"^(\d{1,2})[./-](\d{4})$", "my"),  # 02.1970, 2/1970
    (r"^(\d{4})-(\d{1,2})$", "ym"),  # 1970-2
)


def _iso_from_parts(parts: dict[str, str]) -> str:
    text = parts["y"]
    if "m" in parts:
        text += f"-{int(parts['m']):02d}"
    if "d" in parts:
        text += f"-{int(parts['d']):02d}"
    return text


def normalise_date(value: str, table: str = "input", row: int = 0, column: str = "birth_date") -> str:
    """ISO ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; local writings (``DD.MM.YYYY``, ``D.M.YYYY``,
    ``DD/MM/YYYY``, ``DD-MM-YYYY``, ``YYYY.MM.DD``, ``YYYY/MM/DD``, ``MM.YYYY``, ``MM/YYYY``) are
    converted, day before month. Anything else is an error."""
    text = _clean(value)
    if not text:
        return ""
    if not _DATE.match(text):
        for pattern, order in _LOCAL_DATES:
            local = re.match(pattern, text)
            if local:
                text = _iso_from_parts(dict(zip(order, local.groups(), strict=True)))
                break
    if not _DATE.match(text):
        raise LinkageInputError(
            f"{table}: row {row}, column {column}: {value!r} is not a date (YYYY[-MM[-DD]])"
        )
    return text


@lru_cache(maxsize=200_000)
def _place_key(place: str) -> str:
    words = re.split(r"[\s,.-]+", place)
    return "".join(names.name_skeleton(w) for w in words if w)


@lru_cache(maxsize=200_000)
def _place_phonetic(place: str) -> str:
    words = re.split(r"[\s,.-]+", place)
    return "".join(names.phonetic_key(w) for w in words if w)


@lru_cache(maxsize=500_000)
def _keys_cached(full_name: str, surname: str, given: str, patronymic: str) -> names.NameKeys:
    return names.name_keys(full_name, surname, given, patronymic)


#: Distinct names from which on their keys are computed in worker processes, one per core (up to
#: :data:`_NAME_WORKERS`): at 10^6 records the names are most of the preparation, and parsing them is
#: pure Python, which one process runs on one core.
_PARALLEL_NAMES = 100_000
_NAME_WORKERS = 4


def _all_name_keys(texts: list[str]) -> list[names.NameKeys]:
    """:func:`names.name_keys` of each ``full_name␟surname␟given_name␟patronymic`` text, in order."""
    import os

    workers = min(_NAME_WORKERS, os.cpu_count() or 1)
    if len(texts) < _PARALLEL_NAMES or workers < 2:
        return [_keys_cached(*text.split("\x1f")) for text in texts]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(texts) // (4 * workers))
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    # Fresh interpreters (spawn), not forks: the caller may hold threads (DuckDB's, a worker's) whose
    # locks a fork would copy mid-use.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return [keys for chunk in pool.map(_name_keys_of, chunks) for keys in chunk]


def _name_keys_of(texts: list[str]) -> list[names.NameKeys]:
    return [names.name_keys(*text.split("\x1f")) for text in texts]


def validate_person_list(records: pd.DataFrame | Any, table: str = "input") -> pd.DataFrame:
    """Check person-list rows and return them as a string DataFrame with all the format's columns.

    Raises :class:`LinkageInputError` naming the table, row (the CSV line, header = 1), column and
    reason for: a missing column, an empty or duplicate ``record_id``, a row without any name, or a
    date that is not ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` (or ``DD.MM.YYYY``).
    """
    frame = records if isinstance(records, pd.DataFrame) else records.to_pandas()
    missing = [c for c in ("record_id", "full_name", "surname", "given_name") if c not in frame.columns]
    if missing:
        raise LinkageInputError(f"{table}: missing column(s) {', '.join(missing)}")
    frame = frame.reindex(columns=list(PERSON_LIST_COLUMNS)).fillna("").astype(str)
    frame = frame.apply(lambda column: column.str.strip())
    lines = pd.RangeIndex(2, len(frame) + 2)
    ids = frame["record_id"]

    def fail(mask: Any, column: str, reason: str) -> None:
        position = int(mask.to_numpy().argmax())
        value = frame[column].iloc[position]
        raise LinkageInputError(f"{table}: row {lines[position]}, column {column}: {reason} ({value!r})")

    if (ids == "").any():
        fail(ids == "", "record_id", "empty record id")
    if ids.duplicated().any():
        fail(ids.duplicated(), "record_id", "duplicate record id")
    no_name = (frame["full_name"] == "") & (frame["surname"] == "") & (frame["given_name"] == "")
    if no_name.any():
        fail(no_name, "full_name", "no name in the record")
    for column in ("birth_date", "event_date"):
        iso = _iso_dates(frame[column])
        bad = (iso != "") & ~iso.str.match(_DATE)
        if bad.any():
            fail(bad, column, "not a date (YYYY, YYYY-MM, YYYY-MM-DD, DD.MM.YYYY or MM.YYYY)")
        full = iso.str.len() == 10
        parsed = pd.to_datetime(iso.where(full), format="%Y-%m-%d", errors="coerce")
        month = pd.to_numeric(iso.str[5:7].where(iso.str.len() == 7), errors="coerce")
        impossible = (full & parsed.isna()) | ((month < 1) | (month > 12)).fillna(False)
        if impossible.any():
            fail(impossible, column, "no such day or month")
    return frame


def _map_distinct(values: pd.Series, function: Callable[[str], Any]) -> pd.Series:
    """``values.map(function)`` computed once per distinct value (lists repeat names, places, units)."""
    distinct = values.unique()
    return values.map(dict(zip(distinct, (function(v) for v in distinct), strict=True)))


def _iso_dates(values: pd.Series) -> pd.Series:
    """Dates to ISO prefixes (the local writings of :data:`_LOCAL_DATES` turned round); empty stays
    empty, and text that is no date is returned as it is (validation names it). Each distinct writing
    is converted once (10^6 records carry far fewer distinct dates)."""
    distinct = values.unique()
    if len(distinct) * 2 > len(values):
        return _iso_dates_each(values)
    converted = _iso_dates_each(pd.Series(distinct, dtype=object))
    return values.map(dict(zip(distinct, converted, strict=True)))


def _iso_dates_each(values: pd.Series) -> pd.Series:
    """:func:`_iso_dates` of every value, by vectorised string operations."""
    out = values
    pending = ~values.str.match(_DATE) & (values != "")
    for pattern, order in _LOCAL_DATES:
        if not pending.any():
            break
        found = values.where(pending, "").str.extract(pattern)
        hit = found[0].notna()
        if not hit.any():
            continue
        parts = {letter: found[index] for index, letter in enumerate(order)}
        converted = parts["y"]
        if "m" in parts:
            converted = converted + "-" + parts["m"].str.zfill(2)
        if "d" in parts:
            converted = converted + "-" + parts["d"].str.zfill(2)
        out = converted.where(hit, out)
        pending &= ~hit
    return out


def _day_numbers(dates: pd.Series) -> pd.Series:
    """Days since 1970-01-01 of full ISO dates; missing for partial or empty dates."""
    full = pd.to_datetime(dates.where(dates.str.len() == 10), format="%Y-%m-%d", errors="coerce")
    return ((full - pd.Timestamp("1970-01-01")).dt.days).astype("Int64")


def _month_numbers(dates: pd.Series) -> pd.Series:
    """year × 12 + month of dates that carry a month; missing otherwise."""
    has_month = dates.str.len() >= 7
    year = pd.to_numeric(dates.str[:4].where(has_month), errors="coerce")
    month = pd.to_numeric(dates.str[5:7].where(has_month), errors="coerce")
    return (year * 12 + month).astype("Int64")


def _none_if_empty(values: pd.Series) -> pd.Series:
    return values.where(values != "", None)


def prepare_records(records: pd.DataFrame | Any, table: str = "input") -> pd.DataFrame:
    """Turn person-list rows (a DataFrame or Arrow table) into the ASCII key columns the model compares.

    Validates first (:func:`validate_person_list`); nothing is computed for bad input. Names, places
    and units are normalised once per distinct value and dates by vectorised string operations, so
    the cost grows with the number of distinct names rather than with the number of records.
    """
    import numpy as np

    frame = validate_person_list(records, table)
    unit = _map_distinct(frame["unit"], lambda u: names.unit_key(u) if u else "")
    from_name = _map_distinct(frame["full_name"], lambda n: names.split_unit(n) if n else ("", ""))
    unit = unit.where(unit != "", from_name.str[1].where(frame["full_name"] != "", ""))
    parts = frame["full_name"] + "\x1f" + frame["surname"] + "\x1f" + frame["given_name"]
    parts = parts + "\x1f" + frame["patronymic"]
    codes, distinct_parts = pd.factorize(parts)
    distinct_keys = _all_name_keys([str(text) for text in distinct_parts])

    def key(attribute: Callable[[names.NameKeys], Any], dtype: str = "str") -> pd.Series:
        """One attribute of the names' keys: taken once per distinct name, spread to the records. Text
        is kept as Arrow strings (``str``), not as Python objects: at 10^6 records the objects were
        a gigabyte that the interpreter's allocator did not give back."""
        values = np.empty(len(distinct_keys), dtype=object)
        values[:] = [attribute(k) for k in distinct_keys]
        return pd.Series(values[codes], index=frame.index, dtype=dtype)

    birth = _iso_dates(frame["birth_date"])
    event = _iso_dates(frame["event_date"])
    out = pd.DataFrame(
        {
            "unique_id": frame["record_id"],
            "list_source": frame["source"],
            "surname_key": _none_if_empty(key(lambda k: k.surname)),
            "surname_phon": _none_if_empty(key(lambda k: k.surname_phonetic)),
            "surname_prefix": _none_if_empty(key(lambda k: k.surname[:4])),
            "surname_tail": _none_if_empty(key(lambda k: k.surname[-5:] if len(k.surname) >= 7 else "")),
            "given_key": _none_if_empty(key(lambda k: k.given)),
            "given_alts": key(lambda k: list(k.given_alternatives) or None, dtype="object"),
            "given_initial": _none_if_empty(key(lambda k: k.given_initial)),
            "given_first": _none_if_empty(key(lambda k: (k.given or k.given_initial)[:1])),
            "patronymic_key": _none_if_empty(key(lambda k: k.patronymic)),
            "patronymic_initial": _none_if_empty(key(lambda k: k.patronymic_initial)),
            "given_initials": key(lambda k: list(k.given_initials) or None, dtype="object"),
            "patronymic_initials": key(lambda k: list(k.patronymic_initials) or None, dtype="object"),
            "birth_date": _none_if_empty(birth),
            "birth_year": _none_if_empty(birth.str[:4]),
            "birth_month_day": _none_if_empty(birth.str[5:].where(birth.str.len() == 10, "")),
            "birth_place_key": _none_if_empty(_map_distinct(frame["birth_place"], _place_key)),
            "birth_place_phon": _none_if_empty(_map_distinct(frame["birth_place"], _place_phonetic)),
            "unit_key": _none_if_empty(unit),
            "event_date": _none_if_empty(event),
            "event_month": _none_if_empty(event.str[:7].where(event.str.len() >= 7, "")),
            "event_day": _day_numbers(event),
            "event_month_number": _month_numbers(event),
            "event_place_key": _none_if_empty(_map_distinct(frame["event_place"], _place_key)),
            "event_place_phon": _none_if_empty(_map_distinct(frame["event_place"], _place_phonetic)),
        }
    )
    return out[list(_KEY_COLUMNS)].reset_index(drop=True)


_KEY_COLUMNS = (
    "unique_id",
    "list_source",
    "surname_key",
    "surname_phon",
    "surname_prefix",
    "surname_tail",
    "given_key",
    "given_alts",
    "given_initial",
    "given_first",
    "patronymic_key",
    "patronymic_initial",
    "given_initials",
    "patronymic_initials",
    "birth_date",
    "birth_year",
    "birth_month_day",
    "birth_place_key",
    "birth_place_phon",
    "unit_key",
    "event_date",
    "event_month",
    "event_day",
    "event_month_number",
    "event_place_key",
    "event_place_phon",
)


# --- the settings ---------------------------------------------------------------------------------


def _comparisons() -> list[Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def custom(sql: str, label: str) -> Any:
        return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb")

    def partial_date(column: str) -> str:
        left, right = f"{column}_l", f"{column}_r"
        return (
            f"(length({left}) < 10 OR length({right}) < 10) AND "
            f"(substr({left}, 1, length({right})) = {right} OR substr({right}, 1, length({left})) = {left})"
        )

    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            cll.NullLevel("surname_key"),
            cll.ExactMatchLevel("surname_key").configure(tf_adjustment_column="surname_key"),
            cll.JaroWinklerLevel("surname_key", 0.92),
            cll.ExactMatchLevel("surname_phon"),
            cll.JaroWinklerLevel("surname_key", 0.8),
            cll.ElseLevel(),
        ],
        comparison_description="Surname skeleton (script- and transliteration-independent)",
    )
    given = cl.CustomComparison(
        output_column_name="given_name",
        comparison_levels=[
            custom("given_initial_l IS NULL OR given_initial_r IS NULL", "given name missing").configure(
                is_null_level=True
            ),
            cll.ExactMatchLevel("given_key").configure(tf_adjustment_column="given_key"),
            cll.ArrayIntersectLevel("given_alts", 1),
            cll.JaroWinklerLevel("given_key", 0.88),
            cll.And(
                custom("given_key_l IS NULL OR given_key_r IS NULL", "one side has only an initial"),
                cll.ArrayIntersectLevel("given_initials", 1),
            ).configure(label_for_charts="initial agrees"),
            cll.ElseLevel(),
        ],
        comparison_description="Given name: canonical form, diminutives, initials",
    )
    patronymic = cl.CustomComparison(
        output_column_name="patronymic",
        comparison_levels=[
            custom(
                "patronymic_initial_l IS NULL OR patronymic_initial_r IS NULL", "patronymic missing"
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("patronymic_key"),
            cll.ArrayIntersectLevel("patronymic_initials", 1).configure(label_for_charts="initial agrees"),
            cll.ElseLevel(),
        ],
        comparison_description="Patronymic: father's canonical name, or its initial",
    )
    full_dates = "length(birth_date_l) = 10 AND length(birth_date_r) = 10"
    year_near = (
        "(abs(cast(substr(birth_date_l, 1, 4) as int) - cast(substr(birth_date_r, 1, 4) as int)) <= 1 "
        "OR levenshtein(substr(birth_date_l, 1, 4), substr(birth_date_r, 1, 4)) <= 1)"
    )
    birth_date = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            custom(f"birth_date_l = birth_date_r AND {full_dates}", "exact date"),
            custom(
                f"{partial_date('birth_date')} AND length(birth_date_l) >= 7 AND length(birth_date_r) >= 7",
                "partial date agrees to the month",
            ),
            custom(partial_date("birth_date"), "partial date agrees on the year"),
            custom(
                f"{full_dates} AND ("
                "levenshtein(birth_date_l, birth_date_r) <= 1 OR ("
                "substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) AND "
                "substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) AND "
                "substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)))",
                "one typo or day/month swapped",
            ),
            custom(
                f"{full_dates} AND substr(birth_date_l, 6, 5) = substr(birth_date_r, 6, 5) AND {year_near}",
                "day and month agree, year off by one (or by one digit)",
            ),
            custom("substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4)", "same year"),
            custom(year_near, "year off by one (or by one digit)"),
            cll.ElseLevel(),
        ],
        comparison_description="Birth date, partial dates and typos allowed",
    )
    birth_place = cl.CustomComparison(
        output_column_name="birth_place",
        comparison_levels=[
            cll.NullLevel("birth_place_key"),
            cll.ExactMatchLevel("birth_place_key").configure(tf_adjustment_column="birth_place_key"),
            cll.JaroWinklerLevel("birth_place_key", 0.88),
            cll.ExactMatchLevel("birth_place_phon"),
            cll.ElseLevel(),
        ],
        comparison_description="Birth place skeleton",
    )
    unit = cl.CustomComparison(
        output_column_name="unit",
        comparison_levels=[
            cll.NullLevel("unit_key"),
            cll.ExactMatchLevel("unit_key").configure(tf_adjustment_column="unit_key"),
            cll.LevenshteinLevel("unit_key", 1),
            cll.ElseLevel(),
        ],
        comparison_description="Military unit number",
    )
    event_date = cl.CustomComparison(
        output_column_name="event_date",
        comparison_levels=[
            cll.NullLevel("event_date"),
            custom(
                f"event_date_l = event_date_r OR ({partial_date('event_date')})",
                "same date (or partial date agrees)",
            ),
            custom("abs(event_day_l - event_day_r) <= 7", "within a week"),
            custom(
                "abs(event_day_l - event_day_r) <= 31 "
                "OR abs(event_month_number_l - event_month_number_r) <= 1",
                "within a month",
            ),
            custom("substr(event_date_l, 1, 4) = substr(event_date_r, 1, 4)", "same year"),
            cll.ElseLevel(),
        ],
        comparison_description="Date of the event (missing, capture, death); later reports lag by days",
    )
    event_place = cl.CustomComparison(
        output_column_name="event_place",
        comparison_levels=[
            cll.NullLevel("event_place_key"),
            cll.ExactMatchLevel("event_place_key"),
            cll.JaroWinklerLevel("event_place_key", 0.88),
            cll.ExactMatchLevel("event_place_phon"),
            cll.ElseLevel(),
        ],
        comparison_description="Place of the event",
    )
    return [surname, given, patronymic, birth_date, birth_place, unit, event_date, event_place]


#: Conditions that narrow a blocking rule whose keys are common at 10^6 records (issue 16): the pair is
#: proposed only when the names the rule does not join on are close, or one side lacks them. A given name
#: more than two edits from the other (Александр and Андрей share an initial) or a surname more than
#: three edits off (a namesake born the same day) is a different person nearly always: the model scores
#: such a pair far below the threshold, and the cannot-link rules exclude it when both names resolve.
#: Plain SQL (``levenshtein`` exists on DuckDB and Spark), so the rules run on either engine.
GIVEN_NAMES_CLOSE = (
    "(l.given_key is null or r.given_key is null or levenshtein(l.given_key, r.given_key) <= 2)"
)
SURNAMES_CLOSE = (
    "(l.surname_key is null or r.surname_key is null or levenshtein(l.surname_key, r.surname_key) <= 3)"
)


def _rule(*columns: str, close: str = "") -> Any:
    """Records agreeing on every key of ``columns`` (none missing), and meeting ``close`` when given."""
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    if not close:
        return block_on(*columns)
    keys = " and ".join(f"l.{column} = r.{column}" for column in columns)
    return CustomRule(f"{keys} and {close}")


def blocking_rules() -> list[Any]:
    """Blocking rules for prediction: any one of them puts a pair up for scoring.

    All are on script-independent keys, so a Cyrillic record meets its Latin twin. Together they
    tolerate a typo in the surname (phonetic key, first four letters), a missing given name (its
    initial), and a wrong or missing value in any one of birth date, places, unit and event date.
    The set was chosen greedily on a development world for coverage of true pairs per comparison
    made (docs/methods/linkage.md). Rules on a given-name initial, or without the surname, join many
    namesakes at scale; they propose a pair only when the names they do not join on are close
    (:data:`GIVEN_NAMES_CLOSE`, :data:`SURNAMES_CLOSE`). On the harsh benchmark lists of 10^6 records
    the 28 rules join 1.35·10^8 record pairs (sum over rules) without those conditions and 6.1·10^7
    with them, for 0.45 % fewer true pairs proposed (bench/results/linkage_blocking.json).
    """
    from splink.blocking_rule_library import CustomRule

    return [
        _rule("surname_phon", "given_key", "birth_year"),
        _rule("surname_key", "given_key", "patronymic_key"),
        _rule("surname_key", "given_key", "birth_place_key"),
        _rule("surname_phon", "given_key", "event_month"),
        _rule("surname_key", "given_initial", "event_month", close=GIVEN_NAMES_CLOSE),
        _rule("surname_key", "event_place_key", "event_month"),
        _rule("surname_key", "birth_date", close=GIVEN_NAMES_CLOSE),
        _rule("given_key", "birth_date", close=SURNAMES_CLOSE),
        _rule("unit_key", "birth_date"),
        _rule("given_key", "unit_key", "event_month"),
        _rule("surname_phon", "unit_key"),
        _rule("given_key", "patronymic_key", "birth_year", close=SURNAMES_CLOSE),
        _rule("given_key", "patronymic_key", "event_month", close=SURNAMES_CLOSE),
        _rule("given_key", "birth_year", "birth_place_key", close=SURNAMES_CLOSE),
        _rule("given_key", "event_month", "event_place_key", close=SURNAMES_CLOSE),
        _rule("surname_phon", "given_first", "birth_month_day"),
        _rule("given_first", "birth_place_key", "event_day"),
        _rule("surname_phon", "given_key", "event_place_key"),
        _rule("given_first", "birth_year", "event_day"),
        _rule("birth_year", "birth_place_key", "event_month", close=SURNAMES_CLOSE),
        _rule("surname_prefix", "birth_place_key", "event_place_key"),
        _rule("given_initial", "birth_month_day", "event_month"),
        _rule("surname_phon", "given_initial", "birth_place_key", close=GIVEN_NAMES_CLOSE),
        # (surname, initial, birth year) and (birth date, birth place, event month) were dropped in issue 16:
        # the first is inside (surname_prefix, given_initial, birth_year) below, and neither proposed a
        # true pair no other rule proposes, on default or harsh lists (3·10^4 records, seed 3).
        # A typo in the surname leaves its head or its tail (surname_prefix, surname_tail) intact. The
        # tail is the last five letters of a surname of seven or more: four ("enko") are shared by too
        # many Ukrainian surnames (10^8 pairs at 10^6 records in the benchmark world, against 3·10^7).
        _rule("surname_tail", "given_key", "birth_year"),
        _rule("surname_prefix", "given_key", "event_month"),
        _rule("surname_tail", "given_initial", "event_month", close=GIVEN_NAMES_CLOSE),
        _rule("surname_prefix", "given_initial", "birth_year", close=GIVEN_NAMES_CLOSE),
        # Sparse records ("Шура Комаров", an obituary with a name only) share no date with anyone: the
        # name alone brings them together, only where one side has neither a birth year nor an event month.
        # Two rules, one per side, rather than one with "either side sparse": a condition on one side is
        # applied to that side before the join, so only the sparse records are joined with everyone (one
        # rule joined all namesakes and then kept a tenth of them: 8 of 35 s of blocking at 10^6 records).
        CustomRule(
            "l.surname_key = r.surname_key and l.given_key = r.given_key"
            " and l.birth_year is null and l.event_month is null"
        ),
        CustomRule(
            "l.surname_key = r.surname_key and l.given_key = r.given_key"
            " and r.birth_year is null and r.event_month is null"
        ),
    ]


def linkage_settings(link_type: str = "dedupe_only", rules: Sequence[Any] | None = None) -> Any:
    """The one Splink settings object of kinlink; the same object runs on DuckDB and Spark.

    ``rules`` replaces the prediction blocking rules (default :func:`blocking_rules`), for example a
    subset for a quick check; the comparisons and their trained parameters stay the same.
    """
    from splink import SettingsCreator

    return SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        unique_id_column_name="unique_id",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=list(rules) if rules is not None else blocking_rules(),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["list_source"],
        max_iterations=20,
        em_convergence=0.001,
    )


# --- engines --------------------------------------------------------------------------------------


def _db_api(options: LinkageOptions, n_records: int) -> Any:
    if options.engine == "spark":
        from splink import SparkAPI

        session = options.spark_session or spark_session()
        partitions = max(2, min(200, n_records // 50_000))
        return SparkAPI(
            spark_session=session, break_lineage_method="persist", num_partitions_on_repartition=partitions
        )
    if options.engine != "duckdb":
        raise ValueError(f"unknown engine {options.engine!r}; use 'duckdb' or 'spark'")
    import atexit
    import shutil
    import tempfile

    import duckdb
    from splink import DuckDBAPI

    memory = options.memory_limit or DEFAULT_MEMORY_LIMIT
    if not _MEMORY.match(memory):
        raise ValueError(f"DuckDB memory limit {memory!r} is not a size such as '2GB' or '512MB'")
    spill = tempfile.mkdtemp(prefix="kinlink-duckdb-", dir=options.spill_dir or None)
    atexit.register(shutil.rmtree, spill, True)
    # The cap is set when the connection opens, before any table exists.
    config: dict[str, Any] = {
        "memory_limit": memory,
        "temp_directory": spill,
        "preserve_insertion_order": False,
    }
    if options.threads:
        config["threads"] = int(options.threads)
    connection = duckdb.connect(config=config)
    return DuckDBAPI(connection=connection)


#: DuckDB's memory cap when a run names none: below DuckDB's own default (80 % of the machine).
DEFAULT_MEMORY_LIMIT = "2GB"
_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def engine_settings(db_api: Any) -> dict[str, str]:
    """What the DuckDB connection of a run actually runs under: memory limit, threads, spill folder
    (read back from DuckDB, so a test or a log shows the cap that holds, not the one asked for)."""
    connection = getattr(db_api, "_con", None)
    if connection is None:
        return {"engine": "spark"}
    out = {"engine": "duckdb"}
    for name in ("memory_limit", "threads", "temp_directory"):
        out[name] = str(connection.execute(f"select current_setting('{name}')").fetchall()[0][0])
    return out


def _close_engine(db_api: Any) -> None:
    """Close a DuckDB run's connection and remove its spill folder now (a worker lives long)."""
    import shutil

    connection = getattr(db_api, "_con", None)
    if connection is None:
        return
    spill = str(connection.execute("select current_setting('temp_directory')").fetchall()[0][0])
    connection.close()
    if "kinlink-duckdb-" in spill:
        shutil.rmtree(spill, ignore_errors=True)


_LARGE_RUN = 500_000


def spark_session(cores: int = 2) -> Any:
    """A local-mode Spark session sized for this machine, with Splink's string-similarity UDF jar.

    Scratch space, the SQL warehouse and the checkpoint directory are fresh temporary directories
    of this process, so that two runs on one machine (for example parallel test jobs) never share
    shuffle files or checkpoints.
    """
    import atexit
    import shutil
    import tempfile

    from kinlink.sparksession import spark_builder

    scratch = tempfile.mkdtemp(prefix="kinlink-spark-")
    atexit.register(shutil.rmtree, scratch, True)
    session = (
        spark_builder("kinlink-linkage", f"local[{cores}]")
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.default.parallelism", str(cores))
        .config("spark.driver.memory", "4g")
        .config("spark.local.dir", f"{scratch}/local")
        .config("spark.sql.warehouse.dir", f"{scratch}/warehouse")
        .getOrCreate()
    )
    if not session.sparkContext.getCheckpointDir():
        session.sparkContext.setCheckpointDir(f"{scratch}/checkpoints")
    return session


def _register(db_api: Any, frame: pd.DataFrame, name: str, options: LinkageOptions) -> Any:
    if options.engine == "spark":
        session = options.spark_session or spark_session()
        spark_frame = session.createDataFrame(frame)
        return db_api.register(spark_frame, dataset_display_name=name)
    return db_api.register(frame, dataset_display_name=name)


# --- training, prediction, clustering -------------------------------------------------------------


@dataclass(slots=True)
class LinkageResult:
    """The outcome of one run: clusters per record, the scored pairs and the trained linker."""

    clusters: pd.DataFrame  # record_id, cluster_id, match_probability
    pairs: pd.DataFrame  # unique_id_l, unique_id_r, match_probability, match_weight, mw_*, gamma_*
    linker: Any = field(repr=False)
    model: dict[str, Any] = field(default_factory=dict, repr=False)  # trained settings, reusable
    timings: dict[str, float] = field(default_factory=dict)


def _say(options: LinkageOptions, message: str) -> None:
    if options.progress is not None:
        options.progress(message)


_PRIOR_RULE_FIELDS = {
    "surname": "surname_key",
    "given_name": "given_key",
    "patronymic": "patronymic_key",
    "birth_date": "birth_date",
}


def _prior_rule_recall(linker: Any, prepared: pd.DataFrame) -> float:
    """Estimated share of true pairs that the deterministic prior rule finds.

    A true pair passes the rule when both records carry all four fields and each agrees exactly:
    the product over fields of (share of records with the field)² × m(exact level), using the m
    values EM has just estimated (independence assumed, as in the model itself).
    """
    recall = 1.0
    levels = {c.output_column_name: c.comparison_levels for c in linker._settings_obj.comparisons}
    for comparison, column in _PRIOR_RULE_FIELDS.items():
        present = float(prepared[column].notna().mean())
        exact = next(level for level in levels[comparison] if not level.is_null_level)
        m = exact.m_probability if isinstance(exact.m_probability, float) else 0.5
        recall *= present**2 * m
    return min(1.0, max(0.01, recall))


def train(linker: Any, options: LinkageOptions, prepared: pd.DataFrame) -> None:
    """Unsupervised training: u by random sampling, m by EM, then the prior from a deterministic rule.

    EM runs twice with different blocking so that every comparison is estimated once while not
    blocked on: first on (surname, given name), then on the birth date. Each session is capped at
    ``options.em_max_pairs`` sampled pairs. The prior λ is the number of pairs agreeing exactly on
    surname, given name, patronymic and birth date, divided by that rule's estimated recall
    (:func:`_prior_rule_recall`) and by the number of possible pairs.
    """
    from splink import block_on

    _say(options, "estimating u by random sampling")
    linker.training.estimate_u_using_random_sampling(
        max_pairs=options.u_max_pairs, seed=options.seed, num_chunks=options.u_num_chunks
    )
    _say(options, "EM on surname and given name blocks")
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("surname_key", "given_key"), max_pairs=options.em_max_pairs
    )
    _say(options, "EM on birth date blocks")
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_date"), max_pairs=options.em_max_pairs
    )
    _say(options, "estimating the prior")
    recall = _prior_rule_recall(linker, prepared)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*_PRIOR_RULE_FIELDS.values())], recall=recall
        )
    except ValueError:
        logging.getLogger(__name__).warning("prior estimate failed; keeping the default prior")


def apply_trained_parameters(linker: Any, model: dict[str, Any]) -> None:
    """Copy the prior and every level's m and u from a trained model (``LinkageResult.model``).

    The settings are rebuilt for the linker's own engine and only the numbers are copied, so a model
    trained on DuckDB scores on Spark (a saved model's SQL is in its engine's dialect).
    """
    settings = linker._settings_obj
    settings._probability_two_random_records_match = model["probability_two_random_records_match"]
    trained = {c["output_column_name"]: c["comparison_levels"] for c in model["comparisons"]}
    for comparison in settings.comparisons:
        levels = trained.get(comparison.output_column_name)
        if levels is None or len(levels) != len(comparison.comparison_levels):
            raise ValueError(
                f"trained model does not match the settings for {comparison.output_column_name!r}"
            )
        for level, saved in zip(comparison.comparison_levels, levels, strict=True):
            if level.is_null_level:
                continue
            if saved.get("m_probability") is not None:
                level.m_probability = saved["m_probability"]
            if saved.get("u_probability") is not None:
                level.u_probability = saved["u_probability"]


# --- the default model and guards on the parameters ----------------------------------------------

#: Prior of the default model: the probability that two random records describe the same person.
DEFAULT_PRIOR = 1e-4

#: The documented default model (docs/methods/linkage.md, "Default model"): (m, u) of every non-null
#: level of each comparison, in the order of :func:`_comparisons`. It scores inputs too small to train
#: on when no trained model of the registry exists yet, and it replaces any parameter a training run
#: leaves undefined (not a number, zero, or missing).
DEFAULT_M_U: dict[str, tuple[tuple[float, float], ...]] = {
    # exact, Jaro-Winkler >= 0.92, same phonetic key, Jaro-Winkler >= 0.8, else
    "surname": ((0.80, 0.002), (0.08, 0.003), (0.04, 0.004), (0.04, 0.02), (0.04, 0.971)),
    # exact, diminutive or alternative form, Jaro-Winkler >= 0.88, initial agrees, else
    "given_name": ((0.80, 0.02), (0.08, 0.005), (0.04, 0.01), (0.04, 0.02), (0.04, 0.945)),
    # exact, initial agrees, else
    "patronymic": ((0.85, 0.02), (0.08, 0.04), (0.07, 0.94)),
    # exact, partial to the month, partial on the year, typo or swap, day and month with year off,
    # same year, year off by one, else
    "birth_date": (
        (0.75, 0.0001),
        (0.03, 0.0005),
        (0.05, 0.005),
        (0.05, 0.0005),
        (0.02, 0.0001),
        (0.04, 0.03),
        (0.03, 0.06),
        (0.03, 0.9038),
    ),
    # exact, Jaro-Winkler >= 0.88, same phonetic key, else
    "birth_place": ((0.75, 0.01), (0.08, 0.005), (0.05, 0.005), (0.12, 0.98)),
    # exact, one edit, else
    "unit": ((0.70, 0.01), (0.10, 0.01), (0.20, 0.98)),
    # same (or partial agrees), within a week, within a month, same year, else
    "event_date": ((0.45, 0.005), (0.20, 0.02), (0.15, 0.06), (0.10, 0.4), (0.10, 0.515)),
    # exact, Jaro-Winkler >= 0.88, same phonetic key, else
    "event_place": ((0.60, 0.01), (0.08, 0.005), (0.04, 0.005), (0.28, 0.98)),
}


def default_model() -> dict[str, Any]:
    """The documented default model, in the shape of a trained one (``LinkageResult.model``)."""
    return {
        "probability_two_random_records_match": DEFAULT_PRIOR,
        "comparisons": [
            {
                "output_column_name": name,
                "comparison_levels": [{"is_null_level": True}]
                + [{"m_probability": m, "u_probability": u} for m, u in levels],
            }
            for name, levels in DEFAULT_M_U.items()
        ],
    }


def _usable(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and 0 < value <= 1


def sanitise_parameters(linker: Any) -> list[str]:
    """Replace every parameter a training run left unusable with the default model's value.

    EM leaves a level's m or u undefined (NaN) when no sampled pair reached it, and the prior is 0
    when the deterministic rule finds no pair (a registry already free of duplicates); Splink then
    fails on ``log2(0)`` ("math domain error") or writes ``nan`` into its SQL (DuckDB: "Referenced
    column nan not found"). Returns what was replaced ("prior", "surname level 2 m", ...).
    """
    replaced: list[str] = []
    settings = linker._settings_obj
    prior = settings._probability_two_random_records_match
    if not _usable(prior) or prior >= 1:
        settings._probability_two_random_records_match = DEFAULT_PRIOR
        replaced.append("prior")
    for comparison in settings.comparisons:
        defaults = DEFAULT_M_U.get(comparison.output_column_name, ())
        levels = [level for level in comparison.comparison_levels if not level.is_null_level]
        for number, (level, (m, u)) in enumerate(zip(levels, defaults, strict=False), start=1):
            if level._m_probability != LEVEL_NOT_OBSERVED and not _usable(level._m_probability):
                level.m_probability = m
                replaced.append(f"{comparison.output_column_name} level {number} m")
            if level._u_probability != LEVEL_NOT_OBSERVED and not _usable(level._u_probability):
                level.u_probability = u
                replaced.append(f"{comparison.output_column_name} level {number} u")
    return replaced


def _without_term_frequencies(linker: Any) -> None:
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            level._tf_adjustment_weight = 0.0


def clean_model(model: dict[str, Any]) -> dict[str, Any]:
    """A saved model with every non-finite number (NaN, infinity) replaced by ``None``, so it can be
    stored as JSON (PostgreSQL's ``jsonb`` refuses NaN); :func:`sanitise_parameters` fills them again."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    return clean(model)


def _quiet_splink() -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)
    _guard_em_underflow()


_M_U_FLOOR = 1e-300


def _guard_em_underflow() -> None:
    """Clamp EM's m and u estimates at 1e-300 before Splink validates them.

    Splink 5.0 refuses an m probability below 1e-300, which EM reaches for a level seen only among
    non-matches (for example "surname nearly equal" in lists without surname typos). The level then
    simply carries a very negative weight, which is the right reading. Installed once; a no-op when
    Splink's internals change.
    """
    try:
        from splink.internals import expectation_maximisation as em
    except ImportError:
        return
    original = getattr(em, "populate_m_u_from_lookup", None)
    if original is None or getattr(original, "_kinlink_guard", False):
        return

    def guarded(
        training_fixed_probabilities: Any, comparison_level: Any, output_column_name: str, lookup: Any
    ) -> Any:
        level = lookup.get(output_column_name, {}).get(comparison_level.comparison_vector_value)
        if isinstance(level, dict):
            for key in ("m_probability", "u_probability"):
                value = level.get(key)
                if isinstance(value, float) and 0 <= value < _M_U_FLOOR:
                    level[key] = _M_U_FLOOR
        return original(training_fixed_probabilities, comparison_level, output_column_name, lookup)

    guarded._kinlink_guard = True  # type: ignore[attr-defined]
    setattr(em, "populate_m_u_from_lookup", guarded)  # noqa: B010


def link_records(
    records: pd.DataFrame | Any, options: LinkageOptions | None = None, model: dict[str, Any] | None = None
) -> LinkageResult:
    """Deduplicate person-list records across all lists: train, predict, cluster at ``options.threshold``.

    ``model`` is a trained model from an earlier run (``LinkageResult.model``); with it, training is
    skipped and the same parameters score the new records (on either engine).
    """
    import time

    from splink import Linker

    options = options or LinkageOptions()
    _quiet_splink()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    _say(options, "normalising names")
    prepared = prepare_records(records)
    facts = _record_facts(prepared)
    timings["prepare_s"] = time.perf_counter() - start
    db_api = _db_api(options, len(prepared))
    frame = _register(db_api, prepared, "records", options)
    rules = blocking_rules()[: options.blocking_rule_count] if options.blocking_rule_count else None
    linker = Linker(frame, linkage_settings("dedupe_only", rules), log_level=None)
    mark = time.perf_counter()
    if model is None:
        train(linker, options, prepared)
    else:
        apply_trained_parameters(linker, model)
    replaced = sanitise_parameters(linker)
    if replaced:
        logging.getLogger(__name__).warning("default model values used for: %s", ", ".join(replaced))
    timings["train_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    floor = min(options.prediction_floor, options.threshold)
    if options.engine == "duckdb":
        from kinlink.linkage.blocking import register_blocked_pairs

        _say(options, "blocking")
        blocked = register_blocked_pairs(
            linker,
            blocking_keys(prepared, facts),
            join_condition=NAMES_CAN_LINK_SQL,
            pair_condition=DATES_CAN_LINK_SQL,
            keep=options.explain,
        )
        timings["blocking_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        _say(options, "scoring candidate pairs")
        predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
        blocked.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)  # 10^7 pairs
    else:
        _say(options, "scoring candidate pairs")
        chunks = options.predict_chunks or max(1, round(len(prepared) / _LARGE_RUN))
        predictions = linker.inference.predict(
            threshold_match_probability=floor,
            num_chunks_left=chunks if chunks > 1 else None,
            num_chunks_right=chunks if chunks > 1 else None,
            warning_mode="never",
        )
    timings["predict_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    _say(options, "clustering")
    pairs = _slim_pairs(linker, predictions)
    predictions.drop_table_from_database_and_remove_from_cache()
    pairs["excluded"] = _record_exclusions(pairs, prepared["unique_id"], facts)
    clusters = cluster_records(prepared["unique_id"], pairs, options.threshold, prepared, facts=facts)
    timings["cluster_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - start
    trained = linker.misc.save_model_to_json()
    return LinkageResult(clusters=clusters, pairs=pairs, linker=linker, model=trained, timings=timings)


#: The retained input columns a scored pair keeps (both sides): what the cannot-link rules read.
_PAIR_KEY_COLUMNS = ("given_key", "given_alts", "patronymic_key", "birth_date", "list_source")


def _slim_pairs(linker: Any, predictions: Any) -> pd.DataFrame:
    """The scored pairs with only what clustering, the cannot-link rules and the explanations read:
    ids, probability and weight, each comparison's level and weights (term frequency included), and the
    keys of :data:`_PAIR_KEY_COLUMNS`. The other retained columns (every key of both records, Bayes
    factors, term frequencies) would triple the memory of 10^6 records' pairs in pandas."""
    available = {c.unquote().name for c in predictions.columns}
    wanted = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    for column in COMPARISON_FIELDS:
        wanted += [f"gamma_{column}", f"mw_{column}", f"mw_tf_adj_{column}"]
    wanted += [f"{key}_{side}" for key in _PAIR_KEY_COLUMNS for side in ("l", "r")]
    columns = [c for c in wanted if c in available]
    if len(columns) == len(available):
        return predictions.as_pandas_dataframe()
    select = ", ".join(columns)  # plain identifiers: the same SQL on DuckDB and Spark
    return linker.misc.query_sql(f"select {select} from {predictions.physical_name}", output_type="pandas")


@dataclass(frozen=True, slots=True)
class _Facts:
    """Per-record facts that can rule out "same person", as arrays for vectorised checks."""

    given: Any  # int code of an unambiguous table name, -1 when unknown or ambiguous (Слава)
    father: Any  # int code of the father's table name from the patronymic, -1 when unknown
    year: Any  # birth year, 0 when missing
    full: Any  # bool: the birth date is a full date
    digits: Any  # uint8 [n, 8]: YYYYMMDD of a full birth date


def _facts(
    given_key: pd.Series, given_alts: pd.Series | None, patronymic: pd.Series, birth: pd.Series
) -> _Facts:
    import numpy as np

    codes = {key: index for index, key in enumerate(sorted(names.canonical_given_keys()))}
    given = given_key.map(codes).fillna(-1).astype(int).to_numpy().copy()
    if given_alts is not None:
        ambiguous = given_alts.map(
            lambda alts: isinstance(alts, list | tuple | np.ndarray) and len(alts) > 1
        ).to_numpy(dtype=bool)
        given[ambiguous] = -1
    father = patronymic.map(codes).fillna(-1).astype(int).to_numpy()
    text = birth.fillna("").astype(str)
    year = pd.to_numeric(text.str[:4], errors="coerce").fillna(0).astype(int).to_numpy()
    full = (text.str.len() == 10).to_numpy()
    padded = text.where(full, "0000-00-00").str.replace("-", "", regex=False)
    digits = np.frombuffer("".join(padded).encode("ascii"), dtype=np.uint8).reshape(-1, 8) - ord("0")
    return _Facts(given, father, year, full, digits)


def _conflicts(a: _Facts, i: Any, b: _Facts, j: Any) -> Any:
    """Codes of the reason records ``a[i]`` and ``b[j]`` cannot be one person: 0 none, 1 given names,
    2 patronymics (fathers' names), 3 birth dates."""
    import numpy as np

    given = (a.given[i] >= 0) & (b.given[j] >= 0) & (a.given[i] != b.given[j])
    father = (a.father[i] >= 0) & (b.father[j] >= 0) & (a.father[i] != b.father[j])
    da, db = a.digits[i], b.digits[j]
    hamming = (da != db).sum(axis=-1)
    swapped = (
        (da[..., :4] == db[..., :4]).all(axis=-1)
        & (da[..., 4:6] == db[..., 6:8]).all(axis=-1)
        & (da[..., 6:8] == db[..., 4:6]).all(axis=-1)
    )
    year_a, year_b = a.year[i], b.year[j]
    year_near = (np.abs(year_a - year_b) <= 1) | ((da[..., :4] != db[..., :4]).sum(axis=-1) <= 1)
    same_day = (da[..., 4:] == db[..., 4:]).all(axis=-1)
    both_full = a.full[i] & b.full[j]
    dates = both_full & (hamming > 2) & ~swapped & ~(same_day & year_near)
    partial_years = ~both_full & (year_a > 0) & (year_b > 0)
    year_digits = sum((year_a // 10**k % 10 != year_b // 10**k % 10).astype(int) for k in range(4))
    years = partial_years & (np.abs(year_a - year_b) > 1) & (year_digits > 1)
    reason = np.zeros(np.broadcast(given, dates).shape, dtype=np.int8)
    reason = np.where(dates | years, 3, reason)
    reason = np.where(father, 2, reason)
    return np.where(given, 1, reason)


_REASONS = {0: "", 1: "different given names", 2: "different fathers' names", 3: "different birth dates"}


def _differing_digits(left: str, right: str, mask: int) -> str:
    """SQL: how many decimal digits differ between two numbers packed one digit per four bits (binary-coded
    decimal), among the digits ``mask`` selects (0x1 per digit)."""
    x = f"xor({left}, {right})"
    return f"bit_count(({x} | ({x} >> 1) | ({x} >> 2) | ({x} >> 3)) & {mask})"


#: :func:`_conflicts` in SQL over a self-join aliased ``l`` and ``r`` of :func:`blocking_keys`, in two parts
#: that are each true when their rules do not forbid the pair. The names' part reads the codes of
#: :func:`_facts` (``cl_given``, ``cl_father``; -1 when unknown or ambiguous). The dates' part reads
#: ``cl_date``, the full birth date as the number YYYYMMDD (0 when partial or missing), ``cl_date_bcd``,
#: its eight digits packed four bits each, ``cl_year``, the birth year (0 when missing), and
#: ``cl_year_bcd``, its digits.
NAMES_CAN_LINK_SQL = """not (
    (l.cl_given >= 0 and r.cl_given >= 0 and l.cl_given <> r.cl_given)
    or (l.cl_father >= 0 and r.cl_father >= 0 and l.cl_father <> r.cl_father)
)"""
DATES_CAN_LINK_SQL = f"""not (
    (l.cl_full and r.cl_full
        and {_differing_digits("l.cl_date_bcd", "r.cl_date_bcd", 0x11111111)} > 2
        and not (l.cl_date // 10000 = r.cl_date // 10000
                 and l.cl_date // 100 % 100 = r.cl_date % 100
                 and l.cl_date % 100 = r.cl_date // 100 % 100)
        and not (l.cl_date % 10000 = r.cl_date % 10000
                 and (abs(l.cl_year - r.cl_year) <= 1
                      or {_differing_digits("l.cl_date_bcd", "r.cl_date_bcd", 0x11110000)} <= 1)))
    or (not (l.cl_full and r.cl_full) and l.cl_year > 0 and r.cl_year > 0
        and abs(l.cl_year - r.cl_year) > 1
        and {_differing_digits("l.cl_year_bcd", "r.cl_year_bcd", 0x1111)} > 1)
)"""
#: No cannot-link rule forbids the pair.
CAN_LINK_SQL = f"({NAMES_CAN_LINK_SQL}) and ({DATES_CAN_LINK_SQL})"


def _record_facts(prepared: pd.DataFrame) -> _Facts:
    """:func:`_facts` of prepared records."""
    return _facts(
        prepared["given_key"], prepared.get("given_alts"), prepared["patronymic_key"], prepared["birth_date"]
    )


def _record_exclusions(pairs: pd.DataFrame, record_ids: pd.Series, facts: _Facts) -> pd.Series:
    """:func:`exclusions` of scored pairs from the facts of their records (``facts`` aligned with
    ``record_ids``): the same reasons, without reading the facts again from both sides of every pair."""
    import numpy as np

    ids = pd.Index(record_ids.astype(str))
    left = ids.get_indexer(pd.Index(pairs["unique_id_l"].astype(str)))
    right = ids.get_indexer(pd.Index(pairs["unique_id_r"].astype(str)))
    if len(pairs) and (left.min() < 0 or right.min() < 0):
        raise ValueError("a scored pair names a record that is not among the records")
    reasons = np.array([_REASONS[code] for code in sorted(_REASONS)], dtype=object)
    codes = _conflicts(facts, left, facts, right)
    return pd.Series(reasons[codes], index=pairs.index, dtype=object)


def blocking_keys(prepared: pd.DataFrame, facts: _Facts | None = None) -> pd.DataFrame:
    """The prepared records' scalar key columns (what the blocking rules join on) and the facts
    :data:`CAN_LINK_SQL` reads (``facts``: :func:`_record_facts` of ``prepared`` when already known)."""
    import numpy as np

    scalar = [c for c in prepared.columns if c not in _LIST_COLUMNS]
    keys = prepared[scalar].copy()
    if facts is None:
        facts = _record_facts(prepared)
    keys["cl_given"] = facts.given
    keys["cl_father"] = facts.father
    keys["cl_year"] = facts.year
    keys["cl_full"] = facts.full
    digits = facts.digits.astype(np.int64)
    keys["cl_date"] = (digits * 10 ** np.arange(7, -1, -1, dtype=np.int64)).sum(axis=1)
    keys["cl_date_bcd"] = (digits << (4 * np.arange(7, -1, -1, dtype=np.int64))).sum(axis=1)
    year = np.clip(facts.year.astype(np.int64), 0, 9999)
    keys["cl_year_bcd"] = sum(((year // 10**k) % 10) << (4 * k) for k in range(4))
    return keys


_LIST_COLUMNS = ("given_alts", "given_initials", "patronymic_initials")


def exclusions(pairs: pd.DataFrame) -> pd.Series:
    """Pairs that cannot be one person whatever their score, with the reason ("" when none).

    Cannot-link rules, the same as in clustering (:func:`cluster_records`): two given names that
    the name table resolves to different names (a name the table does not know, a typo beyond one
    letter or an ambiguous diminutive never excludes); two patronymics that resolve to different
    fathers' names; two full birth dates that differ in more than two digits and are not a day/month
    swap or the same day and month with the year off by one (or by one digit); two birth years, when
    a date is partial, more than one year apart and differing in more than one digit. Brothers share
    surname, patronymic, birth place, unit and event, and their many agreements would otherwise
    outweigh the one disagreement: the model's independence assumption fails for them.
    """
    import numpy as np

    def side(suffix: str) -> _Facts:
        empty = pd.Series(None, index=pairs.index, dtype=object)
        return _facts(
            pairs[f"given_key{suffix}"],
            pairs.get(f"given_alts{suffix}"),
            pairs.get(f"patronymic_key{suffix}", empty),
            pairs[f"birth_date{suffix}"],
        )

    index = np.arange(len(pairs))
    codes = _conflicts(side("_l"), index, side("_r"), index)
    return pd.Series([_REASONS[int(c)] for c in codes], index=pairs.index, dtype=object)


def cluster_records(
    record_ids: pd.Series | Sequence[str],
    pairs: pd.DataFrame,
    threshold: float,
    records: pd.DataFrame | None = None,
    *,
    facts: _Facts | None = None,
) -> pd.DataFrame:
    """Clusters of records: the pairs at or above ``threshold`` that no exclusion forbids, joined.

    Without ``records`` these are the connected components. With ``records`` (the prepared records,
    aligned with ``record_ids``) a component that holds two records which cannot be one person (the
    cannot-link rules of :func:`exclusions`: a chain through sparse records such as "Sasha Volkov,
    1975" can join two Aleksandr Volkovs with different birth dates) is rebuilt greedily: its links
    are taken strongest first, and a link is skipped when it would put two such records together.

    Returns record_id, cluster_id (the smallest record id in the cluster) and match_probability
    (the record's strongest link inside its cluster; NaN for a record that stands alone).
    """
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids = pd.Index(pd.Series(record_ids, dtype=object).astype(str))
    keep = pairs["match_probability"] >= threshold
    if "excluded" in pairs.columns:
        keep &= pairs["excluded"] == ""
    edges = pairs.loc[keep, ["unique_id_l", "unique_id_r", "match_probability"]]
    left = ids.get_indexer(pd.Index(edges["unique_id_l"].astype(str)))
    right = ids.get_indexer(pd.Index(edges["unique_id_r"].astype(str)))
    probability = edges["match_probability"].to_numpy(dtype=float)
    graph = coo_matrix((np.ones(len(edges)), (left, right)), shape=(len(ids), len(ids)))
    _, labels = connected_components(graph, directed=False)
    if records is not None and len(edges):
        if facts is None:
            facts = _record_facts(records)
        labels, kept = _split_conflicting(labels, left, right, probability, facts)
        left, right, probability = left[kept], right[kept], probability[kept]
    frame = pd.DataFrame({"record_id": ids, "component": labels})
    frame["cluster_id"] = frame.groupby("component")["record_id"].transform("min")
    strongest = pd.concat(
        [
            pd.Series(probability, index=ids[left]),
            pd.Series(probability, index=ids[right]),
        ]
    )
    best = strongest.groupby(level=0).max() if len(strongest) else pd.Series(dtype=float)
    frame["match_probability"] = frame["record_id"].map(best)
    out = frame[["record_id", "cluster_id", "match_probability"]]
    return out.sort_values(["cluster_id", "record_id"]).reset_index(drop=True)


_PAIRWISE_CHECK_LIMIT = 400  # components up to this size are checked all pairs at once


def _split_conflicting(
    labels: Any, left: Any, right: Any, probability: Any, facts: _Facts
) -> tuple[Any, Any]:
    """Rebuild the components that hold a cannot-link pair; returns new labels and the kept edges."""
    import numpy as np

    sizes = np.bincount(labels)
    members = pd.DataFrame({"record": np.arange(len(labels)), "component": labels})
    members = members[sizes[labels] >= 3]
    suspect = set(members.loc[sizes[members["component"]] > _PAIRWISE_CHECK_LIMIT, "component"].unique())
    small = members[sizes[members["component"]] <= _PAIRWISE_CHECK_LIMIT]
    within = small.merge(small, on="component", suffixes=("_a", "_b"))
    within = within[within["record_a"] < within["record_b"]]
    if len(within):
        codes = _conflicts(facts, within["record_a"].to_numpy(), facts, within["record_b"].to_numpy())
        suspect |= set(within.loc[codes > 0, "component"].unique())
    kept = np.ones(len(left), dtype=bool)
    if not suspect:
        return labels, kept
    original = labels
    labels = labels.copy()
    next_label = int(labels.max()) + 1
    edge_component = original[left]
    # Edges and records grouped by component once (not one scan of all edges per component).
    edge_order = np.argsort(edge_component, kind="stable")
    edge_sorted = edge_component[edge_order]
    node_order = np.argsort(original, kind="stable")
    node_sorted = original[node_order]
    for component in sorted(suspect):
        edge_index = edge_order[
            np.searchsorted(edge_sorted, component) : np.searchsorted(edge_sorted, component, side="right")
        ]
        # Strongest first; equal probabilities in the order of their records, so that the clusters do not
        # depend on the order the scored pairs arrive in (DuckDB's threads return them in any order).
        low = np.minimum(left[edge_index], right[edge_index])
        high = np.maximum(left[edge_index], right[edge_index])
        edge_index = edge_index[np.lexsort((high, low, -probability[edge_index]))]
        nodes = node_order[
            np.searchsorted(node_sorted, component) : np.searchsorted(node_sorted, component, side="right")
        ]
        group = {int(node): [int(node)] for node in nodes}  # representative -> members
        owner = {int(node): int(node) for node in nodes}
        forbidden: list[tuple[int, int]] | None = None
        if len(nodes) <= _PAIRWISE_CHECK_LIMIT:
            # The component's forbidden pairs, found at once (a few at most): a merge is then checked
            # against them, not against every member of both sides.
            matrix = np.triu(_conflicts(facts, nodes[:, None], facts, nodes[None, :]) > 0, 1)
            forbidden = [(int(nodes[x]), int(nodes[y])) for x, y in zip(*np.nonzero(matrix), strict=True)]
        for edge in edge_index:
            a, b = owner[int(left[edge])], owner[int(right[edge])]
            if a == b:
                continue
            if forbidden is not None:
                conflict = any({owner[x], owner[y]} == {a, b} for x, y in forbidden)
            else:
                group_a, group_b = np.array(group[a]), np.array(group[b])
                conflict = bool((_conflicts(facts, group_a[:, None], facts, group_b[None, :]) > 0).any())
            if conflict:
                kept[edge] = False
                continue
            if len(group[a]) < len(group[b]):
                a, b = b, a
            for node in group[b]:
                owner[node] = a
            group[a].extend(group.pop(b))
        for members_of in group.values():
            labels[members_of] = next_label
            next_label += 1
    return labels, kept


# --- explanation ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldComparison:
    """One field of one candidate pair, as a caseworker sees it."""

    field: str
    status: str  # "agree", "disagree" or "missing"
    level: str  # the comparison level, e.g. "Jaro-Winkler >= 0.92", "partial date agrees"
    match_weight: float  # log2 Bayes factor this field contributes (term frequency included)


def _level_labels(linker: Any) -> dict[str, dict[int, str]]:
    labels: dict[str, dict[int, str]] = {}
    for comparison in linker._settings_obj.comparisons:
        name = comparison.output_column_name
        labels[name] = {
            level.comparison_vector_value: level.label_for_charts for level in comparison.comparison_levels
        }
    return labels


def explain_pair(row: pd.Series | dict[str, Any], labels: dict[str, dict[int, str]]) -> list[FieldComparison]:
    """The per-field explanation of one scored pair (a row of the predictions)."""
    out = []
    for column, label in COMPARISON_FIELDS.items():
        gamma = int(row[f"gamma_{column}"])
        weight = float(row[f"mw_{column}"])
        tf = row.get(f"mw_tf_adj_{column}")
        if tf is not None and not (isinstance(tf, float) and math.isnan(tf)):
            weight += float(tf)
        status = "missing" if gamma == -1 else ("disagree" if gamma == 0 else "agree")
        out.append(FieldComparison(label, status, labels.get(column, {}).get(gamma, str(gamma)), weight))
    return out


def explain_record(
    result: LinkageResult, record_id: str
) -> list[tuple[str, float, float, list[FieldComparison]]]:
    """Every scored link of one record: (other record, probability, match weight, fields), best first."""
    pairs = result.pairs
    mask = (pairs["unique_id_l"] == record_id) | (pairs["unique_id_r"] == record_id)
    labels = _level_labels(result.linker)
    out = []
    for _, row in pairs[mask].sort_values("match_weight", ascending=False).iterrows():
        other = row["unique_id_r"] if row["unique_id_l"] == record_id else row["unique_id_l"]
        out.append(
            (
                str(other),
                float(row["match_probability"]),
                float(row["match_weight"]),
                explain_pair(row, labels),
            )
        )
    return out


def excluded_links(result: LinkageResult, record_id: str) -> dict[str, str]:
    """The scored links of one record that a cannot-link rule forbids (:func:`exclusions`): other record
    -> reason. Such a pair is never joined, whatever its match probability."""
    pairs = result.pairs
    if "excluded" not in pairs:
        return {}
    mine = (pairs["unique_id_l"] == record_id) | (pairs["unique_id_r"] == record_id)
    hits = pairs[mine & (pairs["excluded"].fillna("") != "")]
    return {
        str(row.unique_id_r if row.unique_id_l == record_id else row.unique_id_l): str(row.excluded)
        for row in hits.itertuples(index=False)
    }


# --- linking new list records against existing persons ---------------------------------------------


@dataclass(slots=True)
class NewRecordLinks:
    """Candidate pairs of new records against existing persons, and the model that scored them."""

    pairs: pd.DataFrame  # new_record_id, person_record_id, match_probability, match_weight, explanation
    model: dict[str, Any]  # the parameters used, as JSON without NaN (reusable as ``model=``)
    trained: bool = False  # trained on these inputs with a usable prior: fit to be kept for reuse
    notes: list[str] = field(default_factory=list)  # fallbacks taken, parameters replaced
    engine: dict[str, str] = field(default_factory=dict)  # what DuckDB ran under (:func:`engine_settings`)


def _training_failure(replaced: list[str]) -> str:
    """Why a training run's model is not used (empty when it is): no prior, or too many parameters
    left undefined (more than half: EM saw almost no pairs; a realistic list leaves about a quarter
    of the rarer levels undefined, which the default model fills)."""
    if "prior" in replaced:
        return "training found no pair to estimate the prior from"
    parameters = 2 * sum(len(levels) for levels in DEFAULT_M_U.values())
    if len(replaced) > parameters // 2:
        return f"training left {len(replaced)} of {parameters} parameters undefined"
    return ""


_CANDIDATE_COLUMNS = ["new_record_id", "person_record_id", "match_probability", "match_weight", "explanation"]


def _explanations(pairs: pd.DataFrame, labels: dict[str, dict[int, str]]) -> list[list[FieldComparison]]:
    """:func:`explain_pair` for every row of the predictions, column by column (no row objects)."""
    import numpy as np

    columns = []
    for column, label in COMPARISON_FIELDS.items():
        gammas = pairs[f"gamma_{column}"].to_numpy(dtype=np.int64)
        weights = pairs[f"mw_{column}"].to_numpy(dtype=np.float64)
        tf_column = f"mw_tf_adj_{column}"
        if tf_column in pairs:
            tf = pairs[tf_column].to_numpy(dtype=np.float64, na_value=np.nan)
            weights = weights + np.where(np.isnan(tf), 0.0, tf)
        levels = labels.get(column, {})
        # One object per (level, weight) actually seen: the same level repeats across many pairs.
        seen: dict[tuple[int, float], FieldComparison] = {}
        keys = list(zip(gammas.tolist(), weights.tolist(), strict=True))
        for key in set(keys):
            gamma, weight = key
            status = "missing" if gamma == -1 else ("disagree" if gamma == 0 else "agree")
            seen[key] = FieldComparison(label, status, levels.get(gamma, str(gamma)), weight)
        columns.append([seen[key] for key in keys])
    return [list(fields) for fields in zip(*columns, strict=True)]


def _candidate_frame(pairs: pd.DataFrame, labels: dict[str, dict[int, str]]) -> pd.DataFrame:
    """The predictions as candidate pairs: the new record's id first, explanations attached."""
    import numpy as np

    new_left = (pairs["source_dataset_l"] == "new").to_numpy()
    left, right = pairs["unique_id_l"].to_numpy(), pairs["unique_id_r"].to_numpy()
    return pd.DataFrame(
        {
            "new_record_id": np.where(new_left, left, right),
            "person_record_id": np.where(new_left, right, left),
            "match_probability": pairs["match_probability"].astype(float).to_numpy(),
            "match_weight": pairs["match_weight"].astype(float).to_numpy(),
            "explanation": _explanations(pairs, labels),
        },
        columns=_CANDIDATE_COLUMNS,
    )


def link_new_records(
    new_records: pd.DataFrame | Any,
    existing_persons: pd.DataFrame | Any,
    min_probability: float = 0.5,
    options: LinkageOptions | None = None,
    model: dict[str, Any] | None = None,
    *,
    among_new: bool = False,
) -> NewRecordLinks:
    """Candidate "same person" pairs between new records and existing persons, for caseworker review.

    Only pairs of a new record and an existing person are compared (Splink ``link_only``), so the cost
    grows with the new records, not with the square of the registry. ``among_new``: the new records
    are also compared with each other (Splink ``dedupe_only`` on the new records alone, with the same
    parameters), each pair once; ``existing_persons`` must then not repeat them. With ``model`` (an
    earlier run's ``NewRecordLinks.model`` or :func:`default_model`) nothing is trained; without it the
    model is trained on both tables together, and if training fails (Splink's
    ``EMTrainingException`` on a handful of records, for example) the default model scores the pairs
    instead. Any parameter left unusable is replaced by the default model's
    (:func:`sanitise_parameters`). DuckDB runs under ``options.memory_limit`` (always capped) and its
    connection is closed at the end; ``NewRecordLinks.engine`` says what it ran under. Never raises
    for valid person-list input; bad input raises :class:`LinkageInputError`.
    """
    from splink import Linker

    options = options or LinkageOptions()
    _quiet_splink()
    log = logging.getLogger(__name__)
    new = prepare_records(new_records, "new records")
    existing = prepare_records(existing_persons, "existing persons")
    among_new = among_new and len(new) > 1
    if new.empty or (existing.empty and not among_new):
        return NewRecordLinks(pd.DataFrame(columns=_CANDIDATE_COLUMNS), model or default_model())
    db_api = _db_api(options, len(new) + len(existing))
    try:
        engine = engine_settings(db_api)
        log.info("linkage engine: %s", engine)
        new_frame = _register(db_api, new, "new", options)
        if existing.empty:
            frames: Any = new_frame
            link_type = "dedupe_only"
        else:
            frames = [new_frame, _register(db_api, existing, "existing", options)]
            link_type = "link_only"
        linker = Linker(frames, linkage_settings(link_type), log_level=None)
        notes: list[str] = []
        trained = False
        replaced: list[str] = []
        if model is None:
            try:
                train(linker, options, pd.concat([new, existing], ignore_index=True))
                replaced = sanitise_parameters(linker)
                failure = _training_failure(replaced)
            except Exception as error:  # any training failure falls back to the default model
                log.warning("linkage training failed; the default model scores the pairs", exc_info=True)
                failure = f"training failed ({type(error).__name__})"
            trained = not failure
            if failure:
                # A model resting on (almost) no matches is not kept, not even in part.
                notes.append(f"{failure}; default model used")
                linker = Linker(frames, linkage_settings(link_type), log_level=None)
                apply_trained_parameters(linker, default_model())
                replaced = []
        else:
            try:
                apply_trained_parameters(linker, model)
            except (ValueError, KeyError, TypeError) as error:
                log.warning("stored linkage model does not fit the settings (%s); default model used", error)
                notes.append("stored model does not fit the settings; default model used")
                linker = Linker(frames, linkage_settings(link_type), log_level=None)
                apply_trained_parameters(linker, default_model())
        replaced += sanitise_parameters(linker)
        if replaced:
            log.warning("default model values used for: %s", ", ".join(replaced))
            notes.append("default values for " + ", ".join(replaced))
        if not options.term_frequencies:
            _without_term_frequencies(linker)
        used = clean_model(linker.misc.save_model_to_json())
        labels = _level_labels(linker)
        found = [_predicted(linker, min_probability, labels)]
        if among_new and link_type == "link_only":
            # The new records among themselves, each pair once, with the parameters just used.
            among = Linker(new_frame, linkage_settings("dedupe_only"), log_level=None)
            apply_trained_parameters(among, used)
            sanitise_parameters(among)
            if not options.term_frequencies:
                _without_term_frequencies(among)
            found.append(_predicted(among, min_probability, labels))
    finally:
        _close_engine(db_api)
    found = [f for f in found if not f.empty]
    if not found:
        return NewRecordLinks(pd.DataFrame(columns=_CANDIDATE_COLUMNS), used, trained, notes, engine)
    frame = (
        pd.concat(found, ignore_index=True)
        .sort_values("match_weight", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    return NewRecordLinks(frame, used, trained, notes, engine)


def _predicted(linker: Any, min_probability: float, labels: dict[str, dict[int, str]]) -> pd.DataFrame:
    """Score a linker's blocked pairs and keep those at or above ``min_probability`` as candidates."""
    predictions = linker.inference.predict(threshold_match_probability=min_probability, warning_mode="never")
    pairs = predictions.as_pandas_dataframe()
    predictions.drop_table_from_database_and_remove_from_cache()
    if pairs.empty:
        return pd.DataFrame(columns=_CANDIDATE_COLUMNS)
    if "source_dataset_l" not in pairs:  # dedupe of the new records: both sides are new
        pairs["source_dataset_l"] = "new"
    return _candidate_frame(pairs, labels)


def candidate_links(
    new_records: pd.DataFrame | Any,
    existing_persons: pd.DataFrame | Any,
    min_probability: float = 0.5,
    options: LinkageOptions | None = None,
    model: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The pairs of :func:`link_new_records`: ``new_record_id``, ``person_record_id``,
    ``match_probability``, ``match_weight`` and ``explanation`` (a list of :class:`FieldComparison`),
    best first."""
    return link_new_records(new_records, existing_persons, min_probability, options, model).pairs


def pairwise_scores(
    true_pairs: set[tuple[str, str]], predicted_pairs: set[tuple[str, str]]
) -> dict[str, float]:
    """Pairwise precision, recall and F1 of predicted same-person pairs (each pair as a sorted tuple)."""
    true_positive = len(true_pairs & predicted_pairs)
    precision = true_positive / len(predicted_pairs) if predicted_pairs else 1.0
    recall = true_positive / len(true_pairs) if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_pairs": len(true_pairs),
        "predicted_pairs": len(predicted_pairs),
    }


def cluster_pairs(record_ids: Sequence[str], cluster_ids: Iterable[object]) -> set[tuple[str, str]]:
    """All within-cluster record pairs (sorted tuples) of a clustering."""
    groups: dict[object, list[str]] = {}
    for record_id, cluster_id in zip(record_ids, cluster_ids, strict=True):
        groups.setdefault(cluster_id, []).append(record_id)
    pairs: set[tuple[str, str]] = set()
    for members in groups.values():
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs.add((a, b))
    return pairs


__all__ = [
    "COMPARISON_FIELDS",
    "DEFAULT_M_U",
    "DEFAULT_PRIOR",
    "DEFAULT_THRESHOLD",
    "PERSON_LIST_COLUMNS",
    "FieldComparison",
    "LinkageInputError",
    "LinkageOptions",
    "LinkageResult",
    "NewRecordLinks",
    "apply_trained_parameters",
    "blocking_rules",
    "candidate_links",
    "clean_model",
    "cluster_pairs",
    "cluster_records",
    "default_model",
    "excluded_links",
    "exclusions",
    "explain_pair",
    "explain_record",
    "link_new_records",
    "link_records",
    "linkage_settings",
    "normalise_date",
    "pairwise_scores",
    "prepare_records",
    "sanitise_parameters",
    "spark_session",
    "train",
]
