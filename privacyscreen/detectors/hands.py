"""Hands (MediaPipe HandLandmarker: palm detector + 21 landmarks, Apache-2.0).

The palm detector sees its input squeezed to 192 px, so small hands in group photos are
only found on tiles: the photo is searched whole and in overlapping tiles of a copy reduced
to at most MAX_SIDE px, and a hand seen in several tiles is merged into one box.
"""

from __future__ import annotations

import numpy as np
from mediapipe.tasks.python import vision

from ..findings import Finding, Kind, clipped, merge, scaled, shifted, to_box
from . import Detector
from ._native import mediapipe_image, mediapipe_task, quiet
from ._pixels import reduced, tiled

MAX_SIDE = 1920  # the copy the hands are searched in
TILE, OVERLAP = 480, 120  # tiles of the copy, in its pixels: 480 found 38 hands where 640 found 34 (15 photos)
MARGIN = 0.25  # the landmarks sit on joints and fingertips: grow their box by this share of its longer side


class Hands(Detector):
    name = "hands"
    only_to_find_people = True  # skipped once another detector found someone, unless compositions need hands

    def __init__(self, threads: int = 0, policy: object = None, threshold: float = 0.5):
        """`threads` is not used: MediaPipe Tasks picks its own."""
        self.landmarker = mediapipe_task(
            vision.HandLandmarker, vision.HandLandmarkerOptions, "hand_landmarker.task",
            num_hands=10, min_hand_detection_confidence=threshold, min_hand_presence_confidence=threshold,
        )  # fmt: skip

    def detect(self, pixels: np.ndarray) -> list[Finding]:
        h, w = pixels.shape[:2]
        small, scale = reduced(pixels, MAX_SIDE)
        found = self._hands(small) + tiled(small, TILE, OVERLAP, self._hands, shifted)
        return merge(clipped([scaled(f, 1 / scale) for f in found], w, h))

    def _hands(self, part: np.ndarray) -> list[Finding]:
        """Hands in `part`, in its own pixels (a box may reach beyond its edges)."""
        ph, pw = part.shape[:2]
        with quiet():
            result = self.landmarker.detect(mediapipe_image(part))
        out = []
        for landmarks, handedness in zip(result.hand_landmarks, result.handedness):
            xs = [lm.x * pw for lm in landmarks]
            ys = [lm.y * ph for lm in landmarks]
            x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
            m = MARGIN * max(x1 - x0, y1 - y0)
            box = to_box(x0 - m, y0 - m, x1 - x0 + 2 * m, y1 - y0 + 2 * m)
            out.append(Finding(Kind.HAND, box, float(handedness[0].score), self.name))
        return out

    def close(self) -> None:
        """Release the native task; must run before interpreter shutdown."""
        with quiet():
            self.landmarker.close()
