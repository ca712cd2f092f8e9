"""Compositions: the crop search keeps clear of faces and personal text, at posting aspect ratios."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from privacyscreen import compose
from privacyscreen.findings import Action, Finding, Kind, overlap
from privacyscreen.policy import Policy


def finding(kind: str, box, label: str = "", action: str = "pending") -> Finding:
    return Finding(kind, box, 0.9, "test", action, label)


# a care moment, 3000 x 2000: a client's face top left, a carer's top right, hands and feet below
FACES = [
    finding("face", (600, 200, 180, 220)),
    finding("head", (560, 140, 260, 330)),
    finding("face", (2200, 300, 60, 70)),
]
HANDS = [finding("hand", (1200, 1100, 160, 140)), finding("hand", (1500, 1150, 170, 150))]
FEET = [finding("feet", (1300, 1750, 420, 180))]
BADGE = finding("text", (1450, 700, 160, 40), "name", "redacted")


def test_each_subject_gets_its_best_crop_clear_of_every_face_and_redacted_text():
    found = compose.propose(FACES + HANDS + FEET + [BADGE], 3000, 2000)
    assert list(found) == ["hands", "feet", "table"]
    for subject, candidates in found.items():
        assert candidates[0].held >= 0.95 and len(candidates) <= compose.TRIES
        assert not any(compose.repeats(a.crop, b.crop) for i, a in enumerate(candidates) for b in candidates[:i])
        for c in candidates:
            assert c.subject == subject and min(c.crop[2], c.crop[3]) >= compose.MIN_SIDE
            for f in FACES + [BADGE]:
                assert overlap(c.crop, compose._grown(f.box)) == 0, (c, f)


def test_crops_have_the_aspect_ratio_asked_for():
    for aspect, ratio in compose.ASPECTS.items():
        for c in compose.propose(FACES + HANDS, 3000, 2000, aspects=(aspect,))["hands"]:
            assert c.aspect == aspect and abs(c.crop[2] / c.crop[3] - ratio) < 0.01


def test_no_composition_when_the_hands_are_at_the_face_or_the_photo_is_too_small():
    at_face = [finding("face", (1000, 800, 300, 360)), finding("hand", (1100, 1170, 150, 120))]
    assert compose.propose(at_face, 3000, 2000) == {}
    assert compose.propose(FACES + HANDS, 3000, 2000, min_side=2500) == {}
    assert compose.subjects(at_face) == {"hands": [(1100, 1170, 150, 120)], "table": [(1100, 1170, 150, 120)]}
    assert compose.subjects(FACES) == {}  # nothing to compose: no hands, no feet


def test_the_table_is_only_where_hands_are_below_every_head():
    raised = [finding("hand", (300, 100, 120, 120))]  # a hand waving at head height
    assert "table" not in compose.subjects(FACES + raised)
    assert compose.subjects(FACES + HANDS)["table"] == [h.box for h in HANDS]


boxes = st.tuples(st.integers(0, 2900), st.integers(0, 1900), st.integers(8, 600), st.integers(8, 600))


@settings(max_examples=300, deadline=None)
@given(
    faces=st.lists(boxes, max_size=6), hands=st.lists(boxes, min_size=1, max_size=4), feet=st.lists(boxes, max_size=2)
)
def test_no_crop_ever_touches_a_face_whatever_the_layout(faces, hands, feet):
    findings = [finding("face", b) for b in faces] + [finding("hand", b) for b in hands]
    findings += [finding("feet", b) for b in feet]
    for c in (c for candidates in compose.propose(findings, 3000, 2000, min_side=200).values() for c in candidates):
        x, y, w, h = c.crop
        assert 0 <= x and 0 <= y and x + w <= 3000 and y + h <= 2000
        assert all(overlap(c.crop, compose._grown(b)) == 0 for b in faces)


def test_a_crop_holds_at_most_half_of_anyones_body():
    body = finding("person", (1000, 100, 900, 1900))  # someone standing, hands at their sides
    hands = [finding("hand", (1000, 1000, 150, 150)), finding("hand", (1750, 1000, 150, 150))]
    face = finding("face", (1350, 150, 200, 240))
    assert compose.propose([face] + hands, 3000, 2000)  # without the body: the torso with both hands
    for c in compose.propose([face, body] + hands, 3000, 2000).get("hands", []):
        assert overlap(c.crop, body.box) <= 0.5 * 900 * 1900


def test_a_table_that_is_mostly_the_hands_crop_repeats_it():
    low_hands = [finding("hand", (1200, 1600, 160, 140)), finding("hand", (1500, 1650, 170, 150))]
    found = compose.propose(FACES + low_hands, 3000, 2000)
    assert compose.repeats(found["table"][0].crop, found["hands"][0].crop)
    assert not compose.repeats(found["hands"][0].crop, (0, 0, 500, 500))


# On real photos, screened again by the real models. These place a hand finding by hand; tests/test_body.py
# finds real hands on the benchmark photos.


def compose_on(screener, path, findings, tmp_path):
    from privacyscreen import photo
    from privacyscreen.screen import Screening

    pic = photo.load(path)
    result = Screening(path)
    why = screener.compositions(result, pic, pic.pixels, findings, tmp_path / "out" / path.stem)
    return result, [r.text("en") for r in why]


def test_a_crop_is_screened_again_and_not_written_when_a_face_shows(screener, portrait, tmp_path):
    """The astronaut's face left out of the findings: every crop around her hand shows it or the
    name on her suit, and screening the crop again finds them."""
    result, said = compose_on(screener, portrait, [finding("hand", (200, 330, 70, 60))], tmp_path)
    assert result.outputs == [] and not list(tmp_path.rglob("*.png"))
    assert said[0].endswith(("1 crop not used: screened again, it still showed something identifying",
                             "crops not used: screened again, they still showed something identifying"))  # fmt: skip


def test_a_crop_may_hold_a_doubtful_face_in_which_a_closer_look_sees_no_face(screener, no_people, tmp_path):
    """The latte art (CenterFace 0.34, alone: a doubtful face) lies in every crop around the hand:
    redacted like any face, it may be in a composition; a sure face there keeps every crop away."""
    from dataclasses import replace

    latte = Finding(Kind.FACE, (320, 245, 78, 74), 0.34, "centerface", Action.REDACTED)
    hand = finding("hand", (200, 150, 60, 50))
    result, said = compose_on(screener, no_people, [hand, latte], tmp_path)
    [output] = result.outputs
    assert overlap(output.crop, latte.box) and said == ["1 composition without recognisable people written: hands"]
    result, said = compose_on(screener, no_people, [hand, replace(latte, score=0.9)], tmp_path / "sure")
    assert result.outputs == [] and "no composition possible" in said[0]


def test_a_clear_crop_is_written_rebuilt_and_sealed(screener, no_people, tmp_path):
    from PIL import Image

    from privacyscreen import write

    hand = finding("hand", (150, 150, 60, 50))
    result, said = compose_on(screener, no_people, [hand], tmp_path)
    [output] = result.outputs
    assert output.kind == "composition" and output.composition == "hands" and output.path.name == "coffee.hands.png"
    assert said == ["1 composition without recognisable people written: hands"]
    x, y, w, h = output.crop
    assert Image.open(output.path).size == (w, h) and overlap(output.crop, hand.box) == hand.box[2] * hand.box[3]
    assert write.sealed_release(output.path.read_bytes()) == "not-applicable"


def test_small_text_no_one_can_read_is_redacted_in_a_crop_under_strict(screener, no_people, tmp_path, monkeypatch):
    """A blurred label next to the hands, not among the findings the crop was planned around:
    screening the crop again finds it, and under strict the composition is written with it redacted."""
    from dataclasses import replace

    from PIL import Image, ImageFilter

    from .test_text import card

    monkeypatch.setattr(screener, "settings", replace(screener.settings, policy=Policy.load("strict")))
    image = Image.open(no_people).convert("RGB").resize((1200, 800))
    x, y, w, h = card(image, "Anna de Vries", 450, 520, 8)
    label = (x - 6, y - 6, x + w + 6, y + h + 6)
    image.paste(image.crop(label).filter(ImageFilter.GaussianBlur(1.5)), label[:2])
    path = tmp_path / "coffee_and_label.png"
    image.save(path)
    result, said = compose_on(screener, path, [finding("hand", (300, 300, 200, 160))], tmp_path)
    [output] = result.outputs
    cx, cy = output.crop[:2]
    assert overlap(output.crop, (x, y, w, h)) == w * h  # the label is in the crop
    written = np.asarray(Image.open(output.path).convert("RGB"), dtype=int)
    blurred = np.asarray(image, dtype=int)[cy : cy + written.shape[0], cx : cx + written.shape[1]]
    changed = np.abs(written - blurred).max(axis=2) > 8
    assert changed[y - cy : y - cy + h, x - cx : x - cx + w].mean() > 0.5  # redacted where the label is
    assert changed.mean() < 0.1  # and nowhere much else


def test_a_composition_is_written_at_the_platforms_size_never_enlarged(screener, no_people, tmp_path):
    """A crop larger than the platform shows it is written at 1080 x 1080, 1080 x 1350 or 1200 x 628;
    a smaller one at its own size; the report says which."""
    from PIL import Image

    from privacyscreen import report

    big = tmp_path / "big" / "coffee.png"
    big.parent.mkdir()
    Image.open(no_people).convert("RGB").resize((3000, 2000), Image.LANCZOS).save(big)
    for path, hand, posted in ((big, (1200, 800, 600, 500), True), (no_people, (150, 150, 60, 50), False)):
        result, _ = compose_on(screener, path, [finding("hand", hand)], tmp_path / path.parent.name)
        [output] = result.outputs
        size = Image.open(output.path).size
        assert size == (compose.POSTING_SIZES[_aspect(output.crop)] if posted else output.crop[2:])
        listed = report.record(result, tmp_path)["outputs"][0]
        assert listed["size"] == list(size) and listed["posting_size"] is posted


def _aspect(crop) -> str:
    return min(compose.ASPECTS, key=lambda a: abs(compose.ASPECTS[a] - crop[2] / crop[3]))


def test_a_portrait_without_hands_gets_no_composition_and_says_why(tmp_path, portrait):
    from privacyscreen.screen import Screener, Settings

    with Screener(Settings(compose=True)) as screener:
        result = screener.screen(portrait, tmp_path / "out" / "portrait", tmp_path / "held" / "portrait")
    assert [o.kind for o in result.outputs] == ["redacted"]
    assert "no composition possible: no hands or feet were found" in [r.text("en") for r in result.reasons]


def test_the_report_lists_a_composition_with_its_subject_and_crop(screener, no_people, tmp_path):
    from privacyscreen import report

    result, _ = compose_on(screener, no_people, [finding("hand", (150, 150, 60, 50))], tmp_path)
    [listed] = report.record(result, tmp_path / "out")["outputs"]
    assert listed["kind"] == "composition" and listed["composition"] == "hands"
    assert listed["path"] == "coffee.hands.png" and listed["crop"] == list(result.outputs[0].crop)


def test_a_hand_reaching_up_to_a_face_is_framed_below_it():
    face = finding("face", (1000, 300, 300, 400))  # its margin reaches down to y = 800
    hand = finding("hand", (1000, 700, 400, 300))  # the top third of the hand lies in that margin
    [best, *_] = compose.propose([face, hand], 3000, 2000)["hands"]
    assert overlap(best.crop, compose._grown(face.box)) == 0
    assert best.crop[1] >= 800 and 0.6 < best.held < 1  # the part of the hand below the face's margin
    assert compose.propose([face, finding("hand", (1000, 300, 300, 450))], 3000, 2000) == {}  # all of it at the face
