"""The annotation API: W3C Web Annotation JSON-LD in and out, Bearer tokens for scripts, CSRF for browsers, and
eight writers at once on one interview through the real server."""

import json
import threading
import urllib.error
import urllib.request

import pytest

from archive import accounts, annotations, interviews

INTERVIEW = "1s12p03r"  # the sample WebVTT interview: Pavel Kim, from Vladivostok to Ushtobe and Karaganda
QUOTE = "Freight cars, the kind for cattle."


@pytest.fixture
def token(app, sample_collection):
    with app.app_context():
        accounts.add_user("hist", "historian", "a long enough password")
        return accounts.new_token("hist")


def annotation(exact=QUOTE, **extra):
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "body": [
            {"type": "SpecificResource", "source": "/events/arrival-ushtobe-1937"},
            {"type": "TextualBody", "value": "The narrator describes the wagons.", "purpose": "commenting"},
        ],
        "target": {"source": f"/interviews/{INTERVIEW}", "selector": {"type": "TextQuoteSelector", "exact": exact}},
        **extra,
    }


def post(client, document, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(
        f"/api/v1/interviews/{INTERVIEW}/annotations",
        data=json.dumps(document),
        content_type="application/ld+json",
        headers=headers,
    )


def test_post_stores_a_web_annotation_and_answers_201_with_it(client, token, sample_collection):
    response = post(client, annotation(), token)
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()
    assert response.headers["Content-Type"].startswith("application/ld+json")
    assert stored["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert stored["id"].startswith("urn:uuid:") and stored["creator"]["name"] == "hist"
    position = annotations.selector(stored, "TextPositionSelector")
    text = interviews.transcript_text(interviews.segments(sample_collection, INTERVIEW))[0]
    assert text[position["start"] : position["end"]] == QUOTE
    assert annotations.selector(stored, "FragmentSelector")["value"] == "t=108,165"
    assert response.headers["Location"].endswith(f"/api/v1/annotations/{annotations.short_id(stored)}")
    listed = client.get(f"/api/v1/interviews/{INTERVIEW}/annotations").get_json()
    assert listed["type"] == "AnnotationCollection" and listed["first"]["items"] == [
        {k: v for k, v in stored.items() if k != "@context"}
    ]
    one = client.get(response.headers["Location"])
    assert one.status_code == 200 and one.get_json() == stored
    # the index knows it with its next batch (a note that hides nothing may wait for it): the facet and the page
    assert client.application.extensions["indexer"].flush()
    found = client.get("/api/v1/search?event=arrival-ushtobe-1937").get_json()
    assert [hit["id"] for hit in found["hits"] if hit["kind"] == "interview"] == [INTERVIEW]
    page = client.get("/events/arrival-ushtobe-1937").get_data(as_text=True)
    assert QUOTE in page and "The narrator describes the wagons." in page


@pytest.mark.parametrize(
    "change, status, detail",
    [
        (
            {
                "target": {
                    "source": f"/interviews/{INTERVIEW}",
                    "selector": {"type": "TextQuoteSelector", "exact": "words nobody said"},
                }
            },
            422,
            "are not in the transcript",
        ),
        (
            {"target": {"source": "/interviews/other", "selector": {"type": "TextQuoteSelector", "exact": QUOTE}}},
            422,
            "not this interview",
        ),
        ({"body": [{"type": "SpecificResource", "source": "/events/no-such-event"}]}, 422, "no event 'no-such-event'"),
        ({"body": [{"type": "SpecificResource", "source": "https://example.org/x"}]}, 422, "must name /events"),
        ({"type": "Note"}, 422, "Expected a W3C Annotation"),
        ({"target": {"source": f"/interviews/{INTERVIEW}"}}, 422, "TextQuoteSelector"),
    ],
)
def test_post_refuses_what_does_not_fit_with_a_json_problem(client, token, change, status, detail):
    response = post(client, {**annotation(), **change}, token)
    assert response.status_code == status
    assert detail in response.get_json()["detail"]
    assert client.get(f"/api/v1/interviews/{INTERVIEW}/annotations").get_json()["total"] == 0


def test_post_needs_a_staff_token_or_a_session_with_csrf(client, app, auth, token):
    assert post(client, annotation()).status_code == 401
    assert post(client, annotation(), "not-a-token").status_code == 401
    with app.app_context():
        accounts.add_user("reader", "researcher", "a long enough password")
        reader_token = accounts.new_token("reader")
    assert post(client, annotation(), reader_token).status_code == 403
    auth.login("historian")
    assert post(client, annotation()).status_code == 400  # signed in, but no CSRF token: another site could do this
    from conftest import csrf_token

    page = client.get(f"/interviews/{INTERVIEW}")
    assert post(client, annotation(), **{"X-CSRFToken": csrf_token(page)}).status_code == 201
    assert post(client, "not json at all", token).status_code == 422


def test_put_imports_an_exported_collection_exactly(client, token, sample_collection):
    for quote in (QUOTE, "How long were you on the way?"):
        assert post(client, annotation(quote), token).status_code == 201
    exported = client.get(f"/api/v1/interviews/{INTERVIEW}/annotations").get_json()
    downloaded = client.get(f"/interviews/{INTERVIEW}/annotations?download=1")
    assert "attachment" in downloaded.headers["Content-Disposition"]
    assert json.loads(downloaded.get_data()) == exported
    for item in exported["first"]["items"]:
        annotations.delete(sample_collection, INTERVIEW, item["id"], annotations.version(item), "hist")
    put = {"headers": {"Authorization": f"Bearer {token}"}}
    response = client.put(f"/api/v1/interviews/{INTERVIEW}/annotations", json=exported, **put)
    assert response.get_json() == {"added": 2, "replaced": 0}
    assert client.get(f"/api/v1/interviews/{INTERVIEW}/annotations").get_json() == exported
    response = client.put(f"/api/v1/interviews/{INTERVIEW}/annotations", json=exported, **put)
    assert response.get_json() == {"added": 0, "replaced": 2}
    assert (
        client.put(f"/api/v1/interviews/{INTERVIEW}/annotations", json={"type": "Annotation"}, **put).status_code == 422
    )


def test_the_page_of_a_collection_has_its_own_id_and_an_empty_copy_takes_every_annotation_back(
    client, token, sample_collection, tmp_path
):
    import shutil

    from archive import create_app

    for quote in (QUOTE, "How long were you on the way?"):
        assert post(client, annotation(quote), token).status_code == 201
    exported = client.get(f"/api/v1/interviews/{INTERVIEW}/annotations").get_json()
    # the model's MUST rules for a collection and its page (Web Annotation Data Model, sections 5.1 and 5.2)
    assert exported["type"] == "AnnotationCollection" and isinstance(exported["id"], str)
    assert exported["total"] == len(exported["first"]["items"]) == 2
    page = exported["first"]
    assert page["type"] == "AnnotationPage" and page["id"] == f"/interviews/{INTERVIEW}/annotations?page=0"
    assert page["partOf"] == exported["id"] and page["startIndex"] == 0
    assert all(a["type"] == "Annotation" and a["id"] and a["target"] for a in page["items"])
    # the page's id serves the page alone, with the collection it is part of
    alone = client.get(page["id"])
    assert alone.status_code == 200 and alone.mimetype == "application/ld+json"
    served = alone.get_json()
    assert served["@context"] == annotations.CONTEXT and served["id"] == page["id"]
    assert served["items"] == page["items"] and served["partOf"]["id"] == exported["id"]
    assert served["partOf"]["type"] == "AnnotationCollection" and served["partOf"]["total"] == 2
    assert client.get(f"/interviews/{INTERVIEW}/annotations?page=1").status_code == 404
    # a copy of the interview elsewhere, without annotations, takes the whole collection back as it was
    copy = tmp_path / "copy"
    shutil.copytree(sample_collection.root / "interviews" / INTERVIEW, copy / "interviews" / INTERVIEW)
    (copy / "interviews" / INTERVIEW / annotations.FILE).unlink()
    other = create_app({"TESTING": True, "ARCHIVE_DATA": copy, "ARCHIVE_INDEX_CHECK_AT_START": False})
    with other.app_context():
        accounts.add_user("hist", "historian", "a long enough password")
        other_token = accounts.new_token("hist")
    elsewhere = other.test_client()
    assert elsewhere.get(f"/api/v1/interviews/{INTERVIEW}/annotations").get_json()["first"]["items"] == []
    put = {"headers": {"Authorization": f"Bearer {other_token}"}}
    response = elsewhere.put(f"/api/v1/interviews/{INTERVIEW}/annotations", json=exported, **put)
    assert response.get_json() == {"added": 2, "replaced": 0}
    assert elsewhere.get(f"/api/v1/interviews/{INTERVIEW}/annotations").get_json() == exported


def test_hidden_interviews_keep_their_annotations_hidden(client, token, sample_collection):
    researchers_only = "0ayd1wnd"
    text = interviews.transcript_text(interviews.segments(sample_collection, researchers_only))[0]
    body = annotations.bodies(sample_collection, {"events": ["arrival-ushtobe-1937"]}, [], "secret")
    made = annotations.create(sample_collection, researchers_only, 0, 20, body, "hist")
    sample_collection_index = client.application.extensions["search"]
    sample_collection_index.update([researchers_only])
    assert text
    assert client.get(f"/api/v1/interviews/{researchers_only}/annotations").status_code == 404
    assert client.get(f"/api/v1/annotations/{annotations.short_id(made)}").status_code == 404
    page = client.get("/events/arrival-ushtobe-1937").get_data(as_text=True)
    assert "secret" not in page and "Passages (0)" in page
    staff = client.get(
        f"/api/v1/annotations/{annotations.short_id(made)}", headers={"Authorization": f"Bearer {token}"}
    )
    assert staff.status_code == 200


@pytest.mark.slow
def test_eight_concurrent_writers_through_the_api_all_keep_their_annotations(
    app, token, live_server, sample_collection
):
    segments = interviews.segments(sample_collection, INTERVIEW)
    quotes = [s["text"][:40] for s in segments][:8]
    assert len(set(quotes)) == 8
    per_writer, results, errors = 5, [], []

    def writer(quote):
        for i in range(per_writer):
            document = annotation(quote)
            document["body"][1]["value"] = f"writer {quote[:10]} #{i}"
            request = urllib.request.Request(
                f"{live_server}/api/v1/interviews/{INTERVIEW}/annotations",
                data=json.dumps(document).encode(),
                method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/ld+json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    results.append((response.status, json.load(response)["id"]))
            except urllib.error.HTTPError as error:
                errors.append((error.code, error.read()[:300]))

    threads = [threading.Thread(target=writer, args=(q,)) for q in quotes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 8 * per_writer and {status for status, _ in results} == {201}
    stored = annotations.items(sample_collection, INTERVIEW)
    assert sorted(a["id"] for a in stored) == sorted(i for _, i in results)
    assert len({annotations.note(a) for a in stored}) == 8 * per_writer
    assert list(sample_collection.verify()) == []
