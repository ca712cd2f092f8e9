"""Load a photo: bytes in, upright RGB pixels out, plus what the file carried."""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageCms, ImageOps, JpegImagePlugin

pillow_heif.register_heif_opener()

MAX_PIXELS = 100_000_000  # 100 megapixels: well above any phone photo, far below a bomb
MAX_FILE_BYTES = 200 * 1024 * 1024
MULTI_FRAME_OK = {"MPO", "HEIF"}  # the first (primary) image is the photo; the others are never written
FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF", "TIFF", "BMP", "GIF"}

# EXIF tags whose mere presence identifies a person, a device or a place.
IDENTIFYING_EXIF = {
    "owner-name": {0x013B, 0x8298, 0xA430, 0x9C9D},  # Artist, Copyright, CameraOwnerName, XPAuthor
    "camera-serial": {0xA431, 0xA435, 0xA420},  # BodySerialNumber, LensSerialNumber, ImageUniqueID
    "description": {0x010E, 0x9286, 0x9C9B, 0x9C9C, 0x9C9E, 0x9C9F},  # descriptions, comments, XP*
}


class PhotoError(Exception):
    """The file cannot be screened. `code` names a user message in messages.py."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass
class Photo:
    """An upright RGB photo and what its file carried."""

    pixels: np.ndarray  # H x W x 3, uint8, RGB, orientation applied
    format: str  # Pillow format name of the source
    sha256: str  # of the source bytes
    icc_profile: bytes | None = None  # kept only when it describes RGB pixels
    jpeg_quality: int | None = None  # estimated from the source's quantisation tables
    jpeg_subsampling: int | None = None
    metadata: list[str] = field(default_factory=list)  # identifying metadata found (codes)

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    @property
    def height(self) -> int:
        return self.pixels.shape[0]


def load(path: Path) -> Photo:
    """Read and decode a photo; raise PhotoError with a user-facing code on any problem."""
    return decode(read(path))


def read(path: Path) -> bytes:
    """The bytes of a photo file, refusing symbolic links (never followed), names with control
    characters (made to break or fake lines of a report or a log) and files too large to be a photo."""
    if path.is_symlink():
        raise PhotoError("symlink")
    if not path.name.isprintable():
        raise PhotoError("bad-name")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PhotoError("too-large", f"{path.stat().st_size} bytes")
        return path.read_bytes()
    except FileNotFoundError as e:
        raise PhotoError("missing") from e
    except PermissionError as e:
        raise PhotoError("unreadable", str(e)) from e
    except IsADirectoryError as e:
        raise PhotoError("not-an-image", str(e)) from e


def decode(data: bytes) -> Photo:
    if not data:
        raise PhotoError("empty")
    hidden = polyglot(data)
    if hidden:
        raise PhotoError("polyglot", hidden)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as e:
            raise PhotoError("too-large", str(e)) from e
        except Image.UnidentifiedImageError as e:
            raise PhotoError("not-an-image") from e
        except Exception as e:  # noqa: BLE001 - every decoder fault means "cannot screen"
            raise PhotoError("corrupt", f"{type(e).__name__}: {e}") from e
        if im.format not in FORMATS:
            raise PhotoError("unsupported", im.format or "?")
        if im.width * im.height > MAX_PIXELS:
            raise PhotoError("too-large", f"{im.width}x{im.height}")
        try:
            frames = getattr(im, "n_frames", 1)  # counting reads every frame
            if frames > 1 and im.format not in MULTI_FRAME_OK:
                raise PhotoError("animated", f"{frames} frames")
            metadata = inventory(im)
            quality, subsampling = jpeg_settings(im)
            icc = im.info.get("icc_profile")
            upright = ImageOps.exif_transpose(im)
            rgb = to_rgb(upright)
        except PhotoError:
            raise
        except Exception as e:  # noqa: BLE001
            raise PhotoError("corrupt", f"{type(e).__name__}: {e}") from e
    if icc and not (icc[16:20] == b"RGB " and upright.mode in ("RGB", "RGBA", "P") and valid_icc(icc)):
        icc = None  # a CMYK, grey or malformed profile does not travel with our RGB pixels
    return Photo(
        pixels=np.asarray(rgb),
        format=im.format,
        sha256=hashlib.sha256(data).hexdigest(),
        icc_profile=icc or None,
        jpeg_quality=quality,
        jpeg_subsampling=subsampling,
        metadata=metadata,
    )


def polyglot(data: bytes) -> str | None:
    """What other kind of file `data` is as well ("ZIP", "PDF"), or None. A photo that is also an
    archive or a document was made to smuggle something; phones' own trailers (motion photos,
    MPO frames) are neither, and are dropped by the rebuild."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        return "ZIP"
    if b"%PDF-" in data[:1024] or data.rstrip().endswith(b"%%EOF"):
        return "PDF"
    return None


def valid_icc(icc: bytes) -> bool:
    """Whether LittleCMS reads the profile (a malformed one is dropped, not copied)."""
    try:
        ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return True
    except (ImageCms.PyCMSError, OSError, ValueError):
        return False


def to_rgb(im: Image.Image) -> Image.Image:
    """Flatten transparency onto white (hidden pixels must not travel on) and drop other modes."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    if im.mode == "I;16" or im.mode.startswith("I;16"):
        im = im.point(lambda v: v / 256).convert("L")
    return im.convert("RGB")


# libjpeg's standard luminance table (natural order), quality 50.
_STD_LUMA = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]  # fmt: skip


def _scaled_sum(quality: int) -> int:
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return sum(min(255, max(1, (v * scale + 50) // 100)) for v in _STD_LUMA)


def jpeg_settings(im: Image.Image) -> tuple[int | None, int | None]:
    """Estimate the JPEG quality (libjpeg scale) and chroma subsampling of a source JPEG."""
    tables = getattr(im, "quantization", None)
    if im.format not in ("JPEG", "MPO") or not tables:
        return None, None
    total = sum(tables[min(tables)])
    quality = min(range(1, 101), key=lambda q: abs(_scaled_sum(q) - total))
    return quality, JpegImagePlugin.get_sampling(im)


def inventory(im: Image.Image) -> list[str]:
    """Codes of the identifying metadata a source file carries (it is all dropped on output)."""
    found: list[str] = []
    exif = im.getexif()
    if exif:
        tags = set(exif) | set(exif.get_ifd(ExifTags.IFD.Exif))
        if exif.get_ifd(ExifTags.IFD.GPSInfo):
            found.append("gps")
        found += [code for code, ids in IDENTIFYING_EXIF.items() if tags & ids]
        if exif.get_ifd(ExifTags.IFD.IFD1):
            found.append("exif-thumbnail")
        found.append("exif")
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    if xmp:
        text = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp)
        if "mwg-rs:" in text or "MPRI:" in text or "MP:RegionInfo" in text:
            found.append("xmp-face-regions")
        if "PersonInImage" in text or "PersonDisplayName" in text:
            found.append("xmp-person-names")
        found.append("xmp")
    applist = getattr(im, "applist", [])
    if any(marker == "APP13" for marker, _ in applist):
        found.append("iptc")
    if im.info.get("comment"):
        found.append("comment")
    if getattr(im, "text", None):
        found.append("text-chunks")
    if getattr(im, "n_frames", 1) > 1:
        found.append("extra-frames")
    return found
