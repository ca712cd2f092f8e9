"""Rebuild and verify a clip as MP4: every frame re-encoded from pixels (H.264), the sound (when the
policy keeps it) re-encoded from its samples (AAC), nothing of the source's container travels.

The only metadata is privacyscreen's XMP packet (model-release status and seal, as in photos) in
a top-level `uuid` box, the place the XMP specification gives it in ISO base media files. The seal
is the sha256 of every byte before that box, so any change to the file breaks it.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from . import video
from .video import Clip
from .write import RELEASE_STATUS, UNSEALED, VerifyError, xmp_packet

XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
CRF = 20  # x264's constant quality: visually lossless for phone clips, about the size of the source
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"udta"}  # boxes that hold boxes
ALLOWED = {  # every box an output may hold: FFmpeg's MP4 muxer writes these for one H.264 and one AAC track
    b"ftyp", b"free", b"mdat", b"moov", b"mvhd", b"trak", b"tkhd", b"edts", b"elst", b"mdia", b"mdhd", b"hdlr",
    b"minf", b"vmhd", b"smhd", b"dinf", b"dref", b"stbl", b"stsd", b"stts", b"stss", b"ctts", b"stsc", b"stsz",
    b"stco", b"co64", b"sgpd", b"sbgp", b"udta", b"meta", b"iods",
}  # fmt: skip
EMPTY_META = b"hdlr", b"ilst"  # the muxer's empty iTunes metadata list (bitexact: not even its own name)


def boxes(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, offset, offset of its content, end) of each box between `start` and `end` of `f`."""
    pos = start
    while pos < end:
        f.seek(pos)
        head = f.read(16)
        if len(head) < 8:
            raise VerifyError("a box ends too soon")
        size, kind = struct.unpack(">I4s", head[:8])
        body = pos + 8
        if size == 1:
            (size,) = struct.unpack(">Q", head[8:16])
            body += 8
        elif size == 0:
            size = end - pos
        if size < body - pos or pos + size > end:
            raise VerifyError(f"malformed {kind!r} box")
        yield kind, pos, body, pos + size
        pos += size


def rebuild(clip: Clip, render: Callable[[int, np.ndarray], np.ndarray], audio: bool, release: str,
            into: BinaryIO) -> None:  # fmt: skip
    """Decode the clip again, pass every upright frame through `render(index, pixels)`, and encode the
    results into a fresh, sealed MP4 written `into` an empty file, keeping their timing; its sound
    too when `audio`."""
    import av

    with video.container(clip.path) as source, av.open(into, "w", format="mp4", options={"fflags": "+bitexact"}) as out:
        vin = source.streams.video[0]
        vout = out.add_stream("libx264", rate=clip.rate, options={"crf": str(CRF), "preset": "veryfast"})
        vout.width, vout.height, vout.pix_fmt = clip.width, clip.height, "yuv420p"
        vout.time_base = vout.codec_context.time_base = vin.time_base
        ain = source.streams.audio[0] if audio and source.streams.audio else None
        aout = out.add_stream("aac", rate=ain.codec_context.sample_rate or 48000) if ain else None
        first_pts: int | None = None
        n = 0
        for packet in source.demux(*filter(None, (vin, ain))):
            for frame in packet.decode():
                if packet.stream is ain and aout is not None:
                    frame.pts = None  # the encoder counts samples from zero
                    out.mux(aout.encode(frame))
                    continue
                first_pts = frame.pts if first_pts is None else first_pts
                pts = (frame.pts or 0) - (first_pts or 0)
                pixels = render(n, video.upright(frame.to_ndarray(format="rgb24"), clip))
                made = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                made.pts, made.time_base = pts, vin.time_base
                out.mux(vout.encode(made))
                n += 1
        out.mux(vout.encode())
        if aout is not None:
            out.mux(aout.encode())
    seal(into, release)


def seal(f: BinaryIO, release: str) -> None:
    """Append our XMP packet to the file in a top-level `uuid` box, sealing every byte before it."""
    end = f.seek(0, io.SEEK_END)
    packet = xmp_packet(release, digest(f, end))
    f.write(struct.pack(">I4s", 8 + 16 + len(packet), b"uuid") + XMP_UUID + packet)


def sealed_release(f: BinaryIO, size: int) -> str | None:
    """The model-release status of a clip privacyscreen wrote and nobody changed since, or None."""
    try:
        check_allow_list(f, size)
        return release_of(f, size)
    except VerifyError:
        return None


def digest(f: BinaryIO, length: int) -> str:
    """The sha256 of the first `length` bytes of `f`, read a megabyte at a time; leaves `f` at `length`."""
    f.seek(0)
    sha = hashlib.sha256()
    while length:
        chunk = f.read(min(length, 1 << 20))
        if not chunk:
            raise VerifyError("a box ends too soon")
        sha.update(chunk)
        length -= len(chunk)
    return sha.hexdigest()


def release_of(f: BinaryIO, size: int) -> str:
    """The release status in the clip's last box, when it is our XMP packet and its seal matches."""
    *_, (kind, start, body, end) = boxes(f, 0, size)
    f.seek(body)
    if kind != b"uuid" or f.read(16) != XMP_UUID or end - body > 4096:
        raise VerifyError("XMP packet missing")
    packet = f.read(end - body - 16)
    seal = digest(f, start)
    for release in RELEASE_STATUS:
        if packet == xmp_packet(release, seal):
            return release
    raise VerifyError("seal does not match" if len(packet) == len(xmp_packet("none", UNSEALED)) else "unexpected XMP")


def check_allow_list(f: BinaryIO, size: int, start: int = 0, end: int | None = None, top: bool = True) -> None:
    """Every box is one the muxer writes for pictures and sound (see ALLOWED), the metadata list is
    empty, and the only `uuid` box is the last one, ours."""
    end = size if end is None else end
    found = list(boxes(f, start, end))
    for i, (kind, _, body, stop) in enumerate(found):
        if kind == b"uuid" and top and i == len(found) - 1:
            continue
        if kind not in ALLOWED:
            raise VerifyError(f"unexpected {kind.decode('latin-1')!r} box")
        if kind in CONTAINERS:
            check_allow_list(f, size, body, stop, top=False)
        elif kind == b"meta":
            inside = [k for k, _, b, e in boxes(f, body + 4, stop) if k not in EMPTY_META or (k == b"ilst" and e > b)]
            if inside:
                raise VerifyError("container metadata present")


def verify(path: Path, clip: Clip, frames: int, audio: bool, release: str) -> None:
    """Read a rebuilt clip back from disk and prove it: only allowed boxes, its seal, one H.264
    track of `frames` upright frames of the clip's size lasting as long as the clip, sound only
    when `audio`, no container tags. Raises VerifyError."""
    size = path.stat().st_size
    with path.open("rb") as f:
        check_allow_list(f, size)
        if release_of(f, size) != release:
            raise VerifyError("model-release status differs")
    import av

    with av.open(str(path), "r") as c:
        streams = [(s.type, s.codec_context.name) for s in c.streams]
        if streams != [("video", "h264"), *([("audio", "aac")] if audio else [])]:
            raise VerifyError(f"unexpected streams: {streams}")
        tags = {*c.metadata, *(k for s in c.streams for k in s.metadata)} - video.PLAYBACK_TAGS
        if tags:
            raise VerifyError(f"unexpected tags: {sorted(tags)}")
        decoded = 0
        for frame in c.decode(video=0):
            if (frame.width, frame.height) != (clip.width, clip.height) or frame.rotation:
                raise VerifyError(f"unexpected frame: {frame.width}x{frame.height}, turned {frame.rotation}")
            decoded += 1
        seconds = float(c.duration / 1_000_000) if c.duration else 0.0
    if decoded != frames:
        raise VerifyError(f"{decoded} frames decoded, {frames} written")
    if abs(seconds - clip.seconds) > max(0.5, 0.05 * clip.seconds):
        raise VerifyError(f"lasts {seconds:.2f} s, the clip {clip.seconds:.2f} s")
