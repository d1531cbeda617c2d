"""Measure a backup: the bench corpus of bench/search.py (N generated interviews of about 8,000 words each) bagged
by archive/backup.py, then the bag restored into an empty data root (checked fully first) and its index rebuilt.

Run by hand: .venv/bin/python bench/backup.py [--interviews 1000]
Prints the corpus size, the backup's time, the bag's size and the backup's peak memory, then the restore's time (the
full check and the copy, and apart the rebuild of the index) and its peak memory. Each phase runs in its own
process so that peak memory is that phase's alone.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import generate  # noqa: E402 - the same corpus as the search benchmark


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _backup(root: Path, dest: Path, results) -> None:
    from archive import create_app

    app = create_app({"ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False, "INDEX_REPAIR_IN_BACKGROUND": False})
    started = time.perf_counter()
    made = app.extensions["services"].backups.backup(dest)
    results.put((time.perf_counter() - started, str(made), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def _restore(bag: Path, root: Path, results) -> None:
    from archive import create_app

    app = create_app({"ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False, "INDEX_REPAIR_IN_BACKGROUND": False})
    from archive import backup

    started = time.perf_counter()
    backup.restore(bag, root)  # what services.backups.restore does before it rebuilds the index, timed apart
    copied = time.perf_counter()
    app.extensions["indexer"].rebuild()
    ended = time.perf_counter()
    results.put((copied - started, ended - copied, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def phase(target, *args):
    results = multiprocessing.Queue()
    process = multiprocessing.Process(target=target, args=(*args, results))
    process.start()
    got = results.get()
    process.join()
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, dest, restored = Path(tmp) / "data", Path(tmp) / "bags", Path(tmp) / "restored"
        started = time.perf_counter()
        generate(root, args.interviews)
        corpus = folder_bytes(root)
        made = time.perf_counter() - started
        print(f"corpus: {args.interviews} interviews, {corpus / 2**20:.1f} MB, made in {made:.1f} s")
        seconds, bag, peak = phase(_backup, root, dest)
        size = folder_bytes(Path(bag))
        print(
            f"backup: {seconds:.1f} s, {corpus / 2**20 / seconds:.1f} MB/s, bag {size / 2**20:.1f} MB,"
            f" peak memory {peak / 1024:.0f} MB"
        )
        seconds, indexing, peak = phase(_restore, Path(bag), restored)
        print(
            f"restore: full check and copy {seconds:.1f} s, then the index rebuilt {indexing:.1f} s,"
            f" peak memory {peak / 1024:.0f} MB"
        )


if __name__ == "__main__":
    main()
