"""The one way detectors resize a photo: shrunk by area (no aliasing), enlarged by cubic interpolation."""

from __future__ import annotations

import cv2
import numpy as np


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
