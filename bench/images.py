"""Measure image processing: time and peak memory to make the display copy and thumbnail of a 24-megapixel photo.

Run by hand: .venv/bin/python bench/images.py [--runs N]
Makes a 6000 × 4000 JPEG (quality 90, with grain and gradients so it compresses like a photo) and a PNG of the same
pixels in a temporary folder, then times images.process on each with the default Limits (median of N runs). The JPEG
is timed twice: as the archive runs it (JPEG draft decoding: libjpeg decodes at 1/2, 1/4 or 1/8 of full size when the
display copy is small enough), and with draft decoding switched off, to show what it saves; the PNG, which has no draft
mode, is the same comparison with another decoder. Peak memory is the ru_maxrss of a fresh process that processes the
file once, less that of a process that only imports archive.images. On Linux the figure is VmHWM from
/proc/self/status: ru_maxrss of a child also counts the parent's memory at the fork (this script holds ~270 MB of
test pictures by then), so it is printed only for comparison.
"""

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageFilter, JpegImagePlugin

from archive import images

WIDTH, HEIGHT = 6000, 4000
# Run in a fresh interpreter: argv[1] is the file ("-" for none), argv[2] "draft" or "nodraft"; prints the peak
# resident size of this process alone (VmHWM, KB) and ru_maxrss (KB on Linux).
CHILD = """
import re, resource, sys
from pathlib import Path
from archive import images
if sys.argv[2:] == ["nodraft"]:
    from PIL import JpegImagePlugin
    JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None
if sys.argv[1] != "-":
    images.process(Path(sys.argv[1]), images.Limits())
maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    hwm = int(re.search(r"VmHWM:\\s*(\\d+)", Path("/proc/self/status").read_text()).group(1))
except (OSError, AttributeError):
    hwm = maxrss
print(hwm, maxrss)
"""


def photo() -> Image.Image:
    """A 24 MP picture with film-like grain over smooth gradients: neither flat (too easy) nor pure noise."""
    size = (WIDTH, HEIGHT)
    grain = Image.effect_noise(size, 40).filter(ImageFilter.GaussianBlur(0.8))
    across = Image.linear_gradient("L").rotate(90).resize(size)
    rings = Image.radial_gradient("L").resize(size)
    return Image.merge(
        "RGB", [Image.blend(across, grain, 0.45), Image.blend(rings, grain, 0.55), Image.blend(across, rings, 0.5)]
    )


def median_time(path: Path, runs: int, draft: bool = True) -> tuple[float, images.Processed]:
    original = JpegImagePlugin.JpegImageFile.draft
    if not draft:
        JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None
    try:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            processed = images.process(path, images.Limits())
            times.append(time.perf_counter() - start)
    finally:
        JpegImagePlugin.JpegImageFile.draft = original
    return statistics.median(times), processed


def peak_kb(path: Path | str, mode: str = "draft") -> tuple[int, int]:
    """Peak resident KB of a fresh process processing `path` once: (its own high-water mark, its ru_maxrss)."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True, check=True)
    hwm, maxrss = done.stdout.split()[-2:]
    return int(hwm), int(maxrss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    limits = images.Limits()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        picture = photo()
        jpeg, png = Path(tmp) / "photo.jpg", Path(tmp) / "photo.png"
        picture.save(jpeg, "JPEG", quality=90)
        picture.save(png, "PNG", compress_level=1)
        del picture
        print(
            f"made a {WIDTH} × {HEIGHT} JPEG of {jpeg.stat().st_size / 2**20:.1f} MB and a PNG of "
            f"{png.stat().st_size / 2**20:.1f} MB in {time.perf_counter() - start:.1f} s"
        )

        seconds, processed = median_time(jpeg, args.runs)
        page = processed.pages[0]
        display = Image.open(io.BytesIO(page.display))
        thumb = Image.open(io.BytesIO(page.thumbnail))
        print(
            f"24 MP JPEG -> display + thumbnail: {seconds:.2f} s (median of {args.runs}); "
            f"display {display.size[0]} × {display.size[1]} ({len(page.display) / 1024:.0f} KB), "
            f"thumbnail {thumb.size[0]} × {thumb.size[1]} "
            f"({len(page.thumbnail) / 1024:.0f} KB), edges {limits.display_edge}/{limits.thumbnail_edge}"
        )
        full, _ = median_time(jpeg, args.runs, draft=False)
        print(f"24 MP JPEG, draft decoding off:  {full:.2f} s (median of {args.runs}), {full / seconds:.1f}× the time")
        png_seconds, _ = median_time(png, args.runs)
        print(f"24 MP PNG (no draft mode):       {png_seconds:.2f} s (median of {args.runs})")

        baseline, baseline_maxrss = peak_kb("-")
        for label, path, mode in (("JPEG", jpeg, "draft"), ("JPEG, draft off", jpeg, "nodraft"), ("PNG", png, "draft")):
            peak, maxrss = peak_kb(path, mode)
            print(
                f"peak RSS, 24 MP {label}: {peak / 1024:.0f} MB (baseline {baseline / 1024:.0f} MB, so "
                f"{(peak - baseline) / 1024:.0f} MB for the image; ru_maxrss {maxrss / 1024:.0f} MB, "
                f"baseline {baseline_maxrss / 1024:.0f} MB)"
            )


if __name__ == "__main__":
    main()
