"""Measure offline forced alignment (archive/alignment.py) on a long recording: seconds of audio aligned per second of
work, peak memory, and how far the proposed boundaries fall from where each passage was spoken.

Run by hand, with the optional extra installed (`pip install -e '.[align]'`, see the README):

    .venv/bin/python bench/align.py [--minutes 60] [--keep FOLDER]

It speaks a generated Russian text with espeak-ng (voice ru+f3 at 140 words a minute; the aligner speaks with the
plain voice at its default rate) in passages of about 20 seconds, joined by pauses of 0.3 to 3 seconds, with hiss and
a 50 Hz hum, written straight into one WAV (16-bit, 22 050 Hz) as it goes. The alignment then runs in a child process
of its own (`--align-only`), so that the peak memory reported is that of the aligning process and of the espeak-ng
processes it starts (resource.getrusage of the children), not of the building.
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

WORDS = (
    "мы жили у моря в посьете осенью тридцать седьмого года нас посадили в товарные вагоны и везли больше месяца "
    "никто не знал куда мама прятала семена риса отец молчал в уштобе была зима мы рыли землянки на берегу реки "
    "весной казахи дали нам воду и мы посадили рис в колхозе работали все дети ходили в школу за шесть километров "
    "бабушка пела песни о родине дедушка писал письма которые никто не получил соседи помогали хлебом и молоком"
).split()
RATE = 22050


def passages(minutes: float, rng: random.Random) -> list[str]:
    """About 20 seconds of speech each (some 50 words at 140 a minute), enough for `minutes` with the pauses."""
    count = max(1, round(minutes * 60 / 19.4))
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(50, 62))).capitalize() + "." for _ in range(count)]


def build(texts: list[str], out: Path, rng: random.Random) -> list[tuple[float, float]]:
    """Speak every passage into one WAV, written as it goes; where each is spoken (seconds)."""
    import numpy

    noise = numpy.random.default_rng(20)
    spans, at = [], 0.0
    with wave.open(str(out), "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(RATE)

        def write(samples):
            nonlocal at
            t = numpy.arange(samples.size) / RATE + at
            mixed = samples + noise.normal(0, 300, samples.size) + 250 * numpy.sin(2 * numpy.pi * 50 * t)
            recording.writeframes(numpy.clip(mixed, -32768, 32767).astype(numpy.int16).tobytes())
            at += samples.size / RATE

        for index, text in enumerate(texts):
            spoken = subprocess.run(
                ["espeak-ng", "-v", "ru+f3", "-s", "140", "--stdout", text], check=True, capture_output=True
            ).stdout
            samples = numpy.frombuffer(spoken[44:], dtype=numpy.int16).astype(numpy.float64)  # past the WAV header
            loud = numpy.flatnonzero(numpy.abs(samples) > 300)
            samples = samples[loud[0] : loud[-1] + 1]
            write(numpy.zeros(int((1.5 if index == 0 else rng.uniform(0.3, 3.0)) * RATE)))
            spans.append((at, at + samples.size / RATE))
            write(samples)
        write(numpy.zeros(int(1.5 * RATE)))
    return spans


def align_only(recording: Path, texts_file: Path, out: Path) -> None:
    """The child: align, and write the proposal and what it cost."""
    from archive import alignment

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    began = time.perf_counter()
    proposal = alignment.propose(recording, [{"n": i + 1, "text": t} for i, t in enumerate(texts)], "ru")
    took = time.perf_counter() - began
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out.write_text(
        json.dumps(
            {
                "seconds": took,
                "duration": proposal.duration,
                "shift": proposal.shift,
                "passes": proposal.passes,
                "score": proposal.score,
                "own_peak_kb": own,
                "espeak_peak_kb": children,
                "timings": [(t.start, t.end, t.unsure) for t in proposal.timings],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the recording (default 60)")
    parser.add_argument("--keep", type=Path, help="folder to keep the recording in (default: a temporary one)")
    parser.add_argument("--align-only", nargs=3, type=Path, metavar=("WAV", "TEXTS", "OUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.align_only:
        align_only(*arguments.align_only)
        return
    from archive import alignment

    if not alignment.available():
        sys.exit("the aligner is not installed: " + alignment.INSTALL)
    folder = arguments.keep or Path(tempfile.mkdtemp(prefix="bench-align-"))
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20)
    texts = passages(arguments.minutes, rng)
    recording, texts_file, result_file = folder / "speech.wav", folder / "texts.json", folder / "result.json"
    began = time.perf_counter()
    spans = build(texts, recording, rng)
    texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    (folder / "spoken.json").write_text(json.dumps(spans))
    print(
        f"built {spans[-1][1] / 60:.1f} minutes of speech in {len(texts)} passages "
        f"({recording.stat().st_size / 2**20:.0f} MB WAV) in {time.perf_counter() - began:.0f} s",
        flush=True,
    )
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--align-only", str(recording), str(texts_file), str(result_file)], check=True
    )
    wall = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest of the children, in KB
    result = json.loads(result_file.read_text())
    errors = [
        max(abs(start - s), abs(end - e)) for (start, end, _), (s, e) in zip(result["timings"], spans, strict=True)
    ]
    unsure = sum(1 for *_, u in result["timings"] if u)
    within = sum(1 for e in errors if e <= 0.5)
    print(f"aligned {result['duration']:.0f} s of audio in {result['seconds']:.1f} s ({wall:.1f} s with start-up)")
    print(f"speed: {result['duration'] / result['seconds']:.1f} seconds of audio per second of work")
    print(
        f"peak memory: {peak / 1024:.0f} MB (aligning process {result['own_peak_kb'] / 1024:.0f} MB, its espeak-ng "
        f"processes at most {result['espeak_peak_kb'] / 1024:.0f} MB); frame shift {result['shift']:.3f} s, "
        f"{result['passes']} pass{'es' if result['passes'] > 1 else ''}"
    )
    print(
        f"boundaries: {within} of {len(errors)} passages within 0.5 s at both ends; worst {max(errors):.2f} s; "
        f"median {sorted(errors)[len(errors) // 2]:.2f} s; {unsure} marked unsure; score {result['score']:.3f}"
    )


if __name__ == "__main__":
    main()
