"""The JSON report: one record per input photo. Other views (terminal lines, HTML) read the same records.

Schema "privacyscreen-report/1", documented in README.md. Paths are relative to the report file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from . import __version__, write
from .policy import VERDICTS
from .screen import Screening, Settings

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
        "outputs": [{"path": relative(o.path, base), "kind": o.kind, "sha256": o.sha256} for o in s.outputs],
        "seconds": {stage: round(t, 4) for stage, t in s.seconds.items()},
    }


def counts(results: list[Screening]) -> dict[str, int]:
    tally = Counter(s.verdict for s in results)
    return {v: tally[v] for v in VERDICTS}


def build(results: list[Screening], settings: Settings, base: Path) -> dict:
    return {
        "schema": SCHEMA,
        "tool": {"name": "privacyscreen", "version": __version__},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": {"style": settings.style, "shape": settings.shape, "detectors": list(settings.detectors)},
        "summary": counts(results),
        "images": [record(s, base) for s in results],
    }


def write_json(results: list[Screening], settings: Settings, path: Path) -> None:
    data = json.dumps(build(results, settings, path.parent), indent=2, ensure_ascii=False) + "\n"
    write.write_atomic(data.encode("utf-8"), path)
