"""Reading while listening in a real browser (Chromium), issue 15's "player": an interview made here from a short
WAV of tones (stdlib `wave`) and a WebVTT transcript, ingested into a temporary collection and served by `archive
serve`. Clicking a timecode moves the recording there, the spoken passage is highlighted as it plays, ?t= and #t=
open at their time, the keys move time and say so, citing a moment copies its address with the time, and the
passages found within the interview stand along the recording."""

import os
import re

import pytest
from conftest import running_server
from test_accessibility import AXE, start_axe, violations
from test_listening import ingest, tones

from archive import annotations, create_app, interviews

pytestmark = pytest.mark.browser

PLAYER = "document.querySelector('section.listen .player')"


class Site:
    def __init__(self, base: str, interview: str, two_parts: str = ""):
        self.base, self.interview, self.two_parts = base, interview, two_parts

    def url(self, tail: str = "", interview: str = "") -> str:
        return f"{self.base}/interviews/{interview or self.interview}{tail}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One interview (12 s of tones, four passages at 0, 3, 6.5 and 9 s) served for the whole module."""
    root = tmp_path_factory.mktemp("listening")
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    collection = app.extensions["collection"]
    interview = ingest(app, collection, "By the sea", "public", audio=tones(12))
    text = interviews.transcript_text(interviews.segments(collection, interview))[0]
    start = text.index("dug houses")
    body = annotations.bodies(collection, {}, [], "Dugouts, in the first winter.")
    with app.app_context():
        app.extensions["services"].annotations.create(interview, start, start + len("dug houses"), body, "tester")
    # a second interview recorded on two tapes of 12 s each: part 2 plays from 12 s of continuous time
    two = ingest(app, collection, "On two tapes", "public", audio=tones(12))
    with app.app_context():
        app.extensions["services"].recordings.add(two, [(tones(12, (330, 770)), "tape-2.wav")], "tester")
    with running_server(root) as base:
        yield Site(base, interview, two)


@pytest.fixture(scope="module")
def axe_script() -> str:
    """axe-core as `npm ci` installs it, as tests/test_accessibility.py reads it."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the accessibility tests, but axe-core is missing: .ci/run runs `npm ci`")
        pytest.skip("axe-core is not installed (run `npm ci` in the repository folder)")
    return AXE.read_text("utf-8")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def ready(page) -> None:
    """Wait until the player knows the recording's length (its metadata is loaded)."""
    page.wait_for_function(f"() => {PLAYER}.readyState >= 1 && {PLAYER}.duration > 11")


def now(page) -> float:
    return page.evaluate(f"{PLAYER}.currentTime")


def speaking(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('.segment.speaking')].map((s) => s.id)")


def jump(page, seconds: float) -> None:
    """Set the player's time as playing would move it, and wait for the `timeupdate` that follows."""
    page.evaluate(
        f"""(t) => new Promise((done) => {{
              const player = {PLAYER};
              player.addEventListener('timeupdate', () => done(), {{once: true}});
              player.currentTime = t;
            }})""",
        seconds,
    )


def test_clicking_a_timecode_plays_from_there(site, page):
    page.goto(site.url())
    ready(page)
    page.locator("#s3 a.anchor").click()
    page.wait_for_function(f"() => {PLAYER}.currentTime >= 6.5")
    assert 6.5 <= now(page) < 9
    page.evaluate(f"{PLAYER}.pause()")
    assert speaking(page) == ["s3"]
    assert page.locator("#s3").get_attribute("aria-current") == "time"


def test_the_highlight_follows_the_voice(site, page):
    page.goto(site.url())
    ready(page)
    for seconds, passage in [(1, "s1"), (4.2, "s2"), (9.5, "s4"), (6.5, "s3"), (0, "s1")]:
        jump(page, seconds)
        assert speaking(page) == [passage], seconds
    # the highlight is not colour alone: a bar beside the passage and a mark before its time
    style = page.evaluate(
        """() => [getComputedStyle(document.querySelector('.segment.speaking')).boxShadow,
                  getComputedStyle(document.querySelector('.segment.speaking .anchor'), '::before').content]"""
    )
    assert style[0] != "none" and "▶" in style[1]


def test_following_scrolls_the_passage_into_view_and_the_switch_stops_it(site, page):
    page.set_viewport_size({"width": 1280, "height": 420})
    page.goto(site.url())
    ready(page)

    def in_view(passage: str) -> bool:
        return page.evaluate(
            f"""() => {{ const box = document.getElementById('{passage}').getBoundingClientRect();
                        return box.top >= 0 && box.bottom <= innerHeight; }}"""
        )

    jump(page, 9.5)
    page.wait_for_function(
        "() => { const b = document.getElementById('s4').getBoundingClientRect();"
        " return b.top >= 0 && b.bottom <= innerHeight; }"
    )
    # switched off, and remembered: after a reload the page stays where the reader put it
    page.get_by_label("Follow the voice").uncheck()
    page.reload()
    ready(page)
    assert not page.get_by_label("Follow the voice").is_checked()
    page.evaluate("window.scrollTo(0, 0)")
    jump(page, 9.5)
    assert speaking(page) == ["s4"]
    page.wait_for_timeout(300)  # a smooth scroll, had one started, would have moved by now
    assert page.evaluate("scrollY") == 0 and not in_view("s4")
    page.get_by_label("Follow the voice").check()
    assert page.evaluate("localStorage.getItem('archive.player.follow')") == "on"


@pytest.mark.parametrize("tail, seconds, passage", [("?t=7", 7, "s3"), ("#t=10", 10, "s4"), ("?t=0:00:04", 4, "s2")])
def test_an_address_with_a_time_opens_there(site, page, tail, seconds, passage):
    page.goto(site.url(tail))
    ready(page)
    page.wait_for_function(f"() => Math.abs({PLAYER}.currentTime - {seconds}) < 0.01")
    assert speaking(page) == [passage]
    assert page.evaluate(f"{PLAYER}.paused")  # it waits for the reader to press play


def test_the_keys_move_time_and_say_so(site, page):
    page.goto(site.url("?t=6"))
    ready(page)
    page.wait_for_function(f"() => {PLAYER}.currentTime === 6")
    said = page.locator("#listen-said")
    page.locator("h1").click()  # the focus on the page, not in a field
    page.keyboard.press("l")
    page.wait_for_function(f"() => {PLAYER}.currentTime === 11")
    assert said.inner_text() == "Forward 5 seconds, at 0:00:11"
    page.keyboard.press("j")
    page.wait_for_function(f"() => {PLAYER}.currentTime === 6")
    assert said.inner_text() == "Back 5 seconds, at 0:00:06"
    page.keyboard.press("n")
    page.wait_for_function(f"() => {PLAYER}.currentTime === 6.5")
    assert said.inner_text() == "Passage at 0:00:06"
    page.keyboard.press("n")
    page.wait_for_function(f"() => {PLAYER}.currentTime === 9")
    page.keyboard.press("n")
    assert said.inner_text() == "This is the last passage."
    page.keyboard.press("p")
    page.wait_for_function(f"() => {PLAYER}.currentTime === 6.5")
    page.keyboard.press("k")
    page.wait_for_function(f"() => !{PLAYER}.paused")
    assert said.inner_text().startswith("Playing, at 0:00:0")
    page.keyboard.press("k")
    page.wait_for_function(f"() => {PLAYER}.paused")
    assert said.inner_text().startswith("Paused, at 0:00:0")
    # typing in a field is typing: the letters stay in the field and time stays where it is
    stopped = now(page)
    page.get_by_role("searchbox", name="Search within this interview").type("lljn")
    assert page.get_by_role("searchbox", name="Search within this interview").input_value() == "lljn"
    assert now(page) == stopped


def test_the_keys_work_with_a_russian_keyboard_layout_too(site, page):
    page.goto(site.url("?t=2&lang=ru"))
    ready(page)
    page.wait_for_function(f"() => {PLAYER}.currentTime === 2")
    page.locator("h1").click()
    # the key where L is, typed on a Russian layout, gives "д"; the key's place is what counts
    page.dispatch_event("body", "keydown", {"key": "д", "code": "KeyL", "bubbles": True})
    page.wait_for_function(f"() => {PLAYER}.currentTime === 7")
    assert page.locator("#listen-said").inner_text() == "Вперёд на 5 секунд, 0:00:07"


def test_cite_this_moment_copies_the_address_with_its_time(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base)
    page = context.new_page()
    try:
        page.goto(site.url("#t=9"))
        ready(page)
        page.wait_for_function(f"() => {PLAYER}.currentTime === 9")
        page.get_by_role("button", name="Cite this moment").click()
        page.wait_for_function("() => document.getElementById('listen-said').textContent.includes('copied')")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert f"{site.url()}?t=9" in copied
        assert copied.startswith("Anna Tsoi, interviewed by Pyotr Kim, May 1998. “By the sea”.")
        assert copied.endswith(", at 00:00:09.")
    finally:
        context.close()


def test_where_copying_is_refused_the_citation_is_shown_to_copy(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # a browser that refuses the clipboard to this page (as a locked-down library computer may)
    context.add_init_script(
        "navigator.clipboard.writeText = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));"
    )
    page = context.new_page()
    try:
        page.goto(site.url("?t=3&lang=ko"))
        ready(page)
        page.wait_for_function(f"() => {PLAYER}.currentTime === 3")
        page.get_by_role("button", name="이 순간 인용하기").click()
        field = page.get_by_label("이 순간의 인용")
        field.wait_for(state="visible")
        assert f"{site.url()}?t=3" in field.input_value() and "00:00:03" in field.input_value()
        assert page.evaluate("document.activeElement.id") == "moment-text"
        assert "직접 복사" in page.locator("#listen-said").inner_text()
    finally:
        context.close()


def test_passages_found_within_stand_along_the_recording_and_play_when_clicked(site, page):
    page.goto(site.url("?find=Ushtobe"))
    ready(page)
    ticks = page.locator("nav.ticks a.tick")
    ticks.first.wait_for()
    assert ticks.count() == 2
    lefts = ticks.evaluate_all("(ts) => ts.map((t) => t.style.left)")
    assert lefts == [f"{100 * 6.5 / 12}%", f"{100 * 9 / 12}%"] or [
        float(x.rstrip("%")) for x in lefts
    ] == pytest.approx([100 * 6.5 / 12, 100 * 9 / 12], abs=0.5)
    ticks.nth(1).click()
    page.wait_for_function(f"() => {PLAYER}.currentTime >= 9")
    assert page.url.endswith("?find=Ushtobe")  # played here, not reloaded
    page.evaluate(f"{PLAYER}.pause()")
    # and the list's own links too
    page.locator("#within a[data-start='6.5']").click()
    page.wait_for_function(f"() => {PLAYER}.currentTime >= 6.5 && {PLAYER}.currentTime < 9")


def test_an_annotation_of_a_timed_passage_leads_to_its_time(site, page):
    page.goto(site.url())
    ready(page)
    page.locator("#annotations").evaluate("(d) => { d.open = true; }")  # opened by interview.js on a wide screen
    page.locator("a[data-annotation]").click()
    page.wait_for_function(f"() => {PLAYER}.currentTime === 9")
    assert speaking(page) == ["s4"]


@pytest.mark.parametrize("lang", ["en", "ru", "ko"])
def test_the_listening_page_has_nothing_serious_for_axe(site, browser, axe_script, lang):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(site.url(f"?find=Ushtobe&lang={lang}"))
        ready(page)
        page.locator("details.keys summary").click()
        start_axe(page, axe_script)
        assert violations(page) == []
        assert re.search(r"\bspeaking\b", page.locator("#s1").get_attribute("class") or "") is None
    finally:
        context.close()


def part(page, n: int) -> str:
    return f"document.querySelector('.player[data-part=\"{n}\"]')"


def test_a_time_in_the_second_part_opens_that_part(site, page):
    page.goto(site.url("?t=15", site.two_parts))
    page.wait_for_function(f"() => !{part(page, 2)}.hidden && {part(page, 2)}.currentTime === 3")
    assert page.evaluate(f"{part(page, 1)}.hidden")
    # back 5 seconds crosses into part 1, at 10 s of continuous time
    page.locator("h1").click()
    page.keyboard.press("j")
    page.wait_for_function(f"() => !{part(page, 1)}.hidden && {part(page, 1)}.currentTime === 10")
    assert page.evaluate(f"{part(page, 2)}.hidden")
    assert page.locator("#listen-said").inner_text() == "Back 5 seconds, at 0:00:10"


def test_the_next_part_plays_when_one_ends(site, page):
    page.goto(site.url("?t=11.7", site.two_parts))
    page.wait_for_function(f"() => {part(page, 1)}.readyState >= 1 && {part(page, 1)}.currentTime > 11.6")
    page.locator("h1").click()
    page.keyboard.press("k")
    page.wait_for_function(
        f"() => !{part(page, 2)}.hidden && {part(page, 2)}.currentTime > 0 && !{part(page, 2)}.paused"
    )
    assert page.evaluate(f"{part(page, 1)}.hidden")
