"""Forced alignment: where each passage of an untimed transcript is spoken in its recording, found offline.

A proposal, never the record: `propose` says for each passage a start, an end and whether the aligner is unsure of
it; a historian accepts it (as a new version of the transcript, through the services) or leaves it.

How (the method of aeneas, with its C parts: MFCC features, a voice activity detector and a dynamic time warping
within a stripe around the diagonal; AGPL-3.0, an optional extra, `pip install -e '.[align]'`):

1. The recording is decoded block by block with PyAV, resampled to 16 kHz mono, and turned into MFCC frames as it
   goes (`_features`): only a block of samples and the small matrix of frames are ever held, never the whole
   decoded sound.
2. The passages are spoken by espeak-ng in the interview's language (aeneas's `cew`, the espeak-ng library), a batch
   of passages at a time, each batch's sound turned into frames the same way; where each passage begins in that
   synthetic speech is known.
3. Silences are left out of both (aeneas's VAD on the frames' energy), so pauses of any length between passages do
   not bend the path; the path of least cost between the two sequences of frames (cosine distance) is found within
   a stripe of `MARGIN` seconds around the diagonal, and each passage's first and last synthetic frame is carried
   over to the recording's time. A long recording is aligned in two passes (a coarse path on the means of every k
   frames, then the fine path piece by piece along it: `_path`), so that no cost matrix passes `MATRIX_BYTES`.
4. How sure: the whole path's cost is compared with that of the best path to the same synthetic speech played
   backwards (unrelated sound of the same voice, language and noise): when the transcript matches the recording no
   better than that, the proposal is refused (`LowConfidence`): the words do not match the recording. A passage's
   matched frames are compared with the recording's frames half a recording away; a passage whose match is not
   clearly better, or that is squeezed to almost nothing or stretched far beyond its share, is unsure, and so are its
   neighbours (the boundaries they share are in doubt); when more than half are unsure, the proposal is refused too.

`bench/align.py` measures speed, peak memory and the boundaries' error on an hour of speech.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import av

from .collection import DERIVED, Collection
from .errors import ArchiveError, Language
from .i18n import N_

# the interview's languages (ISO 639-1, as interview.json has them) -> espeak-ng's voice
VOICES = {"ru": "ru", "ko": "ko", "en": "en", "kk": "kk", "uz": "uz"}
INSTALL = "pip install -e '.[align]' (with Debian's espeak-ng, libespeak-ng-dev, festival-dev and libestools-dev)"

RATE = 16000  # samples per second the features are computed at
WINDOW = 0.100  # seconds of sound in each MFCC frame
SHIFT = 0.040  # seconds between MFCC frames: the times' resolution (aeneas's default)
MARGIN = 60.0  # seconds: how far from the diagonal the path may stray (aeneas's default)
MATRIX_BYTES = 160 * 2**20  # the largest cost matrix one path may need (8 bytes a cell)
COARSEST = 6  # frames pooled into one by the coarse pass at most (0.24 s: coarser ones lost their way on 3 hours)
PIECE = 120.0  # seconds of synthetic speech placed at a time by the fine pass of a long recording
CONTEXT = 15.0  # seconds of speech either side of a piece, aligned with it and then let go
FINE_MARGIN = 10.0  # seconds: the stripe of the fine pass (the coarse path is already that close)
BLOCK = 30.0  # seconds of decoded sound held at once
STEPS = 20000  # steps of the path whose frame pairs are compared at once
BATCH = 40  # passages spoken by espeak-ng into one temporary file
SPEAK_TIMEOUT = 600  # seconds one batch may take to speak before it counts as failed
ENERGY = 0.699  # log energy above the quiet that counts as speech (aeneas's VAD)
FLOOR = 1.0  # percentile of the frames' energy taken as the quiet (a recording has pauses)
PAUSE = 0.200  # seconds: shorter quiet is part of the speech around it
BLIP = 0.120  # seconds: shorter sound between pauses is noise, not speech
# How sure: calibrated on espeak-ng speech of other voices and rates, with noise (tests/test_alignment.py, bench/):
# the right words scored 0.55 to 0.79 over a whole transcript (against the backward path) and at most 0.54 per
# passage (against unrelated frames); other words 1.00 to 1.03 over the whole, and mostly above 0.57 per passage
UNSURE_RATIO = 0.60  # a passage whose matched cost is above this share of the unrelated cost is unsure
REFUSE_RATIO = 0.90  # the whole transcript above this share of the backward path's: the words do not match
SQUEEZED = 0.25  # a passage given less than this share of its expected length is unsure (or more than its inverse)
SHORTEST = 0.2  # seconds: a passage given less speech than this is unsure
SNAP = 1.0  # seconds of speech within which a boundary moves to a pause


class AlignmentError(ArchiveError):
    """The aligner cannot make a proposal; the message says why, and nothing is changed."""

    code = "alignment-refused"


class NotInstalled(AlignmentError):
    code = "aligner-missing"

    def __init__(self):
        super().__init__(
            N_("Alignment needs the optional aligner, which is not installed here: {install}"), install=INSTALL
        )


class NoRecording(AlignmentError):
    code = "no-recording"

    def __init__(self):
        super().__init__(N_("This interview has no recording to align its transcript with."), "recording")


class UnknownLanguage(AlignmentError):
    code = "language-unsupported"

    def __init__(self, language: str | None):
        if not language:
            super().__init__(
                N_("This interview names no language; the aligner needs to know which language is spoken."),
                "languages",
            )
            return
        super().__init__(
            N_("The aligner does not speak {language}; it aligns Russian, Korean, English, Kazakh and Uzbek."),
            "languages",
            language=Language(language),
        )


class Unreadable(AlignmentError):
    code = "recording-unreadable"

    def __init__(self, name: str):
        super().__init__(N_("The aligner cannot read the recording {name}."), "recording", name=name)


class Deleted(AlignmentError):
    code = "deleted"

    def __init__(self):
        super().__init__(N_("This interview was deleted; there is nothing to align."), "recording")


class NothingToAlign(AlignmentError):
    code = "nothing-to-align"

    def __init__(self):
        super().__init__(N_("This transcript has no words to align."), "segments")


class LowConfidence(AlignmentError):
    code = "low-confidence"

    def __init__(self):
        super().__init__(
            N_(
                "The words of this transcript do not match the recording: the aligner is not sure of any place to "
                "put them. Nothing was changed."
            ),
            "segments",
        )


class Cancelled(Exception):
    """The job that asked for the proposal was cancelled."""


@dataclass(frozen=True)
class Timing:
    """Where one passage is spoken: `n` its number in segments.json, seconds from the recording's start."""

    n: int
    start: float
    end: float
    unsure: bool
    score: float  # the passage's matched cost over the unrelated pairing's: lower is surer


@dataclass(frozen=True)
class Proposal:
    timings: list[Timing]
    duration: float  # seconds of recording
    score: float  # the whole path's cost over the backward path's: lower is surer, about 1 for other words
    shift: float  # the frame shift used (seconds): the times' resolution
    passes: int = 1  # 2 for a long recording: a coarse path, then the fine one piece by piece

    @property
    def unsure(self) -> list[Timing]:
        return [t for t in self.timings if t.unsure]


@dataclass(frozen=True)
class Kept:
    """A proposal waiting for a historian: the version of segments.json and the recordings it was made from (a
    transcript or a recording changed since is not what it places: `fits`), who asked for it and when (seconds since
    the epoch)."""

    proposal: Proposal
    version: str
    by: str
    made: float
    recordings: list


def recordings_print(parts: list[dict]) -> list:
    """What tells an interview's recordings apart from the ones it had: each part's number, file and checksum."""
    return [[p["part"], p["original"], p.get("sha256") or p.get("bytes")] for p in parts]


def fits(kept: Kept, version: str, parts: list[dict]) -> bool:
    """Whether a kept proposal places the transcript and the recordings as they are now."""
    return kept.version == version and kept.recordings == recordings_print(parts)


PROPOSAL = f"{DERIVED}/alignment.json"  # beside the recordings' copies: made again at will, never the record


def keep(
    collection: Collection, interview_id: str, proposal: Proposal, version: str, by: str, parts: list[dict]
) -> Kept:
    """Keep an interview's proposal, made from segments.json's `version` and the recording's `parts`, until it is
    accepted or discarded (one at a time: a new one replaces it). Written whole or not at all."""
    kept = Kept(proposal, version, by, time.time(), recordings_print(parts))
    target = collection.folder("interviews", interview_id) / PROPOSAL
    target.parent.mkdir(exist_ok=True)
    data = {
        "version": version,
        "by": by,
        "made": kept.made,
        "recordings": kept.recordings,
        "duration": proposal.duration,
        "score": proposal.score,
        "shift": proposal.shift,
        "passes": proposal.passes,
        "timings": [[t.n, t.start, t.end, t.unsure, t.score] for t in proposal.timings],
    }
    handle, name = tempfile.mkstemp(prefix=f".tmp-{target.name}.", dir=target.parent)  # two writers never collide
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())  # never an empty file in place after a power cut
        os.replace(name, target)
    finally:
        Path(name).unlink(missing_ok=True)
    return kept


def kept(collection: Collection, interview_id: str) -> Kept | None:
    """The interview's waiting proposal, or None (none made, or discarded; a file that does not read is none)."""
    try:
        data = json.loads((collection.folder("interviews", interview_id) / PROPOSAL).read_text("utf-8"))
        timings = [Timing(int(n), float(a), float(b), bool(u), float(c)) for n, a, b, u, c in data["timings"]]
        proposal = Proposal(timings, data["duration"], data["score"], data["shift"], data["passes"])
        return Kept(proposal, str(data["version"]), str(data["by"]), float(data["made"]), list(data["recordings"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def discard(collection: Collection, interview_id: str) -> None:
    """Forget the interview's proposal (accepted, or left)."""
    (collection.folder("interviews", interview_id) / PROPOSAL).unlink(missing_ok=True)


def _modules():
    """The aligner's C parts, or None when the extra is not installed (or does not load)."""
    try:
        import aeneas.cdtw.cdtw as cdtw
        import aeneas.cew.cew as cew
        import aeneas.cmfcc.cmfcc as cmfcc
        import numpy
        from aeneas.runtimeconfiguration import RuntimeConfiguration
        from aeneas.vad import VAD
    except Exception:  # noqa: BLE001 - a missing or broken build both mean "not installed"
        return None
    return numpy, cdtw, cew, cmfcc, VAD, RuntimeConfiguration


def available() -> bool:
    """Tell whether alignment can run here: the extra is installed and espeak-ng speaks. Never raises."""
    return _modules() is not None and _speaks()


@cache
def _speaks() -> bool:
    """Whether espeak-ng speaks through the aligner (asked once a process: it starts one of its own)."""
    try:
        with tempfile.TemporaryDirectory(prefix="archive-align-") as folder:
            _speak([("en", "one")], Path(folder) / "probe.wav")
        return True
    except Exception:  # noqa: BLE001 - whatever fails, the answer is no
        return False


def voice(language: str | None) -> str:
    """espeak-ng's voice for an interview's language (a BCP 47 tag: its first subtag decides), or UnknownLanguage."""
    primary = (language or "").split("-")[0].lower()
    if primary not in VOICES:
        raise UnknownLanguage(language)
    return VOICES[primary]


def propose(
    recording: Path | Sequence[tuple[Path, float]],
    segments: list[dict],
    language: str,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Proposal:
    """Find where each passage with words is spoken in `recording`: one file, or the parts of a recording in
    order, each with its offset (seconds from the first part's start: the times are said in that continuous time,
    as the player and segments.json count them). `segments` are segments.json's
    passages ({n, text, ...}); passages without words get no timing. `progress(done, total)` is told how far it has
    come (in hundredths), `cancelled()` is asked between blocks (then Cancelled is raised). Raises AlignmentError
    subclasses for what it refuses."""
    spoken = voice(language)
    modules = _modules()
    if modules is None or not _speaks():
        raise NotInstalled()
    passages = [(s["n"], " ".join(str(s.get("text") or "").split())) for s in segments]
    passages = [(n, text) for n, text in passages if any(c.isalnum() for c in text)]
    if not passages:
        raise NothingToAlign()
    parts = [(Path(recording), 0.0)] if isinstance(recording, str | Path) else [(Path(p), o) for p, o in recording]
    if not parts or not all(path.is_file() for path, _ in parts):
        raise NoRecording()

    def step(done: int) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled()
        if progress is not None:
            progress(done, 100)

    step(0)
    lengths = [_duration(path) for path, _ in parts]
    duration = parts[-1][1] + lengths[-1]
    shift = SHIFT
    real = _joined(parts, lengths, shift, modules, lambda seconds: step(int(50 * min(seconds / duration, 1.0))))
    step(50)
    synthetic, anchors = _synthesise(
        passages, spoken, shift, modules, lambda done: step(50 + 30 * done // len(passages))
    )
    step(80)
    timings, score, passes = _align(real, synthetic, anchors, passages, shift, modules)
    step(100)
    if score > REFUSE_RATIO or sum(t.unsure for t in timings) > len(timings) / 2:
        raise LowConfidence()
    return Proposal(timings, duration, score, shift, passes)


# --- the steps -------------------------------------------------------------------------------------------------------


def _duration(path: Path) -> float:
    """The recording's length in seconds: as its header says, else counted from its packets; or Unreadable."""
    try:
        with av.open(str(path)) as container:
            stream = next(s for s in container.streams if s.type == "audio")
            if stream.duration and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration:
                return container.duration / av.time_base
            counted = sum(p.duration or 0 for p in container.demux(stream)) * (stream.time_base or 0)
            if counted > 0:
                return float(counted)
    except Exception as e:  # noqa: BLE001 - PyAV's many errors (and no sound stream) all mean unreadable
        raise Unreadable(path.name) from e
    raise Unreadable(path.name)


def _features(path: Path, shift: float, modules, told: Callable[[float], None] | None = None):
    """MFCC frames (13 x frames) of a sound file, decoded and computed block by block (see the module's text)."""
    numpy, _, _, cmfcc, _, configuration = modules
    defaults = configuration()
    step, length = round(shift * RATE), round(WINDOW * RATE)
    block = int(BLOCK / shift) * step  # samples whose frames a block gives: a whole number of frames
    overlap = max(length - step, 0)  # samples past the block that its last frames still read

    def frames_of(samples):
        return cmfcc.compute_from_data(
            samples,
            RATE,
            defaults[configuration.MFCC_FILTERS],
            defaults[configuration.MFCC_SIZE],
            defaults[configuration.MFCC_FFT_ORDER],
            defaults[configuration.MFCC_LOWER_FREQUENCY],
            defaults[configuration.MFCC_UPPER_FREQUENCY],
            defaults[configuration.MFCC_EMPHASIS_FACTOR],
            WINDOW,
            shift,
        )[0]

    pieces, held, buffered, done = [], [], 0, 0
    try:
        with av.open(str(path)) as container:
            stream = next(s for s in container.streams if s.type == "audio")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    held.append(out.to_ndarray().reshape(-1))
                    buffered += held[-1].size
                while buffered >= block + overlap:
                    joined = numpy.concatenate(held)
                    pieces.append(
                        frames_of(joined[: block + overlap].astype(numpy.float64) / 32768.0)[: block // step].T
                    )
                    held, buffered = [joined[block:]], joined.size - block
                    done += block / RATE
                    if told is not None:
                        told(done)
            for out in resampler.resample(None):
                held.append(out.to_ndarray().reshape(-1))
    except (StopIteration, av.FFmpegError, ValueError) as e:
        raise Unreadable(path.name) from e
    if held:
        samples = numpy.concatenate(held).astype(numpy.float64) / 32768.0
        if samples.size >= step:
            pieces.append(frames_of(samples).T)
    if not pieces:
        raise Unreadable(path.name)
    return numpy.concatenate(pieces, axis=1)  # 13 x frames, one copy


def _joined(parts, lengths, shift: float, modules, told: Callable[[float], None]):
    """The frames of a recording's parts in continuous time: each part's frames begin at the frame of its offset
    (a part decoded a frame or two shorter or longer than its offsets say is padded with its last frame or cut)."""
    numpy = modules[0]
    if len(parts) == 1:
        return _features(parts[0][0], shift, modules, told)
    pieces = []
    for index, ((path, offset), length) in enumerate(zip(parts, lengths, strict=True)):
        frames = _features(path, shift, modules, lambda seconds, at=offset: told(at + seconds))
        following = parts[index + 1][1] if index + 1 < len(parts) else offset + length
        wanted = max(round(following / shift) - round(offset / shift), 1)
        if frames.shape[1] < wanted:
            frames = numpy.pad(frames, ((0, 0), (0, wanted - frames.shape[1])), mode="edge")
        pieces.append(frames[:, :wanted])
    return numpy.concatenate(pieces, axis=1)


def _speak(texts: list[tuple[str, str]], path: Path) -> list[float]:
    """Speak (voice, text) pairs with espeak-ng into one WAV file; where each text begins (seconds). Through aeneas's
    `cew` in a process of its own for each file: the espeak-ng library stops answering when asked twice in one
    process."""
    listing, data = path.with_suffix(".txt"), path.with_suffix(".out")
    listing.write_text("".join(f"{v} {t}\n" for v, t in texts), encoding="utf-8")
    arguments = [sys.executable, "-m", "aeneas.cewsubprocess", "0", "0", str(listing), str(path), str(data)]
    done = subprocess.run(arguments, capture_output=True, timeout=SPEAK_TIMEOUT, check=False)
    lines = data.read_text(encoding="utf-8").splitlines() if data.exists() else []
    listing.unlink(missing_ok=True)
    data.unlink(missing_ok=True)
    if done.returncode != 0 or len(lines) != 2 + len(texts) or int(lines[1]) != len(texts):
        raise RuntimeError(f"espeak-ng did not speak the passages: {done.stdout[-300:]!r} {done.stderr[-300:]!r}")
    return [float(line.split()[0]) for line in lines[2:]]


def _synthesise(passages, spoken: str, shift: float, modules, told: Callable[[int], None]):
    """The passages spoken by espeak-ng, as MFCC frames, and the frame each passage begins at."""
    numpy = modules[0]
    folder = Path(tempfile.mkdtemp(prefix="archive-align-"))
    pieces, anchors, offset = [], [], 0
    try:
        for first in range(0, len(passages), BATCH):
            batch = passages[first : first + BATCH]
            path = folder / f"batch-{first}.wav"
            starts = _speak([(spoken, text) for _, text in batch], path)
            frames = _features(path, shift, modules)
            path.unlink()
            anchors.extend(offset + min(int(round(s / shift)), frames.shape[1] - 1) for s in starts)
            pieces.append(frames)
            offset += frames.shape[1]
            told(first + len(batch))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return numpy.concatenate(pieces, axis=1), anchors


def _speech(frames, shift: float, modules):
    """The frames that hold speech (a boolean mask), by aeneas's VAD on their energy: ENERGY above the quiet (the
    FLOOR percentile, not the very quietest frame, which in hours of hiss lies far enough below the rest that noise
    would pass for speech); a burst shorter than BLIP seconds inside a pause is not speech either (it would split the
    pause, and a boundary could stop at it)."""
    numpy, _, _, _, vad, configuration = modules
    energy = frames[0]
    floor = float(numpy.percentile(energy, FLOOR)) if energy.size else 0.0
    mask = vad(rconf=configuration()).run_vad(
        wave_energy=energy,
        log_energy_threshold=floor - float(energy.min(initial=floor)) + ENERGY,  # aeneas adds it to the minimum
        min_nonspeech_length=max(1, int(PAUSE / shift)),
        extend_before=0,
        extend_after=0,
    )
    edges = numpy.flatnonzero(numpy.diff(numpy.concatenate([[0], mask.astype(numpy.int8), [0]])))
    for begin, end in zip(edges[::2], edges[1::2], strict=True):  # each run of speech: [begin, end)
        if (end - begin) * shift < BLIP:
            mask[begin:end] = False
    return mask


def _stripe(r, s, margin: float, shift: float, numpy, cdtw):
    """aeneas's DTW within a stripe of `margin` seconds around the diagonal: the path as (real, synthetic) indices."""
    delta = min(s.shape[1], max(2, int(2 * margin / shift)))
    path = numpy.asarray(
        cdtw.compute_best_path(numpy.ascontiguousarray(r), numpy.ascontiguousarray(s), delta), dtype=numpy.int64
    )
    return path[:, 0], path[:, 1]


def _path(r, s, shift: float, numpy, cdtw):
    """The least-cost path between the recording's speech frames `r` and the synthetic ones `s`, and the number of
    passes it took. When its cost matrix (frames x stripe) would pass MATRIX_BYTES (a long recording), it is found in
    two passes: a coarse path on the means of every k frames, then, piece by piece along it, the fine path of PIECE
    seconds of synthetic speech with CONTEXT seconds either side (the context absorbs the coarse path's error, and
    its part of the fine path is let go)."""
    n, m = r.shape[1], s.shape[1]
    delta = min(m, max(2, int(2 * MARGIN / shift)))
    if n * delta * 8 <= MATRIX_BYTES:
        return (*_stripe(r, s, MARGIN, shift, numpy, cdtw), 1)
    k = min(COARSEST, math.ceil(math.sqrt(n * delta * 8 / MATRIX_BYTES)))
    # beyond COARSEST frames a cell, a longer recording gets a narrower stripe instead
    margin = min(MARGIN, MATRIX_BYTES / 8 / max(n // k, 1) * shift * k / 2)

    def pooled(frames):  # each k frames' mean: all the sound heard, at a k-th of the resolution
        whole = frames.shape[1] // k * k
        return frames[:, :whole].reshape(frames.shape[0], -1, k).mean(axis=2)

    coarse_real, coarse_synthetic = _stripe(pooled(r), pooled(s), margin, shift * k, numpy, cdtw)
    coarse_real, coarse_synthetic = coarse_real * k, coarse_synthetic * k

    def real_for(j: int) -> int:  # where the coarse path places synthetic frame j
        at = min(int(numpy.searchsorted(coarse_synthetic, j)), coarse_synthetic.size - 1)
        return min(int(coarse_real[at]), n - 1)

    piece, context = int(PIECE / shift), int(CONTEXT / shift)
    reals, synthetics = [], []
    for first in range(0, m, piece):
        last = min(m, first + piece)
        a, b = max(0, first - context), min(m, last + context)
        ra, rb = real_for(a), (real_for(b - 1) + 1 if b < m else n)
        rb = max(rb, ra + 2)
        pr, ps = _stripe(r[:, ra:rb], s[:, a:b], FINE_MARGIN, shift, numpy, cdtw)
        kept = (ps + a >= first) & (ps + a < last)
        reals.append(pr[kept] + ra)
        synthetics.append(ps[kept] + a)
    return numpy.maximum.accumulate(numpy.concatenate(reals)), numpy.concatenate(synthetics), 2


def _align(real, synthetic, anchors, passages, shift, modules) -> tuple[list[Timing], float, int]:
    """The timings of the passages, the whole transcript's score (see the module's text) and the passes taken."""
    numpy, cdtw = modules[0], modules[1]
    real_speech, synthetic_speech = _speech(real, shift, modules), _speech(synthetic, shift, modules)
    real_at = numpy.flatnonzero(real_speech)  # masked index -> frame of the recording
    if real_at.size == 0:
        raise LowConfidence()
    # each passage's first and (one past its) last frame, counted in the synthetic speech frames
    counted = numpy.concatenate([[0], numpy.cumsum(synthetic_speech)])
    bounds = [int(counted[a]) for a in anchors] + [int(counted[-1])]
    r, s = real[1:, real_speech], synthetic[1:, synthetic_speech]
    n, m = r.shape[1], s.shape[1]
    if m == 0:
        raise LowConfidence()
    real_path, synthetic_path, passes = _path(r, s, shift, numpy, cdtw)
    # the cosine distances along the path
    norms_r = numpy.linalg.norm(r, axis=0) + 1e-12
    norms_s = numpy.linalg.norm(s, axis=0) + 1e-12

    def distance(i, j):  # cosine distances of the frame pairs (i, j), STEPS pairs at a time
        made = numpy.empty(i.size)
        for at in range(0, i.size, STEPS):
            a, b = i[at : at + STEPS], j[at : at + STEPS]
            made[at : at + STEPS] = 1.0 - numpy.einsum("ij,ij->j", r[:, a], s[:, b]) / (norms_r[a] * norms_s[b])
        return made

    matched = distance(real_path, synthetic_path)
    # the whole: against what the best path through unrelated sound of the same kind costs, the synthetic speech
    # played backwards (the same frames, so the same voice, language and noise: the right words score well below 1,
    # other words about 1)
    back_real, back_synthetic, _ = _path(r, s[:, ::-1], shift, numpy, cdtw)
    score = float(matched.mean() / max(distance(back_real, m - 1 - back_synthetic).mean(), 1e-9))
    # each passage: against its synthetic frames paired with the recording's frames half a recording away
    unrelated = distance((real_path + n // 2) % n, synthetic_path)
    # where the path enters each passage (an index into the recording's speech frames), then each boundary moved
    # to the nearest pause within SNAP seconds of speech: a passage ends where its speech stops, the next begins where
    # speech starts again
    entries = [int(real_path[min(numpy.searchsorted(synthetic_path, b), len(real_path) - 1)]) for b in bounds[:-1]]
    pauses = numpy.flatnonzero(numpy.diff(real_at) > 1)  # speech frame i is followed by a pause
    snap, used = int(SNAP / shift), -1
    starts, ends = [int(real_at[entries[0]])], []
    for entry in entries[1:]:
        near = pauses[(pauses > used) & (numpy.abs(pauses - (entry - 1)) <= snap)]
        if near.size:
            used = int(near[numpy.argmin(numpy.abs(near - (entry - 1)))])
            ends.append(int(real_at[used]) + 1)
            starts.append(int(real_at[used + 1]))
        else:
            ends.append(int(real_at[entry]))
            starts.append(int(real_at[entry]))
    ends.append(int(real_at[real_path[-1]]) + 1)
    crowded = set()  # passages whose boundary with a neighbour is in doubt: unsure
    # a passage the path entered at the same frame as the one before starts a frame later
    for index in range(1, len(starts)):
        if starts[index] <= starts[index - 1]:
            starts[index] = starts[index - 1] + 1
            ends[index - 1] = min(ends[index - 1], starts[index])
            crowded.update((index - 1, index))
    timings = []
    for index, (number, _) in enumerate(passages):
        begin, end = bounds[index], bounds[index + 1]
        start_frame, end_frame = starts[index], max(ends[index], starts[index])
        steps = numpy.flatnonzero((synthetic_path >= begin) & (synthetic_path < end))
        if steps.size == 0:  # espeak-ng said nothing heard as speech: nothing to place it by
            timings.append(Timing(number, round(start_frame * shift, 2), round(end_frame * shift, 2), True, 1.0))
            crowded.update((index - 1, index + 1))
            continue
        own = float(matched[steps].mean() / max(unrelated[steps].mean(), 1e-9))
        expected = (end - begin) / m * n  # its share of the recording's speech frames
        given = int(numpy.count_nonzero(real_speech[start_frame:end_frame]))
        stretch = given / max(expected, 1e-9)
        unsure = own > UNSURE_RATIO or not SQUEEZED <= stretch <= 1 / SQUEEZED or given * shift < SHORTEST
        if unsure:  # its boundaries are in doubt, and so are the neighbours' it shares
            crowded.update((index - 1, index + 1))
        timings.append(Timing(number, round(start_frame * shift, 2), round(end_frame * shift, 2), unsure, own))
    for index in crowded & set(range(len(timings))):
        timings[index] = replace(timings[index], unsure=True)
    return timings, score, passes
