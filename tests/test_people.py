"""The people page (/people/): the historical figures of the vocabulary and the narrators of the interviews the
reader may read, each with the other written forms of the name; narrators link to their interviews."""

from __future__ import annotations

import re


def narrators(page: str) -> dict[str, str]:
    """Each narrator listed, with the rest of its line (forms and links)."""
    section = page.split('id="narrators"', 1)[1]
    return dict(re.findall(r"<strong>([^<]+)</strong>(.*?)</li>", section, re.S))


def test_anonymous_readers_see_the_narrators_of_public_interviews_with_their_forms(client, sample_collection):
    page = client.get("/people/").get_data(as_text=True)
    found = narrators(page)
    assert set(found) == {"Pavel Kim", "Viktor Khan", "Цой Анна Петровна", "최 마리아"}
    assert "Ким Павел · 김 파벨" in found["Pavel Kim"]
    assert 'href="/interviews/1s12p03r"' in found["Pavel Kim"]
    assert "Tsoi Maria" in found["최 마리아"] and "Цой Мария" in found["최 마리아"]


def test_the_narrator_of_a_restricted_interview_is_hidden_from_anonymous_readers(client, auth, sample_collection):
    page = client.get("/people/").get_data(as_text=True)
    assert "Пак Николай" not in page and "Pak Nikolai" not in page and "0ayd1wnd" not in page
    auth.login("researcher")
    found = narrators(client.get("/people/").get_data(as_text=True))
    assert "Pak Nikolai" in found["Пак Николай"] and 'href="/interviews/0ayd1wnd"' in found["Пак Николай"]


def test_a_narrator_of_several_interviews_is_listed_once_with_each(client, collection, sample_collection):
    import json

    stored = collection.read("interviews", "svqc7aeb", "interview.json")
    record = json.loads(stored.data)
    record["narrators"] = [{"name": "Pavel Kim", "other_forms": ["Павел Ким"]}]
    collection.write(
        "interviews",
        "svqc7aeb",
        {"interview.json": json.dumps(record).encode()},
        "test",
        {"interview.json": stored.version},
    )
    found = narrators(client.get("/people/").get_data(as_text=True))
    assert "Viktor Khan" not in found
    assert 'href="/interviews/1s12p03r"' in found["Pavel Kim"] and 'href="/interviews/svqc7aeb"' in found["Pavel Kim"]
    assert "Ким Павел" in found["Pavel Kim"] and "Павел Ким" in found["Pavel Kim"]


def test_historical_figures_are_listed_with_their_name_forms_and_dates_in_words(client, sample_collection):
    page = client.get("/people/").get_data(as_text=True)
    figures = page.split('id="figures"', 1)[1].split('id="narrators"', 1)[0]
    assert 'href="/people/joseph-stalin"' in figures
    stalin = figures.split('href="/people/joseph-stalin"', 1)[1].split("</li>", 1)[0]
    assert "Иосиф Сталин" in stalin and "Джугашвили" in stalin and "이오시프 스탈린" in stalin
    assert "Also written:" in stalin
    assert "1878 to 1953" in figures and "1878/1953" not in figures


def test_the_people_page_in_russian(client, sample_collection):
    page = client.get("/people/?lang=ru").get_data(as_text=True)
    assert "Рассказчики" in page and "Исторические лица" in page and "Другие написания:" in page
    assert "Иосиф Сталин</a>" in page and "Joseph Stalin" in page  # the English name among the other forms
