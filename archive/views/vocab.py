"""Vocabulary pages: historians see the surname families and add the spellings they meet."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for

from .. import access, vocab
from ..errors import ConflictError
from ..i18n import sentence
from ..i18n import translate as _
from .forms.vocab import SurnameSpellingForm
from .loaders import collection, services

bp = Blueprint("vocab", __name__, url_prefix="/vocab")


@bp.get("/surnames")
def surnames():
    access.require(g.viewer, "edit")
    return _page(SurnameSpellingForm())


@bp.post("/surnames/<surname_id>")
def add_spelling(surname_id: str):
    """Add a spelling to one family (each family's row on the page has its own small form posting here)."""
    access.require(g.viewer, "edit")
    form = SurnameSpellingForm()
    if not form.validate_on_submit():
        return _page(form, surname_id, 422)
    try:
        services().vocabularies.add_surname_spelling(surname_id, form.spelling.data, g.viewer.name, form.version.data)
    except (vocab.VocabularyError, ConflictError) as e:
        form.spelling.errors.append(sentence(e))
        return _page(form, surname_id, 409 if isinstance(e, ConflictError) else 422)
    flash(
        _(
            "Added “{spelling}”. Searches for any spelling of this name now find it too.",
            spelling=form.spelling.data.strip(),
        )
    )
    return redirect(url_for("vocab.surnames", _anchor=surname_id))


def _page(form: SurnameSpellingForm, failed: str | None = None, status: int = 200):
    current = vocab.load(collection(), "surnames")
    families = sorted(current.data["surnames"], key=lambda e: e["id"])
    return render_template(
        "vocab/surnames.html", families=families, version=current.version, form=form, failed=failed
    ), status
