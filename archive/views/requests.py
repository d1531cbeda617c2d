"""What the app accepts of a request before any view reads it: hostile shapes become a clear 400, never a 500.

A multipart part without a name (which WTForms' FieldList cannot iterate) is dropped; JSON nested deeper than
MAX_JSON_DEPTH is refused as unreadable, since nothing the archive takes is that deep and the parsers that walk it
recurse.
"""

from __future__ import annotations

from flask import Request
from flask.json.provider import DefaultJSONProvider

MAX_JSON_DEPTH = 64


class ArchiveRequest(Request):
    """Flask's request, with form parts that have no field name left out."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for attribute in ("form", "files"):
            data = self.__dict__.get(attribute)
            if data is not None and None in data:
                for dropped in data.getlist(None):
                    if hasattr(dropped, "close"):
                        dropped.close()  # a file nobody will read (and request.close() will not see)
                self.__dict__[attribute] = type(data)(
                    (key, value) for key, value in data.items(multi=True) if key is not None
                )


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing (as a ValueError, which Flask answers with 400) documents nested too deeply."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep") from None
        if depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        return value


def depth(value) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if level <= MAX_JSON_DEPTH:
            stack.extend((child, level + 1) for child in children)
    return deepest
