"""Family contributions through the real app: the public form (in Russian), its refusals, the honeypot and the rate
limit; the receipt link and code; the historians' queue (question, reply, description, approval, decline); access
that follows the consent, family access by the receipt, and withdrawal of consent."""

import datetime
import html
import io
import re
from dataclasses import dataclass

import pytest
from conftest import Auth, csrf_token
from factories import jpeg, wav
from PIL import Image

from archive import accounts, contributions, create_app, interviews, media
from archive.errors import CollectionError

MARKER = "zephyrquill"  # a word found nowhere else, in every story sent here
CONTACT = "olga.kim.1951@example.org"
GOOD = {
    "contributor_name": "Ольга Ким",
    "relation": "внучка",
    "contact": CONTACT,
    "narrator": "Ким Анна",
    "narrator_other_forms": "Kim Anna",
    "birth_year": "1931",
    "birthplace": "Посьет",
    "deported_to": "Уштобе",
    "later_homes": "Ташкент",
    "story_text": f"Осенью 1937 года нас посадили в вагоны. Бабушка помнила слово {MARKER}.",
    "visibility": "family",
    "living_named": "yes",
    "agree": "y",
    "website": "",
}


PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
TWO_PHOTOS = [(jpeg("red"), "babushka.jpg", f"Бабушка в Уштобе {MARKER}"), (jpeg("blue"), "dom.jpg", "Наш дом")]


def fetch(client, url):
    """GET a URL and close the response (send_file keeps the file open until then)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def text(response) -> str:
    """A response's body as text."""
    return response.get_data(as_text=True)


def browser(app, role: str | None = None):
    """A new test client (another browser), signed in through the real form as `role` if one is given."""
    client = app.test_client()
    if role:
        Auth(app, client).login(role)
    return client


def submit(client, photos=(), story_file=None, url="/contribute/", **fields):
    """Send the public form as a browser does: `fields` typed over GOOD (None leaves one out), photos as
    [(bytes, name, caption)], story_file as (bytes, name); the CSRF token is taken from the form page."""
    data = {"csrf_token": csrf_token(client.get(url)), **GOOD, **fields}
    for n, (content, name, caption) in enumerate(photos):
        data[f"photos-{n}-file"] = (io.BytesIO(content), name)
        data[f"photos-{n}-caption"] = caption
    if story_file is not None:
        data["story_file"] = (io.BytesIO(story_file[0]), story_file[1])
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(url, data=data, content_type="multipart/form-data")


@dataclass
class Sent:
    """A submission as its contributor knows it: its identifier, and the receipt's private link and code."""

    id: str
    link: str
    code: str


def send(client, **fields) -> Sent:
    """Submit a testimony that must be accepted; read its receipt (link and code) from the page it leads to."""
    response = submit(client, **fields)
    assert response.status_code == 302, text(response)
    page = text(client.get(response.location))
    link = re.search(r'class="receipt-link">([^<]+)</a>', page).group(1)
    code = re.search(r'class="receipt-code">([^<]+)</code>', page).group(1)
    return Sent(response.location.rsplit("/", 1)[1], html.unescape(link), code)


def hidden(page: str, name: str) -> str:
    """The value of a hidden input of a page."""
    match = re.search(rf'name="{re.escape(name)}" type="hidden" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


def shown_values(page: str, prefix: str) -> dict[str, str]:
    """What a browser would send back of a prefixed form's text inputs and text areas, as the page fills them."""
    values = {
        name: html.unescape(value)
        for name, value in re.findall(rf'name="({prefix}-\w+)" type="text" value="([^"]*)"', page)
    }
    values.update(
        {
            name: html.unescape(value.lstrip("\r\n"))
            for name, value in re.findall(rf'<textarea [^>]*name="({prefix}-\w+)"[^>]*>([^<]*)</textarea>', page)
        }
    )
    return values


def act(historian, submission_id: str, action: str, page: str | None = None, **fields):
    """Post one of the forms of /moderate/<id> (describe, question, decline, approve) as the page gives it: its
    `action`, version and CSRF token, the fields it shows filled in, and `fields` typed over them. `page` is a page
    opened earlier (a stale one), else it is opened now."""
    page = page if page is not None else text(historian.get(f"/moderate/{submission_id}"))
    data = {
        "action": action,
        f"{action}-version": hidden(page, f"{action}-version"),
        f"{action}-csrf_token": hidden(page, f"{action}-csrf_token"),
        **shown_values(page, action),
        **{f"{action}-{name}": value for name, value in fields.items()},
    }
    return historian.post(f"/moderate/{submission_id}", data=data)


def approve(historian, submission_id: str, **kwargs):
    """Approve a submission through its moderation page."""
    return act(historian, submission_id, "approve", **kwargs)


def approved(historian, collection, submission_id: str) -> tuple[str, list[str]]:
    """Approve a submission that must pass; return the interview and media items it made."""
    response = approve(historian, submission_id)
    assert response.status_code == 302, text(response)
    made = contributions.load(collection, submission_id).record["result"]
    return made["interview"], made["media"]


def receipt_post(client, submission_id: str, what: str, **data):
    """Post the receipt page's add or withdraw form, with the CSRF token of that page."""
    token = csrf_token(client.get(f"/contribute/receipt/{submission_id}"))
    return client.post(
        f"/contribute/receipt/{submission_id}/{what}",
        data={"csrf_token": token, **data},
        content_type="multipart/form-data",
    )


def value_of(page: str, name: str) -> str | None:
    """What a text input of a page holds (None if the page has no such input)."""
    match = re.search(rf'<input [^>]*name="{re.escape(name)}"[^>]*>', page)
    found = re.search(r'value="([^"]*)"', match.group(0)) if match else None
    return html.unescape(found.group(1)) if found else None


def form_errors(page: str) -> str:
    """The form-wide messages shown at the top of the forms of a page."""
    return " ".join(re.findall(r'<div class="form-errors" role="alert">(.*?)</div>', page, re.S))


def errors_of(page: str, field_id: str) -> str:
    """The error list shown beside one field ('' if none)."""
    match = re.search(rf'<ul class="errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def stored(collection) -> list[str]:
    """Everything in the inbox folder on disk, complete submissions or not (hidden scratch files included)."""
    inbox = collection.root / "contributions"
    return sorted(p.name for p in inbox.iterdir()) if inbox.is_dir() else []


def reaches(client, interview_id: str, items: list[str]) -> dict[str, int]:
    """The status of every output of an approved testimony for this client: pages, copies, the API."""
    urls = [f"/interviews/{interview_id}"]
    for item_id in items:
        urls += [
            f"/media/{item_id}",
            f"/media/{item_id}/thumb/1",
            f"/media/{item_id}/display/1",
            f"/api/v1/media/{item_id}",
        ]
    return {url: fetch(client, url).status_code for url in urls}


def search_hits(client, q: str = MARKER) -> set[str]:
    """What search (the API, and the links of the results page) finds for this client."""
    found = {hit["id"] for hit in client.get(f"/api/v1/search?q={q}").get_json()["hits"]}
    page = text(client.get(f"/search?q={q}"))
    linked = set(re.findall(r'href="/interviews/([0-9a-z]{8})"', page))
    linked |= {f"media/{m}" for m in re.findall(r'href="/media/([0-9a-z]{8})"', page)}
    assert found == linked, (found, linked)
    return found


# --- the public form ---------------------------------------------------------------------------------------------


def test_the_form_speaks_russian(client):
    page = text(client.get("/contribute/?lang=ru"))
    for label in (
        "Поделиться рассказом",
        '<label for="contributor_name">Ваше имя</label>',
        '<label for="narrator">Имя рассказчика</label>',
        "<legend>Кто может это видеть</legend>",
        "Только моя семья (по моей личной ссылке) и историки архива",
        "Я согласен(на) с условиями выше",
        '<label for="photos-0-caption">Подпись</label>',
        "Отправить рассказ",
    ):
        assert label in page, label
    assert "Your name" not in page and "Send the testimony" not in page


@pytest.mark.parametrize(
    "field, message",
    [
        ("contributor_name", "Напишите ваше имя."),
        ("relation", "Напишите, кем вам приходится рассказчик (например: моя бабушка)."),
        ("narrator", "Напишите имя рассказчика."),
        ("visibility", "Выберите, кто может это видеть."),
        ("story_text", "Напишите рассказ в поле или приложите его файлом."),
    ],
)
def test_an_empty_required_field_keeps_what_was_typed_and_says_why_in_russian(client, collection, field, message):
    response = submit(client, url="/contribute/?lang=ru", **{field: None if field == "visibility" else ""})
    page = text(response)
    assert response.status_code == 422
    assert message in errors_of(page, field), errors_of(page, field)
    for name in (
        "contributor_name",
        "relation",
        "contact",
        "narrator",
        "narrator_other_forms",
        "birth_year",
        "birthplace",
        "deported_to",
        "later_homes",
    ):
        if name != field:
            assert value_of(page, name) == GOOD[name], name
    if field != "story_text":
        assert f'name="story_text" rows="10">\r\n{GOOD["story_text"]}</textarea>' in page
    if field != "visibility":
        assert re.search(r'<input checked id="visibility-2" name="visibility" [^>]*value="family">', page)
    assert re.search(r'<input checked id="living_named-0" [^>]*value="yes">', page)
    assert re.search(r'<input checked id="agree" [^>]*type="checkbox"', page)
    assert stored(collection) == []


@pytest.mark.parametrize(
    "files, field_id, message",
    [
        (
            {
                "photos": [
                    (jpeg(), "good.jpg", "Хорошая"),
                    (b"Dear Anna, this is a letter, not a picture.\n" * 20, "portrait.jpg", "Портрет"),
                ]
            },
            "photos-1-file",
            "portrait.jpg: это не фотография, которую мы можем принять. Пришлите JPEG, PNG, TIFF, WebP или HEIC.",
        ),
        (
            {"story_file": (PDF, "story.pdf")},
            "story_file",
            "story.pdf: этот файл не читается как рассказ. Пришлите текст (.txt), Word (.docx) или аудио",
        ),
        (
            {"story_file": (bytes(range(256)) * 8, "story.txt")},
            "story_file",
            "story.txt: этот файл не читается как рассказ.",
        ),
    ],
    ids=["text-named-jpg", "pdf", "binary-named-txt"],
)
def test_a_wrong_file_is_refused_beside_its_field_and_nothing_is_kept(client, collection, files, field_id, message):
    response = submit(client, url="/contribute/?lang=ru", **files)
    page = text(response)
    assert response.status_code == 422
    assert message in errors_of(page, field_id), page
    assert "Пока ничего не отправлено. Исправьте отмеченное; файлы нужно выбрать заново." in page
    assert value_of(page, "narrator") == GOOD["narrator"] and value_of(page, "contact") == CONTACT
    assert GOOD["story_text"] in page
    assert stored(collection) == []


def test_the_honeypot_refuses_a_robot(client, collection):
    response = submit(client, website="http://cheap-pills.example")
    assert response.status_code == 400
    assert stored(collection) == []


def test_too_many_testimonies_from_one_address_are_refused(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "ARCHIVE_DATA": tmp_path,
            "ARCHIVE_INDEX_CHECK_AT_START": False,
            "ARCHIVE_CONTRIBUTIONS_PER_HOUR": 2,
        }
    )
    client = app.test_client()
    assert [submit(client).status_code for _ in range(2)] == [302, 302]
    third = submit(client)
    assert third.status_code == 429
    assert "Too many testimonies were sent from here in the last hour. Please try again in" in text(third)
    assert value_of(text(third), "narrator") == GOOD["narrator"]  # nothing typed is lost
    assert len(app.extensions["collection"].ids("contributions")) == 2


# --- the receipt ------------------------------------------------------------------------------------------------


def test_the_receipt_is_kept_by_its_browser_and_opens_elsewhere_by_link_or_code_only(app, client, collection):
    response = submit(client, photos=TWO_PHOTOS, url="/contribute/?lang=ru")
    assert response.status_code == 302
    submission_id = response.location.rsplit("/", 1)[1]
    assert response.location.endswith(f"/contribute/receipt/{submission_id}")
    first = text(client.get(response.location))
    link = html.unescape(re.search(r'class="receipt-link">([^<]+)</a>', first).group(1))
    code = re.search(r'class="receipt-code">([^<]+)</code>', first).group(1)
    assert "Спасибо. Ваш рассказ получен." in first and re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)
    assert link.startswith(f"http://localhost/contribute/receipt/{submission_id}/")
    again = text(client.get(response.location))  # the sending browser keeps them (a family may come back later)
    assert html.escape(link) in again and code in again and "Ким Анна" in again
    record = contributions.load(collection, submission_id).record
    assert link.rsplit("/", 1)[1] not in str(record) and code.replace("-", "").lower() not in str(record)

    other_browser = browser(app)
    opened = other_browser.get(link)
    assert opened.status_code == 302 and link.rsplit("/", 1)[1] not in opened.location  # the secret goes no further
    page = text(other_browser.get(opened.location))
    assert "Ким Анна" in page and "Наш дом" in page and link not in page and code not in page
    thumb = fetch(other_browser, f"/contribute/receipt/{submission_id}/photo/2")
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.data)).format == "JPEG"
    assert "no-store" in thumb.headers["Cache-Control"]

    for typed in (code, code.replace("-", " ").lower()):
        third_browser = browser(app)
        form = third_browser.get("/contribute/receipt")
        by_code = third_browser.post("/contribute/receipt", data={"csrf_token": csrf_token(form), "code": typed})
        assert by_code.status_code == 302 and by_code.location.endswith(f"/contribute/receipt/{submission_id}")
        assert third_browser.get(by_code.location).status_code == 200

    stranger = browser(app)
    token = csrf_token(stranger.get("/contribute/receipt"))
    wrong_code = stranger.post("/contribute/receipt", data={"csrf_token": token, "code": "AAAAA-AAAAA"})
    assert wrong_code.status_code == 422 and "No testimony has this code" in text(wrong_code)
    assert fetch(stranger, f"/contribute/receipt/{submission_id}/{'x' * 32}").status_code == 404
    assert fetch(stranger, f"/contribute/receipt/zzzzzzzz/{link.rsplit('/', 1)[1]}").status_code == 404
    assert fetch(stranger, f"/contribute/receipt/{submission_id}").status_code == 404
    assert fetch(stranger, f"/contribute/receipt/{submission_id}/photo/1").status_code == 404
    assert fetch(stranger, f"/moderate/{submission_id}/files/files/photo-1.jpg").status_code == 302  # to sign-in


def test_an_icon_answered_late_does_not_take_back_a_receipt_granted_meanwhile(app, client, collection):
    """A browser fetches the icon after the page has loaded; its answer must not put back the older cookie."""
    response = submit(client)
    client.get(response.location)
    for asset in ("/static/favicon.svg", "/static/css/archive.css", "/contribute/receipt"):
        with client.get(asset) as answer:
            assert answer.status_code == 200, asset
            assert "Set-Cookie" not in answer.headers, asset


def test_the_contact_is_for_historians_alone(app, client, collection):
    sent = send(client, photos=TWO_PHOTOS, visibility="public")
    assert CONTACT not in text(client.get(f"/contribute/receipt/{sent.id}"))
    historian = browser(app, "historian")
    assert CONTACT in text(historian.get(f"/moderate/{sent.id}"))
    interview_id, items = approved(historian, collection, sent.id)
    anonymous, researcher = browser(app), browser(app, "researcher")
    for reader in (anonymous, researcher, client):
        for url in (
            f"/interviews/{interview_id}",
            "/interviews/",
            "/media/",
            f"/search?q={MARKER}",
            f"/api/v1/search?q={MARKER}",
            "/api/v1/media",
            f"/contribute/receipt/{sent.id}",
            *(f"/media/{i}" for i in items),
            *(f"/api/v1/media/{i}" for i in items),
        ):
            response = reader.get(url)
            assert CONTACT not in text(response) and "olga.kim" not in text(response), url
    assert interview_id in text(anonymous.get(f"/search?q={MARKER}"))  # the page was really there to look at
    assert CONTACT in text(historian.get(f"/moderate/{sent.id}"))


def test_submissions_are_never_indexed(app, client, collection):
    historian = browser(app, "historian")
    earlier = send(browser(app), visibility="public", story_text="Совсем другой рассказ, о море и о рыбаках.")
    approved(historian, collection, earlier.id)  # the index holds something, and search has been opened
    assert search_hits(browser(app), "рыбаках")
    sent = send(client, photos=TWO_PHOTOS, visibility="public")
    app.extensions["search"].check(repair=True)  # a consistency check adds nothing either
    for reader in (client, browser(app), historian):
        assert search_hits(reader) == set()
        assert reader.get(f"/api/v1/search?q={MARKER}").get_json()["total"] == 0
        assert sent.id not in text(reader.get(f"/search?q={MARKER}"))
    interview_id, items = approved(historian, collection, sent.id)
    assert {interview_id, f"media/{items[0]}"} <= search_hits(browser(app))  # once approved, the same word finds it


def test_a_search_made_before_the_first_approval_does_not_break_later_searches(app, client, collection):
    sent = send(client, visibility="public")
    assert search_hits(client) == set()
    interview_id, _ = approved(browser(app, "historian"), collection, sent.id)
    assert interview_id in search_hits(client)


# --- moderation -------------------------------------------------------------------------------------------------


def test_the_queue_is_for_staff(app, client):
    anonymous = fetch(client, "/moderate/")
    assert anonymous.status_code == 302 and "/auth/signin" in anonymous.location
    sent = send(browser(app))
    researcher = browser(app, "researcher")
    for url in ("/moderate/", f"/moderate/{sent.id}", f"/moderate/{sent.id}/files/files/photo-1.thumb.jpg"):
        assert fetch(researcher, url).status_code == 403, url
    assert fetch(browser(app), f"/moderate/{sent.id}").status_code == 302
    assert browser(app, "historian").get("/moderate/").status_code == 200


def test_the_queue_lists_newest_first_with_counts(app, collection):
    sent = [send(browser(app), narrator=name) for name in ("Первая Анна", "Вторая Вера", "Третья Нина")]
    historian = browser(app, "historian")
    assert act(historian, sent[0].id, "decline", reason="Это не рассказ.").status_code == 302
    page = text(historian.get("/moderate/"))
    order = [page.index(name) for name in ("Третья Нина", "Вторая Вера", "Первая Анна")]
    assert order == sorted(order)
    counts = dict(re.findall(r'>(\w+)</a> <span class="count">(\d+)</span>', page))
    assert counts == {
        "new": "2",
        "questioned": "0",
        "approving": "0",
        "approved": "0",
        "declined": "1",
        "withdrawn": "0",
    }
    declined = text(historian.get("/moderate/?status=declined"))
    assert "Первая Анна" in declined and "Вторая Вера" not in declined
    assert f'href="/moderate/{sent[2].id}"' in page


def test_question_reply_description_and_approval_are_logged_with_who_and_when(app, client, collection):
    sent = send(client, photos=TWO_PHOTOS, url="/contribute/?lang=ru")
    historian = browser(app, "historian")
    asked = act(historian, sent.id, "question", question="В каком году родилась Анна?")
    assert asked.status_code == 302
    receipt = text(client.get(f"/contribute/receipt/{sent.id}"))
    assert "В каком году родилась Анна?" in receipt and "У историка есть к вам вопрос" in receipt
    empty = receipt_post(client, sent.id, "add", text="")
    assert empty.status_code == 422 and "Напишите что-нибудь или выберите фотографию." in text(empty)
    replied = receipt_post(client, sent.id, "add", text="В 1931 году, в Посьете.")
    assert replied.status_code == 302
    assert "Спасибо. Историки это увидят." in text(client.get(replied.location))
    assert "contributor</span> reply: В 1931 году, в Посьете." in text(historian.get(f"/moderate/{sent.id}"))

    described = act(
        historian, sent.id, "describe", title="Анна Ким: осень 1937 года", surnames="Ким", description="Рассказ внучки."
    )
    assert described.status_code == 302
    page = text(historian.get(f"/moderate/{sent.id}"))
    assert 'value="Анна Ким: осень 1937 года"' in page
    stale = page
    assert approve(historian, sent.id).status_code == 302
    assert approve(historian, sent.id, page=stale).status_code == 422  # a second click makes nothing twice

    record = contributions.load(collection, sent.id).record
    assert [(e["by"], e["action"]) for e in record["log"]] == [
        ("contributor", "submitted"),
        ("historian", "question"),
        ("contributor", "reply"),
        ("historian", "described"),
        ("historian", "approving"),
        ("historian", "approved"),
    ]
    times = [datetime.datetime.fromisoformat(e["at"]) for e in record["log"]]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    assert datetime.datetime.now(datetime.UTC) - times[-1] < datetime.timedelta(minutes=1)
    log = text(historian.get(f"/moderate/{sent.id}"))
    for who, action in (
        ("contributor", "submitted"),
        ("historian", "question"),
        ("contributor", "reply"),
        ("historian", "described"),
        ("historian", "approved"),
    ):
        # the time as an English page writes it (Babel), to the minute, in UTC: "Dec 1, 2026, 2:05 PM UTC"
        assert re.search(
            rf"[A-Z][a-z]{{2}} \d{{1,2}}, \d{{4}}, \d{{1,2}}:\d\d\s[AP]M UTC · {who}</span> {action}", log
        ), action
    interview = interviews.load(collection, record["result"]["interview"]).record
    assert interview["title"] == "Анна Ким: осень 1937 года" and interview["contribution"] == sent.id
    assert len(collection.ids("interviews")) == 1 and len(collection.ids("media")) == 2
    assert len(collection.history("contributions", sent.id, "submission.json")) >= 4  # every change versioned
    assert "Добавлено в архив" in text(client.get(f"/contribute/receipt/{sent.id}"))


@pytest.mark.parametrize(
    "visibility, level", [("public", "public"), ("researchers", "researchers"), ("family", "family")]
)
def test_approval_gives_the_interview_and_photos_the_access_consented_to(app, client, collection, visibility, level):
    sent = send(client, photos=TWO_PHOTOS, visibility=visibility)
    historian = browser(app, "historian")
    interview_id, items = approved(historian, collection, sent.id)
    interview = interviews.load(collection, interview_id).record
    assert (interview["access"], interview["contribution"]) == (level, sent.id)
    assert len(items) == 2
    records = [media.load(collection, i).record for i in items]
    assert [r["access"] for r in records] == [level, level]
    assert all(r["contribution"] == sent.id and r["interviews"] == [interview_id] for r in records)
    assert sorted(r["caption"] for r in records) == sorted(c for _, _, c in TWO_PHOTOS)
    everything = set(reaches(browser(app), interview_id, items))
    seen = {
        who: {u for u, s in reaches(c, interview_id, items).items() if s == 200}
        for who, c in (
            ("anonymous", browser(app)),
            ("researcher", browser(app, "researcher")),
            ("historian", historian),
        )
    }
    assert seen == {
        "anonymous": everything if level == "public" else set(),
        "researcher": everything if level in ("public", "researchers") else set(),
        "historian": everything,
    }


def test_family_records_open_to_their_own_receipt_alone(app, collection):
    family_a, family_b = browser(app), browser(app)
    a = send(family_a, photos=TWO_PHOTOS)
    b = send(
        family_b,
        photos=[(jpeg("green"), "b.jpg", f"Другая семья {MARKER}")],
        narrator="Пак Борис",
        story_text=f"Дедушка Борис работал в колхозе. {MARKER}",
    )
    historian = browser(app, "historian")
    interview_a, items_a = approved(historian, collection, a.id)
    interview_b, items_b = approved(historian, collection, b.id)
    a_outputs = {f"/interviews/{interview_a}", f"/media/{items_a[0]}", f"/media/{items_a[0]}/thumb/1"}

    holder_of_a = browser(app)
    assert holder_of_a.get(a.link).status_code == 302  # another browser of family A, opened by the link
    for reader in (family_a, holder_of_a, historian):
        statuses = reaches(reader, interview_a, items_a)
        assert set(statuses.values()) == {200}, statuses
        assert {interview_a, f"media/{items_a[0]}"} <= search_hits(reader)  # the photo captioned with MARKER
    assert f"/media/{items_a[0]}" in text(holder_of_a.get(f"/interviews/{interview_a}"))
    assert interview_b not in search_hits(holder_of_a)
    assert fetch(holder_of_a, f"/interviews/{interview_b}").status_code == 404

    for who, reader in (
        ("anonymous", browser(app)),
        ("researcher", browser(app, "researcher")),
        ("family B", family_b),
    ):
        statuses = reaches(reader, interview_a, items_a)
        assert set(statuses.values()) == {404}, (who, statuses)
        hits = search_hits(reader)
        assert not hits & {interview_a, *(f"media/{i}" for i in items_a)}, (who, hits)
        assert not any(url in text(reader.get("/media/")) for url in a_outputs), who
    assert {interview_b, f"media/{items_b[0]}"} <= search_hits(family_b)


def test_a_declined_submission_tells_the_reason_and_cannot_be_approved(app, client, collection):
    sent = send(client, url="/contribute/?lang=ru")
    historian = browser(app, "historian")
    opened_before = text(historian.get(f"/moderate/{sent.id}"))
    assert act(historian, sent.id, "decline", reason="").status_code == 422
    assert act(historian, sent.id, "decline", reason="Нам нужен рассказ о депортации.").status_code == 302
    receipt = text(client.get(f"/contribute/receipt/{sent.id}"))
    assert "Нам нужен рассказ о депортации." in receipt and "Не добавлено в архив" in receipt
    assert approve(historian, sent.id, page=opened_before).status_code == 422
    declined = contributions.load(collection, sent.id)
    assert declined.status == "declined" and declined.record["log"][-1]["by"] == "historian"
    assert (declined.record["log"][-1]["action"], declined.record["log"][-1]["text"]) == (
        "declined",
        "Нам нужен рассказ о депортации.",
    )
    assert collection.ids("interviews") == [] and collection.ids("media") == []


def test_refusing_to_approve_a_closed_submission_says_why(app, client, collection):
    sent = send(client)
    historian = browser(app, "historian")
    opened_before = text(historian.get(f"/moderate/{sent.id}"))
    act(historian, sent.id, "decline", reason="Не подходит.")
    refused = approve(historian, sent.id, page=opened_before)
    assert refused.status_code == 422
    assert "reload the page" in form_errors(text(refused)) or "already declined" in form_errors(text(refused))


def test_an_answer_sent_after_a_decline_is_refused_with_the_reason_shown(app, client, collection):
    sent = send(client, url="/contribute/?lang=ru")
    token = csrf_token(client.get(f"/contribute/receipt/{sent.id}"))  # the page is open while a historian declines
    act(browser(app, "historian"), sent.id, "decline", reason="Не подходит.")
    late = client.post(
        f"/contribute/receipt/{sent.id}/add",
        data={"csrf_token": token, "text": "Ещё одно."},
        content_type="multipart/form-data",
    )
    assert late.status_code == 422
    assert "Ещё одно." not in str(contributions.load(collection, sent.id).record)
    assert "Этот рассказ закрыт; добавить к нему уже ничего нельзя." in text(late)


@pytest.mark.parametrize("visibility", ["public", "family"])
def test_withdrawing_consent_hides_everything_at_once_from_all_but_staff(app, client, collection, visibility):
    sent = send(client, photos=TWO_PHOTOS, visibility=visibility)
    historian = browser(app, "historian")
    interview_id, items = approved(historian, collection, sent.id)
    researcher = browser(app, "researcher")
    assert set(reaches(client, interview_id, items).values()) == {200}
    unconfirmed = receipt_post(client, sent.id, "withdraw")
    assert unconfirmed.status_code == 422 and "Tick the box to confirm." in text(unconfirmed)
    assert contributions.load(collection, sent.id).status == "approved"

    withdrawn = receipt_post(client, sent.id, "withdraw", confirm="y")
    assert withdrawn.status_code == 302
    receipt = text(client.get(withdrawn.location))
    assert 'data-status="withdrawn"' in receipt
    assert "Consent withdrawn: hidden from everyone but the historians" in receipt
    assert "See it in the archive" not in receipt and "/withdraw" not in receipt
    for who, reader in (("contributor", client), ("anonymous", browser(app)), ("researcher", researcher)):
        statuses = reaches(reader, interview_id, items)
        assert set(statuses.values()) == {404}, (who, statuses)
        assert reader.get("/api/v1/media").get_json()["items"] == [], who
    assert set(reaches(historian, interview_id, items).values()) == {200}
    assert {interview_id, f"media/{items[0]}"} <= search_hits(historian)
    records = [interviews.load(collection, interview_id).record, *(media.load(collection, i).record for i in items)]
    assert {r["withdrawn"] for r in records} == {datetime.date.today().isoformat()}
    assert contributions.load(collection, sent.id).record["log"][-1]["action"] == "withdrawn"


def test_withdrawing_consent_takes_it_out_of_search_at_once(app, client, collection):
    sent = send(client, photos=TWO_PHOTOS, visibility="public")
    interview_id, items = approved(browser(app, "historian"), collection, sent.id)
    anonymous = browser(app)
    assert {interview_id, f"media/{items[0]}"} <= search_hits(anonymous)  # read once, as anyone may
    assert receipt_post(client, sent.id, "withdraw", confirm="y").status_code == 302
    for reader in (anonymous, client, browser(app, "researcher")):
        assert search_hits(reader) == set()
        assert reader.get("/api/v1/media").get_json()["total"] == 0
        assert not any(f"/media/{i}" in text(reader.get("/media/")) for i in items)


def test_withdrawing_hides_only_what_the_contribution_made(app, client, collection):
    photo = jpeg("purple")
    historian = browser(app, "historian")
    upload = {
        "csrf_token": csrf_token(historian.get("/media/new")),
        "kind": "photograph",
        "access": "public",
        "title": "Museum photograph",
        "files-0-file": (io.BytesIO(photo), "museum.jpg"),
        "files-0-caption": "Kept by the museum",
    }
    assert historian.post("/media/new", data=upload, content_type="multipart/form-data").status_code == 302
    [museum_item] = collection.ids("media")
    sent = send(client, photos=[(photo, "copy.jpg", "Та же фотография")], visibility="public")
    approved(historian, collection, sent.id)
    assert receipt_post(client, sent.id, "withdraw", confirm="y").status_code == 302
    assert fetch(browser(app), f"/media/{museum_item}").status_code == 200


def test_two_recorded_testimonies_both_become_interviews(app, collection):
    first = send(browser(app), story_text="", story_file=(wav(), "babushka.wav"))
    second = send(browser(app), story_text="", story_file=(wav(1600), "dedushka.wav"), narrator="Пак Борис")
    historian = browser(app, "historian")
    approved(historian, collection, first.id)
    response = approve(historian, second.id)
    assert response.status_code == 302, re.findall(r'class="form-errors"[^>]*>(.*?)</div>', text(response), re.S)
    assert len(collection.ids("interviews")) == 2


def test_consent_withdrawn_while_an_approval_runs_still_hides_what_it_made(app, client, collection):
    sent = send(client, visibility="public")
    opened = contributions.load(collection, sent.id)  # the historian's page, opened before the withdrawal
    assert receipt_post(client, sent.id, "withdraw", confirm="y").status_code == 302
    with pytest.raises(CollectionError):
        app.extensions["services"].contributions.approve(opened, "hist")
    reader = browser(app)
    assert all(fetch(reader, f"/interviews/{i}").status_code == 404 for i in collection.ids("interviews"))
    assert reader.get(f"/api/v1/search?q={MARKER}").get_json()["total"] == 0


def test_photos_sent_after_approval_join_the_archive_once_a_historian_approves_them(app, client, collection):
    sent = send(client, visibility="family")
    historian = browser(app, "historian")
    interview_id, first = approved(historian, collection, sent.id)
    added = receipt_post(
        client,
        sent.id,
        "add",
        **{"photos-0-file": (io.BytesIO(jpeg("olive")), "later.jpg"), "photos-0-caption": "Письмо 1938 года"},
    )
    assert added.status_code == 302
    assert collection.ids("media") == sorted(first)  # nothing enters the archive unseen
    assert "1 photo arrived after approval" in text(historian.get(f"/moderate/{sent.id}"))
    assert act(historian, sent.id, "photos").status_code == 302
    [later] = sorted(set(collection.ids("media")) - set(first))
    record = media.load(collection, later).record
    assert (record["access"], record["contribution"], record["interviews"]) == ("family", sent.id, [interview_id])
    assert (
        fetch(client, f"/media/{later}").status_code == 200
        and fetch(browser(app), f"/media/{later}").status_code == 404
    )
    assert "arrived after approval" not in text(historian.get(f"/moderate/{sent.id}"))
    assert receipt_post(client, sent.id, "withdraw", confirm="y").status_code == 302
    assert media.load(collection, later).record.get("withdrawn")


def test_one_limit_does_not_wipe_another(app):
    with app.test_request_context():
        for _ in range(3):
            assert accounts.throttle("contribute:1.2.3.4", 3, 3600) == 0
        assert accounts.throttle("receipt-code:1.2.3.4", 20, 0.001) == 0  # a short window elsewhere ...
        assert accounts.throttle("contribute:1.2.3.4", 3, 3600) > 0  # ... forgets nothing here


def test_a_code_typed_on_a_russian_keyboard_still_opens_the_receipt(app, client, collection):
    sent = send(client)
    cyrillic = sent.code.translate(str.maketrans("ABCEKMHOPTXY", "АВСЕКМНОРТХУ"))
    other = browser(app)
    form = other.get("/contribute/receipt")
    answer = other.post("/contribute/receipt", data={"csrf_token": csrf_token(form), "code": cyrillic})
    assert answer.status_code == 302 and answer.location.endswith(sent.id)


def test_a_double_click_on_approve_makes_one_interview(app, client, collection):
    sent = send(client, photos=TWO_PHOTOS)
    historian = browser(app, "historian")
    page = text(historian.get(f"/moderate/{sent.id}"))
    assert approve(historian, sent.id, page=page).status_code == 302
    assert approve(historian, sent.id, page=page).status_code == 422
    assert len(collection.ids("interviews")) == 1 and len(collection.ids("media")) == 2


def test_approval_keeps_the_family_s_names_for_places_and_their_long_captions(app, client, collection):
    caption = "Бабушка у дома в Уштобе, " + "осень 1938 года, " * 30
    sent = send(client, photos=[(jpeg("green"), "long.jpg", caption.strip())], birthplace="Посьет", birth_year="1931")
    historian = browser(app, "historian")
    interview_id, [item] = approved(historian, collection, sent.id)
    record = interviews.load(collection, interview_id).record
    assert record["birthplace"] == {"name": "Посьет", "place": "posyet"}
    assert record["extra"]["narrator_birth_year"] == 1931
    item_record = media.load(collection, item).record
    assert item_record["caption"] == caption.strip() and len(item_record["title"]) <= 201
    assert "Born in</dt><dd>Посьет<" in text(historian.get(f"/interviews/{interview_id}"))


def test_errors_on_the_public_pages_speak_the_page_s_language(app, client):
    client.get("/contribute/?lang=ru")
    page = text(client.get("/contribute/receipt/zzzzzzzz/not-a-token"))
    assert "Ссылка недействительна" in page and "Не найдено" in page


def test_the_queue_shows_what_the_family_sent_since(app, client, collection):
    sent = send(client)
    historian = browser(app, "historian")
    assert act(historian, sent.id, "question", question="Когда это было?").status_code == 302
    assert "new from the family" not in text(historian.get("/moderate/"))
    assert receipt_post(client, sent.id, "add", text="Осенью 1937 года.").status_code == 302
    assert "new from the family" in text(historian.get("/moderate/"))


# --- villages ---------------------------------------------------------------------------------------------------


def test_a_village_outside_the_gazetteer_stops_approval_until_the_description_names_a_known_place(
    app, client, collection
):
    sent = send(client, deported_to="Уштобе; Зюзякино-Дальнее")
    historian = browser(app, "historian")
    refused = approve(historian, sent.id)
    page = text(refused)
    assert refused.status_code == 422
    assert "deported_to: &#34;Зюзякино-Дальнее&#34; is not in the gazetteer" in form_errors(page)
    assert collection.ids("interviews") == [] and contributions.load(collection, sent.id).status == "new"
    assert act(historian, sent.id, "describe", deported_to="Уштобе; Кызылорда").status_code == 302
    interview_id, _ = approved(historian, collection, sent.id)
    assert [p.get("place") for p in interviews.load(collection, interview_id).record["deported_to"]] == [
        "ushtobe",
        "kyzylorda",
    ]


def test_unmatched_villages_show_suggestions_from_the_gazetteer(app, client):
    sent = send(client, birthplace="Kraskina", deported_to="Ushtobee; Зюзякино-Дальнее", later_homes="Ташкент")
    page = text(browser(app, "historian").get(f"/moderate/{sent.id}"))
    assert 'Kraskina <span class="flag">not in the gazetteer; perhaps kraskino</span>' in page
    assert 'Ushtobee <span class="flag">not in the gazetteer; perhaps ushtobe</span>' in page
    assert 'Зюзякино-Дальнее <span class="flag">not in the gazetteer</span>' in page
    assert "Ташкент → Tashkent" in page


def test_a_refused_approval_shows_the_saved_description(app, client, collection):
    sent = send(client, deported_to="Зюзякино-Дальнее")
    historian = browser(app, "historian")
    assert act(historian, sent.id, "describe", title="Рассказ бабушки Анны").status_code == 302
    refused = approve(historian, sent.id)
    assert refused.status_code == 422 and 'value="Рассказ бабушки Анны"' in text(refused)
