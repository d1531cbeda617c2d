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


def transcript_terms(q: query.Query, reader: IndexReader, field: str = "text") -> set[str]:
    """The words of a field (the transcript, or the segment index's `contents`) a query matches, prefixes expanded.
    (Whoosh's own existing_terms skips every field after the first it meets: its loop variable overwrites its
    `fieldname` argument.)"""
    found = set()
    for leaf in q.leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname == field and (fieldname, text) in reader:
                found.add(text.decode() if isinstance(text, bytes) else text)
    return found


@dataclass
class SegmentHit:
    n: int
    start: float | None
    speaker: str | None
    snippet: Markup


@dataclass
class PointHit:
    """A point of the segment index whose words were found: where it starts (seconds), its title, the words."""

    start: float
    title: str
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
    points: list[PointHit] = field(default_factory=list)


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

    def label_of(self, facet: str, value: str) -> str:
        """What a chosen filter is called: its facet label (a surname as entered, a place by its name), else itself."""
        return next((label for v, label, _ in self.facets.get(facet, []) if v == value), value)


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


def best_points(points: list[dict], starts: list[int], text: str, spans: list[tuple[int, int, str]]) -> list[PointHit]:
    """The points of the segment index holding the words found (most distinct words first), each with its words
    marked in the point's own text."""
    by_point: dict[int, list[tuple[int, int, str]]] = {}
    ends = [*starts[1:], len(text) + 1]
    for start, end, term in spans:
        i = bisect.bisect_right(starts, start) - 1
        if 0 <= i < len(points) and end < ends[i]:
            by_point.setdefault(i, []).append((start - starts[i], end - starts[i], term))
    ranked = sorted(by_point.items(), key=lambda kv: (-len({t for *_, t in kv[1]}), -len(kv[1]), kv[0]))
    found = []
    for i, marks in ranked[:SEGMENTS_PER_HIT]:
        words, title = text[starts[i] : ends[i] - 1], points[i].get("title", "")
        cut = len(" ".join(title.split())) + 1 if words.startswith(" ".join(title.split())) else 0
        if cut and all(start >= cut for start, _, _ in marks) and len(words) > cut:  # the title is shown beside it
            words, marks = words[cut:], [(start - cut, end - cut, term) for start, end, term in marks]
        found.append(PointHit(points[i]["start"], title, snippet(words, marks)))
    return found


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
