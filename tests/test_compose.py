"""Compositions: the crop search keeps clear of faces and personal text, at posting aspect ratios."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from privacyscreen import compose
from privacyscreen.findings import Finding, overlap


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
    assert compose.subjects(at_face, 2000) == {"hands": [(1100, 1170, 150, 120)], "table": [(1100, 1170, 150, 120)]}
    assert compose.subjects(FACES, 2000) == {}  # nothing to compose: no hands, no feet


def test_the_table_is_only_where_hands_are_below_every_head():
    raised = [finding("hand", (300, 100, 120, 120))]  # a hand waving at head height
    assert "table" not in compose.subjects(FACES + raised, 2000)
    assert compose.subjects(FACES + HANDS, 2000)["table"] == [h.box for h in HANDS]


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
