"""Screenshots of the review desk for the README, taken in headless Chromium.

    python bench/screenshots.py        # writes bench/screenshots/desk-gallery.png and desk-correction.png

Screens three of the workplace photos in samples/photos/workplace/ (default policy, with
compositions), opens the desk on them with a consent register holding one form, and photographs
the gallery and one correction: a box drawn over a door sign, then hidden.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from privacyscreen import consent, desk, report, review  # noqa: E402
from privacyscreen.screen import Settings, plan, run  # noqa: E402
from tests.test_html import CHROMIUM, FLAGS  # noqa: E402

PHOTOS = ("faces_name_badges_group_meeting.jpg", "worker_from_behind_no_face.jpg", "text_van_company_name_phone.jpg")
OUT = ROOT / "bench" / "screenshots"
DRAWN = (0.06, 0.55, 0.16, 0.12)  # where the box is drawn, as shares of the van photo (x, y, w, h)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work_dir = Path(tmp)
        originals, out = work_dir / "originals", work_dir / "screened"
        originals.mkdir()
        for name in PHOTOS:
            shutil.copy(ROOT / "samples" / "photos" / "workplace" / name, originals / name)
        settings = Settings(compose=True)
        report.write_json(run(plan([originals], out), settings), settings, out / report.NAME)
        register = work_dir / "consent.sqlite"
        with consent.Register(register) as forms:
            forms.add(consent.Form("TF-2026-014", "medewerker 1021", "subject", None, None, ("facebook", "intranet"),
                                   "this activity", date(2026, 1, 1), None, consent.FORM_VERSION))  # fmt: skip
        work = review.Desk(out, register, "Joke")
        web, token = desk.app(work, "en")
        server = make_server("127.0.0.1", 0, web)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        OUT.mkdir(exist_ok=True)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                page = browser.new_page(viewport={"width": 1280, "height": 1100})
                page.goto(f"http://127.0.0.1:{server.server_port}/{token}/")
                page.screenshot(path=OUT / "desk-gallery.png")
                van = next(i for i, r in enumerate(work.photos) if "van" in r["source"])
                card = page.locator(f"#photo-{van}")
                image = card.locator(".stage img")
                image.scroll_into_view_if_needed()
                shown = image.bounding_box()
                assert shown is not None
                x, y, w, h = DRAWN
                page.mouse.move(shown["x"] + x * shown["width"], shown["y"] + y * shown["height"])
                page.mouse.down()
                page.mouse.move(shown["x"] + (x + w) * shown["width"], shown["y"] + (y + h) * shown["height"], steps=5)
                page.mouse.up()
                card.locator("form.hide button").click()
                page.wait_for_url(f"**/#photo-{van}")
                page.locator(f"#photo-{van}").screenshot(path=OUT / "desk-correction.png")
                browser.close()
        finally:
            server.shutdown()
            work.close()
    print(OUT / "desk-gallery.png", OUT / "desk-correction.png")


if __name__ == "__main__":
    main()
