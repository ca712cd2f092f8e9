"""Redaction styles: pure pixel functions that make a region unrecognisable for good.

A light blur or a fine mosaic can be undone by a recognition model (McPherson et al. 2016).
Every style here first throws the information away: `blur` keeps at most 4 x 4 averaged
colours of the region and then smooths them, `pixelate` keeps at most 6 cells across,
`fill` keeps nothing.
"""

from __future__ import annotations

import cv2
import numpy as np

from .findings import Action, Box, Finding, Kind, Shape, Style, clip

BLUR_CELLS = 4
PIXELATE_CELLS = 6
# An ellipse must be sqrt(2) times the box to cover its corners; 1.5 adds a margin that grows with the face.
GROWTH = {Shape.ELLIPSE: 1.5, Shape.BOX: 1.25}


def apply(
    pixels: np.ndarray, findings: list[Finding], style: Style = Style.BLUR, shape: Shape = Shape.ELLIPSE
) -> np.ndarray:
    """Return a copy of `pixels` with every finding the policy marked "redacted" made unrecognisable:
    faces and heads in the chosen shape, lines of text as boxes, regions a reviewer hid as drawn."""
    redacted = [f for f in findings if f.action == Action.REDACTED]
    out = redact(pixels, [f.box for f in redacted if f.kind not in (Kind.TEXT, Kind.DRAWN)], style, shape)
    for drawn in Shape:  # regions a reviewer hid, each in the shape drawn
        redact(out, [f.box for f in redacted if f.kind == Kind.DRAWN and f.label == drawn], style, drawn, copy=False)
    return redact(out, [f.box for f in redacted if f.kind == Kind.TEXT], style, Shape.BOX, copy=False)


def redact(
    pixels: np.ndarray, boxes: list[Box], style: Style = Style.BLUR, shape: Shape = Shape.ELLIPSE, copy: bool = True
) -> np.ndarray:
    """Return `pixels` (a copy unless `copy` is False) with every box made unrecognisable."""
    out = pixels.copy() if copy else pixels
    h, w = out.shape[:2]
    for box in boxes:
        grown = grow(box, GROWTH[shape])
        x, y, bw, bh = clip(grown, w, h)
        if bw == 0 or bh == 0:
            continue
        # A face cut by the frame continues beyond it: redact up to the edge, not an ellipse short of it.
        edge_shape = shape if (x, y, bw, bh) == grown else Shape.BOX
        region = out[y : y + bh, x : x + bw]
        patch = obscure(region, style)
        mask = region_mask(bh, bw, edge_shape)
        fx, fy, fw, fh = clip((box[0] - x, box[1] - y, box[2], box[3]), bw, bh)
        mask[fy : fy + fh, fx : fx + fw] = 1.0  # the detected box itself is always fully replaced
        region[:] = (patch * mask + region * (1.0 - mask)).round().astype(np.uint8)
    return out


def grow(box: Box, factor: float) -> Box:
    """Scale a box about its centre, with at least 4 px of margin on every side."""
    x, y, w, h = box
    nw, nh = max(w * factor, w + 8), max(h * factor, h + 8)
    return (round(x - (nw - w) / 2), round(y - (nh - h) / 2), round(nw), round(nh))


def obscure(region: np.ndarray, style: Style) -> np.ndarray:
    h, w = region.shape[:2]
    if style == Style.FILL:
        return np.zeros_like(region, dtype=np.float32)
    cells = BLUR_CELLS if style == Style.BLUR else PIXELATE_CELLS
    small = cv2.resize(region, coarse_size(w, h, cells), interpolation=cv2.INTER_AREA)
    if style == Style.PIXELATE:
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST).astype(np.float32)
    # Smooth the few remaining colours at 8 px per cell, then scale up: the same look as a
    # Gaussian of a quarter cell at full size, at a fraction of the cost on a large face.
    work = cv2.resize(small, (small.shape[1] * 8, small.shape[0] * 8), interpolation=cv2.INTER_LINEAR)
    work = cv2.GaussianBlur(work.astype(np.float32), (0, 0), sigmaX=4, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(work, (w, h), interpolation=cv2.INTER_LINEAR)


def coarse_size(w: int, h: int, cells: int) -> tuple[int, int]:
    """At most `cells` across the longer side, at least one, keeping the aspect ratio."""
    scale = cells / max(w, h)
    return max(1, min(w, round(w * scale))), max(1, min(h, round(h * scale)))


def region_mask(h: int, w: int, shape: Shape) -> np.ndarray:
    """Weights (h, w, 1) in [0, 1]: 1 where the obscured patch replaces the photo."""
    if shape == Shape.BOX:
        return np.ones((h, w, 1), np.float32)
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, (w // 2, h // 2), (max(1, w // 2), max(1, h // 2)), 0, 0, 360, 1.0, -1)
    feather = max(1, round(min(w, h) * 0.03)) * 2 + 1
    return cv2.GaussianBlur(mask, (feather, feather), 0)[..., None]
