"""Measure annotations on one hour-long interview: adding them one by one and from 8 writers at once, the interview
page with all of them highlighted, and re-anchoring all of them after a correction near the start.

Run by hand: .venv/bin/python bench/annotations.py [--annotations N] [--turns T]
"""

import argparse
import json
import random
import tempfile
import threading
import time
from pathlib import Path

from archive import accounts, annotations, create_app, interviews, transcripts

WORDS = (
    "мы жили в посьете осенью нас посадили в вагоны ехали больше месяца в уштобе была зима землянки рис колхоз "
    "we lived by the sea the train went on for weeks steppe winter dugout rice kolkhoz school mother father"
).split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=400)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(1937)
    with tempfile.TemporaryDirectory() as root:
        app = create_app({"TESTING": True, "ARCHIVE_DATA": Path(root), "ARCHIVE_INDEX_CHECK_AT_START": False})
        collection = app.extensions["collection"]
        segments = [
            {
                "n": i + 1,
                "start": i * 18.0,
                "end": i * 18.0 + 18,
                "speaker": "A",
                "lang": "ru",
                "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))),
            }
            for i in range(args.turns)
        ]
        record = {"schema": 1, "title": "Bench", "access": "public"}
        interview_id = collection.create(
            "interviews",
            {"interview.json": json.dumps(record).encode(), "segments.json": json.dumps(segments).encode()},
            "bench",
        )
        text = interviews.transcript_text(segments)[0]
        body = annotations.bodies(
            collection, {"events": ["deportation-trains-1937"], "places": ["ushtobe"]}, ["bench"], "a note"
        )

        def spans(n):
            for _ in range(n):
                start = rng.randrange(0, len(text) - 60)
                yield start, start + rng.randint(5, 60)

        half = args.annotations // 2
        began = time.perf_counter()
        for start, end in spans(half):
            annotations.create(collection, interview_id, start, end, body, "bench")
        one_by_one = (time.perf_counter() - began) / half
        size = collection.path("interviews", interview_id, annotations.FILE).stat().st_size

        work = list(spans(args.annotations - half))
        chunks = [work[i::8] for i in range(8)]

        def writer(chunk):
            for start, end in chunk:
                annotations.create(collection, interview_id, start, end, body, "bench")

        threads = [threading.Thread(target=writer, args=(chunk,)) for chunk in chunks]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        concurrent = time.perf_counter() - began
        total = len(annotations.items(collection, interview_id))

        app.extensions["search"].update([interview_id])
        with app.app_context():
            accounts.add_user("bench", "historian", "a long enough password")
        client = app.test_client()
        client.get("/auth/signin")
        page_times = []
        for _ in range(5):
            began = time.perf_counter()
            response = client.get(f"/interviews/{interview_id}")
            page_times.append(time.perf_counter() - began)
        assert response.status_code == 200

        version = collection.read("interviews", interview_id, "segments.json").version
        began = time.perf_counter()
        flagged = transcripts.correct_segment(
            collection, interview_id, 1, "Поправка. " + segments[0]["text"][10:], "bench", version
        )
        reanchor = time.perf_counter() - began

        print(f"interview: {args.turns} turns, {len(text):,} characters")
        print(f"add one by one: {one_by_one * 1000:.1f} ms per annotation ({half} added; file {size / 1024:.0f} KB)")
        print(
            f"8 writers at once: {args.annotations - half} in {concurrent:.2f} s = "
            f"{(args.annotations - half) / concurrent:.0f} annotations/s; all kept: {total == args.annotations}"
        )
        print(
            f"interview page with {total} highlights (anonymous reader): "
            f"median {sorted(page_times)[2] * 1000:.0f} ms, {len(response.data) / 1024:.0f} KB"
        )
        folder = collection.folder("interviews", interview_id)
        kept = sum(p.stat().st_size for p in (folder / "history").rglob("*") if p.is_file())
        print(f"history kept for {total} changes: {kept / 2**20:.1f} MB (every change keeps the previous file)")
        print(f"correct passage 1 and re-anchor {total}: {reanchor * 1000:.0f} ms, {len(flagged)} flagged")


if __name__ == "__main__":
    main()
