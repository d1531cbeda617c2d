"""Deleting an interview or a media item (a confirmation page, then a POST), bringing one back, and the 410 Gone
page that a deleted record's addresses answer to whoever could have read it (views/loaders.py raises `Gone`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from .. import access, tombstones
from ..errors import CollectionError, ConflictError
from ..i18n import N_, sentence
from ..i18n import translate as _
from . import problems
from .forms.base import show_error
from .forms.tombstones import DeleteForm, UndeleteForm
from .loaders import Gone, collection, get_interview_or_404, get_item_or_404, services

bp = Blueprint("tombstones", __name__)
LISTS = {"interviews": "interviews.index", "media": "media.gallery"}  # where a deleter goes afterwards
GONE = {
    "interviews": N_("This interview was deleted from the archive."),
    "media": N_("This item was deleted from the archive."),
}


def _address(kind: str, record_id: str) -> dict:
    """The arguments of this blueprint's URLs for a record: its kind and its id under the name the URL gives it."""
    return {"kind": kind, "interview_id" if kind == "interviews" else "item_id": record_id}


def _show_url(kind: str, record_id: str) -> str:
    if kind == "interviews":
        return url_for("interviews.show", interview_id=record_id)
    return url_for("media.show", item_id=record_id)


# one endpoint per action, with the kind: /interviews/<id>/... and /media/<id>/... (url_for takes kind and the id)
INTERVIEW = {"kind": "interviews"}
ITEM = {"kind": "media"}


def _record_id(interview_id: str | None, item_id: str | None) -> str:
    return interview_id if interview_id is not None else item_id or ""


@bp.route("/interviews/<interview_id>/delete", defaults=INTERVIEW, methods=["GET", "POST"])
@bp.route("/media/<item_id>/delete", defaults=ITEM, methods=["GET", "POST"])
def delete(kind: str, interview_id: str | None = None, item_id: str | None = None):
    """Staff confirm a deletion, with an optional reason; the record then answers 410 to who could read it."""
    record_id = _record_id(interview_id, item_id)
    access.require(g.viewer, "edit")
    loaded = get_interview_or_404(record_id) if kind == "interviews" else get_item_or_404(record_id)
    form = DeleteForm()
    if not form.is_submitted():
        form.version.data = loaded.version
    if form.validate_on_submit():
        try:
            services().tombstones.delete(kind, record_id, form.reason.data or "", g.viewer.name, form.version.data)
        except ConflictError as error:
            form.form_errors.append(sentence(error) + " " + _("Look at it again before deleting it."))
        except tombstones.TombstoneError as error:
            show_error(form, error)
        else:
            flash(_("“{title}” is deleted. Staff can bring it back from its address.", title=loaded.title))
            return redirect(url_for(LISTS[kind]))
    page = render_template(
        "tombstones/confirm.html", form=form, kind=kind, record=loaded, back=_show_url(kind, record_id)
    )
    return page, 422 if form.errors or form.form_errors else 200


@bp.post("/interviews/<interview_id>/undelete", defaults=INTERVIEW)
@bp.post("/media/<item_id>/undelete", defaults=ITEM)
def undelete(kind: str, interview_id: str | None = None, item_id: str | None = None):
    """Staff bring a deleted (not purged) record back as it was."""
    record_id = _record_id(interview_id, item_id)
    access.require(g.viewer, "edit")
    form = UndeleteForm()
    if not form.validate_on_submit():
        abort(400, N_("This form has expired or was sent from another site. Reload the page and try again."))
    try:
        record = tombstones.load(collection(), kind, record_id)
    except CollectionError:
        abort(404, N_("There is no such record."))
    if not access.gone(g.reader, record.record):  # staff are told a deletion only of records they could read
        abort(404, N_("There is no such record."))
    try:
        services().tombstones.undelete(kind, record_id, g.viewer.name)
    except tombstones.TombstoneError as error:
        flash(sentence(error))
    else:
        flash(_("It is back: readers who may read it find it again."))
    return redirect(_show_url(kind, record_id))


@bp.app_errorhandler(Gone)
def gone(error: Gone):
    """410 Gone: a short notice (the reason, if one was given); staff also read who deleted it and when, and may
    bring it back unless it was purged. The API answers a problem document without them."""
    if problems.is_api():
        return problems.response(410, _(GONE[error.kind]), "gone")
    deleted = error.record.get("deleted") or {}
    staff = access.is_staff(g.reader)
    page = render_template(
        "tombstones/gone.html",
        notice=GONE[error.kind],
        reason=deleted.get("reason", ""),
        staff=staff,
        author=deleted.get("author", "") if staff else "",
        time=deleted.get("time", "") if staff else "",
        purged=bool(error.record.get("purged")),
        undelete_form=UndeleteForm() if staff and not error.record.get("purged") else None,
        undelete_url=url_for("tombstones.undelete", **_address(error.kind, error.id)),
    )
    return page, 410
