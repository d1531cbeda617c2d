"""Reading while listening, on the server's side (issue 15, "player"): the interview page's player markup in
continuous time, search hits that link with their time, the search within one interview, and the words given to
player.js to cite a moment — through the Flask test client over a real collection and a real Whoosh index."""

import html
import io
import math
import re
import wave

import pytest
import test_redaction

from archive.ingest import Ingester
from archive.names import shipped_gazetteer

RATE = 8000
SECRET = test_redaction.SECRET
redacted = test_redaction.redacted  # the fixture: a public interview with a redacted passage

CUES = """WEBVTT

1
00:00:00.000 --> 00:00:03.000
<v Anna Tsoi>We lived by the sea in Posyet.

2
00:00:03.000 --> 00:00:06.500
<v Interviewer>And in the autumn?

3
00:00:06.500 --> 00:00:09.000
<v Anna Tsoi>The trains came and took us to Ushtobe.

4
00:00:09.000 --> 00:00:12.000
<v Anna Tsoi>In Уштобе we dug houses into the ground.
"""


def tones(seconds: float, freqs=(440, 660, 880, 550)) -> bytes:
    """A mono 16-bit WAV of `seconds`, one tone per three seconds (stdlib only)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        frames = bytearray()
        for i in range(int(seconds * RATE)):
            freq = freqs[int(i / RATE / 3) % len(freqs)]
            frames += int(8000 * math.sin(2 * math.pi * freq * i / RATE)).to_bytes(2, "little", signed=True)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def ingest(
    app, collection, title: str, access: str, cues: str = CUES, audio: bytes | None = None, ext: str = "vtt"
) -> str:
    ingester = Ingester(collection, shipped_gazetteer(), "tester", 2**20, app.extensions["indexer"])
    outcome = ingester.ingest(
        cues.encode(),
        f"{title}.{ext}",
        {
            "title": title,
            "narrators": "Anna Tsoi",
            "interviewers": "Pyotr Kim",
            "date": "1998-05",
            "access": access,
        },
        audio,
        f"{title}.wav" if audio else "",
        same_content_ok=True,
    )
    assert outcome.status == "ingested", outcome
    return outcome.interview_id


@pytest.fixture
def listened(app, collection):
    """A public interview with a 12-second WAV and four timed passages, and one for researchers only."""
    public = ingest(app, collection, "By the sea", "public", audio=tones(12))
    research = ingest(app, collection, "Kept for researchers", "researchers", audio=tones(3))
    return {"public": public, "researchers": research}


def test_the_page_gives_the_player_its_parts_and_each_passage_its_times(client, listened):
    page = client.get(f"/interviews/{listened['public']}").get_data(as_text=True)
    assert re.search(r'<section class="listen" aria-label="Recording"', page)
    player = re.search(r"<audio class=\"player\"[^>]*>", page).group(0)
    assert 'data-part="1"' in player and 'data-offset="0"' in player
    assert f'src="/interviews/{listened["public"]}/recordings/1"' in player
    # each timed passage starts where its cue starts and ends where the next one starts; the last one's end is
    # the recording's, unknown for a recording described the old way
    starts = re.findall(r'<p class="segment" id="s(\d+)"[^>]*?data-start="([^"]*)"(?: data-end="([^"]*)")?', page)
    assert starts == [("1", "0", "3"), ("2", "3", "6.5"), ("3", "6.5", "9"), ("4", "9", "12")]  # 12 s of sound
    assert 'src="/static/js/player.js"' in page and "defer" in page


def test_the_keys_are_told_on_the_page(client, listened):
    page = client.get(f"/interviews/{listened['public']}").get_data(as_text=True)
    opening = page.index('<details class="keys" hidden>')  # shown by player.js, where the keys work
    keys = page[opening : page.index("</details>", opening)]
    for key, action in [
        ("K", "play or pause"),
        ("J", "back 5 seconds"),
        ("L", "forward 5 seconds"),
        ("N", "next passage"),
        ("P", "previous passage"),
    ]:
        assert f"<dt><kbd>{key}</kbd></dt><dd>{action}</dd>" in keys
    assert "Alt" not in keys  # Alt+A stays the annotator's


def test_a_search_hit_links_to_its_passage_with_its_time(client, listened):
    page = client.get("/search?q=trains").get_data(as_text=True)
    assert f'href="/interviews/{listened["public"]}?t=6.5#s3"' in page
    # an untimed passage keeps its plain link
    assert "?t=" not in client.get("/search?q=nothing-like-this").get_data(as_text=True)


def test_a_search_hit_on_an_untimed_passage_has_no_time(app, client, collection):
    interview = ingest(app, collection, "Untimed", "public", cues="Anna Tsoi: The rice ball was salty.\n", ext="txt")
    page = client.get("/search?q=salty").get_data(as_text=True)
    assert f'href="/interviews/{interview}#s1"' in page


def test_search_within_lists_every_passage_with_its_time_in_the_transcripts_order(client, listened):
    interview = listened["public"]
    page = client.get(f"/interviews/{interview}?find=Ushtobe").get_data(as_text=True)
    found = page[page.index('<section id="within"') : page.index("</section>", page.index('<section id="within"'))]
    assert "2 passages hold “Ushtobe”" in found
    # folded across scripts as the archive's search folds: the Cyrillic spelling is found by the Latin one
    links = re.findall(r'<a href="([^"]+)" data-start="([^"]+)">([^<]+)</a>', found)
    assert [(html.unescape(href), start, shown) for href, start, shown in links] == [
        (f"/interviews/{interview}?find=Ushtobe&t=6.5#t=6.5", "6.5", "0:00:06"),
        (f"/interviews/{interview}?find=Ushtobe&t=9#t=9", "9", "0:00:09"),
    ]
    assert "<mark>Ushtobe</mark>" in found and "<mark>Уштобе</mark>" in found
    assert '<nav class="ticks"' in page  # where player.js marks them along the recording


def test_search_within_finds_nothing_of_another_interview_and_says_so(app, client, collection, listened):
    ingest(app, collection, "Elsewhere", "public", cues="WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA camel.\n")
    page = client.get(f"/interviews/{listened['public']}?find=camel").get_data(as_text=True)
    assert "0 passages hold “camel”" in page
    assert '<nav class="ticks"' not in page


def test_search_within_escapes_what_was_typed(client, listened):
    page = client.get(f"/interviews/{listened['public']}", query_string={"find": '<b>"x'}).get_data(as_text=True)
    assert "<b>" not in page and "&lt;b&gt;" in page


@pytest.mark.parametrize("role, status", [(None, 404), ("researcher", 200), ("historian", 200)])
def test_search_within_a_restricted_interview_follows_its_access(client, auth, listened, role, status):
    if role:
        auth.login(role)
    response = client.get(f"/interviews/{listened['researchers']}?find=Ushtobe")
    assert response.status_code == status
    if status == 200:
        assert "2 passages hold “Ushtobe”" in response.get_data(as_text=True)


def test_the_anonymous_search_never_links_a_restricted_passage(client, listened):
    page = client.get("/search?q=Ushtobe").get_data(as_text=True)
    assert listened["researchers"] not in page and listened["public"] in page


def test_the_moment_citation_names_narrator_interviewer_date_and_archive_in_the_readers_language(client, listened):
    for lang, words in [
        ("en", ["Anna Tsoi, interviewed by Pyotr Kim, May 1998", "{url}, at {time}."]),
        ("ru", ["Anna Tsoi", "Pyotr Kim", "{url}", "{time}"]),
        ("ko", ["Anna Tsoi", "Pyotr Kim", "{url}", "{time}"]),
    ]:
        page = client.get(f"/interviews/{listened['public']}?lang={lang}").get_data(as_text=True)
        cited = html.unescape(re.search(r'data-citation="([^"]*)"', page).group(1))
        for word in words:
            assert word in cited, (lang, cited)
        if lang != "en":
            assert "interviewed by" not in cited
        base = re.search(r'data-url="([^"]*)"', page).group(1)
        assert base == f"http://localhost/interviews/{listened['public']}"


def test_an_interview_without_a_recording_has_no_player_but_can_be_searched(app, client, collection):
    interview = ingest(app, collection, "Words only", "public")
    page = client.get(f"/interviews/{interview}?find=sea").get_data(as_text=True)
    assert 'class="listen"' not in page and "player.js" in page
    assert "1 passage holds “sea”" in page


def test_passages_end_where_the_next_timed_one_starts_and_the_last_where_the_recording_ends():
    from archive.recordings import parts
    from archive.views.interviews import segment_ends

    record = {
        "recordings": [
            {"part": 2, "file": "b.wav", "kind": "audio", "duration": 30.0, "offset": 60.0},
            {"part": 1, "file": "a.wav", "kind": "audio", "duration": 60.0, "offset": 0.0},
        ]
    }
    assert [p["part"] for p in parts(record)] == [1, 2]
    segments = [{"start": 0.0}, {"start": None}, {"start": 58.5}, {"start": 61.0}]
    assert segment_ends(segments, parts(record)) == [58.5, None, 61.0, 90.0]
    # described the old way: one part of unknown length, so the last passage's end is not known
    legacy = parts({"audio": {"file": "a.mp3", "original": "original/audio.mp3", "type": "audio/mpeg"}})
    assert [{k: p[k] for k in ("part", "original", "type", "kind", "duration", "offset")} for p in legacy] == [
        {
            "part": 1,
            "original": "original/audio.mp3",
            "type": "audio/mpeg",
            "kind": "audio",
            "duration": None,
            "offset": 0,
        }
    ]
    assert segment_ends(segments, legacy) == [58.5, None, 61.0, None]
    assert parts({}) == []


def test_search_within_never_finds_nor_quotes_a_redacted_passage(client, redacted):
    for words in (SECRET, "Ushtobe OR kowa*", "informed"):
        page = client.get(f"/interviews/{redacted}", query_string={"find": words}).get_data(as_text=True)
        found = page[page.index('<section id="within"') : page.index("</section>", page.index('<section id="within"'))]
        assert SECRET not in found.replace(html.escape(words), "") and "informed" not in found.split("</h2>")[1]
        assert "<li>" not in found or words.startswith("Ushtobe")
    page = client.get(f"/interviews/{redacted}", query_string={"find": "Ushtobe OR kowa*"}).get_data(as_text=True)
    assert "1 passage holds" in page and SECRET not in page
