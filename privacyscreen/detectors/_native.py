"""What the detectors share about their native runtimes: quiet logs, onnxruntime sessions whose
memory is given back after every run, and MediaPipe Tasks made from a bundled model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import mediapipe as mp
import numpy as np
import onnxruntime as ort
from mediapipe.tasks.python import BaseOptions

from .. import models


class Session(ort.InferenceSession):
    """An onnxruntime session that can give its memory arena back (`release`) once a detector is
    done with a photo: a worker's peak is then the largest single detector, not their sum (50 MP
    photos), while the many runs of one photo keep the arena's speed."""

    SHRINK = ort.RunOptions()
    SHRINK.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def release(self) -> None:
        """Shrink the arena: one run on the smallest input, with shrinkage at its end."""
        feeds = {
            i.name: np.zeros([d if isinstance(d, int) else (1 if n == 0 else 32) for n, d in enumerate(i.shape)],
                             np.float32)
            for i in self.get_inputs()
        }  # fmt: skip
        self.run(None, feeds, self.SHRINK)


def onnx_session(model: str, threads: int) -> Session:
    """A session for a bundled model on the CPU, with `threads` threads (0: all cores)."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads
    return Session(str(models.path(model)), options, providers=["CPUExecutionProvider"])


def mediapipe_task(task: Any, options: Any, model: str, **settings: object) -> Any:
    """A MediaPipe Tasks `task` (vision.FaceDetector, vision.PoseLandmarker, ...) for a bundled model,
    with its `options` class set to `settings`."""
    with quiet():
        return task.create_from_options(
            options(base_options=BaseOptions(model_asset_path=str(models.path(model))), **settings)
        )


def mediapipe_image(pixels: np.ndarray) -> mp.Image:
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(pixels))


@contextmanager
def quiet() -> Iterator[None]:
    """Silence file descriptor 2 (MediaPipe logs there, not to Python) for the duration of a native
    call; Python errors still raise."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
