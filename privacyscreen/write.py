"""Rebuild, verify, then place: outputs are re-encoded from pixels with an allow-list of
metadata (the ICC profile and one XMP packet with the model-release status), read back and
checked, and only then renamed into place.

The XMP packet also carries a seal: the sha256 of the file's compressed image data. A file
whose seal matches and that holds nothing beyond the allow-list is one privacyscreen wrote and
nobody changed since (`check` passes it without detecting again). The seal is a convenience
against re-screening our own blurred output, not a signature: anyone can compute it.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from filelock import FileLock, Timeout
from PIL import Image, JpegImagePlugin
from PIL.JpegImagePlugin import JpegImageFile
from PIL.PngImagePlugin import PngInfo

from .metadata import SEAL_NS, XMP_HEADER, png_chunks, riff_chunks
from .photo import Photo, no_bomb_warning

RELEASE_STATUS = {  # IPTC Extension / PLUS "Model Release Status"
    "not-applicable": "MR-NAP",  # no recognisable person in the output
    "none": "MR-NON",  # a recognisable person, no release
    "limited": "MR-LMR",  # a recognisable person, release limited to some uses
}
PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
JPEG_APP_ALLOWED = {"APP0", "APP2", "APP14"}  # JFIF, ICC profile, Adobe colour transform; APP1 only as XMP
PNG_CHUNKS_ALLOWED = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"iCCP", b"iTXt", b"sRGB", b"gAMA", b"cHRM", b"pHYs"}
WEBP_CHUNKS_ALLOWED = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP", b"XMP "}
UNSEALED = "0" * 64  # placeholder of the same length as the seal, replaced after encoding
MAX_MEAN_ERROR = 6.0  # mean absolute difference, 0..255, between intended and decoded pixels

_UMASK = os.umask(0)
os.umask(_UMASK)


class VerifyError(Exception):
    """The encoded file is not exactly what privacyscreen meant to write."""


class Smeared(VerifyError):
    """The decoded pixels differ too much from a JPEG that halved its colour resolution (4:2:0 or
    4:2:2), as it does on the saturated edges of a small graphic: at full colour resolution
    (4:4:4) it may pass."""


def output_format(photo: Photo) -> tuple[str, str]:
    """(Pillow format, file suffix) of the rebuilt file: PNG stays PNG, WebP stays WebP, a palette
    image becomes PNG (JPEG would smear its hard colour edges), all else JPEG."""
    kind = "PNG" if photo.palette else photo.format
    return {"PNG": ("PNG", ".png"), "WEBP": ("WEBP", ".webp")}.get(kind, ("JPEG", ".jpg"))


def xmp_packet(release: str, seal: str = UNSEALED) -> bytes:
    """A minimal XMP packet: plus:ModelReleaseStatus and privacyscreen's seal, nothing else."""
    status = PLUS_VOCAB + RELEASE_STATUS[release]
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"'
        f' xmlns:privacyscreen="{SEAL_NS}" privacyscreen:ImageDataSHA256="{seal}">'
        f'<plus:ModelReleaseStatus rdf:resource="{status}"/>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="r"?>'
    ).encode()


def image_data(data: bytes, fmt: str) -> bytes:
    """The compressed pixels of a file, without any metadata: what the seal covers."""
    if fmt == "JPEG":
        pos = 2
        while data[pos + 1] != 0xDA:  # segments up to Start Of Scan
            pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        return data[pos:]
    if fmt == "PNG":
        return b"".join(body for kind, body in png_chunks(data) if kind == b"IDAT")
    return b"".join(body for kind, body in webp_chunks(data) if kind in (b"VP8 ", b"VP8L", b"ALPH"))


def encode(pixels: np.ndarray, photo: Photo, release: str) -> tuple[bytes, str]:
    """Encode pixels into a fresh file (nothing of the source's `info` travels) and seal it.
    Returns (bytes, suffix)."""
    fmt, suffix = output_format(photo)
    image = Image.fromarray(pixels, "RGB")
    xmp = xmp_packet(release)
    buf = io.BytesIO()
    options: dict = {"icc_profile": photo.icc_profile} if photo.icc_profile else {}
    if fmt == "JPEG":
        quality = min(95, max(75, photo.jpeg_quality or 90))
        subsampling = photo.jpeg_subsampling if photo.jpeg_subsampling in (0, 1, 2) else 2
        # no optimize=True: on a 12 MP photo it took 0.13 s instead of 0.03 s for a file 2 % smaller
        image.save(buf, "JPEG", quality=quality, subsampling=subsampling, xmp=xmp, **options)
    elif fmt == "PNG":
        info = PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
        image.save(buf, "PNG", pnginfo=info, **options)
    else:
        image.save(buf, "WEBP", quality=90, xmp=xmp, **options)
    return seal(buf.getvalue(), fmt, release), suffix


def seal(data: bytes, fmt: str, release: str) -> bytes:
    """Write the image data's digest into the (same-length) placeholder of the XMP packet."""
    sealed = xmp_packet(release, hashlib.sha256(image_data(data, fmt)).hexdigest())
    start = data.index(xmp_packet(release))
    data = data[:start] + sealed + data[start + len(sealed) :]
    if fmt == "PNG":  # the iTXt chunk's CRC covers the packet
        chunk = data.rindex(b"iTXt", 0, start)
        length = struct.unpack(">I", data[chunk - 4 : chunk])[0]
        crc = struct.pack(">I", zlib.crc32(data[chunk : chunk + 4 + length]))
        data = data[: chunk + 4 + length] + crc + data[chunk + 8 + length :]
    return data


def verify(data: bytes, pixels: np.ndarray, photo: Photo, release: str) -> None:
    """Read an encoded file back and prove it holds the intended pixels, its seal and nothing but
    the allowed metadata. Raises VerifyError."""
    fmt, _ = output_format(photo)
    with no_bomb_warning():
        im = Image.open(io.BytesIO(data))
        im.load()
    if im.format != fmt or im.size != (pixels.shape[1], pixels.shape[0]):
        raise VerifyError(f"unexpected format or size: {im.format} {im.size}")
    if im.info.get("icc_profile") != photo.icc_profile and (im.info.get("icc_profile") or photo.icc_profile):
        raise VerifyError("ICC profile differs")
    check_allow_list(im, data, release)
    error = mean_error(im if im.mode == "RGB" else im.convert("RGB"), pixels)
    if error > MAX_MEAN_ERROR:
        halved = fmt == "JPEG" and JpegImagePlugin.get_sampling(im) != 0
        raise (Smeared if halved else VerifyError)(
            f"decoded pixels differ from the redacted image (mean error {error:.1f})"
        )


def sealed_release(data: bytes) -> str | None:
    """The model-release status of a file privacyscreen wrote and nobody changed since, or None."""
    try:
        with no_bomb_warning():
            im = Image.open(io.BytesIO(data))
        for release in RELEASE_STATUS:
            try:
                check_allow_list(im, data, release)
                return release
            except VerifyError:
                continue
    except Exception:  # noqa: BLE001 - anything unreadable is simply not sealed
        return None
    return None


def check_allow_list(im: Image.Image, data: bytes, release: str) -> None:
    """One frame, no EXIF, and no metadata but our XMP packet with a seal matching the image data."""
    if im.format not in ("JPEG", "PNG", "WEBP") or getattr(im, "n_frames", 1) != 1:
        raise VerifyError(f"unexpected format or frames: {im.format}")
    if len(im.getexif()):
        raise VerifyError("EXIF present")
    xmp = xmp_packet(release, hashlib.sha256(image_data(data, im.format)).hexdigest())
    {"JPEG": check_jpeg, "PNG": check_png, "WEBP": check_webp}[im.format](im, data, xmp)


def mean_error(im: Image.Image, pixels: np.ndarray, rows: int = 256) -> float:
    """Mean absolute difference of a decoded RGB image and uint8 pixels of its size, a band of rows
    at a time (no second full copy of a 50 MP photo)."""
    w, h = im.size
    total = sum(int(cv2.absdiff(np.asarray(im.crop((0, y, w, min(h, y + rows)))), pixels[y : y + rows])
                    .sum(dtype=np.int64)) for y in range(0, h, rows))  # fmt: skip
    return total / pixels.size


def check_jpeg(im: Image.Image, data: bytes, xmp: bytes) -> None:
    assert isinstance(im, JpegImageFile)  # what Pillow reads a JPEG as; it has the APP segments
    if not data.endswith(b"\xff\xd9"):
        raise VerifyError("data after the end of the image")
    if im.info.get("comment"):
        raise VerifyError("JPEG comment present")
    for marker, payload in im.applist:
        if marker == "APP1" and payload == XMP_HEADER + xmp:
            continue
        if marker not in JPEG_APP_ALLOWED:
            raise VerifyError(f"unexpected {marker} segment")
    if sum(1 for m, p in im.applist if m == "APP1") != 1:
        raise VerifyError("XMP packet missing")


def check_png(im: Image.Image, data: bytes, xmp: bytes) -> None:
    texts = 0
    for kind, body in png_chunks(data):
        if kind == b"":
            raise VerifyError("data after the end of the image")
        if kind not in PNG_CHUNKS_ALLOWED:
            raise VerifyError(f"unexpected PNG chunk {kind.decode('latin-1')}")
        if kind == b"iTXt":
            if body != b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp:
                raise VerifyError("unexpected PNG text")
            texts += 1
    if texts != 1:
        raise VerifyError("XMP packet missing")


def webp_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP" or struct.unpack("<I", data[4:8])[0] + 8 != len(data):
        raise VerifyError("malformed WebP container")
    return riff_chunks(data)


def check_webp(im: Image.Image, data: bytes, xmp: bytes) -> None:
    chunks = webp_chunks(data)
    for kind, body in chunks:
        if kind not in WEBP_CHUNKS_ALLOWED:
            raise VerifyError(f"unexpected WebP chunk {kind.decode('latin-1')}")
        if kind == b"XMP " and body != xmp:
            raise VerifyError("unexpected XMP")
    if sum(kind == b"XMP " for kind, _ in chunks) != 1:
        raise VerifyError("XMP packet missing")


PARTIAL = re.compile(r"^\..+\.[a-z0-9_]{8}\.part$")  # what write_atomic's temporary files are called


def remove_partial(folder: Path) -> int:
    """Delete the hidden temporary files a killed run left under `folder`. They were never
    renamed into place, so nothing is lost; returns how many there were."""
    stale = [p for p in folder.rglob(".*.part") if PARTIAL.match(p.name) and p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


class FolderInUse(Exception):
    """Another privacyscreen process is writing to the same output folder."""


LOCK = ".privacyscreen.lock"  # held while a process writes to the folder
HOLDER = ".privacyscreen.pid"  # the process ID of the one that holds it


@contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Hold the output folder for this process alone (a run and a watcher, or two watchers,
    must not overwrite each other's files). Raises FolderInUse naming the other process. The
    lock is the operating system's (filelock: flock, or msvcrt on Windows), so it ends with the
    process that holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise FolderInUse(holder(folder)) from None
    try:
        (folder / HOLDER).write_text(str(os.getpid()))
        yield
    finally:
        for name in (HOLDER, LOCK):  # removed while still held, so that no other process takes the old lock
            with suppress(OSError):  # Windows cannot remove an open file: filelock removes it on release
                (folder / name).unlink()
        lock.release()


def holder(folder: Path) -> str:
    """The process ID of the process that holds `folder` ("?" while it is not written yet)."""
    try:
        return (folder / HOLDER).read_text().strip() or "?"
    except OSError:
        return "?"


def write_atomic(
    data: bytes | Callable[[BinaryIO], None], dest: Path, check: Callable[[Path], None] | None = None
) -> str:
    """Write to a hidden temp file beside `dest`, re-read it, then rename it into place. `data` is
    the bytes, or what writes them into the open file (a clip, too long to hold in memory); `check`
    verifies the file on disk before it is renamed. Returns the sha256 of what is on disk. Nothing
    partial is ever visible under `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w+b") as f:
            data(f) if callable(data) else f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with open(tmp, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        if not callable(data) and digest != hashlib.sha256(data).hexdigest():
            raise VerifyError("file on disk differs from what was written")
        if check:
            check(Path(tmp))
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # the rename reaches the disk too; Windows cannot open a folder for that
        dir_fd = os.open(dest.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return digest
