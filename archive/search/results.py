"""What a search returns: plain data (hits, facets, pages), with snippets that mark the words found, escaped here
because they are made here."""

from __future__ import annotations

import bisect
import html
from dataclasses import dataclass, field

from markupsafe import Markup
from whoosh import query
from whoosh.reading import IndexReader

PAGE_SIZE = 10
SEGMENTS_PER_HIT = 3
WITHIN_LIMIT = 200  # passages listed by a search within one interview
SNIPPET_CHARS = 320


def transcript_terms(q: query.Query, reader: IndexReader) -> set[str]:
    """The transcript words a query matches, prefixes expanded. (Whoosh's own existing_terms skips every field
    after the first it meets: its loop variable overwrites its `fieldname` argument.)"""
    found = set()
    for leaf in q.leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname == "text" and (fieldname, text) in reader:
                found.add(text.decode() if isinstance(text, bytes) else text)
    return found


@dataclass
class SegmentHit:
    n: int
    start: float | None
    speaker: str | None
    snippet: Markup


@dataclass
class Passage:
    """An annotated passage that a filter by event, place or person asked for."""

    annotation: str
    quote: str


@dataclass
class Hit:
    id: str
    kind: str
    display: dict
    segments: list[SegmentHit]
    passages: list[Passage] = field(default_factory=list)


@dataclass
class Results:
    hits: list[Hit]
    total: int
    page: int
    pages: int
    facets: dict[str, list[tuple[str, str, int]]]
    query: str = ""
    filters: dict = field(default_factory=dict)
    sort: str = "relevance"
    variants: list[str] = field(default_factory=list)
    message: str = ""
    suggestions: list[str] = field(default_factory=list)


def best_segments(
    segments: list[dict], starts: list[int], spans: list[tuple[int, int, str]], limit: int | None = SEGMENTS_PER_HIT
) -> list[SegmentHit]:
    """Pick the segments holding the most distinct query words (`limit` of them, or all), and mark each word where
    it stands."""
    if not segments or not spans:
        return []
    by_segment: dict[int, list[tuple[int, int, str]]] = {}
    for start, end, term in spans:
        i = bisect.bisect_right(starts, start) - 1
        if 0 <= i < len(segments) and end - starts[i] <= len(segments[i]["text"]):
            by_segment.setdefault(i, []).append((start - starts[i], end - starts[i], term))
    ranked = sorted(by_segment.items(), key=lambda kv: (-len({t for *_, t in kv[1]}), -len(kv[1]), kv[0]))
    return [
        SegmentHit(
            segments[i]["n"], segments[i].get("start"), segments[i].get("speaker"), snippet(segments[i]["text"], marks)
        )
        for i, marks in ranked[:limit]
    ]


def snippet(text: str, marks: list[tuple[int, int, str]]) -> Markup:
    marks = sorted({(s, e) for s, e, _ in marks})
    first = marks[0][0]
    lo = max(0, first - SNIPPET_CHARS // 3)
    hi = min(len(text), lo + SNIPPET_CHARS)
    if lo > 0:
        space = text.find(" ", lo)
        lo = space + 1 if 0 <= space < first else lo
    out, cursor = ["…" if lo > 0 else ""], lo
    for start, end in marks:
        if start < cursor or end > hi:
            continue
        out.append(html.escape(text[cursor:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cursor = end
    out.append(html.escape(text[cursor:hi]) + ("…" if hi < len(text) else ""))
    return Markup("".join(out))
