"""The error contract (archive/errors.py): every error carries a sentence for people, the field it concerns and a
stable code; one helper puts it on a form; nothing reads the message text back."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import archive
from archive import annotations, contributions, images
from archive.errors import ArchiveError, ConflictError, sentence

ROOT = Path(__file__).resolve().parent.parent


def every_error_class() -> list[type[ArchiveError]]:
    for module in pkgutil.walk_packages(archive.__path__, "archive."):
        if not module.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(module.name)
    found, todo = [], [ArchiveError]
    while todo:
        klass = todo.pop()
        found.append(klass)
        todo.extend(klass.__subclasses__())
    return found


def test_every_error_names_its_kind_and_its_status():
    classes = every_error_class()
    assert len(classes) >= 20
    for klass in classes:
        assert re.fullmatch(r"[a-z]+(?:[-_][a-z]+)*", klass.code), klass
        assert 400 <= klass.status <= 599, klass
    statuses: dict[str, set[int]] = {}
    for klass in classes:
        statuses.setdefault(klass.code, set()).add(klass.status)
    assert {code: found for code, found in statuses.items() if len(found) > 1} == {}  # one code, one meaning
    assert statuses["version-conflict"] == {412}  # a stale version, of a file or of an annotation, alike


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("the file is empty", "The file is empty."),
        ("Already a sentence.", "Already a sentence."),
        ("why?", "Why?"),
        ("", ""),
        ("  уштобе is not in the gazetteer ", "Уштобе is not in the gazetteer."),
    ],
)
def test_a_message_is_shown_as_one_sentence(text, shown):
    assert sentence(text) == shown
    assert ArchiveError(text).sentence == shown


def test_errors_carry_field_and_code_without_reading_their_text():
    refused = contributions.ContributionError("photo 1.jpg: this is a GIF image", "photos", "format", "photo 1.jpg")
    assert (refused.field, refused.code, refused.file) == ("photos", "format", "photo 1.jpg")
    assert contributions.ContributionError("closed").code == "contribution-refused"
    assert images.ImageError("too big", "size").code == "size"
    assert annotations.NotFound("no such annotation").status == 404
    conflict = ConflictError("annotations.json", "anna", "2026-12-01T10:00:00Z")
    assert (conflict.code, conflict.status, conflict.author) == ("version-conflict", 412, "anna")


def test_one_helper_puts_an_error_beside_its_field(app):
    from archive.views.forms.annotate import AnnotationForm
    from archive.views.forms.base import show_error

    with app.test_request_context("/", method="POST"):
        form = AnnotationForm(meta={"csrf": False})
        show_error(form, annotations.AnnotationError("a note of 20,000 characters is too long", "note"))
        show_error(form, annotations.AnnotationError("the selection has moved", "start"))  # hidden: above the form
        show_error(form, annotations.AnnotationError("no such interview", "nowhere"))
        assert form.note.errors == ["A note of 20,000 characters is too long."]
        assert form.form_errors == ["The selection has moved.", "No such interview."]


def test_no_view_reads_an_error_message_back():
    """Views act on `field` and `code`; a message is only ever shown, never split or matched."""
    pattern = re.compile(
        r"\b(?:e|error)\.args\[\d\]|str\((?:e|error)\)\.(?:split|partition)\([\"']|in str\((?:e|error)\)"
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "archive").rglob("*.py"))
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
