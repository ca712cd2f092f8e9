"""Kill -9 a batch run at random moments: no half-written or unverified photo is ever visible in
the output folder, the originals are intact, and running again finishes the job."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from privacyscreen import write

from .conftest import SAMPLES, digest


def visible_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_killing_a_run_at_random_moments(tmp_path):
    inbox = tmp_path / "inbox"
    for copy in ("a", "b"):
        shutil.copytree(SAMPLES, inbox / copy, ignore=shutil.ignore_patterns("*.md", "workplace"))
    before = {p: digest(p) for p in inbox.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    command = [str(Path(sys.executable).parent / "privacyscreen"), "run", str(inbox), "--out", str(out), "--jobs", "1"]
    rng = random.Random(2026)
    counts = []
    for _ in range(8):
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 12.0))  # start-up (five models) takes a few seconds, a photo one or two
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        counts.append(len([p for p in visible_files(out) if p.suffix != ".json"]))
        for path in visible_files(out):  # whatever is visible is complete and verified (sealed)
            if path.suffix == ".json":
                json.loads(path.read_text())
            else:
                assert write.sealed_release(path.read_bytes()) in ("not-applicable", "none"), path
    assert any(0 < n < len(before) for n in counts), counts  # some kills landed mid-run
    assert subprocess.run(command, capture_output=True).returncode == 0
    photos = sorted(
        str(p.relative_to(out)).removeprefix("needs-consent/") for p in visible_files(out) if p.suffix != ".json"
    )
    assert photos == sorted(str(p.relative_to(inbox)) for p in before)  # each exactly once
    assert not list(out.rglob("*.part"))  # the killed runs' temporary files are cleaned up
    assert before == {p: digest(p) for p in before}  # originals intact
