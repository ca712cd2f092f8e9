#!/usr/bin/env python3
"""Speed and memory, target by target (issue #17), side by side with deface 1.5.0 and the floor, in one run.

    python bench/speed.py            # prints the section; bench/run.py puts it in bench/results.md

Every time is a real command from start to end (start-up included) on this machine:
  12 MP     six grainy 12-megapixel photos (the set's Lanczos upscales with seeded sensor-like
            noise, saved as a phone does at quality 92: grain compresses and decodes like a phone
            photo, a smooth upscale does not); privacyscreen `--jobs 1`, `--jobs 2` and
            `--engine dask --jobs 2`, deface one call per photo, the floor (Pillow decode + encode)
  small     the set's photos of 1 megapixel or less, one batch, `--jobs 1` and `--jobs 2`
  start     `privacyscreen --help`; `check` of one sealed output and of one new 12 MP photo
  memory    the peak of one worker on a grainy 50-megapixel photo
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

BENCH = Path(__file__).resolve().parent
SET = BENCH / ".cache" / "set"
OUT = BENCH / ".cache" / "results"
SPEED_SET = BENCH / ".cache" / "speed" / "12mp-grain"  # made from SET / "12mp" by `grainy` (not in the set)
LARGE = BENCH / ".cache" / "speed" / "50mp-grain" / "grass_50mp.jpg"
SMALL_MAX = 1_000_000  # pixels of a "small" photo
SAMPLES = 5  # runs of each start-up command (the median counts)


def timed(*args: object) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak resident memory in MB of its largest process)."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(a) for a in args], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise subprocess.CalledProcessError(status, [str(a) for a in args])
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def privacyscreen_cmd() -> list[object]:
    """The privacyscreen of this checkout (a worktree, say), not whichever one is installed."""
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(BENCH.parent)!r}); "
            "from privacyscreen.cli import main; sys.exit(main())"]  # fmt: skip


def grainy(source: Path, dest: Path, scale: float = 1.0) -> Path:
    """`source` (resized by `scale`) with seeded sensor-like grain (luma sigma 5, chroma 2.5), as JPEG
    quality 92; made once."""
    if dest.exists():
        return dest
    with Image.open(source) as im:
        rgb = im.convert("RGB")
    if scale != 1.0:
        rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.LANCZOS)
    pixels = np.asarray(rgb, np.float32)
    rng = np.random.default_rng(sum(source.name.encode()))
    h, w = pixels.shape[:2]
    for row in range(0, h, 512):  # in bands: a 50 MP photo in float32 noise would need gigabytes
        band = pixels[row : row + 512]
        band += rng.normal(0, 5, (*band.shape[:2], 1)).astype(np.float32)
        band += rng.normal(0, 2.5, band.shape).astype(np.float32)
    dest.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(dest.with_suffix(".part.jpg"), quality=92)
    dest.with_suffix(".part.jpg").rename(dest)
    return dest


def speed_set() -> list[Path]:
    return [grainy(p, SPEED_SET / p.name) for p in sorted((SET / "12mp").glob("*.jpg"))]


def small_photos() -> list[Path]:
    found = []
    for p in sorted(SET.glob("*")):
        if p.suffix.lower() in (".jpg", ".jpeg", ".png"):
            with Image.open(p) as im:
                if im.width * im.height <= SMALL_MAX:
                    found.append(p)
    return found


def floor(photos: list[Path]) -> float:
    """Mean seconds to decode a photo fully and encode it again as JPEG, with Pillow alone."""
    times = []
    for path in photos:
        start = time.perf_counter()
        with Image.open(path) as im:
            im.load()
            im.convert("RGB").save(io.BytesIO(), "JPEG", quality=90)
        times.append(time.perf_counter() - start)
    return statistics.mean(times)


def ours(photos: list[Path], name: str, *options: object) -> dict:
    """Wall time per photo of `privacyscreen run` on `photos` (copied into one folder), start-up
    included, its peak memory and the mean seconds of each stage."""
    inbox, out = OUT / f"speed-{name}-in", OUT / f"speed-{name}"
    shutil.rmtree(inbox, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    inbox.mkdir(parents=True)
    for p in photos:
        os.link(p, inbox / p.name)
    wall, rss = timed(*privacyscreen_cmd(), "run", inbox, "--out", out, *options)
    report = json.loads((out / "privacyscreen-report.json").read_text())
    stages: dict[str, list[float]] = {}
    for img in report["images"]:
        for stage, seconds in img["seconds"].items():
            stages.setdefault(stage, []).append(seconds)
    return {"seconds": wall / len(photos), "rss": rss, "stages": {s: statistics.mean(v) for s, v in stages.items()},
            "out": out, "report": report}  # fmt: skip


def deface(photos: list[Path]) -> dict:
    """deface 1.5.0 (bench/peer_deface.py, its own virtualenv), one call per photo."""
    result = OUT / "deface-12mp-grain.json"
    subprocess.run([sys.executable, BENCH / "peer_deface.py", "setup"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, BENCH / "peer_deface.py", "run", "--images", SPEED_SET, "--root", SPEED_SET,
                    "--out", OUT / "deface-12mp-grain", "--json", result], check=True)  # fmt: skip
    data = json.loads(result.read_text())
    per_photo = [img["seconds"] for img in data["images"].values() if img.get("seconds")]
    return {"seconds": statistics.mean(per_photo), "rss": data.get("peak_rss_mb") or 0}


def median_time(*args: object) -> float:
    return statistics.median(timed(*args)[0] for _ in range(SAMPLES))


def section(skip_deface: bool = False) -> str:
    photos = speed_set()
    base = floor(photos)
    one = ours(photos, "jobs1", "--jobs", 1)
    two = ours(photos, "jobs2", "--jobs", 2)
    dask = ours(photos, "dask", "--engine", "dask", "--jobs", 2)
    theirs = None if skip_deface else deface(photos)
    small = small_photos()
    small_one, small_two = ours(small, "small1", "--jobs", 1), ours(small, "small2", "--jobs", 2)
    large = ours([grainy(SET / "12mp" / "city.jpg", LARGE, 2.04)], "50mp", "--jobs", 1)
    sealed = next(o["path"] for img in one["report"]["images"] for o in img["outputs"])
    cmd = privacyscreen_cmd()
    start = {
        "`privacyscreen --help`": (median_time(*cmd, "--help"), 0.3),
        "`privacyscreen check` of one sealed output": (median_time(*cmd, "check", one["out"] / sealed), 0.5),
        "`privacyscreen check` of one new 12 MP photo": (timed(*cmd, "check", photos[0])[0], 2.0),
    }

    def row(what: str, r: dict, target: str) -> str:
        return f"| {what} | {r['seconds']:.2f} | {r['seconds'] / base:.1f} | {r['rss']:.0f} MB | {target} |"

    rows = [
        "| 12 MP grainy photos | seconds per photo | x floor | peak memory (largest process) | target |",
        "| --- | --- | --- | --- | --- |",
        f"| floor: Pillow decode + encode | {base:.2f} | 1.0 | | |",
        row("privacyscreen `--jobs 1`", one, "≤ 1.0 s, ≥ 3 x faster than deface"),
        row("privacyscreen `--jobs 2`", two, f"≥ 1.8 x `--jobs 1`: **{one['seconds'] / two['seconds']:.2f} x**"),
        row("privacyscreen `--engine dask --jobs 2`", dask, "(local cluster, two workers)"),
    ]
    if theirs:
        faster = theirs["seconds"] / one["seconds"]
        rows.append(row("deface 1.5.0, one call per photo (all cores)", theirs,
                        f"privacyscreen `--jobs 1` is **{faster:.2f} x** its speed"))  # fmt: skip
    stages = ", ".join(f"{s} {t:.2f} s" for s, t in one["stages"].items())
    lines = [
        "\n".join(rows),
        f"\n{len(photos)} photos. privacyscreen `--jobs 1` (one worker, one inference thread) per stage, mean:"
        f" {stages}.",
        "\n| other targets | measured | target |\n| --- | --- | --- |",
        f"| photos of 1 MP or less ({len(small)}, one batch), `--jobs 1` / `--jobs 2` | {small_one['seconds']:.2f} s"
        f" / {small_two['seconds']:.2f} s per photo | ≤ 0.15 s |",
        *(f"| {what} | {seconds:.2f} s | < {target} s |" for what, (seconds, target) in start.items()),
        f"| peak memory, one 50 MP photo, `--jobs 1` | {large['rss']:.0f} MB ({large['seconds']:.1f} s) | < 1500 MB |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(section("--skip-deface" in sys.argv))
