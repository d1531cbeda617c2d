"""Batch ingest through the command line: files and a manifest in, checked folders out, nothing half-written."""

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from factories import locked_pdf, mp3, odt, pdf

DATA = Path(__file__).parent / "data" / "transcripts"
HEADER = [
    "file",
    "title",
    "narrator",
    "narrator_other_forms",
    "interviewer",
    "date",
    "village",
    "birthplace",
    "surnames",
    "language",
    "access",
    "release_form",
    "consent_scope",
    "consent_date",
    "donor_box",
]


def manifest(folder: Path, rows: list[dict], name="metadata.csv", encoding="utf-8", header=HEADER) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in header})
    path = folder / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def row(file, **fields):
    base = {
        "file": file,
        "title": f"Test {file}",
        "narrator": "Цой Анна",
        "narrator_other_forms": "Tsoi Anna;최 안나",
        "interviewer": "Oleg Ten",
        "date": "2019-05",
        "village": "Уштобе;Posyet",
        "birthplace": "Посьет",
        "surnames": "Tsoi",
        "language": "ru",
        "access": "public",
        "release_form": "yes",
        "consent_scope": "public",
        "consent_date": "2019-05-14",
        "donor_box": "box 7",
    }
    return {**base, **fields}


def interviews(root: Path) -> dict[str, dict]:
    found = {}
    for folder in sorted((root / "interviews").iterdir()):
        if (folder / "interview.json").exists():
            found[folder.name] = json.loads((folder / "interview.json").read_text())
    return found


@pytest.fixture
def batch(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name in ("speakers.txt", "interview.vtt", "interview.srt", "ohms-legacy.xml"):
        shutil.copy(DATA / name, folder / name)
    return folder


def test_batch_with_manifest_then_rerun_creates_no_duplicates(runner, app, batch):
    rows = [
        row("speakers.txt"),
        row("interview.vtt", language="en", access="researchers"),
        row("interview.srt", language="ko", village="Кызылорда"),
        row("ohms-legacy.xml", title="", date=""),
    ]
    csv_path = manifest(batch, rows)
    result = runner("ingest", str(batch), "--metadata", str(csv_path))
    assert result.exit_code == 0, result.output
    assert "4 ingested, 0 already present, 0 failed" in result.stdout
    root = app.config["ARCHIVE_DATA"]
    found = interviews(root)
    assert len(found) == 4
    by_file = {record["source"]["file"]: (i, record) for i, record in found.items()}

    folder_id, record = by_file["speakers.txt"]
    assert record["narrators"] == [{"name": "Цой Анна", "other_forms": ["Tsoi Anna", "최 안나"]}]
    assert record["villages"] == [{"name": "Уштобе", "place": "ushtobe"}, {"name": "Posyet", "place": "posyet"}]
    assert record["birthplace"] == {"name": "Посьет", "place": "posyet"}
    assert record["consent"] == {"release": True, "scope": "public", "date": "2019-05-14"}
    assert record["extra"] == {"donor_box": "box 7"}  # an unknown column is kept, not dropped
    original = root / "interviews" / folder_id / "original" / "transcript.txt"
    assert original.read_bytes() == (batch / "speakers.txt").read_bytes()
    segments = json.loads((root / "interviews" / folder_id / "segments.json").read_text())
    assert segments[1] == {
        "n": 2,
        "start": 5.0,
        "end": None,
        "speaker": "INTERVIEWER",
        "text": "Where were you born?",
        "lang": "ru",
    }

    ohms_id, ohms = by_file["ohms-legacy.xml"]  # empty manifest cells fall back to the OHMS record
    assert ohms["title"] == "Test interview: harvest at the kolkhoz" and ohms["date"] == "1998-07-02"
    assert ohms["ohms"]["subjects"] == ["Kolkhozes"]
    # the OHMS index points are the segment index's first version, in its own file
    index = json.loads((root / "interviews" / ohms_id / "index.json").read_text())
    assert index[0]["title"] == "Opening" and "toc" not in ohms
    assert by_file["interview.vtt"][1]["access"] == "researchers"

    assert runner("verify").exit_code == 0
    again = runner("ingest", str(batch), "--metadata", str(csv_path))
    assert again.exit_code == 0
    assert "0 ingested, 4 already present, 0 failed" in again.stdout
    assert f"skipped    speakers.txt: already in the archive as interviews/{folder_id} (same content)" in again.stdout
    assert len(interviews(root)) == 4


def test_bad_files_are_reported_and_skipped_and_leave_nothing(runner, app, batch):
    for name in ("bad-time.srt", "no-header.vtt", "billion-laughs.xml", "external-entity.xml", "broken.xml"):
        shutil.copy(DATA / name, batch / name)
    (batch / "empty.txt").write_bytes(b"")
    (batch / "junk.txt").write_bytes(bytes(range(256)) * 4)
    (batch / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    result = runner("ingest", str(batch))
    assert result.exit_code == 1
    out = result.stdout
    assert 'FAILED     bad-time.srt: cue 2 (line 6): timecode "00:00:99,000" is not a valid time' in out
    assert 'FAILED     no-header.vtt: this WebVTT file does not start with the "WEBVTT" header line' in out
    assert "FAILED     billion-laughs.xml: this XML declares a DTD or entities" in out
    assert "FAILED     broken.xml: line 5, column" in out
    assert "FAILED     empty.txt: the file is empty" in out
    assert "FAILED     junk.txt: this is binary data, not a transcript" in out
    assert "FAILED     photo.jpg: this file starts like a JPEG image but cannot be read as one" in out
    assert "Error: 4 ingested, 0 already present, 8 failed" in result.stderr
    root = app.config["ARCHIVE_DATA"]
    assert len(interviews(root)) == 4
    assert not [p for p in (root / "interviews").iterdir() if p.name.startswith(".new-")]
    assert runner("verify").exit_code == 0


def test_pdf_and_opendocument_transcripts_are_ingested_and_unreadable_pdfs_leave_nothing(runner, app, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    good = pdf([["ЦОЙ: В Посьете.", "[00:00:07] 최 마리아: 우슈토베."], ["ЦОЙ: Зимой.", "3"]])
    (folder / "story.pdf").write_bytes(good)
    (folder / "letter.odt").write_bytes(odt("<text:p>АННА: Да.</text:p><text:p>ОЛЕГ: Нет.</text:p>"))
    (folder / "scan.pdf").write_bytes(pdf([["x"]], image_only=True))
    (folder / "locked.pdf").write_bytes(locked_pdf(good, "secret"))
    (folder / "cut.pdf").write_bytes(good[: len(good) // 2])
    result = runner("ingest", str(folder))
    out = result.stdout
    assert "FAILED     scan.pdf: this PDF holds pictures of its pages (a scan) and no text" in out
    assert "FAILED     locked.pdf: this PDF is locked with a password and cannot be opened" in out
    assert "FAILED     cut.pdf: this PDF document is damaged or cut short and cannot be read" in out
    assert "Error: 2 ingested, 0 already present, 3 failed" in result.stderr
    root = app.config["ARCHIVE_DATA"]
    found = {r["source"]["file"]: (r, folder_id) for folder_id, r in interviews(root).items()}
    assert sorted(found) == ["letter.odt", "story.pdf"]
    record, folder_id = found["story.pdf"]
    assert record["source"]["format"] == "pdf" and record["source"]["original"] == "original/transcript.pdf"
    assert (root / "interviews" / folder_id / "original" / "transcript.pdf").read_bytes() == good
    assert "layout (columns, tables, footnotes) may be lost" in " ".join(record["source"]["notes"])
    segments = json.loads((root / "interviews" / folder_id / "segments.json").read_text())
    assert [(s["speaker"], s["start"], s["text"]) for s in segments] == [
        ("ЦОЙ", None, "В Посьете."),
        ("최 마리아", 7.0, "우슈토베."),
        ("ЦОЙ", None, "Зимой."),
    ]
    record, folder_id = found["letter.odt"]
    assert record["source"]["original"] == "original/transcript.odt"
    segments = json.loads((root / "interviews" / folder_id / "segments.json").read_text())
    assert [(s["speaker"], s["text"]) for s in segments] == [("АННА", "Да."), ("ОЛЕГ", "Нет.")]
    assert not [p for p in (root / "interviews").iterdir() if p.name.startswith(".new-")]
    assert runner("verify").exit_code == 0


def test_without_manifest_row_the_title_is_provisional_and_access_staff(runner, app, batch):
    result = runner("ingest", str(batch / "interview.vtt"))
    assert result.exit_code == 0, result.output
    [record] = interviews(app.config["ARCHIVE_DATA"]).values()
    assert record["title"] == "interview" and record["access"] == "staff"
    assert "provisional title" in result.stdout


def test_bad_metadata_fails_that_file_with_field_and_hint(runner, app, batch):
    rows = [
        row("speakers.txt", date="2019-13-45", village="Ushtobee"),
        row("interview.vtt", access="secret"),
        row("interview.srt", language="klingonish"),
        row("ohms-legacy.xml"),
    ]
    result = runner("ingest", str(batch), "--metadata", str(manifest(batch, rows)))
    assert result.exit_code == 1
    assert 'FAILED     speakers.txt: metadata: date: "2019-13-45" is not a date in EDTF' in result.stdout
    assert 'villages: "Ushtobee" is not in the gazetteer; did you mean Ushtobe?' in result.stdout
    assert 'interview.vtt: metadata: access: "secret" is not an access level' in result.stdout
    assert 'interview.srt: metadata: languages: "klingonish" is not a language tag' in result.stdout
    assert len(interviews(app.config["ARCHIVE_DATA"])) == 1


def test_manifest_without_required_columns_is_refused_before_anything(runner, app, batch, tmp_path):
    path = manifest(tmp_path, [{"file": "speakers.txt", "title": "x"}], header=["file", "title"])
    result = runner("ingest", str(batch), "--metadata", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: metadata.csv: the header lacks the columns narrator, interviewer, date, village, surnames, "
        "language, access (it needs at least file,title,narrator,interviewer,date,village,surnames,language,access)"
    ]
    assert not (app.config["ARCHIVE_DATA"] / "interviews").exists() or not interviews(app.config["ARCHIVE_DATA"])


def test_manifest_in_windows_1251_and_rows_for_files_not_given_are_skipped(runner, app, batch):
    rows = [row("speakers.txt", title="Цой Анна: Посьет"), row("gone.txt"), row("interview.vtt")]
    path = manifest(batch, [{**r, "narrator_other_forms": "Tsoi Anna"} for r in rows], encoding="cp1251")
    result = runner("ingest", str(batch / "speakers.txt"), "--metadata", str(path))
    assert result.exit_code == 0, result.output
    for name in ("gone.txt", "interview.vtt"):  # one missing everywhere, one present but not given: both skipped
        assert f"skipped    {name}: in the manifest, but not among the files given in this run" in result.stdout
    assert "FAILED" not in result.stdout
    assert "1 ingested, 0 already present, 0 failed; 2 manifest rows for files not given skipped" in result.stdout
    [record] = interviews(app.config["ARCHIVE_DATA"]).values()
    assert record["title"] == "Цой Анна: Посьет"


def test_a_transcript_read_as_untimed_text_is_said_in_the_report(runner, app, tmp_path):
    path = tmp_path / "memoir.txt"  # prose: no turns, no timecodes, no columns
    path.write_text("We lived by the sea in Posyet.\n\nIn 1937 the trains came, and we went west for a month.\n")
    result = runner("ingest", str(path))
    assert result.exit_code == 0, result.output
    assert "note: no speaker turns (NAME: text) and no timecodes ([hh:mm:ss]) were found" in result.stdout
    [record] = interviews(app.config["ARCHIVE_DATA"]).values()
    assert any(note.startswith("no speaker turns") for note in record["source"]["notes"])


def test_audio_is_paired_by_name_and_kept(runner, app, batch):
    audio = mp3()
    (batch / "interview.mp3").write_bytes(audio)
    (batch / "lonely.ogg").write_bytes(b"OggS" + b"\x00" * 200)
    result = runner("ingest", str(batch / "interview.vtt"), str(batch / "interview.mp3"), str(batch / "lonely.ogg"))
    assert "FAILED     lonely.ogg: a recording without a transcript" in result.stdout
    [(folder_id, record)] = interviews(app.config["ARCHIVE_DATA"]).items()
    [part] = record["recordings"]
    assert {k: part[k] for k in ("part", "file", "original", "type", "kind", "container", "offset")} == {
        "part": 1,
        "file": "interview.mp3",
        "original": "original/recording-1.mp3",
        "type": "audio/mpeg",
        "kind": "audio",
        "container": "mp3",
        "offset": 0.0,
    }
    stored = app.config["ARCHIVE_DATA"] / "interviews" / folder_id / "original" / "recording-1.mp3"
    assert stored.read_bytes() == audio and part["sha256"] == hashlib.sha256(audio).hexdigest()


def test_real_spreadsheet_exports_without_our_columns_are_refused_clearly(runner, batch, shared_data):
    for path in sorted((shared_data / "csv_metadata").rglob("*.csv")):
        result = runner("ingest", str(batch), "--metadata", str(path))
        assert result.exit_code == 1
        assert f"Error: {path.name}: the header lacks the column" in result.stderr, path


def test_oversize_transcript_is_refused_without_reading_it(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_MAX_TRANSCRIPT_MB", "1")
    big = tmp_path / "huge.txt"
    with big.open("wb") as f:
        f.truncate(3 * 2**20)  # sparse: costs no disk, and would cost 3 MB of memory if read
    result = runner("ingest", str(big))
    assert "FAILED     huge.txt: is 3.0 MB; transcripts over 1 MB are refused" in result.stdout


def test_a_place_name_is_linked_only_when_the_gazetteer_is_sure_which_place_it_means(runner, app, batch):
    """The outside test's Idaho manifest: "Moscow" must never be linked to Moscow, Russia without a word."""
    from archive import vocab
    from archive.collection import Collection

    root = app.config["ARCHIVE_DATA"]
    result = runner(
        "ingest",
        str(batch / "speakers.txt"),
        "--metadata",
        str(manifest(batch, [row("speakers.txt", village="Moscow, Idaho")])),
    )
    assert result.exit_code == 1
    assert (
        'villages: "Moscow, Idaho" is not in the gazetteer: the places of that name it knows are Moscow, Russia '
        "(moscow); add the place you mean to the places vocabulary, or write the id of one of these"
    ) in result.stdout
    assert not (root / "interviews").exists() or not interviews(root)

    # A historian adds Idaho and its Moscow (as the places form does); now "Moscow" alone could mean either.
    collection = Collection(root)
    places = vocab.current(collection, "places")[1]
    idaho = {"label": {"en": "Idaho", "ru": "Айдахо"}, "type": "region", "country": "US"}
    vocab.save_entry(collection, "places", None, idaho, "historian", places)
    moscow = {"label": {"en": "Moscow", "ru": "Москва"}, "names": ["Moscow, ID"], "country": "US", "within": "idaho"}
    assert (
        vocab.save_entry(collection, "places", None, moscow, "historian", vocab.current(collection, "places")[1])["id"]
        == "moscow-2"
    )
    rows = [
        row("speakers.txt", village="Moscow, Idaho"),
        row("interview.vtt", village="Moscow"),
        row("interview.srt", village="moscow-2;Москва, Россия"),
    ]
    result = runner("ingest", str(batch), "--metadata", str(manifest(batch, rows)))
    assert (
        'interview.vtt: metadata: villages: "Moscow" could be several places: Moscow, Russia (moscow) / Moscow, Idaho '
        '(moscow-2); write the place id, or the name with what it lies in (for example "Moscow, Russia")'
    ) in result.stdout
    linked = {r["source"]["file"]: [v["place"] for v in r["villages"]] for r in interviews(root).values()}
    assert linked == {"speakers.txt": ["moscow-2"], "interview.srt": ["moscow-2", "moscow"]}


def test_a_place_outside_the_archives_countries_is_asked_about(runner, app, batch):
    """The countries a collection is about are a setting of the gazetteer: an archive of Idaho interviews lists US,
    and then Moscow, Russia is linked only when named by its id."""
    from archive import vocab
    from archive.collection import Collection

    collection = Collection(app.config["ARCHIVE_DATA"])
    data = vocab.load(collection, "places").data
    vocab.save(collection, "places", {**data, "countries": ["US"]}, "admin", "")
    rows = [row("speakers.txt", village="Москва", birthplace=""), row("interview.vtt", village="moscow", birthplace="")]
    result = runner(
        "ingest", str(batch / "speakers.txt"), str(batch / "interview.vtt"), "--metadata", str(manifest(batch, rows))
    )
    assert (
        'speakers.txt: metadata: villages: "Москва" is Moscow, Russia (moscow), outside the countries this archive is '
        "about (US): write its id moscow to link it, or add the place you mean to the places vocabulary"
    ) in result.stdout
    assert [[v["place"] for v in r["villages"]] for r in interviews(app.config["ARCHIVE_DATA"]).values()] == [
        ["moscow"]
    ]


def test_a_batch_is_indexed_in_commits_of_many_files_and_every_file_is_found(runner, app, batch, monkeypatch):
    """archive ingest indexes INGEST_INDEX_BATCH interviews per commit and the rest at its end: with a batch of three,
    four files make two commits (three, then the last one), and each file is found by search afterwards."""
    from archive import cli

    monkeypatch.setattr(cli, "INGEST_INDEX_BATCH", 3)
    index = app.extensions["search"]
    before = index.ix().latest_generation()
    rows = [row(name, title=f"Batch {name}") for name in ("speakers.txt", "interview.vtt", "interview.srt")]
    result = runner("ingest", str(batch), "--metadata", str(manifest(batch, [*rows, row("ohms-legacy.xml")])))
    assert result.exit_code == 0, result.output
    records = interviews(app.config["ARCHIVE_DATA"])
    assert len(records) == 4
    found = index.query("", None, None, page_size=100)  # every public interview, as anyone may list them
    assert {h.id for h in found.hits} == set(records)
    assert index.ix().latest_generation() - before == 2
