"""Vocabulary pages: historians see the surname families and add the spellings they meet."""

from __future__ import annotations

import threading

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for

from .. import access, vocab
from ..errors import ConflictError
from ..forms import SurnameSpellingForm

bp = Blueprint("vocab", __name__, url_prefix="/vocab")


@bp.route("/surnames", methods=["GET", "POST"])
@bp.route("/surnames/<surname_id>", methods=["POST"])
def surnames(surname_id: str | None = None):
    access.require(g.viewer, "edit")
    collection = current_app.extensions["collection"]
    form = SurnameSpellingForm()
    status = 200
    if surname_id and form.validate_on_submit():
        try:
            vocab.add_surname_spelling(collection, surname_id, form.spelling.data, g.viewer.name, form.version.data)
        except (vocab.VocabularyError, ConflictError) as e:
            form.spelling.errors.append(str(e))
            status = 409 if isinstance(e, ConflictError) else 422
        else:
            search_index = current_app.extensions["search"]
            threading.Thread(target=search_index.check, daemon=True, name="index-check").start()  # facets follow
            flash(f"Added “{form.spelling.data.strip()}”. Searches for any spelling of this name now find it too.")
            return redirect(url_for("vocab.surnames", _anchor=surname_id))
    elif surname_id:
        status = 422
    current = vocab.load(collection, "surnames")
    families = sorted(current.data["surnames"], key=lambda e: e["id"])
    return render_template("vocab/surnames.html", families=families, version=current.version, form=form,
                           failed=surname_id if status != 200 else None), status
