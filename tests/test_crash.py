"""A writer killed with SIGKILL at random moments never leaves a truncated file, and the next write repairs all."""

import hashlib
import multiprocessing
import os
import random
import signal
import time

import pytest

from archive.collection import Collection

KILLS = 50


def make(name: str, generation: int) -> bytes:
    """Content that proves itself whole: a body of varying size followed by the digest of that body."""
    body = f"{name} {generation}\n".encode() + f"{generation:08d}".encode() * random.randint(1_000, 40_000)
    return body + b"\n" + hashlib.sha256(body).hexdigest().encode()


def whole(data: bytes) -> int | None:
    """Return the generation of complete content, or None if it is truncated or mixed."""
    body, _, digest = data.rpartition(b"\n")
    if hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    return int(body.split(b"\n", 1)[0].split()[1])


def _write_forever(root, folder_id):
    collection = Collection(root)
    while True:
        a = collection.read("interviews", folder_id, "a.txt")
        b = collection.read("interviews", folder_id, "b.txt")
        generation = whole(a.data) + 1
        collection.write(
            "interviews",
            folder_id,
            {"a.txt": make("a", generation), "b.txt": make("b", generation)},
            "writer",
            {"a.txt": a.version, "b.txt": b.version},
        )


@pytest.mark.slow
def test_kill_a_writer_fifty_times(tmp_path):
    collection = Collection(tmp_path)
    folder_id = collection.create("interviews", {"a.txt": make("a", 0), "b.txt": make("b", 0)}, "setup")
    folder = tmp_path / "interviews" / folder_id
    ctx = multiprocessing.get_context("fork")
    rng = random.Random(1937)
    seen = {"journal left": 0, "temporary files left": 0, "files of two generations": 0}
    last_generation = 0
    for kill in range(KILLS):
        writer = ctx.Process(target=_write_forever, args=(tmp_path, folder_id))
        writer.start()
        time.sleep(rng.uniform(0.002, 0.12))
        os.kill(writer.pid, signal.SIGKILL)
        writer.join(10)
        assert writer.exitcode == -signal.SIGKILL

        # Right after the kill: every file the folder shows is some whole version, never a torn one.
        for path in folder.rglob("*.txt"):
            if path.name.startswith(("a.", "b.")):  # current and history versions of the writer's files
                assert whole(path.read_bytes()) is not None, f"kill {kill}: {path.name} is truncated"
        # ... and checking names only what the kill cut off, not the files its journal will still put in place.
        assert {p.kind for p in collection.verify()} <= {"unfinished write"}, f"kill {kill}"
        generations = {whole((folder / n).read_bytes()) for n in ("a.txt", "b.txt")}
        seen["journal left"] += (folder / ".journal").exists()
        seen["temporary files left"] += any(p.name.startswith(".tmp-") for p in folder.rglob("*"))
        seen["files of two generations"] += len(generations) > 1

        # The next write finishes or sweeps what the killed one left; then the folder verifies clean.
        c = collection.read("interviews", folder_id, "c.txt").version if (folder / "c.txt").exists() else None
        collection.write("interviews", folder_id, {"c.txt": str(kill).encode()}, "tester", {"c.txt": c})
        generation = {whole((folder / n).read_bytes()) for n in ("a.txt", "b.txt")}
        assert len(generation) == 1, f"kill {kill}: a.txt and b.txt come from different writes"
        assert min(generation) >= last_generation
        last_generation = min(generation)
        assert [str(p) for p in collection.verify()] == [], f"kill {kill}"
        assert not any(p.name.startswith(".tmp-") or p.name == ".journal" for p in folder.rglob("*"))
    print(f"\n{KILLS} kills, {last_generation} writes completed; after a kill: {seen}")
