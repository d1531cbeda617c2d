"""Interview metadata: the one validator that the command line, the upload form and the API all call.

Input comes as strings (a CSV row, a form) or as JSON values (the API); lists may be `;`-separated strings. The result
is what interview.json holds. Every problem is collected, keyed by field, so a form can show each beside its field.
Fields nobody here knows are kept under "extra", never dropped.
"""

from __future__ import annotations

import datetime
import re
import warnings
from collections.abc import Mapping
from functools import lru_cache

import langcodes

from . import access
from .collection import is_valid_id
from .errors import ArchiveError, Message
from .i18n import N_
from .names import Gazetteer

with warnings.catch_warnings():  # edtf's grammar trips a pyparsing diagnostic at import; nothing we can act on
    warnings.simplefilter("ignore")
    from edtf import parse_edtf
    from edtf.parser.edtf_exceptions import EDTFParseException

SCHEMA = 2  # 2: an interview's recordings are always the `recordings` list (migrations.py upgrades schema 1)
LIST_SEPARATOR = ";"

TEXT_FIELDS = ("title", "accession", "collection", "description", "rights")
LIST_FIELDS = ("interviewers", "surnames", "keywords")
PLACE_FIELD = "place"
PLACE_LIST_FIELDS = ("villages", "deported_to", "later_homes")
SINGLE_PLACE_FIELDS = ("place", "birthplace")
KNOWN = {
    *TEXT_FIELDS,
    *LIST_FIELDS,
    *PLACE_LIST_FIELDS,
    *SINGLE_PLACE_FIELDS,
    "narrators",
    "date",
    "languages",
    "duration",
    "consent",
    "access",
    "embargo_until",
    "extra",
    "schema",
    "contribution",
    "withdrawn",
}
# Spreadsheet column -> field, for the names a CSV manifest uses.
CSV_COLUMNS = {
    "narrator": "narrators",
    "interviewer": "interviewers",
    "village": "villages",
    "language": "languages",
}
CSV_REQUIRED = ("file", "title", "narrator", "interviewer", "date", "village", "surnames", "language", "access")
_DURATION_RE = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})")


class MetadataError(ArchiveError):
    """Some fields are wrong; `errors` maps each field to what is wrong with it (`errors.Message`s or marked
    strings, which a page says in its language)."""

    code = "metadata-invalid"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        # "field: problem; field: problem": no words of its own, only the problems, each said in the page's language
        template = "; ".join(f"{field}: {{p{i}}}" for i, field in enumerate(errors))
        super().__init__(
            Message(template, **{f"p{i}": Message(message) for i, message in enumerate(errors.values())}),
            next(iter(errors), None),
        )


def said(error: ValueError) -> str:
    """What a check's ValueError says: its `errors.Message` (or marked string) as raised, to be translated where it
    is shown; else its text."""
    match error.args:
        case (str() as message,):
            return message  # kept whole (a Message keeps its template), never read
    return str(error)


def from_csv_row(row: Mapping[str, str]) -> dict:
    """Turn a manifest row into raw metadata: column names mapped, consent columns gathered, the rest kept."""
    raw: dict = {"extra": {}}
    for column, value in row.items():
        if column is None or column == "file":
            continue
        column = column.strip()
        value = (value or "").strip()
        if column in ("narrator_other_forms", "release_form", "consent_scope", "consent_date"):
            raw[column] = value
        elif CSV_COLUMNS.get(column, column) in KNOWN:
            raw[CSV_COLUMNS.get(column, column)] = value
        elif value:
            raw["extra"][column] = value
    if "narrator_other_forms" in raw:
        raw["narrators"] = [
            {"name": name, "other_forms": _list(raw.pop("narrator_other_forms")) if i == 0 else []}
            for i, name in enumerate(_list(raw.get("narrators", "")))
        ]
    consent = {
        k: raw.pop(c)
        for k, c in (("release", "release_form"), ("scope", "consent_scope"), ("date", "consent_date"))
        if c in raw
    }
    if any(consent.values()):
        raw["consent"] = consent
    return raw


# C0 controls but tab, newline and carriage return; DEL; C1 controls. Invisible, meaningless in a description, and
# forbidden in XML (OAI-PMH, the feed), so they are refused here and stripped again by every XML writer.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(text: str) -> str | None:
    """The first control character in a text (as U+XXXX), or None."""
    found = _CONTROL_RE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def refuse_controls(value) -> None:
    """Raise ValueError if any text in a value (strings inside lists and objects included) holds a control
    character."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if (found := control_character(item)) is not None:
                raise ValueError(
                    Message(
                        N_("contains an invisible control character ({found}); remove it and try again"), found=found
                    )
                )
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


class Checker:
    """Check raw fields one by one, keeping each clean value and every problem (so a form can show each beside its
    field); `done()` gives the clean record or raises MetadataError naming them all."""

    def __init__(self, raw: Mapping, schema: int):
        self.raw = raw
        self.clean: dict = {"schema": schema}
        self.errors: dict[str, str] = {}

    def __call__(self, field: str, fn) -> None:
        try:
            refuse_controls(self.raw.get(field))
            value = fn(self.raw.get(field))
        except ValueError as e:
            self.errors[field] = said(e)
        else:
            if value not in (None, "", [], {}):
                self.clean[field] = value

    def done(self) -> dict:
        if self.errors:
            raise MetadataError(self.errors)
        return self.clean


def validate(raw: Mapping, gazetteer: Gazetteer) -> dict:
    """Check and normalise metadata; raise MetadataError naming every wrong field."""
    check = Checker(raw, SCHEMA)
    clean = check.clean

    check("title", _title)
    for field in TEXT_FIELDS[1:]:
        check(field, _text)
    for field in LIST_FIELDS:
        check(field, _list)
    check("narrators", _narrators)
    check("date", edtf_date)
    for field in SINGLE_PLACE_FIELDS:
        check(field, lambda v: _place(v, gazetteer))
    for field in PLACE_LIST_FIELDS:
        check(field, lambda v: [_place(item, gazetteer) for item in _list_of(v)])
    check("languages", lambda v: [_language(tag) for tag in _list(v)])
    check("duration", _duration)
    check("consent", _consent)
    check("access", _access)
    check("embargo_until", _iso_date)
    check("contribution", contribution)
    check("withdrawn", _iso_date)
    family_needs_contribution(clean, check.errors)
    extra = dict(raw.get("extra") or {})
    extra.update({k: v for k, v in raw.items() if k not in KNOWN and v not in (None, "")})
    try:
        refuse_controls(extra)
    except ValueError as error:
        check.errors["extra"] = said(error)
    if extra:
        clean["extra"] = extra
    clean.setdefault("access", access.DEFAULT_LEVEL.value)
    return check.done()


def _text(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(N_("must be text"))
    return " ".join(value.split()) if "\n" not in value else value.strip()


def _title(value) -> str:
    title = _text(value)
    if not title:
        raise ValueError(N_("a title is required"))
    if len(title) > 300:
        raise ValueError(
            Message(
                N_("is {length} characters long; keep it under 300 and put the rest in the description"),
                length=len(title),
            )
        )
    return title


def _list_of(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    if isinstance(value, list):
        return value
    raise ValueError(N_("must be a list, or text with items separated by ';'"))


def _list(value) -> list[str]:
    items = _list_of(value)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(N_("must be a list of texts"))
    return [" ".join(item.split()) for item in items if item.strip()]


def _narrators(value) -> list[dict]:
    narrators = []
    for item in _list_of(value):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            raise ValueError(N_("each narrator needs a name"))
        narrators.append({"name": " ".join(str(item["name"]).split()), "other_forms": _list(item.get("other_forms"))})
    return narrators


@lru_cache(maxsize=4096)
def parsed_edtf(date: str) -> object:
    """A date's EDTF tree as the edtf package reads it (EDTFParseException if it cannot), kept: parsing takes some
    30 ms a date, and pages sort and say the same dates again and again."""
    return parse_edtf(date)


@lru_cache(maxsize=4096)
def earliest_day(date: str) -> int:
    """The earliest day an EDTF date can mean, as yyyymmdd (0 if it has none): for sorting and decades. Cached,
    because parsing EDTF is slow and dates repeat."""
    try:
        lower = parsed_edtf(date).lower_strict()
        day = lower.tm_year * 10000 + lower.tm_mon * 100 + lower.tm_mday
    except Exception:  # noqa: BLE001 - open ranges ("../1940") bound to a float, others raise assorted errors
        return 0
    return day if 10000 <= day <= 99991231 else 0  # years 1 to 9999: what sorting and decades can use


def edtf_date(value) -> str:
    """Check a date written in EDTF; ValueError (with examples) if it is not one."""
    text = _text(value)
    if not text:
        return ""
    try:
        parsed_edtf(text)  # cached: a sheet or a bulk change checks the same dates again and again
    except EDTFParseException:
        raise ValueError(
            Message(
                N_('"{text}" is not a date in EDTF (for example 2008-05-14, 2008-05, 1937~, 193X, 1937-09/1937-10)'),
                text=text,
            )
        ) from None
    return text


def _place(value, gazetteer: Gazetteer) -> dict | None:
    if value in (None, ""):
        return None
    if isinstance(value, dict):
        name, place_id = str(value.get("name", "")).strip(), value.get("place")
        if place_id in gazetteer.places:
            return {"name": name or gazetteer.places[place_id].name(), "place": place_id}
        value = name
    if not isinstance(value, str):
        raise ValueError(N_("must be a place name"))
    name = " ".join(value.split())
    choice = gazetteer.choose(name)
    if choice.place is not None:
        return {"name": name, "place": choice.place.id}
    options = " / ".join(f"{gazetteer.path(p)} ({p.id})" for p in choice.candidates)
    if choice.why == "several":
        raise ValueError(
            Message(
                N_(
                    '"{name}" could be several places: {options}; write the place id, or the name with what it lies '
                    'in (for example "{example}")'
                ),
                name=name,
                options=options,
                example=gazetteer.path(choice.candidates[0]),
            )
        )
    if choice.why == "outside":
        place = choice.candidates[0]
        raise ValueError(
            Message(
                N_(
                    '"{name}" is {place} ({id}), outside the countries this archive is about ({countries}): write '
                    "its id {id} to link it, or add the place you mean to the places vocabulary"
                ),
                name=name,
                place=gazetteer.path(place),
                id=place.id,
                countries=", ".join(gazetteer.countries),
            )
        )
    if choice.why == "elsewhere":
        raise ValueError(
            Message(
                N_(
                    '"{name}" is not in the gazetteer: the places of that name it knows are {options}; add the place '
                    "you mean to the places vocabulary, or write the id of one of these"
                ),
                name=name,
                options=options,
            )
        )
    if choice.candidates:
        raise ValueError(
            Message(
                N_(
                    '"{name}" is not in the gazetteer; did you mean {suggestions}? (a new place can be added to the '
                    "places vocabulary)"
                ),
                name=name,
                suggestions=" / ".join(p.name() for p in choice.candidates),
            )
        )
    raise ValueError(
        Message(N_('"{name}" is not in the gazetteer (a new place can be added to the places vocabulary)'), name=name)
    )


def _language(tag: str) -> str:
    if langcodes.tag_is_valid(tag):
        return langcodes.standardize_tag(tag)
    try:  # a language named in words, as OHMS records do: "English", "русский"; exact names only
        found = langcodes.find(tag)
        if tag.casefold() in {found.language_name(lang).casefold() for lang in ("en", "ru")} | {
            found.autonym().casefold()
        }:
            return found.to_tag()
    except LookupError:
        pass
    raise ValueError(Message(N_('"{tag}" is not a language tag (BCP 47, such as ru, en, ko, ko-Kore)'), tag=tag))


def _duration(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and value >= 0:
        return int(value)
    match = _DURATION_RE.fullmatch(str(value).strip())
    if not match or int(match.group(3)) >= 60 or (match.group(1) and int(match.group(2)) >= 60):
        raise ValueError(Message(N_('"{value}" is not a duration (hh:mm:ss, mm:ss or seconds)'), value=value))
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _yes_no(value) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in ("", "unknown"):
        return None
    if text in ("yes", "y", "true", "1", "да"):
        return True
    if text in ("no", "n", "false", "0", "нет"):
        return False
    raise ValueError(Message(N_('release form on file must be yes or no, not "{value}"'), value=value))


def _consent(value) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValueError(N_("must give release form (yes/no), scope and date"))
    consent = {
        "release": _yes_no(value.get("release")),
        "scope": _text(value.get("scope")),
        "date": edtf_date(value.get("date")),
    }
    if "living_named" in value:  # a family's answer to "may living people be named?"
        consent["living_named"] = _yes_no(value["living_named"])
    return {k: v for k, v in consent.items() if v not in (None, "")}


def family_needs_contribution(clean: dict, errors: dict) -> None:
    """The family level is opened by a contribution's receipt link: a record without one would be staff-only."""
    if clean.get("access") == access.Level.FAMILY and not clean.get("contribution") and "access" not in errors:
        errors["access"] = N_(
            "only a family's own contribution can be shown to its family (through their receipt "
            "link); choose staff, researchers or public"
        )


def contribution(value) -> str:
    """The family contribution a record came from (its `family` access follows the receipt link of that one)."""
    text = _text(value)
    if text and not is_valid_id(text, "contributions"):
        raise ValueError(Message(N_('"{text}" is not the identifier of a contribution'), text=text))
    return text


def _access(value) -> str:
    level = _text(value).lower() or access.DEFAULT_LEVEL.value
    if level not in access.LEVELS:
        raise ValueError(
            Message(
                N_('"{value}" is not an access level: choose {levels}'), value=value, levels=", ".join(access.LEVELS)
            )
        )
    return level


def _iso_date(value) -> str:
    text = _text(value)
    if not text:
        return ""
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(Message(N_('"{text}" is not a date (YYYY-MM-DD)'), text=text)) from None


def provisional(filename: str) -> dict:
    """Metadata for a file that came without any: its name as a title, and staff-only access."""
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return {
        "title": " ".join(re.split(r"[_\s]+", stem)).strip() or "Untitled interview",
        "access": access.DEFAULT_LEVEL.value,
    }
