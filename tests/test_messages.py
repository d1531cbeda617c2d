"""Messages made below the views reach the reader in the page's language: refusals of a transcript, of its
description, of an image, of an annotation sent to the API, of a historian's action, and the notice of a withheld
passage, each through the real app (pages in Russian or Korean by the language switcher, the API by Accept-Language);
English stays English, and the command line keeps it."""

import html
import io
import json
import re

import pytest
from conftest import Auth, csrf_token
from factories import jpeg
from flask import g, request
from test_contribute import GOOD, act, send, shown_values
from test_interview_pages import DATA
from test_interview_pages import upload as upload_transcript
from test_media import upload as upload_images
from test_redaction import SECRET, redacted  # noqa: F401 - the fixture
from test_search import add_spelling

from archive import contributions, create_app, i18n, images
from archive.errors import ArchiveError, Message
from archive.i18n import N_

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
INTERVIEW = "1s12p03r"  # the sample WebVTT interview


def text(response) -> str:
    """A page as a reader sees its text (entities such as &#34; read as the characters they stand for)."""
    return html.unescape(response.get_data(as_text=True))


def speak(client, lang: str) -> None:
    """Choose the page language with the switcher, as a reader does; the cookie keeps it for later requests."""
    assert client.get(f"/?lang={lang}").status_code == 200


def test_a_message_is_english_as_a_string_and_keeps_its_template_and_values():
    error = ArchiveError(N_("page {number} has no pixels"), "image", "damaged", number=3)
    assert str(error) == "page 3 has no pixels" and error.sentence == "Page 3 has no pixels."
    assert error.message.template == "page {number} has no pixels" and error.message.params == {"number": 3}
    nested = Message(N_("metadata: {error}"), error=error)
    assert nested == "metadata: page 3 has no pixels"


@pytest.mark.parametrize(
    "lang, blob, filename, message",
    [
        (
            "ru",
            PDF,
            "story.txt",
            "Этот документ PDF повреждён или оборван, его нельзя прочитать.",
        ),  # read since issue 18
        ("ko", PDF, "story.txt", "이 PDF 문서는 손상되었거나 일부가 잘려서 읽을 수 없습니다."),
        (
            "ru",
            (DATA / "bad-time.srt").read_bytes(),
            "bad.srt",
            "Титр 2 (строка 6): отметка времени «00:00:99,000» — не настоящее",
        ),
        ("ko", b"", "empty.txt", "파일이 비어 있습니다."),
    ],
)
def test_a_broken_transcript_is_refused_in_the_page_language(client, auth, app, lang, blob, filename, message):
    auth.login("historian")
    speak(client, lang)
    response = upload_transcript(client, transcript=(io.BytesIO(blob), filename), title="x")
    page = text(response)
    assert response.status_code == 422
    assert message in page and page.index(message) > page.index('id="transcript"')
    assert "not a transcript" not in page and "is not a valid time" not in page and "The file is empty" not in page
    assert app.extensions["collection"].ids("interviews") == []


def test_words_kept_from_a_broken_webvtt_cue_are_reported_in_the_page_language(client, auth, app):
    auth.login("historian")
    speak(client, "ru")
    response = upload_transcript(
        client, transcript=(io.BytesIO((DATA / "bad-time.vtt").read_bytes()), "bad.vtt"), title="x"
    )
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert (
        "Титр 3 (строка 9): строку времени «00:00:03.000 --> 00:61:00.000» не удалось прочитать; "
        "текст сохранён без времени." in page
    )


def test_a_wrong_description_is_refused_field_by_field_in_russian(client, auth, app):
    auth.login("historian")
    speak(client, "ru")
    response = upload_transcript(
        client,
        transcript=(io.BytesIO((DATA / "interview.vtt").read_bytes()), "interview.vtt"),
        title="Оставьте это название",
        date="1937-13",
        villages="Атлантида",
        languages="xx-nope",
    )
    page = text(response)
    assert response.status_code == 422
    for message in (
        "«1937-13» — не дата в формате EDTF",
        "«Атлантида» нет в справочнике мест",
        "«xx-nope» — не код языка",
        "Ничего не сохранено. Исправьте отмеченное ниже",
    ):
        assert message in page, message
    assert page.index("«Атлантида» нет в справочнике мест") > page.index('id="villages"')
    assert "is not a date in EDTF" not in page and "Nothing was saved" not in page


@pytest.fixture
def pillow_limit():
    """Give back Pillow's process-wide pixel limit, which images.process sets from the app's (low, here) setting."""
    from PIL import Image

    kept = Image.MAX_IMAGE_PIXELS
    yield
    Image.MAX_IMAGE_PIXELS = kept


def test_an_oversized_image_is_refused_with_its_numbers_written_the_russian_way(tmp_path, pillow_limit):
    settings = {"TESTING": True, "ARCHIVE_DATA": tmp_path, "ARCHIVE_INDEX_CHECK_AT_START": False}
    app = create_app({**settings, "ARCHIVE_MAX_IMAGE_PIXELS": 100_000})
    client = app.test_client()
    Auth(app, client).login("historian")
    big = jpeg("teal", (640, 480))  # 307,200 pixels
    speak(client, "ru")
    page = text(upload_images(client, [(big, "big.jpg", "Большая фотография")]))
    said = "big.jpg: Изображение слишком велико, чтобы безопасно его открыть (больше 100\u00a0000 пикселей)."
    assert said in page
    speak(client, "en")
    page = text(upload_images(client, [(big, "big.jpg", "A large photograph")]))
    assert "big.jpg: The image is too large to open safely (more than 100,000 pixels)." in page
    assert app.extensions["collection"].ids("media") == []


def test_sizes_in_a_refusal_are_written_as_the_page_language_writes_numbers(app):
    error = images_error = None
    try:
        images.process(b"\xff\xd8\xff" + b"\0" * (3 * 2**19), images.Limits(max_bytes=2**20))
    except images.ImageError as refused:
        images_error = refused
    assert images_error is not None and images_error.code == "size"
    for lang, said in (
        ("ru", "Файл весит 1,5 МБ; изображения больше 1 МБ не принимаются."),
        ("ko", "파일이 1.5MB입니다. 1MB가 넘는 이미지는 받지 않습니다."),
        ("en", "The file is 1.5 MB; images over 1 MB are refused."),
    ):
        with app.test_request_context(f"/?lang={lang}"):
            g.lang = i18n.choose(request)
            error = i18n.sentence(images_error)
        assert error == said
    assert str(images_error) == "the file is 1.5 MB; images over 1 MB are refused"  # what the command line prints


@pytest.mark.parametrize(
    "language, detail",
    [
        ("ru", "Цитируемых слов «Nowhere in this transcript» нет в расшифровке интервью 1s12p03r."),
        ("ko", "인용한 낱말 “Nowhere in this transcript”이(가) 인터뷰 1s12p03r의 녹취록에 없습니다."),
        ("en", 'The quoted words "Nowhere in this transcript" are not in the transcript of interview 1s12p03r.'),
    ],
)
def test_an_annotation_refused_by_the_api_is_explained_in_the_language_asked_for(
    client, app, sample_collection, language, detail
):
    from archive import accounts

    with app.app_context():
        accounts.add_user("hist", "historian", "a long enough password")
        token = accounts.new_token("hist")
    document = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "body": [{"type": "TextualBody", "value": "A note.", "purpose": "commenting"}],
        "target": {
            "source": f"/interviews/{INTERVIEW}",
            "selector": {"type": "TextQuoteSelector", "exact": "Nowhere in this transcript"},
        },
    }
    response = client.post(
        f"/api/v1/interviews/{INTERVIEW}/annotations",
        data=json.dumps(document),
        content_type="application/ld+json",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
    )
    problem = response.get_json()
    assert response.status_code == 422 and problem["code"] == "annotation-invalid" and problem["field"] == "target"
    assert problem["detail"] == detail
    assert "Accept-Language" in response.headers["Vary"]  # a cache keeps one answer per language


def test_the_notice_of_a_withheld_passage_is_in_the_reader_language(client, redacted):  # noqa: F811
    speak(client, "ru")
    page = text(client.get(f"/interviews/{redacted}"))
    export = client.get(f"/interviews/{redacted}/transcript.txt").get_data(as_text=True)
    for said in (page, export):
        assert "[отрывок скрыт]" in said and SECRET not in said and "[passage withheld]" not in said
    speak(client, "ko")
    assert "[비공개 구절]" in text(client.get(f"/interviews/{redacted}"))
    speak(client, "en")
    assert "[passage withheld]" in client.get(f"/interviews/{redacted}/transcript.txt").get_data(as_text=True)


def test_a_historian_acting_on_a_stale_page_is_told_why_in_russian(app, client, collection):
    sent = send(client)
    historian = app.test_client()
    Auth(app, historian).login("historian")
    speak(historian, "ru")
    stale = text(historian.get(f"/moderate/{sent.id}"))
    app.extensions["services"].contributions.ask(contributions.load(collection, sent.id), "Когда это было?", "boris")
    response = act(historian, sent.id, "approve", page=stale)
    page = text(response)
    assert response.status_code == 422
    assert "Тем временем с этим рассказом уже поработал кто-то другой; обновите страницу." in page
    assert contributions.load(collection, sent.id).status == "questioned"


def test_an_unreadable_photo_is_refused_in_korean_on_the_public_form(client, collection):
    response = client.post(
        "/contribute/?lang=ko",
        data={
            "csrf_token": csrf_token(client.get("/contribute/?lang=ko")),
            **GOOD,
            "photos-0-file": (io.BytesIO(PDF), "scan.jpg"),
            "photos-0-caption": "사진",
        },
        content_type="multipart/form-data",
    )
    page = text(response)
    assert response.status_code == 422
    assert "scan.jpg: 받을 수 있는 사진 형식이 아닙니다. JPEG, PNG, TIFF, WebP 또는 HEIC로 보내 주세요." in page
    assert collection.ids("contributions") == []


# --- moderation: what approval proposes, and the decisions that ask first ---------------------------------------


def described(historian, submission_id: str) -> dict[str, str]:
    """The description form of a moderation page as the historian finds it filled in."""
    return shown_values(text(historian.get(f"/moderate/{submission_id}")), "describe")


@pytest.mark.parametrize(
    "lang, narrator, other_forms, title, surnames",
    [
        ("ru", "Ким Анна Петровна", "Kim Anna", "Ким Анна Петровна: семейный рассказ", "Ким"),
        ("en", "Anna Tsoi", "", "Anna Tsoi: a family testimony", "Цой"),
        ("ko", "최안나", "Чхве Анна; Kim Anna", "최안나: 가족이 보낸 이야기", "Цой; Ким"),
    ],
)
def test_approval_proposes_surnames_from_the_narrator_and_a_title_in_the_testimony_language(
    app, client, collection, lang, narrator, other_forms, title, surnames
):
    sent = send(client, url=f"/contribute/?lang={lang}", narrator=narrator, narrator_other_forms=other_forms)
    historian = app.test_client()
    Auth(app, historian).login("historian")  # reading the page in English: the title follows the family, not them
    shown = described(historian, sent.id)
    assert shown["describe-title"] == title and shown["describe-surnames"] == surnames
    response = act(historian, sent.id, "approve")
    assert response.status_code == 302, text(response)
    made = contributions.load(collection, sent.id).record["result"]["interview"]
    record = collection.read("interviews", made, "interview.json").json()
    assert record["title"] == title and record["surnames"] == surnames.split("; ")


def test_a_historian_may_change_the_proposed_surnames_before_approving(app, client, collection):
    sent = send(client, narrator="Ким Анна", narrator_other_forms="")
    historian = app.test_client()
    Auth(app, historian).login("historian")
    assert described(historian, sent.id)["describe-surnames"] == "Ким"
    assert act(historian, sent.id, "describe", surnames="Ким; Пак").status_code == 302
    assert described(historian, sent.id)["describe-surnames"] == "Ким; Пак"
    assert act(historian, sent.id, "approve").status_code == 302
    made = contributions.load(collection, sent.id).record["result"]["interview"]
    assert collection.read("interviews", made, "interview.json").json()["surnames"] == ["Ким", "Пак"]


def test_a_name_without_a_known_surname_proposes_none(app, client):
    sent = send(client, narrator="Анна Петровна", narrator_other_forms="")
    historian = app.test_client()
    Auth(app, historian).login("historian")
    assert described(historian, sent.id)["describe-surnames"] == ""


def test_approve_and_decline_carry_their_question_in_the_page_language(app, client):
    sent = send(client)
    historian = app.test_client()
    Auth(app, historian).login("historian")
    speak(historian, "ru")
    page = text(historian.get(f"/moderate/{sent.id}"))
    forms = re.findall(
        r'<form method="post" class="form" novalidate( data-confirm="[^"]*")?>\s*(?:<div[^>]*>.*?</div>)?'
        r'\s*<input type="hidden" name="action" value="(\w+)">',
        page,
        re.S,
    )
    confirms = {action: question for question, action in forms}
    assert 'data-confirm="Принять этот рассказ?' in confirms["approve"]
    assert 'data-confirm="Отклонить этот рассказ?' in confirms["decline"]
    assert confirms["describe"] == "" and confirms["question"] == ""  # what can be changed again does not ask


# --- numbers, dates and places written for the page's language -----------------------------------------------------

RUSSIAN_DATE_TIME = r"\d{1,2} (?:янв|февр|мар|апр|мая|июн|июл|авг|сент|окт|нояб|дек)\. \d{4}\s?г\., \d{2}:\d{2} UTC"


@pytest.mark.parametrize("lang, posyet", [("ru", "Посьет"), ("ko", "포시예트"), ("en", "Posyet")])
def test_places_in_search_facets_are_named_in_the_reader_language(client, sample_collection, lang, posyet):
    speak(client, lang)
    page = text(client.get("/search?q="))
    browse = text(client.get("/browse/villages"))
    # Posyet is a village of one public interview and of the sample kept for researchers: an anonymous reader counts 1
    assert f'>{posyet}</a> <span class="count">1</span>' in page
    assert f'>{posyet}</a> <span class="count">1</span>' in browse
    for said in (page, browse):  # Samarkand is a village of the researchers' interview alone: it never shows
        assert "Samarkand" not in said and "Самарканд" not in said and "사마르칸트" not in said


def test_dates_on_the_moderation_and_receipt_pages_are_written_for_the_page_language(app, client, collection):
    sent = send(client)
    speak(client, "ru")
    receipt = text(client.get(f"/contribute/receipt/{sent.id}"))
    assert re.search(
        r"Отправлено \d{1,2} (?:янв|февр|мар|апр|мая|июн|июл|авг|сент|окт|нояб|дек)\. \d{4}\s?г\.", receipt
    )
    historian = app.test_client()
    Auth(app, historian).login("historian")
    speak(historian, "ru")
    assert re.search(RUSSIAN_DATE_TIME, text(historian.get("/moderate/")))
    page = text(historian.get(f"/moderate/{sent.id}"))
    assert re.search(RUSSIAN_DATE_TIME, page.split('<ul class="log">', 1)[1])
    speak(historian, "en")
    page = text(historian.get(f"/moderate/{sent.id}"))
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s?[AP]M UTC", page.split('<ul class="log">', 1)[1])


def test_a_size_in_megabytes_is_written_with_the_page_language_decimal_sign(client, auth, sample_collection):
    auth.login("historian")
    [item] = [i for i in sample_collection.ids("media")][:1]
    speak(client, "ru")
    assert re.search(r"· \d+,\d МБ</dd>", text(client.get(f"/media/{item}")))
    speak(client, "en")
    assert re.search(r"· \d+\.\d MB</dd>", text(client.get(f"/media/{item}")))


def test_a_refused_surname_spelling_is_explained_in_russian(client, auth):
    auth.login("historian")
    speak(client, "ru")
    again = add_spelling(client, "tsoi", "tsoi")
    assert again.status_code == 422 and "«tsoi» уже есть среди написаний tsoi (최)." in text(again)
    bad = add_spelling(client, "tsoi", "Tsoi123")
    assert bad.status_code == 422 and "«Tsoi123» — не имя: используйте буквы любой письменности" in text(bad)
    stale = add_spelling(client, "tsoi", "Tchoi", version="an old version")
    assert "Эта страница устарела: обновите её и внесите изменение ещё раз." in text(stale)


def test_what_a_person_wrote_into_a_message_is_never_translated(app):
    named = Message(N_("could not be stored: {error}"), error="Description")  # a file named like a form label
    nested = Message(N_("metadata: {error}"), error=Message(N_("a title is required")))
    with app.test_request_context("/?lang=ru"):
        g.lang = i18n.choose(request)
        assert i18n.localise(named) == "не удалось сохранить: Description"
        assert i18n.localise(nested) == "описание: нужно название"
