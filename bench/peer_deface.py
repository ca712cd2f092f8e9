#!/usr/bin/env python3
"""Benchmark harness for the peer tool deface 1.5.0 (ORB-HD/deface, CenterFace, MIT).

Two sub-commands:

``setup``
    Creates ``bench/.cache/venv-deface`` and installs ``deface==1.5.0`` there with its
    declared dependencies only, exactly as ``pip install deface`` gives a user.  Note that
    deface's optional speed-up (onnx + onnxruntime) is *not* a declared dependency, so a
    plain install runs CenterFace through OpenCV's DNN module (``backend='auto'`` falls
    back to ``opencv``).  Idempotent: an existing venv whose ``deface --version`` prints
    1.5.0 is left alone.

``run --images DIR_OR_FILES --out OUTDIR --json RESULT.json [--scale WxH]``
    (a) Detections deface makes at its default settings.  A helper script runs *inside
        deface's venv*, imports deface's own ``CenterFace`` and calls it the way
        ``deface.deface.image_detect`` does: ``imageio.v2.imread`` (RGB, EXIF orientation
        NOT applied), ``CenterFace(in_shape=..., backend='auto')``, ``centerface(frame,
        threshold=0.2)``.  Boxes come back as ``[x, y, w, h, score]`` in image pixels.
        Because deface ignores EXIF orientation, the helper's boxes live in the stored
        (sensor) pixel frame; this harness maps them to the displayed (upright) frame,
        which is the frame of the ground truth, and keeps the stored-frame boxes under
        ``raw_boxes``.  ``mask_boxes`` are the rectangles deface actually blurs (the
        detection cast to int, grown by ``--mask-scale`` as ``scale_bb`` does, clipped);
        by default deface blurs the ellipse inscribed in that rectangle.
    (b) Wall-clock time of the real deface CLI (``deface IMG -o OUT``), one process per
        image (includes interpreter start-up, imports and model load), and once as a
        single call over all images (``batch_seconds``).
    (c) Peak RSS of the deface process, from ``/usr/bin/time -v`` when present, else
        ``resource.getrusage(RUSAGE_CHILDREN)`` (then only an overall maximum).

Only the standard library is used here, so any Python 3.11 runs it; the helper runs with
deface's own interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFACE_VERSION = "1.5.0"
BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_VENV = BENCH_DIR / ".cache" / "venv-deface"
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".heic", ".heif"}

# deface 1.5.0 CLI defaults (deface/deface.py, parse_cli_args)
DEFAULT_THRESHOLD = 0.2
DEFAULT_MASK_SCALE = 1.3

# Runs inside deface's venv.  Reads a JSON request from argv[1], writes JSON to argv[2]
# (not stdout: CenterFace prints "Running on ..." there when onnxruntime is installed).
HELPER = r'''
import json, os, sys, tempfile, time, traceback
req = json.load(open(sys.argv[1]))
import numpy as np
import cv2
import imageio
import imageio.v2 as iio
from PIL import Image
import deface
import deface.deface as dd          # the CLI module: same imports and helpers
from deface.centerface import CenterFace

def exif_orientation(path):
    try:
        with Image.open(path) as im:
            return int(im.getexif().get(0x0112, 1) or 1)
    except Exception:
        return 1

def probe_orientation():
    """Does deface's reader (imageio.v2.imread) apply EXIF orientation?"""
    d = tempfile.mkdtemp()
    p = os.path.join(d, "probe.jpg")
    im = Image.new("RGB", (64, 32), (200, 200, 200))
    ex = im.getexif(); ex[0x0112] = 6          # 'rotate 90 CW to display'
    im.save(p, exif=ex.tobytes())
    a = iio.imread(p)
    return {"stored_hw": [32, 64], "imageio_hw": list(a.shape[:2]),
            "applied": list(a.shape[:2]) == [64, 32]}

in_shape = tuple(req["scale"]) if req["scale"] else None
t0 = time.perf_counter()
cf = CenterFace(in_shape=in_shape, backend=req["backend"])
load_s = time.perf_counter() - t0
out = {
    "deface_version": dd.__version__,
    "backend": cf.backend,
    "model_load_seconds": load_s,
    "versions": {"opencv": cv2.__version__, "imageio": imageio.__version__,
                  "numpy": np.__version__, "python": sys.version.split()[0]},
    "opencv_threads": cv2.getNumThreads(),
    "orientation_probe": probe_orientation(),
    "images": {},
}
thr, ms = req["threshold"], req["mask_scale"]
for name, path in req["images"]:
    rec = {}
    try:
        t0 = time.perf_counter()
        frame = iio.imread(path)                      # as deface.image_detect
        t1 = time.perf_counter()
        dets, _ = cf(frame, threshold=thr)            # as deface.image_detect
        t2 = time.perf_counter()
        boxes, masks = [], []
        for det in dets:
            x1, y1, x2, y2, s = (float(v) for v in det[:5])
            boxes.append([x1, y1, x2 - x1, y2 - y1, s])
            # as deface.anonymize_frame: int cast, scale_bb, clip to frame-1
            a1, b1, a2, b2 = det[:4].astype(int)
            a1, b1, a2, b2 = (int(v) for v in dd.scale_bb(a1, b1, a2, b2, ms))
            b1, b2 = max(0, b1), min(frame.shape[0] - 1, b2)
            a1, a2 = max(0, a1), min(frame.shape[1] - 1, a2)
            masks.append([a1, b1, a2 - a1, b2 - b1])
        rec = {"raw_boxes": boxes, "raw_mask_boxes": masks,
               "array_hw": list(frame.shape[:2]),
               "exif_orientation": exif_orientation(path),
               "read_seconds": t1 - t0, "infer_seconds": t2 - t1}
    except Exception as e:  # keep going; the error lands in the results
        rec = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
    out["images"][name] = rec
json.dump(out, open(sys.argv[2], "w"))
'''


# --------------------------------------------------------------------------- helpers
def venv_bin(venv: Path, name: str) -> Path:
    return venv / "bin" / name


def log(msg: str) -> None:
    print(f"[peer_deface] {msg}", file=sys.stderr, flush=True)


def installed_version(venv: Path) -> str | None:
    exe = venv_bin(venv, "deface")
    if not exe.exists():
        return None
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    return r.stdout.strip() or None if r.returncode == 0 else None


def pip_freeze(venv: Path) -> list[str]:
    r = subprocess.run(
        [str(venv_bin(venv, "python")), "-m", "pip", "freeze"], capture_output=True, text=True, check=True
    )
    return [ln for ln in r.stdout.splitlines() if ln.strip()]


def setup(venv: Path) -> list[str]:
    """Create the venv and install deface==1.5.0 (idempotent). Returns pip freeze."""
    if installed_version(venv) == DEFACE_VERSION:
        log(f"{venv} already has deface {DEFACE_VERSION}")
    else:
        if not venv_bin(venv, "python").exists():
            log(f"creating venv {venv}")
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        log(f"pip install deface=={DEFACE_VERSION}")
        subprocess.run(
            [
                str(venv_bin(venv, "python")),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "-q",
                f"deface=={DEFACE_VERSION}",
            ],
            check=True,
        )
        v = installed_version(venv)
        if v != DEFACE_VERSION:
            raise SystemExit(f"deface --version printed {v!r}, expected {DEFACE_VERSION}")
    return pip_freeze(venv)


def collect_images(inputs: list[str], root: str | None) -> list[tuple[str, Path]]:
    """(name, path) pairs; a directory is walked recursively, names relative to it;
    a file is named relative to --root if given, else by its base name."""
    out: list[tuple[str, Path]] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in IMAGE_EXTS and "_anonymized" not in f.stem:
                    out.append((f.relative_to(p).as_posix(), f.resolve()))
        elif p.is_file():
            name = os.path.relpath(p.resolve(), Path(root).resolve()) if root else p.name
            out.append((Path(name).as_posix(), p.resolve()))
        else:
            raise SystemExit(f"not found: {item}")
    names = [n for n, _ in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit(f"duplicate image names {sorted(dup)}; pass --root")
    return out


def orient_box(box: list[float], orientation: int, w: float, h: float) -> list[float]:
    """Map an [x, y, w, h, ...] box from the stored pixel frame (width w, height h) to
    the displayed frame, for EXIF orientation 1..8 (as PIL.ImageOps.exif_transpose)."""
    x1, y1, bw, bh = box[:4]
    x2, y2 = x1 + bw, y1 + bh
    pts = [(x1, y1), (x2, y2)]
    f = {
        1: lambda x, y: (x, y),
        2: lambda x, y: (w - x, y),  # mirror horizontal
        3: lambda x, y: (w - x, h - y),  # rotate 180
        4: lambda x, y: (x, h - y),  # mirror vertical
        5: lambda x, y: (y, x),  # transpose
        6: lambda x, y: (h - y, x),  # rotate 90 CW to display
        7: lambda x, y: (h - y, w - x),  # transverse
        8: lambda x, y: (y, w - x),  # rotate 90 CCW to display
    }.get(orientation, lambda x, y: (x, y))
    (ax, ay), (bx, by) = (f(*p) for p in pts)
    return [min(ax, bx), min(ay, by), abs(bx - ax), abs(by - ay), *box[4:]]


def timed_run(cmd: list[str], log_path: Path) -> dict:
    """Run cmd (under /usr/bin/time -v when available); wall seconds, peak RSS, rc."""
    gnu_time = os.access("/usr/bin/time", os.X_OK)
    full = ["/usr/bin/time", "-v", *cmd] if gnu_time else cmd
    t0 = time.perf_counter()
    with open(log_path, "w") as lf:
        r = subprocess.run(full, stdout=lf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    secs = time.perf_counter() - t0
    rss_mb = None
    if gnu_time:
        for ln in log_path.read_text(errors="replace").splitlines():
            if "Maximum resident set size (kbytes)" in ln:
                rss_mb = int(ln.rsplit(":", 1)[1]) / 1024.0
    return {
        "seconds": secs,
        "rss_mb": rss_mb,
        "rc": r.returncode,
        "rss_method": "/usr/bin/time -v" if gnu_time else None,
    }


def children_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0  # kB on Linux


# --------------------------------------------------------------------------- run
def run(args: argparse.Namespace) -> dict:
    venv = Path(args.venv)
    if installed_version(venv) != DEFACE_VERSION:
        raise SystemExit(f"deface {DEFACE_VERSION} not found in {venv}; run `setup` first")
    images = collect_images(args.images, args.root)
    if not images:
        raise SystemExit("no images found")
    out_dir = Path(args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    logs = out_dir / "_logs"
    logs.mkdir(exist_ok=True)
    scale = None
    if args.scale:
        sw, sh = args.scale.lower().split("x")
        scale = [int(sw), int(sh)]
    deface_exe = str(venv_bin(venv, "deface"))
    cli_extra = ["--scale", args.scale] if args.scale else []
    res_images: dict[str, dict] = {n: {} for n, _ in images}
    load_before = os.getloadavg()
    peak: list[float] = []
    rss_method = None

    # ---- (b)+(c) timing of the real CLI: first, so the RUSAGE_CHILDREN fallback only
    # sees deface processes.
    if not args.skip_timing:
        # warm the page cache (imports + model file); not timed
        subprocess.run([deface_exe, "--version"], capture_output=True)
        onnx = next(venv.glob("lib/python*/site-packages/deface/centerface.onnx"), None)
        if onnx:
            onnx.read_bytes()
        for name, path in images:
            dst = out_dir / "deface" / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            runs = []
            for k in range(args.repeat):
                if dst.exists():
                    dst.unlink()
                r = timed_run(
                    [deface_exe, str(path), "-o", str(dst), *cli_extra],
                    logs / f"single_{name.replace('/', '__')}_{k}.log",
                )
                runs.append(r)
            rss_method = runs[0]["rss_method"]
            rec = res_images[name]
            rec["seconds"] = statistics.median(r["seconds"] for r in runs)
            rec["seconds_all"] = [round(r["seconds"], 4) for r in runs]
            rss = [r["rss_mb"] for r in runs if r["rss_mb"] is not None]
            if rss:
                rec["peak_rss_mb"] = max(rss)
                peak.append(max(rss))
            rec["output"] = str(dst) if dst.exists() else None
            if any(r["rc"] != 0 for r in runs) or not dst.exists():
                rec["cli_error"] = f"rc={[r['rc'] for r in runs]}, output exists={dst.exists()}"
                log(f"{name}: deface CLI failed ({rec['cli_error']}), see {logs}")
            rss_txt = f"{rec['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in rec else "n/a"
            log(f"{name}: {rec['seconds']:.2f} s, peak RSS {rss_txt}")

        # one call over all images; no -o (with -o deface writes every image to the same
        # path), so outputs land next to symlinks as <name>_anonymized.<ext>
        # deface aborts the whole call at the first image it crashes on, so the batch
        # holds only images whose single run succeeded
        bdir = out_dir / "_batch"
        if bdir.exists():
            shutil.rmtree(bdir)
        links = []
        batch_images = [(n, p) for n, p in images if "cli_error" not in res_images[n]]
        for name, path in batch_images:
            link = bdir / name
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
            links.append(str(link))
        bruns = [timed_run([deface_exe, *links, *cli_extra], logs / f"batch_{k}.log") for k in range(args.repeat)]
        batch_seconds = statistics.median(r["seconds"] for r in bruns)
        batch_rss = [r["rss_mb"] for r in bruns if r["rss_mb"] is not None]
        if batch_rss:
            peak.append(max(batch_rss))
        if rss_method is None:
            rss_method = "resource.getrusage(RUSAGE_CHILDREN) (overall max only)"
            peak.append(children_maxrss_mb())
        if any(r["rc"] != 0 for r in bruns):
            log(f"WARNING: batch call exited with rc={[r['rc'] for r in bruns]}")
        log(f"batch of {len(batch_images)}: {batch_seconds:.2f} s")
    else:
        bruns, batch_seconds, batch_rss, batch_images = [], None, [], []

    # ---- (a) detections via deface's own CenterFace, inside deface's venv
    with tempfile.TemporaryDirectory() as td:
        req_p, res_p = Path(td) / "req.json", Path(td) / "res.json"
        req_p.write_text(
            json.dumps(
                {
                    "images": [[n, str(p)] for n, p in images],
                    "scale": scale,
                    "threshold": args.threshold,
                    "mask_scale": args.mask_scale,
                    "backend": "auto",
                }
            )
        )
        subprocess.run(
            [str(venv_bin(venv, "python")), "-c", HELPER, str(req_p), str(res_p)], check=True, stdin=subprocess.DEVNULL
        )
        det = json.loads(res_p.read_text())
    applied = det["orientation_probe"]["applied"]
    for name, _ in images:
        d = det["images"][name]
        rec = res_images[name]
        if "error" in d:
            rec.update(boxes=[], error=d["error"])
            log(f"{name}: ERROR {d['error']}")
            continue
        ori = d["exif_orientation"]
        ah, aw = d["array_hw"]
        rec["exif_orientation"] = ori
        if ori != 1 and not applied:
            rec["raw_boxes"] = d["raw_boxes"]
            rec["boxes"] = [orient_box(b, ori, aw, ah) for b in d["raw_boxes"]]
            rec["mask_boxes"] = [orient_box(b, ori, aw, ah) for b in d["raw_mask_boxes"]]
            rec["size"] = [ah, aw] if ori in (5, 6, 7, 8) else [aw, ah]
            rec["note"] = (
                "deface ran on the stored (unrotated) pixels and writes its output "
                "without the Orientation tag, so the output displays rotated; "
                "boxes are mapped to the upright frame"
            )
        else:
            rec["boxes"] = d["raw_boxes"]
            rec["mask_boxes"] = d["raw_mask_boxes"]
            rec["size"] = [aw, ah]
        rec["boxes"] = [[round(v, 2) for v in b[:4]] + [round(b[4], 4)] for b in rec["boxes"]]
        rec["read_seconds"] = round(d["read_seconds"], 4)
        rec["infer_seconds"] = round(d["infer_seconds"], 4)

    result = {
        "tool": "deface",
        "version": det["deface_version"],
        "settings": {
            "threshold": args.threshold,
            "mask_scale": args.mask_scale,
            "scale": args.scale,  # None = native resolution (rounded up to /32)
            "backend": det["backend"],  # 'opencv' unless onnx+onnxruntime installed
            "replacewith": "blur",
            "ellipse": True,
            "keep_metadata": False,
            "cli": f"deface IMG -o OUT{(' ' + ' '.join(cli_extra)) if cli_extra else ''}",
            "exif_orientation_applied_by_deface": applied,
            "orientation_probe": det["orientation_probe"],
            "repeat": args.repeat,
            "versions": det["versions"],
            "opencv_threads": det["opencv_threads"],
            "model_load_seconds": round(det["model_load_seconds"], 3),
            "cpu_count": os.cpu_count(),
            "machine": platform.platform(),
            "rss_method": rss_method,
            # other work on the machine skews timings; check these before trusting them
            "loadavg_1_5_15_before": [round(v, 2) for v in load_before],
            "loadavg_1_5_15_after": [round(v, 2) for v in os.getloadavg()],
            "pip_freeze": pip_freeze(venv),
        },
        "images": res_images,
        "batch_seconds": batch_seconds,
        "batch_seconds_per_image": (batch_seconds / len(batch_images)) if batch_seconds else None,
        "batch_seconds_all": [round(r["seconds"], 4) for r in bruns],
        "batch_images": len(batch_images),
        "batch_excluded": [nm for nm, _ in images if nm not in dict(batch_images)],
        "batch_rc": [r["rc"] for r in bruns],
        "batch_peak_rss_mb": max(batch_rss) if batch_rss else None,
        "seconds_per_image_single_mean": (
            statistics.mean(r["seconds"] for r in res_images.values() if "seconds" in r)
            if not args.skip_timing
            else None
        ),
        "peak_rss_mb": max(peak) if peak else None,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1))
    log(f"wrote {args.json}")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--venv", default=str(DEFAULT_VENV), help="deface venv (default: %(default)s)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup", help="create the venv and pip install deface==1.5.0")
    s.add_argument("--freeze-json", help="also write pip freeze to this JSON file")
    r = sub.add_parser("run", help="detections + timing + RSS")
    r.add_argument("--images", nargs="+", required=True, help="a directory or image files")
    r.add_argument("--root", help="name files relative to this directory (default: base name)")
    r.add_argument("--out", required=True, help="directory for deface's outputs and logs")
    r.add_argument("--json", required=True, help="result JSON")
    r.add_argument("--scale", help="WxH, passed to deface --scale (default: native)")
    r.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    r.add_argument("--mask-scale", type=float, default=DEFAULT_MASK_SCALE)
    r.add_argument("--repeat", type=int, default=1, help="timed runs per image (median)")
    r.add_argument("--skip-timing", action="store_true", help="detections only")
    args = ap.parse_args(argv)
    if args.cmd == "setup":
        freeze = setup(Path(args.venv))
        print("\n".join(freeze))
        if args.freeze_json:
            Path(args.freeze_json).write_text(json.dumps(freeze, indent=1))
        return 0
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
