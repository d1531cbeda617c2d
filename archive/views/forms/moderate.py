"""The forms of the moderate blueprint: a historian's decisions on a family's submission."""

from wtforms import (
    HiddenField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from ...i18n import N_
from .base import ArchiveForm


class DescribeForm(ArchiveForm):
    """A historian's description of a submission, used when it becomes an interview."""

    title = StringField(N_("Title"), validators=[Length(max=300)])
    date = StringField(N_("Date of the testimony"), description=N_("EDTF: 2026-11-25, 2026-11"))
    birthplace = StringField(N_("Narrator's birthplace"), description=N_("A place of the gazetteer, in any script."))
    deported_to = StringField(N_("Deported to"), description=N_("Places separated by ';'."))
    later_homes = StringField(N_("Later homes"), description=N_("Places separated by ';'."))
    surnames = StringField(N_("Surnames"))
    languages = StringField(N_("Languages"), description=N_("Tags such as ru; ko"))
    description = TextAreaField(N_("Description"), render_kw={"rows": 3})
    version = HiddenField()
    submit = SubmitField(N_("Save the description"))

    FIELDS = ("title", "date", "birthplace", "deported_to", "later_homes", "surnames", "languages", "description")

    def described(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


class QuestionForm(ArchiveForm):
    question = TextAreaField(
        N_("Ask the contributor"),
        validators=[DataRequired(N_("Write the question.")), Length(max=10_000)],
        render_kw={"rows": 3},
        description=N_("Shown on their receipt page."),
    )
    version = HiddenField()
    submit = SubmitField(N_("Ask"))


class DeclineForm(ArchiveForm):
    reason = TextAreaField(
        N_("Reason, for the contributor"),
        validators=[DataRequired(N_("Say why.")), Length(max=10_000)],
        render_kw={"rows": 3},
    )
    version = HiddenField()
    submit = SubmitField(N_("Decline"))


class ApproveForm(ArchiveForm):
    version = HiddenField()
    submit = SubmitField(N_("Approve: add to the archive"))
