"""Recordings: told by content and probed with PyAV, refused when broken, several parts with continuous time, the
manifest's audio and video columns, the forms and the API that add parts, and serving with ranges and access."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from conftest import csrf_token
from media_factory import cut, sound, video, wav, wav_bytes

from archive import accounts, recordings

DATA = Path(__file__).parent / "data" / "transcripts"
SHORT_VTT = (
    b"WEBVTT\n\n00:00.500 --> 00:01.400\nAnna: We came in October.\n\n"
    b"00:01.500 --> 00:02.400\nThen winter came.\n\n00:02.500 --> 00:02.900\nAnd spring.\n"
)


def fetch(client, url: str, **headers) -> tuple[int, dict, bytes, str]:
    """Status, headers, body and type of a GET, its file closed at once."""
    with client.get(url, headers=headers) as response:
        return response.status_code, dict(response.headers), response.get_data(), response.mimetype


# --- probing ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, name, container, kind, content_type, sound_codec, picture_codec",
    [
        (lambda p: wav(p, 2.0), "tape.wav", "wav", "audio", "audio/wav", "pcm_s16le", None),
        (lambda p: sound(p, 2.0, "mp3"), "tape.mp3", "mp3", "audio", "audio/mpeg", "mp3", None),
        (lambda p: sound(p, 2.0, "m4a"), "tape.m4a", "m4a", "audio", "audio/mp4", "aac", None),
        (lambda p: sound(p, 2.0, "ogg"), "tape.ogg", "ogg", "audio", "audio/ogg", "vorbis", None),
        (lambda p: sound(p, 2.0, "opus"), "tape.opus", "ogg", "audio", "audio/ogg", "opus", None),
        (lambda p: sound(p, 2.0, "flac"), "tape.flac", "flac", "audio", "audio/flac", "flac", None),
        (lambda p: video(p, 2.0), "film.mp4", "m4a", "video", "video/mp4", "aac", "h264"),
        (lambda p: video(p, 2.0), "film.webm", "webm", "video", "video/webm", "opus", "vp8"),
    ],
)
def test_each_accepted_kind_is_told_and_probed(
    tmp_path, make, name, container, kind, content_type, sound_codec, picture_codec
):
    path = make(tmp_path / name)
    found = recordings.probe(path, name)
    assert (found.container, found.kind, found.type) == (container, kind, content_type)
    assert found.duration == pytest.approx(2.0, abs=0.1)
    assert found.audio["codec"].startswith(sound_codec) and found.audio["sample_rate"] in (8000, 48000)
    assert found.audio["channels"] in (1, 2)
    if picture_codec:
        assert found.video == {"codec": picture_codec, "width": 160, "height": 96}
    else:
        assert found.video is None
    data = path.read_bytes()
    assert found.sha256 == hashlib.sha256(data).hexdigest() and found.bytes == len(data)
    assert recordings.probe(data, name) == found  # bytes in memory are told the same way


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: (p.write_text("These are words, not sound."), p)[1], "is not a recording this archive takes"),
        (lambda p: (p.write_bytes(b""), p)[1], "is not a recording this archive takes"),
        (lambda p: cut(wav(p, 4.0)), "cut short"),
        (lambda p: cut(sound(p, 4.0, "mp3")), "ends before the length it states"),
        (lambda p: cut(sound(p, 4.0, "ogg")), "cut short"),
        (lambda p: cut(sound(p, 4.0, "flac")), "damaged or cut short"),
        (lambda p: cut(video(p.with_suffix(".mp4"), 4.0)), "damaged or cut short"),
        (lambda p: (p.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt "), p)[1], "cut short"),
    ],
    ids=["text", "empty", "wav-half", "mp3-half", "ogg-half", "flac-half", "mp4-half", "wav-header-only"],
)
def test_unknown_truncated_and_broken_files_are_refused_naming_the_file(tmp_path, make, expected):
    path = make(tmp_path / "tape.mp3")
    with pytest.raises(recordings.RecordingError) as refused:
        recordings.probe(path, "Tape 3.mp3")
    assert str(refused.value).startswith("Tape 3.mp3 ") and expected in str(refused.value)
    assert refused.value.code == "recording-unusable"


def test_a_legacy_record_reads_as_one_audio_part_of_unknown_length():
    record = {"audio": {"file": "take.mp3", "original": "original/audio.mp3", "type": "audio/mpeg"}}
    [part] = recordings.parts(record)
    assert part["part"] == 1 and part["original"] == "original/audio.mp3" and part["type"] == "audio/mpeg"
    assert part["kind"] == "audio" and part["duration"] is None and part["offset"] == 0.0
    assert recordings.end(record) is None and recordings.parts({}) == []


# --- ingest: several parts, the manifest's columns ------------------------------------------------------------------


def manifest(path: Path, rows: list[dict]) -> Path:
    header = ["file", "title", "narrator", "interviewer", "date", "village", "surnames", "language", "access"]
    header += ["audio", "video"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {"narrator": "Anna", "interviewer": "Lee", "date": "1998", "language": "ru", "access": "public", **row}
            )
    return path


def records(root: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in (root / "interviews").glob("*/interview.json")}


def test_manifest_pairs_several_recordings_in_order_with_continuous_offsets(runner, app, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "story.vtt").write_bytes((DATA / "interview.vtt").read_bytes())
    wav(batch / "side-a.wav", 2.0)
    sound(batch / "side-b.mp3", 3.0, "mp3")
    video(batch / "film.mp4", 1.0)
    rows = manifest(
        tmp_path / "m.csv",
        [{"file": "story.vtt", "title": "Two tapes", "audio": "side-a.wav; side-b.mp3", "video": "film.mp4"}],
    )
    result = runner("ingest", str(batch), "--metadata", str(rows))
    assert result.exit_code == 0, result.stdout
    [(interview_id, record)] = records(app.config["ARCHIVE_DATA"]).items()
    parts = recordings.parts(record)
    assert [(p["part"], p["file"], p["kind"], p["original"]) for p in parts] == [
        (1, "side-a.wav", "audio", "original/recording-1.wav"),
        (2, "side-b.mp3", "audio", "original/recording-2.mp3"),
        (3, "film.mp4", "video", "original/recording-3.mp4"),
    ]
    assert parts[0]["offset"] == 0.0
    assert parts[1]["offset"] == pytest.approx(parts[0]["duration"])
    assert parts[2]["offset"] == pytest.approx(parts[0]["duration"] + parts[1]["duration"])
    folder = app.config["ARCHIVE_DATA"] / "interviews" / interview_id
    for p, name in zip(parts, ("side-a.wav", "side-b.mp3", "film.mp4"), strict=True):
        assert (folder / p["original"]).read_bytes() == (batch / name).read_bytes()  # byte for byte


def test_manifest_naming_a_missing_recording_fails_that_row(runner, app, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "story.vtt").write_bytes((DATA / "interview.vtt").read_bytes())
    wav(batch / "side-a.wav", 1.0)
    rows = manifest(tmp_path / "m.csv", [{"file": "story.vtt", "title": "T", "audio": "side-a.wav;side-z.wav"}])
    result = runner("ingest", str(batch), "--metadata", str(rows))
    assert result.exit_code == 1
    assert "FAILED     story.vtt: its recording side-z.wav was not among the files given" in result.stdout
    assert records(app.config["ARCHIVE_DATA"]) == {}


def test_a_broken_part_refuses_the_interview_and_leaves_nothing(runner, app, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "story.vtt").write_bytes((DATA / "interview.vtt").read_bytes())
    wav(batch / "side-a.wav", 1.0)
    cut(wav(batch / "side-b.wav", 4.0))
    rows = manifest(tmp_path / "m.csv", [{"file": "story.vtt", "title": "T", "audio": "side-a.wav;side-b.wav"}])
    result = runner("ingest", str(batch), "--metadata", str(rows))
    assert result.exit_code == 1
    assert "FAILED     story.vtt: side-b.wav is cut short or damaged" in result.stdout
    assert records(app.config["ARCHIVE_DATA"]) == {}


# --- the forms ----------------------------------------------------------------------------------------------------


def test_upload_form_takes_several_recordings_and_the_page_shows_a_player_per_part(client, auth, app, tmp_path):
    auth.login("historian")
    token = csrf_token(client.get("/interviews/new"))
    response = client.post(
        "/interviews/new",
        data={
            "csrf_token": token,
            "transcript": (io.BytesIO(SHORT_VTT), "short.vtt"),
            "audio": [
                (io.BytesIO(video(tmp_path / "b.webm", 1.0).read_bytes()), "tape-2.webm"),
                (io.BytesIO(wav_bytes(2.0)), "tape-1.wav"),
            ],
            "title": "Two parts",
            "access": "public",
            "release_form": "",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    interview_id = response.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    players = re.findall(r"<(audio|video) class=\"player\"([^>]*)>", page)
    assert [tag for tag, _ in players] == ["audio", "video"]  # in the order of the file names
    first, second = (attributes for _, attributes in players)
    assert 'data-part="1"' in first and 'data-offset="0"' in first and 'data-duration="2"' in first
    assert "hidden" not in first and " hidden" in second and 'data-offset="2"' in second
    assert f'src="/interviews/{interview_id}/recordings/2"' in second
    assert '<section class="listen" aria-label="Recording"' in page
    # every timed passage says where it starts and ends in continuous time; the last ends with the last part
    starts = re.findall(r'<p class="segment" id="s\d+"[^>]*data-start="([^"]+)"[^>]*data-end="([^"]+)"', page)
    assert [float(a) for a, _ in starts] == [0.5, 1.5, 2.5]
    assert [float(b) for _, b in starts][:2] == [1.5, 2.5]
    assert float(starts[-1][1]) == pytest.approx(3.0, abs=0.05)  # the end of the last part


def test_an_uploaded_wav_gets_its_streaming_copy_from_a_job_not_the_request(client, auth, app, tmp_path):
    auth.login("historian")
    token = csrf_token(client.get("/interviews/new"))
    data = {"csrf_token": token, "transcript": (io.BytesIO(SHORT_VTT), "short.vtt"), "title": "A tape"}
    data |= {"audio": [(io.BytesIO(wav_bytes(2.0)), "tape.wav")], "access": "public", "release_form": ""}
    response = client.post("/interviews/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    interview_id = response.headers["Location"].rsplit("/", 1)[-1]
    queued = app.extensions["jobs"].list()
    assert [(j.kind, j.arguments["interview"], j.state) for j in queued] == [
        ("derive-recordings", interview_id, "queued")
    ]
    assert fetch(client, f"/interviews/{interview_id}/recordings/1")[3] == "audio/wav"  # the original, meanwhile
    [job] = app.extensions["jobs"].run_pending()
    assert job.state == "done", job.message
    assert fetch(client, f"/interviews/{interview_id}/recordings/1")[3] == "audio/ogg"  # the streaming copy
    # a file browsers play as it is wants no copy, and no job is queued for it
    token = csrf_token(client.get("/interviews/new"))
    data = {"csrf_token": token, "transcript": (io.BytesIO(SHORT_VTT.replace(b"0.5", b"0.6")), "other.vtt")}
    data |= {
        "audio": [(io.BytesIO(sound(tmp_path / "t.opus", 2.0, "opus").read_bytes()), "tape.opus")],
        "title": "B",
        "access": "public",
        "release_form": "",
    }
    second = client.post("/interviews/new", data=data, content_type="multipart/form-data")
    assert second.status_code == 302, second.get_data(as_text=True)
    assert len(app.extensions["jobs"].list()) == 1


def test_historian_adds_a_part_to_an_old_record_with_one_audio(client, auth, app, collection):
    interview_id = collection.create(
        "interviews",
        {
            "interview.json": json.dumps(
                {
                    "title": "Old",
                    "access": "public",
                    "audio": {"file": "take.wav", "original": "original/audio.wav", "type": "audio/wav"},
                }
            ).encode(),
            "original/audio.wav": wav_bytes(1.5),
            "segments.json": b"[]",
        },
        "setup",
    )
    auth.login("historian")
    page = client.get(f"/interviews/{interview_id}/recordings/new")
    assert page.status_code == 200
    response = client.post(
        f"/interviews/{interview_id}/recordings/new",
        data={"csrf_token": csrf_token(page), "recordings": [(io.BytesIO(wav_bytes(1.0, 220)), "tape-2.wav")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    record = collection.read("interviews", interview_id, "interview.json").json()
    assert "audio" not in record
    first, second = record["recordings"]
    assert first["original"] == "original/audio.wav" and first["duration"] == pytest.approx(1.5)
    assert second["original"] == "original/recording-2.wav" and second["offset"] == pytest.approx(1.5)
    assert collection.last_change("interviews", interview_id, "interview.json")["author"] == "historian"
    assert len(collection.history("interviews", interview_id, "interview.json")) >= 1  # the old version is kept
    # a file that is not a recording is refused beside the field, and nothing changes
    refused = client.post(
        f"/interviews/{interview_id}/recordings/new",
        data={"csrf_token": csrf_token(page), "recordings": [(io.BytesIO(b"hello"), "notes.mp3")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "Notes.mp3 is not a recording this archive takes" in refused.get_data(as_text=True)
    assert collection.read("interviews", interview_id, "interview.json").json() == record


def test_only_staff_may_add_recordings(client, auth, sample_collection):
    interview_id = "1s12p03r"
    assert client.get(f"/interviews/{interview_id}/recordings/new").status_code in (302, 401, 403)
    auth.login("researcher")
    assert client.get(f"/interviews/{interview_id}/recordings/new").status_code == 403


# --- serving: ranges, types, access -------------------------------------------------------------------------------


@pytest.fixture
def with_parts(app, sample_collection):
    """Every sample interview given two parts (a WAV and an MP4), and the sample's levels widened to all of them:
    one public interview made staff-only, one family-only, one embargoed."""
    services = app.extensions["services"]
    ids = sorted(sample_collection.ids("interviews"))
    folder = Path(app.config["ARCHIVE_DATA"]) / "made"
    folder.mkdir()
    for interview_id in ids:
        services.recordings.add(
            interview_id,
            [
                (wav(folder / f"{interview_id}.wav", 2.0), "tape.wav"),
                (video(folder / f"{interview_id}.mp4", 1.0), "f.mp4"),
            ],
            "setup",
        )
    public = [i for i in ids if sample_collection.read("interviews", i, "interview.json").json()["access"] == "public"]
    for interview_id, change in zip(
        public[1:4], ({"access": "staff"}, {"access": "family"}, {"embargo_until": "2999-01-01"}), strict=True
    ):
        stored = sample_collection.read("interviews", interview_id, "interview.json")
        record = {**stored.json(), **change}
        sample_collection.write(
            "interviews",
            interview_id,
            {"interview.json": json.dumps(record).encode()},
            "setup",
            {"interview.json": stored.version},
        )
    levels = {}
    for interview_id in ids:
        record = sample_collection.read("interviews", interview_id, "interview.json").json()
        levels["embargoed" if record.get("embargo_until") else record["access"]] = interview_id
    return levels


def test_range_requests_answer_206_with_the_right_bytes(client, app, with_parts):
    interview_id = with_parts["public"]
    original = (Path(app.config["ARCHIVE_DATA"]) / "made" / f"{interview_id}.wav").read_bytes()
    base = f"/interviews/{interview_id}/recordings"
    status, headers, body, mimetype = fetch(client, f"{base}/1")
    assert status == 200 and body == original and mimetype == "audio/wav" and headers["Accept-Ranges"] == "bytes"
    status, headers, body, _ = fetch(client, f"{base}/1", Range="bytes=1000-1999")
    assert status == 206 and body == original[1000:2000]
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(original)}"
    status, _, body, _ = fetch(client, f"{base}/1", Range="bytes=-100")
    assert status == 206 and body == original[-100:]
    assert fetch(client, f"{base}/1", Range=f"bytes={len(original) + 10}-")[0] == 416
    status, _, body, mimetype = fetch(client, f"{base}/2", Range="bytes=0-99")
    assert status == 206 and mimetype == "video/mp4" and len(body) == 100
    assert fetch(client, f"{base}/3")[0] == 404
    status, _, body, _ = fetch(client, f"/interviews/{interview_id}/audio")  # the one recording's old address
    assert status == 200 and body == original


# who may fetch a recording of an interview at each level: anonymous, a researcher, a historian (staff)
EXPECTED = {
    "public": (200, 200, 200),
    "researchers": (404, 200, 200),
    "family": (404, 404, 200),
    "staff": (404, 403, 200),  # a signed-in researcher is told it is kept for staff, and may ask for access
    "embargoed": (404, 404, 200),
}


@pytest.mark.parametrize("level", list(EXPECTED))
def test_every_access_level_is_kept_by_recordings_and_their_list(client, auth, with_parts, level):
    interview_id = with_parts[level]
    for role, status in zip((None, "researcher", "historian"), EXPECTED[level], strict=True):
        if role:
            auth.login(role)
        for part in (1, 2):
            with client.get(f"/interviews/{interview_id}/recordings/{part}", headers={"Range": "bytes=0-9"}) as got:
                assert got.status_code == (206 if status == 200 else status), (level, role, part)
                if status == 200 and level != "public":
                    assert "no-store" in got.headers["Cache-Control"]
        listed = client.get(f"/api/v1/interviews/{interview_id}/recordings")
        assert listed.status_code == status, (level, role)
        if status == 200:
            assert [p["part"] for p in listed.json["items"]] == [1, 2]
        else:
            assert listed.mimetype == "application/problem+json"
        auth.logout() if role else None


def test_recordings_are_withheld_from_readers_while_a_passage_is_redacted(client, auth, app, with_parts):
    from archive import annotations

    collection = app.extensions["collection"]
    interview_id = with_parts["public"]
    stored = collection.read("interviews", interview_id, "segments.json")
    segments = stored.json()
    segments[0]["start"] = 0.0  # the first passage, redacted below, is spoken over both short parts
    collection.write(
        "interviews",
        interview_id,
        {"segments.json": json.dumps(segments).encode()},
        "setup",
        {"segments.json": stored.version},
    )
    annotations.create(collection, interview_id, 0, 5, annotations.bodies(collection, {}, [], "", True), "setup")
    # until their silenced copies are made (tests/test_sound.py), the parts holding the redacted passage are withheld
    assert fetch(client, f"/interviews/{interview_id}/recordings/2")[0] == 404
    assert fetch(client, f"/interviews/{interview_id}/audio")[0] == 404
    auth.login("historian")
    assert fetch(client, f"/interviews/{interview_id}/recordings/2")[0] == 200


# --- the API ------------------------------------------------------------------------------------------------------


def test_api_adds_recordings_with_a_bearer_token_and_lists_them(client, app, sample_collection, tmp_path):
    with app.app_context():
        accounts.add_user("hist", "historian", "a long enough password")
        token = accounts.new_token("hist")
    interview_id = "1s12p03r"
    url = f"/api/v1/interviews/{interview_id}/recordings"
    assert client.get(url).json == {"items": []}
    anonymous = client.post(url, data={"recording": (io.BytesIO(wav_bytes(1.0)), "a.wav")})
    assert anonymous.status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    made = client.post(
        url,
        data={
            "recording": [
                (io.BytesIO(wav_bytes(1.0)), "a.wav"),
                (io.BytesIO(sound(tmp_path / "b.ogg", 2.0, "ogg").read_bytes()), "b.ogg"),
            ]
        },
        headers=bearer,
        content_type="multipart/form-data",
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.headers["Location"].endswith(f"/interviews/{interview_id}/recordings/1")
    assert [(p["part"], p["file"], p["type"]) for p in made.json["items"]] == [
        (1, "a.wav", "audio/wav"),
        (2, "b.ogg", "audio/ogg"),
    ]
    listed = client.get(url).json["items"]
    assert listed[1]["offset"] == pytest.approx(1.0) and listed[1]["audio"]["codec"] == "vorbis"
    assert listed[1]["url"].endswith(f"/interviews/{interview_id}/recordings/2")
    refused = client.post(
        url, data={"recording": (io.BytesIO(b"words"), "c.mp3")}, headers=bearer, content_type="multipart/form-data"
    )
    assert refused.status_code == 422 and refused.json["code"] == "recording-unusable"
    assert refused.json["detail"].startswith("C.mp3 is not a recording")
    nothing = client.post(url, data={}, headers=bearer, content_type="multipart/form-data")
    assert nothing.status_code == 422
    assert len(client.get(url).json["items"]) == 2


def test_a_familys_story_recording_is_probed_and_a_broken_one_refused(tmp_path):
    from archive.contributions import ContributionError, Upload, check_story_file

    assert check_story_file(Upload(sound(tmp_path / "s.m4a", 1.0, "m4a"), "grandmother.m4a")) == "m4a"
    assert check_story_file(Upload(wav_bytes(1.0), "story.wav")) == "wav"
    with pytest.raises(ContributionError) as refused:
        check_story_file(Upload(cut(wav(tmp_path / "half.wav", 4.0)), "half.wav"))
    assert refused.value.field == "story_file" and "half.wav is cut short" in str(refused.value)
    with pytest.raises(ContributionError):  # a film is not a story the form takes
        check_story_file(Upload(video(tmp_path / "f.webm", 1.0), "f.webm"))
