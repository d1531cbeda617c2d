"""Issue 16, "edit": an interview's description edited by its form and by the API (PATCH with If-Match), and its
transcript or one of its recordings replaced by a new file; each change a new version, with its line in the audit
log. Real app, real files in a temporary data root, the real search index; CSRF is on for the forms."""

from __future__ import annotations

import hashlib
import html
import io
import json
import random
import re

import pytest
from conftest import PASSWORD, Auth
from factories import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media_factory import cut, sound, wav

from archive import accounts, annotations, audit

PUBLIC = "1s12p03r"  # a public sample interview (Pavel Kim), with places and narrators' other forms


@pytest.fixture
def app(app):
    app.config["WTF_CSRF_ENABLED"] = True  # the forms are posted as a browser posts them
    return app


def form_fields(page: str) -> dict[str, str]:
    """The values of a page's inputs, selects and text areas, by name, as a browser would send them back."""
    values = {}
    for name, value in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page):
        values[name] = value
    for name in re.findall(r'<input[^>]*?name="([^"]+)"', page):
        values.setdefault(name, "")
    for name, value in re.findall(r'<textarea[^>]*?name="([^"]+)"[^>]*>\n?([^<]*)</textarea>', page):
        values[name] = value
    for name, options in re.findall(r'<select[^>]*?name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        values[name] = chosen.group(1) if chosen else ""
    return {k: html.unescape(v) for k, v in values.items()}


def stored(collection, interview_id: str = PUBLIC) -> dict:
    return collection.read("interviews", interview_id, "interview.json").json()


def actions(collection, interview_id: str = PUBLIC) -> list[tuple[str, str]]:
    return [(e.author, e.action) for e in audit.entries(collection.root) if e.record == f"interviews/{interview_id}"]


# --- the form ---------------------------------------------------------------------------------------------------------


def test_the_form_is_filled_from_the_record_and_a_changed_title_is_found_by_search(
    app, client, auth, sample_collection
):
    auth.login("historian")
    page = client.get(f"/interviews/{PUBLIC}/edit")
    assert page.status_code == 200
    values = form_fields(page.get_data(as_text=True))
    assert values["title"] == stored(sample_collection)["title"]
    assert values["narrators-0-narrator_name"] == "Pavel Kim"
    assert values["narrators-0-other_forms"] == "Ким Павел; 김 파벨"
    assert values["narrators-1-narrator_name"] == ""  # room for one more
    assert values["villages"] == "Vladivostok; Khabarovsk; Ushtobe; Karaganda; Kyzylorda; Almaty"
    assert values["place"] == "Almaty" and values["deported_to"] == "Ushtobe"
    assert values["surnames"] == "Kim; Tsoi" and values["languages"] == "en"
    assert values["duration"] == "0:11:05" and values["release_form"] == "yes" and values["access"] == "public"
    before = stored(sample_collection)
    values["title"] = "Pavel Kim remembers the Zhelezny crossing"
    response = client.post(f"/interviews/{PUBLIC}/edit", data=values)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/interviews/{PUBLIC}")
    assert "Description saved." in client.get(response.headers["Location"]).get_data(as_text=True)
    after = stored(sample_collection)
    assert after["title"] == "Pavel Kim remembers the Zhelezny crossing"
    # everything else as it was: the fields the form shows, typed back unchanged, and those it does not show
    assert {k: v for k, v in after.items() if k != "title"} == {k: v for k, v in before.items() if k != "title"}
    found = app.test_client().get("/search?q=Zhelezny").get_data(as_text=True)  # an anonymous reader
    assert f"/interviews/{PUBLIC}" in found
    assert actions(sample_collection)[-1] == ("historian", "edited")
    assert len(sample_collection.history("interviews", PUBLIC, "interview.json")) == 1  # the old version kept


def test_bad_date_and_unknown_village_are_shown_beside_their_fields_with_what_was_typed(
    app, client, auth, sample_collection
):
    auth.login("historian")
    values = form_fields(client.get(f"/interviews/{PUBLIC}/edit").get_data(as_text=True))
    before = sample_collection.read("interviews", PUBLIC, "interview.json").version
    values |= {"date": "last spring", "villages": "Ushtobe; Atlantisgrad", "title": "A title kept as typed"}
    response = client.post(f"/interviews/{PUBLIC}/edit", data=values)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    date_errors = re.search(r'<ul class="errors" id="date-errors">(.*?)</ul>', page, re.S)
    assert date_errors and "is not a date in EDTF" in date_errors.group(1)
    village_errors = re.search(r'<ul class="errors" id="villages-errors">(.*?)</ul>', page, re.S)
    assert village_errors and "Atlantisgrad" in village_errors.group(1) and "gazetteer" in village_errors.group(1)
    kept = form_fields(page)
    assert kept["date"] == "last spring" and kept["villages"] == "Ushtobe; Atlantisgrad"
    assert kept["title"] == "A title kept as typed"
    assert sample_collection.read("interviews", PUBLIC, "interview.json").version == before  # nothing written


def test_fields_the_form_does_not_show_are_kept(app, client, auth, sample_collection):
    record = stored(sample_collection)
    record["extra"] = {"tape_box": "B-17"}
    record["consent"]["living_named"] = False
    version = sample_collection.read("interviews", PUBLIC, "interview.json").version
    sample_collection.write(
        "interviews", PUBLIC, {"interview.json": json.dumps(record).encode()}, "setup", {"interview.json": version}
    )
    auth.login("historian")
    values = form_fields(client.get(f"/interviews/{PUBLIC}/edit").get_data(as_text=True))
    values |= {"narrators-1-narrator_name": "Anna Kim", "narrators-1-other_forms": "Ким Анна", "consent_scope": "web"}
    assert client.post(f"/interviews/{PUBLIC}/edit", data=values).status_code == 302
    after = stored(sample_collection)
    assert after["extra"] == {"tape_box": "B-17"} and after["source"] == record["source"]
    assert after["consent"] == {"release": True, "scope": "web", "date": "2018-10-20", "living_named": False}
    assert after["narrators"][1] == {"name": "Anna Kim", "other_forms": ["Ким Анна"]}


def test_two_editors_the_second_is_told_who_changed_it_and_keeps_what_he_typed(app, sample_collection):
    first, second = app.test_client(), app.test_client()
    Auth(app, first).login("historian")
    auth_b = Auth(app, second)
    auth_b.create("boris", "historian")
    assert auth_b.sign_in("boris", PASSWORD).status_code == 302
    a = form_fields(first.get(f"/interviews/{PUBLIC}/edit").get_data(as_text=True))
    b = form_fields(second.get(f"/interviews/{PUBLIC}/edit").get_data(as_text=True))
    assert first.post(f"/interviews/{PUBLIC}/edit", data=a | {"title": "First editor's title"}).status_code == 302
    response = second.post(f"/interviews/{PUBLIC}/edit", data=b | {"title": "Second editor's title"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "The description was changed by historian at" in page and "What you typed is kept below" in page
    assert form_fields(page)["title"] == "Second editor's title"
    assert stored(sample_collection)["title"] == "First editor's title"


@pytest.mark.parametrize(
    "path",
    [
        f"/interviews/{PUBLIC}/edit",
        f"/interviews/{PUBLIC}/transcript/replace",
        f"/interviews/{PUBLIC}/recordings/1/replace",
    ],
)
def test_readers_are_refused_as_on_the_other_staff_pages(app, client, auth, sample_collection, path):
    staff_page = f"/interviews/{PUBLIC}/passages/1"  # correcting a passage: today's staff page
    anonymous = client.get(path)
    assert anonymous.status_code == client.get(staff_page).status_code == 302
    assert "/auth/signin" in anonymous.headers["Location"]
    auth.login("researcher")
    assert client.get(path).status_code == client.get(staff_page).status_code == 403
    assert client.post(path, data={}).status_code in (400, 403)  # no CSRF token, or not allowed: nothing written
    assert actions(sample_collection) == []


# --- the API ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def token(app, sample_collection):
    with app.app_context():
        accounts.add_user("scribe", "historian", PASSWORD)
        return accounts.new_token("scribe")


def patch(client, token: str, body, if_match: str | None = None):
    headers = {"Authorization": f"Bearer {token}"}
    if if_match is not None:
        headers["If-Match"] = if_match
    return client.patch(f"/api/v1/interviews/{PUBLIC}", json=body, headers=headers)


def test_api_gives_the_description_with_its_etag_and_patches_it_with_if_match(client, token, sample_collection):
    staff = client.get(f"/api/v1/interviews/{PUBLIC}", headers={"Authorization": f"Bearer {token}"})
    assert staff.status_code == 200
    version = sample_collection.read("interviews", PUBLIC, "interview.json").version
    assert staff.headers["ETag"] == f'"{version}"'
    assert staff.json["id"] == PUBLIC and staff.json["source"]["format"] == "vtt"
    anonymous = client.get(f"/api/v1/interviews/{PUBLIC}")
    assert anonymous.status_code == 200 and "source" not in anonymous.json  # staff's alone
    assert anonymous.headers["ETag"] != staff.headers["ETag"]
    # without If-Match: 428, nothing changed
    refused = patch(client, token, {"title": "Changed without reading"})
    assert refused.status_code == 428 and refused.json["code"] == "precondition-required"
    changed = patch(client, token, {"title": "Pavel Kim, by the API", "keywords": None}, staff.headers["ETag"])
    assert changed.status_code == 200, changed.json
    record = stored(sample_collection)
    assert record["title"] == "Pavel Kim, by the API" and "keywords" not in record  # null removed it
    assert record["surnames"] == ["Kim", "Tsoi"] and record["source"]["format"] == "vtt"  # the rest kept
    new_version = sample_collection.read("interviews", PUBLIC, "interview.json").version
    assert changed.headers["ETag"] == f'"{new_version}"' and changed.json["title"] == "Pavel Kim, by the API"
    # merge patch of an object: one member changed, the others kept
    merged = patch(client, token, {"consent": {"scope": "research"}}, changed.headers["ETag"])
    assert merged.status_code == 200
    assert stored(sample_collection)["consent"] == {"release": True, "scope": "research", "date": "2018-10-20"}
    # the old ETag is stale now: 412 naming who changed it and when
    stale = patch(client, token, {"title": "Too late"}, staff.headers["ETag"])
    assert stale.status_code == 412 and stale.json["code"] == "version-conflict"
    assert stale.json["author"] == "scribe" and stale.json["time"].startswith("20")
    assert stored(sample_collection)["title"] == "Pavel Kim, by the API"
    assert [a for _, a in actions(sample_collection)] == ["edited", "edited"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"date": "last spring"}, "date"),
        ({"villages": ["Ushtobe", "Atlantisgrad"]}, "villages"),
        ({"access": "everyone"}, "access"),
        ({"title": None}, "title"),
        ({"narrators": "Pavel Kim"}, "narrators"),
        ({"source": {"file": "forged.txt"}}, "source"),
    ],
)
def test_api_refuses_a_bad_value_with_a_problem_naming_the_field(client, token, sample_collection, body, field):
    etag = client.get(f"/api/v1/interviews/{PUBLIC}", headers={"Authorization": f"Bearer {token}"}).headers["ETag"]
    before = sample_collection.read("interviews", PUBLIC, "interview.json").version
    response = patch(client, token, body, etag)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "metadata-invalid" and response.json["field"] == field
    assert field in response.json["errors"]
    assert sample_collection.read("interviews", PUBLIC, "interview.json").version == before


def test_api_patch_is_for_staff_alone(client, app, sample_collection):
    with app.app_context():
        accounts.add_user("reader", "researcher", PASSWORD)
        reader = accounts.new_token("reader")
    etag = client.get(f"/api/v1/interviews/{PUBLIC}").headers["ETag"]
    assert (
        client.patch(f"/api/v1/interviews/{PUBLIC}", json={"title": "x"}, headers={"If-Match": etag}).status_code == 401
    )
    assert patch(client, reader, {"title": "x"}, etag).status_code == 403
    # a researchers-only interview is not there for an anonymous reader, and neither are unknown ones
    assert client.get("/api/v1/interviews/0ayd1wnd").status_code == 404
    assert client.get("/api/v1/interviews/zzzzzzzz").status_code == 404
    assert actions(sample_collection) == []


# --- replacing a transcript -------------------------------------------------------------------------------------------

OLD_VTT = (
    b"WEBVTT\n\n00:00.500 --> 00:01.400\nAnna: We came in October.\n\n"
    b"00:01.500 --> 00:02.400\nAnna: Then winter came.\n\n00:02.500 --> 00:02.900\nAnna: And spring.\n"
)
NEW_TXT = b"Anna: First we waited at the station.\n\nAnna: Then winter came.\n\nAnna: And spring.\n"


@pytest.fixture
def talk(app):
    """A public interview ingested from a WebVTT file, with two annotations: one on "winter" (a word the new
    transcript keeps), one on "October" (a word it loses)."""
    services = app.extensions["services"]
    outcome = services.ingest.ingester("setup").ingest(OLD_VTT, "talk.vtt", {"title": "A talk", "access": "public"})
    assert outcome.status == "ingested", outcome.reason
    interview_id = outcome.interview_id
    collection = services.collection
    text = "\n".join(s["text"] for s in collection.read("interviews", interview_id, "segments.json").json())
    made = {}
    for word in ("winter", "October"):
        start = text.index(word)
        body = services.annotations.bodies({}, [f"tag-{word.lower()}"], f"about {word}")
        made[word] = services.annotations.create(interview_id, start, start + len(word), body, "setup")
    return interview_id, made


def test_a_replaced_transcript_rebuilds_passages_reanchors_annotations_and_lists_the_lost_ones(
    app, client, auth, collection, talk
):
    interview_id, made = talk
    auth.login("historian")
    page = client.get(f"/interviews/{interview_id}/transcript/replace")
    assert page.status_code == 200
    values = form_fields(page.get_data(as_text=True))
    response = client.post(
        f"/interviews/{interview_id}/transcript/replace",
        data={**values, "transcript": (io.BytesIO(NEW_TXT), "talk-corrected.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_data(as_text=True)
    assert "The new transcript has 3 passages." in result
    assert "1 annotation lost its words and is flagged for review." in result
    assert "<q>October</q>" in result and "about October" in result and "winter" not in result
    segments = collection.read("interviews", interview_id, "segments.json").json()
    assert [s["text"] for s in segments] == ["First we waited at the station.", "Then winter came.", "And spring."]
    assert all(s["start"] is None for s in segments)  # plain text has no times
    text = "\n".join(s["text"] for s in segments)
    by_note = {
        a["body"][-1]["value"]: a
        for a in collection.read("interviews", interview_id, "annotations.json").json()["first"]["items"]
    }
    winter, october = by_note["about winter"], by_note["about October"]
    position = next(s for s in winter["target"]["selector"] if s["type"] == "TextPositionSelector")
    assert text[position["start"] : position["end"]] == "winter" and "review" not in winter
    assert position["start"] == text.index("winter") != made["winter"]["target"]["selector"][1]["start"]
    assert october["review"]["reason"]
    record = collection.read("interviews", interview_id, "interview.json").json()
    assert record["source"]["original"] == "original/transcript.txt" and record["source"]["format"] == "txt"
    assert record["source"]["file"] == "talk-corrected.txt" and record["title"] == "A talk"
    assert collection.read("interviews", interview_id, "original/transcript.txt").data == NEW_TXT
    folder = collection.folder("interviews", interview_id)
    assert not (folder / "original" / "transcript.vtt").exists()
    [old] = collection.history("interviews", interview_id, "original/transcript.vtt")
    assert (folder / old.path).read_bytes() == OLD_VTT  # history keeps the old original
    assert len(collection.history("interviews", interview_id, "segments.json")) == 1
    assert actions(collection, interview_id)[-1] == ("historian", "replaced-transcript")
    assert not list(collection.verify())  # every file, old and new, in the manifest
    found = app.test_client().get("/search?q=station").get_data(as_text=True)
    assert f"/interviews/{interview_id}" in found  # the index holds the new words


def test_a_transcript_that_cannot_be_read_is_refused_beside_the_field_and_nothing_changes(
    app, client, auth, collection, talk
):
    interview_id, _made = talk
    auth.login("historian")
    values = form_fields(client.get(f"/interviews/{interview_id}/transcript/replace").get_data(as_text=True))
    before = {n: collection.read("interviews", interview_id, n).version for n in ("interview.json", "segments.json")}
    lines = len(actions(collection, interview_id))
    for data, name, said in [
        (b"\xd0\xcf\x11\xe0" + b"\0" * 600, "old.doc", "Word 97-2003"),
        (b"WEBVTT\n\nnot a cue at all -->\n", "broken.vtt", ""),
        (OLD_VTT, "same.vtt", "This file is the transcript the interview already has."),
    ]:
        response = client.post(
            f"/interviews/{interview_id}/transcript/replace",
            data={**values, "transcript": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422, name
        errors = re.search(
            r'<ul class="errors" id="transcript-errors">(.*?)</ul>', response.get_data(as_text=True), re.S
        )
        assert errors and said in errors.group(1), name
    after = {n: collection.read("interviews", interview_id, n).version for n in ("interview.json", "segments.json")}
    assert after == before and len(actions(collection, interview_id)) == lines


def test_a_transcript_corrected_meanwhile_is_a_conflict(app, client, auth, collection, talk):
    interview_id, _made = talk
    auth.login("historian")
    values = form_fields(client.get(f"/interviews/{interview_id}/transcript/replace").get_data(as_text=True))
    version = collection.read("interviews", interview_id, "segments.json").version
    app.extensions["services"].transcripts.correct_segment(interview_id, 3, "And then spring.", "boris", version)
    response = client.post(
        f"/interviews/{interview_id}/transcript/replace",
        data={**values, "transcript": (io.BytesIO(NEW_TXT), "new.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    assert "The transcript was changed by boris at" in response.get_data(as_text=True)
    assert collection.read("interviews", interview_id, "segments.json").json()[2]["text"] == "And then spring."


# --- replacing a recording --------------------------------------------------------------------------------------------


@pytest.fixture
def taped(app, tmp_path):
    """A public interview with two parts (a WAV of 2 s, then one of 1 s), and the streaming copy of each made by the
    job that ingest queues (a WAV wants one)."""
    services = app.extensions["services"]
    parts = [(wav(tmp_path / "tape-1.wav", 2.0), "tape-1.wav"), (wav(tmp_path / "tape-2.wav", 1.0, 220), "tape-2.wav")]
    outcome = services.ingest.ingester("setup").ingest(
        OLD_VTT, "talk.vtt", {"title": "Two tapes", "access": "public"}, parts=parts
    )
    assert outcome.status == "ingested", outcome.reason
    services.recordings.prepare(outcome.interview_id, "setup")
    assert all(job.state == "done" for job in app.extensions["jobs"].run_pending())
    folder = services.collection.folder("interviews", outcome.interview_id)
    assert set(json.loads((folder / "derived" / "recordings.json").read_text())) == {"1", "2"}
    return outcome.interview_id


def test_a_replaced_recording_has_its_new_length_and_moves_the_parts_after_it(
    app, client, auth, collection, taped, tmp_path
):
    auth.login("historian")
    page = client.get(f"/interviews/{taped}")
    assert f'href="/interviews/{taped}/recordings/2/replace"' in page.get_data(as_text=True)  # the staff tools
    form = client.get(f"/interviews/{taped}/recordings/1/replace")
    assert form.status_code == 200
    new = sound(tmp_path / "longer.mp3", 3.0, "mp3").read_bytes()
    response = client.post(
        f"/interviews/{taped}/recordings/1/replace",
        data={**form_fields(form.get_data(as_text=True)), "recording": (io.BytesIO(new), "tape-1-better.mp3")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    first, second = collection.read("interviews", taped, "interview.json").json()["recordings"]
    assert first["file"] == "tape-1-better.mp3" and first["original"] == "original/recording-1.mp3"
    assert first["duration"] == pytest.approx(3.0, abs=0.1) and first["container"] == "mp3"
    assert first["sha256"] == hashlib.sha256(new).hexdigest() and first["bytes"] == len(new)
    assert second["offset"] == pytest.approx(first["duration"]) and second["duration"] == pytest.approx(1.0)
    folder = collection.folder("interviews", taped)
    assert collection.read("interviews", taped, "original/recording-1.mp3").data == new
    assert not (folder / "original" / "recording-1.wav").exists()
    [old] = collection.history("interviews", taped, "original/recording-1.wav")
    assert (folder / old.path).read_bytes() == (tmp_path / "tape-1.wav").read_bytes()  # history keeps the old one
    # the copy made from the old recording is gone; the new one plays as it is (an MP3 wants no copy)
    described = json.loads((folder / "derived" / "recordings.json").read_text())
    assert not described.get("1") and not list((folder / "derived").glob("recording-1.*"))
    with client.get(f"/interviews/{taped}/recordings/1") as heard:
        assert heard.status_code == 200 and heard.mimetype == "audio/mpeg"
    assert actions(collection, taped)[-1] == ("historian", "replaced-recording")
    assert not list(collection.verify())


def test_a_broken_recording_is_refused_and_nothing_is_written(app, client, auth, collection, taped, tmp_path):
    auth.login("historian")
    form = client.get(f"/interviews/{taped}/recordings/2/replace")
    version = collection.read("interviews", taped, "interview.json").version
    lines = len(actions(collection, taped))
    broken = cut(wav(tmp_path / "broken.wav", 4.0)).read_bytes()
    response = client.post(
        f"/interviews/{taped}/recordings/2/replace",
        data={**form_fields(form.get_data(as_text=True)), "recording": (io.BytesIO(broken), "broken.wav")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    errors = re.search(r'<ul class="errors" id="recording-errors">(.*?)</ul>', response.get_data(as_text=True), re.S)
    assert errors and "Broken.wav is cut short or damaged" in errors.group(1)
    assert collection.read("interviews", taped, "interview.json").version == version
    assert len(actions(collection, taped)) == lines
    assert client.get(f"/interviews/{taped}/recordings/3/replace").status_code == 404  # no third part


def test_the_api_document_describes_the_description_and_its_patch(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    operations = paths["/api/v1/interviews/{interview_id}"]
    assert set(operations) == {"get", "patch"}
    patching = operations["patch"]
    assert {"412", "422", "428"} <= set(patching["responses"]) and "requestBody" in patching
    assert "ETag" in operations["get"]["responses"]["200"]["headers"]


def test_the_edit_form_speaks_the_readers_language(client, auth, sample_collection):
    auth.login("historian")
    page = client.get(f"/interviews/{PUBLIC}/edit?lang=ko").get_data(as_text=True)
    assert "이름의 다른 표기" in page and "이야기 주인공 2" in page
    page = client.get(f"/interviews/{PUBLIC}/transcript/replace?lang=ru").get_data(as_text=True)
    assert "Заменить расшифровку" in page


def test_the_one_recording_of_an_old_record_is_replaced_as_its_first_part(app, client, auth, collection, tmp_path):
    old = wav(tmp_path / "take.wav", 1.5).read_bytes()
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
            "original/audio.wav": old,
            "segments.json": b"[]",
        },
        "setup",
    )
    auth.login("historian")
    form = client.get(f"/interviews/{interview_id}/recordings/1/replace")
    new = wav(tmp_path / "take-2.wav", 2.5, 330).read_bytes()
    response = client.post(
        f"/interviews/{interview_id}/recordings/1/replace",
        data={**form_fields(form.get_data(as_text=True)), "recording": (io.BytesIO(new), "take-2.wav")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    record = collection.read("interviews", interview_id, "interview.json").json()
    assert "audio" not in record
    [part] = record["recordings"]
    assert part["original"] == "original/recording-1.wav" and part["duration"] == pytest.approx(2.5)
    assert part["offset"] == 0.0
    [kept] = collection.history("interviews", interview_id, "original/audio.wav")
    assert (collection.folder("interviews", interview_id) / kept.path).read_bytes() == old
    assert not list(collection.verify())


# --- no server error, whatever is sent --------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = ["title", "narrators", "date", "place", "villages", "languages", "duration", "consent", "access", "extra"]


def test_whatever_the_form_or_a_patch_sends_is_answered_without_a_server_error(app, client, auth, sample_collection):
    auth.login("historian")
    with app.app_context():
        accounts.add_user("fuzzer", "historian", PASSWORD)
        token = accounts.new_token("fuzzer")
    base = form_fields(client.get(f"/interviews/{PUBLIC}/edit").get_data(as_text=True))

    @given(st.dictionaries(st.sampled_from(sorted(base)), st.text(max_size=40), max_size=6))
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def form(changes):
        random.seed()  # Hypothesis seeds `random` alike each time; Whoosh names index segments with it
        changes.pop("csrf_token", None)
        response = client.post(f"/interviews/{PUBLIC}/edit", data={**base, **changes})
        assert response.status_code in (302, 409, 422), response.status_code

    @given(st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=4))
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def patched(body):
        random.seed()
        response = patch(client, token, body, "*")
        assert response.status_code in (200, 400, 422), (response.status_code, response.get_data(as_text=True))

    form()
    patched()


def test_the_api_shows_a_description_to_exactly_those_who_may_open_its_page(app, client, auth, sample_collection):
    # widen the sample's states: one public interview embargoed, one withdrawn by its family
    public = [
        i
        for i in sample_collection.ids("interviews")
        if stored(sample_collection, i)["access"] == "public" and i != PUBLIC
    ]
    for interview_id, change in zip(
        public, ({"embargo_until": "2999-01-01"}, {"withdrawn": "2026-01-01"}), strict=False
    ):
        version = sample_collection.read("interviews", interview_id, "interview.json").version
        record = {**stored(sample_collection, interview_id), **change}
        sample_collection.write(
            "interviews",
            interview_id,
            {"interview.json": json.dumps(record).encode()},
            "setup",
            {"interview.json": version},
        )
    for role in (None, "researcher", "historian"):
        if role:
            auth.login(role)
        seen = set()
        for interview_id in sample_collection.ids("interviews"):
            page = client.get(f"/interviews/{interview_id}").status_code
            api = client.get(f"/api/v1/interviews/{interview_id}")
            assert (api.status_code, page) in ((200, 200), (404, 404)), (role, interview_id)
            seen.add(api.status_code)
            if api.status_code == 200:
                assert ("source" in api.json) == (role == "historian")  # staff's own fields, for staff alone
        assert seen == ({200} if role == "historian" else {200, 404}), role
        if role:
            auth.logout()


def test_a_word_file_replaces_a_transcript_told_by_its_content_whatever_its_name(app, collection, talk):
    interview_id, _made = talk
    data = docx(["Anna: Then winter came.", "Anna: And spring came late."])
    services = app.extensions["services"]
    with app.app_context():
        version = collection.read("interviews", interview_id, "segments.json").version
        segments, flagged = services.interviews.replace_transcript(interview_id, data, "notes.bin", "boris", version)
    assert [s["text"] for s in segments] == ["Then winter came.", "And spring came late."]
    assert [annotations.note(a) for a in flagged] == ["about October"]
    record = collection.read("interviews", interview_id, "interview.json").json()
    assert record["source"]["format"] == "docx" and record["source"]["original"] == "original/transcript.docx"
    assert record["source"]["replaced_by"] == "boris" and record["source"]["by"] == "setup"
