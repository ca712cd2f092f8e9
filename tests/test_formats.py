"""Photos of every kind the README lists are screened, whatever their bit depth, size up to the
limit, palette or page count; what cannot be screened gets a plain reason. Every input is built
here, as a real file."""

from __future__ import annotations

import itertools
import struct
import warnings

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from privacyscreen import photo, write
from privacyscreen.screen import Screener, Settings

from .conftest import pixels
from .test_run import png_header


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
