"""Recall first: a doubtful face is redacted, small faces are looked at enlarged, a face cut by the
frame is found, and a person in any posture means the photo has people in it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from privacyscreen import photo
from privacyscreen.detectors import centerface
from privacyscreen.findings import contains_center, iou, overlap
from privacyscreen.policy import Policy, Verdict
from privacyscreen.screen import Screener, Settings

from .conftest import media, pixels
from .test_detect import ASTRONAUT_FACE


def covered(face: tuple[int, int, int, int], findings) -> float:
    """Share of `face` inside the redacted faces and heads."""
    x, y, w, h = face
    mask = np.zeros((h, w), bool)
    for f in findings:
        if f.kind in ("face", "head") and f.action == "redacted" and overlap(f.box, face):
            fx, fy, fw, fh = f.box
            mask[max(0, fy - y) : max(0, fy + fh - y), max(0, fx - x) : max(0, fx + fw - x)] = True
    return float(mask.mean())


def centerface_of(screener) -> centerface.CenterFace:
    return next(d for d in screener.detectors if d.name == "centerface")


def test_a_masked_face_scoring_under_a_half_is_redacted(screener, tmp_path):
    """The surgeon upside down at the top of the ring scores 0.2 to 0.3; a closer look once dropped her."""
    path = media("masked_surgeons_faces_from_below.jpg")
    face = (656, 128, 288, 416)  # drawn by eye on the upright photo
    result = screener.screen(path, tmp_path / "surgeons", None)
    assert covered(face, result.findings) >= 0.6
    scores = [f.score for f in centerface_of(screener).detect(photo.load(path).pixels) if contains_center(face, f.box)]
    assert scores and max(scores) < 0.5


def small_face_photo(portrait: Path, no_people: Path) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A 1200 x 900 scene (1.1 MP) with the portrait pasted so its face is 10 px high."""
    canvas = Image.open(no_people).convert("RGB").resize((1200, 900))
    canvas.paste(Image.open(portrait).convert("RGB").resize((40, 40)), (600, 400))
    x, y, w, h = (round(v * 40 / 512) for v in ASTRONAUT_FACE)
    return np.asarray(canvas), (600 + x, 400 + y, w, h)


def test_a_small_face_is_found_only_when_the_photo_is_seen_enlarged(screener, portrait, no_people, monkeypatch):
    img, face = small_face_photo(portrait, no_people)
    detector = centerface_of(screener)
    assert any(overlap(f.box, face) >= 0.5 * face[2] * face[3] for f in detector.detect(img))
    monkeypatch.setattr(centerface, "ENLARGE", 1.0)
    assert not any(overlap(f.box, face) for f in detector.detect(img))


def test_a_face_cut_by_the_frame_is_found(screener, portrait, monkeypatch):
    """Three fifths of the astronaut's face lie beyond the left edge; the border around the coarse view
    finds the rest (without it, less than half of what is left is covered; the mirrored view, which
    finds it too, is left out here)."""
    x, y, w, h = ASTRONAUT_FACE
    cut = x + w * 3 // 5
    img, rest = np.ascontiguousarray(pixels(portrait)[:, cut:]), (0, y, x + w - cut, h)
    detector = centerface_of(screener)
    monkeypatch.setattr(detector, "_mirrored", lambda small: [])

    def found() -> bool:
        return any(overlap(f.box, rest) >= 0.55 * rest[2] * rest[3] for f in detector.detect(img))

    assert found()
    monkeypatch.setattr(centerface, "BORDER", 0.0)
    assert not found()


@pytest.fixture(scope="module")
def strict():
    with Screener(Settings(policy=Policy.load("strict"))) as s:
        yield s


def test_a_worker_bent_over_into_a_cabinet_is_a_body_seen_from_behind(strict, tmp_path):
    """No face and no upright body: the pose model sees him only in the photo turned upside down."""
    result = strict.screen(media("worker_bent_over_no_face.jpg"), tmp_path / "worker", tmp_path / "held")
    assert result.verdict == Verdict.NEEDS_CONSENT
    assert any(f.kind == "person" and f.label == "back" for f in result.findings)


def test_hands_holding_a_phone_in_front_of_a_white_coat_are_someone(screener, tmp_path):
    result = screener.screen(media("hands_phone_name_badge_no_face.jpg"), tmp_path / "hands", None)
    assert result.verdict not in (Verdict.NO_PEOPLE, "error")
    assert result.verdict == Verdict.ANONYMIZED  # standard policy: hiding what identifies is enough


def test_a_lone_doubtful_face_is_dropped_only_when_a_closer_look_sees_no_face(screener, portrait, no_people):
    """Latte art scores 0.34 and nothing else in the photo is human: the closer look sees no face and
    the cup stays sharp. A 10 px face alone in a scene scores 0.35 too, and the closer look keeps it."""
    latte = [f for f in centerface_of(screener).detect(pixels(no_people)) if f.kind == "face"]
    assert latte and max(f.score for f in latte) < 0.5
    assert [f for f in screener.find(pixels(no_people)) if f.kind == "face"] == []
    canvas = Image.open(no_people).convert("RGB").resize((1200, 900))
    canvas.paste(Image.open(portrait).convert("RGB").resize((40, 40)), (200, 700))
    face = (214, 705, 9, 10)
    found = [f for f in screener.find(np.asarray(canvas)) if f.kind == "face" and overlap(f.box, face)]
    assert found and max(f.score for f in found) < 0.5


def test_the_mirrored_view_puts_its_faces_back_where_they_are(screener, portrait):
    """CenterFace also looks at the photo mirrored (a masked face half hidden behind a microphone
    scored over 0.2 only that way round on ../shared/eval/); what it finds there is mapped back:
    on the astronaut mirrored, the mirrored view finds her face where it is in the photo."""
    img = pixels(portrait)
    detector = centerface_of(screener)
    [upright] = [f for f in detector._run(img) if overlap(f.box, ASTRONAUT_FACE)]
    [mirrored] = [f for f in detector._mirrored(np.ascontiguousarray(img[:, ::-1])) if f.score > 0.5]
    x, y, w, h = mirrored.box
    assert iou((img.shape[1] - x - w, y, w, h), upright.box) > 0.9
