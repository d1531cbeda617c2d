"""Annotating an interview: the historian's forms to add, edit and delete annotations, and what the interview page
needs to show them (highlights in the transcript, a filterable list beside it)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from .. import access, annotations, dates, interviews, redaction, vocab
from ..errors import ArchiveError
from ..i18n import N_, sentence
from ..i18n import translate as _
from .forms.annotate import AnnotationForm, DeleteForm
from .forms.base import show_error
from .loaders import collection, get_interview_or_404, services

bp = Blueprint("annotate", __name__, url_prefix="/interviews/<interview_id>/annotations")


# --- what the interview page shows ---------------------------------------------------------------------------------


@dataclass
class Shown:
    """One annotation as the interview page lists it."""

    id: str
    annotation: dict
    quote: str
    links: list[tuple[str, str, str]]  # (kind, id, label)
    tags: list[str]
    note: str
    creator: str
    modified: str
    flagged: str
    redacts: bool = False


def labels(kind: str) -> dict[str, str]:
    """Names of a vocabulary's entries in the reader's language, by id, for lists and choices."""
    return {entry_id: entry.name(g.lang) for entry_id, entry in vocab.lookup(collection(), kind).items()}


def shown(items: list[dict]) -> list[Shown]:
    names = {kind: labels(kind) for kind in annotations.LINK_KINDS}
    return [
        Shown(
            annotations.short_id(annotation),
            annotation,
            annotations.selector(annotation, "TextQuoteSelector").get("exact", ""),
            [
                (kind, entry_id, names[kind].get(entry_id, entry_id))
                for kind, entry_id in sorted(annotations.link_pairs(annotation))
            ],
            annotations.tags(annotation),
            annotations.note(annotation),
            annotations.creator(annotation),
            annotation.get("modified", ""),
            (annotation.get("review") or {}).get("reason", ""),
            redaction.is_redaction(annotation),
        )
        for annotation in items
    ]


def matching(items: list[Shown], filters: dict[str, str]) -> list[Shown]:
    """Keep the annotations that link every chosen event, place and person, by the chosen author."""
    wanted = {(kind, value) for kind, value in filters.items() if kind in annotations.LINK_KINDS and value}
    return [
        item
        for item in items
        if wanted <= annotations.link_pairs(item.annotation)
        and (not filters.get("author") or item.creator == filters["author"])
    ]


def pieces(segments: list[dict], starts: list[int], items: list[Shown]) -> list[list[tuple[str, list[str], list[str]]]]:
    """Cut each segment's text where highlights begin and end: per segment, (text, ids of the annotations covering
    it, ids of those that begin there)."""
    spans = [(*span, item.id) for item in items if (span := annotations.span(item.annotation))]
    cut = []
    for segment, offset in zip(segments, starts, strict=False):
        text, end = segment["text"], offset + len(segment["text"])
        inside = [
            (max(s, offset) - offset, min(e, end) - offset, s >= offset, i)
            for s, e, i in spans
            if s < end and e > offset
        ]
        bounds = sorted({0, len(text), *(s for s, _, _, _ in inside), *(e for _, e, _, _ in inside)})
        cut.append(
            [
                (
                    text[a:b],
                    [i for s, e, _, i in inside if s <= a and b <= e],
                    [i for s, _, starts_here, i in inside if starts_here and s == a],
                )
                for a, b in zip(bounds, bounds[1:], strict=False)
            ]
        )
    return cut


def page_parts(interview_id: str, segments: list[dict], items: list[dict], staff: bool) -> dict:
    """Everything the interview page shows of annotations (those this reader may have, see redaction.for_reader):
    highlights, the filtered list and its filters, and the annotator's form for staff."""
    every = shown(items)
    starts = interviews.transcript_text(segments)[1]
    filters = {name: request.args.get(name, "") for name in (*annotations.LINK_KINDS, "author")}
    options = []
    for kind, label in (("events", N_("Event")), ("places", N_("Place")), ("people", N_("Person"))):
        present = {entry_id: name for item in every for k, entry_id, name in item.links if k == kind}
        if present:
            options.append((kind, label, sorted(present.items(), key=lambda pair: pair[1].casefold())))
    authors = sorted({item.creator for item in every})
    if authors:
        options.append(("author", N_("Author"), [(a, a) for a in authors]))
    return {
        "all_annotations": every,
        "listed": matching(every, filters),
        "annotation_filters": options,
        "filtering": any(filters.values()),
        "cut": pieces(segments, starts, every),
        "starts": starts,
        "annotation_form": form_for() if staff else None,
    }


def form_for(annotation: dict | None = None) -> AnnotationForm:
    form = AnnotationForm()
    form.offer(
        *(
            sorted(labels(kind).items(), key=lambda pair: pair[1].casefold())
            if kind != "events"
            else [(e.id, f"{dates.say(e.date)} · {e.name(g.lang)}") for e in vocab.events(collection())]
            for kind in annotations.LINK_KINDS
        )
    )
    if annotation is not None and request.method == "GET":
        chosen = annotations.links(annotation)
        form.events.data, form.places.data, form.people.data = chosen["events"], chosen["places"], chosen["people"]
        form.tags.data = ", ".join(annotations.tags(annotation))
        form.note.data = annotations.note(annotation)
        form.redact.data = redaction.is_redaction(annotation)
        form.version.data = annotations.version(annotation)
    return form


def _back(interview_id: str, anchor: str = ""):
    return redirect(url_for("interviews.show", interview_id=interview_id) + (f"#{anchor}" if anchor else ""))


# --- forms ---------------------------------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
def new(interview_id: str):
    """Annotate a selection (sent by the annotator script) or, without JavaScript, a whole segment."""
    access.require(g.viewer, "edit")
    interview = get_interview_or_404(interview_id)
    segments = interviews.segments(collection(), interview_id)
    form = form_for()
    if request.method == "GET":
        form.segment.data = request.args.get("segment", "")
    segment = None
    chosen = str(form.segment.data or "")
    if chosen.isascii() and chosen.isdigit() and len(chosen) <= 9:
        segment = next((s for s in segments if s["n"] == int(form.segment.data)), None)
    if form.validate_on_submit():
        try:
            if form.start.data is not None and form.end.data is not None:
                start, end, quoted = form.start.data, form.end.data, form.exact.data or None
            elif segment is not None:
                (start, end), quoted = annotations.segment_span(segments, segment["n"]), None
            else:
                raise annotations.AnnotationError("Select the words to annotate, or choose a passage.")
            body = annotations.bodies(collection(), form.chosen(), form.tag_list(), form.note.data, form.redact.data)
            made = services().annotations.create(interview_id, start, end, body, g.viewer.name, quoted)
        except annotations.AnnotationError as error:
            _show_error(form, error)
        else:
            flash(_("Annotation saved."))
            return _back(interview_id, f"a-{annotations.short_id(made)}")
    elif request.method == "GET" and segment is None:
        abort(404, N_("Choose a passage of the transcript to annotate."))
    return render_template(
        "annotate/form.html",
        form=form,
        interview=interview,
        segment=segment,
        action=url_for("annotate.new", interview_id=interview_id),
        quote=form.exact.data or (segment or {}).get("text", ""),
    ), 200 if not form.errors else 422


@bp.route("/<annotation_id>/edit", methods=["GET", "POST"])
def edit(interview_id: str, annotation_id: str):
    access.require(g.viewer, "edit")
    interview = get_interview_or_404(interview_id)
    annotation = _find_or_404(interview_id, annotation_id)
    form = form_for(annotation)
    if form.validate_on_submit():
        try:
            body = annotations.bodies(collection(), form.chosen(), form.tag_list(), form.note.data, form.redact.data)
            services().annotations.edit(interview_id, annotation_id, form.version.data, body, g.viewer.name)
        except annotations.AnnotationError as error:
            _show_error(form, error)
        else:
            flash(_("Annotation changed."))
            return _back(interview_id, f"a-{annotation_id}")
    return render_template(
        "annotate/form.html",
        form=form,
        interview=interview,
        annotation=annotation,
        delete_form=DeleteForm(version=annotations.version(annotation)),
        action=url_for("annotate.edit", interview_id=interview_id, annotation_id=annotation_id),
        quote=annotations.selector(annotation, "TextQuoteSelector").get("exact", ""),
    ), 200 if not form.errors else 422


@bp.post("/<annotation_id>/delete")
def delete(interview_id: str, annotation_id: str):
    access.require(g.viewer, "edit")
    get_interview_or_404(interview_id)
    _find_or_404(interview_id, annotation_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400, N_("This form has expired. Reload the page and try again."))
    try:
        services().annotations.delete(interview_id, annotation_id, form.version.data, g.viewer.name)
    except annotations.AnnotationError as error:
        flash(sentence(error), "error")
        return redirect(url_for("annotate.edit", interview_id=interview_id, annotation_id=annotation_id))
    flash(_("Annotation deleted; the interview's history keeps it."))
    return _back(interview_id, "annotations")


@bp.get("")
def export(interview_id: str):
    """The interview's annotations as a Web Annotation collection: this URL is the collection's id, and with
    `?page=0` the id of its one page, which it then serves alone."""
    get_interview_or_404(interview_id)
    document = redaction.export(collection(), interview_id, access.sees_redactions(g.reader))
    if "page" in request.args:
        if request.args["page"] != "0":
            abort(404, N_("There is no such page of annotations."))
        document = annotations.page_alone(document)
    body = json.dumps(document, ensure_ascii=False, indent=2)
    headers = (
        {"Content-Disposition": f'attachment; filename="annotations-{interview_id}.jsonld"'}
        if request.args.get("download")
        else {}
    )
    return Response(body, mimetype=annotations.MEDIA_TYPE, headers=headers)


def _find_or_404(interview_id: str, annotation_id: str) -> dict:
    try:
        return annotations.find(collection(), interview_id, annotation_id)
    except ArchiveError:
        abort(404, N_("There is no such annotation in this interview."))


def _show_error(form: AnnotationForm, error: annotations.AnnotationError) -> None:
    show_error(form, error)
