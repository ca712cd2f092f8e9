"""Detectors turn upright RGB pixels into Findings. One module per detector; register it here.

A detector is a class with a `name`, an `__init__(threads, policy)` that loads its model once
(using at most `threads` inference threads, 0 for all cores) and a `detect(pixels) ->
list[Finding]` method, and optionally `release()` to give back the memory a photo needed and
`close()` to free native resources. A detector with
`only_to_find_people = True` runs only while no other has found a person. It reads from the
policy only what it needs to label what it sees (the text allow-list); it knows nothing of
verdicts, files or other detectors.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..findings import Finding
from ..policy import Policy
from .blazeface import BlazeFace
from .centerface import CenterFace
from .hands import Hands
from .pose import Pose
from .ssdlite import SSDLite
from .text import Text


class Detector(Protocol):
    name: str

    def detect(self, pixels: np.ndarray) -> list[Finding]: ...


REGISTRY: dict[str, type[Detector]] = {
    CenterFace.name: CenterFace,
    BlazeFace.name: BlazeFace,
    Pose.name: Pose,
    SSDLite.name: SSDLite,
    Hands.name: Hands,
    Text.name: Text,
}
DEFAULT = ("centerface", "blazeface", "pose", "ssdlite", "text", "hands")


def create(names: tuple[str, ...] = DEFAULT, threads: int = 0, policy: Policy = Policy()) -> list[Detector]:
    """Instantiate detectors by name (each loads its model once)."""
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown detector(s): {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    return [REGISTRY[n](threads, policy) for n in names]
