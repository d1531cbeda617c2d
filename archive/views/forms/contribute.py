"""The forms of the public contribute blueprint: a family's testimony, and their receipt page."""

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...i18n import N_
from .base import ArchiveForm, ImageSlot, one_newline

# A browser's maxlength cuts pasted text silently, so these limits are said on the form, checked by forms.js before
# sending, and answered by the server with what fitted kept (views/contribute.py), never by a silent cut.
STORY_MAX_CHARS = 200_000
ANSWER_MAX_CHARS = 50_000


class ContributionForm(ArchiveForm):
    """The public "Share a testimony" form. Labels are English here and translated where it is shown."""

    contributor_name = StringField(
        N_("Your name"),
        validators=[DataRequired(N_("Please write your name.")), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    relation = StringField(
        N_("Who the narrator is to you"),
        validators=[
            DataRequired(N_("Please say who the narrator is to you (for example: my grandmother).")),
            Length(max=200),
        ],
        description=N_("For example: my grandmother, my father, myself."),
    )
    contact = StringField(
        N_("Email or phone (optional)"),
        validators=[Length(max=200)],
        description=N_("Only the archive's historians see it, to ask you a question. Never shown."),
    )
    narrator = StringField(
        N_("Narrator's name"), validators=[DataRequired(N_("Please write the narrator's name.")), Length(max=200)]
    )
    narrator_other_forms = StringField(
        N_("Other spellings of the name"),
        validators=[Length(max=500)],
        description=N_("In other scripts or spellings, separated by ';'."),
    )
    birth_year = IntegerField(
        N_("Narrator's year of birth (optional)"),
        validators=[Optional(), NumberRange(1850, 2030, N_("Write the year with four digits, for example 1931."))],
    )
    birthplace = StringField(
        N_("Where the narrator was born"),
        validators=[Length(max=300)],
        render_kw={"list": "places", "autocomplete": "off"},
    )
    deported_to = StringField(
        N_("Where the family was sent"),
        validators=[Length(max=500)],
        description=N_("Villages or towns, separated by ';'."),
    )
    later_homes = StringField(
        N_("Later homes"), validators=[Length(max=500)], description=N_("Villages or towns, separated by ';'.")
    )
    story_text = TextAreaField(
        "The story",
        validators=[Length(max=STORY_MAX_CHARS)],
        filters=[one_newline],
        render_kw={"rows": 10, "maxlength": False, "data-max-chars": STORY_MAX_CHARS},
        description=N_("Write it here (up to 200,000 characters, about 100 pages), or attach it below as a file."),
    )
    story_file = FileField(
        N_("Or attach the story as a file (optional)"),
        description=N_("Text (.txt), Word (.docx) or an audio recording (MP3, M4A, WAV, Ogg, FLAC)."),
    )
    photos = FieldList(FormField(ImageSlot), min_entries=3, max_entries=10)
    visibility = RadioField(
        "Who may see it",
        choices=[
            SelectChoice("public", N_("Everyone")),
            SelectChoice("researchers", N_("Researchers of the archive only")),
            SelectChoice("family", N_("Only my family (through my private link) and the archive's historians")),
        ],
        validators=[DataRequired("Please choose who may see it.")],
    )
    living_named = RadioField(
        N_("May living people be named?"),
        choices=[SelectChoice("yes", N_("Yes")), SelectChoice("no", N_("No, leave their names out"))],
        validators=[DataRequired(N_("Please answer whether living people may be named."))],
    )
    embargo_until = DateField(
        N_("Keep it closed until (optional)"),
        validators=[Optional()],
        description=N_("Nobody but the historians sees it before this day."),
    )
    agree = BooleanField(
        N_("I agree to the terms above"),
        validators=[DataRequired(N_("Please read the terms and tick the box to agree."))],
    )
    website = StringField(N_("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    submit = SubmitField(N_("Send the testimony"))

    def chosen_photos(self) -> list[tuple[object, str]]:
        return [
            (slot.file.data, (slot.caption.data or "").strip())
            for slot in self.photos
            if slot.file.data and getattr(slot.file.data, "filename", "")
        ]


class ReceiptCodeForm(ArchiveForm):
    code = StringField(
        N_("Your code"),
        validators=[DataRequired(N_("Please write the code from your receipt.")), Length(max=20)],
        description=N_("For example K7X2M-9QAB4."),
    )
    submit = SubmitField("Open my testimony")


class ReceiptAddForm(ArchiveForm):
    """The contributor answers a question, corrects something or adds photos."""

    text = TextAreaField(
        N_("Your answer or correction"),
        validators=[Length(max=ANSWER_MAX_CHARS)],
        filters=[one_newline],
        render_kw={"rows": 5, "maxlength": False, "data-max-chars": ANSWER_MAX_CHARS},
        description=N_("Up to 50,000 characters; a longer text can be sent as several answers."),
    )
    photos = FieldList(FormField(ImageSlot), min_entries=2, max_entries=10)
    submit = SubmitField("Send")


class WithdrawForm(ArchiveForm):
    confirm = BooleanField(
        N_("Yes, withdraw my consent: hide everything I sent"),
        validators=[DataRequired(N_("Tick the box to confirm."))],
    )
    submit = SubmitField(N_("Withdraw consent"))
