"""The index's layout: its fields and facets, and the access fields that results are filtered by, kept beside the
filter that reads them so that results, counts and access.can_read always agree."""

from __future__ import annotations

import datetime

from whoosh import fields, query

from .. import access
from .analysis import ANALYZER, PAIRS

FACETS = (
    "village",
    "surname",
    "region",
    "decade",
    "event",
    "place",
    "person",
    "language",
    "kind",
    "narrator",
    "interviewer",
    "collection",
    "institution",
)
FIELD_QUERIES = {
    "village",
    "place",
    "surname",
    "narrator",
    "interviewer",
    "language",
    "decade",
    "collection",
    "kind",
    "institution",
    "title",
    "region",
    "event",
    "person",
    "speaker",
}


# The layout of what an index holds: bumped whenever the terms or values it stores change (the fields, the folding of
# words in names.py, the analyzer), so that an index made by an older version is rebuilt, never searched wrongly.
# 2: ł, ø, ß, ... and the Kazakh and Uzbek letters folded; surnames' entered forms kept for their facet labels.
# 3: an interview's remarks and annotation ids kept in an annex document beside it (ANNEX_KIND); each record's last
# change (`changed`, `changed_stamp`) and OAI-PMH sets (`sets`), for the feed and OAI-PMH.
LAYOUT = "3"

# An annex is a small document written beside a large one (`of` names it) and searched as part of it: the words of
# its ANNEX_FIELD count as words of that document's `meta`, and its `linked` values as that document's. It lets a
# change of only those (a new remark) rewrite a few words, not a whole transcript's postings.
ANNEX_KIND = "annex"
ANNEX_FIELD = "notes"


def _facet() -> fields.KEYWORD:
    return fields.KEYWORD(commas=True, scorable=False, sortable=True, lowercase=False)


SCHEMA = fields.Schema(
    id=fields.ID(stored=True, unique=True),
    kind=fields.ID(stored=True),
    of=fields.ID(stored=True),  # an annex's document (see ANNEX_KIND), and that document's kind
    of_kind=fields.ID(),
    notes=fields.TEXT(analyzer=ANALYZER),  # an annex's words (ANNEX_FIELD)
    stamp=fields.STORED(),
    display=fields.STORED(),
    title=fields.TEXT(analyzer=ANALYZER, field_boost=3.0),
    meta=fields.TEXT(analyzer=ANALYZER, field_boost=1.5),
    narrator_text=fields.TEXT(analyzer=ANALYZER),
    interviewer_text=fields.TEXT(analyzer=ANALYZER),
    text=fields.TEXT(analyzer=ANALYZER, phrase=True, chars=True),
    contents=fields.TEXT(analyzer=ANALYZER, phrase=True, chars=True, field_boost=1.5),  # the segment index's words
    pairs=fields.TEXT(analyzer=PAIRS, phrase=False),
    access=fields.ID(),  # the record's level, or "withdrawn" once its contributor has withdrawn consent
    contribution=fields.ID(),  # the family contribution a `family` record came from
    embargo=fields.NUMERIC(int, bits=32),
    date_sort=fields.NUMERIC(int, bits=32, sortable=True),
    title_sort=fields.ID(sortable=True),
    linked=fields.KEYWORD(commas=True, scorable=False, lowercase=False),  # "events/<id>": what annotations link
    **{f"f_{name}": _facet() for name in FACETS},
    surname_forms=_facet(),  # "<f_surname value>\t<the name as entered>": a surname facet's label is its commonest
    # when the record's description last changed, then its ref ("<time>\t<kind>/<id>", see `changed_key`): sorted by,
    # it lists records oldest first with ties by ref, and its stored value says the time
    changed=fields.ID(stored=True, sortable=True),
    changed_stamp=fields.ID(),  # that time as feeds and OAI-PMH write it (records.utc_stamp): what from/until compare
    sets=fields.KEYWORD(
        commas=True, scorable=False, lowercase=False
    ),  # the record's OAI-PMH setSpecs (records.set_specs)
)


WITHDRAWN = "withdrawn"  # stored as the access of a record whose contributor withdrew consent: no reader's level


def clean(value: str) -> str:
    """A facet value as stored: facets are comma-separated, so a comma inside a value becomes a space."""
    return value.replace(",", " ").strip()


def entered_form(value: str, form: str) -> str:
    """A facet value with one of the forms it was entered as (see `surname_forms`)."""
    return f"{clean(value)}\t{' '.join(clean(form).split())}"


def access_fields(record: dict) -> dict:
    """What the index filter needs of a record's access, so results and counts agree with access.can_read."""
    embargo = record.get("embargo_until")
    return {
        "access": WITHDRAWN if access.withdrawn(record) else access.level_of(record),
        "contribution": record.get("contribution", ""),
        "embargo": int(embargo.replace("-", "")) if embargo else 0,
    }


def allowed(viewer: access.Viewer) -> query.Query | None:
    """Restrict results to what access.py lets the viewer read: its levels, the family records of the contributions
    it holds receipt links for, the staff records granted to its account (by their document ids), never a withdrawn
    record, and no running embargo. A grant changes this filter, not a document: nothing is reindexed for it."""
    levels = access.readable_levels(viewer)
    if levels is None:
        return None
    today = int(datetime.date.today().strftime("%Y%m%d"))
    readable = [query.Term("access", level) for level in levels]
    grants = sorted(access.family_grants(viewer))
    if grants:
        readable.append(
            query.And(
                [
                    query.Term("access", access.Level.FAMILY.value),
                    query.Or([query.Term("contribution", c) for c in grants]),
                ]
            )
        )
    granted = sorted(document_id(ref) for ref in access.granted(viewer))
    if granted:
        readable.append(
            query.And(
                [
                    query.Term("access", access.Level.STAFF.value),
                    query.Or([query.Term(field, doc_id) for doc_id in granted for field in ("id", "of")]),
                ]
            )
        )
    return query.And([query.Or(readable), query.NumericRange("embargo", None, today)])


def changed_key(time: str, ref: str) -> str:
    """The `changed` field of a record: its last change, a tab (below every character of a time, so a time that
    begins another sorts first), then its ref; sorted as text, it orders records as (time, ref) pairs."""
    return f"{time}\t{ref}"


def changed_of(key: str) -> tuple[str, str]:
    """(time, ref) of a `changed` field's value."""
    time, _, ref = key.rpartition("\t")
    return time, ref


def document_id(ref: str) -> str:
    """A record's search document id: an interview's is its bare id, an item's "media/<id>" (as indexing.py writes
    them)."""
    return ref.removeprefix("interviews/")
