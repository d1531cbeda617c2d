"""The JSON API under /api/v1/: the same services and the same access rules as the pages."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import NotFound
from wtforms import ValidationError

from .. import access, annotations, interviews, redaction, vocab
from ..errors import CollectionError
from .loaders import collection, get_interview_or_404, get_item_or_404, search_index, services
from .media import GALLERY_FILTERS
from .paging import page_number
from .search import run_query

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _writer() -> None:
    """Let staff change things: scripts with a Bearer token, browsers with their session and its CSRF token (sent
    as X-CSRFToken), so that no other site can make a signed-in browser write."""
    access.require(g.viewer, "edit")
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError as error:
            raise CSRFError(str(error)) from None


def _json_body():
    if not request.is_json:
        abort(400, "Send the annotation as JSON (Content-Type: application/ld+json or application/json).")
    try:
        return current_app.json.loads(request.get_data())
    except ValueError as error:  # also too deeply nested (views/requests.py) or not UTF-8
        abort(400, f"The body is not readable JSON: {error}.")


def _problem(error: annotations.AnnotationError, status: int = 422):
    return jsonify(error="Annotation refused", detail=str(error), field=error.field), status


def _jsonld(document: dict, status: int = 200, **headers):
    response = jsonify(document)
    response.status_code = status
    response.mimetype = "application/ld+json"
    response.headers["Content-Type"] = annotations.MEDIA_TYPE
    response.headers.update(headers)
    return response


@bp.get("/search")
def search():
    results = run_query()
    return jsonify(
        {
            "query": results.query,
            "filters": results.filters,
            "total": results.total,
            "page": results.page,
            "pages": results.pages,
            "variants": results.variants,
            "suggestions": results.suggestions,
            "message": results.message,
            "facets": {
                name: [{"value": v, "label": label, "count": n} for v, label, n in values]
                for name, values in results.facets.items()
            },
            "hits": [
                {
                    "id": hit.id,
                    "kind": hit.kind,
                    **hit.display,
                    "url": _hit_url(hit),
                    "segments": [
                        {
                            **asdict(s),
                            "snippet": str(s.snippet),
                            "url": url_for("interviews.show", interview_id=hit.id, _external=True, _anchor=f"s{s.n}"),
                        }
                        for s in hit.segments
                    ],
                    "passages": [
                        {
                            "quote": p.quote,
                            "annotation": p.annotation,
                            "url": url_for(
                                "interviews.show", interview_id=hit.id, _external=True, _anchor=f"a-{p.annotation}"
                            ),
                        }
                        for p in hit.passages
                    ],
                }
                for hit in results.hits
            ],
        }
    )


def _hit_url(hit) -> str:
    if hit.kind == "media":
        return url_for("media.show", item_id=hit.id.split("/", 1)[1], _external=True)
    return url_for("interviews.show", interview_id=hit.id, _external=True)


def _readable_interview(interview_id: str) -> bool:
    try:
        return access.can_read(g.reader, interviews.load(collection(), interview_id).record)
    except CollectionError:
        return False


def _item_json(item) -> dict:
    """An item as the viewer may see it, with links to the copies it may fetch (the original for staff alone)."""
    record = access.shown_record(g.reader, item.record)
    if "interviews" in record:  # only the interviews this reader may open are named
        record["interviews"] = [i for i in record["interviews"] if _readable_interview(i)]
    sizes = item.record.get("pages", [])
    pages = [
        {
            **(sizes[n - 1] if n <= len(sizes) else {}),
            "display": url_for("media.display", item_id=item.id, page=n, _external=True),
            "thumbnail": url_for("media.thumbnail", item_id=item.id, page=n, _external=True),
        }
        for n in range(1, item.pages + 1)
    ]
    links = {"url": url_for("media.show", item_id=item.id, _external=True), "pages": pages}
    if access.can_fetch_original(g.viewer):
        links["original"] = url_for("media.original", item_id=item.id, _external=True)
    return {"id": item.id, **record, **links}


@bp.get("/media")
def media_list():
    """The items the viewer may see, in date order (undated first), a page at a time (?page=, filters as on
    /media/)."""
    filters = {name: request.args.getlist(name) for name in GALLERY_FILTERS if request.args.getlist(name)}
    page = request.args.get("page", "1")
    results = search_index().query(
        "", filters, g.reader, page=page_number(page), sort="date", page_size=50, scope="media"
    )
    found = []
    for hit in results.hits:
        try:
            found.append(_item_json(get_item_or_404(hit.id.split("/", 1)[1])))
        except NotFound:
            continue  # the index is behind the collection; the next check catches it up
    return jsonify({"total": results.total, "page": results.page, "pages": results.pages, "items": found})


@bp.get("/media/<item_id>")
def media_item(item_id: str):
    return jsonify(_item_json(get_item_or_404(item_id)))


@bp.get("/interviews/<interview_id>/annotations")
def interview_annotations(interview_id: str):
    """The interview's annotations as a W3C AnnotationCollection (what `PUT` takes back)."""
    get_interview_or_404(interview_id)
    return _jsonld(redaction.export(collection(), interview_id, access.sees_redactions(g.reader)))


@bp.post("/interviews/<interview_id>/annotations")
def add_annotation(interview_id: str):
    """Store a W3C Annotation whose target quotes the transcript; answer 201 with it as stored."""
    _writer()
    get_interview_or_404(interview_id)
    try:
        stored = services().annotations.create_from_jsonld(interview_id, _json_body(), g.viewer.name)
    except annotations.AnnotationError as error:
        return _problem(error)
    location = url_for("api.annotation", annotation_id=annotations.short_id(stored))
    return _jsonld({"@context": annotations.CONTEXT, **stored}, 201, Location=location)


@bp.put("/interviews/<interview_id>/annotations")
def import_annotations(interview_id: str):
    """Take back an AnnotationCollection (as exported): known ids replaced, new ones added, all or nothing."""
    _writer()
    get_interview_or_404(interview_id)
    try:
        counts = services().annotations.import_collection(interview_id, _json_body(), g.viewer.name)
    except annotations.AnnotationError as error:
        return _problem(error)
    return jsonify(counts)


@bp.get("/annotations/<annotation_id>")
def annotation(annotation_id: str):
    """One annotation, found through the index among the interviews the viewer may read."""
    for interview_id in search_index().linked_to(f"annotations/{annotation_id}", g.reader):
        get_interview_or_404(interview_id)
        readable = redaction.for_reader(collection(), interview_id, access.sees_redactions(g.reader))[1]
        found = next((a for a in readable if annotations.short_id(a) == annotation_id), None)
        if found is not None:
            return _jsonld({"@context": annotations.CONTEXT, **found})
        break  # a redaction the reader may not have, or the index is behind the collection
    abort(404, "There is no such annotation, or you may not read its interview.")


@bp.get("/<any(events, places, people):kind>")
def vocabulary(kind: str):
    """A vocabulary as the archive uses it (its own copy once edited), with its sources."""
    return jsonify(vocab.load(collection(), kind).data)
