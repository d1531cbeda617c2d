"""The offline map: the outline of the region (archive/geodata/outline.json, derived from Natural Earth by
tools/derive_outline.py) and the gazetteer's places drawn as SVG shapes, without a tile server or any request
elsewhere.

Longitude and latitude are projected equirectangularly, longitude scaled by the cosine of the middle latitude (the
region is far from the poles, so shapes stay recognisable). A place's circle has an area proportional to the number
of records that mention it; an event's route is a line through its places in order, with numbered stops. This
module only computes shapes: which places and counts a reader may see is decided by the caller.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

OUTLINE = Path(__file__).parent / "geodata" / "outline.json"
WIDTH = 960  # SVG user units across; the page scales the drawing to the screen
MIN_RADIUS, MAX_RADIUS = 4.0, 16.0
PAD = 1.0  # degrees kept around points that fall outside the outline's box


@dataclass(frozen=True)
class Place:
    """A place to draw: its name in the page's language, coordinates, and how many records mention it."""

    id: str
    name: str
    lat: float
    lon: float
    count: int = 0
    area: bool = False  # a region or a country: drawn at its middle, as a ring


@dataclass(frozen=True)
class Point:
    id: str
    name: str
    count: int
    x: float
    y: float
    r: float
    highlighted: bool
    label: tuple[float, float, str] | None  # where its name is written (x, y, text-anchor), or None: not named
    area: bool = False


@dataclass(frozen=True)
class Stop:
    n: int
    id: str
    name: str
    x: float
    y: float


@dataclass(frozen=True)
class Route:
    id: str
    name: str
    date: str
    stops: list[Stop]

    @property
    def points(self) -> str:
        """The polyline's points attribute."""
        return " ".join(f"{s.x:.1f},{s.y:.1f}" for s in self.stops)


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    land: list[tuple[str, str]]  # (country name, path data)
    points: list[Point]
    routes: list[Route]
    legend_counts: list[tuple[int, float]]  # (count, radius) for the legend's circles


@cache
def outline() -> dict:
    """The committed outline: header (source, licence), box and countries' rings."""
    return json.loads(OUTLINE.read_text("utf-8"))


class Projection:
    """Lon/lat to SVG coordinates over a box (west, south, east, north), WIDTH units wide, north up."""

    def __init__(self, box: tuple[float, float, float, float], width: int = WIDTH):
        self.west, self.south, self.east, self.north = box
        self.k = math.cos(math.radians((self.south + self.north) / 2))
        self.scale = width / ((self.east - self.west) * self.k)
        self.width = width
        self.height = round((self.north - self.south) * self.scale)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.k * self.scale, (self.north - lat) * self.scale


def view_box(places: list[Place], box: list[float]) -> tuple[float, float, float, float]:
    """The outline's box, widened to hold every place (a place added far away still shows)."""
    west, south, east, north = box
    for p in places:
        west, east = min(west, p.lon - PAD), max(east, p.lon + PAD)
        south, north = min(south, p.lat - PAD), max(north, p.lat + PAD)
    return west, south, east, north


def radius(count: int, most: int) -> float:
    """Circle radius by count on a square-root scale (area proportional to count); the smallest for none."""
    if count <= 0 or most <= 0:
        return MIN_RADIUS
    return MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * math.sqrt(count / most)


LABEL_SIZE = 13  # the labels' font size in SVG units (archive.css), for telling whether two names would overlap


def place_label(
    name: str, x: float, y: float, r: float, taken: list[tuple[float, float, float, float]]
) -> tuple[float, float, str] | None:
    """Where to write a place's name: right of its circle, else left, else above or below; None when every side
    would cover a name already placed (`taken`, boxes as (left, top, right, bottom), is extended)."""
    width = sum(LABEL_SIZE if ord(c) > 0x2E80 else LABEL_SIZE * 0.6 for c in name)  # CJK glyphs are square
    tries = (
        (x + r + 3, y + 5, "start", x + r + 3, x + r + 3 + width),
        (x - r - 3, y + 5, "end", x - r - 3 - width, x - r - 3),
        (x, y - r - 4, "middle", x - width / 2, x + width / 2),
        (x, y + r + LABEL_SIZE, "middle", x - width / 2, x + width / 2),
    )
    for tx, ty, anchor, left, right in tries:
        box = (left, ty - LABEL_SIZE, right, ty + 3)
        if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
            taken.append(box)
            return tx, ty, anchor
    return None


def path_data(rings: list[list[list[float]]], project: Projection) -> str:
    parts = []
    for ring in rings:
        xy = [project(lon, lat) for lon, lat in ring]
        parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in xy) + "Z")
    return "".join(parts)


def draw(
    places: list[Place],
    routes: list[tuple[str, str, str, list[Place]]],
    highlight: str | None = None,
    labels: int = 16,
) -> Drawing:
    """The map of these places (circles by count) and routes ((event id, name, date, places in order)); the
    `labels` places mentioned most, and the highlighted one, are named on the map itself."""
    shape = outline()
    route_places = [p for _, _, _, stops in routes for p in stops]
    project = Projection(view_box(places + route_places, shape["box"]))
    most = max((p.count for p in places), default=0)
    ranked = sorted(places, key=lambda p: (p.id != highlight, -p.count, p.name))
    named = {p.id for p in ranked[: labels + (highlight is not None)] if p.count or p.id == highlight}
    taken: list[tuple[float, float, float, float]] = []
    where = {}
    for p in ranked:  # the highlighted place first, then the most mentioned, each name where it is clear of others
        x, y = project(p.lon, p.lat)
        r = radius(p.count, most)
        if p.id in named:
            where[p.id] = place_label(p.name, x, y, r, taken)
    points = [
        Point(
            p.id,
            p.name,
            p.count,
            *project(p.lon, p.lat),
            radius(p.count, most),
            p.id == highlight,
            where.get(p.id),
            p.area,
        )
        for p in sorted(
            places, key=lambda p: (p.id == highlight, -p.count)
        )  # small circles, and the chosen one, on top
    ]
    drawn_routes = []
    for event_id, name, date, stops in routes:
        projected = [Stop(n, s.id, s.name, *project(s.lon, s.lat)) for n, s in enumerate(stops, 1)]
        if len(projected) >= 2:
            drawn_routes.append(Route(event_id, name, date, projected))
    legend = sorted({c for c in (1, most // 2 if most >= 4 else 0, most) if c > 0})
    return Drawing(
        project.width,
        project.height,
        [(c["name"], path_data(c["rings"], project)) for c in shape["countries"]],
        points,
        drawn_routes,
        [(c, radius(c, most)) for c in legend],
    )
