"""The public "Share a testimony" form, and the contributor's receipt page (no account: a private link, or a code).

Opening the receipt link (or typing the code) records the submission in this browser's signed session; that is what
lets the contributor see the testimony, and later its `family`-level interview and photos (access.Reader.family).
The link's secret is swapped for the session at once, so it never appears in later URLs or Referer headers; right
after sending, the link and code wait in the (signed) session cookie until the receipt page shows them, once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)

from .. import accounts, contributions, i18n, vocab
from ..contributions import ContributionError, Upload
from ..errors import CollectionError, DiskFullError, is_disk_full
from ..i18n import N_
from ..i18n import translate as _
from .forms.contribute import (
    ANSWER_MAX_CHARS,
    STORY_MAX_CHARS,
    ContributionForm,
    ReceiptAddForm,
    ReceiptCodeForm,
    WithdrawForm,
)
from .loaders import collection, services

bp = Blueprint("contribute", __name__, url_prefix="/contribute")
TERMS_VERSION = "2026-11"
# What each refusal says on the public form, in English; the catalogues translate these.
MESSAGES = {
    "story_missing": N_("Please tell the story in the box, or attach it as a file."),
    "story_type": N_(
        "{name}: this file cannot be read as a story. Send text (.txt), Word (.docx) or audio "
        "(MP3, M4A, WAV, Ogg, FLAC)."
    ),
    "format": N_("{name}: this is not a photo we can take. Send JPEG, PNG, TIFF, WebP or HEIC."),
    "heif": N_("{name}: this HEIC photo cannot be read here. Save it as JPEG and send it again."),
    "size": N_("{name}: this file is too large."),
    "pixels": N_("{name}: this picture is too large."),
    "pages": N_("{name}: this file has too many pages."),
    "truncated": N_("{name}: this file is cut short; part of it is missing. Send the whole file."),
    "damaged": N_("{name}: this file is damaged and cannot be read."),
    "empty": N_("{name}: this file is empty."),
    "visibility": N_("Please choose who may see it."),
    "closed": N_("This testimony is closed; nothing more can be added to it."),
    "busy": N_("The archive was busy and nothing was saved yet. Please press the button again."),
}


def _limits():
    return current_app.extensions["image_limits"]


def _upload(storage, scratch: Path, name: str, caption: str = "", field: str = "photos") -> Upload:
    """Keep an uploaded file on disk (audio can be large), refusing one over the contribution limit."""
    path = scratch / name
    storage.save(path)
    limit = int(current_app.config["ARCHIVE_CONTRIBUTION_MAX_MB"]) * 2**20
    if path.stat().st_size > limit:
        raise ContributionError(f"{storage.filename}: too large", field, "size", storage.filename)
    return Upload(path, storage.filename or name, caption)


def _explain(error: ContributionError, name: str = "") -> str:
    template = MESSAGES.get(error.code)
    return _(template, name=name) if template else i18n.sentence(error)


def _place_names() -> list[str]:
    """Place names to suggest as people type (in the page's language first, then the other names we know)."""
    names = []
    for place in vocab.gazetteer(collection()).places.values():
        if place.type in ("village", "town", "city", "kolkhoz", "station"):
            names.extend([place.name(g.lang), place.name()])
    return sorted(set(names), key=str.casefold)


def _grant(submission_id: str) -> None:
    """Remember in this browser's session that it holds the receipt of this submission."""
    held = [s for s in session.get("family", []) if s != submission_id]
    session["family"] = [*held[-19:], submission_id]
    session.permanent = True  # closing the browser must not cut a family off from withdrawing consent


@bp.route("/", methods=["GET", "POST"])
def share():
    form = ContributionForm()
    status = 200
    if request.method == "POST" and form.website.data:
        abort(400, _("This form was not sent by a person."))  # the honeypot: people never see the field
    if form.validate_on_submit():
        wait, attempt = accounts.reserve(
            f"contribute:{request.remote_addr}", int(current_app.config["ARCHIVE_CONTRIBUTIONS_PER_HOUR"]), 3600
        )
        if wait:
            form.form_errors.append(
                _(
                    "Too many testimonies were sent from here in the last hour. Please try again in {minutes} minutes.",
                    minutes=max(1, wait // 60),
                )
            )
            return render_template("contribute/share.html", form=form, terms=TERMS_VERSION, places=_place_names()), 429
        receipt = None
        try:
            receipt = _receive(form)
        except (OSError, DiskFullError) as error:  # the collection's write, or the scratch copy of an upload
            if not is_disk_full(error):
                raise
            current_app.logger.error("the disk is full: a testimony could not be kept")
            form.form_errors.append(
                _(
                    "The archive's disk is full, so nothing was saved. What you typed is kept "
                    "below; please try again later (files must be chosen again)."
                )
            )
            status = 507
        finally:
            if receipt is None:
                accounts.release(attempt)  # only what was kept counts: a refused file does not use up the hour
        if receipt is not None:
            _grant(receipt.submission_id)
            kept = session.get("receipts", {})  # shown on the receipt page for as long as this browser holds it
            session["receipts"] = {
                **{k: v for k, v in kept.items() if k in session["family"]},
                receipt.submission_id: {
                    "code": receipt.code_shown,
                    "link": url_for(
                        "contribute.receipt_link",
                        submission_id=receipt.submission_id,
                        token=receipt.token,
                        _external=True,
                    ),
                },
            }
            return redirect(url_for("contribute.receipt", submission_id=receipt.submission_id))
    if (form.errors or form.form_errors) and status == 200:
        status = 422
    keep_what_fits(form.story_text, STORY_MAX_CHARS)
    return render_template("contribute/share.html", form=form, terms=TERMS_VERSION, places=_place_names()), status


@bp.errorhandler(413)
def too_large(error):
    """More than the archive reads in one request: the form again, in the page's language, saying what to do."""
    g.lang = i18n.choose(request)  # the CSRF check, reading the form, may have refused it before the hooks ran
    form = ContributionForm(formdata=None)
    limit = int(current_app.config["ARCHIVE_CONTRIBUTION_MAX_MB"])
    form.form_errors.append(
        _(
            "What you sent is larger than the archive can take at once, so nothing was saved and "
            "the form could not be kept. Send a long story as a file (.txt or .docx, or a recording"
            " of up to {limit} MB), and photos a few at a time from your receipt page.",
            limit=number(limit),
        )
    )
    return render_template("contribute/share.html", form=form, terms=TERMS_VERSION, places=_place_names()), 413


def number(n: int) -> str:
    """A count as the page's language writes it (200,000 in English, 200 000 in Russian)."""
    return i18n.number(n)


def keep_what_fits(field, limit: int) -> None:
    """A text longer than its box: keep what fits (cut at a space) and say, beside it, what was not kept."""
    text = field.data or ""
    if len(text) <= limit:
        return
    kept = text[:limit]
    space = max(kept.rfind(" ", limit - 500), kept.rfind("\n", limit - 500))
    kept = kept[:space] if space > 0 else kept
    field.data, field.overflow = kept, text[len(kept) :].strip()
    field.errors = [
        _(
            "This text has {total} characters; the box holds {limit}. The first {kept} characters are "
            "kept in the box. The rest, beginning «{start}…», is shown below it, not sent: copy it and "
            "send the whole text as a file (.txt or .docx) instead, or send the rest later from your "
            "receipt page.",
            total=number(len(text)),
            limit=number(limit),
            kept=number(len(kept)),
            start=" ".join(field.overflow[:80].split()),
        )
    ]


def _receive(form: ContributionForm):
    details = {
        "name": form.contributor_name.data,
        "relation": form.relation.data,
        "contact": form.contact.data,
        "narrator": form.narrator.data,
        "narrator_other_forms": form.narrator_other_forms.data,
        "birth_year": form.birth_year.data,
        "birthplace": form.birthplace.data,
        "deported_to": form.deported_to.data,
        "later_homes": form.later_homes.data,
        "story_text": form.story_text.data,
        "visibility": form.visibility.data,
        "living_named": form.living_named.data == "yes",
        "embargo_until": form.embargo_until.data.isoformat() if form.embargo_until.data else "",
        "terms_version": TERMS_VERSION,
    }
    with tempfile.TemporaryDirectory(dir=Path(current_app.instance_path)) as scratch:
        try:
            story = None
            if form.story_file.data and getattr(form.story_file.data, "filename", ""):
                story = _upload(form.story_file.data, Path(scratch), "story", field="story_file")
            photos = []
            for n, (storage, caption) in enumerate(form.chosen_photos()):
                try:
                    photos.append(_upload(storage, Path(scratch), f"photo-{n}", caption))
                except ContributionError as error:
                    error.index = n
                    raise
            return services().contributions.submit(details, story, photos, g.lang)
        except ContributionError as error:
            name = error.file or ""
            target = {"story_text": form.story_text, "story_file": form.story_file}.get(error.field or "")
            if error.field == "photos":
                chosen = [s for s in form.photos if s.file.data and getattr(s.file.data, "filename", "")]
                slot = (
                    chosen[error.index]
                    if error.index is not None and error.index < len(chosen)
                    else next((s for s in chosen if s.file.data.filename == name), None)
                )
                target = slot.file if slot is not None else None
            message = _explain(error, name)
            (target.errors if target is not None else form.form_errors).append(message)
            form.form_errors.append(
                _("Nothing was sent yet. Please correct what is marked; files must be chosen again.")
            )
            return None


@bp.get("/receipt/<submission_id>/<token>")
def receipt_link(submission_id: str, token: str):
    submission = contributions.by_token(collection(), submission_id, token)
    if submission is None:
        abort(404, _("This link is not valid. Check that it was copied whole, or use your code."))
    _grant(submission.id)
    return redirect(url_for("contribute.receipt", submission_id=submission.id))


@bp.route("/receipt", methods=["GET", "POST"])
def receipt_code():
    form = ReceiptCodeForm()
    if form.validate_on_submit():
        wait = accounts.throttle(f"receipt-code:{request.remote_addr}", 20, 900)
        if wait:
            form.code.errors.append(_("Too many tries. Please wait {minutes} minutes.", minutes=max(1, wait // 60)))
        else:
            submission = contributions.by_code(collection(), form.code.data)
            if submission is not None:
                _grant(submission.id)
                return redirect(url_for("contribute.receipt", submission_id=submission.id))
            form.code.errors.append(_("No testimony has this code. Check it and try again."))
    return render_template("contribute/code.html", form=form), 200 if not form.errors else 422


def held_submission(submission_id: str) -> contributions.Submission:
    """A submission whose receipt this browser holds; anything else is simply not found."""
    if submission_id not in session.get("family", []):
        abort(404, _("This testimony cannot be opened here. Use the private link or the code from your receipt."))
    try:
        return contributions.load(collection(), submission_id)
    except CollectionError:
        abort(404, _("This testimony cannot be found."))


@bp.get("/receipt/<submission_id>")
def receipt(submission_id: str):
    submission = held_submission(submission_id)
    return render_template(
        "contribute/receipt.html",
        submission=submission,
        record=submission.record,
        sent=session.get("receipts", {}).get(submission_id),
        add_form=ReceiptAddForm(),
        withdraw_form=WithdrawForm(),
    )


@bp.post("/receipt/<submission_id>/add")
def receipt_add(submission_id: str):
    submission = held_submission(submission_id)
    form = ReceiptAddForm()
    if form.validate_on_submit():
        with tempfile.TemporaryDirectory(dir=Path(current_app.instance_path)) as scratch:
            try:
                photos = [
                    _upload(storage, Path(scratch), f"photo-{n}", caption)
                    for n, (storage, caption) in enumerate(
                        (s.file.data, (s.caption.data or "").strip())
                        for s in form.photos
                        if s.file.data and getattr(s.file.data, "filename", "")
                    )
                ]
                services().contributions.add_from_contributor(submission, form.text.data, photos)
            except ContributionError as error:
                name = error.file or ""
                form.form_errors.append(
                    _explain(error, name) if error.code != "empty" else _("Write something or choose a photo.")
                )
            except CollectionError as error:  # the folder stayed locked too long: say so, keep the text
                current_app.logger.warning("receipt %s: %s", submission_id, error)
                form.form_errors.append(_(MESSAGES["busy"]))
            else:
                flash(_("Thank you. The historians will see it."))
                return redirect(url_for("contribute.receipt", submission_id=submission_id))
    keep_what_fits(form.text, ANSWER_MAX_CHARS)
    return render_template(
        "contribute/receipt.html",
        submission=submission,
        record=submission.record,
        sent=None,
        add_form=form,
        withdraw_form=WithdrawForm(),
    ), 422


@bp.post("/receipt/<submission_id>/withdraw")
def receipt_withdraw(submission_id: str):
    submission = held_submission(submission_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            services().contributions.withdraw(submission)
        except (ContributionError, CollectionError) as error:  # busy for longer than a double click explains
            current_app.logger.warning("withdrawal of %s not yet written: %s", submission_id, error)
            form.form_errors.append(_(MESSAGES["busy"]))
            return render_template(
                "contribute/receipt.html",
                submission=submission,
                record=submission.record,
                sent=None,
                add_form=ReceiptAddForm(),
                withdraw_form=form,
            ), 503
        flash(_("Your consent is withdrawn. Nothing you sent is shown to anyone but the archive's historians."))
        return redirect(url_for("contribute.receipt", submission_id=submission_id))
    return render_template(
        "contribute/receipt.html",
        submission=submission,
        record=submission.record,
        sent=None,
        add_form=ReceiptAddForm(),
        withdraw_form=form,
    ), 422


@bp.get("/receipt/<submission_id>/photo/<int:n>")
def receipt_photo(submission_id: str, n: int):
    """The thumbnail made when the photo arrived, for its sender's receipt page."""
    submission = held_submission(submission_id)
    photos = submission.record.get("photos", [])
    if not 1 <= n <= len(photos):
        abort(404, _("There is no such photo."))
    response = send_file(
        collection().path("contributions", submission_id, photos[n - 1]["thumb"]), mimetype="image/jpeg", max_age=0
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
