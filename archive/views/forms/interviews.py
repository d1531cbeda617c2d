"""The forms of the interviews blueprint: a historian's upload, the description edited, the correction of a passage,
and the replacement of a transcript or a recording."""

from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from ...access import DEFAULT_LEVEL
from ...i18n import N_, localise
from .base import ACCESS_CHOICES, ArchiveForm, one_newline

# the upload form's fields that metadata.validate takes as typed; the narrators and the consent are put together
DESCRIBED_AS_TYPED = (
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
# every text field of the upload, as the API's upload (views/schemas.py) documents it
UPLOAD_TEXT_FIELDS = (
    "narrator",
    "narrator_other_forms",
    *DESCRIBED_AS_TYPED,
    "release_form",
    "consent_scope",
    "consent_date",
)


class InterviewUploadForm(ArchiveForm):
    """A historian's upload: a transcript, its recordings if any (in order), and what is known about the interview."""

    transcript = FileField(
        N_("Transcript"),
        validators=[FileRequired("Choose the transcript file.")],
        description=N_(
            "Plain text, WebVTT, SRT, OHMS XML, Word (.docx), OpenDocument (.odt) or PDF with a text layer."
        ),
    )
    audio = MultipleFileField(
        N_("Recordings (optional)"),
        description=N_(
            "Sound (MP3, M4A, Ogg, WAV, FLAC) or video (MP4, WebM); several parts, such as tapes or sessions, may be "
            "chosen together: they are played one after the other, in the order of their file names."
        ),
    )
    title = StringField(
        N_("Title"),
        validators=[Length(max=300)],
        description=N_("Leave empty to use the title inside an OHMS file, or the file name."),
    )
    narrator = StringField(N_("Narrator(s)"), description=N_("Names as written; several separated by ';'."))
    narrator_other_forms = StringField(
        N_("Narrator's name in other scripts"), description=N_("For example: Tsoi Anna; 최 안나")
    )
    interviewer = StringField(N_("Interviewer(s)"))
    date = StringField(N_("Date of interview"), description=N_("EDTF: 2008-05-14, 2008-05, 1937~, 193X"))
    place = StringField(N_("Place of interview"))
    villages = StringField(N_("Villages and places named"), description=N_("Separated by ';', in any script."))
    birthplace = StringField(N_("Narrator's birthplace"))
    deported_to = StringField(N_("Deported to"))
    later_homes = StringField(N_("Later homes"))
    surnames = StringField(N_("Surnames"))
    languages = StringField(N_("Languages"), description=N_("Tags such as ru; ko; en"))
    duration = StringField(N_("Duration"), description=N_("hh:mm:ss"))
    accession = StringField(N_("Accession number"))
    collection = StringField(N_("Collection"))
    description = TextAreaField(N_("Description"))
    keywords = StringField(N_("Keywords"))
    rights = TextAreaField(N_("Rights"))
    release_form = SelectField(
        N_("Release form on file"),
        choices=[SelectChoice("", N_("Unknown")), SelectChoice("yes", N_("Yes")), SelectChoice("no", N_("No"))],
    )
    consent_scope = StringField(N_("Consent scope"))
    consent_date = StringField(N_("Consent date"))
    access = SelectField(N_("Who may see it"), default=DEFAULT_LEVEL.value, choices=ACCESS_CHOICES)
    embargo_until = StringField(
        N_("Embargo until"),
        description=N_("YYYY-MM-DD; hidden from all but staff until then."),
        render_kw={"type": "date"},
    )
    submit = SubmitField(N_("Ingest interview"))

    # metadata fields whose name differs from the form field that shows their errors
    FIELD_FOR = {"narrators": "narrator", "interviewers": "interviewer", "consent": "release_form"}

    def metadata(self) -> dict:
        """The raw metadata typed in, for metadata.validate (lists stay ';'-separated text)."""
        raw = {name: getattr(self, name).data for name in DESCRIBED_AS_TYPED}
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
            (field.errors if field is not None else self.form_errors).append(localise(message))


class PassageForm(ArchiveForm):
    """A historian corrects the text of one passage of a transcript."""

    text = TextAreaField(
        N_("Corrected text"),
        validators=[DataRequired(N_("Type the corrected text.")), Length(max=100_000)],
        render_kw={"rows": 8},
    )
    version = HiddenField()
    submit = SubmitField(N_("Save correction"))


class RecordingsForm(ArchiveForm):
    """A historian adds recordings to an interview: parts played after those it has."""

    recordings = MultipleFileField(
        N_("Recordings"),
        description=N_(
            "Sound (MP3, M4A, Ogg, WAV, FLAC) or video (MP4, WebM). Several parts may be chosen together: they are "
            "added after the interview's last part, in the order of their file names."
        ),
    )
    submit = SubmitField(N_("Add recordings"))


# --- the description edited (issue 16) -------------------------------------------------------------------------------


class NarratorEntry(Form):
    """One narrator: the name as written, and the other forms of it (other scripts, spellings)."""

    narrator_name = StringField(N_("Name"), validators=[Length(max=300)])
    other_forms = StringField(
        N_("Other forms of the name"),
        validators=[Length(max=1_000)],
        description=N_("Other scripts and spellings, separated by ';'. For example: Tsoi Anna; 최 안나"),
    )


SINGLE_PLACES = ("place", "birthplace")
PLACE_LISTS = ("villages", "deported_to", "later_homes")
TEXT_LISTS = ("interviewers", "surnames", "keywords", "languages")
TEXTS = ("title", "date", "duration", "description", "accession", "collection", "rights", "access", "embargo_until")


class InterviewForm(ArchiveForm):
    """Every field of an interview's description, filled from the stored record (lists as text separated by ';',
    places by their names); what it gives back is merged into the stored record and checked by metadata.validate."""

    title = StringField(N_("Title"), validators=[Length(max=1_000)])
    narrators = FieldList(FormField(NarratorEntry), min_entries=1, max_entries=50)
    interviewers = StringField(
        N_("Interviewer(s)"), validators=[Length(max=2_000)], description=N_("Separated by ';'.")
    )
    date = StringField(
        N_("Date of interview"), validators=[Length(max=100)], description=N_("EDTF: 2008-05-14, 2008-05, 1937~, 193X")
    )
    place = StringField(N_("Place of interview"), validators=[Length(max=300)])
    birthplace = StringField(N_("Narrator's birthplace"), validators=[Length(max=300)])
    villages = StringField(
        N_("Villages and places named"),
        validators=[Length(max=5_000)],
        description=N_("Separated by ';', in any script."),
    )
    deported_to = StringField(N_("Deported to"), validators=[Length(max=2_000)])
    later_homes = StringField(N_("Later homes"), validators=[Length(max=2_000)])
    surnames = StringField(N_("Surnames"), validators=[Length(max=2_000)])
    keywords = StringField(N_("Keywords"), validators=[Length(max=5_000)])
    languages = StringField(N_("Languages"), validators=[Length(max=300)], description=N_("Tags such as ru; ko; en"))
    duration = StringField(N_("Duration"), validators=[Length(max=20)], description=N_("hh:mm:ss"))
    description = TextAreaField(N_("Description"), validators=[Length(max=20_000)], render_kw={"rows": 5})
    accession = StringField(N_("Accession number"), validators=[Length(max=300)])
    collection = StringField(N_("Collection"), validators=[Length(max=300)])
    rights = TextAreaField(N_("Rights"), validators=[Length(max=5_000)], render_kw={"rows": 2})
    release_form = SelectField(
        N_("Release form on file"),
        choices=[SelectChoice("", N_("Unknown")), SelectChoice("yes", N_("Yes")), SelectChoice("no", N_("No"))],
    )
    consent_scope = StringField(N_("Consent scope"), validators=[Length(max=1_000)])
    consent_date = StringField(N_("Consent date"), validators=[Length(max=100)])
    access = SelectField(N_("Who may see it"), default=DEFAULT_LEVEL.value, choices=ACCESS_CHOICES)
    embargo_until = StringField(
        N_("Embargo until"),
        description=N_("YYYY-MM-DD; hidden from all but staff until then."),
        render_kw={"type": "date"},
    )
    version = HiddenField()
    submit = SubmitField(N_("Save description"))

    # metadata fields whose problems are shown beside another field of this form
    FIELD_FOR = {"consent": "release_form"}

    @staticmethod
    def prefill(record: dict, version: str) -> dict:
        """The form's data for a stored record: lists joined by "; ", places by their names, a duration as hh:mm:ss."""
        data: dict = {name: record.get(name) or "" for name in TEXTS}
        for name in TEXT_LISTS:
            data[name] = "; ".join(record.get(name) or [])
        for name in SINGLE_PLACES:
            data[name] = (record.get(name) or {}).get("name", "")
        for name in PLACE_LISTS:
            data[name] = "; ".join(p.get("name", "") for p in record.get(name) or [])
        if isinstance(record.get("duration"), int | float):
            seconds = int(record["duration"])
            data["duration"] = f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        consent = record.get("consent") or {}
        release = consent.get("release")
        data["release_form"] = "" if release is None else "yes" if release else "no"
        data["consent_scope"], data["consent_date"] = consent.get("scope", ""), consent.get("date", "")
        narrators = [
            {"narrator_name": n.get("name", ""), "other_forms": "; ".join(n.get("other_forms") or [])}
            for n in record.get("narrators") or []
        ]
        data["narrators"] = [*narrators, {"narrator_name": "", "other_forms": ""}]  # one more, to add a narrator
        data["version"] = version
        return data

    def merged(self, stored: dict) -> dict:
        """The stored record with what was typed in place of each field this form shows (the fields it does not
        show kept as stored); a place typed as it was stored keeps the gazetteer place it was matched to."""
        raw = dict(stored)
        for name in TEXTS:
            raw[name] = one_newline(getattr(self, name).data) or ""
        for name in TEXT_LISTS:
            raw[name] = getattr(self, name).data or ""
        for name in SINGLE_PLACES:
            typed = " ".join((getattr(self, name).data or "").split())
            known = stored.get(name) or {}
            raw[name] = known if typed and typed == known.get("name") else typed
        for name in PLACE_LISTS:
            known = {p.get("name"): p for p in stored.get(name) or [] if isinstance(p, dict)}
            typed = [" ".join(t.split()) for t in (getattr(self, name).data or "").split(";") if t.strip()]
            raw[name] = [known.get(t, t) for t in typed]
        raw["narrators"] = [
            {"name": entry.form.narrator_name.data.strip(), "other_forms": entry.form.other_forms.data or ""}
            for entry in self.narrators
            if (entry.form.narrator_name.data or "").strip()
        ]
        consent = {k: v for k, v in (stored.get("consent") or {}).items() if k not in ("release", "scope", "date")}
        consent |= {
            "release": self.release_form.data or None,
            "scope": self.consent_scope.data or "",
            "date": self.consent_date.data or "",
        }
        raw["consent"] = consent if any(v not in (None, "") for v in consent.values()) else {}
        return raw

    def show_errors(self, errors: dict) -> None:
        """Put each metadata problem beside the field it belongs to (the first narrator's name for the narrators;
        above the form for a field this form does not show)."""
        for name, message in errors.items():
            if name == "narrators":
                field = self.narrators[0].form.narrator_name
            else:
                field = getattr(self, self.FIELD_FOR.get(name, name), None)
            shown = field.errors if field is not None and not isinstance(field, FieldList) else self.form_errors
            if isinstance(shown, tuple):
                field.errors = shown = list(shown)
            shown.append(localise(message))


class TranscriptReplaceForm(ArchiveForm):
    """A historian replaces an interview's transcript with a new file."""

    transcript = FileField(
        N_("New transcript"),
        validators=[FileRequired(N_("Choose the transcript file."))],
        description=N_(
            "Plain text, WebVTT, SRT, OHMS XML, Word (.docx), OpenDocument (.odt) or PDF with a text layer."
        ),
    )
    version = HiddenField()
    submit = SubmitField(N_("Replace the transcript"))


class RecordingReplaceForm(ArchiveForm):
    """A historian replaces one part of an interview's recording with a new file."""

    recording = FileField(
        N_("New recording"),
        validators=[FileRequired(N_("Choose the recording file."))],
        description=N_("Sound (MP3, M4A, Ogg, WAV, FLAC) or video (MP4, WebM)."),
    )
    version = HiddenField()
    submit = SubmitField(N_("Replace the recording"))
