"""The form of the public blueprint: the collection's own description, which the home page shows (staff only)."""

import re

from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from ...i18n import N_
from .base import ArchiveForm, one_newline

# the languages the description is written in: the pages' languages
LANGUAGES = ("en", "ru", "ko")
_FEATURED_LINE = re.compile(r"\s*([^\s:|]+)\s*[:|]?\s*(.*)")


def _title(label: str) -> StringField:
    return StringField(label, validators=[Length(max=200)])


def _description(label: str) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[Length(max=10_000)],
        filters=[one_newline],
        render_kw={"rows": 8},
        description=N_("A few paragraphs; leave an empty line between two paragraphs."),
    )


def _examples(label: str) -> StringField:
    return StringField(
        label,
        validators=[Length(max=1_000)],
        description=N_("Names the search box offers as examples, separated by commas, in any script."),
    )


class AboutForm(ArchiveForm):
    """Title, description and example names in each language, and the featured testimonies."""

    title_en = _title(N_("Title (English)"))
    description_en = _description(N_("Description (English)"))
    examples_en = _examples(N_("Example names (English page)"))
    title_ru = _title(N_("Title (Russian)"))
    description_ru = _description(N_("Description (Russian)"))
    examples_ru = _examples(N_("Example names (Russian page)"))
    title_ko = _title(N_("Title (Korean)"))
    description_ko = _description(N_("Description (Korean)"))
    examples_ko = _examples(N_("Example names (Korean page)"))
    featured = TextAreaField(
        N_("Featured testimonies"),
        validators=[Length(max=10_000)],
        filters=[one_newline],
        render_kw={"rows": 6},
        description=N_(
            "One per line: the interview's identifier (as in its address, /interviews/…), a space, then a quote "
            "copied exactly from its transcript."
        ),
    )
    version = HiddenField()
    submit = SubmitField(N_("Save"))

    def fill(self, data: dict, version: str) -> None:
        """Show a stored description (or none) in the form."""
        texts = data.get("text", {})
        for lang in LANGUAGES:
            text = texts.get(lang, {})
            getattr(self, f"title_{lang}").data = text.get("title", "")
            getattr(self, f"description_{lang}").data = text.get("description", "")
            getattr(self, f"examples_{lang}").data = ", ".join(text.get("search_examples", []))
        self.featured.data = "\n".join(f"{f['interview']} {f['quote']}" for f in data.get("featured", []))
        self.version.data = version

    def about(self) -> dict:
        """The description as typed, for the service to check and store."""
        text = {}
        for lang in LANGUAGES:
            text[lang] = {
                "title": getattr(self, f"title_{lang}").data or "",
                "description": getattr(self, f"description_{lang}").data or "",
                "search_examples": [
                    e.strip() for e in (getattr(self, f"examples_{lang}").data or "").split(",") if e.strip()
                ],
            }
        featured = []
        for line in (self.featured.data or "").splitlines():
            if line.strip():
                interview_id, quote = _FEATURED_LINE.fullmatch(line).groups()
                featured.append({"interview": interview_id, "quote": quote})
        return {"text": text, "featured": featured}
