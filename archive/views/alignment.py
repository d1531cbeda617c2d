"""Historians' page for the aligner's proposal (`/interviews/<id>/alignment`, issue 20): ask for times (a job of the
job runner, so that hours of sound never hold a request), follow and cancel it, then hear each proposed passage,
adjust single starts (typed, or stamped while listening: align.js and stamp.js), and accept the times as a new
version of the transcript, or discard them. Plain forms first: without JavaScript the times are typed."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from .. import access, alignment, recordings
from ..i18n import sentence
from ..i18n import translate as _
from ..jobs import JobError
from .forms.alignment import AlignForm, DiscardForm
from .forms.jobs import CancelJobForm
from .forms.segment_index import times_form
from .loaders import collection, get_interview_or_404, services
from .segment_index import player_parts, save_times, time_text

bp = Blueprint("alignment", __name__, url_prefix="/interviews/<interview_id>/alignment")

KIND = "align"


@bp.before_request
def historians_only():
    access.require(g.viewer, "edit")


def _job(interview_id: str):
    return current_app.extensions["jobs"].latest(KIND, {"interview": interview_id})


@bp.app_template_global()
def aligner_offer(interview_id: str) -> dict:
    """What an untimed interview's page offers historians of the aligner: whether it is installed here, and whether
    a proposal waits or the aligner is at work (then the page links to them)."""
    job = _job(interview_id)
    return {
        "available": alignment.available(),
        "kept": alignment.kept(collection(), interview_id) is not None,
        "working": job is not None and job.active,
    }


@bp.get("")
def show(interview_id: str):
    interview = get_interview_or_404(interview_id)
    stored = collection().read("interviews", interview_id, "segments.json")
    segments = stored.json()
    kept = alignment.kept(collection(), interview_id)
    form = None
    if kept is not None and alignment.fits(kept, stored.version, recordings.parts(interview.record)):
        form = times_form(segments)(formdata=None)
        form.version.data = kept.version
        for timing in kept.proposal.timings:
            form[f"time-{timing.n}"].data = time_text(timing.start)
    return _page(interview, segments, kept, form)


@bp.post("")
def accept(interview_id: str):
    """Save the checked times (the proposal's, as adjusted) as a new version of the transcript."""
    interview = get_interview_or_404(interview_id)
    stored = collection().read("interviews", interview_id, "segments.json")
    segments = stored.json()
    kept = alignment.kept(collection(), interview_id)
    if kept is None:
        flash(_("There is no proposal of times to accept; it was accepted or discarded meanwhile."))
        return redirect(url_for("alignment.show", interview_id=interview_id))
    if request.form.get("proposal") != str(kept.made):  # another proposal replaced the one on the page meanwhile
        flash(_("A newer proposal replaced the one you were checking; nothing was saved. Check the new one below."))
        return redirect(url_for("alignment.show", interview_id=interview_id))
    form = times_form(segments)()
    if not alignment.fits(kept, stored.version, recordings.parts(interview.record)):
        return _page(interview, segments, kept, None), 409
    saved = save_times(
        form,
        segments,
        interview_id,
        lambda given: services().transcripts.accept_alignment(
            interview_id, kept.proposal, g.viewer.name, form.version.data, starts=given
        ),
        _("Ask the aligner again for times that fit the transcript as it is now."),
    )
    if saved is not None:
        return saved
    return _page(interview, segments, kept, form), 422


@bp.post("/start")
def start(interview_id: str):
    """Queue the aligner's job for this interview (or find the one already queued or running)."""
    get_interview_or_404(interview_id)
    if not AlignForm().validate_on_submit():
        abort(400)
    if not alignment.available():
        flash(sentence(alignment.NotInstalled()))
        return redirect(url_for("alignment.show", interview_id=interview_id))
    job = current_app.extensions["jobs"].submit(KIND, {"interview": interview_id}, g.viewer.name)
    flash(_("The aligner is at work on this interview (job {id}); this page shows how far it has come.", id=job.id))
    return redirect(url_for("alignment.show", interview_id=interview_id))


@bp.post("/cancel")
def cancel(interview_id: str):
    get_interview_or_404(interview_id)
    form = CancelJobForm()
    job = _job(interview_id)
    if not form.validate_on_submit():
        abort(400)
    if job is None or job.id != form.job.data:  # the job on the page ended, and another may have begun since
        flash(_("This job has already ended; nothing was cancelled."))
        return redirect(url_for("alignment.show", interview_id=interview_id))
    try:
        current_app.extensions["jobs"].cancel(job.id, g.viewer.name)
    except JobError:
        flash(_("This job has already ended; nothing was cancelled."))
    else:
        flash(_("The aligner stops at its next safe point; nothing is changed."))
    return redirect(url_for("alignment.show", interview_id=interview_id))


@bp.post("/discard")
def discard(interview_id: str):
    get_interview_or_404(interview_id)
    if not DiscardForm().validate_on_submit():
        abort(400)
    services().transcripts.discard_alignment(interview_id)
    flash(_("The proposed times are discarded; the transcript is unchanged."))
    return redirect(url_for("interviews.show", interview_id=interview_id))


def _page(interview, segments: list[dict], kept, form):
    """The page; a kept proposal without a form is one made for another transcript or recording (stale)."""
    job = _job(interview.id)
    # a refusal or a cancel is told until a proposal made after it replaces the news
    ended = (
        job is not None and job.state in ("failed", "cancelled") and (kept is None or (job.finished or 0) > kept.made)
    )
    timings = {t.n: t for t in kept.proposal.timings} if kept else {}
    return render_template(
        "alignment/show.html",
        interview=interview,
        segments=segments,
        kept=kept,
        stale=kept is not None and form is None,
        timings=timings,
        form=form,
        working=job if job is not None and job.active else None,
        ended=job if ended else None,
        available=alignment.available(),
        parts=player_parts(interview.record, interview.id),
        align_form=AlignForm(),
        cancel_form=CancelJobForm(job=job.id if job else None),
        discard_form=DiscardForm(),
    )
