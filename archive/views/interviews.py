"""Interview pages: the list, one interview with its transcript, its recordings, and the historian's upload forms."""

from __future__ import annotations

import datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_date

from .. import access, annotations, dates, interviews, recordings, redaction, segment_index, sound, transcripts, vocab
from ..errors import CollectionError, ConflictError
from ..exports import citations, ohms, schema_org
from ..formats import FormatError, vtt
from ..i18n import N_, sentence
from ..i18n import translate as _
from ..i18n import translate_plural as _n
from ..metadata import MetadataError
from ..search import IndexUnavailable
from .forms.base import show_error
from .forms.interviews import (
    InterviewForm,
    InterviewUploadForm,
    PassageForm,
    RecordingReplaceForm,
    RecordingsForm,
    TranscriptReplaceForm,
)
from .loaders import collection, get_interview_or_404, items_linking, kept_uploads, search_index, services, site_name
from .paging import page_number

bp = Blueprint("interviews", __name__, url_prefix="/interviews")


@bp.get("/")
def index():
    page = request.args.get("page", "1")
    results = search_index().query(
        "", None, g.reader, page=page_number(page), sort="title", page_size=50, scope="interview"
    )
    return render_template("interviews/index.html", results=results)


@bp.get("/<interview_id>")
def show(interview_id: str):
    from .annotate import page_parts

    interview = get_interview_or_404(interview_id)
    segments, notes = redaction.for_reader(collection(), interview_id, access.sees_redactions(g.reader))
    staff = access.is_staff(g.viewer)
    heard, withheld = heard_parts(interview_id, interview.record)
    response = make_response(
        render_template(
            "interviews/show.html",
            interview=interview,
            record=interview.record,
            segments=segments,
            ends=segment_ends(segments, recordings.parts(interview.record)),
            parts=[(p, url_for("interviews.recording", interview_id=interview_id, part=p["part"])) for p in heard],
            staff=staff,
            timed=timed(segments),
            recording_withheld=withheld,
            index=segment_index.read(collection(), interview_id, interview.record).points,
            citation=citation(interview.record, interview_id),
            moment=moment_citation(interview.record, interview_id),
            items=items_linking(f"interviews/{interview_id}"),
            jsonld=schema_org.interview(
                interview.record,
                interview_id,
                url_for("interviews.show", interview_id=interview_id, _external=True),
                segment_index.read(collection(), interview_id, interview.record).points,
                bool(recordings.parts(interview.record)),
                vocab.gazetteer(collection()),
                _place_url,
                site_name(),
            ),
            **search_within(interview_id),
            **page_parts(interview_id, segments, notes, staff),
        )
    )
    return private_unless_public(response, interview.record)


def _place_url(place_id: str) -> str:
    return url_for("entries.show", kind="places", entry_id=place_id, _external=True)


def segment_ends(segments: list[dict], parts: list[dict]) -> list[float | None]:
    """Where each timed passage ends in continuous time, as the player reads it: at the next timed passage's start,
    the last one at the end of the last part (None when its length is unknown, or for a passage without time)."""
    last = parts[-1] if parts else None
    end_of_recording = last["offset"] + last["duration"] if last and last.get("duration") is not None else None
    ends: list[float | None] = []
    following = end_of_recording
    for s in reversed(segments):
        if s.get("start") is None:
            ends.append(None)
            continue
        # a transcript timed beyond its recordings' end: the passage ends where it starts, never before
        ends.append(max(following, s["start"]) if following is not None else None)
        following = s["start"]
    return ends[::-1]


def search_within(interview_id: str) -> dict:
    """The passages of this interview that hold the words of `?find=`, through the archive's search (the same
    folding across scripts and the same access filter), with the time each starts."""
    words = request.args.get("find", "").strip()[:200]
    if not words:
        return {"find": "", "found": [], "find_unavailable": False}
    try:
        found = search_index().within(words, interview_id, g.reader)
    except IndexUnavailable:
        return {"find": words, "found": [], "find_unavailable": True}
    return {"find": words, "found": found, "find_unavailable": False}


def moment_citation(record: dict, interview_id: str) -> str:
    """How to cite a moment of the recording, after the common form for an oral history interview (narrator,
    interviewer, date, archive, address, and the time within the recording). `{url}` and `{time}` are left for the
    page's script to fill in with the permanent address of the moment and its time as hh:mm:ss."""
    narrators = ", ".join(n["name"] for n in record.get("narrators") or [] if n.get("name"))
    interviewers = ", ".join(record.get("interviewers") or [])
    return _(
        "{narrator}, interviewed by {interviewer}, {date}. “{title}”. {archive}. {url}, at {time}.",
        narrator=narrators or _("Narrator unknown"),
        interviewer=interviewers or _("an unknown interviewer"),
        title=record.get("title") or interview_id,
        date=dates.say(record["date"]) if record.get("date") else _("undated"),
        archive=site_name(),
        url="{url}",
        time="{time}",
    )


def timed(segments: list[dict]) -> bool:
    """Tell whether every passage has its time, so that the transcript can be given as WebVTT."""
    return bool(segments) and all(s.get("start") is not None for s in segments)


def citation(record: dict, interview_id: str) -> str:
    """How to cite the interview, in the reader's language, said from its CSL item (exports/citations.py: the
    downloads' one builder): narrator, title, date, the archive, the stable address of the page and the day it was
    read."""
    found = cite_item(record, interview_id, None)
    date = citations.edtf(found.get("issued"))
    return _(
        "{narrator}. “{title}”. Interview, {date}. {archive}. {url} (accessed {accessed}).",
        narrator=", ".join(citations.names(found.get("author"))) or _("Narrator unknown"),
        title=found["title"],
        date=dates.say(date) if date else _("undated"),
        archive=found["archive"],
        url=found["URL"],
        accessed=format_date(datetime.date(*found["accessed"]["date-parts"][0]), "long"),
    )


def cite_item(record: dict, interview_id: str, at: float | None) -> dict:
    """The CSL item of a readable interview (or of a moment of it, `at` seconds in), with this archive's name and
    address."""
    moment = {} if at is None else {"t": f"{at:g}", "_anchor": f"t={at:g}"}
    url = url_for("interviews.show", interview_id=interview_id, _external=True, **moment)
    return citations.csl(record, interview_id, url=url, archive=site_name(), at=at)


@bp.get("/<interview_id>/cite.<any(json, bib, ris):extension>")
def cite(interview_id: str, extension: str):
    """The citation of an interview, or with `?t=SECONDS` of a moment of it, as CSL-JSON, BibTeX or RIS, for
    whoever may read the interview."""
    interview = get_interview_or_404(interview_id)
    at = None
    if request.args.get("t") is not None:
        at = segment_index.parse_time(request.args["t"])
        if at is None:
            abort(400, N_("The time to cite is not a time: give seconds (754) or hh:mm:ss."))
    form = {"json": "csl", "bib": "bibtex", "ris": "ris"}[extension]
    body = citations.write(cite_item(interview.record, interview_id, at), form, interview.record)
    name = f"citation-{interview_id}{'' if at is None else f'-t{int(at)}'}.{extension}"
    response = download(body, citations.FORMATS[form][1], name, interview.record)
    response.headers["Content-Type"] = citations.FORMATS[form][1]
    return response


@bp.get("/<interview_id>/ohms.xml")
def ohms_xml(interview_id: str):
    """The interview as OHMS XML (exports/ohms.py), a staff tool: for anyone else there is no such file."""
    interview = get_interview_or_404(interview_id)
    if not access.can_export_ohms(g.reader):
        abort(404)
    media = (
        url_for("interviews.recording", interview_id=interview_id, part=1, _external=True)
        if len(recordings.parts(interview.record)) == 1
        else None
    )
    body = ohms.build(
        collection(), interview_id, g.reader, repository=site_name(), media_url=media, notice=_(redaction.NOTICE)
    )
    response = Response(
        body,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="ohms-{interview_id}.xml"'},
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def private_unless_public(response: Response, record: dict) -> Response:
    """What not everyone may open is never kept by any cache, whoever receives it."""
    if not access.can_read(None, record):
        response.headers["Cache-Control"] = "private, no-store"
    return response


def download(body: str, mimetype: str, filename: str, record: dict) -> Response:
    response = Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return private_unless_public(response, record)


@bp.get("/<interview_id>/transcript.txt")
def transcript(interview_id: str):
    """The transcript as plain text (an export): speaker turns, times, and a notice where a passage is withheld."""
    from . import timecode

    interview = get_interview_or_404(interview_id)
    segments, _notes = redaction.for_reader(collection(), interview_id, access.sees_redactions(g.reader))
    lines = []
    for s in segments:
        when = f"[{timecode(s['start'])}] " if s.get("start") is not None else ""
        lines.append(
            f"{when}{s['speaker'] + ': ' if s.get('speaker') else ''}{redaction.plain(s['text'], _(redaction.NOTICE))}"
        )
    return download("\n\n".join(lines) + "\n", "text/plain", f"transcript-{interview_id}.txt", interview.record)


@bp.get("/<interview_id>/transcript.vtt")
def transcript_vtt(interview_id: str):
    """A timed transcript as WebVTT (formats.vtt.write): one cue per passage, and a notice where a passage is
    withheld."""
    interview = get_interview_or_404(interview_id)
    segments, _notes = redaction.for_reader(collection(), interview_id, access.sees_redactions(g.reader))
    if not timed(segments):
        abort(404, N_("This transcript has no times, so there is no WebVTT file of it."))
    shown = [{**s, "text": redaction.plain(s["text"], _(redaction.NOTICE))} for s in segments]
    return download(vtt.write(shown), "text/vtt", f"transcript-{interview_id}.vtt", interview.record)


@bp.route("/<interview_id>/passages/<int:n>", methods=["GET", "POST"])
def correct(interview_id: str, n: int):
    """A historian corrects one passage; annotations move with their words, or are flagged for review."""
    access.require(g.viewer, "edit")
    interview = get_interview_or_404(interview_id)
    stored = collection().read("interviews", interview_id, "segments.json")
    segment = next((s for s in stored.json() if s["n"] == n), None)
    if segment is None:
        abort(404, N_("This interview has no such passage."))
    form = PassageForm()
    if request.method == "GET":
        form.text.data, form.version.data = segment["text"], stored.version
    if form.validate_on_submit():
        try:
            flagged = services().transcripts.correct_segment(
                interview_id, n, form.text.data, g.viewer.name, form.version.data
            )
        except ConflictError as error:
            form.form_errors.append(
                sentence(error)
                + " "
                + _(
                    "Your text is kept below; compare it with the passage as it is now (reload the page) before "
                    "saving again."
                )
            )
        except transcripts.TranscriptError as error:
            form.text.errors.append(sentence(error))
        else:
            lost = _n(
                "{n} annotation lost its words and is flagged for review.",
                "{n} annotations lost their words and are flagged for review.",
                len(flagged),
            )
            flash(_("Passage corrected.") + (f" {lost}" if flagged else ""))
            return redirect(url_for("interviews.show", interview_id=interview_id) + f"#s{n}")
    return render_template(
        "interviews/correct.html", form=form, interview=interview, segment=segment
    ), 200 if not form.errors else 422


@bp.get("/<interview_id>/recordings/<int:part>")
def recording(interview_id: str, part: int):
    """One part of an interview's recordings, with range requests (206) for seeking; only to those who may read the
    interview (anyone else finds nothing here), never cached when the interview is not public."""
    interview = get_interview_or_404(interview_id)
    found = recordings.part(interview.record, part)
    if found is None:
        abort(404, N_("This interview has no such recording."))
    heard = recording_for_reader(interview_id, interview.record, part)
    if isinstance(heard, str):
        abort(404, heard)
    path, content_type = heard
    response = send_file(path, mimetype=content_type, conditional=True, max_age=0)
    return private_unless_public(response, interview.record)


@bp.get("/<interview_id>/audio")
def audio(interview_id: str):
    """The first part, at the address it had when an interview had one recording."""
    return recording(interview_id, 1)


@bp.route("/<interview_id>/recordings/new", methods=["GET", "POST"])
def add_recordings(interview_id: str):
    """A historian adds recordings (parts) after those the interview has."""
    access.require(g.viewer, "edit")
    interview = get_interview_or_404(interview_id)
    form = RecordingsForm()
    if form.validate_on_submit():
        chosen = sorted((f for f in form.recordings.data or [] if f and f.filename), key=lambda f: f.filename)
        with kept_uploads(chosen) as given:
            try:
                added = services().recordings.add(interview_id, given, g.viewer.name)
            except ConflictError as error:
                form.form_errors.append(sentence(error))
            except recordings.RecordingError as error:
                form.recordings.errors = [*form.recordings.errors, sentence(error)]
            else:
                flash(_n("{n} recording added.", "{n} recordings added.", len(added)))
                return redirect(url_for("interviews.show", interview_id=interview_id))
        form.form_errors.append(_("Nothing was saved; choose the files again."))
    return render_template(
        "interviews/recordings.html", form=form, interview=interview
    ), 200 if not form.errors else 422


@bp.route("/new", methods=["GET", "POST"])
def new():
    access.require(g.viewer, "edit")
    form = InterviewUploadForm()
    if form.validate_on_submit():
        ingester = services().ingest.ingester(g.viewer.name)
        upload = form.transcript.data
        chosen = sorted((f for f in form.audio.data or [] if f and f.filename), key=lambda f: f.filename)
        with kept_uploads(chosen) as given:
            outcome = ingester.ingest(upload.read(), upload.filename or "transcript", form.metadata(), parts=given)
        if outcome.status == "ingested":
            services().recordings.prepare(outcome.interview_id, g.viewer.name)
            flash(_("Ingested “{name}”.", name=upload.filename) + "".join(f" {sentence(n)}" for n in outcome.notes))
            return redirect(url_for("interviews.show", interview_id=outcome.interview_id))
        if outcome.status == "duplicate":
            form.transcript.errors.append(
                _("This file is already in the archive (interview {id}).", id=outcome.interview_id)
            )
        elif outcome.errors:
            form.show_errors(outcome.errors)
        else:
            target = form.audio if outcome.file == "audio" else form.transcript
            target.errors.append(sentence(outcome.reason))
        form.form_errors.append(_("Nothing was saved. Correct what is marked below; files must be chosen again."))
    return render_template("interviews/new.html", form=form), 200 if not form.errors else 422


def recording_for_reader(interview_id: str, record: dict, part: int) -> tuple[Path, str] | str:
    """What this reader gets of one part of the recording (sound.playable decides: the original or its streaming
    copy, the public copy with redacted passages silent, or nothing): a file and its type, or why not."""
    sees = access.sees_redactions(g.reader)
    return sound.playable(
        collection(), interview_id, record, part, sees, None if sees else sound.ranges(collection(), interview_id)
    )


def heard_parts(interview_id: str, record: dict) -> tuple[list[dict], str | None]:
    """The parts this reader may play, and why any other is withheld (the first reason), for the page's player."""
    heard, withheld = [], None
    for part in recordings.parts(record):
        got = recording_for_reader(interview_id, record, part["part"])
        if isinstance(got, str):
            withheld = withheld or got
        else:
            heard.append(part)
    return heard, withheld


# --- editing and replacing (issue 16) ---------------------------------------------------------------------------------


def _changed_meanwhile(error: ConflictError, what: str) -> str:
    """Who changed the record since the page was opened, and when, in plain words (`what`: "description",
    "transcript" or "recording"); the collection's own sentence where it did not record who."""
    if not error.author:
        return sentence(error)
    said = {
        "description": N_("The description was changed by {author} at {time}, after you opened this page."),
        "transcript": N_("The transcript was changed by {author} at {time}, after you opened this page."),
        "recording": N_("The recordings were changed by {author} at {time}, after you opened this page."),
    }
    return _(said[what], author=error.author, time=error.time or "")


def _kept_sentence(error: ConflictError) -> str:
    return (
        _changed_meanwhile(error, "description")
        + " "
        + _("What you typed is kept below; compare it with the interview as it is now.")
    )


@bp.route("/<interview_id>/edit", methods=["GET", "POST"])
def edit(interview_id: str):
    """A historian edits every field of the description; what the form does not show is kept as stored."""
    access.require(g.viewer, "edit")
    interview = get_interview_or_404(interview_id)
    if request.method == "GET":
        form = InterviewForm(data=InterviewForm.prefill(interview.record, interview.version))
    else:
        form = InterviewForm()
    status = 200
    if form.validate_on_submit():
        try:
            services().interviews.edit(
                interview_id, form.merged(interview.record), g.viewer.name, form.version.data or ""
            )
        except MetadataError as error:
            form.show_errors(error.errors)
        except ConflictError as error:
            form.form_errors.append(_kept_sentence(error))
            status = 409
        else:
            flash(_("Description saved."))
            return redirect(url_for("interviews.show", interview_id=interview_id))
    if request.method == "POST" and status == 200:  # not saved: something typed or chosen is refused
        status = 422
    return render_template("interviews/edit.html", form=form, interview=interview), status


@bp.route("/<interview_id>/transcript/replace", methods=["GET", "POST"])
def replace_transcript(interview_id: str):
    """A historian replaces the transcript with a new file; the result page lists the annotations whose words are
    gone (flagged for review)."""
    access.require(g.viewer, "edit")
    interview = get_interview_or_404(interview_id)
    form = TranscriptReplaceForm()
    if request.method == "GET":
        form.version.data = _segments_version(interview_id)
    status = 200
    if form.validate_on_submit():
        upload = form.transcript.data
        try:
            segments, flagged = services().interviews.replace_transcript(
                interview_id, upload.read(), upload.filename or "transcript", g.viewer.name, form.version.data or None
            )
        except ConflictError as error:
            form.form_errors.append(_changed_meanwhile(error, "transcript"))
            status = 409
        except FormatError as error:
            form.transcript.errors.append(sentence(error))
        except transcripts.TranscriptError as error:
            show_error(form, error)
        else:
            return render_template(
                "interviews/replaced_transcript.html",
                interview=interviews.load(collection(), interview_id),
                segments=segments,
                flagged=[
                    {
                        "id": annotations.short_id(a),
                        "quote": annotations.selector(a, "TextQuoteSelector").get("exact", ""),
                        "note": annotations.note(a),
                        "tags": annotations.tags(a),
                    }
                    for a in flagged
                ],
            )
        form.form_errors.append(_("Nothing was replaced; choose the file again."))
    if request.method == "POST" and status == 200:  # not saved: something typed or chosen is refused
        status = 422
    return render_template("interviews/replace_transcript.html", form=form, interview=interview), status


def _segments_version(interview_id: str) -> str:
    try:
        return collection().read("interviews", interview_id, "segments.json").version
    except CollectionError:
        return ""


@bp.route("/<interview_id>/recordings/<int:part>/replace", methods=["GET", "POST"])
def replace_recording(interview_id: str, part: int):
    """A historian replaces one part of the recording with a new file (probed as an added one is)."""
    access.require(g.viewer, "edit")
    interview = get_interview_or_404(interview_id)
    found = recordings.part(interview.record, part)
    if found is None:
        abort(404, N_("This interview has no such recording."))
    form = RecordingReplaceForm()
    if request.method == "GET":
        form.version.data = interview.version
    status = 200
    if form.validate_on_submit():
        with kept_uploads([form.recording.data]) as given:
            source, name = given[0]
            try:
                made = services().interviews.replace_recording(
                    interview_id, part, source, name, g.viewer.name, form.version.data or ""
                )
            except ConflictError as error:
                form.form_errors.append(_changed_meanwhile(error, "recording"))
                status = 409
            except recordings.RecordingError as error:
                form.recording.errors.append(sentence(error))
            else:
                flash(_("Recording {n} replaced.", n=made["part"]))
                return redirect(url_for("interviews.show", interview_id=interview_id))
        form.form_errors.append(_("Nothing was replaced; choose the file again."))
    if request.method == "POST" and status == 200:  # not saved: something typed or chosen is refused
        status = 422
    return render_template("interviews/replace_recording.html", form=form, interview=interview, part=found), status
