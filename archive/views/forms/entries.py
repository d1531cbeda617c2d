"""The forms of the entries blueprint: an event, a person or a place of the vocabularies."""

from wtforms import (
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from ... import vocab
from ...i18n import N_
from .base import ArchiveForm, MultiCheckboxField


class EntryForm(ArchiveForm):
    """What every vocabulary entry has: names in each script, a description and sources. One subclass per kind."""

    label_en = StringField(
        N_("Name in English"), validators=[DataRequired(N_("Give the name in English.")), Length(max=200)]
    )
    label_ru = StringField(
        N_("Name in Russian"), validators=[DataRequired(N_("Give the name in Russian.")), Length(max=200)]
    )
    label_ko = StringField(N_("Name in Korean (optional)"), validators=[Length(max=200)])
    names = TextAreaField(
        N_("Other written forms"),
        validators=[Length(max=10_000)],
        render_kw={"rows": 4},
        description=N_("One per line: historic names, transliterations, other scripts."),
    )
    description_en = TextAreaField(N_("Description (English)"), validators=[Length(max=5_000)], render_kw={"rows": 3})
    description_ru = TextAreaField(N_("Description (Russian)"), validators=[Length(max=5_000)], render_kw={"rows": 3})
    sources = TextAreaField(
        N_("Sources"),
        validators=[Length(max=10_000)],
        render_kw={"rows": 3},
        description=N_("One per line: a full citation, or the key of a source already listed."),
    )
    version = HiddenField()
    submit = SubmitField(N_("Save"))

    @staticmethod
    def for_kind(kind: str, events, gazetteer) -> "EntryForm":
        form = {"events": EventForm, "places": PlaceForm, "people": PersonForm}[kind]()
        event_choices = [SelectChoice(e.id, f"{e.date} · {e.name()}") for e in events]
        places = sorted(gazetteer.places.values(), key=lambda p: p.name().casefold())
        if isinstance(form, EventForm):
            form.places.choices = [SelectChoice(p.id, p.name()) for p in places]
            form.gazetteer = gazetteer
            form.related.choices = event_choices
        elif isinstance(form, PersonForm):
            form.events.choices = event_choices
        else:
            form.within.choices = [SelectChoice("", N_("—"))] + [SelectChoice(p.id, p.name()) for p in places]
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
        N_("Date (EDTF)"),
        validators=[DataRequired(N_("Give the date, however uncertain.")), Length(max=100)],
        description=N_("For example 1937-08-21, 1937-09/1937-10, 186X, 1940~ (approximate), 1937? (uncertain)."),
    )
    places = MultiCheckboxField(N_("Places"), choices=[], validate_choice=True, vocabulary="places")
    route = TextAreaField(
        N_("Route (optional)"),
        validators=[Length(max=5_000)],
        render_kw={"rows": 4},
        description=N_(
            "For an event that moved people along a way: the places it passed through, one per line, in order (a "
            "name in any script, or the place's id). The map draws it as a line."
        ),
    )
    related = MultiCheckboxField(N_("Related events"), choices=[], validate_choice=True, vocabulary="events")
    note = TextAreaField(
        N_("Note"),
        validators=[Length(max=5_000)],
        render_kw={"rows": 2},
        description=N_("For example a date that sources disagree on, and which says what."),
    )

    def fill(self, entry: dict, version: str) -> None:
        super().fill(entry, version)
        self.date.data, self.note.data = entry.get("date", ""), entry.get("note", "")
        self.places.data, self.related.data = entry.get("places", []), entry.get("related", [])
        self.route.data = "\n".join(self._route_line(p) for p in entry.get("route", []))

    def _route_line(self, place_id: str) -> str:
        """A stop of a stored route as the form shows it: the place's English name, or its id where the name is
        not the place's alone (saving the form unchanged must give back the same places)."""
        place = self.gazetteer.places.get(place_id)
        if place is None or [p.id for p in self.gazetteer.match(place.name())] != [place_id]:
            return place_id
        return place.name()

    def entry(self) -> dict:
        return {
            **super().entry(),
            "date": (self.date.data or "").strip(),
            "places": self.places.data or [],
            "route": [" ".join(line.split()) for line in (self.route.data or "").splitlines() if line.strip()],
            "related": self.related.data or [],
            "note": (self.note.data or "").strip(),
        }


class PersonForm(EntryForm):
    dates = StringField(
        N_("Life dates (EDTF, optional)"), validators=[Length(max=100)], description=N_("For example 1929/2015")
    )
    events = MultiCheckboxField(N_("Events"), choices=[], validate_choice=True, vocabulary="events")

    def fill(self, entry: dict, version: str) -> None:
        super().fill(entry, version)
        self.dates.data, self.events.data = entry.get("dates", ""), entry.get("events", [])

    def entry(self) -> dict:
        return {**super().entry(), "dates": (self.dates.data or "").strip(), "events": self.events.data or []}


class PlaceForm(EntryForm):
    type = SelectField(
        N_("Kind of place"),
        choices=[SelectChoice(kind, label) for kind, label in vocab.PLACE_KINDS.items()],
        default="village",
    )
    country = StringField(
        N_("Country today (ISO code)"),
        validators=[DataRequired(N_("Give the country code, e.g. KZ.")), Length(min=2, max=20)],
    )
    lat = StringField(N_("Latitude (optional)"), validators=[Length(max=20)])
    lon = StringField(N_("Longitude (optional)"), validators=[Length(max=20)])
    within = SelectField(N_("Within"), choices=[], default="", validate_choice=True)

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
