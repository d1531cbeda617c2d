"""SRT subtitles: numbered cues with `hh:mm:ss,mmm` timings; read by the same code as WebVTT."""

from . import Transcript, encoding
from .vtt import parse


def read(data: bytes) -> Transcript:
    text, notes = encoding.decode(data)
    return parse(text, "srt", notes)
