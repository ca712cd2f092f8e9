"""Tests of the test material itself (tests/carriers.py).

They prove that every carrier really carries every planted item, that the scanner
finds each one (including zTXt, base64, hex and UTF-16 places), that the carriers
display upright, and that the scanner can both fail (naive Pillow re-saves leak) and
pass (a fresh image rebuilt from pixels is clean).
"""

from __future__ import annotations

import base64
import gzip
import io
import os
import random
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageOps, IptcImagePlugin

from tests import carriers as C

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples" / "photos"
# Keep the helper tests quick; pipeline tests can plant full-size photos.
MAX_SIDE = 1024

FORMATS = ["JPEG", "PNG", "WEBP", "HEIF", "MPO"]


@pytest.fixture(scope="session")
def photo_path() -> Path:
    """A real photo: the first samples/*.jpg (or *.jpeg), else $PRIVACYSCREEN_TEST_PHOTO."""
    found = sorted(p for p in SAMPLES.glob("*") if p.suffix.lower() in (".jpg", ".jpeg"))
    if found:
        return found[0]
    env = os.environ.get("PRIVACYSCREEN_TEST_PHOTO")
    if env and Path(env).is_file():
        return Path(env)
    pytest.skip("no real photo: put a JPEG with people in samples/*.jpg (or point PRIVACYSCREEN_TEST_PHOTO at one)")


def _skip_unsupported(fmt: str) -> None:
    if fmt == "HEIF" and not C.heic_supported():
        pytest.skip("pillow-heif with an HEVC encoder is not installed")


@pytest.fixture(scope="session", params=FORMATS)
def planted(request, photo_path, tmp_path_factory) -> C.Planted:
    fmt = request.param
    _skip_unsupported(fmt)
    return C.plant(fmt, photo_path, tmp_path_factory.mktemp(f"carrier-{fmt}"), max_side=MAX_SIDE)


@pytest.fixture(scope="session")
def jpeg_carrier(photo_path, tmp_path_factory) -> C.Planted:
    return C.plant_jpeg(photo_path, tmp_path_factory.mktemp("jpeg") / "c.jpg", max_side=MAX_SIDE)


@pytest.fixture(scope="session")
def upright(photo_path) -> Image.Image:
    return C.load_upright(photo_path, MAX_SIDE)


def _open(path: Path) -> Image.Image:
    if path.suffix.lower() in (".heic", ".heif"):
        C._register_heif()
    return Image.open(path)


# --------------------------------------------------------------------------------------
# Every planted place is there, and the scanner finds it where it was planted
# --------------------------------------------------------------------------------------


def test_every_planted_place_is_found_where_it_was_planted(planted):
    missing = []
    for place in planted.places:
        hits = C.scan_secrets(planted.path, [place.token])
        if not any(place.matches(h) for h in hits):
            missing.append(f"{place}\n    got: {[str(h) for h in hits]}")
    assert not missing, "places not found:\n" + "\n".join(missing)


def test_bare_secret_is_found_in_every_place(planted):
    hits = C.find_secrets(planted.path, [planted.secret])
    assert len(hits) >= len(planted.places)
    assert len(planted.places) >= 20


def test_find_secrets_returns_readable_descriptions(jpeg_carrier):
    hits = C.find_secrets(jpeg_carrier.path, [jpeg_carrier.secret])
    text = "\n".join(hits)
    for where in [
        "JPEG APP1 Exif > IFD0 Artist",
        "JPEG APP1 Exif > IFD0 XPAuthor",
        "JPEG APP1 Exif > Exif BodySerialNumber",
        "JPEG APP1 Exif > GPS GPSAreaInformation",
        "JPEG APP1 Exif > IFD1 thumbnail > JPEG COM",
        "JPEG APP1 XMP",
        "JPEG APP13 Photoshop 3.0 > 8BIM IPTC-NAA > IPTC 2:80 By-line",
        "JPEG COM",
        "trailer after EOI",
        "base64 stream at",
    ]:
        assert where in text, where
    xp = [h for h in C.scan_secrets(jpeg_carrier.path, [jpeg_carrier.place("exif.IFD0.XPAuthor").token])]
    assert xp and all(h.encoding.startswith("utf-16") for h in xp)


def test_png_compressed_and_hex_places_need_decoding(photo_path, tmp_path):
    p = C.plant_png(photo_path, tmp_path / "c.png", max_side=256)
    raw = p.path.read_bytes()
    for name in ["png.zTXt.Comment", "png.iTXt.Description", "png.iptc.By-line"]:
        token = p.place(name).token
        assert token.encode() not in raw, f"{name} should only exist compressed"
        hits = C.scan_secrets(p.path, [token])
        assert hits and all(h.via and h.via[0] == "zlib" for h in hits), [str(h) for h in hits]
    by_line = C.scan_secrets(p.path, [p.place("png.iptc.By-line").token])
    assert by_line[0].via == ("zlib", "hex")
    assert "PNG zTXt 'Raw profile type iptc'" in str(by_line[0])
    assert "IPTC 2:80 By-line" in by_line[0].where


# --------------------------------------------------------------------------------------
# What a strict verifier sees in the carriers
# --------------------------------------------------------------------------------------

IFD0_TAGS = {
    "Artist",
    "Copyright",
    "ImageDescription",
    "Make",
    "Model",
    "Software",
    "XPAuthor",
    "XPComment",
    "Orientation",
}
EXIF_TAGS = {
    "BodySerialNumber",
    "CameraOwnerName",
    "LensSerialNumber",
    "ImageUniqueID",
    "UserComment",
    "DateTimeOriginal",
    "MakerNote",
}
XMP_PROPS = {
    "mwg-rs:Regions",
    "mwg-rs:Name",
    "mwg-rs:Type",
    "mwg-rs:Area",
    "MPReg:PersonDisplayName",
    "Iptc4xmpExt:PersonInImage",
    "dc:creator",
    "photoshop:City",
    "exif:GPSLatitude",
    "exif:GPSLongitude",
    "plus:ModelReleaseID",
    "plus:ModelReleaseStatus",
}


def test_inventory_shows_everything_planted(planted):
    inv = C.metadata_inventory(planted.path)
    exif = inv["exif"]
    assert IFD0_TAGS <= set(exif["IFD0"]), IFD0_TAGS - set(exif["IFD0"])
    assert EXIF_TAGS <= set(exif["Exif"]), EXIF_TAGS - set(exif["Exif"])
    assert (
        exif["IFD0"]["Artist"]
        == planted.place("mpo.exif.IFD0.Artist" if planted.format == "MPO" else "exif.IFD0.Artist").token
    )
    assert exif["IFD0"]["Orientation"] == planted.orientation
    assert inv["gps"] is True
    lat, lon = inv["gps_decimal"]
    assert lat == pytest.approx(planted.gps[0], abs=1e-4)
    assert lon == pytest.approx(planted.gps[1], abs=1e-4)
    assert inv["thumbnail"] is True and inv["thumbnail_bytes"] == planted.thumbnail
    with Image.open(io.BytesIO(inv["thumbnail_bytes"])) as th:  # an unblurred preview
        assert th.format == "JPEG" and max(th.size) == 160
    assert XMP_PROPS <= set(inv["xmp_properties"]), XMP_PROPS - set(inv["xmp_properties"])
    assert inv["model_release_status"] == [C.PLANTED_RELEASE_STATUS]
    assert inv["icc"] == planted.icc
    assert inv["icc_description"] == "privacyscreen test Display P3"
    assert inv["frames"] == planted.frames

    if planted.format == "JPEG":
        assert inv["jpeg_app"] == [
            "APP0 JFIF",
            "APP1 Exif",
            "APP1 XMP",
            "APP1 XMP-extension",
            "APP2 ICC_PROFILE",
            "APP13 Photoshop 3.0",
        ]
        assert len(inv["jpeg_com"]) == 1 and planted.secret.encode() in inv["jpeg_com"][0]
        assert {"2:80 By-line", "2:120 Caption-Abstract", "2:25 Keywords", "2:90 City"} <= set(inv["iptc"])
        assert inv["photoshop_resources"] == ["0x0404", "0x040C"]
        assert inv["bytes_after_eoi"] == len(planted.trailer) > 0
        assert inv["xmp_extended"]
    elif planted.format == "PNG":
        chunks = inv["png_chunks"]
        assert {"iCCP", "eXIf", "tEXt", "zTXt", "iTXt"} <= set(chunks)
        assert chunks.index("eXIf") < chunks.index("IDAT")
        assert chunks[-2] == "tEXt", "a text chunk after IDAT"
        keys = {(t, k) for t, k, _ in inv["png_text"]}
        assert {
            ("tEXt", "Author"),
            ("zTXt", "Comment"),
            ("iTXt", "Description"),
            ("iTXt", "XML:com.adobe.xmp"),
            ("zTXt", "Raw profile type iptc"),
        } <= keys
        assert inv["trailing_bytes"] == len(planted.trailer) > 0
    elif planted.format == "WEBP":
        assert inv["riff_chunks"] == ["VP8X", "ICCP", "VP8 ", "EXIF", "XMP "]
        assert inv["trailing_bytes"] == len(planted.trailer) > 0
    elif planted.format == "HEIF":
        assert inv["heif_thumbnails"] == 1
        assert inv["heif_top_level_images"] == 2
        assert any("Exif" in i for i in inv["heif_items"])
        assert any("application/rdf+xml" in i for i in inv["heif_items"])
    elif planted.format == "MPO":
        assert inv["pillow_format"] == "MPO"
        assert inv["jpeg_streams"] == 2 and inv["bytes_after_eoi"] > 0
        assert "APP2 MPF" in inv["jpeg_app"]
        assert [c.split(b"/")[-1] for c in inv["jpeg_com"]] == [b"mpo.frame1.COM", b"mpo.frame2.COM"]


def test_carriers_violate_the_allow_list(planted):
    v = C.strict_violations(planted.path, [planted.secret])
    text = "\n".join(v)
    assert "secret found" in text
    assert "EXIF GPS IFD present" in v and "EXIF IFD1 thumbnail present" in v
    assert "XMP property mwg-rs:Name" in v


def test_needles_are_in_the_carrier(planted):
    for name, needle in planted.needles.items():
        assert C.find_secrets(planted.path, [needle]), name


def test_pillow_independently_reads_the_planted_metadata(planted):
    """Cross-check the hand-built structures with Pillow's own parsers."""
    prefix = "mpo." if planted.format == "MPO" else ""
    with _open(planted.path) as im:
        exif = im.getexif()
        assert exif[0x013B] == planted.place(f"{prefix}exif.IFD0.Artist").token
        xp = exif[0x9C9D]
        xp = bytes(xp) if not isinstance(xp, bytes) else xp
        assert xp.decode("utf-16-le").rstrip("\0") == planted.place(f"{prefix}exif.IFD0.XPAuthor").token
        sub = exif.get_ifd(0x8769)
        assert sub[0xA431] == planted.place(f"{prefix}exif.Exif.BodySerialNumber").token
        assert sub[0xA430] == planted.place(f"{prefix}exif.Exif.CameraOwnerName").token
        gps = exif.get_ifd(0x8825)
        assert gps[1] == "N" and float(gps[2][0]) == 52.0
        assert im.info.get("icc_profile") == planted.icc
        assert im.getxmp(), "Pillow sees an XMP packet"
        if planted.format == "JPEG":
            assert im.info["comment"] == f"Foto afdeling Zonnebloem, {planted.secret}/jpeg.COM".encode()
            iptc = IptcImagePlugin.getiptcinfo(im)
            assert iptc[(2, 80)] == planted.place("iptc.By-line").token.encode()
            assert planted.place("iptc.Keywords").token.encode() in iptc[(2, 25)]
        if planted.format == "PNG":
            im.load()
            assert im.text["Author"] == planted.place("png.tEXt.Author").token
            assert im.text["Comment"] == planted.place("png.zTXt.Comment").token
            assert im.text["Description"] == planted.place("png.iTXt.Description").token
            assert im.text["Copyright"] == planted.place("png.tEXt.Copyright-after-IDAT").token
        if planted.format in ("MPO", "HEIF"):
            assert getattr(im, "n_frames", 1) == 2


# --------------------------------------------------------------------------------------
# Orientation
# --------------------------------------------------------------------------------------


def test_carrier_displays_upright(planted, upright):
    with _open(planted.path) as im:
        shown = ImageOps.exif_transpose(im)
        assert shown.size == planted.upright_size == upright.size
        assert C.mean_abs_diff(shown, upright) < 6  # JPEG/WebP/HEVC noise only
        if planted.format != "HEIF":  # libheif applies irot itself
            assert im.size == planted.stored_size != planted.upright_size


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_every_orientation_displays_upright(photo_path, tmp_path, orientation):
    up = C.load_upright(photo_path, 256)
    p = C.plant_jpeg(photo_path, tmp_path / "o.jpg", orientation=orientation, max_side=256)
    with Image.open(p.path) as im:
        assert im.getexif()[0x0112] == orientation
        stored = im.convert("RGB")
        shown = ImageOps.exif_transpose(im)
    assert shown.size == up.size
    # the correct transform is the best of all eight candidates, and close to the original
    scores = {}
    for o, op in [(1, None), *C._UPRIGHT_OP.items()]:
        cand = stored if op is None else stored.transpose(op)
        if cand.size == up.size:
            scores[o] = C.mean_abs_diff(cand, up)
    assert min(scores, key=scores.get) == orientation, scores
    assert C.mean_abs_diff(shown, up) < 6


# --------------------------------------------------------------------------------------
# The scanner can fail: naive Pillow re-saves leak
# --------------------------------------------------------------------------------------


def test_naive_jpeg_resave_leaks_the_comment(jpeg_carrier, tmp_path):
    out = tmp_path / "naive.jpg"
    with Image.open(jpeg_carrier.path) as im:
        im.save(out)
    hits = C.find_secrets(out, [jpeg_carrier.secret])
    assert hits and all("JPEG COM" in h for h in hits), hits
    inv = C.metadata_inventory(out)
    assert inv["jpeg_com"] and not inv["exif_tags"] and not inv["xmp_packets"]
    assert C.strict_violations(out, [jpeg_carrier.secret])


def test_naive_jpeg_resave_after_blur_still_leaks(jpeg_carrier, tmp_path):
    from PIL import ImageFilter

    out = tmp_path / "blurred.jpg"
    with Image.open(jpeg_carrier.path) as im:
        ImageOps.exif_transpose(im).filter(ImageFilter.GaussianBlur(8)).save(out, quality=90)
    assert C.find_secrets(out, [jpeg_carrier.secret])


def test_passing_raw_exif_back_leaks_gps_and_unblurred_thumbnail(jpeg_carrier, tmp_path):
    out = tmp_path / "raw-exif.jpg"
    with Image.open(jpeg_carrier.path) as im:
        fresh = Image.new("RGB", im.size)
        fresh.paste(im)
        fresh.save(out, exif=im.info["exif"])
    inv = C.metadata_inventory(out)
    assert inv["gps"] and inv["thumbnail"]
    found = "\n".join(C.find_secrets(out, [jpeg_carrier.secret]))
    assert "IFD1 thumbnail > JPEG COM" in found and "IFD0 Artist" in found


def test_naive_heic_resave_keeps_exif_xmp_and_thumbnail(photo_path, tmp_path):
    """pillow-heif carries info['exif'], info['xmp'] and thumbnails into a re-save."""
    _skip_unsupported("HEIF")
    planted = C.plant_heic(photo_path, tmp_path / "c.heic", max_side=256)
    out = tmp_path / "naive.heic"
    with _open(planted.path) as im:
        im.save(out)
    inv = C.metadata_inventory(out)
    assert inv["gps"] and inv["xmp_properties"] and inv["heif_thumbnails"]
    assert C.find_secrets(out, [planted.secret])


# --------------------------------------------------------------------------------------
# The scanner can pass: a fresh image from the pixels is clean
# --------------------------------------------------------------------------------------


def _fresh(path: Path) -> Image.Image:
    with _open(path) as im:
        shown = ImageOps.exif_transpose(im).convert("RGB")
        fresh = Image.new("RGB", shown.size)
        fresh.paste(shown)
    return fresh


@pytest.mark.parametrize("out_fmt", ["JPEG", "PNG", "WEBP"])
def test_fresh_image_without_metadata_is_clean(planted, tmp_path, out_fmt):
    out = tmp_path / f"fresh.{out_fmt.lower()}"
    _fresh(planted.path).save(out, out_fmt)
    assert C.find_secrets(out, [planted.secret, *planted.needles.values()]) == []
    assert C.strict_violations(out, [planted.secret]) == []
    inv = C.metadata_inventory(out)
    assert inv["exif_tags"] == [] and not inv["gps"] and not inv["thumbnail"]
    assert inv["xmp_packets"] == [] and inv["icc"] is None and inv["frames"] == 1
    assert inv["trailing_bytes"] == 0 and inv["jpeg_com"] == []


def test_product_like_output_keeps_only_the_allow_list(planted, tmp_path):
    out = tmp_path / "screened.jpg"
    _fresh(planted.path).save(out, "JPEG", quality=90, icc_profile=planted.icc, xmp=C.minimal_xmp())
    assert C.strict_violations(out, [planted.secret, *planted.needles.values()]) == []
    inv = C.metadata_inventory(out)
    assert inv["jpeg_app"] == ["APP0 JFIF", "APP1 XMP", "APP2 ICC_PROFILE"]
    assert inv["icc"] == planted.icc
    assert inv["xmp_properties"] == ["plus:ModelReleaseStatus"]
    assert inv["model_release_status"] == ["http://ns.useplus.org/ldf/vocab/MR-NAP"]
    # ... and the verifier notices when a forbidden property sneaks in
    bad = tmp_path / "bad.jpg"
    _fresh(planted.path).save(
        bad,
        "JPEG",
        xmp=C.minimal_xmp().replace(
            b"</rdf:Description>",
            b"<photoshop:City xmlns:photoshop='http://ns.adobe.com/photoshop/1.0/'>Utrecht</photoshop:City>"
            b"</rdf:Description>",
        ),
    )
    assert C.strict_violations(bad) == ["XMP property photoshop:City"]


# --------------------------------------------------------------------------------------
# Scanner unit tests on synthetic bytes
# --------------------------------------------------------------------------------------

S = "GEHEIM-Jansen"


def _scan_bytes(tmp_path: Path, data: bytes, secrets=(S,)) -> list[C.Hit]:
    p = tmp_path / "blob.bin"
    p.write_bytes(data)
    return C.scan_secrets(p, list(secrets))


def test_scanner_encodings(tmp_path):
    hits = _scan_bytes(tmp_path, b"\x01\x02" + S.encode("utf-16-le") + b"\x07")
    assert [h.encoding for h in hits] == ["utf-16le"]
    hits = _scan_bytes(tmp_path, b"\x07" + S.encode("utf-16-be") + b"\x01\x02")
    assert [h.encoding for h in hits] == ["utf-16be"]
    # between NULs ASCII-in-UTF-16 reads both ways: reported once
    hits = _scan_bytes(tmp_path, b"\0\0" + S.encode("utf-16-le") + b"\0\0")
    assert [h.encoding for h in hits] == ["utf-16"]
    hits = _scan_bytes(tmp_path, b"xx" + S.encode() + b"yy")
    assert [(h.encoding, h.offset) for h in hits] == [("utf-8", 2)]
    hits = _scan_bytes(tmp_path, b"ab\xffcd", [b"\xffc"])
    assert [(h.encoding, h.offset) for h in hits] == [("bytes", 2)]
    hits = _scan_bytes(tmp_path, "Zoë".encode("latin-1"), ["Zoë"])
    assert [h.encoding for h in hits] == ["latin-1"]


def test_scanner_decodes_nested_streams(tmp_path):
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(5000))
    payload = b"<x>" + S.encode() + b"</x>"
    b64 = base64.b64encode(zlib.compress(payload * 20) + noise[:300]).decode()
    b64_xml = "&#xA;".join(b64[i : i + 76] for i in range(0, len(b64), 76)).encode()
    small_window = zlib.compressobj(9, zlib.DEFLATED, 9)  # CMF 0x18, as libpng writes small text
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", payload * 10)
    blobs = {
        "zlib": zlib.compress(payload),
        "small-window-zlib": small_window.compress(payload) + small_window.flush(),
        "gzip": gzip.compress(payload),
        "zip-deflate": zbuf.getvalue(),
        "hex": (S.encode() + noise[:40]).hex().encode(),
        "base64>zlib": b"<img>" + b64_xml + b"</img>",
        "zlib>utf16": zlib.compress(S.encode("utf-16-le")),
    }
    for name, blob in blobs.items():
        hits = _scan_bytes(tmp_path, noise[:1000] + blob + noise[1000:])
        assert hits, name
        first = name.split(">")[0].replace("small-window-zlib", "zlib")
        assert hits[0].via[0] == first, (name, [str(h) for h in hits])
    deep = _scan_bytes(tmp_path, noise + blobs["base64>zlib"])
    assert deep[0].via == ("base64", "zlib")
    assert _scan_bytes(tmp_path, noise + blobs["zlib>utf16"])[0].encoding.startswith("utf-16")


def test_scanner_has_no_false_positives(tmp_path):
    rng = random.Random(1)
    noise = bytes(rng.randrange(256) for _ in range(200_000))
    data = noise + zlib.compress(b"GEHEIM-Jan sen, not the secret" * 50) + base64.b64encode(noise[:999])
    assert _scan_bytes(tmp_path, data) == []


def test_secret_must_be_plain_ascii(photo_path, tmp_path):
    with pytest.raises(ValueError):
        C.plant_jpeg(photo_path, tmp_path / "x.jpg", secret="Jansen & <Zn>")


# --------------------------------------------------------------------------------------
# ICC: a real, non-sRGB profile so "kept" can be told from "default"
# --------------------------------------------------------------------------------------


def test_icc_is_a_valid_display_p3_profile():
    icc = C.display_p3_icc()
    prof = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    assert ImageCms.getProfileDescription(prof).strip() == "privacyscreen test Display P3"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    assert icc != srgb.tobytes()
    assert C.DEFAULT_SECRET.encode() not in icc
    # sRGB red is inside the wider P3 gamut: it is no longer (255, 0, 0) there
    red = Image.new("RGB", (1, 1), (255, 0, 0))
    r, g, b = ImageCms.profileToProfile(red, srgb, prof, outputMode="RGB").getpixel((0, 0))
    assert r < 245 and g > 20, (r, g, b)
