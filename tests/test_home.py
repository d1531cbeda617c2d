"""The home page: the collection's own description in the reader's language (collection data, edited by staff and
versioned like every record), ways into the archive, featured testimonies and recent additions that never show a
reader what they may not read, and a sensible page for an empty archive."""

import html
import json
import re

import pytest
from conftest import csrf_token

from archive import about, annotations, contributions, interviews

RESTRICTED = "0ayd1wnd"  # the sample interview for signed-in researchers only
RESTRICTED_QUOTE = "хозяйку с лепёшками"
PUBLIC = "1s12p03r"
PUBLIC_QUOTE = "There is nothing there now, only grass."


def main(page: str) -> str:
    """The page's own content, without the header and footer every page has."""
    return page[page.index('<main id="main">') : page.index("</main>")]


def edit_form(client) -> dict:
    """What the edit form holds as sent to the browser: every field's current value and the CSRF token."""
    page = client.get("/about/edit")
    assert page.status_code == 200
    sent = page.get_data(as_text=True)
    data = {"csrf_token": csrf_token(page)}
    for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', sent):
        data.setdefault(name, value)
    for name, value in re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>\n?(.*?)</textarea>', sent, re.S):
        data[name] = value
    return {k: html.unescape(v) for k, v in data.items()}


@pytest.mark.parametrize(
    ("lang", "title", "words", "example"),
    [
        ("en", "Koryo-saram: memories of the 1937 deportation", "more than 170,000 people", "Tsoi"),
        ("ru", "Корё сарам: память о депортации 1937 года", "более 170 000 человек", "Цой"),
        ("ko", "고려 사람: 1937년 강제 이주의 기억", "17만 명이 넘는 사람들이", "최"),
    ],
)
def test_the_home_page_says_what_the_collection_holds_in_the_readers_language(
    client, sample_collection, lang, title, words, example
):
    page = main(client.get(f"/?lang={lang}").get_data(as_text=True))
    assert f'<h1 id="home-title">{title}</h1>' in page  # in the page's own language: no lang attribute needed
    assert words in page
    assert "fictional" in about.load(sample_collection).text("en").description  # the samples say they are made up
    # the search box's example names come from the collection's data and each one searches
    examples = re.search(r'id="home-search-examples">(.*?)</p>', page, re.S).group(1)
    assert f">{example}</a>" in examples
    assert client.get(f"/search?q={example}").status_code == 200


def test_the_home_page_offers_every_way_in(client, sample_collection):
    page = main(client.get("/").get_data(as_text=True))
    for link in (
        "/browse/villages",
        "/map",
        "/browse/surnames",
        "/events/",
        "/browse/decades",
        "/contribute/",
        "/feed.atom",
    ):
        assert f'href="{link}"' in page, link
    assert 'action="/search"' in page and 'name="q"' in page
    # the short timeline names events that readable passages speak of, each linked to its page
    assert 'href="/events/arrival-ushtobe-1937"' in page
    # decades come from the index, each a search
    assert 'href="/search?decade=1930s">1930s</a>' in page


def test_decades_can_be_browsed_in_time_order_in_the_readers_language(client, sample_collection):
    page = client.get("/browse/decades?lang=ru").get_data(as_text=True)
    decades = re.findall(r'href="/search\?decade=(\d{4}s)">([^<]+)</a>', page)
    assert decades and [d for d, _ in decades] == sorted(d for d, _ in decades)
    assert ("1930s", "1930-е") in decades
    assert client.get("/browse/nothing").status_code == 404


def test_featured_testimonies_show_only_to_those_who_may_read_them(client, auth, sample_collection):
    featured = [f["interview"] for f in about.load(sample_collection).featured]
    assert RESTRICTED in featured and PUBLIC in featured
    anonymous = main(client.get("/").get_data(as_text=True))
    assert PUBLIC_QUOTE in anonymous and f'href="/interviews/{PUBLIC}#s22"' in anonymous
    assert RESTRICTED_QUOTE not in anonymous and f"/interviews/{RESTRICTED}" not in anonymous
    auth.login("researcher")
    signed_in = main(client.get("/").get_data(as_text=True))
    assert RESTRICTED_QUOTE in signed_in and f"/interviews/{RESTRICTED}" in signed_in


def test_a_quote_in_another_language_says_which(client, sample_collection):
    page = main(client.get("/?lang=ru").get_data(as_text=True))
    assert re.search(r'<blockquote lang="en"><p>[^<]*' + re.escape(PUBLIC_QUOTE), page)
    assert re.search(r"<blockquote><p>А бабушка взяла горсть земли", page)  # Russian on a Russian page


def test_a_redacted_passage_is_never_quoted_to_those_who_may_not_read_it(client, auth, app, sample_collection):
    text = interviews.transcript_text(interviews.segments(sample_collection, PUBLIC))[0]
    start = text.index(PUBLIC_QUOTE)
    with app.app_context():
        app.extensions["services"].annotations.create(
            PUBLIC,
            start,
            start + len(PUBLIC_QUOTE),
            annotations.bodies(sample_collection, {}, [], "", redact=True),
            "historian",
        )
    assert PUBLIC_QUOTE not in main(client.get("/").get_data(as_text=True))
    auth.login("historian")
    assert PUBLIC_QUOTE in main(client.get("/").get_data(as_text=True))


def test_recent_additions_are_only_what_the_reader_may_open(client, auth, sample_collection):
    anonymous = main(client.get("/").get_data(as_text=True))
    recent = re.search(r'id="home-recent">.*?</section>', anonymous, re.S).group(0)
    assert "/interviews/" in recent and f"/interviews/{RESTRICTED}" not in recent
    hidden = [
        i
        for i in sample_collection.ids("media")
        if json.loads(sample_collection.read("media", i, "item.json").data).get("access") != "public"
    ]
    assert hidden and not any(f"/media/{i}" in recent for i in hidden)
    auth.login("historian")
    staff = main(client.get("/").get_data(as_text=True))
    assert f"/interviews/{RESTRICTED}" in re.search(r'id="home-recent">.*?</section>', staff, re.S).group(0)


def test_an_empty_archive_has_a_sensible_home_page(client, app):
    answer = client.get("/")
    assert answer.status_code == 200
    page = main(answer.get_data(as_text=True))
    assert f'<h1 id="home-title">{app.config["ARCHIVE_SITE_NAME"]}</h1>' in page
    assert "Testimonies recorded with the people who lived them" in page
    assert "Nothing has been added yet that you can open." in page
    assert 'href="/contribute/"' in page and 'action="/search"' in page
    assert "home-featured" not in page and "home-search-examples" not in page
    assert "Вы вошли" not in page


def test_staff_write_the_first_description_of_an_empty_archive(client, auth, collection):
    auth.login("admin")
    form = edit_form(client)
    assert form["version"] == "" and form["title_en"] == ""
    form.update(title_en="Letters from Sakhalin", description_en="First paragraph.\r\n\r\nSecond  paragraph.")
    assert client.post("/about/edit", data=form).status_code == 302
    page = main(client.get("/").get_data(as_text=True))
    assert '<h1 id="home-title">Letters from Sakhalin</h1>' in page
    first, second = page.index('<p class="lead">First paragraph.</p>'), page.index("<p>Second paragraph.</p>")
    assert first < page.index('class="home-search"') < second  # the search box right after the first paragraph
    assert about.load(collection).data == {
        "schema": 1,
        "text": {
            "en": {
                "title": "Letters from Sakhalin",
                "description": "First paragraph.\n\nSecond paragraph.",
                "search_examples": [],
            }
        },
        "featured": [],
    }
    # a second form opened before that first write is stale: refused, not written over
    assert client.post("/about/edit?lang=en", data={**form, "title_en": "Other"}).status_code == 422
    assert about.load(collection).text("en").title == "Letters from Sakhalin"


def test_staff_change_the_description_and_every_version_is_kept(client, auth, sample_collection, runner):
    before = about.load(sample_collection)
    auth.login("historian")
    assert 'href="/about/edit"' in client.get("/").get_data(as_text=True)
    form = edit_form(client)
    assert form["title_ru"] == before.text("ru").title and form["version"] == before.version
    assert f"{PUBLIC} When I go back to Ushtobe, I go to the hill" in form["featured"]
    form["title_ru"] = "Память корё сарам"
    form["examples_ru"] = "Ким, Kim, 김"
    answer = client.post("/about/edit", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = main(client.get("/?lang=ru").get_data(as_text=True))
    assert '<h1 id="home-title">Память корё сарам</h1>' in page
    assert '>Ким</a>, <a href="/search?q=Kim">Kim</a>' in page
    after = about.load(sample_collection)
    assert after.featured == before.featured and after.text("en") == before.text("en")
    history = sample_collection.history("about", "collection", "about.json")
    assert len(history) == 1 and history[0].author == "archive-team"
    assert sample_collection.last_change("about", "collection", "about.json")["author"] == "historian"
    assert runner("verify").exit_code == 0
    # the form sent again with the version it was opened at is refused, and the newer text is kept
    stale = client.post(
        "/about/edit?lang=en", data={**form, "title_ru": "Старое", "csrf_token": csrf_token(client.get("/"))}
    )
    assert stale.status_code == 422 and "after you opened it" in stale.get_data(as_text=True)
    assert about.load(sample_collection).text("ru").title == "Память корё сарам"


def test_a_language_without_text_shows_the_english_one_marked_as_english(client, auth, sample_collection):
    auth.login("historian")
    form = edit_form(client)
    form.update(title_ko="", description_ko="", examples_ko="")
    assert client.post("/about/edit", data=form).status_code == 302
    page = main(client.get("/?lang=ko").get_data(as_text=True))
    assert '<h1 id="home-title" lang="en">Koryo-saram: memories of the 1937 deportation</h1>' in page
    assert re.search(r'<p class="lead" lang="en">This archive keeps', page)


@pytest.mark.parametrize(
    ("featured", "message"),
    [
        ("zzzzzzzz Some words.", "There is no interview “zzzzzzzz” in the archive"),
        (f"{PUBLIC} Words that nobody ever said.", f"The quote is not in the transcript of “{PUBLIC}”"),
        (PUBLIC, f"Give a quote after the identifier “{PUBLIC}”."),
    ],
)
def test_a_featured_testimony_must_be_a_real_interview_and_quote(client, auth, sample_collection, featured, message):
    before = about.load(sample_collection)
    auth.login("historian")
    form = edit_form(client)
    answer = client.post("/about/edit", data={**form, "featured": featured, "title_en": "Changed"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert re.search(r'<ul class="errors" id="featured-errors">\s*<li>' + re.escape(message), page)
    assert about.load(sample_collection) == before


def test_the_refusal_speaks_the_editors_language(client, auth, sample_collection):
    auth.login("historian")
    form = edit_form(client)
    answer = client.post("/about/edit?lang=ru", data={**form, "featured": "zzzzzzzz Слова."})
    assert answer.status_code == 422 and "В архиве нет интервью «zzzzzzzz»" in answer.get_data(as_text=True)


def test_only_staff_may_edit_the_description(client, auth, app, sample_collection):
    before = about.load(sample_collection)
    # anonymous: sent to sign in, and a post changes nothing
    assert client.get("/about/edit").headers["Location"].startswith("/auth/signin")
    assert client.post("/about/edit", data={"title_en": "Hijacked"}).status_code in (302, 400)
    # a family reader (holding a receipt link) is still anonymous to the collection
    receipt = contributions.submit(
        sample_collection,
        {
            "name": "Family",
            "relation": "granddaughter",
            "narrator": "Someone",
            "story_text": "A story.",
            "visibility": "family",
        },
        None,
        [],
        app.extensions["image_limits"],
        "en",
    )
    assert client.get(f"/contribute/receipt/{receipt.submission_id}/{receipt.token}").status_code == 302
    assert client.get("/about/edit").status_code == 302
    assert 'href="/about/edit"' not in client.get("/").get_data(as_text=True)
    # a researcher is signed in but may not change the collection
    auth.login("researcher")
    assert client.get("/about/edit").status_code == 403
    token = csrf_token(client.get("/"))
    assert client.post("/about/edit", data={"title_en": "Hijacked", "csrf_token": token}).status_code == 403
    assert about.load(sample_collection) == before
