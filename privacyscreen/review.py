"""The review desk's work: the communications team corrects a screened photo and approves it for a
channel, and every change is on record.

A correction never edits the safe copy's pixels: the photo is rendered again from its original
with the corrected findings, through the same decide, redact, rebuild, verify and atomic write as
`run` (`Screener.write`), and its record in the report is updated and marked as corrected by hand.
Approval copies a safe copy, whose seal still matches, to `OUT/approved/CHANNEL/`. The record of
every correction and approval (who, when, what, why) is a SQLite file that is only ever added to.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from . import photo, policy, redact, write
from .consent import CHANNELS
from .findings import Action, Box, Finding, Kind, Shape, Style
from .messages import UserError
from .policy import PRESETS, Policy, Reason, Verdict
from .report import relative
from .screen import HELD, Screener

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

    def __init__(self, out_dir: Path, log: Path, reviewer: str, rules: Policy | None = None):
        """`rules`: the policy corrections are decided by; by default the preset the photos were screened with."""
        self.out_dir, self.reviewer = out_dir, reviewer
        self.report_path = out_dir / "privacyscreen-report.json"
        try:
            self.report = json.loads(self.report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ReviewError("review-no-report", path=self.report_path) from None
        used = self.report["settings"]["policy"]
        if rules is None and used not in PRESETS:
            raise ReviewError("review-policy", name=used)
        self.rules = rules or Policy.load(used)
        self.photos = [r for r in self.report["images"] if r["outputs"] and r.get("frames") is None]
        log.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(log, check_same_thread=False)  # served by one thread, one request at a time
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def record(self, i: int) -> dict:
        if not 0 <= i < len(self.photos):
            raise ReviewError("review-no-photo", number=i)
        return self.photos[i]

    def path(self, i: int) -> Path:
        """The safe copy of photo `i` as it is now (always inside the output folder)."""
        path = self.out_dir / self.record(i)["outputs"][0]["path"]
        if not path.resolve().is_relative_to(self.out_dir.resolve()):
            raise ReviewError("review-no-photo", number=i)
        return path

    def findings(self, i: int) -> list[Finding]:
        return [Finding.from_dict(f) for f in self.record(i)["findings"]]

    def hide(self, i: int, box: Box, shape: Shape) -> dict:
        """Hide a region the detectors missed (a face, a name on a door, a screen), in `shape`."""
        width, height = self.record(i)["size"]
        x, y, w, h = box
        if w < 1 or h < 1 or x < 0 or y < 0 or x + w > width or y + h > height:
            raise ReviewError("review-bad-box")
        drawn = Finding(Kind.DRAWN, box, 1.0, "reviewer", label=shape)
        return self._correct(i, [*self.findings(i), drawn], Change.HIDE, {"box": list(box), "shape": shape}, "")

    def show(self, i: int, n: int, why: Harmless) -> dict:
        """Take away redaction `n`, which hides nothing identifying (a hand, a patch of wallpaper)."""
        found = self.findings(i)
        if not 0 <= n < len(found) or found[n].action != Action.REDACTED:
            raise ReviewError("review-no-redaction", number=n)
        rest = found[:n] + found[n + 1 :]
        return self._correct(i, rest, Change.SHOW, {"finding": self.record(i)["findings"][n]}, why)

    def approve(self, i: int, channel: str) -> Path:
        """Copy the safe copy of photo `i` to where the team publishes to `channel` from, when its
        verdict is safe to share anywhere and its seal shows nobody changed it since."""
        record = self.record(i)
        if channel not in CHANNELS:
            raise ReviewError("review-bad-channel", channel=channel, valid=", ".join(CHANNELS))
        if Verdict(record["verdict"]) not in policy.SAFE:
            raise ReviewError("review-not-safe", verdict=record["verdict"])
        data = self.path(i).read_bytes()
        if write.sealed_release(data) != "not-applicable":
            raise ReviewError("review-changed", path=self.path(i))
        target = self.out_dir / APPROVED / channel / self.path(i).name
        digest = write.write_atomic(data, target)
        self._log(record, Change.APPROVE, {"channel": channel}, "", target, digest)
        return target

    def history(self, i: int) -> list[tuple[str, str, str, str, str]]:
        """(when, who, change, detail, reason) of every change to photo `i`, oldest first."""
        rows = self.db.execute("SELECT at, who, change, detail, reason FROM changes WHERE photo = ? ORDER BY rowid",
                               (self.record(i)["sha256"],))  # fmt: skip
        return list(rows)

    def _correct(self, i: int, findings: list[Finding], change: Change, detail: dict, why: str) -> dict:
        """Render photo `i` again from its original with `findings` decided anew, write it where its
        verdict says, update its record and the report, and put the change on record."""
        record = self.record(i)
        source = self.report_path.parent / record["source"]
        try:
            pic = photo.load(source)
        except photo.PhotoError:
            raise ReviewError("review-original-changed", path=source) from None
        if pic.sha256 != record["sha256"]:
            raise ReviewError("review-original-changed", path=source)
        pending = [replace(f, action=Action.PENDING) for f in findings]
        decision = policy.decide(pending, pic.metadata, pic.height, self.rules)
        settings = self.report["settings"]
        pixels = redact.apply(pic.pixels, decision.findings, Style(settings["style"]), Shape(settings["shape"]))
        old = self.path(i)
        where = old.relative_to(self.out_dir)
        where = where.relative_to(HELD) if where.parts[0] == HELD else where  # the photo's place in the folder
        folder = self.out_dir / HELD if decision.verdict == Verdict.NEEDS_CONSENT else self.out_dir
        target, digest = Screener.write(pixels, pic, policy.RELEASE[decision.verdict],
                                        folder / where.with_suffix(""), source)  # fmt: skip
        if target != old:
            old.unlink(missing_ok=True)
        record |= {
            "verdict": decision.verdict,
            "reasons": [r.to_dict() for r in [*decision.reasons, Reason("reason-corrected")]],
            "findings": [f.to_dict() for f in decision.findings],
            "corrected": True,
        }
        record["outputs"][0] |= {"path": relative(target, self.report_path.parent), "sha256": digest}
        self.report["summary"] = {v: sum(r["verdict"] == v for r in self.report["images"]) for v in Verdict}
        write.write_atomic((json.dumps(self.report, indent=2, ensure_ascii=False) + "\n").encode(), self.report_path)
        self._log(record, change, detail, why, target, digest)
        return record

    def _log(self, record: dict, change: Change, detail: dict, why: str, output: Path, digest: str) -> None:
        with self.db:
            at = datetime.now(UTC).isoformat(timespec="seconds")
            self.db.execute("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (at, self.reviewer, record["sha256"], record["source"], change, json.dumps(detail), why,
                             str(output.resolve()), digest))  # fmt: skip

