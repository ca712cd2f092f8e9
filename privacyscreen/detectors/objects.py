"""Things on a table: cups, glasses, bottles, bowls, cutlery, food, vases and the dining table itself,
from Google's SSD-MobileNetV2 trained on COCO (TensorFlow Object Detection API,
ssd_mobilenet_v2_coco_2018_03_29; Apache-2.0), through onnxruntime. The model keeps the logits of
the 19 COCO classes of tableware, food and the dining table only (models/build.py): it sees no
person, no car, no chair.

Objects serve compositions: compose.py makes the `table` subject of them. An object is never
redacted and never means that someone is there, so the detector runs only when compositions are
asked for (compose.DETECTORS), and looks at no composition's crop again (nothing it sees there
could identify anyone).

Like ssdlite, its sibling (the same anchors and box coder), it sees 300 x 300 px: the whole photo
squeezed to that, and overlapping tiles (six on a 4:3 photo), where a cup on a wide photo is large
enough to see. Scores are one sigmoid per class. The thresholds (SURE, ON_TABLE) come from the
whole views and tiles of 133 photos: ../shared/media/photos/, samples/photos/ and the benchmark set
(bench/.cache/set/, with its subfolders), a dozen of them with a table, cups or food:

- a cup, glass, bottle, bowl or cutlery from 0.5: the coffee cup scores 0.95 and its saucer (as a
  bowl) 0.85, glasses and bowls on the card table (bench t1.jpg and its crop) 0.5 to 0.97; what is
  no tableware stays under 0.5 (book spines as bottles 0.36 and 0.39, a chandelier as a wine glass
  0.48, a pen as a knife 0.47, a lid as a bowl 0.46), but so does a bottle on a shelf (0.46); a
  car's air freshener on a dashboard is a bottle at 0.65;
- food from 0.6: fruit and a pumpkin 0.67 to 0.97; a hand holding a gun is a banana at 0.52;
- the table from 0.5: 0.72 to 0.84 where it is seen whole or mostly (the laid table by the window,
  the card table, the table under the coffee cup); one that fills the photo (the card table's
  crop) or lies under a box 0.46 to 0.49; nothing that is no table over 0.4;
- a vase from 0.7, and a vase alone makes no table (compose.py): plant pots score 0.82 to 0.99, but
  so do a leaf (0.89) and tiles of an apple (0.88);
- on a table found, any thing from 0.3 (ON_TABLE): the two cups laid on the table by the window
  score 0.33 and 0.38, the small glasses and stacks of poker chips on the card table 0.31 to 0.48:
  things on the table either way. Nothing scored 0.3 or more on a table that was not on it.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..findings import Finding, Kind, ObjectLabel, contains_center, to_box
from . import Detector
from ._native import onnx_session
from .ssdlite import anchors, forward, views

COCO = {  # COCO id (TF's mscoco_label_map): what it is here
    44: ObjectLabel.BOTTLE, 46: ObjectLabel.GLASS, 47: ObjectLabel.CUP, 48: ObjectLabel.CUTLERY,
    49: ObjectLabel.CUTLERY, 50: ObjectLabel.CUTLERY, 51: ObjectLabel.BOWL,
    **{food: ObjectLabel.FOOD for food in range(52, 62)},  # banana, apple, sandwich, orange, ... cake
    67: ObjectLabel.TABLE, 86: ObjectLabel.VASE,
}  # fmt: skip
SURE: dict[str, float] = {ObjectLabel.FOOD: 0.6, ObjectLabel.VASE: 0.7}  # score from which a thing is there ...
SURE_DEFAULT = 0.5  # ... for the other labels
ON_TABLE = 0.3  # score from which a thing is there when it lies on a table found
SAME = 0.5  # boxes of one label overlapping this much (IoU) are one thing: the best scoring is kept


def sure(label: str) -> float:
    """The score from which a thing of `label` is there (anywhere: on a table ON_TABLE is enough)."""
    return SURE.get(label, SURE_DEFAULT)


class Objects(Detector):
    name = "objects"

    def __init__(self, threads: int = 0, policy: object = None):
        self.session = onnx_session("ssd_mobilenet_v2_coco_tableware.onnx", threads)
        self.anchors = anchors()
        classes = [int(c) for c in self.session.get_modelmeta().custom_metadata_map["classes"].split(",")]
        self.labels = [COCO[c] for c in classes]  # of the model's logits, column by column
        self.columns = {label: [i for i, c in enumerate(self.labels) if c == label] for label in ObjectLabel}

    def release(self) -> None:
        self.session.release()

    def detect_crop(self, pixels: np.ndarray) -> list[Finding]:
        return []  # a crop is screened again for what could identify someone: no object can

    def detect(self, pixels: np.ndarray) -> list[Finding]:
        found = views(pixels, self._things)
        kept: list[Finding] = []
        for label in ObjectLabel:
            same = [f for f in found if f.label == label]
            if same:
                kept += [same[i] for i in cv2.dnn.NMSBoxes([f.box for f in same], [f.score for f in same], 0.0, SAME)]
        tables = [f.box for f in kept if f.label == ObjectLabel.TABLE]
        return [f for f in kept
                if f.score >= sure(f.label) or any(contains_center(t, f.box) for t in tables)]  # fmt: skip

    def _things(self, pixels: np.ndarray) -> list[Finding]:
        """The things in `pixels` (the whole photo or a tile of it) that might be there: each label's
        from ON_TABLE, the table from where it is sure; in the pixels' own coordinates."""
        boxes, scores = forward(self.session, self.anchors, pixels)
        found = []
        for label, columns in self.columns.items():
            best = scores[:, columns].max(axis=1)  # one score per anchor for the label: its likeliest class
            keep = np.flatnonzero(best >= (sure(label) if label == ObjectLabel.TABLE else ON_TABLE))
            found += [Finding(Kind.OBJECT, to_box(*boxes[i]), float(best[i]), self.name, label=label) for i in keep]
        return found
