"""The JSON API under /api/v1/: the same services and the same access rules as the pages."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, url_for

from .search import run_query

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/search")
def search():
    results = run_query()
    return jsonify({
        "query": results.query, "filters": results.filters, "total": results.total, "page": results.page,
        "pages": results.pages, "variants": results.variants, "suggestions": results.suggestions,
        "message": results.message,
        "facets": {name: [{"value": v, "label": label, "count": n} for v, label, n in values]
                   for name, values in results.facets.items()},
        "hits": [{"id": hit.id, "kind": hit.kind, **hit.display,
                  "url": url_for("interviews.show", interview_id=hit.id, _external=True),
                  "segments": [{**asdict(s), "snippet": str(s.snippet),
                                "url": url_for("interviews.show", interview_id=hit.id, _external=True,
                                               _anchor=f"s{s.n}")} for s in hit.segments]}
                 for hit in results.hits],
    })
