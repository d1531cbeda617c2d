"""An interview's recordings as parts in order (issue 15's shared contract).

STAND-IN written by the "player" branch: only `parts(record)`, as the contract describes it, so that the interview
page can render its players before the "rec" branch lands; the lead keeps rec's module at the merge.
"""

from __future__ import annotations


def parts(record: dict) -> list[dict]:
    """The recording's parts, each with its number, content type, kind, duration (seconds or None) and offset (the
    continuous time at which it starts). A legacy record's single `audio` is one audio part of unknown length."""
    listed = record.get("recordings")
    if listed:
        return [dict(p) for p in sorted(listed, key=lambda p: p["part"])]
    sound = record.get("audio")
    if not sound:
        return []
    return [
        {
            "part": 1,
            "file": sound.get("file"),
            "original": sound.get("original"),
            "type": sound.get("type"),
            "kind": "audio",
            "duration": None,
            "offset": 0.0,
        }
    ]
