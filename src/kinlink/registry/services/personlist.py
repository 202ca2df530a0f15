"""Reading and validating files in the person list format (CSV or XLSX).

Header: ``record_id,source,full_name,surname,given_name,patronymic,birth_date,birth_place,unit,rank,
event_date,event_place``. Dates may be ISO, ``YYYY`` or ``YYYY-MM``. Either ``full_name`` or the split
name fields are filled. Names may be Cyrillic or Latin. Files must be UTF-8 (a BOM is allowed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from kinlink.lib.personlist import PERSON_LIST_COLUMNS
from kinlink.partialdate import PartialDateError, parse_partial_date
from kinlink.registry.services.bulk import RowError

REQUIRED_COLUMNS = ("record_id", "full_name", "surname", "given_name", "birth_date", "event_date")
DATE_COLUMNS = ("birth_date", "event_date")
MAX_FIELD = 300
MAX_FILE_BYTES = 512 * 1024 * 1024
_CONTROL = re.compile("[\x00-\x1f]")


@dataclass(frozen=True, slots=True)
class ListRow:
    row_number: int
    values: dict[str, str]


@dataclass(slots=True)
class ParsedList:
    """The good rows of a file, column by column (every column of ``PERSON_LIST_COLUMNS``, stripped,
    dates normalised to ISO; a column the file lacks is all ""), with the row number of each."""

    path: Path
    columns: dict[str, list[str]]
    row_numbers: list[int]
    errors: list[RowError]
    ignored_columns: list[str]

    def __len__(self) -> int:
        return len(self.row_numbers)

    def row(self, index: int) -> ListRow:
        return ListRow(self.row_numbers[index], {c: self.columns[c][index] for c in PERSON_LIST_COLUMNS})

    @property
    def rows(self) -> list[ListRow]:
        return [self.row(i) for i in range(len(self))]


def _empty(path: Path, errors: list[RowError], ignored: list[str] | None = None) -> ParsedList:
    return ParsedList(path, {c: [] for c in PERSON_LIST_COLUMNS}, [], errors, ignored or [])


def _locate_decode_error(raw: bytes, exc: UnicodeDecodeError, name: str) -> RowError:
    line_start = raw.rfind(b"\n", 0, exc.start) + 1
    row = raw.count(b"\n", 0, exc.start) + 1
    prefix = raw[line_start : exc.start].decode("utf-8", errors="replace")
    header = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip().split(",")
    field_index = prefix.count(",")
    column = header[field_index] if row > 1 and field_index < len(header) else ""
    return RowError(
        name,
        row,
        column,
        f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8 (CSV UTF-8) and import again",
    )


def _csv_records(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _DecodeFailure(_locate_decode_error(raw, exc, path.name)) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise _DecodeFailure(RowError(path.name, 1, "", "the file is empty")) from None
    # The row number of a record is the line it ends on (reader.line_num, read after the record).
    return [h.strip() for h in header], [(reader.line_num, values) for values in reader]


def _xlsx_records(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise _DecodeFailure(RowError(path.name, 0, "", f"not a readable XLSX workbook: {exc}")) from exc
    sheet = workbook.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    try:
        header = [str(h or "").strip() for h in next(cells)]
    except StopIteration:
        raise _DecodeFailure(RowError(path.name, 1, "", "the sheet is empty")) from None

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return header, [(number, [text(v) for v in values]) for number, values in enumerate(cells, start=2)]


class _DecodeFailure(Exception):
    def __init__(self, error: RowError) -> None:
        self.error = error


def read_person_list(path: Path) -> ParsedList:
    """Read and validate the whole file; never raises for bad content, it reports it in ``errors``.

    A file without errors (the common case) is checked column by column: each distinct date is parsed
    once, lengths and control characters are checked over a whole column at once. A file with errors is
    checked again row by row, so that every error is reported, in row order, with its row and column."""
    name = path.name
    if not path.exists():
        return _empty(path, [RowError(name, 0, "", "file not found")])
    if path.stat().st_size > MAX_FILE_BYTES:
        size = path.stat().st_size
        return _empty(
            path, [RowError(name, 0, "", f"the file is {size} bytes; the limit is {MAX_FILE_BYTES}")]
        )
    try:
        header, records = (
            _xlsx_records(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_records(path)
        )
    except _DecodeFailure as failure:
        return _empty(path, [failure.error])
    errors: list[RowError] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    for column in missing:
        errors.append(RowError(name, 1, column, "required column is missing from the header"))
    duplicates = {h for h in header if header.count(h) > 1 and h}
    for column in sorted(duplicates):
        errors.append(RowError(name, 1, column, "column appears more than once in the header"))
    if errors:
        return _empty(path, errors)
    ignored = [h for h in header if h not in PERSON_LIST_COLUMNS]
    parsed = _by_columns(path, header, records)
    if parsed is None:
        parsed = _by_rows(path, header, records)
    parsed.ignored_columns = ignored
    return parsed


def _by_columns(path: Path, header: list[str], records: list[tuple[int, list[str]]]) -> ParsedList | None:
    """The file checked column by column, or None when some row has an error (``_by_rows`` says which)."""
    width = len(header)
    numbers: list[int] = []
    kept_records: list[list[str]] = []
    for number, values in records:
        if not "".join(values).strip():
            continue  # a blank row (every field empty or spaces)
        if len(values) != width:
            return None
        numbers.append(number)
        kept_records.append(values)
    count = len(kept_records)
    position = {column: i for i, column in enumerate(header)}
    raw_columns = list(zip(*kept_records, strict=True))
    columns: dict[str, list[str]] = {}
    for column in PERSON_LIST_COLUMNS:
        i = position.get(column)
        columns[column] = [""] * count if i is None or not count else list(map(str.strip, raw_columns[i]))
    ids = columns["record_id"]
    if "" in ids or len(set(ids)) != len(ids):
        return None
    full_names, surnames, given_names = columns["full_name"], columns["surname"], columns["given_name"]
    if any(not f and not (s and g) for f, s, g in zip(full_names, surnames, given_names, strict=True)):
        return None
    today = dt.date.today()
    for column in DATE_COLUMNS:
        values = columns[column]
        normal = {text: _normal_date(text, today) for text in set(values) if text}
        if any(reason for _, reason in normal.values()):
            return None
        iso = {text: form for text, (form, _) in normal.items()}
        iso[""] = ""
        columns[column] = list(map(iso.__getitem__, values))
    for values in columns.values():
        if values and (max(map(len, values)) > MAX_FIELD or _CONTROL.search("".join(values))):
            return None
    return ParsedList(path, columns, numbers, [], [])


def _by_rows(path: Path, header: list[str], records: list[tuple[int, list[str]]]) -> ParsedList:
    """The file checked row by row: every error, in row order; the good rows kept."""
    name = path.name
    kept = [(i, column) for i, column in enumerate(header) if column in PERSON_LIST_COLUMNS]
    absent = [column for column in PERSON_LIST_COLUMNS if column not in header]
    seen: dict[str, int] = {}
    dates: dict[str, tuple[str, str]] = {}
    errors: list[RowError] = []
    numbers: list[int] = []
    columns: dict[str, list[str]] = {c: [] for c in PERSON_LIST_COLUMNS}
    for number, values in records:
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(
                RowError(name, number, "", f"has {len(values)} fields, the header has {len(header)}")
            )
            continue
        record = {column: values[i].strip() for i, column in kept}
        for column in absent:
            record[column] = ""
        row_errors = _check_row(name, number, record, seen, dates)
        if row_errors:
            errors.extend(row_errors)
            continue
        seen[record["record_id"]] = number
        numbers.append(number)
        for column, value in record.items():
            columns[column].append(value)
    return ParsedList(path, columns, numbers, errors, [])


def _normal_date(text: str, today: dt.date) -> tuple[str, str]:
    """(ISO form, "") of a valid partial date, ("", reason) of an invalid one."""
    try:
        parsed = parse_partial_date(text)
    except PartialDateError as exc:
        return "", str(exc)
    if parsed.earliest > today:
        return "", f"'{text}' lies in the future"
    return parsed.isoformat(), ""


def _check_row(
    name: str,
    number: int,
    record: dict[str, str],
    seen: dict[str, int],
    dates: dict[str, tuple[str, str]] | None = None,
) -> list[RowError]:
    """The row's errors; normalises its dates in place. ``dates`` memoises each distinct date text of the
    file (a list of 100,000 rows has a few thousand distinct dates: each is parsed once)."""
    errors: list[RowError] = []
    record_id = record["record_id"]
    if not record_id:
        errors.append(RowError(name, number, "record_id", "is empty"))
    elif record_id in seen:
        errors.append(RowError(name, number, "record_id", f"'{record_id}' duplicates row {seen[record_id]}"))
    if not record["full_name"] and not (record["surname"] and record["given_name"]):
        errors.append(
            RowError(name, number, "full_name", "neither full_name nor surname and given_name is filled")
        )
    memo = dates if dates is not None else {}
    for column in DATE_COLUMNS:
        text = record[column]
        if text:
            normal = memo.get(text)
            if normal is None:
                normal = memo[text] = _normal_date(text, dt.date.today())
            iso, reason = normal
            if reason:
                errors.append(RowError(name, number, column, reason))
            else:
                record[column] = iso
    values = record.values()
    if max(map(len, values)) <= MAX_FIELD and not _CONTROL.search("".join(values)):
        return errors  # the common case, checked in two passes over the row instead of two per field
    for column, value in record.items():
        if len(value) > MAX_FIELD:
            errors.append(RowError(name, number, column, f"is longer than {MAX_FIELD} characters"))
        if _CONTROL.search(value):
            errors.append(RowError(name, number, column, "contains control characters"))
    return errors
