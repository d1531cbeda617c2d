"""In a real browser: a visitor without an account shares a family testimony through the public form in Russian, with
two captioned photos, for researchers only; the private link opens the receipt on another device; a historian
approves it; then an anonymous reader finds nothing while a signed-in researcher finds the interview and the photos."""

import re

import pytest
from conftest import browser_tab
from factories import jpeg

pytestmark = pytest.mark.browser

MARKER = "Кимчхипараз"  # a made-up word that appears nowhere else in the archive
STORY = (
    f"Бабушка рассказывала, что в Посьете у них была лодка «{MARKER}». Осенью 1937 года семью посадили в "
    "товарные вагоны и через месяц высадили в степи под Уштобе. Первую зиму жили в землянке."
)
CAPTIONS = ("Семейная фотография у дома в Посьете", "Свадебная фотография в Уштобе, 1952")
PHOTO_WORD = "фотография"  # in both captions, not in the story
THUMBS_LOADED = "imgs => imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0)"


def new_tab(browser, **options):
    """A page in a fresh context (its own cookies: another person, or another device)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def search(page, base, words):
    """Search with the box in the page header, as a reader would."""
    page.goto(base + "/")
    header = page.get_by_role("banner")
    header.get_by_label("Search the archive").fill(words)
    header.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q="))
    return page.locator(".hits .hit")


def test_a_family_shares_a_testimony_in_russian_and_only_researchers_find_it(app, tmp_path, live_server, browser):
    photos = []
    for name, colour in (("dom.jpg", "sienna"), ("svadba.jpg", "teal")):
        (tmp_path / name).write_bytes(jpeg(colour, (640, 480), quality=90))
        photos.append(tmp_path / name)
    pages = []
    try:
        # 1. An anonymous visitor fills the public form in Russian.
        visitor = new_tab(browser)
        pages.append(visitor)
        visitor.goto(live_server + "/contribute/?lang=ru")
        assert visitor.get_by_role("heading", name="Поделиться рассказом").is_visible()
        visitor.get_by_label("Ваше имя", exact=True).fill("Ольга Пак")
        visitor.get_by_label("Кем вам приходится рассказчик", exact=True).fill("моя бабушка")
        visitor.get_by_label("Имя рассказчика", exact=True).fill("Ким Анна Петровна")
        visitor.get_by_label("Где родился рассказчик", exact=True).fill("Посьет")
        visitor.get_by_label("Куда выслали семью", exact=True).fill("Уштобе")
        visitor.get_by_label("Рассказ", exact=True).fill(STORY)
        for n, (photo, caption) in enumerate(zip(photos, CAPTIONS, strict=False)):
            visitor.locator(f"#photos-{n}-file").set_input_files(str(photo))
            visitor.locator(f"#photos-{n}-caption").fill(caption)
        visitor.get_by_label("Только исследователи архива", exact=True).check()
        visitor.locator("#living_named").get_by_label("Да", exact=True).check()
        visitor.get_by_label("Я согласен(на) с условиями выше", exact=True).check()
        visitor.get_by_role("button", name="Отправить рассказ").click()

        # 2. The receipt, in Russian, with its private link and code.
        visitor.wait_for_url(re.compile(r"/contribute/receipt/[^/]+$"))
        receipt = visitor.locator(".receipt-box")
        assert "Спасибо. Ваш рассказ получен." in receipt.inner_text()
        link = visitor.locator("a.receipt-link").inner_text().strip()
        code = visitor.locator("code.receipt-code").inner_text().strip()
        submission_id = visitor.url.rsplit("/", 1)[1]
        assert link.startswith(f"{live_server}/contribute/receipt/{submission_id}/")
        assert code and code not in link
        assert "Только исследователи архива" in visitor.locator(".receipt .meta").inner_text()
        assert "Получено, ждёт историка" in visitor.locator(".status").inner_text()

        # ...which opens on another device, photos and all.
        device = new_tab(browser)
        pages.append(device)
        device.goto(link)
        device.wait_for_url(f"{live_server}/contribute/receipt/{submission_id}")
        assert "Ким Анна Петровна" in device.locator("h1").inner_text()
        assert MARKER in device.locator(".story").inner_text()
        assert device.locator(".thumbs li span").all_inner_texts() == list(CAPTIONS)
        device.wait_for_function(f"() => ({THUMBS_LOADED})(Array.from(document.querySelectorAll('.thumbs img')))")
        assert device.locator(".thumbs img").count() == 2

        # 3. A historian approves it from the inbox.
        historian = browser_tab(app, browser, live_server, "anna")
        pages.append(historian)
        historian.goto(live_server + "/moderate/")
        historian.get_by_role("link", name="Ким Анна Петровна").click()
        historian.wait_for_url(f"{live_server}/moderate/{submission_id}")
        assert "researchers" in historian.locator(".about").inner_text()
        historian.once("dialog", lambda dialog: dialog.accept())  # "Approve this testimony?"
        historian.get_by_role("button", name="Approve: add to the archive").click()
        historian.wait_for_url(f"{live_server}/moderate/{submission_id}")
        flashes = historian.locator(".flashes").inner_text()
        assert "Approved: interviews/" in flashes and "2 photo items" in flashes, flashes
        assert "(approved)" in historian.locator("h1").inner_text()

        # 4. The chosen access holds: anonymous readers find nothing, a researcher finds the interview and photos.
        reader = new_tab(browser)
        pages.append(reader)
        for words in (MARKER, PHOTO_WORD):
            hits = search(reader, live_server, words)
            assert hits.count() == 0
            assert "Nothing found" in reader.locator(".hits").inner_text()

        researcher = browser_tab(app, browser, live_server, "boris", role="researcher")
        pages.append(researcher)
        hits = search(researcher, live_server, MARKER)
        assert hits.count() == 1
        assert "Ким Анна Петровна" in hits.first.get_by_role("heading").inner_text()
        hits = search(researcher, live_server, PHOTO_WORD)
        assert sorted(hits.get_by_role("heading").all_inner_texts()) == sorted(CAPTIONS)
        researcher.wait_for_function(
            f"() => ({THUMBS_LOADED})(Array.from(document.querySelectorAll('.hit-thumb img')))"
        )
        assert researcher.locator(".hit-thumb img").count() == 2
    finally:
        for page in pages:
            page.context.close()
