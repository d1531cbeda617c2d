"""The aligner's proposal through the pages (issue 20): a historian asks for times with the interview page's button,
the work is a job of the job runner (progress, cancel), the proposal waits on the alignment page with its unsure
passages marked, and is accepted (as adjusted) as a new version of the transcript, or discarded. Speech is made with
espeak-ng as in test_alignment.py; the tests that need the aligner itself skip where the extra is missing (CI has
it), the others keep a proposal of their own making on disk."""

import json
import sys

import factories
import pytest
from conftest import Auth, csrf_token
from test_alignment import ALIGNER, RUSSIAN, UNRELATED, ingest, needs_aligner, speech

from archive import alignment, annotations, create_app, interviews, recordings


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An app with a spoken Russian interview, the same recording filed with other words, and an interview without a
    recording; a historian's client signed in."""
    root, sounds = tmp_path_factory.mktemp("aligned-pages"), tmp_path_factory.mktemp("sounds")
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    if ALIGNER:
        said = speech("ru+f3", RUSSIAN, sounds / "ru.wav", [0.4, 2.5, 0.8, 1.6, 3.0], seed=20)
    else:
        (sounds / "ru.wav").write_bytes(factories.wav(16000 * 30))
        said = []
    ids = {
        "ru": ingest(app, "Deportation", RUSSIAN, "ru", sounds / "ru.wav"),
        "mismatched": ingest(app, "Another interview's words", UNRELATED, "ru", sounds / "ru.wav"),
        "silent": ingest(app, "Words only", RUSSIAN[:2], "ru", None),
        "kept": ingest(app, "Checked by hand", RUSSIAN[:3], "ru", sounds / "ru.wav"),
        "german": ingest(app, "Auf Deutsch", ["Wir fuhren einen Monat lang."], "de", sounds / "ru.wav"),
    }
    client = app.test_client()
    Auth(app, client).login("historian")
    return app, client, ids, said


def segments(app, interview_id) -> list[dict]:
    return json.loads(app.extensions["collection"].read("interviews", interview_id, "segments.json").data)


def post(client, page: str, action: str, data: dict | None = None, **kwargs):
    return client.post(action, data={"csrf_token": csrf_token(client.get(page)), **(data or {})}, **kwargs)


def keep(app, interview_id, *timings, version=None):
    """A proposal of our own (times we chose), kept as the aligner keeps its own."""
    collection = app.extensions["collection"]
    made = alignment.Proposal([alignment.Timing(n, a, b, u, 0.4) for n, a, b, u in timings], 30.0, 0.6, 0.04)
    version = version or collection.read("interviews", interview_id, "segments.json").version
    parts = recordings.parts(interviews.load(collection, interview_id).record)
    return alignment.keep(collection, interview_id, made, version, "historian", parts)


def made_at(app, interview_id) -> str:
    """What the page's form names its proposal by (when it was made)."""
    return str(alignment.kept(app.extensions["collection"], interview_id).made)


@needs_aligner
def test_a_historian_asks_for_times_checks_adjusts_one_and_accepts_them(site):
    app, client, ids, said = site
    interview_id = ids["ru"]
    page = f"/interviews/{interview_id}"
    collection = app.extensions["collection"]
    with app.app_context():  # an annotation made while the transcript had no times: no media fragment yet
        text, starts = interviews.transcript_text(segments(app, interview_id))
        made = app.extensions["services"].annotations.create(
            interview_id, starts[1], starts[1] + 10, annotations.bodies(collection, {}, ["journey"], ""), "historian"
        )
    assert not [s for s in made["target"]["selector"] if s["type"] == "FragmentSelector"]

    shown = client.get(page).get_data(as_text=True)
    assert "Propose times with the aligner" in shown
    asked = post(client, page, f"/interviews/{interview_id}/alignment/start")
    assert asked.status_code == 302 and asked.headers["Location"].endswith(f"/interviews/{interview_id}/alignment")
    working = client.get(f"/interviews/{interview_id}/alignment").get_data(as_text=True)
    assert "The aligner is at work" in working and 'http-equiv="refresh"' in working
    assert "Stop the aligner" in working
    assert "Times proposed by the aligner" in client.get(page).get_data(as_text=True)  # the page links to the work

    ran = app.extensions["jobs"].run_pending()
    assert [(job.kind, job.state) for job in ran] == [("align", "done")]
    assert ran[0].done == 100 and "Times are proposed for 6 passages, 0 of them unsure" in ran[0].message
    assert segments(app, interview_id)[0]["start"] is None  # a proposal, not the record

    proposal = alignment.kept(collection, interview_id).proposal
    body = client.get(f"/interviews/{interview_id}/alignment").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in body and "6 passages placed" in body and "Accept these times" in body
    for timing in proposal.timings:
        assert f'data-start="{timing.start:g}"' in body
    # the historian listens, and moves the third passage's start 0.3 s later
    fields = {f"time-{t.n}": f"{t.start:.2f}" for t in proposal.timings}
    moved = round(proposal.timings[2].start + 0.3, 2)
    fields["time-3"] = f"{moved:.2f}"
    version = collection.read("interviews", interview_id, "segments.json").version
    accepted = post(
        client,
        f"/interviews/{interview_id}/alignment",
        f"/interviews/{interview_id}/alignment",
        {**fields, "version": version, "proposal": made_at(app, interview_id)},
    )
    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    saved = segments(app, interview_id)
    assert [s["start"] for s in saved] == [t.start if t.n != 3 else moved for t in proposal.timings]
    assert [s["end"] for s in saved] == [t.end for t in proposal.timings]  # each proposed end still fits
    for timing, (start, _end) in zip(saved, said, strict=True):
        assert abs(timing["start"] - start) <= 0.5 + (0.3 if timing["n"] == 3 else 0)
    assert collection.last_change("interviews", interview_id, "segments.json")["author"] == "historian"
    assert alignment.kept(collection, interview_id) is None  # accepted: nothing waits any more
    # the annotation's media fragment follows the accepted times; search within names the passage's time
    again = next(a for a in annotations.items(collection, interview_id) if a["id"] == made["id"])
    fragment = annotations.selector(again, "FragmentSelector")["value"]
    assert fragment == f"t={saved[1]['start']:g},{saved[1]['end']:g}"
    app.extensions["indexer"].flush()
    found = client.get(f"{page}?find=месяц").get_data(as_text=True)
    assert f'data-start="{saved[1]["start"]:g}"' in found.split('id="within"')[1]
    # a timed transcript is offered no aligner
    assert "Propose times with the aligner" not in client.get(page).get_data(as_text=True)


@needs_aligner
def test_words_that_do_not_match_are_refused_on_the_page_in_its_language_and_nothing_changes(site):
    app, client, ids, _ = site
    interview_id = ids["mismatched"]
    before = app.extensions["collection"].read("interviews", interview_id, "segments.json").data
    post(client, f"/interviews/{interview_id}", f"/interviews/{interview_id}/alignment/start")
    ran = app.extensions["jobs"].run_pending()
    assert [(job.kind, job.state) for job in ran] == [("align", "failed")]
    english = client.get(f"/interviews/{interview_id}/alignment").get_data(as_text=True)
    assert "The aligner could not propose times:" in english and "do not match the recording" in english
    russian = client.get(f"/interviews/{interview_id}/alignment?lang=ru").get_data(as_text=True)
    assert "не совпадают с записью" in russian and "do not match" not in russian
    assert app.extensions["collection"].read("interviews", interview_id, "segments.json").data == before
    assert alignment.kept(app.extensions["collection"], interview_id) is None
    client.get("/?lang=en")


def test_a_language_the_aligner_does_not_speak_is_named_in_the_readers_language(site):
    app, client, ids, _ = site
    interview_id = ids["german"]
    if not alignment.available():
        pytest.skip("the aligner is not installed: the page offers no alignment to refuse")
    post(client, f"/interviews/{interview_id}", f"/interviews/{interview_id}/alignment/start")
    [job] = app.extensions["jobs"].run_pending()
    assert job.state == "failed" and job.message.startswith("The aligner does not speak German;")
    korean = client.get(f"/interviews/{interview_id}/alignment?lang=ko").get_data(as_text=True)
    assert "독일어" in korean and "German" not in korean
    russian = client.get(f"/interviews/{interview_id}/alignment?lang=ru").get_data(as_text=True)
    assert "немецкий" in russian and "German" not in russian
    client.get("/?lang=en")
    assert segments(app, interview_id)[0]["start"] is None


def test_a_queued_alignment_is_stopped_from_its_page(site):
    app, client, ids, _ = site
    interview_id = ids["kept"]
    page = f"/interviews/{interview_id}/alignment"
    if not alignment.available():
        pytest.skip("the aligner is not installed: the page offers no alignment to stop")
    post(client, page, f"{page}/start")
    job = app.extensions["jobs"].latest("align", {"interview": interview_id})
    assert job.state == "queued"
    stopped = post(client, page, f"{page}/cancel", {"job": job.id}, follow_redirects=True).get_data(as_text=True)
    assert "stopped before it finished; nothing was changed" in stopped
    assert app.extensions["jobs"].get(job.id).state == "cancelled"
    assert app.extensions["jobs"].run_pending() == []


def test_a_kept_proposal_shows_its_unsure_passages_and_can_be_discarded(site):
    app, client, ids, _ = site
    interview_id = ids["kept"]
    keep(app, interview_id, (1, 1.3, 4.0, False), (2, 4.5, 7.0, True), (3, 9.0, 12.5, True))
    before = app.extensions["collection"].read("interviews", interview_id, "segments.json").data
    page = client.get(f"/interviews/{interview_id}/alignment").get_data(as_text=True)
    assert "2 of them unsure" in page
    assert page.count("The aligner is unsure of this passage") == 2
    assert 'class="field time-row unsure" data-n="2"' in page and 'class="field time-row" data-n="1"' in page
    assert 'value="0:00:04.5"' in page and "ends at 0:00:12" in page
    shown = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert "A proposal waits to be checked." in shown
    discarded = post(client, f"/interviews/{interview_id}/alignment", f"/interviews/{interview_id}/alignment/discard")
    assert discarded.status_code == 302
    assert alignment.kept(app.extensions["collection"], interview_id) is None
    assert app.extensions["collection"].read("interviews", interview_id, "segments.json").data == before


def test_a_proposal_made_for_an_older_transcript_is_not_accepted(site):
    app, client, ids, _ = site
    interview_id = ids["kept"]
    collection = app.extensions["collection"]
    old = collection.read("interviews", interview_id, "segments.json").version
    keep(app, interview_id, (1, 1.3, 4.0, False), (2, 4.5, 7.0, False), (3, 9.0, 12.5, False))
    with app.app_context():  # meanwhile someone stamps the first passage by hand
        app.extensions["services"].transcripts.set_times(interview_id, {1: 1.0}, "someone", old)
    now = collection.read("interviews", interview_id, "segments.json").data
    page = client.get(f"/interviews/{interview_id}/alignment").get_data(as_text=True)
    assert (
        "The transcript or its recording has changed since these times were proposed" in page
        and "Accept these times" not in page
    )
    fields = {"time-1": "1.3", "time-2": "4.5", "time-3": "9", "version": old, "proposal": made_at(app, interview_id)}
    refused = post(client, f"/interviews/{interview_id}/alignment", f"/interviews/{interview_id}/alignment", fields)
    assert refused.status_code == 409 and "has changed since" in refused.get_data(as_text=True)
    assert collection.read("interviews", interview_id, "segments.json").data == now
    post(client, f"/interviews/{interview_id}/alignment", f"/interviews/{interview_id}/alignment/discard")


def test_a_proposal_made_for_a_recording_since_replaced_is_not_accepted(site):
    app, client, ids, _ = site
    interview_id = ids["german"]
    collection = app.extensions["collection"]
    keep(app, interview_id, (1, 1.3, 4.0, False))
    page = f"/interviews/{interview_id}/alignment"
    assert "Accept these times" in client.get(page).get_data(as_text=True)
    version = collection.read("interviews", interview_id, "interview.json").version
    with app.app_context():  # another tape, filed for the first by mistake, is put right
        app.extensions["services"].interviews.replace_recording(
            interview_id, 1, factories.wav(16000 * 4), "other.wav", "someone", version
        )
    shown = client.get(page).get_data(as_text=True)
    assert "The transcript or its recording has changed since" in shown and "Accept these times" not in shown
    segments_version = collection.read("interviews", interview_id, "segments.json").version
    refused = post(
        client, page, page, {"time-1": "1.3", "version": segments_version, "proposal": made_at(app, interview_id)}
    )
    assert refused.status_code == 409 and "has changed since" in refused.get_data(as_text=True)
    assert segments(app, interview_id)[0]["start"] is None
    post(client, page, f"{page}/discard")


def test_a_proposal_replaced_while_it_was_checked_is_not_mixed_with_the_new_one(site):
    app, client, ids, _ = site
    interview_id = ids["silent"]
    page = f"/interviews/{interview_id}/alignment"
    version = app.extensions["collection"].read("interviews", interview_id, "segments.json").version
    keep(app, interview_id, (1, 1.0, 4.0, False), (2, 6.0, 9.0, False))
    opened = made_at(app, interview_id)
    assert f'<input type="hidden" name="proposal" value="{opened}">' in client.get(page).get_data(as_text=True)
    keep(app, interview_id, (1, 1.5, 2.5, False), (2, 6.5, 29.0, False))  # another historian asked again meanwhile
    answer = post(client, page, page, {"time-1": "1", "time-2": "6", "version": version, "proposal": opened})
    assert answer.status_code == 302
    assert "A newer proposal replaced the one you were checking" in client.get(page).get_data(as_text=True)
    assert [s["start"] for s in segments(app, interview_id)] == [None, None]
    # asked again while a proposal is open: the page does not reload itself over what the historian types
    job = app.extensions["jobs"].submit("align", {"interview": interview_id}, "historian")
    shown = client.get(page).get_data(as_text=True)
    assert "The aligner is at work" in shown and "Accept these times" in shown
    assert 'http-equiv="refresh"' not in shown and "See how far the aligner has come" in shown
    app.extensions["jobs"].cancel(job.id)
    post(client, page, f"{page}/discard")


def test_a_time_is_shown_as_it_is_saved_again():
    from archive.views.segment_index import time_text

    assert [time_text(t) for t in (12.9996, 12.5, 3723.25, 59.9999)] == [
        "0:00:13",
        "0:00:12.5",
        "1:02:03.25",
        "0:01:00",
    ]


def test_a_stop_for_a_job_that_has_ended_says_so(site):
    app, client, ids, _ = site
    page = f"/interviews/{ids['silent']}/alignment"
    answer = post(client, page, f"{page}/cancel", {"job": 99999}, follow_redirects=True)
    assert answer.status_code == 200 and "This job has already ended; nothing was cancelled." in answer.get_data(
        as_text=True
    )


def test_a_deleted_interview_is_not_aligned_by_a_job_asked_for_before(site):
    app, client, ids, _ = site
    interview_id = ids["kept"]
    if not alignment.available():
        pytest.skip("the aligner is not installed: no job can be asked for")
    page = f"/interviews/{interview_id}/alignment"
    post(client, page, f"{page}/start")
    with app.app_context():
        version = app.extensions["collection"].read("interviews", interview_id, "interview.json").version
        app.extensions["services"].tombstones.delete("interviews", interview_id, "a duplicate", "historian", version)
    [job] = [j for j in app.extensions["jobs"].run_pending() if j.kind == "align"]
    assert job.state == "failed" and job.message == "This interview was deleted; there is nothing to align."
    assert alignment.kept(app.extensions["collection"], interview_id) is None
    assert client.get(page).status_code == 410
    with app.app_context():
        version = app.extensions["collection"].read("interviews", interview_id, "interview.json").version
        app.extensions["services"].tombstones.undelete("interviews", interview_id, "historian", version)


def test_times_that_go_back_are_refused_beside_their_passage_and_kept(site):
    app, client, ids, _ = site
    interview_id = ids["silent"]
    keep(app, interview_id, (1, 1.3, 4.0, False), (2, 4.5, 7.0, False))
    version = app.extensions["collection"].read("interviews", interview_id, "segments.json").version
    page = f"/interviews/{interview_id}/alignment"
    refused = post(
        client, page, page, {"time-1": "5", "time-2": "4.5", "version": version, "proposal": made_at(app, interview_id)}
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Times must increase" in body and 'value="5"' in body
    assert segments(app, interview_id)[0]["start"] is None
    assert alignment.kept(app.extensions["collection"], interview_id) is not None  # still waiting


def test_only_historians_reach_the_alignment_page_and_without_the_extra_it_says_so(site, monkeypatch):
    app, _, ids, _ = site
    anonymous = app.test_client()
    assert anonymous.get(f"/interviews/{ids['ru']}/alignment").status_code in (302, 403)
    assert "Propose times" not in anonymous.get(f"/interviews/{ids['kept']}").get_data(as_text=True)
    researcher = app.test_client()
    Auth(app, researcher).login("researcher")
    page = f"/interviews/{ids['kept']}/alignment"
    assert researcher.get(page).status_code == 403
    for action in ("", "/start", "/discard", "/cancel"):
        token = csrf_token(researcher.get(f"/interviews/{ids['kept']}"))
        assert researcher.post(f"{page}{action}", data={"csrf_token": token, "job": 1}).status_code == 403
    assert "Propose times" not in researcher.get(f"/interviews/{ids['kept']}").get_data(as_text=True)
    client = app.test_client()
    Auth(app, client).login("admin")
    for name in ("aeneas.cdtw.cdtw", "aeneas.cew.cew", "aeneas.cmfcc.cmfcc"):
        monkeypatch.setitem(sys.modules, name, None)  # as where the extra is not installed
    shown = client.get(f"/interviews/{ids['kept']}").get_data(as_text=True)
    assert "Stamp times" in shown and "Propose times with the aligner" not in shown
    page = client.get(f"/interviews/{ids['kept']}/alignment").get_data(as_text=True)
    assert "The aligner is not installed on this server" in page
    before = app.extensions["jobs"].latest("align", {"interview": ids["silent"]})
    refused = post(client, f"/interviews/{ids['silent']}/alignment", f"/interviews/{ids['silent']}/alignment/start")
    assert refused.status_code == 302  # and no job is queued
    assert app.extensions["jobs"].latest("align", {"interview": ids["silent"]}) == before
