"""Writing XML that every parser reads: the one way the archive serialises an ElementTree.

ElementTree escapes text and attribute values but not names, and writes control characters that XML 1.0 forbids
(one `\\x01` in a narrator's name makes a whole OAI-PMH answer unreadable). `document()` strips those characters from
every text, tail and attribute value, and refuses a tag or attribute name that is not a plain XML name, so nothing
from outside can ever become markup.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, tostring

# What XML 1.0 allows is tab, newline, carriage return and U+0020 on, less surrogates and U+FFFE/U+FFFF; C1 controls
# are allowed but mean nothing in text, so they go too.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?")


def clean(text: str | None) -> str | None:
    """Remove the characters XML cannot carry."""
    return _FORBIDDEN.sub("", text) if text else text


def document(root: Element) -> bytes:
    """Serialise a tree as a UTF-8 document, control characters stripped; ValueError on a name that is not ours."""
    for element in root.iter():
        if not isinstance(element.tag, str) or not _NAME.fullmatch(element.tag):
            raise ValueError(f"not an XML element name: {element.tag!r}")
        for name in element.attrib:
            if not _NAME.fullmatch(name):
                raise ValueError(f"not an XML attribute name: {name!r}")
        element.attrib.update({name: clean(value) for name, value in element.attrib.items()})
        element.text, element.tail = clean(element.text), clean(element.tail)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")
