"""The segment index (an OHMS-style table of contents) and passage times: stored as versions with history and
conflicts, checked field by field, edited by historians through a form without JavaScript and through the API with
ETag and If-Match, shown to readers beside the transcript, and found by search at its time."""

import io
import json
import wave

import pytest
from conftest import csrf_token

from archive import segment_index, transcripts
from archive.errors import ConflictError

OHMS = "svqc7aeb"  # the public sample imported from OHMS: its index points are in record["toc"] (6 points, 588 s)
PARTLY_TIMED = "x3w3seda"  # public, 30 passages of which 10 have times
RESTRICTED = "0ayd1wnd"  # researchers only: anonymous readers must not learn it exists


def point(start, title="A title", **extra):
    return {"start": start, "title": title, **extra}


def services(app):
    return app.extensions["services"]


# --- the domain and its service ---------------------------------------------------------------------------------


def test_an_ohms_import_is_read_as_the_first_version_until_saved(app, sample_collection):
    index = segment_index.read(sample_collection, OHMS)
    assert not index.saved and index.version == segment_index.INITIAL
    assert [p["start"] for p in index.points][:2] == [4.0, 58.0]
    assert index.points[1]["links"] == [{"url": "https://example.org/sample", "label": "Example link"}]
    assert "end" not in index.points[0] and "title_alt" not in index.points[0]


def test_a_save_is_a_new_version_with_history_and_a_stale_version_is_refused(app, sample_collection):
    first = services(app).segment_index.save(OHMS, [point(10, "Childhood")], "anna", segment_index.INITIAL)
    stored = json.loads((app.config["ARCHIVE_DATA"] / "interviews" / OHMS / "index.json").read_text())
    assert stored[0]["title"] == "Childhood" and first.saved
    second = services(app).segment_index.save(
        OHMS, [point(10, "Childhood"), point(70, "The train")], "boris", first.version
    )
    assert [p["title"] for p in segment_index.read(sample_collection, OHMS).points] == ["Childhood", "The train"]
    history = segment_index.history(sample_collection, OHMS)
    assert [h.author for h in history] == ["anna"]
    # a writer who read the first version (or the OHMS import) is refused, told who changed it
    for stale in (first.version, segment_index.INITIAL):
        with pytest.raises(ConflictError) as refused:
            services(app).segment_index.save(OHMS, [point(5)], "vera", stale)
        assert refused.value.author == "boris"
    assert segment_index.read(sample_collection, OHMS).version == second.version


def test_each_problem_is_named_beside_its_point_and_field(app, sample_collection):
    given = [
        point("0:01:00", "Fine"),
        point("1:00", ""),  # the same time again, and no title
        point("abc", "Bad time"),
        point(600, "After the end"),  # the recording is 588 seconds long
        point(5, "Unknown place", places=["Atlantis"]),
        point(6, "Bad GPS", gps=[{"lat": 95, "lon": 10}]),
        point(7, "Bad link", links=[{"url": "javascript:alert(1)", "label": "x"}]),
    ]
    with pytest.raises(segment_index.SegmentIndexError) as refused:
        services(app).segment_index.save(OHMS, given, "anna", segment_index.INITIAL)
    found = {(p.point, p.name) for p in refused.value.problems}
    assert found == {(1, "start"), (1, "title"), (2, "start"), (3, "start"), (4, "places"), (5, "gps"), (6, "links")}
    said = {(p.point, p.name): str(p.message) for p in refused.value.problems}
    assert "Point 1 already starts at 0:01:00" in said[(1, "start")]
    assert "after the end of the interview (0:09:48)" in said[(3, "start")]
    assert refused.value.field == "points.1.start" and refused.value.code == "segment-index-invalid"
    assert not (app.config["ARCHIVE_DATA"] / "interviews" / OHMS / "index.json").exists()


def test_places_are_gazetteer_ids_or_names_in_any_script_and_points_are_kept_in_time_order(app, sample_collection):
    saved = services(app).segment_index.save(
        OHMS,
        [
            point(90, "Later", places=["Уштобе"], gps=[{"lat": "45.25", "lon": "77.98", "label": "Ushtobe"}]),
            point(3, "Earlier", places="ushtobe; Ushtobe", keywords="train; train; wagons"),
        ],
        "anna",
        segment_index.INITIAL,
    )
    assert [p["title"] for p in saved.points] == ["Earlier", "Later"]
    assert saved.points[0]["places"] == ["ushtobe"] and saved.points[1]["places"] == ["ushtobe"]
    assert saved.points[0]["keywords"] == ["train", "wagons"]
    assert saved.points[1]["gps"] == [{"lat": 45.25, "lon": 77.98, "label": "Ushtobe"}]


def test_passage_times_are_saved_as_a_new_version_and_must_increase(app, sample_collection):
    stored = sample_collection.read("interviews", PARTLY_TIMED, "segments.json")
    segments = stored.json()
    times = {s["n"]: float(10 * s["n"]) for s in segments}
    wrong = {**times, 4: 25.0}  # passage 4 before passage 3
    with pytest.raises(transcripts.TranscriptError) as refused:
        services(app).transcripts.set_times(PARTLY_TIMED, wrong, "anna", stored.version)
    assert refused.value.field == "time-4" and "Times must increase" in str(refused.value)
    saved = services(app).transcripts.set_times(PARTLY_TIMED, times, "anna", stored.version)
    assert [s["start"] for s in saved] == [10.0 * s["n"] for s in segments]
    assert saved[0]["end"] == 20.0 and [s["text"] for s in saved] == [s["text"] for s in segments]
    assert sample_collection.history("interviews", PARTLY_TIMED, "segments.json")  # the old version is kept
    with pytest.raises(ConflictError):  # made against the version before
        services(app).transcripts.set_times(PARTLY_TIMED, times, "boris", stored.version)


# --- pages --------------------------------------------------------------------------------------------------------


def test_readers_see_the_index_beside_the_transcript_with_links_to_its_times(client, sample_collection):
    page = client.get(f"/interviews/{OHMS}?lang=ru").get_data(as_text=True)
    assert '<nav class="segment-index"' in page
    assert '<a href="?t=58#t=58" data-start="58">0:00:58</a>' in page
    assert "Deportation of 1937 and the train" in page
    assert "Оглавление" in page or "Содержание" in page  # the UI's words in the reader's language
    assert "index/edit" not in page  # no edit link for readers


def test_readers_cannot_edit_and_restricted_interviews_are_not_there(client, auth, sample_collection):
    assert client.get(f"/interviews/{OHMS}/index/edit").status_code in (302, 403)
    assert client.get(f"/interviews/{OHMS}/times").status_code in (302, 403)
    assert client.get(f"/api/v1/interviews/{RESTRICTED}/index").status_code == 404
    assert client.get(f"/api/v1/interviews/{OHMS}/index").status_code == 200
    auth.login("researcher")
    assert client.get(f"/interviews/{OHMS}/index/edit").status_code == 403
    assert client.get(f"/api/v1/interviews/{RESTRICTED}/index").status_code == 200


def form_of(page: str) -> dict:
    """The named fields of the index form as the page shows them (inputs and text areas)."""
    import re

    fields = {}
    for name, value in re.findall(r'<input[^>]*name="(points-\d+-\w+)"[^>]*value="([^"]*)"', page):
        fields[name] = value
    for name, value in re.findall(r'<textarea[^>]*name="(points-\d+-\w+)"[^>]*>\n?(.*?)</textarea>', page, re.S):
        fields[name] = value
    return fields


def test_the_form_adds_and_removes_points_without_losing_what_was_typed_and_saves(client, auth, sample_collection):
    auth.login("historian")
    page = client.get(f"/interviews/{OHMS}/index/edit")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    version = segment_index.INITIAL
    assert f'name="version" type="hidden" value="{version}"' in text
    fields = form_of(text)
    assert fields["points-1-start"] == "0:00:58" and fields["points-5-title"]
    data = {**fields, "csrf_token": csrf_token(page), "version": version, "points-0-title": "Typed, not saved"}
    added = client.post(f"/interviews/{OHMS}/index/edit", data={**data, "add": "1"})
    assert added.status_code == 200
    after_add = form_of(added.get_data(as_text=True))
    assert after_add["points-0-title"] == "Typed, not saved" and after_add["points-6-title"] == ""
    removed = client.post(f"/interviews/{OHMS}/index/edit", data={**data, "points-2-remove": "1"})
    after_remove = form_of(removed.get_data(as_text=True))
    assert "points-5-title" not in after_remove and after_remove["points-0-title"] == "Typed, not saved"
    assert after_remove["points-2-title"] == fields["points-3-title"]
    # an error is shown beside its field, and what was typed stays
    wrong = client.post(f"/interviews/{OHMS}/index/edit", data={**data, "points-1-start": "0:00:04", "submit": "1"})
    assert wrong.status_code == 422
    body = wrong.get_data(as_text=True)
    assert 'id="points-1-start-errors"' in body and "Point 1 already starts at 0:00:04" in body
    assert form_of(body)["points-0-title"] == "Typed, not saved"
    saved = client.post(f"/interviews/{OHMS}/index/edit", data={**data, "submit": "1"})
    assert saved.status_code == 302
    assert segment_index.read(sample_collection, OHMS).points[0]["title"] == "Typed, not saved"
    # the same form sent again is stale: refused, nothing lost
    again = client.post(f"/interviews/{OHMS}/index/edit", data={**data, "submit": "1"})
    assert again.status_code == 422 and "historian" in again.get_data(as_text=True)


def test_the_times_page_saves_typed_times_and_refuses_times_that_go_back(client, auth, sample_collection):
    auth.login("historian")
    page = client.get(f"/interviews/{PARTLY_TIMED}/times")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    version = sample_collection.read("interviews", PARTLY_TIMED, "segments.json").version
    segments = sample_collection.read("interviews", PARTLY_TIMED, "segments.json").json()
    data = {"csrf_token": csrf_token(page), "version": version}
    data.update({f"time-{s['n']}": str(5 * s["n"]) for s in segments})
    back = client.post(f"/interviews/{PARTLY_TIMED}/times", data={**data, "time-3": "0:00:02"})
    assert back.status_code == 422
    assert 'id="time-3-errors"' in back.get_data(as_text=True) and 'value="0:00:02"' in back.get_data(as_text=True)
    assert 'name="time-3"' in text
    saved = client.post(f"/interviews/{PARTLY_TIMED}/times", data=data)
    assert saved.status_code == 302
    assert [s["start"] for s in sample_collection.read("interviews", PARTLY_TIMED, "segments.json").json()] == [
        5.0 * s["n"] for s in segments
    ]
    shown = client.get(f"/interviews/{PARTLY_TIMED}").get_data(as_text=True)
    assert 'data-start="15.0"' in shown or 'data-start="15"' in shown


# --- the API ------------------------------------------------------------------------------------------------------


@pytest.fixture
def token(app, sample_collection):
    from archive import accounts

    with app.app_context():
        accounts.add_user("hist", "historian", "a long enough password")
        return accounts.new_token("hist")


def put(client, interview_id, body, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.put(
        f"/api/v1/interviews/{interview_id}/index",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_the_api_gives_the_index_with_its_etag_and_takes_it_back_with_if_match(client, token, sample_collection):
    got = client.get(f"/api/v1/interviews/{OHMS}/index")
    assert got.headers["ETag"] == '"initial"'
    body = got.get_json()
    assert len(body["points"]) == 6
    body["points"][0]["synopsis"] = "A synopsis changed by a script."
    assert put(client, OHMS, body).status_code == 401  # no token: not a writer
    assert put(client, OHMS, body, token).status_code == 428  # no If-Match
    done = put(client, OHMS, body, token, **{"If-Match": '"initial"'})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["points"][0]["synopsis"] == "A synopsis changed by a script."
    etag = done.headers["ETag"]
    stale = put(client, OHMS, body, token, **{"If-Match": '"initial"'})
    assert stale.status_code == 412 and stale.get_json()["code"] == "version-conflict"
    assert stale.get_json()["author"] == "hist"
    body["points"][1]["start"] = body["points"][0]["start"]
    refused = put(client, OHMS, body, token, **{"If-Match": etag})
    assert refused.status_code == 422
    problem = refused.get_json()
    assert problem["code"] == "segment-index-invalid" and problem["field"] == "points.1.start"
    assert client.get(f"/api/v1/interviews/{OHMS}/index").headers["ETag"] == etag


# --- search -------------------------------------------------------------------------------------------------------


def test_a_word_only_in_a_synopsis_finds_the_interview_and_links_to_its_time(app, client, sample_collection):
    services(app).segment_index.save(
        OHMS,
        [point(4, "Opening"), point(321.5, "Harvest", synopsis="The narrator remembers the zucchinoharvest feast.")],
        "anna",
        segment_index.INITIAL,
    )
    page = client.get("/search?q=zucchinoharvest").get_data(as_text=True)
    assert f'href="/interviews/{OHMS}?t=321.5#t=321.5"' in page
    assert "<mark>zucchinoharvest</mark>" in page
    found = client.get("/api/v1/search?q=zucchinoharvest").get_json()
    assert [h["id"] for h in found["hits"]] == [OHMS]
    assert found["hits"][0]["points"][0]["start"] == 321.5
    assert found["hits"][0]["points"][0]["url"].endswith(f"/interviews/{OHMS}?t=321.5#t=321.5")
    # the restricted interview's index is not found by an anonymous reader
    services(app).segment_index.save(
        RESTRICTED, [point(1, "Secret", synopsis="quinceblossomword")], "anna", segment_index.INITIAL
    )
    assert client.get("/api/v1/search?q=quinceblossomword").get_json()["total"] == 0


def test_cross_script_names_in_a_synopsis_are_found(app, client, sample_collection):
    services(app).segment_index.save(
        OHMS, [point(4, "Arrival", synopsis="They arrived at Уштобе in the autumn.")], "anna", segment_index.INITIAL
    )
    found = client.get("/api/v1/search?q=Ushtobe").get_json()
    hit = next(h for h in found["hits"] if h["id"] == OHMS)
    assert hit["points"] and hit["points"][0]["start"] == 4.0


def tone_wav(seconds: float, rate: int = 8000) -> bytes:
    """A short WAV of a quiet tone, made with the standard library."""
    import math

    frames = bytearray()
    for i in range(int(seconds * rate)):
        value = int(3000 * math.sin(2 * math.pi * 440 * i / rate))
        frames += value.to_bytes(2, "little", signed=True)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return out.getvalue()


def test_refusals_are_said_in_the_readers_language(client, auth, token, sample_collection):
    refused = put(
        client,
        OHMS,
        {"points": [point(1, "")]},
        token,
        **{"If-Match": '"initial"', "Accept-Language": "ru"},
    )
    assert refused.status_code == 422
    assert refused.get_json()["detail"] == "Дайте этому разделу название."
    auth.login("historian")
    page = client.get(f"/interviews/{PARTLY_TIMED}/times?lang=ko")
    data = {"csrf_token": csrf_token(page), "version": "stale", "time-1": "abc"}
    answer = client.post(f"/interviews/{PARTLY_TIMED}/times?lang=ko", data=data).get_data(as_text=True)
    assert "“abc”은(는) 시간이 아닙니다." in answer


def test_points_left_empty_are_no_points_and_errors_stay_beside_their_own_point(client, auth, sample_collection):
    auth.login("historian")
    page = client.get(f"/interviews/{PARTLY_TIMED}/index/edit")  # no index yet: one empty point to fill
    assert 'name="points-0-title"' in page.get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "version": segment_index.INITIAL}
    data.update({"points-0-start": "", "points-0-title": "", "points-1-start": "12", "points-1-title": ""})
    data.update({"points-2-start": "20", "points-2-title": "Kept", "submit": "1"})
    wrong = client.post(f"/interviews/{PARTLY_TIMED}/index/edit", data=data)
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert 'id="points-1-title-errors"' in body and 'id="points-0-title-errors"' not in body
    saved = client.post(f"/interviews/{PARTLY_TIMED}/index/edit", data={**data, "points-1-title": "Now named"})
    assert saved.status_code == 302
    assert [p["title"] for p in segment_index.read(sample_collection, PARTLY_TIMED).points] == ["Now named", "Kept"]
