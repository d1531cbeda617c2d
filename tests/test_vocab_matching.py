"""Filters of vocabulary choices match names in every script: the rule is names.contains (fold), asked by the
annotator's filter through /vocab/<kind>/matching, which only staff may use."""

import pytest
from conftest import Auth
from hypothesis import given
from hypothesis import strategies as st

from archive import names, vocab

INTERVIEW = "1s12p03r"


@pytest.mark.parametrize(
    ("typed", "spelling"),
    [
        ("Уштобе", "Ushtobe"),
        ("ушт", "Ushtobe"),
        ("USHTOBE", "Үштөбе"),
        ("우슈", "우슈토베"),
        ("", "anything"),
    ],
)
def test_typed_text_is_found_in_a_spelling_of_any_script(typed, spelling):
    assert names.contains(typed, [spelling])


@pytest.mark.parametrize(("typed", "spelling"), [("Уштобе", "Karaganda"), ("Ushtobe", "Уш"), ("우슈", "Ushtobe")])
def test_typed_text_not_in_any_spelling_is_not_found(typed, spelling):
    assert not names.contains(typed, [spelling])


@pytest.mark.parametrize(
    ("written", "key"), [("Uştöbe", "ushtobe"), ("Çimkent", "chimkent"), ("Qızılorda", "qizilorda")]
)
def test_turkic_letters_fold_to_their_two_letter_latin_spelling(written, key):
    assert names.fold(written) == key


def test_every_spelling_of_an_entry_counts(collection):
    assert "ushtobe" in vocab.matching(collection, "places", "Уштобе")
    assert "ushtobe" in vocab.matching(collection, "places", "우슈토베")
    assert "ushtobe" in vocab.matching(collection, "places", "Üştöbe")
    assert "joseph-stalin" in vocab.matching(collection, "people", "джугашвили")  # a name other than its label
    events = vocab.matching(collection, "events", "1937")  # an event's date, as its choice shows it
    assert "deportation-trains-1937" in events
    assert vocab.matching(collection, "places", "Уштобе") == ["ushtobe"]


def test_staff_ask_which_entries_match_what_they_type(app, client, auth):
    auth.login("historian")
    response = client.get("/vocab/places/matching", query_string={"q": "Уштобе"})
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == {"ids": ["ushtobe"]}
    people = client.get("/vocab/people/matching", query_string={"q": "Сталин"}).get_json()["ids"]
    assert "joseph-stalin" in people
    assert client.get("/vocab/surnames/matching", query_string={"q": "Цой"}).status_code == 404


def test_only_staff_may_ask(app, client):
    assert client.get("/vocab/places/matching?q=a").status_code == 302  # to the sign-in page
    researcher = app.test_client()
    Auth(app, researcher).login("researcher")
    assert researcher.get("/vocab/places/matching?q=a").status_code == 403


def test_the_annotators_filters_ask_the_server_and_its_hidden_fields_have_no_labels(client, auth, sample_collection):
    auth.login("historian")
    page = client.get(f"/interviews/{INTERVIEW}").get_data(as_text=True)
    for kind in ("places", "events"):  # the lists long enough to have a filter
        assert f'data-match="/vocab/{kind}/matching"' in page
    for hidden in ("start", "end", "exact", "segment"):
        assert f'<label for="{hidden}"' not in page
        assert f'id="{hidden}" name="{hidden}" type="hidden"' in page


def test_the_other_forms_choosing_entries_ask_the_server_too(client, auth, sample_collection):
    auth.login("historian")
    event_form = client.get("/events/new").get_data(as_text=True)
    assert 'data-match="/vocab/places/matching"' in event_form and 'data-match="/vocab/events/matching"' in event_form
    assert 'data-match="/vocab/events/matching"' in client.get("/people/new").get_data(as_text=True)
    assert 'data-match="/vocab/events/matching"' in client.get("/media/2kfh28sh/edit").get_data(as_text=True)


@given(st.text(max_size=40), st.text(max_size=40))
def test_any_text_is_found_in_itself_and_within_longer_text(typed, around):
    assert names.contains(typed, [typed])
    assert names.contains(typed, [f"{around} {typed} {around}"])
