"""The segment index of an interview (an OHMS-style table of contents): points in time, each with a title, a synopsis,
a partial transcript, keywords, subjects, places of the gazetteer, GPS points and links.

It is kept in its own file, `index.json` in the interview folder, versioned like every write (history, and a refusal
when the version read is stale). An interview ingested from OHMS before this file existed has its points in
`record["toc"]`: that is read as the index's first version until the index is first saved.

A point as stored: {"start": seconds (continuous time across the recording's parts), "title", "synopsis",
"partial_transcript", "keywords": [], "subjects": [], "places": [gazetteer ids], "gps": [{"lat", "lon", "label"}],
"links": [{"url", "label"}]}, and "alt" (the OHMS alternate-language words) when an import brought them. Points are
kept in time order; a point ends where the next begins.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import interviews, recordings, vocab
from .collection import Collection
from .errors import ArchiveError, CollectionError, Count, Message
from .i18n import N_
from .names import Gazetteer

FILE = "index.json"
INITIAL = "initial"  # the version of an index never saved (none, or the OHMS points of record["toc"])
MAX_POINTS = 1_000
MAX_TITLE = 300
MAX_TEXT = 20_000  # a synopsis or a partial transcript
MAX_WORDS = 100  # keywords, subjects, places, GPS points or links of one point
MAX_WORD = 200
TEXTS = ("title", "synopsis", "partial_transcript")
LISTS = ("keywords", "subjects")

_CLOCK_RE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


class SegmentIndexError(ArchiveError):
    """The index was refused: every problem found, each naming its point (counted from 0) and field."""

    code = "segment-index-invalid"
    status = 422

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = problems[0]
        field = "points" if first.point is None else f"points.{first.point}.{first.name}"
        super().__init__(first.message, field)


@dataclass(frozen=True)
class Problem:
    """One thing wrong: the point (None for the index as a whole), its field, and what is wrong, for people."""

    point: int | None
    name: str
    message: Message


@dataclass(frozen=True)
class Index:
    """An interview's index as read, with the version a later save must name (INITIAL: never saved)."""

    points: list[dict]
    version: str
    saved: bool  # False while it is the OHMS import's record["toc"] (or nothing)


# --- reading ---------------------------------------------------------------------------------------------------------


def read(collection: Collection, interview_id: str, record: dict | None = None) -> Index:
    """The interview's index: index.json, or (never saved) the points of an OHMS import in record["toc"]."""
    try:
        stored = collection.read("interviews", interview_id, FILE)
    except CollectionError:
        if record is None:
            record = interviews.load(collection, interview_id).record
        return Index(from_ohms(record.get("toc") or []), INITIAL, False)
    return Index(json.loads(stored.data), stored.version, True)


def from_ohms(toc: list[dict]) -> list[dict]:
    """The index points of an OHMS export (as formats/ohms.py reads them) in this file's shape, keeping their
    alternate-language words under "alt"."""
    points = []
    for point in toc:
        made = {
            "start": float(point.get("start") or 0),
            **{name: point.get(name) or "" for name in TEXTS},
            **{name: list(point.get(name) or []) for name in LISTS},
            "places": [],
            "gps": [
                {"lat": g["lat"], "lon": g["lon"], "label": g.get("text") or g.get("label") or ""}
                for g in point.get("gps") or []
            ],
            "links": [
                {"url": link["url"], "label": link.get("text") or link.get("label") or ""}
                for link in point.get("links") or []
                if is_web_address(link.get("url"))
            ],
        }
        alt = {name: point[f"{name}_alt"] for name in (*TEXTS, *LISTS) if point.get(f"{name}_alt")}
        if alt:
            made["alt"] = alt
        points.append(made)
    return sorted(points, key=lambda p: p["start"])


def is_web_address(url: object) -> bool:
    """Tell whether a link may be shown as one: an http or https address with a host (never javascript: or data:)."""
    if not isinstance(url, str) or len(url) > 2000 or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def encode(points: list[dict]) -> bytes:
    return (json.dumps(points, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def version_of(points: list[dict]) -> str:
    return hashlib.sha256(encode(points)).hexdigest()


# --- times -----------------------------------------------------------------------------------------------------------


def parse_time(value: object) -> float | None:
    """Seconds from what a person or a script gives: a number, "754", "754.5", "12:34" or "0:12:34"; None if it is
    none of these (a negative, infinite or absent time included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", ".")
        clock = _CLOCK_RE.match(text)
        try:
            if clock:
                hours, minutes, rest = clock.groups()
                if int(minutes) >= 60 and hours is not None or float(rest) >= 60:
                    return None
                seconds = int(hours or 0) * 3600 + int(minutes) * 60 + float(rest)
            else:
                seconds = float(text) if re.fullmatch(r"\d+(?:\.\d+)?", text) else math.nan
        except ValueError:
            return None
    else:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def clock(seconds: float) -> str:
    """Seconds as h:mm:ss, for messages (pages show times the same way)."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def recording_end(record: dict, segments: list[dict]) -> float | None:
    """Where the interview's time ends: the end of its recording's last part when known, else the latest time of its
    transcript; None when neither is known (then any time from 0 on is taken)."""
    ended = recordings.end(record)
    if ended is not None:
        return ended
    if isinstance(record.get("duration"), int | float) and record["duration"] > 0:
        return float(record["duration"])
    times = [float(t) for s in segments for t in (s.get("start"), s.get("end")) if isinstance(t, int | float)]
    return max(times) if times else None


# --- checking --------------------------------------------------------------------------------------------------------


def _words(value: object) -> list[str] | None:
    """A list of short texts from a list (or from text separated by ';'); None if it is neither."""
    if isinstance(value, str):
        value = value.split(";")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return list(dict.fromkeys(" ".join(v.split()) for v in value if v.strip()))


def _place_ids(names: list[str], gazetteer: Gazetteer) -> tuple[list[str], list[str]]:
    """Gazetteer ids for ids or names; and the names the gazetteer does not know (or cannot tell apart)."""
    found, unknown = [], []
    for name in names:
        if name in gazetteer.places:
            found.append(name)
            continue
        matched = gazetteer.match(name)
        if len(matched) == 1:
            found.append(matched[0].id)
        else:
            unknown.append(name)
    return list(dict.fromkeys(found)), unknown


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _gps(value: object, problems: list[Problem], i: int) -> list[dict]:
    if not isinstance(value, list) or len(value) > MAX_WORDS:
        problems.append(Problem(i, "gps", Message(N_("GPS points must be a list of latitude and longitude pairs."))))
        return []
    found = []
    for entry in value:
        entry = entry if isinstance(entry, Mapping) else {}
        lat, lon = _number(entry.get("lat")), _number(entry.get("lon"))
        label = entry.get("label") if isinstance(entry.get("label"), str) else ""
        if lat is None or not -90 <= lat <= 90:
            problems.append(Problem(i, "gps", Message(N_("A latitude must be a number from -90 to 90."))))
        elif lon is None or not -180 <= lon <= 180:
            problems.append(Problem(i, "gps", Message(N_("A longitude must be a number from -180 to 180."))))
        else:
            found.append({"lat": lat, "lon": lon, "label": " ".join(label.split())[:MAX_WORD]})
    return found


def _links(value: object, problems: list[Problem], i: int) -> list[dict]:
    if not isinstance(value, list) or len(value) > MAX_WORDS:
        problems.append(Problem(i, "links", Message(N_("Links must be a list of web addresses."))))
        return []
    found = []
    for entry in value:
        entry = entry if isinstance(entry, Mapping) else {}
        url = entry.get("url").strip() if isinstance(entry.get("url"), str) else ""
        label = entry.get("label") if isinstance(entry.get("label"), str) else ""
        if not is_web_address(url):
            problems.append(
                Problem(
                    i,
                    "links",
                    Message(N_("“{url}” is not a web address; links must begin with http:// or https://."), url=url),
                )
            )
        else:
            found.append({"url": url, "label": " ".join(label.split())[:MAX_WORD]})
    return found


def validate(raw: object, gazetteer: Gazetteer, end: float | None) -> list[dict]:
    """Check an index as given (a list of points) and give it as stored, in time order; raise SegmentIndexError with
    every problem found, each beside its point and field."""
    if not isinstance(raw, list):
        raise SegmentIndexError([Problem(None, "points", Message(N_("The segment index must be a list of points.")))])
    if len(raw) > MAX_POINTS:
        raise SegmentIndexError(
            [Problem(None, "points", Message(N_("An index may hold at most {limit} points."), limit=Count(MAX_POINTS)))]
        )
    problems: list[Problem] = []
    points: list[dict] = []
    starts: dict[float, int] = {}
    for i, given in enumerate(raw):
        if not isinstance(given, Mapping):
            problems.append(Problem(i, "title", Message(N_("Each point of the index must be an object."))))
            continue
        point: dict = {}
        start = parse_time(given.get("start"))
        if given.get("start") in (None, ""):
            problems.append(Problem(i, "start", Message(N_("Give the time this point starts at."))))
        elif start is None:
            problems.append(
                Problem(
                    i,
                    "start",
                    Message(
                        N_("“{time}” is not a time; write seconds (754) or hours, minutes and seconds (0:12:34)."),
                        time=str(given.get("start"))[:40],
                    ),
                )
            )
        elif end is not None and start > end:
            problems.append(
                Problem(
                    i,
                    "start",
                    Message(N_("{time} is after the end of the interview ({end})."), time=clock(start), end=clock(end)),
                )
            )
        elif round(start, 3) in starts:
            problems.append(
                Problem(
                    i,
                    "start",
                    Message(
                        N_("Point {other} already starts at {time}; each point needs a time of its own."),
                        other=starts[round(start, 3)] + 1,
                        time=clock(start),
                    ),
                )
            )
        else:
            starts[round(start, 3)] = i
        point["start"] = round(start, 3) if start is not None else 0.0
        for name in TEXTS:
            value = given.get(name, "")
            value = value if isinstance(value, str) else ""
            value = value.replace("\r\n", "\n").strip() if name != "title" else " ".join(value.split())
            limit = MAX_TITLE if name == "title" else MAX_TEXT
            if len(value) > limit:
                problems.append(
                    Problem(i, name, Message(N_("This may hold at most {limit} characters."), limit=Count(limit)))
                )
            point[name] = value
        if not point["title"]:
            problems.append(Problem(i, "title", Message(N_("Give this point a title."))))
        for name in LISTS:
            words = _words(given.get(name, []))
            if words is None or len(words) > MAX_WORDS or any(len(w) > MAX_WORD for w in words):
                problems.append(
                    Problem(
                        i,
                        name,
                        Message(N_("Give at most {limit} words or phrases, separated by “;”."), limit=Count(MAX_WORDS)),
                    )
                )
                words = []
            point[name] = words
        names = _words(given.get("places", [])) or []
        point["places"], unknown = _place_ids(names, gazetteer)
        for name in unknown:
            problems.append(
                Problem(
                    i,
                    "places",
                    Message(
                        N_("“{place}” is not a place the gazetteer knows; choose a name from its list."), place=name
                    ),
                )
            )
        point["gps"] = _gps(given.get("gps", []), problems, i)
        point["links"] = _links(given.get("links", []), problems, i)
        alt = given.get("alt")
        if isinstance(alt, Mapping):
            kept = {
                k: v for k, v in alt.items() if k in (*TEXTS, *LISTS) and (isinstance(v, str) or _words(v) is not None)
            }
            if kept:
                point["alt"] = kept
        points.append(point)
    if problems:
        raise SegmentIndexError(problems)
    return sorted(points, key=lambda p: p["start"])


# --- saving ----------------------------------------------------------------------------------------------------------


def save(collection: Collection, interview_id: str, raw: object, author: str, expected: str | None) -> Index:
    """Check and store the interview's index as a new version. `expected` is the version read (INITIAL for an index
    never saved): a stale one is refused with ConflictError naming who changed it; None replaces whatever is there."""
    interview = interviews.load(collection, interview_id)
    end = recording_end(interview.record, interviews.segments(collection, interview_id))
    points = validate(raw, vocab.gazetteer(collection), end)
    data = encode(points)
    if expected is None:
        collection.update(
            "interviews", interview_id, [FILE], lambda current: {FILE: data}, author, action="edited-index"
        )
    else:
        collection.write(
            "interviews",
            interview_id,
            {FILE: data},
            author,
            {FILE: None if expected == INITIAL else expected},
            action="edited-index",
        )
    return Index(points, hashlib.sha256(data).hexdigest(), True)


def history(collection: Collection, interview_id: str) -> list:
    """The earlier versions of the index, oldest first (who wrote each, and when)."""
    return collection.history("interviews", interview_id, FILE)
