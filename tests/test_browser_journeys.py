"""The main journeys in a real browser, in Russian and in Korean: search and open a hit; read an interview on a phone;
browse a village on the map; share a testimony and open its receipt; a historian asks the family a question and
approves it; switch the language. Each journey saves a screenshot of every main page it passes, 390 and 1280 px wide,
as `<lang>-<page>-<width>.png` in `artefacts/screenshots/` (or the folder `ARCHIVE_ARTEFACTS` names), for people to
look at after a run."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import PASSWORD, REPOSITORY
from flask import g

from archive import i18n

pytestmark = pytest.mark.browser

LANGUAGES = ("ru", "ko")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WIDTHS = (390, 1280)
SAMPLE_INTERVIEW = "1s12p03r"  # Pavel Kim, public, with a transcript of several passages
STORY = {
    "ru": "Осенью 1937 года нас посадили в товарные вагоны. Бабушка помнила лодку «Сосновка» и первую зиму в землянке.",
    "ko": "1937년 가을에 우리 가족은 화물 열차에 실려 갔습니다. "
    "할머니는 소스놉카라는 배와 토굴에서 보낸 첫 겨울을 기억하셨습니다.",
}
NARRATOR = {"ru": "Ли Вера Николаевна", "ko": "이 베라"}


def artefacts() -> Path:
    folder = Path(os.environ.get("ARCHIVE_ARTEFACTS") or REPOSITORY / "artefacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(page, lang: str, name: str) -> None:
    """Save the page as it stands at a phone's and a desktop's width (the whole page), then restore the width."""
    size = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": size["height"]})
        path = artefacts() / f"{lang}-{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000
    page.set_viewport_size(size)


def said(app, lang: str, english: str, **values) -> str:
    """What the page says for an English message in `lang`, from the archive's own catalogue (never the English)."""
    with app.test_request_context(f"/?lang={lang}"):
        g.lang = lang
        words = i18n.translate(english, **values)
    assert words != english.format(**values), (lang, english)
    return words


def new_page(browser, viewport=DESKTOP, **options):
    """A page in a fresh context: its own cookies, as another person or another device."""
    page = browser.new_context(viewport=viewport, **options).new_page()
    page.set_default_timeout(15_000)
    return page


def html_lang(page) -> str:
    return page.evaluate("document.documentElement.lang")


def sign_in(page, site, name: str, lang: str) -> None:
    page.goto(f"{site.base}/auth/signin?lang={lang}")
    page.get_by_label(said(site.app, lang, "Account name"), exact=True).fill(name)
    page.get_by_label(said(site.app, lang, "Password"), exact=True).fill(PASSWORD)
    page.locator("main").get_by_role("button", name=said(site.app, lang, "Sign in")).click()
    page.wait_for_url(site.base + "/")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search_and_open_a_hit(sample_site, browser, lang):
    app, page = sample_site.app, new_page(browser)
    try:
        page.goto(f"{sample_site.base}/?lang={lang}")
        assert html_lang(page) == lang
        shoot(page, lang, "home")
        # the home page's own box, which invites names in any script (the header's box is on every page)
        home = page.locator("main").get_by_role("search")
        home.get_by_label(said(app, lang, "Search for a name, a village or any words, in any script")).fill("Ushtobe")
        home.get_by_role("button", name=said(app, lang, "Search"), exact=True).click()
        page.wait_for_url(re.compile(r"/search\?q=Ushtobe"))
        assert html_lang(page) == lang
        hits = page.locator(".hits .hit")
        assert hits.count() >= 1
        shoot(page, lang, "search")
        first = hits.first.get_by_role("heading").get_by_role("link")
        title = first.inner_text().strip()
        first.click()
        page.wait_for_url(re.compile(r"/(interviews|media)/\w+"))
        assert page.locator("h1").inner_text().strip() == title and html_lang(page) == lang
        shoot(page, lang, "hit")
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_read_an_interview_on_a_phone(sample_site, browser, lang):
    page = new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page.goto(f"{sample_site.base}/interviews/?lang={lang}")
        assert page.locator("h1").inner_text() == said(sample_site.app, lang, "Interviews")
        shoot(page, lang, "interviews")
        page.locator(f"a[href$='/interviews/{SAMPLE_INTERVIEW}']").first.tap()
        page.wait_for_url(re.compile(rf"/interviews/{SAMPLE_INTERVIEW}$"))
        assert html_lang(page) == lang
        # the transcript is readable at a phone's width: nothing runs off the side, the passages are full width
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        passage = page.locator(".segment").nth(1)
        passage.scroll_into_view_if_needed()
        assert passage.is_visible() and passage.bounding_box()["width"] >= PHONE["width"] - 60
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.segment')).fontSize)")
        assert size >= 16  # comfortable for older readers, not shrunk for the phone
        shoot(page, lang, "interview")
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_contribute_then_a_historian_asks_and_approves(sample_site, browser, lang):
    app, base = sample_site.app, sample_site.base
    family = new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    historian = new_page(browser)
    try:
        # A family shares a testimony from a phone, in their language.
        family.goto(f"{base}/contribute/?lang={lang}")
        assert family.locator("h1").inner_text() == said(app, lang, "Share a testimony")
        shoot(family, lang, "share")
        family.get_by_label(said(app, lang, "Your name"), exact=True).fill("Ольга Ли" if lang == "ru" else "이 올가")
        family.locator("#relation").fill("внучка" if lang == "ru" else "손녀")
        family.locator("#narrator").fill(NARRATOR[lang])
        family.locator("#deported_to").fill("Уштобе" if lang == "ru" else "우슈토베")
        family.locator("#story_text").fill(STORY[lang])
        family.locator("#visibility").get_by_label(said(app, lang, "Everyone"), exact=True).check()
        family.locator("#living_named input").first.check()
        consent = family.get_by_label(said(app, lang, "I agree to the terms above"), exact=True)
        consent.tap()  # a finger's tap on the box itself, now that it is big enough
        assert consent.is_checked()
        family.get_by_role("button", name=said(app, lang, "Send the testimony")).click()
        family.wait_for_url(re.compile(r"/contribute/receipt/\w+$"))
        submission = family.url.rsplit("/", 1)[1]
        assert (
            said(app, lang, "Thank you. Your testimony has been received.")
            in family.locator(".receipt-box").inner_text()
        )
        shoot(family, lang, "receipt")

        # A historian, working in the same language, finds it in the inbox and asks a question.
        name = sample_site.account(f"historian-{lang}", "historian")
        sign_in(historian, sample_site, name, lang)
        historian.goto(f"{base}/moderate/?lang={lang}")
        shoot(historian, lang, "inbox")
        historian.get_by_role("link", name=NARRATOR[lang]).click()
        historian.wait_for_url(f"{base}/moderate/{submission}")
        assert html_lang(historian) == lang
        shoot(historian, lang, "submission")
        question = "В каком году семья переехала в Ташкент?" if lang == "ru" else "가족은 언제 타슈켄트로 이사했습니까?"
        historian.get_by_label(said(app, lang, "Ask the contributor"), exact=True).fill(question)
        with historian.expect_navigation(url=f"{base}/moderate/{submission}"):  # the same page, once more
            historian.get_by_role("button", name=said(app, lang, "Ask"), exact=True).click()
        assert question in historian.locator(".log").inner_text()

        # The family sees the question on their receipt; the historian approves.
        family.reload()
        assert question in family.locator(".log").inner_text()
        expected = said(app, lang, "A historian has a question for you")
        assert family.locator(".status").inner_text() == expected
        asked = []
        historian.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        with historian.expect_navigation(url=f"{base}/moderate/{submission}"):
            historian.get_by_role("button", name=said(app, lang, "Approve: add to the archive")).click()
        question = "Approve this testimony? It becomes an interview in the archive, with the access the family chose."
        assert asked == [said(app, lang, question)]  # Approve asked first, in the page's language
        approved = said(app, lang, "approved")
        assert approved in historian.locator(".status").inner_text(), historian.locator("main").inner_text()[:1500]
        family.reload()
        assert family.locator(".status").inner_text() == said(app, lang, "Added to the archive")
    finally:
        family.context.close()
        historian.context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_browse_a_village_on_the_map(sample_site, browser, lang):
    app, page = sample_site.app, new_page(browser)
    try:
        page.goto(f"{sample_site.base}/map?lang={lang}")
        assert html_lang(page) == lang and page.locator("h1").inner_text().strip() == said(app, lang, "Map")
        shoot(page, lang, "map")
        village = page.locator("svg a.map-place[data-place='ushtobe']")
        name = village.locator("title").text_content().strip()
        village.click()
        page.wait_for_url(re.compile(r"/places/ushtobe$"))
        assert html_lang(page) == lang and page.locator("h1").inner_text().strip() in name
        shoot(page, lang, "place")
        page.locator("a.records-here").click()  # the interviews and photos that mention it, through search
        page.wait_for_url(re.compile(r"/search\?village=ushtobe"))
        hits = page.locator(".hits .hit")
        assert html_lang(page) == lang and hits.count() >= 1
        shoot(page, lang, "place-records")
        hits.first.get_by_role("heading").get_by_role("link").click()
        page.wait_for_url(re.compile(r"/(interviews|media)/\w+$"))
        assert html_lang(page) == lang
    finally:
        page.context.close()


@pytest.mark.parametrize(("lang", "other"), [("ru", "ko"), ("ko", "ru")])
def test_switch_language(sample_site, browser, lang, other):
    app, page = sample_site.app, new_page(browser)
    try:
        page.goto(f"{sample_site.base}/events/?lang={lang}")
        timeline = said(app, lang, "Timeline")
        assert html_lang(page) == lang and page.locator("h1").inner_text() == timeline
        shoot(page, lang, "timeline")
        switcher = page.get_by_role("navigation", name=said(app, lang, "Language"))
        switcher.get_by_role("link", name=i18n.NAMES[other]).click()
        page.wait_for_function(f"() => document.documentElement.lang === '{other}'")
        assert page.locator("h1").inner_text() == said(app, other, "Timeline")
        assert timeline not in page.locator("header.site").inner_text()
        # the choice is remembered: a page opened without ?lang speaks it too
        page.goto(f"{sample_site.base}/people/")
        assert html_lang(page) == other
        assert page.get_by_role("navigation", name=said(app, other, "Sections")).is_visible()
    finally:
        page.context.close()
