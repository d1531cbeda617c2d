"""Fuzzing through Flask's test client with Hypothesis: no request may get a server error (a status of 500 or more).

What is fuzzed:

* search: generated queries (unicode of many scripts, control characters, right-to-left marks, the query syntax of
  search.Parsed with deeply nested parentheses, very long strings, facet filters, pages and sorts) against the
  sample collection, through `GET /search` and `GET /api/v1/search`, as an anonymous reader and as a historian;
* every public form (share a testimony, the receipt code, a receipt's answer and withdrawal, signing in), every
  historian form (interview upload, passage correction, annotation forms, media forms, events, places, people,
  surname spellings, each action of the moderation page), and the annotation JSON API (POST and PUT, as a script
  with a Bearer token or as a browser with its session), with bodies that mix valid-looking values (so that the
  deeper code runs) with missing fields, unknown fields, repeated keys, wrong types, huge values, control
  characters, unicode, uploads in text fields, multipart parts with odd names, JSON bodies sent to forms, random
  bytes and, for the API, arbitrary JSON nested up to ~80 levels.

Most form posts carry a valid CSRF token (taken once from a page of the same session), so that they get past the
CSRF check. The app is built once per module and kept: what one example stores (an interview, an annotation, a
spelling) is there for the next, as on a real server.

The counts below are quoted by SECURITY.md. The slow run (`pytest -m slow tests/test_fuzz.py`) uses the big ones;
the default suite runs the same targets with the small ones. Set ARCHIVE_FUZZ_REPORT to a file name to have the
table of examples, requests and server errors per target written there as JSON when the module ends (nothing is
printed).

Server errors found so far are kept as focused tests, marked xfail (strict), at the end of this module; the fuzz
tests count an error of a known kind (matched in KNOWN_ERRORS by its traceback) without failing, and fail on any
other.

Two things are set for speed, neither changes what is checked: password hashing uses argon2 with tiny costs (the
real costs make one sign-in take 0.2 s), and the limit of testimonies per hour from one address is lifted (it
would otherwise stop the form after 5).
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import struct
import threading
import time
import urllib.parse
import uuid
import warnings
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask.logging import default_handler
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image
from werkzeug.datastructures import MultiDict

from archive import accounts, annotations, contributions, create_app, interviews, media, vocab
from conftest import PASSWORD, REPOSITORY, Auth, csrf_token

# --- how much (SECURITY.md quotes these) -----------------------------------------------------------------------------

SEARCH_EXAMPLES = 10_000  # slow run: generated search queries, spread over GET /search and GET /api/v1/search
FORM_EXAMPLES = 1_000  # slow run: generated bodies for EACH form and JSON endpoint (targets listed in TARGETS)
FAST_SEARCH_EXAMPLES = 100  # default suite: the same search fuzzing, smaller
FAST_FORM_EXAMPLES = 20  # default suite: the same bodies per form and JSON endpoint, fewer

# What the runs did, per size ("slow", "fast") and target: examples, requests, server_errors (>= 500), known
# (server errors of a kind in KNOWN_ERRORS), logged (errors the app logged without failing the request), warnings.
RESULTS: dict[str, dict[str, Counter]] = {"slow": {}, "fast": {}}
# Each server error seen: size, target, status, the request, and the traceback the app logged.
SERVER_ERRORS: list[dict] = []

# Server errors already kept as xfail tests below: name -> a pattern of the logged traceback. Counted, not failed.
KNOWN_ERRORS: dict[str, re.Pattern] = {}

API_INTERVIEW = "1s12p03r"  # the API writes annotations here
FORM_INTERVIEW = "667hyfv6"  # the annotation forms write here (it has annotations to edit)
PASSAGE_INTERVIEW = "svqc7aeb"  # passages corrected here (its annotations move or are flagged)
MEDIA_ITEM = "2kfh28sh"  # the media edit form changes this item

HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
          HealthCheck.large_base_example, HealthCheck.filter_too_much]


# --- the app under test ----------------------------------------------------------------------------------------------

class Recorder(logging.Handler):
    """Keep what the app logs at ERROR (Flask logs each unhandled exception there, with its traceback)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[tuple[str, str]] = []
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record):
        self.records.append((record.getMessage(), self.formatter.formatException(record.exc_info)
                             if record.exc_info else ""))


@dataclass
class Upload:
    """A file part: its bytes, the file name sent and its content type."""

    content: bytes
    filename: str
    content_type: str | None = None

    def __repr__(self):
        return f"Upload({len(self.content)} bytes, {self.filename[:40]!r}, {self.content_type!r})"


class Version:
    """Stands for the current version of what a form changes; read from the collection when the request is sent."""

    def __repr__(self):
        return "<current version>"


CURRENT = Version()


@dataclass
class Context:
    """What a request needs that only the running app knows: the CSRF token and its field, the current version."""

    token: str
    csrf_field: str = "csrf_token"
    version: object = None  # a callable giving the current version


class Env:
    """One app on its own data root, with the sample collection indexed, and the clients that fuzz it."""

    def __init__(self, root: Path, recorder: Recorder):
        self.app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False,
                               "ARCHIVE_CONTRIBUTIONS_PER_HOUR": 10 ** 9})
        self.app.config["PROPAGATE_EXCEPTIONS"] = False  # an exception becomes a 500 to count, and is logged
        for kind in ("interviews", "media"):
            shutil.copytree(REPOSITORY / kind, root / kind, dirs_exist_ok=True)
        self.app.extensions["search"].check(repair=True)
        self.collection = self.app.extensions["collection"]
        self.recorder = recorder
        self.size = "fast"

    def client(self, role: str | None = None):
        client = self.app.test_client()
        if role:
            Auth(self.app, client).login(role)
        return client

    def stats(self, target: str) -> Counter:
        return RESULTS[self.size].setdefault(target, Counter())

    def send(self, target: str, client, method: str, path: str, query: str = "", data=None,
             content_type: str | None = None, headers: dict | None = None, remote_addr: str = "127.0.0.1"):
        """Send one request; count it, and keep any server error with the traceback the app logged."""
        stats = self.stats(target)
        before = len(self.recorder.records)
        with warnings.catch_warnings(record=True) as caught:  # counted and reported, never let out
            warnings.simplefilter("always")
            response = client.open(path, method=method, query_string=query, data=data, content_type=content_type,
                                   headers=headers or {}, environ_base={"REMOTE_ADDR": remote_addr})
            response.get_data()
            response.close()
        stats["requests"] += 1
        stats["warnings"] += len(caught)
        logged = self.recorder.records[before:]
        if response.status_code >= 500:
            trace = "\n".join(t for _, t in logged if t) or "\n".join(m for m, _ in logged)
            known = next((name for name, pattern in KNOWN_ERRORS.items() if pattern.search(trace)), None)
            stats["server_errors"] += 1
            stats["known"] += known is not None
            SERVER_ERRORS.append({"size": self.size, "target": target, "status": response.status_code,
                                  "known": known, "request": describe(method, path, query, data, content_type,
                                                                      headers),
                                  "traceback": trace, "warnings": [str(w.message) for w in caught]})
        else:
            stats["logged"] += len(logged)
        if 300 <= response.status_code < 400 and client.get_cookie("session") is not None:
            with client.session_transaction() as session:  # flashes of redirects nobody followed: keep the cookie small
                session.pop("_flashes", None)
        return response

    def version(self, fn):
        """A callable reading a current version inside the app."""
        def read():
            with self.app.app_context():
                return fn()
        return read

    def wait_for_background(self):
        """Let the index checks some forms start in the background finish before the next target."""
        for thread in threading.enumerate():
            if thread.name == "index-check":
                thread.join(60)


def describe(method, path, query, data, content_type, headers) -> str:
    """A request in a few lines, long values shortened, for a failure message and the report."""
    def short(value):
        text = repr(value)
        return text if len(text) <= 300 else f"{text[:200]}…({len(text)} chars)…{text[-60:]}"
    shown = data
    if isinstance(data, MultiDict):
        shown = [(k, v if not isinstance(v, tuple) else f"<file {v[1]!r}>") for k, v in data.items(multi=True)]
    return (f"{method} {path}{'?' + query if query else ''}\n  content-type: {content_type}\n  headers: "
            f"{short({k: v for k, v in (headers or {}).items()})}\n  body: {short(shown)}")


@pytest.fixture(scope="module")
def recorder():
    """Catch the app's error log (the app's logger is shared by every app of the process; put back afterwards)."""
    logger = logging.getLogger("archive")
    found = Recorder()
    had_default = default_handler in logger.handlers
    propagate = logger.propagate
    logger.removeHandler(default_handler)  # print nothing
    logger.addHandler(found)
    logger.propagate = False
    yield found
    logger.removeHandler(found)
    logger.propagate = propagate
    if had_default:
        logger.addHandler(default_handler)
    report = os.environ.get("ARCHIVE_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps({"results": RESULTS, "server_errors": SERVER_ERRORS}, indent=1,
                                           ensure_ascii=False, default=str))


@pytest.fixture(scope="module")
def cheap_hashing():
    """Argon2 with tiny costs while this module runs: a sign-in then takes a millisecond, not 0.2 s."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
        patch.setattr(accounts, "_dummy", [])
        yield


@pytest.fixture(scope="module")
def search_env(tmp_path_factory, recorder, cheap_hashing):
    env = Env(tmp_path_factory.mktemp("fuzz-search"), recorder)
    env.anonymous = env.client()
    env.historian = env.client("historian")
    yield env
    env.wait_for_background()


# --- values --------------------------------------------------------------------------------------------------------

# Characters of the scripts the archive holds and of what breaks things: Latin with accents, Cyrillic, Hangul
# (syllables and jamo), Hebrew and Arabic, right-to-left and invisible marks, combining marks, C0 and C1 controls,
# wide and astral characters. No surrogates: they cannot be sent in UTF-8.
MARKS = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad\u2028\u2029"
CHARACTERS = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0xC0, max_codepoint=0x17F),
    st.characters(min_codepoint=0x400, max_codepoint=0x4FF),
    st.characters(min_codepoint=0x400, max_codepoint=0x4FF),
    st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
    st.characters(min_codepoint=0x1100, max_codepoint=0x11FF),
    st.characters(min_codepoint=0x590, max_codepoint=0x6FF),
    st.characters(min_codepoint=0x300, max_codepoint=0x36F),
    st.characters(min_codepoint=0, max_codepoint=0x1F),
    st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
    st.sampled_from(MARKS),
    st.characters(codec="utf-8"),
)
SPECIAL = ["", " ", "\x00", "\r\n", "\t", "0", "-1", "1e309", "NaN", "None", "null", "true", "[]", "{}", "%00",
           "%s%n", "{{7*7}}", "${7*7}", "<script>alert(1)</script>", "' OR '1'='1", "../../../etc/passwd",
           "\\\\server\\share", "ａｂｃ１２３", "İı", "ß", "ﬁ", "\u202eevil", "Ǆ", "𝔘𝔫𝔦", "😀" * 3, "a\u0301" * 5,
           "\ud7a3" * 10, "\U0010FFFF", "\ufffe\uffff", "٣", "²", "〇"]


def texts(min_size=0, max_size=30):
    return st.text(CHARACTERS, min_size=min_size, max_size=max_size)


def huge(longest: int = 300_000):
    """A long text made by repeating a piece (without drawing each character): up to `longest` characters."""
    return st.builds(lambda piece, n: (piece * n)[:longest], texts(min_size=1, max_size=8),
                     st.integers(1_000, longest))


def fuzz_text(longest: int = 300_000):
    return st.one_of(texts(), texts(max_size=200), st.sampled_from(SPECIAL), huge(longest))


ODDS = st.integers(0, 99)  # draw(ODDS) < 20: a 20 % chance


def valid_or_fuzz(valid):
    """Mostly a valid-looking value (so that the deeper code runs), else anything."""
    return st.one_of(valid, valid, valid, fuzz_text())


NAMES = st.sampled_from(["Ким Анна", "Kim Anna", "최 마리아", "Tsoi Maria", "Пак Николай", "Khan Viktor",
                         "Ли Сергей Петрович", "O'Neil", "Ten-Lee", "김 철수"])
PLACES = st.sampled_from(["Уштобе", "Ushtobe", "Посьет", "Tashkent", "Ташкент", "Кызылорда", "Karaganda",
                          "Владивосток", "Samarkand", "Алма-Ата", "우슈토베", "Nowhere-on-Sea", ""])
PLACE_LISTS = st.lists(PLACES, max_size=4).map("; ".join)
DATES = st.sampled_from(["2008-05-14", "2008-05", "1937~", "193X", "1937?", "1937-09/1937-10", "186X", "1940~",
                         "2019", "2030-02-30", "0000-00-00", "9999-12-31", "-0001", "Y170000002", "1985-04-12T23:20:30Z",
                         "../..", "2008-13-45", "1937-08-21", "", "2026-11-25", "1e3", "19XX-XX"])
ISO_DATES = st.one_of(st.dates().map(lambda d: d.isoformat()),
                      st.sampled_from(["2030-02-30", "0001-01-01", "9999-12-31", "2026-1-1", "26-11-2026", ""]))
LANGUAGES = st.sampled_from(["ru", "ko", "en", "ru; ko", "zz", "x-klingon", "ru-Latn-RU", "123", "i-default", "ko-KP",
                             "uz-Cyrl", "und", "ru;;ko", "en-GB-oed"])
ACCESS = st.sampled_from(["public", "researchers", "family", "staff", "everyone", ""])
YEARS = st.one_of(st.integers(1800, 2100).map(str),
                  st.sampled_from(["1931", "0", "-1931", "99999999999999999999", "1" * 5000, "19３1", "1931.0",
                                   "1e3", " 1931 ", "１９３１", ""]))
NUMBERS = st.one_of(st.integers(-10, 100_000).map(str), st.integers().map(str),
                    st.sampled_from(["", "1.5", "-0", "1e9", "9" * 30, "9" * 5000, "٣", "²", "0x10", " 3 "]))
BOOLEANS = st.sampled_from(["y", "yes", "on", "1", "true", "", "n", "false", "0", "off"])
EVENT_IDS = ["deportation-trains-1937", "arrival-ushtobe-1937", "labour-army-1941-1945", "census-1959",
             "first-winter-steppe-1937-1938"]
PLACE_IDS = ["ushtobe", "posyet", "karaganda", "tashkent", "kyzylorda", "vladivostok", "kazakhstan"]
PEOPLE_IDS = ["joseph-stalin", "vyacheslav-molotov", "nikolai-yezhov", "vladimir-arsenyev"]
SURNAME_IDS = ["kim", "pak", "li", "tsoi", "ten", "khan", "ogai", "son-song"]


def choices(ids):
    """What a multiple-choice field gets: known ids, unknown ones, or odd text."""
    return st.lists(st.one_of(st.sampled_from(ids), st.sampled_from(ids), fuzz_text()), max_size=4)


# --- files ---------------------------------------------------------------------------------------------------------

def _image(fmt: str, colour, size=(24, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


def _png_bomb() -> bytes:
    """A tiny PNG whose header claims 60,000 x 60,000 pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


def _wav() -> bytes:
    import wave
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x00" * 400)
    return buffer.getvalue()


def _docx(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
        package.writestr("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats'
                         f'.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body>'
                         f'</w:document>')
    return buffer.getvalue()


IMAGES = [_image("JPEG", "red"), _image("PNG", "blue"), _image("JPEG", "green", (200, 3)), _image("TIFF", "white"),
          _image("WEBP", "black"), _image("GIF", "yellow"), _image("BMP", "gray")]
WAV = _wav()
TRANSCRIPTS = {path.name: path.read_bytes() for path in (REPOSITORY / "tests" / "data" / "transcripts").iterdir()}
FILE_NAMES = st.one_of(st.sampled_from(["photo.jpg", "IMG_0001.HEIC", "story.txt", "story.docx", "a.vtt", "x.srt",
                                        "ohms.xml", "rec.wav", "", ".", "..", "../../etc/passwd", "C:\\boot.ini",
                                        "a\x00b.jpg", "имя файла.jpg", "사진.png", 'qu"ote.jpg', "new\nline.jpg",
                                        "x" * 300 + ".jpg", "noext"]), texts(max_size=20))
CONTENT_TYPES = st.sampled_from([None, "image/jpeg", "text/plain", "application/octet-stream", "audio/wav",
                                 "text/html; charset=utf-8", "multipart/form-data", "bogus", ""])


def images():
    return st.one_of(st.sampled_from(IMAGES), st.builds(lambda c: _image("JPEG", c), st.tuples(
        st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))))


def damaged(content):
    """A real file cut short, or with some bytes changed."""
    return st.one_of(
        st.builds(lambda data, n: data[:n], content, st.integers(0, 400)),
        st.builds(lambda data, at, junk: data[:at] + junk + data[at + len(junk):], content, st.integers(0, 300),
                  st.binary(min_size=1, max_size=16)))


def file_bytes():
    return st.one_of(images(), damaged(images()), st.just(_png_bomb()), st.just(WAV), damaged(st.just(WAV)),
                     st.sampled_from(list(TRANSCRIPTS.values())), st.binary(max_size=600), st.just(b""),
                     texts(max_size=200).map(str.encode), st.builds(_docx, texts(max_size=50)),
                     st.just(_docx("<broken")), st.just(b"PK\x03\x04" + b"\x00" * 40))


def uploads(content=None):
    return st.builds(Upload, content if content is not None else file_bytes(), FILE_NAMES, CONTENT_TYPES)


SLOT_INDICES = st.one_of(st.integers(0, 12).map(str), st.sampled_from(
    ["-1", "00", "1x", "٣", "²", "99999999999999999999", "9" * 5000, "", " 1", "0-1"]))


def upload_slots(prefix: str, content, captions):
    """Files of a list of sub-forms (`photos-0-file`, `photos-0-caption` ...), odd indices too: (name, value) pairs."""
    files = uploads(content)
    caption = valid_or_fuzz(captions)

    @st.composite
    def slots(draw):
        pairs = []
        for n in draw(st.lists(SLOT_INDICES, max_size=4)):
            if draw(st.booleans()) or not pairs:
                pairs.append((f"{prefix}-{n}-file", draw(files)))
            if draw(st.booleans()):
                pairs.append((f"{prefix}-{n}-caption", draw(caption)))
        return pairs
    return slots()


# --- form bodies ---------------------------------------------------------------------------------------------------

FIELD_NAMES = st.one_of(st.sampled_from(["", " ", "csrf_token", "submit", "action", "photos", "files", "photos-",
                                         "photos--file", "files-0", "next", "__proto__", "a[b]", "x" * 500, "\x00",
                                         "name\r\nX-Injected: 1", 'na"me', "имя", "%20"]), texts(max_size=12))


@dataclass
class Body:
    """A form post as drawn: its parts, how it is encoded, and where its CSRF token goes."""

    pairs: list  # (name, value): value is text, an Upload, CURRENT or (in JSON) any JSON value
    mode: str  # "form", "multipart", "raw-multipart", "json", "bytes"
    csrf: str  # "field", "header", "missing", "garbage", "twice"
    garbage: str = ""
    raw: bytes = b""
    raw_type: str = ""
    odd_parts: list = field(default_factory=list)
    newline: bytes = b"\r\n"
    closed: bool = True
    json_top: str = "object"
    remote_addr: str = "127.0.0.1"


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2 ** 70, 2 ** 70),
                         st.floats(allow_nan=True, allow_infinity=True), texts(max_size=20), st.sampled_from(SPECIAL))
JSON_KEYS = st.one_of(st.sampled_from(["type", "id", "body", "target", "source", "selector", "exact", "value",
                                       "purpose", "items", "first", "@context", "review", "creator", "start", "end",
                                       "prefix", "suffix", "motivation", "created", "modified"]),
                      texts(max_size=10))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(JSON_KEYS, inner, max_size=4)), max_leaves=15)
WRAPPERS = st.lists(st.sampled_from(["list", "object", "target", "body", "selector", "items"]), min_size=1,
                    max_size=80)


def deep_json(core=JSON_VALUES):
    """A value wrapped in lists and objects up to 80 levels deep (the app refuses more than 64)."""
    def wrap(value, kinds):
        for kind in kinds:
            value = [value] if kind == "list" else {"k" if kind == "object" else kind: value}
        return value
    return st.builds(wrap, core, WRAPPERS)


JSON_ANY = st.one_of(JSON_VALUES, JSON_VALUES, deep_json())
FUZZ = fuzz_text()
UPLOADS = uploads()
IPS = st.one_of(st.just("127.0.0.1"), st.just("127.0.0.1"), st.ip_addresses().map(str))
HOW = st.sampled_from(["valid"] * 6 + ["fuzz", "fuzz", "missing", "twice", "upload"])
MODES = st.sampled_from(["form"] * 5 + ["multipart"] * 3 + ["raw-multipart", "json", "bytes"])
CSRF = st.sampled_from(["field"] * 12 + ["header", "missing", "garbage", "twice"])
GARBAGE_TOKENS = st.one_of(FUZZ, st.just("IjE2YjQ.bad.token"))
EXTRA_PAIRS = st.lists(st.tuples(FIELD_NAMES, st.one_of(FUZZ, UPLOADS)), max_size=3)
RAW_BYTES = st.one_of(st.binary(max_size=500), texts(max_size=200).map(lambda t: t.encode()),
                      st.builds(lambda n: b"a=" + b"%" * n, st.integers(1, 5000)),
                      st.builds(lambda n: b"&" * n + b"=", st.integers(1, 50_000)))
RAW_TYPES = st.sampled_from([
    "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=",
    "multipart/form-data; boundary=x", "text/plain", "application/json", "application/octet-stream",
    "application/x-www-form-urlencoded; charset=koi8-r", "", "multipart/mixed; boundary=x"])
ODD_PARTS = st.lists(st.tuples(
    st.sampled_from(['form-data; name="{n}"', "form-data; name={n}", "form-data", 'form-data; name=""',
                     'form-data; name="{n}"; filename="{f}"', "form-data; name*=UTF-8''{n}",
                     'form-data; name="{n}"; name="other"', 'attachment; name="{n}"', "",
                     'form-data; filename="{f}"', 'form-data; name="{n}"; filename*=UTF-8\'\'{f}',
                     'form-data; name="{n}\r\nX-Evil: 1"']),
    FIELD_NAMES, FILE_NAMES, st.one_of(st.binary(max_size=100), texts(max_size=50).map(str.encode)),
    CONTENT_TYPES), max_size=4)
NEWLINES = st.sampled_from([b"\r\n", b"\r\n", b"\n"])
JSON_TOPS = st.sampled_from(["object"] * 6 + ["pairs", "list", "scalar", "broken"])


def form_body(valid, files=None):
    """Draw a post of a form: `valid` draws a dict of valid-looking values by field name (a list for a field of
    several values), each then sent as it is, changed, left out, sent twice or replaced by a file; `files` draws
    extra (name, Upload) pairs. Then unknown fields, and one of several encodings and places for the CSRF token."""
    @st.composite
    def body(draw):
        mode = draw(MODES)
        pairs = []
        for key, value in draw(valid).items():
            how = draw(HOW)
            if how == "missing":
                continue
            if how == "upload":
                pairs.append((key, draw(UPLOADS)))
                continue
            if mode == "json" and draw(ODDS) < 25:
                pairs.append((key, draw(JSON_ANY)))  # a wrong type: a number, a list, an object
                continue
            if how == "fuzz":
                value = draw(FUZZ)
            values = value if isinstance(value, list) and mode != "json" else [value]
            pairs += [(key, v) for v in values]
            if how == "twice":
                pairs.append((key, draw(FUZZ) if draw(st.booleans()) else values[0] if values else ""))
        if files is not None:
            pairs += draw(files)
        pairs += draw(EXTRA_PAIRS)
        if draw(ODDS) < 20:
            pairs = draw(st.permutations(pairs))
        drawn = Body(pairs, mode, draw(CSRF), remote_addr=draw(IPS))
        if drawn.csrf in ("garbage", "twice"):
            drawn.garbage = draw(GARBAGE_TOKENS)
        if mode == "bytes":
            drawn.raw, drawn.raw_type = draw(RAW_BYTES), draw(RAW_TYPES)
        if mode == "raw-multipart":
            drawn.odd_parts, drawn.newline, drawn.closed = draw(ODD_PARTS), draw(NEWLINES), draw(ODDS) >= 15
        if mode == "json":
            drawn.json_top = draw(JSON_TOPS)
        return drawn
    return body()


def resolve(value, ctx: Context):
    return ctx.version() if value is CURRENT else value


def encode(body: Body, ctx: Context) -> tuple[object, str | None, dict]:
    """The body as the test client sends it: (data, content type, headers)."""
    pairs = [(name, resolve(value, ctx)) for name, value in body.pairs]
    headers = {}
    if body.csrf == "field":
        pairs.insert(0, (ctx.csrf_field, ctx.token))
    elif body.csrf == "garbage":
        pairs.insert(0, (ctx.csrf_field, body.garbage))
    elif body.csrf == "twice":
        pairs[:0] = [(ctx.csrf_field, ctx.token), (ctx.csrf_field, body.garbage)]
    if body.csrf == "header" or body.mode in ("json", "bytes"):
        headers["X-CSRFToken"] = ctx.token if body.csrf != "garbage" else body.garbage
    if body.mode in ("form", "multipart"):
        data = MultiDict()
        for name, value in pairs:
            if isinstance(value, Upload):
                data.add(name, (io.BytesIO(value.content), value.filename, value.content_type))
            else:
                data.add(name, value if isinstance(value, str) else json.dumps(value))
        return data, ("multipart/form-data" if body.mode == "multipart" else None), headers
    if body.mode == "json":
        def plain(value):
            return value.filename if isinstance(value, Upload) else value
        if body.json_top == "object":  # written by hand: keys may repeat
            text = "{" + ",".join(f"{json.dumps(k)}:{json.dumps(plain(v))}" for k, v in pairs) + "}"
        elif body.json_top == "pairs":
            text = json.dumps([[k, plain(v)] for k, v in pairs])
        elif body.json_top == "list":
            text = json.dumps([plain(v) for _, v in pairs])
        elif body.json_top == "scalar":
            text = json.dumps(plain(pairs[-1][1]) if pairs else None)
        else:
            text = "{" + ",".join(f"{json.dumps(k)}:{json.dumps(plain(v))}" for k, v in pairs)
        return text.encode("utf-8", "surrogatepass"), "application/json", headers
    if body.mode == "bytes":
        return body.raw, body.raw_type, headers
    boundary = b"fuzzb0undary"
    nl = body.newline
    out = io.BytesIO()
    parts = [(f'form-data; name="{name}"' + (f'; filename="{value.filename}"' if isinstance(value, Upload) else ""),
              value.content if isinstance(value, Upload) else str(value).encode("utf-8", "surrogatepass"),
              value.content_type if isinstance(value, Upload) else None) for name, value in pairs]
    parts += [(template.replace("{n}", name).replace("{f}", filename), content, content_type)
              for template, name, filename, content, content_type in body.odd_parts]
    for disposition, content, content_type in parts:
        out.write(b"--" + boundary + nl)
        if disposition:
            out.write(b"Content-Disposition: " + disposition.encode("utf-8", "surrogatepass") + nl)
        if content_type:
            out.write(b"Content-Type: " + content_type.encode() + nl)
        out.write(nl + content + nl)
    if body.closed:
        out.write(b"--" + boundary + b"--" + nl)
    return out.getvalue(), "multipart/form-data; boundary=fuzzb0undary", headers


def post_form(env: Env, target: str, client, path: str, body: Body, ctx: Context, query: str = "",
              method: str = "POST"):
    data, content_type, headers = encode(body, ctx)
    return env.send(target, client, method, path, query=query, data=data, content_type=content_type,
                    headers=headers, remote_addr=body.remote_addr)


# --- search --------------------------------------------------------------------------------------------------------

SEARCH_WORDS = ["Ushtobe", "Уштобе", "ushtobe", "Kim", "Ким", "김", "Tsoi", "Цой", "최", "Pak", "Пак", "박", "Karaganda",
                "Караганда", "kolkhoz", "колхоз", "1937", "rice", "Posyet", "Посьет", "Tashkent", "Ташкент", "wagon",
                "deportation", "the", "в", "и", "Maritime Province", "Алма Ата", "Alma-Ata", "Kyzylorda", "Viktor",
                "Khan", "Хан", "한", "grandmother", "бабушка", "할머니", "train", "Kazakhstan", "Samarkand", "coal"]
SEARCH_FIELDS = ["village", "surname", "narrator", "interviewer", "title", "language", "decade", "speaker", "kind",
                 "institution", "place", "region", "event", "person", "collection", "VILLAGE", "Surname", "unknown",
                 "text", "f_village", ""]
OPERATORS = [" AND ", " OR ", " ", " NOT ", " ANDNOT ", " ANDMAYBE ", " and ", " || ", " & ", " -", " +", "\t", "\n"]


def search_word():
    return st.one_of(st.sampled_from(SEARCH_WORDS), st.sampled_from(SEARCH_WORDS), texts(min_size=1, max_size=12))


def search_term():
    word = search_word()
    return st.one_of(
        word,
        word.map(lambda w: w + "*"),
        word.map(lambda w: w[:1] + "*"),
        word.map(lambda w: "-" + w),
        word.map(lambda w: "+" + w),
        st.builds(lambda f, v: f"{f}:{v}", st.sampled_from(SEARCH_FIELDS), word),
        st.builds(lambda f, v: f'{f}:"{v}"', st.sampled_from(SEARCH_FIELDS), st.lists(word, max_size=3).map(" ".join)),
        st.builds(lambda f: f"{f}:", st.sampled_from(SEARCH_FIELDS)),
        st.lists(word, min_size=1, max_size=4).map(lambda ws: '"' + " ".join(ws) + '"'),
        st.lists(word, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws)),
        st.sampled_from(["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "(", ")", '"', "*", "-", "+", ":", "**", "-*",
                         '""', "()", ")(", "OR OR", "NOT NOT NOT", "-(", "*:*", "village:*", '"*"']),
    )


SEARCH_EXPRESSIONS = st.recursive(search_term(), lambda inner: st.one_of(
    st.builds(lambda a, op, b: a + op + b, inner, st.sampled_from(OPERATORS), inner),
    inner.map(lambda s: f"({s})"),
    inner.map(lambda s: f"NOT ({s})"),
    inner.map(lambda s: f"-({s})"),
    inner.map(lambda s: f"({s}"),
), max_leaves=10)


QUERY_MAX = 8_000  # characters of a long generated query or filter (the app reads the first 1,000 of a query)


def cut(text: str) -> str:
    return text[:QUERY_MAX]


# Long queries of many words are the dearest for the app (about 0.6 s each: every word is compared with every name of
# the vocabularies for "did you mean", see the report), so they are drawn in 1 example of 100 and the cheap kinds of
# long query (parentheses, operators) more often; the rest are expressions of up to ten terms and short random text.
def search_queries():
    many_words = st.one_of(
        st.builds(lambda n, inner: cut("(" * n + (inner + " OR ") * n), st.integers(1, 400), search_term()),
        st.builds(lambda inner, n, sep: cut(sep.join([inner] * n)), SEARCH_EXPRESSIONS, st.integers(2, 3000),
                  st.sampled_from([" ", " OR ", "", " AND ", "\u200b"])),
        st.builds(lambda piece, n: cut(piece * n), texts(min_size=1, max_size=6), st.integers(100, QUERY_MAX)))
    long_few_words = st.one_of(
        st.builds(lambda n, m, inner: cut("(" * n + inner + ")" * m), st.integers(0, 5000), st.integers(0, 5000),
                  SEARCH_EXPRESSIONS),
        st.builds(lambda n, inner: cut(("NOT " * n) + inner), st.integers(1, 500), search_term()),
        st.builds(lambda n, inner: cut(inner + ")" * n), st.integers(1, 5000), SEARCH_EXPRESSIONS),
        st.builds(lambda n, inner: cut('"' * n + inner), st.integers(1, 5000), search_term()),
        st.builds(lambda inner, n: inner + " " * n, search_term(), st.integers(1, QUERY_MAX)))

    @st.composite
    def query(draw):
        kind = draw(st.integers(0, 99))
        if kind == 0:
            return draw(many_words)
        if kind < 8:
            return draw(long_few_words)
        if kind < 15:
            return draw(st.sampled_from(SPECIAL))
        if kind < 35:
            return draw(texts(max_size=60))
        return draw(SEARCH_EXPRESSIONS)
    return query()


FACET_VALUES = {
    "village": st.sampled_from(PLACE_IDS + ["Уштобе", "ushtobe ", "UshToBe"]),
    "surname": st.sampled_from(SURNAME_IDS + ["Ким", "김", "KIM"]),
    "decade": st.sampled_from(["1930s", "1930", "1940s", "19X0s", "-1930s"]),
    "language": st.sampled_from(["ru", "ko", "en", "RU", "x"]),
    "kind": st.sampled_from(["interview", "media", "photograph", "letter", "document", "Photograph"]),
    "event": st.sampled_from(EVENT_IDS),
    "place": st.sampled_from(PLACE_IDS), "region": st.sampled_from(["almaty-region", "primorye", "tashkent-region"]),
    "person": st.sampled_from(PEOPLE_IDS), "narrator": NAMES, "interviewer": NAMES,
    "collection": st.sampled_from(["Samples", "sample"]), "institution": st.sampled_from(["Kolkhoz museum", "family"]),
    "page": NUMBERS, "sort": st.sampled_from(["date", "relevance", "title", "DATE", "", "-date", "date\x00"]),
    "lang": st.sampled_from(["ru", "ko", "en", "xx"]), "q": search_queries(), "": texts(max_size=5),
}


FACET_DRAWS = {name: st.one_of(values, values, values, fuzz_text(2_000))
               for name, values in FACET_VALUES.items()}
FACET_NAMES = st.lists(st.sampled_from(list(FACET_VALUES) + ["village", "surname", "page", "sort", "junk"]), max_size=3)
BAD_ESCAPES = st.sampled_from(["&q=%", "&q=%zz", "&q=%ff%fe", "&&&", "&=x", "&q", "&q=%C3%28", "&page=%00",
                               "&q=%E2%80%AE", "&village=%ED%A0%80", ";q=x", "&q=+++"])
ENDPOINTS = st.sampled_from(["/search", "/api/v1/search"])


@st.composite
def search_requests(draw):
    """(endpoint, raw query string, signed in?)"""
    pairs = [("q", draw(FACET_VALUES["q"]))] if draw(ODDS) >= 10 else []
    for name in draw(FACET_NAMES):
        pairs.append((name, draw(FACET_DRAWS.get(name, FACET_DRAWS[""]))))
    if draw(ODDS) < 15:
        pairs = draw(st.permutations(pairs))
    query = urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
    if draw(ODDS) < 5:  # hand-made: bad escapes, bytes that are not UTF-8, bare separators
        query = query + draw(BAD_ESCAPES)
    return draw(ENDPOINTS), query, draw(ODDS) < 20


# --- running a target ----------------------------------------------------------------------------------------------

def run_fuzz(env: Env, size: str, target: str, strategy, send, count: int, derandomize: bool) -> Counter:
    """Send `count` generated examples; then no server error may have been answered but those of known kinds."""
    env.size = size
    examples = RESULTS[size].setdefault(target, Counter())
    seen = len(SERVER_ERRORS)

    @settings(max_examples=count, deadline=None, suppress_health_check=HEALTH, database=None,
              derandomize=derandomize, phases=[Phase.explicit, Phase.generate], print_blob=False)
    @given(strategy)
    def fuzz(example):
        examples["examples"] += 1
        send(example)

    fuzz()
    env.wait_for_background()
    assert examples["examples"] >= count
    new = [e for e in SERVER_ERRORS[seen:] if e["known"] is None]
    assert not new, f"{len(new)} server error(s), the first:\n{new[0]['request']}\n{new[0]['traceback'][-3000:]}"
    return examples


def search_target(env: Env, size: str, count: int, derandomize: bool):
    total = RESULTS[size].setdefault("search (both endpoints)", Counter())

    def send(example):
        endpoint, query, staff = example
        total["requests"] += 1
        env.send(f"GET {endpoint}", env.historian if staff else env.anonymous, "GET", endpoint, query=query)

    run_fuzz(env, size, "search (both endpoints)", search_requests(), send, count, derandomize)


def test_search_never_fails_fast(search_env):
    search_target(search_env, "fast", FAST_SEARCH_EXAMPLES, derandomize=True)


@pytest.mark.slow
def test_search_never_fails(search_env):
    search_target(search_env, "slow", SEARCH_EXAMPLES, derandomize=False)
