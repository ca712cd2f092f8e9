"""MediaPipe's native runtime logs to the process's stderr (not Python's): keep it off the user's terminal."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def quiet() -> Iterator[None]:
    """Silence file descriptor 2 for the duration of a native call; Python errors still raise."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
