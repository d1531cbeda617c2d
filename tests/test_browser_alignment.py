"""In a real browser (Chromium): the aligner's proposal on its page (issue 20). A historian plays one proposed passage
(it stops at its end), moves another's start to where the recording is, stamps a third whose time they emptied, and
accepts: the transcript then has those times; a passage on a second tape plays from that tape. Those proposals are
of our own making, kept as the aligner keeps its own, so they run without the optional aligner; the last test, which
needs it, presses the interview page's button and waits for the running server's worker to make the proposal."""

import pytest
from conftest import browser_tab
from test_alignment import RUSSIAN, ingest, needs_aligner, speech
from test_browser_segment_index import TRANSCRIPT, segments
from test_browser_segment_index import untimed as untimed_story  # noqa: F401 - a fixture, asked for by this name
from test_segment_index import tone_wav

from archive import alignment, interviews, recordings

pytestmark = pytest.mark.browser


@pytest.fixture
def proposed(app, untimed_story):  # noqa: F811 - the imported fixture, by its name
    """The untimed interview of test_browser_segment_index (six seconds of recording, three passages) with a proposal
    for its passages (the second unsure)."""
    collection = app.extensions["collection"]
    timings = [alignment.Timing(1, 0.5, 1.8, False, 0.4), alignment.Timing(2, 2.0, 3.0, True, 0.7)]
    timings.append(alignment.Timing(3, 4.0, 5.5, False, 0.4))
    version = collection.read("interviews", untimed_story, "segments.json").version
    parts = recordings.parts(interviews.load(collection, untimed_story).record)
    alignment.keep(collection, untimed_story, alignment.Proposal(timings, 6.0, 0.6, 0.04), version, "historian", parts)
    return untimed_story


def test_a_historian_hears_adjusts_stamps_and_accepts_the_proposed_times(app, browser, live_server, proposed):
    page = browser_tab(app, browser, live_server, "checker")
    try:
        page.goto(f"{live_server}/interviews/{proposed}")
        page.get_by_role("link", name="Times proposed by the aligner").click()
        page.wait_for_function("() => document.querySelector('audio.player').readyState >= 1")
        assert page.locator('.time-row.unsure[data-n="2"]').count() == 1
        # passage 1 plays from its start and stops at its proposed end
        page.get_by_role("button", name="Play passage 1").click()
        page.wait_for_function("() => document.querySelector('audio.player').currentTime > 0.6")
        page.wait_for_function("() => document.querySelector('audio.player').paused", timeout=15_000)
        stopped = page.evaluate("document.querySelector('audio.player').currentTime")
        assert 1.75 <= stopped <= 2.3, stopped
        assert page.locator("#align-said").inner_text() == "Playing passage 1."
        # passage 3 starts later than proposed: the historian moves it to where the recording is
        page.evaluate(
            """() => new Promise((done) => {
                const p = document.querySelector('audio.player');
                p.addEventListener('seeked', () => done(), { once: true });
                p.currentTime = 4.3;
            })"""
        )
        page.get_by_role("button", name="Start it here").nth(2).click()
        assert page.locator("#time-3").input_value() == "0:00:04.3"
        # the unsure passage 2 is emptied, then stamped while listening
        page.locator("#time-2").fill("")
        page.get_by_role("button", name="Stamp times").click()
        page.evaluate(
            """() => new Promise((done) => {
                const p = document.querySelector('audio.player');
                p.addEventListener('seeked', () => done(), { once: true });
                p.currentTime = 2.5;
            })"""
        )
        page.keyboard.press("m")
        assert page.locator("#time-2").input_value() == "0:00:02.5"
        page.get_by_role("button", name="Accept these times").click()
        page.wait_for_url(f"{live_server}/interviews/{proposed}")
        saved = segments(app, proposed)
        assert [s["start"] for s in saved] == [0.5, 2.5, 4.3]
        # each proposed end still lies after its passage's (adjusted) start and before the next one's: all are kept
        assert [s["end"] for s in saved] == [1.8, 3.0, 5.5]
        assert page.locator("#s3 a.anchor").get_attribute("data-start") == "4.3"
        assert alignment.kept(app.extensions["collection"], proposed) is None
    finally:
        page.close()


def test_passages_on_two_tapes_play_from_the_right_tape(app, browser, live_server, tmp_path):
    """Two tapes of four seconds each: the third passage is proposed in the second, in continuous time; a passage
    moved over the end of the first tape plays on into the second from its start."""
    first = tmp_path / "tape-1.wav"
    first.write_bytes(tone_wav(4))
    with app.app_context():
        outcome = (
            app.extensions["services"]
            .ingest.ingester("test")
            .ingest(
                TRANSCRIPT.encode(),
                "story.txt",
                {"title": "On two tapes", "access": "public"},
                first,
                "tape-1.wav",
                parts=[(tone_wav(4), "tape-2.wav")],
            )
        )
    assert outcome.status == "ingested", outcome
    interview_id, collection = outcome.interview_id, app.extensions["collection"]
    record = interviews.load(collection, interview_id).record
    assert [p["offset"] for p in recordings.parts(record)] == [0.0, 4.0]
    timings = [alignment.Timing(1, 0.5, 1.8, False, 0.4), alignment.Timing(2, 2.0, 3.6, False, 0.4)]
    timings.append(alignment.Timing(3, 5.0, 6.5, False, 0.4))
    version = collection.read("interviews", interview_id, "segments.json").version
    proposal = alignment.Proposal(timings, 8.0, 0.6, 0.04)
    alignment.keep(collection, interview_id, proposal, version, "historian", recordings.parts(record))
    page = browser_tab(app, browser, live_server, "tapes")
    try:
        page.goto(f"{live_server}/interviews/{interview_id}/alignment")
        page.wait_for_function("() => document.querySelectorAll('audio.player')[1].readyState >= 1")
        assert page.locator("audio.player").nth(1).is_hidden()
        page.get_by_role("button", name="Play passage 3").click()
        second = "document.querySelectorAll('audio.player')[1]"
        page.wait_for_function(f"() => {second}.currentTime > 1.2")
        page.wait_for_function(f"() => {second}.paused", timeout=15_000)
        assert page.locator("audio.player").nth(0).is_hidden() and page.locator("audio.player").nth(1).is_visible()
        stopped = page.evaluate(f"{second}.currentTime")
        assert 2.45 <= stopped <= 3.0, stopped  # 6.5 s in continuous time is 2.5 s into the second tape
        # passage 2 moved to 3.5 s (typed with a decimal comma) now runs over the end of the first tape, to passage
        # 3's start: the second tape, left at 2.5 s, plays on from its own start and stops 1 s into it
        page.locator("#time-2").fill("0:00:03,5")
        page.get_by_role("button", name="Play passage 2").click()
        page.wait_for_function(f"() => !{second}.hidden && !{second}.paused", timeout=15_000)
        page.wait_for_function(f"() => {second}.paused", timeout=15_000)
        stopped = page.evaluate(f"{second}.currentTime")
        assert 0.95 <= stopped <= 1.5, stopped
        # a listener who pauses and plays on with the player's own controls is no longer stopped at the passage's end
        page.get_by_role("button", name="Play passage 1").click()
        first_tape = "document.querySelectorAll('audio.player')[0]"
        page.wait_for_function(f"() => {first_tape}.currentTime > 0.7")
        page.evaluate(f"{first_tape}.pause()")
        page.evaluate(f"{first_tape}.play()")
        page.wait_for_function(f"() => {first_tape}.currentTime > 2.3", timeout=15_000)
        assert not page.evaluate(f"{first_tape}.paused")
        page.evaluate(f"{first_tape}.pause()")
    finally:
        page.close()


@needs_aligner
def test_the_button_asks_the_running_servers_worker_and_the_page_shows_its_proposal(
    app, browser, live_server, tmp_path
):
    """Through `archive serve` and its job worker: the historian presses the button on the interview page, the page
    of the proposal follows the job by itself, and shows the proposal once the job is done."""
    sound = tmp_path / "ru.wav"
    said = speech("ru+f3", RUSSIAN, sound, [0.4, 2.5, 0.8, 1.6, 3.0], seed=20)
    interview_id = ingest(app, "Deportation", RUSSIAN, "ru", sound)
    page = browser_tab(app, browser, live_server, "asker")
    try:
        page.goto(f"{live_server}/interviews/{interview_id}")
        page.get_by_role("button", name="Propose times with the aligner").click()
        page.wait_for_url(f"{live_server}/interviews/{interview_id}/alignment")
        page.get_by_role("button", name="Accept these times").wait_for(timeout=60_000)  # refreshed until done
        starts = [float(page.locator(f'.time-row[data-n="{n}"]').get_attribute("data-start")) for n in range(1, 7)]
        assert all(abs(a - b) <= 0.5 for a, (b, _) in zip(starts, said, strict=True)), (starts, said)
        assert page.locator(".time-row.unsure").count() == 0
        job = app.extensions["jobs"].latest("align", {"interview": interview_id})
        assert (job.state, job.by) == ("done", "asker")
    finally:
        page.close()
