"""Photos of every kind the README lists are screened, whatever their bit depth, size up to the
limit, palette or page count; what cannot be screened gets a plain reason. Every input is built
here, as a real file."""

from __future__ import annotations

import warnings

import numpy as np
from PIL import Image

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
