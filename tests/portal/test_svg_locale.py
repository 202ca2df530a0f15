"""Every chart and map reads the same in every language: numbers written into SVG are machine numbers
(``240.0``, never the Russian or Ukrainian ``240,0`` that a browser cannot draw)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from tests.portal.portal_world import World, verified_client
from tests.registry.services.figures_world import add_person, build_region, list_sources

pytestmark = pytest.mark.django_db

LANGUAGES = ("ru", "uk", "en")
NUMERIC = {"cx", "cy", "r", "x", "y", "dx", "dy", "width", "height", "x1", "x2", "y1", "y2", "rx", "ry"}
LISTS = {"viewBox", "points"}
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def inline_svgs(page: str) -> list[ET.Element]:
    """Each ``<svg>`` of a page, parsed as XML (a malformed one fails the parse)."""
    return [ET.fromstring(chunk) for chunk in re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)]


def bad_numbers(svg: ET.Element) -> list[str]:
    """Attributes whose value is not a machine number (or list of them): ``tag@attr=value``."""
    bad = []
    for element in svg.iter():
        for name, value in element.attrib.items():
            if name in NUMERIC:
                try:
                    float(value)
                except ValueError:
                    bad.append(f"{element.tag}@{name}={value!r}")
            elif name in LISTS:
                parts = value.replace(",", " ").split() if name == "points" else value.split()
                if ("," in value and name == "viewBox") or not all(_NUMBER.fullmatch(p) for p in parts):
                    bad.append(f"{element.tag}@{name}={value!r}")
            elif name == "transform":
                inner = re.findall(r"\(([^)]*)\)", value)
                for args in inner:
                    for p in re.split(r"[\s,]+", args.strip()):
                        if p and not _NUMBER.fullmatch(p):
                            bad.append(f"{element.tag}@{name}={value!r}")
    return bad


def assert_svgs_numeric(page: str, expected: int) -> list[ET.Element]:
    svgs = inline_svgs(page)
    assert len(svgs) == expected
    for svg in svgs:
        assert bad_numbers(svg) == []
    return svgs


@pytest.fixture
def registry() -> Iterator[None]:
    """Three regions large enough to publish and estimate, one small region withheld."""
    cache.clear()
    s = list_sources()
    build_region(s, "Донецкая область", 64, date="2022-05")
    build_region(s, "Луганская область", 40, start=100, date="2022-09")
    build_region(s, "Харьковская область", 24, start=200, date="2023-01")
    for i in range(3):
        add_person(s, ["Family requests", "Prisoner list"], "Курская область", date="2022-05", number=300 + i)
    yield
    cache.clear()


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_figures_charts_have_machine_numbers(registry: None, language: str) -> None:
    page = Client().get(f"/{language}/figures/").content.decode()
    svgs = assert_svgs_numeric(page, 3)
    # The charts are not empty: the timeline has bars, the map has bubbles with fractional coordinates.
    circles = [c for svg in svgs for c in svg.iter("circle")]
    assert len(circles) >= 4
    assert any("." in c.attrib["cx"] for c in circles)
    assert len([r for r in svgs[1].iter("rect")]) >= 3


@pytest.mark.parametrize("language", LANGUAGES)
def test_method_page_has_no_broken_svg(registry: None, language: str) -> None:
    page = Client().get(f"/{language}/figures/method").content.decode()
    for svg in inline_svgs(page):
        assert bad_numbers(svg) == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("tiles", ["", "https://tiles.example/{z}/{x}/{y}.png"])
def test_case_map_has_machine_numbers(world: World, language: str, tiles: str) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    with override_settings(MAP_TILE_URL=tiles):
        page = client.get(f"/{language}/staff/cases/{world.a.case.pk}/").content.decode()
    (svg,) = assert_svgs_numeric(page, 1)
    markers = [c for c in svg.iter("circle") if "marker" in c.attrib.get("class", "")]
    precision = [c for c in svg.iter("circle") if c.attrib.get("class") == "precision"]
    assert markers and precision  # the field grave and its 300 m circle
    assert float(precision[0].attrib["r"]) > 0
    if tiles:
        assert list(svg.iter("image"))


def test_checker_catches_a_decimal_comma() -> None:
    svg = ET.fromstring('<svg viewBox="0 0 480 300"><circle cx="240,0" cy="12.5" r="3"/></svg>')
    assert bad_numbers(svg) == ["circle@cx='240,0'"]
    assert bad_numbers(ET.fromstring('<svg viewBox="0 0 480,5 300"/>')) != []


def test_legal_status_date_keeps_its_value_in_russian(world: World) -> None:
    """``<input type=date>`` takes only yyyy-mm-dd: the initial date and a re-rendered value stay ISO."""
    supervisor = verified_client(world.a.users["supervisor"], world.a.devices["supervisor"])
    page = supervisor.get(f"/ru/staff/cases/{world.a.case.pk}/").content.decode()
    initial = re.search(r'<input type="date" name="effective_on" value="([^"]*)"', page)
    assert initial and re.fullmatch(r"\d{4}-\d{2}-\d{2}", initial.group(1))
    bad = supervisor.post(
        f"/ru/staff/cases/{world.a.case.pk}/legal",
        {"to_status": "payments_claimed", "effective_on": "2024-02-10", "note": "x" * 1001},
    )
    assert bad.status_code == 400
    assert 'name="effective_on" value="2024-02-10"' in bad.content.decode()


def test_case_page_writes_partial_dates_in_the_reader_language(world: World) -> None:
    client = verified_client(world.a.users["caseworker"], world.a.devices["caseworker"])
    russian = client.get(f"/ru/staff/cases/{world.a.case.pk}/").content.decode()
    assert "30\u00a0марта 2022\u00a0г." in russian and ">2022-03-30<" not in russian
    english = client.get(f"/en/staff/cases/{world.a.case.pk}/").content.decode()
    assert "30 March 2022" in english
