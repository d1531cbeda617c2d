"""An interview's recordings as parts in continuous time (issue 15's shared contract).

STAND-IN written by the "sound" branch: only `parts(record)`, as the contract gives it. The "rec" branch owns this
module (probing, ingest, serving); at the merge its version replaces this one.
"""

from __future__ import annotations

from collections.abc import Mapping


def parts(record: Mapping) -> list[dict]:
    """The recording's parts in order: `record["recordings"]` as stored, or a legacy `record["audio"]` read as one
    audio part of unknown duration starting at 0."""
    stored = record.get("recordings")
    if stored:
        return [dict(p) for p in stored]
    audio = record.get("audio")
    if not audio:
        return []
    return [
        {
            "part": 1,
            "file": audio.get("file"),
            "original": audio["original"],
            "type": audio.get("type"),
            "kind": "audio",
            "duration": None,
            "offset": 0.0,
        }
    ]
