"""Measure what the security issue added: the cost of the headers hook per request, how long the archive takes to be
whole again after its index is deleted while serving, and the time of a sign-in with its atomic limits.

Run by hand, with nothing else heavy running: .venv/bin/python bench/security.py --interviews 300
Generates N interviews of about 2,000 words through the real ingester into a temporary data root.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from archive import accounts, create_app, vocab
from archive.ingest import Ingester
from archive.search import IndexUnavailable
from archive.views import headers

WORDS = (
    "мы жили в деревне у моря осенью пришёл приказ нас посадили в товарные вагоны ехали больше месяца на "
    "остановках бегали за кипятком мать держала младшего брата отец молчал потом степь ветер камыш зимой "
    "жили в землянке весной копали арыки сажали рис колхоз бригада школа учительница письмо"
).split()


def build(root: Path, count: int):
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    collection = app.extensions["collection"]
    ingester = Ingester(collection, vocab.gazetteer(collection), "bench", 2**24, None)
    rng = random.Random(1937)
    for n in range(count):
        turns = [f"{rng.choice(['Анна', 'Пётр'])}: {' '.join(rng.choices(WORDS, k=100))}" for _ in range(20)]
        outcome = ingester.ingest(
            "\n\n".join(turns).encode(),
            f"i{n}.txt",
            {"title": f"Интервью {n}", "villages": "Ushtobe", "access": "public"},
        )
        assert outcome.status == "ingested", outcome.reason
    return app


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=300)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-security-"))
    try:
        start = time.perf_counter()
        app = build(root, args.interviews)
        print(f"{args.interviews} interviews ingested in {time.perf_counter() - start:.1f} s")
        search = app.extensions["search"]
        rebuild = timed(search.rebuild, 3)
        print(
            f"rebuild (beside the old index, swapped in): median {statistics.median(rebuild):.2f} s "
            f"(min {min(rebuild):.2f}, max {max(rebuild):.2f})"
        )

        client = app.test_client()
        first = sorted(p.name for p in (root / "interviews").iterdir())[0]
        for url in (f"/interviews/{first}", "/search?q=вагоны"):
            client.get(url)
            with_hook = timed(lambda url=url: client.get(url), args.requests)
            app.after_request_funcs[None].remove(headers.secure)
            without = timed(lambda url=url: client.get(url), args.requests)
            app.after_request_funcs[None].append(headers.secure)
            print(
                f"GET {url.split('/')[1]}: median {statistics.median(with_hook) * 1000:.2f} ms with the headers "
                f"hook, {statistics.median(without) * 1000:.2f} ms without"
            )

        repair = []
        for _ in range(3):
            shutil.rmtree(root / "index")
            start = time.perf_counter()
            unavailable = 0
            while True:
                try:
                    search.query("вагоны", None, None)
                    break
                except IndexUnavailable:
                    unavailable += 1
                    time.sleep(0.01)
            repair.append(time.perf_counter() - start)
        print(
            f"index deleted while serving -> searches whole again: median {statistics.median(repair):.2f} s "
            f"(min {min(repair):.2f}, max {max(repair):.2f})"
        )

        with app.app_context():
            accounts.add_user("anna", "historian", "a long enough password")
            good = timed(lambda: accounts.authenticate("anna", "a long enough password", "10.0.0.1"), 10)
            bad = timed(lambda: accounts.authenticate("anna", "wrong", "10.0.0.1"), 4)
        print(
            f"sign-in (argon2id + limits in one transaction): median {statistics.median(good) * 1000:.0f} ms right, "
            f"{statistics.median(bad) * 1000:.0f} ms wrong"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
