"""Measure family contributions: sending a testimony with phone photos through the public form, a historian's
approval, and searching as a family member (whose filter grows with the receipts held) against an anonymous reader.

Run by hand: .venv/bin/python bench/contributions.py [--photos N] [--megapixels M] [--testimonies T]
"""

import argparse
import io
import re
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from archive import contributions, create_app


def photo(megapixels: float, seed: int) -> bytes:
    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    image = Image.effect_noise((width, width * 3 // 4), 40 + seed % 20).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2)
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--testimonies", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        app = create_app(
            {
                "TESTING": True,
                "ARCHIVE_DATA": Path(root),
                "ARCHIVE_INDEX_CHECK_AT_START": False,
                "WTF_CSRF_ENABLED": False,
                "ARCHIVE_CONTRIBUTIONS_PER_HOUR": 10**6,
            }
        )
        collection = app.extensions["collection"]
        base = [photo(args.megapixels, n) for n in range(args.photos)]
        print(f"{args.photos} photos of {args.megapixels:g} MP, {sum(map(len, base)) / 2**20:.1f} MB in all")
        family = app.test_client()
        sent, approved, ids = [], [], []
        for n in range(args.testimonies):
            form = {
                "contributor_name": f"Family {n}",
                "relation": "grandson",
                "narrator": f"Narrator {n}",
                "birthplace": "Посьет",
                "deported_to": "Уштобе",
                "story_text": f"Story {n}: мы приехали в Уштобе.",
                "visibility": "family",
                "living_named": "yes",
                "agree": "y",
            }
            photos = [data + n.to_bytes(4, "big") for data in base]  # bytes after the image's end: new files
            for i, data in enumerate(photos):
                form[f"photos-{i}-file"] = (io.BytesIO(data), f"photo-{i}.jpg")
                form[f"photos-{i}-caption"] = f"Photo {i}"
            started = time.perf_counter()
            answer = family.post("/contribute/", data=form, content_type="multipart/form-data")
            sent.append(time.perf_counter() - started)
            assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
            submission_id = re.search(r"/receipt/(\w+)", answer.location).group(1)
            started = time.perf_counter()
            app.extensions["services"].contributions.approve(contributions.load(collection, submission_id), "bench")
            approved.append(time.perf_counter() - started)
            ids.append(submission_id)
        print(
            f"send a testimony with {args.photos} photos (form, checks, inbox write): "
            f"{statistics.median(sent) * 1000:.0f} ms median, {max(sent) * 1000:.0f} ms max"
        )
        print(
            f"approve (interview + {args.photos} photo items with derivatives, indexed): "
            f"{statistics.median(approved) * 1000:.0f} ms median, {max(approved) * 1000:.0f} ms max"
        )
        for label, client in (("anonymous", app.test_client()), (f"family holding {len(ids)} receipts", family)):
            times = []
            for _ in range(20):
                started = time.perf_counter()
                found = client.get("/api/v1/search?q=Уштобе").get_json()
                times.append(time.perf_counter() - started)
            print(f"search as {label}: {statistics.median(times) * 1000:.1f} ms median, {found['total']} hits")


if __name__ == "__main__":
    main()
