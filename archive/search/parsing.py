"""The query language people type: words, "phrases", prefix*, field:value, AND, OR, NOT, -word and parentheses,
with every spelling of a known place or surname searched at once."""

from __future__ import annotations

import re
from collections.abc import Sequence

from whoosh import query

from ..names import WORD, Gazetteer, Surnames, fold, variants
from .analysis import HANGUL_RE, MAX_HANGUL, STOP, fold_token
from .schema import FIELD_QUERIES, clean

_TOKEN_RE = re.compile(r'\s*(?:(?P<phrase>"[^"]*"?)|(?P<open>\()|(?P<close>\))|(?P<word>[^\s()"]+(?:"[^"]*"?)?))')
_TEXT_FIELDS = ("text", "contents", "meta", "title")
_WORD_RE = re.compile(WORD)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
MAX_NESTING = 8  # parentheses within parentheses; deeper ones are read as if they were not there


class Parsed:
    """A person's query turned into a Whoosh query. Understands words, "phrases", prefix*, field:value, AND, OR,
    NOT, -word and parentheses; anything it cannot make sense of is read as plain words, never an error."""

    def __init__(self, text: str, gazetteer: Gazetteer, surnames: Surnames):
        self.gazetteer, self.surnames = gazetteer, surnames
        self.words: list[str] = []
        self.variants: list[str] = []
        self.message = ""
        self.depth = 0
        self.tokens = self._tokens(text[:1000])
        self.pos = 0
        self.query = self._expression() if self.tokens else None
        if self.query is not None:
            self.query = self.query.normalize()
            if self.query is query.NullQuery:
                self.query = None
                self.message = "The search had only very common words; try more specific ones."

    def _tokens(self, text: str) -> list[tuple[str, str]]:
        found = []
        for m in _TOKEN_RE.finditer(text):
            kind = m.lastgroup
            if kind:
                found.append((kind, m.group(kind)))
        return found

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _expression(self):
        parts = [self._conjunction()]
        while self._peek() == ("word", "OR"):
            self.pos += 1
            parts.append(self._conjunction())
        parts = [p for p in parts if p is not None]
        return query.Or(parts) if len(parts) > 1 else (parts[0] if parts else None)

    def _conjunction(self):
        parts, negated = [], []
        while True:
            kind, value = self._peek()
            if kind is None or kind == "close" or (kind == "word" and value == "OR"):
                break
            if kind == "word" and value == "AND":
                self.pos += 1
                continue
            if (
                kind == "word"
                and value in ("NOT", "ANDNOT")
                or (kind == "word" and value.startswith("-") and len(value) > 1)
            ):
                self.pos += 1
                if value.startswith("-"):
                    self.tokens.insert(self.pos, ("word", value[1:]))
                unit = self._unit()
                if unit is not None:
                    negated.append(unit)
                continue
            unit = self._unit()
            if unit is not None:
                parts.append(unit)
        if not parts:
            return None
        positive = query.And(parts) if len(parts) > 1 else parts[0]
        return query.AndNot(positive, query.Or(negated)) if negated else positive

    def _unit(self):
        kind, value = self._peek()
        self.pos += 1
        if kind == "open":
            if self.depth >= MAX_NESTING:  # deeper parentheses add nothing a person means; they only recurse
                return None
            self.depth += 1
            inner = self._expression()
            self.depth -= 1
            if self._peek()[0] == "close":
                self.pos += 1
            return inner
        if kind == "close" or kind is None:
            return None
        if kind == "phrase":
            return self._phrase(value.strip('"'), _TEXT_FIELDS)
        if value in _OPERATORS:
            return None
        value = value.lstrip("+")
        name, sep, rest = value.partition(":")
        if sep and name.lower() in FIELD_QUERIES and rest:
            return self._field(name.lower(), rest.strip('"'))
        for size in (3, 2):  # "Maritime Province", "Алма Ата": a name of several words is one name
            following = self.tokens[self.pos : self.pos + size - 1]
            if len(following) == size - 1 and all(k == "word" and v not in _OPERATORS for k, v in following):
                joined = " ".join([value, *(v for _, v in following)])
                if self.gazetteer.match(joined) or self.surnames.match(joined):
                    self.pos += size - 1
                    return self._word(joined)
        return self._word(value)

    def _terms(self, text: str, fieldnames: Sequence[str]) -> query.Query | None:
        """One spelling in some fields: a term, or a phrase where it holds several words."""
        words = self._words(text)
        if not words:
            return None
        if len(words) == 1:
            return query.Or([query.Term(f, words[0]) for f in fieldnames])
        return query.Or([self._phrase_in(f, words) for f in fieldnames])

    def _words(self, text: str) -> list[str]:
        """The index words of a text: each Hangul run whole (cut to the indexed length), other words folded."""
        found = []
        for token in _WORD_RE.finditer(text):
            word = token.group()
            if HANGUL_RE.fullmatch(word):
                found.append(word[:MAX_HANGUL])
            elif (folded := fold_token(word)) is not None:
                found.append(folded)
        return found

    @staticmethod
    def _phrase_in(fieldname: str, words: list[str]) -> query.Query:
        """A phrase: in the transcript, found through its word pairs and confirmed by positions only if longer."""
        if fieldname != "text":
            return query.Phrase(fieldname, words)
        pairs = [query.Term("pairs", f"{a} {b}") for a, b in zip(words, words[1:], strict=False)]
        if len(words) == 2:  # the pair says it all; the words are there to be highlighted
            return query.And(pairs + [query.Term("text", w) for w in dict.fromkeys(words)])
        return query.And(pairs + [query.Phrase("text", words)])

    def _word(self, word: str):
        if word.endswith("*") and len(word) > 2:
            stem = fold_token(word.rstrip("*")) or word.rstrip("*").casefold()
            return query.Or([query.Prefix(f, stem) for f in _TEXT_FIELDS])
        self.words.append(word)
        spellings = variants(word, self.gazetteer, self.surnames)
        if len(spellings) == 1 and fold_token(word) in STOP:
            return None  # only grammar ("the", "в"): it would match nearly everything
        self.variants.extend(s for s in spellings[1:] if s not in self.variants)
        alternatives = []
        for i, spelling in enumerate(spellings):
            q = self._terms(spelling, _TEXT_FIELDS)
            if q is not None:
                alternatives.append(q.with_boost(2.0) if i == 0 else q)  # the form typed ranks first
        return query.Or(alternatives) if alternatives else None

    def _phrase(self, text: str, fieldnames: Sequence[str]) -> query.Query | None:
        self.words.extend(text.split())
        return self._terms(text, fieldnames)

    def _field(self, name: str, value: str):
        if name in ("village", "place", "region"):
            ids = [p.id for p in self.gazetteer.match(value)] or [value.lower()]
            return query.Or([query.Term(f"f_{name}", i) for i in ids])
        if name == "surname":
            ids = [s.id for s in self.surnames.match(value)] or [fold(value)]
            return query.Or([query.Term("f_surname", i) for i in ids])
        if name == "narrator":
            return (
                query.Or(
                    [
                        q
                        for s in variants(value, self.gazetteer, self.surnames)
                        if (q := self._terms(s, ("narrator_text",))) is not None
                    ]
                )
                or None
            )
        if name == "interviewer":
            return self._terms(value, ("interviewer_text",))
        if name == "title":
            return self._terms(value, ("title",))
        if name == "speaker":
            return self._word(value)
        return query.Term(f"f_{name}", value.lower() if name in ("language", "kind") else clean(value))
