"""In a real browser: the interview page on a phone puts the testimony first."""

import pytest

pytestmark = pytest.mark.browser

INTERVIEWS = ["svqc7aeb", "1s12p03r", "x3w3seda", "667hyfv6"]


@pytest.mark.parametrize("interview", INTERVIEWS)
def test_first_passage_on_first_phone_screen(app, sample_collection, live_server, browser, interview):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{live_server}/interviews/{interview}")
        top = page.evaluate("document.querySelector('.segment').getBoundingClientRect().top + scrollY")
        print("FIRST PASSAGE", interview, top)
        assert top < 844
    finally:
        page.close()
