"""The page languages: gettext catalogues complete for every marked message, compiled as their sources say, plural
rules that Russian needs, and the language chosen by the switcher, the cookie or the browser, in that order."""

from __future__ import annotations

import functools
import re

import pytest
from babel.messages.pofile import read_po

from archive import create_app, i18n, templates_folder

OTHER_LANGUAGES = ("ru", "ko")
SAME_IN_EVERY_LANGUAGE: set[str] = set()  # names, codes and numbers a translation may leave as they are


def catalogue(lang: str):
    with (i18n.CATALOGUES / lang / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=lang)


def test_the_languages_are_english_russian_and_korean():
    assert set(i18n.languages()) == {"en", *OTHER_LANGUAGES}


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_marked_message_has_a_translation_in_every_form(lang):
    marked = i18n.extract(templates_folder())
    assert len(marked) > 150
    found = catalogue(lang)
    lacking, same = [], []
    for message in marked:
        if not message.id:
            continue
        translated = found.get(message.id)
        if translated is None or not i18n.translated(translated):
            lacking.append(message.id)
            continue
        forms = translated.string if isinstance(translated.string, tuple) else (translated.string,)
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        if any(form in english for form in forms) and english[0] not in SAME_IN_EVERY_LANGUAGE:
            same.append(message.id)
        if isinstance(message.id, tuple):
            assert len(forms) == found.num_plurals, message.id  # every plural form the language has
        placeholders = set(re.findall(r"{\w+}", english[-1]))
        assert all(set(re.findall(r"{\w+}", form)) <= placeholders | {"{n}"} for form in forms), message.id
    assert lacking == [] and same == []


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_the_compiled_catalogue_is_the_one_its_source_makes(lang):
    compiled = (i18n.CATALOGUES / lang / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert compiled == i18n.compile_catalogue(lang), "run `archive translations compile`"


def test_russian_counts_take_three_forms_and_korean_one(client):
    assert catalogue("ru").num_plurals == 3 and catalogue("ko").num_plurals == 1
    app = client.application
    with app.test_request_context("/?lang=ru"):
        from flask import g

        g.lang = "ru"
        said = [
            i18n.translate_plural("{n} job listed, the newest first.", "{n} jobs listed, the newest first.", n)
            for n in (1, 2, 5, 11, 21, 22)
        ]
    assert [s.split(",")[0] for s in said] == ["1 задача", "2 задачи", "5 задач", "11 задач", "21 задача", "22 задачи"]
    with app.test_request_context("/?lang=ko"):
        from flask import g

        g.lang = "ko"
        assert i18n.translate_plural("{n} job listed, the newest first.", "{n} jobs listed, the newest first.", 3) == (
            "작업 3개, 최근 것부터 보여 드립니다."
        )


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def test_the_language_comes_from_the_switcher_then_the_cookie_then_the_browser(client):
    korean_browser = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}
    first = client.get("/contribute/", headers=korean_browser)
    assert html_lang(first.get_data(as_text=True)) == "ko" and "이야기" in first.get_data(as_text=True)
    assert "Accept-Language" in first.headers["Vary"] and "Cookie" in first.headers["Vary"]
    chosen = client.get("/contribute/?lang=ru", headers=korean_browser)  # the switcher wins over the browser
    assert html_lang(chosen.get_data(as_text=True)) == "ru"
    assert "lang=ru" in chosen.headers["Set-Cookie"] and "HttpOnly" in chosen.headers["Set-Cookie"]
    later = client.get("/contribute/", headers=korean_browser)  # and is remembered
    assert html_lang(later.get_data(as_text=True)) == "ru" and "Поделиться" in later.get_data(as_text=True)
    english = client.get("/contribute/?lang=en")
    assert html_lang(english.get_data(as_text=True)) == "en"
    assert html_lang(client.get("/contribute/?lang=xx").get_data(as_text=True)) == "en"  # unknown: kept as it was


@pytest.mark.parametrize("path", ["/", "/interviews/", "/search?q=Ushtobe&village=ushtobe", "/media/", "/contribute/"])
def test_every_page_offers_the_other_languages_keeping_where_the_reader_is(client, sample_collection, path):
    page = client.get(path, headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert html_lang(page) == "ru"
    switcher = re.search(r'<nav class="languages"[^>]*>(.*?)</nav>', page, re.S).group(1)
    links = dict(re.findall(r'<a href="([^"]+)" lang="(\w+)"', switcher))
    assert sorted(links.values()) == ["en", "ko"]
    for href in links:
        assert href.startswith(path.split("?")[0] + "?")
        if "q=Ushtobe" in path:
            assert "q=Ushtobe" in href and "village=ushtobe" in href


def test_korean_text_is_never_broken_inside_a_word():
    css = (i18n.CATALOGUES.parent / "static" / "css" / "archive.css").read_text("utf-8")
    assert re.search(r":lang\(ko\)\s*{[^}]*word-break:\s*keep-all", css)


@pytest.mark.parametrize(
    ("lang", "title", "detail"),
    [("ru", "Не найдено", "Здесь нет интервью."), ("ko", "찾을 수 없습니다", "여기에는 인터뷰가 없습니다.")],
)
def test_an_error_page_speaks_the_readers_language(client, lang, title, detail):
    answer = client.get(f"/interviews/nosuchone?lang={lang}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404 and html_lang(page) == lang
    assert title in page and detail in page and "There is no interview" not in page


def test_signing_in_and_out_speaks_the_readers_language(client):
    page = client.get("/auth/signin?lang=ko").get_data(as_text=True)
    assert "계정 이름" in page and "비밀번호" in page and "Account name" not in page


@pytest.mark.parametrize(
    ("lang", "words", "english"),
    [
        ("ru", ["Смотреть интервью", "Историки и исследователи"], ["Browse the interviews", "Testimonies recorded"]),
        ("ko", ["인터뷰 둘러보기", "역사학자와 연구자는"], ["Browse the interviews", "Testimonies recorded"]),
    ],
)
def test_the_home_page_speaks_the_readers_language(client, lang, words, english):
    page = client.get(f"/?lang={lang}").get_data(as_text=True)
    assert all(w in page for w in words) and not any(e in page for e in english)


def test_search_counts_its_results_in_russian_words(client, sample_collection):
    page = client.get("/search?q=Ushtobe&lang=ru").get_data(as_text=True)
    count = int(re.search(r"(\d+) результат", page).group(1))
    word = {1: "результат", 2: "результата", 3: "результата", 4: "результата"}.get(count % 10, "результатов")
    if 11 <= count % 100 <= 14:
        word = "результатов"
    assert f"{count} {word}" in page and "Поиск: «Ushtobe»" in page
    assert "Nothing found" not in client.get("/search?q=zzzzqqq&lang=ru").get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "heading", "event"),
    [
        ("ru", "Хронология", "Первые корейские переселенцы на российском Дальнем Востоке"),
        ("ko", "연표", "한인의 첫 연해주 이주"),
    ],
)
def test_the_timeline_names_events_in_the_readers_language(client, lang, heading, event):
    page = client.get(f"/events/?lang={lang}").get_data(as_text=True)
    assert heading in page and event in page
    assert "First Korean settlers in the Russian Far East" not in page


READER_PAGES = [
    "/",
    "/interviews/",
    "/interviews/1s12p03r",
    "/search?q=Ushtobe",
    "/browse/villages",
    "/browse/decades",
    "/media/",
    "/media/2kfh28sh",
    "/events/",
    "/events/arrival-ushtobe-1937",
    "/places/",
    "/people/",
    "/map?place=ushtobe",
    "/contribute/",
    "/contribute/receipt",
    "/auth/signin",
    "/interviews/nosuchone",
]
STAFF_PAGES = [
    "/moderate/",
    "/jobs/",
    "/vocab/surnames",
    "/interviews/new",
    "/interviews/1s12p03r/passages/1",
    "/interviews/1s12p03r/annotations/new?segment=1",
    "/media/new",
    "/media/2kfh28sh/edit",
    "/events/new",
    "/places/new",
    "/people/new",
    "/about/edit",
]


@functools.cache
def english_messages() -> frozenset[str]:
    """The catalogue's English messages of two words or more, without placeholders: what a page shows whole."""
    found = set()
    for message in i18n.extract(templates_folder()):
        for english in message.id if isinstance(message.id, tuple) else (message.id,):
            if english and "{" not in english and len(english.split()) >= 2:
                found.add(english)
    return frozenset(found)


def english_left(page: str) -> list[str]:
    """The catalogue's English messages shown whole on a page (as text, or as a placeholder, label or title)."""
    texts = {" ".join(t.split()) for t in re.findall(r">([^<>]+)<", page)}
    texts |= set(re.findall(r'(?:placeholder|aria-label|title|alt)="([^"]+)"', page))
    return sorted(texts & english_messages())


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_main_page_is_in_the_readers_language(client, auth, sample_collection, lang):
    """Each reader's page and each staff page, in Russian and in Korean: `<html lang>` says so and no message of the
    catalogue is left in English (names, titles and transcripts are the records' own words and stay as written)."""
    english = client.application.test_client().get("/contribute/").get_data(as_text=True)
    assert len(english_left(english)) > 10  # the check sees English where it is
    found = {}
    for path in READER_PAGES:
        answer = client.get(path, headers={"Accept-Language": lang})
        assert answer.status_code in (200, 404), (path, answer.status_code)
        found[path] = english_left(answer.get_data(as_text=True))
        assert html_lang(answer.get_data(as_text=True)) == lang, path
    auth.login("historian")
    for path in STAFF_PAGES:
        answer = client.get(path, headers={"Accept-Language": lang})
        assert answer.status_code == 200, (path, answer.status_code)
        found[path] = english_left(answer.get_data(as_text=True))
    assert {path: words for path, words in found.items() if words} == {}


@pytest.mark.parametrize(("lang", "russian"), [("ru", "русский"), ("ko", "러시아어"), ("en", "Russian")])
def test_languages_are_named_in_the_readers_language(client, sample_collection, lang, russian):
    facets = client.get(f"/search?q=Ushtobe&lang={lang}").get_data(as_text=True)
    assert re.search(rf'language=ru">{russian}</a>', facets)
    listing = client.get("/interviews/").get_data(as_text=True)
    assert russian in listing


def test_every_page_names_the_archives_icon(client):
    page = client.get("/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    with client.get(icon) as answer:  # a static file: closed when read
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml" and b"<svg" in answer.data


@pytest.mark.parametrize(("lang", "name"), [("en", "Oral history archive"), ("ru", "Архив устной истории")])
def test_the_shipped_archive_name_is_said_in_the_readers_language(client, lang, name):
    page = client.get(f"/?lang={lang}").get_data(as_text=True)
    assert f'<a class="brand" href="/">{name}</a>' in page


def test_a_name_an_archive_chose_is_shown_as_given(tmp_path):
    app = create_app({"TESTING": True, "ARCHIVE_DATA": tmp_path, "ARCHIVE_SITE_NAME": "Архив семьи Ли"})
    page = app.test_client().get("/?lang=ko").get_data(as_text=True)
    assert '<a class="brand" href="/">Архив семьи Ли</a>' in page


def test_the_kinds_of_record_are_named_in_the_readers_language_in_search(client, sample_collection):
    """Found in the journeys' screenshots: the kind facet and a photograph's hit said "interview" and "Photograph"
    on a Korean page."""
    page = client.get("/search?q=Ushtobe", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    facet = re.search(r"<h2>종류</h2>(.*?)</ul>", page, re.S).group(1)
    assert ">인터뷰<" in facet and ">사진<" in facet
    assert ">interview<" not in page and ">photograph<" not in page
    assert '<p class="meta">사진 · ' in page
    chosen = client.get("/search?q=Ushtobe&kind=interview", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "종류: 인터뷰 ×" in chosen
