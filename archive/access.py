"""Who may see and change what: the one place every page, file and export asks.

Levels: `public` (anyone), `researchers` (anyone signed in), `family` (the contributor's receipt link, and staff),
`staff` (historians and admins). `embargo_until` hides a record from all but staff until that day has come.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from .accounts import User


class AccessDenied(Exception):
    """The viewer may not do this; `signed_in` says whether signing in could help."""

    def __init__(self, signed_in: bool):
        self.signed_in = signed_in
        super().__init__("not allowed")


def is_staff(viewer: User | None) -> bool:
    return viewer is not None and viewer.is_staff


def embargoed(record: Mapping, today: datetime.date | None = None) -> bool:
    """Tell whether a record's embargo is still running."""
    until = record.get("embargo_until")
    return bool(until) and datetime.date.fromisoformat(until) > (today or datetime.date.today())


def readable_levels(viewer: User | None) -> tuple[str, ...] | None:
    """The access levels a viewer may read while no embargo runs; None: everything, embargoed or not (staff).
    Search turns this into its index filter, so pages and search cannot disagree."""
    if is_staff(viewer):
        return None
    return ("public", "researchers") if viewer is not None else ("public",)


def can_read(viewer: User | None, record: Mapping) -> bool:
    """Decide whether a viewer may see a record (interview or item metadata with `access`, `embargo_until`)."""
    levels = readable_levels(viewer)
    if levels is None:
        return True
    return not embargoed(record) and record.get("access", "staff") in levels


# What only staff see of a record: where the file came from, who ingested it, and what the camera recorded (GPS!).
STAFF_ONLY_FIELDS = ("source", "technical", "derived")


def shown_record(viewer: User | None, record: Mapping) -> dict:
    """The part of a readable record a viewer may see: everything for staff, less the staff-only fields for others."""
    if is_staff(viewer):
        return dict(record)
    return {k: v for k, v in record.items() if k not in STAFF_ONLY_FIELDS}


def can_fetch_original(viewer: User | None) -> bool:
    """Originals (full EXIF, XMP and IPTC included) go to staff alone; readers get derivatives."""
    return is_staff(viewer)


def can_edit(viewer: User | None) -> bool:
    """Only staff add to or change the collection."""
    return is_staff(viewer)


def require(viewer: User | None, action: str, record: Mapping | None = None) -> None:
    """Raise AccessDenied unless the viewer may do `action` ("read" a record, "edit" the collection)."""
    allowed = can_read(viewer, record or {}) if action == "read" else can_edit(viewer)
    if not allowed:
        raise AccessDenied(viewer is not None)
