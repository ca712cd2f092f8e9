"""What the MediaPipe landmark detectors (pose, hands) share: a reduced copy of the photo and tiles of it."""

from __future__ import annotations

import cv2
import mediapipe as mp
import numpy as np


def reduced(pixels: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """The photo shrunk so its longer side is at most `max_side`, and the factor it was shrunk by."""
    h, w = pixels.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return pixels, scale
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), scale


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


def image(pixels: np.ndarray) -> mp.Image:
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(pixels))
