"""Measure the CSV round trip: export of every record, the import's dry run, and an import that changes some rows.

Run by hand: .venv/bin/python bench/spreadsheets.py --records 10000
Generates that many records in a temporary data root (four interviews to each item; names, surnames and villages in
Russian, English and Korean from the same word lists as bench/search.py, with a short transcript each), builds the
search index, then runs each phase in a fresh process (so that its peak memory is its own) and prints its time, the
peak of Python's allocations (tracemalloc) and the process's peak resident size:
  export   the whole sheet written to a file;
  dry run  the unchanged sheet read back (every row checked through the validator: nothing would change);
  apply    the sheet with one row in ten given a new title, planned and written (each record edited, its history
           kept and its search document made again).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import multiprocessing
import random
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

# bench/search.py, whose word lists are reused, is loaded by path.
HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_search", HERE / "search.py")
_search = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_search)
SURNAMES, VILLAGE_IDS, VILLAGES, WORDS = _search.SURNAMES, _search.VILLAGE_IDS, _search.VILLAGES, _search.WORDS


def generate(root: Path, n: int, seed: int = 1937) -> None:
    """Write N records (4 interviews to 1 item) through the collection."""
    from archive.collection import Collection

    rng = random.Random(seed)
    collection = Collection(root)
    for i in range(n):
        lang = rng.choice(["ru", "ru", "en", "ko"])
        villages = rng.sample(VILLAGE_IDS, 2)
        if i % 5 == 4:
            item = {
                "schema": 1,
                "title": f"Generated photograph {i}; {rng.choice(VILLAGES[lang])}",
                "kind": "photograph",
                "caption": " ".join(rng.choice(WORDS[lang]) for _ in range(12)),
                "date": f"19{rng.randint(30, 99)}",
                "surnames": [rng.choice(SURNAMES["en"])],
                "places": [{"name": v.title(), "place": v} for v in villages],
                "access": rng.choice(["public"] * 4 + ["staff"]),
            }
            collection.create("media", {"item.json": json.dumps(item, ensure_ascii=False).encode()}, "bench")
            continue
        text = " ".join(rng.choice(WORDS[lang]) for _ in range(60))
        record = {
            "schema": 1,
            "title": f'Generated interview {i}: "{rng.choice(VILLAGES[lang])}"',
            "collection": "Bench",
            "description": " ".join(rng.choice(WORDS[lang]) for _ in range(30)) + "\n" + text[:80].strip(),
            "access": rng.choice(["public"] * 4 + ["staff"]),
            "narrators": [
                {"name": f"{rng.choice(SURNAMES['ru'])} Анна", "other_forms": [f"{rng.choice(SURNAMES['ko'])} 안나"]}
            ],
            "interviewers": ["Helen Nam"],
            "villages": [{"name": v.title(), "place": v} for v in villages],
            "date": f"19{rng.randint(90, 99)}",
            "surnames": [rng.choice(SURNAMES["en"]), rng.choice(SURNAMES["ru"])],
            "keywords": ["deportation 1937", "rice; millet"],
            "languages": [lang],
            "duration": rng.randint(600, 7200),
            "source": {"sha256": f"{i:064d}"},
        }
        segments = [{"n": 1, "start": 0.0, "end": 20.0, "speaker": "A", "text": text, "lang": lang}]
        collection.create(
            "interviews",
            {
                "interview.json": json.dumps(record, ensure_ascii=False).encode(),
                "segments.json": json.dumps(segments, ensure_ascii=False).encode(),
            },
            "bench",
        )


def _app(root: Path):
    from archive import create_app

    return create_app({"ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})


def index(root: Path, out) -> None:
    from archive.services import services

    with _app(root).app_context():
        services().rebuild_index()
    out.put({})


def export(root: Path, out) -> None:
    from archive.services import services

    app = _app(root)
    tracemalloc.start()
    start = time.perf_counter()
    with app.app_context(), open(root / "sheet.csv", "w", encoding="utf-8", newline="") as f:
        rows = services().spreadsheets.export(f)
    out.put(_measured(start, rows=rows, mb=(root / "sheet.csv").stat().st_size / 2**20))


def dry_run(root: Path, out) -> None:
    from archive.services import services

    app = _app(root)
    tracemalloc.start()
    start = time.perf_counter()
    with app.app_context():
        plan = services().spreadsheets.plan_import(root / "sheet.csv")
    out.put(_measured(start, rows=len(plan.rows), changing=len(plan.changing()), problems=len(plan.every_problem())))


def apply(root: Path, out) -> None:
    import csv as csvmodule

    from archive.services import services

    text = (root / "sheet.csv").read_text("utf-8-sig")
    rows = list(csvmodule.DictReader(io.StringIO(text, newline="")))
    for n, row in enumerate(rows):
        if n % 10 == 0:
            row["title"] += " (corrected)"
    edited = io.StringIO(newline="")
    writer = csvmodule.DictWriter(edited, list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    app = _app(root)
    tracemalloc.start()
    start = time.perf_counter()
    with app.app_context():
        plan = services().spreadsheets.plan_import(edited.getvalue())
        done = services().spreadsheets.apply_import(plan, "bench")
    out.put(_measured(start, rows=len(plan.rows), written=len(done.written), problems=len(done.problems)))


def _measured(start: float, **more) -> dict:
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "python_mb": peak / 2**20, "rss_mb": rss, **more}


def run(target, root: Path) -> dict:
    ctx = multiprocessing.get_context("spawn")  # a fresh process: its peak memory is this phase's alone
    out = ctx.Queue()
    process = ctx.Process(target=target, args=(root, out))
    process.start()
    result = out.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        generate(root, args.records)
        run(index, root)
        print(f"corpus: {args.records} records (generated and indexed in {time.perf_counter() - start:.0f} s)")
        for name, target in (("export", export), ("dry run", dry_run), ("apply", apply)):
            m = run(target, root)
            facts = ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in m.items())
            print(f"{name:8s} {facts}")


if __name__ == "__main__":
    main()
