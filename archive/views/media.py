"""Photographs, documents, letters and objects: the gallery, an item's page, its derivatives, and the historian's
forms. Every file served goes through get_item_or_404, so access is asked once, the same way for pages and images."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, send_file, url_for

from .. import access, images, interviews, media, vocab
from ..errors import CollectionError, ConflictError
from ..exports import schema_org
from ..i18n import N_, localise, sentence
from ..i18n import translate as _
from ..i18n import translate_plural as _n
from .forms.media import MediaForm, MediaUploadForm
from .loaders import collection, get_item_or_404, search_index, services, site_name
from .paging import page_number

bp = Blueprint("media", __name__, url_prefix="/media")
GALLERY_FILTERS = ("village", "surname", "kind", "decade", "institution")
GALLERY_TITLES = {
    "village": N_("Village"),
    "surname": N_("Surname"),
    "kind": N_("Kind"),
    "decade": N_("Decade"),
    "institution": N_("Institution"),
}
KIND_NAMES = {  # media.ITEM_KINDS in words
    "photograph": N_("Photograph"),
    "document": N_("Document"),
    "letter": N_("Letter"),
    "object": N_("Object"),
    "other": N_("Other"),
}
GALLERY_PAGE = 48


@bp.get("/")
def gallery():
    filters = {name: request.args.getlist(name) for name in GALLERY_FILTERS if request.args.getlist(name)}
    page = request.args.get("page", "1")
    results = search_index().query(
        "", filters, g.reader, page=page_number(page), sort="date", page_size=GALLERY_PAGE, scope="media"
    )
    return render_template(
        "media/gallery.html", results=results, filters=filters, facet_names=GALLERY_FILTERS, titles=GALLERY_TITLES
    )


@bp.get("/<item_id>")
def show(item_id: str):
    item = get_item_or_404(item_id)
    record = access.shown_record(g.reader, item.record)
    readable = []
    for interview_id in record.get("interviews", []):
        try:
            interview = interviews.load(collection(), interview_id)
        except CollectionError:
            continue
        if access.can_read(g.reader, interview.record, f"interviews/{interview.id}"):
            readable.append(interview)
    events = vocab.lookup(collection(), "events")
    return render_template(
        "media/show.html",
        item=item,
        record=record,
        interviews=readable,
        events=[events[e] for e in record.get("events", []) if e in events],
        staff=access.is_staff(g.viewer),
        suggested_date=images.suggested_date(record.get("technical", {})),
        jsonld=schema_org.item(
            item.record,
            item_id,
            url_for("media.show", item_id=item_id, _external=True),
            url_for("media.display", item_id=item_id, page=1, _external=True) if item.pages else None,
            url_for("media.thumbnail", item_id=item_id, page=1, _external=True) if item.pages else None,
            vocab.gazetteer(collection()),
            lambda place_id: url_for("entries.show", kind="places", entry_id=place_id, _external=True),
            site_name(),
        ),
    )


def _derivative(item_id: str, page: int, size: str):
    item = get_item_or_404(item_id)
    if not 1 <= page <= item.pages:
        abort(404, N_("This item has no such page."))
    fmt = item.record.get("derived", {}).get("format", "JPEG")
    path = media.derived_path(collection(), item_id, page, size, fmt)
    if not path.is_file():
        abort(404, N_("This image has not been prepared yet; `archive derive` makes it."))
    response = send_file(path, mimetype="image/webp" if fmt == "WEBP" else "image/jpeg", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"  # access may change; never kept by shared caches
    return response


@bp.get("/<item_id>/display/<int:page>")
def display(item_id: str, page: int):
    return _derivative(item_id, page, "display")


@bp.get("/<item_id>/thumb/<int:page>")
def thumbnail(item_id: str, page: int):
    return _derivative(item_id, page, "thumb")


@bp.get("/<item_id>/view/<int:page>")
def full(item_id: str, page: int):
    """The display copy alone, at its full size, for reading a letter or a caption on a photograph."""
    item = get_item_or_404(item_id)
    if not 1 <= page <= item.pages:
        abort(404, N_("This item has no such page."))
    return render_template("media/full.html", item=item, page=page)


@bp.get("/<item_id>/original")
def original(item_id: str):
    item = get_item_or_404(item_id)
    if not access.can_fetch_original(g.viewer):
        abort(404, N_("There is no item here."))
    source = item.record["source"]
    path = collection().path("media", item_id, source["original"])
    if not path.is_file():
        abort(404, N_("The original file of this item is missing from its folder; `archive verify` says more."))
    return send_file(
        path,
        mimetype=source.get("media_type"),
        as_attachment=True,
        download_name=source["file"],
        conditional=True,
        max_age=0,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    access.require(g.viewer, "edit")
    form = MediaUploadForm()
    form.offer(vocab.current(collection(), "events")[0])
    if form.validate_on_submit():
        chosen = form.chosen()
        if not chosen:
            form.files.errors.append(_("Choose at least one image."))
        else:
            done, failed = _ingest_uploads(form, chosen)
            if not failed:
                flash(
                    _n("Added {n} item.", "Added {n} items.", len(done)) + "".join(f" {note}" for note in _notes(done))
                )
                return redirect(
                    url_for("media.show", item_id=done[0].interview_id) if len(done) == 1 else url_for("media.gallery")
                )
            kept = f" {len(done)} other file{'s were' if len(done) != 1 else ' was'} added." if done else ""
            form.form_errors.append(
                f"Some files were refused; they are named below.{kept} Choose the refused "
                "files again after correcting what is marked."
            )
    return render_template("media/new.html", form=form), 200 if not form.errors and not form.form_errors else 422


def _ingest_uploads(form: MediaUploadForm, chosen) -> tuple[list, list]:
    """Store each chosen file as an item, putting each refusal beside its file (or its field)."""
    ingester = services().media.ingester(g.viewer.name)
    done, failed = [], []
    raw = form.metadata()
    slots = [slot for slot in form.files if slot.file.data and getattr(slot.file.data, "filename", "")]
    with tempfile.TemporaryDirectory(dir=Path(current_app.instance_path)) as scratch:
        for n, ((upload, caption), slot) in enumerate(zip(chosen, slots, strict=True)):
            path = Path(scratch) / f"upload-{n}"
            upload.save(path)
            given = {**raw, "caption": caption, "title": raw.get("title") or caption}
            if not given["title"]:
                given.pop("title")
            outcome = ingester.ingest(path, upload.filename or "image", given)
            if outcome.status == "failed" and outcome.errors:
                form.show_errors(outcome.errors)
                failed.append(outcome)
            elif outcome.status == "failed":
                slot.file.errors = [*slot.file.errors, f"{outcome.source}: {sentence(outcome.reason)}"]
                failed.append(outcome)
            elif outcome.status == "duplicate":
                slot.file.errors = [
                    *slot.file.errors,
                    _("{name} is already in the archive (item {id}).", name=outcome.source, id=outcome.interview_id),
                ]
                failed.append(outcome)
            else:
                done.append(outcome)
    return done, failed


def _notes(outcomes) -> list[str]:
    return [f"{o.source}: {localise(n)}." for o in outcomes for n in o.notes]


@bp.route("/<item_id>/edit", methods=["GET", "POST"])
def edit(item_id: str):
    access.require(g.viewer, "edit")
    item = get_item_or_404(item_id)
    form = MediaForm()
    form.offer(vocab.current(collection(), "events")[0])
    suggested = images.suggested_date(item.record.get("technical", {}))
    if suggested and not item.record.get("date"):
        form.date.description = _("{hint}. The camera says {date}.", hint=_(form.date.description), date=suggested)
    if request.method == "GET":
        form.fill(item.record, item.version)
    if form.validate_on_submit():
        try:
            services().media.edit(
                item_id,
                {**form.metadata(), "extra": item.record.get("extra", {})},
                g.viewer.name,
                form.version.data,
            )
        except media.MetadataError as error:
            form.show_errors(error.errors)
        except ConflictError as error:
            form.form_errors.append(sentence(error) + " " + _("What you typed is kept below."))
        else:
            flash(_("Description saved."))
            return redirect(url_for("media.show", item_id=item_id))
    return render_template(
        "media/edit.html", form=form, item=item
    ), 200 if not form.errors and not form.form_errors else 422
