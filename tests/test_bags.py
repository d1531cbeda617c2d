"""Bags of records (BagIt): one record, a set or the whole collection made by one function of backup.py, and
`archive import-bag`, which checks a bag fully before taking anything in and leaves nothing half-written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import jpeg, wav

from archive import annotations, audit, backup, create_app, history, interviews
from archive.cli import cli
from archive.ingest import Ingester
from archive.vocab import gazetteer


def make_app(root: Path):
    return create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})


def archive(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--data", str(root), *args])


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file of a record folder as kept (derived copies and locks aside), by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and "derived" not in p.relative_to(folder).parts and not p.name.startswith(".")
    }


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """An archive of two interviews (one with an annotation: a second version, so a history) and an item; a bag of
    the annotated interview and the item made by `archive export bag`."""
    root = tmp_path_factory.mktemp("source")
    app = make_app(root)
    collection, services = app.extensions["collection"], app.extensions["services"]
    ingester = Ingester(collection, gazetteer(collection), "anna", 2**20, app.extensions["indexer"])
    made = []
    for word in ("Quillowby", "Other"):
        outcome = ingester.ingest(
            f"[00:00:01] Anna: We came to Ushtobe. {word} said so.".encode(),
            f"{word}.txt",
            {"title": f"Testimony {word}", "access": "public", "collection": "Bags"},
            wav(),
            "a.wav",
        )
        assert outcome.status == "ingested", outcome.reason
        made.append(outcome.interview_id)
    text = interviews.transcript_text(interviews.segments(collection, made[0]))[0]
    start = text.index("Quillowby")
    services.annotations.create(made[0], start, start + 9, annotations.bodies(collection, {}, [], "A name"), "boris")
    item = services.media.ingester("anna").ingest(
        jpeg("red", (40, 30)), "p.jpg", {"title": "Photo", "access": "public"}
    )
    assert item.status == "ingested", item.reason
    bag = root.parent / "two-records"
    done = archive(root, "export", "bag", made[0], f"media/{item.interview_id}", "--out", str(bag))
    assert done.exit_code == 0, done.output
    return root, bag, made, item.interview_id


def test_two_records_go_to_an_empty_archive_whole_with_their_history_and_are_found(source, tmp_path):
    root, bag, made, item_id = source
    info = backup._bag_info(bag)
    assert info[backup.SCOPE] == backup.RECORDS
    assert sorted(info[backup.LISTED].split()) == sorted([f"interviews/{made[0]}", f"media/{item_id}"])
    assert not (bag / "data" / "instance").exists() and not (bag / "data" / "interviews" / made[1]).exists()
    lines = [json.loads(line) for line in (bag / "data" / "audit" / "log.jsonl").read_text().splitlines()]
    assert lines and {line["record"] for line in lines} == {f"interviews/{made[0]}", f"media/{item_id}"}

    target = tmp_path / "empty"
    done = archive(target, "import-bag", str(bag), "--author", "clara")
    assert done.exit_code == 0, done.output
    for ref in (f"interviews/{made[0]}", f"media/{item_id}"):
        assert files_of(target / ref) == files_of(root / ref), ref  # byte for byte, history/ and manifest included
    app = make_app(target)
    collection = app.extensions["collection"]
    assert list(collection.verify()) == []
    before = history.versions(make_app(root).extensions["collection"], "interviews", made[0])
    after = history.versions(collection, "interviews", made[0])
    assert [(v.author, v.action) for v in after] == [(v.author, v.action) for v in before]
    assert [v.author for v in after] == ["anna", "boris"]
    logged = [e for e in audit.entries(target) if e.action == backup.IMPORTED]
    assert sorted(e.record for e in logged) == sorted([f"interviews/{made[0]}", f"media/{item_id}"])
    assert {e.author for e in logged} == {"clara"}
    found = app.extensions["search"].query("Quillowby", None, None)
    assert [h.id for h in found.hits] == [made[0]]

    again = archive(target, "import-bag", str(bag))  # the ids are there now: refused, nothing changed
    assert again.exit_code != 0 and f"interviews/{made[0]}" in again.output and "already has" in again.output
    assert len([e for e in audit.entries(target) if e.action == backup.IMPORTED]) == 2


@pytest.mark.parametrize("harm", ["byte", "extra", "listed"])
def test_a_tampered_bag_is_refused_by_name_and_nothing_is_written(source, tmp_path, harm):
    _, bag, made, _ = source
    copy = tmp_path / "bag"
    shutil.copytree(bag, copy)
    if harm == "byte":
        changed = copy / "data" / "interviews" / made[0] / "segments.json"
        data = bytearray(changed.read_bytes())
        data[5] ^= 1
        changed.write_bytes(bytes(data))
        named = f"data/interviews/{made[0]}/segments.json"
    elif harm == "extra":
        (copy / "data" / "interviews" / made[0] / "note.txt").write_text("slipped in")
        named = f"data/interviews/{made[0]}/note.txt"
    else:  # our bag-info field no longer matches what the bag holds (its tag manifest made anew to pass bagit)
        info = (copy / "bag-info.txt").read_text().replace(f"interviews/{made[0]}", f"interviews/{made[1]}")
        (copy / "bag-info.txt").write_text(info)
        import bagit

        bagit.Bag(str(copy)).save()
        named = backup.LISTED
    target = tmp_path / "target"
    done = archive(target, "import-bag", str(copy))
    assert done.exit_code != 0 and named in done.output, done.output
    assert not any((target / kind).is_dir() and any((target / kind).iterdir()) for kind in ("interviews", "media"))
    assert not (target / "audit" / "log.jsonl").exists()


def test_one_function_makes_a_bag_of_one_record_a_filtered_set_or_the_whole_collection(source, tmp_path):
    root, _, made, item_id = source
    app = make_app(root)
    collection, backups = app.extensions["collection"], app.extensions["services"].backups
    one = backups.export_bag(tmp_path / "one", [made[1]])
    assert backup.records_in(one) == [f"interviews/{made[1]}"]
    chosen = backup.selected(collection, where={"collection": "Bags"})
    assert chosen == sorted(f"interviews/{i}" for i in made)
    whole = backups.backup(tmp_path / "backups")
    assert backup._bag_info(whole)[backup.SCOPE] == backup.WHOLE
    with pytest.raises(backup.BackupError) as refused:
        backup.records_in(whole)
    assert refused.value.code == "not_records"
    with pytest.raises(backup.BackupError) as refused:
        backups.export_bag(tmp_path / "none", ["zzzzzzzz"])
    assert refused.value.code == "no_record"
    with pytest.raises(backup.BackupError) as refused:
        backup.restore(one, tmp_path / "restored")
    assert refused.value.code == "not_whole"


def test_an_import_that_fails_part_way_leaves_no_record_behind(source, tmp_path):
    _, bag, made, _ = source
    target = tmp_path / "target"
    target.mkdir()
    (target / "media").write_text("not a folder")  # the item cannot be placed, after the interview was staged
    app = make_app(target)
    with pytest.raises(OSError):
        backup.take_in(app.extensions["collection"], bag, "clara")
    assert [p.name for p in (target / "interviews").iterdir()] == []
    assert not (target / "audit" / "log.jsonl").exists()
