"""The forms of the jobs blueprint: a rebuild of the index asked for, and a job cancelled."""

from wtforms import (
    IntegerField,
    SubmitField,
)
from wtforms.validators import DataRequired

from ...i18n import N_
from .base import ArchiveForm


class ReindexForm(ArchiveForm):
    """Only a CSRF token: a rebuild of the search index is asked for with a POST, never by a link."""

    submit = SubmitField(N_("Rebuild the search index"))


class CancelJobForm(ArchiveForm):
    """The job to cancel, and a CSRF token."""

    job = IntegerField(validators=[DataRequired()])
    submit = SubmitField(N_("Cancel"))


class BackupForm(ArchiveForm):
    """Only a CSRF token: a backup (a BagIt bag in ARCHIVE_BACKUP_DIR) is asked for with a POST by an admin."""

    submit = SubmitField(N_("Make a backup now"))
