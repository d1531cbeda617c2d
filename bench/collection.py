"""Measure the store of record: writes per second (one writer, then several processes on one folder) and verify speed.

Run by hand: .venv/bin/python bench/collection.py [--writes N] [--processes P] [--megabytes M]
"""

import argparse
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

from archive.collection import Collection
from archive.errors import ConflictError


def _writer(root: Path, folder_id: str, n: int, writes: int, results) -> None:
    collection = Collection(root, lock_timeout=600)
    stored = refused = 0
    for i in range(writes):
        name = f"own-{n}.json"
        current = (
            collection.read("interviews", folder_id, name).version
            if (root / "interviews" / folder_id / name).exists()
            else None
        )
        try:
            collection.write("interviews", folder_id, {name: b'{"n": %d}' % i}, f"bench{n}", {name: current})
            stored += 1
        except ConflictError:
            refused += 1
    results.put((stored, refused))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=500, help="writes per writer")
    parser.add_argument("--processes", type=int, default=4, help="concurrent writer processes")
    parser.add_argument("--megabytes", type=int, default=200, help="size of the data verify reads")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        root = Path(tmp)
        collection = Collection(root)
        folder_id = collection.create("interviews", {"interview.json": b"{}"}, "bench")

        start = time.perf_counter()
        version = collection.read("interviews", folder_id, "interview.json").version
        for i in range(args.writes):
            version = collection.write(
                "interviews", folder_id, {"interview.json": b'{"n": %d}' % i}, "bench", {"interview.json": version}
            )["interview.json"]
        elapsed = time.perf_counter() - start
        print(
            f"one writer:      {args.writes} writes in {elapsed:.2f} s = {args.writes / elapsed:.0f} writes/s "
            f"({1000 * elapsed / args.writes:.2f} ms each, history of {args.writes} versions)"
        )

        ctx = multiprocessing.get_context("fork")
        results = ctx.Queue()
        procs = [
            ctx.Process(target=_writer, args=(root, folder_id, n, args.writes, results)) for n in range(args.processes)
        ]
        start = time.perf_counter()
        for p in procs:
            p.start()
        totals = [results.get() for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - start
        stored = sum(s for s, _ in totals)
        print(
            f"{args.processes} processes:    {stored} writes in {elapsed:.2f} s = {stored / elapsed:.0f} writes/s "
            f"to one folder (serialised by its lock)"
        )

        block = os.urandom(1 << 20)
        big = root / "big.bin"
        with open(big, "wb") as f:
            for _ in range(args.megabytes):
                f.write(block)
        collection.create("interviews", {"original/audio.wav": big}, "bench")
        big.unlink()
        start = time.perf_counter()
        problems = list(collection.verify())
        elapsed = time.perf_counter() - start
        print(
            f"verify:          {args.megabytes} MB and {len(list((root / 'interviews').rglob('*')))} paths "
            f"in {elapsed:.2f} s = {args.megabytes / elapsed:.0f} MB/s, {len(problems)} problems"
        )


if __name__ == "__main__":
    main()
