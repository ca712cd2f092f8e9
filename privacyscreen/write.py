"""Rebuild, verify, then place: outputs are re-encoded from pixels with an allow-list of
metadata (the ICC profile and one XMP packet with the model-release status), read back and
checked, and only then renamed into place."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from .photo import Photo

RELEASE_STATUS = {  # IPTC Extension / PLUS "Model Release Status"
    "not-applicable": "MR-NAP",  # no recognisable person in the output
    "none": "MR-NON",  # a recognisable person, no release
    "limited": "MR-LMR",  # a recognisable person, release limited to some uses
}
PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
JPEG_APP_ALLOWED = {"APP0", "APP2", "APP14"}  # JFIF, ICC profile, Adobe colour transform; APP1 only as XMP
PNG_CHUNKS_ALLOWED = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"iCCP", b"iTXt", b"sRGB", b"gAMA", b"cHRM", b"pHYs"}
WEBP_CHUNKS_ALLOWED = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP", b"XMP "}
MAX_MEAN_ERROR = 6.0  # mean absolute difference, 0..255, between intended and decoded pixels

_UMASK = os.umask(0)
os.umask(_UMASK)


class VerifyError(Exception):
    """The encoded file is not exactly what privacyscreen meant to write."""


def output_format(photo: Photo) -> tuple[str, str]:
    """(Pillow format, file suffix) of the rebuilt file: PNG stays PNG, WebP stays WebP, all else JPEG."""
    return {"PNG": ("PNG", ".png"), "WEBP": ("WEBP", ".webp")}.get(photo.format, ("JPEG", ".jpg"))


def xmp_packet(release: str) -> bytes:
    """A minimal XMP packet carrying only plus:ModelReleaseStatus."""
    status = PLUS_VOCAB + RELEASE_STATUS[release]
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/">'
        f'<plus:ModelReleaseStatus rdf:resource="{status}"/>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="r"?>'
    ).encode("utf-8")


def encode(pixels: np.ndarray, photo: Photo, release: str) -> tuple[bytes, str]:
    """Encode pixels into a fresh file (nothing of the source's `info` travels). Returns (bytes, suffix)."""
    fmt, suffix = output_format(photo)
    image = Image.fromarray(pixels, "RGB")
    xmp = xmp_packet(release)
    buf = io.BytesIO()
    options: dict = {"icc_profile": photo.icc_profile} if photo.icc_profile else {}
    if fmt == "JPEG":
        quality = min(95, max(75, photo.jpeg_quality or 90))
        subsampling = photo.jpeg_subsampling if photo.jpeg_subsampling in (0, 1, 2) else 2
        image.save(buf, "JPEG", quality=quality, subsampling=subsampling, optimize=True, xmp=xmp, **options)
    elif fmt == "PNG":
        info = PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
        image.save(buf, "PNG", pnginfo=info, **options)
    else:
        image.save(buf, "WEBP", quality=90, xmp=xmp, **options)
    return buf.getvalue(), suffix


def verify(data: bytes, pixels: np.ndarray, photo: Photo, release: str) -> None:
    """Read an encoded file back and prove it holds the intended pixels and nothing but the
    allowed metadata. Raises VerifyError."""
    fmt, _ = output_format(photo)
    xmp = xmp_packet(release)
    im = Image.open(io.BytesIO(data))
    im.load()
    if im.format != fmt or im.size != (pixels.shape[1], pixels.shape[0]) or getattr(im, "n_frames", 1) != 1:
        raise VerifyError(f"unexpected format or size: {im.format} {im.size}")
    if len(im.getexif()):
        raise VerifyError("EXIF present")
    if im.info.get("icc_profile") != photo.icc_profile and (im.info.get("icc_profile") or photo.icc_profile):
        raise VerifyError("ICC profile differs")
    if fmt == "JPEG":
        verify_jpeg(im, data, xmp)
    elif fmt == "PNG":
        verify_png(data, xmp)
    else:
        verify_webp(data, xmp)
    error = mean_error(np.asarray(im.convert("RGB")), pixels)
    if error > MAX_MEAN_ERROR:
        raise VerifyError(f"decoded pixels differ from the redacted image (mean error {error:.1f})")


def mean_error(a: np.ndarray, b: np.ndarray, rows: int = 256) -> float:
    """Mean absolute difference of two uint8 images, a band of rows at a time (bounded memory)."""
    total = sum(int(cv2.absdiff(a[y : y + rows], b[y : y + rows]).sum(dtype=np.int64)) for y in range(0, len(a), rows))
    return total / a.size


def verify_jpeg(im: Image.Image, data: bytes, xmp: bytes) -> None:
    if im.info.get("comment"):
        raise VerifyError("JPEG comment present")
    for marker, payload in im.applist:
        if marker == "APP1" and payload == XMP_HEADER + xmp:
            continue
        if marker not in JPEG_APP_ALLOWED:
            raise VerifyError(f"unexpected {marker} segment")
    if sum(1 for m, p in im.applist if m == "APP1") != 1:
        raise VerifyError("XMP packet missing")
    if not data.endswith(b"\xff\xd9"):
        raise VerifyError("data after the end of the image")


def verify_png(data: bytes, xmp: bytes) -> None:
    pos, seen_xmp = 8, False
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind not in PNG_CHUNKS_ALLOWED:
            raise VerifyError(f"unexpected PNG chunk {kind.decode('latin-1')}")
        if kind == b"iTXt":
            if body != b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp:
                raise VerifyError("unexpected PNG text")
            seen_xmp = True
        pos += 12 + length
        if kind == b"IEND":
            break
    if pos != len(data) or not seen_xmp:
        raise VerifyError("data after the end of the image" if seen_xmp else "XMP packet missing")


def verify_webp(data: bytes, xmp: bytes) -> None:
    riff_size = struct.unpack("<I", data[4:8])[0]
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP" or riff_size + 8 != len(data):
        raise VerifyError("malformed WebP container")
    pos, seen_xmp = 12, False
    while pos < len(data):
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        if kind not in WEBP_CHUNKS_ALLOWED:
            raise VerifyError(f"unexpected WebP chunk {kind.decode('latin-1')}")
        if kind == b"XMP ":
            if data[pos + 8 : pos + 8 + length] != xmp:
                raise VerifyError("unexpected XMP")
            seen_xmp = True
        pos += 8 + length + (length & 1)
    if not seen_xmp:
        raise VerifyError("XMP packet missing")


def write_atomic(data: bytes, dest: Path) -> str:
    """Write to a hidden temp file beside `dest`, re-read it, then rename it into place.
    Returns the sha256 of what is on disk. Nothing partial is ever visible under `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        digest = hashlib.sha256(Path(tmp).read_bytes()).hexdigest()
        if digest != hashlib.sha256(data).hexdigest():
            raise VerifyError("file on disk differs from what was written")
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return digest
