"""The HTML report a communications officer reads, rendered in a real browser (Debian's Chromium,
driven by Playwright): every photo is on it, no thumbnail shows an original face, and it is made
again from the JSON report on disk after the review desk changed a record."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from privacyscreen import report
from privacyscreen.cli import main

from . import clips

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
ASTRONAUT_FACE = (180, 60, 110, 130)


@pytest.fixture
def page_file(tmp_path, portrait, portrait_jpeg, no_people):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for photo in (portrait, portrait_jpeg, no_people):
        shutil.copy(photo, inbox / photo.name)
    (inbox / "kapot.jpg").write_bytes(b"not a photo")
    page = tmp_path / "verslag.html"
    result = CliRunner().invoke(main, ["run", str(inbox), "--out", str(tmp_path / "out"), "--html", str(page),
                                       "--lang", "nl", "--jobs", "1"])  # fmt: skip
    assert result.exit_code == 1, result.output  # kapot.jpg
    return page


def need_chromium() -> None:
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("no Chromium here (apt-get install chromium); CI runs this test")


def pictures(page: str) -> list[str]:
    """The thumbnails on a page, as their data URLs."""
    return re.findall(r'src="(data:image/jpeg;base64,[^"]+)"', page)


def test_the_report_renders_in_chromium_with_every_photo(page_file, tmp_path):
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(page_file.as_uri())
        cards = page.locator("figure.photo")
        assert cards.count() == 4
        text = page.inner_text("body")
        for name in ("astronaut.png", "grace_hopper.jpg", "coffee.png", "kapot.jpg"):
            assert name in text
        assert "4 bestanden gecontroleerd" in text and "dit is geen foto" in text
        # every thumbnail decoded and shown (the broken file has none)
        shown = page.evaluate("[...document.images].map(i => i.complete && i.naturalWidth > 0)")
        assert shown == [True, True, True]
        page.screenshot(path=str(tmp_path / "verslag.png"), full_page=True)
        browser.close()
    assert (tmp_path / "verslag.png").stat().st_size > 10_000


def test_no_thumbnail_holds_original_face_pixels(page_file, portrait):
    thumbs = [Image.open(io.BytesIO(base64.b64decode(url.partition(",")[2]))).convert("RGB")
              for url in pictures(page_file.read_text())]  # fmt: skip
    assert len(thumbs) == 3
    original = Image.open(portrait).convert("RGB")
    astronaut = [t for t in thumbs if t.size == (360, 360)]
    assert len(astronaut) == 1
    scale = 360 / original.width
    x, y, w, h = (round(v * scale) for v in ASTRONAUT_FACE)
    inner = (x + 4, y + 4, x + w - 4, y + h - 4)  # inside the outline drawn around it
    face_then = np.asarray(original.resize((360, 360)).crop(inner), float)
    face_now = np.asarray(astronaut[0].crop(inner), float)
    assert np.abs(face_now - face_then).mean() > 10
    detail = lambda a: np.abs(np.diff(a, axis=1)).mean()  # noqa: E731
    assert detail(face_now) < 0.3 * detail(face_then)


def test_the_consent_form_renders_in_chromium(tmp_path):
    need_chromium()
    from playwright.sync_api import sync_playwright

    form = tmp_path / "toestemmingsformulier.html"
    assert CliRunner().invoke(main, ["consent", "form", "--lang", "nl", "--out", str(form)]).exit_code == 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(form.as_uri())
        assert page.locator("input[type=checkbox]").count() == 7
        page.locator("input[type=checkbox]").first.check()  # it can be ticked on screen, too
        assert page.locator("input[type=checkbox]").first.is_checked()
        page.pdf(path=str(tmp_path / "form.pdf"))  # and printed
        browser.close()
    assert (tmp_path / "form.pdf").read_bytes().startswith(b"%PDF")


def test_a_composition_is_shown_under_its_photo(screener, no_people, tmp_path):
    """A composition (the hand finding placed by hand: no bundled photo shows hands) gets its own
    captioned thumbnail on the page, made from the written crop."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    from privacyscreen import photo
    from privacyscreen.findings import Finding
    from privacyscreen.screen import Screening

    result = screener.screen(no_people, tmp_path / "out" / "coffee")
    pic = photo.load(no_people)
    screener.compositions(
        result, pic, pic.pixels, [Finding("hand", (150, 150, 60, 50), 0.9, "test")], tmp_path / "out" / "coffee"
    )
    assert [o.kind for o in result.outputs] == ["redacted", "composition"]
    page_file = tmp_path / "page.html"
    data = report.build([result, Screening(tmp_path / "missing.jpg")], screener.settings, tmp_path)
    report.write_html(data, tmp_path, page_file, "nl")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(page_file.as_uri())
        composition = page.locator("figure.composition[data-composition=hands]")
        assert composition.count() == 1 and composition.inner_text() == "handen"
        size = page.evaluate("(() => { const i = document.querySelector('figure.composition img');"
                             " return [i.complete, i.naturalWidth, i.naturalHeight]; })()")  # fmt: skip
        assert size[0] and size[1] > 0 and size[2] > 0
        browser.close()


def test_a_sheet_written_again_from_the_report_on_disk_shows_a_correction(page_file, tmp_path):
    """The review desk marks a record corrected in the JSON report; the sheet written again from
    that file, where its settings say, shows the mark on that photo and still the same pictures."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    report_path = tmp_path / "out" / report.NAME
    data = json.loads(report_path.read_text())
    assert {k: data["settings"][k] for k in ("html", "lang", "ready")} == {"html": "../verslag.html", "lang": "nl",
                                                                         "ready": "."}  # fmt: skip
    before = page_file.read_text()
    assert "data-corrected" not in before and "met de hand gecorrigeerd" not in before
    [hopper] = [r for r in data["images"] if r["source"].endswith("grace_hopper.jpg")]
    hopper["corrected"] = True
    report.save(data, report_path)
    page_file.unlink()
    report.rewrite_html(json.loads(report_path.read_text()), report_path)
    after = page_file.read_text()
    assert len(pictures(before)) == 3 and pictures(after) == pictures(before)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(page_file.as_uri())
        corrected = page.locator("figure.photo[data-corrected=true]")
        assert corrected.count() == 1 and "grace_hopper.jpg" in corrected.inner_text()
        assert corrected.locator(".corrected").inner_text() == "met de hand gecorrigeerd"
        assert corrected.locator(".corrected").is_visible()
        assert page.evaluate("[...document.images].map(i => i.complete && i.naturalWidth > 0)") == [True] * 3
        browser.close()


def test_a_safe_copy_changed_since_the_run_is_not_shown(page_file, tmp_path, portrait):
    """Thumbnails are made of safe copies only: one whose file is no longer what privacyscreen
    wrote (here the original copied over it) is left off the sheet written again, with a note."""
    report_path = tmp_path / "out" / report.NAME
    data = json.loads(report_path.read_text())
    [astronaut] = [r for r in data["images"] if r["source"].endswith("astronaut.png")]
    shutil.copy(portrait, report_path.parent / astronaut["outputs"][0]["path"])
    report.rewrite_html(data, report_path)
    page = page_file.read_text()
    assert len(pictures(page)) == 2
    [card] = [c for c in page.split('<figure class="photo"')[1:] if "astronaut.png" in c]
    assert "<img" not in card and "is veranderd nadat privacyscreen hem schreef" in card


def test_a_clip_record_keeps_its_stills_for_the_sheet(screener, tmp_path):
    """A clip's record names the four frames the sheet shows and what is hidden in each; the sheet
    made from the JSON on disk shows those frames of the safe copy with their boxes."""
    frames, faces = zip(*clips.pan(12), strict=True)
    source = clips.build(tmp_path / "IMG_0042.mov", list(frames))
    out = tmp_path / "out"
    report.save(report.build([screener.screen(source, out / "IMG_0042")], screener.settings, out), out / report.NAME)
    data = json.loads((out / report.NAME).read_text())
    [clip] = data["images"]
    assert clip["verdict"] == "anonymized" and sorted(map(int, clip["stills"])) == [0, 4, 7, 11]
    for n, boxes in clip["stills"].items():
        x, y, w, h = faces[int(n)]
        assert any(bx <= x + w / 2 <= bx + bw and by <= y + h / 2 <= by + bh for bx, by, bw, bh in boxes), n
    page = report.html(data, out, "en")
    assert re.findall(r'data-frame="(\d+)"', page) == ["0", "4", "7", "11"] and len(pictures(page)) == 4
