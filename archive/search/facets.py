"""Facet counts that do not read the whole index at every query.

Whoosh counts a facet whose documents may hold several values (a village list, the surnames) by building, for every
segment and every query, a list of each document's values from the field's postings: at 1,000 interviews that was
most of a search's time (13 facets). A segment never changes once written, so the lists are built once per segment
and field and kept, until the segment is merged away and the cache forgets it.
"""

from __future__ import annotations

import threading

from whoosh import sorting
from whoosh.searching import Searcher

_LISTS: dict[tuple[str, str, str], list] = {}  # (index folder, segment id, field) -> each document's values
_LOCK = threading.Lock()
_MAX_ENTRIES = 1024  # segments x fields; a merge leaves old segments' lists behind, and this bounds them


class _KeptOverlapping(sorting.OverlappingCategorizer):
    def set_searcher(self, segment_searcher: Searcher, docoffset: int) -> None:
        reader = segment_searcher.reader()
        segment = reader.segment() if reader.is_atomic() else None
        if self._use_vectors or self._use_column or segment is None:
            super().set_searcher(segment_searcher, docoffset)
            return
        key = (str(getattr(reader.storage(), "folder", "")), segment.segment_id(), self._fieldname)
        lists = _LISTS.get(key)
        if lists is None:
            super().set_searcher(segment_searcher, docoffset)
            with _LOCK:
                if len(_LISTS) >= _MAX_ENTRIES:
                    _LISTS.clear()
                _LISTS[key] = self._lists
        else:
            self._segment_searcher = segment_searcher
            self._lists = lists


class CountedFacet(sorting.FieldFacet):
    """A facet of a field with several values per document, counted with the kept lists."""

    def __init__(self, fieldname: str):
        super().__init__(fieldname, allow_overlap=True, maptype=sorting.Count)

    def categorizer(self, global_searcher: Searcher) -> sorting.Categorizer:
        return _KeptOverlapping(global_searcher, self.fieldname)
