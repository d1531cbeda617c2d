"""Measure the outputs that list the archive by last change: the Atom feed and OAI-PMH's lists.

Run by hand: .venv/bin/python bench/feeds.py --records 2000
Writes N small records through the collection (four interviews to one media item; most public, some for researchers
or staff, a few embargoed, withdrawn or deleted, with places and collections, so that sets and deleted headers have
something to say), builds the search index, then asks an app (Flask's test client, no account) for each URL
`--repeat` times after one warm-up request and prints the median and p95 time of each, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

URLS = (
    "/feed.atom",
    "/oai?verb=ListRecords&metadataPrefix=oai_dc",
    "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc",
)
PLACES = ["ushtobe", "posyet", "kyzylorda", "tashkent", "samarkand", "karaganda"]
COLLECTIONS = ["Koryo-saram memories", "Family letters", "Школьные тетради", ""]
MEDIA_KINDS = ["photograph", "document", "letter", "object", "other"]


def _access(rng: random.Random) -> dict:
    """A record's access fields: mostly public, some for researchers or staff, a few embargoed, withdrawn or
    deleted (those that were public make the deleted headers)."""
    fields: dict = {"access": rng.choice(["public"] * 6 + ["researchers", "staff"])}
    roll = rng.random()
    if roll < 0.02:
        fields["embargo_until"] = "2099-01-01"
    elif roll < 0.04:
        fields["withdrawn"] = "2025-06-01"
    elif roll < 0.06:
        fields["deleted"] = {"time": "2025-07-01T10:00:00.000000Z", "author": "bench", "reason": "bench"}
    return fields


def generate(root: Path, n: int, seed: int = 1937) -> None:
    """Write N records (interviews and media items) through the collection."""
    from archive.collection import Collection

    rng = random.Random(seed)
    collection = Collection(root)
    for i in range(n):
        places = [{"name": p.title(), "place": p} for p in rng.sample(PLACES, 2)]
        common = {
            "schema": 1,
            "date": f"19{rng.randint(30, 99)}",
            "surnames": [rng.choice(["Kim", "Tsoi", "Pak", "Li"])],
            "description": f"Record {i}, made for the benchmark.",
            **_access(rng),
        }
        collected = rng.choice(COLLECTIONS)
        if collected:
            common["collection"] = collected
        if i % 5 == 4:
            record = {**common, "title": f"Generated item {i}", "kind": rng.choice(MEDIA_KINDS), "places": places}
            collection.create("media", {"item.json": json.dumps(record, ensure_ascii=False).encode()}, "bench")
            continue
        record = {
            **common,
            "title": f"Generated interview {i}",
            "narrators": [{"name": f"Narrator {i}", "other_forms": []}],
            "interviewers": ["Bench"],
            "villages": places,
            "languages": ["en"],
        }
        segments = [
            {"n": k + 1, "start": 20.0 * k, "end": 20.0 * (k + 1), "speaker": "A", "text": f"Passage {k} of {i}."}
            for k in range(3)
        ]
        collection.create(
            "interviews",
            {
                "interview.json": json.dumps(record, ensure_ascii=False).encode(),
                "segments.json": json.dumps(segments).encode(),
            },
            "bench",
        )


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30, help="requests per URL (after one warm-up)")
    parser.add_argument("--keep", type=Path, help="build the records in this folder and keep them")
    args = parser.parse_args()

    from archive import create_app

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        start = time.perf_counter()
        generate(root, args.records)
        app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
        app.extensions["search"].rebuild()
        print(f"{args.records} records written and indexed in {time.perf_counter() - start:.0f} s")
        client = app.test_client()
        for url in URLS:
            answer = client.get(url)
            assert answer.status_code == 200, (url, answer.status_code)
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                answer = client.get(url)
                times.append(time.perf_counter() - began)
                assert answer.status_code == 200
            print(
                f"{url:50s} median {1000 * statistics.median(times):7.1f} ms  p95 {pct(times, 95):7.1f} ms  "
                f"({len(answer.data) // 1024} KB)"
            )


if __name__ == "__main__":
    main()
