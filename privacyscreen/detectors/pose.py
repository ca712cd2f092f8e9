"""Persons from their body (MediaPipe PoseLandmarker: BlazePose detector + 33 landmarks, Apache-2.0).

For each body seen: a `person` box around the whole outline, a `head` box where the face is
or would be (also when it is turned away), and a `feet` box when ankles and feet are visible.
A person seen from behind is labelled "back": a photo with such a person is not "no people".

The detector sees its input squeezed to 224 px, so bodies are searched in the whole photo, in
640 px tiles of a 1280 px copy, and in 288 px tiles of a 960 px copy for small standing people.
When none of those shows a body, the whole photo is searched again turned a quarter both ways
and upside down: a worker bent over into a cabinet, someone lying down, a close-up of a torso
(on the benchmark's 55 people-free photos these turned views found no body). Not in a
composition's crop: turned over, a hand or a glass on a table makes a body with its head there,
and the photo the crop is cut from was searched whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

import numpy as np
from mediapipe.tasks.python import vision

from ..findings import BodyLabel, Finding, Kind, clipped, merge, scaled, shifted, to_box
from . import Detector
from ._native import mediapipe_image, mediapipe_task, quiet
from ._pixels import reduced, tiled, turns, unturn

MAX_SIDE = 1280  # the copy the bodies are searched in (the detector itself sees 224 px)
TILE, OVERLAP = 640, 200  # tiles of the copy, for people too small for the whole view
# small tiles of a smaller copy, for whole people ~60-150 px tall in it (the pedestrians of bench/behind/)
FINE_SIDE, FINE_TILE, FINE_OVERLAP = 960, 288, 96
# a standing body, from the top: nose to shoulders, shoulders to hips (upright torso), hips to knees, knees
# to ankles drop at least these shares of the torso's length (people in bench/behind/: 0.15, 0.84, 0.33, 0.31)
DROPS = (0.1, 0.8, 0.25, 0.25)
SEEN = 0.5  # visibility (and presence in the frame) from which a landmark counts as seen
HEAD, FEET, NOSE, SHOULDERS, HIPS, KNEES, ANKLES = (
    range(0, 11),
    range(27, 33),
    0,
    (11, 12),
    (23, 24),
    (25, 26),
    (27, 28),
)


class Pose(Detector):
    name = "pose"

    def __init__(self, threads: int = 0, policy: object = None, threshold: float = 0.5):
        """`threads` is not used: MediaPipe Tasks picks its own."""
        self.landmarker = mediapipe_task(
            vision.PoseLandmarker, vision.PoseLandmarkerOptions, "pose_landmarker.task",
            num_poses=10, min_pose_detection_confidence=threshold, min_pose_presence_confidence=threshold,
        )  # fmt: skip

    def detect(self, pixels: np.ndarray) -> list[Finding]:
        small, scale = reduced(pixels, MAX_SIDE)
        found = self._upright(small, scale, pixels.shape)
        if not any(f.kind == Kind.PERSON for f in found):
            found = merge(found + self._turned(small, scale, pixels.shape))
        return found

    def detect_crop(self, pixels: np.ndarray) -> list[Finding]:
        """Bodies in the upright views only."""
        return self._upright(*reduced(pixels, MAX_SIDE), pixels.shape)

    def _upright(self, small: np.ndarray, scale: float, shape: tuple[int, ...]) -> list[Finding]:
        """Bodies in the upright views of `small`, a copy of a photo of `shape` reduced by `scale`, in
        pixels of the photo."""
        fine, shrink = reduced(small, FINE_SIDE)  # from the copy: a 50-MP photo is not read again
        found = self._poses(small, anybody) + tiled(small, TILE, OVERLAP, partial(self._poses, counts=upper_body),
                                                    shifted)  # fmt: skip
        found = [scaled(f, 1 / scale) for f in found] + [
            scaled(f, 1 / (scale * shrink))
            for f in tiled(fine, FINE_TILE, FINE_OVERLAP, partial(self._poses, counts=standing), shifted)
        ]
        return merge(clipped(found, shape[1], shape[0]))

    def _turned(self, small: np.ndarray, scale: float, shape: tuple[int, ...]) -> list[Finding]:
        """Bodies in `small` turned a quarter both ways and upside down, in pixels of the photo; only
        those whose landmarks are seen (turned over, a cat's fur can look like a body)."""
        sh, sw = small.shape[:2]
        found = [
            scaled(replace(f, box=unturn(f.box, quarters, sw, sh)), 1 / scale)
            for quarters, turned in turns(small, (1, 2, 3))
            for f in self._poses(turned, anybody)
            if f.score >= SEEN  # not a body made up of landmarks hardly seen (a cat's fur turned over)
        ]
        return clipped(found, shape[1], shape[0])

    def _poses(self, part: np.ndarray, counts: Callable) -> list[Finding]:
        """Findings for each body in `part` for which `counts(points)` holds, in its own pixels (a box may
        reach beyond its edges)."""
        ph, pw = part.shape[:2]
        with quiet():
            result = self.landmarker.detect(mediapipe_image(part))
        out = []
        for landmarks in result.pose_landmarks:
            points = np.array(
                [
                    (lm.x * pw, lm.y * ph, lm.z, min(lm.visibility, lm.presence))
                    for lm in landmarks
                ]
            )
            if counts(points):
                out += body(points, self.name)
        return out

    def close(self) -> None:
        """Release the native task; must run before interpreter shutdown."""
        with quiet():
            self.landmarker.close()


def anybody(points: np.ndarray) -> bool:
    """Any body the whole photo shows counts."""
    return True


def upper_body(points: np.ndarray) -> bool:
    """Nose and both shoulders seen: a tile showing only a sleeve or a helmet otherwise gives made-up bodies."""
    return bool((points[[NOSE, *SHOULDERS], 3] >= SEEN).all())


def standing(points: np.ndarray) -> bool:
    """A standing or walking body: nose, shoulders, hips and both knees or an ankle seen, and from the top
    nose, shoulders, hips, knees and ankles in that order, the torso upright and longer than the shoulders
    are wide (people: up to 0.9). Small tiles of animals, faces, plants and objects give bodies that fail
    this (measured on the benchmark's people-free photos)."""
    seen = points[:, 3] >= SEEN
    if not (upper_body(points) and seen[list(HIPS)].all() and (seen[list(KNEES)].all() or seen[list(ANKLES)].any())):
        return False
    xy = points[:, :2]
    shoulders, hips, knees, ankles = (xy[list(pair)].mean(axis=0) for pair in (SHOULDERS, HIPS, KNEES, ANKLES))
    torso = float(np.hypot(*(hips - shoulders)))
    drops = np.array([shoulders[1] - xy[NOSE][1], hips[1] - shoulders[1], knees[1] - hips[1], ankles[1] - knees[1]])
    width = float(np.hypot(*(xy[SHOULDERS[0]] - xy[SHOULDERS[1]])))
    return 0 < width <= torso and bool((drops >= np.array(DROPS) * torso).all())


def body(points: np.ndarray, name: str) -> list[Finding]:
    """person, head and feet of one body from its 33 landmarks: rows of x, y (pixels), z (depth,
    smaller is nearer the camera) and how surely the landmark is seen (visible and in the frame).
    The boxes may reach beyond the frame: the caller clips them to the photo."""
    xy, visibility = points[:, :2], points[:, 3]
    seen = visibility >= SEEN
    score = float(np.sort(visibility)[-5:].mean())
    head = xy[list(HEAD)]
    # measured on the benchmark photos: covers >= 90 % of 97 % of the faces, about 3x the face's area
    side = max(1.3 * float(np.hypot(*(xy[7] - xy[8]))), 0.5 * float(np.hypot(*(xy[11] - xy[12]))),
               2.0 * float(np.ptp(head, axis=0).max()))  # fmt: skip
    cx, cy = head.mean(axis=0)
    head_box = (cx - side / 2, cy - 0.8 * side, side, 1.4 * side)
    out = [Finding(Kind.HEAD, to_box(*head_box), score, name)]

    outline = np.vstack([xy[seen], [head_box[:2], (head_box[0] + side, head_box[1] + head_box[3])]])
    (x0, y0), (x1, y1) = outline.min(axis=0), outline.max(axis=0)
    m = 0.1 * max(x1 - x0, y1 - y0)  # landmarks are joints: the outline lies outside them
    box = to_box(x0 - m, y0 - m, x1 - x0 + 2 * m, y1 - y0 + 2 * m)
    out.append(Finding(Kind.PERSON, box, score, name, label=BodyLabel.BACK if from_behind(points) else ""))

    feet = [i for i in FEET if seen[i]]
    if len(feet) >= 3 and standing_legs(points):
        (x0, y0), (x1, y1) = xy[feet].min(axis=0), xy[feet].max(axis=0)
        m = 0.5 * side
        box = to_box(x0 - m, y0 - m, x1 - x0 + 2 * m, y1 - y0 + 2 * m)
        out.append(Finding(Kind.FEET, box, float(visibility[feet].mean()), name))
    return out


def standing_legs(points: np.ndarray) -> bool:
    """Whether the feet are really seen: both knees seen and the shins at least half as long as the
    torso (on the benchmark photos true feet measured 0.51-0.75; the guessed feet of people sitting
    at a table or of a portrait cut off at the waist 0.22-0.45)."""
    y, seen = points[:, 1], points[:, 3] >= SEEN
    shins = y[[27, 28]].mean() - y[[25, 26]].mean()
    torso = y[[23, 24]].mean() - y[[11, 12]].mean()
    return bool(seen[[25, 26]].all() and torso > 0 and shins >= 0.5 * torso)


def from_behind(points: np.ndarray) -> bool:
    """Seen from behind: the left shoulder is left in the photo (mirrored from a frontal view) and
    the nose is no nearer the camera than the shoulders. Pose visibility does not tell: the model
    reports eyes and nose as visible on the back of a head."""
    left, right = points[11], points[12]
    return left[0] < right[0] and points[NOSE][2] >= (left[2] + right[2]) / 2
