"""The forms of the tombstones blueprint: a deletion (its reason, and the version the deleter saw) and an undeletion."""

from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length

from ...i18n import N_
from ...tombstones import REASON_LIMIT
from .base import ArchiveForm, one_newline


class DeleteForm(ArchiveForm):
    """Why the record is deleted (optional; shown to those who could read it), and the version it is deleted from."""

    reason = TextAreaField(
        N_("Reason (optional)"),
        description=N_("Readers who could open this record see the reason; they do not see who deleted it."),
        validators=[Length(max=REASON_LIMIT)],
        filters=[one_newline],
    )
    version = HiddenField()
    submit = SubmitField(N_("Delete"))


class UndeleteForm(ArchiveForm):
    """Only a CSRF token: a deleted record is brought back with a POST, never by a link."""

    submit = SubmitField(N_("Bring it back"))
