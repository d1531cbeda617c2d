"""Images, with Pillow alone: tell what a file is, refuse what we do not take, and make the copies readers see.

Originals are never shown to readers, so their EXIF, XMP and IPTC (camera serial numbers, GPS positions of a family's
house) stay in the original only. Readers get derivatives made here, once, at ingest or by `archive derive`: turned
upright by the EXIF orientation, converted to sRGB 8-bit, cleared of every metadata block, saved progressive.

Every file is decoded completely before anything is kept, so a truncated or corrupt one is refused whole. A file is
judged by its first bytes, never by its name, and Pillow is only asked to open the formats accepted.
"""

from __future__ import annotations

import datetime
import io
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from PIL import ExifTags, Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from .errors import ArchiveError, Count, Message
from .i18n import N_

try:  # HEIC/HEIF, as phones save photos, where the pillow-heif wheel is available for this machine
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False)
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the platform
    HEIF_AVAILABLE = False

# Our name of each accepted format -> the Pillow openers tried (the JPEG one also opens MPO, a JPEG with two pictures).
PILLOW_FORMATS = {"JPEG": ("JPEG",), "PNG": ("PNG",), "TIFF": ("TIFF",), "WEBP": ("WEBP",), "HEIF": ("HEIF",)}
MEDIA_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "TIFF": "image/tiff",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif", "WEBP": "webp", "HEIF": "heic"}
LABELS = {"JPEG": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "WEBP": "WebP", "HEIF": "HEIC/HEIF"}
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
# Formats we can name but do not take, so the refusal says what the file is.
_OTHER_SIGNATURES = [
    (b"GIF8", N_("a GIF image")),
    (b"8BPS", N_("a Photoshop (PSD) file")),
    (b"%PDF", N_("a PDF document")),
    (b"\x00\x00\x00\x0cjP  ", N_("a JPEG 2000 image")),
    (b"\xff\x4f\xff\x51", N_("a JPEG 2000 image")),
    (b"\x00\x00\x01\x00", N_("a Windows icon")),
    (b"PK\x03\x04", N_("a zip archive or Word document")),
]
_RESAMPLE = Image.Resampling.LANCZOS
_SRGB = ImageCms.createProfile("sRGB")


class ImageError(ArchiveError):
    """An image is refused; the message says why in words a contributor understands, and `code` names the reason
    for forms that say it in other languages: empty, size, format, heif, pixels, pages, truncated, damaged."""

    def __init__(self, message: str, code: str = "damaged", **params: object):
        super().__init__(message, "image", code, **params)


@dataclass(frozen=True)
class Limits:
    """What is accepted and what is made, from the ARCHIVE_* settings."""

    formats: tuple[str, ...] = ("JPEG", "PNG", "TIFF", "WEBP", "HEIF")
    max_bytes: int = 200 * 2**20
    max_pixels: int = 120_000_000
    max_pages: int = 50
    display_edge: int = 2048
    thumbnail_edge: int = 320
    derivative_format: str = "JPEG"

    @classmethod
    def from_config(cls, config: Mapping) -> Limits:
        """Read the limits from the app's settings, refusing formats we cannot open."""
        wanted = tuple(f.strip().upper() for f in str(config["ARCHIVE_IMAGE_FORMATS"]).split(",") if f.strip())
        unknown = [f for f in wanted if f not in PILLOW_FORMATS]
        if unknown:
            raise ArchiveError(
                f"ARCHIVE_IMAGE_FORMATS names {', '.join(unknown)}; known are {', '.join(PILLOW_FORMATS)}"
            )
        derivative = str(config["ARCHIVE_DERIVATIVE_FORMAT"]).strip().upper()
        if derivative not in ("JPEG", "WEBP"):
            raise ArchiveError(f"ARCHIVE_DERIVATIVE_FORMAT is {derivative}; it must be JPEG or WEBP")
        return cls(
            formats=tuple(f for f in wanted if f != "HEIF" or HEIF_AVAILABLE),
            max_bytes=int(config["ARCHIVE_MAX_IMAGE_MB"]) * 2**20,
            max_pixels=int(config["ARCHIVE_MAX_IMAGE_PIXELS"]),
            max_pages=int(config["ARCHIVE_MAX_IMAGE_PAGES"]),
            display_edge=int(config["ARCHIVE_DISPLAY_EDGE"]),
            thumbnail_edge=int(config["ARCHIVE_THUMBNAIL_EDGE"]),
            derivative_format=derivative,
        )

    def accepted(self) -> str:
        return ", ".join(LABELS[f] for f in self.formats)


@dataclass
class Page:
    """The derivatives of one page (a TIFF may hold many) and the page's upright size."""

    display: bytes
    thumbnail: bytes
    width: int
    height: int


@dataclass
class Processed:
    """An accepted image: its format, the copies readers see, and what the camera recorded (for staff)."""

    format: str
    pages: list[Page]
    technical: dict
    notes: list[str] = field(default_factory=list)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def sniff(head: bytes) -> str | None:
    """Name an image format from a file's first bytes: one of PILLOW_FORMATS, "AVIF", or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        if head[8:12] in (b"avif", b"avis"):
            return "AVIF"
        if head[8:12] in _HEIF_BRANDS:
            return "HEIF"
    return None


def describe(head: bytes) -> str | None:
    """Say what kind of image a file is, in words, for any image we can name (accepted or not); None otherwise."""
    found = sniff(head)
    if found == "AVIF":
        return Message(N_("an AVIF image"))
    if found:
        return Message(N_("a {format} image"), format=LABELS[found])
    if head.startswith(b"BM") and len(head) >= 14 and head[6:10] == b"\0\0\0\0":  # reserved bytes of a BMP header
        return Message(N_("a {format} image"), format="BMP")
    if re.match(rb"P[1-6]\s+(#[^\n]*\s+)*\d", head):  # a PBM/PGM/PPM magic number, then its width
        return Message(N_("a {format} image"), format="PBM/PGM/PPM")
    return next((Message(kind) for signature, kind in _OTHER_SIGNATURES[:5] if head.startswith(signature)), None)


def is_image(head: bytes) -> bool:
    """Tell an image (any we can name, so a refused GIF is refused as an image) from a transcript or audio."""
    return describe(head) is not None and not head.startswith((b"%PDF", b"PK\x03\x04"))


def process(source: bytes | Path, limits: Limits) -> Processed:
    """Check an image completely and make its derivatives; raise ImageError for anything we do not take."""
    if isinstance(source, Path):
        size = source.stat().st_size
        with source.open("rb") as f:
            head = f.read(32)
    else:
        size, head = len(source), source[:32]
    if size == 0:
        raise ImageError(N_("the file is empty"), "empty")
    if size > limits.max_bytes:
        raise ImageError(
            N_("the file is {size} MB; images over {limit} MB are refused"),
            "size",
            size=round(size / 2**20, 1),
            limit=round(limits.max_bytes / 2**20),
        )
    kind = sniff(head)
    if kind not in limits.formats:
        what = describe(head) or next((Message(k) for s, k in _OTHER_SIGNATURES if head.startswith(s)), None)
        if kind == "HEIF":
            raise ImageError(
                N_(
                    "this is a HEIC/HEIF photo, which this installation cannot read (pillow-heif is missing); "
                    "save it as JPEG and try again"
                ),
                "heif",
            )
        if what is None:
            raise ImageError(
                N_("this is not an image the archive accepts ({formats})"), "format", formats=limits.accepted()
            )
        raise ImageError(
            N_("this is {what}; the archive accepts {formats} images"),
            "format",
            what=what,  # a Message, or a name marked with N_: said in the page's language too
            formats=limits.accepted(),
        )
    pillow_formats = [name for f in limits.formats for name in PILLOW_FORMATS[f]]
    Image.MAX_IMAGE_PIXELS = limits.max_pixels  # Pillow warns above this and refuses above twice; we refuse both
    fp = source.open("rb") if isinstance(source, Path) else io.BytesIO(source)
    try:
        with warnings.catch_warnings(record=True) as caught:  # not thread-safe, but only ever loosens a filter
            warnings.simplefilter("always")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                with Image.open(fp, formats=pillow_formats) as im:
                    technical = _technical(im, kind)
                    pages = [_derive(frame, limits, kind) for frame in _frames(im, limits)]
            except (Image.DecompressionBombWarning, Image.DecompressionBombError):
                raise ImageError(
                    N_("the image is too large to open safely (more than {limit} pixels)"),
                    "pixels",
                    limit=Count(limits.max_pixels),
                ) from None
            except UnidentifiedImageError:
                raise ImageError(
                    N_(
                        "this file starts like a {format} image but cannot be read as one; it is damaged or not "
                        "an image"
                    ),
                    "damaged",
                    format=LABELS[kind],
                ) from None
            except ImageError:
                raise
            except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, MemoryError) as e:
                raise _damage(e, kind) from None
    finally:
        fp.close()
    technical["pages"] = len(pages)
    technical["width"], technical["height"] = pages[0].width, pages[0].height
    notes = list(dict.fromkeys(" ".join(str(w.message).split()) for w in caught))
    return Processed(kind, pages, technical, notes)


def _damage(error: Exception, kind: str) -> ImageError:
    text = str(error)
    if "truncated" in text or isinstance(error, EOFError) or "broken data stream" in text:
        return ImageError(
            N_("the {format} file is cut short (truncated): part of the picture is missing; send the whole file"),
            "truncated",
            format=LABELS[kind],
        )
    return ImageError(
        N_("the {format} file is damaged and cannot be read ({error})"),
        "damaged",
        format=LABELS[kind],
        error=text or type(error).__name__,
    )


def _frames(im: Image.Image, limits: Limits):
    """The pages of a scan: every page of a TIFF; of a JPEG only the picture (a phone's MPO or "Ultra HDR" JPEG adds
    a second eye or a gain map, which is not a page)."""
    for number, frame in enumerate(ImageSequence.Iterator(im), 1):
        if number > 1 and im.format in ("MPO", "JPEG"):
            return
        if number > limits.max_pages:
            raise ImageError(
                N_("the file holds more than {limit} pages; split it into smaller files"),
                "pages",
                limit=limits.max_pages,
            )
        width, height = frame.size
        if width * height > limits.max_pixels:
            raise ImageError(
                N_("page {number} is {width} × {height} pixels; images over {limit} pixels are refused"),
                "pixels",
                number=number,
                width=width,
                height=height,
                limit=Count(limits.max_pixels),
            )
        if width < 1 or height < 1:
            raise ImageError(N_("page {number} has no pixels"), "damaged", number=number)
        yield frame


def _derive(frame: Image.Image, limits: Limits, kind: str) -> Page:
    width, height = frame.size  # before draft decoding shrinks it
    if kind == "JPEG" and frame.format in ("JPEG", "MPO"):
        # decode at 1/2, 1/4 or 1/8 of full size, never below the display copy's own size (a square box would ask for
        # a short edge of display_edge too, which a 3:2 photo under 4096 pixels high never allows, so it saved nothing)
        longest = max(width, height)
        frame.draft("RGB", (-(-width * limits.display_edge // longest), -(-height * limits.display_edge // longest)))
    frame.load()
    try:
        upright = ImageOps.exif_transpose(frame)
    except Exception:  # noqa: BLE001 - unreadable EXIF: keep the picture as stored
        upright = frame.copy()
    if upright.size == (frame.size[1], frame.size[0]) and frame.size[0] != frame.size[1]:
        width, height = height, width
    rgb = to_srgb(upright)
    rgb.thumbnail((limits.display_edge, limits.display_edge), _RESAMPLE, reducing_gap=3.0)
    display = encode(rgb, limits.derivative_format)
    rgb.thumbnail((limits.thumbnail_edge, limits.thumbnail_edge), _RESAMPLE, reducing_gap=2.0)
    return Page(display, encode(rgb, limits.derivative_format), width, height)


def to_srgb(image: Image.Image) -> Image.Image:
    """Convert any mode Pillow opens to 8-bit RGB in sRGB: 16-bit scaled down (not clipped), CMYK and embedded colour
    profiles converted through Little CMS, transparency laid on white."""
    icc = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        bits = _bits(image)
        image = image.convert("I").point(lambda v: v * (255 / (2**bits - 1))).convert("L")
        icc = None
    elif image.mode == "F":
        low, high = image.getextrema()
        image = image.point(lambda v: (v - low) * (255 / ((high - low) or 1))).convert("L")
        icc = None
    elif image.mode == "1":
        image = image.convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
        image = flat
    if icc and image.mode in ("RGB", "CMYK", "L", "LAB"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, profile, _SRGB, outputMode="RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: convert as if there were none
    return image.convert("RGB") if image.mode != "RGB" else image


def _bits(image: Image.Image) -> int:
    """Bits per sample actually used: a 12-bit scan in a 16-bit TIFF says so in its tags."""
    tags = getattr(image, "tag_v2", None)
    if tags is not None:
        bits = tags.get(258)
        value = bits[0] if isinstance(bits, tuple) and bits else bits
        if isinstance(value, int) and 8 < value <= 16:
            return value
    return 16


def encode(image: Image.Image, fmt: str) -> bytes:
    """Save a derivative with no EXIF, XMP, IPTC, comment or profile: the pixels alone."""
    image.info = {}
    buffer = io.BytesIO()
    if fmt == "WEBP":
        image.save(buffer, "WEBP", quality=82, method=4)
    else:
        image.save(buffer, "JPEG", quality=85, progressive=True, optimize=True)
    return buffer.getvalue()


# --- what the camera recorded -------------------------------------------------------------------------------------

_EXIF_DATE_RE = re.compile(r"(\d{4})[:-](\d\d)[:-](\d\d)")


def _technical(im: Image.Image, kind: str) -> dict:
    found: dict = {"format": kind, "mode": im.mode}
    try:
        exif = im.getexif()
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
        camera = " ".join(str(exif.get(tag, "")).split("\x00")[0] for tag in (ExifTags.Base.Make, ExifTags.Base.Model))
        if camera.strip():
            found["camera"] = " ".join(camera.split())
        taken = ifd.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
        if taken:
            found["taken"] = str(taken).split("\x00")[0].strip()
        orientation = exif.get(ExifTags.Base.Orientation)
        if orientation in range(2, 9):
            found["orientation"] = int(orientation)
        gps = _gps(exif.get_ifd(ExifTags.IFD.GPSInfo))
        if gps:
            found["gps"] = gps
    except Exception:  # noqa: BLE001 - broken EXIF is common and never a reason to refuse a photo
        found["exif_unreadable"] = True
    if "taken" not in found:
        xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
        if xmp:
            text = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp)
            match = re.search(r"(?:DateTimeOriginal|CreateDate|DateCreated)(?:=\"|>)([^\"<]+)", text)
            if match:
                found["taken"] = match.group(1).strip()
    return found


def _gps(info: Mapping) -> dict | None:
    def degrees(value, ref) -> float | None:
        try:
            d, m, s = (float(x) for x in value)
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        sign = -1 if str(ref).strip("\x00 ").upper() in ("S", "W") else 1
        result = sign * (d + m / 60 + s / 3600)
        return None if math.isnan(result) else round(result, 6)  # 0/0 rationals read as NaN

    lat = degrees(info.get(2), info.get(1, "N")) if info.get(2) is not None else None
    lon = degrees(info.get(4), info.get(3, "E")) if info.get(4) is not None else None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return {"lat": lat, "lon": lon}


def suggested_date(technical: Mapping) -> str:
    """The day the camera says the photo was taken, as an EDTF date; "" when it says nothing usable."""
    match = _EXIF_DATE_RE.match(str(technical.get("taken", "")))
    if not match:
        return ""
    try:
        return datetime.date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:  # "0000:00:00", as cameras without a clock write
        return ""
