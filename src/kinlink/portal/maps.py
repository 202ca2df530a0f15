"""Remains and sites on a map without JavaScript: an inline SVG in Web Mercator.

With a tile URL template configured (``settings.MAP_TILE_URL``, e.g. OpenStreetMap's
``https://tile.openstreetmap.org/{z}/{x}/{y}.png``) the SVG lays the 256-pixel tiles under the
markers. Without one it falls back to a plain coordinate view: the same projection on a blank
field with the bounding coordinates written at the edges, and no request leaves the server.
Location uncertainty (metres) is drawn as a circle around a marker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TILE = 256
WIDTH = 480
HEIGHT = 300
MARGIN = 40
MAX_ZOOM = 15


@dataclass(frozen=True, slots=True)
class MapPoint:
    latitude: float
    longitude: float
    label: str
    kind: str  # "site", "remains", "claim", "event": used as a CSS class
    precision_m: int | None = None


@dataclass(frozen=True, slots=True)
class PlacedMarker:
    x: float
    y: float
    radius: float  # uncertainty circle in pixels, 0 when unknown or tiny
    number: int
    point: MapPoint


@dataclass(frozen=True, slots=True)
class PlacedTile:
    x: int
    y: int
    url: str


@dataclass(frozen=True, slots=True)
class MapView:
    width: int
    height: int
    zoom: int
    markers: list[PlacedMarker]
    tiles: list[PlacedTile]
    north: float
    south: float
    west: float
    east: float


def project(latitude: float, longitude: float, zoom: int) -> tuple[float, float]:
    """World pixel coordinates of a point at a zoom level (Web Mercator, 256-pixel tiles)."""
    scale = TILE * 2**zoom
    lat = max(min(latitude, 85.05112878), -85.05112878)
    x = (longitude + 180.0) / 360.0 * scale
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


def unproject(x: float, y: float, zoom: int) -> tuple[float, float]:
    scale = TILE * 2**zoom
    longitude = x / scale * 360.0 - 180.0
    n = math.pi - 2 * math.pi * y / scale
    latitude = math.degrees(math.atan(math.sinh(n)))
    return latitude, longitude


def metres_per_pixel(latitude: float, zoom: int) -> float:
    return 156543.03392 * math.cos(math.radians(latitude)) / 2**zoom


def build_map(points: list[MapPoint], tile_url: str = "") -> MapView | None:
    """Fit the points into the frame at the largest zoom that holds them all; None without points."""
    if not points:
        return None
    zoom = MAX_ZOOM
    while zoom > 1:
        # The points and their uncertainty circles must fit inside the margins.
        placed = [
            (
                *project(p.latitude, p.longitude, zoom),
                (p.precision_m or 0) / metres_per_pixel(p.latitude, zoom),
            )
            for p in points
        ]
        width = max(x + r for x, _, r in placed) - min(x - r for x, _, r in placed)
        height = max(y + r for _, y, r in placed) - min(y - r for _, y, r in placed)
        if width <= WIDTH - 2 * MARGIN and height <= HEIGHT - 2 * MARGIN:
            break
        zoom -= 1
    xs, ys = zip(*(project(p.latitude, p.longitude, zoom) for p in points), strict=True)
    left = (max(xs) + min(xs)) / 2 - WIDTH / 2
    top = (max(ys) + min(ys)) / 2 - HEIGHT / 2
    markers = []
    for number, (point, x, y) in enumerate(zip(points, xs, ys, strict=True), start=1):
        radius = (point.precision_m or 0) / metres_per_pixel(point.latitude, zoom)
        markers.append(
            PlacedMarker(
                round(x - left, 1),
                round(y - top, 1),
                round(min(radius, WIDTH), 1) if radius >= 3 else 0.0,
                number,
                point,
            )
        )
    tiles: list[PlacedTile] = []
    if tile_url:
        count = 2**zoom
        for ty in range(math.floor(top / TILE), math.floor((top + HEIGHT) / TILE) + 1):
            if not 0 <= ty < count:
                continue
            for tx in range(math.floor(left / TILE), math.floor((left + WIDTH) / TILE) + 1):
                url = tile_url.format(z=zoom, x=tx % count, y=ty)
                tiles.append(PlacedTile(round(tx * TILE - left), round(ty * TILE - top), url))
    north, west = unproject(left, top, zoom)
    south, east = unproject(left + WIDTH, top + HEIGHT, zoom)
    return MapView(
        WIDTH, HEIGHT, zoom, markers, tiles, round(north, 4), round(south, 4), round(west, 4), round(east, 4)
    )
