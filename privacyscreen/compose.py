"""Compositions: crops of a photo that show the activity (hands at work, feet, a laid table) and nobody's identity.

Three subjects, each found from the findings the detectors already produce:

- **hands**: the hands found, with room around them for what they hold and rest on;
- **feet**: the feet and ankles found by the pose detector;
- **table**: what is on the table, from the objects detector (cups, glasses, bottles, bowls,
  cutlery, food, vases, the dining table; see detectors/objects.py), with the hands at it: the
  things on a table found, or, where no table is found, the largest group of things next to
  each other (two at least, or one with a hand at it: one cup on a shelf is no table); a vase
  joins a group but makes none. Hands on the table or next to those things join them, so a laid
  table is a subject with or without hands in sight. Where no thing is found (or the objects
  detector did not run), the table is where hands are busy below everyone's head: the hands
  found under the lowest head.

A crop never touches a face or a head among the findings it is given (the screener leaves out
only doubtful faces in which a closer look sees no face, redacted like the rest) or a redacted
text, keeping a margin around each, holds at most half of anyone's body (clothing and posture
identify too), and has one of the aspect ratios people post. Candidates are ranked by how much of
their subject they hold; crops smaller than `min_side` on their short side are dropped.
Every crop is screened again as a photo of its own before it is written (see screen.py), at the
platform's size for its aspect ratio when it is larger (`posting_size`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Action, Box, Finding, Kind, ObjectLabel, contains_center, overlap, union_box

ASPECTS = {"1:1": 1.0, "4:5": 4 / 5, "1.91:1": 1.91}  # width / height: square, Instagram portrait, link posts
POSTING_SIZES = {"1:1": (1080, 1080), "4:5": (1080, 1350), "1.91:1": (1200, 628)}  # px the platforms show them at
MIN_SIDE = 320  # px on the short side: the smallest image the platforms accept without upscaling
CONTEXT = {"hands": 2.0, "feet": 1.6, "table": 1.6}  # crop height per subject height: room for what hands hold
MARGIN = 0.25  # keep this share of a face's or text's size (and at least 12 px) between it and any crop
DETECTORS = ("pose", "hands", "objects")  # compositions need these detectors, whatever else runs
TRIES = 3  # distinct crops tried per subject
BODY_SHARE = 0.5  # a crop holds at most this share of anyone's body: hands and feet, not a headless portrait
AVOID = {Kind.FACE, Kind.HEAD, Kind.DRAWN}  # kinds a crop may never touch, whatever the policy did with them


@dataclass(frozen=True)
class Composition:
    subject: str  # "hands", "feet" or "table"
    aspect: str  # a key of ASPECTS
    crop: Box  # in pixels of the photo
    held: float  # share of the subject inside the crop, 0..1


def propose(
    findings: list[Finding], width: int, height: int, aspects: tuple[str, ...] = tuple(ASPECTS),
    min_side: int = MIN_SIDE,
) -> dict[str, list[Composition]]:  # fmt: skip
    """For each subject found, up to TRIES distinct crops (over `aspects`), best first: the next
    is for when screening the crop again finds something in it."""
    avoid = _avoided(findings)
    found = {}
    for subject, parts in subjects(findings).items():
        candidates = [c for aspect in aspects for c in _search(subject, aspect, parts, avoid, width, height, min_side)
                      if _little_body(c.crop, findings)]  # fmt: skip
        ranked: list[Composition] = []
        for c in sorted(candidates, key=lambda c: -round(c.held, 2)):  # stable: ties keep the preferred framing
            if len(ranked) < TRIES and not any(repeats(c.crop, r.crop) for r in ranked):
                ranked.append(c)
        if ranked:
            found[subject] = ranked
    return found


def clear(crop: Box, findings: list[Finding]) -> bool:
    """Whether a crop someone chose keeps the rules a proposed one does: it touches nothing
    `_avoided` names (with a margin) and holds at most half of anyone's body."""
    return not any(overlap(crop, box) for box in _avoided(findings)) and _little_body(crop, findings)


def fit(box: Box, aspect: str) -> Box:
    """The largest crop of `aspect` inside `box`, centred in it."""
    x, y, w, h = box
    ratio = ASPECTS[aspect]
    cw, ch = (w, round(w / ratio)) if w / h <= ratio else (round(h * ratio), h)
    cw, ch = min(cw, w), min(ch, h)
    return (x + (w - cw) // 2, y + (h - ch) // 2, cw, ch)


def _avoided(findings: list[Finding]) -> list[Box]:
    """Where no crop may be: around every face and head, every hidden text and every region a
    reviewer hid by hand."""
    return [_grown(f.box) for f in findings
            if f.kind in AVOID or (f.kind == Kind.TEXT and f.action == Action.REDACTED)]  # fmt: skip


def _little_body(crop: Box, findings: list[Finding]) -> bool:
    """Whether `crop` holds at most BODY_SHARE of anyone's body."""
    return all(overlap(crop, f.box) <= BODY_SHARE * _area(f.box) for f in findings if f.kind == Kind.PERSON)


def posting_size(c: Composition) -> tuple[int, int]:
    """The size (width, height) to write a composition at: the platform's for its aspect ratio, or
    the crop's own when it is smaller (a crop is never enlarged beyond what the photo holds)."""
    w, h = POSTING_SIZES[c.aspect]
    return (w, h) if c.crop[2] >= w else (c.crop[2], c.crop[3])


def repeats(crop: Box, other: Box) -> bool:
    """Whether the two crops mostly show the same (a table that holds the hands crop, a near twin):
    half of either lies in the other."""
    return overlap(crop, other) >= 0.5 * min(_area(crop), _area(other))


def subjects(findings: list[Finding]) -> dict[str, list[Box]]:
    """The boxes that make up each subject present in the photo."""
    hands = [f.box for f in findings if f.kind == Kind.HAND]
    feet = [f.box for f in findings if f.kind == Kind.FEET]
    heads = [f.box for f in findings if f.kind in AVOID]
    below = max((y + h for _, y, _, h in heads), default=0)  # the lowest head's chin
    busy = [b for b in hands if b[1] >= below]
    table = laid(findings, hands) or (busy if heads else [])
    found = {"hands": hands, "feet": feet, "table": table}
    return {s: boxes for s, boxes in found.items() if boxes}


def laid(findings: list[Finding], hands: list[Box]) -> list[Box]:
    """The table from the objects found: the things on a table found, else the largest group of
    things next to each other that is a table setting (two things, or one with a hand at it; a
    vase makes none), and the hands on that table or next to those things. [] when there is none."""
    things = [f for f in findings if f.kind == Kind.OBJECT and f.label != ObjectLabel.TABLE]
    tables = [f.box for f in findings if f.kind == Kind.OBJECT and f.label == ObjectLabel.TABLE]
    on = [f.box for f in things if any(contains_center(t, f.box) for t in tables)]
    if on:
        return on + [h for h in hands if any(contains_center(t, h) for t in tables) or _at(h, on)]
    settings = []
    for group in _groups(things):
        boxes = [f.box for f in group]
        at = [h for h in hands if _at(h, boxes)]
        if sum(f.label != ObjectLabel.VASE for f in group) >= (1 if at else 2):
            settings.append(boxes + at)
    return max(settings, key=lambda boxes: sum(map(_area, boxes)), default=[])


def _near(a: Box, b: Box) -> bool:
    """Whether two boxes are next to each other: the gap between them, across or down, is at most
    the longer side of the larger."""
    gap = max(0, max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2]), max(a[1], b[1]) - min(a[1] + a[3], b[1] + b[3]))
    larger = a if _area(a) >= _area(b) else b
    return gap <= max(larger[2], larger[3])


def _at(hand: Box, things: list[Box]) -> bool:
    """Whether a hand is next to any of `things`: holding, reaching for or resting beside it."""
    return any(_near(hand, t) for t in things)


def _groups(things: list[Finding]) -> list[list[Finding]]:
    """The things in groups of things next to each other (each next to another of its group)."""
    groups: list[list[Finding]] = []
    for f in things:
        linked = [g for g in groups if any(_near(f.box, o.box) for o in g)]
        groups = [g for g in groups if g not in linked] + [[f, *(o for g in linked for o in g)]]
    return groups


def _search(
    subject: str, aspect: str, parts: list[Box], avoid: list[Box], width: int, height: int, min_side: int
) -> list[Composition]:
    """Crops of one aspect ratio around the whole subject or any part of it that touch nothing in
    `avoid`, each scored by the share of the whole subject it holds. In order of preference: the
    whole subject before a part, the intended framing before a wider or tighter one, centred first."""
    ratio = ASPECTS[aspect]
    total = sum(_area(p) for p in parts)
    whole = parts[0]
    for b in parts[1:]:
        whole = union_box(whole, b)
    targets = [whole] + sorted(parts, key=_area, reverse=True) * (len(parts) > 1)
    targets = [t for t in (_clear_part(t, avoid) for t in targets) if t]
    found = []
    for tx, ty, tw, th in targets:
        fit = max(th, tw / ratio)  # the height of the tightest crop around the target
        for zoom in (CONTEXT[subject], CONTEXT[subject] * 1.5, CONTEXT[subject] / 1.5, 1.0):
            ch = min(max(fit * zoom, min_side / min(1.0, ratio)), height, width / ratio)
            cw, ch = round(ch * ratio), round(ch)
            if cw < tw or ch < th or min(cw, ch) < min_side:
                continue
            for x in _positions(tx, tw, cw, width):
                for y in _positions(ty, th, ch, height):
                    crop = (x, y, cw, ch)
                    if not any(overlap(crop, a) for a in avoid):
                        held = sum(overlap(crop, p) for p in parts) / total
                        found.append(Composition(subject, aspect, crop, round(held, 3)))
    return found


def _clear_part(target: Box, avoid: list[Box]) -> Box | None:
    """The target, or the larger part of it left when the edge that reaches into a region to
    avoid (a hand raised to a chin) is cut off; None when less than half of it is left."""
    x, y, w, h = target
    for ax, ay, aw, ah in avoid:
        if not overlap((x, y, w, h), (ax, ay, aw, ah)):
            continue
        keep = [  # what is left beside the region: below, above, right, left of it
            (x, ay + ah, w, y + h - ay - ah),
            (x, y, w, ay - y),
            (ax + aw, y, x + w - ax - aw, h),
            (x, y, ax - x, h),
        ]
        x, y, w, h = max(keep, key=lambda b: min(b[2], b[3]) > 0 and b[2] * b[3])
        if w <= 0 or h <= 0:
            return None
    return (x, y, w, h) if w * h >= 0.5 * target[2] * target[3] else None


def _positions(start: int, size: int, span: int, limit: int) -> list[int]:
    """Where a window of `span` px can start so that it holds [start, start + size) and stays
    within [0, limit): centred first, then toward either side."""
    low, high = max(0, start + size - span), min(start, limit - span)
    if low > high:
        return []
    middle = round(start + size / 2 - span / 2)
    steps = [min(max(middle, low), high), low, high, round(low + (high - low) / 4), round(high - (high - low) / 4)]
    return list(dict.fromkeys(steps))


def _area(box: Box) -> int:
    return box[2] * box[3]


def _grown(box: Box) -> Box:
    x, y, w, h = box
    mx, my = max(12, w * MARGIN), max(12, h * MARGIN)
    return (round(x - mx), round(y - my), round(w + 2 * mx), round(h + 2 * my))
