"""BlazeFace full-range (MediaPipe, Apache-2.0) through the MediaPipe Tasks FaceDetector.

Fast and strong on close-ups and profiles; it sees the photo squeezed to 192 px, so it
complements CenterFace rather than replacing it.
"""

from __future__ import annotations

import numpy as np
from mediapipe.tasks.python import vision

from ..findings import Finding, Kind, to_box
from . import Detector
from ._native import mediapipe_image, mediapipe_task, quiet


class BlazeFace(Detector):
    name = "blazeface"

    def __init__(self, threads: int = 0, policy: object = None, threshold: float = 0.5):
        """`threads` is not used: MediaPipe Tasks picks its own (the model is small)."""
        self.detector = mediapipe_task(
            vision.FaceDetector, vision.FaceDetectorOptions, "blazeface_full_range.tflite",
            min_detection_confidence=threshold,
        )  # fmt: skip

    def detect_frame(self, pixels: np.ndarray) -> list[Finding]:
        """As on a whole photo: it costs a few milliseconds a frame."""
        return self.detect(pixels)

    def detect(self, pixels: np.ndarray) -> list[Finding]:
        with quiet():
            detections = self.detector.detect(mediapipe_image(pixels)).detections
        out = []
        for d in detections:
            b = d.bounding_box
            box = to_box(max(0, b.origin_x), max(0, b.origin_y), b.width, b.height)
            out.append(Finding(Kind.FACE, box, float(d.categories[0].score), self.name))
        return out

    def close(self) -> None:
        """Release the native task; must run before interpreter shutdown."""
        with quiet():
            self.detector.close()
