"""The interview page's downloads (the transcript as text and as WebVTT) and its citation: what each reader may have,
redactions applied, escaped as WebVTT asks, never cached when the interview is not public, cited in the reader's
language."""

import datetime
import html
import io
import re

import pytest
import webvtt
from conftest import Auth

from archive import annotations, interviews
from archive.formats import vtt

TIMED = "1s12p03r"  # the public sample WebVTT interview
UNTIMED = "x3w3seda"  # a public sample without times
RESTRICTED = "0ayd1wnd"  # for signed-in researchers


def text(response) -> str:
    return response.get_data(as_text=True)


def cues(response) -> list:
    return list(webvtt.from_buffer(io.StringIO(text(response))))


@pytest.fixture
def redacted(app, sample_collection):
    """The timed sample with words of its second passage redacted by a historian; returns those words."""
    segments = interviews.segments(sample_collection, TIMED)
    whole, starts = interviews.transcript_text(segments)
    words = "My father loaded ships in the port."
    start = whole.index(words)
    app.extensions["services"].annotations.create(
        TIMED,
        start,
        start + len(words),
        annotations.bodies(sample_collection, {}, [], "", redact=True),
        "hist",
    )
    return words


def test_the_webvtt_download_gives_every_passage_with_its_time_and_speaker(client, sample_collection):
    response = client.get(f"/interviews/{TIMED}/transcript.vtt")
    assert response.status_code == 200
    assert response.mimetype == "text/vtt"
    assert response.headers["Content-Disposition"] == f'attachment; filename="transcript-{TIMED}.vtt"'
    segments = interviews.segments(sample_collection, TIMED)
    read = cues(response)
    assert [c.identifier for c in read] == [str(s["n"]) for s in segments]
    assert [(c.start_in_seconds, c.voice, c.text) for c in read] == [
        (int(s["start"]), s["speaker"], s["text"]) for s in segments
    ]
    # and the archive's own reader takes it back as the same transcript
    again = vtt.read(response.get_data()).segments
    assert [(s.start, s.end, s.speaker, s.text) for s in again] == [
        (s["start"], s["end"], s["speaker"], s["text"]) for s in segments
    ]


def test_webvtt_escapes_what_a_passage_says(app, client, sample_collection, auth):
    tricky = "Tom & Jerry <b>not bold</b> --> here\n\nand a line after a blank one"
    stored = sample_collection.read("interviews", TIMED, "segments.json")
    app.extensions["services"].transcripts.correct_segment(TIMED, 3, tricky, "hist", stored.version)
    body = text(client.get(f"/interviews/{TIMED}/transcript.vtt"))
    assert "<b>" not in body and "Tom &amp; Jerry &lt;b&gt;not bold&lt;/b&gt; --&gt; here" in body
    third = vtt.read(body.encode()).segments[2]
    assert third.text == "Tom & Jerry <b>not bold</b> --> here\nand a line after a blank one"


def test_a_transcript_without_times_has_no_webvtt_and_no_link_to_it(client, sample_collection):
    assert client.get(f"/interviews/{UNTIMED}/transcript.vtt").status_code == 404
    page = text(client.get(f"/interviews/{UNTIMED}"))
    assert "transcript.vtt" not in page
    assert f'href="/interviews/{UNTIMED}/transcript.txt" download' in page
    timed_page = text(client.get(f"/interviews/{TIMED}"))
    assert f'href="/interviews/{TIMED}/transcript.vtt" download' in timed_page


def test_downloads_withhold_redacted_words_from_all_but_staff(app, client, redacted):
    for url in (f"/interviews/{TIMED}/transcript.vtt", f"/interviews/{TIMED}/transcript.txt"):
        body = text(client.get(url))
        assert redacted not in body and "port" not in body
        assert "[passage withheld]" in body
    staff = app.test_client()
    Auth(app, staff).login("historian")
    assert redacted in text(staff.get(f"/interviews/{TIMED}/transcript.vtt"))
    assert redacted in text(staff.get(f"/interviews/{TIMED}/transcript.txt"))


def test_a_restricted_interview_is_neither_downloaded_nor_cited_by_anonymous_readers(app, client, sample_collection):
    for url in ("", "/transcript.txt", "/transcript.vtt"):
        assert client.get(f"/interviews/{RESTRICTED}{url}").status_code == 404
    researcher = app.test_client()
    Auth(app, researcher).login("researcher")
    page = researcher.get(f"/interviews/{RESTRICTED}")
    download = researcher.get(f"/interviews/{RESTRICTED}/transcript.txt")
    assert page.status_code == download.status_code == 200
    assert "no-store" in page.headers["Cache-Control"] and "no-store" in download.headers["Cache-Control"]
    assert 'id="cite"' in text(page)


def test_public_downloads_may_be_revalidated_by_any_cache(client, sample_collection):
    response = client.get(f"/interviews/{TIMED}/transcript.vtt")
    assert response.headers["Cache-Control"] == "no-cache"


def citation(page: str) -> str:
    found = re.search(r'<section id="cite".*?<p class="citation">(.*?)</p>', page, re.S)
    assert found, "the page has no citation"
    return html.unescape(found.group(1))


def test_the_citation_names_narrator_title_date_archive_address_and_day_read(client, sample_collection):
    page = text(client.get(f"/interviews/{TIMED}"))
    assert '<a href="#cite">Cite this interview</a>' in page
    record = interviews.load(sample_collection, TIMED).record
    today = datetime.date.today()
    cited = citation(page)
    assert cited == (
        f"{record['narrators'][0]['name']}. “{record['title']}”. Interview, October 2018. Oral history archive. "
        f"http://localhost/interviews/{TIMED} (accessed {today:%B} {today.day}, {today.year})."
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [("ru", ["Интервью", "дата обращения"]), ("ko", ["인터뷰", "접속일"])],
)
def test_the_citation_is_written_in_the_readers_language(client, sample_collection, lang, words):
    cited = citation(text(client.get(f"/interviews/{TIMED}?lang={lang}")))
    assert all(word in cited for word in words), cited
    today = datetime.date.today()
    assert str(today.year) in cited and f"http://localhost/interviews/{TIMED}" in cited
    assert "Interview," not in cited and "accessed" not in cited and "2018-10" not in cited  # the date in words
