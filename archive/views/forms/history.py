"""The forms of the history blueprint: a restore of an earlier version (a POST with its CSRF token)."""

from wtforms import SubmitField

from ...i18n import N_
from .base import ArchiveForm


class RestoreForm(ArchiveForm):
    """Only a CSRF token: a version is restored with a POST, never by a link."""

    submit = SubmitField(N_("Restore this version"))
