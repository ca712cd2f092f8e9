"""Fuzzing the loader and the rebuild with mutated real photos (a fixed number of inputs here;
`python bench/fuzz.py` runs the same property for longer). Every input ends as a photo that
rebuilds and verifies, or as a clear error (PhotoError, or VerifyError when the rebuilt file
would not match: the pipeline then writes nothing): never another exception, a hang or a blow-up."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from privacyscreen import photo, write

from .conftest import SAMPLES


def seeds() -> list[bytes]:
    """Small real photos in every format the loader reads, with metadata to mangle."""
    im = Image.open(SAMPLES / "grace_hopper.jpg").convert("RGB").resize((64, 72))
    exif = Image.Exif()
    exif[0x013B] = "Jansen"
    exif.get_ifd(0x8825)[2] = (52.0, 5.0, 24.0)
    out = []
    for fmt, extra in (("JPEG", {"exif": exif, "comment": b"x"}), ("PNG", {}), ("WEBP", {"exif": exif}), ("TIFF", {})):
        buf = io.BytesIO()
        im.save(buf, fmt, **extra)
        out.append(buf.getvalue())
    return out


SEEDS = seeds()


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=32))
        else:
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 256))]
        if not data:
            data = bytearray(b"\0")
    return bytes(data)


def screen_bytes(data: bytes) -> None:
    try:
        pic = photo.decode(data)
    except photo.PhotoError:
        return
    pixels = np.ascontiguousarray(pic.pixels)
    encoded, _ = write.encode(pixels, pic, "not-applicable")
    write.sealed_release(data)  # judging an arbitrary file never raises
    try:
        write.verify(encoded, pixels, pic, "not-applicable")
    except write.VerifyError:
        return
    assert write.sealed_release(encoded) == "not-applicable"


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(mutated())
def test_mutated_photos_either_rebuild_cleanly_or_get_a_clear_error(data):
    screen_bytes(data)
