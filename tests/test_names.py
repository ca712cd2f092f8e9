"""Output names: every input keeps its own, whatever dots, cases and folders its name has."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from privacyscreen import photo, screen
from privacyscreen.cli import main
from privacyscreen.findings import Finding
from privacyscreen.screen import Screening

from .conftest import SAMPLES, digest


@pytest.fixture(scope="module")
def colliding(tmp_path_factory) -> Path:
    """Names phones, editors and test corpora make, which shared outputs before: several dots, a
    composition's name, two cases of one name, and a subfolder called needs-consent."""
    folder = tmp_path_factory.mktemp("colliding") / "photos"
    (folder / "needs-consent").mkdir(parents=True)
    coffee = Image.open(SAMPLES / "coffee.png").convert("RGB")
    cat = Image.open(SAMPLES / "chelsea.png").convert("RGB")
    hopper = Image.open(SAMPLES / "grace_hopper.jpg").convert("RGB")  # a person: needs consent (strict)
    for name, image in {
        "IMG_1.jpg": coffee, "IMG_1.edited.jpg": coffee.rotate(180), "IMG_1.png": coffee, "img_1.TIF": coffee,
        "IMG_1.hands.jpg": coffee.rotate(90, expand=True),  # the name of IMG_1.jpg's hands composition
        "a.b.tif": cat, "a.b.c.tif": cat.rotate(180), "a.b.png": cat,
        "16bit.cropped.tif": cat.crop((0, 0, 200, 200)), "16bit.deflate.tif": cat, "16bit.r.tif": cat.rotate(90),
        "hopper.bmp": hopper, "hopper.Lab.tif": hopper, "hopper.iccprofile.tif": hopper, "hopper.jpg": hopper,
        "IMG_2.jpg": hopper,  # held: needs-consent/IMG_2.jpg ...
        "needs-consent/IMG_2.jpg": coffee,  # ... where this safe one would land too
    }.items():  # fmt: skip
        image.save(folder / name, **({"compression": "tiff_deflate"} if "deflate" in name else {}))
    return folder


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_no_output_overwrites_another(tmp_path, colliding, jobs):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(colliding), "--out", str(out), "--jobs", jobs])
    assert result.exit_code == 0, result.output
    images = json.loads((out / "privacyscreen-report.json").read_text())["images"]
    outputs = {}
    for img in images:
        source = os.path.relpath(out / img["source"], colliding)
        [output] = img["outputs"]
        assert digest(out / output["path"]) == output["sha256"], source  # on disk as the report says
        held = source.startswith("hopper") or source == "IMG_2.jpg"
        assert (img["verdict"] == "needs-consent") == held, source
        assert output["path"].startswith("needs-consent/") == (held or source.startswith("needs-consent/")), source
        outputs[output["path"].casefold()] = source  # one file on Windows too, whatever the case
    assert len(outputs) == len(images) == 17
    on_disk = {str(p.relative_to(out)).casefold() for p in out.rglob("*") if p.is_file()}
    assert on_disk - set(outputs) == {"privacyscreen-report.json"}
    # every part of a name is kept; a clash gets -2, -3...
    assert {source: path for path, source in outputs.items() if source.startswith(("a.", "16bit", "hopper"))} == {
        "a.b.png": "a.b.png", "a.b.c.tif": "a.b.c.jpg", "a.b.tif": "a.b-2.jpg",
        "16bit.cropped.tif": "16bit.cropped.jpg", "16bit.deflate.tif": "16bit.deflate.jpg",
        "16bit.r.tif": "16bit.r.jpg",
        "hopper.bmp": "needs-consent/hopper.jpg", "hopper.iccprofile.tif": "needs-consent/hopper.iccprofile.jpg",
        "hopper.jpg": "needs-consent/hopper-2.jpg", "hopper.Lab.tif": "needs-consent/hopper.lab.jpg",
    }  # fmt: skip


def test_a_held_copy_and_the_compositions_have_names_no_other_photo_gets():
    """A photo's name is taken for its safe copy, its held copy and its compositions at once, in any
    case: another photo called like one of them gets a name of its own."""
    names = {  # name asked for: name given, in this order
        "IMG_1": "IMG_1",
        "IMG_1.hands": "IMG_1.hands-2",  # IMG_1.hands.jpg is IMG_1's hands composition
        "img_1": "img_1-2",
        "needs-consent/IMG_1": "needs-consent/IMG_1-3",  # IMG_1's held copy, and -2's is img_1-2's
        "IMG_1-2": "IMG_1-2-2",
    }
    taken: set[str] = set()
    assert {name: str(screen.unique(Path(name), taken)) for name in names} == names


def test_a_composition_keeps_every_part_of_the_photos_name(screener, no_people, tmp_path):
    pic = photo.load(no_people)
    result = Screening(no_people)
    hand = Finding("hand", (150, 150, 60, 50), 0.9, "test")
    screener.compositions(result, pic, pic.pixels, [hand], tmp_path / "IMG_1.edited")
    assert [o.path.name for o in result.outputs] == ["IMG_1.edited.hands.png"]
