"""Things on a table (#20): the COCO object detector finds tableware and the table, never a person."""

from __future__ import annotations

import pytest

from privacyscreen.detectors import DEFAULT, REGISTRY, create
from privacyscreen.findings import Action, Finding, Kind, ObjectLabel, contains_center
from privacyscreen.policy import PEOPLE, Verdict, decide

from .conftest import pixels


@pytest.fixture(scope="module")
def objects():
    [detector] = create(("objects",), threads=1)
    yield detector
    detector.close()


def test_the_objects_detector_is_registered_but_not_run_by_default():
    assert "objects" in REGISTRY and "objects" not in DEFAULT


def test_a_cup_and_its_table_are_found_on_the_coffee_photo_and_nothing_person_like(objects, no_people):
    found = objects.detect(pixels(no_people))
    assert found and {f.kind for f in found} == {Kind.OBJECT} and not {f.kind for f in found} & PEOPLE
    labels = {f.label for f in found}
    assert {ObjectLabel.CUP, ObjectLabel.TABLE} <= labels and labels <= set(ObjectLabel)
    cup = max((f for f in found if f.label == ObjectLabel.CUP), key=lambda f: f.score)
    assert cup.score > 0.9 and contains_center((170, 10, 250, 240), cup.box)  # the cup on its saucer, by eye
    assert any(contains_center(f.box, cup.box) for f in found if f.label == ObjectLabel.TABLE)  # on the table
    assert objects.detect_crop(pixels(no_people)) == []  # a crop is screened again for identity only


def test_an_object_is_never_redacted_and_never_means_someone_is_there():
    cup = Finding(Kind.OBJECT, (100, 100, 50, 60), 0.9, "objects", label=ObjectLabel.CUP)
    table = Finding(Kind.OBJECT, (0, 80, 400, 300), 0.8, "objects", label=ObjectLabel.TABLE)
    decision = decide([cup, table], (), 400)
    assert decision.verdict == Verdict.NO_PEOPLE and {f.action for f in decision.findings} == {Action.KEPT}
    assert Finding.from_dict(decision.findings[0].to_dict()) == decision.findings[0]  # a report reads back
