"""Issue 17's endpoints of the JSON API, in one archive built once for the module (the sample collection, a redacted
passage, a family's submission, a researcher's access request): the list of interviews and a new one by upload, an
interview's transcript as the reader may read it, vocabulary entries and paged vocabularies, a record's history, the
staff's lists, and the reference page made from the OpenAPI document."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from factories import bare_docx, png

from archive import accounts, annotations, contributions, create_app, interviews
from archive.views import api, api_records, api_reference, openapi

REPOSITORY = Path(__file__).resolve().parents[1]
PUBLIC, RESEARCHERS_ONLY = "1s12p03r", "0ayd1wnd"  # Pavel Kim (public, WebVTT), and one for signed-in readers
ITEM = "2kfh28sh"
WITHHELD = "Freight cars, the kind for cattle."
TRANSCRIPT = b"[00:00:01] Lena: We lived by the river.\n\n[00:00:09] Lena: Then the trains came for us.\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("api-records")
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    for kind in ("interviews", "media"):
        shutil.copytree(REPOSITORY / kind, root / kind)
    collection = app.extensions["collection"]
    text = interviews.transcript_text(interviews.segments(collection, PUBLIC))[0]
    start = text.index(WITHHELD)
    annotations.create(
        collection,
        PUBLIC,
        start,
        start + len(WITHHELD),
        annotations.bodies(collection, {}, [], "", True),
        "setup",
    )
    app.extensions["search"].check(repair=True)
    receipt = contributions.submit(
        collection,
        {
            "name": "Olga Li",
            "relation": "granddaughter",
            "narrator": "Li Sun",
            "story_text": "A story.",
            "visibility": "family",
        },
        None,
        [],
        app.extensions["image_limits"],
        "en",
    )
    with app.app_context():
        accounts.add_user("hist", "historian", "a long enough password")
        reader = accounts.add_user("reader", "researcher", "a long enough password")
        accounts.ask_access(reader, f"interviews/{PUBLIC}", "For my thesis on the 1937 trains.")
        tokens = {name: accounts.new_token(name) for name in ("hist", "reader")}
    return app, tokens, receipt.submission_id


def as_(tokens, who):
    return {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}


def links(response) -> dict[str, str]:
    return {rel: target for target, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])}


def problem(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    document = response.get_json()
    assert document["code"] == code and document.get("field") == field and document["detail"]
    return document


def test_the_list_of_interviews_is_what_the_reader_may_open_filtered_and_paged(world, monkeypatch):
    app, tokens, _ = world
    client = app.test_client()
    anonymous = client.get("/api/v1/interviews")
    assert anonymous.status_code == 200 and anonymous.headers["Cache-Control"] == "no-cache"
    ids = [i["id"] for i in anonymous.get_json()["items"]]
    assert PUBLIC in ids and RESEARCHERS_ONLY not in ids
    titles = [i["title"] for i in anonymous.get_json()["items"]]
    assert titles == sorted(titles)  # by title
    first = anonymous.get_json()["items"][0]
    assert first["url"] == f"http://localhost/interviews/{first['id']}" and first["api"].endswith(f"/{first['id']}")
    signed_in = client.get("/api/v1/interviews", headers=as_(tokens, "reader"))
    assert RESEARCHERS_ONLY in [i["id"] for i in signed_in.get_json()["items"]]
    assert signed_in.headers["Cache-Control"] == "no-store"
    # the search page's filters narrow it, and words find within it
    narrowed = client.get("/api/v1/interviews?village=ushtobe").get_json()
    assert narrowed["items"] and PUBLIC in [i["id"] for i in narrowed["items"]]
    assert len(narrowed["items"]) < len(ids)
    found = [i["id"] for i in client.get("/api/v1/interviews?q=Vladivostok").get_json()["items"]]
    assert PUBLIC in found and len(found) < len(ids)
    assert client.get("/api/v1/interviews?village=no-such-place").get_json()["total"] == 0
    # paged: the Link header walks every page, keeping the filters
    monkeypatch.setattr(api_records, "INTERVIEWS_PAGE", 2)
    seen, url = [], "/api/v1/interviews?sort=date"
    while True:
        answer = client.get(url)
        page = answer.get_json()
        seen += [i["id"] for i in page["items"]]
        assert page["pages"] == 2 and "sort=date" in answer.headers["Link"]
        if "next" not in links(answer):
            break
        url = links(answer)["next"].removeprefix("http://localhost")
    assert sorted(seen) == sorted(ids)


def test_an_interview_is_created_by_upload_and_refused_in_words(world):
    app, tokens, _ = world
    client = app.test_client()

    def upload(transcript=(TRANSCRIPT, "river.txt"), who="hist", **fields):
        data = {
            "title": "By the river",
            "narrator": "Lena Pak",
            "date": "1999-05",
            "villages": "Уштобе",
            "access": "staff",
            **fields,
        }
        if transcript is not None:
            data["transcript"] = (io.BytesIO(transcript[0]), transcript[1])
        return client.post("/api/v1/interviews", data=data, headers=as_(tokens, who))

    problem(upload(who="nobody"), 401, "unauthorized")
    problem(upload(who="reader"), 403, "forbidden")
    problem(upload(transcript=None), 422, "transcript-unusable", "transcript")
    problem(upload(transcript=(png(), "photo.png")), 422, "transcript-unusable", "transcript")
    problem(upload(transcript=(bare_docx("x")[:200], "broken.docx")), 422, "transcript-unusable", "transcript")
    problem(upload(title=""), 422, "metadata-invalid", "title")
    refused = problem(upload(date="next spring"), 422, "metadata-invalid", "date")
    assert "date" in refused["errors"]
    problem(upload(access="everyone"), 422, "metadata-invalid", "access")

    made = upload()
    assert made.status_code == 201, made.get_data(as_text=True)
    shown = made.get_json()
    assert made.headers["Location"] == f"http://localhost/api/v1/interviews/{shown['id']}"
    assert shown["title"] == "By the river" and shown["narrators"][0]["name"] == "Lena Pak"
    assert shown["villages"][0]["place"] == "ushtobe" and shown["access"] == "staff"
    again = client.get(made.headers["Location"], headers=as_(tokens, "hist"))
    assert again.get_json() == shown and again.headers["ETag"] == made.headers["ETag"]
    segments = client.get(f"/api/v1/interviews/{shown['id']}/segments", headers=as_(tokens, "hist")).get_json()
    assert [s["text"] for s in segments["segments"]] == ["We lived by the river.", "Then the trains came for us."]
    assert segments["segments"][1]["start"] == 9 and segments["segments"][0]["speaker"] == "Lena"
    # kept for staff: listed for them alone
    assert shown["id"] in [i["id"] for i in client.get("/api/v1/interviews", headers=as_(tokens, "hist")).json["items"]]
    assert shown["id"] not in [i["id"] for i in client.get("/api/v1/interviews").get_json()["items"]]
    problem(client.get(f"/api/v1/interviews/{shown['id']}"), 404, "not-found")
    duplicate = problem(upload(title="Again"), 409, "already-ingested", "transcript")
    assert duplicate["interview"] == shown["id"]


def test_segments_are_masked_as_the_page_and_transcript_txt_mask_them(world, monkeypatch):
    app, tokens, _ = world
    client = app.test_client()
    url = f"/api/v1/interviews/{PUBLIC}/segments"
    anonymous = client.get(url)
    assert anonymous.status_code == 200
    segments = anonymous.get_json()["segments"]
    assert WITHHELD not in anonymous.get_data(as_text=True)
    withheld = [s for s in segments if s["withheld"]]
    assert len(withheld) == 1 and "[passage withheld]" in withheld[0]["text"]
    exported = client.get(f"/interviews/{PUBLIC}/transcript.txt").get_data(as_text=True)
    assert all(s["text"] in exported for s in segments)
    russian = client.get(url, headers={"Accept-Language": "ru"}).get_json()["segments"]
    assert "[отрывок скрыт]" in next(s for s in russian if s["withheld"])["text"]
    staff = client.get(url, headers=as_(tokens, "hist")).get_json()["segments"]
    assert any(WITHHELD in s["text"] for s in staff) and not any(s["withheld"] for s in staff)
    assert segments[0]["url"] == f"http://localhost/interviews/{PUBLIC}#s{segments[0]['n']}"
    problem(client.get(f"/api/v1/interviews/{RESEARCHERS_ONLY}/segments"), 404, "not-found")
    assert (
        client.get(f"/api/v1/interviews/{RESEARCHERS_ONLY}/segments", headers=as_(tokens, "reader")).status_code == 200
    )
    monkeypatch.setattr(api_records, "SEGMENTS_PAGE", 3)
    second = client.get(url + "?page=2")
    assert second.get_json()["page"] == 2 and second.get_json()["segments"][0]["n"] == segments[3]["n"]
    assert set(links(second)) >= {"first", "prev", "last"} and links(second)["prev"].endswith("?page=1")


def test_vocabulary_entries_and_paged_vocabularies(world, monkeypatch):
    app, _, _ = world
    client = app.test_client()
    place = client.get("/api/v1/places/ushtobe").get_json()
    assert place["id"] == "ushtobe" and place["kind"] == "places" and place["url"] == "http://localhost/places/ushtobe"
    assert place["label"]["ru"] == "Уштобе"
    event = client.get("/api/v1/events/arrival-ushtobe-1937").get_json()
    assert event["url"] == "http://localhost/events/arrival-ushtobe-1937"
    people = client.get("/api/v1/people").get_json()
    person = people["people"][0]["id"]
    assert client.get(f"/api/v1/people/{person}").get_json()["id"] == person
    for url in ("/api/v1/places/no-such-place", "/api/v1/events/ushtobe"):
        problem(client.get(url), 404, "not-found")
    monkeypatch.setattr(api, "VOCABULARY_PAGE", 5)
    first = client.get("/api/v1/places")
    whole = first.get_json()
    assert len(whole["places"]) == 5 and whole["pages"] == -(-whole["total"] // 5) and whole["about"]
    last = client.get(links(first)["last"].removeprefix("http://localhost")).get_json()
    assert last["page"] == whole["pages"] and 1 <= len(last["places"]) <= 5


def test_history_is_read_by_staff_alone(world):
    app, tokens, _ = world
    client = app.test_client()
    url = f"/api/v1/interviews/{PUBLIC}/history"
    for who in ("nobody", "reader"):
        problem(client.get(url, headers=as_(tokens, who)), 404, "not-found")
        problem(client.get(f"/api/v1/media/{ITEM}/history", headers=as_(tokens, who)), 404, "not-found")
    before = client.get(url, headers=as_(tokens, "hist")).get_json()
    etag = client.get(f"/api/v1/interviews/{PUBLIC}", headers=as_(tokens, "hist")).headers["ETag"]
    edited = client.patch(
        f"/api/v1/interviews/{PUBLIC}",
        json={"keywords": ["trains"]},
        headers={**as_(tokens, "hist"), "If-Match": etag},
    )
    assert edited.status_code == 200
    answer = client.get(url, headers=as_(tokens, "hist"))
    after = answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store" and "Link" in answer.headers
    assert after["total"] == before["total"] + 1 and after["kind"] == "interviews" and not after["deleted"]
    newest = after["versions"][0]
    assert newest["author"] == "hist" and newest["action"] == "edited" and newest["summary"] == "Edited"
    assert [c["field"] for c in newest["fields"]] == ["keywords"] and newest["fields"][0]["after"] == "trains"
    assert newest["url"].endswith(f"/interviews/{PUBLIC}/history/{newest['stamp']}")
    assert client.get(newest["url"].removeprefix("http://localhost"), headers=as_(tokens, "hist")).status_code in (
        200,
        302,
    )
    item = client.get(f"/api/v1/media/{ITEM}/history", headers=as_(tokens, "hist")).get_json()
    assert item["kind"] == "media" and item["total"] >= 1


def test_staff_lists_refuse_everyone_else(world):
    app, tokens, submission_id = world
    client = app.test_client()
    for url in ("/api/v1/submissions", f"/api/v1/submissions/{submission_id}", "/api/v1/requests"):
        problem(client.get(url), 401, "unauthorized")
        problem(client.get(url, headers=as_(tokens, "reader")), 403, "forbidden")
    inbox = client.get("/api/v1/submissions", headers=as_(tokens, "hist"))
    listed = inbox.get_json()
    assert inbox.headers["Cache-Control"] == "no-store" and "Link" in inbox.headers
    assert listed["counts"]["new"] == 1 and listed["items"][0]["id"] == submission_id
    assert listed["items"][0]["narrator"] == "Li Sun" and listed["items"][0]["contributor"] == "Olga Li"
    assert client.get("/api/v1/submissions?status=declined", headers=as_(tokens, "hist")).get_json()["items"] == []
    one = client.get(listed["items"][0]["api"].removeprefix("http://localhost"), headers=as_(tokens, "hist"))
    shown = one.get_json()
    assert shown["story"]["text"] == "A story." and shown["status"] == "new" and "receipt" not in shown
    assert "sha256" not in one.get_data(as_text=True)
    problem(client.get("/api/v1/submissions/no-such-one", headers=as_(tokens, "hist")), 404, "not-found")
    requests = client.get("/api/v1/requests", headers=as_(tokens, "hist")).get_json()
    asked = requests["items"][0]
    assert asked["user"] == "reader" and asked["record"] == f"interviews/{PUBLIC}" and asked["state"] == "asked"
    assert asked["title"].startswith("Sample (fictional): Pavel Kim") and asked["asked"].endswith("Z")
    assert client.get("/api/v1/requests?state=granted", headers=as_(tokens, "hist")).get_json()["total"] == 0


def test_the_reference_page_shows_every_operation_of_the_document(world):
    app, _, _ = world
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/api/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    shown = set(re.findall(r'data-operation="([A-Z]+ [^"]+)"', html))
    expected = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    assert shown == expected and len(expected) >= 25
    for item in document["paths"].values():
        for operation in item.values():
            assert f'id="op-{operation["operationId"]}"' in html
            assert operation["summary"].replace("'", "&#39;").replace('"', "&#34;") in html
    assert set(api_reference.TAG_NAMES) == set(openapi.TAGS) == {t["name"] for t in document["tags"]}
    for tag in document["tags"]:
        assert f'id="tag-{tag["name"]}"' in html
    for name in document["components"]["schemas"]:
        assert f'id="shape-{name}"' in html
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    russian = client.get("/api/?lang=ru").get_data(as_text=True)
    assert "Справка по API" in russian and "Ответы" in russian
    assert 'href="/api/"' in client.get("/").get_data(as_text=True)  # the footer leads there
