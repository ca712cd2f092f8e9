#!/usr/bin/env python3
"""Scoring for the privacyscreen benchmark: face recall per class, false detections and
missed people-photos, for privacyscreen and deface side by side.

Ground truth (version 1; the fields beyond faces are described in bench/dataset.py)::

    {"version": 1, "images": {"<path relative to set dir>": {
        "people": true,
        "faces": [{"box": [x, y, w, h], "tags": ["profile"|"covered"|"back"|"tiny"],
                   "findable": true}]}}}

``findable`` defaults to true.  Boxes are in displayed (upright) pixels.  Entries with
``"faces_scored": false`` (photos added for the classes beyond faces, whose faces are not
annotated) are left out of the face scores; see "Beyond faces" below for their regions.

Rules
-----
* A GT face is **found** when the union of detection boxes covers >= 50 % of its area
  (rule ``coverage``; what matters for redaction), or one detection has IoU >= 0.3 with it
  (rule ``iou``).  Per-face output names the rule(s) that fired.
* A detection is a **false detection** when it overlaps no GT face at all, findable or not:
  IoU < 0.1 with every GT face and it covers < 30 % of every GT face.  So a box on the back
  of a head or on a tiny face marked not findable is not a false detection.
* Classes (findable faces only): ``identifiable`` = box height >= 40 px, ``small`` = < 40 px,
  ``profile_or_covered`` = tagged profile or covered (overlaps the first two).
* Photos with people called people-free: for a tool with verdicts (privacyscreen), a photo
  with ``people: true`` whose verdict is a people-free verdict; for deface, which has no
  verdicts, a photo with findable faces on which it made no detection at all.

Beyond faces (issue #3)
-----------------------
Scored from the same privacyscreen report (every finding, any kind) against the regions of
bench/ground_truth.json (format in bench/dataset.py), for every photo of the set:

* **Text redaction recall** per class badge / document / plate: a GT text region counts as
  redacted when the union of the *redacted* findings (any kind) covers >= 80 % of it.
  Badges and plates: of the region's area.  Documents are annotated per block (paragraph,
  column, list), not per line, and a block's area is mostly white space between lines, so
  for documents the 80 % is of the block's *ink*: the pixels on the minority side of an Otsu
  threshold of the block (text is darker or lighter than its paper and covers less of it).
* **General text redacted** (signage, brand names, may stay): the same rule; information.
* **Persons seen from behind noticed**: a GT person with ``facing: back`` counts when a
  ``person`` finding has IoU >= 0.3 with it, or a ``head`` finding lies >= 50 % inside it,
  and the photo's verdict is not ``no-people``.
* **No-people accuracy**: people-free photos with verdict ``no-people`` (per ``category``),
  and photos with people given any other verdict (``error`` included, and counted apart).
  A photo missing from the report counts as wrong.
* **Hands / feet found** (information): covered >= 50 % by ``hand`` / ``feet`` findings.

Inputs: deface's JSON from ``bench/peer_deface.py`` and privacyscreen's report JSON
(``{"images": [{"source": ..., "verdict": ..., "findings": [{"kind": "face", "box": ...}]}]}``).

CLI::

    python bench/metrics.py --truth bench/ground_truth.json --set-dir bench/.cache/set \\
        --privacyscreen REPORT.json --deface DEFACE.json --markdown table.md
    python bench/metrics.py --truth bench/ground_truth.json --set-dir bench/.cache/set \\
        --privacyscreen REPORT.json --beyond-markdown beyond.md
    python bench/metrics.py --selfcheck
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

# thresholds (see module docstring)
FOUND_COVERAGE = 0.5
FOUND_IOU = 0.3
FD_IOU = 0.1
FD_COVER = 0.3
SMALL_PX = 40
CLASSES = ("identifiable", "small", "profile_or_covered")
# verdicts that mean "nobody in this photo"; overridable with --people-free-verdict
PEOPLE_FREE_VERDICTS = frozenset(
    {"clear", "people-free", "people_free", "no-people", "no_people", "nobody", "no_faces", "no-faces"}
)

Box = Sequence[float]  # [x, y, w, h, (score)]


# --------------------------------------------------------------------------- geometry
def area(b: Box) -> float:
    return max(0.0, float(b[2])) * max(0.0, float(b[3]))


def intersection(a: Box, b: Box) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return float(w * h) if w > 0 and h > 0 else 0.0


def iou(a: Box, b: Box) -> float:
    i = intersection(a, b)
    u = area(a) + area(b) - i
    return i / u if u > 0 else 0.0


def union_coverage(target: Box, boxes: Iterable[Box]) -> float:
    """Fraction of ``target``'s area covered by the union of ``boxes`` (exact, by
    coordinate compression; overlapping boxes are not counted twice)."""
    tx1, ty1, tx2, ty2 = target[0], target[1], target[0] + target[2], target[1] + target[3]
    ta = area(target)
    if ta <= 0:
        return 0.0
    clipped = []
    for b in boxes:
        x1, y1 = max(tx1, b[0]), max(ty1, b[1])
        x2, y2 = min(tx2, b[0] + b[2]), min(ty2, b[1] + b[3])
        if x2 > x1 and y2 > y1:
            clipped.append((x1, y1, x2, y2))
    if not clipped:
        return 0.0
    c = np.asarray(clipped, dtype=float)
    xs = np.unique(np.concatenate([c[:, 0], c[:, 2]]))
    ys = np.unique(np.concatenate([c[:, 1], c[:, 3]]))
    cx = (xs[:-1] + xs[1:]) / 2  # cell centres
    cy = (ys[:-1] + ys[1:]) / 2
    inside = (
        (cx[None, :, None] > c[:, 0, None, None])
        & (cx[None, :, None] < c[:, 2, None, None])
        & (cy[None, None, :] > c[:, 1, None, None])
        & (cy[None, None, :] < c[:, 3, None, None])
    )
    covered = inside.any(axis=0)  # [nx, ny]
    cell = np.diff(xs)[:, None] * np.diff(ys)[None, :]
    return float(min(1.0, (cell * covered).sum() / ta))


# --------------------------------------------------------------------------- matching
def match_image(faces: list[dict], dets: list[Box]) -> dict:
    """Score one photo.  ``faces``: GT faces (``box``, ``tags``, ``findable``);
    ``dets``: detection boxes.  Returns per-face results and false-detection indices."""
    out_faces = []
    for f in faces:
        g = f["box"]
        cov = union_coverage(g, dets)
        best = max((iou(g, d) for d in dets), default=0.0)
        rules = [r for r, ok in (("coverage", cov >= FOUND_COVERAGE), ("iou", best >= FOUND_IOU)) if ok]
        out_faces.append(
            {
                "box": list(g),
                "tags": list(f.get("tags", [])),
                "findable": bool(f.get("findable", True)),
                "classes": face_classes(f),
                "found": bool(rules),
                "found_by": "+".join(rules) or None,
                "coverage": round(cov, 4),
                "best_iou": round(best, 4),
            }
        )
    false_dets = []
    for k, d in enumerate(dets):
        hit = any(
            iou(d, f["box"]) >= FD_IOU
            or (area(f["box"]) > 0 and intersection(d, f["box"]) / area(f["box"]) >= FD_COVER)
            for f in faces
        )
        if not hit:
            false_dets.append(k)
    return {"faces": out_faces, "detections": len(dets), "false_detections": false_dets}


def face_classes(f: dict) -> list[str]:
    if not f.get("findable", True):
        return []
    cls = ["identifiable" if f["box"][3] >= SMALL_PX else "small"]
    if {"profile", "covered"} & set(f.get("tags", [])):
        cls.append("profile_or_covered")
    return cls


# --------------------------------------------------------------------------- loading
def load_truth(path: str | Path) -> dict[str, dict]:
    gt = json.loads(Path(path).read_text())
    if gt.get("version") != 1:
        raise ValueError(f"{path}: unsupported ground-truth version {gt.get('version')!r}")
    out = {}
    for name, rec in gt["images"].items():
        faces = [
            {
                "box": [float(v) for v in f["box"]],
                "tags": list(f.get("tags", [])),
                "findable": bool(f.get("findable", True)),
            }
            for f in rec.get("faces", [])
        ]
        if rec.get("faces_scored", True):
            out[Path(name).as_posix()] = {"people": bool(rec.get("people", bool(faces))), "faces": faces}
    return out


def _rel(path: str, base: Path, set_dir: Path | None) -> str:
    p = Path(path)
    if not p.is_absolute():
        p = base / p
    if set_dir is None:
        return p.name
    for a, b in ((p, set_dir), (Path(os.path.realpath(p)), Path(os.path.realpath(set_dir)))):
        try:
            return Path(os.path.normpath(a)).relative_to(os.path.normpath(b)).as_posix()
        except ValueError:
            continue
    return Path(os.path.normpath(p)).as_posix()  # outside the set: will not match


def load_deface(path: str | Path, set_dir: str | Path | None = None, boxes_key: str = "boxes") -> dict:
    """deface JSON from peer_deface.py -> {"images": {rel: {"boxes", "verdict"}}, "perf"}.
    ``boxes_key='mask_boxes'`` scores the (grown) rectangles deface blurs instead."""
    d = json.loads(Path(path).read_text())
    images = {}
    for name, rec in d["images"].items():
        rel = name
        if set_dir is not None and Path(name).is_absolute():
            rel = _rel(name, Path(path).parent, Path(set_dir))
        boxes = [list(map(float, b[:4])) for b in rec.get(boxes_key) or [] if area(b) > 0]
        images[Path(rel).as_posix()] = {
            "boxes": boxes,
            "verdict": None,
            "error": rec.get("error"),
            "seconds": rec.get("seconds"),
        }
    perf = _perf(images, d)
    return {
        "tool": f"deface {d.get('version', '')}".strip(),
        "verdicts": False,
        "images": images,
        "perf": perf,
        "settings": d.get("settings", {}),
    }


def load_privacyscreen(path: str | Path, set_dir: str | Path | None) -> dict:
    """privacyscreen report JSON -> same shape as load_deface.  Only findings with
    ``kind == "face"`` count as face detections.  ``source`` is absolute or relative to
    the report file; it is matched by its path relative to ``set_dir``."""
    path = Path(path)
    d = json.loads(path.read_text())
    base = path.resolve().parent
    sd = Path(set_dir).resolve() if set_dir is not None else None
    images = {}
    for rec in d["images"]:
        rel = _rel(rec["source"], base, sd)
        boxes = [
            list(map(float, f["box"][:4]))
            for f in rec.get("findings", [])
            if f.get("kind") == "face" and f.get("box") and area(f["box"]) > 0
        ]
        images[rel] = {
            "boxes": boxes,
            "verdict": rec.get("verdict"),
            "error": rec.get("error"),
            "seconds": rec.get("seconds"),
        }
    perf = _perf(images, d)
    return {"tool": f"privacyscreen {d.get('version', '')}".strip(), "verdicts": True, "images": images, "perf": perf}


def _perf(images: dict, report: dict) -> dict:
    """Seconds per photo and peak memory, as far as a tool's output says."""
    return {
        "seconds_per_photo": _mean([r["seconds"] for r in images.values()]),
        "batch_seconds_per_photo": report.get("batch_seconds_per_image"),
        "peak_rss_mb": report.get("peak_rss_mb"),
    }


def _mean(xs):
    xs = [x for x in xs if isinstance(x, (int, float))]
    return sum(xs) / len(xs) if xs else None


# --------------------------------------------------------------------------- scoring
def score(truth: dict[str, dict], pred: dict, people_free_verdicts: Iterable[str] = PEOPLE_FREE_VERDICTS) -> dict:
    """Score one tool's predictions (from load_deface / load_privacyscreen) against
    ``truth`` (from load_truth)."""
    pfv = {v.lower() for v in people_free_verdicts}
    per_image = {}
    cls_tot = {c: 0 for c in CLASSES + ("all_findable",)}
    cls_found = dict.fromkeys(cls_tot, 0)
    fd_all = fd_free = n_free = 0
    n_people = miss_people = 0  # verdict rule (or deface's no-detection rule)
    n_with_faces = no_det_with_faces = 0
    missing = [n for n in truth if n not in pred["images"]]
    verdicts_seen: dict[str, int] = {}
    for name, gt in truth.items():
        p = pred["images"].get(name, {"boxes": [], "verdict": None})
        m = match_image(gt["faces"], p["boxes"])
        m["verdict"] = p.get("verdict")
        if p.get("verdict") is not None:
            verdicts_seen[str(p["verdict"])] = verdicts_seen.get(str(p["verdict"]), 0) + 1
        for f in m["faces"]:
            if not f["findable"]:
                continue
            for c in f["classes"] + ["all_findable"]:
                cls_tot[c] += 1
                cls_found[c] += f["found"]
        nfd = len(m["false_detections"])
        fd_all += nfd
        if not gt["people"]:
            n_free += 1
            fd_free += nfd
        has_findable = any(f["findable"] for f in gt["faces"])
        if has_findable:
            n_with_faces += 1
            no_det_with_faces += len(p["boxes"]) == 0
        if pred["verdicts"]:
            if gt["people"]:
                n_people += 1
                v = p.get("verdict")
                called_free = (str(v).lower() in pfv) if v is not None else (len(p["boxes"]) == 0)
                miss_people += called_free
                m["called_people_free"] = called_free
        elif has_findable:
            n_people += 1
            miss_people += len(p["boxes"]) == 0
            m["called_people_free"] = len(p["boxes"]) == 0
        per_image[name] = m
    n = len(truth)
    return {
        "tool": pred["tool"],
        "photos": n,
        "missing_from_report": missing,
        "errors": sorted(n for n in truth if (pred["images"].get(n) or {}).get("error")),
        "extra_in_report": sorted(set(pred["images"]) - set(truth)),
        "recall": {
            c: {
                "found": cls_found[c],
                "total": cls_tot[c],
                "recall": (cls_found[c] / cls_tot[c]) if cls_tot[c] else None,
            }
            for c in cls_tot
        },
        "false_detections": fd_all,
        "false_detections_per_photo": fd_all / n if n else None,
        "photos_with_false_detections": sorted(
            ((len(m["false_detections"]), name) for name, m in per_image.items() if m["false_detections"]), reverse=True
        ),
        "people_free_photos": n_free,
        "false_detections_per_people_free_photo": fd_free / n_free if n_free else None,
        "people_photos_called_free": {
            "count": miss_people,
            "of": n_people,
            "rule": (
                "verdict in people-free set (no verdict: no face finding)"
                if pred["verdicts"]
                else "no detection on a photo with findable faces"
            ),
        },
        "photos_with_faces_no_detection": {"count": no_det_with_faces, "of": n_with_faces},
        "verdicts_seen": verdicts_seen,
        "perf": pred.get("perf", {}),
        "per_image": per_image,
    }


# --------------------------------------------------------------------------- output
def _pct(r: dict) -> str:
    if not r["total"]:
        return "–"
    return f"{100 * r['recall']:.1f}% ({r['found']}/{r['total']})"


def _num(x, fmt="{:.2f}") -> str:
    return "–" if x is None else fmt.format(x)


def _false_photos(r: dict) -> str:
    found = r["photos_with_false_detections"]
    return f"{len(found)}/{r['photos']}" + (f" ({found[0][0]}: {Path(found[0][1]).name})" if found else "")


def markdown_table(results: list[dict]) -> str:
    head = "| metric | " + " | ".join(r["tool"] for r in results) + " |"
    sep = "| --- |" + " --- |" * len(results)
    rows = []

    def row(label, fn):
        rows.append(f"| {label} | " + " | ".join(fn(r) for r in results) + " |")

    def scored(r):
        extra = [f"{len(r['missing_from_report'])} missing from report"] if r["missing_from_report"] else []
        extra += [f"{len(r['errors'])} with errors"] if r["errors"] else []
        return str(r["photos"]) + (f" ({', '.join(extra)})" if extra else "")

    row("photos scored", scored)
    row(f"recall, identifiable faces (≥{SMALL_PX} px high)", lambda r: _pct(r["recall"]["identifiable"]))
    row(f"recall, small faces (<{SMALL_PX} px high)", lambda r: _pct(r["recall"]["small"]))
    row("recall, profile or covered faces", lambda r: _pct(r["recall"]["profile_or_covered"]))
    row("recall, all findable faces", lambda r: _pct(r["recall"]["all_findable"]))
    row("false detections per photo (all photos)", lambda r: _num(r["false_detections_per_photo"]))
    row("photos with a false detection (most in one photo)", _false_photos)
    row(
        "false detections per people-free photo",
        lambda r: _num(r["false_detections_per_people_free_photo"]) + f" (n={r['people_free_photos']})",
    )
    row(
        "photos with people called people-free¹",
        lambda r: f"{r['people_photos_called_free']['count']}/{r['people_photos_called_free']['of']}",
    )
    row(
        "photos with findable faces and no face detection",
        lambda r: f"{r['photos_with_faces_no_detection']['count']}/{r['photos_with_faces_no_detection']['of']}",
    )
    if any(r["perf"].get("seconds_per_photo") is not None for r in results):
        row("seconds per photo, one call each (incl. start-up)", lambda r: _num(r["perf"].get("seconds_per_photo")))
    if any(r["perf"].get("batch_seconds_per_photo") is not None for r in results):
        row("seconds per photo, one batch call", lambda r: _num(r["perf"].get("batch_seconds_per_photo")))
    if any(r["perf"].get("peak_rss_mb") is not None for r in results):
        row("peak RSS (MB)", lambda r: _num(r["perf"].get("peak_rss_mb"), "{:.0f}"))
    notes = [
        "",
        f"Found = detections cover ≥{FOUND_COVERAGE:.0%} of the face box (union) or one has "
        f"IoU ≥ {FOUND_IOU}. False detection = IoU < {FD_IOU} with and covering < {FD_COVER:.0%} of "
        "every GT face (findable or not).",
        "¹ " + "; ".join(f"{r['tool']}: {r['people_photos_called_free']['rule']}" for r in results) + ".",
    ]
    return "\n".join([head, sep, *rows, *notes]) + "\n"


# --------------------------------------------------------------------------- beyond faces
TEXT_CLASSES = ("badge", "document", "plate")
TEXT_COVER = 0.8
PERSON_IOU = 0.3
HEAD_INSIDE = 0.5
PART_COVER = 0.5
NO_PEOPLE = "no-people"
CATEGORIES = ("food", "animal", "text", "objects", "scene")
VISIBLE_PART = 32  # px, short side: a hand or foot this large is something a composition can show
# Postable (issue #20), scored on the ground truth, not on the detectors' own boxes:
WHOLE = 0.95  # a region is whole in a crop when this share of it is inside, and cut when more than CUT but less
CUT = 0.05
SUBJECT_SHARE = 0.03  # the subject fills at least this share of the crop: it is what the picture shows
PLACED = 1 / 6  # its centre lies within this share of the crop's side of the centre or of a thirds point
SHARP = 0.25  # its focus (variance of the Laplacian) is at least this share of the photo's sharpest parts'
RULES = ("subject", "whole", "border", "large", "placed", "sharp", "once")


def load_regions(path: str | Path) -> dict[str, dict]:
    """Every ground-truth entry as written (regions, people, category), by set-relative name."""
    gt = json.loads(Path(path).read_text())
    return {Path(name).as_posix(): rec for name, rec in gt["images"].items()}


def load_report(path: str | Path, set_dir: str | Path | None) -> dict[str, dict]:
    """privacyscreen report JSON -> {name: {"verdict", "error", "findings"}} with every finding."""
    path = Path(path)
    d = json.loads(path.read_text())
    sd = Path(set_dir).resolve() if set_dir is not None else None
    return {
        _rel(rec["source"], path.resolve().parent, sd): {
            "verdict": rec.get("verdict"),
            "error": rec.get("error"),
            "findings": rec.get("findings", []),
            "outputs": rec.get("outputs", []),
        }
        for rec in d["images"]
    }


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """The text pixels of a block of grey values: the minority side of its Otsu threshold."""
    hist = np.bincount(gray.ravel(), minlength=256).astype(float)
    levels = np.arange(256)
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * levels)
    mean0 = np.divide(m0, w0, out=np.zeros(256), where=w0 > 0)
    mean1 = np.divide(m0[-1] - m0, w1, out=np.zeros(256), where=w1 > 0)
    threshold = int(np.argmax(w0 * w1 * (mean0 - mean1) ** 2))
    dark = gray <= threshold
    return dark if dark.sum() <= dark.size / 2 else ~dark


def ink_coverage(gray: np.ndarray, target: Box, boxes: Iterable[Box]) -> float:
    """Share of the ink pixels inside `target` that lie under any of `boxes`."""
    x0, y0 = max(0, int(target[0])), max(0, int(target[1]))
    x1, y1 = min(gray.shape[1], int(target[0] + target[2])), min(gray.shape[0], int(target[1] + target[3]))
    ink = ink_mask(gray[y0:y1, x0:x1])
    if not ink.any():
        return union_coverage(target, boxes)
    covered = np.zeros_like(ink)
    for b in boxes:
        bx0, by0 = max(x0, int(b[0])), max(y0, int(b[1]))
        bx1, by1 = min(x1, int(np.ceil(b[0] + b[2]))), min(y1, int(np.ceil(b[1] + b[3])))
        if bx1 > bx0 and by1 > by0:
            covered[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0] = True
    return float(covered[ink].mean())


def person_noticed(person: Box, findings: list[dict]) -> bool:
    for f in findings:
        if f.get("kind") in ("person", "figure") and iou(person, f["box"]) >= PERSON_IOU:
            return True
        if f.get("kind") == "head" and area(f["box"]) > 0:
            if intersection(person, f["box"]) / area(f["box"]) >= HEAD_INSIDE:
                return True
    return False


def _tally() -> dict:
    return {"ok": 0, "of": 0, "misses": []}


def _inside(box: Sequence[float], crop: Sequence[float]) -> float:
    """Share of `box` inside `crop`."""
    return intersection(box, crop) / max(1.0, box[2] * box[3])


def focus(gray: np.ndarray, box: Sequence[float]) -> float:
    """Variance of the Laplacian inside `box` of a grey image, relative to the photo's sharpest parts
    (the 90th percentile of the same over 64-px blocks): 1.0 is as sharp as the sharpest tenth."""
    import cv2

    lap = cv2.Laplacian(gray, cv2.CV_64F)
    blocks = [lap[y : y + 64, x : x + 64].var() for y in range(0, lap.shape[0] - 63, 64)
              for x in range(0, lap.shape[1] - 63, 64)] or [lap.var()]  # fmt: skip
    x, y, w, h = (round(v) for v in box)
    return float(lap[max(0, y) : y + h, max(0, x) : x + w].var() / max(1e-9, float(np.percentile(blocks, 90))))


def broken_rules(crop: Sequence[float], subject: str, gt: dict, others: list, gray: np.ndarray | None) -> list[str]:
    """The postable rules (RULES) a composition breaks: its subject is in it, whole (no hand or foot cut by
    the frame), nothing that draws the eye cut at the border (text, a face), large, placed on the centre or
    a thirds point, sharp, and none of the photo's `others` crops shows the same."""
    own = {"hands": gt.get("hands", []), "feet": gt.get("feet", []),
           "table": gt.get("tables", []) + gt.get("hands", [])}.get(subject, [])  # fmt: skip
    held = [r["box"] for r in own if _inside(r["box"], crop) >= WHOLE]
    broken = [] if held else ["subject"]
    if any(CUT < _inside(r["box"], crop) < WHOLE for r in gt.get("hands", []) + gt.get("feet", [])):
        broken.append("whole")
    if any(CUT < _inside(r["box"], crop) < WHOLE for r in gt.get("texts", []) + gt.get("faces", [])):
        broken.append("border")
    if held:
        x0, y0 = min(b[0] for b in held), min(b[1] for b in held)
        x1, y1 = max(b[0] + b[2] for b in held), max(b[1] + b[3] for b in held)
        if (x1 - x0) * (y1 - y0) < SUBJECT_SHARE * crop[2] * crop[3]:
            broken.append("large")
        cx, cy = ((x0 + x1) / 2 - crop[0]) / crop[2], ((y0 + y1) / 2 - crop[1]) / crop[3]
        spots = [(0.5, 0.5)] + [(a, b) for a in (1 / 3, 2 / 3) for b in (1 / 3, 2 / 3)]
        if not any(abs(cx - a) <= PLACED and abs(cy - b) <= PLACED for a, b in spots):
            broken.append("placed")
        if gray is not None and focus(gray, (x0, y0, x1 - x0, y1 - y0)) < SHARP:
            broken.append("sharp")
    if any(intersection(crop, other) >= 0.5 * crop[2] * crop[3] for other in others):
        broken.append("once")
    return broken


def _count(t: dict, ok: bool, what: str) -> None:
    t["of"] += 1
    t["ok"] += ok
    if not ok:
        t["misses"].append(what)


def score_beyond(regions: dict[str, dict], report: dict[str, dict], set_dir: str | Path | None = None) -> dict:
    """Score the classes beyond faces (rules in the module docstring).  `regions` from
    load_regions, `report` from load_report; `set_dir` is needed for document blocks."""
    classes = (*TEXT_CLASSES, "badge_real", "general", "back", "people", "hands", "feet", "composed", "clear",
               "postable", *(f"rule_{r}" for r in RULES))  # fmt: skip
    out = {c: _tally() for c in classes}
    out["no_people"] = {c: _tally() for c in (*CATEGORIES, "all")}
    out["errors"] = []
    for name, gt in regions.items():
        rec = report.get(name) or {"verdict": None, "findings": []}
        verdict, findings = rec["verdict"], rec["findings"]
        if verdict == "error":
            out["errors"].append(name)
        redacted = [f["box"] for f in findings if f.get("action") == "redacted"]
        gray = None
        for i, text in enumerate(gt.get("texts", [])):
            if text["class"] == "document" and set_dir is not None:
                if gray is None:
                    with Image.open(Path(set_dir) / name) as im:
                        gray = np.asarray(ImageOps.exif_transpose(im).convert("L"))
                cover = ink_coverage(gray, text["box"], redacted)
            else:
                cover = union_coverage(text["box"], redacted)
            _count(out[text["class"]], cover >= TEXT_COVER, f"{name} texts[{i}] {cover:.0%}")
            if text["class"] == "badge" and "synthetic" not in gt.get("source", ""):
                _count(out["badge_real"], cover >= TEXT_COVER, f"{name} texts[{i}] {cover:.0%}")
        for i, person in enumerate(gt.get("persons", [])):
            if person["facing"] == "back":
                ok = verdict not in (None, NO_PEOPLE) and person_noticed(person["box"], findings)
                _count(out["back"], ok, f"{name} persons[{i}]")
        for part, kind in (("hands", "hand"), ("feet", "feet")):
            boxes = [f["box"] for f in findings if f.get("kind") == kind]
            for i, region in enumerate(gt.get(part, [])):
                _count(out[part], union_coverage(region["box"], boxes) >= PART_COVER, f"{name} {part}[{i}]")
        made = [o for o in rec.get("outputs", []) if o.get("kind") == "composition"]
        crops = [o["crop"] for o in made]
        if gt.get("tables") or any(min(p["box"][2:]) >= VISIBLE_PART for p in gt.get("hands", []) + gt.get("feet", [])):
            _count(out["composed"], bool(crops), f"{name} no composition")
        gray_photo = None
        if made and set_dir is not None and (Path(set_dir) / name).exists():
            with Image.open(Path(set_dir) / name) as im:
                gray_photo = np.asarray(ImageOps.exif_transpose(im).convert("L"))
        for i, o in enumerate(made):
            broken = broken_rules(o["crop"], o.get("composition", ""), gt, crops[:i] + crops[i + 1 :], gray_photo)
            _count(out["postable"], not broken, f"{name} {o.get('composition')} {o['crop']}: {', '.join(broken)}")
            for rule in RULES:
                _count(out[f"rule_{rule}"], rule not in broken, f"{name} {o.get('composition')} {o['crop']}")
        forbidden = [f["box"] for f in gt.get("faces", [])] + [
            t["box"] for t in gt.get("texts", []) if t["class"] in ("badge", "plate", "document")
        ]
        for i, crop in enumerate(crops):
            _count(out["clear"], not any(intersection(crop, b) > 0 for b in forbidden), f"{name} composition {i}")
        if gt["people"]:
            _count(out["people"], verdict not in (None, NO_PEOPLE), f"{name} {verdict}")
        else:
            for c in (gt.get("category", "scene"), "all"):
                _count(out["no_people"][c], verdict == NO_PEOPLE, f"{name} {verdict}")
    return out


def beyond_table(r: dict, tool: str = "privacyscreen") -> str:
    """Markdown table of score_beyond's result."""

    def pct(t: dict) -> str:
        return f"{100 * t['ok'] / t['of']:.1f}% ({t['ok']}/{t['of']})" if t["of"] else "–"

    free = r["no_people"]
    rows = [
        f"| metric | {tool} |",
        "| --- | --- |",
        f"| name badges redacted¹ | {pct(r['badge'])} |",
        f"| … real ones, worn in the photo | {pct(r['badge_real'])} |",
        f"| document blocks redacted² | {pct(r['document'])} |",
        f"| licence plates redacted | {pct(r['plate'])} |",
        f"| persons seen from behind noticed³ | {pct(r['back'])} |",
        f"| people-free photos called `no-people` | {pct(free['all'])} |",
        *(f"| … {c} | {pct(free[c])} |" for c in CATEGORIES if free[c]["of"]),
        f"| photos with people given another verdict⁴ | {pct(r['people'])} |",
        f"| general text (signage) redacted, information | {pct(r['general'])} |",
        f"| hands found, information | {pct(r['hands'])} |",
        f"| feet found, information | {pct(r['feet'])} |",
        f"| photos with hands or feet given a composition⁵ | {pct(r['composed'])} |",
        f"| compositions clear of every face, badge, plate and document⁶ | {pct(r['clear'])} |",
        f"| compositions passing every postable rule⁷ | {pct(r['postable'])} |",
        *(f"| … {rule} | {pct(r[f'rule_{rule}'])} |" for rule in RULES if r[f"rule_{rule}"]["of"]),
    ]
    notes = [
        "",
        f"Redacted = redacted findings of any kind cover ≥{TEXT_COVER:.0%} of the region. "
        f"¹ Most are synthetic (fictitious names drawn on photos of people); the real ones are the name "
        f"plate of Grace Hopper, and the name tag and the crew's names on the mission patch of Eileen Collins. "
        f"² Per block of text (paragraph, column, list); ≥{TEXT_COVER:.0%} of the block's ink pixels covered. "
        f"³ A `person` or `figure` finding with IoU ≥ {PERSON_IOU} or a `head` finding ≥{HEAD_INSIDE:.0%} inside the "
        f"person, and the verdict is not `no-people`. "
        f"⁴ Errors: {len(r['errors'])}. Hands and feet: covered ≥{PART_COVER:.0%} by `hand` / `feet` findings. "
        f"⁵ `run --compose`: at least one crop written (kind `composition`), of the photos that show a hand "
        f"or foot at least {VISIBLE_PART} px on its short side (the canvases of tiny people do not count). "
        f"⁶ No pixel of the crop inside a ground-truth face (any size, scored or not) or badge, plate or "
        f"document region. "
        f"⁷ Scored on the ground truth: subject (a region of its own subject, a table's things or hands, "
        f"≥{WHOLE:.0%} inside), whole (no hand or foot cut by the frame: {CUT:.0%} to {WHOLE:.0%} inside), "
        f"border (no text or face cut by the frame), large (the subject fills ≥{SUBJECT_SHARE:.0%} of the crop), "
        f"placed (its centre within {PLACED:.2f} of the crop's side from the centre or a thirds point), sharp "
        f"(its variance of the Laplacian ≥{SHARP:.0%} of the photo's sharpest tenth of 64-px blocks), once "
        f"(no other crop of the photo holds half of it).",
    ]
    return "\n".join(rows + notes) + "\n"


# --------------------------------------------------------------------------- self-check
def _selfcheck() -> None:
    def close(a, b, eps=1e-9):
        assert abs(a - b) < eps, (a, b)

    # geometry
    close(iou([0, 0, 10, 10], [5, 0, 10, 10]), 50 / 150)
    close(union_coverage([0, 0, 100, 100], [[0, 0, 60, 100], [40, 0, 60, 100]]), 1.0)  # overlap once
    close(union_coverage([0, 0, 100, 100], [[0, 0, 50, 50], [50, 50, 50, 50]]), 0.5)
    close(union_coverage([0, 0, 100, 100], []), 0.0)

    # found by IoU only: a detection inside the face covering 36 %
    m = match_image([{"box": [100, 100, 50, 50]}], [[110, 110, 30, 30]])
    f = m["faces"][0]
    assert f["found"] and f["found_by"] == "iou", f
    close(f["best_iou"], 0.36)

    # found by coverage only: two large boxes, each IoU < 0.3, together covering all of it
    m = match_image([{"box": [0, 0, 100, 100]}], [[-100, 0, 145, 100], [45, -100, 155, 300]])
    f = m["faces"][0]
    assert f["found"] and f["found_by"] == "coverage", f
    assert f["best_iou"] < FOUND_IOU and f["coverage"] == 1.0, f
    assert m["false_detections"] == [], m

    # both rules at once
    assert match_image([{"box": [0, 0, 10, 10]}], [[0, 0, 10, 10]])["faces"][0]["found_by"] == "coverage+iou"

    # not found: a sliver
    f = match_image([{"box": [0, 0, 100, 100]}], [[0, 0, 20, 100]])["faces"][0]
    assert not f["found"] and f["found_by"] is None, f

    # false detection far from any face; back of a head (not findable) is not one
    faces = [{"box": [0, 0, 50, 60]}, {"box": [300, 300, 60, 60], "tags": ["back"], "findable": False}]
    m = match_image(faces, [[2, 2, 48, 58], [305, 305, 50, 50], [600, 50, 40, 40]])
    assert m["false_detections"] == [2], m
    assert m["faces"][1]["classes"] == [], m
    # a large box covering >= 30 % of a small face is not false either
    m = match_image([{"box": [10, 10, 10, 10]}], [[0, 0, 200, 200]])
    assert m["false_detections"] == [] and m["faces"][0]["found_by"] == "coverage", m

    # classes
    assert face_classes({"box": [0, 0, 30, 39]}) == ["small"]
    assert face_classes({"box": [0, 0, 30, 40], "tags": ["covered"]}) == ["identifiable", "profile_or_covered"]

    # whole-set scoring, with verdicts and without
    truth = {
        "a.jpg": {
            "people": True,
            "faces": [
                {"box": [0, 0, 50, 50], "tags": [], "findable": True},
                {"box": [100, 0, 20, 30], "tags": ["profile"], "findable": True},
            ],
        },
        "b.jpg": {"people": True, "faces": [{"box": [0, 0, 40, 40], "tags": ["back"], "findable": False}]},
        "c.jpg": {"people": False, "faces": []},
    }
    ps = {
        "tool": "ps",
        "verdicts": True,
        "images": {
            "a.jpg": {"boxes": [[0, 0, 50, 50]], "verdict": "redacted"},
            "b.jpg": {"boxes": [], "verdict": "clear"},
            "c.jpg": {"boxes": [[10, 10, 10, 10], [50, 50, 5, 5]], "verdict": "review"},
        },
    }
    r = score(truth, ps)
    assert r["recall"]["identifiable"] == {"found": 1, "total": 1, "recall": 1.0}, r["recall"]
    assert r["recall"]["small"]["found"] == 0 and r["recall"]["small"]["total"] == 1
    assert r["recall"]["profile_or_covered"]["total"] == 1
    assert r["false_detections"] == 2 and r["false_detections_per_people_free_photo"] == 2.0
    close(r["false_detections_per_photo"], 2 / 3)
    assert r["photos_with_false_detections"] == [(2, "c.jpg")] and "1/3 (2: c.jpg)" in markdown_table([r])
    assert r["people_photos_called_free"] == {"count": 1, "of": 2, "rule": r["people_photos_called_free"]["rule"]}
    df = {"tool": "deface", "verdicts": False, "images": {"a.jpg": {"boxes": []}, "b.jpg": {"boxes": []}}}
    r = score(truth, df)
    assert r["people_photos_called_free"]["count"] == 1 and r["people_photos_called_free"]["of"] == 1
    assert r["missing_from_report"] == ["c.jpg"]
    assert "| deface |" in markdown_table([r])
    unscored = {
        "version": 1,
        "images": {"x.jpg": {"people": True, "faces": [], "faces_scored": False}},
    }
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "gt.json").write_text(json.dumps(unscored))
        assert load_truth(Path(tmp, "gt.json")) == {}
    _selfcheck_beyond()
    print("metrics self-check: OK")


def _selfcheck_beyond() -> None:
    # ink: three dark lines of text on white paper, 10 px high, 20 px apart
    page = np.full((100, 200), 250, dtype=np.uint8)
    for top in (10, 40, 70):
        page[top : top + 10, 10:190:2] = 20
    block = [5, 5, 190, 80]
    lines = [[10, top, 180, 10] for top in (10, 40, 70)]
    assert union_coverage(block, lines) < TEXT_COVER  # the area rule would fail a fully redacted block
    assert ink_coverage(page, block, lines) == 1.0
    assert abs(ink_coverage(page, block, lines[:1]) - 1 / 3) < 0.01
    assert ink_mask(255 - page).sum() == ink_mask(page).sum()  # light text on dark paper too

    def finding(kind, box, action="redacted"):
        return {"kind": kind, "box": box, "action": action}

    regions = {
        "badges.jpg": {"people": True, "texts": [{"box": [0, 0, 100, 50], "class": "badge"},
                                                 {"box": [200, 0, 100, 50], "class": "badge"},
                                                 {"box": [400, 0, 100, 50], "class": "badge"},
                                                 {"box": [600, 0, 100, 50], "class": "general"}]},
        "page.png": {"people": False, "category": "text", "texts": [{"box": block, "class": "document"}]},
        "walk.jpg": {"people": True, "persons": [{"box": [0, 0, 50, 150], "facing": "back"},
                                                 {"box": [100, 0, 50, 150], "facing": "back"},
                                                 {"box": [200, 0, 50, 150], "facing": "front"}],
                     "hands": [{"box": [0, 60, 10, 10]}]},
        "hidden.jpg": {"people": True, "persons": [{"box": [0, 0, 50, 150], "facing": "back"}]},
        "cat.jpg": {"people": False, "category": "animal"},
        "apple.jpg": {"people": False, "category": "food"},
    }  # fmt: skip
    report = {
        "badges.jpg": {"verdict": "anonymized", "findings": [
            finding("text", [0, 0, 100, 45]),  # 90 % covered: redacted
            finding("face", [200, 0, 70, 50]),  # 70 %: not enough
            finding("text", [400, 0, 100, 50], "kept"),  # kept findings do not count
            finding("text", [600, 0, 100, 50])]},
        "page.png": {"verdict": "anonymized", "findings": [finding("text", b) for b in lines]},
        "walk.jpg": {"verdict": "needs-consent", "findings": [
            finding("head", [10, 0, 20, 25]),  # inside the first person
            finding("person", [160, 0, 50, 150]),  # IoU 0 with the second
            finding("hand", [0, 60, 10, 10])]},
        "hidden.jpg": {"verdict": "no-people", "findings": [finding("person", [0, 0, 50, 150])]},
        "cat.jpg": {"verdict": "no-people", "findings": []},
    }  # fmt: skip
    r = score_beyond(regions, report)  # no set dir: the document block is scored by area
    assert (r["badge"]["ok"], r["badge"]["of"]) == (1, 3), r["badge"]
    assert (r["document"]["ok"], r["general"]["ok"]) == (0, 1)
    assert (r["back"]["ok"], r["back"]["of"]) == (1, 3), r["back"]  # noticed, missed, verdict no-people
    assert (r["hands"]["ok"], r["hands"]["of"]) == (1, 1)
    assert (r["people"]["ok"], r["people"]["of"]) == (2, 3)  # hidden.jpg called no-people
    free = r["no_people"]
    assert (free["all"]["ok"], free["all"]["of"]) == (1, 3)  # page anonymized, apple not in the report
    assert (free["animal"]["ok"], free["food"]["ok"], free["text"]["of"]) == (1, 0, 1)

    # compositions: walk.jpg shows a hand; one crop clear of everything, one touching a badge's region
    regions["walk.jpg"]["hands"] = [{"box": [0, 60, 40, 40]}]
    crops = {"walk.jpg": [[0, 50, 40, 40]], "badges.jpg": [[50, 40, 100, 100]]}
    for name, boxes in crops.items():
        report[name]["outputs"] = [{"kind": "composition", "crop": b} for b in boxes]
    r = score_beyond(regions, report)
    assert (r["composed"]["ok"], r["composed"]["of"]) == (1, 1) and (r["clear"]["ok"], r["clear"]["of"]) == (1, 2)
    # postable: a hands crop that holds its hand whole, centred, and one that cuts it and holds no subject
    hand = {"hands": [{"box": [40, 40, 20, 20]}], "texts": [{"box": [0, 0, 30, 10], "class": "general"}]}
    assert broken_rules([20, 20, 60, 60], "hands", hand, [], None) == []
    assert broken_rules([50, 20, 60, 60], "hands", hand, [], None) == ["subject", "whole"]
    assert broken_rules([20, 5, 60, 60], "feet", hand, [], None) == ["subject", "border"]
    assert broken_rules([20, 20, 60, 60], "hands", hand, [[22, 20, 60, 60]], None) == ["once"]
    sharp = np.zeros((128, 128), np.uint8)
    sharp[::2, ::2] = 255  # a sharp texture; a flat patch is not sharp
    assert focus(sharp, (0, 0, 64, 64)) > 0.9 and focus(sharp, (0, 0, 1, 1)) < SHARP
    with tempfile.TemporaryDirectory() as tmp:
        Image.fromarray(page).save(Path(tmp, "page.png"))
        assert score_beyond(regions, report, tmp)["document"]["ok"] == 1  # by ink: fully redacted
    table = beyond_table(r)
    assert "| name badges redacted¹ | 33.3% (1/3) |" in table and "| … animal | 100.0% (1/1) |" in table, table
    assert "| … objects |" not in table


# --------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score privacyscreen and deface against ground truth.")
    ap.add_argument("--selfcheck", action="store_true", help="run the built-in checks and exit")
    ap.add_argument("--truth", help="ground truth JSON")
    ap.add_argument("--set-dir", help="photo set directory (image names are relative to it)")
    ap.add_argument("--privacyscreen", help="privacyscreen report JSON")
    ap.add_argument("--deface", help="deface JSON from bench/peer_deface.py")
    ap.add_argument(
        "--deface-boxes",
        choices=["boxes", "mask_boxes"],
        default="boxes",
        help="score deface's detections (default) or the grown rectangles it blurs",
    )
    ap.add_argument(
        "--people-free-verdict",
        action="append",
        metavar="V",
        help="privacyscreen verdict meaning 'no people' (repeatable; default: "
        + ", ".join(sorted(PEOPLE_FREE_VERDICTS))
        + ")",
    )
    ap.add_argument("--markdown", help="write the Markdown table here")
    ap.add_argument("--json", help="write full results (per face, per photo) here")
    ap.add_argument("--misses", action="store_true", help="also print missed faces and false detections")
    ap.add_argument("--beyond-markdown", help="write the table beyond faces (needs --privacyscreen) here")
    ap.add_argument("--beyond-json", help="write the scores beyond faces, with every miss, here")
    a = ap.parse_args(argv)
    if a.selfcheck:
        _selfcheck()
        return 0
    if not a.truth or not (a.privacyscreen or a.deface):
        ap.error("--truth and at least one of --privacyscreen/--deface are required")
    truth = load_truth(a.truth)
    pfv = a.people_free_verdict or PEOPLE_FREE_VERDICTS
    results = []
    if a.privacyscreen:
        results.append(score(truth, load_privacyscreen(a.privacyscreen, a.set_dir), pfv))
    if a.deface:
        results.append(score(truth, load_deface(a.deface, a.set_dir, a.deface_boxes), pfv))
    for r in results:
        if r["missing_from_report"]:
            print(
                f"warning: {r['tool']}: {len(r['missing_from_report'])} photo(s) not in report, "
                f"scored as no detections: {r['missing_from_report'][:5]}",
                file=sys.stderr,
            )
        if r["verdicts_seen"] and not ({v.lower() for v in r["verdicts_seen"]} & {v.lower() for v in pfv}):
            print(
                f"warning: {r['tool']}: none of the verdicts seen {sorted(r['verdicts_seen'])} is a "
                f"people-free verdict; check --people-free-verdict",
                file=sys.stderr,
            )
    table = markdown_table(results)
    print(table)
    if a.misses:
        for r in results:
            for name, m in r["per_image"].items():
                for f in m["faces"]:
                    if f["findable"] and not f["found"]:
                        print(
                            f"{r['tool']}: MISS {name} {f['box']} tags={f['tags']} "
                            f"coverage={f['coverage']} iou={f['best_iou']}"
                        )
                if m["false_detections"]:
                    print(f"{r['tool']}: {len(m['false_detections'])} false detection(s) in {name}")
    if a.markdown:
        Path(a.markdown).write_text(table)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    if a.privacyscreen and (a.beyond_markdown or a.beyond_json):
        beyond = score_beyond(load_regions(a.truth), load_report(a.privacyscreen, a.set_dir), a.set_dir)
        print(beyond_table(beyond))
        if a.beyond_markdown:
            Path(a.beyond_markdown).write_text(beyond_table(beyond))
        if a.beyond_json:
            Path(a.beyond_json).write_text(json.dumps(beyond, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
