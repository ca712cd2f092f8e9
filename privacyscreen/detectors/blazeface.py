"""BlazeFace full-range (MediaPipe, Apache-2.0) through the MediaPipe Tasks FaceDetector.

Fast and strong on close-ups and profiles; it sees the photo squeezed to 192 px, so it
complements CenterFace rather than replacing it.
"""

from __future__ import annotations

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from .. import models
from ..findings import Finding, to_box
from ._native import quiet


class BlazeFace:
    name = "blazeface"

    def __init__(self, threads: int = 0, policy: object = None, threshold: float = 0.5):
        """`threads` is not used: MediaPipe Tasks picks its own (the model is small)."""
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(models.path("blazeface_full_range.tflite"))),
            min_detection_confidence=threshold,
        )
        with quiet():
            self.detector = vision.FaceDetector.create_from_options(options)

    def detect(self, pixels: np.ndarray) -> list[Finding]:
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(pixels))
        with quiet():
            detections = self.detector.detect(image).detections
        out = []
        for d in detections:
            b = d.bounding_box
            box = to_box(max(0, b.origin_x), max(0, b.origin_y), b.width, b.height)
            out.append(Finding("face", box, float(d.categories[0].score), self.name))
        return out

    def close(self) -> None:
        """Release the native task; must run before interpreter shutdown."""
        with quiet():
            self.detector.close()
