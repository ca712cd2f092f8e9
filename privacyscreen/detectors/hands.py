"""Hands (MediaPipe HandLandmarker: palm detector + 21 landmarks, Apache-2.0).

The palm detector sees its input squeezed to 192 px, so small hands in group photos are
only found on tiles: the photo is searched whole and in overlapping tiles of a copy reduced
to at most MAX_SIDE px, and a hand seen in several tiles is merged into one box.
"""

from __future__ import annotations

import numpy as np
from mediapipe.tasks.python import vision

from ..findings import Finding, Kind, clip, merge, tiles, to_box
from . import Detector
from ._landmarks import reduced
from ._native import mediapipe_image, mediapipe_task, quiet

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
        sh, sw = small.shape[:2]
        found = self._hands(small, 0, 0, scale, (w, h))
        for x0, y0, x1, y1 in tiles(sh, sw, TILE, OVERLAP):
            found += self._hands(small[y0:y1, x0:x1], x0, y0, scale, (w, h))
        return [f for f in merge(found) if f.box[2] and f.box[3]] if found else []

    def _hands(self, part: np.ndarray, dx: int, dy: int, scale: float, size: tuple[int, int]) -> list[Finding]:
        """Hands in one part of the reduced copy, in pixels of the full photo (`size` = its width, height)."""
        ph, pw = part.shape[:2]
        with quiet():
            result = self.landmarker.detect(mediapipe_image(part))
        out = []
        for landmarks, handedness in zip(result.hand_landmarks, result.handedness):
            xs = [dx + lm.x * pw for lm in landmarks]
            ys = [dy + lm.y * ph for lm in landmarks]
            x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
            m = MARGIN * max(x1 - x0, y1 - y0)
            box = to_box((x0 - m) / scale, (y0 - m) / scale, (x1 - x0 + 2 * m) / scale, (y1 - y0 + 2 * m) / scale)
            out.append(Finding(Kind.HAND, clip(box, *size), float(handedness[0].score), self.name))
        return out

    def close(self) -> None:
        """Release the native task; must run before interpreter shutdown."""
        with quiet():
            self.landmarker.close()
