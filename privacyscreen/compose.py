"""Compositions: crops of a photo with people that show the activity and nobody's identity.

Three subjects, each found from the findings the detectors already produce:

- **hands**: the hands found, with room around them for what they hold and rest on;
- **feet**: the feet and ankles found by the pose detector;
- **table**: the activity below the people's heads: the band under the lowest head that holds
  the hands found there. There is no offline detector for tables, plates or cups, so a "table"
  is where hands are busy below everyone's head, not a recognised table.

A crop never touches a face or a head (of any size or certainty) or a redacted text, keeping a
margin around each, and has one of the aspect ratios people post. Candidates are ranked by how
much of their subject they hold; crops smaller than `min_side` on their short side are dropped.
Every crop is screened again as a photo of its own before it is written (see screen.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Box, Finding, overlap, union_box

ASPECTS = {"1:1": 1.0, "4:5": 4 / 5, "1.91:1": 1.91}  # width / height: square, Instagram portrait, link posts
SUBJECTS = ("hands", "feet", "table")
MIN_SIDE = 480  # px on the short side; smaller crops look poor on every platform
MARGIN = 0.25  # keep this share of a face's or text's size (and at least 12 px) between it and any crop
DETECTORS = ("pose", "hands")  # compositions need these detectors, whatever else runs
AVOID = {"face", "head"}  # kinds a crop may never touch, whatever the policy did with them


@dataclass(frozen=True)
class Composition:
    subject: str  # "hands", "feet" or "table"
    aspect: str  # a key of ASPECTS
    crop: Box  # in pixels of the photo
    held: float  # share of the subject inside the crop, 0..1


def propose(
    findings: list[Finding], width: int, height: int, aspects: tuple[str, ...] = tuple(ASPECTS),
    min_side: int = MIN_SIDE,
) -> list[Composition]:  # fmt: skip
    """The best crop of each subject found (over `aspects`), most complete first."""
    avoid = [_grown(f.box) for f in findings if f.kind in AVOID or (f.kind == "text" and f.action == "redacted")]
    best = []
    for subject, parts in subjects(findings, height).items():
        candidates = [c for aspect in aspects for c in _search(subject, aspect, parts, avoid, width, height, min_side)]
        if candidates:
            best.append(max(candidates, key=lambda c: round(c.held, 1)))  # the first: nearest the intended framing
    return sorted(best, key=lambda c: -c.held)


def subjects(findings: list[Finding], height: int) -> dict[str, list[Box]]:
    """The boxes that make up each subject present in the photo."""
    hands = [f.box for f in findings if f.kind == "hand"]
    feet = [f.box for f in findings if f.kind == "feet"]
    heads = [f.box for f in findings if f.kind in AVOID]
    below = max((y + h for _, y, _, h in heads), default=0)  # the lowest head's chin
    table = [b for b in hands if b[1] >= below]
    found = {"hands": hands, "feet": feet, "table": table if heads and table else []}
    return {s: boxes for s, boxes in found.items() if boxes}


def _search(
    subject: str, aspect: str, parts: list[Box], avoid: list[Box], width: int, height: int, min_side: int
) -> list[Composition]:
    """Crops of one aspect ratio that hold as much of `parts` as possible and touch nothing in `avoid`."""
    ratio = ASPECTS[aspect]
    target = parts[0]
    for b in parts[1:]:
        target = union_box(target, b)
    tx, ty, tw, th = target
    context = 2.0 if subject == "hands" else 1.6  # room for what hands hold, or around the feet
    found = []
    for zoom in (context, context * 1.5, context / 1.5, 1.0):  # the intended framing first
        ch = max(th, tw / ratio) * zoom
        cw, ch = round(ch * ratio), round(ch)
        if cw > width or ch > height:  # as large as the photo allows
            ch = min(height, width / ratio)
            cw, ch = round(ch * ratio), round(ch)
        if min(cw, ch) < min_side:
            continue
        # slide the window around the subject; the table gets the room below the hands
        cx, cy = tx + tw / 2, ty + th / 2 + (ch * 0.15 if subject == "table" else 0)
        for dx in (0, -0.25, 0.25, -0.5, 0.5):
            for dy in (0, -0.25, 0.25, -0.5, 0.5):
                x = min(max(0, round(cx - cw / 2 + dx * cw)), width - cw)
                y = min(max(0, round(cy - ch / 2 + dy * ch)), height - ch)
                crop = (x, y, cw, ch)
                if any(overlap(crop, a) for a in avoid):
                    continue
                held = sum(overlap(crop, p) for p in parts) / sum(p[2] * p[3] for p in parts)
                if held >= 0.5:
                    found.append(Composition(subject, aspect, crop, round(held, 3)))
    return found


def _grown(box: Box) -> Box:
    x, y, w, h = box
    mx, my = max(12, w * MARGIN), max(12, h * MARGIN)
    return (round(x - mx), round(y - my), round(w + 2 * mx), round(h + 2 * my))
