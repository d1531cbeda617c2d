"""Search: the only package that knows Whoosh.

- `analysis`: how text becomes terms (folding through names.py, stems, Hangul pieces, word pairs);
- `schema`: the fields, facets and the access filter;
- `parsing`: the query language people type;
- `results`: hits, facets and snippets as plain data;
- `index`: the index on disk: open, check, repair, rebuild, write, search.

It knows the index, names and access, never the records themselves: documents come from a `Source`
(archive/indexing.py), so that what an interview or a photo is stays with the services that write them.
"""

from .index import IndexUnavailable, SearchIndex, Source, Updates
from .parsing import MAX_NESTING, Parsed
from .results import PAGE_SIZE, Hit, Passage, Results, SegmentHit
from .schema import FACETS

__all__ = [
    "FACETS",
    "MAX_NESTING",
    "PAGE_SIZE",
    "Hit",
    "IndexUnavailable",
    "Parsed",
    "Passage",
    "Results",
    "SearchIndex",
    "SegmentHit",
    "Source",
    "Updates",
]
