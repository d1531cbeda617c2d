"""How text becomes index terms: words folded (by names.fold_word) and stemmed, Hangul runs cut into their pieces,
and adjacent word pairs for phrases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Filter, RegexTokenizer, Token
from whoosh.lang import stemmer_for_language

from ..names import WORD, fold_word

STOP = frozenset(
    """
a an and are as at be but by for from had has have he her his i in is it its of on or she that the their them they
this to was we were what when where which who will with you your
а без бы был была были было в вам вас весь во вот все всё вы да для до его ее её если есть же за и из или им их
к как ко когда кто ли мне мы на над не нет ни но ну о об он она они оно от по под при с со так там то тоже только
у уж что чтобы это я
""".split()
)
_STEM = {"cyrillic": stemmer_for_language("ru"), "latin": stemmer_for_language("en")}
HANGUL_RE = re.compile(r"[\uac00-\ud7a3]+")


@lru_cache(maxsize=300_000)
def fold_token(text: str) -> str | None:
    """Normalise one word for the index: folded as names.fold_word says, then stemmed in its script.

    Stop words stay in the index: some are names too (О and У are Korean surnames in Cyrillic); the query drops
    them where they are only grammar."""
    folded = fold_word(text)
    if folded is None:
        return None
    word, script = folded
    return _STEM[script](word) if script and len(word) > 3 else word


class _Normalise(Filter):
    """Fold every token. A run of Hangul is indexed with each of its substrings (up to 8 syllables) at the run's
    position, so a word or a name inside a longer run ("우슈토베" in "우슈토베에서") is one term to look up.

    With `pairs`, emit instead each pair of adjacent words ("в деревн"), so that a phrase is found by looking up its
    pairs rather than by comparing positions across whole transcripts."""

    def __init__(self, pairs: bool = False):
        self.pairs = pairs

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        previous = None
        for t in tokens:
            if HANGUL_RE.fullmatch(t.text):
                run, start = t.text, t.startchar if t.chars else 0
                if self.pairs:
                    word = run[:MAX_HANGUL]
                else:
                    for i in range(len(run)):
                        for j in range(i + 1, min(len(run), i + MAX_HANGUL) + 1):
                            t.text = run[i:j]
                            if t.chars:
                                t.startchar, t.endchar = start + i, start + j
                            yield t
                    continue
            else:
                word = fold_token(t.text)
                if word is None:
                    continue
                if not self.pairs:
                    t.text = word
                    yield t
                    continue
            if previous is not None:
                t.text = f"{previous} {word}"
                yield t
            previous = word


MAX_HANGUL = 8
ANALYZER = RegexTokenizer(WORD) | _Normalise()
PAIRS = RegexTokenizer(WORD) | _Normalise(pairs=True)
