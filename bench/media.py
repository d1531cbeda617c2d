"""Measure recordings: time and peak memory to probe a one-hour WAV and to make its streaming and public copies, and
the time to first byte of a seek through a real `archive serve`.

Run by hand (it is heavy: about 320 MB of WAV and a few minutes of encoding): .venv/bin/python bench/media.py
Makes a one-hour mono 44.1 kHz 16-bit WAV (a tone that changes pitch every second, under soft noise) in a temporary
folder, written second by second. Then, each in a fresh interpreter so that its peak memory is its own: sound.probe,
the streaming copy (Opus in Ogg) and the public copy (the same, with the middle minute silenced). Peak memory is
VmHWM from /proc/self/status (ru_maxrss of the child where there is no /proc), less that of a process that only imports
archive.sound: PyAV's buffers are FFmpeg's, in C, which tracemalloc does not see. Then the WAV is ingested with a timed
transcript into a new data root, `archive derive` makes its streaming copy, a redaction queues the job that makes the
public copy (run by `archive jobs run`), and an anonymous reader's Range request for the middle of the recording is
timed against `archive serve` (median of 7, to the first byte of the answer) before and after the redaction.
"""

import argparse
import math
import random
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave
from pathlib import Path

RATE = 44100
CHILD = """
import re, resource, sys, time
from pathlib import Path
from archive import sound
start = time.perf_counter()
if sys.argv[1] == "probe":
    sound.probe(Path(sys.argv[2]))
elif sys.argv[1] == "stream":
    sound.transcode(Path(sys.argv[2]), Path(sys.argv[3]), sound.OPUS_OGG)
elif sys.argv[1] == "public":
    middle = float(sys.argv[4])
    sound.transcode(Path(sys.argv[2]), Path(sys.argv[3]), sound.OPUS_OGG, [(middle, middle + 60)])
took = time.perf_counter() - start
maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    hwm = int(re.search(r"VmHWM:\\s*(\\d+)", Path("/proc/self/status").read_text()).group(1))
except (OSError, AttributeError):
    hwm = maxrss
print(took, hwm, maxrss)
"""


def make_wav(path: Path, seconds: int) -> None:
    """A mono 16-bit WAV: each second a tone of its own pitch (twelve pitches in turn) under soft noise, the twelve
    seconds made once and written one second at a time."""
    noise = random.Random(15)
    blocks = []
    for n in range(12):
        step = 2 * math.pi * (220 + 55 * n) / RATE
        samples = [round(9000 * math.sin(step * i) + noise.gauss(0, 600)) for i in range(RATE)]
        blocks.append(struct.pack(f"<{RATE}h", *samples))
    with wave.open(str(path), "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(RATE)
        for second in range(seconds):
            recording.writeframes(blocks[second % 12])


def child(*args: str) -> tuple[float, int, int]:
    """Run one step in a fresh interpreter: (seconds, VmHWM KB, ru_maxrss KB)."""
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True)
    took, hwm, maxrss = done.stdout.split()[-3:]
    return float(took), int(hwm), int(maxrss)


def vtt(seconds: int) -> str:
    """One cue a minute."""
    cues = []
    for n, start in enumerate(range(0, seconds, 60), 1):
        end = min(start + 60, seconds)
        cues.append(f"{n}\n{stamp(start)} --> {stamp(end)}\nAnna: Minute {n} of the story.")
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def stamp(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_byte(url: str, size: int, runs: int = 7) -> tuple[float, int, str]:
    """Median seconds from a Range request for 64 KiB at the middle of the file to its first byte; status, type."""
    times, status, kind = [], 0, ""
    for _ in range(runs):
        middle = size // 2
        request = urllib.request.Request(url, headers={"Range": f"bytes={middle}-{middle + 65535}"})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read(1)
            times.append(time.perf_counter() - start)
            status, kind = response.status, response.headers.get("Content-Type", "")
            response.read()
    return statistics.median(times), status, kind


def content_length(url: str) -> int:
    request = urllib.request.Request(url, headers={"Range": "bytes=0-0"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.headers["Content-Range"].rsplit("/", 1)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60)
    args = parser.parse_args()
    seconds = args.minutes * 60
    archive = shutil.which("archive", path=str(Path(sys.executable).parent))
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "story.wav"
        start = time.perf_counter()
        make_wav(wav, seconds)
        print(
            f"made a {args.minutes}-minute mono 44.1 kHz WAV of {wav.stat().st_size / 2**20:.0f} MB "
            f"in {time.perf_counter() - start:.0f} s"
        )

        _, baseline, baseline_maxrss = child("none", "-")
        print(f"baseline (Python with archive.sound imported): peak RSS {baseline / 1024:.0f} MB")
        for step, label in (("probe", "probe"), ("stream", "streaming copy (Opus/Ogg)"), ("public", "public copy")):
            took, peak, maxrss = child(step, str(wav), str(Path(tmp) / f"{step}.ogg"), str(args.minutes // 2 * 60))
            made = Path(tmp) / f"{step}.ogg"
            size = f", {made.stat().st_size / 2**20:.1f} MB" if made.exists() else ""
            print(
                f"{label}: {took:.2f} s, peak RSS {peak / 1024:.0f} MB ({(peak - baseline) / 1024:+.0f} MB over "
                f"the baseline; ru_maxrss {maxrss / 1024:.0f} MB){size}"
            )

        data = Path(tmp) / "data"
        (Path(tmp) / "story.vtt").write_text(vtt(seconds), "utf-8")
        (Path(tmp) / "metadata.csv").write_text(
            "file,title,narrator,interviewer,date,village,surnames,language,access,audio\n"
            "story.vtt,A long story,Anna,Boris,2008,,,en,public,story.wav\n",
            "utf-8",
        )
        command = [archive, "--data", str(data)]
        start = time.perf_counter()
        subprocess.run(
            [*command, "ingest", str(Path(tmp) / "story.vtt"), str(wav), "--metadata", str(Path(tmp) / "metadata.csv")],
            check=True,
            capture_output=True,
        )
        print(f"ingest (copy and digest the WAV): {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        subprocess.run([*command, "derive"], check=True, capture_output=True)
        print(f"archive derive (streaming copy, through the service): {time.perf_counter() - start:.1f} s")

        from archive import create_app

        app = create_app({"ARCHIVE_DATA": data, "ARCHIVE_INDEX_CHECK_AT_START": False})
        interview_id = app.extensions["collection"].ids("interviews")[0]

        port = free_port()
        server = subprocess.Popen(
            [*command, "serve", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{port}/interviews/{interview_id}/audio"
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            size = content_length(url)
            took, status, kind = first_byte(url, size)
            print(
                f"seek (Range for the middle, anonymous, {kind}, {size / 2**20:.1f} MB): HTTP {status}, "
                f"first byte in {took * 1000:.1f} ms (median of 7)"
            )

            services = app.extensions["services"]
            with app.app_context():
                from archive import interviews

                text = interviews.transcript_text(interviews.segments(services.collection, interview_id))[0]
                at = text.index(f"Minute {args.minutes // 2 + 1} ")
                body = services.annotations.bodies({}, [], "", redact=True)
                services.annotations.create(interview_id, at, at + 6, body, "bench")
            jobs = app.extensions["jobs"]
            start = time.perf_counter()
            while any(job.active for job in jobs.list()):  # the server's worker takes the job at once
                time.sleep(0.5)
            print(f"public copy by the job runner of `archive serve`: done within {time.perf_counter() - start:.1f} s")
            size = content_length(url)
            took, status, kind = first_byte(url, size)
            print(
                f"seek in the public copy (anonymous, {kind}, {size / 2**20:.1f} MB): HTTP {status}, "
                f"first byte in {took * 1000:.1f} ms (median of 7)"
            )
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
