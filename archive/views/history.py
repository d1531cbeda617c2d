"""A record's history for staff (its versions with what each changed, one version as it was, a restore), and the
audit log of the whole archive for admins. The versions and the restore are the History service's
(services.history); what a page may show is asked of access.py."""

from __future__ import annotations

import datetime

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for

from .. import access, interviews, media
from ..access import AccessDenied
from ..errors import CollectionError, ConflictError
from ..history import HistoryError, readable
from ..i18n import N_, sentence
from ..i18n import translate as _
from .forms.history import RestoreForm
from .loaders import collection, services
from .paging import link_header, page_of

bp = Blueprint("history", __name__)
AUDIT_PAGE = 50

# The audit log's action keywords (audit.Entry.action) as people read them; "" is a change its writer did not name.
ACTION_NAMES = {
    "created": N_("Created"),
    "edited": N_("Edited"),
    "replaced-transcript": N_("Transcript replaced"),
    "replaced-recording": N_("Recording replaced"),
    "deleted": N_("Deleted"),
    "undeleted": N_("Undeleted"),
    "restored": N_("Earlier version restored"),
    "migrated": N_("Migrated to a newer format"),
    "imported-csv": N_("Imported from a spreadsheet"),
    "imported-bag": N_("Imported from a bag of records"),
    "bulk-edited": N_("Changed with others at once"),
    "purged": N_("Purged"),
    "access-asked": N_("Access asked for"),
    "access-granted": N_("Access granted"),
    "access-refused": N_("Access refused"),
    "annotation-added": N_("Annotation added"),
    "annotation-changed": N_("Annotation changed"),
    "annotation-removed": N_("Annotation removed"),
    "annotations-imported": N_("Annotations imported"),
    "corrected-transcript": N_("Transcript corrected"),
    "timed-transcript": N_("Passage times set"),
    "aligned-transcript": N_("Passage times set from an alignment"),
    "edited-index": N_("Segment index edited"),
    "added-recording": N_("Recording added"),
    "edited-vocabulary": N_("Vocabulary edited"),
    "derived": N_("Display copies made"),
    "": N_("Changed"),
}
CHANGE_NAMES = {"added": N_("added"), "changed": N_("changed"), "removed": N_("removed")}
# Metadata fields of interview.json and item.json as people read them; a field not named here is shown by its key.
FIELD_NAMES = {
    "title": N_("Title"),
    "description": N_("Description"),
    "caption": N_("Caption"),
    "kind": N_("Kind"),
    "narrators": N_("Narrator(s)"),
    "interviewers": N_("Interviewer(s)"),
    "date": N_("Date"),
    "place": N_("Place of interview"),
    "villages": N_("Villages and places named"),
    "places": N_("Places"),
    "birthplace": N_("Narrator's birthplace"),
    "deported_to": N_("Deported to"),
    "later_homes": N_("Later homes"),
    "surnames": N_("Surnames"),
    "events": N_("Events"),
    "people": N_("People shown"),
    "interviews": N_("Related interviews"),
    "languages": N_("Languages"),
    "duration": N_("Duration"),
    "accession": N_("Accession number"),
    "collection": N_("Collection"),
    "creator": N_("Creator or photographer"),
    "institution": N_("Holding institution"),
    "keywords": N_("Keywords"),
    "rights": N_("Rights"),
    "consent": N_("Consent"),
    "access": N_("Who may see it"),
    "embargo_until": N_("Embargo until"),
}


@bp.app_context_processor
def audit_link():
    """Whether the site navigation offers the audit log (admins alone)."""
    return {"can_read_audit": access.can_read_audit(g.get("viewer"))}


def _record_or_404(kind: str, record_id: str) -> dict:
    """The record whose history staff read; for anyone else, and for a record that is not there, a plain 404."""
    if not access.can_read_history(g.reader):
        abort(404)
    found = _stored_record(kind, record_id)
    if found is None:
        abort(404)  # a purged record's history is gone with it; its tombstone says so at its own address
    return found


def _stored_record(kind: str, record_id: str) -> dict | None:
    """An interview's or an item's description as stored (deleted ones included), or None if there is none or it
    was purged."""
    try:
        loaded = (
            interviews.load(collection(), record_id) if kind == "interviews" else media.load(collection(), record_id)
        )
    except CollectionError:
        return None
    return None if loaded.record.get("purged") else loaded.record


def _routes(path: str, **options):
    """One view at an interview's and at an item's address: `kind` says which, and the identifier is named as the
    other blueprints name it (interview_id, item_id)."""

    def register(view):
        bp.add_url_rule(f"/interviews/<interview_id>{path}", view_func=view, defaults={"kind": "interviews"}, **options)
        bp.add_url_rule(f"/media/<item_id>{path}", view_func=view, defaults={"kind": "media"}, **options)
        return view

    return register


@_routes("/history", methods=["GET"])
def record(kind: str, interview_id: str | None = None, item_id: str | None = None):
    record_id = interview_id or item_id
    current = _record_or_404(kind, record_id)
    found = services().history.versions(kind, record_id)
    return render_template(
        "history/record.html",
        kind=kind,
        record_id=record_id,
        current=current,
        deleted=access.deleted(current),
        versions=list(reversed(found)),  # the newest first
        total=len(found),
        **_words(),
    )


@_routes("/history/<stamp>", methods=["GET"])
def version(kind: str, stamp: str, interview_id: str | None = None, item_id: str | None = None):
    record_id = interview_id or item_id
    current = _record_or_404(kind, record_id)
    try:
        shown = services().history.version(kind, record_id, stamp)
    except HistoryError:
        abort(404)
    return render_template(
        "history/version.html",
        kind=kind,
        record_id=record_id,
        current=current,
        deleted=access.deleted(current),
        shown=shown,
        form=RestoreForm(),
        **_words(),
    )


@_routes("/history/<stamp>/restore", methods=["POST"])
def restore(kind: str, stamp: str, interview_id: str | None = None, item_id: str | None = None):
    record_id = interview_id or item_id
    _record_or_404(kind, record_id)
    if not RestoreForm().validate_on_submit():  # only a CSRF token, which CSRFProtect has checked already
        abort(400)
    here = history_url("history.version", kind, record_id, stamp=stamp)
    try:
        services().history.restore(kind, record_id, stamp, g.viewer.name)
    except HistoryError as error:
        if error.code == "no-version":
            abort(404)
        flash(sentence(error))
        return redirect(here)
    except ConflictError as error:  # a write landed between reading and writing: nothing was restored
        flash(sentence(error))
        return redirect(here)
    flash(_("The version is restored as a new version; the versions in between are kept."))
    return redirect(history_url("history.record", kind, record_id))


@bp.app_template_global()
def history_url(endpoint: str, kind: str, record_id: str, **values) -> str:
    """The address of a record's history page (or of one of its versions) by kind and identifier."""
    named = {"interview_id": record_id} if kind == "interviews" else {"item_id": record_id}
    return url_for(endpoint, kind=kind, **named, **values)


@bp.get("/audit/")
def audit():
    if not access.can_read_audit(g.viewer):
        raise AccessDenied(g.viewer is not None)
    filters = {
        name: (request.args.get(name) or "").strip()[:200] for name in ("record", "author", "action", "since", "until")
    }
    problem = None
    for name in ("since", "until"):
        if filters[name] and not _is_day(filters[name]):
            problem = _("Give dates as YYYY-MM-DD.")
            filters[name] = ""
    if filters["action"] and filters["action"] not in ACTION_NAMES:
        filters["action"] = ""
    found = services().history.log(**{k: v or None for k, v in filters.items()})
    found.reverse()  # the newest first
    shown, page, pages = page_of(found, AUDIT_PAGE)
    existing = {e.record for e in shown if _has_history(e.record)}
    response = make_response(
        render_template(
            "history/audit.html",
            entries=shown,
            total=len(found),
            page=page,
            pages=pages,
            filters=filters,
            problem=problem,
            existing=existing,
            args={k: v for k, v in filters.items() if v},
            **_words(),
        )
    )
    response.headers["Link"] = link_header(page, pages)
    return response


def _has_history(ref: str) -> bool:
    """Whether a line of the log can link to its record's history: an interview or an item still there."""
    kind, _sep, record_id = ref.partition("/")
    return kind in ("interviews", "media") and _stored_record(kind, record_id) is not None


def _is_day(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _words() -> dict:
    return {
        "action_names": ACTION_NAMES,
        "change_names": CHANGE_NAMES,
        "field_names": FIELD_NAMES,
        "readable": readable,
    }
