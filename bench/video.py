#!/usr/bin/env python3
"""The video benchmark: privacyscreen and deface 1.5.0 side by side, in one run, on the same clips.

    python bench/video.py            # every clip; writes bench/results-video.md
    python bench/video.py --quick    # the short clips only (no 30-second speed clips)

Clips (built once into bench/.cache/video/):
  real     ../shared/media/videos/: the Tears of Steel excerpt (CC BY 3.0, real actors) as it is,
           vertical, with a rotation flag, and in a MOV with sound. Nobody drew faces on it: the
           reference is every face deface's detector finds in each frame (threshold 0.2, as its CLI).
  built    pan and lamp: a pan and zoom over samples/photos/grace_hopper.jpg, and the same with a lamp over
           the upper half of the face in frames 8 to 13 (tests/clips.py): the face is known in
           every frame.
  speed    the excerpt enlarged to 1280 x 720 and 1920 x 1080 and played three times (30 s each).

Scored per clip, from each tool's output file (what a viewer sees), never from its own account:
  deface's faces hidden   of the faces deface's detector finds frame by frame, the share that privacyscreen's
                          output hides (their detail is gone: see `hidden`); deface's own output, as a check
  known face visible      built clips: frames in which the known face shows unredacted
  deface's gaps           frames in which deface finds no face where it found one in the frames just before
                          and after (a face that "slips through for a frame"): privacyscreen's output hides
                          how many of them
  speed                   wall seconds of the CLI (start-up included) as a multiple of the clip's duration,
                          and peak memory (resident, MB)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from privacyscreen import video  # noqa: E402
from tests import clips  # noqa: E402

CACHE = BENCH / ".cache" / "video"
SHARED = ROOT.parent / "shared" / "media" / "videos"
DEFACE = BENCH / ".cache" / "venv-deface" / "bin"
RESULTS = BENCH / "results-video.md"
SHARP_LEFT = 0.5  # a region is hidden when at most this share of its fine detail is left
FLAT = 2.0  # a region with less detail than this in the source shows nothing to hide

HELPER = r"""
import json, sys
import imageio
from deface.centerface import CenterFace
reader = imageio.get_reader(sys.argv[1])                 # as deface.video_detect
cf, frames = None, []
for frame in reader:
    cf = cf or CenterFace(in_shape=None, backend="auto")
    dets, _ = cf(frame, threshold=0.2)                    # deface's default threshold
    frames.append({"hw": list(frame.shape[:2]),
                   "boxes": [[float(d[0]), float(d[1]), float(d[2] - d[0]), float(d[3] - d[1])] for d in dets]})
json.dump(frames, open(sys.argv[2], "w"))
"""


def build_clips(quick: bool) -> dict[str, tuple[Path, list | None]]:
    """name: (clip, the known face box per frame or None)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    if not list(SHARED.glob("*.m*")):
        raise SystemExit(f"no clips in {SHARED}: the real clips are the leadership's (../shared/media/videos)")
    found: dict[str, tuple[Path, list | None]] = {p.stem: (p, None) for p in sorted(SHARED.glob("*.m*"))}
    frames, faces = zip(*clips.pan(24), strict=True)
    found["pan"] = (clips.build(CACHE / "pan.mp4", list(frames)), list(faces))
    lamp_frames, lamp_faces = [], []
    for n, (frame, face) in enumerate(clips.pan(24)):
        frame, (x, y, w, h) = frame.copy(), face
        if 8 <= n <= 13:
            frame[: y + h // 2, x - 20 : x + w + 20] = (230, 230, 210)
            face = (x, y + h // 2, w, h - h // 2)
        lamp_frames.append(frame)
        lamp_faces.append(face)
    found["lamp"] = (clips.build(CACHE / "lamp.mp4", lamp_frames), lamp_faces)
    if not quick:
        for name, size in (("720p-30s", (1280, 720)), ("1080p-30s", (1920, 1080))):
            path = CACHE / f"{name}.mp4"
            if not path.exists():
                enlarge(SHARED / "tos_faces_640x360.mp4", path, size, times=3)
            found[name] = (path, None)
    return found


def enlarge(source: Path, dest: Path, size: tuple[int, int], times: int) -> None:
    """The clip scaled to `size` and played `times` times over, as a phone would have filmed it (H.264, 24 fps)."""
    import cv2

    with av.open(str(dest), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=24, options={"crf": "20"})
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        for _ in range(times):
            for frame in clips.frames_of(source):
                big = cv2.resize(frame, size, interpolation=cv2.INTER_LANCZOS4)
                out.mux(stream.encode(av.VideoFrame.from_ndarray(big, format="rgb24")))
        out.mux(stream.encode())


def timed(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MB of the command and its children together, sampled 20 times a second)."""
    import psutil

    start = time.perf_counter()
    proc = psutil.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    if proc.returncode not in (0, 1):
        raise subprocess.CalledProcessError(proc.returncode, args)
    return time.perf_counter() - start, peak / 2**20


def upright_frames(path: Path):
    """The clip's frames, upright, one at a time."""
    return (pixels for _, pixels in video.frames(video.load(path)))


def hidden(before: np.ndarray, after: np.ndarray, box) -> bool:
    """Whether the output no longer shows the detail of the region (its middle half) that the source shows."""
    x, y, w, h = box
    inner = (round(x + w / 4), round(y + h / 4), max(2, round(w / 2)), max(2, round(h / 2)))
    source = clips.sharpness(before, inner)
    return source < FLAT or clips.sharpness(after, inner) <= SHARP_LEFT * source


def gaps(frames: list[dict]) -> list[tuple[int, list[float]]]:
    """(frame, box) where deface found nothing that it found at that place in the frames before and after."""
    from privacyscreen.findings import iou

    out = []
    for n in range(1, len(frames) - 1):
        for box in frames[n - 1]["boxes"]:
            b = tuple(round(v) for v in box)
            later = any(iou(b, tuple(round(v) for v in c)) > 0.3 for c in frames[n + 1]["boxes"])
            here = any(iou(b, tuple(round(v) for v in c)) > 0.3 for c in frames[n]["boxes"])
            if later and not here:
                out.append((n, box))
    return out


def measure(name: str, path: Path, faces: list | None, work: Path) -> dict:
    clip = video.load(path)
    ours = work / "privacyscreen"
    seconds, memory = timed([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
                             "from privacyscreen.cli import main; sys.exit(main())",
                             "run", str(path), "--out", str(ours), "--policy", "standard"])  # fmt: skip
    output = next(ours.rglob("*.mp4"))
    theirs = work / f"deface-{name}.mp4"
    deface_seconds, deface_memory = timed([str(DEFACE / "deface"), str(path), "-o", str(theirs)])
    detections = work / f"deface-{name}.json"
    subprocess.run([str(DEFACE / "python"), "-c", HELPER, str(path), str(detections)], check=True)
    found = json.loads(detections.read_text())
    if found and tuple(found[0]["hw"]) != (clip.height, clip.width):
        raise SystemExit(f"{name}: deface reads {found[0]['hw']}, upright is {(clip.height, clip.width)}")
    slips: dict[int, tuple] = dict.fromkeys(range(len(found)), ())
    for i, box in gaps(found):
        slips[i] = (*slips[i], box)
    counts = dict.fromkeys(("frames compared", "deface faces", "hidden by privacyscreen", "hidden by deface",
                            "gaps hidden by privacyscreen", "known privacyscreen", "known deface"), 0)  # fmt: skip
    shows = []
    mine = (f.to_ndarray(format="rgb24") for f in av.open(str(output)).decode(video=0))
    for i, (source, ours, defaced, seen) in enumerate(zip(upright_frames(path), mine, upright_frames(theirs), found)):
        counts["frames compared"] += 1
        for box in seen["boxes"]:
            counts["deface faces"] += 1
            counts["hidden by deface"] += hidden(source, defaced, box)
            if hidden(source, ours, box):
                counts["hidden by privacyscreen"] += 1
            else:
                shows.append([i, [round(v) for v in box]])
        counts["gaps hidden by privacyscreen"] += sum(hidden(source, ours, box) for box in slips[i])
        if faces:
            counts["known privacyscreen"] += not hidden(source, ours, faces[i])
            counts["known deface"] += not hidden(source, defaced, faces[i])
    row = {
        "clip": name, "frames": clip.frames, "size": f"{clip.width}x{clip.height}", "seconds": round(clip.seconds, 1),
        "frames compared": counts["frames compared"],
        "deface faces": counts["deface faces"],
        "deface faces hidden by privacyscreen": counts["hidden by privacyscreen"],
        "deface faces hidden by deface": counts["hidden by deface"],
        "deface faces privacyscreen shows": shows,
        "deface gaps": sum(map(len, slips.values())),
        "deface gaps hidden by privacyscreen": counts["gaps hidden by privacyscreen"],
        "privacyscreen x duration": round(seconds / clip.seconds, 2), "privacyscreen MB": round(memory),
        "deface x duration": round(deface_seconds / clip.seconds, 2), "deface MB": round(deface_memory),
    }  # fmt: skip
    if faces:
        row["known face visible (privacyscreen)"] = counts["known privacyscreen"]
        row["known face visible (deface)"] = counts["known deface"]
    print(json.dumps(row), flush=True)
    return row


def markdown(rows: list[dict]) -> str:
    lines = [
        "| clip | frames | size | deface's faces hidden: privacyscreen | deface | deface's one-frame gaps hidden "
        "by privacyscreen | known face visible, frames: privacyscreen / deface | x duration: privacyscreen "
        "/ deface | peak MB: privacyscreen / deface |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:

        def share(k: str, r: dict = r) -> str:
            return f"{100 * r[k] / r['deface faces']:.1f} % ({r[k]}/{r['deface faces']})" if r["deface faces"] else "-"

        known = (f"{r['known face visible (privacyscreen)']} / {r['known face visible (deface)']}"
                 if "known face visible (deface)" in r else "-")  # fmt: skip
        lines.append(
            f"| {r['clip']} | {r['frames']} | {r['size']} | {share('deface faces hidden by privacyscreen')} | "
            f"{share('deface faces hidden by deface')} | {r['deface gaps hidden by privacyscreen']} of "
            f"{r['deface gaps']} | {known} | {r['privacyscreen x duration']} / {r['deface x duration']} | "
            f"{r['privacyscreen MB']} / {r['deface MB']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the short clips only")
    parser.add_argument("--only", nargs="*", help="clip names to run")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, faces) in build_clips(args.quick).items():
            if args.only and name not in args.only:
                continue
            work = Path(tmp) / name
            work.mkdir()
            rows.append(measure(name, path, faces, work))
    table = markdown(rows)
    (BENCH / ".cache" / "results").mkdir(parents=True, exist_ok=True)
    (BENCH / ".cache" / "results" / "video.json").write_text(json.dumps(rows, indent=1))
    if not args.only:
        cpu = os.cpu_count()
        RESULTS.write_text(f"# Video benchmark ({time.strftime('%Y-%m-%d')}, {cpu} cores)\n\n"
                           f"`python bench/video.py{' --quick' if args.quick else ''}`; scored from each "
                           f"tool's output file (see the docstring of bench/video.py).\n\n{table}\n")  # fmt: skip
    print(table)


if __name__ == "__main__":
    main()
