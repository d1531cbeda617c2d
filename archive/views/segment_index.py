"""Historians' pages for an interview's time: its segment index (`/interviews/<id>/index/edit`) and the start times
of its passages (`/interviews/<id>/times`, where stamp.js adds the stamp mode: one key marks where the next passage
starts while the recording plays). Both are plain forms first, so they work without JavaScript."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from .. import access, recordings, segment_index, transcripts, vocab
from ..errors import ConflictError
from ..i18n import current, sentence
from ..i18n import translate as _
from ..i18n import translate_plural as _n
from .forms.base import show_error
from .forms.segment_index import SegmentIndexForm, point_data, times_form
from .loaders import collection, get_interview_or_404, services

bp = Blueprint("segment_index", __name__, url_prefix="/interviews/<interview_id>")


def _place_name(place_id: str) -> str:
    place = vocab.gazetteer(collection()).places.get(place_id)
    return place.name(current()) if place else place_id


def _place_names() -> list[str]:
    return sorted({p.name(current()) for p in vocab.gazetteer(collection()).places.values()})


def player_parts(record: dict, interview_id: str) -> list[dict]:
    """The recording's parts for the player of these pages (staff: they hear the originals): url, kind, content
    type, offset and duration."""
    return [
        {**part, "url": url_for("interviews.recording", interview_id=interview_id, part=part["part"])}
        for part in recordings.parts(record)
    ]


@bp.app_template_global()
def segments_version(interview_id: str) -> str:
    """The version of an interview's transcript, which the stamp form of its page names (a stale one is refused)."""
    return collection().read("interviews", interview_id, "segments.json").version


@bp.route("/index/edit", methods=["GET", "POST"])
def edit(interview_id: str):
    """A historian writes the interview's segment index: one fieldset per point; "Add a point" and "Remove this
    point" send the form back with what was typed, so nothing is lost and no JavaScript is needed."""
    access.require(g.viewer, "edit")
    interview = get_interview_or_404(interview_id)
    index = segment_index.read(collection(), interview_id, interview.record)
    if request.method == "GET":
        form = SegmentIndexForm(
            formdata=None,
            data={
                "points": [point_data(p, segment_index.clock, _place_name) for p in index.points],
                "version": index.version,
            },
        )
        if not index.points:
            form.points.append_entry()
        return _edit_page(form, interview)
    form = SegmentIndexForm()
    removed = [entry for entry in form.points if entry.remove.data]
    if form.add.data or removed:
        kept = [{k: v for k, v in e.data.items() if k != "remove"} for e in form.points if not e.remove.data]
        form = SegmentIndexForm(formdata=None, data={"points": kept, "version": form.version.data})
        if not removed or not kept:
            form.points.append_entry()
        return _edit_page(form, interview)
    if form.validate():
        # a point left wholly empty is no point (so removing every point and saving empties the index)
        typed = [(i, entry.form.point()) for i, entry in enumerate(form.points)]
        typed = [(i, p) for i, p in typed if any(v.strip() if isinstance(v, str) else v for v in p.values())]
        try:
            services().segment_index.save(interview_id, [p for _, p in typed], g.viewer.name, form.version.data)
        except ConflictError as error:
            form.form_errors.append(
                sentence(error)
                + " "
                + _("What you typed is kept below; open the index again in another tab to compare before saving.")
            )
        except segment_index.SegmentIndexError as error:
            for problem in error.problems:
                if problem.point is None or problem.point >= len(typed):
                    form.form_errors.append(sentence(problem.message))
                else:
                    field = getattr(form.points[typed[problem.point][0]].form, problem.name)
                    field.errors = [*field.errors, sentence(problem.message)]
            form.form_errors.append(_("Nothing was saved. Correct what is marked below."))
        else:
            flash(_("The segment index is saved."))
            return redirect(url_for("interviews.show", interview_id=interview_id) + "#contents")
    return _edit_page(form, interview), 422


def _edit_page(form: SegmentIndexForm, interview):
    return render_template(
        "segment_index/edit.html",
        form=form,
        interview=interview,
        places=_place_names(),
        history=segment_index.history(collection(), interview.id),
    )


def time_text(seconds: float) -> str:
    """A time as a time field shows it: h:mm:ss and the part of a second that leaves out (".5"), so that a time
    shown and saved again is unchanged."""
    seconds = round(float(seconds), 3)  # once, so that 12.9996 is 0:00:13, not 0:00:12
    rest = f"{seconds % 1:.3f}".rstrip("0").rstrip(".")
    return segment_index.clock(seconds) + (rest[1:] if rest not in ("0", "") else "")


def typed_times(form, segments: list[dict]) -> dict[int, float | None] | None:
    """The start each passage's field gives (None where left empty), or None after marking what is not a time."""
    given, wrong = {}, False
    for s in segments:
        typed = (form[f"time-{s['n']}"].data or "").strip()
        seconds = segment_index.parse_time(typed) if typed else None
        if typed and seconds is None:
            form[f"time-{s['n']}"].errors = [
                _("“{time}” is not a time; write seconds (754) or hours, minutes and seconds (0:12:34).", time=typed)
            ]
            wrong = True
        given[s["n"]] = seconds
    return None if wrong else given


def save_times(form, segments: list[dict], interview_id: str, save, stale_hint: str):
    """Read a times form and hand its starts to `save(given)`: then say how many passages have times and go to the
    interview; else mark what was wrong on the form (a transcript changed meanwhile with `stale_hint`) and return
    None, so that the page is shown again with everything typed."""
    if form.validate():
        given = typed_times(form, segments)
        if given is not None:
            try:
                saved = save(given)
            except ConflictError as error:
                form.form_errors.append(sentence(error) + " " + stale_hint)
            except transcripts.TranscriptError as error:
                show_error(form, error)
            else:
                count = sum(1 for s in saved if s.get("start") is not None)
                flash(_n("{n} passage has its time.", "{n} passages have their times.", count))
                return redirect(url_for("interviews.show", interview_id=interview_id))
    if form.errors or form.form_errors:
        form.form_errors.append(_("Nothing was saved. Correct what is marked below."))
    return None


@bp.route("/times", methods=["GET", "POST"])
def times(interview_id: str):
    """A historian gives the passages their start times, typed or stamped while listening (stamp.js); saved as a new
    version of the transcript, so that it follows the recording from then on."""
    access.require(g.viewer, "edit")
    interview = get_interview_or_404(interview_id)
    stored = collection().read("interviews", interview_id, "segments.json")
    segments = stored.json()
    form = times_form(segments)()
    if request.method == "GET":
        form.version.data = stored.version
        for s in segments:
            if s.get("start") is not None:
                form[f"time-{s['n']}"].data = time_text(s["start"])
    else:
        saved = save_times(
            form,
            segments,
            interview_id,
            lambda given: services().transcripts.set_times(interview_id, given, g.viewer.name, form.version.data),
            _("Your times are kept below; reload the page to see the transcript now."),
        )
        if saved is not None:
            return saved
    return render_template(
        "segment_index/times.html",
        form=form,
        interview=interview,
        segments=segments,
        parts=player_parts(interview.record, interview_id),
    ), 422 if form.errors or form.form_errors else 200
