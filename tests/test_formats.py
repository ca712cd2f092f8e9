"""Photos of every kind the README lists are screened, whatever their bit depth, size up to the
limit, palette or page count; every other file gets a plain reason, never silence. Every input is
built here, as a real file."""

from __future__ import annotations

import itertools
import json
import os
import re
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image, JpegImagePlugin, features

from privacyscreen import photo, write
from privacyscreen.cli import main
from privacyscreen.messages import say
from privacyscreen.screen import Screener, Settings

from .conftest import ROOT, SAMPLES, pixels
from .test_run import png_header


def odd_files(folder: Path) -> dict[str, str | None]:
    """A folder as people have them: formats beyond JPEG and PNG, files that are no photo, and
    hidden ones. Returns the error each file that is not hidden should get (None: screened)."""
    folder.mkdir()
    coffee = Image.open(SAMPLES / "coffee.png").convert("RGB")
    coffee.quantize(64).save(folder / "still.gif")
    frames = [coffee.quantize(64), coffee.rotate(180).quantize(64)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100)
    coffee.save(folder / "phone.avif")
    stereo = Image.new("RGB", (2 * coffee.width, coffee.height))
    for left in (0, coffee.width):
        stereo.paste(coffee, (left, 0))
    stereo.save(folder / "stereo.jps", "JPEG")  # a stereo pair, left and right side by side
    coffee.save(folder / "from-whatsapp", "JPEG")  # no suffix at all
    coffee.resize((32, 32)).save(folder / "icon.ico")
    (folder / "notes.txt").write_text("kookmiddag: foto's volgen\n")
    (folder / "clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + bytes(64))
    for name in (".hidden.jpg", "Thumbs.db", "desktop.ini", "~$verslag.docx"):
        (folder / name).write_bytes((folder / "stereo.jps").read_bytes())
    return {
        "still.gif": None, "animated.gif": "error-animated", "phone.avif": None, "stereo.jps": None,
        "from-whatsapp": None, "icon.ico": "error-unsupported", "notes.txt": "error-not-an-image",
        "clip.mp4": "error-video-corrupt",  # a clip's first box and nothing more
    }  # fmt: skip


def run(tmp_path: Path, *inputs: Path) -> dict[str, dict]:
    """`privacyscreen run` on `inputs`: the report's record of each source, by file name."""
    out = tmp_path / "out"
    CliRunner().invoke(main, ["run", *map(str, inputs), "--out", str(out), "--jobs", "1"])
    images = json.loads((out / "privacyscreen-report.json").read_text())["images"]
    return {os.path.basename(img["source"]): img for img in images}


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow was built without AVIF")
def test_every_file_in_a_folder_gets_one_record_and_the_same_as_when_named(tmp_path):
    expected = odd_files(tmp_path / "map")
    walked = run(tmp_path / "walked", tmp_path / "map")
    named = run(tmp_path / "named", *(tmp_path / "map" / name for name in expected))
    for records in (walked, named):
        assert {name: img["error"] and img["error"]["code"] for name, img in records.items()} == expected
        assert all(img["verdict"] in ("no-people", "anonymized") for img in records.values() if not img["error"])
    for name, img in walked.items():
        assert [o["path"] for o in img["outputs"]] == [o["path"] for o in named[name]["outputs"]]
    assert walked["still.gif"]["outputs"][0]["path"] == "still.png"  # a palette graphic: PNG
    assert walked["phone.avif"]["outputs"][0]["path"] == "phone.jpg"
    assert walked["icon.ico"]["error"]["en"] == (
        "this format is not supported: ICO; use JPEG, PNG, WebP, HEIC, AVIF, TIFF, BMP, GIF or MPO"
    )
    assert walked["notes.txt"]["error"]["nl"] == "dit is geen foto"


def test_the_unsupported_message_names_exactly_the_formats_screened():
    listed = re.split(", | or ", say("error-unsupported", "en", detail="ICO").partition("; use ")[2])
    assert {{"HEIC": "HEIF"}.get(f, f.upper()) for f in listed} == photo.FORMATS


def test_the_pre_commit_hook_sees_every_suffix_of_the_formats_screened():
    """`check` screens what the hook passes it: the same formats as `run` and the drop folder."""
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    files = re.compile(hook["files"])
    screened = {suffix for suffix, fmt in Image.registered_extensions().items() if fmt in photo.FORMATS}
    assert {".jpg", ".gif", ".avif", ".heic", ".tif", ".bmp", ".mpo"} <= screened
    for suffix in screened | {".jps"}:
        assert files.search(f"posts/foto{suffix}") and files.search(f"FOTO{suffix.upper()}"), suffix
    for name in ("notes.txt", "icon.ico", "form.pdf", "foto.gif.txt", "scan.tif.bak"):
        assert not files.search(name), name


def test_a_16_bit_big_endian_tiff_is_screened(screener, tmp_path):
    """Scanners and camera tools write TIFFs of 16 bits per pixel in Motorola byte order (I;16B)."""
    levels = np.linspace(0, 65535, 320 * 240).astype(">u2").reshape(240, 320)
    source = tmp_path / "16bit.tif"
    Image.frombytes("I;16B", (320, 240), levels.tobytes()).save(source)
    assert Image.open(source).mode == "I;16B"
    result = screener.screen(source, tmp_path / "out" / "16bit")
    assert result.error is None, result.error.text("en")
    [output] = result.outputs
    written = pixels(output.path).astype(int)
    assert np.abs(written - (levels >> 8)[..., None]).mean() < 2  # the top 8 bits, as grey


def test_a_photo_up_to_the_readmes_100_megapixels_is_screened_and_a_larger_one_is_refused_saying_so(tmp_path):
    """Pillow warns about decompression bombs from 89 megapixels; the limit is the README's, and
    below it nothing warns either."""
    large = tmp_path / "92mp.png"
    Image.new("RGB", (11_000, 8_364), (40, 120, 200)).save(large, compress_level=1)  # flat colour: memory is the cost
    too_large = tmp_path / "101mp.png"
    too_large.write_bytes(png_header(10_050, 10_050))  # declared, never decoded
    huge_file = tmp_path / "huge.jpg"
    with huge_file.open("wb") as f:
        f.truncate(photo.MAX_FILE_BYTES + 1)  # sparse: takes no disk
    with Screener(Settings(detectors=())) as bare, warnings.catch_warnings():  # the models add nothing but minutes
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        screened = bare.screen(large, tmp_path / "out" / "92mp")
        refused = bare.screen(too_large, tmp_path / "out" / "101mp")
        too_heavy = bare.screen(huge_file, tmp_path / "out" / "huge")
        assert screened.error is None, screened.error.text("en")
        assert write.sealed_release(screened.outputs[0].path.read_bytes()) == "not-applicable"
    assert screened.size == (11_000, 8_364)
    assert refused.error.code == "error-too-large" and not refused.outputs
    assert "larger than 100 megapixels" in refused.error.text("en")
    assert "groter dan 100 megapixel" in refused.error.text("nl")
    assert too_heavy.error.code == "error-file-too-large" and "larger than 200 MB" in too_heavy.error.text("en")


def bmp(indices: np.ndarray, palette: list[tuple[int, int, int]], bits: int, rle: bool = False) -> bytes:
    """A palette BMP as bmpsuite has them: `bits` per pixel, rows bottom-up, in runs (RLE4 or RLE8,
    rows up to 255 pixels) when `rle`."""
    height, width = indices.shape
    if rle:  # (count, index) per run, the index twice in a byte for RLE4; end of line; end of bitmap
        body = b"".join(
            b"".join(bytes((len(list(run)), i * 17 if bits == 4 else i)) for i, run in itertools.groupby(row)) + b"\0\0"
            for row in indices[::-1]
        ) + b"\0\1"  # fmt: skip
    else:
        stride = (width * bits + 31) // 32 * 4
        body = b"".join(
            np.packbits(np.unpackbits(row[:, None], axis=1)[:, -bits:]).tobytes().ljust(stride, b"\0")
            for row in indices[::-1]
        )
    compression = {4: 2, 8: 1}[bits] if rle else 0
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, compression, len(body), 2835, 2835, len(palette), 0)
    colours = b"".join(bytes((b, g, r, 0)) for r, g, b in palette)
    offset = 14 + len(info) + len(colours)
    return b"BM" + struct.pack("<IHHI", offset + len(body), 0, 0, offset) + info + colours + body


SATURATED = [(255, 0, 0), (0, 0, 255), (0, 255, 0), (255, 255, 0), (255, 0, 255), (0, 255, 255), (0, 0, 0)]


@pytest.mark.parametrize(
    "name, bits, rle", [("pal1bg", 1, False), ("pal4", 4, False), ("pal4rle", 4, True), ("pal8rle", 8, True)]
)
def test_a_palette_bmp_is_rebuilt_as_png_pixel_for_pixel(screener, tmp_path, name, bits, rle):
    """bmpsuite's palette BMPs: bands of saturated colour a few pixels wide, which JPEG smears
    beyond the final pixel check. PNG keeps them exactly; the check stays as strict."""
    palette = SATURATED[: 2**bits]
    y, x = np.indices((64, 127))
    source = tmp_path / f"{name}.bmp"
    source.write_bytes(bmp(((x + y) // 3 % len(palette)).astype(np.uint8), palette, bits, rle))
    assert Image.open(source).mode == "P"
    result = screener.screen(source, tmp_path / "out" / name)
    assert result.error is None, result.error.text("en")
    [output] = result.outputs
    assert output.path.suffix == ".png" and (pixels(output.path) == pixels(source)).all()


def test_a_tiny_flat_jpeg_is_rebuilt_at_full_colour_resolution(screener, tmp_path):
    """A 4 x 4 JPEG of stripes (red, white, blue, white) at 4:2:0: encoded again at 4:2:0 its
    colours smear beyond the check; at 4:4:4 they pass it."""
    stripes = np.array([[colour] * 4 for colour in [(255, 0, 0), (255, 255, 255), (0, 0, 255), (255, 255, 255)]])
    source = tmp_path / "vlag.jpg"
    Image.fromarray(stripes.astype(np.uint8)).save(source, quality=90, subsampling=2)
    result = screener.screen(source, tmp_path / "out" / "vlag")
    assert result.error is None, result.error.text("en")
    [output] = result.outputs
    assert output.path.suffix == ".jpg" and JpegImagePlugin.get_sampling(Image.open(output.path)) == 0
    assert np.abs(pixels(output.path).astype(int) - pixels(source)).mean() <= write.MAX_MEAN_ERROR


def test_a_tiff_of_several_pages_is_refused_as_such_not_as_an_animation(screener, tmp_path):
    source = tmp_path / "scan.tif"
    Image.new("RGB", (64, 64), "white").save(source, save_all=True, append_images=[Image.new("RGB", (64, 64))])
    result = screener.screen(source, tmp_path / "out" / "scan")
    assert result.error.code == "error-pages" and not result.outputs
    assert "2 pages" in result.error.text("en") and "2 pagina's" in result.error.text("nl")
