"""Languages of the public pages: English strings in the code, a catalogue per other language beside it.

A catalogue is a JSON file in archive/translations/ named by its BCP 47 tag, mapping each English string to its
translation; a string missing from it is shown in English, so a new language can be added a page at a time.
Placeholders are written {name} and filled after translating.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

CATALOGUES = Path(__file__).parent / "translations"
DEFAULT = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    path = CATALOGUES / f"{lang}.json"
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def languages() -> list[str]:
    """The languages pages can be shown in: English and every catalogue shipped."""
    return [DEFAULT, *sorted(p.stem for p in CATALOGUES.glob("*.json"))]


def translate(text: str, lang: str, **values) -> str:
    """Translate an English string (falling back to it), then fill its {placeholders}."""
    found = catalogue(lang).get(text, text) if lang != DEFAULT else text
    return found.format(**values) if values else found


NAMES = {"en": "English", "ru": "Русский", "ko": "한국어"}
