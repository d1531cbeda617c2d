"""Historians' queue of family submissions: read one, describe it, ask the contributor, approve or decline."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for

from .. import access, contributions, vocab
from ..collection import check_name
from ..contributions import ContributionError
from ..errors import CollectionError, ConflictError
from ..i18n import N_, sentence
from ..i18n import translate as _
from ..i18n import translate_plural as _n
from .forms.moderate import ApproveForm, DeclineForm, DescribeForm, QuestionForm
from .loaders import collection, services

bp = Blueprint("moderate", __name__, url_prefix="/moderate")


@bp.before_request
def staff_only():
    access.require(g.viewer, "edit")


def submission_or_404(submission_id: str) -> contributions.Submission:
    try:
        return contributions.load(collection(), submission_id)
    except CollectionError:
        abort(404, N_("There is no such submission."))


STATUS_NAMES = {  # contributions.STATUSES in words
    "new": N_("new"),
    "questioned": N_("questioned"),
    "approving": N_("approving"),
    "approved": N_("approved"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
}


@bp.get("/")
def queue():
    submissions, counts = contributions.queue(collection())
    shown = request.args.get("status")
    if shown in contributions.STATUSES:
        submissions = [s for s in submissions if s.status == shown]
    return render_template(
        "moderate/queue.html",
        submissions=submissions,
        counts=counts,
        shown=shown,
        awaiting=contributions.awaiting,
        pending=contributions.pending_photos,
        status_names=STATUS_NAMES,
    )


@bp.route("/<submission_id>", methods=["GET", "POST"])
def show(submission_id: str):
    submission = submission_or_404(submission_id)
    forms = {
        "describe": DescribeForm(prefix="describe"),
        "question": QuestionForm(prefix="question"),
        "decline": DeclineForm(prefix="decline"),
        "approve": ApproveForm(prefix="approve"),
        "photos": ApproveForm(prefix="photos"),
    }
    if request.method == "GET" or request.form.get("action") != "describe":
        _fill_description(forms["describe"], submission)  # also beside a refused approval: nothing looks lost
    for form in forms.values():
        form.version.data = form.version.data or submission.version
    acted = request.form.get("action") if request.method == "POST" else None
    form = forms.get(acted or "")
    if form is not None and form.validate_on_submit():
        try:
            message = _act(acted, submission, form)
        except ConflictError as error:
            form.form_errors.append(sentence(error))
        except ContributionError as error:
            form.form_errors.append(sentence(error))
        else:
            flash(message)
            return redirect(url_for("moderate.show", submission_id=submission_id))
    status = 422 if form is not None and (form.errors or form.form_errors) else 200
    gazetteer = vocab.gazetteer(collection())
    return render_template(
        "moderate/show.html",
        submission=submission,
        record=submission.record,
        forms=forms,
        places=gazetteer.places,
        pending=contributions.pending_photos(submission),
        status_names=STATUS_NAMES,
    ), status


def _fill_description(form: DescribeForm, submission: contributions.Submission) -> None:
    """Show the description approval would use: places by the names the family (or a historian) wrote."""
    raw = services().contributions.metadata(submission)
    for name in DescribeForm.FIELDS:
        value = raw.get(name, "")
        items = value if isinstance(value, list) else [value]
        getattr(form, name).data = "; ".join(i.get("name", "") if isinstance(i, dict) else str(i) for i in items if i)


def _act(action: str, submission: contributions.Submission, form) -> str:
    if form.version.data != submission.version:
        raise ContributionError(N_("someone else acted on this submission meanwhile; reload the page"))
    who = g.viewer.name
    if action == "describe":
        services().contributions.describe(submission, form.described(), who)
        return _("Description saved; it will be used when the submission is approved.")
    if action == "question":
        services().contributions.ask(submission, form.question.data, who)
        return _("Question sent; the contributor sees it on the receipt page.")
    if action == "decline":
        services().contributions.decline(submission, form.reason.data, who)
        return _("Submission declined; the contributor sees the reason.")
    if action == "photos":
        before = len(submission.record.get("result", {}).get("media", []))
        done = services().contributions.approve_photos(submission, who)
        added = len(done.record["result"]["media"]) - before
        return _n("Added {n} photo item to the archive.", "Added {n} photo items to the archive.", added)
    done = services().contributions.approve(submission, who)
    made = done.record["result"]
    return _n(
        "Approved: interviews/{id} and {n} photo item.",
        "Approved: interviews/{id} and {n} photo items.",
        len(made["media"]),
        id=made["interview"],
    )


@bp.get("/<submission_id>/files/<path:name>")
def file(submission_id: str, name: str):
    """A file the family sent, for historians only (photos in full, with their EXIF; the story's file)."""
    submission_or_404(submission_id)
    try:
        path = collection().path("contributions", submission_id, check_name(name))
    except CollectionError:
        abort(404, N_("There is no such file."))
    if not name.startswith("files/") or not path.is_file():
        abort(404, N_("There is no such file."))
    response = send_file(path, max_age=0, conditional=True)
    response.headers["Cache-Control"] = "private, no-store"
    return response
