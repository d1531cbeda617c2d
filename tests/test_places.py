"""The gazetteer's hierarchy (country > region > district > settlement > quarter) and the rule that a written place
name is linked only when the gazetteer is sure which place it means (names.Gazetteer.choose)."""

import json

import pytest

from archive import names, vocab
from archive.names import RANKS, Gazetteer, shipped_gazetteer

SHIPPED = json.loads((names.VOCAB / "places.json").read_text("utf-8"))


def test_every_shipped_place_lies_within_a_larger_one_and_the_kinds_are_the_forms():
    places = {p["id"]: p for p in SHIPPED["places"]}
    assert set(vocab.PLACE_KINDS) == set(RANKS)
    for place in SHIPPED["places"]:
        assert place["type"] in RANKS, place["id"]
        assert all(len(code) == 2 and code.isupper() for code in place["country"].split()), place["id"]
        assert set(place["sources"]) <= set(SHIPPED["sources"]), place["id"]
        if "within" in place:
            outer = places[place["within"]]
            assert RANKS[outer["type"]] < RANKS[place["type"]], (place["id"], outer["id"])
    gazetteer = shipped_gazetteer()
    assert [p.id for p in gazetteer.ancestors(gazetteer.places["ushtobe"])] == ["zhetysu-region", "kazakhstan"]
    assert (
        gazetteer.path(gazetteer.places["sinhanchon"], "ru")
        == "Новая Корейская слободка, Владивосток, Приморский край, Россия"
    )
    countries = [p.id for p in gazetteer.places.values() if p.type == "country"]
    assert {"russia", "kazakhstan", "uzbekistan", "kyrgyzstan", "korea"} <= set(countries)


@pytest.mark.parametrize(
    ("written", "place"),
    [
        ("Kokshetau", "kokshetau"),
        ("Kokczetaw", "kokshetau"),
        ("Кокчетав", "kokshetau"),
        ("Көкшетау", "kokshetau"),
        ("Petropavl", "petropavl"),
        ("Петропавловск", "petropavl"),
        ("Казахстан", "kazakhstan"),
        ("Qazaqstan", "kazakhstan"),
        ("Korea", "korea"),
        ("조선", "korea"),
        ("Корея", "korea"),
        ("Moscow, Russia", "moscow"),
        ("Москва, Россия", "moscow"),
        ("Moscow, RU", "moscow"),
        ("Уштобе, Жетісу облысы", "ushtobe"),
        ("Ushtobe,  Zhetysu Region, Kazakhstan", "ushtobe"),
        ("Hamgyong, Korea", "hamgyong"),
    ],
)
def test_a_name_alone_or_with_what_it_lies_in_finds_its_place(written, place):
    choice = shipped_gazetteer().choose(written)
    assert choice.place is not None and choice.place.id == place, choice


def test_the_events_that_happened_in_korea_have_their_place():
    events = vocab.Entries(json.loads((names.VOCAB / "events.json").read_text("utf-8"))["events"])
    for event in ("russo-japanese-war", "eulsa-treaty-1905", "annexation-of-korea-1910"):
        assert "korea" in events.get(event).data["places"]
    assert all(p in shipped_gazetteer().places for e in events for p in e.data.get("places", []))


# Idaho and its Moscow, as a historian would add them to the places vocabulary.
IDAHO = [
    {"id": "idaho", "label": {"en": "Idaho", "ru": "Айдахо"}, "names": ["Idaho", "ID"], "type": "region"},
    {"id": "moscow-idaho", "label": {"en": "Moscow", "ru": "Москва"}, "type": "city", "within": "idaho"},
]
for _place in IDAHO:
    _place["country"] = "US"


def idaho_gazetteer(countries=("RU", "KZ", "US")) -> Gazetteer:
    return Gazetteer.from_data({"countries": list(countries), "places": [*SHIPPED["places"], *IDAHO]})


def test_a_name_of_two_places_is_a_question_with_both_and_what_they_lie_in():
    gazetteer = idaho_gazetteer()
    choice = gazetteer.choose("Москва")
    assert choice.place is None and choice.why == "several"
    assert [gazetteer.path(p) for p in choice.candidates] == ["Moscow, Russia", "Moscow, Idaho"]
    assert gazetteer.choose("Moscow, Idaho").place.id == "moscow-idaho"
    assert gazetteer.choose("Moscow, ID").place.id == "moscow-idaho"
    assert gazetteer.choose("Moscow, US").place.id == "moscow-idaho"  # the country's code tells them apart too
    assert gazetteer.choose("Moscow, Россия").place.id == "moscow"
    assert gazetteer.choose("moscow-idaho").place.id == "moscow-idaho"  # an id is a choice already made
    nowhere = gazetteer.choose("Moscow, Ohio")
    assert nowhere.place is None and nowhere.why == "elsewhere" and len(nowhere.candidates) == 2


def test_a_place_outside_the_archives_countries_is_linked_only_by_its_id_or_with_what_it_lies_in():
    gazetteer = idaho_gazetteer(countries=("US",))
    assert gazetteer.choose("Tashkent").why == "outside"
    assert gazetteer.choose("tashkent").place.id == "tashkent"  # the id, typed on purpose
    assert gazetteer.choose("Tashkent, Uzbekistan").place.id == "tashkent"
    assert gazetteer.choose("Idaho").place.id == "idaho"
    assert not shipped_gazetteer().outside(shipped_gazetteer().places["hamgyong"])  # KP is one of the shipped
    assert (
        Gazetteer.from_data({"places": SHIPPED["places"]}).choose("Tashkent").place.id == "tashkent"
    )  # no list: anywhere


def test_a_family_typing_a_shared_name_is_not_linked_but_offered_the_candidates(collection):
    from archive.contributions import receiving

    data = vocab.load(collection, "places").data
    vocab.save(collection, "places", {**data, "places": [*data["places"], *IDAHO]}, "admin", "")
    typed = receiving.places({"deported_to": "Москва; Ushtobe"}, collection)["deported_to"]
    assert typed[0] == {"typed": "Москва", "suggestions": ["moscow", "moscow-idaho"]}
    assert typed[1] == {"typed": "Ushtobe", "place": "ushtobe"}


def test_a_place_page_names_its_kind_and_every_place_it_lies_in(client):
    page = client.get("/places/ushtobe", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "<dd>небольшой город, KZ</dd>" in page  # the kind in the reader's language
    within = '<a href="/places/zhetysu-region">область Жетісу</a>, <a href="/places/kazakhstan">Казахстан</a>'
    assert within in page
    english = client.get("/places/korea").get_data(as_text=True)
    assert "<dd>country, KP KR</dd>" in english


def test_the_countries_setting_is_read_however_a_replaced_vocabulary_writes_it():
    for given in (["US", "kz"], "US KZ", "us, kz"):
        assert Gazetteer.from_data({"countries": given, "places": SHIPPED["places"]}).countries == ("US", "KZ")
    assert Gazetteer.from_data({"countries": None, "places": SHIPPED["places"]}).countries == ()
