"""Clips built from the sample photos, as phones write them, so that where each face is in each frame is known."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from .conftest import SAMPLES

RATE = 12
PHONE_TAGS = {  # what an iPhone writes into a clip's container, and an app the owner's name
    "location": "+52.3676+004.9041/",
    "com.apple.quicktime.location.ISO6709": "+52.3676+004.9041+000.000/",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15 Pro",
    "com.apple.quicktime.author": "Joke de Vries",
}
FACE = (180, 120, 160, 200)  # inside Grace Hopper's face in samples/photos/grace_hopper.jpg (x, y, w, h), by hand


def build(path: Path, frames: list[np.ndarray], rate: int = RATE, rotation: int = 0, tags: dict | None = None,
          tone: bool = False, codec: str = "libx264", times: list[int] | None = None) -> Path:  # fmt: skip
    """Write `frames` (RGB) as H.264 (or `codec`) in an MP4, or MOV when `path` ends so; with a
    display rotation (degrees counter-clockwise), container tags, a 440 Hz tone, and each frame
    shown at its own time (`times`, in 1/`rate` s: a variable frame rate) when asked."""
    fmt = "mov" if path.suffix == ".mov" else "mp4"
    with av.open(str(path), "w", format=fmt, options={"movflags": "use_metadata_tags"} if tags else {}) as out:
        out.metadata.update(tags or {})
        quiet = {"x265-params": "log-level=error"} if codec == "libx265" else {}
        stream = out.add_stream(codec, rate=rate, options=quiet)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=48000) if tone else None
        for n, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            if times:
                frame.pts, frame.time_base = times[n], Fraction(1, rate)
            out.mux(stream.encode(frame))
            if sound is not None:
                t = (np.arange(4000) + n * 4000) / 48000
                samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
                chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                chunk.sample_rate, chunk.time_base, chunk.pts = 48000, Fraction(1, 48000), n * 4000
                out.mux(sound.encode(chunk))
        out.mux(stream.encode())
        if sound is not None:
            out.mux(sound.encode())
    return path


def portrait() -> np.ndarray:
    return np.asarray(Image.open(SAMPLES / "grace_hopper.jpg").convert("RGB"))


def pan(count: int = 24, size: tuple[int, int] = (320, 400)) -> Iterator[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """A slow pan and zoom over the portrait: (frame, where the face is in it)."""
    photo = portrait()
    w, h = size
    for n in range(count):
        zoom = 1.0 + 0.3 * n / count  # crops shrink: the face grows
        cw, ch = round(w / zoom * 1.2), round(h / zoom * 1.2)
        x0, y0 = min(photo.shape[1] - cw, 20 + 3 * n), min(photo.shape[0] - ch, 10 + 2 * n)
        crop = Image.fromarray(photo[y0 : y0 + ch, x0 : x0 + cw]).resize(size)
        sx, sy = w / cw, h / ch
        fx, fy, fw, fh = FACE
        yield np.asarray(crop), (round((fx - x0) * sx), round((fy - y0) * sy), round(fw * sx), round(fh * sy))


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def sharpness(pixels: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """How much fine detail a region holds (mean absolute difference of neighbouring pixels)."""
    x, y, w, h = box
    region = pixels[max(0, y) : y + h, max(0, x) : x + w].astype(np.int16).mean(axis=2)
    return float(np.abs(np.diff(region, axis=0)).mean() + np.abs(np.diff(region, axis=1)).mean())
