"""In a real browser: an interview's parts are served so that Chromium reads their length, seeks inside them (range
requests) and shows the video's pictures; a restricted interview's recording does not load for an anonymous reader."""

import json
from pathlib import Path

import pytest
from media_factory import video, wav

pytestmark = pytest.mark.browser

INTERVIEW = "1s12p03r"  # a public sample interview


@pytest.fixture
def two_parts(app, sample_collection):
    folder = Path(app.config["ARCHIVE_DATA"]) / "made"
    folder.mkdir()
    app.extensions["services"].recordings.add(
        INTERVIEW,
        [(wav(folder / "side-a.wav", 2.0), "side-a.wav"), (video(folder / "film.webm", 1.0), "film.webm")],
        "setup",
    )
    return INTERVIEW


def test_chromium_reads_the_parts_lengths_and_seeks_in_them(two_parts, live_server, browser):
    page = browser.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server}/interviews/{two_parts}")
        players = page.locator("section.listen .player")
        assert players.count() == 2
        assert page.evaluate("[...document.querySelectorAll('.listen .player')].map((p) => p.hidden)") == [False, True]
        page.wait_for_function("() => document.querySelector('audio.player').readyState >= 1")
        assert page.evaluate("document.querySelector('audio.player').duration") == pytest.approx(2.0, abs=0.05)
        # seeking asks for a range of the file; the element lands where it was sent
        page.evaluate(
            """() => new Promise((done) => {
                const audio = document.querySelector('audio.player');
                audio.addEventListener('seeked', done, {once: true});
                audio.currentTime = 1.5;
            })"""
        )
        assert page.evaluate("document.querySelector('audio.player').currentTime") == pytest.approx(1.5, abs=0.05)
        # the second part, a WebM video, is read too: its pictures' size and its length
        page.evaluate("document.querySelector('video.player').load()")
        page.wait_for_function("() => document.querySelector('video.player').readyState >= 1")
        assert page.evaluate(
            "[document.querySelector('video.player').videoWidth, document.querySelector('video.player').videoHeight]"
        ) == [160, 96]
        assert page.evaluate("document.querySelector('video.player').dataset.offset") == "2"
    finally:
        page.close()


def test_a_restricted_interviews_recording_does_not_load_for_an_anonymous_reader(app, two_parts, live_server, browser):
    collection = app.extensions["collection"]
    stored = collection.read("interviews", two_parts, "interview.json")
    record = {**stored.json(), "access": "researchers"}
    collection.write(
        "interviews",
        two_parts,
        {"interview.json": json.dumps(record).encode()},
        "setup",
        {"interview.json": stored.version},
    )
    page = browser.new_page()
    page.set_default_timeout(15_000)
    try:
        answer = page.goto(f"{live_server}/interviews/{two_parts}/recordings/1")
        assert answer.status == 404
        page.set_content(f'<audio src="{live_server}/interviews/{two_parts}/recordings/1" preload="metadata"></audio>')
        page.wait_for_function("() => document.querySelector('audio').error !== null")
        assert page.evaluate("document.querySelector('audio').readyState") == 0
    finally:
        page.close()
