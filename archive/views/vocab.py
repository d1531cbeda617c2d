"""Vocabulary pages: historians see the surname families and add the spellings they meet."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for

from .. import access, vocab
from ..errors import ConflictError
from ..i18n import N_, sentence
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


@bp.get("/<kind>/matching")
def matching(kind: str):
    """The ids of a vocabulary's entries matching what a historian types in a form's filter, in any script (names.py
    folds both): the filter of long lists of choices asks this as one types, so that Уштобе finds Ushtobe."""
    access.require(g.viewer, "edit")
    if kind not in ("events", "places", "people"):
        abort(404, N_("There is no such vocabulary."))
    typed = request.args.get("q", "")[:200]
    return jsonify(ids=vocab.matching(collection(), kind, typed))


def _page(form: SurnameSpellingForm, failed: str | None = None, status: int = 200):
    current = vocab.load(collection(), "surnames")
    families = sorted(current.data["surnames"], key=lambda e: e["id"])
    return render_template(
        "vocab/surnames.html", families=families, version=current.version, form=form, failed=failed
    ), status
