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

    title = StringField("Title", validators=[Length(max=300)])
    date = StringField("Date of the testimony", description="EDTF: 2026-11-25, 2026-11")
    birthplace = StringField("Narrator's birthplace", description="A place of the gazetteer, in any script.")
    deported_to = StringField("Deported to", description="Places separated by ';'.")
    later_homes = StringField(N_("Later homes"), description="Places separated by ';'.")
    surnames = StringField("Surnames")
    languages = StringField("Languages", description="Tags such as ru; ko")
    description = TextAreaField("Description", render_kw={"rows": 3})
    version = HiddenField()
    submit = SubmitField("Save the description")

    FIELDS = ("title", "date", "birthplace", "deported_to", "later_homes", "surnames", "languages", "description")

    def described(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


class QuestionForm(ArchiveForm):
    question = TextAreaField(
        "Ask the contributor",
        validators=[DataRequired("Write the question."), Length(max=10_000)],
        render_kw={"rows": 3},
        description="Shown on their receipt page.",
    )
    version = HiddenField()
    submit = SubmitField("Ask")


class DeclineForm(ArchiveForm):
    reason = TextAreaField(
        "Reason, for the contributor", validators=[DataRequired("Say why."), Length(max=10_000)], render_kw={"rows": 3}
    )
    version = HiddenField()
    submit = SubmitField("Decline")


class ApproveForm(ArchiveForm):
    version = HiddenField()
    submit = SubmitField("Approve: add to the archive")
