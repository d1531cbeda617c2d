"""IIIF Presentation 3 manifests of items and interviews (built by exports/iiif.py), for IIIF viewers. Whoever may
read the record may read its manifest (else 404 or 403, as its page); a public record's manifest may be fetched by
viewers on other sites (CORS), anything else is no-store and for this site alone."""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, url_for

from .. import access
from ..exports import iiif
from .loaders import collection, get_interview_or_404, get_item_or_404

bp = Blueprint("iiif", __name__, url_prefix="/iiif")


def answer(manifest: dict, record: dict) -> Response:
    """The manifest as JSON-LD with the IIIF profile; open to other sites only when anyone may read the record and
    the answer is the one anyone gets (signed-in and family readers' answers are no-store by headers.py)."""
    response = Response(json.dumps(manifest, ensure_ascii=False, indent=1), content_type=iiif.MEDIA_TYPE)
    if access.answers_as_anyone(g.reader, record):
        # a viewer on another site fetches without cookies: it is answered as anyone is, so only that answer is open
        response.headers["Access-Control-Allow-Origin"] = "*"
    else:
        response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/media/<item_id>/manifest.json")
def item(item_id: str):
    found = get_item_or_404(item_id)
    addresses = iiif.Addresses(
        manifest=url_for("iiif.item", item_id=item_id, _external=True),
        homepage=url_for("media.show", item_id=item_id, _external=True),
        content=lambda n: url_for("media.display", item_id=item_id, page=n, _external=True),
    )
    return answer(iiif.item_manifest(collection(), found, g.reader, addresses), found.record)


@bp.get("/interviews/<interview_id>/manifest.json")
def interview(interview_id: str):
    found = get_interview_or_404(interview_id)
    addresses = iiif.Addresses(
        manifest=url_for("iiif.interview", interview_id=interview_id, _external=True),
        homepage=url_for("interviews.show", interview_id=interview_id, _external=True),
        content=lambda n: url_for("interviews.recording", interview_id=interview_id, part=n, _external=True),
    )
    return answer(iiif.interview_manifest(collection(), found, g.reader, addresses), found.record)
