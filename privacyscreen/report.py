"""Reports: a JSON record per input photo, and an HTML contact sheet made from those records.

Schema "privacyscreen-report/1", documented in README.md. Paths are relative to the report file.
The sheet is rendered from the report as it is stored, so it can be written again after the
review desk changed a record.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from collections import Counter
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from PIL import Image, ImageDraw

from . import __version__, video, write
from .findings import Action
from .messages import say, shown
from .photo import no_bomb_warning
from .policy import Verdict
from .screen import Output, Screening, Settings

SCHEMA = "privacyscreen-report/1"
NAME = "privacyscreen-report.json"  # the report's name in an output folder


def relative(path: Path, base: Path) -> str:
    return os.path.relpath(path.absolute(), base.absolute())


def record(s: Screening, base: Path) -> dict:
    clip = {"frames": s.frames, "duration": s.duration, "audio": s.audio,
            "stills": {str(n): [list(b) for b in boxes] for n, boxes in sorted(s.stills.items())}}  # fmt: skip
    return {
        "source": relative(s.source, base),
        "sha256": s.sha256,
        "size": list(s.size) if s.size else None,
        "verdict": s.verdict,
        "error": s.error.to_dict() if s.error else None,
        "reasons": [r.to_dict() for r in s.reasons],
        "findings": [f.to_dict() for f in s.findings],
        "outputs": [output(o, base) for o in s.outputs],
        "seconds": {stage: round(t, 4) for stage, t in s.seconds.items()},
    } | (clip if s.frames is not None else {})


def output(o: Output, base: Path) -> dict:
    extra = {}
    if o.composition and o.crop and o.size:
        extra = {"composition": o.composition, "crop": list(o.crop), "size": list(o.size),
                 "posting_size": o.posting_size}  # fmt: skip
    return {"path": relative(o.path, base), "kind": o.kind, "sha256": o.sha256} | extra


def counts(records: list[dict]) -> dict[Verdict, int]:
    """How many records have each verdict."""
    tally = Counter(r["verdict"] for r in records)
    return {v: tally[v] for v in Verdict}


def build(
    results: list[Screening], settings: Settings, base: Path, ready: Path | None = None, sheet: Path | None = None,
    lang: str = "en",
) -> dict:  # fmt: skip
    """The report of `results` for a report file in `base`: `ready` is the folder of the safe copies
    (default `base`), `sheet` the contact sheet written in `lang`, if any."""
    images = [record(s, base) for s in results]
    html_settings = {"html": relative(sheet, base), "lang": lang} if sheet else {}
    return {
        "schema": SCHEMA,
        "tool": {"name": "privacyscreen", "version": __version__},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {
            "style": settings.style,
            "shape": settings.shape,
            "detectors": list(settings.detectors),
            "policy": settings.policy.name,
            "compose": list(settings.aspects) if settings.compose else None,
            "ready": relative(ready or base, base),
        }
        | html_settings,
        "summary": counts(images),
        "images": images,
    }


def save(data: dict, path: Path) -> None:
    """Write a report (as `build` returns it) to `path`, atomically, its summary counted again
    from its records (the drop folder and the review desk change them)."""
    data["summary"] = counts(data["images"])
    write.write_atomic((json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"), path)


def write_json(results: list[Screening], settings: Settings, path: Path) -> None:
    """Write the report of `results` to `path`, its safe copies in the report's folder."""
    save(build(results, settings, path.parent), path)


BADGE_COLOURS = {Verdict.NO_PEOPLE: "#2e7d32", Verdict.ANONYMIZED: "#1565c0", Verdict.NEEDS_CONSENT: "#e65100",
                 Verdict.CONSENTED: "#6a1b9a", Verdict.ERROR: "#b71c1c"}  # fmt: skip
THUMBNAIL = 360  # longest side, pixels
CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;background:#fafafa}
h1{font-size:1.5rem}.totals{font-size:1.1rem}
.sheet{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:1rem}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:8px;padding:.75rem}
figure img{max-width:100%;display:block;margin:0 auto .5rem}
.badge{display:inline-block;color:#fff;border-radius:4px;padding:.1rem .5rem;font-weight:600}
.name{font-family:monospace;word-break:break-all;margin-left:.5rem}
.corrected{margin-left:.5rem;color:#6a1b9a;font-weight:600}.missing{color:#b71c1c}
ul{margin:.5rem 0 0;padding-left:1.2rem}
.compositions{display:flex;flex-wrap:wrap;gap:.5rem;justify-content:center}
figure.composition{border:none;padding:.25rem}
.stills{display:grid;grid-template-columns:1fr 1fr;gap:.25rem;margin-bottom:.5rem}.stills img{margin:0}
figure.composition figcaption{text-align:center;font-size:.9rem}
"""


def thumbnail(path: Path | Image.Image, outlined: Sequence[Sequence[int]] = (), side: int = THUMBNAIL) -> str:
    """A small JPEG of an output (never of an original; or of a frame of one), with `outlined`
    regions (x, y, w, h in the output's pixels) drawn, as a data URL."""
    with no_bomb_warning(), (Image.open(path) if isinstance(path, Path) else nullcontext(path)) as opened:
        im = opened.convert("RGB")
        scale = side / max(im.size)
        small = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))))
    draw = ImageDraw.Draw(small)
    for box in outlined:
        x, y, w, h = (round(v * scale) for v in box)
        draw.rectangle((x, y, x + w, y + h), outline=(255, 200, 0), width=2)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def safe_copy(o: dict, base: Path) -> Path | None:
    """The file of output `o` (a record's), when it is still what privacyscreen wrote there (its
    sha256 as the report gives it); None when it is gone or changed, say an original copied over it."""
    path = base / o["path"]
    try:
        with path.open("rb") as f:
            unchanged = hashlib.file_digest(f, "sha256").hexdigest() == o["sha256"]
    except OSError:
        return None
    return path if unchanged else None


def picture(r: dict, o: dict, base: Path, lang: str) -> str:
    """The thumbnail of one output of record `r`, made from its safe copy: the redacted photo with
    what was hidden outlined, four stills of a clip with theirs, or a composition."""
    path, name = safe_copy(o, base), Path(r["source"]).name
    if path is None:
        return f'<p class="missing">{escape(say("review-changed", lang, path=shown(o["path"])))}</p>'
    if o["kind"] == "composition":
        label = escape(say(f"compose-{o['composition']}", lang))
        return (f'<figure class="composition" data-composition="{escape(o["composition"])}">'
                f'<img src="{thumbnail(path, side=THUMBNAIL // 2)}" alt="{label}"><figcaption>{label}</figcaption>'
                "</figure>")  # fmt: skip
    if r.get("frames") is not None:
        frames = video.stills(path, {int(n) for n in r["stills"]})
        return '<div class="stills">' + "".join(
            f'<img src="{thumbnail(Image.fromarray(frames[n]), r["stills"][str(n)], THUMBNAIL // 2)}"'
            f' alt="{escape(name)} {n}" data-frame="{n}">' for n in sorted(frames)) + "</div>"  # fmt: skip
    redacted = [f["box"] for f in r["findings"] if f["action"] == Action.REDACTED]
    return f'<img src="{thumbnail(path, redacted)}" alt="{escape(name)}">'


def pictures(r: dict, base: Path, lang: str) -> str:
    """The thumbnails of one record's outputs: the redacted photo, then its compositions."""
    photo = "".join(picture(r, o, base, lang) for o in r["outputs"] if o["kind"] == "redacted")
    crops = "".join(picture(r, o, base, lang) for o in r["outputs"] if o["kind"] == "composition")
    return photo + (f'<div class="compositions">{crops}</div>' if crops else "")


def card(r: dict, base: Path, lang: str) -> str:
    """One record on the sheet: its pictures, verdict badge, name, whether it was corrected by hand,
    and what the user is told (the error, or the reasons for the verdict)."""
    verdict = Verdict(r["verdict"])
    items = "".join(f"<li>{escape(reason[lang])}</li>" for reason in ([r["error"]] if r["error"] else r["reasons"]))
    corrected = r.get("corrected") is True
    flag = ' data-corrected="true"' if corrected else ""
    mark = f'<span class="corrected">{escape(say("desk-corrected", lang))}</span>' if corrected else ""
    return (
        f'<figure class="photo" data-verdict="{verdict}"{flag}>{pictures(r, base, lang)}<figcaption>'
        f'<span class="badge" style="background:{BADGE_COLOURS[verdict]}">{escape(say(verdict, lang))}</span>'
        f'<span class="name">{escape(shown(r["source"]))}</span>{mark}<ul>{items}</ul></figcaption></figure>'
    )


def html(data: dict, base: Path, lang: str) -> str:
    """One self-contained page made from a report (`data`, as `build` returns it or as it is stored,
    its paths relative to `base`): a contact sheet of the safe copies with verdicts and reasons."""
    records = data["images"]
    totals = ", ".join(f"{n} {say(v, lang)}" for v, n in counts(records).items() if n)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(say('html-title', lang))}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(say('html-title', lang))}</h1>"
        f'<p class="totals">{escape(say("summary", lang, count=len(records), counts=totals or "0"))}</p>'
        f'<section class="sheet">{"".join(card(r, base, lang) for r in records)}</section></body></html>\n'
    )


def write_html(data: dict, base: Path, path: Path, lang: str) -> None:
    write.write_atomic(html(data, base, lang).encode("utf-8"), path)


def rewrite_html(data: dict, report_path: Path) -> None:
    """Write the contact sheet of a report stored at `report_path` again, where and in the language
    its settings name (after the review desk changed a record); nothing when it has none."""
    settings, base = data["settings"], report_path.parent
    if "html" in settings:
        write_html(data, base, base / settings["html"], settings["lang"])
