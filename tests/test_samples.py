"""The sample collection shipped in interviews/: intact, complete, and plainly fictional."""

import json

from archive.interviews import load


def all_interviews(collection):
    return [load(collection, i) for i in collection.ids("interviews")]


def test_samples_verify_and_cover_every_format_and_language(sample_collection, runner):
    assert runner("verify").exit_code == 0
    found = all_interviews(sample_collection)
    assert len(found) >= 5
    assert {i.record["source"]["format"] for i in found} >= {"txt", "vtt", "srt", "ohms", "docx"}
    assert {lang for i in found for lang in i.record.get("languages", [])} >= {"en", "ru", "ko"}
    for interview in found:
        assert interview.title.startswith("Sample (fictional)")
        segments = sample_collection.read("interviews", interview.id, "segments.json").json()
        assert len(segments) >= 10
        assert all(p.get("place") for p in interview.record.get("villages", []))


def test_samples_are_listed_for_anonymous_readers(sample_collection, client):
    listing = client.get("/interviews/").get_data(as_text=True)
    public = [i for i in all_interviews(sample_collection) if i.record["access"] == "public"]
    assert len(public) >= 4
    for interview in public:
        assert f"/interviews/{interview.id}" in listing
        page = client.get(f"/interviews/{interview.id}")
        assert page.status_code == 200


def test_sample_originals_are_kept_byte_for_byte(sample_collection):
    for interview in all_interviews(sample_collection):
        source = interview.record["source"]
        original = sample_collection.read("interviews", interview.id, source["original"])
        assert original.version == source["sha256"] and len(original.data) == source["bytes"]
    windows = [i for i in all_interviews(sample_collection) if i.record["source"]["format"] == "txt"]
    assert any("Windows-1251" in note for i in windows for note in i.record["source"]["notes"])
    assert json.dumps(windows[0].record, ensure_ascii=False).count("Цой") >= 1


def test_sample_annotations_are_anchored_and_reach_the_event_pages(sample_collection, client):
    from archive import annotations, interviews, vocab

    annotated = [i for i in sample_collection.ids("interviews") if annotations.items(sample_collection, i)]
    assert len(annotated) >= 2
    for interview_id in annotated:
        text = interviews.transcript_text(interviews.segments(sample_collection, interview_id))[0]
        for annotation in annotations.items(sample_collection, interview_id):
            start, end = annotations.span(annotation)
            assert text[start:end] == annotations.selector(annotation, "TextQuoteSelector")["exact"]
            for kind, entry_id in annotations.link_pairs(annotation):
                assert entry_id in vocab.lookup(sample_collection, kind)
    page = client.get("/events/deportation-trains-1937").get_data(as_text=True)
    assert "I remember a dark wagon full of people" in page and "화물칸이었어요." in page


def test_sample_items_link_their_interviews_and_publish_no_camera_data(sample_collection, client):
    from archive import media

    items = [media.load(sample_collection, i) for i in sample_collection.ids("media")]
    assert {i.record["kind"] for i in items} >= {"photograph", "letter", "object"}
    assert any(i.pages > 1 for i in items)  # the two-page letter
    portrait = next(i for i in items if i.record["technical"].get("gps"))
    page = client.get(f"/interviews/{portrait.record['interviews'][0]}").get_data(as_text=True)
    assert f"/media/{portrait.id}" in page
    item_page = client.get(f"/media/{portrait.id}").get_data(as_text=True)
    assert str(portrait.record["technical"]["gps"]["lat"]) not in item_page
    display = client.get(f"/media/{portrait.id}/display/1")
    assert display.status_code == 200 and b"Exif" not in display.get_data()
    display.close()
    hidden = next(i for i in items if i.record["access"] == "researchers")
    assert client.get(f"/media/{hidden.id}").status_code == 404
    assert f"/media/{hidden.id}" not in client.get("/media/").get_data(as_text=True)
