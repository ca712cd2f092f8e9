"""What a photo file carries besides its pixels: which kinds of metadata, and where; never their values.

`inventory` lists everything in a file beyond what privacyscreen itself writes (the colour
profile, and its own XMP packet with the model-release status and the seal). `run` rebuilds
photos without any of it and names it in its reasons; `check` refuses a file that carries any
of it unless the user accepts metadata they have reviewed. Tags and chunks that describe the
pixels (size, layout, colour, orientation, resolution) are the image, not metadata. What is
there but cannot be read, or is of no known kind, is named all the same ("other details", "other
blocks of data"): nothing passes because it was not understood.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from defusedxml import ElementTree
from PIL import ExifTags, Image

from .messages import say

# Where metadata is kept, and what kinds of things it says, in the order they are named.
CARRIERS = (
    "exif", "makernote", "iptc", "photoshop", "xmp", "text", "comment", "unknown", "extra-images", "after-image",
    "container",
)  # fmt: skip
KINDS = ("author", "people", "place", "serial", "description", "thumbnail", "other")

SEAL_NS = "urn:privacyscreen:xmp:1.0#"
PLUS_NS = "http://ns.useplus.org/ldf/xmp/1.0/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OUR_XMP = {f"{{{PLUS_NS}}}ModelReleaseStatus", f"{{{SEAL_NS}}}ImageDataSHA256"}  # what privacyscreen writes
SYNTAX_NS = (f"{{{RDF_NS}}}", "{http://www.w3.org/XML/1998/namespace}")  # rdf:about, xml:lang
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXTENSION = b"http://ns.adobe.com/xmp/extension/\x00"  # then a GUID, the full length and this part's offset
MAX_TEXT = 16 * 1024 * 1024  # a compressed text field is read up to this size (a zip bomb stops there)

# EXIF and TIFF tags that describe the pixels, point to other directories, or hold the colour profile.
IMAGE_TAGS = {
    0x00FE, 0x00FF, 0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x0107, 0x0108, 0x0109, 0x010A, 0x0111, 0x0112,
    0x0115, 0x0116, 0x0117, 0x0118, 0x0119, 0x011A, 0x011B, 0x011C, 0x0122, 0x0123, 0x0124, 0x0125, 0x0128,
    0x0129, 0x012D, 0x013D, 0x013E, 0x013F, 0x0140, 0x0141, 0x0142, 0x0143, 0x0144, 0x0145, 0x014C, 0x0152,
    0x0153, 0x0154, 0x0155, 0x015B, 0x0201, 0x0202, 0x0211, 0x0212, 0x0213, 0x0214, 0x8773, 0x8769, 0x8825,
    0xA005, 0x9000, 0x9101, 0xA000, 0xA001, 0xA002, 0xA003, 0xA500,
}  # fmt: skip
EXIF_KINDS = {
    0x013B: "author", 0x8298: "author", 0x9C9D: "author", 0xA430: "author",  # Artist, Copyright, XPAuthor, owner
    0xA431: "serial", 0xA435: "serial", 0xA420: "serial",  # body and lens serial numbers, ImageUniqueID
    0x010D: "description", 0x010E: "description", 0x011D: "description", 0x9286: "description",  # names, UserComment
    0x9C9B: "description", 0x9C9C: "description", 0x9C9E: "description", 0x9C9F: "description",  # XP title ... subject
}  # fmt: skip
MAKER_NOTE = 0x927C
# The makers whose notes are read: the tags of the directory their notes start with. Other
# makers' notes are named as "other details".
MAKER_NOTES = {"Canon": {0x0009: "author", 0x000C: "serial", 0x0096: "serial"}}  # OwnerName, serial numbers
IPTC_KINDS = {  # record 2 datasets
    80: "author", 85: "author", 110: "author", 115: "author", 116: "author", 118: "author", 122: "author",
    26: "place", 27: "place", 90: "place", 92: "place", 95: "place", 100: "place", 101: "place",
    5: "description", 12: "description", 15: "description", 20: "description", 25: "description",
    40: "description", 105: "description", 120: "description",
}  # fmt: skip
IPTC_STRUCTURE = {(1, 90), (2, 0)}  # the character set and the record version
XMP_KINDS = {  # by the property's local name, whatever its namespace
    **dict.fromkeys(("creator", "contributor", "publisher", "rights", "Author", "Owner", "AuthorsPosition",
                     "CaptionWriter", "CreatorContactInfo", "Credit", "Source", "Artist", "Copyright",
                     "CameraOwnerName", "OwnerName"), "author"),
    **dict.fromkeys(("PersonInImage", "PersonInImageWDetails", "Regions", "RegionInfo", "ModelReleaseID",
                     "AddlModelInfo"), "people"),
    **dict.fromkeys(("City", "State", "Country", "CountryCode", "Location", "LocationShown", "LocationCreated",
                     "Sublocation", "WorldRegion"), "place"),
    **dict.fromkeys(("SerialNumber", "BodySerialNumber", "LensSerialNumber", "ImageUniqueID",
                     "InternalSerialNumber"), "serial"),
    **dict.fromkeys(("description", "title", "subject", "hierarchicalSubject", "Headline", "Keywords",
                     "UserComment", "ImageDescription", "Instructions", "TagsList", "Category",
                     "SupplementalCategories"), "description"),
    "Thumbnails": "thumbnail",
}  # fmt: skip
PNG_TEXT_KINDS = {"author": "author", "copyright": "author", "title": "description", "description": "description",
                  "comment": "description", "disclaimer": "description", "warning": "description"}  # fmt: skip
PNG_IMAGE_CHUNKS = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"pHYs", b"hIST",
    b"sPLT", b"cICP", b"mDCV", b"cLLI", b"iCCP", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip
WEBP_IMAGE_CHUNKS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
JPEG_IMAGE_SEGMENTS = ((0xE0, b"JFIF\x00"), (0xE2, b"ICC_PROFILE\x00"), (0xEE, b"Adobe"))
PHOTOSHOP_IMAGE = {0x03ED, 0x0425}  # resolution, and the digest of the IPTC block
NEXT_MARKER = re.compile(rb"\xff+[^\x00\xff\xd0-\xd7]")  # a JPEG marker (not a stuffed byte, not a restart)


@dataclass(frozen=True)
class Metadata:
    """One place in a file that holds metadata ("iptc"), and the kinds of things it says there
    ("author", "place"); see CARRIERS and KINDS."""

    carrier: str
    kinds: tuple[str, ...] = ()

    def text(self, lang: str) -> str:
        """What the user is told, e.g. "IPTC (author or owner, place)"."""
        name = say(f"metadata-{self.carrier}", lang)
        return f"{name} ({', '.join(say(f'metadata-{k}', lang) for k in self.kinds)})" if self.kinds else name


class Found(dict[str, set[str]]):
    """The kinds of metadata found so far, per carrier."""

    def add(self, carrier: str, kinds: Iterable[str] = ()) -> None:
        self.setdefault(carrier, set()).update(kinds)

    def listed(self) -> tuple[Metadata, ...]:
        return tuple(Metadata(c, tuple(k for k in KINDS if k in self[c])) for c in CARRIERS if c in self)


def inventory(im: Image.Image, data: bytes) -> tuple[Metadata, ...]:
    """Everything `data` (the file Pillow opened as `im`) carries beyond the pixels, its colour
    profile and privacyscreen's own XMP packet."""
    found = Found()
    try:
        walk = {"JPEG": read_jpeg, "MPO": read_jpeg, "PNG": read_png, "WEBP": read_webp}.get(im.format or "")
        if walk:
            walk(data, found)
        else:
            read_pillow_info(im, found)
    except (struct.error, IndexError, ValueError, zlib.error):  # a block that ends too soon, or is not what it says
        found.add("unknown")
    if getattr(im, "n_frames", 1) > 1:
        found.add("extra-images")
    return found.listed()


def read_pillow_info(im: Image.Image, found: Found) -> None:
    """What Pillow and pillow-heif read of the other formats: a TIFF's tags, HEIF's metadata and
    extra images, a GIF's comment and application block."""
    read_exif(im.getexif(), found)
    if im.info.get("xmp"):
        read_xmp(im.info["xmp"], found)
    if im.info.get("comment"):
        found.add("comment")
    extension = im.info.get("extension")
    if extension and not extension[0].startswith(b"NETSCAPE2.0"):  # a GIF application block, not the loop
        found.add("unknown")
    if any(m.get("type") != "Exif" and m.get("content_type") != "application/rdf+xml"
           for m in im.info.get("metadata", [])):  # fmt: skip
        found.add("unknown")
    if im.info.get("thumbnails"):
        found.add("extra-images", ["thumbnail"])
    if im.info.get("depth_images") or im.info.get("aux"):
        found.add("extra-images")


def blank(value: object) -> bool:
    """Whether a tag's value says nothing (cameras write an empty UserComment: its character set's
    name and zeros)."""
    if isinstance(value, bytes):
        return value.strip(b"\x00 ") in (b"", b"ASCII", b"UNICODE", b"JIS")
    return isinstance(value, str) and not value.strip("\x00 ")


def as_bytes(value: object, endian: str) -> bytes:
    """What a TIFF tag holds, as bytes (an IPTC block is often typed as a list of numbers)."""
    if isinstance(value, bytes | str):
        return value.encode() if isinstance(value, str) else value
    values = value if isinstance(value, tuple) else (value,)
    return struct.pack(f"{endian}{len(values)}I", *values)


def read_exif(exif: Image.Exif | bytes, found: Found) -> None:
    """The kinds of an EXIF block (or of a TIFF file's tags) and of the blocks it holds: a camera
    maker's notes, and in a TIFF its XMP packet, IPTC block, Photoshop data and smaller images."""
    try:
        if isinstance(exif, bytes):
            block = exif
            exif = Image.Exif()
            exif.load(block)
        endian = exif.endian or "<"
        for tag, value in [*exif.items(), *exif.get_ifd(ExifTags.IFD.Exif).items()]:
            if tag in IMAGE_TAGS or blank(value):
                continue
            if tag == MAKER_NOTE:
                found.add("makernote", maker_note(as_bytes(value, endian), str(exif.get(0x010F, "")), endian))
            elif tag in EMBEDDED:
                EMBEDDED[tag](as_bytes(value, endian), found)
            else:
                found.add("exif", [EXIF_KINDS.get(tag, "other")])
        if exif.get_ifd(ExifTags.IFD.GPSInfo):
            found.add("exif", ["place"])
        if exif.get_ifd(ExifTags.IFD.IFD1):
            found.add("exif", ["thumbnail"])
    except Exception:  # noqa: BLE001 - a block Pillow cannot read is still there
        found.add("exif", ["other"])


def maker_note(note: bytes, make: str, endian: str) -> set[str]:
    """The kinds of a camera maker's private notes (a directory of tags for the makers in
    MAKER_NOTES; "other" for the rest, which are not read)."""
    tags = next((t for maker, t in MAKER_NOTES.items() if make.startswith(maker)), None)
    if tags is None or len(note) < 2:
        return {"other"}
    count = min(struct.unpack_from(f"{endian}H", note)[0], (len(note) - 2) // 12)
    ids = [struct.unpack_from(f"{endian}H", note, 2 + 12 * i)[0] for i in range(count)]
    return {tags.get(i, "other") for i in ids} or {"other"}


def iptc_datasets(data: bytes) -> list[tuple[int, int]]:
    """(record, dataset) of the IPTC IIM datasets at the start of `data` (0x1C, record, dataset,
    size, value), up to the first byte that starts none."""
    found, pos = [], 0
    while pos + 5 <= len(data) and data[pos] == 0x1C:
        record, dataset, size = struct.unpack_from(">BBH", data, pos + 1)
        pos += 5
        if size & 0x8000:  # an extended dataset: the size of its size, then its size
            size, pos = int.from_bytes(data[pos : pos + (size & 0x7FFF)], "big"), pos + (size & 0x7FFF)
        found.append((record, dataset))
        pos += size
    return found


def read_iptc(data: bytes, found: Found) -> None:
    datasets = [(r, d) for r, d in iptc_datasets(data) if (r, d) not in IPTC_STRUCTURE]
    found.add("iptc", {IPTC_KINDS.get(d, "other") if r == 2 else "other" for r, d in datasets} or ["other"])


def read_photoshop(data: bytes, found: Found) -> None:
    """Photoshop image resources ("8BIM", id, a name, size, data): the IPTC block, EXIF and XMP
    kept there, a preview image, and Photoshop's own settings."""
    pos = 0
    while data[pos : pos + 4] == b"8BIM" and pos + 12 <= len(data):
        resource = struct.unpack_from(">H", data, pos + 4)[0]
        pos += 6 + ((data[pos + 6] + 2) & ~1)  # the name: its length, then its letters, padded to even
        size = struct.unpack_from(">I", data, pos)[0]
        body = data[pos + 4 : pos + 4 + size]
        pos += 4 + size + (size & 1)
        if resource == 0x0404:
            read_iptc(body, found)
        elif resource == 0x0422:
            read_exif(body, found)
        elif resource == 0x0424:
            read_xmp(body, found)
        elif resource in (0x0409, 0x040C):
            found.add("photoshop", ["thumbnail"])
        elif resource not in PHOTOSHOP_IMAGE:
            found.add("photoshop", ["other"])
    if data[pos:].strip(b"\x00"):
        found.add("photoshop", ["other"])


def read_xmp(packet: bytes | str, found: Found) -> None:
    """The kinds of the properties of an XMP packet but privacyscreen's own; a packet that is not
    well-formed XML, or declares entities (never expanded), is "other"."""
    text = packet.encode() if isinstance(packet, str) else packet
    try:
        root = ElementTree.fromstring(text.strip(b"\x00 \r\n"), forbid_dtd=True)
    except (ElementTree.ParseError, ValueError):  # defusedxml refuses a DTD with a ValueError
        found.add("xmp", ["other"])
        return
    rdf = root if root.tag == f"{{{RDF_NS}}}RDF" else root.find(f"{{{RDF_NS}}}RDF")
    if rdf is None:
        found.add("xmp", ["other"])
        return
    properties = [name for node in rdf for name in [*node.attrib, *(child.tag for child in node)]]
    properties += [child.tag for child in root if child is not rdf and rdf is not root]
    kinds = {XMP_KINDS.get(name.rpartition("}")[2], "other") for name in properties
             if name not in OUR_XMP and not name.startswith(SYNTAX_NS)}  # fmt: skip
    if kinds:
        found.add("xmp", kinds)


def read_subimages(value: bytes, found: Found) -> None:
    found.add("extra-images", ["thumbnail"])


EMBEDDED = {700: read_xmp, 33723: read_iptc, 34377: read_photoshop, 0x014A: read_subimages}  # in TIFF tags


def jpeg_segments(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(marker, payload) of every segment of a JPEG, also those between and after its scans, then
    (0xD9, what follows the end of the image). Compressed pixels between segments are skipped."""
    pos = 2
    while next_marker := NEXT_MARKER.search(data, pos):
        pos = next_marker.end()
        marker = data[pos - 1]
        if marker == 0xD9:
            yield marker, data[pos:]
            return
        size = int.from_bytes(data[pos : pos + 2], "big")
        yield marker, data[pos + 2 : pos + size]
        pos += size


def read_jpeg(data: bytes, found: Found) -> None:
    extension: list[tuple[int, bytes]] = []
    for marker, payload in jpeg_segments(data):
        if marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
            read_exif(payload, found)
        elif marker == 0xE1 and payload.startswith(XMP_HEADER):
            read_xmp(payload[len(XMP_HEADER) :], found)
        elif marker == 0xE1 and payload.startswith(XMP_EXTENSION):
            start = len(XMP_EXTENSION) + 32
            extension.append((int.from_bytes(payload[start + 4 : start + 8], "big"), payload[start + 8 :]))
        elif marker == 0xED and payload.startswith(b"Photoshop 3.0\x00"):
            read_photoshop(payload[14:], found)
        elif marker == 0xE2 and payload.startswith(b"MPF\x00"):
            found.add("extra-images")  # the other images follow the end of this one
        elif marker == 0xFE:
            found.add("comment")
        elif marker == 0xD9 and "extra-images" not in found:
            read_after_image(payload, found)
        elif 0xE0 <= marker <= 0xEF and not any(marker == m and payload.startswith(s) for m, s in JPEG_IMAGE_SEGMENTS):
            found.add("unknown", ["thumbnail"] if payload.startswith(b"JFXX\x00") else [])
    if extension:
        read_xmp(b"".join(part for _, part in sorted(extension)), found)


def read_after_image(data: bytes, found: Found) -> None:
    """Bytes after the end of the image but padding, and the IPTC datasets or XMP packet some tools
    keep there."""
    if not data.strip(b"\x00\xff"):
        return
    found.add("after-image")
    iptc = re.search(rb"\x1c[\x01\x02]", data)
    if iptc and len(iptc_datasets(data[iptc.start() :])) > 1:
        read_iptc(data[iptc.start() :], found)
    xmp = re.search(rb"<x:xmpmeta.*?</x:xmpmeta>", data, re.DOTALL)
    if xmp:
        read_xmp(xmp.group(), found)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk up to IEND, then (b"", rest) if bytes follow it."""
    pos, chunks = 8, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
        if kind == b"IEND":
            break
    if pos != len(data):
        chunks.append((b"", data[pos:]))
    return chunks


def png_text(kind: bytes, body: bytes) -> tuple[str, bytes]:
    """(keyword, text) of a tEXt, zTXt or iTXt chunk, decompressed up to MAX_TEXT."""
    keyword, _, rest = body.partition(b"\x00")
    compressed = kind == b"zTXt" or (kind == b"iTXt" and rest[:1] == b"\x01")
    if kind == b"zTXt":
        rest = rest[1:]
    elif kind == b"iTXt":  # flag, method, language, translated keyword, text
        rest = rest[2:].split(b"\x00", 2)[-1]
    if compressed:
        rest = zlib.decompressobj().decompress(rest, MAX_TEXT)
    return keyword.decode("latin-1"), rest


def read_png(data: bytes, found: Found) -> None:
    for kind, body in png_chunks(data):
        if kind in PNG_IMAGE_CHUNKS:
            continue
        if kind == b"eXIf":
            read_exif(body, found)
        elif kind in (b"tEXt", b"zTXt", b"iTXt"):
            read_png_text(*png_text(kind, body), found)
        elif kind == b"":
            read_after_image(body, found)
        else:
            found.add("unknown")


def read_png_text(keyword: str, text: bytes, found: Found) -> None:
    """A PNG text field: an XMP packet, a "Raw profile" (EXIF, IPTC, XMP kept as hex by ImageMagick
    and exiftool), or text named by its keyword (whatever its case)."""
    profile = keyword.lower().removeprefix("raw profile type ")
    if keyword == "XML:com.adobe.xmp":
        read_xmp(text, found)
    elif profile != keyword.lower() and profile in ("exif", "app1", "iptc", "8bim", "xmp"):
        raw = bytes.fromhex("".join(text.decode("latin-1").split("\n")[3:]))  # after its kind and length
        if profile == "xmp" or raw.startswith(XMP_HEADER):
            read_xmp(raw.removeprefix(XMP_HEADER), found)
        elif profile in ("exif", "app1"):
            read_exif(raw, found)
        elif raw.startswith(b"8BIM"):
            read_photoshop(raw, found)
        else:
            read_iptc(raw, found)
    else:
        found.add("text", [PNG_TEXT_KINDS.get(keyword.lower(), "other")])


def riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk of a RIFF file (WebP), then (b"", rest) if bytes follow its end."""
    end = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    pos, chunks = 12, []
    while pos + 8 <= end:
        kind, length = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 8 + length + (length & 1)
    if end < len(data):
        chunks.append((b"", data[end:]))
    return chunks


def read_webp(data: bytes, found: Found) -> None:
    for kind, body in riff_chunks(data):
        if kind == b"EXIF":
            read_exif(body, found)
        elif kind == b"XMP ":
            read_xmp(body, found)
        elif kind == b"":
            read_after_image(body, found)
        elif kind not in WEBP_IMAGE_CHUNKS:
            found.add("unknown")
