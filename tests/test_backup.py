"""Backups as BagIt bags made while writers write, their full check and restore into an empty data root, the
backup job started by an admin from /jobs/, and the migration of records written in an older schema."""

import json
import threading
from pathlib import Path

import bagit
import pytest
from conftest import csrf_token

from archive import access, audit, backup, create_app, interviews, migrations, recordings
from archive.backup import BackupError
from archive.collection import Collection
from archive.metadata import MetadataError


def new_app(root: Path):
    return create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})


def public_interview(collection) -> str:
    return next(
        i
        for i in collection.ids("interviews")
        if collection.read("interviews", i, "interview.json").json()["access"] == "public"
    )


def write_while(app, interview_id: str, stop: threading.Event, errors: list, who: int, started) -> None:
    """Keep writing through the services until told to stop: even writers edit the description, odd ones annotate.
    `started` is set once this writer has written."""
    services = app.extensions["services"]
    n = 0
    try:
        with app.app_context():
            while not stop.is_set():
                if n:
                    started.set()
                n += 1
                if who % 2:
                    body = services.annotations.bodies({}, [f"writer{who}"], f"note {n} of writer {who}")
                    services.annotations.create(interview_id, 0, 4, body, f"writer{who}")
                else:
                    stored = interviews.load(services.collection, interview_id)
                    record = {**stored.record, "description": f"edit {n} by writer {who}"}
                    try:
                        services.interviews.edit(interview_id, record, f"writer{who}", stored.version)
                    except Exception as error:  # a stale version (the other editor was first) is expected
                        if type(error).__name__ != "ConflictError":
                            raise
    except Exception as error:  # noqa: BLE001 - the test fails on any error a writer met
        errors.append(error)


def test_a_backup_made_while_four_writers_write_validates_restores_and_verifies_clean(app, sample_collection, tmp_path):
    with app.app_context():
        from archive import accounts

        accounts.add_user("keeper", "admin", "a long enough password")
    services = app.extensions["services"]
    targets = sample_collection.ids("interviews")[:2]
    stop, errors = threading.Event(), []
    started = [threading.Event() for _ in range(4)]
    writers = [
        threading.Thread(target=write_while, args=(app, targets[who // 2], stop, errors, who, started[who]))
        for who in range(4)
    ]
    for writer in writers:
        writer.start()
    seen = []
    try:
        for writer, has_written in zip(writers, started, strict=True):
            while not has_written.wait(0.05) and writer.is_alive():
                pass  # every writer is writing before the backup begins
        lines_before = len(list(audit.entries(sample_collection.root)))
        made = services.backups.backup(tmp_path / "bags", progress=lambda done, total: seen.append((done, total)))
        lines_during = len(list(audit.entries(sample_collection.root))) - lines_before
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    assert not errors
    assert lines_during > 0  # the writers did write while the bag was being made
    assert made.parent == tmp_path / "bags" and made.name.startswith("archive-")
    assert seen[-1][0] == seen[-1][1]
    bag = bagit.Bag(str(made))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["Source-Organization"]
    assert bag.info["Archive-Interviews"] == str(len(sample_collection.ids("interviews")))
    payload = made / "data"
    assert not (payload / "index").exists() and not list(payload.glob("*/*/derived"))
    assert not list(payload.glob("*/*/.lock"))
    assert (payload / "audit" / "log.jsonl").is_file() and (payload / "instance" / "accounts.sqlite3").is_file()
    assert [p.name for p in (tmp_path / "bags").iterdir()] == [made.name]  # no unfinished bag left beside it

    root = tmp_path / "restored"
    fresh = new_app(root)
    counts = fresh.extensions["services"].backups.restore(made)
    assert counts["interviews"] == len(sample_collection.ids("interviews"))
    restored = Collection(root)
    assert list(restored.verify()) == []
    assert restored.ids("media") == sample_collection.ids("media")
    hits = fresh.extensions["search"].query("Ushtobe", None, access.Reader(), page_size=100)
    assert hits.total >= 1
    with fresh.app_context():
        from archive import accounts

        assert accounts.get_user("keeper").role == "admin"
    assert list(audit.entries(root))  # the log came too


def make_bag(app, tmp_path) -> Path:
    return app.extensions["services"].backups.backup(tmp_path / "bags")


def damage_a_byte(bag: Path) -> str:
    target = next(p for p in sorted((bag / "data" / "interviews").rglob("segments.json")))
    data = bytearray(target.read_bytes())
    data[10] ^= 0x01
    target.write_bytes(bytes(data))
    return target.relative_to(bag).as_posix()


def remove_a_file(bag: Path) -> str:
    target = next(p for p in sorted((bag / "data" / "media").rglob("item.json")))
    target.unlink()
    return target.relative_to(bag).as_posix()


def change_a_manifest_line(bag: Path) -> str:
    manifest = bag / "manifest-sha256.txt"
    lines = manifest.read_text("utf-8").splitlines()
    digest, _, path = lines[0].partition(" ")
    lines[0] = ("0" if digest[0] != "0" else "1") + digest[1:] + " " + path
    manifest.write_text("\n".join(lines) + "\n", "utf-8")
    return path.strip()  # the file whose line no longer matches it


@pytest.mark.parametrize("damage", [damage_a_byte, remove_a_file, change_a_manifest_line])
def test_a_damaged_bag_is_refused_naming_the_file_and_nothing_is_written(app, sample_collection, tmp_path, damage):
    made = make_bag(app, tmp_path)
    named = damage(made)
    root = tmp_path / "restored"
    with pytest.raises(BackupError) as refused:
        backup.restore(made, root)
    assert named in str(refused.value)
    assert not root.exists()


def test_a_folder_that_fails_its_own_manifest_is_refused_even_in_a_bag_that_checks(app, sample_collection, tmp_path):
    """A bag made again over a damaged copy passes bagit's check; the record folder's own manifest still fails."""
    made = make_bag(app, tmp_path)
    named = damage_a_byte(made)
    bag = bagit.Bag(str(made))
    bag.save(manifests=True)  # the bag's manifests now agree with the damaged file
    bag.validate()
    root = tmp_path / "restored"
    with pytest.raises(BackupError) as refused:
        backup.restore(made, root)
    assert named.removeprefix("data/") in str(refused.value) and refused.value.code == "bad_folder"
    assert not root.exists()


def test_restore_over_a_collection_is_refused_and_changes_nothing(app, sample_collection, tmp_path):
    made = make_bag(app, tmp_path)
    before = sorted(p.relative_to(sample_collection.root) for p in sample_collection.root.rglob("*"))
    with pytest.raises(BackupError) as refused:
        app.extensions["services"].backups.restore(made)
    assert refused.value.code == "not_empty"
    assert sorted(p.relative_to(sample_collection.root) for p in sample_collection.root.rglob("*")) == before


def test_the_command_line_backs_up_and_restores_into_a_new_folder(app, sample_collection, runner, tmp_path):
    made = runner("backup", str(tmp_path / "bags"))
    assert made.exit_code == 0, made.output
    bag = next((tmp_path / "bags").iterdir())
    assert bag.name in made.output
    into = tmp_path / "elsewhere"
    restored = runner("restore", str(bag), "--into", str(into))
    assert restored.exit_code == 0, restored.output
    assert Collection(into).ids("interviews") == sample_collection.ids("interviews")
    again = runner("restore", str(bag), "--into", str(into))
    assert again.exit_code == 1 and "already holds a collection" in again.output
    damage_a_byte(bag)
    refused = runner("restore", str(bag), "--into", str(tmp_path / "third"))
    assert refused.exit_code == 1 and "segments.json" in refused.output
    assert not (tmp_path / "third").exists()


def test_the_backup_job_is_started_by_an_admin_only_and_ends_with_a_bag(app, sample_collection, client, auth):
    folder = app.config["ARCHIVE_DATA"] / "backups"  # ARCHIVE_BACKUP_DIR's default, under the data root
    page = client.get("/jobs/")
    assert page.status_code in (302, 401, 403)
    assert client.post("/jobs/backup").status_code in (302, 400, 401, 403)
    auth.login("historian")
    page = client.get("/jobs/")
    assert "jobs/backup" not in page.get_data(as_text=True)
    assert client.post("/jobs/backup", data={"csrf_token": csrf_token(page)}).status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/jobs/")
    assert "jobs/backup" in page.get_data(as_text=True)
    asked = client.post("/jobs/backup", data={"csrf_token": csrf_token(page)})
    assert asked.status_code == 302
    assert not folder.exists()  # queued, not made by the request
    ran = app.extensions["jobs"].run_pending()
    assert [(job.kind, job.state) for job in ran] == [("backup", "done")]
    bags = list(folder.iterdir())
    assert len(bags) == 1
    bagit.Bag(str(bags[0])).validate()
    listed = client.get("/jobs/").get_data(as_text=True)
    title = listed[listed.index("<title>") : listed.index("</title>")]
    assert "backup" not in title.lower() and listed.count('id="backups"') == 1
    assert f"<tr><td>{bags[0].name}</td>" in listed


def legacy_record(app, collection) -> str:
    """An interview as the first ingests wrote it: schema 1 with one `audio`, its file kept in original/."""
    from factories import wav

    from archive.ingest import Ingester
    from archive.vocab import gazetteer

    vtt = b"WEBVTT\n\n00:00.000 --> 00:02.000\nWe left the village in autumn.\n"
    outcome = Ingester(collection, gazetteer(collection), "t", 2**20).ingest(
        vtt, "old.vtt", {"title": "An old record", "access": "public"}, wav(), "old.wav"
    )
    assert outcome.status == "ingested", outcome
    interview_id = outcome.interview_id
    stored = collection.read("interviews", interview_id, "interview.json")
    record = stored.json()
    part = record.pop("recordings")[0]
    record["schema"] = 1
    record["audio"] = {"file": "old.wav", "original": part["original"], "type": part["type"]}
    collection.write(
        "interviews",
        interview_id,
        {"interview.json": json.dumps(record, indent=1).encode()},
        "old-archive",
        {"interview.json": stored.version},
    )
    return interview_id


def test_migrate_upgrades_a_schema_1_record_keeping_the_old_version_and_its_parts(app, runner):
    collection = app.extensions["collection"]
    interview_id = legacy_record(app, collection)
    before = collection.read("interviews", interview_id, "interview.json")
    parts_before = recordings.parts(before.json())

    dry = runner("migrate", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"interviews/{interview_id}\twould migrate: schema 1 to 2" in dry.output
    assert collection.read("interviews", interview_id, "interview.json").version == before.version

    done = runner("migrate", "--author", "keeper")
    assert done.exit_code == 0, done.output
    after = collection.read("interviews", interview_id, "interview.json").json()
    assert after["schema"] == metadata_schema() == 2
    assert "audio" not in after and recordings.parts(after) == parts_before
    kept = collection.history("interviews", interview_id, "interview.json")
    assert json.loads((collection.folder("interviews", interview_id) / kept[-1].path).read_bytes()) == before.json()
    last = [e for e in audit.entries(collection.root) if e.record == f"interviews/{interview_id}"][-1]
    assert (last.action, last.author) == ("migrated", "keeper")
    assert list(collection.verify()) == []
    page = app.test_client().get(f"/interviews/{interview_id}")
    assert page.status_code == 200 and f"/interviews/{interview_id}/recordings/1" in page.get_data(as_text=True)
    again = runner("migrate")
    assert again.exit_code == 0 and "0 records upgraded" in again.output


def metadata_schema() -> int:
    from archive import metadata

    return metadata.SCHEMA


def test_a_record_of_a_newer_schema_is_refused_clearly_left_alone_and_still_shown(app, runner, client, auth):
    collection = app.extensions["collection"]
    interview_id = legacy_record(app, collection)
    stored = collection.read("interviews", interview_id, "interview.json")
    record = {**stored.json(), "schema": 99}
    collection.write(
        "interviews",
        interview_id,
        {"interview.json": json.dumps(record).encode()},
        "future",
        {"interview.json": stored.version},
    )
    version = collection.read("interviews", interview_id, "interview.json").version
    refused = runner("migrate")
    assert refused.exit_code == 1
    assert "follows schema 99, newer than this archive's 2" in refused.output
    assert collection.read("interviews", interview_id, "interview.json").version == version
    with pytest.raises(migrations.SchemaError):
        migrations.upgrade("interviews", record)
    auth.login("historian")
    assert client.get(f"/interviews/{interview_id}").status_code == 200
    with app.app_context(), pytest.raises(MetadataError) as not_edited:  # fields it may hold are unknown here
        app.extensions["services"].interviews.edit(interview_id, {**record, "title": "Renamed"}, "hist", version)
    assert "follows schema 99, newer than this archive's 2" in str(not_edited.value)
    assert collection.read("interviews", interview_id, "interview.json").version == version


def test_an_edit_keeps_the_schema_a_record_was_written_in(app):
    collection = app.extensions["collection"]
    interview_id = legacy_record(app, collection)
    stored = interviews.load(collection, interview_id)
    with app.app_context():
        edited = app.extensions["services"].interviews.edit(
            interview_id, {**stored.record, "schema": 2, "title": "Renamed"}, "hist", stored.version
        )
    assert edited.record["schema"] == 1 and "audio" in edited.record  # still for `archive migrate` to upgrade


def test_new_records_are_written_in_the_current_schema(app):
    collection = app.extensions["collection"]
    from archive.ingest import Ingester
    from archive.vocab import gazetteer

    outcome = Ingester(collection, gazetteer(collection), "t", 2**20).ingest(
        b"WEBVTT\n\n00:00.000 --> 00:02.000\nHello.\n", "new.vtt", {"title": "New", "access": "public"}
    )
    assert collection.read("interviews", outcome.interview_id, "interview.json").json()["schema"] == 2


def test_a_cancelled_backup_leaves_nothing_and_a_dead_ones_leftovers_are_swept(app, sample_collection, tmp_path):
    dest = tmp_path / "bags"
    dest.mkdir()
    leftover = dest / ".partial-archive-20260101T000000.000000Z.999999999"  # its process is long gone
    (leftover / "data").mkdir(parents=True)
    with pytest.raises(backup.Cancelled):
        app.extensions["services"].backups.backup(dest, cancelled=lambda: True)
    assert list(dest.iterdir()) == []
    made = app.extensions["services"].backups.backup(dest)
    assert [p.name for p in dest.iterdir()] == [made.name]


def test_a_media_item_of_a_newer_schema_is_refused_and_current_ones_are_left_alone(app, sample_collection, runner):
    item_id = sample_collection.ids("media")[0]
    stored = sample_collection.read("media", item_id, "item.json")
    sample_collection.write(
        "media",
        item_id,
        {"item.json": json.dumps({**stored.json(), "schema": 7}).encode()},
        "future",
        {"item.json": stored.version},
    )
    refused = runner("migrate", "--dry-run")
    assert refused.exit_code == 1
    assert f"media/{item_id}\trefused: it follows schema 7, newer than this archive's 1" in refused.output
    assert f"media/{sample_collection.ids('media')[1]}" not in refused.output  # current items: nothing to say


def test_a_bag_is_never_made_inside_the_collection(app, sample_collection):
    inside = sample_collection.root / "interviews" / "bags"
    with pytest.raises(BackupError) as refused:
        app.extensions["services"].backups.backup(inside)
    assert refused.value.code == "inside" and not inside.exists()


def test_an_empty_collection_is_refused_clearly_and_leaves_nothing(app, tmp_path):
    dest = tmp_path / "bags"
    with pytest.raises(BackupError) as refused:
        app.extensions["services"].backups.backup(dest)
    assert refused.value.code == "empty" and "nothing to back up" in str(refused.value)
    assert list(dest.iterdir()) == []
