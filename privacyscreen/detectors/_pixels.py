"""What detectors do to a photo's pixels before they look: resize it (the one way: shrunk by area, so
without aliasing, enlarged by cubic interpolation), turn it, and cut it into tiles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import cv2
import numpy as np

from ..findings import Box

T = TypeVar("T")  # what a detector sees in a tile: a Finding, or its own shape (a rotated line of text)


def resized(pixels: np.ndarray, scale: float = 1.0, size: tuple[int, int] | None = None) -> np.ndarray:
    """The pixels at `scale` (or at `size`, width x height); the same array when nothing changes."""
    h, w = pixels.shape[:2]
    size = size or (max(1, round(w * scale)), max(1, round(h * scale)))
    if size == (w, h):
        return pixels
    shrink = size[0] * size[1] < w * h
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def reduced(pixels: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """The photo shrunk so its longer side is at most `max_side`, and the factor it was shrunk by."""
    scale = min(1.0, max_side / max(pixels.shape[:2]))
    return resized(pixels, scale), scale


def turns(pixels: np.ndarray, quarters: tuple[int, ...] = (0, 1, 3)) -> Iterator[tuple[int, np.ndarray]]:
    """The photo turned by each of `quarters` clockwise (by default as it is and a quarter both ways,
    for faces of people lying down): (quarter turns, pixels). Map boxes back with `unturn`."""
    for q in quarters:
        yield q, (pixels if q == 0 else np.ascontiguousarray(np.rot90(pixels, k=-q)))


def unturn(box: Box, quarters: int, width: int, height: int) -> Box:
    """A box found on the photo turned `quarters` clockwise, in the unturned photo's pixels
    (`width` x `height` are the unturned photo's size)."""
    x, y, w, h = box
    if quarters == 2:  # upside down
        return (width - x - w, height - y - h, w, h)
    if quarters == 1:  # clockwise: (x, y) -> (height - 1 - y, x)
        return (y, height - x - w, h, w)
    if quarters == 3:  # counter-clockwise: (x, y) -> (y, width - 1 - x)
        return (width - y - h, x, h, w)
    return box


def tiles(h: int, w: int, size: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of the fewest equal tiles, at most `size` a side and overlapping by at
    least `overlap`, that cover an h x w image; none when one tile would cover it all."""

    def spans(n: int) -> list[tuple[int, int]]:
        count = max(1, -(-(n - overlap) // (size - overlap)))
        length = -(-(n + (count - 1) * overlap) // count)
        starts = [min(i * (length - overlap), n - length) for i in range(count)]
        return [(s, s + length) for s in starts]

    found = [(x0, y0, x1, y1) for y0, y1 in spans(h) for x0, x1 in spans(w)]
    return found if len(found) > 1 else []


def tiled(
    pixels: np.ndarray, size: int, overlap: int, look: Callable[[np.ndarray], list[T]],
    moved: Callable[[T, int, int], T], whole: bool = False,
) -> list[T]:  # fmt: skip
    """What `look` sees in each tile of `pixels` (see `tiles`), moved by `moved(item, x0, y0)` (`shifted`
    for findings) from the tile's pixels into those of `pixels`. When one tile would cover them all:
    what `look` sees in the whole if `whole`, else nothing (the caller has looked at the whole already)."""
    h, w = pixels.shape[:2]
    spans = tiles(h, w, size, overlap) or ([(0, 0, w, h)] if whole else [])
    return [moved(item, x0, y0) for x0, y0, x1, y1 in spans for item in look(pixels[y0:y1, x0:x1])]
