"""Measure batch ingest: interviews per second and MB per second for generated hour-long transcripts.

Run by hand: .venv/bin/python bench/ingest.py [--interviews N] [--turns T]
Each generated interview has T speaker turns (200 turns is about an hour of talk, ~60 KB), cycling through the five
formats (txt in Windows-1251, vtt, srt, OHMS XML, docx), with a manifest row naming gazetteer places. The batch is
ingested three times, each time into an empty data root: without an index (reading, checking and storing alone),
with each interview indexed as it is stored (as the upload form does), and as `archive ingest` does it (one index
commit for every INGEST_INDEX_BATCH interviews).
"""

import argparse
import csv
import io
import random
import tempfile
import time
from pathlib import Path

import docx

from archive.cli import INGEST_INDEX_BATCH
from archive.collection import Collection
from archive.ingest import Ingester, plan, read_manifest
from archive.names import shipped_gazetteer

WORDS = (
    "мы жили в посьете осенью нас посадили в вагоны ехали больше месяца в уштобе была зима землянки рис колхоз "
    "we lived by the sea the train went on for weeks steppe winter dugout rice kolkhoz school mother father"
).split()
PLACES = ["Уштобе", "Posyet", "Kyzylorda", "Ташкент", "Samarkand", "Karaganda", "Vladivostok", "Алма-Ата"]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))).capitalize() + "."


def stamp(seconds: int, sep: str = ".") -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}{sep}000"


def make(kind: str, turns: int, rng: random.Random) -> bytes:
    speakers = ["ИНТЕРВЬЮЕР", "ЦОЙ АННА"]
    lines = [(speakers[i % 2], i * 18, sentence(rng)) for i in range(turns)]
    if kind == "txt":
        return "\r\n".join(f"[{stamp(t)[:8]}] {s}: {x}" for s, t, x in lines).encode("cp1251", errors="replace")
    if kind in ("vtt", "ohms"):
        cues = "\n\n".join(f"{stamp(t)} --> {stamp(t + 17)}\n<v {s}>{x}" for s, t, x in lines)
        vtt = f"WEBVTT\n\n{cues}\n"
        if kind == "vtt":
            return vtt.encode()
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ROOT xmlns="https://www.weareavp.com/nunncenter/ohms">'
            "<record><version>6.0</version><title>Generated</title><index>"
            + "".join(
                f"<point><time>{t}</time><title>Part {n}</title><keywords>rice;train</keywords></point>"
                for n, (_, t, _) in enumerate(lines[::20])
            )
            + f"</index><vtt_transcript><![CDATA[{vtt}]]></vtt_transcript></record></ROOT>"
        ).encode()
    if kind == "srt":
        return "\n\n".join(
            f"{n}\n{stamp(t, ',')} --> {stamp(t + 17, ',')}\n{s}: {x}" for n, (s, t, x) in enumerate(lines, 1)
        ).encode()
    document = docx.Document()
    for s, t, x in lines:
        document.add_paragraph(f"[{stamp(t)[:8]}] {s}: {x}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def timed(incoming: Path, manifest: Path, root: Path, indexed: int, total: int, turns: int) -> Collection:
    """Ingest the batch into an empty data root, with the app's indexer committing every `indexed` interviews (0:
    no index at all), and print the throughput."""
    indexer = None
    if indexed:
        from archive import create_app

        app = create_app({"ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
        indexer = app.extensions["indexer"]
    collection = Collection(root)
    start = time.perf_counter()
    table = read_manifest(manifest)
    pairs, problems = plan([incoming], table, manifest)
    ingester = Ingester(collection, shipped_gazetteer(), "bench", 50 * 2**20, indexer, index_batch=max(1, indexed))
    outcomes = [ingester.ingest_file(p, {k: v for k, v in table[p.name].items() if k != "_audio"}) for p, _ in pairs]
    ingester.index_pending()
    elapsed = time.perf_counter() - start
    failed = [o for o in outcomes + problems if o.status != "ingested"]
    print(
        f"{f'indexed {indexed} at a time' if indexed else 'without indexing'}: {len(outcomes)} interviews "
        f"({turns} turns each), "
        f"{total / 2**20:.1f} MB in {elapsed:.2f} s: {len(outcomes) / elapsed:.1f} interviews/s, "
        f"{total / 2**20 / elapsed:.2f} MB/s, {len(failed)} failed"
    )
    return collection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=200)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(1937)
    kinds = ["txt", "vtt", "srt", "ohms", "docx"]
    extension = {"ohms": "xml"}
    with tempfile.TemporaryDirectory() as tmp:
        incoming = Path(tmp) / "incoming"
        incoming.mkdir()
        rows = []
        for n in range(args.interviews):
            kind = kinds[n % len(kinds)]
            name = f"interview-{n:05d}.{extension.get(kind, kind)}"
            (incoming / name).write_bytes(make(kind, args.turns, rng))
            rows.append(
                {
                    "file": name,
                    "title": f"Generated interview {n}",
                    "narrator": "Цой Анна",
                    "interviewer": "Ли Ирина",
                    "date": "2019-05",
                    "village": ";".join(rng.sample(PLACES, 3)),
                    "surnames": "Tsoi;Kim",
                    "language": "ru",
                    "access": "public",
                }
            )
        manifest = incoming / "metadata.csv"
        with manifest.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        total = sum(p.stat().st_size for p in incoming.iterdir() if p != manifest)

        for indexed in (0, 1, INGEST_INDEX_BATCH):
            collection = timed(incoming, manifest, Path(tmp) / f"data-{indexed}", indexed, total, args.turns)
        pairs, _ = plan([incoming], read_manifest(manifest), manifest)
        by_kind = {}
        for p, _ in pairs:
            start = time.perf_counter()
            from archive.formats import read

            read(p.read_bytes(), p.name)
            by_kind.setdefault(p.suffix, []).append(time.perf_counter() - start)
        print(
            "parse only, ms per interview: "
            + ", ".join(f"{k[1:]} {1000 * sum(v) / len(v):.1f}" for k, v in sorted(by_kind.items()))
        )
        start = time.perf_counter()
        problems = list(collection.verify())
        print(f"verify after the batch: {time.perf_counter() - start:.2f} s, {len(problems)} problems")


if __name__ == "__main__":
    main()
