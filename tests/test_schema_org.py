"""schema.org JSON-LD on interview and item pages: read back from the page as a search engine would, with its fields,
only for records anonymous readers may open, and safe inside HTML whatever a title holds."""

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import PASSWORD, csrf_token

from archive import accounts, create_app, interviews

REPOSITORY = Path(__file__).resolve().parents[1]
EVIL = "Before </script><script>alert(1)</script> & <!-- after"
PUBLIC, OHMS, RESEARCHERS, PHOTO, OBJECT = "x3w3seda", "svqc7aeb", "0ayd1wnd", "2kfh28sh", "452pad32"


class Scripts(HTMLParser):
    """Every <script> element of a page: its attributes and its text."""

    def __init__(self):
        super().__init__()
        self.found, self._open = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._open = [dict(attrs), ""]
            self.found.append(self._open)

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def structured(page: str) -> list[dict]:
    """The JSON-LD data blocks of a page, parsed; fails if the page holds any other inline script."""
    parser = Scripts()
    parser.feed(page)
    blocks = []
    for attrs, text in parser.found:
        if "src" in attrs:
            continue
        assert attrs == {"type": "application/ld+json"}, attrs
        assert not any(c in text for c in "<>&"), text  # escaped as \u003c, \u003e, \u0026
        blocks.append(json.loads(text))
    return blocks


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("jsonld")
    for kind in ("interviews", "media"):
        shutil.copytree(REPOSITORY / kind, root / kind)
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    collection = app.extensions["collection"]
    stored = collection.read("interviews", PUBLIC, "interview.json")
    record = {**stored.json(), "title": EVIL}
    collection.write(
        "interviews",
        PUBLIC,
        {"interview.json": json.dumps(record).encode()},
        "setup",
        {"interview.json": stored.version},
    )
    with app.app_context():
        for role in ("researcher", "historian"):
            accounts.add_user(role, role, PASSWORD)
    return app


def signed_in(app, name):
    client = app.test_client()
    token = csrf_token(client.get("/auth/signin"))
    assert (
        client.post("/auth/signin", data={"name": name, "password": PASSWORD, "csrf_token": token}).status_code == 302
    )
    return client


def test_an_interview_page_describes_itself_for_search_engines(site):
    client = site.test_client()
    [data] = structured(client.get(f"/interviews/{OHMS}").get_data(as_text=True))
    assert data["@context"] == "https://schema.org" and data["@type"] in ("AudioObject", "CreativeWork")
    assert data["url"] == f"http://localhost/interviews/{OHMS}" and data["isAccessibleForFree"] is True
    assert data["creator"] == [
        {"@type": "Person", "name": "Viktor Khan", "alternateName": ["Хан Виктор Семёнович", "한 빅토르"]}
    ]
    assert data["contributor"] == [{"@type": "Person", "name": "Sofia Nam"}]
    assert data["dateCreated"] == "2021-03-02" and data["inLanguage"]
    tashkent = next(p for p in data["contentLocation"] if p["identifier"] == "tashkent")
    assert tashkent["geo"] == {"@type": "GeoCoordinates", "latitude": 41.3, "longitude": 69.24}
    assert tashkent["url"] == "http://localhost/places/tashkent" and "Ташкент" in tashkent["alternateName"]
    assert {"@type": "Thing", "name": "Khan"} in data["about"]
    assert len(data["hasPart"]) == 6 and all(c["@type"] == "Clip" for c in data["hasPart"])
    assert data["isPartOf"] == {"@type": "Collection", "name": "Koryo-saram oral history (samples)"}
    # never a word of the transcript (so never a redacted one)
    text = interviews.transcript_text(interviews.segments(site.extensions["collection"], OHMS))[0]
    said = json.dumps(data, ensure_ascii=False)
    assert not any(len(line) > 20 and line in said for line in text.splitlines())
    # "2017~" is EDTF but not a schema.org date: left out rather than written wrong
    [approximate] = structured(client.get("/interviews/667hyfv6").get_data(as_text=True))
    assert "dateCreated" not in approximate


def test_a_title_cannot_break_out_of_the_data_block(site):
    page = site.test_client().get(f"/interviews/{PUBLIC}").get_data(as_text=True)
    [data] = structured(page)  # the parser saw no other inline script: no element was made of the title
    assert data["name"] == EVIL
    assert "\\u003c/script\\u003e" in page and "<script>alert(1)" not in page


def test_an_item_page_and_only_what_anonymous_readers_may_open(site):
    anonymous, researcher, historian = site.test_client(), signed_in(site, "researcher"), signed_in(site, "historian")
    [photo] = structured(anonymous.get(f"/media/{PHOTO}").get_data(as_text=True))
    assert photo["@type"] == "Photograph" and photo["url"] == f"http://localhost/media/{PHOTO}"
    assert photo["image"].endswith(f"/media/{PHOTO}/display/1") and photo["thumbnailUrl"].endswith("/thumb/1")
    assert [p["identifier"] for p in photo["contentLocation"]] == ["ushtobe"] and "geo" not in photo["contentLocation"][
        0
    ]
    # the same public pages carry it whoever reads them; pages of records kept from anonymous readers never do
    assert structured(historian.get(f"/media/{PHOTO}").get_data(as_text=True)) == [photo]
    for client in (researcher, historian):
        for url in (f"/interviews/{RESEARCHERS}", f"/media/{OBJECT}"):
            response = client.get(url)
            assert response.status_code == 200 and structured(response.get_data(as_text=True)) == [], url
