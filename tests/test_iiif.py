"""IIIF Presentation 3 manifests: an item's pages and an interview's recording, transcript and segment index, built
for each reader as access.py allows, checked against the IIIF community's JSON Schema (when ../shared/data is there)
and by structural checks of our own that always run."""

from __future__ import annotations

import io
import json
from urllib.parse import urldefrag

import pytest
from conftest import PASSWORD, csrf_token
from factories import jpeg
from media_factory import wav
from PIL import Image

from archive import accounts, annotations, create_app, interviews, media
from archive.exports import iiif
from archive.ingest import Ingester
from archive.vocab import gazetteer

VTT = (
    b"WEBVTT\n\n00:00.500 --> 00:01.400\nAnna: We came in October.\n\n"
    b"00:01.500 --> 00:01.900\nThen winter came.\n\n00:02.200 --> 00:02.800\nAnd spring.\n\n"
    b"00:03.200 --> 00:03.800\nThe neighbour Zorvex informed on us.\n"
)
SECRET = "Zorvex"
# fixtures of the IIIF validator that are wrong by what they hold though not named broken_: a collection of canvases,
# a licence neither Creative Commons nor RightsStatements, a label in the version 2 form, rights in a language map
INVALID_TOO = {"collection_of_canvases.json", "non_cc_license.json", "old_format_label.json", "rights_lang_issues.json"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One archive: a public interview in two recorded parts (2 s each) with a redacted passage in the second and
    a segment index, a public item of two pages with a CC licence, and a researchers-only item."""
    root = tmp_path_factory.mktemp("iiif")
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    collection, services = app.extensions["collection"], app.extensions["services"]
    parts = [wav(root.parent / f"part-{n}.wav", 2.0) for n in (1, 2)]
    source = root.parent / "talk.vtt"
    source.write_bytes(VTT)
    ingester = Ingester(collection, gazetteer(collection), "setup", 2**20, app.extensions["indexer"])
    outcome = ingester.ingest_file(
        source, {"title": "Two tapes", "access": "public", "languages": "en", "rights": "Kept by the family"}, parts
    )
    assert outcome.status == "ingested", outcome.reason
    interview_id = outcome.interview_id
    text = interviews.transcript_text(interviews.segments(collection, interview_id))[0]
    start = text.index("The neighbour")
    annotations.create(
        collection, interview_id, start, start + len("The neighbour Zorvex"),
        annotations.bodies(collection, {}, [], "", True), "setup",
    )  # fmt: skip
    services.segment_index.save(
        interview_id,
        [{"start": 0, "title": "Arrival", "synopsis": "How they came"}, {"start": 2.5, "title": "Winter"}],
        "setup",
        None,
    )
    items = media.MediaIngester(collection, app.extensions["image_limits"], "setup", app.extensions["indexer"])
    tiff = _two_page_tiff()
    public = items.ingest(
        tiff,
        "letter.tif",
        {"title": "A letter", "access": "public", "rights": "https://creativecommons.org/licenses/by/4.0/"},
    )
    closed = items.ingest(jpeg("blue", (64, 48)), "closed.jpg", {"title": "Kept", "access": "researchers"})
    assert public.status == closed.status == "ingested", (public.reason, closed.reason)
    with app.app_context():
        for role in ("researcher", "historian"):
            accounts.add_user(role, role, PASSWORD)
    return app, interview_id, public.interview_id, closed.interview_id


def _two_page_tiff() -> bytes:
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (80, 60), "red"), Image.new("RGB", (40, 90), "green")
    first.save(buffer, "TIFF", save_all=True, append_images=[second])
    return buffer.getvalue()


def client_as(app, role: str | None):
    client = app.test_client()
    if role:
        token = csrf_token(client.get("/auth/signin"))
        done = client.post("/auth/signin", data={"name": role, "password": PASSWORD, "csrf_token": token})
        assert done.status_code == 302
    return client


def manifest_of(client, url: str) -> tuple[dict, object]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"] == iiif.MEDIA_TYPE
    return json.loads(response.get_data(as_text=True)), response


def walk(value):
    """Every JSON object inside a manifest, itself included."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from walk(child)


def check_structure(manifest: dict) -> None:
    """What any manifest of ours must be: typed resources, unique ids under the manifest, targets inside their
    canvas (in space and in time), language maps of lists."""
    base = manifest["id"].rsplit("/", 1)[0]
    assert manifest["@context"] == iiif.CONTEXT and manifest["type"] == "Manifest"
    ids = [o["id"] for o in walk(manifest) if o.get("type") in ("Canvas", "AnnotationPage", "Annotation", "Range")]
    defined = [i for i in ids if "#" not in i]  # a Range's items name canvases by fragment: references, not new ids
    assert len(defined) == len(set(defined))
    canvases = {c["id"]: c for c in manifest["items"]}
    for canvas in manifest["items"]:
        assert canvas["type"] == "Canvas" and canvas["id"].startswith(base + "/")
        assert ("duration" in canvas and canvas["duration"] > 0) or (canvas["width"] > 0 and canvas["height"] > 0)
        for page in canvas["items"] + canvas.get("annotations", []):
            assert page["type"] == "AnnotationPage" and page["id"].startswith(canvas["id"] + "/")
            for annotation in page["items"]:
                assert annotation["type"] == "Annotation" and annotation["id"].startswith(canvas["id"] + "/")
                target, fragment = urldefrag(annotation["target"])
                assert target == canvas["id"]
                if fragment:
                    start, _, end = fragment.removeprefix("t=").partition(",")
                    assert 0 <= float(start) <= canvas["duration"]
                    assert not end or float(start) < float(end) <= canvas["duration"]
                body = annotation["body"]
                if annotation["motivation"] == "painting":
                    assert body["type"] in ("Image", "Sound", "Video") and "/" in body["format"]
                    if body["type"] == "Image":
                        assert (body["width"], body["height"]) == (canvas["width"], canvas["height"])
                    else:
                        assert float(end) - float(start) == pytest.approx(body["duration"], abs=0.002)
                else:
                    assert annotation["motivation"] == "supplementing" and body["type"] == "TextualBody"
    for entry in manifest.get("structures", []):
        assert entry["type"] == "Range" and entry["id"].startswith(base + "/")
        for ref in entry["items"]:
            assert urldefrag(ref["id"])[0] in canvases
    for o in walk(manifest):
        for key in ("label", "summary", "value"):
            if isinstance(o.get(key), dict):
                assert all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in o[key].values())


def test_an_items_manifest_has_a_canvas_per_page_sized_as_its_display_copy(world):
    app, _, item_id, _ = world
    client = app.test_client()
    manifest, response = manifest_of(client, f"/iiif/media/{item_id}/manifest.json")
    check_structure(manifest)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert manifest["id"] == f"http://localhost/iiif/media/{item_id}/manifest.json"
    assert manifest["homepage"][0]["id"] == f"http://localhost/media/{item_id}"
    assert manifest["label"] == {"none": ["A letter"]}
    assert manifest["rights"] == "http://creativecommons.org/licenses/by/4.0/" and "requiredStatement" not in manifest
    assert [(c["width"], c["height"]) for c in manifest["items"]] == [(80, 60), (40, 90)]
    for n, canvas in enumerate(manifest["items"], 1):
        image = canvas["items"][0]["items"][0]["body"]
        assert image["id"] == f"http://localhost/media/{item_id}/display/{n}"
        with client.get(image["id"]) as served:
            assert served.status_code == 200 and served.mimetype == image["format"]
            data = served.get_data()
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.size == (image["width"], image["height"])  # the size readers get, not the original's
    assert "source" not in json.dumps(manifest)  # staff-only fields stay out
    page = client.get(f"/media/{item_id}").get_data(as_text=True)
    assert f'href="/iiif/media/{item_id}/manifest.json"' in page


def test_an_interviews_manifest_in_continuous_time(world):
    app, interview_id, _, _ = world
    staff = client_as(app, "historian")
    manifest, response = manifest_of(staff, f"/iiif/interviews/{interview_id}/manifest.json")
    check_structure(manifest)
    assert response.headers["Cache-Control"] == "no-store" and "Access-Control-Allow-Origin" not in response.headers
    [canvas] = manifest["items"]
    assert canvas["duration"] == pytest.approx(4.0, abs=0.05)
    painted = canvas["items"][0]["items"]
    assert [a["body"]["type"] for a in painted] == ["Sound", "Sound"]
    assert [a["body"]["format"] for a in painted] == ["audio/wav", "audio/wav"]
    second = urldefrag(painted[1]["target"])[1]
    assert float(second.removeprefix("t=").split(",")[0]) == pytest.approx(2.0, abs=0.05)  # part 2 follows part 1
    assert painted[1]["body"]["id"] == f"http://localhost/interviews/{interview_id}/recordings/2"
    passages = canvas["annotations"][0]["items"]
    assert [urldefrag(p["target"])[1] for p in passages][:2] == ["t=0.5,1.5", "t=1.5,2.2"]
    assert passages[0]["body"]["value"] == "Anna: We came in October." and passages[0]["body"]["language"] == "en"
    assert SECRET in json.dumps(manifest)  # staff read redacted passages
    assert [r["label"] for r in manifest["structures"]] == [{"en": ["Arrival"]}, {"en": ["Winter"]}]
    assert urldefrag(manifest["structures"][1]["items"][0]["id"])[1] == f"t=2.5,{canvas['duration']:g}"
    assert manifest["requiredStatement"]["value"] == {"en": ["Kept by the family"]} and "rights" not in manifest

    anonymous = app.test_client()
    shown, response = manifest_of(anonymous, f"/iiif/interviews/{interview_id}/manifest.json")
    check_structure(shown)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    text = json.dumps(shown, ensure_ascii=False)
    assert SECRET not in text and "[passage withheld]" in text
    # the second part holds the redacted passage and has no silenced copy yet: not painted for anyone but staff
    assert [a["body"]["id"][-1] for a in shown["items"][0]["items"][0]["items"]] == ["1"]
    page = anonymous.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert f'href="/iiif/interviews/{interview_id}/manifest.json"' in page


def test_a_researchers_only_manifest_is_not_there_for_anyone_else(world):
    app, _, _, closed = world
    assert app.test_client().get(f"/iiif/media/{closed}/manifest.json").status_code == 404
    manifest, response = manifest_of(client_as(app, "researcher"), f"/iiif/media/{closed}/manifest.json")
    check_structure(manifest)
    assert response.headers["Cache-Control"] == "no-store" and "Access-Control-Allow-Origin" not in response.headers


def test_rights_uris_and_free_text():
    assert (
        iiif.rights_uri("https://rightsstatements.org/vocab/InC/1.0/") == "http://rightsstatements.org/vocab/InC/1.0/"
    )
    assert iiif.rights_uri("http://creativecommons.org/publicdomain/zero/1.0/")
    assert iiif.rights_uri("https://example.org/licenses/by/4.0/") is None
    assert iiif.rights_uri("CC BY 4.0") is None


def test_manifests_pass_the_iiif_schema_which_refuses_the_broken_fixtures(world, shared_data):
    from jsonschema import Draft7Validator

    folder = shared_data / "iiif_presentation3"
    validator = Draft7Validator(json.loads((folder / "iiif_3_0.json").read_text("utf-8")))
    fixtures = sorted((folder / "fixtures").glob("*.json"))
    broken = [f for f in fixtures if f.name.startswith("broken_")]
    assert broken and len(fixtures) > len(broken)
    for fixture in fixtures:
        valid = validator.is_valid(json.loads(fixture.read_text("utf-8")))
        assert valid != (fixture.name.startswith("broken_") or fixture.name in INVALID_TOO), fixture.name
    app, interview_id, item_id, closed = world
    for role in (None, "historian"):
        client = client_as(app, role)
        for url in (
            f"/iiif/interviews/{interview_id}/manifest.json",
            f"/iiif/media/{item_id}/manifest.json",
            f"/iiif/media/{closed}/manifest.json" if role else f"/iiif/media/{item_id}/manifest.json",
        ):
            manifest = manifest_of(client, url)[0]
            errors = sorted(validator.iter_errors(manifest), key=str)
            assert not errors, (url, [e.message for e in errors[:3]])
