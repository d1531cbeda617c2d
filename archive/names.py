"""Names across scripts: the one place that knows how Уштобе, Ushtobe and Uştöbe are the same place, and how every
script's letters fold for search.

`fold` reduces a name to a key that ignores case, accents and script (Cyrillic is transliterated; Hangul is kept), so
that every written form of a place in the gazetteer can be found from any other; `fold_word` folds one word of running
text for the search index (Cyrillic stays Cyrillic there: other scripts reach it through `transliterations`). Both
share the rules below: Latin letters that Unicode does not decompose (ł, đ, ø, æ, œ, ß, ı, ħ, þ) become their plain
letters, the Kazakh and Uzbek letters of either alphabet meet their counterparts (қ and q, ң and ñ, ş and ш, oʻ and
ў), and the apostrophes of Uzbek Latin (ʻ ʼ ' ’ ‘ `) are dropped inside words. Surname variants live here too.
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

# Russian, Kazakh and Uzbek Cyrillic to plain Latin: a matching key, not a romanization to show anyone. The Kazakh and
# Uzbek letters go where their Latin alphabets put them (қ q, ғ ğ/gʻ g, ң ñ n, ө ö o, ұ ū u, ү ü u, ә ä a, ў oʻ o).
_CYRILLIC = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "i",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
        "ә": "a",
        "ғ": "g",
        "қ": "q",
        "ң": "n",
        "ө": "o",
        "ұ": "u",
        "ү": "u",
        "һ": "h",
        "і": "i",
        "ў": "o",
        "ҳ": "h",
    }
)
# The Kazakh and Uzbek Cyrillic letters as the Russian letters a Latin spelling is read back into (see
# _LATIN_TO_CYRILLIC: q is read as к, so қ is folded to к), for search words, which stay Cyrillic.
_KAZAKH_UZBEK_LETTERS = {
    "ә": "а",
    "ғ": "г",
    "қ": "к",
    "ң": "н",
    "ө": "о",
    "ұ": "у",
    "ү": "у",
    "һ": "х",
    "і": "и",
    "ў": "о",
    "ҳ": "х",
}
_KAZAKH_UZBEK = str.maketrans(
    {**_KAZAKH_UZBEK_LETTERS, **{k.upper(): v.upper() for k, v in _KAZAKH_UZBEK_LETTERS.items()}}
)
# Latin letters Unicode does not decompose into a letter and an accent, and the Turkic ş read as two letters (before
# accents go: decomposed, ş would be left a bare s, and Kazakh Latin Şymkent would not meet Шымкент). After casefold.
_LATIN = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "þ": "th",
        "ş": "sh",
    }
)
# Inside a word an apostrophe is dropped (Uzbek oʻ and gʻ, Pos'et for Посьет, O'Brien), in every form people type it.
APOSTROPHES = "'’‘ʻʼ`´"
_NO_APOSTROPHES = str.maketrans(dict.fromkeys(APOSTROPHES, ""))
# A word of running text, as the search index cuts it: letters and digits, with apostrophes inside.
WORD = r"\w+(?:[" + APOSTROPHES + r"]\w+)*"
_SEPARATORS_RE = re.compile(r"[\s\-‐‑–—_.,\"()]+")


def _plain(text: str) -> str:
    """Drop the accents of a casefolded text: Latin letters without a decomposition first, then every combining mark."""
    text = text.translate(_LATIN)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(name: str) -> str:
    """Reduce a name to its matching key: NFKC, case-folded, Cyrillic transliterated, accents, apostrophes and
    separators dropped (Załęski and Zaleski, Ушқоңыр and Uşqoñyr, Oʻzbekiston and Ўзбекистон are one key each)."""
    text = unicodedata.normalize("NFKC", name.translate(_NO_APOSTROPHES)).casefold().translate(_CYRILLIC)
    text = _plain(text.replace("ç", "ch"))  # Çimkent: in a name, ç is Turkic ч (running text keeps French ç a c)
    return unicodedata.normalize("NFC", _SEPARATORS_RE.sub(" ", text).strip())


def contains(typed: str, spellings) -> bool:
    """Tell whether what someone typed into a filter is part of any of an entry's spellings, each folded as `fold`
    does: Уштобе (or ушт) finds Ushtobe, Uştöbe finds Уштобе. Empty text is part of everything."""
    key = fold(typed)
    return not key or any(key in fold(spelling) for spelling in spellings if spelling)


_HOMOGLYPHS_TO_CYRILLIC = str.maketrans("aceopxykmtbh", "асеорхукмтвн")
_HOMOGLYPHS_TO_LATIN = str.maketrans("асеорхукмтвн", "aceopxykmtbh")


def fold_word(text: str) -> tuple[str, str | None] | None:
    """Fold one word of running text for search: NFKC, case, apostrophes, look-alike letters, Latin accents and the
    letters without one (ł, ø, ß, ...), Kazakh and Uzbek Cyrillic letters as Russian ones (қ к, ў о), ё. Return it with
    the script it was written in ("cyrillic", "latin" or None), which decides how search stems it; None when nothing
    is left of it."""
    text = unicodedata.normalize("NFKC", text.translate(_NO_APOSTROPHES)).casefold()
    text = text.translate(_KAZAKH_UZBEK).replace("ё", "е")
    cyrillic = sum("а" <= c <= "я" for c in text)
    latin = sum("a" <= c <= "z" for c in text)
    if cyrillic and latin:  # "Цoй" typed with a Latin o: follow the script most of the word is in
        text = text.translate(_HOMOGLYPHS_TO_CYRILLIC if cyrillic >= latin else _HOMOGLYPHS_TO_LATIN)
        latin = 0 if cyrillic >= latin else latin
    if latin or any(ord(c) > 127 and "LATIN" in unicodedata.name(c, "") for c in text):
        text = _plain(text)
    if not text:
        return None
    return text, "cyrillic" if cyrillic else "latin" if text.isascii() else None


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

    @property
    def countries(self) -> tuple[str, ...]:
        """The present-day countries its land lies in: one code, or several for a historical place (Korea)."""
        return tuple(self.country.split())

    @property
    def rank(self) -> int:
        return rank_of(self.type)


# The hierarchy of places: a place lies within one of a lower rank (a country holds regions, a region districts, a
# district settlements, a settlement its quarters), so that a name can be told apart by what it lies in.
RANKS = {
    "country": 0,
    "region": 1,
    "district": 2,
    "city": 3,
    "town": 3,
    "village": 3,
    "kolkhoz": 3,
    "station": 3,
    "quarter": 4,
}


def rank_of(kind: str | None) -> int:
    """A kind of place's rank in the hierarchy; an unknown kind counts as a settlement."""
    return RANKS.get(kind or "", RANKS["village"])


def country_codes(given: object) -> tuple[str, ...]:
    """Country codes as a vocabulary gives them: a list, or one text separated by spaces or commas (KZ UZ, RU,KZ)."""
    words = given.replace(",", " ").split() if isinstance(given, str) else list(given or ())
    return tuple(str(code).strip().upper() for code in words if str(code).strip())


@dataclass(frozen=True)
class Choice:
    """What a written place name was found to mean: `place` when exactly one place and nothing to ask; otherwise
    `place` is None and `why` says what a person must decide among `candidates`:
    "several" (a name of more than one place), "outside" (the one place lies outside the archive's countries),
    "elsewhere" (the name is known, but not within what the text names after its comma), "unknown"."""

    place: Place | None
    candidates: tuple = ()
    why: str = ""


class _Spellings:
    """Entries found by any of their spellings, folded; shared by the gazetteer and the surname families."""

    def __init__(self, entries: dict, spellings_of, cutoff: float):
        self.entries = entries
        self.cutoff = cutoff
        self._spellings = spellings_of
        self._by_key: dict[str, set[str]] = {}
        for entry_id, entry in entries.items():
            for spelling in spellings_of(entry):
                if spelling:
                    self._by_key.setdefault(fold(spelling), set()).add(entry_id)

    def match(self, name: str) -> list:
        """Find the entries a written name may mean (several when a spelling is shared)."""
        return [self.entries[i] for i in sorted(self._by_key.get(fold(name), ()))]

    def suggest(self, name: str, limit: int = 3) -> list:
        """Offer the entries spelled most like `name`."""
        found: list = []
        for key in difflib.get_close_matches(fold(name), list(self._by_key), n=limit * 2, cutoff=self.cutoff):
            found.extend(self.entries[i] for i in sorted(self._by_key[key]) if self.entries[i] not in found)
        return found[:limit]


class Gazetteer(_Spellings):
    """Places and every written form of their names."""

    def __init__(self, places: list[Place], countries: tuple[str, ...] = ()):
        self.places = {p.id: p for p in places}
        self.countries = countries  # the countries the archive's collections are about; empty: anywhere
        super().__init__(self.places, lambda p: {*p.names, *p.label.values(), p.id}, cutoff=0.7)

    def ancestors(self, place: Place) -> list[Place]:
        """The places it lies within, nearest first (Ushtobe: Zhetysu Region, Kazakhstan)."""
        found, seen = [], {place.id}
        while place.within in self.places and place.within not in seen:
            place = self.places[place.within]
            seen.add(place.id)
            found.append(place)
        return found

    def path(self, place: Place, lang: str = "en") -> str:
        """The place named with what it lies in, as people write it to tell places apart: "Moscow, Russia"."""
        return ", ".join(p.name(lang) for p in [place, *self.ancestors(place)])

    def outside(self, place: Place) -> bool:
        """Tell whether a place lies outside every country the archive's collections are about."""
        return bool(self.countries) and not set(place.countries) & set(self.countries)

    def choose(self, written: str) -> Choice:
        """Decide which place a written name means, never silently: an id or a name of one place within the
        archive's countries is linked; a name followed by what it lies in ("Moscow, Russia", "Moscow, Idaho") is
        linked only when one place named so lies within all of those; anything else is a question with candidates."""
        name = " ".join(written.split())
        if name in self.places:  # an id is a choice already made, wherever the place lies
            return Choice(self.places[name])
        head, _, rest = name.partition(",")
        qualifiers = [q for q in (part.strip() for part in rest.split(",")) if q]
        found = self.match(name)
        if qualifiers and not found:
            named = self.match(head)
            within = [p for p in named if all(self._lies_in(p, q) for q in qualifiers)]
            if len(within) == 1:
                return Choice(within[0])
            if named:
                return Choice(None, tuple(within or named), "several" if within else "elsewhere")
            return Choice(None, tuple(self.suggest(head)), "unknown")
        if len(found) > 1:
            return Choice(None, tuple(found), "several")
        if found and self.outside(found[0]) and not qualifiers:
            return Choice(None, tuple(found), "outside")
        if found:
            return Choice(found[0])
        return Choice(None, tuple(self.suggest(name)), "unknown")

    def _lies_in(self, place: Place, qualifier: str) -> bool:
        key = fold(qualifier)
        if qualifier.upper() in place.countries:
            return True
        return any(key == fold(spelling) for p in self.ancestors(place) for spelling in self._spellings(p))

    @classmethod
    def load(cls, path: Path = VOCAB / "places.json") -> Gazetteer:
        return cls.from_data(json.loads(Path(path).read_text("utf-8")))

    @classmethod
    def from_data(cls, data: dict) -> Gazetteer:
        return cls(
            [
                Place(
                    p["id"],
                    p.get("label", {}),
                    tuple(p.get("names", [])),
                    p.get("type", ""),
                    p.get("country", ""),
                    p.get("lat"),
                    p.get("lon"),
                    p.get("within"),
                )
                for p in data["places"]
            ],
            country_codes(data.get("countries")),
        )


@lru_cache(maxsize=1)
def shipped_gazetteer() -> Gazetteer:
    """The gazetteer shipped in archive/vocab/places.json."""
    return Gazetteer.load()


# --- variants across scripts -------------------------------------------------------------------------------------

_LATIN_TO_CYRILLIC = [  # longest first: a reading of Latin spellings of Russian and Koryo-saram names
    ("shch", "щ"),
    ("sch", "щ"),
    ("kh", "х"),
    ("ts", "ц"),
    ("tz", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("zh", "ж"),
    ("yu", "ю"),
    ("ju", "ю"),
    ("ya", "я"),
    ("ja", "я"),
    ("yo", "ё"),
    ("ye", "е"),
    ("ai", "ай"),
    ("ei", "ей"),
    ("oi", "ой"),
    ("ui", "уй"),
    ("ay", "ай"),
    ("ey", "ей"),
    ("oy", "ой"),
    ("iy", "ий"),
    ("yi", "ый"),
    ("a", "а"),
    ("b", "б"),
    ("v", "в"),
    ("w", "в"),
    ("g", "г"),
    ("d", "д"),
    ("e", "е"),
    ("z", "з"),
    ("i", "и"),
    ("j", "й"),
    ("k", "к"),
    ("q", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("f", "ф"),
    ("h", "х"),
    ("c", "ц"),
    ("y", "ы"),
    ("x", "кс"),
]
_CYRILLIC_SYSTEMS = ("ICAO_DOC_9303", "BGN_PCGN", "SCIENTIFIC", "WIKIPEDIA", "MVD_782", "GOST_779")


def _script(word: str) -> str:
    for c in word:
        if c.isalpha():
            name = unicodedata.name(c, "")
            if name.startswith("CYRILLIC"):
                return "cyrillic"
            if name.startswith("HANGUL"):
                return "hangul"
            if name.startswith("LATIN"):
                return "latin"
    return "other"


@lru_cache(maxsize=50_000)
def transliterations(word: str) -> frozenset[str]:
    """Spell a word in the other scripts, the ways people actually do: Russian romanizations (ICAO passports,
    BGN/PCGN, scholarly, Wikipedia, older Soviet passports), a reading of Latin back into Cyrillic, and Hangul in
    Revised Romanization."""
    import iuliia

    script = _script(word)
    found: set[str] = set()
    if script == "cyrillic":
        russian = word.translate(_KAZAKH_UZBEK)  # the Russian systems know no қ or ў
        for system in _CYRILLIC_SYSTEMS:
            found.add(getattr(iuliia, system).translate(russian))
        latin = fold(word)  # Kazakh or Uzbek: also as their Latin alphabets write it (Ушқоңыр, Ushqonyr)
        if russian != word and latin not in {fold(f) for f in found}:
            found.add(latin.upper() if word.isupper() else latin.capitalize() if word[:1].isupper() else latin)
    elif script == "latin":
        text = fold(word).replace(" ", "")
        out, i = [], 0
        while i < len(text):
            for latin, cyrillic in _LATIN_TO_CYRILLIC:
                if text.startswith(latin, i):
                    out.append(cyrillic)
                    i += len(latin)
                    break
            else:
                out.append(text[i])
                i += 1
        found.add("".join(out))
    elif script == "hangul":
        from hangul_romanize import Transliter
        from hangul_romanize.rule import academic

        found.add(Transliter(academic).translit(word))
    found.discard(word)
    return frozenset(v for v in found if v.strip())


@dataclass(frozen=True)
class Surname:
    """One Korean family name and every spelling of it."""

    id: str
    hangul: str
    forms: tuple

    def label(self) -> str:
        return self.forms[0] if self.forms else self.id


class Surnames(_Spellings):
    """The surname vocabulary: which spellings are one family name."""

    def __init__(self, surnames: list[Surname]):
        self.surnames = {s.id: s for s in surnames}
        super().__init__(self.surnames, lambda s: {*s.forms, s.hangul, s.id}, cutoff=0.75)

    def in_name(self, name: str) -> list[Surname]:
        """The family names a person's name holds, word by word, in any script ("Ким Анна Петровна", "Anna Kim");
        a name in Hangul written without spaces (김안나) is tried by its first syllable or two, as Korean names begin
        with the family name."""
        found: list[Surname] = []
        for word in _SEPARATORS_RE.split(name):
            tries = [word]
            if len(word) > 2 and all("\uac00" <= c <= "\ud7a3" for c in word):  # Hangul syllables only
                tries += [word[:2], word[:1]]
            for attempt in tries:
                matched = [s for s in self.match(attempt) if s not in found] if attempt else []
                if matched:
                    found.extend(matched)
                    break
        return found

    @classmethod
    def load(cls, path: Path = VOCAB / "surnames.json") -> Surnames:
        if not Path(path).exists():
            return cls([])
        return cls.from_data(json.loads(Path(path).read_text("utf-8")))

    @classmethod
    def from_data(cls, data: dict) -> Surnames:
        found = []
        for entry in data["surnames"]:
            forms = [
                *entry.get("cyrillic", []),
                *entry.get("latin", []),
                entry.get("rr", ""),
                entry.get("mr", ""),
                entry.get("hangul", ""),
                *entry.get("other", []),
            ]
            found.append(Surname(entry["id"], entry.get("hangul", ""), tuple(dict.fromkeys(f for f in forms if f))))
        return cls(found)


@lru_cache(maxsize=1)
def shipped_surnames() -> Surnames:
    """The surname vocabulary shipped in archive/vocab/surnames.json."""
    return Surnames.load()


def variants(word: str, gazetteer: Gazetteer | None = None, surnames: Surnames | None = None) -> list[str]:
    """Every spelling a searcher may mean by `word`: itself first, then its surname family, the names of the place
    it names, and its transliterations into other scripts."""
    gazetteer = gazetteer or shipped_gazetteer()
    surnames = surnames or shipped_surnames()
    found = [word]
    for surname in surnames.match(word):
        found.extend(surname.forms)
    for place in gazetteer.match(word):
        found.extend(place.names)
        found.extend(place.label.values())
    single = {fold(f) for f in found if len(fold(f).split()) == 1}
    # "Ushtobe station" adds nothing to "Ushtobe" but noise: a longer form is kept only if no word of it is a name
    found = [f for f in found if len(fold(f).split()) == 1 or not single & set(fold(f).split())]
    for spelling in list(found):
        if " " not in spelling and "-" not in spelling:
            found.extend(transliterations(spelling))
    return list(dict.fromkeys(found))
