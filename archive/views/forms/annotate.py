"""The forms of the annotate blueprint: an annotation added or changed, and its deletion."""

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from ...i18n import N_
from .base import ArchiveForm, MultiCheckboxField


class AnnotationForm(ArchiveForm):
    """Tie a passage to events, places and people, with tags and a note. The passage is a selection (start, end and
    the words, filled in by the annotator script) or, without JavaScript, a whole segment."""

    segment = HiddenField()
    start = IntegerField(widget=HiddenField.widget, validators=[Optional(), NumberRange(min=0)])
    end = IntegerField(widget=HiddenField.widget, validators=[Optional(), NumberRange(min=1)])
    exact = HiddenField()
    version = HiddenField()
    events = MultiCheckboxField(N_("Events"), choices=[], validate_choice=True, vocabulary="events")
    places = MultiCheckboxField(N_("Places"), choices=[], validate_choice=True, vocabulary="places")
    people = MultiCheckboxField(N_("People"), choices=[], validate_choice=True, vocabulary="people")
    tags = StringField(N_("Tags"), validators=[Length(max=2000)], description=N_("Separated by commas."))
    note = TextAreaField(N_("Note"), validators=[Length(max=10_000)])
    redact = BooleanField(
        N_("Redact: withhold these words from everyone but staff (in pages, search, API and exports)")
    )
    submit = SubmitField(N_("Save annotation"))

    def offer(self, events, places, people) -> None:
        """Fill the choices from the vocabularies in use: (id, label) pairs."""
        for field, entries in ((self.events, events), (self.places, places), (self.people, people)):
            field.choices = [SelectChoice(entry_id, label) for entry_id, label in entries]

    def chosen(self) -> dict[str, list[str]]:
        return {"events": self.events.data or [], "places": self.places.data or [], "people": self.people.data or []}

    def tag_list(self) -> list[str]:
        return [t.strip() for t in (self.tags.data or "").split(",") if t.strip()]


class DeleteForm(ArchiveForm):
    """Only a CSRF token and the version deleted, so that a stale page cannot delete what changed since."""

    version = HiddenField()
    submit = SubmitField(N_("Delete"))
