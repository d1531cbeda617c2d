"""Media items through the real app: the upload and edit forms, item pages, derivatives, access, search, the API,
the command line, and links between items and interviews, events and places."""

import datetime
import io
import json

import pytest
from conftest import csrf_token
from factories import encoded, jpeg
from PIL import Image

from archive import media

PHOTO = (640, 480)  # pixels: larger than a thumbnail, so that the derivatives are made smaller


def half_a_photo() -> bytes:
    whole = encoded(Image.effect_noise((400, 300), 60).convert("RGB"), "JPEG")
    return whole[: len(whole) // 2]


def with_camera_data() -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Zenit", "E", "1987:07:01 12:00:00"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (43.0, 7.0, 30.0), "E", (131.0, 53.0, 0.0)
    return jpeg("navy", PHOTO, exif=exif)


@pytest.fixture
def add(app, collection):
    """Store an image as an item the way the command line does: add(bytes, name, **description) -> item id."""
    ingester = media.MediaIngester(collection, app.extensions["image_limits"], "tester", app.extensions["indexer"])

    def store(data: bytes, name: str = "photo.jpg", **raw):
        outcome = ingester.ingest(data, name, raw or None)
        assert outcome.status == "ingested", outcome.reason
        return outcome.interview_id

    return store


def fetch(client, url):
    """GET a file and close it (send_file keeps it open until then)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def upload(client, files, **fields):
    """Post the historian's form with files [(bytes, name, caption)], keeping the CSRF token real."""
    data = {"csrf_token": csrf_token(client.get("/media/new")), "kind": "photograph", "access": "public", **fields}
    for n, (content, name, caption) in enumerate(files):
        data[f"files-{n}-file"] = (io.BytesIO(content), name)
        data[f"files-{n}-caption"] = caption
    return client.post("/media/new", data=data, content_type="multipart/form-data")


def test_a_historian_adds_several_images_each_with_its_caption(client, auth, collection):
    auth.login("historian")
    response = upload(
        client,
        [
            (jpeg("red", PHOTO), "one.jpg", "Grandmother at the well"),
            (jpeg("blue", PHOTO), "two.jpg", "The house in Ushtobe"),
        ],
        places="Уштобе",
        date="1938",
        institution="Ushtobe kolkhoz museum",
    )
    assert response.status_code == 302 and response.location.endswith("/media/")
    items = [media.load(collection, i) for i in collection.ids("media")]
    assert sorted(i.record["caption"] for i in items) == ["Grandmother at the well", "The house in Ushtobe"]
    assert all(i.record["places"] == [{"name": "Уштобе", "place": "ushtobe"}] for i in items)
    gallery = client.get("/media/?institution=Ushtobe kolkhoz museum").get_data(as_text=True)
    assert all(f"/media/{i.id}" in gallery for i in items)


def test_refused_files_are_named_beside_their_field_and_the_description_is_kept(client, auth, collection):
    auth.login("historian")
    response = upload(
        client,
        [(b"not a picture at all", "letter.jpg", "A letter"), (half_a_photo(), "cut.jpg", "Cut short")],
        title="Kept title",
        date="1938",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "letter.jpg: This is not an image the archive accepts" in page
    assert "cut.jpg: The JPEG file is cut short (truncated)" in page
    assert 'value="Kept title"' in page
    assert collection.ids("media") == []
    empty = client.post(
        "/media/new", data={"csrf_token": csrf_token(client.get("/media/new")), "kind": "photograph", "access": "staff"}
    )
    assert empty.status_code == 422 and "Choose at least one image." in empty.get_data(as_text=True)


def test_a_wrong_description_refuses_the_file_and_says_which_field(client, auth, collection):
    auth.login("historian")
    response = upload(
        client, [(jpeg(size=PHOTO), "a.jpg", "")], date="in the thirties", places="Atlantis", interviews="zzzzzzzz"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is not a date in EDTF" in page and "is not in the gazetteer" in page
    assert "is not an interview of this archive" in page
    assert collection.ids("media") == []


def test_readers_get_upright_copies_without_camera_data_and_never_the_original(client, auth, add, collection):
    item_id = add(with_camera_data(), "zenit.jpg", title="Vladivostok harbour", access="public")
    page = client.get(f"/media/{item_id}").get_data(as_text=True)
    assert "Vladivostok harbour" in page and "Zenit" not in page and "43.125" not in page
    for size in ("display", "thumb"):
        copy = fetch(client, f"/media/{item_id}/{size}/1")
        assert copy.status_code == 200 and copy.mimetype == "image/jpeg"
        assert "private" in copy.headers["Cache-Control"]
        assert not Image.open(io.BytesIO(copy.data)).getexif() and b"Exif" not in copy.data
    assert fetch(client, f"/media/{item_id}/original").status_code == 404
    assert "technical" not in client.get(f"/api/v1/media/{item_id}").get_json()
    auth.login("historian")
    staff_page = client.get(f"/media/{item_id}").get_data(as_text=True)
    assert "Zenit E" in staff_page and "43.125" in staff_page and "suggested date 1987-07-01" in staff_page
    original = fetch(client, f"/media/{item_id}/original")
    assert original.status_code == 200 and original.data == with_camera_data()
    assert client.get(f"/api/v1/media/{item_id}").get_json()["technical"]["gps"] == {"lat": 43.125, "lon": 131.883333}


@pytest.mark.parametrize(
    "description",
    [
        {"access": "staff"},
        {"access": "researchers"},
        {"access": "family", "contribution": "abcdefgh"},
        {"access": "public", "embargo_until": (datetime.date.today() + datetime.timedelta(days=1)).isoformat()},
    ],
)
def test_a_hidden_item_reaches_no_anonymous_output(client, auth, add, description):
    item_id = add(jpeg("green", PHOTO), "hidden.jpg", title="Zyxwarden portrait", surnames="Zyxwarden", **description)
    for url in (
        f"/media/{item_id}",
        f"/media/{item_id}/display/1",
        f"/media/{item_id}/thumb/1",
        f"/media/{item_id}/view/1",
        f"/api/v1/media/{item_id}",
    ):
        assert fetch(client, url).status_code == 404, url
    for url in ("/media/", "/api/v1/media", "/browse/surnames", "/search?q=portrait", "/api/v1/search?q=portrait"):
        assert "zyxwarden" not in client.get(url).get_data(as_text=True).lower(), url
    assert f"/media/{item_id}" not in client.get("/search?q=Zyxwarden").get_data(as_text=True)
    found = client.get("/api/v1/search?q=Zyxwarden").get_json()
    assert found["total"] == 0 and not any(found["facets"].values())
    auth.login("historian")
    assert client.get(f"/media/{item_id}").status_code == 200
    assert "Zyxwarden" in client.get("/search?q=Zyxwarden").get_data(as_text=True)


def test_items_and_interviews_link_both_ways(client, add, collection, app):
    from archive.ingest import Ingester
    from archive.vocab import gazetteer

    interview = Ingester(collection, gazetteer(collection), "tester", 2**20).ingest(
        b"Anna: We came to Ushtobe in October.\n", "anna.txt", {"title": "Anna's story", "access": "public"}
    )
    app.extensions["search"].update([interview.interview_id])
    item_id = add(
        jpeg(size=PHOTO),
        "train.jpg",
        title="The train pass",
        kind="document",
        access="public",
        interviews=interview.interview_id,
        events="arrival-ushtobe-1937",
        places="Ushtobe",
    )
    item_page = client.get(f"/media/{item_id}").get_data(as_text=True)
    assert f"/interviews/{interview.interview_id}" in item_page and "/events/arrival-ushtobe-1937" in item_page
    for url in (f"/interviews/{interview.interview_id}", "/events/arrival-ushtobe-1937", "/places/ushtobe"):
        assert f"/media/{item_id}" in client.get(url).get_data(as_text=True), url


def test_the_gallery_filters_by_kind_and_decade(client, add):
    letter = add(jpeg("white", PHOTO), "letter.jpg", title="A letter", kind="letter", date="1941-03", access="public")
    photo = add(jpeg("black", PHOTO), "photo.jpg", title="A photo", kind="photograph", date="1958", access="public")
    letters = client.get("/media/?kind=letter").get_data(as_text=True)
    assert f"/media/{letter}" in letters and f"/media/{photo}" not in letters
    fifties = client.get("/media/?decade=1950s").get_data(as_text=True)
    assert f"/media/{photo}" in fifties and f"/media/{letter}" not in fifties
    assert client.get("/api/v1/media?kind=letter").get_json()["total"] == 1


def test_editing_a_description_is_versioned_and_reindexed(client, auth, add, collection):
    item_id = add(jpeg(size=PHOTO), "p.jpg", title="Old title", access="public")
    auth.login("historian")
    form = client.get(f"/media/{item_id}/edit").get_data(as_text=True)
    version = media.load(collection, item_id).version
    assert version in form
    fields = {
        "csrf_token": csrf_token(client.get(f"/media/{item_id}/edit")),
        "title": "Wedding in Karaganda",
        "kind": "photograph",
        "access": "public",
        "version": version,
        "date": "1952",
    }
    bad = client.post(f"/media/{item_id}/edit", data={**fields, "date": "fifties"})
    assert bad.status_code == 422 and "is not a date in EDTF" in bad.get_data(as_text=True)
    assert client.post(f"/media/{item_id}/edit", data=fields).status_code == 302
    assert "Wedding in Karaganda" in client.get("/search?q=wedding").get_data(as_text=True)
    assert media.load(collection, item_id).record["source"]["file"] == "p.jpg"  # the file's facts are kept
    stale = client.post(f"/media/{item_id}/edit", data={**fields, "title": "Another"})
    assert stale.status_code == 422 and "was changed by historian" in stale.get_data(as_text=True)
    assert len(collection.history("media", item_id, "item.json")) == 1


def test_the_description_is_checked_in_one_place(collection):
    with pytest.raises(media.MetadataError) as refused:
        media.validate(
            {
                "title": "",
                "kind": "painting",
                "events": "no-such-event",
                "places": "Nowhere-on-earth",
                "embargo_until": "soon",
            },
            collection,
        )
    assert set(refused.value.errors) == {"title", "kind", "events", "places", "embargo_until"}
    with pytest.raises(media.MetadataError, match="only a family's own contribution"):
        media.validate({"title": "Family only", "access": "family"}, collection)
    record = media.validate(
        {"title": "Stalin's portrait in the club", "people": "Иосиф Сталин; Ким Анна", "places": "Кызылорда"},
        collection,
    )
    assert record["people"] == [{"name": "Иосиф Сталин", "person": "joseph-stalin"}, {"name": "Ким Анна"}]
    assert record["kind"] == "photograph" and record["access"] == "staff"
    typed = media.validate({"title": "The same portrait", "people": "Joseph-Stalin"}, collection)  # names.py's folding
    assert typed["people"] == [{"name": "Joseph-Stalin", "person": "joseph-stalin"}]


def test_the_command_line_ingests_images_by_content_with_their_manifest_rows(runner, app, tmp_path, collection):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "scan.tif").write_bytes(jpeg("white", PHOTO))  # a JPEG misnamed .tif: taken by its content
    (incoming / "portrait.jpg").write_bytes(with_camera_data())
    (incoming / "notes.txt").write_text("Anna: Мы приехали в Уштобе.\n", encoding="utf-8")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "file,title,narrator,interviewer,date,village,surnames,language,access,kind,institution,accession\n"
        "scan.tif,Museum card,,,1957,Кызылорда,Ким,,public,document,Kolkhoz museum,KM-12\n"
        "notes.txt,Notes,Anna,Boris,2001,Ushtobe,Tsoi,ru,public,,,\n",
        encoding="utf-8",
    )
    result = runner("ingest", str(incoming / "scan.tif"), str(incoming / "notes.txt"), "--metadata", str(manifest))
    assert result.exit_code == 0, result.output
    assert "scan.tif -> media/" in result.output and "notes.txt -> interviews/" in result.output
    [item_id] = collection.ids("media")
    record = media.load(collection, item_id).record
    assert (record["kind"], record["institution"], record["accession"]) == ("document", "Kolkhoz museum", "KM-12")
    assert record["source"]["original"] == "original/image.jpg"
    alone = runner("ingest", str(incoming / "portrait.jpg"))
    assert alone.exit_code == 0 and "the camera dates it 1987-07-01" in alone.output
    portrait = media.load(collection, alone.output.split("-> media/")[1][:8]).record
    assert portrait["title"] == "portrait" and portrait["access"] == "staff"
    again = runner("ingest", str(incoming / "portrait.jpg"))
    assert "already in the archive as media/" in again.output
    assert runner("verify").exit_code == 0


def test_derive_remakes_missing_or_outdated_copies(runner, add, collection, monkeypatch):
    item_id = add(jpeg(size=(3000, 2000)), "big.jpg", title="Big", access="public")
    folder = collection.folder("media", item_id)
    (folder / "derived" / "thumb-1.jpg").unlink()
    assert "1 made, 0 already current" in runner("derive").output
    with Image.open(folder / "derived" / "display-1.jpg") as display:
        assert display.size == (2048, 1365)
    assert "0 made, 1 already current" in runner("derive").output
    monkeypatch.setenv("ARCHIVE_DISPLAY_EDGE", "1000")
    result = runner("derive", item_id)
    assert "1 made" in result.output, result.output
    assert json.loads((folder / "item.json").read_bytes())["derived"]["display_edge"] == 1000
    assert runner("verify").exit_code == 0


def test_the_api_names_only_what_the_reader_may_open(client, add, collection):
    from archive.ingest import Ingester
    from archive.vocab import gazetteer

    hidden = (
        Ingester(collection, gazetteer(collection), "t", 2**20)
        .ingest(b"Anna: A staff-only story.\n", "hidden.txt", {"title": "Hidden", "access": "staff"})
        .interview_id
    )
    item_id = add(
        jpeg(size=PHOTO),
        "p.jpg",
        title="Public photo",
        access="public",
        interviews=hidden,
        extra={"donor_phone": "+7 700 000 00 00"},
    )
    shown = client.get(f"/api/v1/media/{item_id}").get_json()
    assert shown["interviews"] == [] and "extra" not in shown and "donor_phone" not in json.dumps(shown)
    assert hidden not in client.get(f"/media/{item_id}").get_data(as_text=True)


@pytest.mark.parametrize("date", ["../1940", "[..1760-12-03]", "Y170000002", "XXXX"])
def test_an_unusual_edtf_date_keeps_the_archive_searchable(runner, add, collection, client, date):
    plain = add(jpeg("white", PHOTO), "plain.jpg", title="Plain photo", access="public", date="1950")
    odd = add(jpeg("black", PHOTO), "odd.jpg", title="Odd photo", access="public", date=date)
    assert runner("reindex").exit_code == 0
    gallery = client.get("/media/").get_data(as_text=True)
    assert f"/media/{plain}" in gallery and f"/media/{odd}" in gallery


def test_page_numbers_in_other_scripts_or_past_the_end_show_a_real_page(client, add):
    add(jpeg(size=PHOTO), "p.jpg", title="Only photo", access="public")
    for url in (
        "/media/?page=%C2%B2",
        "/api/v1/media?page=²",
        "/search?page=¹",
        "/media/?page=99999999999",
        "/interviews/?page=-3",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/media?page=7").get_json()["page"] == 1
