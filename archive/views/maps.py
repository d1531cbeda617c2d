"""The offline map (/map): every place of the gazetteer that the records this reader may see mention, sized by how
many mention it, and the routes of events that name their places in order; drawn on the server as SVG, with no
script and no request to another host."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from .. import maps, vocab
from .loaders import collection, facet_counts

bp = Blueprint("maps", __name__)
AREAS = {"region", "country"}  # places drawn at their middle as a ring, not as a settlement's dot


@bp.get("/map")
def show():
    gazetteer = vocab.gazetteer(collection()).places
    counts = facet_counts("village")  # interviews and items alike, with this reader's access applied by the index
    highlight = request.args.get("place") if request.args.get("place") in gazetteer else None
    mentioned = sorted(
        (p for p in gazetteer.values() if counts.get(p.id) or p.id == highlight),
        key=lambda p: p.name(g.lang).casefold(),
    )
    drawn = [
        maps.Place(p.id, p.name(g.lang), p.lat, p.lon, counts.get(p.id, 0), p.type in AREAS)
        for p in mentioned
        if p.lat is not None and p.lon is not None
    ]
    routes = []
    for event in vocab.events(collection()):
        stops = [gazetteer[i] for i in event.data.get("route", []) if i in gazetteer]
        stops = [
            maps.Place(p.id, p.name(g.lang), p.lat, p.lon) for p in stops if p.lat is not None and p.lon is not None
        ]
        if len(stops) >= 2:
            routes.append((event.id, event.name(g.lang), event.date, stops))
    return render_template(
        "maps/show.html",
        drawing=maps.draw(drawn, routes, highlight),
        places=[(p, counts.get(p.id, 0)) for p in mentioned],
        unmapped=[p for p in mentioned if p.lat is None or p.lon is None],
        highlight=gazetteer.get(highlight) if highlight else None,
    )
