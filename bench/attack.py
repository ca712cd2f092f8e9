#!/usr/bin/env python3
"""Re-identification attack on redacted faces: proves that redaction cannot be undone.

Benchmark code only: privacyscreen itself never uses face recognition, and nothing here
is imported by the package. The attacker lives in its own virtualenv, bench/.cache/venv-attack.

    python bench/attack.py setup      # create the venv and install the pinned attacker
    python bench/attack.py run --report REPORT.json --truth bench/ground_truth.json \\
        --set-dir bench/.cache/set --out results.json

`run` re-executes itself inside the attack venv (running `setup` first if needed).

Model
    dlib's face recognition ResNet (128-D embedding, 99.38 % on LFW) with dlib's 5-point
    landmark model, both from inside the PyPI distribution face-recognition-models==0.3.0
    (models/dlib_face_recognition_resnet_model_v1.dat and
    models/shape_predictor_5_face_landmarks.dat, sha256 checked at load), run by
    dlib-bin==20.0.1.post1. Davis King released both model files into the public domain;
    the package is MIT, dlib is under the Boost Software License. (The package's 68-point
    model, trained on data restricted to non-commercial use, is not used.)
    Threshold: embeddings closer than 0.6 (Euclidean) are the same person, dlib's
    verification threshold.

Protocol (the strongest reasonable attacker)
    Faces: every findable ground-truth face at least 40 px high.
    Gallery: the embeddings of all those faces in the ORIGINAL photos of the whole set,
    each also mirrored.
    Alignment: the landmark model runs on the original with the ground-truth box as the
    face rectangle; those landmarks also cut every probe of that face (oracle alignment:
    nothing depends on finding the redacted face).
    Probe: the same face in a processed photo (privacyscreen's redacted output, or a
    control below). The attacker also smooths the aligned probe (Gaussian, sigma in
    RESTORE_SIGMAS chip pixels), which undoes much of a mosaic, and for each variant
    keeps the smoothing that re-identifies the most faces.
    Re-identified: the nearest gallery embedding is the same face AND closer than 0.6.
    "The same face" is its own original or a copy of it in another photo of the set
    (originals closer than SAME_FACE: upscaled, rotated, cropped copies).
    Reported per face and in total: re-identified, rank-1 hits (nearest is the same face,
    at any distance), median distance to its own original.

Controls (applied to the ground-truth box of the original, same faces)
    original     untouched: checks the pipeline (distance 0)
    blur-2%      Gaussian blur, sigma = 2 % of the face height
    mosaic-24    24 cells across the face
    The controls must be re-identified in at least HIGH_RATE of the faces, or the attacker
    is too weak and a low redacted rate proves nothing: the run then says so.
    Where the attacker stops (shown, no requirement): blur-4%, mosaic-16, mosaic-8.
    Safe references: blur-strong (kernel = face size, sigma = face height / 3) and fill
    (box painted black). They are not 0 %: hair, ears and background outside the box
    remain, and the gallery holds the very same photos.

Output: a table on stdout, and in --out the totals per variant (rows "redacted: covered
by a finding" / "not covered" split the redacted faces by whether one of privacyscreen's
redacted findings covers half the box or more), the failed controls, the faces without a
redacted output by verdict, and every face with its outcome per variant. About 2.5 s per
face on one core (8 min for 187 faces).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import venv
from pathlib import Path

try:
    import cv2
    import dlib
    import numpy as np
    from PIL import Image, ImageOps
except ImportError:  # outside the attack venv; main() re-executes the script inside it
    pass

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".cache" / "venv-attack"
VENV_PYTHON = VENV / "bin" / "python"
PINS = (
    "dlib-bin==20.0.1.post1",
    "face-recognition-models==0.3.0",
    "numpy==2.4.6",
    "opencv-python-headless==5.0.0.93",
    "pillow==13.0.0",
)
MODEL_PACKAGE = "face_recognition_models"
MODEL_FILES = {
    "recognition": (
        "models/dlib_face_recognition_resnet_model_v1.dat",
        "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
    ),
    "landmarks": (
        "models/shape_predictor_5_face_landmarks.dat",
        "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    ),
}
THRESHOLD = 0.6
# Originals this close are one face: copies of a photo measured 0.03-0.27 apart on the
# benchmark set, different people no closer than 0.37.
SAME_FACE = 0.3
MIN_FACE_PX = 40
RESTORE_SIGMAS = (0, 2, 3, 4)  # probe smoothing tried by the attacker, in pixels of the 150 px chip
CONTROLS = ("original", "blur-2%", "mosaic-24")
LIMITS = ("blur-4%", "mosaic-16", "mosaic-8")
REFERENCES = ("blur-strong", "fill")
REDACTED = "redacted"
HIGH_RATE = 0.9  # a control re-identified less often than this: the attacker is too weak
FINDING_COVER = 0.5  # a redacted finding covering this much of a face box detected it


# ------------------------------------------------------------------- setup --


def setup() -> None:
    """Create the attack virtualenv and install the pins; nothing to do when done before."""
    stamp = VENV / "pins.txt"
    wanted = "\n".join(PINS) + "\n"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "--quiet", *PINS], check=True)
    stamp.write_text(wanted)


def in_attack_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def reexec_in_venv() -> None:
    setup()
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])


# ------------------------------------------------------------------ inputs --


def load_faces(truth_path: Path, set_dir: Path) -> list[dict]:
    """The faces to attack: findable, at least MIN_FACE_PX high, in a photo that exists and whose
    faces are scored (not "faces_scored": false, such as the badge copies of face photos)."""
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    faces = []
    for image, entry in truth["images"].items():
        if not (set_dir / image).is_file() or not entry.get("faces_scored", True):
            continue
        for index, face in enumerate(entry["faces"]):
            if face.get("findable", True) and face["box"][3] >= MIN_FACE_PX:
                faces.append({"image": image, "face": index, "box": face["box"], "tags": face.get("tags", [])})
    return faces


def load_report(report_path: Path, set_dir: Path) -> dict[str, dict]:
    """Per photo (path relative to set_dir): verdict, redacted output and redacted boxes."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    base = report_path.parent
    records = {}
    for item in report["images"]:
        source = os.path.relpath((base / item["source"]).resolve(), set_dir.resolve())
        outputs = [base / o["path"] for o in item.get("outputs", []) if o["kind"] == "redacted"]
        boxes = [f["box"] for f in item.get("findings", []) if f.get("action") == "redacted"]
        records[source] = {"verdict": item.get("verdict"), "output": outputs[0] if outputs else None, "boxes": boxes}
    return records


def load_displayed(path: Path) -> np.ndarray:
    """RGB pixels as displayed (EXIF orientation applied), like the ground-truth boxes."""
    with Image.open(path) as im:
        return np.ascontiguousarray(ImageOps.exif_transpose(im).convert("RGB"))


def load_output(path: Path, original: np.ndarray) -> np.ndarray:
    """The redacted output, resized to the original's size if the tool rescaled it."""
    pixels = load_displayed(path)
    (h, w), (oh, ow) = original.shape[:2], pixels.shape[:2]
    if abs(w / h - ow / oh) > 0.01:
        raise ValueError(f"{path}: {ow}x{oh} does not have the original's shape {w}x{h}")
    return pixels if (oh, ow) == (h, w) else cv2.resize(pixels, (w, h), interpolation=cv2.INTER_AREA)


def detected(box, redacted_boxes) -> bool:
    """Did one of privacyscreen's redacted findings cover most of this ground-truth box?"""
    x, y, w, h = box
    for fx, fy, fw, fh in redacted_boxes:
        ix = max(0, min(x + w, fx + fw) - max(x, fx))
        iy = max(0, min(y + h, fy + fh) - max(y, fy))
        if ix * iy >= FINDING_COVER * w * h:
            return True
    return False


# ----------------------------------------------------------------- attacker --


class Attacker:
    """dlib's landmarks and ResNet embedding, loaded from the pinned distribution."""

    def __init__(self):
        self.landmark_model = dlib.shape_predictor(str(model_path("landmarks")))
        self.embedding_model = dlib.face_recognition_model_v1(str(model_path("recognition")))

    def landmarks(self, pixels: np.ndarray, box) -> dlib.full_object_detection:
        x, y, w, h = (round(v) for v in box)
        return self.landmark_model(pixels, dlib.rectangle(x, y, x + w, y + h))

    def embed(self, chip: np.ndarray) -> np.ndarray:
        return np.array(self.embedding_model.compute_face_descriptor(np.ascontiguousarray(chip)))


def model_path(name: str) -> Path:
    """A model file of the pinned distribution, after checking its sha256."""
    relative, sha256 = MODEL_FILES[name]
    package_dir = Path(importlib.util.find_spec(MODEL_PACKAGE).submodule_search_locations[0])
    path = package_dir / relative
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise SystemExit(f"{path}: sha256 differs from the pinned model")
    return path


def restorations(chip: np.ndarray):
    """The attacker's attempts to undo a redaction: the chip as is, and smoothed."""
    for sigma in RESTORE_SIGMAS:
        yield sigma, chip if sigma == 0 else cv2.GaussianBlur(chip, (0, 0), sigma)


# ----------------------------------------------------------------- controls --


def degrade(pixels: np.ndarray, box, how: str) -> np.ndarray:
    """A copy of `pixels` with the face box blurred, mosaicked or filled (see docstring)."""
    out = pixels.copy()
    x, y, w, h = clip_box(box, pixels.shape)
    region = out[y : y + h, x : x + w]
    kind, _, amount = how.partition("-")
    if how == "original":
        pass
    elif how == "blur-strong":
        region[:] = blurred(pixels, (x, y, w, h), sigma=h / 3, kernel=max(w, h) | 1)
    elif kind == "blur":
        region[:] = blurred(pixels, (x, y, w, h), sigma=float(amount.rstrip("%")) / 100 * h, kernel=0)
    elif kind == "mosaic":
        cells = int(amount)
        small = cv2.resize(region, (cells, max(1, round(cells * h / w))), interpolation=cv2.INTER_AREA)
        region[:] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    elif how == "fill":
        region[:] = 0
    else:
        raise ValueError(how)
    return out


def blurred(pixels: np.ndarray, box, sigma: float, kernel: int) -> np.ndarray:
    """The box of a Gaussian-blurred image: the blur reads the pixels around the box too."""
    x, y, w, h = box
    pad = max(kernel, round(3 * sigma) + 1)
    y0, x0 = max(0, y - pad), max(0, x - pad)
    smooth = cv2.GaussianBlur(pixels[y0 : y + h + pad, x0 : x + w + pad], (kernel, kernel), sigmaX=sigma)
    return smooth[y - y0 : y - y0 + h, x - x0 : x - x0 + w]


def clip_box(box, shape) -> tuple[int, int, int, int]:
    x, y, w, h = (round(v) for v in box)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(shape[1], x + w), min(shape[0], y + h)
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


# ------------------------------------------------------------------- attack --


def embed_all(faces: list[dict], set_dir: Path, report: dict[str, dict], attacker: Attacker):
    """Gallery entries (face, vector) and probes (face, variant, sigma, vector)."""
    gallery, probes = [], []
    by_image: dict[str, list[int]] = {}
    for i, face in enumerate(faces):
        by_image.setdefault(face["image"], []).append(i)
    for image, indices in by_image.items():
        original = load_displayed(set_dir / image)
        record = report.get(image, {"verdict": "not-in-report", "output": None, "boxes": []})
        output = load_output(record["output"], original) if record["output"] else None
        for i in indices:
            face = faces[i]
            face["verdict"] = record["verdict"]
            face["detected"] = detected(face["box"], record["boxes"])
            landmarks = attacker.landmarks(original, face["box"])
            chip = dlib.get_face_chip(original, landmarks)
            gallery += [(i, attacker.embed(chip)), (i, attacker.embed(chip[:, ::-1]))]
            for how in CONTROLS + LIMITS + REFERENCES + ((REDACTED,) if output is not None else ()):
                pixels = output if how == REDACTED else degrade(original, face["box"], how)
                for sigma, restored in restorations(dlib.get_face_chip(pixels, landmarks)):
                    probes.append((i, how, sigma, attacker.embed(restored)))
    return gallery, probes


def score(faces: list[dict], gallery, probes) -> dict[tuple[str, int], list[dict]]:
    """The attack's outcome for every probe, grouped by (variant, sigma)."""
    labels = np.array([label for label, _ in gallery])
    vectors = np.stack([vector for _, vector in gallery])
    own = {label: vector for label, vector in gallery[::2]}  # the unmirrored originals
    same_face = {i: {j for j in own if np.linalg.norm(own[i] - own[j]) < SAME_FACE} for i in own}
    outcomes: dict[tuple[str, int], list[dict]] = {}
    for i, how, sigma, probe in probes:
        distances = np.linalg.norm(vectors - probe, axis=1)
        nearest = int(labels[np.argmin(distances)])
        rank1 = nearest in same_face[i]
        outcomes.setdefault((how, sigma), []).append(
            {
                "face": i,
                "distance_to_own": round(float(np.linalg.norm(own[i] - probe)), 4),
                "nearest": f"{faces[nearest]['image']}#{faces[nearest]['face']}",
                "nearest_distance": round(float(distances.min()), 4),
                "rank1": rank1,
                "reidentified": rank1 and bool(distances.min() < THRESHOLD),
            }
        )
    return outcomes


def best_restoration(outcomes: dict[tuple[str, int], list[dict]]) -> dict[str, list[dict]]:
    """Per variant, the outcomes under the smoothing that re-identified the most faces."""
    best: dict[str, tuple[int, list[dict]]] = {}
    for (how, sigma), rows in outcomes.items():
        hits = sum(r["reidentified"] for r in rows)
        if how not in best or hits > sum(r["reidentified"] for r in best[how][1]):
            best[how] = (sigma, rows)
    return {how: [{**row, "sigma": sigma} for row in rows] for how, (sigma, rows) in best.items()}


def totals(rows: list[dict]) -> dict:
    n = len(rows)
    reidentified, rank1 = sum(r["reidentified"] for r in rows), sum(r["rank1"] for r in rows)
    return {
        "faces": n,
        "reidentified": reidentified,
        "reidentified_pct": round(100 * reidentified / n, 1),
        "rank1": rank1,
        "rank1_pct": round(100 * rank1 / n, 1),
        "median_distance": round(statistics.median(r["distance_to_own"] for r in rows), 4),
        "smoothing": rows[0]["sigma"],
    }


def summarize(faces: list[dict], results: dict[str, list[dict]]) -> dict:
    """Totals per variant (only those with faces), the failed controls, the unprobed faces."""
    redacted = results.get(REDACTED, [])
    groups = {how: results.get(how, []) for how in CONTROLS + LIMITS + REFERENCES + (REDACTED,)}
    groups["redacted: covered by a finding"] = [r for r in redacted if faces[r["face"]]["detected"]]
    groups["redacted: not covered"] = [r for r in redacted if not faces[r["face"]]["detected"]]
    rows = {how: totals(group) for how, group in groups.items() if group}
    weak = [how for how in CONTROLS if rows[how]["reidentified_pct"] < 100 * HIGH_RATE]
    probed = {r["face"] for r in redacted}
    without_output: dict[str, int] = {}
    for i, face in enumerate(faces):
        if i not in probed:
            without_output[face["verdict"]] = without_output.get(face["verdict"], 0) + 1
    return {"totals": rows, "attacker_too_weak": weak, "faces_without_output": without_output}


def print_summary(summary: dict) -> None:
    print(f"{'variant':30} {'faces':>5} {'re-identified':>14} {'rank-1':>7} {'median d':>9} {'smoothing':>9}")
    for how, row in summary["totals"].items():
        print(
            f"{how:30} {row['faces']:5} {row['reidentified']:5} = {row['reidentified_pct']:5.1f}%"
            f" {row['rank1_pct']:6.1f}% {row['median_distance']:9.3f} {row['smoothing']:9}"
        )
    print(f"threshold {THRESHOLD}; faces without a redacted output, by verdict: {summary['faces_without_output']}")
    if summary["attacker_too_weak"]:
        print(
            f"WARNING: the attacker is too weak: controls {summary['attacker_too_weak']} were re-identified"
            f" in fewer than {HIGH_RATE:.0%} of the faces, so a low redacted rate proves nothing."
        )


def run(args: argparse.Namespace) -> None:
    faces = load_faces(args.truth, args.set_dir)
    report = load_report(args.report, args.set_dir)
    gallery, probes = embed_all(faces, args.set_dir, report, Attacker())
    results = best_restoration(score(faces, gallery, probes))
    summary = summarize(faces, results)
    print_summary(summary)
    for how, rows in results.items():
        for row in rows:
            faces[row["face"]].setdefault("variants", {})[how] = {k: v for k, v in row.items() if k != "face"}
    result = {
        "model": {"pins": PINS, "files": MODEL_FILES},
        "threshold": THRESHOLD,
        "same_face": SAME_FACE,
        "min_face_px": MIN_FACE_PX,
        **summary,
        "faces": faces,
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="create bench/.cache/venv-attack with the pinned attacker")
    attack = commands.add_parser("run", help="attack privacyscreen's redacted outputs")
    attack.add_argument("--report", type=Path, required=True, help="privacyscreen's JSON run report")
    attack.add_argument("--truth", type=Path, required=True, help="bench/ground_truth.json")
    attack.add_argument("--set-dir", type=Path, required=True, help="folder the truth's paths are relative to")
    attack.add_argument("--out", type=Path, required=True, help="per-face results (JSON)")
    args = parser.parse_args()
    if args.command == "setup":
        setup()
    elif in_attack_venv():
        run(args)
    else:
        reexec_in_venv()


if __name__ == "__main__":
    main()
