"""Who may see and change what: the one place every page, file, search and export asks.

Levels: `public` (anyone), `researchers` (anyone signed in), `family` (whoever opened the contributor's receipt link
for that contribution, and staff), `staff` (historians and admins). `embargo_until` hides a record from all but staff
until that day has come; a record whose contributor withdrew consent is hidden from all but staff at once. Both are
read at every request, so no job has to run for them to take effect.

A researcher may ask for a record kept for staff (`may_ask`); a grant staff give (kept in accounts.py, loaded into
`Reader.grants` at each request, ended by its last day) opens that one record to that account as if it were open to
researchers: never a family's record, an embargoed, withdrawn or deleted one, and redacted passages stay withheld.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .accounts import User


class Level(StrEnum):
    """The access levels a record may have, most open first. Stored in records as their plain string values."""

    PUBLIC = "public"
    RESEARCHERS = "researchers"
    FAMILY = "family"
    STAFF = "staff"


LEVELS = tuple(level.value for level in Level)
DEFAULT_LEVEL = Level.STAFF  # a record whose level was never said is staff's alone: nothing published by accident


def level_of(record: Mapping) -> str:
    """A record's access level as stored (the default when it has none)."""
    return record.get("access") or DEFAULT_LEVEL.value


class AccessDenied(Exception):
    """The viewer may not do this; `signed_in` says whether signing in could help."""

    def __init__(self, signed_in: bool):
        self.signed_in = signed_in
        super().__init__("not allowed")


@dataclass(frozen=True)
class Reader:
    """Who is reading: an account (or none), the contributions whose receipt links this browser has opened, and the
    records ("interviews/<id>", "media/<id>") staff granted this account, those whose grant has ended left out."""

    user: User | None = None
    family: frozenset[str] = field(default_factory=frozenset)
    grants: frozenset[str] = field(default_factory=frozenset)


Viewer = Reader | User | None  # whoever is asked about: a reader with receipts, an account, or nobody signed in


def as_reader(viewer: Reader | User | None) -> Reader:
    """Accept a Reader, an account or None wherever a viewer is asked about."""
    return viewer if isinstance(viewer, Reader) else Reader(viewer)


def is_staff(viewer: Reader | User | None) -> bool:
    user = as_reader(viewer).user
    return user is not None and user.is_staff


def embargoed(record: Mapping, today: datetime.date | None = None) -> bool:
    """Tell whether a record's embargo is still running."""
    until = record.get("embargo_until")
    return bool(until) and datetime.date.fromisoformat(until) > (today or datetime.date.today())


def withdrawn(record: Mapping) -> bool:
    """Tell whether the contributor has withdrawn consent for a record."""
    return bool(record.get("withdrawn"))


def deleted(record: Mapping) -> bool:
    """Tell whether a record was deleted (a tombstone: `record["deleted"]` says who, when and why)."""
    return bool(record.get("deleted"))


def readable_levels(viewer: Reader | User | None) -> tuple[str, ...] | None:
    """The access levels a viewer may read whatever the record (family records are asked about one by one, by their
    contribution); None: everything, embargoed or not (staff). Search turns this and `family_grants` into its index
    filter, so pages and search cannot disagree."""
    reader = as_reader(viewer)
    if is_staff(reader):
        return None
    return (Level.PUBLIC.value, Level.RESEARCHERS.value) if reader.user is not None else (Level.PUBLIC.value,)


def family_grants(viewer: Reader | User | None) -> frozenset[str]:
    """The contributions whose `family` records this viewer may read."""
    return as_reader(viewer).family


def granted(viewer: Reader | User | None) -> frozenset[str]:
    """The records ("interviews/<id>", "media/<id>") staff granted this viewer's account and not yet ended; they open
    only records kept for staff (see `can_read`). Search turns them into its index filter too."""
    reader = as_reader(viewer)
    return reader.grants if reader.user is not None and not reader.user.is_staff else frozenset()


def can_read(viewer: Reader | User | None, record: Mapping, ref: str | None = None) -> bool:
    """Decide whether a viewer may see a record (interview or item metadata with `access`, `embargo_until`,
    `contribution`, `withdrawn`, `deleted`). A deleted record is read by nobody, staff included: see `gone`.
    `ref` ("interviews/<id>", "media/<id>") names the record, so that a grant for it counts; without it, none does."""
    if deleted(record):
        return False
    levels = readable_levels(viewer)
    if levels is None:
        return True
    if embargoed(record) or withdrawn(record):
        return False
    level = level_of(record)
    if level == Level.FAMILY:
        return record.get("contribution") in family_grants(viewer)
    if level == Level.STAFF and ref is not None and ref in granted(viewer):
        return True
    return level in levels


def may_ask(viewer: Reader | User | None, record: Mapping, ref: str | None = None) -> bool:
    """Tell whether a viewer may ask staff for access to a record: a signed-in account that is not staff, a record
    kept for staff (never a family's, which only the family's consent opens), not embargoed, withdrawn or deleted,
    and not already open to it by a grant."""
    user = as_reader(viewer).user
    if user is None or user.is_staff:
        return False
    if deleted(record) or embargoed(record) or withdrawn(record) or level_of(record) != Level.STAFF:
        return False
    return ref is None or ref not in granted(viewer)


def gone(viewer: Reader | User | None, record: Mapping, ref: str | None = None) -> bool:
    """Tell whether a viewer is told a record was deleted (410 Gone) rather than that there is none (404): only
    one who could read it were it not deleted (a grant for `ref` included), so a deletion reveals nothing to anyone
    else (fail closed)."""
    return deleted(record) and can_read(viewer, {k: v for k, v in record.items() if k != "deleted"}, ref)


def was_public(record: Mapping) -> bool:
    """Tell whether a deleted or withdrawn record could be read by anyone at all (no account) before: only such a
    record is announced as deleted, to harvesters (OAI-PMH) and in the feed; of any other nothing is said."""
    if not (deleted(record) or withdrawn(record)):
        return False
    return can_read(None, {k: v for k, v in record.items() if k not in ("deleted", "withdrawn")})


# What only staff see of a record: where the file came from, who ingested it, what the camera recorded (GPS!),
# spreadsheet columns nobody checked, and which inbox submission it came from.
STAFF_ONLY_FIELDS = ("source", "technical", "derived", "extra", "contribution", "withdrawn")


def shown_record(viewer: Reader | User | None, record: Mapping) -> dict:
    """The part of a readable record a viewer may see: everything for staff, less the staff-only fields for others."""
    if is_staff(viewer):
        return dict(record)
    return {k: v for k, v in record.items() if k not in STAFF_ONLY_FIELDS}


def can_fetch_original(viewer: Reader | User | None) -> bool:
    """Originals (full EXIF, XMP and IPTC included) go to staff alone; readers get derivatives."""
    return is_staff(viewer)


def sees_redactions(viewer: Reader | User | None) -> bool:
    """Redacted passages (see redaction.py) are read by staff alone; everyone else gets a notice in their place."""
    return is_staff(viewer)


def can_export_ohms(viewer: Reader | User | None) -> bool:
    """The OHMS XML of an interview (the whole record, to move it into another archive's OHMS) is a staff tool;
    readers have the transcript downloads and the citations."""
    return is_staff(viewer)


def answers_as_anyone(viewer: Reader | User | None, record: Mapping) -> bool:
    """Whether what this viewer gets of the record is what anyone gets: a public record, asked for with no account
    and no receipt. Only such an answer may be shared with other sites (a wildcard CORS header) or kept by caches."""
    return can_read(None, record) and as_reader(viewer) == Reader()


def keeper() -> Reader:
    """Whoever runs the command line on a data root: the archive's keeper, who reads every record as staff do
    (`archive export csv` writes every record; `archive export ohms` and `citations` read as staff through this)."""
    return Reader(User(0, "archive keeper", "admin"))


def can_edit(viewer: Reader | User | None) -> bool:
    """Only staff add to or change the collection."""
    return is_staff(viewer)


def can_read_history(viewer: Reader | User | None) -> bool:
    """A record's earlier versions (a deleted record's too, not a purged one's) are read and restored by staff alone."""
    return is_staff(viewer)


def is_admin(viewer: Reader | User | None) -> bool:
    user = as_reader(viewer).user
    return user is not None and user.role == "admin"


def can_read_audit(viewer: Reader | User | None) -> bool:
    """The archive's audit log (who changed what, everywhere) is read by admins alone."""
    return is_admin(viewer)


def can_back_up(viewer: Reader | User | None) -> bool:
    """Only admins make backups: a bag holds every record, restricted ones included, and the accounts' password
    hashes."""
    return is_admin(viewer)


def require(viewer: Reader | User | None, action: str, record: Mapping | None = None) -> None:
    """Raise AccessDenied unless the viewer may do `action` ("read" a record, "edit" the collection)."""
    allowed = can_read(viewer, record or {}) if action == "read" else can_edit(viewer)
    if not allowed:
        raise AccessDenied(as_reader(viewer).user is not None)
