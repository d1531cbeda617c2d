"""More of the JSON API under /api/v1/ (issue 17), on the same blueprint and by the same conventions as api.py: the
list of interviews and a new one by upload, an interview's transcript, one vocabulary entry, a record's history, and,
for staff, families' submissions and researchers' access requests. Every list is paged (`?page=`, with `Link`);
everything is read as access.py allows the reader, and what may not be read is not there (404) or, for what only staff
read, refused as any staff-only request is (401 without an account, 403 with another one)."""

from __future__ import annotations

import datetime

from flask import abort, g, request, url_for
from werkzeug.datastructures import MultiDict

from .. import access, accounts, contributions, interviews, media, redaction, vocab
from ..errors import CollectionError
from ..i18n import N_, localise
from ..i18n import translate as _
from ..search import FACETS
from . import problems, schemas
from .api import _etag, _interview_json, _writer, bp
from .forms.interviews import InterviewUploadForm
from .history import ACTION_NAMES, history_url
from .loaders import collection, get_interview_or_404, kept_uploads, search_index, services
from .openapi import answer, arguments, documented
from .paging import link_header, page_of

INTERVIEWS_PAGE, SEGMENTS_PAGE, ENTRIES_PAGE, HISTORY_PAGE, STAFF_PAGE = 50, 100, 100, 50, 50


def _paged(items: list, size: int) -> tuple[list, dict, dict]:
    """A page of a whole list: its slice, the paging fields of the answer, and its Link header."""
    shown, page, pages = page_of(items, size)
    return shown, {"total": len(items), "page": page, "pages": pages}, {"Link": link_header(page, pages)}


def _private_unless_public(response, record: dict):
    """What not everyone may open is never kept by any cache (as the pages and transcript.txt do)."""
    if not access.can_read(None, record):
        response.headers["Cache-Control"] = "private, no-store"
    return response


# --- interviews: the list, and a new one by upload --------------------------------------------------------------------


def _summary(interview: interviews.Interview) -> dict:
    record = interview.record
    return {
        "id": interview.id,
        "title": record.get("title") or interview.id,
        **({"date": record["date"]} if record.get("date") else {}),
        "narrators": [n["name"] for n in record.get("narrators") or [] if n.get("name")],
        "languages": list(record.get("languages") or []),
        "access": access.level_of(record),
        "url": url_for("interviews.show", interview_id=interview.id, _external=True),
        "api": url_for("api.interview", interview_id=interview.id, _external=True),
    }


@bp.get("/interviews")
@documented(schemas.InterviewListSchema, query=schemas.InterviewListArgs, paged=True, searches=True)
def interview_list():
    """The interviews the reader may open, by title (or date, or best first with `q`), 50 a page.

    Filters as the search page's facets (village, surname, decade, event, language, narrator...): repeat one to
    narrow. Each is a short summary with its page and its description in this API."""
    args = arguments()
    filters = {name: args[name] for name in FACETS if args.get(name)}
    results = search_index().query(
        args["q"], filters, g.reader, page=args["page"], sort=args["sort"], page_size=INTERVIEWS_PAGE, scope="interview"
    )
    items = []
    for hit in results.hits:
        try:
            interview = interviews.load(collection(), hit.id)
        except CollectionError:
            continue  # the index is behind the collection; the next check catches it up
        if access.can_read(g.reader, interview.record, f"interviews/{hit.id}"):  # asked again of the record itself
            items.append(_summary(interview))
    found = {"total": results.total, "page": results.page, "pages": results.pages, "items": items}
    return answer(found, Link=link_header(results.page, results.pages))


def _refused(status: int, detail: str, code: str, field: str | None = None, **extensions):
    return problems.response(status, detail, code, field, **extensions)


@bp.post("/interviews")
@documented(
    schemas.InterviewSchema,
    status=201,
    form=schemas.INTERVIEW_UPLOAD,
    writes=True,
    etag=True,
    headers=("Location",),
    errors={
        409: "The same transcript is already in the archive (already-ingested); `interview` names it.",
        422: "The transcript is missing, not a format the archive reads, or damaged (transcript-unusable); a "
        "recording is not one it takes (recording-unusable); or the description is refused (metadata-invalid, "
        "`errors` by field). Nothing was stored.",
    },
)
def create_interview():
    """Add an interview by upload, as the page /interviews/new does: a transcript, its recordings if any, and its
    description in the upload form's fields; answer 201 with the description as stored.

    The transcript's format is told by its content (plain text with speaker turns, WebVTT, SRT, OHMS XML, Word
    .docx, OpenDocument .odt, PDF with a text layer); `title` is required.
    Recordings (`audio`, several in the order they play) are probed whole."""
    _writer()
    sent = MultiDict([*request.form.items(multi=True), *request.files.items(multi=True)])
    sent.setdefault("release_form", "")  # a browser always sends the select; a script may leave it out (unknown)
    form = InterviewUploadForm(formdata=sent, meta={"csrf": False})
    upload = request.files.get("transcript")
    if upload is None or not upload.filename:
        return _refused(
            422,
            _("Send the transcript as a file in the multipart field “transcript”."),
            "transcript-unusable",
            "transcript",
        )
    if not (request.form.get("title") or "").strip():
        message = _("Give the interview a title (the field “title”).")
        return _refused(422, message, "metadata-invalid", "title", errors={"title": message})
    if not form.validate():
        errors = {name: " ".join(localise(m) for m in messages) for name, messages in form.errors.items()}
        first = next(iter(errors))
        return _refused(422, f"{first}: {errors[first]}", "metadata-invalid", first, errors=errors)
    chosen = [f for f in request.files.getlist("audio") if f and f.filename]
    with kept_uploads(chosen) as given:
        outcome = (
            services()
            .ingest.ingester(g.viewer.name)
            .ingest(upload.read(), upload.filename, form.metadata(), parts=given)
        )
    if outcome.status == "duplicate":
        where = url_for("api.interview", interview_id=outcome.interview_id, _external=True)
        detail = _("This file is already in the archive (interview {id}): {url}", id=outcome.interview_id, url=where)
        return _refused(409, detail, "already-ingested", "transcript", interview=outcome.interview_id)
    if outcome.status != "ingested":
        if outcome.errors:
            errors = {InterviewUploadForm.FIELD_FOR.get(k, k): localise(v) for k, v in outcome.errors.items()}
            first = next(iter(errors))
            return _refused(422, f"{first}: {errors[first]}", "metadata-invalid", first, errors=errors)
        said = localise(outcome.reason)
        if outcome.file == "audio":
            return _refused(422, _("A recording was refused: {reason}", reason=said), "recording-unusable", "audio")
        return _refused(
            422,
            _("The transcript “{name}” was refused: {reason}", name=outcome.source, reason=said),
            "transcript-unusable",
            "transcript",
        )
    services().recordings.prepare(outcome.interview_id, g.viewer.name)
    shown, version = _interview_json(interviews.load(collection(), outcome.interview_id))
    location = url_for("api.interview", interview_id=outcome.interview_id, _external=True)
    return answer(shown, Location=location, ETag=_etag(version))


# --- an interview's transcript --------------------------------------------------------------------------------------


@bp.get("/interviews/<interview_id>/segments")
@documented(schemas.SegmentListSchema, query=schemas.PageArgs, paged=True)
def interview_segments(interview_id: str):
    """The interview's transcript, passage by passage, as the reader may read it, 100 passages a page.

    A redacted passage's words are replaced, for all but staff, by a notice in the reader's language, exactly as on
    the interview's page and in transcript.txt."""
    interview = get_interview_or_404(interview_id)
    segments, _notes = redaction.for_reader(collection(), interview_id, access.sees_redactions(g.reader))
    shown, paging, links = _paged(segments, SEGMENTS_PAGE)
    notice = _(redaction.NOTICE)
    passages = [
        {
            "n": s["n"],
            "start": s.get("start"),
            "end": s.get("end"),
            "speaker": s.get("speaker"),
            "lang": s.get("lang"),
            "text": redaction.plain(s["text"], notice),
            "withheld": redaction.plain(s["text"], "") != s["text"],
            "url": url_for("interviews.show", interview_id=interview_id, _external=True, _anchor=f"s{s['n']}"),
        }
        for s in shown
    ]
    return _private_unless_public(
        answer({"interview": interview_id, **paging, "segments": passages}, **links), interview.record
    )


# --- one vocabulary entry ---------------------------------------------------------------------------------------------


@bp.get("/<any(events, places, people):kind>/<entry_id>")
@documented(schemas.EntrySchema)
def vocabulary_entry(kind: str, entry_id: str):
    """One entry of a vocabulary (an event, a place, a person) as the archive keeps it, with its page."""
    entry = next((e for e in vocab.load(collection(), kind).data.get(kind, []) if e.get("id") == entry_id), None)
    if entry is None:
        abort(404, N_("There is no such entry in the archive's vocabularies."))
    return answer({**entry, "kind": kind, "url": url_for("entries.show", kind=kind, entry_id=entry_id, _external=True)})


# --- a record's history -----------------------------------------------------------------------------------------------


def _history(kind: str, record_id: str):
    """A record's versions, the newest first, for readers access.py lets read them (staff); 404 for anyone else, as
    the history pages answer."""
    if not access.can_read_history(g.reader):
        abort(404)
    try:
        loaded = (interviews.load if kind == "interviews" else media.load)(collection(), record_id)
    except CollectionError:
        abort(404)
    if loaded.record.get("purged"):
        abort(404)  # a purged record's history is gone with it
    found = list(reversed(services().history.versions(kind, record_id)))
    shown, paging, links = _paged(found, HISTORY_PAGE)
    versions = [
        {
            "number": version.number,
            "stamp": version.stamp,
            "time": version.time,
            "author": version.author,
            "action": version.action,
            "summary": _(ACTION_NAMES.get(version.action, ACTION_NAMES[""])),
            "files": dict(version.files),
            "fields_changed": [{"field": c.field, "before": c.before, "after": c.after} for c in summary.fields],
            "passages_changed": len(summary.segments),
            "retimed": summary.retimed,
            "url": history_url("history.version", kind, record_id, stamp=version.stamp, _external=True),
        }
        for version, summary in shown
    ]
    document = {"kind": kind, "id": record_id, "deleted": access.deleted(loaded.record), **paging, "versions": versions}
    return answer(document, **links)


@bp.get("/interviews/<interview_id>/history")
@documented(schemas.HistorySchema, query=schemas.PageArgs, paged=True)
def interview_history(interview_id: str):
    """An interview's versions, the newest first (50 a page): who made each, when, and what it changed. Staff alone
    read them (a deleted interview's too); for anyone else there is none."""
    return _history("interviews", interview_id)


@bp.get("/media/<item_id>/history")
@documented(schemas.HistorySchema, query=schemas.PageArgs, paged=True)
def item_history(item_id: str):
    """An item's versions, the newest first (50 a page): who made each, when, and what it changed. Staff alone read
    them (a deleted item's too); for anyone else there is none."""
    return _history("media", item_id)


# --- staff: families' submissions and access requests -----------------------------------------------------------------


def _staff() -> None:
    """What staff alone read: 401 without an account (or with a bad token), 403 with another one."""
    access.require(g.viewer, "edit")


def _submission_summary(submission: contributions.Submission) -> dict:
    record = submission.record
    return {
        "id": submission.id,
        "status": submission.status,
        "received": submission.received,
        "language": record.get("language"),
        "narrator": (record.get("narrator") or {}).get("name") or "",
        "contributor": (record.get("contributor") or {}).get("name") or "",
        "url": url_for("moderate.show", submission_id=submission.id, _external=True),
        "api": url_for("api.submission", submission_id=submission.id, _external=True),
    }


@bp.get("/submissions")
@documented(schemas.SubmissionListSchema, query=schemas.SubmissionArgs, paged=True)
def submission_list():
    """Families' submissions (staff alone), the newest first, 50 a page, with how many are in each status."""
    _staff()
    args = arguments()
    found, counts = contributions.queue(collection())
    if args["status"]:
        found = [s for s in found if s.status == args["status"]]
    shown, paging, links = _paged(found, STAFF_PAGE)
    return answer({**paging, "counts": counts, "items": [_submission_summary(s) for s in shown]}, **links)


@bp.get("/submissions/<submission_id>")
@documented(schemas.SubmissionSchema)
def submission(submission_id: str):
    """One family's submission (staff alone), as stored, less its receipt's secrets."""
    _staff()
    try:
        found = contributions.load(collection(), submission_id)
    except (CollectionError, ValueError):
        abort(404, N_("There is no such submission."))
    record = {k: v for k, v in found.record.items() if k != "receipt"}
    document = {
        **record,
        "id": found.id,
        "status": found.status,
        "received": found.received,
        "url": url_for("moderate.show", submission_id=found.id, _external=True),
    }
    return answer(document)


def _utc(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _record_title(ref: str) -> str | None:
    kind, _slash, record_id = ref.partition("/")
    try:
        return services().access_requests.record(kind, record_id).get("title") or None
    except CollectionError:
        return None


@bp.get("/requests")
@documented(schemas.AccessRequestListSchema, query=schemas.AccessRequestArgs, paged=True)
def access_request_list():
    """Researchers' requests for access to records kept for staff (staff alone), waiting ones first, 50 a page."""
    _staff()
    args = arguments()
    listed = services().access_requests.list(None, args["record"] or None)
    if args["state"]:
        listed = [r for r in listed if r.state == args["state"]]
    shown, paging, links = _paged(listed, STAFF_PAGE)
    today = accounts.today()
    items = [
        {
            "id": r.id,
            "user": r.user.name,
            "record": r.record,
            "title": _record_title(r.record),
            "reason": r.reason,
            "asked": _utc(r.asked),
            "state": r.state,
            "decided_by": r.decided_by,
            "decided": _utc(r.decided),
            "note": r.note or "",
            "until": r.until,
            "live": r.live(today),
        }
        for r in shown
    ]
    return answer({**paging, "items": items}, **links)
