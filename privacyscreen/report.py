"""Reports: a JSON record per input photo, and an HTML contact sheet made from the same records.

Schema "privacyscreen-report/1", documented in README.md. Paths are relative to the report file.
"""

from __future__ import annotations

import base64
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
from .findings import Action, Box
from .messages import say, shown
from .photo import no_bomb_warning
from .policy import Verdict
from .screen import Output, Screening, Settings

SCHEMA = "privacyscreen-report/1"


def relative(path: Path, base: Path) -> str:
    return os.path.relpath(path.absolute(), base.absolute())


def record(s: Screening, base: Path) -> dict:
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
    } | ({"frames": s.frames, "duration": s.duration, "audio": s.audio} if s.frames is not None else {})


def output(o: Output, base: Path) -> dict:
    extra = {}
    if o.composition and o.crop and o.size:
        extra = {"composition": o.composition, "crop": list(o.crop), "size": list(o.size),
                 "posting_size": o.posting_size}  # fmt: skip
    return {"path": relative(o.path, base), "kind": o.kind, "sha256": o.sha256} | extra


def counts(results: list[Screening]) -> dict[Verdict, int]:
    tally = Counter(s.verdict for s in results)
    return {v: tally[v] for v in Verdict}


def build(results: list[Screening], settings: Settings, base: Path) -> dict:
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
        },
        "summary": counts(results),
        "images": [record(s, base) for s in results],
    }


def write_json(results: list[Screening], settings: Settings, path: Path) -> None:
    data = json.dumps(build(results, settings, path.parent), indent=2, ensure_ascii=False) + "\n"
    write.write_atomic(data.encode("utf-8"), path)


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
ul{margin:.5rem 0 0;padding-left:1.2rem}
.compositions{display:flex;flex-wrap:wrap;gap:.5rem;justify-content:center}
figure.composition{border:none;padding:.25rem}
.stills{display:grid;grid-template-columns:1fr 1fr;gap:.25rem;margin-bottom:.5rem}.stills img{margin:0}
figure.composition figcaption{text-align:center;font-size:.9rem}
"""


def thumbnail(path: Path | Image.Image, outlined: Sequence[Box] = (), side: int = THUMBNAIL) -> str:
    """A small JPEG of an output (never of an original; or of a frame of one), with `outlined`
    regions (in the output's pixels) drawn, as a data URL."""
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


def pictures(s: Screening, lang: str) -> str:
    """The thumbnails of one photo's outputs: the redacted photo, then its compositions."""
    photo, crops = "", []
    for o in s.outputs:
        if o.kind == "redacted" and s.frames is not None:
            frames = video.stills(o.path, set(s.stills))
            photo = '<div class="stills">' + "".join(
                f'<img src="{thumbnail(Image.fromarray(frames[n]), s.stills[n], THUMBNAIL // 2)}"'
                f' alt="{escape(s.source.name)} {n}" data-frame="{n}">' for n in sorted(frames)) + "</div>"
        elif o.kind == "redacted":
            redacted = [f.box for f in s.findings if f.action == Action.REDACTED]
            photo = f'<img src="{thumbnail(o.path, redacted)}" alt="{escape(s.source.name)}">'
        else:
            name = escape(say(f"compose-{o.composition}", lang))
            crops.append(f'<figure class="composition" data-composition="{o.composition}">'
                         f'<img src="{thumbnail(o.path, side=THUMBNAIL // 2)}" alt="{name}">'
                         f"<figcaption>{name}</figcaption></figure>")  # fmt: skip
    return photo + (f'<div class="compositions">{"".join(crops)}</div>' if crops else "")


def html(results: list[Screening], lang: str) -> str:
    """One self-contained page: a contact sheet of the safe copies with verdicts and reasons."""
    tally = counts(results)
    totals = ", ".join(f"{n} {say(v, lang)}" for v, n in tally.items() if n)
    cards = []
    for s in results:
        picture = pictures(s, lang)
        items = "".join(f"<li>{escape(r.text(lang))}</li>" for r in s.explanation)
        cards.append(
            f'<figure class="photo" data-verdict="{s.verdict}">{picture}<figcaption>'
            f'<span class="badge" style="background:{BADGE_COLOURS[s.verdict]}">{escape(say(s.verdict, lang))}</span>'
            f'<span class="name">{escape(shown(s.source))}</span><ul>{items}</ul></figcaption></figure>'
        )
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(say('html-title', lang))}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(say('html-title', lang))}</h1>"
        f'<p class="totals">{escape(say("summary", lang, count=len(results), counts=totals or "0"))}</p>'
        f'<section class="sheet">{"".join(cards)}</section></body></html>\n'
    )


def write_html(results: list[Screening], path: Path, lang: str) -> None:
    write.write_atomic(html(results, lang).encode("utf-8"), path)
