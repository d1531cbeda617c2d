"""The form of the vocab blueprint: a spelling added to a surname family."""

from wtforms import (
    HiddenField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length

from .base import ArchiveForm


class SurnameSpellingForm(ArchiveForm):
    """A historian adds a spelling to a surname family."""

    spelling = StringField("Add a spelling", validators=[DataRequired("Type the spelling to add."), Length(max=60)])
    version = HiddenField()
    submit = SubmitField("Add")
