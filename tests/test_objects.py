"""Things on a table (#20): the COCO object detector finds tableware and the table, never a person,
and a laid table gets a `table` composition from what is on it, with or without hands."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from PIL import Image

from privacyscreen import compose
from privacyscreen.cli import main
from privacyscreen.detectors import DEFAULT, REGISTRY, create
from privacyscreen.findings import Action, Finding, Kind, ObjectLabel, contains_center, overlap
from privacyscreen.policy import PEOPLE, Verdict, decide

from .conftest import media, pixels


@pytest.fixture(scope="module")
def objects():
    [detector] = create(("objects",), threads=1)
    yield detector
    detector.close()


def test_the_objects_detector_is_registered_for_compositions_only():
    assert "objects" in REGISTRY and "objects" not in DEFAULT and "objects" in compose.DETECTORS


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


def thing(label: str, box, score: float = 0.9) -> Finding:
    return Finding(Kind.OBJECT, box, score, "objects", label=ObjectLabel(label))


def test_the_table_is_what_is_on_it_with_the_hands_at_it():
    table = thing("table", (0, 1000, 3000, 1000))
    cups = [thing("cup", (800, 1200, 120, 140)), thing("bowl", (1100, 1300, 300, 120))]  # 180 px apart
    shelf = thing("bottle", (2800, 200, 60, 180))  # not on the table
    hands = [Finding(Kind.HAND, (1000, 1250, 150, 130), 0.9, "hands"),  # between the cups, on the table
             Finding(Kind.HAND, (2500, 300, 150, 130), 0.9, "hands")]  # waving, far from the table  # fmt: skip
    face = Finding(Kind.FACE, (1100, 300, 200, 240), 0.9, "centerface")
    assert compose.subjects([table, *cups, shelf, *hands, face])["table"] == [c.box for c in cups] + [hands[0].box]
    assert compose.subjects([table, *cups])["table"] == [c.box for c in cups]  # no hands, no one: still a table
    # no table found: the largest group of things next to each other, a lone thing only with a hand at it
    assert sorted(compose.subjects([*cups, shelf])["table"]) == [c.box for c in cups]
    vase = thing("vase", (0, 0, 90, 200))
    assert "table" not in compose.subjects([shelf]) and "table" not in compose.subjects([vase])
    held = Finding(Kind.HAND, (2780, 380, 100, 100), 0.9, "hands")
    assert compose.subjects([shelf, held])["table"] == [shelf.box, held.box]
    # no thing at all: the hands below everyone's head, as before
    assert compose.subjects([face, hands[0]])["table"] == [hands[0].box]


def test_a_laid_table_with_no_hands_in_sight_gets_a_table_composition_from_the_tableware_it_shows(tmp_path):
    """Through `run --compose`, as a care worker would: the café table by the window (no one sits
    there) is written as NAME.table.png, a crop that holds the tableware found on the table."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(media("table_laid_by_window_no_people.png"), inbox / "tafel.png")
    result = CliRunner().invoke(main, ["run", str(inbox), "--out", str(out), "--compose", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "composition without recognisable people written: table" in result.output
    [record] = json.loads((out / "privacyscreen-report.json").read_text())["images"]
    findings = [Finding.from_dict(f) for f in record["findings"]]
    assert not [f for f in findings if f.kind == Kind.HAND]  # no hands in sight
    table = max((f for f in findings if f.kind == Kind.OBJECT and f.label == ObjectLabel.TABLE), key=lambda f: f.score)
    tableware = [f for f in findings if f.kind == Kind.OBJECT and f.label != ObjectLabel.TABLE]
    assert tableware and all(contains_center(table.box, f.box) for f in tableware)  # the plates laid on it
    [made] = [o for o in record["outputs"] if o["kind"] == "composition"]
    assert made["composition"] == "table" and made["path"] == "tafel.table.png"
    crop = tuple(made["crop"])
    assert all(overlap(crop, f.box) == f.box[2] * f.box[3] for f in tableware)  # every thing on the table
    assert Image.open(out / made["path"]).size == tuple(made["size"])
    assert compose.clear(crop, findings)  # clear of every face, head and redacted text, as every crop
