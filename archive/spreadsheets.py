"""Every interview and media item as one CSV sheet, and corrections brought back from it; bulk changes of many
records at once; the staff's list of records.

The sheet (`export`): UTF-8 with a byte order mark (spreadsheet programs need it to read UTF-8), `\\r\\n` line ends,
one header row, then the interviews and then the items, each in the order of their ids. Columns `kind`
("interviews" or "media"), `id`, `version` (the SHA-256 of interview.json / item.json as exported: a row whose
record changed since is refused as stale), then the fields of the description, in a fixed order (`COLUMNS`), then
`extra.<name>` for every extra field, sorted. A column that does not apply to a row's kind is left empty. Deleted
records are left out: nothing can be changed in them.

How a cell is written:
- lists are joined by "; "; a ";" inside an item is written "\\;" and a backslash "\\\\";
- a place is "Name [gazetteer-id]" (the id decides the place; a name alone is looked up in the gazetteer), and a
  person of an item "Name [people-id]" when linked to the people vocabulary;
- narrators take two columns each, `narrator.1` and `narrator.1.other_forms` (a list), as many as the record with
  the most narrators needs;
- consent is `consent.release`, `consent.scope`, `consent.date`, `consent.living_named` (yes / no / empty);
- a duration is h:mm:ss; an extra field that is not text is written as JSON;
- a cell that would begin like a formula (=, +, -, @) is written after an apostrophe, which an import takes off.

An import (`plan`) reads a sheet with any subset of these columns (`kind`, `id` and `version` are needed): a field
whose column is absent stays as it is. Each row is checked whole through the same validator as every other edit;
a row with any problem changes nothing. What changes is said per column, before -> after, in the sheet's own
writing; an unchanged row writes nothing, so exporting, importing unchanged and exporting again gives the same
bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import access, annotations, interviews, media, metadata, redaction, vocab
from .collection import Collection, is_valid_id
from .errors import CollectionError, Message
from .i18n import N_
from .names import fold

BOM = "\ufeff"
FILES = {"interviews": "interview.json", "media": "item.json"}
SEPARATOR = "; "
BOTH, INTERVIEWS, ITEMS = frozenset(FILES), frozenset({"interviews"}), frozenset({"media"})

# The description's columns in the sheet's order, and the kinds of record each belongs to. "narrator" stands for the
# narrator.N and narrator.N.other_forms columns, "extra" for the extra.<name> ones.
COLUMNS: tuple[tuple[str, frozenset[str]], ...] = (
    ("title", BOTH),
    ("item_kind", ITEMS),
    ("date", BOTH),
    ("access", BOTH),
    ("embargo_until", BOTH),
    ("collection", INTERVIEWS),
    ("accession", BOTH),
    ("description", BOTH),
    ("caption", ITEMS),
    ("creator", ITEMS),
    ("institution", ITEMS),
    ("rights", BOTH),
    ("narrator", INTERVIEWS),
    ("interviewers", INTERVIEWS),
    ("people", ITEMS),
    ("surnames", BOTH),
    ("keywords", INTERVIEWS),
    ("place", INTERVIEWS),
    ("birthplace", INTERVIEWS),
    ("villages", INTERVIEWS),
    ("deported_to", INTERVIEWS),
    ("later_homes", INTERVIEWS),
    ("places", ITEMS),
    ("events", ITEMS),
    ("interviews", ITEMS),
    ("languages", INTERVIEWS),
    ("duration", INTERVIEWS),
    ("consent.release", INTERVIEWS),
    ("consent.scope", INTERVIEWS),
    ("consent.date", INTERVIEWS),
    ("consent.living_named", INTERVIEWS),
)
KINDS_OF = dict(COLUMNS)
TEXT = ("title", "date", "access", "embargo_until", "collection", "accession", "description", "caption", "creator")
TEXT += ("institution", "rights")
LISTS = ("interviewers", "surnames", "keywords", "languages", "events", "interviews")
PLACES = ("villages", "deported_to", "later_homes", "places")
SINGLE_PLACES = ("place", "birthplace")
CONSENT = ("release", "scope", "date", "living_named")
_NARRATOR_RE = re.compile(r"narrator\.([1-9][0-9]{0,2})(\.other_forms)?")
_LINKED_RE = re.compile(r"(.*?)\s*\[([^\[\]]+)\]")
HEAD = ("kind", "id", "version")


class SheetError(ValueError):
    """A cell that cannot be read (its message names what is wrong)."""


# --- cells --------------------------------------------------------------------------------------------------------


def escape(item: str) -> str:
    """One list item as a cell writes it: backslashes and semicolons escaped by a backslash."""
    return item.replace("\\", "\\\\").replace(";", "\\;")


def join(items: Iterable[str]) -> str:
    return SEPARATOR.join(escape(item) for item in items)


def split(cell: str) -> list[str]:
    """A list cell's items: split at each ";" that is not escaped, each stripped and unescaped, empty ones dropped."""
    items, current, chars = [], [], iter(cell)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif char == ";":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def guard(cell: str) -> str:
    """A cell as the file holds it: one beginning like a formula (=, +, -, @, a tab or a carriage return) is written
    after an apostrophe, so that a spreadsheet program shows it as text and never runs it (a description may come
    from anyone: OWASP's "CSV injection"); one beginning with an apostrophe gets another, so that `unguard` is exact."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def unguard(cell: str) -> str:
    """A cell's value: the apostrophe `guard` put before it taken off (a spreadsheet program may have done so)."""
    return cell[1:] if cell.startswith("'") else cell


def linked(name: str, entry_id: str | None) -> str:
    return f"{name} [{entry_id}]" if entry_id else name


def unlinked(text: str) -> tuple[str, str | None]:
    """ "Name [id]" as (name, id); a text without a bracketed id at its end as (text, None)."""
    found = _LINKED_RE.fullmatch(text.strip())
    return (found.group(1), found.group(2).strip()) if found else (text.strip(), None)


def _yes_no(value: object) -> str:
    return {True: "yes", False: "no"}.get(value, "") if isinstance(value, bool) else str(value or "")


def _duration(seconds: object) -> str:
    if not isinstance(seconds, int):
        return str(seconds or "")
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _extra(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def cells(kind: str, record: Mapping, narrators: int = 1, extra: Iterable[str] = ()) -> dict[str, str]:
    """A record's description as the sheet writes it, column by column (every column of its kind)."""
    out: dict[str, str] = {}
    for column, kinds in COLUMNS:
        if kind not in kinds:
            continue
        if column == "narrator":
            people = record.get("narrators") or []
            for n in range(1, max(narrators, len(people)) + 1):
                person = people[n - 1] if n <= len(people) else {}
                out[f"narrator.{n}"] = person.get("name", "")
                out[f"narrator.{n}.other_forms"] = join(person.get("other_forms", []))
        elif column == "item_kind":
            out[column] = record.get("kind", "")
        elif column in TEXT:
            out[column] = str(record.get(column) or "")
        elif column in LISTS:
            out[column] = join(str(v) for v in record.get(column) or [])
        elif column in SINGLE_PLACES:
            place = record.get(column) or {}
            out[column] = linked(place.get("name", ""), place.get("place")) if place else ""
        elif column in PLACES:
            out[column] = join(linked(p.get("name", ""), p.get("place")) for p in record.get(column) or [])
        elif column == "people":
            out[column] = join(linked(p.get("name", ""), p.get("person")) for p in record.get(column) or [])
        elif column == "duration":
            out[column] = _duration(record.get("duration"))
        elif column.startswith("consent."):
            value = (record.get("consent") or {}).get(column[8:])
            out[column] = _yes_no(value) if column in ("consent.release", "consent.living_named") else str(value or "")
    for name in extra:
        value = (record.get("extra") or {}).get(name)
        out[f"extra.{name}"] = "" if value is None else _extra(value)
    return out


# --- reading the records ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    kind: str  # "interviews" or "media"
    id: str
    record: dict
    version: str

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.id}"


def load(collection: Collection, kind: str, record_id: str) -> Record:
    """One record as stored; CollectionError if there is none."""
    stored = collection.read(kind, record_id, FILES[kind])
    try:
        return Record(kind, record_id, json.loads(stored.data), stored.version)
    except ValueError:
        raise CollectionError(f"{kind}/{record_id}/{FILES[kind]} is not valid JSON") from None


def every(collection: Collection) -> Iterator[Record]:
    """Every interview, then every item, each in the order of their ids (unreadable ones skipped)."""
    for kind in FILES:
        for record_id in collection.ids(kind):
            try:
                yield load(collection, kind, record_id)
            except CollectionError:
                continue


# --- export -------------------------------------------------------------------------------------------------------


def header(records: list[Record]) -> list[str]:
    """The sheet's columns for these records: always the same order, as many narrator columns as needed."""
    narrators = max([1, *(len(r.record.get("narrators") or []) for r in records if r.kind == "interviews")])
    extra = sorted({name for r in records for name in (r.record.get("extra") or {})})
    columns = list(HEAD)
    for column, _kinds in COLUMNS:
        if column == "narrator":
            columns += [c for n in range(1, narrators + 1) for c in (f"narrator.{n}", f"narrator.{n}.other_forms")]
        else:
            columns.append(column)
    return columns + [f"extra.{name}" for name in extra]


def export(collection: Collection, out: io.TextIOBase) -> int:
    """Write the sheet of every record not deleted to a text stream; return how many rows it holds."""
    records = [r for r in every(collection) if not access.deleted(r.record)]
    columns = header(records)
    narrators = sum(1 for c in columns if _NARRATOR_RE.fullmatch(c) and not c.endswith("other_forms"))
    extra = [c[6:] for c in columns if c.startswith("extra.")]
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for r in records:
        row = cells(r.kind, r.record, narrators, extra)
        writer.writerow([r.kind, r.id, r.version, *(guard(row.get(c, "")) for c in columns[3:])])
    return len(records)


def export_text(collection: Collection) -> str:
    out = io.StringIO(newline="")
    export(collection, out)
    return out.getvalue()


# --- import -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row (its number in the sheet, the header being row 1) and, where known, one column."""

    row: int
    column: str | None
    message: object  # an errors.Message or a marked string, said in the reader's language where shown


@dataclass
class Row:
    """One data row: the record it names and what it would change (column -> (before, after)), or its problems."""

    number: int
    kind: str
    id: str
    version: str
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    raw: dict | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.id}"


@dataclass
class Plan:
    """What an import would do: each row, and the problems of the sheet as a whole (its header)."""

    rows: list[Row]
    problems: list[Problem]

    def every_problem(self) -> list[Problem]:
        return [*self.problems, *(p for r in self.rows for p in r.problems)]

    def changing(self) -> list[Row]:
        return [r for r in self.rows if r.changes and not r.problems]


@dataclass
class Applied:
    """What an import wrote ("kind/id" of each record), and the rows refused when writing (changed meanwhile)."""

    written: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _column_kinds(column: str) -> frozenset[str] | None:
    """The kinds a column belongs to; None for a column the sheet does not know."""
    if column in HEAD:
        return BOTH
    if _NARRATOR_RE.fullmatch(column):
        return INTERVIEWS
    if column.startswith("extra.") and len(column) > 6:
        return BOTH
    return KINDS_OF.get(column) if column != "narrator" else None


def _read_text(source: bytes | str | Path) -> str:
    if isinstance(source, Path):
        source = source.read_bytes()
    if isinstance(source, bytes):
        source = source.decode("utf-8")  # UnicodeDecodeError: the caller says the file is not UTF-8
    return source.removeprefix(BOM)


def plan(collection: Collection, source: bytes | str | Path) -> Plan:
    """Read a sheet and say, row by row, what it would change and what is wrong; nothing is written."""
    try:
        text = _read_text(source)
    except UnicodeDecodeError:
        return Plan([], [Problem(1, None, N_("the file is not UTF-8 text; save it as CSV UTF-8 and try again"))])
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        return Plan([], [Problem(1, None, Message(N_("the file is not CSV: {error}"), error=str(error)))])
    if not rows:
        return Plan([], [Problem(1, None, N_("the file is empty"))])
    columns = [c.strip() for c in rows[0]]
    problems = []
    for needed in HEAD:
        if needed not in columns:
            problems.append(Problem(1, needed, N_("this column is needed")))
    for number, column in enumerate(columns):
        if columns.index(column) != number:
            problems.append(Problem(1, column, N_("this column appears twice")))
        elif _column_kinds(column) is None:
            problems.append(Problem(1, column, N_("the archive has no field by this name")))
    if problems:
        return Plan([], problems)
    gazetteer = vocab.gazetteer(collection)
    seen: dict[str, int] = {}
    planned = []
    for number, values in enumerate(rows[1:], 2):
        if not any(v.strip() for v in values):
            continue  # a blank line a spreadsheet left at the end
        row = _plan_row(collection, gazetteer, number, columns, values, seen)
        planned.append(row)
    return Plan(planned, [])


def _plan_row(collection, gazetteer, number: int, columns: list[str], values: list[str], seen: dict) -> Row:
    if len(values) > len(columns):
        return Row(number, "", "", "", problems=[Problem(number, None, N_("this row has more cells than columns"))])
    given = {c: v if c in HEAD else unguard(v) for c, v in zip(columns, values, strict=False)}
    kind, record_id, version = (given.get(c, "").strip() for c in HEAD)
    row = Row(number, kind, record_id, version)
    if kind not in FILES:
        row.problems.append(Problem(number, "kind", Message(N_('"{kind}" is not interviews or media'), kind=kind)))
        return row
    if not is_valid_id(record_id, kind) or not collection.exists(kind, record_id):
        row.problems.append(Problem(number, "id", Message(N_('there is no record "{id}" here'), id=record_id)))
        return row
    if row.ref in seen:
        row.problems.append(
            Problem(number, "id", Message(N_("this record is also in row {other}"), other=seen[row.ref]))
        )
        return row
    seen[row.ref] = number
    stored = load(collection, kind, record_id)
    if access.deleted(stored.record):
        row.problems.append(Problem(number, "id", N_("this record was deleted; it cannot be changed")))
        return row
    if version != stored.version:
        change = collection.last_change(kind, record_id, FILES[kind]) or {}
        row.problems.append(
            Problem(
                number,
                "version",
                Message(
                    N_("the record was changed by {author} at {time} after this sheet was exported; export it again"),
                    author=change.get("author", "?"),
                    time=change.get("time", "?"),
                ),
            )
        )
        return row
    for column, cell in given.items():
        if column not in HEAD and cell.strip() and kind not in _column_kinds(column):
            what = N_("an interview has no such field") if kind == "interviews" else N_("an item has no such field")
            row.problems.append(Problem(number, column, what))
    if row.problems:
        return row
    narrators = sum(1 for c in given if _NARRATOR_RE.fullmatch(c) and not c.endswith("other_forms"))
    extra = [c[6:] for c in given if c.startswith("extra.")]
    now = cells(kind, stored.record, narrators, extra)
    if all(cell == now.get(column, "") for column, cell in given.items() if column not in HEAD):
        return row  # every cell as the export wrote it: nothing to check, nothing to write
    raw, errors = _raw(stored.record, kind, given, gazetteer)
    after, more = _checked(collection, gazetteer, stored, raw)
    errors.update(more)
    if errors:
        row.problems += [Problem(number, column, message) for column, message in errors.items()]
        return row
    row.raw = raw
    row.changes = changes(kind, stored.record, after)
    return row


def _raw(record: dict, kind: str, given: Mapping[str, str], gazetteer) -> tuple[dict, dict]:
    """The stored record with the given cells put in (fields whose column is absent stay), and the cells that could
    not be read, by column."""
    raw = {k: v for k, v in record.items()}
    errors: dict[str, object] = {}
    extra = dict(record.get("extra") or {})
    narrators: dict[int, dict] = {}
    for column, cell in given.items():
        if column in HEAD or kind not in (_column_kinds(column) or ()):
            continue
        cell = cell.strip()
        try:
            if column.startswith("extra."):
                name = column[6:]
                if not cell:
                    extra.pop(name, None)
                elif not (name in extra and _extra(extra[name]) == cell):  # kept as stored when written the same
                    extra[name] = cell
            elif found := _NARRATOR_RE.fullmatch(column):
                person = narrators.setdefault(int(found.group(1)), {})
                person["other_forms" if found.group(2) else "name"] = split(cell) if found.group(2) else cell
            elif column == "item_kind":
                raw["kind"] = cell
            elif column in TEXT:
                raw[column] = cell
            elif column in LISTS:
                raw[column] = split(cell)
            elif column in SINGLE_PLACES:
                raw[column] = _place(cell, gazetteer)
            elif column in PLACES:
                raw[column] = [_place(item, gazetteer) for item in split(cell)]
            elif column == "people":
                raw[column] = [_person(item) for item in split(cell)]
            elif column == "duration":
                raw[column] = cell
            elif column.startswith("consent."):
                consent = raw["consent"] = dict(raw.get("consent") or {})
                consent[column[8:]] = cell
        except SheetError as error:
            errors[column] = metadata.said(error)
    if narrators:  # the narrators the sheet names by position, the others as stored
        people = [dict(p) for p in record.get("narrators") or [] if isinstance(p, dict)]
        people += [{} for _ in range(max(narrators) - len(people))]
        for n, given_parts in narrators.items():
            people[n - 1].update(given_parts)
        for n, person in enumerate(people, 1):
            if not person.get("name") and person.get("other_forms"):
                errors[f"narrator.{n}"] = N_("other forms of a name need the name itself")
        raw["narrators"] = [
            {"name": p["name"], "other_forms": p.get("other_forms", [])} for p in people if p.get("name")
        ]
    raw["extra"] = extra
    return raw, errors


def _place(text: str, gazetteer) -> dict | str:
    name, place_id = unlinked(text)
    if place_id is None:
        return name
    if place_id not in gazetteer.places:
        raise SheetError(Message(N_('"{id}" is not a place of the gazetteer'), id=place_id))
    return {"name": name, "place": place_id}


def _person(text: str) -> dict:
    name, person = unlinked(text)
    return {"name": name, "person": person} if person else {"name": name}


def _checked(collection: Collection, gazetteer, stored: Record, raw: dict) -> tuple[dict, dict]:
    """The record an edit with `raw` would store, checked by the one validator as the edit itself checks it (the
    kept fields kept), and its problems by column."""
    try:
        if stored.kind == "interviews":
            kept = {k: stored.record[k] for k in interviews.KEPT_FIELDS if k in stored.record}
            given = {k: v for k, v in raw.items() if k not in interviews.KEPT_FIELDS}
            if "contribution" in kept:
                given["contribution"] = kept["contribution"]
            after = metadata.validate(given, gazetteer)
            after.update(kept)
        else:
            kept = {k: stored.record[k] for k in ("contribution", "withdrawn") if k in stored.record}
            after = media.validate({**raw, **kept}, collection)
            for name in ("source", "technical", "pages", "derived"):
                if name in stored.record:
                    after[name] = stored.record[name]
    except metadata.MetadataError as error:
        return {}, {_column_of(stored.kind, f, raw): m for f, m in error.errors.items()}
    return after, {}


def _column_of(kind: str, name: str, raw: Mapping) -> str:
    """The sheet's column of a field the validator names."""
    if name == "narrators":
        return "narrator.1"
    if name == "kind" and kind == "media":
        return "item_kind"
    if name == "consent":
        consent = raw.get("consent") or {}
        for part in CONSENT:
            try:
                metadata._consent({part: consent.get(part)})
            except ValueError:
                return f"consent.{part}"
        return "consent.release"
    return name


def changes(kind: str, before: Mapping, after: Mapping) -> dict[str, tuple[str, str]]:
    """Each column whose cell differs between two versions of a record: column -> (before, after)."""
    narrators = max(1, len(before.get("narrators") or []), len(after.get("narrators") or []))
    extra = sorted({*(before.get("extra") or {}), *(after.get("extra") or {})})
    old, new = cells(kind, before, narrators, extra), cells(kind, after, narrators, extra)
    return {c: (old[c], new[c]) for c in old if old[c] != new[c]}


# --- bulk changes -------------------------------------------------------------------------------------------------

BULK_CHANGES = {
    "access": N_("Set the access level"),
    "collection": N_("Set the collection"),
    "embargo_until": N_("Set the embargo (a date, or empty to lift it)"),
    "add_place": N_("Add a place"),
    "add_surname": N_("Add a surname"),
    "add_event": N_("Add an event (items only)"),
}


@dataclass
class Bulk:
    """One record of a bulk change: what it would change (column -> (before, after)), or why it cannot."""

    ref: str
    title: str
    version: str
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    problem: object | None = None
    raw: dict | None = None
    done: bool = False


def bulk_plan(collection: Collection, refs: Iterable[str], change: str, value: str) -> list[Bulk]:
    """What setting one field or adding one entry would change in each record (nothing is written)."""
    if change not in BULK_CHANGES:
        raise ValueError(f"{change!r} is not a bulk change")
    gazetteer = vocab.gazetteer(collection)
    value = " ".join(value.split())
    planned = []
    for ref in dict.fromkeys(refs):
        kind, _, record_id = ref.partition("/")
        if kind not in FILES or not collection.exists(kind, record_id):
            planned.append(Bulk(ref, "", "", problem=N_("there is no such record")))
            continue
        stored = load(collection, kind, record_id)
        entry = Bulk(ref, stored.record.get("title", ""), stored.version)
        planned.append(entry)
        if access.deleted(stored.record):
            entry.problem = N_("this record was deleted; it cannot be changed")
            continue
        try:
            raw = _bulk_raw(collection, gazetteer, stored, change, value)
        except SheetError as error:
            entry.problem = metadata.said(error)
            continue
        after, errors = _checked(collection, gazetteer, stored, raw)
        if errors:
            entry.problem = next(iter(errors.values()))
            continue
        entry.raw, entry.changes = raw, changes(kind, stored.record, after)
    return planned


def _bulk_raw(collection: Collection, gazetteer, stored: Record, change: str, value: str) -> dict:
    raw = dict(stored.record)
    if change in ("access", "embargo_until"):
        raw[change] = value
    elif change == "collection":
        if stored.kind == "media":
            raise SheetError(N_("an item has no collection"))
        raw["collection"] = value
    elif change == "add_surname":
        if not value:
            raise SheetError(N_("give a surname"))
        surnames = list(raw.get("surnames") or [])
        if fold(value) not in {fold(s) for s in surnames}:
            raw["surnames"] = [*surnames, value]
    elif change == "add_place":
        try:
            place = metadata._place(value, gazetteer)
        except ValueError as error:
            raise SheetError(metadata.said(error)) from None
        if place is None:
            raise SheetError(N_("give a place"))
        key = "villages" if stored.kind == "interviews" else "places"
        places = list(raw.get(key) or [])
        if place["place"] not in {p.get("place") for p in places if isinstance(p, dict)}:
            raw[key] = [*places, place]
    elif change == "add_event":
        if stored.kind == "interviews":
            raise SheetError(N_("an interview is linked to events by annotating its passages, not by its description"))
        events = list(raw.get("events") or [])
        raw["events"] = [*events, value]
    return raw


# --- the staff's list ---------------------------------------------------------------------------------------------

SORTS = ("title", "date", "changed")
PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class Listed:
    """A record as the staff list shows it."""

    kind: str
    id: str
    title: str
    date: str
    level: str
    collection: str
    changed: str
    review: bool
    redacted: bool
    contributed: bool
    deleted: bool

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.id}"


@dataclass(frozen=True)
class Filters:
    level: str = ""
    collection: str = ""
    review: bool = False
    redacted: bool = False
    contributed: bool = False
    deleted: bool = False


def listed(collection: Collection) -> list[Listed]:
    """Every record (deleted ones included, marked) with what the staff list filters and sorts on."""
    found = []
    for r in every(collection):
        notes = annotations.items(collection, r.id) if r.kind == "interviews" else []
        change = collection.last_change(r.kind, r.id, FILES[r.kind]) or {}
        found.append(
            Listed(
                r.kind,
                r.id,
                r.record.get("title", ""),
                r.record.get("date", ""),
                access.level_of(r.record),
                r.record.get("collection", ""),
                change.get("time", ""),
                any(a.get("review") for a in notes),
                redaction.present(notes),
                bool(r.record.get("contribution")),
                access.deleted(r.record),
            )
        )
    return found


def chosen(records: list[Listed], filters: Filters, sort: str) -> list[Listed]:
    """The records that pass the filters (deleted ones only when asked for, and then only they), sorted."""
    kept = [
        r
        for r in records
        if r.deleted == filters.deleted
        and (not filters.level or r.level == filters.level)
        and (not filters.collection or r.collection == filters.collection)
        and (not filters.review or r.review)
        and (not filters.redacted or r.redacted)
        and (not filters.contributed or r.contributed)
    ]
    if sort == "date":
        kept.sort(key=lambda r: (metadata.earliest_day(r.date) if r.date else 0, r.title.casefold(), r.ref))
    elif sort == "changed":
        kept.sort(key=lambda r: (r.changed, r.ref), reverse=True)
    else:
        kept.sort(key=lambda r: (r.title.casefold(), r.ref))
    return kept
