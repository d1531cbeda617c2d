"""The forms of the segment index blueprint: the index's points (one fieldset each, added and removed by buttons, so
no JavaScript is needed), and the start times of a transcript's passages (what the stamp mode fills in)."""

from __future__ import annotations

from wtforms import FieldList, Form, FormField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from ...i18n import N_
from .base import ArchiveForm, one_newline


class PointForm(Form):
    """One point of the index, as typed: lists as text (";" between words, one GPS point or link a line)."""

    start = StringField(
        N_("Starts at"),
        description=N_("Seconds (754) or hours, minutes and seconds (0:12:34)."),
        validators=[Length(max=40)],
    )
    title = StringField(N_("Title"), validators=[Length(max=300)])
    synopsis = TextAreaField(N_("Synopsis"), filters=[one_newline], render_kw={"rows": 3})
    partial_transcript = TextAreaField(N_("Partial transcript"), filters=[one_newline], render_kw={"rows": 2})
    keywords = StringField(N_("Keywords"), description=N_("Separated by “;”."))
    subjects = StringField(N_("Subjects"), description=N_("Separated by “;”."))
    places = StringField(
        N_("Places"),
        description=N_("Names from the list of places, in any script, separated by “;”."),
        render_kw={"list": "places", "autocomplete": "off"},
    )
    gps = TextAreaField(
        N_("GPS points"),
        description=N_("One a line: latitude, longitude, then a label. For example: 45.25, 77.98, Ushtobe"),
        filters=[one_newline],
        render_kw={"rows": 2},
    )
    links = TextAreaField(
        N_("Links"),
        description=N_("One a line: the address (https://…), then a label."),
        filters=[one_newline],
        render_kw={"rows": 2},
    )
    remove = SubmitField(N_("Remove this point"))

    def point(self) -> dict:
        """The point as the segment index takes it (the index checks it)."""
        gps = []
        for line in (self.gps.data or "").split("\n"):
            if line.strip():
                lat, _, rest = line.partition(",")
                lon, _, label = rest.partition(",")
                gps.append({"lat": lat.strip(), "lon": lon.strip() or None, "label": label.strip()})
        links = []
        for line in (self.links.data or "").split("\n"):
            if line.strip():
                url, _, label = line.strip().partition(" ")
                links.append({"url": url, "label": label.strip()})
        return {
            "start": self.start.data or "",
            "title": self.title.data or "",
            "synopsis": self.synopsis.data or "",
            "partial_transcript": self.partial_transcript.data or "",
            "keywords": self.keywords.data or "",
            "subjects": self.subjects.data or "",
            "places": self.places.data or "",
            "gps": gps,
            "links": links,
        }


def point_data(point: dict, clock, place_name) -> dict:
    """A stored point as the form shows it."""
    return {
        "start": clock(point["start"]) + (f"{point['start'] % 1:.3f}".rstrip("0").rstrip(".")[1:] or ""),
        "title": point.get("title", ""),
        "synopsis": point.get("synopsis", ""),
        "partial_transcript": point.get("partial_transcript", ""),
        "keywords": "; ".join(point.get("keywords", [])),
        "subjects": "; ".join(point.get("subjects", [])),
        "places": "; ".join(place_name(p) for p in point.get("places", [])),
        "gps": "\n".join(
            f"{g['lat']}, {g['lon']}" + (f", {g['label']}" if g.get("label") else "") for g in point.get("gps", [])
        ),
        "links": "\n".join(f"{link['url']} {link.get('label', '')}".strip() for link in point.get("links", [])),
    }


class SegmentIndexForm(ArchiveForm):
    """The whole index: its points, and the version it was read at."""

    points = FieldList(FormField(PointForm), min_entries=0, max_entries=1000)
    version = HiddenField()
    add = SubmitField(N_("Add a point"))
    submit = SubmitField(N_("Save the index"))


def times_form(segments: list[dict]) -> type[ArchiveForm]:
    """A form with one time field per passage ("time-<n>"), for these passages."""

    class TimesForm(ArchiveForm):
        version = HiddenField()
        submit = SubmitField(N_("Save the times"))

    for segment in segments:
        setattr(
            TimesForm,
            f"time-{segment['n']}",
            StringField(N_("Starts at"), validators=[Length(max=40)], render_kw={"inputmode": "decimal"}),
        )
    return TimesForm
