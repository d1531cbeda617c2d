"""Transcripts as a table: tab- or comma-separated columns of speaker, start, end and text, in any order.

Exports from Oral-History.Digital, Trint, Otter, Descript and spreadsheets come this way. The table is told by its
content: every row has the same number of cells (two or more), read by the `csv` module so that a quoted text holding
commas or line breaks stays one cell. A header row is recognised by its names (English, German, Russian); without
one, the columns are told apart by what they hold: timecodes, short names that repeat, the longest text. A comma
table must show a header or a timecode column, so that prose with commas is never taken for one.
"""

from __future__ import annotations

import csv
import io
import re

from ..errors import Message
from ..i18n import N_
from . import TIMECODE_RE, Segment, finish, parse_timecode

ROLE_WORDS = {
    "speaker": N_("the speaker"),
    "start": N_("the start time"),
    "end": N_("the end time"),
    "text": N_("the text"),
}
SEPARATORS = {"\t": N_("tabs"), ",": N_("commas"), ";": N_("semicolons")}
HEADERS = {
    "speaker": {"speaker", "speakers", "sprecher", "sprecherin", "name", "спикер", "говорящий", "рассказчик"},
    "start": {"start", "begin", "in", "начало", "beginn", "start time", "starttime", "timecode", "time", "zeit"},
    "end": {"end", "out", "конец", "ende", "end time", "endtime", "stop"},
    "text": {"text", "transcript", "текст", "transkript", "transcription", "content", "расшифровка", "utterance"},
}
_WORD_RE = re.compile(r"[^\W\d_]+(?:[ _][^\W\d_]+)*")
_BRACKETS = "[](){}"


def parse(text: str) -> tuple[list[Segment], list[Message]] | None:
    """Segments and notes when `text` is a table of speaker / time / text columns, else None."""
    for separator in ("\t", ",", ";"):
        found = _table(text, separator)
        if found:
            return found
    return None


def _rows(text: str, separator: str) -> list[list[str]] | None:
    if separator not in text.split("\n", 1)[0]:
        return None
    if separator == "\t":
        # exports write tab-separated rows unquoted, a text may open with a quotation mark; a spreadsheet quotes a cell
        # that holds a tab, a line break or a quotation mark
        rows = _kept([line.split("\t") for line in text.split("\n")])
        if rows and not any(len(cell) > 1 and cell[0] == cell[-1] == '"' for row in rows for cell in row):
            return rows
    try:
        return _kept(list(csv.reader(io.StringIO(text), delimiter=separator, strict=True)))
    except csv.Error:
        return None


def _kept(rows: list[list[str]]) -> list[list[str]] | None:
    """The rows that hold something, when there are two or more and all have the same number (two or more) of cells."""
    rows = [[cell.strip() for cell in row] for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2 or len({len(row) for row in rows}) != 1 or len(rows[0]) < 2:
        return None
    return rows


def _table(text: str, separator: str):
    rows = _rows(text, separator)
    if rows is None:
        return None
    header = _header(rows[0])
    body = rows[1:] if header else rows
    roles = dict(header or {})
    _by_content(body, roles)
    if "text" not in roles:
        return None
    timed = "start" in roles or "end" in roles
    if not header and not timed and (separator != "\t" or "speaker" not in roles):
        return None  # a comma is too common in prose to be trusted without a header or times
    segments = []
    for number, row in enumerate(body, len(rows) - len(body) + 1):
        where = Message(N_("row {number}"), number=number)
        times = {}
        for role in ("start", "end"):
            value = _time_text(row[roles[role]]) if role in roles else ""
            times[role] = parse_timecode(value, where) if value and not _is_seconds(value) else None
            if value and _is_seconds(value):
                times[role] = float(value.replace(",", "."))
        speaker = row[roles["speaker"]] or None if "speaker" in roles else None
        segments.append(Segment(0, times["start"], times["end"], speaker, row[roles["text"]]))
    if "speaker" not in roles:  # times in a column, `NAME: text` in the other: a row without one goes on as before
        from .txt import split_labels

        speaker = None
        for segment, (label, said) in zip(segments, split_labels([s.text for s in segments]), strict=True):
            speaker = label or speaker
            segment.speaker, segment.text = speaker, said
    template = (
        N_("read as a table of {count} rows with columns separated by {separator}, the first row its header")
        if header
        else N_("read as a table of {count} rows with columns separated by {separator}, without a header row")
    )
    notes = [Message(template, count=len(body), separator=Message(SEPARATORS[separator]))]
    for role, column in sorted(roles.items(), key=lambda item: item[1]):
        notes.append(
            Message(
                N_('column {number} ("{name}") read as {role}'),
                number=column + 1,
                name=rows[0][column] if header else body[0][column][:30],
                role=Message(ROLE_WORDS[role]),
            )
        )
    ignored = [str(c + 1) for c in range(len(rows[0])) if c not in roles.values()]
    if ignored:
        notes.append(Message(N_("columns not read: {numbers}"), numbers=", ".join(ignored)))
    return finish(segments), notes


def _header(row: list[str]) -> dict[str, int] | None:
    """The roles a header row names, or None when the row is not a header."""
    roles: dict[str, int] = {}
    for column, cell in enumerate(row):
        name = " ".join(_WORD_RE.findall(cell.lower().replace("*", "")))
        for role, names in HEADERS.items():
            if role not in roles and (name in names or name.split(" ", 1)[0] in names and len(name) < 20):
                roles[role] = column
                break
    return roles if roles and len(roles) >= min(2, len(row)) else None


def _time_text(value: str) -> str:
    return value.strip().strip(_BRACKETS).strip()


def _is_seconds(value: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:[.,]\d+)?", value))


def _is_time(value: str) -> bool:
    return bool(TIMECODE_RE.fullmatch(_time_text(value)))


def _by_content(body: list[list[str]], roles: dict[str, int]) -> None:
    """Give the columns a header did not name a role by what they hold."""
    free = [c for c in range(len(body[0])) if c not in roles.values()]
    timecodes = [c for c in free if all(_is_time(row[c]) for row in body if row[c]) and any(row[c] for row in body)]
    for role in ("start", "end"):
        if role not in roles and timecodes:
            roles[role] = timecodes.pop(0)
    free = [c for c in free if c not in roles.values() and not all(_is_seconds(row[c]) for row in body if row[c])]
    if not free:
        return
    length = {c: sum(len(row[c]) for row in body) / len(body) for c in free}
    if "text" not in roles:
        roles["text"] = max(free, key=lambda c: length[c])
        free.remove(roles["text"])
    if "speaker" not in roles:
        for c in sorted(free, key=lambda c: length[c]):
            values = [row[c] for row in body if row[c]]
            short = all(len(v) <= 40 and len(v.split()) <= 5 and not _is_time(v) for v in values)
            if values and short and (len(set(values)) < len(values) or len(values) <= 2):
                roles["speaker"] = c
                break
