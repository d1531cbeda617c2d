"""EDTF dates said in words in the page's language: "about 1940", "the 1860s", "September to November 1869".

The `edtf` package parses (levels 0 and 1: days, months, years, X for unspecified digits, seasons, ~ ? %, spans
with open or unknown ends); month names come from Babel's data for the language; every sentence is a catalogue
message, so a translator can put the year before the month or add a word for "year". What cannot be parsed, or has
a shape not said here (sets, long years, partly unspecified days), is shown as it is written.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from babel.dates import get_month_names

from .i18n import N_, current
from .i18n import translate as _
from .metadata import parsed_edtf

with warnings.catch_warnings():  # edtf's grammar trips a pyparsing diagnostic at import; nothing we can act on
    warnings.simplefilter("ignore")
    from edtf.parser import parser_classes as edtf_types

SEASONS = {
    "21": N_("spring {year}"),
    "22": N_("summer {year}"),
    "23": N_("autumn {year}"),
    "24": N_("winter {year}"),
}
_YEAR = re.compile(r"\d{4}")
_DECADE = re.compile(r"(\d{3})X")
_CENTURY = re.compile(r"(\d{2})XX")


class Unsaid(ValueError):
    """A date of a shape this module does not say in words."""


@dataclass(frozen=True)
class Point:
    """One date of a span: how precise it is, its parts, and whether it is approximate (~) or uncertain (?)."""

    precision: str  # "day", "month", "season", "year", "decade", "century"
    year: int
    month: int = 0
    day: int = 0
    season: str = ""
    approximate: bool = False
    uncertain: bool = False


def say(code: str | None) -> str:
    """An EDTF date in words in the page's language; the code itself when it cannot be said."""
    code = (code or "").strip()
    if not code:
        return ""
    try:
        return _say(parsed_edtf(code))  # parsed once a process, shared with the timeline's sorting
    except Exception:  # noqa: BLE001 - edtf raises assorted errors for what it cannot read; the code is shown
        return code


def _say(parsed: object) -> str:
    if isinstance(parsed, edtf_types.Interval | edtf_types.Level1Interval):
        return _span(parsed.lower, parsed.upper)
    return _words(_point(parsed))


def _point(node: object, approximate: bool = False, uncertain: bool = False) -> Point:
    """The parts of one date of the parsed tree."""
    if isinstance(node, edtf_types.UncertainOrApproximate):
        ua = node.ua
        return _point(
            node.date,
            approximate or bool(ua and (ua.is_approximate or ua.is_uncertain_and_approximate)),
            uncertain or bool(ua and (ua.is_uncertain or ua.is_uncertain_and_approximate)),
        )
    if isinstance(node, edtf_types.Season):
        return Point("season", _year(node.year), season=str(node.season), approximate=approximate, uncertain=uncertain)
    if isinstance(node, edtf_types.PartialUnspecified | edtf_types.LongYear) or not isinstance(node, edtf_types.Date):
        raise Unsaid(str(node))
    if isinstance(node, edtf_types.Unspecified):
        ua = node.ua
        approximate = approximate or bool(ua and (ua.is_approximate or ua.is_uncertain_and_approximate))
        uncertain = uncertain or bool(ua and (ua.is_uncertain or ua.is_uncertain_and_approximate))
    year, month, day = str(node.year), str(node.month or ""), str(node.day or "")
    if decade := _DECADE.fullmatch(year):
        precision, number = "decade", int(decade.group(1)) * 10
        month = day = ""
    elif century := _CENTURY.fullmatch(year):
        precision, number = "century", int(century.group(1)) * 100
        month = day = ""
    else:
        number = _year(year)
        month = "" if month == "XX" else month
        day = "" if day == "XX" or not month else day
        precision = "day" if day else "month" if month else "year"
    return Point(precision, number, int(month or 0), int(day or 0), approximate=approximate, uncertain=uncertain)


def _year(text: object) -> int:
    if not _YEAR.fullmatch(str(text)):
        raise Unsaid(str(text))  # negative, short or unspecified years: shown as written
    return int(str(text))


def _month(number: int, context: str) -> str:
    """The month's name in the page's language: "stand-alone" (Russian nominative, «сентябрь») or "format"
    (the genitive that follows a day or "about", «сентября»)."""
    return get_month_names("wide", context, locale=current())[number]


def _words(point: Point) -> str:
    if point.approximate:
        text = _approximate(point)
    else:
        text = _plain(point)
    if point.uncertain:
        # TRANSLATORS: a date the sources are not sure of, as in "perhaps 1940"
        return _("perhaps {date}", date=text)
    return text


def _plain(point: Point) -> str:
    if point.precision == "year":
        return str(point.year)
    if point.precision in ("decade", "century"):
        # TRANSLATORS: a decade or a century, as in "the 1860s" ({decade} is 1860); Russian «1860-е годы»
        return _("the {decade}s", decade=point.year)
    if point.precision == "season":
        return _(SEASONS[point.season], year=point.year) if point.season in SEASONS else str(point.year)
    if point.precision == "month":
        # TRANSLATORS: a month of a year, as in "September 1937"; {month} is the month's name standing alone
        return _("{month} {year}", month=_month(point.month, "stand-alone"), year=point.year)
    # TRANSLATORS: a day, as in "21 August 1937"; {month} is the month's name as written after a day number
    return _("{day} {month} {year}", day=point.day, month=_month(point.month, "format"), year=point.year)


def _approximate(point: Point) -> str:
    if point.precision == "year":
        # TRANSLATORS: an approximate year, as in "about 1940"; Russian «около 1940 года», Korean «1940년경»
        return _("about {year}", year=point.year)
    if point.precision in ("decade", "century"):
        # TRANSLATORS: an approximate decade, as in "about the 1860s" ({decade} is 1860)
        return _("about the {decade}s", decade=point.year)
    if point.precision == "month":
        # TRANSLATORS: an approximate month, "about October 1937"; {month} is the name as written after a day number
        return _("about {month} {year}", month=_month(point.month, "format"), year=point.year)
    if point.precision == "day":
        # TRANSLATORS: an approximate day, "about 21 August 1937"; {month} as written after a day number
        return _("about {day} {month} {year}", day=point.day, month=_month(point.month, "format"), year=point.year)
    # TRANSLATORS: any other approximate date (a season), as in "about spring 1937"
    return _("about {date}", date=_plain(point))


def _span(lower: object, upper: object) -> str:
    lower_end = isinstance(lower, edtf_types.UnspecifiedIntervalSection)
    upper_end = isinstance(upper, edtf_types.UnspecifiedIntervalSection)
    if lower_end and upper_end:
        raise Unsaid("no date at either end")
    if lower_end:
        end = _words(_point(upper))
        # TRANSLATORS: a span with no start ("..") and one whose start is not known ("" in EDTF)
        return _("until {date}", date=end) if lower.is_open else _("until {date}, start unknown", date=end)
    if upper_end:
        start = _words(_point(lower))
        # TRANSLATORS: a span still going on ("..") and one whose end is not known ("" in EDTF)
        return _("from {date} on", date=start) if upper.is_open else _("from {date}, end unknown", date=start)
    first, last = _point(lower), _point(upper)
    plain = not (first.approximate or first.uncertain or last.approximate or last.uncertain)
    if plain and first.precision == last.precision == "year":
        # TRANSLATORS: a span of whole years, as in "1918 to 1922"; Russian «с 1918 по 1922 год»
        return _("{start} to {end}", start=first.year, end=last.year)
    if plain and first.precision == last.precision == "month" and first.year == last.year:
        # TRANSLATORS: months of one year, "September to November 1869"; the months' names standing alone
        return _(
            "{start} to {end} {year}",
            start=_month(first.month, "stand-alone"),
            end=_month(last.month, "stand-alone"),
            year=first.year,
        )
    # TRANSLATORS: any other span, each end said in full, as in "February 1904 to September 1905"
    return _("from {start} until {end}", start=_words(first), end=_words(last))
