"""Short recordings made for tests: tones written with the stdlib `wave` module or encoded with PyAV's own encoders.

Each function writes a file at `path` and returns the path. Every file is a few seconds of a sine tone (and, for
video, a few plain-coloured frames), so a test can check lengths, codecs and loudness without shipping media.
"""

from __future__ import annotations

import math
import struct
import wave
from array import array
from fractions import Fraction
from pathlib import Path

import av

# kind -> (audio codec, sample format its encoder takes, channel layout): the sound kinds the archive accepts, with
# encoders PyAV's wheels bring (FFmpeg's own Vorbis encoder is experimental and writes stereo only)
SOUND = {
    "mp3": ("libmp3lame", "s16p", "mono"),
    "m4a": ("aac", "fltp", "mono"),
    "ogg": ("vorbis", "fltp", "stereo"),
    "opus": ("libopus", "s16", "mono"),
    "flac": ("flac", "s16", "mono"),
}


def tone(seconds: float, freq: float = 440.0, rate: int = 8000, amplitude: float = 0.5) -> array:
    """A sine tone as 16-bit samples (silence when freq is 0)."""
    step = 2 * math.pi * freq / rate
    return array("h", (round(math.sin(step * i) * amplitude * 32767) for i in range(round(seconds * rate))))


def wav(path: Path, seconds: float, freq: float = 440.0, rate: int = 8000, channels: int = 1) -> Path:
    """A PCM WAV file of a tone, written with the stdlib."""
    samples = tone(seconds, freq, rate)
    with wave.open(str(path), "wb") as recording:
        recording.setnchannels(channels)
        recording.setsampwidth(2)
        recording.setframerate(rate)
        frames = array("h", (v for v in samples for _ in range(channels)))
        recording.writeframes(frames.tobytes())
    return Path(path)


def wav_bytes(seconds: float, freq: float = 440.0, rate: int = 8000) -> bytes:
    """A PCM WAV file's bytes, mono 16-bit."""
    data = tone(seconds, freq, rate).tobytes()
    header = struct.pack("<4sI4s", b"RIFF", 36 + len(data), b"WAVE")
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + fmt + struct.pack("<4sI", b"data", len(data)) + data


def sound(path: Path, seconds: float, kind: str = "mp3", freq: float = 440.0, rate: int = 48000) -> Path:
    """A tone encoded with PyAV: kind is a key of SOUND (mp3, m4a, ogg, opus, flac)."""
    codec, sample_format, layout = SOUND[kind]
    container_format = {"m4a": "ipod", "opus": "ogg"}.get(kind, kind)
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout, options={"strict": "experimental"})
        _write_sound(out, stream, tone(seconds, freq, rate), rate, sample_format, layout)
    return Path(path)


def video(path: Path, seconds: float, freq: float = 440.0, size: tuple[int, int] = (160, 96), fps: int = 10) -> Path:
    """A small video with a tone: MP4 (H.264 and AAC) for a .mp4 path, WebM (VP8 and Opus) for a .webm one."""
    webm = Path(path).suffix == ".webm"
    rate = 48000
    with av.open(str(path), "w") as out:
        picture = out.add_stream("libvpx" if webm else "libx264", rate=fps)
        picture.width, picture.height = size
        picture.pix_fmt = "yuv420p"
        sound_stream = out.add_stream("libopus" if webm else "aac", rate=rate, layout="mono")
        frames = round(seconds * fps)
        for i in range(frames):
            frame = av.VideoFrame(size[0], size[1], "yuv420p")
            for plane, value in zip(frame.planes, ((i * 23) % 256, 128, 128), strict=True):
                plane.update(bytes([value]) * plane.buffer_size)
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in picture.encode(frame):
                out.mux(packet)
        for packet in picture.encode():
            out.mux(packet)
        _write_sound(out, sound_stream, tone(seconds, freq, rate), rate, "s16" if webm else "fltp")
    return Path(path)


def _write_sound(out, stream, samples: array, rate: int, sample_format: str, layout: str = "mono") -> None:
    chunk = 1024
    for start in range(0, len(samples), chunk):
        piece = samples[start : start + chunk]
        if sample_format in ("fltp", "flt"):
            piece = array("f", (v / 32767 for v in piece))
        frame = av.AudioFrame(format=sample_format, layout=layout, samples=len(piece))
        for plane in frame.planes:  # planar stereo: the same tone in both channels
            plane.update(piece.tobytes())
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def cut(path: Path, share: float = 0.5) -> Path:
    """Keep only the first `share` of a file's bytes, as a copy stopped half way would."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * share)])
    return Path(path)
