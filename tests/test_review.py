"""The review desk, driven for real: the web app served on 127.0.0.1, clicked through in headless
Chromium with Playwright, and the files it writes read back."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sqlite3
import threading
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from werkzeug.serving import make_server

from privacyscreen import consent, desk, report, review, write
from privacyscreen.cli import main
from privacyscreen.findings import Shape
from privacyscreen.policy import Policy
from privacyscreen.screen import Screener, Settings, plan, run

from . import carriers as C
from . import clips
from .conftest import SAMPLES
from .test_html import CHROMIUM, FLAGS

HOPPER_FACE = (180, 120, 160, 200)  # inside Grace Hopper's face in samples/photos/grace_hopper.jpg (x, y, w, h)


@pytest.fixture
def screened(tmp_path) -> Path:
    """Grace Hopper screened by the text detector alone, so her face is missed; the astronaut, whose
    patches' text is redacted."""
    out, originals = tmp_path / "out", tmp_path / "originals"
    originals.mkdir()
    for name in ("grace_hopper.jpg", "astronaut.png"):
        shutil.copy(SAMPLES / name, originals / name)
    settings = Settings(detectors=("text",), policy=Policy.load("standard"))
    results = run(plan([originals], out), settings)
    report.write_json(results, settings, out / "privacyscreen-report.json")
    return out


@pytest.fixture
def served(screened, tmp_path):
    work = review.Desk(screened, tmp_path / "register" / "consent.sqlite", "Joke", Policy.load("standard"))
    web, token = desk.app(work, "en")
    server = make_server("127.0.0.1", 0, web)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", token, work
    server.shutdown()
    work.close()


def detail(pixels: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x, y, w, h = box
    region = pixels[y : y + h, x : x + w].astype(np.int16).mean(axis=2)
    return float(np.abs(np.diff(region, axis=0)).mean() + np.abs(np.diff(region, axis=1)).mean())


def test_hide_a_missed_face_take_away_a_false_redaction_and_approve_in_chromium(served, screened, tmp_path):
    if not CHROMIUM:
        pytest.skip("no Chromium here (apt-get install chromium); CI runs this test")
    from playwright.sync_api import sync_playwright

    url, token, work = served
    hopper = next(i for i, r in enumerate(work.photos) if "grace" in r["source"])
    astronaut = 1 - hopper
    before = np.asarray(Image.open(work.path(hopper)).convert("RGB"))
    assert detail(before, HOPPER_FACE) > 8  # the face the detector missed shows
    texts = sum(f["kind"] == "text" and f["action"] == "redacted" for f in work.photos[astronaut]["findings"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(f"{url}/{token}/")
        assert page.locator("section.card").count() == 2
        # drag over her face, on the photo as the page shows it
        image = page.locator(f"#photo-{hopper} .stage img")
        image.scroll_into_view_if_needed()
        shown = image.bounding_box()
        scale = shown["width"] / before.shape[1]
        x, y, w, h = HOPPER_FACE
        page.mouse.move(shown["x"] + x * scale, shown["y"] + y * scale)
        page.mouse.down()
        page.mouse.move(shown["x"] + (x + w) * scale, shown["y"] + (y + h) * scale, steps=5)
        page.mouse.up()
        page.locator(f"#photo-{hopper} form.hide button").click()
        page.wait_for_url(f"**/#photo-{hopper}")
        assert "corrected by hand" in page.locator(f"#photo-{hopper}").inner_text()
        # the astronaut's first redacted patch is text that names no one
        card = page.locator(f"#photo-{astronaut}")
        card.locator("form.show").first.locator("select").select_option("text")
        card.locator("form.show").first.locator("button").click()
        page.wait_for_url(f"**/#photo-{astronaut}")
        # approve Grace Hopper for the website
        page.locator(f"#photo-{hopper} form.approve select").select_option("website")
        page.locator(f"#photo-{hopper} form.approve button").click()
        page.wait_for_url(f"**/#photo-{hopper}")
        browser.close()
    after = np.asarray(Image.open(work.path(hopper)).convert("RGB"))
    assert detail(after, HOPPER_FACE) < 0.35 * detail(before, HOPPER_FACE)  # hidden where drawn
    approved = screened / "approved" / "website" / work.path(hopper).name
    assert approved.read_bytes() == work.path(hopper).read_bytes()
    assert write.sealed_release(approved.read_bytes()) == "not-applicable"
    assert C.metadata_inventory(approved)["model_release_status"] == ["http://ns.useplus.org/ldf/vocab/MR-NAP"]
    nothing_identifying(screened.parent / "originals" / "grace_hopper.jpg", approved)
    saved = json.loads((screened / "privacyscreen-report.json").read_text())
    [grace] = [r for r in saved["images"] if "grace" in r["source"]]
    assert grace["corrected"] and any(f["kind"] == "drawn" for f in grace["findings"])
    [spaceman] = [r for r in saved["images"] if "astronaut" in r["source"]]
    assert sum(f["kind"] == "text" and f["action"] == "redacted" for f in spaceman["findings"]) == texts - 1
    rows = work.db.execute("SELECT who, change, reason FROM changes ORDER BY rowid").fetchall()
    assert rows == [("Joke", "hide", ""), ("Joke", "show", "text"), ("Joke", "approve", "")]


def test_the_record_is_never_changed_or_deleted(served):
    _, _, work = served
    work.hide(0, (10, 10, 40, 40), Shape.BOX)
    for statement in ("UPDATE changes SET who = 'x'", "DELETE FROM changes"):
        with pytest.raises(sqlite3.DatabaseError, match="never"):
            work.db.execute(statement)
    assert len(work.history(0)) == 1


def test_a_box_off_the_photo_and_a_missing_original_are_clear_errors(served, screened):
    _, _, work = served
    with pytest.raises(review.ReviewError, match="on the photo itself"):
        work.hide(0, (-5, 0, 40, 40), Shape.BOX)
    source = Path(work.report_path.parent / work.photos[0]["source"])
    moved = source.with_name("moved" + source.suffix)
    try:
        source.rename(moved)
        with pytest.raises(review.ReviewError, match="is gone or was changed"):
            work.hide(0, (5, 5, 40, 40), Shape.BOX)
    finally:
        moved.rename(source)
    assert not work.history(0)


def test_a_corrected_photo_keeps_its_place_in_the_folder(tmp_path):
    (tmp_path / "in" / "week 1").mkdir(parents=True)
    shutil.copy(SAMPLES / "grace_hopper.jpg", tmp_path / "in" / "week 1" / "hopper.jpg")
    settings = Settings(detectors=("text",), policy=Policy.load("standard"))
    report.write_json(run(plan([tmp_path / "in"], tmp_path / "out"), settings), settings,
                      tmp_path / "out" / "privacyscreen-report.json")  # fmt: skip
    work = review.Desk(tmp_path / "out", tmp_path / "consent.sqlite", "Joke")  # the report's policy: standard
    assert work.rules.name == "standard"
    work.hide(0, HOPPER_FACE, Shape.ELLIPSE)
    assert work.path(0) == tmp_path / "out" / "week 1" / "hopper.jpg" and work.path(0).is_file()
    assert [p.name for p in (tmp_path / "out").rglob("*.jpg")] == ["hopper.jpg"]


def test_a_correction_writes_the_contact_sheet_again(tmp_path):
    (tmp_path / "in").mkdir()
    shutil.copy(SAMPLES / "grace_hopper.jpg", tmp_path / "in" / "hopper.jpg")
    out, sheet = tmp_path / "out", tmp_path / "out" / "sheet.html"
    settings = Settings(detectors=("text",), policy=Policy.load("standard"))
    data = report.build(run(plan([tmp_path / "in"], out), settings), settings, out, sheet=sheet, lang="nl")
    report.save(data, out / report.NAME)
    report.write_html(data, out, sheet, "nl")
    assert 'data-corrected="true"' not in sheet.read_text()
    work = review.Desk(out, tmp_path / "consent.sqlite", "Joke")
    work.hide(0, HOPPER_FACE, Shape.BOX)
    work.close()
    page = sheet.read_text()
    assert 'data-corrected="true"' in page and "met de hand gecorrigeerd" in page


def test_a_photo_that_still_needs_consent_cannot_be_approved(screened, tmp_path):
    with Screener(Settings()) as strict:  # the portrait's body is recognisable under strict
        result = strict.screen(SAMPLES / "grace_hopper.jpg", tmp_path / "s" / "g", tmp_path / "s" / "held" / "g")
    settings = Settings()
    report.write_json([result], settings, tmp_path / "s" / "privacyscreen-report.json")
    work = review.Desk(tmp_path / "s", tmp_path / "consent.sqlite", "Joke")
    with pytest.raises(review.ReviewError, match="cannot be approved"):
        work.approve(0, "facebook")
    assert not (tmp_path / "s" / "approved").exists()


@pytest.mark.parametrize("attack", ["none", "no token", "wrong token", "other origin", "no csrf", "path", "traversal"])
def test_requests_from_outside_the_page_are_refused(served, attack):
    """Only the page itself changes anything ("none": the page's own request, which is let through)."""
    url, token, work = served
    page = urllib.request.urlopen(f"{url}/{token}/").read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    before = work.path(0).read_bytes()
    data = b"box=1,1,50,50&shape=box" + (b"" if attack == "no csrf" else f"&csrf={csrf}".encode())
    target, headers = f"{url}/{token}/photo/0/hide", {"Origin": url}
    if attack == "no token":
        target = f"{url}/photo/0/hide"
    elif attack == "wrong token":
        target = f"{url}/{token[:-1]}{'x' if token[-1] != 'x' else 'y'}/photo/0/hide"
    elif attack == "other origin":
        headers["Origin"] = "http://evil.example"
    elif attack == "path":
        target, data = f"{url}/{token}/image/..%2f..%2fprivacyscreen-report.json", None
    elif attack == "traversal":
        target, data = f"{url}/{token}/image/-1", None
    request = urllib.request.Request(target, data=data, headers=headers)
    if attack == "none":
        assert urllib.request.urlopen(request).status == 200  # after the redirect to the gallery
        assert len(work.history(0)) == 1
        return
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code in (403, 404)
    assert work.path(0).read_bytes() == before and not work.history(0)


@pytest.fixture
def two_faces(tmp_path) -> tuple[Path, Path]:
    """Two colleagues in an office, both faces hidden (standard policy: their bodies do not hold
    the photo back), and a register in which one of them signed for Facebook."""
    out, originals, register = tmp_path / "out", tmp_path / "originals", tmp_path / "register" / "consent.sqlite"
    originals.mkdir()
    shutil.copy(SAMPLES / "workplace" / "faces_two_people_office.jpg", originals / "office.jpg")
    settings = Settings(detectors=("centerface", "pose", "text"), policy=Policy.load("standard"))
    report.write_json(run(plan([originals], out), settings), settings, out / "privacyscreen-report.json")
    register.parent.mkdir()
    with consent.Register(register) as forms:
        forms.add(consent.Form("TF-7", "medewerker 1021", "subject", None, None, ("facebook",), "this photo",
                               date(2026, 1, 1), None, consent.FORM_VERSION))  # fmt: skip
    return out, register


def nothing_identifying(original: Path, approved: Path) -> None:
    """The approved file carries none of the metadata its original did: no EXIF, IPTC or comment,
    and one XMP packet, privacyscreen's own."""
    before, after = C.metadata_inventory(original), C.metadata_inventory(approved)
    assert before["exif_blocks"] or before["iptc"] or before["xmp_packets"] or before["jpeg_com"]  # to remove
    assert not (after["exif_blocks"] or after["iptc"] or after["jpeg_com"] or after["photoshop_resources"])
    assert len(after["xmp_packets"]) == 1 and after["trailing_bytes"] == 0


def outlined_on_the_photo(page, i: int) -> None:
    """Every outline of what is hidden lies on the photo as the page shows it (a 1600 px photo,
    shown smaller)."""
    photo = page.locator(f"#photo-{i} .stage img").bounding_box()
    boxes = page.locator(f"#photo-{i} .stage .box").all()
    assert boxes and photo["width"] < 1600
    for box in boxes:
        b = box.bounding_box()
        assert photo["x"] - 1 <= b["x"] and b["x"] + b["width"] <= photo["x"] + photo["width"] + 1
        assert photo["y"] - 1 <= b["y"] and b["y"] + b["height"] <= photo["y"] + photo["height"] + 1


def test_keep_one_of_two_faces_under_a_form_approve_and_find_it_in_the_audit(two_faces, tmp_path):
    if not CHROMIUM:
        pytest.skip("no Chromium here (apt-get install chromium); CI runs this test")
    from playwright.sync_api import sync_playwright

    out, register = two_faces
    work = review.Desk(out, register, "Joke")
    original = np.asarray(Image.open(tmp_path / "originals" / "office.jpg").convert("RGB"))
    faces = [n for n, f in enumerate(work.photos[0]["findings"]) if f["kind"] == "face"]
    assert len(faces) == 2 and work.photos[0]["verdict"] == "anonymized"
    kept, other = (tuple(work.photos[0]["findings"][n]["box"]) for n in faces)
    web, token = desk.app(work, "en")
    server = make_server("127.0.0.1", 0, web)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(f"http://127.0.0.1:{server.server_port}/{token}/")
            outlined_on_the_photo(page, 0)
            first = page.locator("#photo-0 form.keep").first
            first.locator("select[name=form]").select_option("TF-7")
            first.locator("select[name=channel]").select_option("facebook")
            first.locator("button").click()
            page.wait_for_url("**/#photo-0")
            card = page.locator("#photo-0").inner_text()
            assert "visible under consent form TF-7" in card and "consented" in card
            page.locator("#photo-0 form.approve select").select_option("facebook")
            page.locator("#photo-0 form.approve button").click()
            page.wait_for_url("**/#photo-0")
            browser.close()
    finally:
        server.shutdown()
    record = work.photos[0]
    assert record["verdict"] == "consented" and record["channel"] == "facebook"
    after = np.asarray(Image.open(work.path(0)).convert("RGB"))
    assert detail(after, kept) > 0.8 * detail(original, kept)  # the one who signed shows
    assert detail(after, other) < 0.35 * detail(original, other)  # the other stays hidden
    approved = out / "approved" / "facebook" / work.path(0).name
    assert approved.read_bytes() == work.path(0).read_bytes()
    assert C.metadata_inventory(approved)["model_release_status"] == ["http://ns.useplus.org/ldf/vocab/MR-LMR"]
    nothing_identifying(tmp_path / "originals" / "office.jpg", approved)
    with pytest.raises(review.ReviewError, match="facebook only"):
        work.approve(0, "instagram")  # the form was checked for Facebook
    rows = work.db.execute("SELECT who, change, detail FROM changes ORDER BY rowid").fetchall()
    assert [r[:2] for r in rows] == [("Joke", "keep"), ("Joke", "approve")] and '"form": "TF-7"' in rows[0][2]
    work.close()
    # the form is withdrawn: the audit lists the approved copy to take down
    cli = CliRunner()
    assert cli.invoke(main, ["consent", "withdraw", "TF-7", "--by", "medewerker 1021", "--register", str(register),
                             "--lang", "en"]).exit_code == 0  # fmt: skip
    audit = cli.invoke(main, ["consent", "audit", "--register", str(register), "--lang", "en"])
    assert "facebook: " + str(approved.resolve()) in audit.output


def test_a_face_is_kept_only_under_a_form_that_covers_the_channel(two_faces):
    out, register = two_faces
    work = review.Desk(out, register, "Joke")
    face = next(n for n, f in enumerate(work.photos[0]["findings"]) if f["kind"] == "face")
    before = work.path(0).read_bytes()
    for form, channel, why in [("TF-7", "instagram", "does not cover instagram"),
                               ("TF-99", "facebook", "not in the consent register")]:  # fmt: skip
        with pytest.raises(review.ReviewError, match=why):
            work.keep(0, face, form, channel)
    text = next(n for n, f in enumerate(work.photos[0]["findings"]) if f["kind"] == "text")
    with pytest.raises(review.ReviewError, match="is no face"):
        work.keep(0, text, "TF-7", "facebook")
    assert work.path(0).read_bytes() == before and not work.history(0)
    work.close()


def test_under_strict_a_form_covers_only_the_person_who_signed(two_faces):
    """The other colleague's face stays hidden, but under strict her body is recognisable, and no
    form covers her: the photo still needs consent."""
    out, register = two_faces
    work = review.Desk(out, register, "Joke", Policy.load("strict"))
    face = next(n for n, f in enumerate(work.photos[0]["findings"]) if f["kind"] == "face")
    record = work.keep(0, face, "TF-7", "facebook")
    assert record["verdict"] == "needs-consent"
    assert any(r["code"] == "consent-others" for r in record["reasons"])
    with pytest.raises(review.ReviewError, match="cannot be approved"):
        work.approve(0, "facebook")
    work.close()


def test_a_composition_is_adjusted_screened_again_and_refused_where_it_touches_a_face(tmp_path):
    """The meeting with name badges, screened with compositions: the hands crop is moved a little
    on the desk and written again; crops over a face, or too small to post, are refused."""
    out, originals = tmp_path / "out", tmp_path / "originals"
    originals.mkdir()
    shutil.copy(SAMPLES / "workplace" / "faces_name_badges_group_meeting.jpg", originals / "meeting.jpg")
    settings = Settings(policy=Policy.load("standard"), compose=True)
    report.write_json(run(plan([originals], out), settings), settings, out / "privacyscreen-report.json")
    work = review.Desk(out, tmp_path / "consent.sqlite", "Joke")
    [hands] = [o for o in work.photos[0]["outputs"] if o.get("composition") == "hands"]
    x, y, w, h = hands["crop"]
    fx, fy, _, _ = next(f["box"] for f in work.photos[0]["findings"] if f["kind"] == "face")
    over_face = (min(fx, 1600 - 700), min(fy, 1064 - 400), 700, 400)
    for box, why in [((x + 40, y + 40, 400, 200), "too small"), (over_face, "touches a face")]:
        with pytest.raises(review.ReviewError, match=why):
            work.compose(0, "hands", box, "1.91:1")
    web, token = desk.app(work, "en")  # as the page asks: a POST with the page's CSRF token
    client = web.test_client()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/{token}/").get_data(as_text=True)).group(1)
    try:
        answer = client.post(f"/{token}/photo/0/compose", data={"csrf": csrf, "subject": "hands", "aspect": "1.91:1",
                                                                "box": f"{x - 40},{y},{w + 40},{h}"})  # fmt: skip
        assert answer.status_code == 303 and "error" not in answer.headers["Location"]  # a little more to the left
        record = work.photos[0]
    finally:
        work.close()
    [moved] = [o for o in record["outputs"] if o.get("composition") == "hands"]
    assert moved["crop"] != hands["crop"] and moved["crop"][0] < x and moved["path"] == hands["path"]
    written = out / moved["path"]
    assert hashlib.sha256(written.read_bytes()).hexdigest() == moved["sha256"] != hands["sha256"]
    assert write.sealed_release(written.read_bytes()) == "not-applicable"
    saved = json.loads((out / "privacyscreen-report.json").read_text())
    assert saved["images"][0]["corrected"] and moved in saved["images"][0]["outputs"]
    assert [r[2] for r in work_history(tmp_path / review.LOG)] == ["compose"]


def work_history(log: Path) -> list[tuple]:
    with sqlite3.connect(log) as db:
        return db.execute("SELECT at, who, change FROM changes ORDER BY rowid").fetchall()


def test_a_clip_is_on_the_desk_with_its_frames_approved_but_not_corrected(tmp_path):
    frames, _ = zip(*clips.pan(12), strict=True)
    originals, out = tmp_path / "originals", tmp_path / "out"
    originals.mkdir()
    clips.build(originals / "walk.mp4", list(frames))
    settings = Settings(policy=Policy.load("standard"))
    report.write_json(run(plan([originals], out), settings), settings, out / "privacyscreen-report.json")
    work = review.Desk(out, tmp_path / "consent.sqlite", "Joke")
    web, token = desk.app(work, "en")
    client = web.test_client()
    page = client.get(f"/{token}/").get_data(as_text=True)
    stills = re.findall(rf'src="(/{token}/still/0/\d+)\?', page)
    assert len(stills) == 4 and "four of its frames" in page and 'class="hide"' not in page
    still = client.get(stills[0])
    assert still.status_code == 200 and Image.open(io.BytesIO(still.data)).size == tuple(work.photos[0]["size"])
    with pytest.raises(review.ReviewError, match="not corrected on the desk"):
        work.hide(0, (1, 1, 20, 20), Shape.BOX)
    approved = work.approve(0, "intranet")
    assert approved.read_bytes() == work.path(0).read_bytes() and approved.suffix == ".mp4"
    work.close()


def test_the_drop_folder_s_output_is_reviewed_in_place(tmp_path):
    """`review OUT` on what `watch` made: a corrected photo stays in OUT/ready/."""
    from privacyscreen.watch import DropFolder

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    settings = Settings(detectors=("text",), policy=Policy.load("standard"))
    folder = DropFolder(inbox, out, settings, "en")
    shutil.copy(SAMPLES / "grace_hopper.jpg", out / "originals" / "hopper.jpg")
    with Screener(settings) as screener:
        folder.resume(screener)  # screens the original as if it had just been dropped
    work = review.Desk(out, tmp_path / "consent.sqlite", "Joke")
    assert work.path(0) == out / "ready" / "hopper.jpg"
    work.hide(0, HOPPER_FACE, Shape.BOX)
    work.close()
    assert work.path(0) == out / "ready" / "hopper.jpg" and not list((out / "needs-consent").iterdir())
    saved = json.loads((out / "privacyscreen-report.json").read_text())
    assert saved["images"][0]["corrected"] and saved["images"][0]["outputs"][0]["path"] == "ready/hopper.jpg"
