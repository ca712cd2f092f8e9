"""The one thing every stage talks about: a Finding, a region of a photo that may identify someone (or, an
OBJECT, a thing on a table that a composition may show)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal, TypeAlias

Box = tuple[int, int, int, int]  # x, y, width, height in pixels of the photo as displayed



class Kind(StrEnum):
    """What a finding is."""

    FACE = "face"  # a face, any angle, any size
    HEAD = "head"  # where a person's head is, from the body's landmarks (also when the face is turned away)
    PERSON = "person"  # a whole body, from the pose landmarks
    FIGURE = "figure"  # someone's outline, whole or in part (a back, legs, arms): someone is there
    FEET = "feet"  # both feet and ankles of one person
    HAND = "hand"  # one hand
    TEXT = "text"  # a line of readable text; `label` says what kind
    DRAWN = "drawn"  # a region a reviewer hid by hand; `label` is the Shape it was drawn in
    OBJECT = "object"  # a thing on a table: a cup, a bowl or plate, food, the table itself; `label` says which


class TextLabel(StrEnum):
    """What kind of text a line of text is (never what it says)."""

    NAME = "name"  # personal: name, date, phone, email, number, bsn, plate
    DATE = "date"
    PHONE = "phone"
    EMAIL = "email"
    NUMBER = "number"
    BSN = "bsn"
    PLATE = "plate"
    DOCUMENT = "document"  # a line in a block of text such as a care plan or a letter
    UNREADABLE = "unreadable"  # text that could not be read with confidence
    GENERAL = "general"  # signage, slogans, brand names
    ALLOWED = "allowed"  # on the policy's allow-list (the organisation's name, campaign hashtags)


class BodyLabel(StrEnum):
    """How a person is seen."""

    BACK = "back"  # from behind: the face is not seen, the person is there


class ObjectLabel(StrEnum):
    """What a thing on a table is (an OBJECT finding): never redacted, never a person."""

    CUP = "cup"  # a cup or mug (a tumbler too)
    GLASS = "glass"  # a wine glass
    BOTTLE = "bottle"
    BOWL = "bowl"  # a bowl, a saucer, a deep plate
    CUTLERY = "cutlery"  # a fork, knife or spoon
    FOOD = "food"  # fruit, a sandwich, vegetables, pizza, a doughnut, cake
    VASE = "vase"
    TABLE = "table"  # the dining table itself


class Action(StrEnum):
    """What happens to a finding: pending until the policy decides."""

    PENDING = "pending"
    REDACTED = "redacted"
    KEPT = "kept"


class Style(StrEnum):
    """How a redacted finding is made unrecognisable (see redact.py)."""

    BLUR = "blur"
    PIXELATE = "pixelate"
    FILL = "fill"


class Shape(StrEnum):
    """The shape a redacted face or head is hidden in; text is always hidden in a box."""

    ELLIPSE = "ellipse"
    BOX = "box"


Label: TypeAlias = TextLabel | BodyLabel | ObjectLabel | Shape | Literal[""]  # "": nothing more to say


def label_of(kind: Kind, label: str) -> Label:
    """A finding's label as its type, from the word a report gives it."""
    if not label:
        return ""
    if kind == Kind.TEXT:
        return TextLabel(label)
    if kind == Kind.OBJECT:
        return ObjectLabel(label)
    return Shape(label) if kind == Kind.DRAWN else BodyLabel(label)


@dataclass(frozen=True)
class Finding:
    """Something a detector saw. Policy later sets `action` to REDACTED or KEPT."""

    kind: Kind  # what was seen
    box: Box
    score: float
    detector: str
    action: Action = Action.PENDING
    label: Label = ""  # kind of text (TextLabel), how a person is seen, a drawn shape, a thing; never what text says
    track: int | None = None  # in a clip: the number of the track it sums up (see tracks.py) ...
    frames: tuple[int, int] | None = None  # ... and the first and last frame it was seen in
    consent: str = ""  # a face a reviewer keeps visible: the ID of the consent form that person signed

    def with_action(self, action: Action) -> Finding:
        return replace(self, action=action)

    def to_dict(self) -> dict:
        d = {
            "kind": self.kind,
            "box": list(self.box),
            "score": round(self.score, 3),
            "detector": self.detector,
            "action": self.action,
        }
        d |= {"label": self.label} if self.label else {}
        d |= {"consent": self.consent} if self.consent else {}
        return d | ({"track": self.track, "frames": list(self.frames)} if self.frames else {})

    @classmethod
    def from_dict(cls, d: dict) -> Finding:
        """A finding as `to_dict` wrote it into a report."""
        kind = Kind(d["kind"])
        x, y, w, h = d["box"]
        frames = (d["frames"][0], d["frames"][1]) if d.get("frames") else None
        return cls(kind, (x, y, w, h), d["score"], d["detector"], Action(d["action"]),
                   label_of(kind, d.get("label", "")), d.get("track"), frames, d.get("consent", ""))  # fmt: skip


DOUBTFUL = 0.5  # a face one detector alone saw, scoring less than this, may be no face at all


def doubtful(f: Finding) -> bool:
    """A face only one detector saw, and with a low score: masked, small, or latte art in a cup."""
    return f.kind == Kind.FACE and "+" not in f.detector and f.score < DOUBTFUL


def overlap(a: Box, b: Box) -> int:
    """Area (px) two boxes share."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    inter = overlap(a, b)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def contains_center(outer: Box, inner: Box) -> bool:
    cx, cy = inner[0] + inner[2] / 2, inner[1] + inner[3] / 2
    return outer[0] <= cx <= outer[0] + outer[2] and outer[1] <= cy <= outer[1] + outer[3]


def union_box(a: Box, b: Box) -> Box:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (x0, y0, x1 - x0, y1 - y0)


def clip(box: Box, width: int, height: int) -> Box:
    x0, y0 = max(0, box[0]), max(0, box[1])
    x1, y1 = min(width, box[0] + box[2]), min(height, box[1] + box[3])
    return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def clipped(findings: list[Finding], width: int, height: int) -> list[Finding]:
    """The findings with their boxes clipped to a `width` x `height` photo; those left empty dropped."""
    inside = (replace(f, box=clip(f.box, width, height)) for f in findings)
    return [f for f in inside if f.box[2] and f.box[3]]


def pad(box: Box, by: float) -> Box:
    """The box grown by `by` pixels on every side, rounded outwards to whole pixels."""
    x, y, w, h = box
    return to_box(x - by, y - by, w + 2 * by, h + 2 * by)


def to_box(x: float, y: float, w: float, h: float) -> Box:
    """Round a float box outwards to whole pixels (also where it lies left of or above the photo)."""
    x0, y0 = math.floor(x), math.floor(y)
    return (x0, y0, math.ceil(x + w) - x0, math.ceil(y + h) - y0)


def shifted(f: Finding, dx: int, dy: int) -> Finding:
    """The finding with its box moved by dx, dy pixels."""
    x, y, w, h = f.box
    return replace(f, box=(x + dx, y + dy, w, h))


def scaled(f: Finding, by: float) -> Finding:
    """The finding with its box in pixels `by` times as large, rounded outwards."""
    x, y, w, h = f.box
    return f if by == 1.0 else replace(f, box=to_box(x * by, y * by, w * by, h * by))


def merge(findings: list[Finding], threshold: float = 0.3) -> list[Finding]:
    """Merge findings of one kind (and label) that describe the same region (from several detectors,
    scales or tiles) into one finding whose box covers all of them: for privacy a merged
    box may only grow, never shrink."""
    merged: list[Finding] = []
    for f in sorted(findings, key=lambda f: -f.score):
        for i, m in enumerate(merged):
            if (m.kind, m.label) == (f.kind, f.label) and (
                iou(m.box, f.box) >= threshold or contains_center(m.box, f.box) or contains_center(f.box, m.box)
            ):
                detectors = m.detector if f.detector in m.detector.split("+") else f"{m.detector}+{f.detector}"
                merged[i] = replace(m, box=union_box(m.box, f.box), detector=detectors)
                break
        else:
            merged.append(f)
    return merged
