"""Every image of the shared public test material through media.MediaIngester: taken right, or refused in words.

The material (../shared/data/exif_samples and ../shared/data/pillow_test_images, see their SOURCE.txt) is real camera
output and the files Pillow's own tests use against crashes: broken EXIF, all eight orientations, GPS, XMP, IPTC, CMYK,
16-bit, MPO, HEIF, truncated files and decompression bombs. A fresh clone has no ../shared, so these tests skip there.
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED_DATA
from PIL import Image, IptcImagePlugin

from archive import images, media
from archive.collection import Collection

SHARED = SHARED_DATA
FOLDERS = ("exif_samples", "pillow_test_images")
NOT_IMAGES = {"README", "README.rst", "SOURCE.txt", "dump"}  # the folders' own notes
METADATA_MARKERS = (b"Exif", b"EXIF", b"http://ns.adobe.com/xap", b"Photoshop 3.0", b"8BIM")
# The files that must be refused, and what the refusal must say; every other file must be taken.
REFUSED = {
    "pillow_test_images/broken.png": "this file starts like a PNG image but cannot be read as one",
    "pillow_test_images/decompression_bomb.gif": "this is a GIF image; the archive accepts",
    "pillow_test_images/decompression_bomb_extents.gif": "this is a GIF image; the archive accepts",
    "pillow_test_images/exif.avif": "this is an AVIF image; the archive accepts",
    "pillow_test_images/hopper_16bit.pgm": "this is a PBM/PGM/PPM image; the archive accepts",
    "pillow_test_images/seek_too_large.tif": "the TIFF file is damaged and cannot be read",
    "pillow_test_images/truncated_image.png": "the PNG file is cut short (truncated)",
    "pillow_test_images/truncated_jpeg.jpg": "the JPEG file is cut short (truncated)",
}
if not images.HEIF_AVAILABLE:
    REFUSED["exif_samples/heic/samplefilehub.heif"] = "which this installation cannot read (pillow-heif is missing)"


def corpus() -> list[Path]:
    """Every file of both folders, at any depth, but their notes."""
    return sorted(
        path
        for folder in FOLDERS
        if (SHARED / folder).is_dir()
        for path in (SHARED / folder).rglob("*")
        if path.is_file() and path.name not in NOT_IMAGES
    )


CASES = [pytest.param(path, id=path.relative_to(SHARED).as_posix()) for path in corpus()]


@pytest.fixture
def shared_images():
    """The two folders of shared images; skip where they are absent (a fresh clone of the project)."""
    if not all((SHARED / folder).is_dir() for folder in FOLDERS):
        pytest.skip(f"{SHARED} does not hold {' and '.join(FOLDERS)}")
    return SHARED


@pytest.fixture(autouse=True)
def _restore_pillow_pixel_limit(monkeypatch):
    """images.process sets Pillow's global MAX_IMAGE_PIXELS; put it back afterwards."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


def assert_clean_derivative(data: bytes, name: str) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes whole
    assert len(image.getexif()) == 0, name
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "photoshop", "comment", "icc_profile"} & set(image.info), name
    assert IptcImagePlugin.getiptcinfo(image) is None, name
    for marker in METADATA_MARKERS:
        assert marker not in data, (name, marker)
    return image


@pytest.mark.parametrize("path", CASES or [pytest.param(None, id="no-shared-data")])
def test_each_shared_image_is_taken_cleanly_or_refused_in_words(shared_images, path, tmp_path):
    if path is None:
        pytest.skip("no shared images found")
    name = path.relative_to(shared_images).as_posix()
    collection = Collection(tmp_path)
    outcome = media.MediaIngester(collection, images.Limits(), "tester").ingest(path, path.name, None)

    if name in REFUSED:
        assert outcome.status == "failed", f"{name} was {outcome.status}"
        reason = outcome.reason
        assert REFUSED[name] in reason
        assert reason.strip() == reason and "\n" not in reason and len(reason) < 300
        assert "Traceback" not in reason and "Error(" not in reason and "<" not in reason
        media_folder = tmp_path / "media"
        assert not media_folder.exists() or not any(media_folder.iterdir())  # no folder, no .new-* staging
        return

    assert outcome.status == "ingested", f"{name}: {outcome.reason}"
    folder = tmp_path / "media" / outcome.interview_id
    record = json.loads((folder / "item.json").read_text("utf-8"))
    assert (folder / record["source"]["original"]).read_bytes() == path.read_bytes()
    assert record["technical"]["pages"] == len(record["pages"]) >= 1
    files = {p.name: p.read_bytes() for p in (folder / "derived").iterdir()}
    assert sorted(files) == sorted(
        f"{size}-{n}.jpg" for n in range(1, len(record["pages"]) + 1) for size in ("display", "thumb")
    )
    assert not [p.name for p in folder.iterdir() if p.name.startswith((".derived-", ".new-"))]
    for n, page in enumerate(record["pages"], 1):
        display = assert_clean_derivative(files[f"display-{n}.jpg"], f"{name} display-{n}")
        thumb = assert_clean_derivative(files[f"thumb-{n}.jpg"], f"{name} thumb-{n}")
        assert display.mode == thumb.mode == "RGB"
        assert max(display.size) == min(max(page["width"], page["height"]), images.Limits().display_edge)
        assert max(thumb.size) <= images.Limits().thumbnail_edge
        # the display copy has the page's shape: same orientation, aspect within rounding
        assert abs(display.size[0] / display.size[1] - page["width"] / page["height"]) < 0.02, (display.size, page)
    if "/orientation/" in name:  # landscape_N.jpg and portrait_N.jpg: upright whatever N says
        first = Image.open(io.BytesIO(files["display-1.jpg"]))
        assert (first.width > first.height) == path.name.startswith("landscape"), (name, first.size)
        assert (record["pages"][0]["width"] > record["pages"][0]["height"]) == path.name.startswith("landscape")
    if "/gps/" in name:  # the camera's position is kept for staff in item.json, never in a derivative
        assert set(record["technical"]["gps"]) == {"lat", "lon"}


PEAK_MEMORY_SCRIPT = """
import re, resource, sys, tempfile
from pathlib import Path
from archive import images, media
from archive.collection import Collection

counts = {}
with tempfile.TemporaryDirectory(dir=sys.argv[1]) as tmp:
    ingester = media.MediaIngester(Collection(Path(tmp)), images.Limits(), "tester")
    for path in sys.argv[2:]:
        outcome = ingester.ingest(Path(path), Path(path).name, None)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:  # this process's own high-water mark: ru_maxrss also counts the parent's memory at the fork
    own = int(re.search(r"VmHWM:\\s*(\\d+)", Path("/proc/self/status").read_text()).group(1))
except (OSError, AttributeError):
    own = maxrss
print(maxrss, own, counts.get("ingested", 0), counts.get("failed", 0), counts.get("duplicate", 0))
"""


def test_the_whole_shared_corpus_runs_in_bounded_memory(shared_images, tmp_path):
    files = corpus()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_SCRIPT, str(tmp_path), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    maxrss_kb, own_kb, ingested, failed, duplicate = map(int, done.stdout.split()[-5:])
    print(
        f"\nshared corpus, {len(files)} files ({ingested} ingested, {failed} refused, {duplicate} duplicates): "
        f"peak RSS {own_kb / 1024:.0f} MB (VmHWM); ru_maxrss {maxrss_kb / 1024:.0f} MB"
    )
    assert ingested + failed + duplicate == len(files)
    assert failed == len(REFUSED)
    assert maxrss_kb < 1.5 * 2**20 and own_kb < 1.5 * 2**20  # KB: 1.5 GB
