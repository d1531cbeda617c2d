"""What every form of the archive shares: it reads only what a browser sends, refuses invisible control
characters, and offers the few fields and choices several blueprints use."""

from functools import cache

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.form import _Auto, _is_submitted
from werkzeug.datastructures import CombinedMultiDict, FileStorage, MultiDict
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectMultipleField,
    StringField,
)
from wtforms.fields import FileField as AnyFileField  # flask_wtf's file fields, one file or several, are these
from wtforms.fields.core import Field, UnboundField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from ...access import Level
from ...errors import ArchiveError
from ...i18n import N_, sentence
from ...metadata import control_character


def _typed_fields(form):
    """Every text field a person types into, inside lists of sub-forms too (passwords are theirs alone)."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field:
                yield from _typed_fields(entry.form) if isinstance(entry, FormField) else [entry]
        elif isinstance(field, FormField):
            yield from _typed_fields(field.form)
        elif isinstance(field, StringField) and not isinstance(field, PasswordField | HiddenField):
            yield field


@cache
def _file_field_names(form_class) -> frozenset[str]:
    """The names of the file fields of a form class, inside lists of sub-forms too ("story_file", "file")."""
    names = set()
    for klass in form_class.__mro__:
        for name, unbound in vars(klass).items():
            if not isinstance(unbound, UnboundField):
                continue
            if issubclass(unbound.field_class, AnyFileField):
                names.add(name)
            inner = unbound.args[0] if unbound.args else None
            if issubclass(unbound.field_class, FieldList) and isinstance(inner, UnboundField):
                inner = inner.args[0] if issubclass(inner.field_class, FormField) and inner.args else None
            if isinstance(inner, type):
                names |= _file_field_names(inner)
    return frozenset(names)


def _browser_shaped(key: str, value, file_fields: frozenset[str]) -> bool:
    """Keep what a browser sends: files only for file fields, and list indexes ("photos-0-file") of plain digits."""
    if isinstance(value, FileStorage) and key.rsplit("-", 1)[-1] not in file_fields:
        return False
    return not any(part.isdigit() and not (part.isascii() and len(part) <= 4) for part in key.split("-"))


def show_error(form: FlaskForm, error: ArchiveError) -> None:
    """Put an error's sentence beside the field it names, or above the form when it names none that a person sees
    on this form: the one way a refusal from below the views reaches a form."""
    target = getattr(form, error.field, None) if error.field else None
    if isinstance(target, Field) and getattr(target.widget, "input_type", None) != "hidden":
        target.errors = [*target.errors, sentence(error)]
    else:
        form.form_errors.append(sentence(error))


class ArchiveForm(FlaskForm):
    """Every form of the archive: it reads only what a browser's form sends (never a JSON body, never a file for a
    text field, list indexes in plain digits), and besides its own checks refuses text holding an invisible control
    character (which no one types on purpose, and which XML cannot carry) beside its field."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is not _Auto:
                return formdata
            if not _is_submitted() or not (request.form or request.files):
                return None
            file_fields = _file_field_names(type(form))
            sent = CombinedMultiDict((request.files, request.form)) if request.files else request.form
            return MultiDict([(k, v) for k, v in sent.items(multi=True) if _browser_shaped(k, v, file_fields)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in _typed_fields(self):
            if isinstance(field.data, str) and control_character(field.data):
                field.errors = [*field.errors, N_("This contains an invisible control character; please remove it.")]
                valid = False
        return valid


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes: easier to use by keyboard and on a phone than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, vocabulary: str | None = None, **kwargs):
        """`vocabulary` ("events", "places" or "people"): the choices are its entries, and the list's filter asks
        the server which of them match what is typed (in any script)."""
        super().__init__(*args, **kwargs)
        self.vocabulary = vocabulary


ACCESS_CHOICES = [  # the levels of access.py, most closed first, in words
    SelectChoice(Level.STAFF.value, "Staff only"),
    SelectChoice(Level.RESEARCHERS.value, "Signed-in researchers"),
    SelectChoice(Level.FAMILY.value, "Family and staff"),
    SelectChoice(Level.PUBLIC.value, N_("Everyone")),
]


def one_newline(text: str | None) -> str | None:
    """Browsers send each line break of a text box as CR LF; count and keep it as the one character people see."""
    return text.replace("\r\n", "\n") if text else text


class ImageSlot(Form):
    """One file of a batch, with its own caption."""

    file = FileField(N_("Image"))
    caption = StringField(N_("Caption"), validators=[Length(max=1_000)])
