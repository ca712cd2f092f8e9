"""Figures: someone's outline, from SSDLite-MobileNetV2 trained for one class, person (TensorFlow
Object Detection API, fine-tuned on PASCAL VOC by cftang0827; MIT), through onnxruntime.

It sees people by their shape, so also those the landmark models miss: turned away, half hidden
in a crowd, or only legs and shoes. It cannot tell a whole body from a part (a pair of legs, the
arms around a cup look like a person to it), so its findings are `figure`s: someone is there,
and a photo with one is not "no people"; whether a body is recognisable stays with the pose
model, which sees head, shoulders and hips (photos of hands and feet must stay shareable).

The model sees 300 x 300 px: the whole photo squeezed to that (as it was trained), and overlapping
tiles (six on a 4:3 photo) for people too small for the whole view. People under about a quarter
of a tile's height it does not see. On the benchmark set, a fruit filling the photo scores up to 0.5
and the people it adds (seen from behind, legs only, behind a taxi) 0.82 to 0.96: SURE lies between.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from ..findings import Finding, Kind, clipped, shifted, to_box
from . import Detector
from ._native import Session, onnx_session
from ._pixels import tiled

SIDE = 300  # the model's input, square
SURE = 0.7  # score from which a detection is someone
SAME = 0.5  # boxes overlapping this much (IoU) are one figure: the best scoring is kept
TILE, TILE_OVERLAP = 0.75, 0.25  # tiles: side and overlap as shares of the photo's shorter side


def anchors() -> np.ndarray:
    """The model's 1917 anchors (centre y, centre x, height, width; shares of the input), laid out
    as the TF Object Detection API's ssd_anchor_generator does for SSDLite at 300 px."""
    scales = [0.2 + 0.75 * i / 5 for i in range(6)] + [1.0]
    out = []
    for layer, grid in enumerate((19, 10, 5, 3, 2, 1)):
        if layer == 0:
            shapes = [(0.1, 1.0), (0.2, 2.0), (0.2, 0.5)]
        else:
            shapes = [(scales[layer], ratio) for ratio in (1.0, 2.0, 0.5, 3.0, 0.3333)]
            shapes.append((np.sqrt(scales[layer] * scales[layer + 1]), 1.0))
        centres = (np.arange(grid) + 0.5) / grid
        for y in centres:
            for x in centres:
                out += [(y, x, scale / np.sqrt(ratio), scale * np.sqrt(ratio)) for scale, ratio in shapes]
    return np.array(out, np.float32)


def decoded(codes: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Box encodings (ty, tx, th, tw; the box coder's scales 10, 10, 5, 5) against their anchors, as
    boxes (x, y, width, height) in shares of the input."""
    cy, cx = codes[:, 0] / 10 * anchors[:, 2] + anchors[:, 0], codes[:, 1] / 10 * anchors[:, 3] + anchors[:, 1]
    h, w = np.exp(codes[:, 2] / 5) * anchors[:, 2], np.exp(codes[:, 3] / 5) * anchors[:, 3]
    return np.stack([cx - w / 2, cy - h / 2, w, h], 1)


def views(pixels: np.ndarray, look: Callable[[np.ndarray], list[Finding]]) -> list[Finding]:
    """What `look` finds in the whole photo and in its overlapping tiles (tiles are enlarged at most
    twice: a thin strip would need thousands), clipped to the photo."""
    h, w = pixels.shape[:2]
    found = look(pixels)
    side = round(TILE * min(h, w))
    if 2 * side >= SIDE:
        found += tiled(pixels, side, round(TILE_OVERLAP * min(h, w)), look, shifted)
    return clipped(found, w, h)


def forward(session: Session, anchors: np.ndarray, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One pass over `pixels` (a photo or a tile) squeezed to SIDE x SIDE: every anchor's box (x, y,
    width, height, in the pixels' own coordinates) and its probability per class (one sigmoid each)."""
    h, w = pixels.shape[:2]
    blob = cv2.resize(pixels, (SIDE, SIDE), interpolation=cv2.INTER_AREA if min(h, w) > SIDE else cv2.INTER_LINEAR)
    codes, logits = session.run(None, {"image": blob[None].astype(np.float32)})
    return decoded(codes[0], anchors) * np.array([w, h, w, h], np.float32), 1 / (1 + np.exp(-logits[0]))


class SSDLite(Detector):
    name = "ssdlite"

    def __init__(self, threads: int = 0, policy: object = None):
        self.session = onnx_session("ssdlite_person.onnx", threads)
        self.anchors = anchors()

    def release(self) -> None:
        self.session.release()

    def detect(self, pixels: np.ndarray) -> list[Finding]:
        found = views(pixels, self._figures)
        if not found:
            return []
        best = cv2.dnn.NMSBoxes([f.box for f in found], [f.score for f in found], 0.0, SAME)
        return [found[i] for i in best]

    def _figures(self, pixels: np.ndarray) -> list[Finding]:
        """The figures in `pixels` (the whole photo or a tile of it), in its own pixels."""
        boxes, scores = forward(self.session, self.anchors, pixels)
        keep = np.flatnonzero(scores[:, 1] >= SURE)
        return [Finding(Kind.FIGURE, to_box(*boxes[i]), float(scores[i, 1]), self.name) for i in keep]
