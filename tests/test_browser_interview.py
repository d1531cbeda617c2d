"""In a real browser: the interview page on a phone puts the testimony first (what describes it folded above it), on
a wide screen keeps it beside the transcript, and shows a family's story line by line."""

import pytest
from conftest import browser_tab
from test_contribute import approved, send
from test_contribute import browser as signed_in_client

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
INTERVIEWS = ["svqc7aeb", "1s12p03r", "x3w3seda", "667hyfv6"]  # the public samples; svqc7aeb has the most to fold


def first_passage_top(page) -> float:
    return page.evaluate("document.querySelector('.segment').getBoundingClientRect().top + scrollY")


@pytest.mark.parametrize("interview", INTERVIEWS)
def test_on_a_phone_the_first_passage_starts_on_the_first_screen(sample_collection, live_server, browser, interview):
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(f"{live_server}/interviews/{interview}")
        assert first_passage_top(page) < PHONE["height"] - 60  # with at least a line of it in view
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # what describes the interview is there, folded: one tap opens it
        about = page.locator("details#about")
        assert about.locator("summary").is_visible() and not about.locator("dl").is_visible()
        about.locator("summary").click()
        assert about.locator("dl").is_visible()
        # downloading and citing are in view at once
        assert page.get_by_role("link", name="Download the transcript (text)").is_visible()
        page.get_by_role("link", name="Cite this interview").click()
        assert page.locator("#cite .citation").is_visible()
        assert f"/interviews/{interview} (accessed" in page.locator("#cite .citation").inner_text()
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["ru", "ko"])
def test_in_longer_words_and_for_staff_too_the_first_passage_is_on_the_first_screen(
    app, sample_collection, live_server, browser, lang
):
    page = browser_tab(app, browser, live_server, f"historian-{lang}")
    page.set_viewport_size(PHONE)
    try:
        for interview in INTERVIEWS:
            page.goto(f"{live_server}/interviews/{interview}?lang={lang}")
            assert first_passage_top(page) < PHONE["height"] - 60, interview
    finally:
        page.close()


def test_on_a_wide_screen_the_description_stands_open_beside_the_transcript(sample_collection, live_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{live_server}/interviews/svqc7aeb")
        assert page.evaluate("[...document.querySelectorAll('details.fold')].every((d) => d.open)")
        about = page.locator("details#about dl").bounding_box()
        passage = page.locator(".segment").first.bounding_box()
        assert about["x"] + about["width"] <= passage["x"]  # side by side
        assert abs(about["y"] - passage["y"]) < 100
    finally:
        page.close()


def test_a_link_into_a_fold_opens_it(sample_collection, live_server, browser):
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(f"{live_server}/interviews/svqc7aeb#t2")
        assert page.locator("details#contents").evaluate("(d) => d.open")
        assert page.locator("#t2").is_visible()
    finally:
        page.close()


def test_a_familys_story_is_shown_line_by_line(app, live_server, browser, collection):
    client = app.test_client()
    sent = send(client, story_text="Мы уехали в октябре.\nВагон был холодный.\nМама пела.", visibility="public")
    interview_id, _ = approved(signed_in_client(app, "historian"), collection, sent.id)
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(f"{live_server}/interviews/{interview_id}")
        tops = page.evaluate(
            """() => {
            const text = document.querySelector('.segment .text').firstChild;
            return ['Мы', 'Вагон', 'Мама'].map((word) => {
                const range = document.createRange(), at = text.data.indexOf(word);
                range.setStart(text, at); range.setEnd(text, at + word.length);
                return range.getBoundingClientRect().top;
            });
        }"""
        )
        assert tops[0] < tops[1] < tops[2]  # each sentence on a line of its own, as the family wrote it
    finally:
        page.close()
