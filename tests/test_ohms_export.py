"""The OHMS XML export (archive/exports/ohms.py): it validates against the OHMS 6.0 schema, our own OHMS reader and
ingest read it back to the same passages, index and description, redacted passages are withheld from all but staff,
and the staff download and `archive export ohms` give it."""

import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from conftest import REPOSITORY, Auth
from factories import wav

from archive import access, annotations, create_app, interviews, segment_index
from archive.cli import cli
from archive.exports import ohms
from archive.formats import ohms as reader
from archive.ingest import Ingester
from archive.vocab import gazetteer

NS = {"o": reader.NS}
VTT = """WEBVTT

00:00:00.000 --> 00:00:50.000
<v 김 영희>우리는 1937년 가을에 기차를 탔어요. 아주 추웠어요.

00:00:50.000 --> 00:02:10.250
<v Интервьюер>Что вы помните о дороге? Tom &amp; Jerry &lt;b&gt; {braces} \\back

00:02:10.250 --> 00:03:20.500
<v 김 영희>Мы ехали месяц. В Уштобе нас встретили зимой,
и мы жили в землянках. The neighbour informed on us.

00:03:20.500 --> 00:04:05.000
<v Интервьюер>Спасибо.
"""
INDEX = [
    {
        "start": 0,
        "title": "Отъезд",
        "synopsis": "The train in autumn 1937.",
        "partial_transcript": "우리는 1937년 가을에",
        "keywords": ["поезд", "기차"],
        "subjects": ["Deportation"],
        "places": ["ushtobe"],
        "gps": [{"lat": 42.9, "lon": 132.5, "label": "Посьет"}],
        "links": [{"url": "https://example.org/a?b=1&c=2", "label": "Map"}],
    },
    {"start": 130.25, "title": "Уштобе", "synopsis": "", "partial_transcript": "", "keywords": [], "subjects": []},
]
WITHHELD = "The neighbour informed on us."


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The sample collection and one more interview: WebVTT with a Korean narrator and a Russian interviewer, a
    redacted passage, & and < in its title, an index with places, GPS and links; and one interview of
    two recordings."""
    root = tmp_path_factory.mktemp("ohms")
    for kind in ("interviews", "media", "about"):
        shutil.copytree(REPOSITORY / kind, root / kind)
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    collection = app.extensions["collection"]
    ingester = Ingester(collection, gazetteer(collection), "setup", 2**20, app.extensions["indexer"])
    described = {
        "title": "Поезд 1937 года & <ответ>",
        "narrators": "김 영희",
        "interviewers": "Ли Ирина; Helen Nam",
        "date": "1998-05-03",
        "accession": "OH-7",
        "collection": "Koryo-saram",
        "description": "Two journeys.",
        "keywords": "deportation; 강제이주",
        "languages": "ko; ru",
        "rights": "Free to quote.",
        "duration": "0:04:05",
        "access": "public",
    }
    outcome = ingester.ingest(VTT.encode(), "train.vtt", described)
    assert outcome.status == "ingested", outcome.reason
    one = outcome.interview_id
    app.extensions["services"].segment_index.save(one, INDEX, "setup", segment_index.INITIAL)
    whole = interviews.transcript_text(interviews.segments(collection, one))[0]
    start = whole.index(WITHHELD)
    annotations.create(
        collection, one, start, start + len(WITHHELD), annotations.bodies(collection, {}, [], "", True), "setup"
    )
    parted = ingester.ingest(
        b"[00:00:00] Anna: One.\n\n[00:00:00.1] Anna: Two.",
        "parts.txt",
        {"title": "Two tapes", "access": "public"},
        parts=[(wav(), "a.wav"), (wav(), "b.wav")],
    )
    assert parted.status == "ingested", parted.reason
    return app, one, parted.interview_id


def export(app, interview_id, viewer=None, **kwargs) -> bytes:
    with app.test_request_context():
        return ohms.build(
            app.extensions["collection"], interview_id, viewer or access.keeper(), repository="Архив", **kwargs
        )


def test_the_export_validates_against_the_ohms_schema(world, shared_data):
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(shared_data / "ohms_scihist" / "ohms.xsd"))
    app, one, parted = world
    for interview_id in (one, parted, *(p.name for p in (REPOSITORY / "interviews").iterdir())):
        schema.validate(export(app, interview_id, media_url="https://example.org/a.mp3").decode())
    # and the check is real: the same file with its elements out of the schema's order fails
    broken = export(app, one).decode().replace("<title>", "<rights>x</rights><title>", 1)
    assert not schema.is_valid(broken)


def test_our_reader_and_ingest_read_the_export_back_to_the_same_interview(world):
    app, one, _ = world
    collection = app.extensions["collection"]
    record = interviews.load(collection, one).record
    data = export(app, one)
    read = reader.read(data)
    stored = interviews.segments(collection, one)
    # the passages: speakers, texts (line breaks, &, <, braces and backslash included) and times to the millisecond
    assert [(s.start, s.end, s.speaker, s.text) for s in read.segments] == [
        (s["start"], s["end"], s["speaker"], s["text"]) for s in stored
    ]
    meta = read.metadata
    assert meta["title"] == "Поезд 1937 года & <ответ>" == record["title"]
    assert meta["narrators"] == ["김 영희"] and meta["interviewers"] == ["Ли Ирина", "Helen Nam"]
    assert (meta["date"], meta["accession"], meta["collection"]) == ("1998-05-03", "OH-7", "Koryo-saram")
    assert meta["keywords"] == ["deportation", "강제이주"] and meta["language_as_written"] == "Korean; Russian"
    assert (meta["rights"], meta["description"], meta["duration"]) == ("Free to quote.", "Two journeys.", "0:04:05")
    assert meta["repository"] == "Архив" and "media_url" not in meta
    # the index: whole seconds; a point's places come back as GPS points after its own
    points = segment_index.from_ohms(read.toc)
    saved = segment_index.read(collection, one).points
    assert [p["start"] for p in points] == [0.0, 130.0]
    for got, want in zip(points, saved, strict=True):
        for name in ("title", "synopsis", "partial_transcript", "keywords", "subjects", "links"):
            assert got[name] == want[name], name
    ushtobe = gazetteer(collection).places["ushtobe"]
    assert points[0]["gps"] == [
        {"lat": 42.9, "lon": 132.5, "label": "Посьет"},
        {"lat": ushtobe.lat, "lon": ushtobe.lon, "label": ushtobe.name()},
    ]
    # ingest takes the file in as a new interview with the same description, passages and index
    ingester = Ingester(collection, gazetteer(collection), "again", 2**20, app.extensions["indexer"])
    outcome = ingester.ingest(data, "back.xml", {"access": "staff"})
    assert outcome.status == "ingested", outcome.reason
    again = interviews.load(collection, outcome.interview_id).record
    for name in ("title", "date", "accession", "interviewers", "keywords", "rights", "collection", "description"):
        assert again[name] == record[name], name
    assert [n["name"] for n in again["narrators"]] == ["김 영희"]
    assert again["languages"] == ["ko", "ru"] and again["duration"] == 245
    assert [(s["start"], s["speaker"], s["text"]) for s in interviews.segments(collection, outcome.interview_id)] == [
        (s["start"], s["speaker"], s["text"]) for s in stored
    ]
    assert [p["title"] for p in segment_index.read(collection, outcome.interview_id).points] == ["Отъезд", "Уштобе"]


def test_the_legacy_transcript_alone_keeps_words_speakers_and_whole_minutes(world):
    """What an older OHMS viewer (and our reader, without <vtt_transcript>) gets: the words and speakers of every
    passage, and a time at each whole minute, placed at the word spoken then."""
    app, one, _ = world
    root = ET.fromstring(export(app, one))
    record = root.find("o:record", NS)
    # minute k at line L, word W: 60 s is 10 s into the 80.25 s passage from 50 s, an eighth of its 11 words in
    assert record.find("o:sync", NS).text == "1:|3(3)|3(11)|5(15)|7(2)"
    record.remove(record.find("o:vtt_transcript", NS))
    ET.register_namespace("", reader.NS)
    read = reader.read(ET.tostring(root))
    stored = interviews.segments(app.extensions["collection"], one)
    assert " ".join(s.text for s in read.segments).split() == " ".join(s["text"] for s in stored).split()
    assert [s.speaker for s in read.segments if s.start is None] == ["Интервьюер", "김 영희"]  # passages 2, 3
    timed = {s.start: (s.speaker, s.text.split()[0]) for s in read.segments if s.start is not None}
    assert timed == {
        0.0: ("김 영희", "우리는"),
        60.0: ("Интервьюер", "вы"),
        120.0: ("Интервьюер", "{braces}"),
        180.0: ("김 영희", "землянках."),
        240.0: ("Интервьюер", "Спасибо."),
    }


def test_redacted_passages_are_withheld_from_all_but_staff(world):
    app, one, _ = world
    assert WITHHELD in export(app, one).decode()
    public = export(app, one, access.Reader(None), notice="[скрыто]").decode()
    assert WITHHELD not in public and "informed" not in public and "[скрыто]" in public
    with pytest.raises(access.AccessDenied):  # the sample kept for signed-in researchers, asked for by nobody
        export(app, "0ayd1wnd", access.Reader(None))


def test_several_recordings_are_one_record_in_continuous_time(world):
    app, _, parted = world
    record = ET.fromstring(export(app, parted, media_url="https://example.org/a.wav")).find("o:record", NS)
    assert record.find("o:media_url", NS).text is None  # one media file per OHMS record: none names two
    assert record.find("o:duration", NS).text == "0:00:00" and record.find("o:fmt", NS).text == "audio"


def test_the_staff_download_and_the_command(world, tmp_path):
    app, one, _ = world
    client = app.test_client()
    assert client.get(f"/interviews/{one}/ohms.xml").status_code == 404
    Auth(app, client).login("researcher")
    assert client.get(f"/interviews/{one}/ohms.xml").status_code == 404
    assert f"/interviews/{one}/ohms.xml" not in client.get(f"/interviews/{one}").get_data(as_text=True)
    staff = app.test_client()
    Auth(app, staff).login("historian")
    page = staff.get(f"/interviews/{one}").get_data(as_text=True)
    assert re.search(rf'class="tools staff-tools">.*href="/interviews/{one}/ohms.xml"', page, re.S)
    response = staff.get(f"/interviews/{one}/ohms.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == f'attachment; filename="ohms-{one}.xml"'
    assert "no-store" in response.headers["Cache-Control"]
    assert WITHHELD in response.get_data(as_text=True)  # staff read redacted passages
    assert reader.read(response.get_data()).metadata["narrators"] == ["김 영희"]

    def run(*args):
        return CliRunner().invoke(cli, ["--data", str(app.config["ARCHIVE_DATA"]), "export", "ohms", *args])

    single = tmp_path / "one.xml"
    result = run(one, "--out", str(single))
    assert result.exit_code == 0, result.output
    assert reader.read(single.read_bytes()).segments[0].speaker == "김 영희"
    assert WITHHELD in single.read_text()  # the keeper reads as staff
    folder = tmp_path / "many"
    result = run(one, "1s12p03r", "--out", str(folder))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{one}.ohms.xml", "1s12p03r.ohms.xml"])
    refused = run("nosuchid", "--out", str(tmp_path / "x"))
    assert refused.exit_code == 1 and "nosuchid" in refused.output and not (tmp_path / "x").exists()
    refused = run(one, "1s12p03r", "--out", str(single))
    assert refused.exit_code == 1 and "is a file" in refused.output
