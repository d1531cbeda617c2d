"""The forms of the access_requests blueprint: a researcher's request for a record kept for staff, and staff's
decision on it."""

from wtforms import DateField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...accounts import MAX_REASON
from ...i18n import N_
from .base import ArchiveForm


class AskForm(ArchiveForm):
    reason = TextAreaField(
        N_("Why do you need this record?"),
        validators=[
            DataRequired(N_("Please say why you need this record.")),
            Length(max=MAX_REASON, message=N_("Please write at most 2000 characters.")),
        ],
        render_kw={"rows": 4, "maxlength": MAX_REASON},
        description=N_("Your research and how you will use the record. The archive's staff read this."),
    )
    submit = SubmitField(N_("Ask for access"))


class DecideForm(ArchiveForm):
    until = DateField(
        N_("Open until (optional)"),
        validators=[Optional()],
        description=N_("The last day the researcher may open the record; leave empty for no end."),
    )
    note = TextAreaField(
        N_("Note for the researcher (optional)"),
        validators=[Length(max=MAX_REASON, message=N_("Please write at most 2000 characters."))],
        render_kw={"rows": 2},
    )
    grant = SubmitField(N_("Grant"))
    refuse = SubmitField(N_("Refuse"))
    revoke = SubmitField(N_("End this grant now"))
