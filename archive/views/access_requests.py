"""Researchers ask for access to a record kept for staff; staff grant or refuse in a queue (issue 16).

A signed-in researcher who opens such a record gets 403 and this blueprint's page (the loaders raise `Restricted`):
the record is restricted, and either a form to ask with a reason or the state of what they asked. Anyone else gets
the plain 404 the loaders give, so nothing is revealed. Whether a grant opens a record is decided in access.py alone.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .. import access, accounts
from ..errors import AccountError, CollectionError
from ..i18n import N_, sentence
from ..i18n import translate as _
from . import problems
from .forms.access_requests import AskForm, DecideForm
from .forms.base import show_error
from .loaders import Restricted, services

bp = Blueprint("access_requests", __name__)

STATE_NAMES = {
    accounts.ASKED: N_("Waiting for an answer"),
    accounts.GRANTED: N_("Granted"),
    accounts.REFUSED: N_("Refused"),
    accounts.REVOKED: N_("Access ended by the staff"),
}
KIND_WORDS = {
    "interviews": N_("This interview is kept for the archive's staff."),
    "media": N_("This item is kept for the archive's staff."),
}


@bp.app_errorhandler(Restricted)
def restricted(error: Restricted):
    """The answer to a researcher opening a record kept for staff: 403, with the page to ask for access."""
    if problems.is_api():
        where = ask_url(error.kind, error.record_id, _external=True)
        detail = _("This record is kept for the archive's staff. You may ask for access at {url}.", url=where)
        return problems.response(403, detail, "restricted")
    return _ask_page(error.kind, error.record_id, AskForm(formdata=None), 403)


def _ask_page(kind: str, record_id: str, form: AskForm, status: int):
    latest = services().access_requests.latest(g.viewer, f"{kind}/{record_id}")
    waiting = latest is not None and latest.state == accounts.ASKED
    return (
        render_template(
            "access_requests/ask.html",
            action=ask_url(kind, record_id),
            what=KIND_WORDS[kind],
            latest=latest,
            ended=latest is not None and latest.state == accounts.GRANTED,  # granted, yet closed: its last day passed
            form=None if waiting else form,
            state_names=STATE_NAMES,
        ),
        status,
        {"Cache-Control": "no-store"},
    )


def ask_url(kind: str, record_id: str, **options) -> str:
    """Where a researcher asks for a record ("interviews" or "media")."""
    named = {"interview_id": record_id} if kind == "interviews" else {"item_id": record_id}
    return url_for("access_requests.ask", kind=kind, **named, **options)


@bp.route("/interviews/<interview_id>/ask", methods=["GET", "POST"], defaults={"kind": "interviews"})
@bp.route("/media/<item_id>/ask", methods=["GET", "POST"], defaults={"kind": "media"})
def ask(kind: str, interview_id: str | None = None, item_id: str | None = None):
    """A researcher's request: the form (GET), kept with its reason (POST). A record the reader may already open
    sends them to it; one they may not ask for is simply not found."""
    record_id = interview_id if kind == "interviews" else item_id
    if g.viewer is None:
        raise access.AccessDenied(signed_in=False)  # signing in first: a researcher's account asks
    try:
        record = services().access_requests.record(kind, record_id)
    except CollectionError:
        abort(404)
    ref = f"{kind}/{record_id}"
    if access.can_read(g.reader, record, ref):
        if kind == "interviews":
            return redirect(url_for("interviews.show", interview_id=record_id))
        return redirect(url_for("media.show", item_id=record_id))
    if not access.may_ask(g.reader, record, ref):
        abort(404)
    form = AskForm()
    if request.method == "GET":
        return _ask_page(kind, record_id, form, 200)
    if form.validate_on_submit():
        try:
            services().access_requests.ask(g.reader, kind, record_id, form.reason.data)
        except AccountError as error:
            show_error(form, error)
        else:
            flash(_("Your request is sent. The archive's staff will answer on this page."))
            return redirect(ask_url(kind, record_id))
    return _ask_page(kind, record_id, form, 422)


@bp.get("/requests/")
def queue():
    """Staff: every request, waiting ones first, with the buttons to decide (`?record=` keeps one record's). A
    researcher: their own requests and what was decided."""
    if g.viewer is None:
        raise access.AccessDenied(signed_in=False)  # anonymous readers sign in first
    staff = access.can_edit(g.viewer)
    wanted = request.args.get("record") or None
    listed = services().access_requests.list(None if staff else g.viewer, wanted)
    return render_template(
        "access_requests/queue.html",
        requests=listed,
        staff=staff,
        titles={r.record: _title(r.record, staff) for r in listed},
        record=wanted,
        forms={
            r.id: DecideForm(formdata=None, prefix=f"r{r.id}")
            for r in listed
            if r.live(accounts.today()) or r.state == accounts.ASKED
        },
        state_names=STATE_NAMES,
        today=accounts.today(),
    ), {"Cache-Control": "no-store"}


def _title(ref: str, staff: bool) -> str | None:
    """A record's title for the list: staff see every one; a researcher only those they may open now."""
    kind, _slash, record_id = ref.partition("/")
    try:
        record = services().access_requests.record(kind, record_id)
    except CollectionError:
        return None
    if not staff and not access.can_read(g.reader, record, ref):
        return None
    return record.get("title") or None


@bp.post("/requests/<int:n>")
def decide(n: int):
    """Staff grant (optionally until a day) or refuse a waiting request, or end a grant early."""
    access.require(g.viewer, "edit")
    form = DecideForm(prefix=f"r{n}")
    if not form.validate_on_submit():
        if form.until.errors:
            flash(_("Please give the last day as a date."))
        for message in form.note.errors[:1]:
            flash(_(message))
        if form.csrf_token.errors:
            flash(_("This form has expired; try again."))
        return redirect(url_for("access_requests.queue", _anchor=f"request-{n}"))
    try:
        if form.revoke.data:
            done = services().access_requests.revoke(n, g.viewer.name, form.note.data or "")
            flash(_("The grant of request {n} has ended.", n=n))
        elif form.refuse.data:
            done = services().access_requests.refuse(n, g.viewer.name, form.note.data or "")
            flash(_("Request {n} is refused.", n=n))
        else:
            done = services().access_requests.grant(n, g.viewer.name, form.until.data, form.note.data or "")
            flash(_("Request {n} is granted.", n=n))
    except AccountError as error:
        flash(sentence(error))
        return redirect(url_for("access_requests.queue", _anchor=f"request-{n}"))
    return redirect(url_for("access_requests.queue", _anchor=f"request-{done.id}"))
