"""Photos of every kind the README lists are screened, whatever their bit depth, size up to the
limit, palette or page count; what cannot be screened gets a plain reason. Every input is built
here, as a real file."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .conftest import pixels


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
