"""Redaction destroys what was in the face box, for every style and shape, and nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from privacyscreen import redact
from privacyscreen.findings import Shape, Style

from .conftest import pixels


@pytest.mark.parametrize("style", list(Style))
@pytest.mark.parametrize("shape", list(Shape))
def test_every_style_leaves_almost_no_information_in_the_face_box(portrait, style, shape):
    img = pixels(portrait)
    box = (180, 60, 110, 130)  # the astronaut's face
    out = redact.redact(img, [box], style, shape)
    x, y, w, h = box
    before, after = img[y : y + h, x : x + w], out[y : y + h, x : x + w]
    assert np.abs(after.astype(int) - before).mean() > 10
    # a light blur keeps fine detail a model can use; ours keeps almost none (pixelate: cell edges only)
    assert detail(after) < 0.25 * detail(before), f"{style}/{shape} keeps detail {detail(after):.2f}"
    if style != "fill":
        # far from the box the photo is untouched
        assert (out[400:, :] == img[400:, :]).all()


def detail(region: np.ndarray) -> float:
    """Mean horizontal gradient: how much fine structure a region holds."""
    return float(np.abs(np.diff(region.astype(float), axis=1)).mean())


def test_grow_adds_a_margin_that_grows_with_the_face():
    small, large = redact.grow((100, 100, 10, 10), 1.5), redact.grow((100, 100, 200, 200), 1.5)
    assert small[2] >= 18  # at least 4 px each side
    assert large[2] == 300 and large[0] == 50


def test_boxes_at_the_edge_of_the_photo_are_redacted_without_error(portrait):
    img = pixels(portrait)
    out = redact.redact(img, [(-20, -20, 60, 60), (img.shape[1] - 30, img.shape[0] - 30, 80, 80)])
    assert out.shape == img.shape
    assert not (out[:30, :30] == img[:30, :30]).all()


def test_a_face_cut_by_the_frame_is_redacted_up_to_the_edge(portrait):
    img = pixels(portrait)
    w = img.shape[1]
    out = redact.redact(img, [(w - 40, 100, 40, 60)], "fill", "ellipse")
    # between the face box and the right edge of the photo nothing of the original remains
    assert (out[100:160, w - 40 :] == 0).all()
    # an ellipse would have left the corners of its bounding box untouched
    assert (out[100 - 10, w - 1] == 0).all()


def test_apply_redacts_what_the_policy_marked_faces_as_ellipses_and_text_as_boxes(portrait):
    from privacyscreen.findings import Finding

    img = pixels(portrait)
    face = Finding("face", (180, 60, 110, 130), 0.9, "t", "redacted")
    text = Finding("text", (20, 400, 160, 40), 0.9, "t", "redacted", "name")
    body = Finding("person", (100, 0, 300, 512), 0.9, "t", "kept")
    out = redact.apply(img, [face, text, body], "fill", "ellipse")
    assert (out[400:440, 20:180] == 0).all() and (out[396, 10] == 0).all()  # the text box and its margin, corners too
    fx, fy = face.box[0] - 25, face.box[1] - 30  # inside the grown face box, outside its ellipse
    assert (out[fy, fx] == img[fy, fx]).all() and (out[125, 235] == 0).all()
    assert (out[300:380, 300:400] == img[300:380, 300:400]).all()  # the kept body is not touched
