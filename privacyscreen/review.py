"""The review desk's work: the communications team corrects a screened photo and approves it for a
channel, and every change is on record.

A correction never edits the safe copy's pixels: the photo is rendered again from its original
with the corrected findings, through the same decide, redact, rebuild, verify and atomic write as
`run` (`Screener.write`), and its record in the report is updated and marked as corrected by hand.
A reviewer may keep one face visible under the consent form its person signed, checked against
the consent register for the channel; every other face stays hidden. Approval copies a safe copy,
whose seal still matches, to `OUT/approved/CHANNEL/`; a photo kept under forms only for the channel
they cover, while they still do, and each such copy is recorded in the register as a use of its
forms, so that `consent audit` lists it once a form is withdrawn. The record of every correction
and approval (who, when, what, why) is a SQLite file beside the register that is only ever added to.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

import numpy as np
from PIL import Image

from . import compose, consent, mp4, photo, policy, redact, report, video, write
from .consent import CHANNELS
from .findings import Action, Box, Finding, Kind, Shape, Style
from .messages import UserError
from .photo import Photo
from .policy import PRESETS, Decision, Policy, Reason, Verdict
from .report import relative
from .screen import HELD, Screener, Settings

LOG = "review.sqlite"  # beside the consent register
APPROVED = "approved"  # subfolder of the output folder: what the team publishes from, per channel
SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    at TEXT NOT NULL,            -- UTC, ISO 8601
    who TEXT NOT NULL,
    photo TEXT NOT NULL,         -- sha256 of the original
    source TEXT NOT NULL,        -- the original's path, as the report names it
    change TEXT NOT NULL,        -- a Change
    detail TEXT NOT NULL,        -- JSON: the box drawn, the finding taken away, the channel
    reason TEXT NOT NULL,        -- a Harmless reason, or ''
    output TEXT NOT NULL,        -- the file written
    output_sha256 TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS changes_kept BEFORE UPDATE ON changes
    BEGIN SELECT RAISE(ABORT, 'the review record is never changed'); END;
CREATE TRIGGER IF NOT EXISTS changes_never_deleted BEFORE DELETE ON changes
    BEGIN SELECT RAISE(ABORT, 'the review record is never deleted'); END;
"""


class Change(StrEnum):
    """What a reviewer did to a photo."""

    HIDE = "hide"  # hid a region the detectors missed
    SHOW = "show"  # took away a redaction that hides nothing identifying
    KEEP = "keep"  # kept one face visible under its person's consent form
    COMPOSE = "compose"  # added or adjusted a composition
    APPROVE = "approve"  # approved the photo for a channel


class Harmless(StrEnum):
    """Why a redaction hides nothing identifying: the short list a reviewer chooses from."""

    HAND = "hand"  # a hand, an arm
    PATTERN = "pattern"  # wallpaper, fabric, a texture
    OBJECT = "object"  # a thing: a cup, a lamp, a picture
    TEXT = "text"  # text that names no one (signage, a brand)


class ReviewError(UserError):
    """A correction or approval that cannot be made; the message says why."""


class Desk:
    """The screened photos of one output folder, as the report lists them, and the record of changes."""

    def __init__(self, out_dir: Path, register: Path, reviewer: str, rules: Policy | None = None):
        """`register`: the consent register, beside which the record of changes is kept; `rules`:
        the policy corrections are decided by, by default the preset the photos were screened with."""
        self.out_dir, self.register, self.reviewer = out_dir, register, reviewer
        self.report_path = out_dir / report.NAME
        try:
            self.report = json.loads(self.report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ReviewError("review-no-report", path=self.report_path) from None
        used = self.report["settings"]["policy"]
        if rules is None and used not in PRESETS:
            raise ReviewError("review-policy", name=used)
        self.rules = rules or Policy.load(used)
        self.ready = out_dir / self.report["settings"].get("ready", ".")  # where safe copies go
        self.photos = [r for r in self.report["images"] if r["outputs"]]
        self.screener: Screener | None = None  # loaded for the first composition
        self._stills: dict[str, dict[int, bytes]] = {}  # a clip's frames as JPEGs, by the clip's sha256
        register.parent.mkdir(parents=True, exist_ok=True)
        # served by one thread, one request at a time
        self.db = sqlite3.connect(register.parent / LOG, check_same_thread=False)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()
        if self.screener:
            self.screener.close()

    def record(self, i: int) -> dict:
        if not 0 <= i < len(self.photos):
            raise ReviewError("review-no-photo", number=i)
        return self.photos[i]

    def path(self, i: int, k: int = 0) -> Path:
        """Output `k` of photo `i` as it is now: its safe copy, or a composition (always inside the
        output folder)."""
        outputs = self.record(i)["outputs"]
        if not 0 <= k < len(outputs):
            raise ReviewError("review-no-photo", number=i)
        path = self.out_dir / outputs[k]["path"]
        if not path.resolve().is_relative_to(self.out_dir.resolve()):
            raise ReviewError("review-no-photo", number=i)
        return path

    def findings(self, i: int) -> list[Finding]:
        return [Finding.from_dict(f) for f in self.record(i)["findings"]]

    def still(self, i: int, frame: int) -> bytes:
        """One of the frames the report shows of clip `i`, from its safe copy, as a JPEG. All of
        them are decoded on the first ask (one pass through the clip, not one per frame) and kept:
        the desk never changes a clip."""
        record = self.record(i)
        if str(frame) not in record.get("stills", {}):
            raise ReviewError("review-no-photo", number=i)
        if record["sha256"] not in self._stills:
            frames = video.stills(self.path(i), {int(n) for n in record["stills"]})
            self._stills[record["sha256"]] = {n: _jpeg(pixels) for n, pixels in frames.items()}
        return self._stills[record["sha256"]][frame]

    def hide(self, i: int, box: Box, shape: Shape) -> dict:
        """Hide a region the detectors missed (a face, a name on a door, a screen), in `shape`."""
        drawn = Finding(Kind.DRAWN, self._inside(i, box), 1.0, "reviewer", label=shape)
        return self._correct(i, [*self.findings(i), drawn], Change.HIDE, {"box": list(box), "shape": shape}, "")

    def show(self, i: int, n: int, why: Harmless) -> dict:
        """Take away redaction `n`, which hides nothing identifying (a hand, a patch of wallpaper)."""
        found = self.findings(i)
        if not 0 <= n < len(found) or found[n].action != Action.REDACTED:
            raise ReviewError("review-no-redaction", number=n)
        rest = found[:n] + found[n + 1 :]
        return self._correct(i, rest, Change.SHOW, {"finding": self.record(i)["findings"][n]}, why)

    def compose(self, i: int, subject: str, box: Box, aspect: str) -> dict:
        """Add or adjust the `subject` composition of photo `i`: the largest crop of `aspect` that
        fits in `box`, refused when it touches a face, a head or hidden text, or is too small to
        post, and written only when screening it again as a photo of its own finds it safe."""
        record = self.record(i)
        if subject not in compose.CONTEXT or aspect not in compose.ASPECTS:
            raise ReviewError("review-bad-composition")
        crop = compose.fit(self._inside(i, box), aspect)
        if min(crop[2], crop[3]) < compose.MIN_SIDE:
            raise ReviewError("review-composition-small", side=compose.MIN_SIDE)
        if not compose.clear(crop, self.findings(i)):
            raise ReviewError("review-composition-touches")
        pic, decision, pixels = self._render(record, self.findings(i), record.get("channel", ""))
        if self.screener is None:
            used = self.report["settings"]
            self.screener = Screener(Settings(detectors=tuple(used["detectors"]), policy=self.rules,
                                              style=Style(used["style"]), shape=Shape(used["shape"])))  # fmt: skip
        made = self.screener.composition(pic, pixels, compose.Composition(subject, aspect, crop, 1.0),
                                         self.ready / self._place(i), self._source(record))  # fmt: skip
        if made is None:
            raise ReviewError("review-composition-unsafe")
        written = report.output(made, self.out_dir)
        record["outputs"] = [o for o in record["outputs"] if o.get("composition") != subject] + [written]
        record["corrected"] = True
        self._save()
        self._log(record, Change.COMPOSE, {"subject": subject, "crop": list(crop), "aspect": aspect}, "",
                  made.path, made.sha256)  # fmt: skip
        return record

    def keep(self, i: int, n: int, form: str, channel: str) -> dict:
        """Keep face `n` visible under consent form `form`, signed by that person, for `channel`;
        refused unless the register says the form covers that channel today."""
        found = self.findings(i)
        if not 0 <= n < len(found) or found[n].kind not in policy.HIDES_FACE:
            raise ReviewError("review-no-face", number=n)
        _channel(channel)
        kept = [replace(f, consent=form) if m == n else f for m, f in enumerate(found)]
        self._covered(kept, channel)
        return self._correct(i, kept, Change.KEEP, {"finding": n, "form": form, "channel": channel}, "", channel)

    def approve(self, i: int, channel: str) -> Path:
        """Copy the safe copy of photo `i` to where the team publishes to `channel` from, when its
        verdict is safe there (safe anywhere, or consented for that channel by forms that still
        cover it) and its seal shows nobody changed it since."""
        record, found = self.record(i), self.findings(i)
        verdict = Verdict(record["verdict"])
        _channel(channel)
        if verdict == Verdict.CONSENTED and record.get("channel") != channel:
            raise ReviewError("review-other-channel", channel=channel, consented=record.get("channel", ""))
        if verdict not in policy.SAFE and verdict != Verdict.CONSENTED:
            raise ReviewError("review-not-safe", verdict=verdict)
        self._covered(found, channel)
        source, target = self.path(i), self.out_dir / APPROVED / channel / self.path(i).name

        def unchanged(path: Path) -> None:
            if _sealed(path) != policy.RELEASE[verdict]:
                raise ReviewError("review-changed", path=source)

        unchanged(source)
        with source.open("rb") as f:  # a clip may be too large to hold in memory
            digest = write.write_atomic(lambda out: shutil.copyfileobj(f, out), target, unchanged)
        self._used(record, found, target, digest, channel)
        self._log(record, Change.APPROVE, {"channel": channel}, "", target, digest)
        return target

    def forms(self) -> list[consent.Form]:
        """The forms in the register that are not withdrawn, to choose from."""
        if not self.register.exists():
            return []
        with consent.Register(self.register) as register:
            return [f for f in register.forms() if not f.withdrawn_on]

    def history(self, i: int) -> list[tuple[str, str, str, str, str]]:
        """(when, who, change, detail, reason) of every change to photo `i`, oldest first."""
        rows = self.db.execute("SELECT at, who, change, detail, reason FROM changes WHERE photo = ? ORDER BY rowid",
                               (self.record(i)["sha256"],))  # fmt: skip
        return list(rows)

    def _consent(self, findings: list[Finding], channel: str) -> list[Reason] | None:
        """Why the forms faces are kept under do not cover `channel` today ([] when they all do;
        None when no face is kept under a form)."""
        if not (forms := _forms(findings)):
            return None
        with consent.Register(self.register) as register:
            return register.check(forms, channel, date.today())

    def _covered(self, findings: list[Finding], channel: str) -> None:
        """Refuse, with the register's reason, unless the forms faces are kept under cover `channel` today."""
        for problem in self._consent(findings, channel) or []:
            raise ReviewError(problem.code, form=problem.form, channel=problem.channel, on=problem.on)

    def _used(self, record: dict, findings: list[Finding], output: Path, digest: str, channel: str) -> None:
        """Record in the register that `output` was made under the forms faces are kept under."""
        if forms := _forms(findings):
            with consent.Register(self.register) as register:
                for form in forms:
                    register.record_use(form, record["sha256"], str(output.resolve()), digest, channel)

    def _photo(self, i: int) -> dict:
        """The record of photo `i`, to correct: corrections of clips are not made here."""
        record = self.record(i)
        if record.get("frames") is not None:
            raise ReviewError("review-clip")
        return record

    def _source(self, record: dict) -> Path:
        return self.report_path.parent / record["source"]

    def _inside(self, i: int, box: Box) -> Box:
        """`box`, when it lies on photo `i`."""
        width, height = self._photo(i)["size"]
        x, y, w, h = box
        if w < 1 or h < 1 or x < 0 or y < 0 or x + w > width or y + h > height:
            raise ReviewError("review-bad-box")
        return box

    def _place(self, i: int) -> Path:
        """Where photo `i` is in the folder of safe copies (or of those held), without its suffix."""
        path = self.path(i)
        for folder in (self.out_dir / HELD, self.ready):
            if path.is_relative_to(folder):
                return path.relative_to(folder).with_suffix("")
        return path.relative_to(self.out_dir).with_suffix("")

    def _render(self, record: dict, findings: list[Finding], channel: str) -> tuple[Photo, Decision, np.ndarray]:
        """The original of `record`, decided anew with `findings` (faces kept under forms for
        `channel`), and its pixels redacted so."""
        source = self._source(record)
        try:
            pic = photo.load(source)
        except photo.PhotoError:
            raise ReviewError("review-original-changed", path=source) from None
        if pic.sha256 != record["sha256"]:
            raise ReviewError("review-original-changed", path=source)
        pending = [replace(f, action=Action.PENDING) for f in findings]
        decision = policy.decide(pending, pic.metadata, pic.height, self.rules, frozenset(),
                                 self._consent(findings, channel), channel)  # fmt: skip
        settings = self.report["settings"]
        return pic, decision, redact.apply(pic.pixels, decision.findings, Style(settings["style"]),
                                           Shape(settings["shape"]))  # fmt: skip

    def _correct(self, i: int, findings: list[Finding], change: Change, detail: dict, why: str,
                 channel: str | None = None) -> dict:  # fmt: skip
        """Render photo `i` again from its original with `findings` decided anew (faces kept under
        forms for `channel`, by default the one they were kept for), write it where its verdict
        says, update its record and the report, and put the change on record."""
        record = self._photo(i)
        channel = channel or record.get("channel", "")
        pic, decision, pixels = self._render(record, findings, channel)
        old = self.path(i)
        folder = self.out_dir / HELD if decision.verdict == Verdict.NEEDS_CONSENT else self.ready
        target, digest = Screener.write(pixels, pic, policy.RELEASE[decision.verdict], folder / self._place(i),
                                        self._source(record))  # fmt: skip
        if target != old:
            old.unlink(missing_ok=True)
        record |= {
            "verdict": decision.verdict,
            "reasons": [r.to_dict() for r in [*decision.reasons, Reason("reason-corrected")]],
            "findings": [f.to_dict() for f in decision.findings],
            "corrected": True,
        } | ({"channel": channel} if _forms(findings) else {})
        record["outputs"][0] |= {"path": relative(target, self.report_path.parent), "sha256": digest}
        self._save()
        if decision.verdict == Verdict.CONSENTED:
            self._used(record, findings, target, digest, channel)
        self._log(record, change, detail, why, target, digest)
        return record

    def _save(self) -> None:
        """Write the report, and the contact sheet where the run wrote one, with the changed record."""
        report.save(self.report, self.report_path)
        report.rewrite_html(self.report, self.report_path)

    def _log(self, record: dict, change: Change, detail: dict, why: str, output: Path, digest: str) -> None:
        with self.db:
            at = datetime.now(UTC).isoformat(timespec="seconds")
            self.db.execute("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (at, self.reviewer, record["sha256"], record["source"], change, json.dumps(detail), why,
                             str(output.resolve()), digest))  # fmt: skip



def _forms(findings: list[Finding]) -> tuple[str, ...]:
    """The consent forms faces are kept under, each once."""
    return tuple(dict.fromkeys(f.consent for f in findings if f.consent))


def _sealed(path: Path) -> str | None:
    """The model-release status of a photo or clip privacyscreen wrote and nobody changed since, or None."""
    if video.is_clip(path):
        with path.open("rb") as f:
            return mp4.sealed_release(f, path.stat().st_size)
    return write.sealed_release(path.read_bytes())


def _jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise ReviewError("review-bad-channel", channel=channel, valid=", ".join(CHANNELS))
