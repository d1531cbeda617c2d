"""In a real browser (Chromium): a historian writes a segment index through its form (adding a point by its button)
and readers see it beside the transcript; an untimed transcript gets its times by the stamp mode while its recording
(a short WAV made here with the standard library) plays, and then follows the recording."""

import json

import pytest
from conftest import PASSWORD, browser_tab
from test_segment_index import tone_wav

pytestmark = pytest.mark.browser

TRANSCRIPT = "ANNA: We left in October.\n\nBORIS: The wagon was cold.\n\nANNA: Mother sang to us.\n"


@pytest.fixture
def untimed(app, tmp_path):
    """A public interview with a six-second recording and three passages without times."""
    wav = tmp_path / "tone.wav"
    wav.write_bytes(tone_wav(6))
    with app.app_context():
        outcome = (
            app.extensions["services"]
            .ingest.ingester("test")
            .ingest(TRANSCRIPT.encode(), "story.txt", {"title": "Untimed story", "access": "public"}, wav, "tone.wav")
        )
    assert outcome.status == "ingested", outcome
    return outcome.interview_id


def segments(app, interview_id):
    return json.loads((app.config["ARCHIVE_DATA"] / "interviews" / interview_id / "segments.json").read_text())


def seek(page, seconds):
    page.evaluate(
        """(t) => new Promise((done) => {
            const p = document.querySelector('audio.player');
            p.addEventListener('seeked', () => done(), { once: true });
            p.currentTime = t;
        })""",
        seconds,
    )


def test_a_historian_stamps_an_untimed_transcript_while_listening(app, browser, live_server, untimed):
    page = browser_tab(app, browser, live_server, "stamper")
    try:
        page.goto(f"{live_server}/interviews/{untimed}")
        page.wait_for_function("() => document.querySelector('audio.player').readyState >= 1")
        assert page.get_by_role("link", name="Stamp times").count() == 0  # with JavaScript, the mode is right here
        mode = page.get_by_role("button", name="Stamp times")
        mode.click()
        assert mode.get_attribute("aria-pressed") == "true"
        assert "Next to mark: passage 1." in page.locator("#stamp-status").inner_text()
        page.evaluate("document.querySelector('audio.player').play()")  # listening
        page.evaluate("document.querySelector('audio.player').pause()")
        for seconds in (0.5, 2.0, 4.5):
            seek(page, seconds)
            page.keyboard.press("m")
        assert "Passage 3 starts at 0:00:04.5." in page.locator("#stamp-status").inner_text()
        assert page.locator("#s2 a.anchor").inner_text() == "0:00:02"  # the passage shows its new time
        # a mistake is undone, and marked again
        page.get_by_role("button", name="Undo the last mark").click()
        assert page.locator("#s3 a.anchor").inner_text() == "¶3"
        seek(page, 5.0)
        page.get_by_role("button", name="Mark the next passage").click()
        page.get_by_role("button", name="Save the times").click()
        page.wait_for_url(f"{live_server}/interviews/{untimed}")
        assert [s["start"] for s in segments(app, untimed)] == [0.5, 2.0, 5.0]
        assert [s["end"] for s in segments(app, untimed)][:2] == [2.0, 5.0]
        # the transcript now carries its times, and the stamp mode is gone
        assert page.locator("#s2 a.anchor").get_attribute("data-start") == "2"
        assert page.get_by_role("button", name="Stamp times").count() == 0
    finally:
        page.close()


def test_on_the_times_page_stamps_fill_the_time_fields(app, browser, live_server, untimed):
    page = browser_tab(app, browser, live_server, "stamper2")
    try:
        page.goto(f"{live_server}/interviews/{untimed}/times")
        page.wait_for_function("() => document.querySelector('audio.player').readyState >= 1")
        page.get_by_role("button", name="Stamp times").click()
        for seconds in (1.0, 3.0):
            seek(page, seconds)
            page.keyboard.press("m")
        assert [page.locator(f"#time-{n}").input_value() for n in (1, 2, 3)] == ["0:00:01", "0:00:03", ""]
        # typing the letter m in a time field types it, and stamps nothing
        page.locator("#time-3").focus()
        page.keyboard.press("m")
        assert page.locator("#time-3").input_value() == "m"
        page.locator("#time-3").fill("0:00:04.5")
        page.get_by_role("button", name="Save the times").click()
        page.wait_for_url(f"{live_server}/interviews/{untimed}")
        assert [s["start"] for s in segments(app, untimed)] == [1.0, 3.0, 4.5]
    finally:
        page.close()


def test_times_that_go_back_are_refused_beside_the_passage(app, browser, live_server, untimed):
    page = browser_tab(app, browser, live_server, "typist")
    try:
        page.goto(f"{live_server}/interviews/{untimed}/times")
        page.locator("#time-1").fill("3")
        page.locator("#time-2").fill("1")
        page.get_by_role("button", name="Save the times").click()
        assert "Times must increase" in page.locator("#time-2-errors").inner_text()
        assert page.locator("#time-1").input_value() == "3"  # nothing typed is lost
        assert [s["start"] for s in segments(app, untimed)] == [None, None, None]
    finally:
        page.close()


def test_a_historian_writes_the_segment_index_and_readers_see_it(app, browser, live_server, untimed):
    page = browser_tab(app, browser, live_server, "indexer")
    try:
        page.goto(f"{live_server}/interviews/{untimed}")
        page.get_by_role("link", name="Edit the segment index").click()
        first = page.locator("#point-1")
        first.get_by_label("Starts at").fill("0:00:01")
        first.get_by_label("Title").fill("Leaving in October")
        first.get_by_label("Synopsis").fill("The family leaves the village.")
        first.get_by_label("Places").fill("Уштобе")
        page.get_by_role("button", name="Add a point").click()
        assert page.locator("#point-1").get_by_label("Title").input_value() == "Leaving in October"  # kept
        second = page.locator("#point-2")
        second.get_by_label("Starts at").fill("4")
        second.get_by_label("Title").fill("A song")
        second.get_by_label("Links").fill("https://example.org/songs Songs of the journey")
        page.get_by_role("button", name="Save the index").click()
        page.wait_for_url(f"{live_server}/interviews/{untimed}#contents")
        stored = json.loads((app.config["ARCHIVE_DATA"] / "interviews" / untimed / "index.json").read_text())
        assert [p["start"] for p in stored] == [1.0, 4.0] and stored[0]["places"] == ["ushtobe"]
        assert stored[1]["links"] == [{"url": "https://example.org/songs", "label": "Songs of the journey"}]
        reader = browser.new_page()
        try:
            reader.goto(f"{live_server}/interviews/{untimed}?lang=ru")
            nav = reader.locator("nav.segment-index")
            assert nav.get_attribute("aria-label") == "Оглавление"
            link = nav.locator("a[data-start='4']")
            assert link.get_attribute("href") == "?t=4#t=4"
            assert "A song" in nav.inner_text()
            assert reader.get_by_role("link", name="Изменить оглавление").count() == 0
        finally:
            reader.close()
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["en", "ru", "ko"])
def test_the_stamp_mode_passes_axe_in_every_language(app, browser, live_server, untimed, lang):
    """The interview page with its stamp mode on, and the times page with its recording, checked by axe-core."""
    from test_accessibility import AXE, sign_in, start_axe, violations

    from archive import accounts

    if not AXE.exists():
        pytest.skip("axe-core is not installed (run `npm ci` in the repository folder)")
    axe_source = AXE.read_text("utf-8")

    with app.app_context():
        accounts.add_user(f"axe-{lang}", "historian", PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        sign_in(page, live_server, f"axe-{lang}")
        report = []
        for path in (f"/interviews/{untimed}", f"/interviews/{untimed}/times"):
            page.goto(f"{live_server}{path}?lang={lang}")
            page.locator("#stamp-mode").click()
            start_axe(page, axe_source)
            report += [f"{path}: {rule}" for rule in violations(page)]
        assert report == [], "\n".join(report)
    finally:
        context.close()
