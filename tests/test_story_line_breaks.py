"""A family's story keeps its single line breaks: on the receipt page, on the moderation page and in the interview
made from it; a transcript's wrapped lines are still joined."""

import re

from test_contribute import approved, browser, send, text

from archive import interviews
from archive.formats import txt

STORY = "Мы уехали в октябре.\r\nВагон был холодный.\r\nМама пела.\r\n\r\nПотом была весна."
LINES = "Мы уехали в октябре.\nВагон был холодный.\nМама пела."


def test_wrapped_lines_of_a_transcript_are_joined_and_a_storys_are_kept():
    data = b"Anna: We left in October.\nThe wagon was cold.\n\nSpring came."
    assert [s.text for s in txt.read(data).segments] == ["We left in October. The wagon was cold.", "Spring came."]
    kept = txt.read(data, line_breaks=True).segments
    assert [(s.speaker, s.text) for s in kept] == [
        ("Anna", "We left in October.\nThe wagon was cold."),
        ("Anna", "Spring came."),
    ]


def story_shown(page: str) -> str:
    found = re.search(r'<p class="story">(.*?)</p>', page, re.S)
    assert found, "the page shows no story"
    return found.group(1)


def test_the_storys_line_breaks_reach_the_receipt_the_moderation_page_and_the_interview(app, client, collection):
    sent = send(client, story_text=STORY)
    assert story_shown(text(client.get(f"/contribute/receipt/{sent.id}"))) == LINES + "\n\nПотом была весна."
    historian = browser(app, "historian")
    assert story_shown(text(historian.get(f"/moderate/{sent.id}"))) == LINES + "\n\nПотом была весна."

    interview_id, _ = approved(historian, collection, sent.id)
    assert [s["text"] for s in interviews.segments(collection, interview_id)] == [LINES, "Потом была весна."]
    page = text(historian.get(f"/interviews/{interview_id}"))
    assert LINES in page  # inside the passage's text, which the stylesheet shows line by line
