"""What the MediaPipe landmark detectors (pose, hands) share: a reduced copy of the photo."""

from __future__ import annotations

import cv2
import numpy as np


def reduced(pixels: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """The photo shrunk so its longer side is at most `max_side`, and the factor it was shrunk by."""
    h, w = pixels.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return pixels, scale
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), scale
