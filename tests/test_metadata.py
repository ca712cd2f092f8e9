"""The inventory of what a file carries besides its pixels (metadata.py): everything beyond the
colour profile and privacyscreen's own XMP packet is named, by kind, never by value."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from privacyscreen import photo, write
from privacyscreen.metadata import Metadata

from . import carriers as C


def carried(path: Path) -> dict[str, tuple[str, ...]]:
    return {m.carrier: m.kinds for m in photo.load(path).metadata}


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


@pytest.fixture
def coffee(no_people) -> Image.Image:
    return Image.open(no_people).convert("RGB")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF"])
def test_a_file_of_pixels_alone_carries_nothing(coffee, fmt):
    assert photo.decode(saved(coffee, fmt)).metadata == ()


@pytest.mark.parametrize("release", ["not-applicable", "none"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_what_privacyscreen_writes_is_not_metadata(coffee, fmt, release):
    """Its colour profile and its own XMP packet (release status and seal), also when the seal no
    longer matches, as when an editor kept the packet (`check` then screens the pixels again, but
    names no metadata)."""
    source = photo.decode(saved(coffee, fmt, icc_profile=C.display_p3_icc()))
    data, _ = write.encode(source.pixels, source, release)
    assert photo.decode(data).metadata == ()
    packet = write.xmp_packet(release)  # its seal is a placeholder
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode())
    kept = saved(coffee, fmt, **({"pnginfo": info} if fmt == "PNG" else {"xmp": packet}))
    assert photo.decode(kept).metadata == ()


def test_the_carriers_of_every_format_are_named_with_what_they_say(tmp_path, portrait_jpeg):
    """The carriers hold names, places, serial numbers, descriptions and previews in every
    container; the inventory names each container with those kinds."""
    for fmt in ["JPEG", "PNG", "WEBP", "MPO"]:
        found = carried(C.plant(fmt, portrait_jpeg, tmp_path, max_side=256).path)
        assert {"author", "place", "serial", "description", "thumbnail"} <= set(found["exif"]), fmt
        assert {"author", "people", "place", "description"} <= set(found["xmp"]), fmt
    found = carried(tmp_path / "carrier.jpg")
    assert {"author", "place", "description"} <= set(found["iptc"])
    assert found["photoshop"] == ("thumbnail",) and found["comment"] == () and found["after-image"] == ()
    assert set(carried(tmp_path / "carrier.png")["text"]) == {"author", "description"}
    assert "after-image" in carried(tmp_path / "carrier.webp")
    assert "extra-images" in carried(tmp_path / "carrier.mpo")


def test_metadata_where_pillow_does_not_look_is_named(tmp_path, no_people):
    """After the scan, after the end of the image, in a camera maker's notes, in a capitalised
    PNG keyword: the places `check` once passed."""
    assert carried(C.jpeg_iptc_after_image(no_people, tmp_path / "a.jpg", "segment")) == {"iptc": ("author", "place")}
    assert carried(C.jpeg_iptc_after_image(no_people, tmp_path / "b.jpg", "trailer")) == {
        "iptc": ("author", "place"),
        "after-image": (),
    }
    assert carried(C.jpeg_xmp_creator(no_people, tmp_path / "c.jpg")) == {"xmp": ("author",)}
    assert carried(C.canon_jpeg(no_people, tmp_path / "d.jpg")) == {
        "exif": ("other",),  # make, model, exposure, date; the empty UserComment says nothing
        "makernote": ("author", "serial", "other"),  # owner, serial number, image type
    }
    assert carried(C.png_author_comment(no_people, tmp_path / "e.png")) == {"text": ("author", "description")}


def test_what_is_not_understood_is_named_too(coffee):
    """Fail closed: an unknown segment or chunk, a packet that declares entities, a property of
    no known kind, a text field that is not what it says: each is named, as "other"."""
    jpeg = saved(coffee, "JPEG")
    unknown = jpeg[:2] + b"\xff\xe5\x00\x08secret" + jpeg[2:]  # an APP5 segment
    assert photo.decode(unknown).metadata == (Metadata("unknown"),)
    assert photo.decode(saved(coffee, "JPEG", comment=b"Mw. Jansen")).metadata == (Metadata("comment"),)
    bomb = b'<!DOCTYPE x [<!ENTITY a "Jansen">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&a;</x:xmpmeta>'
    assert photo.decode(saved(coffee, "JPEG", xmp=bomb)).metadata == (Metadata("xmp", ("other",)),)
    tool = C.minimal_xmp().replace(b"<plus:", b'<xmp:CreatorTool xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
                                   b"Editor</xmp:CreatorTool><plus:", 1)  # fmt: skip
    assert photo.decode(saved(coffee, "JPEG", xmp=tool)).metadata == (Metadata("xmp", ("other",)),)
    info = PngInfo()
    info.add(b"tIME", b"\x07\xea\x01\x02\x03\x04\x05")  # when it was last changed
    assert photo.decode(saved(coffee, "PNG", pnginfo=info)).metadata == (Metadata("unknown"),)
    png = saved(coffee, "PNG")
    broken = png[:33] + C._png_chunk(b"zTXt", b"Comment\0\0not compressed") + png[33:]  # after IHDR
    assert photo.decode(broken).metadata == (Metadata("unknown"),)
    exif = Image.Exif()
    exif[0x013B] = "J. Jansen"  # Artist, in a TIFF's own tags
    assert photo.decode(saved(coffee, "TIFF", exif=exif)).metadata == (Metadata("exif", ("author",)),)


def test_kinds_are_named_never_values(tmp_path, no_people):
    canon = photo.load(C.canon_jpeg(no_people, tmp_path / "c.jpg"))
    assert [m.text(lang) for lang in ("en", "nl") for m in canon.metadata] == [
        "EXIF (other details)",
        "camera maker's notes (author or owner, serial number, other details)",
        "EXIF (andere gegevens)",
        "notities van de cameramaker (maker of eigenaar, serienummer, andere gegevens)",
    ]
