"""The JSON API under /api/v1/: the same services and the same access rules as the pages.

Its conventions (README, "API"): errors are RFC 9457 problem documents (problems.py); what a script may change is
sent with an ETag, its version, which a change names in If-Match (a stale one answers 412 saying who changed it and
when; where If-Match is required, none answers 428); lists carry RFC 8288 Link headers; and /api/v1/openapi.json
describes it all, generated from the `@documented` views and the schemas they read and answer through.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from flask import Blueprint, abort, current_app, g, request, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from marshmallow import ValidationError
from werkzeug.exceptions import NotFound
from wtforms import ValidationError as FormValidationError

from .. import access, annotations, interviews, recordings, redaction, segment_index, vocab
from ..errors import CollectionError, ConflictError
from ..i18n import N_, localise
from ..metadata import MetadataError
from ..search import FACETS
from . import problems, schemas
from .loaders import (
    collection,
    get_interview_or_404,
    get_item_or_404,
    kept_uploads,
    search_index,
    services,
)
from .media import GALLERY_FILTERS
from .openapi import JSON_LD, answer, arguments, documented
from .openapi import document as openapi_document
from .paging import link_header, page_of

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _writer() -> None:
    """Let staff change things: scripts with a Bearer token, browsers with their session and its CSRF token (sent
    as X-CSRFToken), so that no other site can make a signed-in browser write."""
    access.require(g.viewer, "edit")
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except FormValidationError as error:
            raise CSRFError(str(error)) from None


def _json_body():
    if not request.is_json:
        raise problems.Problem(
            "Send the annotation as JSON (Content-Type: application/ld+json or application/json).", "body-unreadable"
        )
    try:
        return current_app.json.loads(request.get_data())
    except ValueError as error:  # also too deeply nested (views/requests.py) or not UTF-8
        raise problems.Problem(f"The body is not readable JSON: {error}.", "body-unreadable") from None


def _problem(error: annotations.AnnotationError):
    """Answer a refusal of the annotation service: its status follows from its code (422, or 404), its field from
    the error."""
    return problems.from_error(error)


# --- versions: ETag out, If-Match in ----------------------------------------------------------------------------------


def _etag(version: str) -> str:
    return f'"{version}"'


def _expected(current: str, required: bool, interview_id: str, annotation_id: str | None = None) -> str | None:
    """The version a write must replace, from If-Match: None to replace whatever is there (`*`, or no If-Match
    where none is required). One that is not `current` is refused at once (412, before the body is read); the
    service checks again under its lock, so a change made in between is refused too. The API never took a version
    in a body, so If-Match is the one way to name it."""
    if not request.headers.get("If-Match", "").strip():
        if required:
            raise problems.Problem(
                "Send If-Match with the ETag of the version you read (GET it first): this write replaces or "
                "removes something that someone else may have changed.",
                "precondition-required",
            )
        return None
    if request.if_match.star_tag:
        return None
    if not request.if_match.contains(current):  # a stale version, or only weak tags, which never match
        raise _conflict(interview_id, annotation_id)
    return current


def _conflict(interview_id: str, annotation_id: str | None = None) -> problems.Problem:
    """412: say who made the change the client did not see, and when, from what the collection recorded."""
    if annotation_id is None:
        last = collection().last_change("interviews", interview_id, annotations.FILE) or {}
        author, time = str(last.get("author", "")), str(last.get("time", ""))
        what = "The annotations of this interview were"
    else:
        author, time = annotations.changed_by(collection(), interview_id, annotation_id)
        what = "This annotation was"
    who = f"by {author} at {time}" if author else "(who and when is not recorded)"
    detail = f"{what} changed {who} since the version If-Match names; GET it again and make your change on that."
    return problems.Problem(detail, "version-conflict", author=author or None, time=time or None)


# --- search and media -------------------------------------------------------------------------------------------------


@bp.get("/search")
@documented(schemas.SearchPageSchema, query=schemas.SearchArgs, paged=True, searches=True)
def search():
    """Search interviews and items as the reader may: hits with snippets, facets, a page of 10 at a time."""
    args = arguments()
    filters = {name: args[name] for name in FACETS if args[name]}
    results = search_index().query(args["q"], filters, g.reader, page=args["page"], sort=args["sort"])
    found = {
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
                "points": [
                    {
                        "start": p.start,
                        "title": p.title,
                        "snippet": str(p.snippet),
                        "url": url_for("interviews.show", interview_id=hit.id, t=_seconds(p.start), _external=True)
                        + f"#t={_seconds(p.start)}",
                    }
                    for p in hit.points
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
    return answer(found, Link=link_header(results.page, results.pages))


def _seconds(value: float) -> str:
    return f"{float(value):.3f}".rstrip("0").rstrip(".")


def _hit_url(hit) -> str:
    if hit.kind == "media":
        return url_for("media.show", item_id=hit.id.split("/", 1)[1], _external=True)
    return url_for("interviews.show", interview_id=hit.id, _external=True)


def _readable_interview(interview_id: str) -> bool:
    try:
        return access.can_read(
            g.reader, interviews.load(collection(), interview_id).record, f"interviews/{interview_id}"
        )
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
@documented(schemas.MediaListSchema, query=schemas.MediaArgs, paged=True, searches=True)
def media_list():
    """The items the viewer may see, in date order (undated first), 50 a page (filters as on /media/)."""
    args = arguments()
    filters = {name: args[name] for name in GALLERY_FILTERS if args[name]}
    results = search_index().query("", filters, g.reader, page=args["page"], sort="date", page_size=50, scope="media")
    items = []
    for hit in results.hits:
        try:
            items.append(_item_json(get_item_or_404(hit.id.split("/", 1)[1])))
        except NotFound:
            continue  # the index is behind the collection; the next check catches it up
    found = {"total": results.total, "page": results.page, "pages": results.pages, "items": items}
    return answer(found, Link=link_header(results.page, results.pages))


@bp.get("/media/<item_id>")
@documented(schemas.MediaItemSchema)
def media_item(item_id: str):
    """One photograph, document or object, as the reader may see it."""
    return answer(_item_json(get_item_or_404(item_id)))


# --- annotations ------------------------------------------------------------------------------------------------------


@bp.get("/interviews/<interview_id>/annotations")
@documented(schemas.AnnotationCollectionSchema, media_type=JSON_LD, etag=True)
def interview_annotations(interview_id: str):
    """The interview's annotations as a W3C AnnotationCollection (what `PUT` takes back).

    Its ETag is the version of the annotations it holds, which a PUT may name in If-Match."""
    get_interview_or_404(interview_id)
    document = redaction.export(collection(), interview_id, access.sees_redactions(g.reader))
    version = annotations.collection_version(document["first"]["items"])
    return answer(document, annotations.MEDIA_TYPE, ETag=_etag(version))


@bp.post("/interviews/<interview_id>/annotations")
@documented(
    schemas.AnnotationSchema,
    status=201,
    media_type=JSON_LD,
    body=schemas.AnnotationSchema,
    writes=True,
    etag=True,
    headers=("Location",),
)
def add_annotation(interview_id: str):
    """Store a W3C Annotation whose target quotes the transcript; answer 201 with it as stored."""
    _writer()
    get_interview_or_404(interview_id)
    try:
        stored = services().annotations.create_from_jsonld(interview_id, _json_body(), g.viewer.name)
    except annotations.AnnotationError as error:
        return _problem(error)
    location = url_for("api.annotation", annotation_id=annotations.short_id(stored))
    document = {"@context": annotations.CONTEXT, **stored}
    return answer(document, annotations.MEDIA_TYPE, Location=location, ETag=_etag(annotations.version(stored)))


@bp.put("/interviews/<interview_id>/annotations")
@documented(schemas.ImportCountsSchema, body=schemas.AnnotationCollectionSchema, writes=True, if_match="optional")
def import_annotations(interview_id: str):
    """Take back an AnnotationCollection (as exported): known ids replaced, new ones added, all or nothing.

    If-Match is optional here (clients from before it keep working); when sent, it must be the collection's ETag."""
    _writer()
    get_interview_or_404(interview_id)
    current = annotations.collection_version(annotations.items(collection(), interview_id))
    expected = _expected(current, False, interview_id)
    try:
        counts = services().annotations.import_collection(interview_id, _json_body(), g.viewer.name, expected)
    except annotations.AnnotationConflict:
        raise _conflict(interview_id) from None
    except annotations.AnnotationError as error:
        return _problem(error)
    return answer(counts)


# --- recordings -------------------------------------------------------------------------------------------------------


def _recording_json(interview_id: str, part: dict) -> dict:
    return {
        **part,
        "url": url_for("interviews.recording", interview_id=interview_id, part=part["part"], _external=True),
    }


@bp.get("/interviews/<interview_id>/recordings")
@documented(schemas.RecordingListSchema)
def interview_recordings(interview_id: str):
    """The interview's recordings (its parts, in the order they play), for those who may read it."""
    interview = get_interview_or_404(interview_id)
    parts = recordings.parts(interview.record)
    return answer({"items": [_recording_json(interview_id, p) for p in parts]})


@bp.post("/interviews/<interview_id>/recordings")
@documented(schemas.RecordingListSchema, status=201, upload="recording", writes=True, headers=("Location",))
def add_recordings(interview_id: str):
    """Add recordings after the interview's last part: one or more files in the multipart field `recording`, in
    the order they play; answer 201 with the parts added.

    Each file is probed whole first (sound: MP3, M4A, Ogg, WAV, FLAC; video: MP4, WebM); one that is not a
    recording, or is cut short or damaged, refuses them all (422 recording-unusable)."""
    _writer()
    get_interview_or_404(interview_id)
    files = request.files.getlist("recording")
    with kept_uploads(files) as given:
        try:
            added = services().recordings.add(interview_id, given, g.viewer.name)
        except ConflictError as error:
            return problems.from_error(error)
        except recordings.RecordingError as error:
            return problems.from_error(error, 422)
    location = url_for("interviews.recording", interview_id=interview_id, part=added[0]["part"])
    return answer({"items": [_recording_json(interview_id, p) for p in added]}, Location=location)


def _located(annotation_id: str) -> tuple[str, dict]:
    """An annotation's interview and the annotation as the viewer may read it, found through the index among the
    interviews the viewer may read; 404 for anything else. One added a moment ago may not be in the index yet (it
    joins the next batch, perhaps in another server process): it is found through the audit log's last lines, so a
    client may change what it has just written."""
    holders = search_index().linked_to(f"annotations/{annotation_id}", g.reader)
    if not holders:  # asked of access.py as the index's filter would have been: no 403 nor 410 tells it exists
        just = annotations.just_added_to(collection(), annotation_id)
        record = interviews.load(collection(), just).record if just else None
        holders = [just] if record is not None and access.can_read(g.reader, record, f"interviews/{just}") else []
    for interview_id in holders:
        get_interview_or_404(interview_id)
        readable = redaction.for_reader(collection(), interview_id, access.sees_redactions(g.reader))[1]
        found = next((a for a in readable if annotations.short_id(a) == annotation_id), None)
        if found is not None:
            return interview_id, found
        break  # a redaction the reader may not have, or the index is behind the collection
    abort(404, N_("There is no such annotation, or you may not read its interview."))


@bp.get("/annotations/<annotation_id>")
@documented(schemas.AnnotationSchema, media_type=JSON_LD, etag=True, searches=True)
def annotation(annotation_id: str):
    """One annotation, found through the index among the interviews the viewer may read.

    Its ETag is its version, which a PUT or DELETE names in If-Match."""
    _, found = _located(annotation_id)
    document = {"@context": annotations.CONTEXT, **found}
    return answer(document, annotations.MEDIA_TYPE, ETag=_etag(annotations.version(found)))


@bp.put("/annotations/<annotation_id>")
@documented(
    schemas.AnnotationSchema,
    media_type=JSON_LD,
    body=schemas.AnnotationSchema,
    writes=True,
    if_match="required",
    etag=True,
    searches=True,
)
def edit_annotation(annotation_id: str):
    """Change what an annotation says (its bodies), if it is still the version If-Match names.

    Send the annotation as GET gave it, with its bodies changed; the words it marks stay (a target quoting other
    words is refused: annotate those instead). Answers the annotation as stored, with its new ETag."""
    _writer()
    interview_id, current = _located(annotation_id)
    expected = _expected(annotations.version(current), True, interview_id, annotation_id)
    data = _json_body()
    try:
        body = annotations.bodies_for_edit(collection(), current, data)
        changed = services().annotations.edit(interview_id, annotation_id, expected, body, g.viewer.name)
    except annotations.AnnotationConflict:
        raise _conflict(interview_id, annotation_id) from None
    except annotations.AnnotationError as error:
        return _problem(error)
    document = {"@context": annotations.CONTEXT, **changed}
    return answer(document, annotations.MEDIA_TYPE, ETag=_etag(annotations.version(changed)))


@bp.delete("/annotations/<annotation_id>")
@documented(None, status=204, writes=True, if_match="required", searches=True)
def delete_annotation(annotation_id: str):
    """Remove an annotation, if it is still the version If-Match names; the interview's history keeps it."""
    _writer()
    interview_id, current = _located(annotation_id)
    expected = _expected(annotations.version(current), True, interview_id, annotation_id)
    try:
        services().annotations.delete(interview_id, annotation_id, expected, g.viewer.name)
    except annotations.AnnotationConflict:
        raise _conflict(interview_id, annotation_id) from None
    except annotations.AnnotationError as error:
        return _problem(error)
    return answer()


# --- the segment index -----------------------------------------------------------------------------------------------


@bp.get("/interviews/<interview_id>/index")
@documented(schemas.SegmentIndexSchema, etag=True)
def interview_index(interview_id: str):
    """The interview's segment index (table of contents): its points in time order, each starting at `start` seconds.

    Its ETag is the index's version ("initial" before it is first saved), which a PUT names in If-Match."""
    get_interview_or_404(interview_id)
    index = segment_index.read(collection(), interview_id)
    return answer({"interview": interview_id, "points": index.points}, ETag=_etag(index.version))


@bp.put("/interviews/<interview_id>/index")
@documented(
    schemas.SegmentIndexSchema,
    body=schemas.SegmentIndexSchema,
    writes=True,
    if_match="required",
    etag=True,
    errors={422: "The archive refused the index (segment-index-invalid); `field` names the point and member."},
)
def save_interview_index(interview_id: str):
    """Replace the interview's segment index, if it is still the version If-Match names (`*`: whatever is there).

    Send the points (as GET gave them, changed); places may be gazetteer ids or names it knows. Answers the index as
    stored, with its new ETag."""
    _writer()
    get_interview_or_404(interview_id)
    current = segment_index.read(collection(), interview_id).version
    if not request.headers.get("If-Match", "").strip():
        raise problems.Problem(
            "Send If-Match with the ETag of the index you read (GET it first): this replaces the whole index.",
            "precondition-required",
        )
    if request.if_match.star_tag:
        expected = None
    elif request.if_match.contains(current):
        expected = current
    else:
        raise _index_conflict(interview_id)
    data = _json_body()
    points = data.get("points") if isinstance(data, dict) else data
    try:
        saved = services().segment_index.save(interview_id, points, g.viewer.name, expected)
    except ConflictError:
        raise _index_conflict(interview_id) from None
    except segment_index.SegmentIndexError as error:
        return problems.from_error(error)
    return answer({"interview": interview_id, "points": saved.points}, ETag=_etag(saved.version))


def _index_conflict(interview_id: str) -> problems.Problem:
    last = collection().last_change("interviews", interview_id, segment_index.FILE) or {}
    author, time = str(last.get("author", "")), str(last.get("time", ""))
    who = f"by {author} at {time}" if author else "(who and when is not recorded)"
    detail = f"The segment index was changed {who} since the version If-Match names; GET it again and change that."
    return problems.Problem(detail, "version-conflict", author=author or None, time=time or None)


# --- an interview's description (issue 16) ----------------------------------------------------------------------------

# Members GET gives beside the description, and fields the archive itself writes: a patch may repeat them as they are
# (a client sending back what it read) but never change them.
_READ_ONLY = ("id", "url", *interviews.KEPT_FIELDS)


def _interview_json(interview: interviews.Interview) -> tuple[dict, str]:
    """An interview's description as the reader may see it, and its ETag: for staff (who may change it) the version
    of interview.json, which a PATCH names in If-Match; for others a digest of what they were shown alone."""
    record = access.shown_record(g.reader, interview.record)
    shown = {
        "id": interview.id,
        **record,
        "url": url_for("interviews.show", interview_id=interview.id, _external=True),
    }
    if access.can_edit(g.viewer):
        return shown, interview.version
    digest = hashlib.sha256(json.dumps(shown, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return shown, digest


@bp.get("/interviews/<interview_id>")
@documented(schemas.InterviewSchema, etag=True)
def interview(interview_id: str):
    """An interview's description, as the reader may see it.

    For staff its ETag is the version of the description, which a PATCH names in If-Match."""
    shown, version = _interview_json(get_interview_or_404(interview_id))
    return answer(shown, ETag=_etag(version))


def merge_patch(target: object, patch: object) -> object:
    """RFC 7396: a patch object's members replace the target's, null removing one, objects merged member by member;
    anything but an object replaces the target whole."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


@bp.patch("/interviews/<interview_id>")
@documented(
    schemas.InterviewSchema,
    body=schemas.InterviewPatchSchema,
    writes=True,
    if_match="required",
    etag=True,
    errors={
        422: "The archive refused the description (metadata-invalid): `field` names the first field at fault and "
        "`errors` says what is wrong with each."
    },
)
def edit_interview(interview_id: str):
    """Change fields of an interview's description (a JSON merge patch), if it is still the version If-Match names.

    Send only the fields to change; null removes a field. Everything is checked as the edit form checks it (EDTF
    dates, gazetteer places, BCP 47 languages, access levels). Answers the description as stored, with its new
    ETag."""
    _writer()
    current = get_interview_or_404(interview_id)
    if not request.headers.get("If-Match", "").strip():
        raise problems.Problem(
            "Send If-Match with the ETag of the description you read (GET it first): someone else may have "
            "changed it since.",
            "precondition-required",
        )
    if not request.if_match.star_tag and not request.if_match.contains(current.version):
        raise _description_conflict(interview_id)
    data = _json_body()
    if not isinstance(data, dict):
        raise problems.Problem("Send a JSON object of the fields to change.", "body-unreadable")
    shown, _version = _interview_json(current)
    for name in _READ_ONLY:
        if name in data and data[name] != shown.get(name):
            return problems.response(
                422,
                f"{name} is kept by the archive and cannot be changed here.",
                "metadata-invalid",
                name,
                errors={name: "is kept by the archive and cannot be changed here"},
            )
    patch = {k: v for k, v in data.items() if k not in _READ_ONLY}
    try:
        schemas.InterviewPatchSchema().load(patch)
    except ValidationError as error:
        messages = {str(k): " ".join(_flat(v)) for k, v in error.normalized_messages().items()}
        first = next(iter(messages))
        return problems.response(422, f"{first}: {messages[first]}", "metadata-invalid", first, errors=messages)
    try:
        edited = services().interviews.edit(
            interview_id, merge_patch(current.record, patch), g.viewer.name, current.version
        )
    except ConflictError:
        raise _description_conflict(interview_id) from None
    except MetadataError as error:
        return problems.from_error(error, 422, errors={k: localise(v) for k, v in error.errors.items()})
    shown, version = _interview_json(edited)
    return answer(shown, ETag=_etag(version))


def _flat(messages: object) -> list[str]:
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in _flat(v)]
    if isinstance(messages, list):
        return [m for v in messages for m in _flat(v)]
    return [str(messages)]


def _description_conflict(interview_id: str) -> problems.Problem:
    last = collection().last_change("interviews", interview_id, "interview.json") or {}
    author, time = str(last.get("author", "")), str(last.get("time", ""))
    who = f"by {author} at {time}" if author else "(who and when is not recorded)"
    detail = f"The description was changed {who} since the version If-Match names; GET it again and change that."
    return problems.Problem(detail, "version-conflict", author=author or None, time=time or None)


# --- vocabularies and the API's own description ---------------------------------------------------------------------


VOCABULARY_PAGE = 100


@bp.get("/<any(events, places, people):kind>")
@documented(schemas.VocabularySchema, query=schemas.PageArgs, paged=True)
def vocabulary(kind: str):
    """A vocabulary as the archive uses it (its own copy once edited), with its sources, 100 entries a page."""
    data = dict(vocab.load(collection(), kind).data)
    entries = list(data.get(kind) or [])
    shown, page, pages = page_of(entries, VOCABULARY_PAGE)
    document = {**data, kind: shown, "total": len(entries), "page": page, "pages": pages}
    return answer(document, Link=link_header(page, pages))


@bp.get("/openapi.json")
@documented(schemas.OpenAPISchema)
def openapi():
    """This API's OpenAPI 3.1 document, generated from its code; the same for every reader."""
    return answer(openapi_document(current_app))


@bp.get("/problems")
@documented(schemas.ProblemKindsSchema)
def problem_types():
    """The kinds of problem that have their own type: what each means. A problem's `type` leads here, to the
    kind's entry (the fragment is its code)."""
    return answer({"kinds": [{"code": code, **asdict(kind)} for code, kind in problems.KINDS.items()]})
