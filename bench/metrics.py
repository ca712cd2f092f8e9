#!/usr/bin/env python3
"""Scoring for the privacyscreen benchmark: face recall per class, false detections and
missed people-photos, for privacyscreen and deface side by side.

Ground truth (fixed format)::

    {"version": 1, "images": {"<path relative to set dir>": {
        "people": true,
        "faces": [{"box": [x, y, w, h], "tags": ["profile"|"covered"|"back"|"tiny"],
                   "findable": true}]}}}

``findable`` defaults to true.  Boxes are in displayed (upright) pixels.

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

Inputs: deface's JSON from ``bench/peer_deface.py`` and privacyscreen's report JSON
(``{"images": [{"source": ..., "verdict": ..., "findings": [{"kind": "face", "box": ...}]}]}``).

CLI::

    python bench/metrics.py --truth bench/ground_truth.json --set-dir bench/.cache/set \\
        --privacyscreen REPORT.json --deface DEFACE.json --markdown table.md
    python bench/metrics.py --selfcheck
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

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
    perf = {
        "seconds_per_photo": _mean([r["seconds"] for r in images.values()]),
        "batch_seconds_per_photo": d.get("batch_seconds_per_image"),
        "peak_rss_mb": d.get("peak_rss_mb"),
    }
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
    perf = {
        "seconds_per_photo": _mean([r["seconds"] for r in images.values()]),
        "batch_seconds_per_photo": d.get("batch_seconds_per_image"),
        "peak_rss_mb": d.get("peak_rss_mb"),
    }
    return {"tool": f"privacyscreen {d.get('version', '')}".strip(), "verdicts": True, "images": images, "perf": perf}


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
    assert r["people_photos_called_free"] == {"count": 1, "of": 2, "rule": r["people_photos_called_free"]["rule"]}
    df = {"tool": "deface", "verdicts": False, "images": {"a.jpg": {"boxes": []}, "b.jpg": {"boxes": []}}}
    r = score(truth, df)
    assert r["people_photos_called_free"]["count"] == 1 and r["people_photos_called_free"]["of"] == 1
    assert r["missing_from_report"] == ["c.jpg"]
    assert "| deface |" in markdown_table([r])
    print("metrics self-check: OK")


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
