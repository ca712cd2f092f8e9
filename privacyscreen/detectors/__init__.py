"""Detectors turn upright RGB pixels into Findings. One module per detector, named after it; register it here.

A detector subclasses `Detector`: it has a `name`, an `__init__(threads, policy)` that loads its model
once (using at most `threads` inference threads, 0 for all cores) and a `detect(pixels) ->
list[Finding]` method, and overrides what it needs of the defaults: `release()` to give back the
memory a photo needed, `close()` to free native resources, `confirms(pixels, face)` to look again at
a doubtful face it found, `detect_crop(pixels)` to look at a composition's crop of a photo it has seen
whole, `detect_frame(pixels)` for a quick look at a clip's frame between two that every detector
sees, `only_to_find_people = True` to run only while no other has found a person.
It reads from the policy only what it needs to label what it sees (the text allow-list); it knows
nothing of verdicts, files or other detectors. A detector that looks at a photo tile by tile does so
with `_pixels.tiled`, and maps boxes between scales with `findings.scaled`.

A detector's module is imported only when the detector is created: it loads a native runtime
(onnxruntime or MediaPipe), which a command that screens nothing (--help, consent) never needs. This
module imports none.
"""

from __future__ import annotations

from importlib import import_module

import numpy as np

from ..findings import Finding
from ..policy import Policy


class Detector:
    """What every detector is, with the defaults of what most do not need."""

    name: str
    only_to_find_people = False  # True: skipped once another detector found someone, unless compositions need it

    def __init__(self, threads: int = 0, policy: Policy = Policy()) -> None:
        """Load the model once, using at most `threads` inference threads (0: all cores)."""

    def detect(self, pixels: np.ndarray) -> list[Finding]:
        """Everything this detector sees in upright RGB pixels."""
        raise NotImplementedError

    def detect_crop(self, pixels: np.ndarray) -> list[Finding]:
        """Everything this detector sees in a composition's crop of a photo it has already seen whole."""
        return self.detect(pixels)

    def detect_frame(self, pixels: np.ndarray) -> list[Finding]:
        """A quick look at a clip's frame between two that all detectors see whole; by default none."""
        return []

    def confirms(self, pixels: np.ndarray, face: Finding) -> bool:
        """Whether a closer look sees the doubtful face this detector found; True when it cannot look closer."""
        return True

    def release(self) -> None:
        """Give back the memory the last photo needed."""

    def close(self) -> None:
        """Free native resources; the detector is not used again."""


REGISTRY = {  # name (also of its module): class
    "centerface": "CenterFace",
    "blazeface": "BlazeFace",
    "pose": "Pose",
    "ssdlite": "SSDLite",
    "hands": "Hands",
    "text": "Text",
    "objects": "Objects",
}
DEFAULT = ("centerface", "blazeface", "pose", "ssdlite", "text", "hands")


def create(names: tuple[str, ...] = DEFAULT, threads: int = 0, policy: Policy = Policy()) -> list[Detector]:
    """Instantiate detectors by name (each loads its model once)."""
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown detector(s): {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    return [detector_class(n)(threads, policy) for n in names]


def detector_class(name: str) -> type[Detector]:
    """The class of the detector `name`, imported now (with its native runtime)."""
    return getattr(import_module(f".{name}", __name__), REGISTRY[name])
