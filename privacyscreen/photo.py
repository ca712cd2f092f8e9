"""Load a photo: bytes in, upright RGB pixels out, plus what the file carried."""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, ImageCms, ImageOps, JpegImagePlugin

from .metadata import Metadata, inventory

pillow_heif.register_heif_opener()

MAX_PIXELS = 100_000_000  # 100 megapixels: well above any phone photo, far below a bomb (README, messages)
MAX_FILE_BYTES = 200 * 1024 * 1024  # 200 MB (messages)
MULTI_FRAME_OK = {"MPO", "HEIF"}  # the first (primary) image is the photo; the others are never written
FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF", "TIFF", "BMP", "GIF"}  # as error-unsupported lists them


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
    palette: bool = False  # a graphic of a few colours (a palette, black and white, a GIF): written as PNG
    metadata: tuple[Metadata, ...] = ()  # what the file carried beyond pixels, colour profile and our own XMP

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
            raise PhotoError("file-too-large", f"{path.stat().st_size} bytes")
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
    with no_bomb_warning():
        try:
            im = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as e:
            raise PhotoError("too-large", str(e)) from e
        except Image.UnidentifiedImageError as e:
            raise PhotoError("not-an-image") from e
        except Exception as e:  # noqa: BLE001 - every decoder fault means "cannot screen"
            raise PhotoError("corrupt", f"{type(e).__name__}: {e}") from e
        hidden = polyglot(data)  # an image that is also an archive or a document (a plain one is no image)
        if hidden:
            raise PhotoError("polyglot", hidden)
        if im.format not in FORMATS:
            raise PhotoError("unsupported", im.format or "?")
        if im.width * im.height > MAX_PIXELS:
            raise PhotoError("too-large", f"{im.width}x{im.height}")
        try:
            frames = getattr(im, "n_frames", 1)  # counting reads every frame
            if frames > 1 and im.format == "TIFF":  # a scan or a document, not an animation
                raise PhotoError("pages", str(frames))
            if frames > 1 and im.format not in MULTI_FRAME_OK:
                raise PhotoError("animated", f"{frames} frames")
            metadata = inventory(im, data)
            quality, subsampling = jpeg_settings(im)
            icc = im.info.get("icc_profile")
            fmt, mode = im.format, im.mode
            upright = ImageOps.exif_transpose(im)  # a copy, so the decoded original goes (50 MP: 150 MB each)
            del im
            upright_mode = upright.mode
            rgb = to_rgb(upright)
            del upright
        except PhotoError:
            raise
        except Exception as e:  # noqa: BLE001
            raise PhotoError("corrupt", f"{type(e).__name__}: {e}") from e
    if icc and not (icc[16:20] == b"RGB " and upright_mode in ("RGB", "RGBA", "P") and valid_icc(icc)):
        icc = None  # a CMYK, grey or malformed profile does not travel with our RGB pixels
    return Photo(
        pixels=np.asarray(rgb),
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        icc_profile=icc or None,
        jpeg_quality=quality,
        jpeg_subsampling=subsampling,
        palette=mode in ("1", "P", "PA") or fmt == "GIF",
        metadata=metadata,
    )


@contextmanager
def no_bomb_warning() -> Iterator[None]:
    """Silence Pillow's decompression-bomb warning, which comes from about 89 megapixels: the limit
    is MAX_PIXELS, which decode enforces (Pillow itself still refuses twice its own)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


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
    if im.mode.startswith("I;16"):  # 16 bits per pixel, either byte order: keep the top 8
        im = im.convert("I").point(lambda v: v / 256).convert("L")
    return im if im.mode == "RGB" else im.convert("RGB")


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
