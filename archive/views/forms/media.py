"""The forms of the media blueprint: an image described, and images uploaded with one description."""

from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length

from ...access import DEFAULT_LEVEL
from ...i18n import N_, localise
from ...media import ITEM_KINDS
from .base import ACCESS_CHOICES, ArchiveForm, ImageSlot, MultiCheckboxField


class MediaForm(ArchiveForm):
    """What is known about a photograph, document, letter or object; media.validate checks it."""

    title = StringField(
        N_("Title"),
        validators=[Length(max=300)],
        description=N_("Leave empty when adding files to use each file's caption, or else its name."),
    )
    caption = StringField(N_("Caption"), validators=[Length(max=1_000)])
    kind = SelectField(N_("Kind"), default="photograph", choices=[SelectChoice(k, k.capitalize()) for k in ITEM_KINDS])
    description = TextAreaField(N_("Description"), validators=[Length(max=20_000)], render_kw={"rows": 3})
    date = StringField(N_("Date"), validators=[Length(max=100)], description=N_("EDTF: 1938-05-14, 1938, 194X, 1937~"))
    creator = StringField(N_("Creator or photographer"), validators=[Length(max=300)])
    institution = StringField(
        N_("Holding institution"),
        validators=[Length(max=300)],
        description=N_("For example a kolkhoz museum, or the family that keeps it."),
    )
    accession = StringField(N_("Accession number"), validators=[Length(max=100)])
    people = StringField(
        N_("People shown"), validators=[Length(max=2_000)], description=N_("Names as written, separated by ';'.")
    )
    surnames = StringField(N_("Surnames"), validators=[Length(max=1_000)])
    places = StringField(
        N_("Places"), validators=[Length(max=2_000)], description=N_("Separated by ';', in any script.")
    )
    events = MultiCheckboxField(N_("Events"), choices=[], validate_choice=True, vocabulary="events")
    interviews = StringField(
        N_("Related interviews"),
        validators=[Length(max=2_000)],
        description=N_("Interview identifiers (or links), separated by ';'."),
    )
    rights = TextAreaField(N_("Rights"), validators=[Length(max=5_000)], render_kw={"rows": 2})
    access = SelectField(N_("Who may see it"), default=DEFAULT_LEVEL.value, choices=ACCESS_CHOICES)
    embargo_until = StringField(
        N_("Embargo until"),
        description=N_("YYYY-MM-DD; hidden from all but staff until then."),
        render_kw={"type": "date"},
    )
    version = HiddenField()
    submit = SubmitField(N_("Save"))

    TEXT = (
        "title",
        "caption",
        "kind",
        "description",
        "date",
        "creator",
        "institution",
        "accession",
        "people",
        "surnames",
        "places",
        "interviews",
        "rights",
        "access",
        "embargo_until",
    )

    def offer(self, events) -> None:
        self.events.choices = [SelectChoice(e.id, f"{e.date} · {e.name()}") for e in events]

    def fill(self, record: dict, version: str) -> None:
        """Show a stored description in the form (lists as ';'-separated text)."""
        for name in (n for n in self.TEXT if n in self):
            value = record.get(name, "")
            if name in ("people", "places"):
                value = "; ".join(p["name"] for p in value)
            elif isinstance(value, list):
                value = "; ".join(value)
            getattr(self, name).data = value
        self.events.data = record.get("events", [])
        self.version.data = version

    def metadata(self) -> dict:
        """The description as typed, for media.validate."""
        raw = {name: getattr(self, name).data for name in self.TEXT if name in self}
        raw["events"] = self.events.data or []
        return {k: v for k, v in raw.items() if v not in (None, "", [])}

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, problem in errors.items():
            message = localise(problem)
            field = getattr(self, name, None)
            shown = field.errors if field is not None else self.form_errors
            if message not in shown:  # several files refused for one wrong field: say it once
                shown.append(message)


class MediaUploadForm(MediaForm):
    """Several images at once, each with a caption, sharing one description."""

    caption = None  # each file has its own
    files = FieldList(FormField(ImageSlot), min_entries=4, max_entries=20)
    submit = SubmitField(N_("Add to the archive"))

    def chosen(self) -> list[tuple[object, str]]:
        """The files actually chosen, with their captions."""
        return [
            (slot.file.data, (slot.caption.data or "").strip())
            for slot in self.files
            if slot.file.data and getattr(slot.file.data, "filename", "")
        ]
