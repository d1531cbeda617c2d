"""EDTF dates said in words in each page language (archive/dates.py), and the timeline that uses them: in date order,
no raw codes, narrowed to one place's events."""

from __future__ import annotations

import re

import pytest

from archive import dates

SAID = {
    # code: (English, Russian, Korean)
    "1937": ("1937", "1937", "1937"),
    "1937-09": ("September 1937", "сентябрь 1937 года", "1937년 9월"),
    "1937-08-21": ("21 August 1937", "21 августа 1937 года", "1937년 8월 21일"),
    "1940~": ("about 1940", "около 1940 года", "1940년경"),
    "1937-10~": ("about October 1937", "около октября 1937 года", "1937년 10월 무렵"),
    "1937-08-21~": ("about 21 August 1937", "около 21 августа 1937 года", "1937년 8월 21일 무렵"),
    "1940?": ("perhaps 1940", "возможно, 1940", "아마도 1940"),
    "1940%": ("perhaps about 1940", "возможно, около 1940 года", "아마도 1940년경"),
    "186X": ("the 1860s", "1860-е годы", "1860년대"),
    "186X~": ("about the 1860s", "около 1860-х годов", "1860년대 무렵"),
    "18XX": ("the 1800s", "1800-е годы", "1800년대"),
    "1937-XX": ("1937", "1937", "1937"),
    "1937-09-XX": ("September 1937", "сентябрь 1937 года", "1937년 9월"),
    "1937-21": ("spring 1937", "весна 1937 года", "1937년 봄"),
    "1937-23": ("autumn 1937", "осень 1937 года", "1937년 가을"),
    "1869-09/1869-11": ("September to November 1869", "сентябрь — ноябрь 1869 года", "1869년 9월부터 11월까지"),
    "1918/1922": ("1918 to 1922", "с 1918 по 1922 год", "1918년부터 1922년까지"),
    "1904-02/1905-09": (
        "from February 1904 until September 1905",
        "февраль 1904 года — сентябрь 1905 года",
        "1904년 2월부터 1905년 9월까지",
    ),
    "1905~/1922~": (
        "from about 1905 until about 1922",
        "около 1905 года — около 1922 года",
        "1905년경부터 1922년경까지",
    ),
    "../1940": ("until 1940", "1940 и раньше", "1940까지"),
    "1940/..": ("from 1940 on", "1940 и позже", "1940부터"),
    "/1940-05": (
        "until May 1940, start unknown",
        "конец — май 1940 года, начало неизвестно",
        "1940년 5월까지 (시작된 때는 알 수 없음)",
    ),
    "1940/": ("from 1940, end unknown", "начало — 1940, конец неизвестен", "1940부터 (끝난 때는 알 수 없음)"),
}
RAW = ["[1667,1668]", "Y170000002", "1937-09-2X", "-0100", "not a date", "1937-13"]


def say_in(app, lang: str, code: str) -> str:
    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()  # the app's own hook chooses the language, as for a page
        return dates.say(code)


@pytest.mark.parametrize("code", SAID)
@pytest.mark.parametrize(("column", "lang"), [(0, "en"), (1, "ru"), (2, "ko")])
def test_each_shape_of_date_is_said_in_each_language(app, code, column, lang):
    assert say_in(app, lang, code) == SAID[code][column]


@pytest.mark.parametrize("code", RAW)
def test_what_cannot_be_said_is_shown_as_written(app, code):
    assert say_in(app, "ru", code) == code


def test_no_date_is_nothing(app):
    assert say_in(app, "en", "") == "" and say_in(app, "en", None) == ""


def test_the_timeline_says_dates_in_words_not_codes(client, sample_collection):
    page = client.get("/events/").get_data(as_text=True)
    shown = re.findall(r'<span class="date">([^<]*)</span>', page)
    assert "the 1860s" in shown and "September to November 1869" in shown and "about October 1937" in shown
    assert not [d for d in shown if re.search(r"\d{3}X|~|/|\d{4}-\d\d", d)]
    assert "EDTF" not in page and "186X" not in page
    assert 'class="entries events timeline"' in page


def test_the_timeline_in_russian_and_korean(client, sample_collection):
    assert "сентябрь — ноябрь 1869 года" in client.get("/events/?lang=ru").get_data(as_text=True)
    assert "1860년대" in client.get("/events/?lang=ko").get_data(as_text=True)


def test_the_timeline_is_narrowed_to_one_place(client, sample_collection):
    everything = client.get("/events/").get_data(as_text=True)
    page = client.get("/events/?place=ushtobe").get_data(as_text=True)
    listed = set(re.findall(r'<a href="/events/([a-z0-9-]+)"', page))
    assert listed == {"arrival-ushtobe-1937", "first-winter-steppe-1937-1938"}
    assert "/events/census-1959" in everything and "/events/census-1959" not in page
    assert '<option value="ushtobe" selected>' in page  # the choice offered, as chosen, with a button to change it
    assert '<option value="vladivostok">' in page and '<button type="submit">' in page
    assert 'href="/map?place=ushtobe"' in page


def test_a_place_named_by_no_event_lists_none(client, sample_collection):
    page = client.get("/events/?place=bishkek").get_data(as_text=True)
    assert "No event of the timeline names this place." in page
    assert not re.findall(r'<a href="/events/[a-z0-9-]+"', page)


def test_an_unknown_place_shows_the_whole_timeline(client, sample_collection):
    page = client.get("/events/?place=atlantis").get_data(as_text=True)
    assert "/events/census-1959" in page and "/events/korean-migration-1860s" in page


def test_event_and_person_pages_say_their_dates(client, sample_collection):
    event = client.get("/events/deportation-trains-1937").get_data(as_text=True)
    assert "September to October 1937" in event and "1937-09/1937-10" not in event
    person = client.get("/people/joseph-stalin?lang=ru").get_data(as_text=True)
    assert "с 1878 по 1953 год" in person and "1878/1953" not in person
