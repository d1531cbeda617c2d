"""The form of the vocab blueprint: a spelling added to a surname family."""

from wtforms import (
    HiddenField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length

from ...i18n import N_
from .base import ArchiveForm


class SurnameSpellingForm(ArchiveForm):
    """A historian adds a spelling to a surname family."""

    spelling = StringField(
        N_("Add a spelling"), validators=[DataRequired(N_("Type the spelling to add.")), Length(max=60)]
    )
    version = HiddenField()
    submit = SubmitField(N_("Add"))
