"""In a real browser: a historian selects words of a transcript with the mouse, annotates them with an event, sees
the highlight after reloading, then edits and deletes the annotation."""

import pytest
from conftest import browser_tab
from playwright.sync_api import expect

from archive import annotations

pytestmark = pytest.mark.browser

INTERVIEW = "1s12p03r"  # the sample WebVTT interview
WORDS = "Freight cars, the kind for cattle."


@pytest.fixture
def page(app, sample_collection, live_server, browser):
    """A historian's browser tab, signed in through the form, on the sample interview."""
    tab = browser_tab(app, browser, live_server, "anna")
    tab.goto(f"{live_server}/interviews/{INTERVIEW}")
    yield tab
    tab.close()


def drag_select(page, words):
    """Press the mouse before the first letter of `words` and release it after the last, as a reader would."""
    box = page.evaluate(
        """(words) => {
        const span = Array.from(document.querySelectorAll('.segment .text')).find(s => s.textContent.includes(words));
        const node = span.firstChild, at = node.data.indexOf(words);
        const rect = (from, to) => { const r = document.createRange(); r.setStart(node, from); r.setEnd(node, to);
                                     return r.getBoundingClientRect(); };
        span.scrollIntoView({block: 'center'});
        const first = rect(at, at + 1), last = rect(at + words.length - 1, at + words.length);
        return {x1: first.left + 1, y1: first.top + first.height / 2,
                x2: last.right - 1, y2: last.top + last.height / 2};
    }""",
        words,
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=5)
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()
    return page.evaluate("getSelection().toString()")


def test_select_annotate_reload_edit_and_delete(page, sample_collection, live_server, tmp_path):
    assert page.locator("mark[data-annotations]").count() == 0

    selected = drag_select(page, WORDS)
    assert selected.strip() == WORDS
    page.get_by_role("button", name="Annotate selection").click()
    panel = page.get_by_role("dialog", name="Annotate selection")
    assert panel.is_visible()
    assert panel.locator("#annotator-quote").inner_text().strip() == WORDS
    panel.get_by_placeholder("Filter events").fill("train")
    panel.get_by_label("Deportation trains to Central Asia", exact=False).check()
    panel.get_by_label("Note").fill("Cattle wagons, as in other testimonies.")
    panel.get_by_role("button", name="Save annotation").click()
    page.wait_for_url(f"{live_server}/interviews/{INTERVIEW}#a-*")
    assert "Annotation saved." in page.locator(".flashes").inner_text()

    page.reload()
    marks = page.locator("mark[data-annotations]")
    assert marks.count() == 1 and marks.inner_text().strip() == WORDS
    entry = page.locator(".annotation-list li").first
    assert "Deportation trains to Central Asia" in entry.inner_text()
    assert "Cattle wagons" in entry.inner_text()
    page.screenshot(path=str(tmp_path / "annotated.png"), full_page=True)
    stored = annotations.items(sample_collection, INTERVIEW)
    assert len(stored) == 1 and annotations.creator(stored[0]) == "anna"
    assert annotations.links(stored[0])["events"] == ["deportation-trains-1937"]

    entry.get_by_role("link", name="edit").click()
    page.get_by_label("Tags").fill("wagons, cattle cars")
    page.get_by_role("button", name="Save annotation").click()
    assert "Annotation changed." in page.locator(".flashes").inner_text()
    assert "#wagons" in page.locator(".annotation-list li").first.inner_text()
    assert page.locator("mark[data-annotations]").count() == 1

    page.locator(".annotation-list li").first.get_by_role("link", name="edit").click()
    page.get_by_role("button", name="Delete this annotation").click()
    assert "Annotation deleted" in page.locator(".flashes").inner_text()
    page.reload()
    assert page.locator("mark[data-annotations]").count() == 0
    assert annotations.items(sample_collection, INTERVIEW) == []


def test_the_keyboard_opens_the_annotator_and_escape_closes_it(page):
    drag_select(page, "How long were you on the way?")
    page.keyboard.press("Alt+a")
    panel = page.get_by_role("dialog", name="Annotate selection")
    assert panel.is_visible()
    assert page.evaluate("document.getElementById('annotator').contains(document.activeElement)")
    page.keyboard.press("Escape")
    assert not panel.is_visible()


def words_boxes(page, words):
    """Where `words` of the transcript are in the window now: one box per line they take."""
    return page.evaluate(
        """(words) => {
        const span = Array.from(document.querySelectorAll('.segment .text')).find(s => s.textContent.includes(words));
        const node = span.firstChild, at = node.data.indexOf(words), range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + words.length);
        return Array.from(range.getClientRects()).map(r => ({x: r.left, y: r.top, width: r.width, height: r.height}));
    }""",
        words,
    )


def overlaps(a, b) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and (b["y"] < a["y"] + a["height"])
    )


LONGER = "Freight cars, the kind for cattle. Forty people in one car, with everything we could carry."


@pytest.mark.parametrize(("width", "where"), [(1280, "middle"), (390, "middle"), (390, "end"), (1280, "end")])
def test_the_button_stands_by_the_selected_words_and_the_panel_opens_beside_them(page, width, where):
    page.set_viewport_size({"width": width, "height": 844})
    page.reload()
    words = WORDS if width > 1000 else LONGER.split(" Forty")[0]
    if where == "end":  # the last words of the transcript, where the page cannot scroll further
        words = page.evaluate("[...document.querySelectorAll('.segment .text')].pop().textContent.trim().slice(-30)")
    drag_select(page, words)
    button = page.get_by_role("button", name="Annotate selection")
    assert button.is_visible()
    assert "Alt+A" in button.inner_text() and button.get_attribute("aria-keyshortcuts") == "Alt+A"
    shown, last = button.bounding_box(), words_boxes(page, words)[-1]
    assert not any(overlaps(shown, box) for box in words_boxes(page, words))
    assert 0 <= shown["y"] - (last["y"] + last["height"]) <= 12  # just below the end of the words
    assert shown["x"] < last["x"] + last["width"] + 5 and shown["x"] + shown["width"] > last["x"] - 5

    button.click()
    panel = page.get_by_role("dialog", name="Annotate selection")
    assert panel.is_visible()
    box = panel.bounding_box()
    for line in words_boxes(page, words):
        assert not overlaps(box, line), (box, line)
        assert 0 <= line["y"] and line["y"] + line["height"] <= 844  # the words are still in view
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["y"] < 844  # and the panel too


def test_the_panel_shows_no_empty_or_hidden_field_labels(page):
    drag_select(page, WORDS)
    page.get_by_role("button", name="Annotate selection").click()
    panel = page.get_by_role("dialog", name="Annotate selection")
    labels = panel.locator("label:visible, legend:visible").all_inner_texts()
    assert labels and all(label.strip() for label in labels)
    assert not {"Start", "End", "Exact", "Segment", "Version"} & {label.strip() for label in labels}


def test_alt_a_works_by_the_keys_place_whatever_letter_the_layout_gives_it(page):
    drag_select(page, "How long were you on the way?")
    # a Russian layout: the key A is the letter ф
    page.evaluate(
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ф', code: 'KeyA', altKey: true, bubbles: true}))"
    )
    panel = page.get_by_role("dialog", name="Annotate selection")
    assert panel.is_visible()
    assert panel.locator("#annotator-quote").inner_text().strip() == "How long were you on the way?"
    page.keyboard.press("Escape")
    assert not panel.is_visible()
    # the letter a typed where the key A is not (code KeyQ on a French layout) opens nothing
    drag_select(page, "How long were you on the way?")
    page.evaluate(
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'a', code: 'KeyQ', altKey: true, bubbles: true}))"
    )
    assert not panel.is_visible()


def test_the_filter_finds_a_place_written_in_another_script(page):
    drag_select(page, WORDS)
    page.get_by_role("button", name="Annotate selection").click()
    panel = page.get_by_role("dialog", name="Annotate selection")
    places = panel.locator("fieldset#places")
    panel.get_by_placeholder("Filter places").fill("Уштобе")
    expect(places.get_by_label("Karaganda", exact=True)).to_be_hidden()
    expect(places.get_by_label("Ushtobe", exact=True)).to_be_visible()
    assert places.locator("li:visible").count() == 1
    places.get_by_label("Ushtobe", exact=True).check()
    panel.get_by_placeholder("Filter places").fill("караг")
    expect(places.get_by_label("Karaganda", exact=True)).to_be_visible()
    expect(places.get_by_label("Ushtobe", exact=True)).to_be_visible()  # ticked: never hidden by the filter
