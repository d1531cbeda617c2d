"""Eight processes change one folder at once: every change is kept or refused, never lost to an overwrite."""

import json
import multiprocessing

import pytest

from archive.collection import Collection
from archive.errors import CollectionError, ConflictError

PROCESSES = 8
CHANGES = 200


def _writer(root, folder_id, n, out):
    collection = Collection(root, lock_timeout=120)
    stored, refused = [], []
    for i in range(CHANGES):
        change = f"{n}:{i}".encode()
        shared = collection.read("interviews", folder_id, "shared.txt").version
        own_name = f"own-{n}.txt"
        try:
            own = collection.read("interviews", folder_id, own_name).version
        except CollectionError:  # its first change creates it
            own = None
        try:
            collection.write(
                "interviews",
                folder_id,
                {"shared.txt": change, own_name: change},
                f"writer{n}",
                {"shared.txt": shared, own_name: own},
            )
        except ConflictError:
            refused.append(change.decode())
        else:
            stored.append(change.decode())
    with open(out, "w") as f:
        json.dump({"stored": stored, "refused": refused}, f)


def contents(folder, name):
    """Every version of a file that the folder keeps: the current one and all in history."""
    stem, suffix = name.rsplit(".", 1)
    kept = [p.read_text() for p in (folder / "history").glob(f"{stem}.*.{suffix}")]
    return kept + [(folder / name).read_text()]


@pytest.mark.slow
def test_eight_processes_two_hundred_changes_each(tmp_path, runner):
    collection = Collection(tmp_path)
    folder_id = collection.create("interviews", {"shared.txt": b"start"}, "setup")
    ctx = multiprocessing.get_context("fork")
    workers = [
        ctx.Process(target=_writer, args=(tmp_path, folder_id, n, tmp_path / f"result-{n}.json"))
        for n in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(600)
        assert w.exitcode == 0
    results = [json.loads((tmp_path / f"result-{n}.json").read_text()) for n in range(PROCESSES)]
    stored = {c for r in results for c in r["stored"]}
    refused = {c for r in results for c in r["refused"]}
    assert len(stored) + len(refused) == PROCESSES * CHANGES
    assert stored and refused, "with eight writers on one file some changes must collide"

    folder = tmp_path / "interviews" / folder_id
    shared = contents(folder, "shared.txt")
    assert sorted(shared) == sorted(stored | {"start"})  # each stored change exactly once, no refused one
    for n, result in enumerate(results):
        assert sorted(contents(folder, f"own-{n}.txt")) == sorted(result["stored"])
    assert list(collection.verify()) == []
    assert runner("verify").exit_code == 0
    print(f"\n{len(stored)} changes stored, {len(refused)} refused as conflicts")
