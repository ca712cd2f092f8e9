"""Load a clip (MP4, MOV, M4V as phones write them): what its file holds, then its frames one at a
time, upright RGB, never all in memory. Decoding is FFmpeg's, through PyAV.

PyAV is imported when a clip is opened, not before: a run of photos never loads FFmpeg.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .metadata import Found, Metadata
from .photo import PhotoError

SUFFIXES = {".mp4", ".mov", ".m4v"}  # what clips are called; a file so named must be one
MAX_SECONDS = 180.0  # three minutes: a reel or a story is under one (README, messages)
MAX_FRAMES = 180 * 60  # three minutes at 60 frames a second
MAX_FRAME_PIXELS = 3840 * 2160  # 4K
MAX_FILE_BYTES = 2 * 1024**3  # 2 GB
# The brands a file's `ftyp` box names that make it a clip (ISO base media, QuickTime, iTunes
# video); HEIC and AVIF photos have an `ftyp` box too, with brands of their own.
CLIP_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"qt  ", b"M4V ", b"M4VP",
               b"MSNV", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"dash"}  # fmt: skip
# Container and stream tags that say how to play the clip, not who made it or where.
PLAYBACK_TAGS = {"major_brand", "minor_version", "compatible_brands", "language", "handler_name", "vendor_id",
                 "encoder", "creation_time", "duration", "timecode"}  # fmt: skip
TAG_KINDS = (  # a tag's name (lower case, without "com.apple.quicktime." or "©") -> what kind of thing it says
    (re.compile(r"location|xyz|iso6709|gps|latitude|longitude|altitude"), "place"),
    (re.compile(r"artist|author|copyright|owner|publisher|album_artist|performer|composer"), "author"),
    (re.compile(r"serial|uuid|identifier"), "serial"),
    (re.compile(r"title|comment|description|keywords|synopsis|genre|album|lyrics"), "description"),
)


@dataclass(frozen=True)
class Clip:
    """A video file and what it holds beyond its pictures and sound."""

    path: Path
    sha256: str
    width: int  # of the frames upright, even (H.264 in 4:2:0 needs even sides)
    height: int
    quarters: int  # quarter turns counter-clockwise that make a stored frame upright (the rotation flag)
    rate: Fraction  # average frames per second
    frames: int  # as the container counts them
    seconds: float
    audio: bool
    metadata: tuple[Metadata, ...] = ()


def is_clip(path: Path) -> bool:
    """Whether the file starts like an MP4, MOV or M4V (its first box is `ftyp` with a video brand)."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return head[4:8] == b"ftyp" and head[8:12] in CLIP_BRANDS


@contextmanager
def container(path: Path) -> Iterator:
    """The opened file (PyAV's input container); every FFmpeg error is a PhotoError."""
    import av

    try:
        c = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as e:
        raise PhotoError("video-corrupt", f"{type(e).__name__}: {e}") from e
    try:
        yield c
    except av.error.FFmpegError as e:
        raise PhotoError("video-corrupt", f"{type(e).__name__}: {e}") from e
    finally:
        c.close()


def load(path: Path) -> Clip:
    """What a clip holds, checked against the limits; raise PhotoError on any problem."""
    if path.is_symlink():
        raise PhotoError("symlink")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise PhotoError("video-file-too-large", f"{size} bytes")
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    with container(path) as c:
        if not c.streams.video:
            raise PhotoError("video-no-picture")
        stream = c.streams.video[0]
        first = next(c.decode(stream), None)
        if first is None:
            raise PhotoError("video-no-picture", "no frame")
        quarters = round(first.rotation / 90) % 4
        width, height = (first.width, first.height) if quarters % 2 == 0 else (first.height, first.width)
        rate = stream.average_rate or Fraction(30)
        seconds = float(c.duration / 1_000_000) if c.duration else float(stream.frames / rate)
        frames = stream.frames or round(seconds * rate)
        if seconds > MAX_SECONDS:
            raise PhotoError("video-too-long", f"{seconds:.0f}")
        if frames > MAX_FRAMES:
            raise PhotoError("video-too-many-frames", str(frames))
        if width * height > MAX_FRAME_PIXELS:
            raise PhotoError("video-too-large", f"{width}x{height}")
        found = Found()
        for tags in (c.metadata, *(s.metadata for s in c.streams)):
            for name in tags:
                if name.lower() not in PLAYBACK_TAGS:
                    found.add("container", [tag_kind(name)])
        if len(c.streams.video) > 1 or c.streams.subtitles or c.streams.data or c.streams.attachments:
            found.add("container", ["other"])  # a second picture, captions, or a phone's own data track
        return Clip(path, digest, width - width % 2, height - height % 2, quarters, Fraction(rate), frames, seconds,
                    bool(c.streams.audio), found.listed())  # fmt: skip


def tag_kind(name: str) -> str:
    """What kind of thing a container tag says, from its name ("com.apple.quicktime.location.ISO6709": place)."""
    name = name.lower().removeprefix("com.apple.quicktime.").lstrip("©")
    return next((kind for pattern, kind in TAG_KINDS if pattern.search(name)), "other")


def frames(clip: Clip) -> Iterator[tuple[int, np.ndarray]]:
    """(index, upright RGB pixels) of every frame, in order. A clip that holds fewer frames than
    its container says (cut off in a copy) raises PhotoError("video-truncated")."""
    with container(clip.path) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        n = -1
        for n, frame in enumerate(c.decode(stream)):
            yield n, upright(frame.to_ndarray(format="rgb24"), clip)
        if n + 1 < clip.frames * 0.98 - 1:  # a variable frame rate may count a frame or two more
            raise PhotoError("video-truncated", f"{n + 1} of {clip.frames} frames")


def stills(path: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    """The frames numbered in `wanted` of a clip privacyscreen wrote (upright already), as RGB pixels."""
    with container(path) as c:
        return {n: f.to_ndarray(format="rgb24") for n, f in enumerate(c.decode(video=0)) if n in wanted}


def upright(pixels: np.ndarray, clip: Clip) -> np.ndarray:
    """A stored frame turned upright as the rotation flag says, cut to even sides."""
    turned = np.rot90(pixels, k=clip.quarters) if clip.quarters else pixels
    return np.ascontiguousarray(turned[: clip.height, : clip.width])
