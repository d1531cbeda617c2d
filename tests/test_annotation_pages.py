"""Annotating without JavaScript, correcting passages, and the pages of events, places and people, through the Flask
test client with real forms and CSRF."""

import json

import pytest
from conftest import csrf_token

from archive import annotations, interviews, vocab

INTERVIEW = "x3w3seda"  # the sample txt interview
EVENT = "deportation-begins-posyet-1937"


def annotate_segment(client, n, **fields):
    page = client.get(f"/interviews/{INTERVIEW}/annotations/new?segment={n}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page), "segment": str(n), **fields}
    return client.post(f"/interviews/{INTERVIEW}/annotations/new", data=data)


@pytest.fixture
def historian(auth, sample_collection):
    auth.login("historian")
    return sample_collection


def test_a_whole_segment_is_annotated_through_the_form(client, historian):
    response = annotate_segment(
        client, 6, events=[EVENT], places=["posyet-district"], tags="school, trucks", note="Told to leave within days."
    )
    assert response.status_code == 302 and "#a-" in response.headers["Location"]
    stored = annotations.items(historian, INTERVIEW)[0]
    segment = next(s for s in interviews.segments(historian, INTERVIEW) if s["n"] == 6)
    assert annotations.selector(stored, "TextQuoteSelector")["exact"] == segment["text"]
    assert annotations.tags(stored) == ["school", "trucks"]
    page = client.get(f"/interviews/{INTERVIEW}").get_data(as_text=True)
    assert f'id="a-{annotations.short_id(stored)}"' in page and "<mark data-annotations=" in page
    assert "Told to leave within days." in page and "#school" in page


def test_the_annotator_names_entries_and_dates_in_the_readers_language(client, historian):
    page = client.get(f"/interviews/{INTERVIEW}/annotations/new?segment=6&lang=ru").get_data(as_text=True)
    event = vocab.lookup(historian, "events")[EVENT]
    assert event.name("ru") in page and event.name("en") not in page
    assert "Посьет" in page and ">Posyet<" not in page
    assert f"{event.date} ·" not in page  # the date in words, not its EDTF code


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(client, historian):
    response = annotate_segment(client, 6, note="", tags="")
    assert response.status_code == 422
    assert "Choose at least one event, place or person" in response.get_data(as_text=True)
    response = annotate_segment(client, 6, events=["not-an-event"], note="kept")
    assert response.status_code == 422 and "kept" in response.get_data(as_text=True)
    assert "is not a valid choice" in response.get_data(as_text=True)
    page = client.get(f"/interviews/{INTERVIEW}")
    response = client.post(
        f"/interviews/{INTERVIEW}/annotations/new", data={"csrf_token": csrf_token(page), "segment": "999", "note": "x"}
    )
    assert response.status_code == 422 and "Select the words to annotate" in response.get_data(as_text=True)
    assert client.get(f"/interviews/{INTERVIEW}/annotations/new").status_code == 404
    assert not (historian.folder("interviews", INTERVIEW) / "annotations.json").exists()


@pytest.mark.parametrize("lang, said", [("ru", "1\u00a0000\u00a0000\u00a0000"), ("en", "1,000,000,000")])
def test_a_passage_far_beyond_the_transcript_is_refused_with_its_numbers_written_out(client, historian, lang, said):
    big = 10**30  # longer than the 28 digits Babel rounds in by default; this once answered 500
    page = client.get(f"/interviews/{INTERVIEW}/annotations/new?segment=6&lang={lang}")
    data = {"csrf_token": csrf_token(page), "start": str(big), "end": str(big + 1), "exact": "x", "events": [EVENT]}
    response = client.post(f"/interviews/{INTERVIEW}/annotations/new?lang={lang}", data=data)
    assert response.status_code == 422 and said in response.get_data(as_text=True)
    assert not (historian.folder("interviews", INTERVIEW) / "annotations.json").exists()


def test_a_selection_that_no_longer_matches_the_transcript_is_refused(client, historian):
    page = client.get(f"/interviews/{INTERVIEW}")
    response = client.post(
        f"/interviews/{INTERVIEW}/annotations/new",
        data={"csrf_token": csrf_token(page), "start": "0", "end": "7", "exact": "Другое", "note": "x"},
    )
    assert response.status_code == 422 and "select the words again" in response.get_data(as_text=True)


def test_readers_see_annotations_but_cannot_annotate(client, auth, historian):
    annotate_segment(client, 6, events=[EVENT])
    auth.logout()
    page = client.get(f"/interviews/{INTERVIEW}").get_data(as_text=True)
    assert "<mark data-annotations=" in page and 'id="annotator"' not in page and "/annotations/new" not in page
    assert client.get(f"/interviews/{INTERVIEW}/annotations/new?segment=6").status_code == 302  # to sign in
    auth.login("researcher")
    assert client.get(f"/interviews/{INTERVIEW}/annotations/new?segment=6").status_code == 403


def test_the_list_filters_by_event_place_person_and_author(client, auth, historian):
    annotate_segment(client, 6, events=[EVENT], note="first")
    annotate_segment(client, 2, places=["posyet-district"], note="second")
    auth.login("admin")
    annotate_segment(
        client,
        4,
        people=["joseph-stalin"] if "joseph-stalin" in vocab.people(historian) else [],
        places=["posyet"],
        note="third",
    )

    def listed(query):
        page = client.get(f"/interviews/{INTERVIEW}?{query}").get_data(as_text=True)
        return [n for n in ("first", "second", "third") if f'<p class="note">{n}</p>' in page]

    assert listed("") == ["first", "second", "third"]
    assert listed(f"events={EVENT}") == ["first"]
    assert listed("places=posyet-district") == ["second"]
    assert listed("author=admin") == ["third"]
    assert listed("author=historian&places=posyet") == []


def test_correcting_a_passage_moves_annotations_and_flags_lost_ones(client, historian):
    segments = interviews.segments(historian, INTERVIEW)
    second = segments[1]
    annotate_segment(client, second["n"], places=["posyet-district"], note="whole passage")
    page = client.get(f"/interviews/{INTERVIEW}/passages/{second['n']}")
    assert second["text"] in page.get_data(as_text=True)
    version = historian.read("interviews", INTERVIEW, "segments.json").version
    response = client.post(
        f"/interviews/{INTERVIEW}/passages/{second['n']}",
        data={"csrf_token": csrf_token(page), "version": version, "text": "Совсем другой текст."},
    )
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 annotation lost its words and is flagged for review" in shown
    assert "Needs review" in shown and "Совсем другой текст." in shown
    stale = client.post(
        f"/interviews/{INTERVIEW}/passages/{second['n']}",
        data={"csrf_token": csrf_token(page), "version": version, "text": "Третий текст."},
    )
    assert stale.status_code == 422 and "Третий текст." in stale.get_data(as_text=True)
    assert interviews.segments(historian, INTERVIEW)[1]["text"] == "Совсем другой текст."
    assert list(historian.verify()) == []


def test_the_timeline_lists_events_in_date_order(client, sample_collection):
    page = client.get("/events/").get_data(as_text=True)
    events = list(vocab.events(sample_collection))
    assert len(events) >= 25
    positions = [page.index(f'/events/{e.id}"') for e in events]
    assert positions == sorted(positions)
    assert (
        page.index("/events/korean-migration-1860s")
        < page.index("/events/deportation-resolution-1937")
        < page.index("/events/ussr-dissolution-1991")
    )


def test_an_event_page_lists_every_annotated_passage_across_the_archive(client, historian):
    annotate_segment(client, 6, events=[EVENT], note="in the txt sample")
    other = "1s12p03r"
    text = interviews.transcript_text(interviews.segments(historian, other))[0]
    body = annotations.bodies(historian, {"events": [EVENT]}, [], "in the vtt sample")
    start = text.index("Freight cars")
    annotations.create(historian, other, start, start + 12, body, "hist")
    client.application.extensions["search"].update([other])
    assert client.application.extensions["indexer"].flush()  # the page's annotation joins the index's next batch
    page = client.get(f"/events/{EVENT}").get_data(as_text=True)
    assert "Passages (2)" in page and "in the txt sample" in page and "in the vtt sample" in page
    assert f"/interviews/{other}#a-" in page
    found = client.get(f"/api/v1/search?event={EVENT}").get_json()
    assert sorted(h["id"] for h in found["hits"]) == sorted([INTERVIEW, other])
    quotes = {h["id"]: [p["quote"] for p in h["passages"]] for h in found["hits"]}
    assert quotes[other] == ["Freight cars"] and len(quotes[INTERVIEW]) == 1
    html = client.get(f"/search?event={EVENT}").get_data(as_text=True)
    assert f"/interviews/{other}#a-" in html and "Freight cars</a></blockquote>" in html
    event_facet = {f["value"]: f for f in found["facets"]["event"]}
    assert event_facet[EVENT]["count"] == 2 and event_facet[EVENT]["label"] == vocab.events(historian).get(EVENT).name()
    assert client.get("/events/no-such-event").status_code == 404
    assert client.get("/places/posyet").status_code == 200 and client.get("/people/").status_code == 200


def edit_entry(client, kind, entry_id=None, **fields):
    url = f"/{kind}/{entry_id}/edit" if entry_id else f"/{kind}/new"
    page = client.get(url)
    form = {"csrf_token": csrf_token(page)}
    version = page.get_data(as_text=True).split('id="version" name="version" type="hidden" value="')[1].split('"')[0]
    return client.post(url, data={**form, "version": version, **fields})


def test_historians_add_and_change_events_with_history_and_conflicts(client, historian):
    response = edit_entry(
        client,
        "events",
        label_en="Arrival at Bastobe",
        label_ru="Прибытие в Бастобе",
        date="1937-10~",
        places=["bastobe"],
        related=["arrival-ushtobe-1937"],
        sources="Interview notes, 2019",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/events/arrival-at-bastobe")
    events = vocab.events(historian)
    assert events.get("arrival-at-bastobe").date == "1937-10~"
    assert "arrival-at-bastobe" in events.get("arrival-ushtobe-1937").data["related"]  # related both ways
    refused = edit_entry(
        client, "events", "arrival-at-bastobe", label_en="Arrival", label_ru="Прибытие", date="autumn 1937"
    )
    assert refused.status_code == 422 and "is not a date in EDTF" in refused.get_data(as_text=True)
    # a stale form is refused, not silently overwritten
    page = client.get("/events/arrival-at-bastobe/edit")
    stale = page.get_data(as_text=True).split('name="version" type="hidden" value="')[1].split('"')[0]
    assert (
        edit_entry(
            client,
            "events",
            "arrival-at-bastobe",
            label_en="Arrival at Bastobe station",
            label_ru="Прибытие",
            date="1937-10",
        ).status_code
        == 302
    )
    conflict = client.post(
        "/events/arrival-at-bastobe/edit",
        data={
            "csrf_token": csrf_token(page),
            "version": stale,
            "label_en": "Other",
            "label_ru": "Другое",
            "date": "1937",
        },
    )
    assert conflict.status_code == 422 and "Other" in conflict.get_data(as_text=True)
    assert vocab.events(historian).get("arrival-at-bastobe").name() == "Arrival at Bastobe station"
    assert len(historian.history("vocab", "events", "events.json")) == 1
    assert list(historian.verify()) == []


def test_places_edited_in_the_app_are_the_ones_search_uses(client, historian):
    avangard = {
        "label_en": "Kolkhoz Avangard",
        "label_ru": "Колхоз Авангард",
        "names": "Avangard\nАвангард",
        "type": "kolkhoz",
        "country": "KZ",
        "lat": "44.9",
        "lon": "78.1",
    }
    response = edit_entry(client, "places", **avangard, within="ushtobe")
    assert response.status_code == 422  # a kolkhoz is a settlement: it lies within a district or region, not a town
    assert "Ushtobe is not a larger kind of place than this one" in response.get_data(as_text=True)
    response = edit_entry(client, "places", **avangard, within="zhetysu-region")
    assert response.status_code == 302
    assert "kolkhoz-avangard" in vocab.gazetteer(historian).places
    assert [p.id for p in client.application.extensions["search"].gazetteer.match("Авангард")] == ["kolkhoz-avangard"]
    taken = edit_entry(
        client,
        "places",
        label_en="Another",
        label_ru="Другой",
        names="Уштобе",
        type="village",
        country="KZ",
        within="zhetysu-region",
    )
    assert taken.status_code == 422  # the same name in the same region could never be told apart
    assert "“Уштобе” is already a name of Ushtobe (ushtobe), which lies in the same place" in taken.get_data(
        as_text=True
    )
    bad = edit_entry(client, "places", label_en="Far", label_ru="Далеко", type="village", country="KZ", lat="95")
    assert bad.status_code == 422 and "is not a latitude" in bad.get_data(as_text=True)


def test_people_are_added_with_their_name_forms(client, historian):
    response = edit_entry(
        client,
        "people",
        label_en="Tsoi Anna Petrovna",
        label_ru="Цой Анна Петровна",
        label_ko="최 안나",
        names="Choi Anna",
        dates="1929",
        events=[EVENT],
    )
    assert response.status_code == 302
    person = vocab.people(historian).get("tsoi-anna-petrovna")
    assert "Choi Anna" in person.data["names"] and person.data["events"] == [EVENT]
    assert "Цой Анна Петровна" in client.get("/people/tsoi-anna-petrovna").get_data(as_text=True)
    assert json.loads(client.get("/api/v1/people").get_data())["people"][-1]["id"] == "tsoi-anna-petrovna"


def test_only_staff_edit_vocabularies(client, auth, sample_collection):
    assert client.get("/events/new").status_code == 302
    auth.login("researcher")
    assert client.get("/events/new").status_code == 403
    assert client.get(f"/events/{EVENT}/edit").status_code == 403
