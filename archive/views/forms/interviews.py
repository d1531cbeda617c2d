"""The forms of the interviews blueprint: a historian's upload, and the correction of a passage."""

from flask_wtf.file import FileField, FileRequired
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
from ...i18n import N_
from .base import ACCESS_CHOICES, ArchiveForm


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
    later_homes = StringField(N_("Later homes"))
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
        choices=[SelectChoice("", "Unknown"), SelectChoice("yes", N_("Yes")), SelectChoice("no", "No")],
    )
    consent_scope = StringField("Consent scope")
    consent_date = StringField("Consent date")
    access = SelectField("Who may see it", default=DEFAULT_LEVEL.value, choices=ACCESS_CHOICES)
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


class PassageForm(ArchiveForm):
    """A historian corrects the text of one passage of a transcript."""

    text = TextAreaField(
        "Corrected text",
        validators=[DataRequired("Type the corrected text."), Length(max=100_000)],
        render_kw={"rows": 8},
    )
    version = HiddenField()
    submit = SubmitField("Save correction")
