"""Measure search: Whoosh (archive/search/) against SQLite FTS5 on the same generated corpus.

Run by hand: .venv/bin/python bench/search.py --interviews 1000
Generates N interviews of about 8,000 words (Russian, English and Korean, with surnames and villages from the
vocabularies), builds both indexes, runs the same fixed mix of 200 queries (terms, two-term AND, phrases, prefixes,
name and village filters), with highlighted passages, and prints index time, MB/s, index size, peak memory and
p50/p95 latency for both. Each phase runs in its own process so that peak memory is that phase's alone.
At 10,000 interviews, make the corpus and indexes once (--keep DIR --phase index) and search them on a quiet machine
(--keep DIR --phase query); "disk at most" is the most the index's folders held at once while the index was made.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import random
import resource
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

WORDS = {
    "ru": (
        "мы жили в деревне у моря осенью пришёл приказ нас посадили в товарные вагоны ехали больше месяца "
        "на остановках бегали за кипятком мать держала младшего брата отец молчал потом степь ветер камыш "
        "зимой жили в землянке весной копали арыки сажали рис колхоз бригада школа учительница письмо "
        "бабушка пела песни по-корейски дед умер в дороге соседи казахи принесли хлеб и молоко"
    ).split(),
    "en": (
        "we lived in a village by the sea in the autumn the order came they put us in freight wagons the "
        "journey took more than a month at the stations we ran for hot water my mother held my little brother "
        "father said nothing then the steppe the wind the reeds in winter we lived in a dugout in spring we dug "
        "canals and planted rice the kolkhoz brigade school teacher letter grandmother sang songs"
    ).split(),
    "ko": (
        "우리는 바닷가 마을에 살았어요 가을에 명령이 내려왔어요 화물 열차를 타고 한 달 넘게 갔어요 역에서 "
        "뜨거운 물을 받으러 뛰어갔어요 어머니는 동생을 안고 계셨어요 아버지는 말이 없으셨어요 겨울에는 토굴에서 "
        "살았어요 봄에는 논을 만들고 벼를 심었어요 콜호스 학교 선생님 편지 할머니 노래"
    ).split(),
}
SURNAMES = {
    "ru": ["Цой", "Ким", "Пак", "Тен", "Хегай", "Ли", "Огай", "Югай"],
    "en": ["Tsoi", "Kim", "Pak", "Ten", "Khegai", "Li"],
    "ko": ["최", "김", "박", "정", "허", "이"],
}
VILLAGES = {
    "ru": ["Уштобе", "Посьет", "Кызылорда", "Ташкент", "Самарканд", "Караганда"],
    "en": ["Ushtobe", "Posyet", "Kyzylorda", "Tashkent", "Samarkand", "Karaganda"],
    "ko": ["우슈토베", "크질오르다", "타슈켄트"],
}
VILLAGE_IDS = ["ushtobe", "posyet", "kyzylorda", "tashkent", "samarkand", "karaganda"]


def generate(root: Path, n: int, seed: int = 1937) -> int:
    """Write N interview folders through the collection; return the bytes of transcript text."""
    from archive.collection import Collection

    rng = random.Random(seed)
    collection = Collection(root)
    total = 0
    for i in range(n):
        lang = rng.choice(["ru", "ru", "en", "ko"])
        segments, words, t = [], 0, 0
        while words < 8000:
            k = rng.randint(25, 70)
            body = [rng.choice(WORDS[lang]) for _ in range(k)]
            if rng.random() < 0.25:
                body.insert(rng.randrange(k), rng.choice(SURNAMES[lang]))
            if rng.random() < 0.25:
                body.insert(rng.randrange(k), rng.choice(VILLAGES[lang]))
            text = " ".join(body)
            segments.append(
                {
                    "n": len(segments) + 1,
                    "start": float(t),
                    "end": float(t + 20),
                    "speaker": "A" if len(segments) % 2 else "Q",
                    "text": text,
                    "lang": lang,
                }
            )
            words += k
            t += 20
            total += len(text.encode())
        villages = rng.sample(VILLAGE_IDS, 2)
        record = {
            "schema": 1,
            "title": f"Generated interview {i}",
            "access": rng.choice(["public"] * 4 + ["staff"]),
            "narrators": [{"name": f"{rng.choice(SURNAMES['ru'])} Анна", "other_forms": []}],
            "villages": [{"name": v.title(), "place": v} for v in villages],
            "date": f"19{rng.randint(90, 99)}",
            "surnames": [rng.choice(SURNAMES["en"])],
            "languages": [lang],
            "source": {"sha256": f"{i:064d}"},
        }
        collection.create(
            "interviews",
            {
                "interview.json": json.dumps(record, ensure_ascii=False).encode(),
                "segments.json": json.dumps(segments, ensure_ascii=False).encode(),
            },
            "bench",
        )
    return total


def queries(seed: int = 42) -> list[tuple[str, dict]]:
    """The fixed mix: 200 queries, with the filters they carry."""
    rng = random.Random(seed)
    mix = []
    for i in range(200):
        lang = rng.choice(["ru", "en", "ko"])
        kind = i % 6
        if kind == 0:
            mix.append((rng.choice(WORDS[lang]), {}))
        elif kind == 1:
            mix.append((f"{rng.choice(WORDS[lang])} AND {rng.choice(WORDS[lang])}", {}))
        elif kind == 2:
            words = WORDS[lang]
            start = rng.randrange(len(words) - 2)
            mix.append((f'"{words[start]} {words[start + 1]}"', {}))
        elif kind == 3:
            word = rng.choice([w for w in WORDS[lang] if len(w) > 4] or WORDS[lang])
            mix.append((word[:4] + "*", {}))
        elif kind == 4:
            mix.append((rng.choice(SURNAMES[lang]), {}))
        else:
            mix.append((rng.choice(WORDS[lang]), {"village": [rng.choice(VILLAGE_IDS)]}))
    return mix


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _anonymous_mb() -> float:
    """The process's own memory now (heap and the like), without the index files' pages it has mapped: those are the
    system's page cache, shared by every process that reads the index (Linux; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def whoosh_index(root: Path, out) -> None:
    from archive.collection import Collection
    from archive.indexing import Documents
    from archive.search import SearchIndex

    index = SearchIndex(root / "index", Documents(Collection(root)))
    disk, done = [0.0], threading.Event()

    def watch() -> None:  # the most the index's folders held at once while it was made (runs merged, and all)
        while not done.wait(1.0):
            with contextlib.suppress(OSError):
                disk[0] = max(disk[0], sum(_size_mb(p) for p in root.glob("*index*")))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    index.rebuild()
    seconds = time.perf_counter() - start
    done.set()
    watcher.join()
    size = _size_mb(root / "index")
    out.put({"seconds": seconds, "size": size, "peak": _peak_mb(), "disk": max(disk[0], size)})


def whoosh_query(root: Path, out) -> None:
    from archive.collection import Collection
    from archive.indexing import Documents
    from archive.search import SearchIndex

    index = SearchIndex(root / "index", Documents(Collection(root)))
    opened = _peak_mb()
    index.query("warm", None, None)
    times, hits = [], 0
    for q, filters in queries():
        start = time.perf_counter()
        results = index.query(q, filters, None)  # anonymous: the access filter is part of the cost
        hits += sum(len(h.segments) for h in results.hits)
        times.append(time.perf_counter() - start)
    out.put({"times": times, "peak": _peak_mb(), "opened": opened, "passages": hits, "own": _anonymous_mb()})


def fts_index(root: Path, out) -> None:
    from archive.collection import Collection

    collection = Collection(root)
    db = sqlite3.connect(root / "fts.sqlite3")
    db.execute(
        "CREATE VIRTUAL TABLE seg USING fts5(interview UNINDEXED, n UNINDEXED, village, access UNINDEXED, "
        "text, tokenize='unicode61 remove_diacritics 2')"
    )
    start = time.perf_counter()
    for interview_id in collection.ids("interviews"):
        record = collection.read("interviews", interview_id, "interview.json").json()
        villages = " ".join(v["place"] for v in record.get("villages", []))
        rows = [
            (interview_id, s["n"], villages, record["access"], s["text"])
            for s in collection.read("interviews", interview_id, "segments.json").json()
        ]
        db.executemany("INSERT INTO seg VALUES (?, ?, ?, ?, ?)", rows)
    db.commit()
    db.execute("INSERT INTO seg(seg) VALUES ('optimize')")
    db.commit()
    seconds = time.perf_counter() - start
    db.close()
    out.put({"seconds": seconds, "size": (root / "fts.sqlite3").stat().st_size / 2**20, "peak": _peak_mb()})


def _fts_query(q: str) -> str:
    if q.endswith("*"):
        return f'"{q[:-1]}" *'
    if " AND " in q:
        a, b = q.split(" AND ")
        return f'"{a}" AND "{b}"'
    return q if q.startswith('"') else f'"{q}"'


def fts_query(root: Path, out) -> None:
    db = sqlite3.connect(root / "fts.sqlite3")
    times, hits = [], 0
    for q, filters in queries():
        match = _fts_query(q)
        if filters.get("village"):
            match = f"({match}) AND village:{filters['village'][0]}"
        start = time.perf_counter()
        rows = db.execute(
            "SELECT interview, n, snippet(seg, 4, '<mark>', '</mark>', '…', 40) FROM seg "
            "WHERE seg MATCH ? AND access = 'public' ORDER BY rank LIMIT 200",
            (match,),
        ).fetchall()
        grouped: dict[str, list] = {}
        for interview, n, snippet in rows:
            if len(grouped) < 10 or interview in grouped:
                grouped.setdefault(interview, []).append((n, snippet))
        db.execute(
            "SELECT COUNT(DISTINCT interview) FROM seg WHERE seg MATCH ? AND access = 'public'", (match,)
        ).fetchone()
        hits += sum(min(3, len(v)) for v in grouped.values())  # total is counted, as whoosh counts its hits
        times.append(time.perf_counter() - start)
    out.put({"times": times, "peak": _peak_mb(), "passages": hits})


def run(target, root: Path) -> dict:
    ctx = multiprocessing.get_context("spawn")  # a fresh process: its peak is its own, not the generator's
    out = ctx.Queue()
    process = ctx.Process(target=target, args=(root, out))
    process.start()
    result = out.get()
    process.join()
    return result


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="build the corpus in this folder and keep it")
    parser.add_argument(
        "--phase",
        choices=("all", "index", "query"),
        default="all",
        help="index: make the corpus (in --keep) and both indexes; query: only search a kept one (both: all)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        start = time.perf_counter()
        if args.phase == "query":
            mb = json.loads((root / "bench-corpus.json").read_text())["bytes"] / 2**20
        else:
            mb = generate(root, args.interviews) / 2**20
            (root / "bench-corpus.json").write_text(json.dumps({"bytes": mb * 2**20}))
        print(
            f"corpus: {args.interviews} interviews, {mb:.1f} MB of transcript text "
            f"(generated in {time.perf_counter() - start:.0f} s)"
        )
        if args.phase != "query":
            for name, ix in (("whoosh", run(whoosh_index, root)), ("fts5", run(fts_index, root))):
                print(
                    f"{name:7s} index {ix['seconds']:7.1f} s  {mb / ix['seconds']:6.2f} MB/s  "
                    f"size {ix['size']:7.1f} MB  peak {ix['peak']:6.0f} MB"
                    + (f"  disk at most {ix['disk']:7.1f} MB while indexing" if "disk" in ix else "")
                )
        if args.phase == "index":
            return
        w_q, f_q = run(whoosh_query, root), run(fts_query, root)
        for name, q in (("whoosh", w_q), ("fts5", f_q)):
            print(
                f"{name:7s} query p50 {pct(q['times'], 50):6.1f} ms  p95 {pct(q['times'], 95):6.1f} ms  "
                f"mean {1000 * statistics.mean(q['times']):6.1f} ms  peak {q['peak']:6.0f} MB  passages {q['passages']}"
            )
        print(
            f"whoosh searcher after opening: {w_q['opened']:.0f} MB; after the queries its own memory (anonymous, "
            f"without the index's mapped pages) {w_q['own']:.0f} MB"
        )
        print(f"p95 ratio whoosh/fts5: {pct(w_q['times'], 95) / pct(f_q['times'], 95):.2f}")


if __name__ == "__main__":
    main()
