"""Recordings: sound and video files told by their content, probed with PyAV, and read back as an interview's parts.

A file is first named by its opening bytes (`sniff`: cheap, so a batch can sort transcripts from recordings), then
opened with PyAV (FFmpeg's demuxers and decoders, brought by its wheels) and checked (`probe`):

- its container is one the archive accepts (audio: MP3, M4A/AAC, Ogg with Vorbis, Opus or FLAC, WAV, FLAC; video:
  MP4 and WebM) and is the one its first bytes named;
- it has a sound or picture stream, and a length above zero and below `LONGEST` (a longer one is a damaged header);
- its first frame decodes, and so does its end: the file is sought to `TAIL` seconds before the length its header
  states and decoded from there to the last packet. A file cut short (a copy stopped half way, a WAV whose header
  still counts every sample) ends well before the stated length, or not at all, and is refused; so is one whose
  packets no longer decode. This costs a seek and a few seconds of decoding whatever the file's length, and it
  says only what it checked: the middle of a file is not decoded, so damage there is found by the player.

Nothing here writes: the originals are kept byte for byte by the callers (ingest, the services), with the
sha256 this module reports. `parts(record)` is how every other module reads an interview's recordings, including
the single `audio` of records made before there could be several.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import av

from .collection import Collection, sha256_file
from .errors import ArchiveError, Message
from .i18n import N_

LONGEST = 48 * 3600.0  # seconds: a recording said to be longer has a damaged header
TAIL = 3.0  # seconds decoded at the end of a file
SHORTFALL = 0.02  # a decoded end may fall this share of the length (at least one second) short of the stated one

# container name (and extension of the kept original) -> (content type as audio, content type as video or None)
CONTAINERS = {
    "mp3": ("audio/mpeg", None),
    "wav": ("audio/wav", None),
    "ogg": ("audio/ogg", None),
    "flac": ("audio/flac", None),
    "m4a": ("audio/mp4", "video/mp4"),
    "webm": ("audio/webm", "video/webm"),
}
# PyAV's name of the demuxer that must have read each container
_DEMUXERS = {"mp3": "mp3", "wav": "wav", "ogg": "ogg", "flac": "flac", "m4a": "mov", "webm": "matroska"}
ACCEPTED = N_("MP3, M4A, Ogg, WAV or FLAC sound, or MP4 or WebM video")


class RecordingError(ArchiveError):
    """A file given as a recording cannot be used; the message names the file."""

    code = "recording-unusable"


def sniff(head: bytes) -> str | None:
    """Name the container a file's first bytes (32 are enough) announce, or None: a cheap guess that `probe`
    confirms."""
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 in (0xE2, 0xE4, 0xE6)):
        return "mp3"  # an ID3 tag, or an MPEG audio frame header (sync bits, layer III, II or I)
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head[4:8] == b"ftyp":
        return "m4a"  # ISO base media (MP4, M4A, MOV): whether it holds a picture is told by probe
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head:
        return "webm"  # an EBML header whose document type is WebM (not any Matroska file)
    return None


@dataclass(frozen=True)
class Probe:
    """What a recording is: the facts a part of an interview records (see `part`)."""

    container: str  # a key of CONTAINERS, also the extension of the kept original
    kind: str  # "audio" or "video"
    type: str  # its content type
    duration: float
    bytes: int
    sha256: str
    audio: dict | None  # {"codec", "channels", "sample_rate"}
    video: dict | None  # {"codec", "width", "height"}

    def part(self, number: int, file: str, offset: float) -> dict:
        """The part this recording becomes when it is the `number`th of an interview, starting at `offset`."""
        return {
            "part": number,
            "file": Path(file).name,
            "original": f"original/recording-{number}.{self.extension}",
            "type": self.type,
            "kind": self.kind,
            "container": self.container,
            "duration": self.duration,
            "offset": round(offset, 3),
            "bytes": self.bytes,
            "sha256": self.sha256,
            "audio": self.audio,
            "video": self.video,
        }

    @property
    def extension(self) -> str:
        return "mp4" if self.container == "m4a" and self.kind == "video" else self.container


def probe(source: Path | bytes, name: str) -> Probe:
    """Tell and check a recording (see the module's description), or raise RecordingError naming `name`."""
    name = Path(name).name or Message(N_("the recording"))
    data = source if isinstance(source, bytes) else None
    with io.BytesIO(data) if data is not None else Path(source).open("rb") as stream:
        container = sniff(stream.read(32))
        if container is None:
            raise RecordingError(
                N_("{name} is not a recording this archive takes ({kinds})"), name=name, kinds=Message(ACCEPTED)
            )
        stream.seek(0)
        digest, size = hashlib.sha256(), 0
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
        stream.seek(0)
        if not _whole(container, stream, size):
            raise RecordingError(N_("{name} is cut short or damaged: its end is missing"), name=name)
        stream.seek(0)
        try:
            with av.open(stream, mode="r") as media:
                return _check(media, container, name, size, digest.hexdigest())
        except RecordingError:
            raise
        except Exception:  # noqa: BLE001 - whatever a damaged file makes FFmpeg or PyAV raise, the file is refused
            # FFmpeg's own reason is in English and names paths: the person is told what it means for them
            raise RecordingError(
                N_("{name} cannot be read as a recording: it is damaged or cut short"), name=name
            ) from None


def _whole(container: str, stream, size: int) -> bool:
    """What FFmpeg forgives in the two containers whose length it takes from the file itself: a WAV whose data chunk
    counts more bytes than follow it (FFmpeg reads what is there), and an Ogg stream whose last page is not marked as
    the last (FFmpeg takes the last page it finds for the end)."""
    if container == "wav":
        stream.seek(12)
        while True:
            chunk = stream.read(8)
            if len(chunk) < 8:
                return False  # no data chunk at all
            kind, length = chunk[:4], int.from_bytes(chunk[4:], "little")
            if kind == b"data":
                # 0 and 0xFFFFFFFF are what recorders that stream write when they cannot go back to count
                return length in (0, 0xFFFFFFFF) or stream.tell() + length <= size
            stream.seek(length + (length & 1), 1)
    if container == "ogg":
        stream.seek(max(0, size - 65536))
        tail = stream.read()
        last = tail.rfind(b"OggS")
        while last >= 0 and len(tail) - last < 27:  # a page header cut short: look at the page before it
            last = tail.rfind(b"OggS", 0, last)
        if last < 0:
            return False
        header = tail[last : last + 27]
        segments = tail[last + 27 : last + 27 + header[26]]
        complete = len(segments) == header[26] and last + 27 + header[26] + sum(segments) <= len(tail)
        return complete and bool(header[5] & 0x04)  # the page is whole and flagged "end of stream"
    return True


def _check(media, container: str, name: str, size: int, sha256: str) -> Probe:
    if _DEMUXERS[container] not in media.format.name.split(","):
        raise RecordingError(
            N_("{name} is not a recording this archive takes ({kinds})"), name=name, kinds=Message(ACCEPTED)
        )
    sound = next(iter(media.streams.audio), None)
    # a picture that is only an album cover (an MP3's or M4A's attached picture) does not make a video
    picture = next((s for s in media.streams.video if not s.disposition & av.stream.Disposition.attached_pic), None)
    if sound is None and picture is None:
        raise RecordingError(N_("{name} holds neither sound nor pictures"), name=name)
    kind = "video" if picture is not None else "audio"
    audio_type, video_type = CONTAINERS[container]
    if kind == "video" and video_type is None:
        raise RecordingError(
            N_("{name} is not a recording this archive takes ({kinds})"), name=name, kinds=Message(ACCEPTED)
        )
    duration = _stated_duration(media, sound or picture)
    if duration is None or duration <= 0:
        raise RecordingError(N_("{name} has no length that can be read; it may be damaged"), name=name)
    if duration > LONGEST:
        raise RecordingError(N_("{name} claims to last over 48 hours; its header is damaged"), name=name)
    main = sound if sound is not None else picture
    if _first_frame(media, main) is None:
        raise RecordingError(N_("{name}: its beginning cannot be decoded; it may be damaged"), name=name)
    end = _decoded_end(media, main, duration)
    if end is None or end < duration - max(1.0, SHORTFALL * duration):
        raise RecordingError(
            N_("{name} ends before the length it states ({length} seconds): it is cut short or damaged"),
            name=name,
            length=round(duration, 1),
        )
    return Probe(
        container=container,
        kind=kind,
        type=video_type if kind == "video" else audio_type,
        duration=round(duration, 3),
        bytes=size,
        sha256=sha256,
        audio=(
            {"codec": sound.codec_context.name, "channels": sound.codec_context.channels, "sample_rate": sound.rate}
            if sound is not None
            else None
        ),
        video=(
            {"codec": picture.codec_context.name, "width": picture.width, "height": picture.height}
            if picture is not None
            else None
        ),
    )


def _stated_duration(media, stream) -> float | None:
    if media.duration is not None and media.duration > 0:
        return media.duration / av.time_base
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def _frame_end(frame, stream) -> float | None:
    if frame.pts is None or frame.time_base is None:
        return None
    start = float(frame.pts * frame.time_base)
    if getattr(frame, "samples", None) and frame.sample_rate:
        return start + frame.samples / frame.sample_rate
    if frame.duration and frame.time_base is not None:
        return start + float(frame.duration * frame.time_base)
    rate = stream.average_rate or stream.guessed_rate
    return start + (1 / float(rate) if rate else 0.0)


def _first_frame(media, stream):
    for packet in media.demux(stream):
        for frame in packet.decode():
            return frame
        if packet.dts is None and packet.size == 0:
            break  # the end, with nothing decoded
    return None


def _decoded_end(media, stream, duration: float) -> float | None:
    """Seek to TAIL seconds before the stated end and decode to the last packet; the time the last frame ends.
    Packets before the sought time (a container that cannot seek starts again from the beginning) are read but not
    decoded, so a long file costs a read, never a full decoding."""
    target = max(0.0, duration - TAIL)
    start_time = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    try:
        media.seek(int((target + start_time) * av.time_base), backward=True, any_frame=False)
    except av.FFmpegError:
        media.seek(0)
    stream.codec_context.flush_buffers()
    end = None
    decoding = False
    for packet in media.demux(stream):
        if not decoding and packet.pts is not None and packet.time_base is not None:
            # begin one second early, so that a codec that needs a few packets to settle has them
            decoding = float(packet.pts * packet.time_base) - start_time >= target - 1.0
        if not decoding and packet.size:
            continue
        for frame in packet.decode():
            got = _frame_end(frame, stream)
            if got is not None:
                end = max(end or 0.0, got - start_time)
    return end


def parts(record: dict) -> list[dict]:
    """An interview's recordings in order, each a part as the record layout says (`Probe.part`). A record made
    before there could be several has one `audio`: it is read as one audio part whose length is not known (None),
    starting at 0."""
    if record.get("recordings"):
        return [dict(p) for p in sorted(record["recordings"], key=lambda p: p["part"])]
    old = record.get("audio")
    if not old:
        return []
    return [
        {
            "part": 1,
            "file": old.get("file", ""),
            "original": old["original"],
            "type": old["type"],
            "kind": "audio",
            "container": Path(old["original"]).suffix.lstrip("."),
            "duration": None,
            "offset": 0.0,
            "bytes": None,
            "sha256": None,
            "audio": None,
            "video": None,
        }
    ]


def part(record: dict, number: int) -> dict | None:
    """One part by its number, or None."""
    return next((p for p in parts(record) if p["part"] == number), None)


def numbered(probes: list[tuple[Probe, str]], first: int = 1, offset: float = 0.0) -> list[dict]:
    """Parts for recordings given in order (each with its file name), numbered from `first`, their offsets
    continuing from `offset` (the end of the parts before them)."""
    made = []
    for number, (found, file) in enumerate(probes, first):
        made.append(found.part(number, file, offset))
        offset += found.duration
    return made


def end(record: dict) -> float | None:
    """The continuous time at which the last part ends, or None when a length is unknown."""
    known = parts(record)
    if not known or known[-1]["duration"] is None:
        return None
    return round(known[-1]["offset"] + known[-1]["duration"], 3)


def add(collection: Collection, interview_id: str, given: list[tuple[Path | bytes, str]], author: str) -> list[dict]:
    """Add recordings (each a file and its name, in order) after an interview's last part, keeping each original
    byte for byte, in one write of its record and files (a new version, with history). Every file is probed before
    anything is written. A record with a single old-style `audio` becomes its first part, probed for the length the
    new parts continue from. Returns the parts added."""
    if not given:
        raise RecordingError(N_("choose at least one recording"), "recordings")
    found = [(probe(source, file_name), file_name) for source, file_name in given]
    stored = collection.read("interviews", interview_id, "interview.json")
    record = stored.json()
    before = parts(record)
    if before and before[-1]["duration"] is None:
        # an old record: its one recording is probed now, so the new parts know where they begin
        old = before[0]
        checked = probe(collection.path("interviews", interview_id, old["original"]), old["file"] or old["original"])
        before = [{**checked.part(1, old["file"] or Path(old["original"]).name, 0.0), "original": old["original"]}]
    start = end({"recordings": before}) or 0.0
    added = numbered(found, first=len(before) + 1, offset=start)
    record = {k: v for k, v in record.items() if k != "audio"}
    record["recordings"] = before + added
    changes: dict[str, bytes | Path] = {
        "interview.json": (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    }
    expected: dict[str, str | None] = {"interview.json": stored.version}
    for made, (source, _name) in zip(added, given, strict=True):
        changes[made["original"]] = source
        expected[made["original"]] = None  # a new file: a part added meanwhile by someone else is a conflict
    collection.write("interviews", interview_id, changes, author, expected, action="added-recording")
    return added


def replace(
    collection: Collection, interview_id: str, number: int, source: Path | bytes, name: str, author: str, version: str
) -> dict:
    """Replace one part's recording with a new file, probed first (the same refusals as adding one): its original
    is a new version of the old one (history keeps it, also when its container and so its name change), the part's
    facts (length, codecs, size, sha256) are those of the new file, and the parts after it start where it now ends.
    One write of the record and the files, with the action "replaced-recording"; `version` is the interview.json
    read (a change made since is a conflict). Returns the new part."""
    found = probe(source, name)
    stored = collection.read("interviews", interview_id, "interview.json")
    record = stored.json()
    before = parts(record)
    old = next((p for p in before if p["part"] == number), None)
    if old is None:
        raise RecordingError(N_("This interview has no recording {number}."), "recording", number=number)
    new = found.part(number, name, old["offset"])
    after, offset = [], 0.0
    for p in before:
        p = new if p["part"] == number else {**p, "offset": round(offset, 3)}
        after.append(p)
        offset += p["duration"] or 0.0  # only an old record's single recording has no known length
    record = {k: v for k, v in record.items() if k != "audio"}
    record["recordings"] = after
    changes: dict[str, bytes | Path | None] = {
        "interview.json": (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
        new["original"]: source,
    }
    expected: dict[str, str | None] = {"interview.json": version}
    for path in {new["original"], old["original"]}:
        target = collection.folder("interviews", interview_id) / path
        expected[path] = sha256_file(target) if target.is_file() else None
    if old["original"] != new["original"] and expected[old["original"]] is not None:
        changes[old["original"]] = None  # its history keeps it
    collection.write("interviews", interview_id, changes, author, expected, action="replaced-recording")
    return new
