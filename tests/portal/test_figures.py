"""The public figures page: no sign-in, three languages, no names, suppression that holds in the CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator

import numpy as np
import pytest
from django.core.cache import cache
from django.test import Client

from kinlink.estimation.aggregates import attack_intervals
from tests.registry.services.figures_world import SECRET_SURNAME, add_person, build_region, list_sources

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry() -> Iterator[None]:
    cache.clear()
    s = list_sources()
    build_region(s, "Донецкая область", 64, date="2022-05")
    build_region(s, "Луганская область", 40, start=100, date="2022-09")
    build_region(s, "Харьковская область", 24, start=200, date="2023-01")
    for i in range(3):  # a small region: withheld everywhere
        add_person(s, ["Family requests", "Prisoner list"], "Курская область", date="2022-05", number=300 + i)
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Public figures"), ("ru", "Открытые цифры"), ("uk", "Відкриті дані")]
)
def test_page_renders_without_sign_in_in_every_language(registry: None, language: str, heading: str) -> None:
    r = Client().get(f"/{language}/figures/")
    assert r.status_code == 200
    page = r.content.decode()
    assert heading in page
    assert page.count("<svg") == 3  # estimate, timeline, map
    assert "<script" not in page and "style=" not in page
    assert len(r.content) < 100_000
    assert SECRET_SURNAME not in page and "Person1" not in page


def test_page_is_linked_from_home_and_has_a_method_page(registry: None) -> None:
    assert b"/en/figures/" in Client().get("/en/").content
    r = Client().get("/uk/figures/method")
    assert r.status_code == 200
    assert "10" in r.content.decode()


def _csv_tables(text: str) -> dict[str, dict[tuple[str, str], int | None]]:
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == [
        "table",
        "row_variable",
        "row_value",
        "column_variable",
        "column_value",
        "people",
        "withheld",
    ]
    tables: dict[str, dict[tuple[str, str], int | None]] = defaultdict(dict)
    for row in reader:
        assert row["withheld"] == ("yes" if not row["people"] else "no")
        if " x " in row["table"]:
            assert row["table"] == f"{row['row_variable']} x {row['column_variable']}"
        else:
            assert row["row_variable"] == row["table"] and row["column_variable"] == ""
        value = int(row["people"]) if row["people"] else None
        tables[row["table"]][(row["row_value"], row["column_value"])] = value
    return tables


def test_csv_withholds_small_cells_and_they_cannot_be_recovered(registry: None) -> None:
    r = Client().get("/en/figures/figures.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    text = r.content.decode()
    assert SECRET_SURNAME not in text
    tables = _csv_tables(text)
    assert tables["region"][("Курская область", "")] is None
    assert tables["region"][("Донецкая область", "")] == 64
    crosses = {k: v for k, v in tables.items() if " x " in k}
    assert "region x fate" in crosses
    attacked = 0
    for name, cells in crosses.items():
        rows = [x for x in dict.fromkeys(r for r, _ in cells) if x != "total"]
        cols = [x for x in dict.fromkeys(c for _, c in cells) if x != "total"]
        values = np.zeros((len(rows) + 1, len(cols) + 1))
        hidden = np.zeros_like(values, dtype=bool)
        for i, rl in enumerate([*rows, "total"]):
            for j, cl in enumerate([*cols, "total"]):
                v = cells[(rl, cl)]
                hidden[i, j] = v is None
                values[i, j] = 0 if v is None else v
        for (i, j), (lo, hi) in attack_intervals(values, hidden).items():
            attacked += 1
            assert hi - lo >= 1 - 1e-6, (
                f"{name}: cell ({rows[i] if i < len(rows) else 'total'}, {j}) recovered"
            )
    assert attacked > 0  # the small region forced withheld cells that the attack tried


def test_figures_are_cached(registry: None) -> None:
    Client().get("/en/figures/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert Client().get("/ru/figures/figures.csv").status_code == 200
    assert len(ctx.captured_queries) <= 3  # sessions at most; no figures recomputed


@pytest.mark.parametrize(
    ("language", "labels", "codes"),
    [
        ("en", ["dead", "family report", "unknown", "motor rifle troops"], []),
        ("ru", ["погиб", "сообщение семьи", "неизвестно", "мотострелковые войска"], ["family_report"]),
        ("uk", ["загинув", "повідомлення родини", "невідомо", "мотострілецькі війська"], ["family_report"]),
    ],
)
def test_page_shows_labels_not_codes(
    registry: None, language: str, labels: list[str], codes: list[str]
) -> None:
    s = list_sources()
    for i in range(12):
        add_person(s, ["Family requests"], "Донецкая область", branch="motor_rifle", number=400 + i)
        add_person(s, ["Family requests"], "Донецкая область", branch="", number=500 + i)
    page = Client().get(f"/{language}/figures/").content.decode()
    for label in labels:
        assert f">{label}<" in page, label
    for code in ["family_report", "motor_rifle", "death_registered", *codes]:
        assert f">{code}<" not in page, code


@pytest.mark.parametrize(
    ("language", "as_of"),
    [("en", "Figures as of "), ("ru", "Данные на "), ("uk", "Дані станом на ")],
)
def test_page_reads_the_stored_snapshot_and_says_when_it_was_computed(
    registry: None, language: str, as_of: str
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kinlink.registry.services.figures import refresh_public_figures

    ref = refresh_public_figures()
    Client().get(f"/{language}/figures/")  # the snapshot's JSON decoded once in this process
    with CaptureQueriesContext(connection) as ctx:
        r = Client().get(f"/{language}/figures/")
    assert r.status_code == 200
    assert len(ctx.captured_queries) == 1, [q["sql"] for q in ctx.captured_queries]
    assert "registry_figuressnapshot" in ctx.captured_queries[0]["sql"]
    page = r.content.decode()
    assert as_of in page and f"{ref.computed_at:%Y}" in page and "(UTC)" in page
    assert r["Cache-Control"] == "public, max-age=60"
    assert ref.digest[:24] in r["ETag"]
    assert r["Last-Modified"]


def test_a_browser_holding_the_current_page_gets_a_304(registry: None) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kinlink.registry.services.figures import refresh_public_figures

    refresh_public_figures()
    for path in ("/en/figures/", "/en/figures/figures.csv"):
        r = Client().get(path)
        with CaptureQueriesContext(connection) as ctx:
            again = Client().get(path, HTTP_IF_NONE_MATCH=r["ETag"])
        assert again.status_code == 304 and again.content == b""
        assert again["ETag"] == r["ETag"] and len(ctx.captured_queries) == 1
        assert Client().get(path, HTTP_IF_MODIFIED_SINCE=r["Last-Modified"]).status_code == 304
        assert Client().get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    # another language is another page
    ru = Client().get("/ru/figures/", HTTP_IF_NONE_MATCH=Client().get("/en/figures/")["ETag"])
    assert ru.status_code == 200


def test_new_figures_change_the_etag(registry: None) -> None:
    from kinlink.registry.services.figures import refresh_public_figures

    refresh_public_figures()
    old = Client().get("/en/figures/")
    s = list_sources()
    for i in range(12):
        add_person(s, ["Family requests"], "Харьковская область", number=600 + i)
    refresh_public_figures()
    r = Client().get("/en/figures/", HTTP_IF_NONE_MATCH=old["ETag"])
    assert r.status_code == 200 and r["ETag"] != old["ETag"]
    assert "Харьковская область" in r.content.decode()


def test_a_page_with_a_flash_message_is_not_shared(registry: None) -> None:
    """A message for this visitor (signed out a moment ago) makes the page private and unvalidated."""
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest, HttpResponse

    request = HttpRequest()
    storage = CookieStorage(request)
    storage.add(constants.INFO, "You have signed out.")
    response = HttpResponse()
    storage.update(response)
    client = Client()
    client.cookies[CookieStorage.cookie_name] = response.cookies[CookieStorage.cookie_name].value
    r = client.get("/en/figures/")
    assert "You have signed out." in r.content.decode()
    assert r["Cache-Control"] == "private, no-cache" and not r.has_header("ETag")
