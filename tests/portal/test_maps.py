"""The map of remains and sites: Web Mercator placement, tiles when configured, coordinates otherwise."""

from __future__ import annotations

import pytest

from kinlink.portal.maps import HEIGHT, WIDTH, MapPoint, build_map, project, unproject


def test_projection_round_trip_and_known_tile() -> None:
    x, y = project(50.45, 30.5236, 10)  # Kyiv
    assert (int(x // 256), int(y // 256)) == (
        598,
        345,
    )  # slippy-map tile numbers: x = floor((lon + 180) / 360 · 2^z)
    lat, lon = unproject(x, y, 10)
    assert lat == pytest.approx(50.45, abs=1e-9) and lon == pytest.approx(30.5236, abs=1e-9)


def test_points_fit_the_frame_and_precision_becomes_a_circle() -> None:
    points = [MapPoint(50.58, 30.21, "grave", "site", 300), MapPoint(50.45, 30.52, "morgue", "site", None)]
    view = build_map(points)
    assert view is not None and view.tiles == []
    for marker in view.markers:
        assert 0 <= marker.x <= WIDTH and 0 <= marker.y <= HEIGHT
    assert view.markers[0].radius > 0 and view.markers[1].radius == 0
    assert view.south < 50.45 < 50.58 < view.north and view.west < 30.21 < 30.52 < view.east


def test_tiles_cover_the_frame_when_a_tile_server_is_configured() -> None:
    view = build_map([MapPoint(50.58, 30.21, "grave", "site")], "https://tiles.example/{z}/{x}/{y}.png")
    assert view is not None and view.zoom == 15
    assert all(t.url.startswith("https://tiles.example/15/") for t in view.tiles)
    covered_x = {t.x for t in view.tiles}
    assert min(covered_x) <= 0 and max(covered_x) + 256 >= WIDTH


def test_zoom_leaves_room_for_the_uncertainty_circle() -> None:
    view = build_map([MapPoint(48.64, 38.36, "field grave", "site", 2000)])
    assert view is not None
    marker = view.markers[0]
    assert 0 < marker.radius <= (HEIGHT - 2 * 40) / 2
    assert (
        marker.radius <= marker.x <= WIDTH - marker.radius
        and marker.radius <= marker.y <= HEIGHT - marker.radius
    )


def test_no_points_no_map() -> None:
    assert build_map([]) is None


def test_every_legal_text_is_marked_for_translation() -> None:
    import json
    from importlib import resources

    from kinlink.portal.legal_messages import GENDERED_TEXTS, LEGAL_TEXTS

    rules = json.loads(
        resources.files("kinlink.registry").joinpath("data", "legal_rules.json").read_text("utf-8")
    )
    texts = {j["name"] for j in rules["jurisdictions"].values()}
    texts |= {
        r[key] for j in rules["jurisdictions"].values() for r in j["rules"] for key in ("title", "plain")
    }
    texts |= set(rules["waits"].values()) | {r["title"] for r in rules["reply_rules"].values()}
    assert texts == set(LEGAL_TEXTS) | set(GENDERED_TEXTS)
    assert all(" him" in text for text in GENDERED_TEXTS)
