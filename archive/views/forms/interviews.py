"""The forms of the interviews blueprint: a historian's upload, and the correction of a passage."""

from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
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
from .base import ACCESS_CHOICES, ArchiveForm


class InterviewUploadForm(ArchiveForm):
    """A historian's upload: a transcript, its recordings if any (in order), and what is known about the interview."""

    transcript = FileField(
        N_("Transcript"),
        validators=[FileRequired("Choose the transcript file.")],
        description=N_("Plain text, WebVTT, SRT, OHMS XML or Word (.docx)."),
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
