"""The form of the records blueprint: a bulk change of the records ticked in the staff list (previewed, then
applied)."""

import json

from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Length, ValidationError

from ...i18n import N_
from ...spreadsheets import BULK_CHANGES
from .base import ArchiveForm


class BulkForm(ArchiveForm):
    """The records ticked ("kind/id", any number), the change and its value; after the preview, the version of each
    record as previewed (JSON), so that a record changed meanwhile is refused, not overwritten."""

    ref = SelectMultipleField(validate_choice=False)
    change = SelectField(
        N_("Change"), choices=[SelectChoice(k, label) for k, label in BULK_CHANGES.items()], default="access"
    )
    value = StringField(N_("Value"), validators=[Length(max=300)])
    versions = HiddenField()
    preview = SubmitField(N_("Preview the change"))
    apply = SubmitField(N_("Apply the change"))

    def validate_ref(self, field):
        if not field.data:
            raise ValidationError(N_("Tick at least one record."))
        if len(field.data) > 1000:
            raise ValidationError(N_("Change at most 1,000 records at a time."))

    def previewed(self) -> dict[str, str]:
        """The versions the preview showed, by record; none when the form did not come from a preview."""
        try:
            found = json.loads(self.versions.data or "{}")
        except ValueError:
            return {}
        return (
            {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}
            if isinstance(found, dict)
            else {}
        )
