"""Redaction in sound (issue 15): readers hear a public copy in which redacted passages are silent, made by a real
job after each change, and nothing until it exists; staff hear the recording whole; WAV gets a streaming copy.

The recordings are made here, in tmp folders, with the stdlib `wave` module (tones) and PyAV (a small H.264/AAC
video); what is heard is measured on decoded samples.
"""

from __future__ import annotations

import array
import io
import json
import math
import struct
import wave
from fractions import Fraction
from pathlib import Path

import av
import pytest

from archive import annotations, interviews, sound
from archive.ingest import Ingester
from archive.vocab import gazetteer

RATE = 44100
SECONDS = 6
LINES = ["We came to Ushtobe in October.", "The neighbour Kowalczyk informed on us.", "Then winter came."]


# --- recordings made for the tests ----------------------------------------------------------------------------------


def tone(seconds: float = SECONDS, freq: float = 440.0, rate: int = RATE) -> bytes:
    """A mono 16-bit WAV of a sine tone at a third of full scale."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(rate)
        recording.writeframes(
            b"".join(
                struct.pack("<h", round(11000 * math.sin(2 * math.pi * freq * i / rate)))
                for i in range(round(seconds * rate))
            )
        )
    return buffer.getvalue()


def video(path: Path, seconds: int = SECONDS) -> None:
    """A small H.264 video (grey frames, 25 per second) with an AAC sine tone, made with PyAV."""
    with av.open(str(path), "w") as out:
        pictures = out.add_stream("libx264", rate=25)
        pictures.width, pictures.height, pictures.pix_fmt = 160, 120, "yuv420p"
        sound_out = out.add_stream("aac", rate=RATE, layout="mono")
        for i in range(25 * seconds):
            frame = av.VideoFrame(160, 120, "yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            out.mux(pictures.encode(frame))
        samples = array.array("f", (0.3 * math.sin(2 * math.pi * 440 * i / RATE) for i in range(seconds * RATE)))
        whole = av.AudioFrame(format="flt", layout="mono", samples=len(samples))
        whole.planes[0].update(samples.tobytes())
        whole.sample_rate, whole.pts, whole.time_base = RATE, 0, Fraction(1, RATE)
        chunks = av.AudioResampler(format="fltp", layout="mono", rate=RATE, frame_size=1024)
        done = 0
        for chunk in chunks.resample(whole) + chunks.resample(None):
            chunk.pts, done = done, done + chunk.samples
            out.mux(sound_out.encode(chunk))
        out.mux(sound_out.encode(None))
        out.mux(pictures.encode(None))


def decoded(data: bytes) -> tuple[float, list[float]]:
    """Decode a recording's sound (mono, 48 kHz floats): its duration and the RMS of each whole second."""
    samples = array.array("f")
    with av.open(io.BytesIO(data)) as container:
        to_float = av.AudioResampler(format="flt", layout="mono", rate=48000)
        for frame in container.decode(audio=0):
            for part in to_float.resample(frame):
                samples.frombytes(bytes(part.planes[0])[: part.samples * 4])
        for part in to_float.resample(None):
            samples.frombytes(bytes(part.planes[0])[: part.samples * 4])
    rms = [math.sqrt(sum(x * x for x in samples[i : i + 48000]) / 48000) for i in range(0, len(samples) - 47999, 48000)]
    return len(samples) / 48000, rms


def assert_silenced(original: list[float], public: list[float], silent_seconds: set[int]) -> None:
    assert len(public) == len(original)
    for second, (was, now) in enumerate(zip(original, public, strict=True)):
        if second in silent_seconds:
            assert now < 0.02 * was, (second, was, now)
        else:
            assert abs(now - was) <= 0.1 * was, (second, was, now)


# --- interviews ---------------------------------------------------------------------------------------------------


def vtt(lines=LINES, step: int = 2) -> bytes:
    cues = [
        f"{n}\n00:00:{(n - 1) * step:02d}.000 --> 00:00:{n * step:02d}.000\nAnna: {line}"
        for n, line in enumerate(lines, 1)
    ]
    return ("WEBVTT\n\n" + "\n\n".join(cues) + "\n").encode()


@pytest.fixture
def timed(collection):
    """A public interview: a 6 s WAV tone and a WebVTT transcript of three 2 s passages."""
    outcome = Ingester(collection, gazetteer(collection), "t", 2**20).ingest(
        vtt(), "anna.vtt", {"title": "Anna", "access": "public"}, tone(), "anna.wav"
    )
    assert outcome.status == "ingested", outcome
    return outcome.interview_id


def redact(app, interview_id: str, words: str) -> dict:
    """Redact the passage holding `words`, through the service (as the page does)."""
    services = app.extensions["services"]
    text = interviews.transcript_text(interviews.segments(services.collection, interview_id))[0]
    start = text.index(words)
    body = services.annotations.bodies({}, [], "", redact=True)
    return services.annotations.create(interview_id, start, start + len(words), body, "hist")


def run_jobs(app) -> list:
    return app.extensions["jobs"].run_pending()


def heard(client, interview_id: str, **kwargs):
    response = client.get(f"/interviews/{interview_id}/audio", **kwargs)
    data = response.get_data()
    response.close()
    return response, data


# --- the tests --------------------------------------------------------------------------------------------------


def test_a_redacted_passage_is_silent_in_the_public_copy_and_only_there(app, client, auth, timed):
    original = decoded(tone())[1]
    redact(app, timed, "Kowalczyk informed")
    queued = app.extensions["jobs"].list()
    assert [(j.kind, j.arguments["interview"], j.state) for j in queued] == [("derive-recordings", timed, "queued")]
    response, _data = heard(client, timed)
    assert response.status_code == 404  # no copy yet: nothing, never the original
    page = client.get(f"/interviews/{timed}").get_data(as_text=True)
    assert "is being made" in page and 'class="player"' not in page

    [job] = run_jobs(app)
    assert job.state == "done", job.message
    response, data = heard(client, timed)
    assert response.status_code == 200 and response.mimetype == "audio/ogg"
    duration, public = decoded(data)
    assert abs(duration - SECONDS) <= 0.1
    assert_silenced(original, public, {2, 3})  # the passage from 2 s to 4 s
    part = client.get(f"/interviews/{timed}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.get_data() == data[100:200]
    part.close()
    assert 'class="player"' in client.get(f"/interviews/{timed}").get_data(as_text=True)

    auth.login("historian")
    response, data = heard(client, timed)
    assert response.status_code == 200
    assert_silenced(original, decoded(data)[1], set())  # staff hear every word


def test_wav_gets_a_streaming_copy_that_plays_as_long(app, client, collection, timed, runner):
    result = runner("derive", timed)
    assert result.exit_code == 0 and "1 made" in result.output, result.output
    folder = collection.folder("interviews", timed)
    described = json.loads((folder / "derived" / "recordings.json").read_text())
    stream = described["1"]["stream"]
    assert stream["path"] == "derived/recording-1.stream.ogg" and stream["type"] == "audio/ogg"
    assert "public" not in described["1"]  # nothing is redacted
    duration, rms = decoded((folder / stream["path"]).read_bytes())
    assert abs(duration - SECONDS) <= 0.1
    assert_silenced(decoded(tone())[1], rms, set())
    response, data = heard(client, timed)  # what readers get: the streaming copy
    assert response.mimetype == "audio/ogg" and data == (folder / stream["path"]).read_bytes()
    assert "0 made, 1 already current" in runner("derive", timed).output
    assert list(collection.verify()) == []  # derived/ stays outside the manifest


def test_a_redaction_change_makes_a_new_copy_and_readers_wait_for_it(app, client, timed):
    original = decoded(tone())[1]
    first = redact(app, timed, "Kowalczyk")
    run_jobs(app)
    assert heard(client, timed)[0].status_code == 200

    redact(app, timed, "winter")  # a second passage: the copy there is now stale
    assert heard(client, timed)[0].status_code == 404
    [job] = run_jobs(app)
    assert job.state == "done"
    response, data = heard(client, timed)
    assert_silenced(original, decoded(data)[1], {2, 3, 4, 5})

    services = app.extensions["services"]
    services.annotations.delete(timed, first["id"], annotations.version(first), "hist")  # 2 s to 4 s heard again
    assert heard(client, timed)[0].status_code == 404
    run_jobs(app)
    assert_silenced(original, decoded(heard(client, timed)[1])[1], {4, 5})


def test_a_redacted_passage_without_times_withholds_the_whole_recording(app, client, auth, collection):
    outcome = Ingester(collection, gazetteer(collection), "t", 2**20).ingest(
        " ".join(LINES).encode(), "anna.txt", {"title": "Anna", "access": "public"}, tone(2), "anna.wav"
    )
    interview_id = outcome.interview_id
    redact(app, interview_id, "Kowalczyk")
    run_jobs(app)
    response, _data = heard(client, interview_id)
    assert response.status_code == 404
    page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert "cannot be made silent" in page and 'class="player"' not in page
    assert "нет отметок времени" in client.get(f"/interviews/{interview_id}?lang=ru").get_data(as_text=True)
    auth.login("historian")
    response, data = heard(client, interview_id)
    assert response.status_code == 200 and data == tone(2)  # staff hear the original


def test_restricted_recordings_stay_unreachable(app, client, auth, collection):
    outcome = Ingester(collection, gazetteer(collection), "t", 2**20).ingest(
        vtt(), "anna.vtt", {"title": "Anna", "access": "researchers"}, tone(), "anna.wav"
    )
    run_jobs(app)
    assert heard(client, outcome.interview_id)[0].status_code == 404
    auth.login("researcher")
    assert heard(client, outcome.interview_id)[0].status_code == 200


def recorded_interview(collection, parts: list[tuple[str, bytes, str, str, float]]) -> str:
    """An interview whose record lists its recordings as recordings.py writes them on ingest, made here without
    probing: (file name, bytes, content type, kind, duration) per part."""
    files, recordings, offset = {}, [], 0.0
    for n, (name, data, content_type, kind, duration) in enumerate(parts, 1):
        original = f"original/recording-{n}{Path(name).suffix}"
        files[original] = data
        recordings.append(
            {"part": n, "file": name, "original": original, "type": content_type, "kind": kind}
            | {"duration": duration, "offset": offset}
        )
        offset += duration
    segments = [
        {"n": n, "start": (n - 1) * 2.0, "end": n * 2.0, "speaker": "Anna", "lang": "en", "text": line}
        for n, line in enumerate(LINES, 1)
    ]
    record = {"schema": 1, "title": "Anna", "access": "public", "recordings": recordings}
    files["interview.json"] = json.dumps(record).encode()
    files["segments.json"] = json.dumps(segments).encode()
    return collection.create("interviews", files, "t")


def test_a_video_keeps_its_pictures_and_loses_the_redacted_sound(app, client, auth, collection, tmp_path):
    path = tmp_path / "anna.mp4"
    video(path)
    interview_id = recorded_interview(collection, [("anna.mp4", path.read_bytes(), "video/mp4", "video", 6.0)])
    redact(app, interview_id, "Kowalczyk")
    assert heard(client, interview_id)[0].status_code == 404
    run_jobs(app)
    response, data = heard(client, interview_id)
    assert response.status_code == 200 and response.mimetype == "video/mp4"
    original = decoded(path.read_bytes())
    public = decoded(data)
    assert abs(public[0] - original[0]) <= 0.1
    assert_silenced(original[1], public[1], {2, 3})
    with av.open(io.BytesIO(data)) as copy, av.open(str(path)) as given:
        assert copy.streams.video[0].codec_context.name == "h264"
        assert copy.streams.video[0].frames == given.streams.video[0].frames  # the pictures, packet for packet
    auth.login("historian")
    assert heard(client, interview_id)[1] == path.read_bytes()  # a video browsers play: staff get the original


def test_ranges_are_mapped_onto_parts_in_continuous_time(app, collection):
    interview_id = recorded_interview(
        collection,
        [("tape-1.wav", tone(3), "audio/wav", "audio", 3.0), ("tape-2.wav", tone(3, 660), "audio/wav", "audio", 3.0)],
    )
    redact(app, interview_id, "Kowalczyk")  # 2 s to 4 s: the last second of tape 1, the first of tape 2
    assert sound.ranges(collection, interview_id) == [(2.0, 4.0)]
    run_jobs(app)
    folder = collection.folder("interviews", interview_id)
    described = json.loads((folder / "derived" / "recordings.json").read_text())
    # tape 1 is silenced from 2 s to its end, and a margin beyond it (its probed length might be a little short)
    assert described["1"]["public"]["silenced"] == [[2.0, 4.0]]
    assert described["2"]["public"]["silenced"] == [[0.0, 1.0]]
    for n, freq, silent in ((1, 440, {2}), (2, 660, {0})):
        public = decoded((folder / described[str(n)]["public"]["path"]).read_bytes())[1]
        assert_silenced(decoded(tone(3, freq))[1], public, silent)
    sees = sound.playable(collection, interview_id, interviews.load(collection, interview_id).record, 2, False, [])
    assert sees == (folder / "derived" / "recording-2.stream.ogg", "audio/ogg")  # nothing redacted: the stream


def test_redacted_ranges_follow_segments_and_never_fail_open():
    segments = [
        {"n": 1, "start": 0.0, "end": None, "text": "one"},
        {"n": 2, "start": 5.0, "end": None, "text": "two"},
        {"n": 3, "start": 9.5, "end": 12.0, "text": "three"},
        {"n": 4, "start": None, "end": None, "text": "four"},
    ]

    def redaction_of(start: int, end: int) -> dict:
        return {
            "body": [{"purpose": "redacting"}],
            "target": {"selector": [{"type": "TextPositionSelector", "start": start, "end": end}]},
        }

    assert sound.redacted_ranges(segments, [redaction_of(4, 7)]) == [(5.0, 9.5)]  # to the next segment's start
    assert sound.redacted_ranges(segments, [redaction_of(0, 2), redaction_of(4, 6)]) == [(0.0, 9.5)]  # joined
    assert sound.redacted_ranges(segments, [redaction_of(8, 13)]) == [(9.5, 12.0)]
    assert sound.redacted_ranges(segments, [redaction_of(14, 16)]) is None  # a passage without times
    assert sound.redacted_ranges(segments, []) == []
    # a part reaches a second beyond its probed length; the last part to the end of time (nothing is played on the
    # strength of a length that might be short)
    assert sound.local_ranges({"offset": 10.0, "duration": 5.0}, [(5.0, 9.5), (12.0, None)]) == [(2.0, 6.0)]
    assert sound.local_ranges({"offset": 10.0, "duration": 5.0}, [(5.0, 9.5), (16.5, 17.0)]) == []
    assert sound.local_ranges({"offset": 10.0, "duration": 5.0}, [(16.5, 17.0)], last=True) == [(6.5, 7.0)]


def small_video(path: Path, codec: str, sound_codec: str, seconds: int = 2) -> None:
    """A small video in any container PyAV writes (told by the name's extension), with a sine tone."""
    with av.open(str(path), "w") as out:
        pictures = out.add_stream(codec, rate=25)
        pictures.width, pictures.height, pictures.pix_fmt = 160, 120, "yuv420p"
        sound_out = out.add_stream(sound_codec, rate=48000, layout="mono")
        for i in range(25 * seconds):
            frame = av.VideoFrame(160, 120, "yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            out.mux(pictures.encode(frame))
        samples = array.array("f", (0.3 * math.sin(2 * math.pi * 440 * i / 48000) for i in range(seconds * 48000)))
        whole = av.AudioFrame(format="flt", layout="mono", samples=len(samples))
        whole.planes[0].update(samples.tobytes())
        whole.sample_rate, whole.pts, whole.time_base = 48000, 0, Fraction(1, 48000)
        size = sound_out.codec_context.frame_size or 960
        chunks = av.AudioResampler(format=sound_out.format.name, layout="mono", rate=48000, frame_size=size)
        done = 0
        for chunk in chunks.resample(whole) + chunks.resample(None):
            chunk.pts, done = done, done + chunk.samples
            out.mux(sound_out.encode(chunk))
        out.mux(sound_out.encode(None))
        out.mux(pictures.encode(None))


def test_a_webm_keeps_its_vp9_pictures_and_a_video_browsers_cannot_play_gets_a_web_copy(tmp_path):
    webm, public = tmp_path / "story.webm", tmp_path / "public.webm"
    small_video(webm, "libvpx-vp9", "libopus")
    found = sound.probe(webm)
    assert sound.stream_plan(found, webm.stat().st_size, sound.Settings()) is None  # browsers play it as it is
    plan = sound.public_plan(found)
    assert (plan.muxer, plan.audio, plan.video) == ("webm", "libopus", "copy")
    sound.transcode(webm, public, plan, [(1.0, None)])
    original, silenced = decoded(webm.read_bytes()), decoded(public.read_bytes())
    assert abs(silenced[0] - original[0]) <= 0.1
    assert_silenced(original[1], silenced[1], {1})
    assert sound.probe(public).video == "vp9"

    mkv, web = tmp_path / "story.mkv", tmp_path / "web.mp4"
    small_video(mkv, "mpeg4", "mp2")
    found = sound.probe(mkv)
    plan = sound.stream_plan(found, mkv.stat().st_size, sound.Settings())
    assert plan is not None and (plan.type, plan.video) == ("video/mp4", "encode")
    sound.transcode(mkv, web, plan)
    made = sound.probe(web)
    assert (made.video, made.audio, made.width, made.height) == ("h264", "aac", 160, 120)
    assert abs(made.duration - found.duration) <= 0.1


def test_a_cancelled_copy_leaves_nothing_behind_and_readers_still_wait(app, client, collection, timed):
    redact(app, timed, "Kowalczyk")
    with pytest.raises(sound.Cancelled):
        app.extensions["services"].recordings.derive(timed, cancelled=lambda: True)
    derived = collection.folder("interviews", timed) / "derived"
    assert sorted(p.name for p in derived.iterdir() if not p.name.startswith(".recordings")) == []
    assert heard(client, timed)[0].status_code == 404
    [job] = run_jobs(app)  # the job queued by the redaction makes it whole
    assert job.state == "done" and heard(client, timed)[0].status_code == 200
