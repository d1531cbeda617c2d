"""In a real browser: script put into any text people give the archive stays text, on every page that shows it.

Every field a historian, a family or a vocabulary entry can fill (interview metadata, transcript and speakers,
annotation tags and notes, media descriptions, events, places and people, a family's submission and the historian's
question and reason, a surname spelling) holds XSS payloads, each numbered after its field so that a dialog names
where it came from, and `{{7*7}}`. That archive, all of it public, is served by `archive serve`, and Chromium opens
every page that shows the text as an anonymous reader, a signed-in historian and a family through its receipt link.

Each page is opened twice. With the Content-Security-Policy bypassed, escaping alone must keep every payload inert:
no dialog, no element or handler injected into the DOM. With it enforced, the console must report no CSP refusal:
the app's own pages need no inline script or style (XML answers are left out of that check: Chromium's XML viewer
styles itself inline, and the CSP refuses it, which harvesters never see). Each page must also show the payloads,
literally, where the field is shown (as text, or as the value of a form control), so that no page passes by showing
nothing; XML and JSON answers are parsed and searched for them, and must hold no element made from a payload.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field

import pytest
from conftest import PASSWORD, running_server
from factories import jpeg, wav

from archive import accounts, annotations, contributions, create_app, interviews, media, vocab
from archive.contributions import Upload
from archive.ingest import Ingester

pytestmark = pytest.mark.browser

# --- the payloads -------------------------------------------------------------------------------------------------

XHTML = "http://www.w3.org/1999/xhtml"
FORMS = {  # each payload, numbered by the field it is put in, so that a dialog says where it came from
    "script": "<script>alert({n})</script>",
    "img": '"><img src=x onerror=alert({n})>',
    "svg": "'><svg onload=alert({n})>",
    "js": "javascript:alert({n})",
    "textarea": "</textarea><script>alert({n})</script>",
    "ssti": "{{{{7*7}}}}",
    "xhtml": f'<script xmlns="{XHTML}">alert({{n}})</script>',
}
EVERY = tuple(FORMS)
SHORT = ("script", "img", "svg", "ssti")  # for fields of limited length (tags, names)
FIELDS: dict[int, str] = {}  # number -> the field its payloads were put in
WORD = "zephyrine"  # a made-up word in every record and passage, so that one search finds them all


def number(name: str) -> int:
    """The number of a field's payloads (what its alert() would say)."""
    n = 100 + len(FIELDS)
    FIELDS[n] = name
    return n


def attack(name: str, forms=EVERY, word: bool = True) -> str:
    """A value for one field: a marker word and the chosen payloads, numbered for this field."""
    n = number(name)
    payloads = " ".join(FORMS[f].format(n=n) for f in forms)
    return f"{WORD} {payloads}" if word else payloads


def shown(text: str) -> str:
    """Text as a page shows it: runs of white space are one space."""
    return " ".join(text.split())


# --- the archive -------------------------------------------------------------------------------------------------


@dataclass
class World:
    """The archive the pages are read from: ids of what was made, and the text put in each field."""

    app: object
    base: str = ""
    text: dict[str, str] = field(default_factory=dict)  # field -> value as typed
    ids: dict[str, str] = field(default_factory=dict)  # thing -> its id
    receipts: dict[str, contributions.Receipt] = field(default_factory=dict)

    def typed(self, name: str, value: str) -> str:
        self.text[name] = value
        return value


def build(root) -> World:
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    world = World(app)
    t = world.typed
    collection, search, limits = (
        app.extensions["collection"],
        app.extensions["search"],
        app.extensions["image_limits"],
    )

    # vocabularies: a place, an event and a person named and described with payloads
    place = vocab.save_entry(
        collection,
        "places",
        None,
        {
            "label": {
                "en": t("place en", attack("place name (en)", SHORT)),
                "ru": t("place ru", "Посёлок " + attack("place name (ru)", SHORT, word=False)),
            },
            "names": [t("place form", "Uš " + attack("place written form", ("img", "svg"), word=False))],
            "description": {
                "en": t("place note", attack("place description (en)")),
                "ru": t("place description ru", attack("place description (ru)")),
            },
            "sources": [t("place source", attack("place source", SHORT))],
            "country": "KZ",
            "lat": "44.2",
            "lon": "77.9",
        },
        "setup",
        vocab.load(collection, "places").version,
    )
    world.ids["place"] = place["id"]
    event = vocab.save_entry(
        collection,
        "events",
        None,
        {
            "label": {
                "en": t("event en", attack("event name (en)", SHORT)),
                "ru": t("event ru", "Событие " + attack("event name (ru)", SHORT, word=False)),
            },
            "description": {
                "en": t("event description", attack("event description (en)")),
                "ru": t("event description ru", attack("event description (ru)")),
            },
            "sources": [t("event source", attack("event source", SHORT))],
            "date": "1937-10",
            "places": [place["id"]],
            "note": t("event note", attack("event note")),
        },
        "setup",
        vocab.load(collection, "events").version,
    )
    world.ids["event"] = event["id"]
    person = vocab.save_entry(
        collection,
        "people",
        None,
        {
            "label": {
                "en": t("person en", attack("person name (en)", SHORT)),
                "ru": t("person ru", "Ким " + attack("person name (ru)", SHORT, word=False)),
            },
            "names": [t("person form", "Kim " + attack("person written form", ("img", "svg"), word=False))],
            "description": {
                "en": t("person description", attack("person description (en)")),
                "ru": t("person description ru", attack("person description (ru)")),
            },
            "dates": "1920/1999",
            "events": [event["id"]],
        },
        "setup",
        vocab.load(collection, "people").version,
    )
    world.ids["person"] = person["id"]

    # a surname spelling: only letters, spaces, hyphens and apostrophes pass, so a quote is all that gets through
    surnames = vocab.load(collection, "surnames")
    family = surnames.data["surnames"][0]["id"]
    with pytest.raises(vocab.VocabularyError):
        vocab.add_surname_spelling(collection, family, "<script>alert(1)</script>", "setup", surnames.version)
    vocab.add_surname_spelling(collection, family, t("surname spelling", "D'Zephyr'ova"), "setup", surnames.version)

    # an interview from a plain-text transcript: metadata, transcript and speakers all carry payloads
    places_typed = {"name": t("village typed", attack("village as typed", SHORT)), "place": place["id"]}
    lines = [
        f"ANNA O'KIM: {t('passage 1', attack('transcript passage 1'))}",
        f"IVAN D'PAK-LI: {t('passage 2', attack('transcript passage 2'))}",
        f"ANNA O'KIM: {t('passage 3', attack('transcript passage 3', ('textarea', 'xhtml', 'js', 'ssti')))}",
    ]
    world.text["speaker 1"], world.text["speaker 2"] = "ANNA O'KIM", "IVAN D'PAK-LI"
    ingester = Ingester(collection, vocab.gazetteer(collection), "setup", 2**20, app.extensions["indexer"])
    outcome = ingester.ingest(
        "\n\n".join(lines).encode(),
        "testimony.txt",
        {
            "title": t("title", attack("interview title")),
            "narrators": [
                {
                    "name": t("narrator", attack("narrator name", SHORT)),
                    "other_forms": [t("narrator other form", attack("narrator other form", SHORT))],
                }
            ],
            "interviewers": t("interviewer", attack("interviewer", SHORT)),
            "description": t("description", attack("interview description")),
            "keywords": t("keyword", attack("keyword", SHORT)),
            "surnames": t("surname", attack("surname", SHORT)),
            "collection": t("collection", attack("collection name")),
            "accession": t("accession", attack("accession number", SHORT)),
            "rights": t("rights", attack("rights statement")),
            "villages": [places_typed],
            "place": places_typed,
            "birthplace": places_typed,
            "date": "2008-05-14",
            "languages": "ru",
            "access": "public",
            "extra": {t("extra key", attack("extra field name", SHORT)): t("extra value", attack("extra field value"))},
        },
        wav(8000),
        "testimony.wav",
    )
    assert outcome.status == "ingested", outcome.reason
    interview_id = world.ids["interview"] = outcome.interview_id
    world.text["surname as browsed"] = world.text["surname"]  # /browse/surnames names a new one as it was entered

    # a WebVTT transcript, whose voice tags carry quotes and a tag opening (nothing but ">" ends a voice name)
    voice = t("vtt speaker", f"Pak\"'<svg onload=alert({number('vtt voice name')}) x=y")
    # and a cue whose character references spell a script: it says <script>..., shown as text
    cue_alert = number("vtt cue text")
    cue = f"{WORD} cue words &lt;script&gt;alert({cue_alert})&lt;/script&gt;"
    t("vtt cue", f"{WORD} cue words <script>alert({cue_alert})</script>")
    vtt = (
        f"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v {voice}>{cue}\n\n"
        f"00:00:05.000 --> 00:00:08.000\n<v O'Kim>second cue\n"
    ).encode()
    outcome = ingester.ingest(
        vtt, "cues.vtt", {"title": t("vtt title", attack("subtitled interview title", SHORT)), "access": "public"}
    )
    assert outcome.status == "ingested", outcome.reason
    world.ids["vtt interview"] = outcome.interview_id

    # an annotation of the second passage: linked to the three entries, with payload tags and note
    segments = interviews.segments(collection, interview_id)
    start, end = annotations.segment_span(segments, 2)
    tags = [
        t("tag 1", attack("annotation tag 1", ("script", "ssti"))),
        t("tag 2", attack("annotation tag 2", ("img",), word=False)),
        t("tag 3", attack("annotation tag 3", ("svg", "js"), word=False)),
    ]
    made = annotations.create(
        collection,
        interview_id,
        start,
        end,
        annotations.bodies(
            collection,
            {"events": [event["id"]], "places": [place["id"]], "people": [person["id"]]},
            tags,
            t("annotation note", attack("annotation note")),
        ),
        "setup",
    )
    world.ids["annotation"] = annotations.short_id(made)
    start, end = annotations.segment_span(segments, 3)  # a second one, so the page offers filters by entry
    annotations.create(
        collection,
        interview_id,
        start,
        end,
        annotations.bodies(
            collection,
            {"people": [person["id"]]},
            [t("tag 4", attack("annotation tag 4", ("textarea",), word=False))],
            "",
        ),
        "setup",
    )
    search.update([interview_id])

    # a photograph described with payloads everywhere, linked to the interview and the entries
    items = media.MediaIngester(collection, limits, "setup", app.extensions["indexer"])
    outcome = items.ingest(
        jpeg("sienna", (320, 240)),
        "photo.jpg",
        {
            "title": t("item title", attack("item title")),
            "caption": t("caption", attack("item caption")),
            "description": t("item description", attack("item description")),
            "creator": t("creator", attack("item creator", SHORT)),
            "institution": t("institution", attack("item institution", SHORT)),
            "accession": t("item accession", attack("item accession", ("script", "img"))),
            "rights": t("item rights", attack("item rights")),
            "people": [t("person shown", attack("person shown (free name)", SHORT)), person["label"]["en"]],
            "surnames": t("item surname", attack("item surname", SHORT)),
            "places": [{"name": t("item place typed", attack("item place as typed", SHORT)), "place": place["id"]}],
            "events": [event["id"]],
            "interviews": [interview_id],
            "date": "1938",
            "access": "public",
            "extra": {"note": t("item extra", attack("item extra value"))},
        },
    )
    assert outcome.status == "ingested", outcome.reason
    world.ids["item"] = outcome.interview_id

    # family contributions: one asked a question (and answered), one declined, one approved for everyone
    def contribute(key: str, colour: str, with_places: bool = True) -> contributions.Receipt:
        details = {
            "name": t(f"{key} contributor", attack(f"{key}: contributor name", SHORT)),
            "relation": t(f"{key} relation", attack(f"{key}: relation", SHORT)),
            "contact": t(f"{key} contact", attack(f"{key}: contact", SHORT)),
            "narrator": t(f"{key} narrator", attack(f"{key}: narrator", SHORT)),
            "narrator_other_forms": t(f"{key} narrator form", attack(f"{key}: narrator other form", ("img",))),
            "story_text": t(f"{key} story", attack(f"{key}: story text")),
            "visibility": "public",
            "living_named": True,
            "terms_version": "1",
        }
        if with_places:  # typed freely: kept as typed, not in the gazetteer
            details.update(
                {
                    "birthplace": t(f"{key} birthplace", attack(f"{key}: birthplace typed", SHORT)),
                    "deported_to": t(f"{key} deported", attack(f"{key}: deported to typed", SHORT)),
                }
            )
        receipt = contributions.submit(
            collection,
            details,
            None,
            [
                Upload(
                    jpeg(colour, (320, 240)), "family.jpg", t(f"{key} photo caption", attack(f"{key}: photo caption"))
                )
            ],
            limits,
            "en",
        )
        world.receipts[key] = receipt
        return receipt

    asked = contribute("asked", "teal")
    submission = contributions.describe(
        collection,
        contributions.load(collection, asked.submission_id),
        {
            "title": t("described title", attack("historian's title for a submission")),
            "description": t("described description", attack("historian's description of a submission")),
            "surnames": t("described surnames", attack("historian's surnames for a submission", SHORT)),
        },
        "historian",
    )
    submission = contributions.ask(collection, submission, t("question", attack("moderation question")), "historian")
    contributions.add_from_contributor(collection, submission, t("reply", attack("family reply")), [], limits)
    declined = contribute("declined", "olive")
    contributions.decline(
        collection,
        contributions.load(collection, declined.submission_id),
        t("decline reason", attack("decline reason")),
        "historian",
    )
    approved = contribute("approved", "navy", with_places=False)
    done = app.extensions["services"].contributions.approve(
        contributions.load(collection, approved.submission_id), "historian"
    )
    assert done.status == "approved", done.record["log"][-1]
    world.ids["family interview"] = done.record["result"]["interview"]
    world.ids["family item"] = done.record["result"]["media"][0]

    # what only ever travels in a URL: a search, a filter, OAI-PMH arguments, a path that leads nowhere
    t("search query", attack("search query"))
    t("oai argument", FORMS["xhtml"].format(n=number("OAI-PMH argument name")))
    t("oai verb", FORMS["xhtml"].format(n=number("OAI-PMH verb")))
    t("oai value", attack("OAI-PMH argument value", ("xhtml", "img", "ssti")))  # no "'": repr() keeps it as is
    t("404 path", attack("path of a missing page", ("script", "img", "svg")))

    with app.app_context():
        accounts.add_user("historian", "historian", PASSWORD)
    return world


# --- the pages ---------------------------------------------------------------------------------------------------

ANONYMOUS, HISTORIAN, FAMILY = "anonymous", "historian", "family"
READERS = (ANONYMOUS, HISTORIAN)
q = urllib.parse.quote


@dataclass(frozen=True)
class Page:
    """A page to open, who opens it, and which fields it must show: as text (`text`) or as the value of a form
    control (`values`). `kind`: "html", "xml" (parsed as XML too), "json" or "download" (an attachment)."""

    name: str
    path: str  # formatted with World.ids and the receipts' submission ids
    viewers: tuple = READERS
    text: tuple = ()
    values: tuple = ()
    kind: str = "html"
    status: int = 200
    says: str = ""  # a sentence the page must show (error pages)


INTERVIEW_TEXT = (
    "title",
    "narrator",
    "narrator other form",
    "interviewer",
    "description",
    "keyword",
    "surname",
    "collection",
    "accession",
    "rights",
    "village typed",
    "passage 1",
    "passage 2",
    "passage 3",
    "speaker 1",
    "speaker 2",
    "tag 1",
    "tag 2",
    "tag 3",
    "tag 4",
    "annotation note",
    "event en",
    "place en",
    "person en",
    "item title",
)
ITEM_TEXT = (
    "item title",
    "caption",
    "item description",
    "creator",
    "institution",
    "item accession",
    "item rights",
    "person shown",
    "person en",
    "item surname",
    "item place typed",
    "event en",
    "title",
)
FOUND_TEXT = (
    "title",
    "narrator",
    "interviewer",
    "collection",
    "village typed",
    "passage 1",
    "passage 2",
    "passage 3",
    "speaker 1",
    "speaker 2",
    "event en",
    "place en",
    "person en",
    "item title",
    "caption",
    "institution",
    "item place typed",
    "vtt title",
    "vtt speaker",
    "vtt cue",
    "approved narrator",
    "approved story",
    "approved photo caption",
)
ENTRY_FORM = ("{kind} en", "{kind} ru", "{kind} description", "{kind} description ru")
OAI_INTERVIEW = ("title", "narrator", "interviewer", "description", "keyword", "surname", "village typed", "rights")
OAI_ITEM = (
    "item title",
    "creator",
    "person shown",
    "institution",
    "item description",
    "item surname",
    "item place typed",
    "item rights",
)

PAGES = [
    Page("home", "/"),
    Page(
        "interview-list", "/interviews/", text=("title", "narrator", "village typed", "vtt title", "approved narrator")
    ),
    Page("interview", "/interviews/{interview}", text=INTERVIEW_TEXT),
    Page(
        "interview-filtered",
        "/interviews/{interview}?people={person}&author={search query}",
        text=("title", "passage 2"),
    ),
    Page("interview-vtt", "/interviews/{vtt interview}", text=("vtt title", "vtt speaker", "vtt cue")),
    Page(
        "interview-from-family",
        "/interviews/{family interview}",
        text=("approved narrator", "approved narrator form", "approved story"),
    ),
    Page(
        "transcript-txt",
        "/interviews/{interview}/transcript.txt",
        kind="download",
        text=("passage 1", "passage 2", "passage 3", "speaker 1", "speaker 2"),
    ),
    Page(
        "annotations-export",
        "/interviews/{interview}/annotations",
        kind="json",
        text=("tag 1", "tag 2", "tag 3", "tag 4", "annotation note", "passage 2", "passage 3"),
    ),
    Page(
        "annotations-download",
        "/interviews/{interview}/annotations?download=1",
        kind="download",
        text=("tag 1", "tag 2", "tag 3", "tag 4", "annotation note"),
    ),
    Page("search-finding-all", f"/search?q={WORD}", text=FOUND_TEXT),
    Page("search-for-payload", "/search?q={search query}", text=("search query",), values=("search query",)),
    Page("search-for-title", "/search?q={title}", text=("title", "passage 1", "narrator")),
    Page("search-by-event", "/search?event={event}", text=("event en", "passage 2", "title", "item title")),
    Page("search-filter-chip", f"/search?q={WORD}&village={{search query}}", text=("search query",)),
    Page("browse-villages", "/browse/villages", text=("place en",)),
    Page("browse-surnames", "/browse/surnames", text=("surname as browsed",)),
    Page("events", "/events/", text=("event en", "event ru", "event description")),
    Page(
        "event",
        "/events/{event}",
        text=(
            "event en",
            "event ru",
            "event description",
            "event description ru",
            "event note",
            "event source",
            "place en",
            "passage 2",
            "annotation note",
            "title",
            "item title",
        ),
    ),
    Page("places", "/places/", text=("place en",)),
    Page(
        "place",
        "/places/{place}",
        text=(
            "place en",
            "place ru",
            "place form",
            "place note",
            "place description ru",
            "place source",
            "passage 2",
            "annotation note",
            "title",
            "item title",
        ),
    ),
    Page("people", "/people/", text=("person en", "person ru", "person form", "narrator", "narrator other form")),
    Page("map", "/map?place={place}", text=("place en",)),
    Page(
        "person",
        "/people/{person}",
        text=(
            "person en",
            "person ru",
            "person form",
            "person description",
            "person description ru",
            "event en",
            "passage 2",
            "annotation note",
            "title",
            "item title",
        ),
    ),
    Page("gallery", "/media/", text=("item title", "institution", "place en")),
    Page("gallery-filter-chip", "/media/?institution={search query}", text=("search query",)),
    Page("item", "/media/{item}", text=ITEM_TEXT),
    Page("item-full-view", "/media/{item}/view/1", text=("item title",)),
    Page("item-from-family", "/media/{family item}", text=("approved narrator", "approved photo caption")),
    Page(
        "feed",
        "/feed.atom",
        kind="xml",
        text=("title", "description", "item title", "item description", "vtt title", "approved photo caption"),
    ),
    Page("oai-list-records", "/oai?verb=ListRecords&metadataPrefix=oai_dc", kind="xml", text=OAI_INTERVIEW + OAI_ITEM),
    Page(
        "oai-get-record",
        "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:127.0.0.1:interviews/{interview}",
        kind="xml",
        text=OAI_INTERVIEW,
    ),
    *[
        Page(
            f"oai-{verb}-argument-named-payload",
            f"/oai?verb={verb}&{{oai argument}}=1",
            kind="xml",
            text=("oai argument",),
        )
        for verb in ("Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords", "GetRecord")
    ],
    Page("oai-verb-payload", "/oai?verb={oai verb}", kind="xml", text=("oai verb",)),
    Page("oai-prefix-payload", "/oai?verb=ListRecords&metadataPrefix={oai value}", kind="xml"),
    Page(
        "oai-identifier-payload",
        "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={oai value}",
        kind="xml",
        text=("oai value",),
    ),
    Page(
        "oai-from-payload",
        "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&from={oai value}",
        kind="xml",
        text=("oai value",),
    ),
    Page("oai-token-payload", "/oai?verb=ListRecords&resumptionToken={oai value}", kind="xml"),
    Page("api-item", "/api/v1/media/{item}", kind="json", text=("item title", "caption", "creator")),
    Page("api-search", f"/api/v1/search?q={WORD}", kind="json", text=("title", "item title")),
    Page("404-path", "/{404 path}", status=404, says="Not found"),
    Page("404-interview", "/interviews/{404 path}", status=404, says="Not found"),
    Page("404-item", "/media/{404 path}", status=404, says="Not found"),
    Page("404-event", "/events/{404 path}", status=404, says="Not found"),
    Page("404-browse", "/browse/{404 path}", status=404, says="Not found"),
    Page("404-receipt", "/contribute/receipt/{404 path}", status=404, says="Not found"),
    # staff only
    Page(
        "inbox",
        "/moderate/",
        viewers=(HISTORIAN,),
        text=(
            "asked contributor",
            "asked relation",
            "asked narrator",
            "declined contributor",
            "declined narrator",
            "approved contributor",
            "approved narrator",
        ),
    ),
    Page(
        "submission-asked",
        "/moderate/{asked}",
        viewers=(HISTORIAN,),
        text=(
            "asked contributor",
            "asked relation",
            "asked contact",
            "asked narrator",
            "asked narrator form",
            "asked birthplace",
            "asked deported",
            "asked story",
            "asked photo caption",
            "question",
            "reply",
        ),
        values=("described title", "described description", "described surnames", "asked birthplace", "asked deported"),
    ),
    Page(
        "submission-declined",
        "/moderate/{declined}",
        viewers=(HISTORIAN,),
        text=(
            "declined contributor",
            "declined relation",
            "declined contact",
            "declined narrator",
            "declined narrator form",
            "declined birthplace",
            "declined deported",
            "declined story",
            "declined photo caption",
            "decline reason",
        ),
    ),
    Page(
        "submission-approved",
        "/moderate/{approved}",
        viewers=(HISTORIAN,),
        text=(
            "approved contributor",
            "approved relation",
            "approved contact",
            "approved narrator",
            "approved story",
            "approved photo caption",
        ),
    ),
    Page("surname-spellings", "/vocab/surnames", viewers=(HISTORIAN,), text=("surname spelling",)),
    Page(
        "item-edit",
        "/media/{item}/edit",
        viewers=(HISTORIAN,),
        text=("item title", "event en"),
        values=(
            "item title",
            "caption",
            "item description",
            "creator",
            "institution",
            "item accession",
            "item rights",
            "person shown",
            "item surname",
            "item place typed",
        ),
    ),
    Page("item-new", "/media/new", viewers=(HISTORIAN,), text=("event en",)),
    Page(
        "event-edit",
        "/events/{event}/edit",
        viewers=(HISTORIAN,),
        text=("event en", "place en"),
        values=(*(f.format(kind="event") for f in ENTRY_FORM), "event note"),
    ),
    Page("event-new", "/events/new", viewers=(HISTORIAN,), text=("event en", "place en")),
    Page(
        "place-edit",
        "/places/{place}/edit",
        viewers=(HISTORIAN,),
        text=("place en",),
        values=("place en", "place ru", "place form", "place note", "place description ru"),
    ),
    Page(
        "person-edit",
        "/people/{person}/edit",
        viewers=(HISTORIAN,),
        text=("event en",),
        values=(*(f.format(kind="person") for f in ENTRY_FORM), "person form"),
    ),
    Page(
        "annotation-edit",
        "/interviews/{interview}/annotations/{annotation}/edit",
        viewers=(HISTORIAN,),
        text=("title", "passage 2", "event en", "place en", "person en"),
        values=("annotation note", "tag 1", "tag 2", "tag 3"),
    ),
    Page(
        "annotation-new",
        "/interviews/{interview}/annotations/new?segment=2",
        viewers=(HISTORIAN,),
        text=("title", "passage 2", "event en", "place en", "person en"),
    ),
    Page(
        "passage-correct",
        "/interviews/{interview}/passages/1",
        viewers=(HISTORIAN,),
        text=("title",),
        values=("passage 1",),
    ),
    # the family, through the receipt link
    Page(
        "receipt-asked",
        "/contribute/receipt/{asked}",
        viewers=(FAMILY,),
        text=("asked narrator", "asked story", "asked photo caption", "question", "reply"),
    ),
    Page(
        "receipt-declined",
        "/contribute/receipt/{declined}",
        viewers=(FAMILY,),
        text=("declined narrator", "declined story", "declined photo caption", "decline reason"),
    ),
    Page(
        "receipt-approved",
        "/contribute/receipt/{approved}",
        viewers=(FAMILY,),
        text=("approved narrator", "approved story", "approved photo caption"),
    ),
]


def resolve(path: str, world: World) -> str:
    """A page's path with ids, and typed text (URL-encoded) where it names a field."""
    values = {
        **{k: q(v, safe="") for k, v in world.text.items()},
        **world.ids,
        **{k: r.submission_id for k, r in world.receipts.items()},
    }
    return path.format_map(values)


# --- what must never happen on a page ----------------------------------------------------------------------------

# What a payload would leave in the DOM had it been parsed as markup. The app itself has none of it: its CSP allows
# no inline script (but JSON-LD data blocks, which are not run), event handler or javascript: URL, and it embeds no
# other document.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName;
    // a JSON-LD data block (schema.org, issue 17) is data, never run: the one inline script type allowed
    if (tag === 'script' && !el.src && el.type !== 'application/ld+json')
      found.push('inline <script>: ' + el.textContent.slice(0, 80));
    if (tag === 'img' && el.getAttribute('src') === 'x') found.push('<img src=x>: ' + el.outerHTML.slice(0, 80));
    if (['iframe', 'frame', 'object', 'embed', 'base'].includes(tag)) found.push('<' + tag + '> element');
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) found.push('handler ' + tag + '[' + a.name + '="' + a.value.slice(0, 60) + '"]');
      if (/^\\s*javascript:/i.test(a.value) && ['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a.name))
        found.push('javascript: URL in ' + tag + '[' + a.name + ']');
    }
  }
  return found;
}"""
CONTROL_VALUES = "() => Array.from(document.querySelectorAll('input, textarea, select'), e => String(e.value ?? ''))"
PAGE_TEXT = "() => document.body ? document.body.innerText : document.documentElement.textContent"


class Tab:
    """A tab of one viewer that records every dialog, console message and script error on the page it shows."""

    def __init__(self, context, enforced: bool):
        self.context, self.enforced = context, enforced
        self.page = context.new_page()
        self.page.set_default_timeout(10_000)
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _dialog(self, dialog) -> None:
        source = FIELDS.get(int(dialog.message)) if dialog.message.isdigit() else None
        self.dialogs.append(
            f"{dialog.type}({dialog.message!r})" + (f" from the payload in: {source}" if source else "")
        )
        dialog.dismiss()

    def clear(self) -> None:
        self.dialogs.clear(), self.console.clear(), self.errors.clear()


def contains(haystack: str, needle: str) -> bool:
    return shown(needle) in shown(haystack)


def strings(value) -> list[str]:
    """Every string in a JSON document, keys too."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def xml_problems(body: bytes) -> tuple[str, list[str]]:
    """The text of an XML answer (texts and attribute values), and any element that is not the format's own."""
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(body)
    except ParseError as error:
        return "", [f"the answer is not well-formed XML ({error})"]
    problems, texts = [], []
    for element in root.iter():
        namespace, _, local = element.tag.rpartition("}")
        if namespace.lstrip("{") == XHTML or local.lower() in ("script", "img", "svg"):
            problems.append(f"markup from a payload became an element: {element.tag}")
        texts += [element.text or "", *element.attrib.values()]
    return " ".join(texts), problems


def visit(tab: Tab, world: World, spec: Page) -> list[str]:
    """Open one page in a tab; return everything wrong with it."""
    url = world.base + resolve(spec.path, world)
    tab.clear()
    problems: list[str] = []
    if spec.kind == "download":
        from playwright.sync_api import Error as PlaywrightError

        with tab.page.expect_download() as started:
            try:
                tab.page.goto(url)
            except PlaywrightError as error:  # an attachment is saved, never shown: goto says so
                if "Download is starting" not in str(error):
                    raise
        with open(started.value.path(), encoding="utf-8") as saved:
            body = saved.read()
        answer = tab.context.request.get(url)
        if answer.headers.get("x-content-type-options") != "nosniff":
            problems.append("an export is sent without X-Content-Type-Options: nosniff")
        if "html" in answer.headers.get("content-type", ""):
            problems.append(f"an export is sent as {answer.headers['content-type']}")
        text = body if spec.path.endswith(".txt") else " ".join(strings(json.loads(body)))
    else:
        response = tab.page.goto(url)
        if response.status != spec.status:
            problems.append(
                f"answered {response.status}, not {spec.status}"
                + (" (a server error)" if response.status >= 500 else "")
            )
        problems += [f"injected into the DOM: {found}" for found in tab.page.evaluate(INJECTED)]
        if spec.kind == "html":
            if "text/html" not in response.headers.get("content-type", ""):
                problems.append(f"sent as {response.headers.get('content-type')}")
            if not response.headers.get("content-security-policy"):
                problems.append("no Content-Security-Policy header")
            text = tab.page.evaluate(PAGE_TEXT)
            controls = tab.page.evaluate(CONTROL_VALUES)
            problems += [
                f"the {name!r} field is not the value of any form control"
                for name in spec.values
                if not any(contains(v, world.text[name]) for v in controls)
            ]
            if tab.enforced:  # only our own pages: Chromium's XML viewer styles itself inline, and CSP refuses that
                problems += [
                    f"console: {m}" for m in tab.console if "Content Security Policy" in m or "Refused to" in m
                ]
        elif spec.kind == "xml":
            text, wrong = xml_problems(response.body())
            problems += wrong
        else:
            text = " ".join(strings(response.json()))
    problems += [
        f"the {name!r} field is not shown as text" for name in spec.text if not contains(text, world.text[name])
    ]
    if spec.says and spec.says not in text:
        problems.append(f"the page does not say {spec.says!r}")
    problems += [f"a dialog opened: {d}" for d in tab.dialogs]
    problems += [f"script error: {e}" for e in tab.errors]
    return problems


# --- the tests ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = build(tmp_path_factory.mktemp("xss"))
    with running_server(world.app.config["ARCHIVE_DATA"]) as base:
        world.base = base
        yield world


@pytest.fixture(scope="module")
def tabs(world, browser):
    """For each viewer, a tab that bypasses the Content-Security-Policy (escaping alone must hold) and one that
    enforces it (no refusal may be logged); made when first needed."""
    made: dict[tuple[str, bool], Tab] = {}

    def tab(viewer: str, enforced: bool) -> Tab:
        if (viewer, enforced) not in made:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=not enforced)
            opened = Tab(context, enforced)
            if viewer == HISTORIAN:  # signed in through the real form
                opened.page.goto(world.base + "/auth/signin")
                opened.page.get_by_label("Account name").fill("historian")
                opened.page.get_by_label("Password").fill(PASSWORD)
                opened.page.get_by_role("button", name="Sign in").click()
                opened.page.wait_for_url(world.base + "/")
            elif viewer == FAMILY:  # each receipt opened by its private link
                for receipt in world.receipts.values():
                    opened.page.goto(f"{world.base}/contribute/receipt/{receipt.submission_id}/{receipt.token}")
                    opened.page.wait_for_url(f"{world.base}/contribute/receipt/{receipt.submission_id}")
            made[viewer, enforced] = opened
        return made[viewer, enforced]

    yield tab
    for opened in made.values():
        opened.context.close()


CASES = [pytest.param(viewer, page, id=f"{viewer}-{page.name}") for page in PAGES for viewer in page.viewers]


@pytest.mark.parametrize(("viewer", "spec"), CASES)
def test_payloads_stay_text(world, tabs, viewer, spec):
    problems = [f"CSP bypassed: {p}" for p in visit(tabs(viewer, False), world, spec)]
    problems += [f"CSP enforced: {p}" for p in visit(tabs(viewer, True), world, spec)]
    assert not problems, f"{viewer} at {resolve(spec.path, world)}:\n" + "\n".join(dict.fromkeys(problems))


@pytest.mark.parametrize("target", ["javascript:alert(8)", "java\tscript:alert(8)", '"><script>alert(8)</script>'])
def test_signing_in_never_follows_a_script_url(world, browser, target):
    context = browser.new_context(bypass_csp=True)
    try:
        tab = Tab(context, enforced=False)
        tab.page.goto(f"{world.base}/auth/signin?next={q(target, safe='')}")
        assert tab.page.evaluate(INJECTED) == []
        assert tab.page.locator("form.form").get_attribute("action") == ""
        tab.page.get_by_label("Account name").fill("historian")
        tab.page.get_by_label("Password").fill(PASSWORD)
        tab.page.get_by_role("button", name="Sign in").click()
        tab.page.wait_for_url(world.base + "/")
        assert "Signed in as historian." in tab.page.locator(".flashes").inner_text()
        assert tab.dialogs == [] and tab.errors == []
    finally:
        context.close()


def stored(world: World) -> dict:
    """What the edit forms below may change: the entries, the annotations, the transcript and the item, as stored."""
    collection = world.app.extensions["collection"]
    entries = {
        kind: next(e for e in vocab.load(collection, kind).data[kind] if e["id"] == world.ids[one])
        for kind, one in (("events", "event"), ("places", "place"), ("people", "person"))
    }
    found = annotations.items(collection, world.ids["interview"])
    item = {k: v for k, v in media.load(collection, world.ids["item"]).record.items() if k != "places"}
    return {
        "entries": entries,
        "bodies": [a["body"] for a in found],
        "targets": [a["target"] for a in found],
        "segments": interviews.segments(collection, world.ids["interview"]),
        "item": item,
    }


def test_saving_each_form_unchanged_keeps_every_payload_as_typed(world, tabs):
    """A historian saves each edit form as it came: what is stored does not change by one character (no escaping
    stored, nothing lost), and the page answering the save shows the payloads as text, in its messages too."""
    tab = tabs(HISTORIAN, False)
    before = stored(world)
    saves = [  # the form, its button, and what the answer must show
        ("/events/{event}/edit", "Save", f"Saved “{world.text['event en']}”."),
        ("/places/{place}/edit", "Save", f"Saved “{world.text['place en']}”."),
        ("/people/{person}/edit", "Save", f"Saved “{world.text['person en']}”."),
        ("/interviews/{interview}/annotations/{annotation}/edit", "Save annotation", "Annotation changed."),
        ("/interviews/{interview}/passages/1", "Save correction", "Passage corrected."),
        # the item's place has a name of its own beside its gazetteer link; the form sends the name alone, which
        # the gazetteer does not know, so today the save is refused with the name quoted in the message (were it
        # saved, the item's page would show the name): either way the name is shown, as text
        ("/media/{item}/edit", "Save description", world.text["item place typed"]),
    ]
    problems = []
    for path, button, says in saves:
        tab.clear()
        tab.page.goto(world.base + resolve(path, world))
        with tab.page.expect_navigation():
            tab.page.get_by_role("button", name=button, exact=True).click()
        found = [f"injected into the DOM: {f}" for f in tab.page.evaluate(INJECTED)]
        found += [f"a dialog opened: {d}" for d in tab.dialogs] + [f"script error: {e}" for e in tab.errors]
        if not contains(tab.page.locator("main").inner_text(), says):
            found.append(f"the answer does not show {says!r}")
        problems += [f"saving {resolve(path, world)}: {f}" for f in found]
    assert not problems, "\n".join(problems)
    assert stored(world) == before
