"""The forms of the alignment page: the aligner asked for, and its proposal discarded (each a POST with its CSRF
token, never a link). The proposal's times are the times page's form (`segment_index.times_form`)."""

from wtforms import SubmitField

from ...i18n import N_
from .base import ArchiveForm


class AlignForm(ArchiveForm):
    submit = SubmitField(N_("Propose times with the aligner"))


class DiscardForm(ArchiveForm):
    submit = SubmitField(N_("Discard the proposed times"))
