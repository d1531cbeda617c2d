"""Redaction never fails open: not when the passage is corrected, not through the index's leftovers, not through the
redaction's own tags, notes and links, not through other annotations, not when a redaction is imported."""

import json

import pytest
from conftest import csrf_token
from factories import wav

from archive import annotations, interviews, transcripts
from archive.ingest import Ingester
from archive.vocab import gazetteer

SECRET = "Kowalczyk"
TEXT = f"Anna: We came to Ushtobe in October. The neighbour {SECRET} informed on us. Then winter came."


@pytest.fixture
def redacted(app, collection):
    """A public interview (with audio) whose sentence about the neighbour is redacted; returns its id."""
    outcome = Ingester(collection, gazetteer(collection), "t", 2**20).ingest(
        TEXT.encode(), "anna.txt", {"title": "Anna", "access": "public"}, wav(80), "anna.wav"
    )
    interview_id = outcome.interview_id
    text = interviews.transcript_text(interviews.segments(collection, interview_id))[0]
    start = text.index("The neighbour")
    annotations.create(
        collection,
        interview_id,
        start,
        text.index("us.") + 3,
        annotations.bodies(
            collection,
            {"events": ["arrival-ushtobe-1937"], "places": ["ushtobe"]},
            ["rednotetag"],
            "rednoteword",
            redact=True,
        ),
        "hist",
    )
    annotations.create(
        collection,
        interview_id,
        text.index("October"),
        text.index(SECRET) + len(SECRET) + 9,
        annotations.bodies(collection, {"events": ["deportation-trains-1937"]}, [], ""),
        "hist",
    )
    app.extensions["search"].update([interview_id])
    return interview_id


def anonymous_sees(client, interview_id: str) -> str:
    """Everything an anonymous reader can fetch about the interview, as one text."""
    parts = []
    for url in (
        f"/interviews/{interview_id}",
        f"/interviews/{interview_id}/transcript.txt",
        f"/interviews/{interview_id}/annotations",
        f"/api/v1/interviews/{interview_id}/annotations",
        "/events/deportation-trains-1937",
        "/events/arrival-ushtobe-1937",
    ):
        parts.append(client.get(url).get_data(as_text=True))
    return "\n".join(parts)


def total(client, q: str) -> int:
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["total"]


def test_a_corrected_redacted_passage_stays_withheld(client, collection, redacted):
    assert SECRET not in anonymous_sees(client, redacted)
    stored = collection.read("interviews", redacted, "segments.json")
    [segment] = [s for s in stored.json() if SECRET in s["text"]]
    corrected = segment["text"].replace("informed on", "denounced")
    flagged = transcripts.correct_segment(collection, redacted, segment["n"], corrected, "hist", stored.version)
    assert flagged  # the redaction lost its words and is flagged for review ...
    seen = anonymous_sees(client, redacted)
    assert SECRET not in seen and "denounced" not in seen  # ... and withholds the whole passage meanwhile
    assert "[passage withheld]" in seen
    response = client.get(f"/interviews/{redacted}/audio")
    response.close()
    assert response.status_code == 404


def test_search_finds_no_redacted_word_nor_a_way_to_probe_for_it(client, app, redacted):
    for q in (SECRET, f"Ushtobe OR {SECRET}", "Ushtobe OR kowa*", "Ushtobe OR kowalc*", "rednoteword"):
        found = client.get("/api/v1/search", query_string={"q": q}).get_json()
        shown = {k: v for k, v in found.items() if k not in ("query", "variants", "message")}
        assert SECRET.lower() not in json.dumps(shown, ensure_ascii=False).lower(), q
    assert total(client, SECRET) == 0 and total(client, "rednoteword") == 0 and total(client, "rednotetag") == 0
    facets = client.get("/api/v1/search").get_json()["facets"]
    assert [f["value"] for f in facets["event"]] == ["deportation-trains-1937"]  # not the redaction's event
    assert (
        "arrival-ushtobe-1937"
        not in client.get("/api/v1/search?event=arrival-ushtobe-1937").get_data(as_text=True).split('"hits"')[1]
    )


def test_an_annotation_flagged_for_review_shows_no_old_words(client, collection, redacted):
    stored = collection.read("interviews", redacted, "segments.json")
    [segment] = [s for s in stored.json() if SECRET in s["text"]]
    transcripts.correct_segment(
        collection, redacted, segment["n"], segment["text"].replace("October", "autumn"), "hist", stored.version
    )
    assert SECRET not in anonymous_sees(client, redacted)


def test_an_imported_redaction_is_anchored_and_applied(client, auth, app, collection):
    outcome = Ingester(collection, gazetteer(collection), "t", 2**20).ingest(
        TEXT.encode(), "anna.txt", {"title": "Anna", "access": "public"}
    )
    interview_id = outcome.interview_id
    text = interviews.transcript_text(interviews.segments(collection, interview_id))[0]
    start = text.index(SECRET)
    document = {
        "type": "AnnotationCollection",
        "first": {
            "items": [
                {
                    "id": "urn:uuid:11111111-2222-3333-4444-555555555555",
                    "type": "Annotation",
                    "body": [{"type": "TextualBody", "purpose": "redacting", "value": "withheld"}],
                    "target": [
                        {
                            "source": f"/interviews/{interview_id}",
                            "selector": [
                                {"type": "TextQuoteSelector", "exact": SECRET},
                                {"type": "TextPositionSelector", "start": start, "end": start + len(SECRET)},
                            ],
                        }
                    ],
                }
            ]
        },
    }
    auth.login("historian")
    token = csrf_token(client.get(f"/interviews/{interview_id}"))
    response = client.put(
        f"/api/v1/interviews/{interview_id}/annotations", json=document, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    auth.logout()
    assert SECRET not in client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    document["first"]["items"][0]["target"][0]["selector"] = [{"type": "TextQuoteSelector", "exact": "Nowhere"}]
    assert annotations.AnnotationError.__name__  # an unanchorable redaction is refused outright
    with pytest.raises(annotations.AnnotationError, match="a redaction must match the transcript"):
        annotations.import_collection(collection, interview_id, document, "hist")
