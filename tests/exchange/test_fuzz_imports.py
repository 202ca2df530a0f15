"""Fuzzing every import with hypothesis: malformed rows, encodings, huge values, hostile cells.

The rule for every importer (person list, PFIF, genotypes, reference samples, pedigrees CSV and .fam,
repatriation batch, and the lab console's uploads over HTTP): either it succeeds, or it refuses with the
project's import error (:class:`~kinlink.registry.services.bulk.ImportRefused`, each problem naming the
file, its row and column) and NOTHING is written: the row count of every table is the same before and
after. Each example runs in a savepoint rolled back afterwards, so examples do not see each other.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kinlink.exchange.errors import ImportRefused
from kinlink.exchange.pfif import NAMESPACE, import_pfif_bytes
from kinlink.field.actions import BATCH_COLUMNS, import_batch
from kinlink.identification.actions import register_reference_samples, register_sample, store_lab_profiles
from kinlink.identification.pedigrees import import_pedigree_file
from kinlink.lib.personlist import PERSON_LIST_COLUMNS
from kinlink.registry import actions
from kinlink.registry.models import Organisation
from kinlink.registry.services.family_intake import FamilyRequest
from tests.portal.portal_world import World, build_world, verified_client

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

#: Cells that import code gets wrong: dates that do not exist, formulas, markup, control characters,
#: numbers out of range, a byte-order mark, separators and quotes.
NASTY = [
    "",
    " ",
    "-",
    "0",
    "-1",
    "1e308",
    "NaN",
    "1990-02-30",
    "2022-13",
    "0000-00-00",
    "99999",
    '=HYPERLINK("http://x","y")',
    "<script>alert(1)</script>",
    "\x00",
    "\x1b[2J",
    "'; DROP TABLE registry_person; --",
    "\ufeff",
    "a,b",
    'say "hi"',
    "line\nbreak",
    "\u202e\u0644",
    "😀",
]


def _cell(valid: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(valid or [""]),
        st.sampled_from(NASTY),
        st.text(max_size=20),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.integers(min_value=201, max_value=20_000).map(lambda n: "Я" * n),  # longer than any field
    )


@st.composite
def csv_file(draw: Any, columns: tuple[str, ...], valid: dict[str, list[str]]) -> bytes:
    """A CSV with the real header (mostly), a shuffled, cut or padded one (sometimes), rows of plausible
    and hostile cells, in one of several encodings; now and then plain random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    header = list(columns)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
        header = header[: draw(st.integers(0, len(header)))] + draw(
            st.lists(st.sampled_from(["extra", "", "sample", "code", "Surname", columns[0]]), max_size=2)
        )
    rows = draw(
        st.lists(
            st.lists(
                st.one_of(*[_cell(valid.get(c, [])) for c in columns]), min_size=0, max_size=len(header) + 1
            )
            if draw(st.integers(0, 3)) == 0
            else st.tuples(*[_cell(valid.get(c, [])) for c in header]).map(list),
            max_size=6,
        )
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=draw(st.sampled_from([",", ",", ";", "\t"])))
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1251", "latin-1"]))
    return buffer.getvalue().encode(encoding, errors="replace")


def table_counts() -> dict[str, int]:
    """The number of rows of every table of every installed model (one query)."""
    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy})
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables))
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


class _RollBack(Exception):
    """Undo an example that succeeded, so that the next one starts from the same database."""


def follows_the_rule(run: Callable[[], object]) -> str:
    """Run one import; assert the rule (success, or ImportRefused naming file, row and column, with
    nothing written). Returns "imported" or "refused"."""
    before = table_counts()
    try:
        with transaction.atomic():
            try:
                run()
            except ImportRefused as refused:
                assert refused.errors, "a refusal names its problems"
                for problem in refused.errors:
                    assert problem.file and problem.reason, problem
                    assert isinstance(problem.row, int) and problem.row >= 0, problem
                    assert f"row {problem.row}" in str(problem)
                after = table_counts()
                assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                return "refused"
            raise _RollBack
    except _RollBack:
        return "imported"


# --- the world the imports refer to -------------------------------------------------------------------


def _lab_world() -> dict[str, Any]:
    lab = Organisation.objects.create(name="Fuzz lab", slug="fuzz-lab", is_lab=True)
    org = Organisation.objects.create(name="Fuzz org", slug="fuzz-org")
    request, _ = actions.submit_tracing_request(
        FamilyRequest(
            surname="Коваленко",
            given_name="Андрей",
            sex="M",
            relationship="mother",
            contact="+7 900 000 00 00",
            enquirer_name="Mother",
            consent_organisations=[org],
        )
    )
    codes = ["REF-1", "REF-2", "REM-1"]
    register_sample(None, lab, "REF-1", "reference", relationship="mother")
    register_sample(None, lab, "REF-2", "reference", relationship="father")
    register_sample(None, lab, "REM-1", "remains")
    return {"lab": lab, "org": org, "request": request, "codes": codes}


@pytest.fixture
def lab_world(db: None) -> dict[str, Any]:
    return _lab_world()


def _write(data: bytes, suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)  # noqa: SIM115
    handle.write(data)
    handle.close()
    return Path(handle.name)


# --- the importers ------------------------------------------------------------------------------------

LIST_VALID = {
    "record_id": ["1", "2", "r-1"],
    "surname": ["Коваленко", "Petrenko"],
    "given_name": ["Андрей"],
    "birth_date": ["1985-02-11", "1985", "1985-02"],
    "event_date": ["2022-03-30"],
    "unit": ["в/ч 12345"],
}


@FUZZ
@given(data=csv_file(PERSON_LIST_COLUMNS, LIST_VALID))
def test_person_list_import(data: bytes) -> None:
    path = _write(data, ".csv")
    try:
        follows_the_rule(lambda: actions.import_list(None, path, "obituary", "Fuzzed list"))
    finally:
        path.unlink()


def _pfif(person: dict[str, str], notes: list[dict[str, str]]) -> bytes:
    import xml.etree.ElementTree as ET

    ET.register_namespace("pfif", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}pfif")
    element = ET.SubElement(root, f"{{{NAMESPACE}}}person")
    for name, value in person.items():
        ET.SubElement(element, f"{{{NAMESPACE}}}{name}").text = value
    for note in notes:
        child = ET.SubElement(element, f"{{{NAMESPACE}}}note")
        for name, value in note.items():
            ET.SubElement(child, f"{{{NAMESPACE}}}{name}").text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


PFIF_PERSON_FIELDS = [
    "person_record_id",
    "entry_date",
    "full_name",
    "given_name",
    "family_name",
    "sex",
    "date_of_birth",
    "age",
    "source_name",
    "source_date",
    "home_city",
    "description",
]
PFIF_NOTE_FIELDS = [
    "note_record_id",
    "entry_date",
    "status",
    "source_date",
    "text",
    "last_known_location",
    "author_made_contact",
    "linked_person_record_id",
]
PFIF_VALID = {
    "person_record_id": ["example.org/person.1", "example.org/p2"],
    "note_record_id": ["example.org/note.1"],
    "entry_date": ["2024-03-01T10:00:00Z"],
    "source_date": ["2024-03-01T09:00:00Z", "2024-13-01T09:00:00Z"],
    "sex": ["male", "female", "other"],
    "date_of_birth": ["1991-04", "1991-04-31"],
    "status": ["believed_dead", "believed_alive", "information_sought", "is_note_author"],
    "author_made_contact": ["true", "false", "maybe"],
}


@st.composite
def pfif_file(draw: Any) -> bytes:
    def record(fields: list[str]) -> dict[str, str]:
        chosen = draw(st.lists(st.sampled_from(fields), unique=True, max_size=len(fields)))
        return {name: draw(_cell(PFIF_VALID.get(name, []))) for name in chosen}

    document = _pfif(
        record(PFIF_PERSON_FIELDS), [record(PFIF_NOTE_FIELDS) for _ in range(draw(st.integers(0, 3)))]
    )
    mangle = draw(st.integers(0, 5))
    if mangle == 0:
        return document[: draw(st.integers(0, len(document)))]  # cut off
    if mangle == 1:
        return draw(st.binary(max_size=200))
    if mangle == 2:
        return document.decode("utf-8").encode("utf-16")  # declared utf-8, written utf-16
    return document


@FUZZ
@given(data=pfif_file())
def test_pfif_import(data: bytes) -> None:
    follows_the_rule(lambda: import_pfif_bytes(data, "fuzz.xml"))


GENOTYPE_VALID = {
    "sample": ["REF-1", "REF-2", "REM-1", "NOT-OURS"],
    "marker": ["D3S1358", "TH01", "AMEL", "vWA"],
    "allele1": ["15", "9.3", "X", "-"],
    "allele2": ["16", "9.3", "Y", ""],
}


@FUZZ
@given(data=csv_file(("sample", "marker", "allele1", "allele2"), GENOTYPE_VALID))
@example(data=b"sample,marker,allele1,allele2\nREF\x00-1,TH01,9.3,9.3\n")  # no NUL reaches PostgreSQL
def test_genotype_import(lab_world: dict[str, Any], data: bytes) -> None:
    follows_the_rule(lambda: store_lab_profiles(None, lab_world["lab"], "fuzz.csv", data))


@FUZZ
@given(
    data=csv_file(
        ("sample", "relationship", "request"),
        {
            "sample": ["NEW-1", "REF-1", "REM-1"],
            "relationship": ["mother", "father", "мать", "брат", "uncle"],
            "request": ["TR-2022-000001", ""],
        },
    )
)
@example(data=b"sample,relationship\nNEW\x00-1,mother\n")  # PostgreSQL refuses NUL in text
@example(data=b"sample,relationship,request\nNEW-2,mother,TR\x00\n")
def test_reference_samples_import(lab_world: dict[str, Any], data: bytes) -> None:
    follows_the_rule(lambda: register_reference_samples(None, lab_world["lab"], "fuzz.csv", data))


PEDIGREE_COLUMNS = ("family", "id", "father", "mother", "sex", "sample", "missing")


@st.composite
def pedigree_csv(draw: Any) -> bytes:
    number = "TR-FUZZ"  # replaced by the world's request number in the test
    valid = {
        "family": [number, "TR-0000-000000"],
        "id": ["F", "M", "S", "X"],
        "father": ["F", "", "S"],
        "mother": ["M", "", "X"],
        "sex": ["M", "F", "U", ""],
        "sample": ["REF-1", "REF-2", "", "REM-1"],
        "missing": ["1", "", "yes"],
    }
    return draw(csv_file(PEDIGREE_COLUMNS, valid))


@FUZZ
@given(data=pedigree_csv())
def test_pedigree_csv_import(lab_world: dict[str, Any], data: bytes) -> None:
    number = lab_world["request"].number
    path = _write(data.replace(b"TR-FUZZ", number.encode()), ".csv")
    try:
        follows_the_rule(lambda: import_pedigree_file(path, labs=[lab_world["lab"]], filename="fuzz.csv"))
    finally:
        path.unlink()


@FUZZ
@given(data=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(lambda t: t.encode("utf-8"))))
def test_pedigree_fam_import(lab_world: dict[str, Any], data: bytes) -> None:
    path = _write(data, ".fam")
    try:
        follows_the_rule(
            lambda: import_pedigree_file(
                path, request=lab_world["request"].number, missing="S", labs=[lab_world["lab"]]
            )
        )
    finally:
        path.unlink()


@FUZZ
@given(
    data=csv_file(
        BATCH_COLUMNS, {"code": ["B-1", "B-2", "B-1"], "sex": ["M", "F", "м", "?"], "age": ["30", "-4"]}
    ),
    code=st.sampled_from(["BATCH-1", "BATCH-2"]),
)
@example(data=b"code,sex\n" + "Я".encode() * 400 + b",M\n", code="BATCH-1")
@example(data=b'code,note\nB-1,"unclosed\rquote\n', code="BATCH-1")
@example(data=b"code,note\nB-1,a\x00b\n", code="BATCH-1")  # PostgreSQL refuses NUL in text
def test_repatriation_batch_import(db: None, data: bytes, code: str) -> None:
    """The file is fuzzed; the batch's own code is a form field (a bad one is the adapters' form error)."""
    text = data.decode("utf-8", errors="replace")
    follows_the_rule(lambda: import_batch(None, code=code, received_on=dt.date(2023, 8, 1), csv_text=text))


# --- the lab console: the same files through HTTP ----------------------------------------------------


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@settings(FUZZ, max_examples=20)  # a page a request: fewer examples, the same readers as above
@given(
    data=csv_file(
        ("sample", "marker", "allele1", "allele2"), {**GENOTYPE_VALID, "sample": ["BC-a-001", "BC-b-001"]}
    ),
    form=st.sampled_from(["profiles", "references", "pedigrees"]),
)
def test_lab_console_uploads(world: World, data: bytes, form: str) -> None:
    """The lab analyst's uploads: 302 when stored, 400 with the problems on the page when refused, and
    then nothing written."""
    client = verified_client(world.a.users["lab_analyst"], world.a.devices["lab_analyst"])
    field = {"profiles": "csv_file", "references": "csv_file", "pedigrees": "pedigree_file"}[form]
    url = {
        "profiles": "/en/lab/profiles/upload",
        "references": "/en/lab/references/upload",
        "pedigrees": "/en/lab/pedigrees/upload",
    }[form]
    before = table_counts()
    with transaction.atomic():
        response = client.post(url, {f"{form}-{field}": SimpleUploadedFile("fuzz.csv", data, "text/csv")})
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 400:
            changed = {k: v for k, v in table_counts().items() if v != before[k]}
            assert not changed, changed
        transaction.set_rollback(True)
