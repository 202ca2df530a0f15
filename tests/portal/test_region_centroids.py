"""The public map's region centroids come from the product's own table, not from the synthetic gazetteer,
and cover every region the scenario and the demo record."""

from __future__ import annotations

import csv
from collections import defaultdict

from kinlink.portal.figures import REGION_CENTROIDS_FILE, bubble_map, region_centroids
from kinlink.scenario.names import places

#: Regions the demo's seed cases record (kinlink.registry.services.demo / kinlink.demo).
DEMO_REGIONS = ("Псковская область", "Луганская область")


def test_the_table_covers_every_region_of_the_scenario_and_the_demo() -> None:
    centroids = region_centroids()
    used = {p.region for p in places()} | set(DEMO_REGIONS)
    assert sorted(used - set(centroids)) == []


def test_centroids_are_rounded_plausible_and_near_the_scenario_places() -> None:
    with REGION_CENTROIDS_FILE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len({r["region"] for r in rows}) == len(rows)  # one row per region
    for row in rows:
        assert row["country"] in ("RU", "UA")
        for key in ("lat", "lon"):
            assert len(row[key].split(".")[-1]) == 1, row  # rounded to 0.1 degree
        assert 41.0 <= float(row["lat"]) <= 70.0 and 20.0 <= float(row["lon"]) <= 180.0, row
    # a swapped or mistyped coordinate would put a region far from every place the scenario puts in it
    by_region: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for p in places():
        by_region[p.region].append((p.lat, p.lon))
    centroids = region_centroids()
    for region, points in by_region.items():
        lat, lon = centroids[region]
        assert min(max(abs(lat - a), abs(lon - b)) for a, b in points) < 10.0, region


def test_ukrainian_spellings_are_placed_too() -> None:
    assert region_centroids()["Луганська область"] == region_centroids()["Луганская область"]


def test_the_bubble_map_places_every_region_of_the_scenario() -> None:
    counts: dict[str, int | None] = {p.region: 3 for p in places()}
    counts["Нигдешняя область"] = 2
    bubbles, unplaced = bubble_map(counts)
    assert {b.label for b in bubbles} == {p.region for p in places()}
    assert unplaced == ["Нигдешняя область"]
