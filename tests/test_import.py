"""Importing privacyscreen changes nothing: the command line decides its language only when it runs,
the native runtimes of the models (onnxruntime, MediaPipe) load only to screen a photo, and Dask
only to screen photos with it (run --engine dask)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT

RUNTIMES = {"onnxruntime", "mediapipe"}
PIXELS = {"numpy", "cv2", "PIL", "tqdm"}  # what decoding, redacting and writing photos needs
CLUSTER = {"dask", "distributed"}  # run --engine dask, only


def python(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LANGUAGE"}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_importing_the_command_line_reads_no_arguments_and_changes_no_language():
    done = python("-c", """
import gettext, json, os, sys

class Untouchable(list):
    def __getitem__(self, index):
        raise AssertionError("sys.argv was read")
    __iter__ = __len__ = __getitem__

sys.argv = Untouchable(["privacyscreen", "--lang", "nl"])
import privacyscreen.cli
print(json.dumps({"LANGUAGE": os.environ.get("LANGUAGE"), "domain": gettext.textdomain(),
                  "runtimes": sorted({name.split(".")[0] for name in sys.modules}
                                     & {"onnxruntime", "mediapipe", "dask", "distributed"})}))
""")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"LANGUAGE": None, "domain": "messages", "runtimes": []}


@pytest.mark.parametrize(
    "args",
    [
        "--help", "run --help", "watch --help", "check --help", "consent list --register {tmp}/consent.sqlite",
        "consent form --out {tmp}/form.html", "models verify",
    ],
)  # fmt: skip
def test_commands_that_screen_nothing_load_no_model_runtime(tmp_path, args):
    done = python("-X", "importtime", "-m", "privacyscreen", *args.format(tmp=tmp_path).split())
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rpartition("|")[2].strip().split(".")[0] for line in done.stderr.splitlines()}
    assert "privacyscreen" in imported and not imported & RUNTIMES and not imported & CLUSTER
    if not args.startswith(("check", "consent form")):  # these read or write a file: Pillow, numpy
        assert not imported & PIXELS, imported & PIXELS  # a fast start (#17)


def test_every_detector_is_a_detector_and_overrides_only_what_it_needs():
    from privacyscreen.detectors import REGISTRY, Detector, detector_class

    classes = {name: detector_class(name) for name in REGISTRY}
    for name, cls in classes.items():
        assert issubclass(cls, Detector) and cls.name == name and cls.detect is not Detector.detect, name
    assert [n for n, cls in classes.items() if cls.only_to_find_people] == ["hands"]
    assert [n for n, cls in classes.items() if cls.confirms is not Detector.confirms] == ["centerface"]


def test_a_detector_needs_only_a_name_and_detect():
    import numpy as np

    from privacyscreen.detectors import Detector
    from privacyscreen.findings import Finding, Kind

    class Nothing(Detector):
        name = "nothing"

        def detect(self, pixels: np.ndarray) -> list[Finding]:
            return []

    d, pixels = Nothing(0), np.zeros((8, 8, 3), np.uint8)
    assert d.detect(pixels) == [] and not d.only_to_find_people
    assert d.confirms(pixels, Finding(Kind.FACE, (0, 0, 4, 4), 0.3, "nothing"))
    d.release()
    d.close()
