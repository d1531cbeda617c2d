"""Derive the outline drawn under the archive's offline map (archive/geodata/outline.json) from Natural Earth.

Run by hand, from the repository folder, when the gazetteer comes to span another part of the world:

    python tools/derive_outline.py [--source FOLDER] [--out FILE]

FOLDER holds `countries-50m.json`, the TopoJSON of the npm package world-atlas 2.0.2 (a redistribution of Natural
Earth 4.1.0; Natural Earth is in the public domain, the packaging is under the ISC licence); by default the
`shared/data/natural_earth` folder beside the repository. Only the standard library is used.

What it does: the box the gazetteer's coordinates span (archive/vocab/places.json), widened by a margin, decides
the region; every country whose outline meets that box is kept, clipped to it, simplified (Douglas-Peucker, in
degrees) and rounded, and written with a header naming the source and its licence. The file it writes is small
(tens of kilobytes) and is committed: the map page never needs the source files.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPOSITORY.parent / "shared" / "data" / "natural_earth"
DEFAULT_OUT = REPOSITORY / "archive" / "geodata" / "outline.json"
PLACES = REPOSITORY / "archive" / "vocab" / "places.json"
MARGIN = 6.0  # degrees added around the gazetteer's box
TOLERANCE = 0.08  # degrees: a point nearer than this to the line through its neighbours is dropped
DIGITS = 2  # decimals kept (about a kilometre)


def gazetteer_box(places_file: Path, margin: float = MARGIN) -> tuple[float, float, float, float]:
    """(west, south, east, north) of every place with coordinates, widened by `margin` degrees."""
    points = [(p["lon"], p["lat"]) for p in json.loads(places_file.read_text("utf-8"))["places"] if "lat" in p]
    lons, lats = [x for x, _ in points], [y for _, y in points]
    return (
        max(-180.0, min(lons) - margin),
        max(-90.0, min(lats) - margin),
        min(180.0, max(lons) + margin),
        min(90.0, max(lats) + margin),
    )


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON's quantized, delta-encoded arcs as lists of (lon, lat)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """A closed ring from its arcs (a negative index ~i is arc i walked backwards); shared ends are not repeated."""
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def polygons(geometry: dict, arcs: list) -> list[list[list[tuple[float, float]]]]:
    if geometry.get("type") == "Polygon":
        return [[ring(r, arcs) for r in geometry["arcs"]]]
    if geometry.get("type") == "MultiPolygon":
        return [[ring(r, arcs) for r in polygon] for polygon in geometry["arcs"]]
    return []


def clip(points: list[tuple[float, float]], box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of a ring inside the box (a ring wholly outside gives [])."""
    west, south, east, north = box
    edges = (
        (lambda p: p[0] >= west, lambda a, b: _cross_x(a, b, west)),
        (lambda p: p[0] <= east, lambda a, b: _cross_x(a, b, east)),
        (lambda p: p[1] >= south, lambda a, b: _cross_y(a, b, south)),
        (lambda p: p[1] <= north, lambda a, b: _cross_y(a, b, north)),
    )
    for inside, cross in edges:
        if not points:
            break
        kept = []
        previous = points[-1]
        for point in points:
            if inside(point):
                if not inside(previous):
                    kept.append(cross(previous, point))
                kept.append(point)
            elif inside(previous):
                kept.append(cross(previous, point))
            previous = point
        points = kept
    return points


def _cross_x(a: tuple[float, float], b: tuple[float, float], x: float) -> tuple[float, float]:
    return (x, a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0]))


def _cross_y(a: tuple[float, float], b: tuple[float, float], y: float) -> tuple[float, float]:
    return (a[0] + (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]), y)


def simplify(points: list[tuple[float, float]], tolerance: float = TOLERANCE) -> list[tuple[float, float]]:
    """Douglas-Peucker on an open line (a ring is simplified as a line from its first point back to itself)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, distance = None, tolerance
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > distance:
                farthest, distance = i, d
        if farthest is not None:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance from p to the line through a and b (to a itself when they are the same point)."""
    (x, y), (x1, y1), (x2, y2) = p, a, b
    length = math.hypot(x2 - x1, y2 - y1)
    if length == 0:
        return math.hypot(x - x1, y - y1)
    return abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length


def derive(source: Path, places_file: Path = PLACES) -> dict:
    """The outline document: header, box, and each kept country's rings as [[lon, lat], ...]."""
    topology = json.loads((source / "countries-50m.json").read_text("utf-8"))
    arcs = decode_arcs(topology)
    box = gazetteer_box(places_file)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        rings = []
        for polygon in polygons(geometry, arcs):
            for outline in polygon[:1]:  # the outer ring only: lakes and enclaves are not drawn at this scale
                closed = simplify([*outline, outline[0]])
                cut = clip(closed[:-1], box)
                rounded = [[round(x, DIGITS), round(y, DIGITS)] for x, y in cut]
                deduplicated = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
                if len(deduplicated) >= 3:
                    rings.append(deduplicated)
        if rings:
            countries.append({"id": geometry.get("id", ""), "name": geometry["properties"]["name"], "rings": rings})
    countries.sort(key=lambda c: c["name"])
    return {
        "about": (
            "Outline of the countries around the places of the archive's gazetteer, for the offline map. Derived by "
            "tools/derive_outline.py (clipped to the gazetteer's box with a margin, simplified, rounded to "
            f"{DIGITS} decimals) from Natural Earth's 1:50m countries as packaged in TopoJSON by world-atlas 2.0.2."
        ),
        "source": "Natural Earth 4.1.0, Admin 0 countries 1:50m, https://www.naturalearthdata.com/ (public domain)",
        "packaging": "world-atlas 2.0.2, https://github.com/topojson/world-atlas (ISC licence, Michael Bostock)",
        "licence": "Natural Earth data is in the public domain; no permission is needed to use or share it.",
        "box": [round(v, DIGITS) for v in box],
        "countries": countries,
    }


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with countries-50m.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the outline")
    parser.add_argument("--places", type=Path, default=PLACES, help="the gazetteer whose box decides the region")
    args = parser.parse_args(argv)
    document = derive(args.source, args.places)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    return args.out


if __name__ == "__main__":
    written = main()
    print(f"wrote {written.name}: {written.stat().st_size // 1024} KB")
