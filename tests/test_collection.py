"""The store of record: atomic multi-file writes, history, manifests, conflicts, and names that cannot escape."""

import hashlib
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from archive.collection import ID_ALPHABET, MANIFEST, Collection, is_valid_id
from archive.errors import CollectionError, ConflictError


def manifest_of(folder):
    lines = (folder / MANIFEST).read_text().splitlines()
    return {rel: digest for digest, rel in (line.split("  ", 1) for line in lines)}


def test_create_writes_files_manifest_and_author(collection, tmp_path):
    folder_id = collection.create("interviews", {"interview.json": b"{}", "original/t.txt": b"hello"}, "anna")
    folder = tmp_path / "interviews" / folder_id
    assert (folder / "original" / "t.txt").read_bytes() == b"hello"
    listed = manifest_of(folder)
    assert listed["original/t.txt"] == hashlib.sha256(b"hello").hexdigest()
    assert set(listed) == {"interview.json", "original/t.txt", "versions.json"}
    assert collection.last_change("interviews", folder_id, "interview.json")["author"] == "anna"
    assert list(collection.verify()) == []
    assert collection.ids("interviews") == [folder_id]


def test_identifiers_are_short_url_safe_and_distinct(collection):
    ids = {collection.create("media", {"item.json": b"{}"}, "anna") for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 8 and set(i) <= set(ID_ALPHABET) for i in ids)


def test_write_keeps_previous_version_with_author_and_time(collection, tmp_path):
    folder_id = collection.create("interviews", {"interview.json": b"first"}, "anna")
    stored = collection.read("interviews", folder_id, "interview.json")
    assert stored.version == hashlib.sha256(b"first").hexdigest()
    collection.write(
        "interviews", folder_id, {"interview.json": b"second"}, "boris", {"interview.json": stored.version}
    )
    assert collection.read("interviews", folder_id, "interview.json").data == b"second"
    [entry] = collection.history("interviews", folder_id, "interview.json")
    assert entry.author == "anna"
    assert (tmp_path / "interviews" / folder_id / entry.path).read_bytes() == b"first"
    assert entry.path.startswith("history/interview.") and entry.path.endswith(".anna.json")
    assert collection.last_change("interviews", folder_id, "interview.json")["author"] == "boris"
    assert list(collection.verify()) == []


def test_stale_version_is_refused_naming_who_changed_it(collection, tmp_path):
    folder_id = collection.create("interviews", {"interview.json": b"v1", "segments.json": b"s1"}, "anna")
    v1 = collection.read("interviews", folder_id, "interview.json").version
    collection.write("interviews", folder_id, {"interview.json": b"v2"}, "boris", {"interview.json": v1})
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    s1 = collection.read("interviews", folder_id, "segments.json").version
    with pytest.raises(ConflictError) as caught:
        collection.write(
            "interviews",
            folder_id,
            {"interview.json": b"v3", "segments.json": b"s3"},
            "vera",
            {"interview.json": v1, "segments.json": s1},
        )
    message = str(caught.value)
    assert f"interviews/{folder_id}/interview.json" in message and "boris" in message and "UTC" in message
    assert caught.value.author == "boris"
    # nothing of the refused write reached the disk, not even the file that was not stale
    assert collection.read("interviews", folder_id, "segments.json").data == b"s1"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before


def test_expecting_a_new_file_that_someone_else_created_is_a_conflict(collection):
    folder_id = collection.create("interviews", {"interview.json": b"{}"}, "anna")
    collection.write("interviews", folder_id, {"annotations.json": b"[1]"}, "boris", {"annotations.json": None})
    with pytest.raises(ConflictError, match="boris"):
        collection.write("interviews", folder_id, {"annotations.json": b"[2]"}, "vera", {"annotations.json": None})


def test_change_made_outside_the_archive_is_a_conflict_that_says_so(collection, tmp_path):
    folder_id = collection.create("interviews", {"interview.json": b"{}"}, "anna")
    version = collection.read("interviews", folder_id, "interview.json").version
    (tmp_path / "interviews" / folder_id / "interview.json").write_bytes(b'{"edited": "by hand"}')
    with pytest.raises(ConflictError, match="outside the archive"):
        collection.write("interviews", folder_id, {"interview.json": b"[]"}, "boris", {"interview.json": version})


def test_a_write_must_name_the_version_it_replaces(collection):
    folder_id = collection.create("interviews", {"interview.json": b"{}"}, "anna")
    with pytest.raises(CollectionError, match="which version of interview.json"):
        collection.write("interviews", folder_id, {"interview.json": b"[]"}, "boris", {})


def test_remove_keeps_the_last_version_in_history(collection):
    folder_id = collection.create("media", {"item.json": b"{}", "notes/old.jpg": b"jpeg"}, "anna")
    version = collection.read("media", folder_id, "notes/old.jpg").version
    collection.write("media", folder_id, {"notes/old.jpg": None}, "boris", {"notes/old.jpg": version})
    with pytest.raises(CollectionError, match="does not exist"):
        collection.read("media", folder_id, "notes/old.jpg")
    [entry] = collection.history("media", folder_id, "notes/old.jpg")
    assert entry.path.startswith("history/notes/old.")
    assert list(collection.verify()) == []


def test_content_can_be_streamed_from_a_file(collection, tmp_path):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    folder_id = collection.create("interviews", {"original/audio.mp3": source}, "anna")
    copy = collection.path("interviews", folder_id, "original/audio.mp3")
    assert copy.read_bytes() == source.read_bytes()
    assert list(collection.verify()) == []


@pytest.mark.parametrize(
    "name",
    [
        "../escape.txt",
        "a/../../b",
        ".hidden",
        "original/.x",
        "history/x.json",
        "manifest-sha256.txt",
        "versions.json",
        "",
        "a//b",
        "/etc/passwd",
        "name with spaces",
        "a/b/c/d/e",
        "x" * 200,
        "C:\\x",
    ],
)
def test_names_that_could_escape_or_clobber_are_refused(collection, name):
    folder_id = collection.create("interviews", {"interview.json": b"{}"}, "anna")
    with pytest.raises(CollectionError, match="accepts|kept by the archive"):
        collection.write("interviews", folder_id, {name: b"x"}, "anna", {name: None})


@pytest.mark.parametrize("folder_id", ["../../etc", "ABCDEFGH", "abc", "abcdefgh/..", "abcdefgi", None, 12345678])
def test_identifiers_from_outside_are_checked_before_becoming_paths(collection, folder_id):
    assert not is_valid_id(folder_id)
    with pytest.raises(CollectionError, match="not an identifier"):
        collection.read("interviews", folder_id, "interview.json")


def test_unknown_kind_is_refused(collection):
    with pytest.raises(CollectionError, match="not a kind of folder"):
        collection.create("secrets", {"a.txt": b"x"}, "anna")


def _hold_lock(path, ready, release):
    from filelock import FileLock

    with FileLock(path):
        ready.set()
        release.wait(10)


def test_a_busy_folder_is_refused_with_a_message_after_the_timeout(tmp_path):
    collection = Collection(tmp_path, lock_timeout=0.3)
    folder_id = collection.create("interviews", {"interview.json": b"{}"}, "anna")
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(tmp_path / "interviews" / folder_id / ".lock"), ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        version = collection.read("interviews", folder_id, "interview.json").version
        with pytest.raises(CollectionError, match="is busy"):
            collection.write("interviews", folder_id, {"interview.json": b"[]"}, "anna", {"interview.json": version})
    finally:
        release.set()
        holder.join(10)
    collection.write("interviews", folder_id, {"interview.json": b"[]"}, "anna", {"interview.json": version})


def test_abandoned_new_folder_is_reported_then_swept(collection, tmp_path):
    collection.create("interviews", {"interview.json": b"{}"}, "anna")
    abandoned = tmp_path / "interviews" / ".new-abcdefgh"
    abandoned.mkdir()
    (abandoned / "interview.json").write_bytes(b"half")
    old = time.time() - 3600
    os.utime(abandoned, (old, old))
    assert [str(p) for p in collection.verify()] == ["unfinished write: interviews/.new-abcdefgh"]
    collection.create("interviews", {"interview.json": b"{}"}, "anna")
    assert not abandoned.exists()
    assert list(collection.verify()) == []


def test_a_relative_data_root_works(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    relative = Collection(Path("."))
    folder_id = relative.create("interviews", {"a.txt": b"one"}, "anna")
    relative.write(
        "interviews",
        folder_id,
        {"a.txt": b"two"},
        "anna",
        {"a.txt": relative.read("interviews", folder_id, "a.txt").version},
    )
    relative.update("interviews", folder_id, ["a.txt"], lambda current: {"a.txt": current["a.txt"] + b"!"}, "anna")
    assert relative.read("interviews", folder_id, "a.txt").data == b"two!"
    assert list(relative.verify()) == []
