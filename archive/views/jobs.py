"""Staff's view of the background jobs: what is queued, running and ended, with progress; cancel one, or ask for a
rebuild of the search index. The work itself is done by the job worker (archive/jobs.py), never by the request."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, url_for

from .. import access, i18n
from ..i18n import N_
from ..i18n import translate as _
from ..jobs import JobError, Jobs
from .forms.jobs import BackupForm, CancelJobForm, ReindexForm
from .loaders import services

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

# What staff read for each kind and state; the catalogues translate these.
KIND_NAMES = {
    "reindex": N_("Rebuild the search index"),
    "repair-index": N_("Repair the search index"),
    "check-index": N_("Check the search index"),
    "derive-recordings": N_("Make the copies of an interview's recordings"),
    "backup": N_("Make a backup of the whole collection"),
    "align": N_("Propose the times of an interview's transcript"),
}
STATE_NAMES = {
    "queued": N_("Queued"),
    "running": N_("Running"),
    "done": N_("Done"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
}
REFUSALS = {
    "no_job": N_("There is no such job."),
    "ended": N_("This job has already ended; nothing was cancelled."),
}


@bp.before_request
def staff_only():
    access.require(g.viewer, "edit")


def queue() -> Jobs:
    return current_app.extensions["jobs"]


@bp.get("/")
def index():
    return render_template(
        "jobs/index.html",
        jobs=queue().list(limit=50),
        reindex_form=ReindexForm(),
        backup_form=BackupForm() if access.can_back_up(g.viewer) else None,
        bags=services().backups.bags() if access.can_back_up(g.viewer) else [],
        kind_names=KIND_NAMES,
        state_names=STATE_NAMES,
        moment=moment,
    )


@bp.post("/reindex")
def reindex():
    """Queue a rebuild (or find the one queued or running: a second one would only repeat it)."""
    if not ReindexForm().validate_on_submit():  # only a CSRF token, which CSRFProtect has checked already
        abort(400)
    job = queue().submit("reindex", {}, g.viewer.name)
    if job.state == "queued":
        flash(_("A rebuild of the search index is queued (job {id}).", id=job.id))
    else:
        flash(_("The search index is already being rebuilt (job {id}).", id=job.id))
    return redirect(url_for("jobs.index"))


@bp.post("/backup")
def backup():
    """Queue a backup of the whole collection (admins only: a bag holds every record and the password hashes)."""
    if not access.can_back_up(g.viewer):
        abort(403)
    if not BackupForm().validate_on_submit():
        abort(400)
    job = queue().submit("backup", {}, g.viewer.name)
    if job.state == "queued":
        flash(_("A backup is queued (job {id}).", id=job.id))
    else:
        flash(_("A backup is already being made (job {id}).", id=job.id))
    return redirect(url_for("jobs.index"))


@bp.post("/cancel")
def cancel():
    form = CancelJobForm()
    if not form.validate_on_submit():
        flash(_(REFUSALS["no_job"]))
        return redirect(url_for("jobs.index"))
    try:
        job = queue().cancel(form.job.data, g.viewer.name)
    except JobError as error:
        flash(_(REFUSALS.get(error.code, "There is no such job.")))
    else:
        if job.state == "cancelled":
            flash(_("Job {id} is cancelled.", id=job.id))
        else:
            flash(_("Job {id} stops at its next safe point.", id=job.id))
    return redirect(url_for("jobs.index"))


def moment(seconds: float | None) -> str:
    """A stored time to the minute, in UTC (staff may work from several time zones), as the page's language writes
    dates and times."""
    return i18n.moment(seconds)
