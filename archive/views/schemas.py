"""The shapes of the JSON API, as marshmallow schemas: the views read query strings and shape answers through them, and
the OpenAPI document (openapi.py) is generated from the same classes, so the two cannot drift apart.

Query arguments are read leniently, as the pages read them: an odd page number means the first page, an unknown
sort the default one, and an unknown argument is ignored; so reading them never refuses a request. Records (an
item's description, a vocabulary, a Web Annotation) may carry members nobody here names: `Open` schemas pass those
through unchanged and say so (`additionalProperties`). Request bodies are described here but judged by the services
(annotations.py), the one place for their rules; what they refuse is answered with a problem document.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, post_dump

from ..access import LEVELS
from ..search import FACETS
from .forms.interviews import UPLOAD_TEXT_FIELDS
from .media import GALLERY_FILTERS
from .paging import MAX_PAGE, page_number

SORTS = ("relevance", "date")


class PageNumber(fields.Integer):
    """?page=, read as the pages read it (views/paging.py): anything odd means page 1."""

    def _deserialize(self, value, attr, data, **kwargs):
        return page_number(value if isinstance(value, str) else str(value))


class Choice(fields.String):
    """One of a few words; any other value means the first of them (never an error)."""

    def __init__(self, choices: tuple[str, ...], **kwargs):
        self.choices = choices
        metadata = {"enum": list(choices), **kwargs.pop("metadata", {})}
        super().__init__(load_default=choices[0], metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return value if value in self.choices else self.choices[0]


def _page_field() -> PageNumber:
    return PageNumber(
        load_default=1,
        metadata={
            "minimum": 1,
            "maximum": MAX_PAGE,
            "description": "The page to show (1 if absent or odd; past the last page, the last page).",
        },
    )


def _filter_field(name: str) -> fields.List:
    return fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": f"Only what has this {name} (its id as the facets give it); repeat to narrow."},
    )


class Query(Schema):
    """A query string: list arguments may repeat; arguments nobody here reads are ignored."""

    class Meta:
        unknown = EXCLUDE

    def read(self, args) -> dict:
        """Read a request's arguments (a MultiDict): every value of a list field, the first of the others."""
        given = {
            name: args.getlist(name) if isinstance(field, fields.List) else args.get(name)
            for name, field in self.fields.items()
            if name in args
        }
        return self.load(given)


SearchArgs = Query.from_dict(
    {
        "q": fields.String(
            load_default="",
            metadata={
                "description": 'Words, "phrases", prefix*, field:value, AND, OR, NOT, -word and parentheses; '
                "anything else is read as plain words."
            },
        ),
        "page": _page_field(),
        "sort": Choice(SORTS, metadata={"description": "Best matches first, or by date (undated first)."}),
        **{name: _filter_field(name) for name in FACETS},
    },
    name="SearchArgs",
)

PageArgs = Query.from_dict({"page": _page_field()}, name="PageArgs")

INTERVIEW_SORTS = ("title", "date", "relevance")

InterviewListArgs = Query.from_dict(
    {
        "q": fields.String(
            load_default="",
            metadata={"description": "Only interviews holding these words (the search box's language); none: all."},
        ),
        "page": _page_field(),
        "sort": Choice(INTERVIEW_SORTS, metadata={"description": "By title (the default), by date, or best first."}),
        **{name: _filter_field(name) for name in FACETS if name != "kind"},
    },
    name="InterviewListArgs",
)

MediaArgs = Query.from_dict(
    {"page": _page_field(), **{name: _filter_field(name) for name in GALLERY_FILTERS}}, name="MediaArgs"
)


class Open(Schema):
    """An object that may carry members beyond those named here: they pass through as they are."""

    class Meta:
        unknown = INCLUDE

    @post_dump(pass_original=True)
    def keep_the_rest(self, data, original, **kwargs):
        named = {field.data_key or name for name, field in self.fields.items()}
        return {**{k: v for k, v in original.items() if k not in named}, **data}


class ProblemSchema(Schema):
    """An RFC 9457 problem document, with the archive's `code` and `field` (and, for a conflict, who and when)."""

    type = fields.String(
        required=True,
        metadata={"format": "uri", "description": "The kind of problem: about:blank, or /api/v1/problems#<code>."},
    )
    title = fields.String(required=True, metadata={"description": "The kind's short title, the same every time."})
    status = fields.Integer(required=True, metadata={"minimum": 400, "maximum": 599})
    detail = fields.String(required=True, metadata={"description": "What went wrong this time, for a person."})
    code = fields.String(
        required=True,
        metadata={
            "description": "A stable machine code: a kind listed at /api/v1/problems, or the plain HTTP error "
            "(not-found, unauthorized, ...).",
            "pattern": "^[a-z0-9-]+$",
        },
    )
    field = fields.String(metadata={"description": "The request member (body or argument) the problem concerns."})
    author = fields.String(metadata={"description": "version-conflict: who made the change you did not see."})
    time = fields.String(metadata={"description": "version-conflict: when that change was made (UTC)."})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "metadata-invalid: what is wrong with each field, by field."},
    )
    interview = fields.String(metadata={"description": "already-ingested: the interview that holds the file."})


class ProblemKindSchema(Schema):
    """What a problem type means."""

    code = fields.String(required=True, metadata={"description": "The fragment of its type URI."})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    about = fields.String(required=True)


class ProblemKindsSchema(Schema):
    """The kinds of problem with their own type URI (/api/v1/problems#<code>)."""

    kinds = fields.List(fields.Nested(ProblemKindSchema), required=True)


class FacetValueSchema(Schema):
    value = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)


class SegmentHitSchema(Schema):
    n = fields.Integer(required=True, metadata={"description": "The passage's number in the transcript."})
    start = fields.Float(required=True, allow_none=True, metadata={"description": "Seconds into the audio."})
    speaker = fields.String(required=True, allow_none=True)
    snippet = fields.String(required=True, metadata={"description": "HTML: escaped text, the words found in <mark>."})
    url = fields.String(required=True, metadata={"format": "uri"})


class PointHitSchema(Schema):
    start = fields.Float(required=True, metadata={"description": "Seconds into the recording (continuous time)."})
    title = fields.String(required=True)
    snippet = fields.String(required=True, metadata={"description": "HTML: escaped text, the words found in <mark>."})
    url = fields.String(required=True, metadata={"description": "The interview at that time (?t= and #t=)."})


class PassageSchema(Schema):
    quote = fields.String(required=True)
    annotation = fields.String(required=True, metadata={"description": "The annotation's id (a uuid)."})
    url = fields.String(required=True, metadata={"format": "uri"})


class HitSchema(Open):
    """A found interview or item: what the index shows of it (title, date, narrators, place, villages, access,
    languages; for items also caption and institution) and where to read it."""

    id = fields.String(required=True, metadata={"description": "An interview's id, or media/<id> for an item."})
    kind = fields.String(required=True, metadata={"description": "interview, or an item's kind (photograph, ...)."})
    url = fields.String(required=True, metadata={"format": "uri"})
    title = fields.String()
    date = fields.String()
    access = fields.String()
    narrators = fields.List(fields.String())
    languages = fields.List(fields.String())
    segments = fields.List(fields.Nested(SegmentHitSchema), required=True)
    points = fields.List(
        fields.Nested(PointHitSchema), metadata={"description": "Points of the segment index whose words were found."}
    )
    passages = fields.List(fields.Nested(PassageSchema), required=True)


class SearchPageSchema(Schema):
    """One page of search results, with the facets of everything found."""

    query = fields.String(required=True)
    filters = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True)
    total = fields.Integer(required=True, metadata={"minimum": 0})
    page = fields.Integer(required=True, metadata={"minimum": 1})
    pages = fields.Integer(required=True, metadata={"minimum": 1})
    variants = fields.List(fields.String(), required=True, metadata={"description": "Other spellings searched."})
    suggestions = fields.List(fields.String(), required=True, metadata={"description": "Names meant, if none found."})
    message = fields.String(required=True)
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)), required=True)
    hits = fields.List(fields.Nested(HitSchema), required=True)


class MediaPageLinksSchema(Open):
    """One page of an item: its size (when known) and its copies."""

    display = fields.String(required=True, metadata={"format": "uri"})
    thumbnail = fields.String(required=True, metadata={"format": "uri"})
    width = fields.Integer()
    height = fields.Integer()


class MediaItemSchema(Open):
    """A photograph, document or object as the reader may see it: its description (the fields of item.json, less
    those for staff alone), with links to the copies the reader may fetch (the original for staff alone)."""

    id = fields.String(required=True)
    url = fields.String(required=True, metadata={"format": "uri"})
    pages = fields.List(fields.Nested(MediaPageLinksSchema), required=True)
    original = fields.String(metadata={"format": "uri", "description": "Staff alone: the file as received."})
    title = fields.String()
    kind = fields.String()
    date = fields.String(metadata={"description": "EDTF (levels 0 and 1)."})
    access = fields.String(metadata={"enum": list(LEVELS)})
    interviews = fields.List(fields.String(), metadata={"description": "Those of its interviews you may open."})


class RecordingSoundSchema(Schema):
    codec = fields.String(required=True)
    channels = fields.Integer(required=True, allow_none=True)
    sample_rate = fields.Integer(required=True, allow_none=True)


class RecordingPictureSchema(Schema):
    codec = fields.String(required=True)
    width = fields.Integer(required=True, allow_none=True)
    height = fields.Integer(required=True, allow_none=True)


class RecordingSchema(Schema):
    """One part of an interview's recordings (a tape, a session), in continuous time: it starts at `offset` seconds
    from the start of the first part. Lengths, sizes and codecs are null for a recording stored before they were
    read."""

    part = fields.Integer(required=True, metadata={"minimum": 1})
    url = fields.String(required=True, metadata={"format": "uri", "description": "The file, with range requests."})
    file = fields.String(required=True, metadata={"description": "Its name as it was given."})
    type = fields.String(required=True, metadata={"description": "Its content type."})
    kind = fields.String(required=True, metadata={"enum": ["audio", "video"]})
    container = fields.String(required=True)
    duration = fields.Float(required=True, allow_none=True, metadata={"description": "Seconds."})
    offset = fields.Float(required=True, metadata={"description": "Seconds from the start of the first part."})
    bytes = fields.Integer(required=True, allow_none=True)
    sha256 = fields.String(required=True, allow_none=True)
    audio = fields.Nested(RecordingSoundSchema, required=True, allow_none=True)
    video = fields.Nested(RecordingPictureSchema, required=True, allow_none=True)


class RecordingListSchema(Schema):
    """An interview's recordings in the order they play."""

    items = fields.List(fields.Nested(RecordingSchema), required=True)


class MediaListSchema(Schema):
    """One page of the items the reader may see."""

    total = fields.Integer(required=True, metadata={"minimum": 0})
    page = fields.Integer(required=True, metadata={"minimum": 1})
    pages = fields.Integer(required=True, metadata={"minimum": 1})
    items = fields.List(fields.Nested(MediaItemSchema), required=True)


class AnnotationSchema(Open):
    """A W3C Web Annotation (https://www.w3.org/TR/annotation-model/) whose target quotes a transcript: a
    TextQuoteSelector (exact, prefix, suffix), with a TextPositionSelector and a media FragmentSelector as stored.
    Its bodies tie the passage to /events/<id>, /places/<id> or /people/<id> (SpecificResource), or are tags and
    one note (TextualBody), or withhold it (purpose "redacting")."""

    class Meta(Open.Meta):
        include = {"@context": fields.Raw(metadata={"description": "http://www.w3.org/ns/anno.jsonld"})}

    id = fields.String(metadata={"description": "urn:uuid:<uuid> (given by the archive to a new annotation)."})
    type = fields.String(required=True, metadata={"enum": ["Annotation"]})
    motivation = fields.Raw(metadata={"description": "A W3C motivation, or a list of them (kept as imported)."})
    creator = fields.Raw()
    created = fields.String()
    modified = fields.String()
    body = fields.Raw(metadata={"description": "One body or a list of them."})
    target = fields.Raw(required=True, metadata={"description": "The passage: source /interviews/<id>, selectors."})
    review = fields.Raw(metadata={"description": "Set while the quoted words are missing from a corrected transcript."})


class AnnotationPageSchema(Open):
    id = fields.String(metadata={"description": "The page's IRI: the collection's with ?page=0."})
    type = fields.String(metadata={"enum": ["AnnotationPage"]})
    partOf = fields.Raw(metadata={"description": "The collection the page is part of."})  # noqa: N815 - the W3C name
    startIndex = fields.Integer(metadata={"minimum": 0})  # noqa: N815 - the W3C name
    items = fields.List(fields.Nested(AnnotationSchema), required=True)


class AnnotationCollectionSchema(Open):
    """An interview's annotations as a W3C AnnotationCollection, all on its first page: what GET gives and PUT takes
    back."""

    class Meta(Open.Meta):
        include = {"@context": fields.Raw()}

    id = fields.String()
    type = fields.String(required=True, metadata={"enum": ["AnnotationCollection"]})
    label = fields.Raw()
    total = fields.Integer(metadata={"minimum": 0})
    first = fields.Nested(AnnotationPageSchema, required=True)


class GpsSchema(Schema):
    lat = fields.Float(required=True, metadata={"minimum": -90, "maximum": 90})
    lon = fields.Float(required=True, metadata={"minimum": -180, "maximum": 180})
    label = fields.String()


class LinkSchema(Schema):
    url = fields.String(required=True, metadata={"description": "An http or https address."})
    label = fields.String()


class IndexPointSchema(Schema):
    """A point of the segment index: where it starts (seconds, continuous time across the recording's parts; it ends
    where the next begins) and what is said from there."""

    start = fields.Float(required=True, metadata={"minimum": 0})
    title = fields.String(required=True)
    synopsis = fields.String()
    partial_transcript = fields.String()
    keywords = fields.List(fields.String())
    subjects = fields.List(fields.String())
    places = fields.List(fields.String(), metadata={"description": "Gazetteer ids (names it knows, when sent)."})
    gps = fields.List(fields.Nested(GpsSchema))
    links = fields.List(fields.Nested(LinkSchema))
    alt = fields.Dict(metadata={"description": "An OHMS import's alternate-language words, kept as imported."})


class SegmentIndexSchema(Schema):
    """An interview's segment index (OHMS-style table of contents), what GET gives and PUT takes back."""

    interview = fields.String(metadata={"description": "The interview's id (ignored when sent)."})
    points = fields.List(fields.Nested(IndexPointSchema), required=True)


class ImportCountsSchema(Schema):
    """What a re-import did."""

    added = fields.Integer(required=True, metadata={"minimum": 0})
    replaced = fields.Integer(required=True, metadata={"minimum": 0})


class VocabularySchema(Open):
    """One page of a vocabulary as the archive uses it (its own edited copy once historians change it): what it is,
    its sources, and this page's entries (under events, places or people, 100 a page, in the vocabulary's order) with
    stable ids and labels in several languages."""

    about = fields.String()
    sources = fields.Raw()
    total = fields.Integer(required=True, metadata={"minimum": 0, "description": "How many entries it has."})
    page = fields.Integer(required=True, metadata={"minimum": 1})
    pages = fields.Integer(required=True, metadata={"minimum": 1})
    events = fields.List(fields.Dict())
    places = fields.List(fields.Dict())
    people = fields.List(fields.Dict())


class EntrySchema(Open):
    """One entry of a vocabulary (an event, a place of the gazetteer or a person) as stored, with its page, whose
    address is the IRI annotations link it by."""

    id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["events", "places", "people"]})
    url = fields.String(required=True, metadata={"format": "uri", "description": "Its page (and IRI)."})
    label = fields.Raw(metadata={"description": "Its name by language."})


class OpenAPISchema(Open):
    """An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)."""

    openapi = fields.String(required=True)
    info = fields.Dict(required=True)
    paths = fields.Dict(required=True)
    components = fields.Dict()


# --- an interview's description (issue 16) ----------------------------------------------------------------------------


class PlaceValue(fields.Field):
    """A place: its name as written (matched to the gazetteer in any script), or {name, place} with a gazetteer id."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return value
        if (
            isinstance(value, dict)
            and set(value) <= {"name", "place"}
            and all(isinstance(v, str) for v in value.values())
        ):
            return value
        raise ValidationError("A place is its name, or an object with its name and gazetteer id (place).")


_PLACE = {
    "oneOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {"name": {"type": "string"}, "place": {"type": "string"}},
            "additionalProperties": False,
        },
    ]
}


class NarratorSchema(Schema):
    name = fields.String(required=True)
    other_forms = fields.List(fields.String(), metadata={"description": "Other scripts and spellings of the name."})


class ConsentSchema(Schema):
    release = fields.Boolean(allow_none=True, metadata={"description": "A release form is on file."})
    scope = fields.String(allow_none=True)
    date = fields.String(allow_none=True, metadata={"description": "EDTF."})
    living_named = fields.Boolean(allow_none=True, metadata={"description": "May living people be named?"})


def _description_fields(shown: bool) -> dict:
    """The fields of an interview's description; in a patch each may be null (to remove it)."""
    nullable = {"allow_none": not shown}
    return {
        "title": fields.String(**nullable),
        "narrators": fields.List(fields.Nested(NarratorSchema), **nullable),
        "interviewers": fields.List(fields.String(), **nullable),
        "date": fields.String(**nullable, metadata={"description": "EDTF (levels 0 and 1)."}),
        "place": PlaceValue(**nullable, metadata=_PLACE),
        "birthplace": PlaceValue(**nullable, metadata=_PLACE),
        "villages": fields.List(PlaceValue(metadata=_PLACE), **nullable),
        "deported_to": fields.List(PlaceValue(metadata=_PLACE), **nullable),
        "later_homes": fields.List(PlaceValue(metadata=_PLACE), **nullable),
        "surnames": fields.List(fields.String(), **nullable),
        "keywords": fields.List(fields.String(), **nullable),
        "languages": fields.List(fields.String(), **nullable, metadata={"description": "BCP 47 tags."}),
        "duration": fields.Integer(**nullable, metadata={"minimum": 0, "description": "Seconds."}),
        "description": fields.String(**nullable),
        "accession": fields.String(**nullable),
        "collection": fields.String(**nullable),
        "rights": fields.String(**nullable),
        "consent": fields.Nested(ConsentSchema, **nullable),
        "access": fields.String(**nullable, metadata={"enum": list(LEVELS)}),
        "embargo_until": fields.String(**nullable, metadata={"description": "YYYY-MM-DD."}),
        "extra": fields.Dict(
            **nullable, metadata={"description": "Fields nobody here names, kept as given (staff alone see them)."}
        ),
    }


InterviewSchema = Open.from_dict(
    {
        "id": fields.String(required=True),
        "url": fields.String(required=True, metadata={"format": "uri"}),
        **_description_fields(shown=True),
    },
    name="InterviewSchema",
)
InterviewSchema.__doc__ = """An interview's description as the reader may see it (the fields of interview.json, less
those for staff alone), with its address. What the archive itself keeps (source, recordings, ...) is shown to staff
and cannot be changed by a PATCH."""

InterviewPatchSchema = Open.from_dict(_description_fields(shown=False), name="InterviewPatchSchema")
InterviewPatchSchema.__doc__ = """The fields of an interview's description to change, as a JSON merge patch (RFC 7396):
a member given replaces the field, null removes it, an object (consent) is merged member by member, and a field not
given is kept. Places may be names the gazetteer knows, in any script."""


# --- lists and records of issue 17 ------------------------------------------------------------------------------------


class InterviewSummarySchema(Schema):
    """An interview in a list: what tells it apart, and where to read it (its page, and its description here)."""

    id = fields.String(required=True)
    title = fields.String(required=True)
    date = fields.String(metadata={"description": "EDTF."})
    narrators = fields.List(fields.String(), required=True, metadata={"description": "Their names as written."})
    languages = fields.List(fields.String(), required=True, metadata={"description": "BCP 47 tags."})
    access = fields.String(required=True, metadata={"enum": list(LEVELS)})
    url = fields.String(required=True, metadata={"format": "uri", "description": "Its page."})
    api = fields.String(required=True, metadata={"format": "uri", "description": "Its description in this API."})


class InterviewListSchema(Schema):
    """One page of the interviews the reader may open (50 a page)."""

    total = fields.Integer(required=True, metadata={"minimum": 0})
    page = fields.Integer(required=True, metadata={"minimum": 1})
    pages = fields.Integer(required=True, metadata={"minimum": 1})
    items = fields.List(fields.Nested(InterviewSummarySchema), required=True)


_UPLOAD_NOTES = {
    "title": "Required here (the upload page takes the file's name instead).",
    "narrator": "Names as written; several separated by ';'.",
    "narrator_other_forms": "The first narrator's name in other scripts, separated by ';'.",
    "interviewer": "Names separated by ';'.",
    "date": "EDTF: 2008-05-14, 2008-05, 1937~, 193X.",
    "villages": "Places named, separated by ';', in any script (matched to the gazetteer).",
    "surnames": "Separated by ';'.",
    "languages": "BCP 47 tags separated by ';'.",
    "duration": "hh:mm:ss.",
    "keywords": "Separated by ';'.",
    "release_form": "yes, no, or empty (unknown).",
    "embargo_until": "YYYY-MM-DD: hidden from all but staff until then.",
}
INTERVIEW_UPLOAD = {
    "type": "object",
    "properties": {
        "transcript": {
            "type": "string",
            "contentMediaType": "application/octet-stream",
            "description": (
                "Plain text, WebVTT, SRT, OHMS XML, Word (.docx), OpenDocument (.odt) or PDF, told by its content."
            ),
        },
        "audio": {
            "type": "array",
            "items": {"type": "string", "contentMediaType": "application/octet-stream"},
            "description": "Recordings (optional), in the order they play: MP3, M4A, Ogg, WAV, FLAC, MP4, WebM.",
        },
        **{
            name: {"type": "string", **({"description": _UPLOAD_NOTES[name]} if name in _UPLOAD_NOTES else {})}
            for name in UPLOAD_TEXT_FIELDS
        },
        "access": {"type": "string", "enum": list(LEVELS), "description": "Who may see it (staff if absent)."},
        "release_form": {"type": "string", "enum": ["", "yes", "no"], "description": _UPLOAD_NOTES["release_form"]},
    },
    "required": ["transcript", "title"],
}


class SegmentSchema(Schema):
    """A passage of the transcript as the reader may read it: a redacted passage's words are replaced, for all but
    staff, by a notice in the reader's language (`withheld` is then true)."""

    n = fields.Integer(required=True, metadata={"description": "Its number in the transcript."})
    start = fields.Float(required=True, allow_none=True, metadata={"description": "Seconds (continuous time)."})
    end = fields.Float(required=True, allow_none=True)
    speaker = fields.String(required=True, allow_none=True)
    lang = fields.String(required=True, allow_none=True, metadata={"description": "BCP 47, when known."})
    text = fields.String(required=True)
    withheld = fields.Boolean(required=True, metadata={"description": "Some of its words are withheld from you."})
    url = fields.String(required=True, metadata={"format": "uri", "description": "The passage on its page."})


class SegmentListSchema(Schema):
    """One page of an interview's transcript (100 passages a page), in order."""

    interview = fields.String(required=True)
    total = fields.Integer(required=True, metadata={"minimum": 0})
    page = fields.Integer(required=True, metadata={"minimum": 1})
    pages = fields.Integer(required=True, metadata={"minimum": 1})
    segments = fields.List(fields.Nested(SegmentSchema), required=True)


class FieldChangeSchema(Schema):
    field = fields.String(required=True)
    before = fields.String(required=True)
    after = fields.String(required=True)


class VersionSchema(Schema):
    """One version of a record: who made it, when, what kind of change it was and what it changed."""

    number = fields.Integer(required=True, metadata={"minimum": 1, "description": "1 for the first version."})
    stamp = fields.String(required=True, metadata={"description": "Its name in the history pages' addresses."})
    time = fields.String(required=True, metadata={"description": "UTC."})
    author = fields.String(required=True)
    action = fields.String(required=True, metadata={"description": "The audit log's keyword (edited, ...)."})
    summary = fields.String(required=True, metadata={"description": "The kind of change, in the reader's language."})
    files = fields.Dict(
        keys=fields.String(), values=fields.String(), required=True, metadata={"description": "Each file: added, ..."}
    )
    fields_changed = fields.List(fields.Nested(FieldChangeSchema), required=True, data_key="fields")
    passages_changed = fields.Integer(required=True, metadata={"description": "Passages added, removed or changed."})
    retimed = fields.Integer(required=True, metadata={"description": "Passages whose times alone changed."})
    url = fields.String(required=True, metadata={"format": "uri", "description": "The version as it was."})


class HistorySchema(Schema):
    """One page of a record's versions (50 a page), the newest first."""

    kind = fields.String(required=True, metadata={"enum": ["interviews", "media"]})
    id = fields.String(required=True)
    deleted = fields.Boolean(required=True)
    total = fields.Integer(required=True, metadata={"minimum": 0})
    page = fields.Integer(required=True, metadata={"minimum": 1})
    pages = fields.Integer(required=True, metadata={"minimum": 1})
    versions = fields.List(fields.Nested(VersionSchema), required=True)


SUBMISSION_STATUSES = ("", "new", "questioned", "approving", "approved", "declined", "withdrawn")

SubmissionArgs = Query.from_dict(
    {
        "page": _page_field(),
        "status": Choice(SUBMISSION_STATUSES, metadata={"description": "Only those in this status; empty: all."}),
    },
    name="SubmissionArgs",
)


class SubmissionSummarySchema(Schema):
    """A family's submission in the inbox list."""

    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(SUBMISSION_STATUSES[1:])})
    received = fields.String(required=True, metadata={"description": "UTC."})
    language = fields.String(required=True, allow_none=True)
    narrator = fields.String(required=True, metadata={"description": "The narrator's name as the family wrote it."})
    contributor = fields.String(required=True, metadata={"description": "Who sent it, as they said."})
    url = fields.String(required=True, metadata={"format": "uri", "description": "Its page in the inbox."})
    api = fields.String(required=True, metadata={"format": "uri"})


class SubmissionListSchema(Schema):
    """One page of the inbox (50 a page), the newest first, with how many there are in each status."""

    total = fields.Integer(required=True, metadata={"minimum": 0})
    page = fields.Integer(required=True, metadata={"minimum": 1})
    pages = fields.Integer(required=True, metadata={"minimum": 1})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    items = fields.List(fields.Nested(SubmissionSummarySchema), required=True)


class SubmissionSchema(Open):
    """A family's submission as stored (submission.json: contributor, narrator, places, story, consent, photos,
    the historians' description and the log of what was done), less its receipt's secrets, with its addresses."""

    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(SUBMISSION_STATUSES[1:])})
    received = fields.String(required=True)
    url = fields.String(required=True, metadata={"format": "uri", "description": "Its page in the inbox."})


REQUEST_STATES = ("", "asked", "granted", "refused", "revoked")

AccessRequestArgs = Query.from_dict(
    {
        "page": _page_field(),
        "state": Choice(REQUEST_STATES, metadata={"description": "Only those in this state; empty: all."}),
        "record": fields.String(
            load_default="", metadata={"description": "Only those for this record (interviews/<id> or media/<id>)."}
        ),
    },
    name="AccessRequestArgs",
)


class AccessRequestSchema(Schema):
    """A researcher's request for access to a record kept for staff, and what staff decided."""

    id = fields.Integer(required=True)
    user = fields.String(required=True, metadata={"description": "The account that asked."})
    record = fields.String(required=True, metadata={"description": "interviews/<id> or media/<id>."})
    title = fields.String(required=True, allow_none=True, metadata={"description": "The record's title (if any)."})
    reason = fields.String(required=True)
    asked = fields.String(required=True, metadata={"description": "UTC."})
    state = fields.String(required=True, metadata={"enum": list(REQUEST_STATES[1:])})
    decided_by = fields.String(required=True, allow_none=True)
    decided = fields.String(required=True, allow_none=True, metadata={"description": "UTC."})
    note = fields.String(required=True)
    until = fields.String(required=True, allow_none=True, metadata={"description": "A grant's last day."})
    live = fields.Boolean(required=True, metadata={"description": "A grant that opens its record today."})


class AccessRequestListSchema(Schema):
    """One page of the access requests (50 a page), waiting ones first."""

    total = fields.Integer(required=True, metadata={"minimum": 0})
    page = fields.Integer(required=True, metadata={"minimum": 1})
    pages = fields.Integer(required=True, metadata={"minimum": 1})
    items = fields.List(fields.Nested(AccessRequestSchema), required=True)
