"""Measure the server under a mixed load: searches, pages and annotation writes from many clients at once.

Run by hand, with nothing else heavy running: .venv/bin/python bench/load.py [--interviews 1000] [--clients 16]
    [--workers 1] [--threads 8] [--seconds 60]
Generates the corpus of bench/search.py (or reuses one given with --corpus), indexes it, starts `archive serve` on
127.0.0.1 (loopback only) with ARCHIVE_THREADS threads, and runs the clients for a bounded time and count: each
picks a search (50%: terms, phrases and filters of bench/search.py's mix), a page (35%: an interview, a search page
or the home page) or an annotation written through the API (15%, as a historian with a token). It prints requests
per second, p50/p95/p99 per kind and overall, errors, writes acknowledged against annotations found stored after the
server stops, and how long after an acknowledged write its words are first found by search (a prober writes a
note with a word of its own every few seconds and polls search until the word is found).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import generate, queries  # noqa: E402 - the same corpus and query mix as the search benchmark

MAX_REQUESTS = 200_000  # a bound on the run whatever --seconds says
EXE = Path(sys.executable).parent / "archive"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(root: Path, interviews: int) -> tuple[list[str], str]:
    """Make (or reuse) the corpus and its index, and a historian's API token; return the public interviews' ids."""
    from archive import accounts, create_app
    from archive.collection import Collection

    if not (root / "interviews").exists():
        started = time.perf_counter()
        generate(root, interviews)
        print(f"corpus: {interviews} interviews generated in {time.perf_counter() - started:.0f} s")
    app = create_app({"ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False, "INDEX_REPAIR_IN_BACKGROUND": False})
    started = time.perf_counter()
    app.extensions["indexer"].repair()
    print(f"index ready in {time.perf_counter() - started:.0f} s")
    with app.app_context():
        if accounts.get_user("bench") is None:
            accounts.add_user("bench", "historian", "a long bench password 1937")
        token = accounts.new_token("bench")
    collection = Collection(root)
    public = []
    for interview_id in collection.ids("interviews"):
        record = json.loads(collection.read("interviews", interview_id, "interview.json").data)
        if record.get("access") == "public":
            public.append(interview_id)
    return public, token


class Client:
    """One keep-alive connection to the server; a request answers (status, seconds, body)."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            data, status = b"", 0
        return status, time.perf_counter() - started, data


def annotation(interview_id: str, quote: str, note: str) -> bytes:
    return json.dumps(
        {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "body": [{"type": "TextualBody", "value": note, "purpose": "commenting"}],
            "target": {
                "source": f"/interviews/{interview_id}",
                "selector": {"type": "TextQuoteSelector", "exact": quote},
            },
        },
        ensure_ascii=False,
    ).encode()


def quote_of(root: Path, interview_id: str) -> str:
    segments = json.loads((root / "interviews" / interview_id / "segments.json").read_text("utf-8"))
    return " ".join(segments[0]["text"].split()[:4])


def search_path(query: str, filters: dict) -> str:
    return "/search?" + urllib.parse.urlencode({"q": query, **filters}, doseq=True)


def run(args, root: Path, public: list[str], token: str, port: int) -> dict:
    rng = random.Random(1937)
    mix = queries()
    quotes = {i: quote_of(root, i) for i in public[:200]}
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/ld+json"}
    results: dict[str, list[float]] = {"search": [], "page": [], "write": []}
    errors: dict[str, int] = {"search": 0, "page": 0, "write": 0}
    acknowledged: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds
    count = [0]

    def client_loop(seed: int) -> None:
        local = random.Random(seed)
        client = Client(port)
        while time.monotonic() < deadline:
            with lock:
                if count[0] >= MAX_REQUESTS:
                    return
                count[0] += 1
            roll = local.random()
            if roll < 0.50:
                kind, (query, filters) = "search", local.choice(mix)
                status, seconds, _ = client.request("GET", search_path(query, filters))
                ok = status == 200
            elif roll < 0.85:
                kind = "page"
                path = local.choice(
                    [f"/interviews/{local.choice(public)}"] * 3 + ["/", "/interviews/", "/search?q=rice"]
                )
                status, seconds, _ = client.request("GET", path)
                ok = status == 200
            else:
                kind = "write"
                interview_id = local.choice(list(quotes))
                body = annotation(interview_id, quotes[interview_id], f"load note {local.randrange(10**9)}")
                status, seconds, data = client.request(
                    "POST", f"/api/v1/interviews/{interview_id}/annotations", body, auth
                )
                ok = status == 201
                if ok:
                    with lock:
                        acknowledged.append(json.loads(data)["id"])
            with lock:
                results[kind].append(seconds)
                errors[kind] += 0 if ok else 1

    def prober() -> list[float]:
        """Write a note with a word of its own, then poll search until it is found; return each delay."""
        client, delays, n = Client(port), [], 0
        while time.monotonic() < deadline - 5:
            n += 1
            word = f"zzprobe{n}x{rng.randrange(10**6)}"
            interview_id = rng.choice(list(quotes))
            body = annotation(interview_id, quotes[interview_id], f"probe {word}")
            status, _, data = client.request("POST", f"/api/v1/interviews/{interview_id}/annotations", body, auth)
            if status != 201:
                continue
            with lock:
                acknowledged.append(json.loads(data)["id"])
            acked = time.perf_counter()
            while time.perf_counter() - acked < 30:
                status, _, data = client.request("GET", f"/api/v1/search?q={word}", None, auth)
                if status == 200 and json.loads(data).get("total"):
                    delays.append(time.perf_counter() - acked)
                    break
                time.sleep(0.05)
            else:
                delays.append(float("inf"))
            time.sleep(2)
        return delays

    delays: list[float] = []
    probe = threading.Thread(target=lambda: delays.extend(prober()))
    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(args.clients)]
    started = time.perf_counter()
    for t in [*threads, probe]:
        t.start()
    for t in [*threads, probe]:
        t.join()
    return {
        "elapsed": time.perf_counter() - started,
        "results": results,
        "errors": errors,
        "acknowledged": acknowledged,
        "delays": delays,
    }


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def stored_annotations(root: Path) -> set[str]:
    """The ids of every annotation the collection holds, read after the server has stopped."""
    from archive import annotations
    from archive.collection import Collection

    collection = Collection(root)
    return {
        str(item["id"])
        for interview_id in collection.ids("interviews")
        for item in annotations.items(collection, interview_id)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--threads", type=int, default=8, help="threads of each server process")
    parser.add_argument("--workers", type=int, default=1, help="server processes (archive serve --workers)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--server-log", type=Path, help="append the server's messages to this file")
    parser.add_argument("--corpus", type=Path, help="a data root to reuse (made there if empty); else a temporary one")
    args = parser.parse_args()
    args.seconds = min(args.seconds, 600)
    temporary = None if args.corpus else Path(tempfile.mkdtemp(prefix="archive-load-"))
    root = args.corpus or temporary
    try:
        public, token = prepare(root, args.interviews)
        port = free_port()
        env = {**os.environ, "ARCHIVE_THREADS": str(args.threads), "ARCHIVE_INDEX_CHECK_AT_START": "false"}
        server = subprocess.Popen(
            [str(EXE), "--data", str(root), "serve", "--host", "127.0.0.1", "--port", str(port)]
            + ["--workers", str(args.workers), "--threads", str(args.threads)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(args.server_log or Path(os.devnull)).open("ab"),
        )
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            outcome = run(args, root, public, token, port)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        report(args, outcome, stored_annotations(root))
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


def report(args, outcome: dict, stored: set[str]) -> None:
    results, errors = outcome["results"], outcome["errors"]
    every = [s for values in results.values() for s in values]
    print(
        f"{args.clients} clients, {args.workers} x {args.threads} threads, {outcome['elapsed']:.0f} s: "
        f"{len(every)} requests, {len(every) / outcome['elapsed']:.1f} req/s, errors {sum(errors.values())}"
    )
    for kind, values in [*results.items(), ("all", every)]:
        print(
            f"  {kind:7} n {len(values):6}  p50 {1000 * pct(values, 50):7.0f} ms  p95 {1000 * pct(values, 95):7.0f} ms"
            f"  p99 {1000 * pct(values, 99):7.0f} ms  errors {errors.get(kind, sum(errors.values()))}"
        )
    acknowledged = outcome["acknowledged"]
    missing = [a for a in acknowledged if a not in stored]
    print(f"writes acknowledged {len(acknowledged)}, stored {len(acknowledged) - len(missing)}, lost {len(missing)}")
    delays = [d for d in outcome["delays"] if d != float("inf")]
    never = len(outcome["delays"]) - len(delays)
    if delays:
        print(
            f"acknowledged write to first search hit: n {len(outcome['delays'])}, median "
            f"{1000 * statistics.median(delays):.0f} ms, p95 {1000 * pct(delays, 95):.0f} ms, max "
            f"{1000 * max(delays):.0f} ms, not found within 30 s {never}"
        )
    else:
        print(f"acknowledged write to first search hit: no probe found its word ({never} tried)")


if __name__ == "__main__":
    main()
