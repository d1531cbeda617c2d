"""Images through images.process, media.MediaIngester and the command line, with pictures made here by Pillow.

Every picture is generated in memory or in tmp_path, so each test says exactly what it feeds in: a PNG declaring ten
billion pixels in 74 bytes, a JPEG cut in half, CMYK patches, 16-bit gradients, each EXIF orientation, a photo carrying
GPS, XMP, IPTC and a comment. What comes out is checked by opening the derivatives again with Pillow and by reading
their raw bytes.
"""

import io
import json
import re
import shutil
import struct
from pathlib import Path

import pytest
from factories import encoded, handmade_png
from PIL import ExifTags, Image, ImageDraw, IptcImagePlugin

from archive import images, media

LIMITS = images.Limits()
# Raw markers of the metadata blocks no derivative may carry: EXIF (JPEG APP1 and WebP chunk), XMP, IPTC (APP13).
METADATA_MARKERS = (b"Exif", b"EXIF", b"http://ns.adobe.com/xap", b"Photoshop 3.0", b"8BIM")


@pytest.fixture(autouse=True)
def _restore_pillow_pixel_limit(monkeypatch):
    """images.process sets Pillow's global MAX_IMAGE_PIXELS from the Limits it is given; put it back afterwards."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


@pytest.fixture
def ingester(collection):
    return media.MediaIngester(collection, LIMITS, "tester")


# --- helpers ------------------------------------------------------------------------------------------------------


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def grainy(size: tuple[int, int]) -> Image.Image:
    """Noise in three channels: compresses like a photo, so a cut falls inside the picture data."""
    return Image.merge("RGB", [Image.effect_noise(size, 50 + 10 * n) for n in range(3)])


def media_files(root: Path) -> list[str]:
    """Everything under media/ (folders, staging folders, files), as paths relative to it."""
    folder = root / "media"
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.exists() else []


def derived(root: Path, item_id: str) -> dict[str, bytes]:
    folder = root / "media" / item_id / "derived"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def item_record(root: Path, item_id: str) -> dict:
    return json.loads((root / "media" / item_id / "item.json").read_text("utf-8"))


def assert_refused_and_nothing_left(outcome, root: Path, fragment: str) -> None:
    assert outcome.status == "failed", outcome
    assert fragment in outcome.reason
    assert outcome.interview_id is None
    assert media_files(root) == []


def assert_no_metadata(data: bytes) -> None:
    """A derivative holds the pixels alone: no EXIF (so no GPS), no XMP, no IPTC, no comment, no profile."""
    image = opened(data)
    assert len(image.getexif()) == 0
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "photoshop", "comment", "icc_profile"} & set(image.info)
    assert IptcImagePlugin.getiptcinfo(image) is None
    for marker in METADATA_MARKERS:
        assert marker not in data, marker


def close(pixel, expected, tolerance=24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=False))


# --- refused files leave nothing ----------------------------------------------------------------------------------


def test_pixel_flood_png_is_refused_from_its_header(ingester, collection):
    # 74 bytes declaring 100,000 × 100,000 one-bit pixels: decoded, it would need gigabytes
    flood = handmade_png(100_000, 100_000, 1, 0, b"\x00" * 1000)
    assert len(flood) < 100
    outcome = ingester.ingest(flood, "flood.png", None)
    assert_refused_and_nothing_left(outcome, collection.root, "more than 120,000,000 pixels")
    assert outcome.reason == "the image is too large to open safely (more than 120,000,000 pixels)"


@pytest.mark.parametrize("size", [(1200, 1000), (2000, 2000)], ids=["over-the-limit", "over-twice-the-limit"])
def test_pixel_limit_is_the_setting_in_both_of_pillows_ranges(collection, size):
    # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; both are refusals here
    limits = images.Limits(max_pixels=1_000_000)
    one_bit = encoded(Image.new("1", size, 1), "PNG")
    outcome = media.MediaIngester(collection, limits, "tester").ingest(one_bit, "scan.png", None)
    assert_refused_and_nothing_left(outcome, collection.root, "more than 1,000,000 pixels")


def test_every_page_of_a_tiff_is_held_to_the_pixel_and_page_limits(collection):
    first, second = Image.new("L", (500, 400), 90), Image.new("L", (1500, 1000), 160)
    tiff = encoded(first, "TIFF", save_all=True, append_images=[second, first])
    outcome = media.MediaIngester(collection, images.Limits(max_pixels=1_000_000), "t").ingest(tiff, "letter.tif", None)
    assert_refused_and_nothing_left(
        outcome, collection.root, "page 2 is 1500 × 1000 pixels; images over 1,000,000 pixels are refused"
    )
    outcome = media.MediaIngester(collection, images.Limits(max_pages=2), "t").ingest(tiff, "letter.tif", None)
    assert_refused_and_nothing_left(
        outcome, collection.root, "the file holds more than 2 pages; split it into smaller files"
    )


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
def test_a_file_cut_in_half_is_refused_as_truncated(ingester, collection, fmt):
    whole = encoded(grainy((240, 180)), fmt)
    assert opened(whole).size == (240, 180)
    outcome = ingester.ingest(whole[: len(whole) // 2], f"cut.{fmt.lower()}", None)
    label = images.LABELS[fmt]
    assert_refused_and_nothing_left(outcome, collection.root, "cut short (truncated)")
    assert outcome.reason == (
        f"the {label} file is cut short (truncated): part of the picture is missing; send the whole file"
    )


def test_a_text_file_named_jpg_is_not_taken_as_an_image(ingester, collection):
    text = b"Letter from Posyet, 1936.\nDear sister, we are well.\n"
    outcome = ingester.ingest(text, "letter.jpg", None)
    assert_refused_and_nothing_left(outcome, collection.root, "not an image")
    assert outcome.reason == f"this is not an image the archive accepts ({LIMITS.accepted()})"


def test_a_text_file_named_jpg_is_refused_by_the_command_line(runner, app, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "photo.jpg").write_text("Letter from Posyet, 1936.\nDear sister, we are well.\n", "utf-8")
    result = runner("ingest", str(incoming / "photo.jpg"))
    root = app.config["ARCHIVE_DATA"]
    assert not (root / "interviews").exists() or not any((root / "interviews").iterdir())
    assert result.exit_code == 1
    assert "FAILED     photo.jpg: this file is named .jpg but holds text, not an image" in result.stdout


def test_binary_junk_named_jpg_gets_a_specific_refusal_from_the_command_line(runner, app, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "scan.jpg").write_bytes(bytes(range(256)) * 8)
    result = runner("ingest", str(incoming / "scan.jpg"))
    assert result.exit_code == 1
    assert "FAILED     scan.jpg: this is binary data, not a transcript" in result.stdout
    assert "Error: 0 ingested, 0 already present, 1 failed" in result.stderr
    root = app.config["ARCHIVE_DATA"]
    assert media_files(root) == [] and not any((root / "interviews").glob("*"))


def test_a_gif_is_refused_by_name_through_the_ingester_and_the_command_line(ingester, collection, runner, tmp_path):
    gif = encoded(Image.new("P", (30, 20), 3), "GIF")
    outcome = ingester.ingest(gif, "card.gif", None)
    assert_refused_and_nothing_left(
        outcome, collection.root, f"this is a GIF image; the archive accepts {LIMITS.accepted()} images"
    )
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "card.png").write_bytes(gif)  # the name lies; the content decides
    result = runner("ingest", str(incoming / "card.png"))
    assert result.exit_code == 1
    assert "FAILED     card.png: this is a GIF image; the archive accepts" in result.stdout
    assert media_files(collection.root) == []


# --- colour and depth -----------------------------------------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb_with_the_right_colours(ingester, collection):
    patches = {
        (255, 0, 0, 0): (0, 255, 255),
        (0, 255, 0, 0): (255, 0, 255),
        (0, 0, 255, 0): (255, 255, 0),
        (0, 0, 0, 255): (0, 0, 0),
        (0, 0, 0, 0): (255, 255, 255),
    }
    cmyk = Image.new("CMYK", (50 * len(patches), 50))
    for n, ink in enumerate(patches):
        cmyk.paste(ink, (50 * n, 0, 50 * n + 50, 50))
    data = encoded(cmyk, "JPEG", quality=95)
    assert opened(data).mode == "CMYK"
    outcome = ingester.ingest(data, "poster.jpg", None)
    assert outcome.status == "ingested", outcome.reason
    record = item_record(collection.root, outcome.interview_id)
    assert record["technical"]["mode"] == "CMYK"
    for name, data in derived(collection.root, outcome.interview_id).items():
        image = opened(data)
        assert image.mode == "RGB", name
        assert "icc_profile" not in image.info
        if name.startswith("display"):
            for n, expected in enumerate(patches.values()):
                assert close(image.getpixel((50 * n + 25, 25)), expected), (n, image.getpixel((50 * n + 25, 25)))


def gradient_16bit(width: int = 256, height: int = 8) -> Image.Image:
    """Gray from 0 to 65535 left to right, in Pillow's 16-bit mode."""
    row = b"".join(struct.pack("<H", round(x * 65535 / (width - 1))) for x in range(width))
    return Image.frombytes("I;16", (width, height), row * height)


def rgb48_png() -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow reads these but cannot write them): the same gray ramp in R, G and B."""
    rows = b"".join(
        b"\x00" + b"".join(struct.pack(">HHH", *[round(x * 65535 / 255)] * 3) for x in range(256)) for _ in range(8)
    )
    return handmade_png(256, 8, 16, 2, rows)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: encoded(gradient_16bit(), "PNG"), id="gray16-png"),
        pytest.param(lambda: encoded(gradient_16bit(), "TIFF"), id="gray16-tiff"),
        pytest.param(lambda: encoded(gradient_16bit(), "TIFF", compression="tiff_deflate"), id="gray16-tiff-deflate"),
        pytest.param(rgb48_png, id="rgb48-png"),
    ],
)
def test_16_bit_images_are_scaled_to_8_bits_not_clipped(ingester, collection, make):
    data = make()
    outcome = ingester.ingest(data, "scan", None)
    assert outcome.status == "ingested", outcome.reason
    display = opened(derived(collection.root, outcome.interview_id)["display-1.jpg"])
    assert display.mode == "RGB" and display.size == (256, 8)
    left, middle, right = (display.getpixel((x, 4)) for x in (0, 128, 255))
    assert close(left, (0, 0, 0), 6)
    assert close(middle, (128, 128, 128), 8), middle  # clipping would make it white
    assert close(right, (255, 255, 255), 6)
    quarter = display.getpixel((64, 4))
    assert close(quarter, (64, 64, 64), 8), quarter


# --- orientation ------------------------------------------------------------------------------------------------

# The transform that, applied by a camera to an upright picture, makes EXIF orientation n necessary to undo it.
STORED_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright_picture(size=(60, 40)) -> Image.Image:
    """White, with a red block in the top-left corner: only one of the eight flips and turns looks like this."""
    picture = Image.new("RGB", size, "white")
    picture.paste((255, 0, 0), (0, 0, size[0] // 3, size[1] // 3))
    return picture


def assert_upright(image: Image.Image, size=(60, 40)) -> None:
    w, h = size
    assert image.size == size
    assert close(image.getpixel((w // 10, h // 10)), (255, 0, 0), 40), image.getpixel((w // 10, h // 10))
    for corner in ((w - 1 - w // 10, h // 10), (w // 10, h - 1 - h // 10), (w - 1 - w // 10, h - 1 - h // 10)):
        assert close(image.getpixel(corner), (255, 255, 255), 40), (corner, image.getpixel(corner))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF", "WEBP"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_turned_upright_and_the_tag_dropped(ingester, collection, orientation, fmt):
    picture = upright_picture()
    stored = picture.transpose(STORED_AS[orientation]) if STORED_AS[orientation] is not None else picture
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    data = encoded(stored, fmt, exif=exif, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
    assert Image.open(io.BytesIO(data)).getexif()[ExifTags.Base.Orientation] == orientation  # before load(), which
    # for a TIFF already turns it upright
    outcome = ingester.ingest(data, f"photo.{images.EXTENSIONS[fmt]}", None)
    assert outcome.status == "ingested", outcome.reason
    record = item_record(collection.root, outcome.interview_id)
    assert record["pages"] == [{"width": 60, "height": 40}]
    assert record["technical"].get("orientation") == (orientation if orientation > 1 else None)
    files = derived(collection.root, outcome.interview_id)
    assert sorted(files) == ["display-1.jpg", "thumb-1.jpg"]
    assert_upright(opened(files["display-1.jpg"]))
    assert_upright(opened(files["thumb-1.jpg"]))
    for data in files.values():
        assert_no_metadata(data)


# --- metadata stays with staff --------------------------------------------------------------------------------

XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Epson Scan"/></rdf:RDF></x:xmpmeta>'
    b'<?xpacket end="w"?>'
)


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KMZ"
    exif[ExifTags.Base.Model] = "Zenit-E"
    exif[ExifTags.Base.Software] = "scanner 1.0"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "1987:06:14 10:30:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (42.0, 39.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (130.0, 48.0, 36.0)
    return exif


def with_iptc(jpeg: bytes, caption: bytes) -> bytes:
    """Insert a Photoshop APP13 segment holding an IPTC caption, as news and archive software write it."""
    record = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(record)) + record
    resource += b"\x00" * (len(record) % 2)
    payload = b"Photoshop 3.0\x00" + resource
    return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def test_gps_xmp_iptc_and_comment_stay_in_the_original_and_reach_staff_only(ingester, collection):
    jpeg = encoded(
        upright_picture((400, 300)),
        "JPEG",
        quality=90,
        exif=camera_exif(),
        xmp=XMP,
        comment=b"Grandmother's house, Posyet",
    )
    jpeg = with_iptc(jpeg, b"Posyet 1937")
    source = opened(jpeg)  # the input really carries all four blocks
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == (42.0, 39.0, 0.0)
    assert source.info["xmp"] == XMP and source.info["comment"] == b"Grandmother's house, Posyet"
    assert IptcImagePlugin.getiptcinfo(source) == {(2, 120): b"Posyet 1937"}

    outcome = ingester.ingest(jpeg, "house.jpg", None)
    assert outcome.status == "ingested", outcome.reason
    assert "the camera dates it 1987-06-14; add that as its date if it is right" in outcome.notes
    root = collection.root
    files = derived(root, outcome.interview_id)
    assert sorted(files) == ["display-1.jpg", "thumb-1.jpg"]
    for data in files.values():
        assert_no_metadata(data)
        assert b"Posyet" not in data and b"Zenit" not in data
    record = item_record(root, outcome.interview_id)
    technical = record["technical"]
    assert technical["camera"] == "KMZ Zenit-E"
    assert technical["taken"] == "1987:06:14 10:30:00"
    assert technical["gps"] == {"lat": 42.65, "lon": 130.81}
    assert images.suggested_date(technical) == "1987-06-14"
    assert "date" not in record  # suggested to staff, not filled in
    original = root / "media" / outcome.interview_id / record["source"]["original"]
    assert original.read_bytes() == jpeg  # the original keeps everything, byte for byte


@pytest.mark.parametrize(
    "taken, expected",
    [
        ("1987:06:14 10:30:00", "1987-06-14"),
        ("2004-08-27T09:00:00", "2004-08-27"),
        ("0000:00:00 00:00:00", ""),
        ("1987:02:30 00:00:00", ""),
        ("", ""),
        ("    :  :     :  :  ", ""),
    ],
)
def test_suggested_date_is_an_edtf_day_or_nothing(taken, expected):
    assert images.suggested_date({"taken": taken}) == expected


def test_xmp_date_is_used_when_there_is_no_exif(ingester, collection):
    xmp = XMP.replace(b'xmp:CreatorTool="Epson Scan"', b'xmp:CreateDate="1962-09-01T12:00:00"')
    outcome = ingester.ingest(encoded(upright_picture(), "JPEG", xmp=xmp), "scan.jpg", None)
    assert outcome.status == "ingested", outcome.reason
    assert "the camera dates it 1962-09-01; add that as its date if it is right" in outcome.notes
    for data in derived(collection.root, outcome.interview_id).values():
        assert_no_metadata(data)


# --- pages, formats and sizes ---------------------------------------------------------------------------------------


def test_multi_page_tiff_keeps_every_page_and_the_original_byte_for_byte(ingester, collection):
    pages = [((300, 200), (200, 30, 30)), ((120, 160), (30, 160, 30)), ((50, 50), (30, 30, 200))]
    frames = [Image.new("RGB", size, colour) for size, colour in pages]
    tiff = encoded(frames[0], "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    outcome = ingester.ingest(tiff, "passport.tif", None)
    assert outcome.status == "ingested", outcome.reason
    root = collection.root
    record = item_record(root, outcome.interview_id)
    assert record["pages"] == [{"width": w, "height": h} for (w, h), _ in pages]
    assert record["technical"]["pages"] == 3 and record["source"]["format"] == "TIFF"
    files = derived(root, outcome.interview_id)
    assert sorted(files) == [f"{size}-{n}.jpg" for size in ("display", "thumb") for n in (1, 2, 3)]
    for n, (size, colour) in enumerate(pages, 1):
        display = opened(files[f"display-{n}.jpg"])
        assert display.size == size
        assert close(display.getpixel((size[0] // 2, size[1] // 2)), colour)
        assert max(opened(files[f"thumb-{n}.jpg"]).size) <= LIMITS.thumbnail_edge
    assert (root / "media" / outcome.interview_id / "original" / "image.tif").read_bytes() == tiff
    assert media.load(collection, outcome.interview_id).pages == 3


def test_webp_with_transparency_is_laid_on_white(ingester, collection):
    picture = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    ImageDraw.Draw(picture).rectangle((0, 0, 19, 29), fill=(20, 40, 200, 255))
    data = encoded(picture, "WEBP", lossless=True)
    outcome = ingester.ingest(data, "stamp.webp", None)
    assert outcome.status == "ingested", outcome.reason
    record = item_record(collection.root, outcome.interview_id)
    assert record["source"]["original"] == "original/image.webp"
    assert record["source"]["media_type"] == "image/webp"
    display = opened(derived(collection.root, outcome.interview_id)["display-1.jpg"])
    assert close(display.getpixel((8, 15)), (20, 40, 200)) and close(display.getpixel((32, 15)), (255, 255, 255))


def test_webp_derivatives_when_the_setting_asks_for_them(collection):
    jpeg = encoded(upright_picture((600, 400)), "JPEG", quality=90, exif=camera_exif(), xmp=XMP, comment=b"note")
    limits = images.Limits(derivative_format="WEBP")
    outcome = media.MediaIngester(collection, limits, "tester").ingest(jpeg, "house.jpg", None)
    assert outcome.status == "ingested", outcome.reason
    files = derived(collection.root, outcome.interview_id)
    assert sorted(files) == ["display-1.webp", "thumb-1.webp"]
    for name, data in files.items():
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", name
        image = opened(data)
        assert image.format == "WEBP"
        assert_no_metadata(data)
        assert b"XMP " not in data and b"ICCP" not in data
    assert_upright(opened(files["display-1.webp"]), (600, 400))
    assert item_record(collection.root, outcome.interview_id)["derived"] == {
        "format": "WEBP",
        "display_edge": limits.display_edge,
        "thumbnail_edge": limits.thumbnail_edge,
    }


@pytest.mark.parametrize(
    "upright_size, orientation",
    [((4200, 2800), 1), ((2800, 4200), 1), ((4200, 2800), 6)],
    ids=["landscape", "portrait", "landscape-stored-turned"],
)
def test_large_jpeg_gets_display_and_thumbnail_edges_progressive(ingester, collection, upright_size, orientation):
    picture = upright_picture(upright_size)
    stored = picture.transpose(STORED_AS[orientation]) if orientation > 1 else picture
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    outcome = ingester.ingest(encoded(stored, "JPEG", quality=85, exif=exif), "big.jpg", None)
    assert outcome.status == "ingested", outcome.reason
    w, h = upright_size
    record = item_record(collection.root, outcome.interview_id)
    assert record["pages"] == [{"width": w, "height": h}]  # the original's size, not the decoded draft's
    assert record["technical"]["width"] == w and record["technical"]["height"] == h
    files = derived(collection.root, outcome.interview_id)
    for name, edge in (("display-1.jpg", LIMITS.display_edge), ("thumb-1.jpg", LIMITS.thumbnail_edge)):
        image = opened(files[name])
        expected = (edge, round(h * edge / w)) if w > h else (round(w * edge / h), edge)
        assert image.size == expected, name
        assert max(image.size) == edge
        assert image.info.get("progressive") or image.info.get("progression"), name
        assert_upright(image, expected)
        assert_no_metadata(files[name])


# --- `archive derive` and `archive verify` ------------------------------------------------------------------------


def test_derive_remakes_missing_or_stale_derivatives_and_verify_stays_clean(runner, app, tmp_path, monkeypatch):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "house.jpg").write_bytes(encoded(upright_picture((900, 600)), "JPEG", exif=camera_exif()))
    result = runner("ingest", str(incoming / "house.jpg"))
    assert result.exit_code == 0, result.output
    match = re.search(r"ingested   house\.jpg -> media/(\w+)", result.stdout)
    assert match, result.stdout
    item_id = match.group(1)
    assert "note: the camera dates it 1987-06-14" in result.stdout
    root = app.config["ARCHIVE_DATA"]
    folder = root / "media" / item_id
    before = derived(root, item_id)
    assert sorted(before) == ["display-1.jpg", "thumb-1.jpg"]

    shutil.rmtree(folder / "derived")
    assert runner("verify").exit_code == 0  # derived/ is outside the manifest: its absence is no problem
    result = runner("derive")
    assert result.exit_code == 0, result.output
    assert "1 made, 0 already current, 0 failed" in result.stdout
    assert derived(root, item_id) == before  # made again, to the byte
    result = runner("derive")
    assert "0 made, 1 already current, 0 failed" in result.stdout
    assert not [p.name for p in folder.iterdir() if p.name.startswith((".derived-", ".new-"))]
    verify = runner("verify")
    assert verify.exit_code == 0, verify.output
    assert "All files of 1 folder match their manifests." in verify.stdout

    monkeypatch.setenv("ARCHIVE_DERIVATIVE_FORMAT", "WEBP")  # other settings make the derivatives stale
    result = runner("derive", item_id)
    assert "1 made, 0 already current, 0 failed" in result.stdout, result.output
    assert sorted(derived(root, item_id)) == ["display-1.webp", "thumb-1.webp"]
    assert item_record(root, item_id)["derived"]["format"] == "WEBP"
    assert "0 made, 1 already current, 0 failed" in runner("derive").stdout
    verify = runner("verify")
    assert verify.exit_code == 0, verify.output


@pytest.mark.parametrize("start", [b"P1: We left Posyet in 1937.\n", b"BM: Tell me about the train.\n"])
def test_a_transcript_whose_first_speaker_looks_like_an_image_signature_is_a_transcript(start):
    assert not images.is_image(start + b"P2: We did.\n")
