"""Faces are found in real photos, from close-ups down to about 16 px, and not where there are none."""

from __future__ import annotations

import numpy as np
from PIL import Image

from privacyscreen.findings import iou

from .conftest import pixels

ASTRONAUT_FACE = (180, 60, 110, 130)


def faces(screener, img):
    return [f for f in screener.find(img) if f.kind == "face"]


def test_the_face_in_a_portrait_is_found(screener, portrait):
    found = faces(screener, pixels(portrait))
    assert len(found) == 1
    assert iou(found[0].box, ASTRONAUT_FACE) > 0.4


def test_no_face_is_found_in_a_photo_without_people(screener, no_people):
    assert faces(screener, pixels(no_people)) == []


def test_a_full_frame_close_up_is_found(screener, portrait):
    x, y, w, h = ASTRONAUT_FACE
    close_up = np.asarray(
        Image.fromarray(pixels(portrait)[y - 20 : y + h + 20, x - 20 : x + w + 20]).resize((1200, 1400))
    )
    found = faces(screener, close_up)
    assert found and max(f.box[2] * f.box[3] for f in found) > 0.3 * 1200 * 1400


def test_small_faces_in_a_12_megapixel_photo_are_found(screener, portrait, no_people):
    """The portrait shrunk so the face is about 20 px high, pasted into a 4000 x 3000 scene."""
    canvas = Image.open(no_people).convert("RGB").resize((4000, 3000))
    small = Image.open(portrait).convert("RGB").resize((80, 80))  # face ~ 20 px
    spots = [(300, 2500), (2000, 1500), (3700, 200)]
    for spot in spots:
        canvas.paste(small, spot)
    found = faces(screener, np.asarray(canvas))
    for sx, sy in spots:
        face = (sx + 28, sy + 9, 17, 21)
        assert any(iou(f.box, face) > 0.2 or _covers(f.box, face) for f in found), f"missed face at {spot}"


def _covers(box, face):
    x, y, w, h = face
    return box[0] <= x + w / 2 <= box[0] + box[2] and box[1] <= y + h / 2 <= box[1] + box[3]


def test_the_face_of_someone_lying_down_is_found(screener, portrait):
    """A client in bed: the face is sideways in the photo."""
    img = pixels(portrait)
    for quarters in (1, 3):
        turned = np.ascontiguousarray(np.rot90(img, k=-quarters))
        found = faces(screener, turned)
        x, y, w, h = ASTRONAUT_FACE
        face = (img.shape[0] - y - h, x, h, w) if quarters == 1 else (y, img.shape[1] - x - w, h, w)
        assert any(iou(f.box, face) > 0.4 for f in found), (quarters, [f.box for f in found])


def test_what_a_tile_sees_is_moved_into_the_photo_whole():
    """Every detector tiles with one helper; a box reaching past a tile's edge (a head cut by it) keeps
    its size, and boxes round outwards also left of and above the photo."""
    from privacyscreen.detectors._pixels import tiled, tiles
    from privacyscreen.findings import Finding, Kind, shifted, to_box

    img = np.zeros((100, 300, 3), np.uint8)

    def look(part):
        return [Finding(Kind.HEAD, (-5, 10, 20, 20), 0.9, "test")]

    found = tiled(img, 120, 40, look, shifted)
    assert [f.box for f in found] == [(x0 - 5, y0 + 10, 20, 20) for x0, y0, _, _ in tiles(100, 300, 120, 40)]
    assert tiled(img[:, :100], 120, 40, look, shifted) == []  # one tile covers it: the caller looked at it whole
    assert [f.box for f in tiled(img[:, :100], 120, 40, look, shifted, whole=True)] == [(-5, 10, 20, 20)]
    assert to_box(-2.5, -0.5, 1.0, 1.0) == (-3, -1, 2, 2)
