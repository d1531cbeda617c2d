"""The findings of the outside security test, each reproduced against the real app: reflected XSS at /oai, the open
redirect after sign-in, control characters in XML outputs, hostile input that gave 500, a full disk, an oversize
story, and the surname form that saved nothing. (Headers: test_security_headers.py; the index: test_index_repair.py;
races and sign-in limits: test_limits.py; the browser: test_browser_xss.py; fuzzing: test_fuzz.py.)"""

import errno
import io
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit
from xml.etree import ElementTree

import pytest
from conftest import csrf_token
from factories import jpeg
from test_contribute import GOOD, errors_of, send, stored, submit, text
from werkzeug.test import encode_multipart

from archive import create_app, media, metadata

OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"
ARGUMENTS = {  # each verb's arguments, as OAI-PMH 2.0 defines them
    "Identify": (),
    "ListMetadataFormats": ("identifier",),
    "ListSets": ("resumptionToken",),
    "ListIdentifiers": ("metadataPrefix", "from", "until", "set", "resumptionToken"),
    "ListRecords": ("metadataPrefix", "from", "until", "set", "resumptionToken"),
    "GetRecord": ("identifier", "metadataPrefix"),
}
SCRIPT = '<script xmlns="http://www.w3.org/1999/xhtml">alert(document.domain)</script>'


@pytest.fixture
def archive(app, sample_collection):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a fault answers 500 here, as it would to a reader
    return app


def oai(client, **params):
    """Ask /oai with these parameters (names too are sent as given) and parse the answer as XML."""
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())
    response = client.get(f"/oai?{query}")
    assert response.status_code == 200 and response.mimetype == "text/xml"
    return response.get_data(), ElementTree.fromstring(response.get_data())


# --- 1. reflected XSS at /oai ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", [*ARGUMENTS, "NoSuchVerb"])
def test_oai_never_echoes_an_unknown_argument_name(archive, client, verb):
    body, root = oai(client, verb=verb, **{SCRIPT: "1", "metadataPrefix": "oai_dc"})
    assert b"<script" not in body and not any(str(e.tag).endswith("script") for e in root.iter())
    request = root.find(f"{OAI_NS}request")
    assert set(request.attrib) <= {"verb", *ARGUMENTS.get(verb, ())}
    assert root.find(f"{OAI_NS}error") is not None  # an unknown argument is badArgument, whatever the verb


def test_oai_echoes_a_good_requests_arguments_escaped(archive, client):
    identifier = 'oai:localhost:interviews/x"><script>alert(1)</script>'
    body, root = oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=identifier)
    request = root.find(f"{OAI_NS}request")
    assert request.attrib == {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": identifier}
    assert b"<script" not in body
    assert root.find(f"{OAI_NS}error").get("code") == "idDoesNotExist"
    _, root = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    assert root.find(f"{OAI_NS}request").attrib == {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    assert root.find(f"{OAI_NS}ListRecords") is not None
    _, root = oai(client, verb="ListRecords", metadataPrefix="oai_dc", until="2000-01-01", bogus="1")
    assert root.find(f"{OAI_NS}request").attrib == {}  # badArgument: nothing echoed


def test_posting_to_oai_changes_nothing(archive, client, auth):
    auth.login("historian")  # a signed-in browser, without a CSRF token: the way a forged form would come
    before = snapshot(archive.config["ARCHIVE_DATA"])
    for data in (
        {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
        {"verb": "Identify", "title": "changed"},
        {"verb": "GetRecord", "identifier": "oai:x:interviews/abc", "metadataPrefix": "oai_dc", "annotation": "x"},
        {SCRIPT: "1"},
    ):
        assert client.post("/oai", data=data).status_code == 200
    assert snapshot(archive.config["ARCHIVE_DATA"]) == before


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for kind in ("interviews", "media", "vocab", "contributions")
        for p in sorted((root / kind).rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


# --- 2. the open redirect after sign-in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "////evil.example/phish",
        "//evil.example",
        "///evil.example",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/%09/evil.example",
        " //evil.example",
        "evil.example",
        "",
        "/ /evil.example",
        "data:text/html,x",
    ],
)
def test_sign_in_never_sends_the_browser_to_another_site(archive, client, auth, target):
    auth.create("anna", "historian")
    answer = auth.sign_in("anna", query_string={"next": target})
    assert answer.status_code == 302
    location = answer.headers["Location"]
    followed = urlsplit(urljoin("http://localhost/auth/signin", location))
    assert followed.scheme == "http" and followed.netloc == "localhost", (target, location)
    assert location.isprintable() and "\\" not in location and " " not in location, (target, location)
    assert not followed.path.startswith("//"), (target, location)


@pytest.mark.parametrize("target", ["/interviews/", "/search?q=%D0%A6%D0%BE%D0%B9&village=ushtobe", "/events/#x"])
def test_sign_in_returns_to_a_page_of_this_site(archive, client, auth, target):
    auth.create("anna", "historian")
    answer = auth.sign_in("anna", query_string={"next": target})
    assert answer.headers["Location"] == target


# --- 8. control characters ------------------------------------------------------------------------------------------


def test_the_public_form_refuses_a_control_character_beside_its_field(archive, client):
    answer = submit(client, narrator="Narr\x01ator")
    assert answer.status_code == 422
    assert "control character" in errors_of(text(answer), "narrator")
    assert stored(archive.extensions["collection"]) == []


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", "Ti\x01tle"),
        ("narrators", "Ким\x7fАнна"),
        ("description", "Line\x0b break"),
        ("surnames", "Цой;\x85Ким"),
        ("extra", {"note": "bell\x07"}),
    ],
)
def test_the_metadata_validator_refuses_control_characters(archive, field, value):
    gazetteer = archive.extensions["search"].gazetteer
    with pytest.raises(metadata.MetadataError) as refused:
        metadata.validate({"title": "A title", field: value}, gazetteer)
    assert field in refused.value.errors and "control character" in refused.value.errors[field]
    ok = metadata.validate({"title": "A title", "description": "Tabs\tand\nnewlines stay"}, gazetteer)
    assert ok["description"] == "Tabs\tand\nnewlines stay"


def test_xml_outputs_stay_well_formed_with_control_characters_already_stored(archive, client, collection):
    """Records written before the validator refused them: the XML writers strip what XML cannot carry."""
    interview_id = next(
        i
        for i in collection.ids("interviews")
        if collection.read("interviews", i, "interview.json").json()["access"] == "public"
    )
    stored_version = collection.read("interviews", interview_id, "interview.json")
    record = stored_version.json()
    record.update(
        title="Ti\x01tle \x1b[31m",
        narrators=[{"name": "Narr\x01ator", "other_forms": []}],
        description="bad \ufffe\x0c end",
    )
    collection.write(
        "interviews",
        interview_id,
        {"interview.json": (json_bytes(record))},
        "test",
        {"interview.json": stored_version.version},
    )
    for url in (
        "/oai?verb=ListRecords&metadataPrefix=oai_dc",
        f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:localhost:interviews/{interview_id}",
        "/feed.atom",
    ):
        body = client.get(url).get_data()
        ElementTree.fromstring(body)  # raises if not well-formed
        assert b"Title" in body and b"\x01" not in body and b"\x1b" not in body, url
        assert b"Narrator" in body or url == "/feed.atom", url  # the feed names no narrators


def json_bytes(value) -> bytes:
    import json

    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode()


# --- 7. hostile input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["(" * 322 + "Цой", "(" * 5000, "((a) OR (" * 400, ")" * 1000 + "a", '"' * 999])
def test_deeply_nested_queries_are_searched_not_crashed(archive, client, q):
    assert client.get("/search", query_string={"q": q}).status_code == 200
    assert client.get("/api/v1/search", query_string={"q": q}).status_code == 200


def test_json_nested_a_thousand_deep_is_refused_with_a_reason(archive, client, auth):
    from archive import accounts

    auth.create("hist", "historian")
    with archive.app_context():
        token = accounts.new_token("hist")
    interview_id = archive.extensions["collection"].ids("interviews")[0]
    for body in (
        '{"type": "Annotation", "body": ' + "[" * 1000 + "]" * 1000 + "}",
        "[" * 100_000,
        '{"a":' * 70 + "1" + "}" * 70,
    ):
        for method in ("POST", "PUT"):
            answer = client.open(
                f"/api/v1/interviews/{interview_id}/annotations",
                method=method,
                data=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            assert answer.status_code == 400, answer.get_data()
            assert "nested" in answer.get_json()["detail"] or "JSON" in answer.get_json()["detail"]


def nameless_multipart(*parts: tuple[str | None, bytes, str | None]) -> tuple[bytes, str]:
    """A multipart body whose parts may lack a name (what a hand-made request can send)."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, data, filename in parts:
        disposition = (
            "form-data"
            + (f'; name="{name}"' if name is not None else "")
            + (f'; filename="{filename}"' if filename else "")
        )
        out.write(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("url", ["/contribute/", "/media/new", "receipt"])
def test_a_form_part_without_a_name_is_ignored_not_crashed(archive, client, auth, url):
    if url == "receipt":
        url = f"/contribute/receipt/{send(client).id}/add"
    elif url == "/media/new":
        auth.login("historian")
    token = csrf_token(client.get(url if not url.endswith("/add") else url.rsplit("/", 1)[0]))
    body, content_type = nameless_multipart(
        ("csrf_token", token.encode(), None),
        (None, b"value", None),
        (None, jpeg(), "x.jpg"),
        ("photos-0-file", jpeg(), "a.jpg"),
    )
    answer = client.post(url, data=body, content_type=content_type)
    assert 400 <= answer.status_code < 500 or answer.status_code == 302, answer.status_code


# --- 7. a full disk -------------------------------------------------------------------------------------------------


@pytest.fixture
def disk_full(monkeypatch):
    """Make every fsync fail as a full disk does (ENOSPC), for the writes made while it is on."""

    def refuse(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    def switch(on: bool = True):
        if on:
            monkeypatch.setattr(os, "fsync", refuse)
        else:
            monkeypatch.undo()

    return switch


def clean(collection) -> bool:
    return not list(collection.verify())


def test_a_full_disk_gives_a_clear_page_and_leaves_the_previous_version(archive, client, auth, collection, disk_full):
    auth.login("historian")
    item_id = collection.ids("media")[0]
    before = collection.read("media", item_id, "item.json")
    page = text(client.get(f"/media/{item_id}/edit"))
    version = re.search(r'name="version" type="hidden" value="([^"]+)"', page).group(1)
    disk_full()
    answer = client.post(
        f"/media/{item_id}/edit",
        data={
            "csrf_token": csrf_token_of(page),
            "version": version,
            "title": "A new title",
            "kind": "photograph",
            "access": "public",
        },
    )
    disk_full(False)
    assert answer.status_code == 507
    assert "disk is full; nothing was changed" in text(answer)
    assert collection.read("media", item_id, "item.json") == before
    assert clean(collection)


def csrf_token_of(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_full_disk_answers_507_to_the_api_and_keeps_the_annotations(archive, client, auth, collection, disk_full):
    from archive import accounts

    auth.create("hist", "historian")
    with archive.app_context():
        token = accounts.new_token("hist")
    interview_id = collection.ids("interviews")[0]
    before = (
        collection.read("interviews", interview_id, "annotations.json")
        if (collection.folder("interviews", interview_id) / "annotations.json").exists()
        else None
    )
    exact = annotations_text(collection, interview_id)
    disk_full()
    answer = client.post(
        f"/api/v1/interviews/{interview_id}/annotations",
        json={
            "type": "Annotation",
            "body": [{"type": "TextualBody", "purpose": "tagging", "value": "x"}],
            "target": {"selector": {"type": "TextQuoteSelector", "exact": exact}},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    disk_full(False)
    assert answer.status_code == 507 and "disk is full" in answer.get_json()["detail"]
    after = (
        collection.read("interviews", interview_id, "annotations.json")
        if (collection.folder("interviews", interview_id) / "annotations.json").exists()
        else None
    )
    assert after == before and clean(collection)


def annotations_text(collection, interview_id: str) -> str:
    from archive import interviews

    full = interviews.transcript_text(interviews.segments(collection, interview_id))[0]
    return full.split("\n")[0][:30].strip()


def test_a_full_disk_keeps_a_familys_typed_story_on_the_form(archive, client, collection, disk_full):
    page = client.get("/contribute/?lang=ru")
    disk_full()
    answer = client.post(
        "/contribute/", data={"csrf_token": csrf_token(page), **GOOD}, content_type="multipart/form-data"
    )
    disk_full(False)
    assert answer.status_code == 507
    assert "диск архива заполнен" in text(answer).lower()
    assert GOOD["story_text"].split()[0] in text(answer)  # what was typed is still on the form
    assert stored(collection) == [] or all(name.startswith(".") for name in stored(collection))
    assert clean(collection)


def test_a_really_full_file_system_is_refused_cleanly(tmp_path):
    """A real ENOSPC from a small tmpfs (where this machine lets a test mount one)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or shutil.which("mount") is None
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
        ).returncode
    ):
        pytest.skip("mounting a small tmpfs needs root (and a kernel that allows it)")
    try:
        app = create_app({"TESTING": True, "ARCHIVE_DATA": mount, "ARCHIVE_INDEX_CHECK_AT_START": False})
        collection, limits = app.extensions["collection"], app.extensions["image_limits"]
        made = media.MediaIngester(collection, limits, "test").ingest(
            jpeg(), "a.jpg", {"title": "First", "access": "public"}
        )
        assert made.status == "ingested"
        before = collection.read("media", made.interview_id, "item.json")
        filler = mount / "filler"
        with open(filler, "wb") as f:  # take every free block
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError as error:
                assert error.errno == errno.ENOSPC
        with pytest.raises(Exception) as refused:
            media.edit(
                collection,
                made.interview_id,
                {"title": "Second", "description": "x" * 200_000, "access": "public"},
                "test",
                before.version,
            )
        assert "disk is full" in str(refused.value)
        filler.unlink()
        assert collection.read("media", made.interview_id, "item.json") == before
        assert not list(collection.verify())
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


# --- 9. a story longer than the form allows -------------------------------------------------------------------------


def test_the_form_says_the_limit_and_counts_without_cutting(archive, client):
    page = text(client.get("/contribute/"))
    assert "200,000 characters" in page
    box = re.search(r"<textarea [^>]*name=\"story_text\"[^>]*>", page).group(0)
    assert "maxlength" not in box and 'data-max-chars="200000"' in box  # the browser may not cut a paste


@pytest.mark.parametrize(
    "lang, story, words",
    [
        ("en", "word " * 92_000, "The first"),  # 460,000 characters
        ("ru", "한국어 이야기 " * 30_000, "Первые"),  # 240,000 characters, about 600 KB of UTF-8
    ],
)
def test_an_oversize_story_comes_back_with_what_fits_and_the_rest_shown(archive, client, lang, story, words):
    answer = submit_large(client, f"/contribute/?lang={lang}", story_text=story)
    assert answer.status_code == 422
    page = text(answer)
    assert words in errors_of(page, "story_text")
    kept = re.search(r'<textarea [^>]*name="story_text"[^>]*>\r?\n?(.*?)</textarea>', page, re.S).group(1)
    rest = re.search(r'<textarea id="story_text-overflow"[^>]*>\r?\n?(.*?)</textarea>', page, re.S).group(1)
    assert 199_000 < len(kept) <= 200_000
    assert " ".join((kept + " " + rest).split()) == " ".join(story.split())  # nothing typed is lost
    assert GOOD["contributor_name"] in page  # the other fields stay filled


def test_a_request_too_large_to_read_answers_with_the_form_in_the_readers_language(archive, client):
    archive.config["MAX_FORM_MEMORY_SIZE"] = 100_000
    answer = submit_large(client, "/contribute/?lang=ru", story_text="слово " * 30_000)
    assert answer.status_code == 413
    page = text(answer)
    assert 'name="story_text"' in page and "ничего не сохранено" in page.lower()


def submit_large(client, page: str, **fields):
    """Send the public form with a large body encoded in memory (the test client would spool it to a file it
    never closes)."""
    boundary, body = encode_multipart({"csrf_token": csrf_token(client.get(page)), **GOOD, **fields})
    return client.post("/contribute/", data=body, content_type=f"multipart/form-data; boundary={boundary}")


# --- 10. adding a surname spelling, through the form --------------------------------------------------------------


def test_a_spelling_added_through_the_surname_form_is_saved(archive, client, auth, collection):
    from archive import vocab

    auth.login("historian")
    page = text(client.get("/vocab/surnames"))
    form = re.search(r'<tr id="kim">.*?(<form method="post" action="([^"]+)".*?</form>)', page, re.S)
    action, html_form = form.group(2), form.group(1)
    fields = dict(re.findall(r'<input [^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', html_form))
    spelling = "Kimm-test"
    answer = client.post(action, data={**fields, "spelling": spelling})
    assert answer.status_code == 302, text(answer)
    kim = next(e for e in vocab.load(collection, "surnames").data["surnames"] if e["id"] == "kim")
    assert spelling in kim.get("cyrillic", []) + kim.get("latin", []) + kim.get("other", [])
    assert spelling in text(client.get(answer.location))


# --- found by fuzzing: an import kept as given must not break the interview's page ----------------------------------


@pytest.mark.parametrize(
    "odd",
    [
        {"modified": 5},
        {"created": ["2026"]},
        {"creator": {"name": {"x": 1}}},
        {"creator": ["anna"]},
        {"review": [1]},
        {"id": 7},
    ],
)
def test_an_imported_annotation_with_fields_of_the_wrong_shape_is_refused(archive, client, auth, collection, odd):
    from archive import accounts

    auth.create("hist", "historian")
    with archive.app_context():
        token = accounts.new_token("hist")
    interview_id = next(
        i
        for i in collection.ids("interviews")
        if collection.read("interviews", i, "interview.json").json()["access"] == "public"
        and (collection.folder("interviews", i) / "annotations.json").exists()
    )
    document = client.get(f"/api/v1/interviews/{interview_id}/annotations").get_json()
    document["first"]["items"][0].update(odd)
    answer = client.put(
        f"/api/v1/interviews/{interview_id}/annotations", json=document, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422 and answer.get_json()["detail"]
    assert client.get(f"/interviews/{interview_id}").status_code == 200
