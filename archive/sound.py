"""Recordings as readers hear them: streaming copies, and public copies in which redacted passages are silent.

Two kinds of copy are made from a part's original, by jobs (never in a request) and by `archive derive`, in the
interview's `derived/` folder (outside the manifest, like every derivative: they can always be made again):

- `derived/recording-<part>.stream.<ext>`: a streaming copy, made where the original does not play in browsers or is
  large: Opus in Ogg for sound; for video an H.264/AAC MP4 (no more than `MAX_WEB_HEIGHT` lines when made for size).
- `derived/recording-<part>.public.<ext>`: the public copy, in which the time ranges of redacted passages are
  silenced (the samples set to zero, not a tone); the frames of a video are kept as they are, only its sound is
  re-encoded. Made from the original, in a form browsers play.

What was made, and from what, is described in `derived/recordings.json`: per part, "stream" and "public", each with
its "path", content "type" and the fingerprint of the "source" it was made from; the public copy also with the
fingerprint of the redacted time ranges it silences ("redactions"). A copy whose fingerprints do not match the
recording and the redactions as they are now is never given to a reader.

Redacted time ranges are in continuous time (the time of segments across all parts): a redacted passage covers
its segments, from the first one's start to the last one's end (its `end`, else the next segment's start, else the
end of the recording), and is mapped onto each part by the part's offset and duration. A passage without times
cannot be silenced, so the whole recording is withheld from readers while it is redacted; `playable` decides, and
never fails open. Everything is decoded and encoded frame by frame: no file is ever held whole in memory.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from filelock import FileLock

from . import access, annotations, interviews, recordings, redaction
from .collection import DERIVED, Collection
from .errors import ArchiveError
from .i18n import N_

DESCRIPTION = f"{DERIVED}/recordings.json"
LOCK = f"{DERIVED}/.recordings.lock"
MAX_WEB_HEIGHT = 720  # lines of a web copy made because the original video is too large

NO_RECORDING = N_("This interview has no such recording.")
UNTIMED = N_(
    "The recording is withheld: a passage that is not shown has no times, so it cannot be made silent in the sound."
)
PREPARING = N_(
    "The recording cannot be heard yet: a copy in which the passages that are not shown are silent is being made."
)

# What browsers play, by PyAV's name of the container: the codecs of sound, and of pictures, each may hold.
_MP4 = "mov,mp4,m4a,3gp,3g2,mj2"
_WEBM = "matroska,webm"
PLAYS_AUDIO = {"mp3": {"mp3"}, "ogg": {"opus", "vorbis"}, _MP4: {"aac", "mp3"}, _WEBM: {"opus", "vorbis"}}
PLAYS_VIDEO = {_MP4: {"h264"}, _WEBM: {"vp8", "vp9", "av1"}}
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)

Range = tuple[float, float | None]  # seconds, from start to end (None: to the end of the recording)


class SoundError(ArchiveError):
    """A recording could not be read or a copy of it made."""

    code = "recording-unusable"


class Cancelled(Exception):
    """The job that asked for a copy was cancelled; the unfinished copy is removed."""


@dataclass(frozen=True)
class Settings:
    """When an original counts as large: sound over `audio_mb`, video over `video_mb` (megabytes)."""

    audio_mb: float = 100
    video_mb: float = 500

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(float(config["ARCHIVE_STREAM_AUDIO_MB"]), float(config["ARCHIVE_STREAM_VIDEO_MB"]))


@dataclass(frozen=True)
class Probe:
    """What a recording holds, as FFmpeg (through PyAV) reads it."""

    container: str
    duration: float | None
    audio: str | None  # codec name
    channels: int
    rate: int
    video: str | None
    width: int
    height: int


@dataclass(frozen=True)
class Plan:
    """How to make a copy: the container (muxer, extension, content type), the sound's encoder and what to do with
    the pictures ("copy" the packets, "encode" them again, or None: leave them out)."""

    muxer: str
    ext: str
    type: str
    audio: str
    video: str | None = None
    max_height: int | None = None

    @property
    def options(self) -> dict:
        return {"movflags": "+faststart"} if self.muxer == "mp4" else {}  # the index first: seeking at once


OPUS_OGG = Plan("ogg", "ogg", "audio/ogg", "libopus")


# --- reading --------------------------------------------------------------------------------------------------------


def probe(path: Path) -> Probe:
    """Read a recording's container, duration and streams, or raise SoundError."""
    try:
        with av.open(str(path)) as container:
            audio = container.streams.audio[0] if container.streams.audio else None
            video = container.streams.video[0] if container.streams.video else None
            if audio is None and video is None:
                raise SoundError(N_("This file holds neither sound nor pictures."))
            return Probe(
                container=container.format.name,
                duration=container.duration / av.time_base if container.duration else None,
                audio=audio.codec_context.name if audio else None,
                channels=audio.codec_context.channels if audio else 0,
                rate=audio.codec_context.sample_rate if audio else 0,
                video=video.codec_context.name if video else None,
                width=video.codec_context.width if video else 0,
                height=video.codec_context.height if video else 0,
            )
    except av.error.FFmpegError:
        raise SoundError(N_("This recording cannot be read.")) from None


def plays_in_browsers(found: Probe) -> bool:
    if found.video and found.video not in PLAYS_VIDEO.get(found.container, ()):
        return False
    return not found.audio or found.audio in PLAYS_AUDIO.get(found.container, ())


def stream_plan(found: Probe, size: int, settings: Settings) -> Plan | None:
    """How to make the streaming copy of an original, or None when the original is what browsers get."""
    plays = plays_in_browsers(found)
    if found.video:
        if plays and size <= settings.video_mb * 2**20:
            return None
        return Plan("mp4", "mp4", "video/mp4", "aac", "encode", None if not plays else MAX_WEB_HEIGHT)
    if plays and size <= settings.audio_mb * 2**20:
        return None
    return OPUS_OGG


def public_plan(found: Probe) -> Plan:
    """How to make the public copy: sound as Opus in Ogg; a video keeps its pictures when browsers play them."""
    if not found.video:
        return OPUS_OGG
    if not plays_in_browsers(found):
        return Plan("mp4", "mp4", "video/mp4", "aac", "encode")
    if found.container == _WEBM:
        return Plan("webm", "webm", "video/webm", "libopus", "copy")
    return Plan("mp4", "mp4", "video/mp4", "aac", "copy")


# --- redacted time ranges -------------------------------------------------------------------------------------------


def redacted_ranges(segments: list[dict], items: Iterable[dict]) -> list[Range] | None:
    """The continuous time ranges the redactions cover, merged and in order; None when a redacted passage (or a
    segment within it) has no time, so that only withholding the whole recording keeps it unheard."""
    spans = redaction.spans(list(items), segments)
    if not spans:
        return []
    starts = interviews.transcript_text(segments)[1]
    found: list[Range] = []
    for start, end in spans:
        covered = [
            i
            for i, offset in enumerate(starts)
            if offset < max(end, start + 1) and offset + len(segments[i]["text"]) >= start
        ]
        if not covered:
            continue
        if any(segments[i].get("start") is None for i in covered):
            return None
        last = covered[-1]
        until = segments[last].get("end")
        if until is None:
            later = [s["start"] for s in segments[last + 1 :] if s.get("start") is not None]
            until = later[0] if later else None
        found.append((float(segments[covered[0]]["start"]), None if until is None else float(until)))
    return merge(found)


def merge(ranges: Iterable[Range]) -> list[Range]:
    """Ranges in order, overlapping ones joined."""
    merged: list[list] = []
    for start, end in sorted(ranges, key=lambda r: r[0]):
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            if merged[-1][1] is not None:
                merged[-1][1] = None if end is None else max(merged[-1][1], end)
            continue
        merged.append([start, end])
    return [(s, e) for s, e in merged]


def ranges(collection: Collection, interview_id: str) -> list[Range] | None:
    """The interview's redacted time ranges as they are now (see `redacted_ranges`)."""
    return redacted_ranges(interviews.segments(collection, interview_id), annotations.items(collection, interview_id))


def local_ranges(part: dict, continuous: Sequence[Range], last: bool = False) -> list[Range]:
    """The ranges that fall within one part, in the part's own time. A probed length may be a little short (an MP3
    without a length header is estimated), so a part reaches a margin beyond it, and the last part, or one of
    unknown length, reaches to the end of time: a passage timed beyond the recording is silenced there too (nothing
    to silence, but readers wait for the public copy), never played on the strength of a length."""
    offset = float(part.get("offset") or 0.0)
    duration = part.get("duration")
    ends = math.inf if last or duration is None else offset + float(duration) + max(1.0, 0.02 * float(duration))
    found: list[Range] = []
    for start, end in continuous:
        low, high = max(start, offset), min(math.inf if end is None else end, ends)
        if low < high:
            found.append((round(low - offset, 3), None if high == math.inf else round(high - offset, 3)))
    return found


def fingerprint(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:32]


def source_print(folder: Path, part: dict) -> str:
    """What names one original: its path, size and digest (or modification time, when the record has no digest)."""
    stat = (folder / part["original"]).stat()
    return fingerprint([part["original"], stat.st_size, part.get("sha256") or stat.st_mtime_ns])


def redactions_print(local: Sequence[Range], source: str) -> str:
    return fingerprint([source, [[s, e] for s, e in local]])


# --- what a reader gets ---------------------------------------------------------------------------------------------


def descriptions(folder: Path) -> dict:
    try:
        found = json.loads((folder / DESCRIPTION).read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _current(folder: Path, entry: dict | None, source: str) -> tuple[Path, str] | None:
    if not entry or entry.get("source") != source:
        return None
    path = folder / entry["path"]
    return (path, entry["type"]) if path.is_file() else None


def playable(
    collection: Collection,
    interview_id: str,
    record: dict,
    part_no: int,
    reader_sees_redactions: bool,
    redaction_ranges: Sequence[Range] | None,
) -> tuple[Path, str] | str:
    """The file a reader gets for one part, with its content type; or why none (a marked message, to translate).

    Those who see redactions (staff) hear the original (its streaming copy when there is one). Others hear the part
    as it is when no redacted range falls in it; else its public copy, only if made from this original for exactly
    the ranges redacted now; and nothing while a redacted passage has no times (`redaction_ranges` None)."""
    every = recordings.parts(record)
    part = next((p for p in every if p.get("part") == part_no), None)
    if part is None:
        return NO_RECORDING
    folder = collection.folder("interviews", interview_id)
    if not (folder / part["original"]).is_file():
        return NO_RECORDING
    source = source_print(folder, part)
    described = descriptions(folder).get(str(part_no), {})
    heard = _current(folder, described.get("stream"), source) or (folder / part["original"], part["type"])
    if reader_sees_redactions:
        return heard
    if redaction_ranges is None:
        return UNTIMED
    local = local_ranges(part, redaction_ranges, last=part is every[-1])
    if not local:
        return heard
    public = described.get("public")
    if public and public.get("redactions") == redactions_print(local, source):
        made = _current(folder, public, source)
        if made:
            return made
    return PREPARING


def streams_missing(collection: Collection, interview_id: str, settings: Settings) -> bool:
    """Tell whether a part wants a streaming copy (a WAV, a FLAC, a large or unplayable video) that is not there
    for its original; it probes each part (a few hundredths of a second), so it is asked when recordings arrive."""
    if not collection.exists("interviews", interview_id):
        return False
    folder = collection.folder("interviews", interview_id)
    described = descriptions(folder)
    for part in recordings.parts(interviews.load(collection, interview_id).record):
        original = folder / part["original"]
        if not original.is_file():
            continue
        try:
            plan = stream_plan(probe(original), original.stat().st_size, settings)
        except SoundError:
            continue  # refused at ingest already; `archive derive` says so
        if plan is not None and not _current(
            folder, described.get(str(part["part"]), {}).get("stream"), source_print(folder, part)
        ):
            return True
    return False


def outdated(collection: Collection, interview_id: str) -> bool:
    """Tell whether a public copy is missing or stale for the redactions as they are now (or one is left over), so
    that a job should run; cheap enough to ask after every write of annotations or transcript."""
    if not collection.exists("interviews", interview_id):
        return False
    record = interviews.load(collection, interview_id).record
    parts = recordings.parts(record)
    if not parts:
        return False
    continuous = ranges(collection, interview_id)
    if continuous is None:
        return False  # nothing can be made: the recording stays withheld
    folder = collection.folder("interviews", interview_id)
    described = descriptions(folder)
    for part in parts:
        if not (folder / part["original"]).is_file():
            continue
        local = local_ranges(part, continuous, last=part is parts[-1])
        public = described.get(str(part["part"]), {}).get("public")
        if not local:
            if public:
                return True
            continue
        if not public or public.get("redactions") != redactions_print(local, source_print(folder, part)):
            return True
    return False


def interview_print(collection: Collection, interview_id: str) -> str:
    """One fingerprint of an interview's redacted ranges (a job's argument, so that a change queues a new job)."""
    continuous = ranges(collection, interview_id)
    return fingerprint(None if continuous is None else [[s, e] for s, e in continuous])


# --- making copies --------------------------------------------------------------------------------------------------


def derive(
    collection: Collection,
    interview_id: str,
    settings: Settings,
    force: bool = False,
    cancelled: Callable[[], bool] | None = None,
    rounds: int = 3,
) -> list[str]:
    """Bring an interview's streaming and public copies up to date (made when missing, stale or `force`d; removed
    when no longer needed); return the paths made. Safe to run twice, and beside another run: one at a time per
    interview. If the redactions change while copies are made, it goes round again (at most `rounds` times)."""
    if not collection.exists("interviews", interview_id):
        return []
    if access.deleted(interviews.load(collection, interview_id).record):
        return []  # a deleted interview's recordings are heard by nobody: no copies are made (a purge removed them)
    folder = collection.folder("interviews", interview_id)
    made: list[str] = []
    for _round in range(rounds):
        before = interview_print(collection, interview_id)
        record = interviews.load(collection, interview_id).record
        continuous = ranges(collection, interview_id)
        (folder / DERIVED).mkdir(exist_ok=True)
        with FileLock(str(folder / LOCK)):
            every = recordings.parts(record)
            for part in every:
                if (folder / part["original"]).is_file():
                    made += _derive_part(folder, part, continuous, settings, force, cancelled, part is every[-1])
        if interview_print(collection, interview_id) == before:
            break
        force = False
    return made


def _derive_part(
    folder: Path,
    part: dict,
    continuous: Sequence[Range] | None,
    settings: Settings,
    force: bool,
    cancelled: Callable[[], bool] | None,
    last: bool,
) -> list[str]:
    number, original = str(part["part"]), folder / part["original"]
    source = source_print(folder, part)
    described = descriptions(folder).get(number, {})
    found = probe(original)
    made = []
    plan = stream_plan(found, original.stat().st_size, settings)
    if plan is None:
        _forget(folder, number, "stream")
    elif force or not _current(folder, described.get("stream"), source):
        path = f"{DERIVED}/recording-{number}.stream.{plan.ext}"
        _publish(folder, number, "stream", path, plan, original, (), {"source": source}, cancelled)
        made.append(path)
    local = None if continuous is None else local_ranges(part, continuous, last)
    if local is None:
        return made  # the whole recording is withheld; a public copy made before stays unused until times exist
    if not local:
        _forget(folder, number, "public")
        return made
    wanted = redactions_print(local, source)
    public = described.get("public")
    if force or not public or public.get("redactions") != wanted or not _current(folder, public, source):
        plan = public_plan(found)
        path = f"{DERIVED}/recording-{number}.public.{plan.ext}"
        extra = {"source": source, "redactions": wanted, "silenced": [[s, e] for s, e in local]}
        _publish(folder, number, "public", path, plan, original, local, extra, cancelled)
        made.append(path)
    return made


def drop(collection: Collection, interview_id: str, number: int) -> None:
    """Remove one part's streaming and public copies (its recording was replaced: they were made from the old one),
    under the lock `derive` holds, so that no copy of the old recording stays on disk."""
    folder = collection.folder("interviews", interview_id)
    if not (folder / DERIVED).is_dir():
        return
    with FileLock(str(folder / LOCK)):
        for kind in ("stream", "public"):
            _forget(folder, str(number), kind)


def _publish(folder, number, kind, path, plan, original, silent, extra, cancelled) -> None:
    """Make a copy beside its place, then: forget the old one, put the new one in place, describe it; so that no
    reader is ever given a file its description does not match."""
    target = folder / path
    temporary = target.with_name(f".tmp-{target.name}")
    try:
        transcode(original, temporary, plan, silent, cancelled)
        with temporary.open("rb") as f:
            os.fsync(f.fileno())
        _forget(folder, number, kind, keep_file=True)
        for old in target.parent.glob(f"recording-{number}.{kind}.*"):
            if old.name != target.name:
                old.unlink(missing_ok=True)
        os.replace(temporary, target)
        _describe(folder, number, kind, {"path": path, "type": plan.type, **extra})
    finally:
        temporary.unlink(missing_ok=True)


def _describe(folder: Path, number: str, kind: str, entry: dict | None) -> None:
    found = descriptions(folder)
    if entry is None:
        if kind not in found.get(number, {}):
            return
        found[number].pop(kind)
    else:
        found.setdefault(number, {})[kind] = entry
    temporary = folder / f"{DESCRIPTION}.tmp"
    temporary.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", "utf-8")
    os.replace(temporary, folder / DESCRIPTION)


def _forget(folder: Path, number: str, kind: str, keep_file: bool = False) -> None:
    entry = descriptions(folder).get(number, {}).get(kind)
    _describe(folder, number, kind, None)
    if entry and not keep_file:
        (folder / entry["path"]).unlink(missing_ok=True)


def transcode(
    source: Path,
    target: Path,
    plan: Plan,
    silent: Sequence[Range] = (),
    cancelled: Callable[[], bool] | None = None,
) -> None:
    """Copy a recording into `plan`'s form, frame by frame, with the sound of the `silent` ranges (seconds of the
    recording's own time) set to zero."""
    try:
        with av.open(str(source)) as given, av.open(str(target), "w", format=plan.muxer, options=plan.options) as out:
            _transcode(given, out, plan, silent, cancelled)
    except av.error.FFmpegError as e:
        target.unlink(missing_ok=True)
        raise SoundError(N_("A copy of this recording could not be made: {reason}"), reason=str(e)) from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _transcode(given, out, plan: Plan, silent: Sequence[Range], cancelled) -> None:
    audio_in = given.streams.audio[0] if given.streams.audio else None
    video_in = given.streams.video[0] if plan.video and given.streams.video else None
    origin = given.start_time / av.time_base if given.start_time is not None else 0.0
    video_out = audio_out = resampler = None
    if video_in is not None:
        if plan.video == "copy":
            video_out = out.add_stream_from_template(video_in)
        else:
            video_out = out.add_stream("libx264", rate=video_in.average_rate or Fraction(25))
            width, height = video_in.codec_context.width, video_in.codec_context.height
            if plan.max_height and height > plan.max_height:
                width, height = width * plan.max_height // height, plan.max_height
            video_out.width, video_out.height = width // 2 * 2, height // 2 * 2
            video_out.pix_fmt = "yuv420p"
            video_out.options = {"preset": "veryfast", "crf": "23"}
    if audio_in is not None:
        layout = "mono" if audio_in.codec_context.channels == 1 else "stereo"
        opus = plan.audio == "libopus"
        rate = (
            48000 if opus or audio_in.codec_context.sample_rate not in AAC_RATES else audio_in.codec_context.sample_rate
        )
        audio_out = out.add_stream(plan.audio, rate=rate, layout=layout)
        audio_out.bit_rate = (
            (64000 if layout == "mono" else 128000) if opus else (96000 if layout == "mono" else 160000)
        )
        resampler = av.AudioResampler(
            format="flt" if opus else "fltp", layout=layout, rate=rate, frame_size=960 if opus else 1024
        )
    written, start = 0, None

    def emit(frames) -> None:
        nonlocal written
        for frame in frames:
            at = (start or 0.0) + written / frame.sample_rate
            silence(frame, at, silent)
            frame.pts, frame.time_base = written, Fraction(1, frame.sample_rate)
            written += frame.samples
            out.mux(audio_out.encode(frame))

    for packet in given.demux(*[s for s in (video_in, audio_in) if s is not None]):
        if cancelled and cancelled():
            raise Cancelled
        if packet.stream is video_in:
            if plan.video == "copy":
                if packet.dts is not None:
                    packet.stream = video_out
                    out.mux(packet)
                continue
            for frame in packet.decode():
                shown = frame.reformat(width=video_out.width, height=video_out.height, format="yuv420p")
                shown.pts, shown.time_base = frame.pts, frame.time_base
                out.mux(video_out.encode(shown))
            continue
        for frame in packet.decode():
            if start is None:
                start = max((frame.time or 0.0) - origin, 0.0)
            emit(resampler.resample(frame))
    if resampler is not None:
        emit(resampler.resample(None))
        out.mux(audio_out.encode(None))
    if video_out is not None and plan.video != "copy":
        out.mux(video_out.encode(None))


def silence(frame: av.AudioFrame, at: float, silent: Sequence[Range]) -> None:
    """Set to zero the samples of `frame` (whose first sample is at `at` seconds) that fall in a silent range."""
    rate, count = frame.sample_rate, frame.samples
    width = frame.format.bytes * (1 if frame.format.is_planar else len(frame.layout.channels))
    for start, end in silent:
        first = max(0, math.ceil((start - at) * rate))
        last = count if end is None else min(count, math.ceil((end - at) * rate))
        if first >= last:
            continue
        for plane in frame.planes:
            memoryview(plane)[first * width : last * width] = bytes((last - first) * width)
