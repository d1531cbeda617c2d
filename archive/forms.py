"""WTForms classes, one per form; rules that need the collection or accounts live below, in the services."""

from functools import cache

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from flask_wtf.form import _Auto, _is_submitted
from werkzeug.datastructures import CombinedMultiDict, FileStorage, MultiDict
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .media import ITEM_KINDS
from .metadata import control_character


def _typed_fields(form):
    """Every text field a person types into, inside lists of sub-forms too (passwords are theirs alone)."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field:
                yield from _typed_fields(entry.form) if isinstance(entry, FormField) else [entry]
        elif isinstance(field, FormField):
            yield from _typed_fields(field.form)
        elif isinstance(field, StringField) and not isinstance(field, PasswordField | HiddenField):
            yield field


@cache
def _file_field_names(form_class) -> frozenset[str]:
    """The names of the file fields of a form class, inside lists of sub-forms too ("story_file", "file")."""
    names = set()
    for klass in form_class.__mro__:
        for name, unbound in vars(klass).items():
            if not isinstance(unbound, UnboundField):
                continue
            if issubclass(unbound.field_class, FileField):
                names.add(name)
            inner = unbound.args[0] if unbound.args else None
            if issubclass(unbound.field_class, FieldList) and isinstance(inner, UnboundField):
                inner = inner.args[0] if issubclass(inner.field_class, FormField) and inner.args else None
            if isinstance(inner, type):
                names |= _file_field_names(inner)
    return frozenset(names)


def _browser_shaped(key: str, value, file_fields: frozenset[str]) -> bool:
    """Keep what a browser sends: files only for file fields, and list indexes ("photos-0-file") of plain digits."""
    if isinstance(value, FileStorage) and key.rsplit("-", 1)[-1] not in file_fields:
        return False
    return not any(part.isdigit() and not (part.isascii() and len(part) <= 4) for part in key.split("-"))


class ArchiveForm(FlaskForm):
    """Every form of the archive: it reads only what a browser's form sends (never a JSON body, never a file for a
    text field, list indexes in plain digits), and besides its own checks refuses text holding an invisible control
    character (which no one types on purpose, and which XML cannot carry) beside its field."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is not _Auto:
                return formdata
            if not _is_submitted() or not (request.form or request.files):
                return None
            file_fields = _file_field_names(type(form))
            sent = CombinedMultiDict((request.files, request.form)) if request.files else request.form
            return MultiDict([(k, v) for k, v in sent.items(multi=True) if _browser_shaped(k, v, file_fields)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in _typed_fields(self):
            if isinstance(field.data, str) and control_character(field.data):
                field.errors = [*field.errors, "This contains an invisible control character; please remove it."]
                valid = False
        return valid


class SignInForm(ArchiveForm):
    name = StringField(
        "Account name",
        validators=[DataRequired("Enter your account name."), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Sign in")


class SignOutForm(ArchiveForm):
    """Only a CSRF token: signing out is a POST so that no link or image on another site can do it."""

    submit = SubmitField("Sign out")


ACCESS_CHOICES = [
    SelectChoice("staff", "Staff only"),
    SelectChoice("researchers", "Signed-in researchers"),
    SelectChoice("family", "Family and staff"),
    SelectChoice("public", "Everyone"),
]


class InterviewUploadForm(ArchiveForm):
    """A historian's upload: a transcript, its audio if any, and what is known about the interview."""

    transcript = FileField(
        "Transcript",
        validators=[FileRequired("Choose the transcript file.")],
        description="Plain text, WebVTT, SRT, OHMS XML or Word (.docx).",
    )
    audio = FileField("Audio (optional)", description="MP3, WAV, Ogg, FLAC or M4A.")
    title = StringField(
        "Title",
        validators=[Length(max=300)],
        description="Leave empty to use the title inside an OHMS file, or the file name.",
    )
    narrator = StringField("Narrator(s)", description="Names as written; several separated by ';'.")
    narrator_other_forms = StringField(
        "Narrator's name in other scripts", description="For example: Tsoi Anna; 최 안나"
    )
    interviewer = StringField("Interviewer(s)")
    date = StringField("Date of interview", description="EDTF: 2008-05-14, 2008-05, 1937~, 193X")
    place = StringField("Place of interview")
    villages = StringField("Villages and places named", description="Separated by ';', in any script.")
    birthplace = StringField("Narrator's birthplace")
    deported_to = StringField("Deported to")
    later_homes = StringField("Later homes")
    surnames = StringField("Surnames")
    languages = StringField("Languages", description="Tags such as ru; ko; en")
    duration = StringField("Duration", description="hh:mm:ss")
    accession = StringField("Accession number")
    collection = StringField("Collection")
    description = TextAreaField("Description")
    keywords = StringField("Keywords")
    rights = TextAreaField("Rights")
    release_form = SelectField(
        "Release form on file",
        choices=[SelectChoice("", "Unknown"), SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
    )
    consent_scope = StringField("Consent scope")
    consent_date = StringField("Consent date")
    access = SelectField("Who may see it", default="staff", choices=ACCESS_CHOICES)
    embargo_until = StringField(
        "Embargo until", description="YYYY-MM-DD; hidden from all but staff until then.", render_kw={"type": "date"}
    )
    submit = SubmitField("Ingest interview")

    # metadata fields whose name differs from the form field that shows their errors
    FIELD_FOR = {"narrators": "narrator", "interviewers": "interviewer", "consent": "release_form"}

    def metadata(self) -> dict:
        """The raw metadata typed in, for metadata.validate (lists stay ';'-separated text)."""
        raw = {
            name: getattr(self, name).data
            for name in (
                "title",
                "interviewer",
                "date",
                "place",
                "villages",
                "birthplace",
                "deported_to",
                "later_homes",
                "surnames",
                "languages",
                "duration",
                "accession",
                "collection",
                "description",
                "keywords",
                "rights",
                "access",
                "embargo_until",
            )
        }
        raw["interviewers"] = raw.pop("interviewer")
        names = [n.strip() for n in (self.narrator.data or "").split(";") if n.strip()]
        others = [n.strip() for n in (self.narrator_other_forms.data or "").split(";") if n.strip()]
        raw["narrators"] = [{"name": n, "other_forms": others if i == 0 else []} for i, n in enumerate(names)]
        raw["consent"] = {
            "release": self.release_form.data or None,
            "scope": self.consent_scope.data,
            "date": self.consent_date.data,
        }
        return {k: v for k, v in raw.items() if v not in (None, "", [])}

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put each metadata problem beside the field it belongs to."""
        for name, message in errors.items():
            field = getattr(self, self.FIELD_FOR.get(name, name), None)
            (field.errors if field is not None else self.form_errors).append(message)


class SurnameSpellingForm(ArchiveForm):
    """A historian adds a spelling to a surname family."""

    spelling = StringField("Add a spelling", validators=[DataRequired("Type the spelling to add."), Length(max=60)])
    version = HiddenField()
    submit = SubmitField("Add")


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes: easier to use by keyboard and on a phone than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AnnotationForm(ArchiveForm):
    """Tie a passage to events, places and people, with tags and a note. The passage is a selection (start, end and
    the words, filled in by the annotator script) or, without JavaScript, a whole segment."""

    segment = HiddenField()
    start = IntegerField(widget=HiddenField.widget, validators=[Optional(), NumberRange(min=0)])
    end = IntegerField(widget=HiddenField.widget, validators=[Optional(), NumberRange(min=1)])
    exact = HiddenField()
    version = HiddenField()
    events = MultiCheckboxField("Events", choices=[], validate_choice=True)
    places = MultiCheckboxField("Places", choices=[], validate_choice=True)
    people = MultiCheckboxField("People", choices=[], validate_choice=True)
    tags = StringField("Tags", validators=[Length(max=2000)], description="Separated by commas.")
    note = TextAreaField("Note", validators=[Length(max=10_000)])
    redact = BooleanField("Redact: withhold these words from everyone but staff (in pages, search, API and exports)")
    submit = SubmitField("Save annotation")

    def offer(self, events, places, people) -> None:
        """Fill the choices from the vocabularies in use: (id, label) pairs."""
        for field, entries in ((self.events, events), (self.places, places), (self.people, people)):
            field.choices = [SelectChoice(entry_id, label) for entry_id, label in entries]

    def chosen(self) -> dict[str, list[str]]:
        return {"events": self.events.data or [], "places": self.places.data or [], "people": self.people.data or []}

    def tag_list(self) -> list[str]:
        return [t.strip() for t in (self.tags.data or "").split(",") if t.strip()]


class PassageForm(ArchiveForm):
    """A historian corrects the text of one passage of a transcript."""

    text = TextAreaField(
        "Corrected text",
        validators=[DataRequired("Type the corrected text."), Length(max=100_000)],
        render_kw={"rows": 8},
    )
    version = HiddenField()
    submit = SubmitField("Save correction")


class DeleteForm(ArchiveForm):
    """Only a CSRF token and the version deleted, so that a stale page cannot delete what changed since."""

    version = HiddenField()
    submit = SubmitField("Delete")


class EntryForm(ArchiveForm):
    """What every vocabulary entry has: names in each script, a description and sources. One subclass per kind."""

    label_en = StringField("Name in English", validators=[DataRequired("Give the name in English."), Length(max=200)])
    label_ru = StringField("Name in Russian", validators=[DataRequired("Give the name in Russian."), Length(max=200)])
    label_ko = StringField("Name in Korean (optional)", validators=[Length(max=200)])
    names = TextAreaField(
        "Other written forms",
        validators=[Length(max=10_000)],
        render_kw={"rows": 4},
        description="One per line: historic names, transliterations, other scripts.",
    )
    description_en = TextAreaField("Description (English)", validators=[Length(max=5_000)], render_kw={"rows": 3})
    description_ru = TextAreaField("Description (Russian)", validators=[Length(max=5_000)], render_kw={"rows": 3})
    sources = TextAreaField(
        "Sources",
        validators=[Length(max=10_000)],
        render_kw={"rows": 3},
        description="One per line: a full citation, or the key of a source already listed.",
    )
    version = HiddenField()
    submit = SubmitField("Save")

    @staticmethod
    def for_kind(kind: str, events, gazetteer) -> "EntryForm":
        form = {"events": EventForm, "places": PlaceForm, "people": PersonForm}[kind]()
        event_choices = [SelectChoice(e.id, f"{e.date} · {e.name()}") for e in events]
        places = sorted(gazetteer.places.values(), key=lambda p: p.name().casefold())
        if isinstance(form, EventForm):
            form.places.choices = [SelectChoice(p.id, p.name()) for p in places]
            form.related.choices = event_choices
        elif isinstance(form, PersonForm):
            form.events.choices = event_choices
        else:
            form.within.choices = [SelectChoice("", "—")] + [SelectChoice(p.id, p.name()) for p in places]
        return form

    def fill(self, entry: dict, version: str) -> None:
        """Show a stored entry (or an empty one) in the form."""
        label, description = entry.get("label", {}), entry.get("description", {})
        self.label_en.data, self.label_ru.data, self.label_ko.data = (label.get(k, "") for k in ("en", "ru", "ko"))
        shown = set(label.values())
        self.names.data = "\n".join(n for n in entry.get("names", []) if n not in shown)
        if isinstance(description, dict):
            self.description_en.data, self.description_ru.data = description.get("en", ""), description.get("ru", "")
        self.sources.data = "\n".join(entry.get("sources", []))
        self.version.data = version

    def entry(self) -> dict:
        """The entry as typed, for vocab.save_entry to check and store."""
        label = {k: " ".join((getattr(self, f"label_{k}").data or "").split()) for k in ("en", "ru", "ko")}
        return {
            "label": {k: v for k, v in label.items() if v},
            "names": _lines(self.names.data),
            "description": {
                k: v for k in ("en", "ru") if (v := (getattr(self, f"description_{k}").data or "").strip())
            },
            "sources": _lines(self.sources.data),
        }


def _lines(text: str | None) -> list[str]:
    return list(dict.fromkeys(" ".join(line.split()) for line in (text or "").splitlines() if line.strip()))


class EventForm(EntryForm):
    date = StringField(
        "Date (EDTF)",
        validators=[DataRequired("Give the date, however uncertain."), Length(max=100)],
        description="For example 1937-08-21, 1937-09/1937-10, 186X, 1940~ (approximate), 1937? (uncertain).",
    )
    places = MultiCheckboxField("Places", choices=[], validate_choice=True)
    related = MultiCheckboxField("Related events", choices=[], validate_choice=True)
    note = TextAreaField(
        "Note",
        validators=[Length(max=5_000)],
        render_kw={"rows": 2},
        description="For example a date that sources disagree on, and which says what.",
    )

    def fill(self, entry: dict, version: str) -> None:
        super().fill(entry, version)
        self.date.data, self.note.data = entry.get("date", ""), entry.get("note", "")
        self.places.data, self.related.data = entry.get("places", []), entry.get("related", [])

    def entry(self) -> dict:
        return {
            **super().entry(),
            "date": (self.date.data or "").strip(),
            "places": self.places.data or [],
            "related": self.related.data or [],
            "note": (self.note.data or "").strip(),
        }


class PersonForm(EntryForm):
    dates = StringField(
        "Life dates (EDTF, optional)", validators=[Length(max=100)], description="For example 1929/2015"
    )
    events = MultiCheckboxField("Events", choices=[], validate_choice=True)

    def fill(self, entry: dict, version: str) -> None:
        super().fill(entry, version)
        self.dates.data, self.events.data = entry.get("dates", ""), entry.get("events", [])

    def entry(self) -> dict:
        return {**super().entry(), "dates": (self.dates.data or "").strip(), "events": self.events.data or []}


class PlaceForm(EntryForm):
    type = SelectField(
        "Kind of place",
        choices=[SelectChoice(t, t) for t in ("village", "town", "city", "district", "region", "kolkhoz", "station")],
    )
    country = StringField(
        "Country today (ISO code)", validators=[DataRequired("Give the country code, e.g. KZ."), Length(min=2, max=2)]
    )
    lat = StringField("Latitude (optional)", validators=[Length(max=20)])
    lon = StringField("Longitude (optional)", validators=[Length(max=20)])
    within = SelectField("Within", choices=[], default="", validate_choice=True)

    def fill(self, entry: dict, version: str) -> None:
        super().fill(entry, version)
        self.type.data, self.country.data = entry.get("type", "village"), entry.get("country", "")
        self.lat.data = "" if entry.get("lat") is None else str(entry["lat"])
        self.lon.data = "" if entry.get("lon") is None else str(entry["lon"])
        self.within.data = entry.get("within", "")
        self.description_en.data = self.description_en.data or entry.get("note", "")

    def entry(self) -> dict:
        entry = {
            **super().entry(),
            "type": self.type.data,
            "country": (self.country.data or "").strip().upper(),
            "lat": (self.lat.data or "").strip(),
            "lon": (self.lon.data or "").strip(),
            "within": self.within.data or "",
        }
        return entry


class MediaForm(ArchiveForm):
    """What is known about a photograph, document, letter or object; media.validate checks it."""

    title = StringField(
        "Title",
        validators=[Length(max=300)],
        description="Leave empty when adding files to use each file's caption, or else its name.",
    )
    caption = StringField("Caption", validators=[Length(max=1_000)])
    kind = SelectField("Kind", default="photograph", choices=[SelectChoice(k, k.capitalize()) for k in ITEM_KINDS])
    description = TextAreaField("Description", validators=[Length(max=20_000)], render_kw={"rows": 3})
    date = StringField("Date", validators=[Length(max=100)], description="EDTF: 1938-05-14, 1938, 194X, 1937~")
    creator = StringField("Creator or photographer", validators=[Length(max=300)])
    institution = StringField(
        "Holding institution",
        validators=[Length(max=300)],
        description="For example a kolkhoz museum, or the family that keeps it.",
    )
    accession = StringField("Accession number", validators=[Length(max=100)])
    people = StringField(
        "People shown", validators=[Length(max=2_000)], description="Names as written, separated by ';'."
    )
    surnames = StringField("Surnames", validators=[Length(max=1_000)])
    places = StringField("Places", validators=[Length(max=2_000)], description="Separated by ';', in any script.")
    events = MultiCheckboxField("Events", choices=[], validate_choice=True)
    interviews = StringField(
        "Related interviews",
        validators=[Length(max=2_000)],
        description="Interview identifiers (or links), separated by ';'.",
    )
    rights = TextAreaField("Rights", validators=[Length(max=5_000)], render_kw={"rows": 2})
    access = SelectField("Who may see it", default="staff", choices=ACCESS_CHOICES)
    embargo_until = StringField(
        "Embargo until", description="YYYY-MM-DD; hidden from all but staff until then.", render_kw={"type": "date"}
    )
    version = HiddenField()
    submit = SubmitField("Save")

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
        for name, message in errors.items():
            field = getattr(self, name, None)
            shown = field.errors if field is not None else self.form_errors
            if message not in shown:  # several files refused for one wrong field: say it once
                shown.append(message)


class ImageSlot(Form):
    """One file of a batch, with its own caption."""

    file = FileField("Image")
    caption = StringField("Caption", validators=[Length(max=1_000)])


class MediaUploadForm(MediaForm):
    """Several images at once, each with a caption, sharing one description."""

    caption = None  # each file has its own
    files = FieldList(FormField(ImageSlot), min_entries=4, max_entries=20)
    submit = SubmitField("Add to the archive")

    def chosen(self) -> list[tuple[object, str]]:
        """The files actually chosen, with their captions."""
        return [
            (slot.file.data, (slot.caption.data or "").strip())
            for slot in self.files
            if slot.file.data and getattr(slot.file.data, "filename", "")
        ]


# A browser's maxlength cuts pasted text silently, so these limits are said on the form, checked by forms.js before
# sending, and answered by the server with what fitted kept (views/contribute.py), never by a silent cut.
STORY_MAX_CHARS = 200_000
ANSWER_MAX_CHARS = 50_000


def one_newline(text: str | None) -> str | None:
    """Browsers send each line break of a text box as CR LF; count and keep it as the one character people see."""
    return text.replace("\r\n", "\n") if text else text


class ContributionForm(ArchiveForm):
    """The public "Share a testimony" form. Labels are English here and translated where it is shown."""

    contributor_name = StringField(
        "Your name",
        validators=[DataRequired("Please write your name."), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    relation = StringField(
        "Who the narrator is to you",
        validators=[
            DataRequired("Please say who the narrator is to you (for example: my grandmother)."),
            Length(max=200),
        ],
        description="For example: my grandmother, my father, myself.",
    )
    contact = StringField(
        "Email or phone (optional)",
        validators=[Length(max=200)],
        description="Only the archive's historians see it, to ask you a question. Never shown.",
    )
    narrator = StringField(
        "Narrator's name", validators=[DataRequired("Please write the narrator's name."), Length(max=200)]
    )
    narrator_other_forms = StringField(
        "Other spellings of the name",
        validators=[Length(max=500)],
        description="In other scripts or spellings, separated by ';'.",
    )
    birth_year = IntegerField(
        "Narrator's year of birth (optional)",
        validators=[Optional(), NumberRange(1850, 2030, "Write the year with four digits, for example 1931.")],
    )
    birthplace = StringField(
        "Where the narrator was born", validators=[Length(max=300)], render_kw={"list": "places", "autocomplete": "off"}
    )
    deported_to = StringField(
        "Where the family was sent", validators=[Length(max=500)], description="Villages or towns, separated by ';'."
    )
    later_homes = StringField(
        "Later homes", validators=[Length(max=500)], description="Villages or towns, separated by ';'."
    )
    story_text = TextAreaField(
        "The story",
        validators=[Length(max=STORY_MAX_CHARS)],
        filters=[one_newline],
        render_kw={"rows": 10, "maxlength": False, "data-max-chars": STORY_MAX_CHARS},
        description="Write it here (up to 200,000 characters, about 100 pages), or attach it below as a file.",
    )
    story_file = FileField(
        "Or attach the story as a file (optional)",
        description="Text (.txt), Word (.docx) or an audio recording (MP3, M4A, WAV, Ogg, FLAC).",
    )
    photos = FieldList(FormField(ImageSlot), min_entries=3, max_entries=10)
    visibility = RadioField(
        "Who may see it",
        choices=[
            SelectChoice("public", "Everyone"),
            SelectChoice("researchers", "Researchers of the archive only"),
            SelectChoice("family", "Only my family (through my private link) and the archive's historians"),
        ],
        validators=[DataRequired("Please choose who may see it.")],
    )
    living_named = RadioField(
        "May living people be named?",
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No, leave their names out")],
        validators=[DataRequired("Please answer whether living people may be named.")],
    )
    embargo_until = DateField(
        "Keep it closed until (optional)",
        validators=[Optional()],
        description="Nobody but the historians sees it before this day.",
    )
    agree = BooleanField(
        "I agree to the terms above", validators=[DataRequired("Please read the terms and tick the box to agree.")]
    )
    website = StringField("Leave this field empty", render_kw={"autocomplete": "off", "tabindex": "-1"})
    submit = SubmitField("Send the testimony")

    def chosen_photos(self) -> list[tuple[object, str]]:
        return [
            (slot.file.data, (slot.caption.data or "").strip())
            for slot in self.photos
            if slot.file.data and getattr(slot.file.data, "filename", "")
        ]


class ReceiptCodeForm(ArchiveForm):
    code = StringField(
        "Your code",
        validators=[DataRequired("Please write the code from your receipt."), Length(max=20)],
        description="For example K7X2M-9QAB4.",
    )
    submit = SubmitField("Open my testimony")


class ReceiptAddForm(ArchiveForm):
    """The contributor answers a question, corrects something or adds photos."""

    text = TextAreaField(
        "Your answer or correction",
        validators=[Length(max=ANSWER_MAX_CHARS)],
        filters=[one_newline],
        render_kw={"rows": 5, "maxlength": False, "data-max-chars": ANSWER_MAX_CHARS},
        description="Up to 50,000 characters; a longer text can be sent as several answers.",
    )
    photos = FieldList(FormField(ImageSlot), min_entries=2, max_entries=10)
    submit = SubmitField("Send")


class WithdrawForm(ArchiveForm):
    confirm = BooleanField(
        "Yes, withdraw my consent: hide everything I sent", validators=[DataRequired("Tick the box to confirm.")]
    )
    submit = SubmitField("Withdraw consent")


class DescribeForm(ArchiveForm):
    """A historian's description of a submission, used when it becomes an interview."""

    title = StringField("Title", validators=[Length(max=300)])
    date = StringField("Date of the testimony", description="EDTF: 2026-11-25, 2026-11")
    birthplace = StringField("Narrator's birthplace", description="A place of the gazetteer, in any script.")
    deported_to = StringField("Deported to", description="Places separated by ';'.")
    later_homes = StringField("Later homes", description="Places separated by ';'.")
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


class ReindexForm(ArchiveForm):
    """Only a CSRF token: a rebuild of the search index is asked for with a POST, never by a link."""

    submit = SubmitField("Rebuild the search index")


class CancelJobForm(ArchiveForm):
    """The job to cancel, and a CSRF token."""

    job = IntegerField(validators=[DataRequired()])
    submit = SubmitField("Cancel")
