"""Interview pages, audio and the upload form, through the Flask test client with CSRF on."""

import html
import io
import re
from pathlib import Path

import pytest
from conftest import csrf_token
from factories import mp3

from archive.ingest import Ingester
from archive.names import shipped_gazetteer

DATA = Path(__file__).parent / "data" / "transcripts"
AUDIO = mp3()


@pytest.fixture
def ingested(app, collection):
    """Three interviews: public with audio, researchers-only, and embargoed until far in the future."""
    ingester = Ingester(collection, shipped_gazetteer(), "tester", 2**20, app.extensions["indexer"])
    public = ingester.ingest(
        (DATA / "interview.vtt").read_bytes(),
        "interview.vtt",
        {"title": "Public: the sea at Posyet", "narrators": "Anna Tsoi", "access": "public", "villages": "Посьет"},
        AUDIO,
        "interview.mp3",
    )
    research = ingester.ingest(
        (DATA / "interview.srt").read_bytes(),
        "interview.srt",
        {"title": "Researchers: Kyzylorda", "access": "researchers"},
    )
    embargoed = ingester.ingest(
        (DATA / "speakers.txt").read_bytes(),
        "speakers.txt",
        {"title": "Embargoed: the winter", "access": "public", "embargo_until": "2999-01-01"},
    )
    assert {o.status for o in (public, research, embargoed)} == {"ingested"}
    return {"public": public.interview_id, "researchers": research.interview_id, "embargoed": embargoed.interview_id}


def test_interview_page_shows_turns_with_citable_anchors(client, ingested):
    page = client.get(f"/interviews/{ingested['public']}").get_data(as_text=True)
    assert "Public: the sea at Posyet" in page and "Посьет" in page
    assert re.search(r'<p class="segment" id="s1" lang="[^"]*">', page) or 'id="s1"' in page
    assert 'href="#s4"' in page and "And then the trains came." in page
    assert '<span class="speaker">Anna Tsoi</span>' in page
    assert "0:00:09" in page  # timecodes shown as h:mm:ss
    assert f'src="/interviews/{ingested["public"]}/recordings/1"' in page


@pytest.mark.parametrize(
    "role, visible",
    [
        (None, {"public"}),
        ("researcher", {"public", "researchers"}),
        ("historian", {"public", "researchers", "embargoed"}),
    ],
)
def test_who_sees_which_interview(client, auth, ingested, role, visible):
    if role:
        auth.login(role)
    listing = client.get("/interviews/").get_data(as_text=True)
    for state, interview_id in ingested.items():
        page = client.get(f"/interviews/{interview_id}")
        with client.get(f"/interviews/{interview_id}/audio") as audio:
            audio_status = audio.status_code
        if state in visible:
            assert page.status_code == 200 and interview_id in listing
        else:
            assert page.status_code == 404 and interview_id not in listing
            assert audio_status == 404
    assert ("Embargoed: the winter" in listing) == ("embargoed" in visible)


def test_audio_is_served_with_ranges_to_those_who_may_listen(client, ingested):
    with client.get(f"/interviews/{ingested['public']}/audio", headers={"Range": "bytes=0-9"}) as response:
        assert response.status_code == 206 and response.data == AUDIO[:10]
        assert response.mimetype == "audio/mpeg"


def test_unknown_interview_is_404(client):
    assert client.get("/interviews/zzzzzzzz").status_code == 404
    assert client.get("/interviews/..%2f..%2fetc").status_code == 404


def test_upload_form_is_for_staff_only(client, auth):
    assert client.get("/interviews/new").status_code == 302  # to sign-in
    auth.login("researcher")
    assert client.get("/interviews/new").status_code == 403


def upload(client, **fields):
    token = csrf_token(client.get("/interviews/new"))
    data = {"csrf_token": token, "access": "staff", "release_form": "", **fields}
    return client.post("/interviews/new", data=data, content_type="multipart/form-data")


def test_historian_uploads_a_transcript_with_audio(client, auth, app):
    auth.login("historian")
    response = upload(
        client,
        transcript=(io.BytesIO((DATA / "speakers.txt").read_bytes()), "speakers.txt"),
        audio=(io.BytesIO(AUDIO), "take1.mp3"),
        title="Uploaded: Posyet to Ushtobe",
        narrator="Цой Анна",
        narrator_other_forms="Tsoi Anna; 최 안나",
        villages="Uştöbe; 포시예트",
        date="1998~",
        languages="ru",
        access="researchers",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Uploaded: Posyet to Ushtobe" in page and "Ingested" in page and "Uştöbe" in page
    [interview_id] = app.extensions["collection"].ids("interviews")
    record = app.extensions["collection"].read("interviews", interview_id, "interview.json").json()
    assert record["villages"][0] == {"name": "Uştöbe", "place": "ushtobe"}
    assert record["narrators"] == [{"name": "Цой Анна", "other_forms": ["Tsoi Anna", "최 안나"]}]
    assert record["recordings"][0]["original"] == "original/recording-1.mp3"
    assert (
        app.extensions["collection"].last_change("interviews", interview_id, "interview.json")["author"] == "historian"
    )


def test_wrong_fields_are_shown_beside_each_and_typed_text_is_kept(client, auth, app):
    auth.login("historian")
    response = upload(
        client,
        transcript=(io.BytesIO((DATA / "interview.vtt").read_bytes()), "interview.vtt"),
        title="Keep this title",
        date="1937-13",
        villages="Atlantis",
        languages="xx-nope",
        embargo_until="next year",
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'value="Keep this title"' in page and 'value="Atlantis"' in page
    for message in (
        '"1937-13" is not a date in EDTF',
        '"Atlantis" is not in the gazetteer',
        '"xx-nope" is not a language tag',
        '"next year" is not a date (YYYY-MM-DD)',
        "Nothing was saved",
    ):
        assert message in page
    assert page.index('"Atlantis" is not in the gazetteer') > page.index('id="villages"')  # beside its own field
    assert app.extensions["collection"].ids("interviews") == []


@pytest.mark.parametrize(
    "filename, blob, message",
    [
        (
            "bad.srt",
            (DATA / "bad-time.srt").read_bytes(),
            'Cue 2 (line 6): timecode "00:00:99,000" is not a valid time',
        ),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "This is a JPEG image, not a transcript"),
        ("empty.txt", b"", "The file is empty"),
    ],
)
def test_a_bad_transcript_is_refused_beside_its_field(client, auth, app, filename, blob, message):
    auth.login("historian")
    page = html.unescape(upload(client, transcript=(io.BytesIO(blob), filename), title="x").get_data(as_text=True))
    assert message in page
    assert page.index(message) > page.index('id="transcript"')
    assert app.extensions["collection"].ids("interviews") == []


def test_missing_transcript_is_named(client, auth):
    auth.login("historian")
    assert "Choose the transcript file." in upload(client, title="x").get_data(as_text=True)


def test_upload_over_the_size_limit_is_refused(client, auth, app):
    auth.login("historian")
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = upload(client, transcript=(io.BytesIO(b"A: hi\n" * 5000), "big.txt"))
    assert response.status_code == 413


def test_audio_that_is_not_audio_is_refused_beside_the_audio_field(client, auth):
    auth.login("historian")
    page = html.unescape(
        upload(
            client,
            transcript=(io.BytesIO((DATA / "interview.vtt").read_bytes()), "interview.vtt"),
            audio=(io.BytesIO(b"not a sound at all"), "take.mp3"),
        ).get_data(as_text=True)
    )
    message = "Take.mp3 is not a recording this archive takes"
    assert message in page and page.index(message) > page.index('id="audio"')
