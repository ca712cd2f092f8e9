"""Readable text: PP-OCRv4 (PaddleOCR, Apache-2.0) detection and recognition through onnxruntime.

The detector (DB, a per-pixel text probability) sees the photo with its longest side at most
DET_SIDE, so text keeps the same share of the photo whatever the camera's resolution; small
photos are enlarged to DET_MIN_SIDE as PaddleOCR does. Text a few pixels high at that scale (a
plate down the street, a badge across the room) it does not see: a second pass looks at the
photo FINE times larger, tile by tile, and adds the small lines it finds there that can be read
or are shaped like a word (enlarged, a tie's pattern, chalk specks or a row of buttons look like
text too, but in squares and short runs). Each line is read from the full-resolution photo; the
lines of one row are labelled together by `personal_text.classify` (the detector often splits
"AD KB 799" into three); the words read never leave this module, only the label does. Lines read
with low confidence are "unreadable"; lines in a block of three or more stacked lines of similar
height are "document" unless their own label is a personal one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial, reduce

import cv2
import numpy as np

from ..findings import Finding, Kind, TextLabel, clip, overlap, pad, union_box
from ..personal_text import classify, two_line_plate
from ..policy import Policy
from . import Detector
from ._native import onnx_session
from ._pixels import tiled

DET_SIDE = 1440  # longest side the detector sees; a name badge on a 12 MP photo is 15-30 px high there
DET_MIN_SIDE = 736  # small photos are enlarged to this shortest side (PaddleOCR's default)
THRESHOLD, BOX_THRESHOLD, UNCLIP = 0.3, 0.5, 1.6  # DB post-processing, as in PaddleOCR/rapidocr
MIN_SIZE = 3  # shortest side (detector pixels) of a line worth reading
REC_HEIGHT, REC_MIN_WIDTH = 48, 320  # recognition input
# Mean character confidence below which a line is "unreadable". On samples/ and the bench photos, lines
# read right scored 0.87-1.0; textures, chalk and blurred signs 0.05-0.77, distant signs read in part 0.72-0.81.
READABLE = 0.8
MARGIN = 0.15  # a finding's box grows by this share of the line height on every side
PLATE_FRAME = 0.25  # characters fill about 2/3 of a plate's height: a plate grows this much more, frame included
FINE = 2.0  # the second pass sees the photo this much larger than the usual scale, tile by tile
FINE_BELOW = 32  # ... and adds the lines under this height (px at the usual scale; a far plate is 6-10 px there)
FINE_OVERLAP = 128  # tile overlap (detector px): the lines it adds are whole in at least one tile
WORD_SHAPED = 2.5  # ... and the lines it cannot read only when this many times as long as high
PERSONAL = {TextLabel.NAME, TextLabel.DATE, TextLabel.PHONE, TextLabel.EMAIL, TextLabel.NUMBER, TextLabel.BSN,
            TextLabel.PLATE}  # fmt: skip


class Text(Detector):
    name = "text"

    def __init__(self, threads: int = 0, policy: Policy = Policy()):
        self.det = onnx_session("ch_PP-OCRv4_det_infer.onnx", threads)
        self.rec = onnx_session("ch_PP-OCRv4_rec_infer.onnx", threads)
        characters = self.rec.get_modelmeta().custom_metadata_map["character"].splitlines()
        self.characters = ["", *characters, " "]  # CTC blank first, space last (as PaddleOCR)
        self.allow = policy.allow

    def release(self) -> None:
        """Give back the memory the last photo needed."""
        self.det.release()
        self.rec.release()

    def detect(self, pixels: np.ndarray) -> list[Finding]:
        height, width = pixels.shape[:2]
        boxes, scores, heights, words = [], [], [], []
        for rect, score, word in self._lines(pixels):
            points = cv2.boxPoints(rect)
            x0, y0 = points.min(axis=0)
            x1, y1 = points.max(axis=0)
            box = clip(pad((x0, y0, x1 - x0, y1 - y0), MARGIN * min(rect[1])), width, height)
            if box[2] and box[3]:
                boxes.append(box)
                scores.append(score)
                heights.append(min(rect[1]))
                words.append(word)
        # The detector often splits one row ("AD KB 799", "EMT MADRID"): label what a row says together;
        # a personal row becomes one finding, so the gaps between its words are redacted too.
        findings, line_heights = [], []
        plates, others = two_line_plates(rows(boxes, heights), boxes, heights, words)
        for row in plates + others:
            said = " ".join(word for i in row if (word := words[i]) is not None)
            label = TextLabel.PLATE if row in plates else classify(said, self.allow) if said else TextLabel.UNREADABLE
            if label in PERSONAL:
                whole = reduce(union_box, (boxes[i] for i in row))
                if label == TextLabel.PLATE:
                    whole = clip(pad(whole, PLATE_FRAME * max(heights[i] for i in row)), width, height)
                findings.append(Finding(Kind.TEXT, whole, max(scores[i] for i in row), self.name, label=label))
                line_heights.append(max(heights[i] for i in row))
                continue
            for i in row:
                part = TextLabel.UNREADABLE if words[i] is None else label
                findings.append(Finding(Kind.TEXT, boxes[i], scores[i], self.name, label=part))
                line_heights.append(heights[i])
        return documents(findings, line_heights)

    def _lines(self, pixels: np.ndarray) -> list[tuple[tuple, float, str | None]]:
        """Text lines as rotated rectangles (centre, size, angle) in photo pixels, with their score and
        what they say (None: unreadable): those the detector finds at its usual scale, and the small
        ones the second pass adds (see the module's docstring)."""
        h, w = pixels.shape[:2]
        scale = min(DET_SIDE / max(h, w), max(1.0, DET_MIN_SIDE / min(h, w)))
        found = [(rect, score, self._read(pixels, rect)) for rect, score in self._pass(pixels, scale)]
        usual = [_bounds(rect) for rect, _, _ in found]
        fine = FINE * scale
        look = partial(self._pass, scale=fine)
        for rect, score in tiled(pixels, round(DET_SIDE / fine), round(FINE_OVERLAP / fine), look, _moved, whole=True):
            box, size = _bounds(rect), rect[1]
            if min(size) * scale >= FINE_BELOW or any(_inside(box, b) and _area(b) >= _area(box) for b in usual):
                continue  # a line the usual scale sees well, or has seen whole: `_distinct` would drop it
            word = self._read(pixels, rect)
            if word is not None or max(size) >= WORD_SHAPED * min(size):
                found.append((rect, score, word))
        return _distinct(found)

    def _pass(self, pixels: np.ndarray, scale: float) -> list[tuple[tuple, float]]:
        """The lines the detector finds in the photo enlarged or reduced by `scale`."""
        h, w = pixels.shape[:2]
        h2, w2 = max(32, round(h * scale / 32) * 32), max(32, round(w * scale / 32) * 32)
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        bgr = cv2.resize(pixels, (w2, h2), interpolation=interpolation)[..., ::-1]
        blob = bgr.transpose(2, 0, 1)[None].astype(np.float32) / 127.5 - 1.0  # mean = std = 0.5
        prob = self.det.run(None, {"x": blob})[0][0, 0]
        mask = cv2.dilate((prob > THRESHOLD).astype(np.uint8), np.ones((2, 2), np.uint8))
        sx, sy = w / w2, h / h2
        out = []
        for contour in cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)[0]:
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
            if min(rw, rh) < MIN_SIZE:
                continue
            x, y, bw, bh = cv2.boundingRect(contour)
            inside = np.zeros((bh, bw), np.uint8)
            cv2.drawContours(inside, [contour - [x, y]], -1, 1, -1)
            score = float(prob[y : y + bh, x : x + bw][inside > 0].mean())
            if score < BOX_THRESHOLD:
                continue
            grow = rw * rh * UNCLIP / (2 * (rw + rh))  # DB "unclip": area x ratio / perimeter
            rw, rh = rw + 2 * grow, rh + 2 * grow
            out.append((_to_photo(((cx, cy), (rw, rh), angle), sx, sy), score))
        return out

    def _read(self, pixels: np.ndarray, rect: tuple) -> str | None:
        """What the line in `rect` says, read from its full-resolution crop; None when it cannot be
        read with confidence. The words never leave this module."""
        crop = np.ascontiguousarray(_straighten(pixels, rect)[..., ::-1])  # BGR, as the model was trained
        if crop.shape[0] > 1.5 * crop.shape[1]:
            crop = np.ascontiguousarray(np.rot90(crop))  # a vertical line
        h, w = crop.shape[:2]
        width = max(1, min(round(REC_HEIGHT * w / h), 40 * REC_HEIGHT))
        line = cv2.resize(
            crop, (width, REC_HEIGHT), interpolation=cv2.INTER_AREA if h > REC_HEIGHT else cv2.INTER_LINEAR
        )
        blob = np.zeros((1, 3, REC_HEIGHT, max(width, REC_MIN_WIDTH)), np.float32)
        blob[0, :, :, :width] = line.transpose(2, 0, 1) / 127.5 - 1.0  # mean = std = 0.5
        probs = self.rec.run(None, {"x": blob})[0][0]
        best, confidence = probs.argmax(axis=1), probs.max(axis=1)
        keep = (best != 0) & np.r_[True, best[1:] != best[:-1]]  # CTC: drop blanks and repeats
        if not keep.any() or confidence[keep].mean() < READABLE:
            return None
        return "".join(self.characters[i] for i in best[keep])


def _distinct(lines: list[tuple]) -> list[tuple]:
    """The lines (each a rotated rectangle first) without those lying mostly inside a larger one (the
    same line seen by both passes, or cut by a tile's edge)."""
    boxes = [_bounds(line[0]) for line in lines]
    order = sorted(range(len(lines)), key=lambda i: -_area(boxes[i]))
    kept: list[int] = []
    for i in order:
        if not any(_inside(boxes[i], boxes[k]) for k in kept):
            kept.append(i)
    return [lines[i] for i in sorted(kept)]


def _bounds(rect: tuple) -> tuple[int, int, int, int]:
    """The upright box around a rotated rectangle."""
    x, y, w, h = cv2.boundingRect(cv2.boxPoints(rect).astype(np.float32))
    return x, y, w, h


def _inside(box: tuple, other: tuple) -> bool:
    """Whether most (half or more) of `box` lies inside `other`."""
    return overlap(box, other) >= 0.5 * _area(box)


def _area(box: tuple) -> int:
    return box[2] * box[3]


def _moved(line: tuple, dx: int, dy: int) -> tuple:
    """A line (rotated rectangle, score) found in a tile, in pixels of the photo the tile is cut from."""
    ((cx, cy), size, angle), score = line
    return ((cx + dx, cy + dy), size, angle), score


def _to_photo(rect: tuple, sx: float, sy: float) -> tuple:
    """A rotated rectangle from detector pixels to photo pixels (scales differ by rounding only)."""
    (cx, cy), (w, h), angle = rect
    return (cx * sx, cy * sy), (w * (sx + sy) / 2, h * (sx + sy) / 2), angle


def _straighten(pixels: np.ndarray, rect: tuple) -> np.ndarray:
    """The pixels inside a rotated rectangle, turned so that its corners are upright (as PaddleOCR
    crops a line: left corners are the two leftmost, each side's top the higher)."""
    points = cv2.boxPoints(rect)
    x0, y0 = np.floor(points.min(axis=0)).astype(int).clip(0)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int)
    region = pixels[y0 : y1 + 1, x0 : x1 + 1]
    by_x = points[np.argsort(points[:, 0])] - [x0, y0]
    (tl, bl), (tr, br) = (sorted(pair, key=lambda p: p[1]) for pair in (by_x[:2], by_x[2:]))
    w = max(1, round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    h = max(1, round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    square = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    warp = cv2.getPerspectiveTransform(np.array([tl, tr, br, bl], np.float32), square)
    return cv2.warpPerspective(region, warp, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def groups(count: int, linked: Callable[[int, int], bool]) -> list[list[int]]:
    """The indices 0..count-1 grouped so that any two `linked` ones share a group (transitively)."""
    group = list(range(count))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i in range(count):
        for j in range(i + 1, count):
            if linked(i, j):
                group[root(i)] = root(j)
    found: dict[int, list[int]] = {}
    for i in range(count):
        found.setdefault(root(i), []).append(i)
    return list(found.values())


def rows(boxes: list[tuple], heights: list[float]) -> list[list[int]]:
    """Lines that continue one another on one row (similar height, side by side, a gap of less
    than 1.5 line heights), each row in reading order (left to right)."""

    def linked(i: int, j: int) -> bool:
        a, b, tall = boxes[i], boxes[j], max(heights[i], heights[j])
        level = abs((a[1] + a[3] / 2) - (b[1] + b[3] / 2)) < tall / 2
        gap = max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2])
        return tall <= 1.5 * min(heights[i], heights[j]) and level and gap < 1.5 * tall

    return [sorted(row, key=lambda i: boxes[i][0]) for row in groups(len(boxes), linked)]


def two_line_plates(
    found: list[list[int]], boxes: list[tuple], heights: list[float], words: list[str | None]
) -> tuple[list[list[int]], list[list[int]]]:
    """The pairs of `found` rows that are a plate on two lines (motorbikes, many cars in Asia), each
    joined into one row, and the other rows: two short rows of similar height, one right below the
    other, that read as a plate together (`two_line_plate`)."""
    box = [reduce(union_box, (boxes[i] for i in row)) for row in found]
    said = [" ".join(word for i in row if (word := words[i]) is not None) for row in found]
    tall = [max(heights[i] for i in row) for row in found]

    def stacked(a: int, b: int) -> bool:
        (ax, ay, aw, ah), (bx, by, bw, bh) = box[a], box[b]
        side_by_side = min(ax + aw, bx + bw) - max(ax, bx) >= 0.5 * min(aw, bw)
        line = max(tall[a], tall[b])
        below = line / 2 <= (by + bh / 2) - (ay + ah / 2) <= 1.6 * line  # the next line down, boxes may overlap
        short = all(0 < sum(c.isalnum() for c in said[i]) <= 7 for i in (a, b))
        return side_by_side and below and short and line <= 1.5 * min(tall[a], tall[b])

    joined: list[list[int]] = []
    used: set[int] = set()
    for a in sorted(range(len(found)), key=lambda i: box[i][1]):
        for b in range(len(found)):
            if {a, b} & used or a == b or not stacked(a, b):
                continue
            if two_line_plate(said[a], said[b]):
                joined.append(found[a] + found[b])
                used |= {a, b}
                break
    return joined, [row for i, row in enumerate(found) if i not in used]


def documents(findings: list[Finding], heights: list[float]) -> list[Finding]:
    """Label DOCUMENT the lines in a block of three or more closely stacked lines of similar
    height, unless a line's own label is personal."""

    def linked(i: int, j: int) -> bool:
        a, b, tall = findings[i].box, findings[j].box, max(heights[i], heights[j])
        gap = max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3])
        above = abs((a[1] + a[3] / 2) - (b[1] + b[3] / 2)) > tall / 2  # not on one row
        overlap = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
        return tall <= 1.5 * min(heights[i], heights[j]) and above and gap < 1.5 * tall and overlap > 0

    in_block = {i for block in groups(len(findings), linked) if len(block) >= 3 for i in block}
    return [replace(f, label=TextLabel.DOCUMENT) if i in in_block and f.label not in PERSONAL else f
            for i, f in enumerate(findings)]  # fmt: skip
