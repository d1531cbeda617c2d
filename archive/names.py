"""Names across scripts: the one place that knows how Уштобе, Ushtobe and Uştöbe are the same place.

`fold` reduces a name to a key that ignores case, accents and script (Cyrillic is transliterated; Hangul is kept), so
that every written form of a place in the gazetteer can be found from any other. Surname variants will live here too.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

VOCAB = Path(__file__).resolve().parent / "vocab"

# Russian, Kazakh and Uzbek Cyrillic to plain Latin: a matching key, not a romanization to show anyone.
_CYRILLIC = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "i",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ә": "a", "ғ": "gh", "қ": "q", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    "ў": "o", "ҳ": "h",
})
_SEPARATORS_RE = re.compile(r"[\s\-‐‑–—_.,'’ʻʼ`\"()]+")


def fold(name: str) -> str:
    """Reduce a name to its matching key: NFKC, case-folded, Cyrillic transliterated, accents and separators dropped."""
    text = unicodedata.normalize("NFKC", name).casefold().translate(_CYRILLIC)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.replace("ı", "i").replace("ş", "sh").replace("ç", "ch").replace("ğ", "g")
    return unicodedata.normalize("NFC", _SEPARATORS_RE.sub(" ", text).strip())


@dataclass(frozen=True)
class Place:
    """A place of the gazetteer."""

    id: str
    label: dict
    names: tuple
    type: str
    country: str
    lat: float | None = None
    lon: float | None = None
    within: str | None = None

    def name(self, lang: str = "en") -> str:
        return self.label.get(lang) or self.label.get("en") or self.id


class Gazetteer:
    """Places and every written form of their names."""

    def __init__(self, places: list[Place]):
        self.places = {p.id: p for p in places}
        self._by_key: dict[str, set[str]] = {}
        for place in places:
            for name in {*place.names, *place.label.values(), place.id}:
                self._by_key.setdefault(fold(name), set()).add(place.id)

    @classmethod
    def load(cls, path: Path = VOCAB / "places.json") -> Gazetteer:
        data = json.loads(Path(path).read_text("utf-8"))
        return cls([
            Place(p["id"], p.get("label", {}), tuple(p.get("names", [])), p.get("type", ""), p.get("country", ""),
                  p.get("lat"), p.get("lon"), p.get("within"))
            for p in data["places"]
        ])

    def match(self, name: str) -> list[Place]:
        """Find the places a written name may mean (several when a name is shared)."""
        return [self.places[i] for i in sorted(self._by_key.get(fold(name), ()))]

    def suggest(self, name: str, limit: int = 3) -> list[Place]:
        """Offer the places whose names are spelled most like `name`."""
        keys = difflib.get_close_matches(fold(name), list(self._by_key), n=limit * 2, cutoff=0.7)
        found: list[Place] = []
        for key in keys:
            for place_id in sorted(self._by_key[key]):
                if self.places[place_id] not in found:
                    found.append(self.places[place_id])
        return found[:limit]


@lru_cache(maxsize=1)
def shipped_gazetteer() -> Gazetteer:
    """The gazetteer shipped in archive/vocab/places.json."""
    return Gazetteer.load()
