"""What the detectors share about their native runtimes: quiet logs, and onnxruntime sessions
whose memory is given back after every run."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import onnxruntime as ort

from .. import models


def onnx_session(model: str, threads: int) -> ort.InferenceSession:
    """An onnxruntime session for a bundled model on the CPU, with `threads` threads (0: all cores).
    No memory arena: each detector's peak is given back before the next one runs, so a worker's
    peak is the largest single step, not their sum (50 MP photos)."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads
    options.enable_cpu_mem_arena = False
    return ort.InferenceSession(str(models.path(model)), options, providers=["CPUExecutionProvider"])


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
