"""Test carriers: image files with planted identifying metadata, and a byte-wise scanner.

This is a helper module for the tests (not a test file itself).

Carriers
    ``plant_jpeg`` / ``plant_png`` / ``plant_webp`` / ``plant_heic`` / ``plant_mpo``
    build a file from a real photo and return a :class:`Planted` record: what was
    planted and where.  ``make_*_carrier`` are thin wrappers that return only the
    path.  Every text place gets its own token ``f"{secret}/{place}"`` (for example
    ``GEHEIM-Jansen/exif.IFD0.Artist``), so a scan for the bare secret finds every
    place, and a scan for one token proves that one place.

Scanner
    ``find_secrets(path, secrets)`` searches the raw bytes for each secret as UTF-8,
    UTF-16LE and UTF-16BE, then also inside every zlib / gzip / zip-deflate stream,
    base64 run and hex run it can find (recursively), and says where each hit sits
    (JPEG segment, EXIF tag, PNG chunk, WebP chunk, HEIF item, ...).
    ``scan_secrets`` returns the same hits as :class:`Hit` records.

Verifier
    ``metadata_inventory(path)`` lists what a strict verifier sees in a file: EXIF tags
    per IFD (GPS, IFD1 thumbnail), JPEG APPn/COM segments, bytes after EOI, XMP packets
    and their properties, IPTC datasets, PNG chunks, WebP chunks, HEIF items, frames,
    ICC profile.  ``strict_violations(path, ...)`` turns that into a list of
    human-readable violations of the product's allow-list (empty list == clean).

Only Pillow (+ pillow-heif for HEIC, defusedxml for XMP parsing) and the standard
library are used; the metadata structures (EXIF TIFF incl. IFD1 thumbnail, IPTC IIM,
Photoshop resources, XMP, extended XMP, PNG chunks, the ICC profile) are built byte by
byte with ``struct`` so that the tests know exactly what is in the file.  The scanner
and the inventory parse files themselves and never rely on Pillow's metadata readers.

Typical use in a pipeline test::

    from tests import carriers as C

    planted = C.plant_jpeg(photo, tmp_path / "in.jpg")          # or C.plant("PNG", photo, tmp_path)
    out = run_the_product(planted.path)
    assert C.find_secrets(out, [planted.secret, *planted.needles.values()]) == []
    assert C.strict_violations(out, [planted.secret]) == []   # allow-list: ICC + plus:ModelReleaseStatus
    inv = C.metadata_inventory(out)
    assert inv["icc"] == planted.icc and inv["xmp_properties"] == ["plus:ModelReleaseStatus"]
    shown = ImageOps.exif_transpose(Image.open(out))          # upright, same size as the original
    assert shown.size == planted.upright_size
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr as _xml_quoteattr

from PIL import ExifTags, Image, ImageCms, ImageOps

__all__ = [
    "CARRIER_FORMATS",
    "DEFAULT_SECRET",
    "GPS_LATLON",
    "Hit",
    "Place",
    "Planted",
    "canon_jpeg",
    "display_p3_icc",
    "find_secrets",
    "heic_supported",
    "jpeg_iptc_after_image",
    "jpeg_xmp_creator",
    "load_upright",
    "make_heic_carrier",
    "make_jpeg_carrier",
    "make_mpo_carrier",
    "make_png_carrier",
    "make_webp_carrier",
    "mean_abs_diff",
    "metadata_inventory",
    "minimal_xmp",
    "plant",
    "plant_heic",
    "plant_jpeg",
    "plant_mpo",
    "plant_png",
    "plant_webp",
    "png_author_comment",
    "scan_secrets",
    "strict_violations",
    "xmp_properties",
    "xmp_values",
]

DEFAULT_SECRET = "GEHEIM-Jansen"
#: Utrecht (centre), the planted GPS position (latitude N, longitude E).
GPS_LATLON = (52.0907, 5.1214)
DATETIME_ORIGINAL = "2019:03:14 15:09:26"
GPS_DATESTAMP = "2019:03:14"
XMP_TOOLKIT = "privacyscreen test carrier"
MODEL_RELEASE_NS = "http://ns.useplus.org/ldf/xmp/1.0/"
#: The carrier claims "unlimited model releases": an output must never inherit it.
PLANTED_RELEASE_STATUS = "http://ns.useplus.org/ldf/vocab/MR-UMR"

_SECRET_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.,:+-]{2,63}")


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One planted text place.

    ``token`` is the exact text planted there.  ``region`` is a substring that the
    scanner's description of the hit must contain, ``via`` the decode layers the
    scanner has to go through to see it (``()`` for plain bytes), ``encoding`` the
    encoding family it is stored in (``"utf-8"`` or ``"utf-16"``).
    """

    name: str
    token: str
    region: str
    via: tuple[str, ...] = ()
    encoding: str = "utf-8"

    def matches(self, hit: Hit) -> bool:
        """Is ``hit`` this place: same token, decode layers, encoding family, and every
        " > "-separated part of ``region`` appearing, in order, in the hit's description."""
        if hit.secret != self.token or hit.via != self.via or not hit.encoding.startswith(self.encoding):
            return False
        text, pos = str(hit), 0
        for part in self.region.split(" > "):
            pos = text.find(part, pos)
            if pos < 0:
                return False
            pos += len(part)
        return True


@dataclass(frozen=True)
class Planted:
    """What a carrier holds.  ``path`` is the carrier file."""

    path: Path
    format: str  # "JPEG", "PNG", "WEBP", "HEIF", "MPO"
    secret: str
    gps: tuple[float, float]
    icc: bytes
    orientation: int
    upright_size: tuple[int, int]  # size after exif_transpose == size of the upright photo
    stored_size: tuple[int, int]  # size of the pixel array as stored in the file
    places: tuple[Place, ...]
    #: non-secret but distinctive values that must not survive either (DateTimeOriginal,
    #: XMP GPS strings, the planted MR-UMR release status, ...): name -> bytes
    needles: dict[str, bytes] = field(default_factory=dict)
    #: structural items a strict verifier must see in the carrier (and never in an output)
    features: frozenset[str] = frozenset()
    thumbnail: bytes | None = None  # the EXIF IFD1 thumbnail (JPEG bytes) if any
    trailer: bytes = b""  # bytes appended after the end of the image
    frames: int = 1

    @property
    def tokens(self) -> list[str]:
        return [p.token for p in self.places]

    def place(self, name: str) -> Place:
        for p in self.places:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True)
class Hit:
    """One occurrence of a secret found by :func:`scan_secrets`."""

    secret: str | bytes
    encoding: str  # utf-8, utf-16le, utf-16be, utf-16 (byte order ambiguous), latin-1, bytes
    offset: int  # offset within the innermost decoded layer (the file if no layers)
    where: str  # structural location of that offset, outermost first, " > " separated
    layers: tuple[str, ...] = ()  # decode layers from the file inwards

    @property
    def via(self) -> tuple[str, ...]:
        """Kinds of the decode layers, e.g. ("zlib", "hex")."""
        return tuple(layer.split(" ", 1)[0] for layer in self.layers)

    def __str__(self) -> str:
        steps = [*self.layers, f"offset {self.offset:#x} in [{self.where}]"]
        return f"{self.secret!r} as {self.encoding}: " + " -> ".join(steps)


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _check_secret(secret: str) -> None:
    if not isinstance(secret, str) or not _SECRET_RE.fullmatch(secret):
        raise ValueError(f"secret must be 3-64 chars of [A-Za-z0-9 _.,:+-] (ASCII, no XML specials), got {secret!r}")


def _token(secret: str, place: str) -> str:
    return f"{secret}/{place}"


# Pillow's exif_transpose applies these to go from stored to upright ...
_UPRIGHT_OP = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# ... so the carrier stores the pixels with the inverse operation.
_STORE_OP = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # rotated 90 degrees counter-clockwise
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def load_upright(photo: Path | str, max_side: int | None = None) -> Image.Image:
    """The photo as a metadata-free upright RGB image (its own EXIF orientation applied)."""
    photo = Path(photo)
    if photo.suffix.lower() in (".heic", ".heif", ".avif"):
        _register_heif()
    with Image.open(photo) as im:
        up = ImageOps.exif_transpose(im).convert("RGB")
    if max_side and max(up.size) > max_side:
        up.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # rebuild from raw pixels so that no info/exif of the source photo travels along
    return Image.frombytes("RGB", up.size, up.tobytes())


def _stored(upright: Image.Image, orientation: int) -> Image.Image:
    if orientation not in range(1, 9):
        raise ValueError(f"orientation must be 1..8, got {orientation}")
    return upright.transpose(_STORE_OP[orientation]) if orientation != 1 else upright.copy()


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute per-channel difference of two same-size images (0..255)."""
    if a.size != b.size:
        raise ValueError(f"size mismatch {a.size} != {b.size}")
    ha = a.convert("RGB").tobytes()
    hb = b.convert("RGB").tobytes()
    try:
        import numpy as np

        return float(np.abs(np.frombuffer(ha, np.uint8).astype(np.int16) - np.frombuffer(hb, np.uint8)).mean())
    except ImportError:  # pragma: no cover
        return sum(abs(x - y) for x, y in zip(ha, hb, strict=True)) / len(ha)


def _jpeg_bytes(im: Image.Image, quality: int = 92, comment: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    kw = {"quality": quality}
    if comment:
        kw["comment"] = comment
    Image.frombytes("RGB", im.size, im.convert("RGB").tobytes()).save(buf, "JPEG", **kw)
    return buf.getvalue()


def _thumbnail_jpeg(stored: Image.Image, comment: bytes, box: int = 160) -> bytes:
    th = stored.copy()
    th.thumbnail((box, box), Image.Resampling.LANCZOS)
    return _jpeg_bytes(th, quality=85, comment=comment)


# --------------------------------------------------------------------------------------
# ICC: a Display-P3-like v4 matrix/TRC profile, built byte by byte
# --------------------------------------------------------------------------------------

_ICC_DESCRIPTION = "privacyscreen test Display P3"


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _icc_xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def _icc_mluc(text: str) -> bytes:
    s = text.encode("utf-16-be")
    return b"mluc\0\0\0\0" + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(s), 28) + s


_ICC_CACHE: dict[str, bytes] = {}


def display_p3_icc() -> bytes:
    """A valid ICC v4.3 display profile with Display P3 primaries and the sRGB curve.

    Distinct from Pillow's built-in sRGB profile, so tests can tell "profile kept"
    from "default profile written".  Contains no secret.
    """
    if "p3" in _ICC_CACHE:
        return _ICC_CACHE["p3"]
    para = (
        b"para\0\0\0\0"
        + struct.pack(">HH", 3, 0)
        + b"".join(_s15(v) for v in (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045))
    )
    chad = b"sf32\0\0\0\0" + b"".join(
        _s15(v)
        for v in (1.0478112, 0.0228866, -0.0501270, 0.0295424, 0.9904844, -0.0170491, -0.0092345, 0.0150436, 0.7521316)
    )
    tags = [
        (b"desc", _icc_mluc(_ICC_DESCRIPTION)),
        (b"cprt", _icc_mluc("CC0 test profile")),
        (b"wtpt", _icc_xyz(0.9642, 1.0, 0.8249)),
        (b"chad", chad),
        (b"rXYZ", _icc_xyz(0.515121, 0.241196, -0.001053)),
        (b"gXYZ", _icc_xyz(0.291977, 0.692245, 0.041885)),
        (b"bXYZ", _icc_xyz(0.157104, 0.066574, 0.784073)),
        (b"rTRC", para),
        (b"gTRC", para),
        (b"bTRC", para),
    ]
    table_len = 4 + 12 * len(tags)
    offset = 128 + table_len
    table, blob, seen = [], b"", {}
    for sig, data in tags:
        if data in seen:  # shared TRC
            table.append(struct.pack(">4sII", sig, *seen[data]))
            continue
        pad = (-offset - len(blob)) % 4
        blob += b"\0" * pad
        start = offset + len(blob)
        seen[data] = (start, len(data))
        table.append(struct.pack(">4sII", sig, start, len(data)))
        blob += data
    body = struct.pack(">I", len(tags)) + b"".join(table) + blob
    body += b"\0" * ((-len(body)) % 4)
    size = 128 + len(body)
    header = (
        struct.pack(">I", size)
        + b"\0\0\0\0"  # preferred CMM
        + struct.pack(">I", 0x04300000)
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0\0\0\0"  # platform
        + b"\0" * 4  # flags
        + b"\0" * 8  # manufacturer, model
        + b"\0" * 8  # attributes
        + struct.pack(">I", 0)  # rendering intent
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\0\0\0\0"  # creator
    )
    header += b"\0" * (128 - len(header))
    profile = header + body
    # profile ID = MD5 with flags, rendering intent and profile ID zeroed (they are)
    pid = hashlib.md5(profile).digest()
    profile = profile[:84] + pid + profile[100:]
    # prove LittleCMS accepts it
    prof = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    assert ImageCms.getProfileDescription(prof).strip() == _ICC_DESCRIPTION
    ImageCms.buildTransform(prof, ImageCms.createProfile("sRGB"), "RGB", "RGB")
    _ICC_CACHE["p3"] = profile
    return profile


# --------------------------------------------------------------------------------------
# EXIF (TIFF) writer
# --------------------------------------------------------------------------------------

BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE, UNDEFINED, SSHORT, SLONG, SRATIONAL = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
)
_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


def _enc_value(typ: int, value, bo: str) -> tuple[int, bytes]:
    if typ in (BYTE, UNDEFINED, SBYTE):
        b = bytes(value)
        return len(b), b
    if typ == ASCII:
        b = value.encode("latin-1") if isinstance(value, str) else bytes(value)
        b += b"\0"
        return len(b), b
    vals = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if typ == SHORT:
        return len(vals), struct.pack(f"{bo}{len(vals)}H", *vals)
    if typ in (LONG,):
        return len(vals), struct.pack(f"{bo}{len(vals)}I", *vals)
    if typ in (RATIONAL, SRATIONAL):
        flat = [x for pair in vals for x in pair]
        code = "I" if typ == RATIONAL else "i"
        return len(vals), struct.pack(f"{bo}{len(flat)}{code}", *flat)
    raise ValueError(f"unsupported TIFF type {typ}")


def _ifd_size(entries: dict, bo: str) -> int:
    size = 2 + 12 * len(entries) + 4
    for typ, value in entries.values():
        _, b = _enc_value(typ, value, bo)
        if len(b) > 4:
            size += len(b) + (len(b) & 1)
    return size


def _ifd_bytes(entries: dict, bo: str, offset: int, next_ifd: int) -> bytes:
    n = len(entries)
    data_off = offset + 2 + 12 * n + 4
    table, data = [struct.pack(f"{bo}H", n)], b""
    for tag in sorted(entries):
        typ, value = entries[tag]
        count, b = _enc_value(typ, value, bo)
        if len(b) <= 4:
            field_ = b + b"\0" * (4 - len(b))
        else:
            field_ = struct.pack(f"{bo}I", data_off + len(data))
            data += b + (b"\0" if len(b) & 1 else b"")
        table.append(struct.pack(f"{bo}HHI", tag, typ, count) + field_)
    table.append(struct.pack(f"{bo}I", next_ifd))
    out = b"".join(table) + data
    assert len(out) == _ifd_size(entries, bo)
    return out


def build_tiff(
    ifd0: dict,
    exif: dict | None = None,
    gps: dict | None = None,
    ifd1: dict | None = None,
    thumbnail: bytes | None = None,
    byteorder: str = ">",
) -> bytes:
    """Serialise an EXIF TIFF structure.  Each dict maps tag -> (type, value)."""
    bo = byteorder
    ifd0 = dict(ifd0)
    if exif:
        ifd0[0x8769] = (LONG, 0)
    if gps:
        ifd0[0x8825] = (LONG, 0)
    if thumbnail:
        ifd1 = dict(ifd1 or {})
        ifd1[0x0103] = (SHORT, 6)  # Compression: JPEG (old-style thumbnail)
        ifd1[0x0201] = (LONG, 0)
        ifd1[0x0202] = (LONG, len(thumbnail))
    off0 = 8
    off_exif = off0 + _ifd_size(ifd0, bo)
    off_gps = off_exif + (_ifd_size(exif, bo) if exif else 0)
    off1 = off_gps + (_ifd_size(gps, bo) if gps else 0)
    off_thumb = off1 + (_ifd_size(ifd1, bo) if ifd1 else 0)
    if exif:
        ifd0[0x8769] = (LONG, off_exif)
    if gps:
        ifd0[0x8825] = (LONG, off_gps)
    if thumbnail:
        ifd1[0x0201] = (LONG, off_thumb)
    out = (b"MM\0*" if bo == ">" else b"II*\0") + struct.pack(f"{bo}I", off0)
    out += _ifd_bytes(ifd0, bo, off0, off1 if ifd1 else 0)
    if exif:
        out += _ifd_bytes(exif, bo, off_exif, 0)
    if gps:
        out += _ifd_bytes(gps, bo, off_gps, 0)
    if ifd1:
        out += _ifd_bytes(ifd1, bo, off1, 0)
    if thumbnail:
        assert len(out) == off_thumb
        out += thumbnail
    return out


def _dms(value: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    value = abs(value)
    deg = int(value)
    minutes_f = (value - deg) * 60
    minutes = int(minutes_f)
    seconds = round((minutes_f - minutes) * 60 * 100)
    return (deg, 1), (minutes, 1), (seconds, 100)


def _xp(text: str) -> bytes:
    return text.encode("utf-16-le") + b"\0\0"


def _exif_places(secret: str, prefix: str, region: str, with_thumbnail: bool) -> list[Place]:
    def t(name):
        return _token(secret, name)

    places = []
    for ifd, tag, enc in [
        ("IFD0", "ImageDescription", "utf-8"),
        ("IFD0", "Make", "utf-8"),
        ("IFD0", "Model", "utf-8"),
        ("IFD0", "Software", "utf-8"),
        ("IFD0", "Artist", "utf-8"),
        ("IFD0", "HostComputer", "utf-8"),
        ("IFD0", "Copyright", "utf-8"),
        ("IFD0", "XPTitle", "utf-16"),
        ("IFD0", "XPComment", "utf-16"),
        ("IFD0", "XPAuthor", "utf-16"),
        ("IFD0", "XPKeywords", "utf-16"),
        ("IFD0", "XPSubject", "utf-16"),
        ("Exif", "UserComment", "utf-16"),
        ("Exif", "MakerNote", "utf-8"),
        ("Exif", "ImageUniqueID", "utf-8"),
        ("Exif", "CameraOwnerName", "utf-8"),
        ("Exif", "BodySerialNumber", "utf-8"),
        ("Exif", "LensModel", "utf-8"),
        ("Exif", "LensSerialNumber", "utf-8"),
        ("GPS", "GPSAreaInformation", "utf-8"),
    ]:
        name = f"exif.{ifd}.{tag}"
        places.append(Place(f"{prefix}{name}", t(f"{prefix}{name}"), f"{region} > {ifd} {tag}", (), enc))
    if with_thumbnail:
        name = f"{prefix}exif.IFD1.thumbnail.COM"
        places.append(Place(name, t(name), f"{region} > IFD1 thumbnail > JPEG COM"))
    return places


def _build_exif(
    secret: str,
    prefix: str,
    stored: Image.Image,
    orientation: int,
    gps: tuple[float, float],
    with_thumbnail: bool = True,
    byteorder: str = ">",
) -> tuple[bytes, bytes | None]:
    """EXIF TIFF bytes with every identifying tag; returns (tiff, thumbnail_jpeg)."""

    def t(name):
        return _token(secret, f"{prefix}exif.{name}")

    unicode_comment = b"UNICODE\0" + t("Exif.UserComment").encode("utf-16-be" if byteorder == ">" else "utf-16-le")
    ifd0 = {
        0x010E: (ASCII, t("IFD0.ImageDescription")),
        0x010F: (ASCII, t("IFD0.Make")),
        0x0110: (ASCII, t("IFD0.Model")),
        0x0112: (SHORT, orientation),
        0x011A: (RATIONAL, [(72, 1)]),
        0x011B: (RATIONAL, [(72, 1)]),
        0x0128: (SHORT, 2),
        0x0131: (ASCII, t("IFD0.Software")),
        0x0132: (ASCII, DATETIME_ORIGINAL),
        0x013B: (ASCII, t("IFD0.Artist")),
        0x013C: (ASCII, t("IFD0.HostComputer")),
        0x0213: (SHORT, 1),
        0x8298: (ASCII, t("IFD0.Copyright")),
        0x9C9B: (BYTE, _xp(t("IFD0.XPTitle"))),
        0x9C9C: (BYTE, _xp(t("IFD0.XPComment"))),
        0x9C9D: (BYTE, _xp(t("IFD0.XPAuthor"))),
        0x9C9E: (BYTE, _xp(t("IFD0.XPKeywords"))),
        0x9C9F: (BYTE, _xp(t("IFD0.XPSubject"))),
    }
    exif = {
        0x9000: (UNDEFINED, b"0232"),
        0x9003: (ASCII, DATETIME_ORIGINAL),
        0x9004: (ASCII, DATETIME_ORIGINAL),
        0x9011: (ASCII, "+01:00"),
        0x927C: (UNDEFINED, b"PSCR\0FaceName\0" + t("Exif.MakerNote").encode() + b"\0"),
        0x9286: (UNDEFINED, unicode_comment),
        0xA001: (SHORT, 0xFFFF),  # ColorSpace: uncalibrated (Display P3)
        0xA002: (LONG, stored.size[0]),
        0xA003: (LONG, stored.size[1]),
        0xA420: (ASCII, t("Exif.ImageUniqueID")),
        0xA430: (ASCII, t("Exif.CameraOwnerName")),
        0xA431: (ASCII, t("Exif.BodySerialNumber")),
        0xA434: (ASCII, t("Exif.LensModel")),
        0xA435: (ASCII, t("Exif.LensSerialNumber")),
    }
    lat, lon = gps
    gps_ifd = {
        0x0000: (BYTE, b"\x02\x03\x00\x00"),
        0x0001: (ASCII, "N" if lat >= 0 else "S"),
        0x0002: (RATIONAL, list(_dms(lat))),
        0x0003: (ASCII, "E" if lon >= 0 else "W"),
        0x0004: (RATIONAL, list(_dms(lon))),
        0x0005: (BYTE, b"\x00"),
        0x0006: (RATIONAL, [(5, 1)]),
        0x0007: (RATIONAL, [(14, 1), (9, 1), (26, 1)]),
        0x001B: (UNDEFINED, b"ASCII\0\0\0GPS"),
        0x001C: (UNDEFINED, b"ASCII\0\0\0" + t("GPS.GPSAreaInformation").encode()),
        0x001D: (ASCII, GPS_DATESTAMP),
    }
    thumb = None
    ifd1 = None
    if with_thumbnail:
        thumb = _thumbnail_jpeg(stored, t("IFD1.thumbnail.COM").encode())
        ifd1 = {0x011A: (RATIONAL, [(72, 1)]), 0x011B: (RATIONAL, [(72, 1)]), 0x0128: (SHORT, 2)}
    return build_tiff(ifd0, exif, gps_ifd, ifd1, thumb, byteorder), thumb


# --------------------------------------------------------------------------------------
# XMP packet
# --------------------------------------------------------------------------------------

_XMP_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xml": "http://www.w3.org/XML/1998/namespace",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpGImg": "http://ns.adobe.com/xap/1.0/g/img/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "xmpNote": "http://ns.adobe.com/xmp/note/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "aux": "http://ns.adobe.com/exif/1.0/aux/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "plus": MODEL_RELEASE_NS,
    "mwg-rs": "http://www.metadataworkinggroup.com/schemas/regions/",
    "mwg-kw": "http://www.metadataworkinggroup.com/schemas/keywords/",
    "stDim": "http://ns.adobe.com/xap/1.0/sType/Dimensions#",
    "stArea": "http://ns.adobe.com/xmp/sType/Area#",
    "MP": "http://ns.microsoft.com/photo/1.2/",
    "MPRI": "http://ns.microsoft.com/photo/1.2/t/RegionInfo#",
    "MPReg": "http://ns.microsoft.com/photo/1.2/t/Region#",
    "MicrosoftPhoto": "http://ns.microsoft.com/photo/1.0/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
    "digiKam": "http://www.digikam.org/ns/1.0/",
    "GCamera": "http://ns.google.com/photos/1.0/camera/",
    "apple-fi": "http://ns.apple.com/faceinfo/1.0/",
    "crs": "http://ns.adobe.com/camera-raw-settings/1.0/",
}
_NS_PREFIX = {uri: prefix for prefix, uri in _XMP_NS.items()}
_XMP_PLACES = [
    # planted properties (the token sits in the value); the region is the XMP packet itself
    "xmp.dc.creator",
    "xmp.dc.description",
    "xmp.dc.subject",
    "xmp.photoshop.City",
    "xmp.photoshop.AuthorsPosition",
    "xmp.Iptc4xmpCore.Location",
    "xmp.Iptc4xmpExt.PersonInImage",
    "xmp.plus.ModelReleaseID",
    "xmp.mwg-rs.Name",
    "xmp.MPReg.PersonDisplayName",
    "xmp.lr.hierarchicalSubject",
    "xmp.xmp.CreatorTool",
    "xmp.xmpMM.DocumentID",
]


def _b64_lines(data: bytes) -> str:
    s = base64.b64encode(data).decode()
    return "&#xA;".join(s[i : i + 76] for i in range(0, len(s), 76))


def _xmp_gps(value: float, pos: str, neg: str) -> str:
    v = abs(value)
    deg = int(v)
    return f"{deg},{(v - deg) * 60:.3f}{pos if value >= 0 else neg}"


def _build_xmp(
    secret: str,
    prefix: str,
    size: tuple[int, int],
    gps: tuple[float, float],
    thumbnail_of: Image.Image | None = None,
    motion_photo_len: int | None = None,
) -> bytes:
    """XMP packet with every identifying property; ``thumbnail_of`` adds an xmp:Thumbnails
    base64 JPEG of that (unblurred) image whose COM holds the token xmp.xmpGImg.image.COM."""
    thumbnail = None
    if thumbnail_of is not None:
        thumbnail = _thumbnail_jpeg(thumbnail_of, _token(secret, f"{prefix}xmp.xmpGImg.image.COM").encode())

    def t(name):
        return _xml_escape(_token(secret, f"{prefix}{name}"))

    def a(name):
        return _xml_quoteattr(_token(secret, f"{prefix}{name}"))

    ns = " ".join(f'xmlns:{p}="{u}"' for p, u in _XMP_NS.items() if p not in ("x", "rdf", "xml"))
    w, h = size
    thumb_xml = ""
    if thumbnail:
        with Image.open(io.BytesIO(thumbnail)) as ti:
            tw, th = ti.size
        thumb_xml = (
            '<xmp:Thumbnails><rdf:Alt><rdf:li rdf:parseType="Resource">'
            f"<xmpGImg:format>JPEG</xmpGImg:format><xmpGImg:width>{tw}</xmpGImg:width>"
            f"<xmpGImg:height>{th}</xmpGImg:height>"
            f"<xmpGImg:image>{_b64_lines(thumbnail)}</xmpGImg:image>"
            "</rdf:li></rdf:Alt></xmp:Thumbnails>"
        )
    motion = ""
    if motion_photo_len is not None:
        motion = f' GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset="{motion_photo_len}"'
    body = f"""<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="{XMP_TOOLKIT}">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" {ns}
   photoshop:City={a("xmp.photoshop.City")}
   photoshop:AuthorsPosition={a("xmp.photoshop.AuthorsPosition")}
   Iptc4xmpCore:Location={a("xmp.Iptc4xmpCore.Location")}
   exif:GPSLatitude="{_xmp_gps(gps[0], "N", "S")}"
   exif:GPSLongitude="{_xmp_gps(gps[1], "E", "W")}"
   exif:DateTimeOriginal="2019-03-14T15:09:26+01:00"
   xmp:CreatorTool={a("xmp.xmp.CreatorTool")}
   xmpMM:DocumentID={a("xmp.xmpMM.DocumentID")}
   plus:ModelReleaseStatus="{PLANTED_RELEASE_STATUS}"{motion}>
   <dc:creator><rdf:Seq><rdf:li>{t("xmp.dc.creator")}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{t("xmp.dc.description")}</rdf:li></rdf:Alt></dc:description>
   <dc:subject><rdf:Bag><rdf:li>zorg</rdf:li><rdf:li>{t("xmp.dc.subject")}</rdf:li></rdf:Bag></dc:subject>
   <lr:hierarchicalSubject><rdf:Bag><rdf:li>People|{t("xmp.lr.hierarchicalSubject")}</rdf:li></rdf:Bag></lr:hierarchicalSubject>
   <Iptc4xmpExt:PersonInImage><rdf:Bag><rdf:li>{t("xmp.Iptc4xmpExt.PersonInImage")}</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImage>
   <plus:ModelReleaseID><rdf:Bag><rdf:li>{t("xmp.plus.ModelReleaseID")}</rdf:li></rdf:Bag></plus:ModelReleaseID>
   <mwg-rs:Regions rdf:parseType="Resource">
    <mwg-rs:AppliedToDimensions stDim:w="{w}" stDim:h="{h}" stDim:unit="pixel"/>
    <mwg-rs:RegionList>
     <rdf:Bag>
      <rdf:li>
       <rdf:Description mwg-rs:Name={a("xmp.mwg-rs.Name")} mwg-rs:Type="Face">
        <mwg-rs:Area stArea:x="0.5" stArea:y="0.3" stArea:w="0.2" stArea:h="0.25" stArea:unit="normalized"/>
       </rdf:Description>
      </rdf:li>
     </rdf:Bag>
    </mwg-rs:RegionList>
   </mwg-rs:Regions>
   <MP:RegionInfo rdf:parseType="Resource">
    <MPRI:Regions>
     <rdf:Bag>
      <rdf:li rdf:parseType="Resource">
       <MPReg:Rectangle>0.4, 0.175, 0.2, 0.25</MPReg:Rectangle>
       <MPReg:PersonDisplayName>{t("xmp.MPReg.PersonDisplayName")}</MPReg:PersonDisplayName>
      </rdf:li>
     </rdf:Bag>
    </MPRI:Regions>
   </MP:RegionInfo>
   {thumb_xml}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"""
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        + body
        + "\n"
        + (" " * 99 + "\n") * 4
        + '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def _xmp_places(secret: str, prefix: str, region: str, with_thumbnail: bool) -> list[Place]:
    places = [Place(f"{prefix}{n}", _token(secret, f"{prefix}{n}"), region) for n in _XMP_PLACES]
    if with_thumbnail:
        n = f"{prefix}xmp.xmpGImg.image.COM"
        places.append(Place(n, _token(secret, n), f"{region}", ("base64",)))
    return places


def _xmp_needles(gps: tuple[float, float]) -> dict[str, bytes]:
    return {
        "xmp.exif.GPSLatitude": _xmp_gps(gps[0], "N", "S").encode(),
        "xmp.exif.GPSLongitude": _xmp_gps(gps[1], "E", "W").encode(),
        "xmp.plus.ModelReleaseStatus(MR-UMR)": b"MR-UMR",
    }


def minimal_xmp(status: str = "http://ns.useplus.org/ldf/vocab/MR-NAP") -> bytes:
    """An XMP packet with only plus:ModelReleaseStatus (what a clean output may carry)."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:plus="{MODEL_RELEASE_NS}">'
        f"<plus:ModelReleaseStatus>{status}</plus:ModelReleaseStatus>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


# --------------------------------------------------------------------------------------
# IPTC IIM / Photoshop image resources
# --------------------------------------------------------------------------------------

_IPTC_NAMES = {
    (1, 90): "CodedCharacterSet",
    (2, 0): "RecordVersion",
    (2, 5): "ObjectName",
    (2, 25): "Keywords",
    (2, 55): "DateCreated",
    (2, 80): "By-line",
    (2, 85): "By-lineTitle",
    (2, 90): "City",
    (2, 92): "Sub-location",
    (2, 95): "Province-State",
    (2, 101): "Country-PrimaryLocationName",
    (2, 105): "Headline",
    (2, 116): "CopyrightNotice",
    (2, 118): "Contact",
    (2, 120): "Caption-Abstract",
    (2, 122): "Writer-Editor",
}
_IPTC_PLANT = [(2, 5), (2, 25), (2, 80), (2, 90), (2, 92), (2, 116), (2, 120)]


def _iim(record: int, dataset: int, data: bytes) -> bytes:
    return struct.pack(">BBBH", 0x1C, record, dataset, len(data)) + data


def _build_iptc(secret: str, prefix: str) -> bytes:
    def t(ds):
        return _token(secret, f"{prefix}iptc.{_IPTC_NAMES[ds]}").encode()

    out = _iim(1, 90, b"\x1b%G") + _iim(2, 0, b"\x00\x04")
    out += _iim(2, 5, t((2, 5)))
    out += _iim(2, 25, b"zorg") + _iim(2, 25, t((2, 25)))
    out += _iim(2, 55, b"20190314")
    for ds in [(2, 80), (2, 90), (2, 92)]:
        out += _iim(*ds, t(ds))
    out += _iim(2, 95, b"Utrecht") + _iim(2, 101, b"Nederland")
    out += _iim(2, 116, t((2, 116))) + _iim(2, 120, t((2, 120)))
    return out


def _irb(resource_id: int, data: bytes) -> bytes:
    return (
        b"8BIM"
        + struct.pack(">H", resource_id)
        + b"\0\0"
        + struct.pack(">I", len(data))
        + data
        + (b"\0" if len(data) & 1 else b"")
    )


def _build_photoshop(secret: str, prefix: str, stored: Image.Image) -> bytes:
    """'Photoshop 3.0' APP13 payload: IPTC (0x0404) + a JPEG thumbnail resource (0x040C)."""
    th = stored.copy()
    th.thumbnail((160, 160))
    jpg = _jpeg_bytes(th, 85, _token(secret, f"{prefix}photoshop.thumbnail.COM").encode())
    wb = (th.size[0] * 24 + 31) // 32 * 4
    thumb_res = struct.pack(">6I2H", 1, th.size[0], th.size[1], wb, wb * th.size[1], len(jpg), 24, 1) + jpg
    return b"Photoshop 3.0\0" + _irb(0x0404, _build_iptc(secret, prefix)) + _irb(0x040C, thumb_res)


def _iptc_places(secret: str, prefix: str, region: str, via: tuple[str, ...] = ()) -> list[Place]:
    places = [
        Place(
            f"{prefix}iptc.{_IPTC_NAMES[ds]}",
            _token(secret, f"{prefix}iptc.{_IPTC_NAMES[ds]}"),
            f"{region}IPTC {ds[0]}:{ds[1]:02d} {_IPTC_NAMES[ds]}",
            via,
        )
        for ds in _IPTC_PLANT
    ]
    n = f"{prefix}photoshop.thumbnail.COM"
    places.append(Place(n, _token(secret, n), f"{region}Photoshop thumbnail > JPEG COM", via))
    return places


# --------------------------------------------------------------------------------------
# Format assembly helpers
# --------------------------------------------------------------------------------------


def _seg(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise ValueError(f"JPEG segment 0x{marker:02X} too large ({len(payload)} bytes)")
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _icc_segments(icc: bytes) -> bytes:
    chunks = [icc[i : i + 65519] for i in range(0, len(icc), 65519)]
    return b"".join(_seg(0xE2, b"ICC_PROFILE\0" + bytes([i + 1, len(chunks)]) + c) for i, c in enumerate(chunks))


def _xmp_extension_segment(secret: str, main_guid: str) -> tuple[bytes, bytes]:
    ext = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{_XMP_NS["Iptc4xmpExt"]}">'
        '<Iptc4xmpExt:PersonInImageWDetails><rdf:Bag><rdf:li rdf:parseType="Resource">'
        f'<Iptc4xmpExt:PersonName><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{_token(secret, 'xmp-extension.PersonName')}</rdf:li></rdf:Alt></Iptc4xmpExt:PersonName>"
        "</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImageWDetails>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    guid = hashlib.md5(ext).hexdigest().upper().encode()
    payload = b"http://ns.adobe.com/xmp/extension/\0" + guid + struct.pack(">II", len(ext), 0) + ext
    return _seg(0xE1, payload), guid


def _motion_trailer(secret: str, name: str) -> bytes:
    def box(typ: bytes, data: bytes) -> bytes:
        return struct.pack(">I", 8 + len(data)) + typ + data

    udta = box(b"udta", box(b"\xa9nam", _token(secret, name).encode()))
    return box(b"ftyp", b"mp42\0\0\0\0isommp42") + box(b"moov", udta) + box(b"mdat", bytes(256))


def _split_jpeg_head(jpeg: bytes) -> tuple[bytes, bytes]:
    """(SOI + APP0 JFIF if present, rest) of a Pillow-encoded JPEG."""
    assert jpeg[:2] == b"\xff\xd8"
    pos = 2
    if jpeg[2:4] == b"\xff\xe0":
        pos = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:pos], jpeg[pos:]


def _png_chunk(typ: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + typ + data + struct.pack(">I", zlib.crc32(typ + data))


def _png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, out = 8, []
    while pos + 8 <= len(png):
        n, typ = struct.unpack(">I4s", png[pos : pos + 8])
        out.append((typ, png[pos + 8 : pos + 8 + n]))
        pos += 12 + n
    return out


def _raw_profile(kind: str, data: bytes) -> bytes:
    """ImageMagick-style 'Raw profile type <kind>' text: newline, kind, length, hex lines."""
    hx = data.hex()
    lines = "\n".join(hx[i : i + 72] for i in range(0, len(hx), 72))
    return f"\n{kind}\n{len(data):8d}\n{lines}\n".encode()


# --------------------------------------------------------------------------------------
# Carriers
# --------------------------------------------------------------------------------------


def _prepare(photo, secret, orientation, max_side):
    _check_secret(secret)
    upright = load_upright(photo, max_side)
    stored = _stored(upright, orientation)
    return upright, stored


def plant_jpeg(
    photo: Path | str,
    dest: Path | str,
    secret: str = DEFAULT_SECRET,
    orientation: int = 6,
    *,
    max_side: int | None = None,
    gps: tuple[float, float] = GPS_LATLON,
) -> Planted:
    """JPEG carrying every identifying metadata place (see module docs / report)."""
    dest = Path(dest)
    upright, stored = _prepare(photo, secret, orientation, max_side)
    icc = display_p3_icc()
    tiff, thumb = _build_exif(secret, "", stored, orientation, gps, with_thumbnail=True)
    trailer = _motion_trailer(secret, "jpeg.trailer")
    ext_seg, guid = _xmp_extension_segment(secret, "")
    xmp = _build_xmp(secret, "", stored.size, gps, thumbnail_of=stored, motion_photo_len=len(trailer))
    xmp = xmp.replace(
        b'plus:ModelReleaseStatus="',
        b'xmpNote:HasExtendedXMP="' + guid + b'"\n   plus:ModelReleaseStatus="',
    )
    head, rest = _split_jpeg_head(_jpeg_bytes(stored, 92))
    out = (
        head
        + _seg(0xE1, b"Exif\0\0" + tiff)
        + _seg(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + xmp)
        + ext_seg
        + _icc_segments(icc)
        + _seg(0xED, _build_photoshop(secret, "", stored))
        + _seg(0xFE, f"Foto afdeling Zonnebloem, {_token(secret, 'jpeg.COM')}".encode())
        + rest
        + trailer
    )
    dest.write_bytes(out)
    places = [
        *_exif_places(secret, "", "JPEG APP1 Exif", True),
        *_xmp_places(secret, "", "JPEG APP1 XMP", True),
        Place("xmp-extension.PersonName", _token(secret, "xmp-extension.PersonName"), "JPEG APP1 XMP-extension"),
        *_iptc_places(secret, "", "JPEG APP13 Photoshop 3.0 > "),
        Place("jpeg.COM", _token(secret, "jpeg.COM"), "JPEG COM"),
        Place("jpeg.trailer", _token(secret, "jpeg.trailer"), "trailer after EOI"),
    ]
    return Planted(
        path=dest,
        format="JPEG",
        secret=secret,
        gps=gps,
        icc=icc,
        orientation=orientation,
        upright_size=upright.size,
        stored_size=stored.size,
        places=tuple(places),
        needles={"exif.DateTimeOriginal": DATETIME_ORIGINAL.encode(), **_xmp_needles(gps)},
        features=frozenset(
            {
                "exif",
                "exif.gps",
                "exif.ifd1_thumbnail",
                "exif.orientation",
                "xmp",
                "xmp.extended",
                "xmp.thumbnail",
                "iptc",
                "photoshop.thumbnail",
                "jpeg.com",
                "icc",
                "trailer",
            }
        ),
        thumbnail=thumb,
        trailer=trailer,
    )


def plant_png(
    photo: Path | str,
    dest: Path | str,
    secret: str = DEFAULT_SECRET,
    orientation: int = 6,
    *,
    max_side: int | None = None,
    gps: tuple[float, float] = GPS_LATLON,
) -> Planted:
    """PNG with iCCP, eXIf (GPS, Artist, ..., IFD1 thumbnail), tEXt/zTXt/iTXt (before and
    after IDAT), iTXt XML:com.adobe.xmp, an ImageMagick 'Raw profile type iptc' zTXt
    (hex inside zlib) and bytes after IEND."""
    dest = Path(dest)
    upright, stored = _prepare(photo, secret, orientation, max_side)
    icc = display_p3_icc()
    tiff, thumb = _build_exif(secret, "", stored, orientation, gps, with_thumbnail=True)
    xmp = _build_xmp(secret, "", stored.size, gps, thumbnail_of=stored)

    def t(n):
        return _token(secret, n).encode()

    buf = io.BytesIO()
    Image.frombytes("RGB", stored.size, stored.tobytes()).save(buf, "PNG", compress_level=6)
    chunks = _png_chunks(buf.getvalue())
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    idat = b"".join(_png_chunk(typ, d) for typ, d in chunks if typ == b"IDAT")
    trailer = b"\0TRAILER " + t("png.trailer")
    irb = _build_photoshop(secret, "png.", stored)[len(b"Photoshop 3.0\0") :]
    out = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", chunks[0][1])
        + _png_chunk(b"iCCP", b"P3\0\0" + zlib.compress(icc))
        + _png_chunk(b"eXIf", tiff)
        + _png_chunk(b"tEXt", b"Author\0" + t("png.tEXt.Author"))
        + _png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(t("png.zTXt.Comment")))
        + _png_chunk(b"iTXt", b"Description\0\x01\0nl\0Beschrijving\0" + zlib.compress(t("png.iTXt.Description")))
        + _png_chunk(b"iTXt", b"Title\0\0\0nl\0Titel\0" + t("png.iTXt.Title"))
        + _png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp)
        + _png_chunk(b"zTXt", b"Raw profile type iptc\0\0" + zlib.compress(_raw_profile("iptc", irb)))
        + idat
        + _png_chunk(b"tEXt", b"Copyright\0" + t("png.tEXt.Copyright-after-IDAT"))
        + _png_chunk(b"IEND", b"")
        + trailer
    )
    dest.write_bytes(out)
    places = [
        *_exif_places(secret, "", "PNG eXIf", True),
        *_xmp_places(secret, "", "PNG iTXt 'XML:com.adobe.xmp'", True),
        *_iptc_places(secret, "png.", "", ("zlib", "hex")),
        Place("png.tEXt.Author", _token(secret, "png.tEXt.Author"), "PNG tEXt 'Author'"),
        Place("png.zTXt.Comment", _token(secret, "png.zTXt.Comment"), "PNG zTXt 'Comment'", ("zlib",)),
        Place("png.iTXt.Description", _token(secret, "png.iTXt.Description"), "PNG iTXt 'Description'", ("zlib",)),
        Place("png.iTXt.Title", _token(secret, "png.iTXt.Title"), "PNG iTXt 'Title'"),
        Place(
            "png.tEXt.Copyright-after-IDAT",
            _token(secret, "png.tEXt.Copyright-after-IDAT"),
            "PNG tEXt 'Copyright'",
        ),
        Place("png.trailer", _token(secret, "png.trailer"), "trailer after IEND"),
    ]
    return Planted(
        path=dest,
        format="PNG",
        secret=secret,
        gps=gps,
        icc=icc,
        orientation=orientation,
        upright_size=upright.size,
        stored_size=stored.size,
        places=tuple(places),
        needles={"exif.DateTimeOriginal": DATETIME_ORIGINAL.encode(), **_xmp_needles(gps)},
        features=frozenset(
            {
                "exif",
                "exif.gps",
                "exif.ifd1_thumbnail",
                "exif.orientation",
                "xmp",
                "xmp.thumbnail",
                "iptc",
                "png.text",
                "icc",
                "trailer",
            }
        ),
        thumbnail=thumb,
        trailer=trailer,
    )


def plant_webp(
    photo: Path | str,
    dest: Path | str,
    secret: str = DEFAULT_SECRET,
    orientation: int = 6,
    *,
    max_side: int | None = None,
    gps: tuple[float, float] = GPS_LATLON,
) -> Planted:
    """WebP (VP8X) with EXIF (GPS, IFD1 thumbnail, ...), XMP, ICCP chunks + bytes after RIFF."""
    dest = Path(dest)
    upright, stored = _prepare(photo, secret, orientation, max_side)
    icc = display_p3_icc()
    tiff, thumb = _build_exif(secret, "", stored, orientation, gps, with_thumbnail=True)
    xmp = _build_xmp(secret, "", stored.size, gps, thumbnail_of=stored)
    buf = io.BytesIO()
    stored.save(buf, "WEBP", quality=90, exif=b"Exif\0\0" + tiff, xmp=xmp, icc_profile=icc)
    trailer = b"\0TRAILER " + _token(secret, "webp.trailer").encode()
    dest.write_bytes(buf.getvalue() + trailer)
    places = [
        *_exif_places(secret, "", "WebP EXIF", True),
        *_xmp_places(secret, "", "WebP XMP", True),
        Place("webp.trailer", _token(secret, "webp.trailer"), "trailer after RIFF"),
    ]
    return Planted(
        path=dest,
        format="WEBP",
        secret=secret,
        gps=gps,
        icc=icc,
        orientation=orientation,
        upright_size=upright.size,
        stored_size=stored.size,
        places=tuple(places),
        needles={"exif.DateTimeOriginal": DATETIME_ORIGINAL.encode(), **_xmp_needles(gps)},
        features=frozenset(
            {"exif", "exif.gps", "exif.ifd1_thumbnail", "exif.orientation", "xmp", "xmp.thumbnail", "icc", "trailer"}
        ),
        thumbnail=thumb,
        trailer=trailer,
    )


_HEIF_REGISTERED = False


def _register_heif() -> bool:
    global _HEIF_REGISTERED
    if _HEIF_REGISTERED:
        return True
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    _HEIF_REGISTERED = True
    return True


def heic_supported() -> bool:
    """True when pillow-heif is installed and has an HEVC encoder."""
    try:
        import pillow_heif
    except ImportError:
        return False
    return bool(pillow_heif.libheif_info().get("HEIF"))


def plant_heic(
    photo: Path | str,
    dest: Path | str,
    secret: str = DEFAULT_SECRET,
    orientation: int = 6,
    *,
    max_side: int | None = None,
    gps: tuple[float, float] = GPS_LATLON,
) -> Planted:
    """HEIC (pillow-heif) with an Exif item (GPS, Artist, ..., IFD1 thumbnail), an XMP item,
    a colr/prof ICC, a HEVC thumbnail item of the unblurred photo and a second top-level
    image (the unblurred photo again).  Orientation goes into EXIF; pillow-heif turns it
    into irot/imir boxes, so readers see the upright image."""
    if not heic_supported():
        raise RuntimeError("pillow-heif with an HEVC encoder is required for HEIC carriers")
    import pillow_heif

    dest = Path(dest)
    upright, stored = _prepare(photo, secret, orientation, max_side)
    icc = display_p3_icc()
    tiff, thumb = _build_exif(secret, "", stored, orientation, gps, with_thumbnail=True)
    xmp = _build_xmp(secret, "", stored.size, gps, thumbnail_of=stored)
    hf = pillow_heif.from_pillow(stored)
    hf.add_from_pillow(stored.copy())  # second top-level image, unblurred
    hf.save(
        dest,
        quality=85,
        exif=b"Exif\0\0" + tiff,
        xmp=xmp,
        icc_profile=icc,
        thumbnails=[160],
        primary_index=0,
        format="HEIF",
    )
    places = [
        *_exif_places(secret, "", "HEIF item", True),
        *_xmp_places(secret, "", "HEIF item", True),
    ]
    return Planted(
        path=dest,
        format="HEIF",
        secret=secret,
        gps=gps,
        icc=icc,
        orientation=orientation,
        upright_size=upright.size,
        stored_size=stored.size,
        places=tuple(places),
        needles={"exif.DateTimeOriginal": DATETIME_ORIGINAL.encode(), **_xmp_needles(gps)},
        features=frozenset(
            {"exif", "exif.gps", "exif.ifd1_thumbnail", "xmp", "xmp.thumbnail", "icc", "heif.thumbnail", "frames>1"}
        ),
        thumbnail=thumb,
        frames=2,
    )


def plant_mpo(
    photo: Path | str,
    dest: Path | str,
    secret: str = DEFAULT_SECRET,
    orientation: int = 6,
    *,
    max_side: int | None = None,
    gps: tuple[float, float] = GPS_LATLON,
) -> Planted:
    """MPO (written by Pillow): frame 1 with EXIF/XMP/ICC/COM, frame 2 = the unblurred
    photo with its own COM."""
    dest = Path(dest)
    upright, stored = _prepare(photo, secret, orientation, max_side)
    icc = display_p3_icc()
    tiff, thumb = _build_exif(secret, "mpo.", stored, orientation, gps, with_thumbnail=True)
    xmp = _build_xmp(secret, "mpo.", stored.size, gps)
    first = Image.frombytes("RGB", stored.size, stored.tobytes())
    first.info["comment"] = _token(secret, "mpo.frame1.COM").encode()
    second = Image.frombytes("RGB", stored.size, stored.tobytes())
    second.info["comment"] = _token(secret, "mpo.frame2.COM").encode()
    first.save(
        dest,
        "MPO",
        save_all=True,
        append_images=[second],
        quality=92,
        exif=b"Exif\0\0" + tiff,
        xmp=xmp,
        icc_profile=icc,
    )  # NB: Pillow's MPO writer repeats exif/xmp/icc (and a comment= kwarg) in every frame
    places = [
        *_exif_places(secret, "mpo.", "JPEG APP1 Exif", True),
        *_xmp_places(secret, "mpo.", "JPEG APP1 XMP", False),
        Place("mpo.frame1.COM", _token(secret, "mpo.frame1.COM"), "JPEG COM"),
        Place("mpo.frame2.COM", _token(secret, "mpo.frame2.COM"), "JPEG stream 2 > JPEG COM"),
    ]
    return Planted(
        path=dest,
        format="MPO",
        secret=secret,
        gps=gps,
        icc=icc,
        orientation=orientation,
        upright_size=upright.size,
        stored_size=stored.size,
        places=tuple(places),
        needles={"exif.DateTimeOriginal": DATETIME_ORIGINAL.encode(), **_xmp_needles(gps)},
        features=frozenset(
            {"exif", "exif.gps", "exif.ifd1_thumbnail", "exif.orientation", "xmp", "jpeg.com", "icc", "frames>1"}
        ),
        thumbnail=thumb,
        frames=2,
    )


#: format name -> plant function (HEIF only when heic_supported())
CARRIER_FORMATS: dict[str, Callable[..., Planted]] = {
    "JPEG": plant_jpeg,
    "PNG": plant_png,
    "WEBP": plant_webp,
    "HEIF": plant_heic,
    "MPO": plant_mpo,
}
_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "HEIF": ".heic", "MPO": ".mpo"}


def plant(fmt: str, photo: Path | str, dest_dir: Path | str, **kw) -> Planted:
    """Build the carrier of format ``fmt`` as ``dest_dir/carrier.<ext>``."""
    fmt = fmt.upper()
    return CARRIER_FORMATS[fmt](photo, Path(dest_dir) / f"carrier{_SUFFIX[fmt]}", **kw)


def make_jpeg_carrier(photo: Path, dest: Path, secret: str = DEFAULT_SECRET, orientation: int = 6) -> Path:
    return plant_jpeg(photo, dest, secret, orientation).path


def make_png_carrier(photo: Path, dest: Path, secret: str = DEFAULT_SECRET, orientation: int = 6) -> Path:
    return plant_png(photo, dest, secret, orientation).path


def make_webp_carrier(photo: Path, dest: Path, secret: str = DEFAULT_SECRET, orientation: int = 6) -> Path:
    return plant_webp(photo, dest, secret, orientation).path


def make_heic_carrier(photo: Path, dest: Path, secret: str = DEFAULT_SECRET, orientation: int = 6) -> Path:
    return plant_heic(photo, dest, secret, orientation).path


def make_mpo_carrier(photo: Path, dest: Path, secret: str = DEFAULT_SECRET, orientation: int = 6) -> Path:
    return plant_mpo(photo, dest, secret, orientation).path


# --------------------------------------------------------------------------------------
# Single carriers: one kind of metadata each, where a reader that looks only at the usual
# places misses it (the files of issue 15)
# --------------------------------------------------------------------------------------


def jpeg_iptc_after_image(photo: Path | str, dest: Path | str, where: str, secret: str = DEFAULT_SECRET) -> Path:
    """A JPEG with IPTC By-line, City and Country after the image data: ``where="segment"`` puts
    them in an APP13 segment between the scan and the end of the image (Pillow reads segments only
    up to the scan), ``where="trailer"`` after the end, in a block as FotoStation writes it."""
    iim = _iim(1, 90, b"\x1b%G") + _iim(2, 0, b"\x00\x04")
    for dataset, name in ((80, "By-line"), (90, "City"), (101, "Country-PrimaryLocationName")):
        iim += _iim(2, dataset, _token(secret, f"iptc.{name}").encode())
    jpeg = _jpeg_bytes(load_upright(photo))
    assert jpeg.endswith(b"\xff\xd9")
    if where == "segment":
        data = jpeg[:-2] + _seg(0xED, b"Photoshop 3.0\0" + _irb(0x0404, iim)) + b"\xff\xd9"
    else:
        data = jpeg + b"\xa1\xb2\xc3\xd4" + struct.pack(">IH", 10 + len(iim), 1) + iim
    Path(dest).write_bytes(data)
    return Path(dest)


def jpeg_xmp_creator(photo: Path | str, dest: Path | str, secret: str = DEFAULT_SECRET) -> Path:
    """A JPEG whose only metadata is an XMP packet naming its creator (dc:creator) and author."""
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:dc="{_XMP_NS["dc"]}" xmlns:xmp="{_XMP_NS["xmp"]}"'
        f' xmp:Author="{_token(secret, "xmp.xmp.Author")}">'
        f"<dc:creator><rdf:Seq><rdf:li>{_token(secret, 'xmp.dc.creator')}</rdf:li></rdf:Seq></dc:creator>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    load_upright(photo).save(dest, "JPEG", quality=92, xmp=xmp)
    return Path(dest)


def canon_jpeg(photo: Path | str, dest: Path | str, secret: str = DEFAULT_SECRET) -> Path:
    """A JPEG as a Canon camera writes it: EXIF with the make and model, exposure, an empty
    UserComment, and a MakerNote (a directory of Canon tags, little-endian like the EXIF) holding
    the owner's name (0x0009) and the body's serial number (0x000C). Offsets in the MakerNote count
    from its start."""
    maker_note = _ifd_bytes(
        {0x0006: (ASCII, "Canon EOS 40D"), 0x0009: (ASCII, _token(secret, "canon.OwnerName")),
         0x000C: (LONG, 1234567890)},
        "<", 0, 0,
    )  # fmt: skip
    tiff = build_tiff(
        {0x010F: (ASCII, "Canon"), 0x0110: (ASCII, "Canon EOS 40D"), 0x0112: (SHORT, 1)},
        {0x829A: (RATIONAL, [(1, 160)]), 0x9003: (ASCII, DATETIME_ORIGINAL), 0x927C: (UNDEFINED, maker_note),
         0x9286: (UNDEFINED, bytes(264))},
        byteorder="<",
    )  # fmt: skip
    head, rest = _split_jpeg_head(_jpeg_bytes(load_upright(photo)))
    Path(dest).write_bytes(head + _seg(0xE1, b"Exif\0\0" + tiff) + rest)
    return Path(dest)


def png_author_comment(photo: Path | str, dest: Path | str, secret: str = DEFAULT_SECRET) -> Path:
    """A PNG with the text chunks Author and Comment (capitalised, as the PNG specification
    spells its keywords)."""
    png = io.BytesIO()
    load_upright(photo).save(png, "PNG")
    chunks = _png_chunks(png.getvalue())
    text = _png_chunk(b"tEXt", b"Author\0" + _token(secret, "png.tEXt.Author").encode())
    text += _png_chunk(b"tEXt", b"Comment\0Client: " + _token(secret, "png.tEXt.Comment").encode())
    Path(dest).write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(*chunks[0]) + text + b"".join(_png_chunk(*c) for c in chunks[1:])
    )
    return Path(dest)


# ======================================================================================
# Structure parsers (used by the scanner for "where" and by the inventory)
# ======================================================================================


@dataclass
class _Region:
    start: int
    end: int
    label: str


def _tag_name(ifd: str, tag: int) -> str:
    if ifd == "GPS":
        name = ExifTags.GPSTAGS.get(tag)
    elif ifd == "Interop":
        name = {1: "InteroperabilityIndex", 2: "InteroperabilityVersion"}.get(tag)
    else:
        name = ExifTags.TAGS.get(tag)
    return name or f"0x{tag:04X}"


def _decode_tiff_value(typ: int, raw: bytes, count: int, bo: str):
    try:
        if typ == ASCII:
            return raw.split(b"\0", 1)[0].decode("latin-1")
        if typ in (SHORT, SSHORT):
            v = struct.unpack(f"{bo}{count}{'H' if typ == SHORT else 'h'}", raw[: 2 * count])
        elif typ in (LONG, SLONG, 13):
            v = struct.unpack(f"{bo}{count}{'i' if typ == SLONG else 'I'}", raw[: 4 * count])
        elif typ in (RATIONAL, SRATIONAL):
            flat = struct.unpack(f"{bo}{2 * count}{'I' if typ == RATIONAL else 'i'}", raw[: 8 * count])
            v = tuple(zip(flat[::2], flat[1::2], strict=True))
        else:
            return bytes(raw)
    except struct.error:
        return bytes(raw)
    return v[0] if len(v) == 1 else v


def _walk_tiff(t: bytes, base: int = 0) -> tuple[dict[str, dict[str, object]], list[_Region], bytes | None]:
    """Parse an EXIF TIFF structure.  Returns ({ifd: {tagname: value}}, regions, thumbnail)."""
    ifds: dict[str, dict[str, object]] = {}
    regions: list[_Region] = []
    if t[:4] == b"II*\0":
        bo = "<"
    elif t[:4] == b"MM\0*":
        bo = ">"
    else:
        return ifds, regions, None
    if len(t) < 8:
        return ifds, regions, None
    queue = [("IFD0", struct.unpack(f"{bo}I", t[4:8])[0])]
    seen: set[int] = set()
    thumb_off = thumb_len = None
    while queue:
        name, off = queue.pop(0)
        if not off or off in seen or off + 2 > len(t) or name in ifds:
            continue
        seen.add(off)
        n = struct.unpack(f"{bo}H", t[off : off + 2])[0]
        n = min(n, max(0, (len(t) - off - 2) // 12))
        regions.append(_Region(base + off, base + off + 2 + 12 * n + 4, f"{name} directory"))
        tags: dict[str, object] = {}
        for i in range(n):
            e = off + 2 + 12 * i
            tag, typ, count = struct.unpack(f"{bo}HHI", t[e : e + 8])
            size = _TYPE_SIZE.get(typ, 1) * count
            voff = e + 8 if size <= 4 else struct.unpack(f"{bo}I", t[e + 8 : e + 12])[0]
            raw = t[voff : voff + size]
            value = _decode_tiff_value(typ, raw, count, bo)
            tname = _tag_name(name, tag)
            tags[tname] = value
            regions.append(_Region(base + voff, base + voff + max(size, 1), f"{name} {tname}"))
            if isinstance(value, int):
                if tag == 0x8769 and name == "IFD0":
                    queue.append(("Exif", value))
                elif tag == 0x8825 and name == "IFD0":
                    queue.append(("GPS", value))
                elif tag == 0xA005 and name == "Exif":
                    queue.append(("Interop", value))
                elif tag == 0x0201 and name == "IFD1":
                    thumb_off = value
                elif tag == 0x0202 and name == "IFD1":
                    thumb_len = value
        ifds[name] = tags
        if name in ("IFD0", "IFD1"):
            p = off + 2 + 12 * n
            if p + 4 <= len(t):
                nxt = struct.unpack(f"{bo}I", t[p : p + 4])[0]
                if nxt:
                    queue.append(("IFD1" if name == "IFD0" else "IFD2", nxt))
    thumb = None
    if thumb_off is not None and thumb_len:
        thumb = t[thumb_off : thumb_off + thumb_len]
        regions.append(_Region(base + thumb_off, base + thumb_off + len(thumb), "IFD1 thumbnail"))
        regions.extend(_structure(thumb, base + thumb_off))
    elif "IFD1" in ifds and "StripOffsets" in ifds["IFD1"]:
        thumb = b"(uncompressed strips)"
    return ifds, regions, thumb


_APP_IDS = [
    (b"Exif\0", "Exif"),
    (b"http://ns.adobe.com/xap/1.0/\0", "XMP"),
    (b"http://ns.adobe.com/xmp/extension/\0", "XMP-extension"),
    (b"ICC_PROFILE\0", "ICC_PROFILE"),
    (b"MPF\0", "MPF"),
    (b"Photoshop 3.0\0", "Photoshop 3.0"),
    (b"JFIF\0", "JFIF"),
    (b"JFXX\0", "JFXX"),
    (b"Adobe", "Adobe"),
    (b"Ducky", "Ducky"),
]


def _app_ident(payload: bytes) -> str:
    for prefix, name in _APP_IDS:
        if payload.startswith(prefix):
            return name
    ident = payload.split(b"\0", 1)[0][:32]
    return ident.decode("latin-1", "replace") if ident else "?"


def _marker_name(m: int) -> str:
    if 0xE0 <= m <= 0xEF:
        return f"APP{m - 0xE0}"
    if m == 0xFE:
        return "COM"
    if m in (0xC4,):
        return "DHT"
    if m == 0xCC:
        return "DAC"
    if 0xC0 <= m <= 0xCF:
        return f"SOF{m - 0xC0}"
    return {0xDB: "DQT", 0xDA: "SOS", 0xDD: "DRI", 0xD9: "EOI", 0xD8: "SOI"}.get(m, f"0x{m:02X}")


@dataclass
class _JpegSeg:
    marker: int
    start: int  # offset of the FF byte
    end: int  # end of the segment (exclusive)
    payload: bytes

    @property
    def name(self) -> str:
        n = _marker_name(self.marker)
        if 0xE0 <= self.marker <= 0xEF:
            n += " " + _app_ident(self.payload)
        return n


def _parse_jpeg(data: bytes, pos: int = 0) -> tuple[list[_JpegSeg], int, bool]:
    """Segments of the JPEG stream starting at ``pos`` (which holds SOI).

    Returns (segments, end offset after EOI (or len), eoi_found)."""
    segs: list[_JpegSeg] = []
    n = len(data)
    pos += 2
    while pos + 1 < n:
        if data[pos] != 0xFF:
            pos += 1
            continue
        m = data[pos + 1]
        if m == 0xFF:
            pos += 1
            continue
        if m == 0xD9:
            segs.append(_JpegSeg(m, pos, pos + 2, b""))
            return segs, pos + 2, True
        if 0xD0 <= m <= 0xD7 or m in (0x01, 0x00):
            pos += 2
            continue
        if pos + 4 > n:
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        end = min(n, pos + 2 + length)
        segs.append(_JpegSeg(m, pos, end, data[pos + 4 : end]))
        pos = end
        if m == 0xDA:  # entropy-coded data up to the next real marker
            i = pos
            while True:
                i = data.find(b"\xff", i)
                if i < 0 or i + 1 >= n:
                    i = n
                    break
                nb = data[i + 1]
                if nb == 0x00 or 0xD0 <= nb <= 0xD7 or nb == 0xFF:
                    i += 1
                    continue
                break
            segs.append(_JpegSeg(-1, pos, i, b""))
            pos = i
    return segs, n, False


def _jpeg_streams(data: bytes) -> tuple[list[tuple[int, list[_JpegSeg], int]], int]:
    """Consecutive JPEG streams (MPO frames) from offset 0.  Returns ([(start, segs, end)],
    end of the first stream)."""
    streams = []
    pos = 0
    first_end = None
    while pos + 3 < len(data) and data[pos : pos + 3] == b"\xff\xd8\xff":
        segs, end, ok = _parse_jpeg(data, pos)
        streams.append((pos, segs, end))
        if first_end is None:
            first_end = end
        if not ok:
            break
        pos = end
    return streams, first_end if first_end is not None else 0


def _irb_resources(d: bytes) -> list[tuple[int, int, int]]:
    """Photoshop image resource blocks: [(id, data_start, data_end)]."""
    out = []
    pos = 14 if d.startswith(b"Photoshop 3.0\0") else 0
    while pos + 12 <= len(d) and d[pos : pos + 4] in (b"8BIM", b"MeSa", b"PHUT", b"AgHg", b"DCSR"):
        rid = struct.unpack(">H", d[pos + 4 : pos + 6])[0]
        nlen = d[pos + 6]
        name_total = 1 + nlen + ((1 + nlen) & 1)
        p = pos + 6 + name_total
        if p + 4 > len(d):
            break
        size = struct.unpack(">I", d[p : p + 4])[0]
        out.append((rid, p + 4, min(len(d), p + 4 + size)))
        pos = p + 4 + size + (size & 1)
    return out


def _iptc_datasets(d: bytes) -> list[tuple[int, int, int, int]]:
    """IPTC IIM datasets: [(record, dataset, data_start, data_end)]."""
    out = []
    pos = 0
    while pos + 5 <= len(d) and d[pos] == 0x1C:
        rec, ds, ln = d[pos + 1], d[pos + 2], struct.unpack(">H", d[pos + 3 : pos + 5])[0]
        start = pos + 5
        if ln & 0x8000:  # extended dataset: length of the length
            k = ln & 0x7FFF
            ln = int.from_bytes(d[start : start + k], "big")
            start += k
        out.append((rec, ds, start, min(len(d), start + ln)))
        pos = start + ln
    return out


def _irb_regions(d: bytes, base: int) -> list[_Region]:
    regions = []
    for rid, s, e in _irb_resources(d):
        label = {
            0x0404: "IPTC-NAA",
            0x040C: "Photoshop thumbnail",
            0x0409: "Photoshop thumbnail (old)",
            0x0422: "EXIF data 1",
            0x0424: "XMP",
        }.get(rid, f"resource 0x{rid:04X}")
        regions.append(_Region(base + s, base + e, f"8BIM {label}" if "thumbnail" not in label else label))
        if rid == 0x0404:
            for rec, ds, a, b in _iptc_datasets(d[s:e]):
                name = _IPTC_NAMES.get((rec, ds), "?")
                regions.append(_Region(base + s + a, base + s + b, f"IPTC {rec}:{ds:02d} {name}"))
        elif rid in (0x040C, 0x0409) and e - s > 28:
            regions.extend(_structure(d[s + 28 : e], base + s + 28))
        elif rid == 0x0422:
            regions.extend(_walk_tiff(d[s:e], base + s)[1])
    return regions


def _jpeg_regions(data: bytes, base: int) -> list[_Region]:
    regions: list[_Region] = []
    streams, _ = _jpeg_streams(data)
    for k, (start, segs, end) in enumerate(streams):
        if k:
            regions.append(_Region(base + start, base + end, f"JPEG stream {k + 1}"))
        for s in segs:
            if s.marker == -1:
                regions.append(_Region(base + s.start, base + s.end, "JPEG entropy-coded data"))
                continue
            regions.append(_Region(base + s.start, base + s.end, f"JPEG {s.name}"))
            pstart = s.start + 4
            if s.marker == 0xE1 and s.payload.startswith(b"Exif\0"):
                regions.extend(_walk_tiff(s.payload[6:], base + pstart + 6)[1])
            elif s.marker == 0xED and s.payload.startswith(b"Photoshop 3.0\0"):
                regions.extend(_irb_regions(s.payload, base + pstart))
    last_end = streams[-1][2] if streams else 0
    if last_end < len(data):
        regions.append(_Region(base + last_end, base + len(data), "trailer after EOI"))
    return regions


def _png_text(typ: bytes, d: bytes) -> tuple[str, bytes | None, bool]:
    """(keyword, text bytes or None if undecodable, compressed?) of a tEXt/zTXt/iTXt chunk."""
    key, _, rest = d.partition(b"\0")
    keyword = key.decode("latin-1")
    try:
        if typ == b"tEXt":
            return keyword, rest, False
        if typ == b"zTXt":
            return keyword, zlib.decompress(rest[1:]), True
        if typ == b"iTXt":
            flag, _method = rest[0], rest[1]
            _lang, _, rest2 = rest[2:].partition(b"\0")
            _tkey, _, text = rest2.partition(b"\0")
            return keyword, (zlib.decompress(text) if flag else text), bool(flag)
    except (zlib.error, IndexError):
        return keyword, None, typ == b"zTXt"
    return keyword, None, False


def _png_iter(data: bytes) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, chunk_start, data_start, data_end) for each PNG chunk."""
    pos = 8
    while pos + 8 <= len(data):
        n, typ = struct.unpack(">I4s", data[pos : pos + 8])
        yield typ, pos, pos + 8, min(len(data), pos + 8 + n)
        pos += 12 + n
        if typ == b"IEND":
            break


def _png_end(data: bytes) -> int:
    end = 8
    for _typ, _start, _ds, de in _png_iter(data):
        end = de + 4
    return min(end, len(data))


def _png_regions(data: bytes, base: int) -> list[_Region]:
    regions = []
    for typ, start, ds, de in _png_iter(data):
        t = typ.decode("latin-1")
        label = f"PNG {t}"
        if typ in (b"tEXt", b"zTXt", b"iTXt", b"iCCP"):
            keyword = data[ds:de].split(b"\0", 1)[0].decode("latin-1")
            label += f" '{keyword}'"
        regions.append(_Region(base + start, base + de + 4, label))
        if typ == b"eXIf":
            regions.extend(_walk_tiff(data[ds:de], base + ds)[1])
    end = _png_end(data)
    if end < len(data):
        regions.append(_Region(base + end, base + len(data), "trailer after IEND"))
    return regions


def _riff_iter(data: bytes) -> Iterator[tuple[bytes, int, int, int]]:
    size = struct.unpack("<I", data[4:8])[0]
    end = min(len(data), 8 + size)
    pos = 12
    while pos + 8 <= end:
        fourcc, n = struct.unpack("<4sI", data[pos : pos + 8])
        yield fourcc, pos, pos + 8, min(end, pos + 8 + n)
        pos += 8 + n + (n & 1)


def _riff_regions(data: bytes, base: int) -> list[_Region]:
    regions = []
    for fourcc, start, ds, de in _riff_iter(data):
        regions.append(_Region(base + start, base + de, f"WebP {fourcc.decode('latin-1').strip()}"))
        if fourcc == b"EXIF":
            d = data[ds:de]
            skip = 6 if d.startswith(b"Exif\0\0") else 0
            regions.extend(_walk_tiff(d[skip:], base + ds + skip)[1])
    end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    if end < len(data):
        regions.append(_Region(base + end, base + len(data), "trailer after RIFF"))
    return regions


# ---- ISOBMFF / HEIF -------------------------------------------------------------------


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, box_start, body_start, box_end)."""
    pos = start
    while pos + 8 <= end:
        size, typ = struct.unpack(">I4s", data[pos : pos + 8])
        hdr = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            hdr = 16
        elif size == 0:
            size = end - pos
        if size < hdr:
            return
        yield typ, pos, pos + hdr, min(end, pos + size)
        pos += size


@dataclass
class _HeifItem:
    id: int
    type: str
    name: str = ""
    content_type: str = ""
    extents: list[tuple[int, int]] = field(default_factory=list)  # absolute (start, end)
    refs: list[tuple[str, int]] = field(default_factory=list)  # (ref type, to item)
    props: list[int] = field(default_factory=list)


@dataclass
class _Heif:
    items: dict[int, _HeifItem] = field(default_factory=dict)
    primary: int | None = None
    properties: list[tuple[bytes, int, int]] = field(default_factory=list)  # (type, body, end)
    top_boxes: list[tuple[bytes, int, int]] = field(default_factory=list)


def _parse_heif(data: bytes) -> _Heif:
    h = _Heif()
    for typ, bs, body, be in _boxes(data, 0, len(data)):
        h.top_boxes.append((typ, bs, be))
        if typ != b"meta":
            continue
        idat_start = None
        iloc = None
        for ct, _cs, cb, ce in _boxes(data, body + 4, be):
            if ct == b"pitm":
                v = data[cb]
                h.primary = struct.unpack(">H" if v == 0 else ">I", data[cb + 4 : cb + (6 if v == 0 else 8)])[0]
            elif ct == b"iinf":
                v = data[cb]
                p = cb + 4 + (2 if v == 0 else 4)
                for it, _ist, ib, ie in _boxes(data, p, ce):
                    if it != b"infe":
                        continue
                    iv = data[ib]
                    q = ib + 4
                    if iv < 2:
                        continue
                    if iv == 2:
                        iid = struct.unpack(">H", data[q : q + 2])[0]
                        q += 2
                    else:
                        iid = struct.unpack(">I", data[q : q + 4])[0]
                        q += 4
                    q += 2  # protection index
                    itype = data[q : q + 4].decode("latin-1")
                    q += 4
                    name, _, rest = data[q:ie].partition(b"\0")
                    item = _HeifItem(iid, itype, name.decode("latin-1", "replace"))
                    if itype == "mime":
                        item.content_type = rest.split(b"\0", 1)[0].decode("latin-1", "replace")
                    h.items[iid] = item
            elif ct == b"iloc":
                iloc = (cb, ce)
            elif ct == b"idat":
                idat_start = cb
            elif ct == b"iref":
                v = data[cb]
                for rt, _rs, rb, _re in _boxes(data, cb + 4, ce):
                    w = 2 if v == 0 else 4
                    fmt = ">H" if w == 2 else ">I"
                    frm = struct.unpack(fmt, data[rb : rb + w])[0]
                    cnt = struct.unpack(">H", data[rb + w : rb + w + 2])[0]
                    first = rb + w + 2
                    tos = [struct.unpack(fmt, data[first + i * w : first + (i + 1) * w])[0] for i in range(cnt)]
                    h.items.setdefault(frm, _HeifItem(frm, "?"))
                    h.items[frm].refs.extend((rt.decode("latin-1"), to) for to in tos)
            elif ct == b"iprp":
                for pt, _ps, pb, pe in _boxes(data, cb, ce):
                    if pt == b"ipco":
                        for qt, _qs, qb, qe in _boxes(data, pb, pe):
                            h.properties.append((qt, qb, qe))
                    elif pt == b"ipma":
                        v, flags = data[pb], int.from_bytes(data[pb + 1 : pb + 4], "big")
                        q = pb + 4
                        n = struct.unpack(">I", data[q : q + 4])[0]
                        q += 4
                        for _ in range(n):
                            if v < 1:
                                iid = struct.unpack(">H", data[q : q + 2])[0]
                                q += 2
                            else:
                                iid = struct.unpack(">I", data[q : q + 4])[0]
                                q += 4
                            k = data[q]
                            q += 1
                            for _ in range(k):
                                if flags & 1:
                                    idx = struct.unpack(">H", data[q : q + 2])[0] & 0x7FFF
                                    q += 2
                                else:
                                    idx = data[q] & 0x7F
                                    q += 1
                                h.items.setdefault(iid, _HeifItem(iid, "?"))
                                h.items[iid].props.append(idx)
        if iloc:
            cb, ce = iloc
            v = data[cb]
            q = cb + 4
            offset_size, length_size = data[q] >> 4, data[q] & 15
            base_offset_size, index_size = data[q + 1] >> 4, (data[q + 1] & 15) if v in (1, 2) else 0
            q += 2
            if v < 2:
                n = struct.unpack(">H", data[q : q + 2])[0]
                q += 2
            else:
                n = struct.unpack(">I", data[q : q + 4])[0]
                q += 4

            def rd(size: int) -> int:
                nonlocal q
                val = int.from_bytes(data[q : q + size], "big") if size else 0
                q += size
                return val

            for _ in range(n):
                iid = rd(2 if v < 2 else 4)
                method = rd(2) & 15 if v in (1, 2) else 0
                rd(2)  # data reference index
                base_off = rd(base_offset_size)
                ext = []
                for _ in range(rd(2)):
                    if index_size:
                        rd(index_size)
                    eo, el = rd(offset_size), rd(length_size)
                    if method == 0:
                        ext.append((base_off + eo, base_off + eo + el))
                    elif method == 1 and idat_start is not None:
                        ext.append((idat_start + base_off + eo, idat_start + base_off + eo + el))
                h.items.setdefault(iid, _HeifItem(iid, "?"))
                h.items[iid].extents = ext
    return h


def _heif_item_data(data: bytes, item: _HeifItem) -> bytes:
    return b"".join(data[s:e] for s, e in item.extents)


def _heif_role(h: _Heif, item: _HeifItem) -> str:
    roles = []
    if item.id == h.primary:
        roles.append("primary")
    for rt, to in item.refs:
        roles.append(
            {"thmb": "thumbnail of", "auxl": "auxiliary of", "cdsc": "metadata for", "dimg": "derived from"}.get(rt, rt)
            + f" #{to}"
        )
    return ", ".join(roles)


def _heif_regions(data: bytes, base: int) -> list[_Region]:
    h = _parse_heif(data)
    regions = [_Region(base + s, base + e, f"ISOBMFF box {t.decode('latin-1')}") for t, s, e in h.top_boxes]
    for item in h.items.values():
        kind = item.type if item.type != "mime" else f"mime {item.content_type}"
        label = f"HEIF item #{item.id} {kind}"
        if role := _heif_role(h, item):
            label += f" ({role})"
        for s, e in item.extents:
            regions.append(_Region(base + s, base + e, label))
        if item.type == "Exif" and len(item.extents) == 1:
            s, e = item.extents[0]
            d = data[s:e]
            if len(d) >= 4:
                off = 4 + struct.unpack(">I", d[:4])[0]
                regions.extend(_walk_tiff(d[off:], base + s + off)[1])
    return regions


def _detect(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp":
        return "ISOBMFF"
    if data[:4] in (b"II*\0", b"MM\0*"):
        return "TIFF"
    if data[:14] == b"Photoshop 3.0\0" or data[:4] == b"8BIM":
        return "IRB"
    return None


def _structure(data: bytes, base: int = 0) -> list[_Region]:
    kind = _detect(data)
    try:
        if kind == "JPEG":
            return _jpeg_regions(data, base)
        if kind == "PNG":
            return _png_regions(data, base)
        if kind == "WEBP":
            return _riff_regions(data, base)
        if kind == "ISOBMFF":
            return _heif_regions(data, base)
        if kind == "TIFF":
            return _walk_tiff(data, base)[1]
        if kind == "IRB":
            return _irb_regions(data, base)
    except (struct.error, IndexError, ValueError):
        return []
    return []


def _describe(regions: list[_Region], off: int) -> str:
    inside = [r for r in regions if r.start <= off < r.end]
    inside.sort(key=lambda r: (-(r.end - r.start), r.start))
    return " > ".join(r.label for r in inside) or "unstructured data"


# ======================================================================================
# Scanner
# ======================================================================================

_MAX_DEPTH = 4
_MAX_OUT = 64 << 20
_NEST_LIMIT = 4 << 20
_ZLIB_HEADERS = [
    bytes([cmf, flg])
    for cmf in (0x08, 0x18, 0x28, 0x38, 0x48, 0x58, 0x68, 0x78)
    for flg in range(256)
    if (cmf * 256 + flg) % 31 == 0 and not flg & 0x20
]
_B64_RUN = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}")
# what may separate base64 lines: whitespace, XML character references, escaped newlines
_B64_SEP = re.compile(rb"(?:&#x[aAdD];|&#1[03];|\\[nr]|[\r\n\t ])*")
_HEX_RE = re.compile(rb"[0-9a-fA-F]{16,}(?:[\r\n\t ]+[0-9a-fA-F]{16,})*")


def _needles(secret: str | bytes) -> list[tuple[str, bytes]]:
    if isinstance(secret, bytes):
        return [("bytes", secret)]
    out = [
        ("utf-8", secret.encode("utf-8")),
        ("utf-16le", secret.encode("utf-16-le")),
        ("utf-16be", secret.encode("utf-16-be")),
    ]
    try:
        lat = secret.encode("latin-1")
        if lat != out[0][1]:
            out.append(("latin-1", lat))
    except UnicodeEncodeError:
        pass
    return out


def _find_all(data: bytes, needle: bytes) -> list[int]:
    out, i = [], data.find(needle)
    while i >= 0:
        out.append(i)
        i = data.find(needle, i + 1)
    return out


def _inflate(mv: memoryview, start: int, wbits: int) -> bytes:
    """Inflate from ``start``; keeps whatever came out before a corrupt spot."""
    d = zlib.decompressobj(wbits)
    out = bytearray()
    pos, step = start, 1 << 16
    while pos < len(mv) and len(out) < _MAX_OUT:
        try:
            out += d.decompress(mv[pos : pos + step], _MAX_OUT - len(out))
        except zlib.error:
            break
        if d.eof or d.unconsumed_tail:
            break
        pos += step
    return bytes(out)


def _base64_spans(data: bytes) -> list[tuple[int, int]]:
    """Runs of base64 text, joining lines split by whitespace or &#xA; references."""
    spans: list[list[int]] = []
    for m in _B64_RUN.finditer(data):
        if (
            spans
            and data[spans[-1][1] - 1] != 0x3D  # previous run ended with '=' padding
            and _B64_SEP.fullmatch(data, spans[-1][1], m.start())
        ):
            spans[-1][1] = m.end()
        else:
            spans.append([m.start(), m.end()])
    return [(a, b) for a, b in spans]


def _decoded_layers(data: bytes) -> Iterator[tuple[str, int, bytes]]:
    """(kind, offset, decoded bytes) for every compressed / encoded run found in data."""
    mv = memoryview(data)
    for o in sorted(o for h in _ZLIB_HEADERS for o in _find_all(data, h)):
        out = _inflate(mv, o, 15)
        if len(out) >= 2:
            yield "zlib", o, out
    for o in _find_all(data, b"\x1f\x8b\x08"):
        out = _inflate(mv, o, 31)
        if out:
            yield "gzip", o, out
    for o in _find_all(data, b"PK\x03\x04"):
        try:
            method = struct.unpack("<H", data[o + 8 : o + 10])[0]
            nlen, xlen = struct.unpack("<HH", data[o + 26 : o + 30])
        except struct.error:
            continue
        if method == 8:
            out = _inflate(mv, o + 30 + nlen + xlen, -15)
            if out:
                yield "zip-deflate", o, out
    for start, end in _base64_spans(data):
        raw = re.sub(rb"&#x[aAdD];|&#1[03];|\\[nr]|[^A-Za-z0-9+/]", b"", data[start:end])
        raw = raw[: len(raw) // 4 * 4]
        if len(raw) < 64:
            continue
        try:
            out = base64.b64decode(raw)
        except ValueError:  # binascii.Error is a ValueError
            continue
        yield "base64", start, out
    for m in _HEX_RE.finditer(data):
        raw = re.sub(rb"\s", b"", m.group())
        if len(raw) < 64:
            continue
        try:
            out = bytes.fromhex(raw[: len(raw) // 2 * 2].decode())
        except ValueError:
            continue
        yield "hex", m.start(), out


def _scan(data: bytes, secrets: list[str | bytes], layers: tuple[str, ...], depth: int, hits: list[Hit]) -> None:
    regions: list[_Region] | None = None

    def where(off: int) -> str:
        nonlocal regions
        if regions is None:
            regions = _structure(data)
        return _describe(regions, off)

    for secret in secrets:
        found: dict[str, list[int]] = {enc: _find_all(data, n) for enc, n in _needles(secret)}
        le = set(found.get("utf-16le", []))
        be = set(found.get("utf-16be", []))
        # ASCII text as UTF-16 between NULs matches both byte orders one byte apart
        both = {o for o in le if o - 1 in be}
        for enc, offs in found.items():
            for o in offs:
                e = enc
                if enc == "utf-16le" and o in both:
                    e = "utf-16"
                elif enc == "utf-16be" and o + 1 in both:
                    continue
                hits.append(Hit(secret, e, o, where(o), layers))
    if depth >= _MAX_DEPTH:
        return
    for kind, off, out in _decoded_layers(data):
        # only descend when something could be there: cheap pre-check on all needles
        if not any(n in out for s in secrets for _, n in _needles(s)) and not _may_nest(out):
            continue
        # huge outputs are pixel data (PNG IDAT, ...): search them, but look no deeper
        next_depth = depth + 1 if len(out) <= _NEST_LIMIT else _MAX_DEPTH
        _scan(out, secrets, (*layers, f"{kind} stream at {off:#x} in [{where(off)}]"), next_depth, hits)


def _may_nest(out: bytes) -> bool:
    """Could a decoded layer hide more encoded layers?  (Kept cheap.)"""
    return bool(
        any(h in out for h in _ZLIB_HEADERS)
        or b"\x1f\x8b\x08" in out
        or b"PK\x03\x04" in out
        or _B64_RUN.search(out)
        or _HEX_RE.search(out)
    )


def scan_secrets(path: Path | str | bytes, secrets: Iterable[str | bytes]) -> list[Hit]:
    """All occurrences of each secret in the file (or bytes), with their location."""
    data = path if isinstance(path, (bytes, bytearray)) else Path(path).read_bytes()
    secrets = [s for s in secrets if s]
    hits: list[Hit] = []
    _scan(bytes(data), secrets, (), 0, hits)
    return hits


def find_secrets(path: Path | str, secrets: Iterable[str | bytes]) -> list[str]:
    """Descriptions of every place each secret was found (empty list == clean).

    Each secret (str) is searched as UTF-8, UTF-16LE and UTF-16BE (and Latin-1 if that
    differs); bytes are searched as given.  The scan covers the raw file and, recursively,
    every zlib/gzip/zip-deflate stream, base64 run and hex run found in it.
    """
    return [str(h) for h in scan_secrets(path, secrets)]


# ======================================================================================
# Inventory and strict verification
# ======================================================================================


def xmp_properties(xmp: str | bytes) -> list[str]:
    """Qualified names (``prefix:Local``) of every XMP property in a packet, at any depth.

    Elements and attributes from the rdf:, x: and xml: namespaces are not properties.
    Unknown namespaces are shown as ``{uri}Local``.  Raises ValueError when the packet is
    not well-formed XML (a strict verifier should reject that too).
    """
    from defusedxml import ElementTree as DET

    if isinstance(xmp, bytes):
        xmp = xmp.decode("utf-8", "replace")
    xmp = xmp.strip("\0 \r\n\t")
    try:
        root = DET.fromstring(xmp.encode("utf-8"))
    except Exception as exc:  # ParseError or defusedxml's forbidden-construct errors
        raise ValueError(f"XMP packet is not well-formed: {exc}") from exc
    skip = {_XMP_NS["rdf"], _XMP_NS["x"], _XMP_NS["xml"], ""}
    props: set[str] = set()

    def qual(name: str) -> tuple[str, str]:
        if name.startswith("{"):
            ns, local = name[1:].split("}", 1)
            return ns, local
        return "", name

    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ns, local = qual(el.tag)
        if ns not in skip:
            props.add(f"{_NS_PREFIX.get(ns, '{' + ns + '}')}:{local}" if ns in _NS_PREFIX else f"{{{ns}}}{local}")
        for attr in el.attrib:
            ns, local = qual(attr)
            if ns not in skip:
                props.add(f"{_NS_PREFIX[ns]}:{local}" if ns in _NS_PREFIX else f"{{{ns}}}{local}")
    return sorted(props)


def xmp_values(xmp: str | bytes, prop: str) -> list[str]:
    """All values of property ``prefix:Local`` (attribute, element text or rdf:resource)."""
    from defusedxml import ElementTree as DET

    prefix, local = prop.split(":", 1)
    name = f"{{{_XMP_NS[prefix]}}}{local}"
    if isinstance(xmp, bytes):
        xmp = xmp.decode("utf-8", "replace")
    try:
        root = DET.fromstring(xmp.strip("\0 \r\n\t").encode("utf-8"))
    except Exception:  # noqa: BLE001
        return []
    out = []
    for el in root.iter():
        if name in el.attrib:
            out.append(el.attrib[name])
        if el.tag == name:
            res = el.attrib.get(f"{{{_XMP_NS['rdf']}}}resource")
            out.append(res if res is not None else "".join(el.itertext()).strip())
    return out


def _gps_decimal(gps: dict[str, object]) -> tuple[float, float] | None:
    try:

        def conv(v, ref):
            d, m, s = (a / b for a, b in v)
            x = d + m / 60 + s / 3600
            return -x if ref in ("S", "W") else x

        lat = conv(gps["GPSLatitude"], gps.get("GPSLatitudeRef"))
        return lat, conv(gps["GPSLongitude"], gps.get("GPSLongitudeRef"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def _empty_inventory() -> dict:
    return {
        "format": None,  # container detected from bytes: JPEG, PNG, WEBP, ISOBMFF, ...
        "pillow_format": None,
        "frames": 1,
        "size": None,
        "exif_blocks": 0,
        "exif": {},  # {"IFD0": {name: value}, "Exif": ..., "GPS": ..., "Interop": ..., "IFD1": ...}
        "exif_tags": [],  # sorted names over IFD0/Exif/GPS/Interop/IFD1
        "gps": False,
        "gps_decimal": None,
        "thumbnail": False,  # EXIF IFD1 thumbnail present
        "thumbnail_bytes": None,
        "orientation": None,
        "jpeg_streams": 0,
        "jpeg_segments": [],  # primary stream, in order, e.g. "APP0 JFIF", "APP1 Exif", "COM", "DQT"
        "jpeg_app": [],  # only APPn, e.g. ["APP0 JFIF", "APP2 ICC_PROFILE"]
        "jpeg_com": [],  # COM payloads (all streams)
        "bytes_after_eoi": None,  # JPEG: bytes after the primary image's EOI (MPO frames count)
        "trailing_bytes": 0,  # any format: bytes after the logical end of the primary image
        "iptc": [],  # "2:80 By-line", ...
        "photoshop_resources": [],  # 8BIM ids
        "xmp_packets": [],
        "xmp": None,  # all packets joined with "\n"
        "xmp_properties": [],
        "model_release_status": [],  # values of plus:ModelReleaseStatus
        "xmp_extended": [],  # JPEG extended-XMP chunk payloads
        "icc": None,
        "icc_description": None,
        "png_chunks": [],
        "png_text": [],  # [(chunk type, keyword, text)]
        "riff_chunks": [],
        "heif_items": [],  # ["#1 hvc1 (primary)", "#3 Exif (metadata for #1)", ...]
        "heif_thumbnails": 0,
        "heif_aux": 0,
        "heif_top_level_images": 0,
        "xmp_markers_in_file": 0,  # raw count of b"<x:xmpmeta" anywhere in the file
    }


def metadata_inventory(path: Path | str) -> dict:
    """What a strict verifier sees in a finished file.  See ``_empty_inventory`` for keys."""
    data = Path(path).read_bytes()
    inv = _empty_inventory()
    kind = _detect(data)
    inv["format"] = kind
    inv["xmp_markers_in_file"] = data.count(b"<x:xmpmeta")
    exif_blobs: list[bytes] = []
    icc_parts: list[bytes] = []

    if kind == "JPEG":
        streams, first_end = _jpeg_streams(data)
        inv["jpeg_streams"] = len(streams)
        inv["bytes_after_eoi"] = len(data) - first_end
        inv["trailing_bytes"] = len(data) - first_end
        icc_chunks: list[tuple[int, bytes]] = []
        for k, (_, segs, _) in enumerate(streams):
            for s in segs:
                if s.marker == -1:
                    continue
                if k == 0:
                    inv["jpeg_segments"].append(s.name)
                    if 0xE0 <= s.marker <= 0xEF:
                        inv["jpeg_app"].append(s.name)
                if s.marker == 0xFE:
                    inv["jpeg_com"].append(s.payload)
                if k:
                    continue
                ident = _app_ident(s.payload) if 0xE0 <= s.marker <= 0xEF else ""
                if s.marker == 0xE1 and ident == "Exif":
                    exif_blobs.append(s.payload[6:])
                elif s.marker == 0xE1 and ident == "XMP":
                    inv["xmp_packets"].append(s.payload.split(b"\0", 1)[1].decode("utf-8", "replace"))
                elif s.marker == 0xE1 and ident == "XMP-extension":
                    inv["xmp_extended"].append(s.payload[35 + 32 + 8 :].decode("utf-8", "replace"))
                elif s.marker == 0xE2 and ident == "ICC_PROFILE":
                    icc_chunks.append((s.payload[12], s.payload[14:]))
                elif s.marker == 0xED and ident == "Photoshop 3.0":
                    for rid, a, b in _irb_resources(s.payload):
                        inv["photoshop_resources"].append(f"0x{rid:04X}")
                        if rid == 0x0404:
                            for rec, ds, _, _ in _iptc_datasets(s.payload[a:b]):
                                inv["iptc"].append(f"{rec}:{ds:02d} {_IPTC_NAMES.get((rec, ds), '?')}")
        icc_parts = [c for _, c in sorted(icc_chunks, key=lambda x: x[0])]
    elif kind == "PNG":
        for typ, _start, ds, de in _png_iter(data):
            inv["png_chunks"].append(typ.decode("latin-1"))
            d = data[ds:de]
            if typ == b"eXIf":
                exif_blobs.append(d)
            elif typ == b"iCCP":
                try:
                    icc_parts = [zlib.decompress(d.split(b"\0", 1)[1][1:])]
                except (zlib.error, IndexError):
                    icc_parts = [b"(undecodable)"]
            elif typ in (b"tEXt", b"zTXt", b"iTXt"):
                keyword, text, _ = _png_text(typ, d)
                inv["png_text"].append((typ.decode(), keyword, text))
                if keyword == "XML:com.adobe.xmp" and text is not None:
                    inv["xmp_packets"].append(text.decode("utf-8", "replace"))
                elif keyword == "Raw profile type exif" and text:
                    try:
                        hx = b"".join(text.split(b"\n")[3:])
                        blob = bytes.fromhex(hx.decode())
                        exif_blobs.append(blob[6:] if blob.startswith(b"Exif\0\0") else blob)
                    except ValueError:
                        pass
        inv["trailing_bytes"] = len(data) - _png_end(data)
    elif kind == "WEBP":
        for fourcc, _start, ds, de in _riff_iter(data):
            inv["riff_chunks"].append(fourcc.decode("latin-1"))
            d = data[ds:de]
            if fourcc == b"EXIF":
                exif_blobs.append(d[6:] if d.startswith(b"Exif\0\0") else d)
            elif fourcc == b"XMP ":
                inv["xmp_packets"].append(d.decode("utf-8", "replace"))
            elif fourcc == b"ICCP":
                icc_parts = [d]
        inv["trailing_bytes"] = len(data) - min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    elif kind == "ISOBMFF":
        h = _parse_heif(data)
        for item in h.items.values():
            role = _heif_role(h, item)
            kindname = item.type if item.type != "mime" else f"mime {item.content_type}"
            inv["heif_items"].append(f"#{item.id} {kindname}" + (f" ({role})" if role else ""))
            refs = {rt for rt, _ in item.refs}
            if "thmb" in refs:
                inv["heif_thumbnails"] += 1
            if "auxl" in refs:
                inv["heif_aux"] += 1
            d = _heif_item_data(data, item)
            if item.type == "Exif" and len(d) >= 4:
                exif_blobs.append(d[4 + struct.unpack(">I", d[:4])[0] :])
            elif (
                item.type == "mime"
                and "xmp" in (item.content_type + item.name).lower()
                or (item.type == "mime" and item.content_type == "application/rdf+xml")
            ):
                inv["xmp_packets"].append(d.decode("utf-8", "replace"))
        image_types = {"hvc1", "av01", "grid", "iden", "jpeg", "unci", "iovl", "vvc1", "j2k1"}
        tiles = {to for it in h.items.values() for rt, to in it.refs if rt == "dimg"}
        inv["heif_top_level_images"] = sum(
            1
            for it in h.items.values()
            if it.type in image_types and it.id not in tiles and not any(rt in ("thmb", "auxl") for rt, _ in it.refs)
        )
        primary = h.items.get(h.primary) if h.primary is not None else None
        for idx in primary.props if primary else []:
            if 1 <= idx <= len(h.properties):
                pt, pb, pe = h.properties[idx - 1]
                if pt == b"colr" and data[pb : pb + 4] in (b"prof", b"rICC"):
                    icc_parts = [data[pb + 4 : pe]]
        if not icc_parts:
            for pt, pb, pe in h.properties:
                if pt == b"colr" and data[pb : pb + 4] in (b"prof", b"rICC"):
                    icc_parts = [data[pb + 4 : pe]]
                    break
        end = max((e for _, _, e in h.top_boxes), default=len(data))
        inv["trailing_bytes"] = len(data) - end

    # EXIF
    names: set[str] = set()
    for blob in exif_blobs:
        ifds, _, thumb = _walk_tiff(blob)
        if not ifds and not blob:
            continue
        inv["exif_blocks"] += 1
        for ifd, tags in ifds.items():
            inv["exif"].setdefault(ifd, {}).update(tags)
            names.update(tags)
        if ifds.get("GPS"):
            inv["gps"] = True
        if "GPSInfo" in ifds.get("IFD0", {}):
            inv["gps"] = True
        if thumb:
            inv["thumbnail"] = True
            inv["thumbnail_bytes"] = thumb
        if "Orientation" in ifds.get("IFD0", {}):
            inv["orientation"] = ifds["IFD0"]["Orientation"]
    inv["exif_tags"] = sorted(names)
    if inv["exif"].get("GPS"):
        inv["gps_decimal"] = _gps_decimal(inv["exif"]["GPS"])

    # XMP
    if inv["xmp_packets"]:
        inv["xmp"] = "\n".join(inv["xmp_packets"])
        props: set[str] = set()
        for p in [*inv["xmp_packets"], *inv["xmp_extended"]]:
            try:
                props.update(xmp_properties(p))
            except ValueError:
                props.add("(malformed XMP)")
        inv["xmp_properties"] = sorted(props)
        for p in inv["xmp_packets"]:
            inv["model_release_status"].extend(xmp_values(p, "plus:ModelReleaseStatus"))

    # ICC
    if icc_parts:
        icc = b"".join(icc_parts)
        inv["icc"] = icc
        try:
            inv["icc_description"] = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
        except (OSError, ImageCms.PyCMSError, TypeError, ValueError):
            inv["icc_description"] = "(unreadable)"

    # Pillow's view: format, frames, size
    if kind == "ISOBMFF":
        _register_heif()
    try:
        with Image.open(io.BytesIO(data)) as im:
            inv["pillow_format"] = im.format
            inv["size"] = im.size
            inv["frames"] = getattr(im, "n_frames", 1)
    except Exception:  # noqa: BLE001 - an unreadable file is reported, not raised
        inv["pillow_format"] = None
    if kind == "ISOBMFF":
        inv["frames"] = max(inv["frames"], inv["heif_top_level_images"])
    return inv


_ALLOWED_PNG = {"IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "pHYs", "iCCP", "iTXt"}
_ALLOWED_RIFF = {"VP8 ", "VP8L", "VP8X", "ALPH", "ICCP", "XMP "}


def strict_violations(
    path: Path | str,
    secrets: Iterable[str | bytes] = (),
    *,
    allowed_xmp_properties: Iterable[str] = ("plus:ModelReleaseStatus",),
    allow_icc: bool = True,
    allowed_exif_tags: Iterable[str] = (),
    allowed_jpeg_app: Iterable[str] = ("APP0 JFIF", "APP1 XMP", "APP2 ICC_PROFILE", "APP14 Adobe"),
) -> list[str]:
    """Everything in ``path`` that the product's allow-list forbids ([] == clean).

    Checks: secrets (byte-wise, see find_secrets), EXIF tags (incl. GPS and IFD1
    thumbnail), JPEG APPn/COM, extra JPEG streams and trailers, frames, XMP properties,
    IPTC/Photoshop resources, PNG chunks and text, WebP chunks, HEIF thumbnails /
    auxiliary images / extra top-level images, and ICC when not allowed.
    """
    v = [f"secret found: {s}" for s in find_secrets(path, secrets)]
    inv = metadata_inventory(path)
    allowed_xmp = set(allowed_xmp_properties)
    allowed_exif = set(allowed_exif_tags)
    for name in inv["exif_tags"]:
        if name not in allowed_exif:
            v.append(f"EXIF tag {name}")
    if inv["gps"]:
        v.append("EXIF GPS IFD present")
    if inv["thumbnail"]:
        v.append("EXIF IFD1 thumbnail present")
    app_ok = set(allowed_jpeg_app)
    if not allow_icc:
        app_ok.discard("APP2 ICC_PROFILE")
    if not allowed_xmp:
        app_ok.discard("APP1 XMP")
    if allowed_exif:
        app_ok.add("APP1 Exif")  # its tags are checked one by one above
    for seg in inv["jpeg_app"]:
        if seg not in app_ok:
            v.append(f"JPEG segment {seg}")
    for com in inv["jpeg_com"]:
        v.append(f"JPEG COM {com[:40]!r}")
    if inv["jpeg_streams"] > 1:
        v.append(f"{inv['jpeg_streams']} JPEG streams (MPO / embedded images)")
    if inv["trailing_bytes"]:
        v.append(f"{inv['trailing_bytes']} bytes after the end of the image")
    if inv["frames"] != 1:
        v.append(f"{inv['frames']} frames")
    for p in inv["xmp_properties"]:
        if p not in allowed_xmp:
            v.append(f"XMP property {p}")
    if inv["xmp_extended"]:
        v.append("extended XMP present")
    if inv["iptc"] or inv["photoshop_resources"]:
        v.append(f"IPTC/Photoshop resources {inv['iptc'] or inv['photoshop_resources']}")
    if inv["icc"] is not None and not allow_icc:
        v.append("ICC profile present")
    for c in inv["png_chunks"]:
        if c not in _ALLOWED_PNG or (c == "iCCP" and not allow_icc):
            v.append(f"PNG chunk {c}")
    for typ, keyword, _ in inv["png_text"]:
        if not (typ == "iTXt" and keyword == "XML:com.adobe.xmp" and allowed_xmp):
            v.append(f"PNG {typ} '{keyword}'")
    for c in inv["riff_chunks"]:
        if c not in _ALLOWED_RIFF or (c == "ICCP" and not allow_icc) or (c == "XMP " and not allowed_xmp):
            v.append(f"WebP chunk {c.strip()}")
    if inv["heif_thumbnails"]:
        v.append(f"{inv['heif_thumbnails']} HEIF thumbnails")
    if inv["heif_aux"]:
        v.append(f"{inv['heif_aux']} HEIF auxiliary (depth/alpha/gain) images")
    if inv["xmp_markers_in_file"] > len(inv["xmp_packets"]):
        v.append(
            f"{inv['xmp_markers_in_file']} '<x:xmpmeta' markers in the file but "
            f"{len(inv['xmp_packets'])} XMP packets in their proper place"
        )
    return v
