"""Rebuild, don't strip: a photo full of identifying metadata comes out upright with none of it,
its colour profile kept and its model-release status set."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from privacyscreen import photo, write
from privacyscreen.findings import iou

from . import carriers as C

MR_NAP = "http://ns.useplus.org/ldf/vocab/MR-NAP"
OUR_XMP = ("plus:ModelReleaseStatus", "{urn:privacyscreen:xmp:1.0#}ImageDataSHA256")  # release status and seal


def screen_carrier(screener, source, tmp_path):
    result = screener.screen(source, tmp_path / "out" / "photo")
    assert result.error is None, result.error
    [output] = result.outputs
    return result, output.path


def test_a_jpeg_with_every_identifying_field_comes_out_clean_and_upright(screener, portrait_jpeg, tmp_path):
    planted = C.plant_jpeg(portrait_jpeg, tmp_path / "carrier.jpg", orientation=6)
    before = C.metadata_inventory(planted.path)
    assert before["gps"] and before["thumbnail"] and before["iptc"] and before["jpeg_com"]  # the trap is set

    result, out = screen_carrier(screener, planted.path, tmp_path)
    removed = {m.carrier: set(m.kinds) for m in result.reasons[-1].metadata}
    assert {"author", "place", "serial", "thumbnail"} <= removed["exif"]
    assert {"author", "people", "place"} <= removed["xmp"] and {"author", "place"} <= removed["iptc"]
    assert {"comment", "after-image"} <= removed.keys()
    assert out.suffix == ".jpg"
    assert C.strict_violations(out, [planted.secret, *planted.needles.values()], allowed_xmp_properties=OUR_XMP) == []
    inventory = C.metadata_inventory(out)
    assert inventory["icc"] == planted.icc  # colour profile kept, byte for byte
    assert inventory["model_release_status"] == [MR_NAP]
    assert inventory["bytes_after_eoi"] == 0 and inventory["frames"] == 1
    # upright: same size as the displayed original, and the same picture outside the redacted face
    upright = C.load_upright(portrait_jpeg)
    assert Image.open(out).size == planted.upright_size == upright.size
    assert C.mean_abs_diff(Image.open(out).crop((0, 450, 512, 600)), upright.crop((0, 450, 512, 600))) < 6
    # the face box is in pixels of the photo as displayed: where the face is in the upright original
    face = largest([f for f in result.findings if f.kind == "face"])
    upright = screener.screen(portrait_jpeg, tmp_path / "upright" / "photo")
    upright_face = largest([f for f in upright.findings if f.kind == "face"])
    assert iou(face.box, upright_face.box) > 0.8


def largest(faces):
    """Her face, not the speck on her cap that also scores as one."""
    return max(faces, key=lambda f: f.box[2] * f.box[3])


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF", "MPO"])
def test_other_formats_leak_nothing(screener, portrait_jpeg, tmp_path, fmt):
    if fmt == "HEIF" and not C.heic_supported():
        pytest.skip("pillow-heif cannot write HEIC here")
    planted = C.plant(fmt, portrait_jpeg, tmp_path, max_side=800)
    _, out = screen_carrier(screener, planted.path, tmp_path)
    assert out.suffix == {"PNG": ".png", "WEBP": ".webp"}.get(fmt, ".jpg")
    assert C.strict_violations(out, [planted.secret, *planted.needles.values()], allowed_xmp_properties=OUR_XMP) == []
    assert C.metadata_inventory(out)["model_release_status"] == [MR_NAP]
    assert Image.open(out).size == planted.upright_size


def test_jpeg_quality_follows_the_original(screener, no_people, tmp_path):
    """No silent 565 KB -> 260 KB: a quality-95 photo stays near quality 95."""
    source = tmp_path / "q95.jpg"
    Image.open(no_people).convert("RGB").save(source, quality=95)
    _, out = screen_carrier(screener, source, tmp_path)
    assert photo.jpeg_settings(Image.open(out))[0] >= 93
    assert out.stat().st_size > 0.8 * source.stat().st_size


def test_the_verifier_rejects_what_the_allow_list_forbids(portrait_jpeg):
    pic = photo.load(portrait_jpeg)
    data, _ = write.encode(pic.pixels, pic, "not-applicable")
    write.verify(data, pic.pixels, pic, "not-applicable")  # our own output passes

    def rejected(extra: dict) -> str:
        buf = io.BytesIO()
        Image.fromarray(pic.pixels).save(buf, "JPEG", quality=90, xmp=write.xmp_packet("not-applicable"), **extra)
        with pytest.raises(write.VerifyError) as e:
            write.verify(buf.getvalue(), pic.pixels, pic, "not-applicable")
        return str(e.value)

    assert "comment" in rejected({"comment": b"Jansen"})
    exif = Image.Exif()
    exif[0x013B] = "Jansen"
    assert "EXIF" in rejected({"exif": exif})
    with pytest.raises(write.VerifyError, match="after the end"):
        write.verify(data + b"trailer", pic.pixels, pic, "not-applicable")
    with pytest.raises(write.VerifyError, match="pixels differ"):
        write.verify(data, np.zeros_like(pic.pixels), pic, "not-applicable")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_outputs_are_sealed_and_any_change_breaks_the_seal(screener, portrait, tmp_path, fmt):
    source = tmp_path / f"in.{fmt.lower()}"
    Image.open(portrait).convert("RGB").save(source, fmt)
    _, out = screen_carrier(screener, source, tmp_path)
    data = out.read_bytes()
    assert write.sealed_release(data) == "not-applicable"
    # edited pixels: same metadata, new image data
    edited = io.BytesIO()
    im = Image.open(out)
    im.paste((255, 0, 0), (0, 0, 40, 40))
    im.save(edited, fmt, xmp=write.xmp_packet("not-applicable"))
    assert write.sealed_release(edited.getvalue()) is None
    # metadata added afterwards: same image data, an extra comment
    if fmt == "JPEG":
        assert write.sealed_release(data[:2] + b"\xff\xfe\x00\x08Jansen" + data[2:]) is None
