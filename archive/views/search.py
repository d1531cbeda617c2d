"""Search and browse pages: one box on every page, results grouped by interview, facets with counts."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, g, render_template, request, url_for

from .. import vocab
from ..i18n import N_, translate
from ..search import FACETS, Results
from .loaders import collection, search_index
from .media import KIND_NAMES
from .paging import page_number

bp = Blueprint("search", __name__)

FACET_TITLES = {
    "village": N_("Village"),
    "surname": N_("Surname"),
    "region": N_("Region"),
    "decade": N_("Decade"),
    "event": N_("Event"),
    "place": N_("Recorded in"),
    "person": N_("Person"),
    "language": N_("Language"),
    "kind": N_("Kind"),
    "narrator": N_("Narrator"),
    "interviewer": N_("Interviewer"),
    "collection": N_("Collection"),
    "institution": N_("Institution"),
}


BROWSE_TITLES = {
    "villages": N_("Villages A to Z"),
    "surnames": N_("Surnames A to Z"),
    "decades": N_("Decades"),
}
# what the query parser (archive/search/parsing.py) may say of a query, marked here for the catalogues
PARSER_MESSAGES = (N_("The search had only very common words; try more specific ones."),)


PLACE_FACETS = ("village", "place", "region")  # facets whose values are places of the gazetteer


RECORD_KINDS = {"interview": N_("Interview"), **KIND_NAMES}  # the kind facet's values in words


def named_for_reader(facet: str, values: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """A facet's (value, label, count) with places named in the reader's language from the gazetteer (Уштобе on a
    Russian page, 우시토베 on a Korean one) and kinds of record in words; other facets as the index labels them."""
    if facet == "kind":
        return [
            (value, translate(RECORD_KINDS[value]) if value in RECORD_KINDS else label, n) for value, label, n in values
        ]
    if facet not in PLACE_FACETS:
        return values
    places = vocab.gazetteer(collection()).places
    return [(value, places[value].name(g.lang) if value in places else label, n) for value, label, n in values]


def run_query() -> Results:
    """Read the query, filters, page and sort from the request and search as the viewer."""
    filters = {name: request.args.getlist(name) for name in FACETS if request.args.getlist(name)}
    page = request.args.get("page", "1")
    return search_index().query(
        request.args.get("q", ""),
        filters,
        g.reader,
        page=page_number(page),
        sort="date" if request.args.get("sort") == "date" else "relevance",
    )


def search_url(
    results: Results,
    add: tuple[str, str] | None = None,
    remove: tuple[str, str] | None = None,
    page: int | None = None,
    sort: str | None = None,
    q: str | None = None,
) -> str:
    """Link to the same search with one thing changed."""
    filters = {k: list(v) for k, v in results.filters.items()}
    if add and add[1] not in filters.setdefault(add[0], []):
        filters[add[0]].append(add[1])
    if remove:
        filters[remove[0]] = [v for v in filters.get(remove[0], []) if v != remove[1]]
    args = {"q": results.query if q is None else q, **{k: v for k, v in filters.items() if v}}
    if (sort or results.sort) != "relevance":
        args["sort"] = sort or results.sort
    if page and page > 1:
        args["page"] = page
    return url_for("search.index", **{k: v for k, v in args.items() if v})


@bp.get("/search")
def index():
    results = run_query()
    results = dataclasses.replace(results, facets={k: named_for_reader(k, v) for k, v in results.facets.items()})
    return render_template(
        "search/index.html", results=results, titles=FACET_TITLES, search_url=search_url, record_kinds=RECORD_KINDS
    )


@bp.get("/browse/<facet>")
def browse(facet: str):
    if facet not in BROWSE_TITLES:
        return render_template(
            "errors.html", status=404, title=N_("Not found"), detail=N_("Browse villages, surnames or decades.")
        ), 404
    name = facet[:-1]
    values = named_for_reader(name, search_index().browse(name, g.reader))
    groups: dict[str, list] = {}
    if name == "decade":  # in time order, in one list: letters would group nothing
        groups = {"": sorted(values)} if values else {}
    for value, label, count in sorted(values, key=lambda v: v[1].casefold()) if name != "decade" else []:
        groups.setdefault(label[:1].upper(), []).append((value, label, count))
    return render_template("search/browse.html", facet=name, groups=groups, title=BROWSE_TITLES[facet])
