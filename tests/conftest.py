"""Shared fixtures: real photos from samples/, real models, real files in tmp_path."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from privacyscreen.policy import Policy
from privacyscreen.screen import Screener, Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "photos"


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch):
    """Messages in English unless a test asks for Dutch, whatever the machine's locale."""
    monkeypatch.setenv("PRIVACYSCREEN_LANG", "en")


@pytest.fixture(scope="session")
def screener():
    """One Screener (models loaded once) for the whole test session, with the standard policy:
    a portrait with its face redacted is `anonymized` and written among the safe copies (under
    the default strict policy its visible body would hold it back; test_policy covers that)."""
    with Screener(Settings(policy=Policy.load("standard"))) as s:
        yield s


@pytest.fixture
def portrait() -> Path:
    """A real photo of one person, face clearly visible."""
    return SAMPLES / "astronaut.png"


@pytest.fixture
def portrait_jpeg() -> Path:
    """A real JPEG photo of one person."""
    return SAMPLES / "grace_hopper.jpg"


@pytest.fixture
def no_people() -> Path:
    """A real photo without any person."""
    return SAMPLES / "coffee.png"


MEDIA = ROOT.parent / "shared" / "media" / "photos"  # the leadership's licence-clean photos: read, never copied


def media(name: str) -> Path:
    """A photo of ../shared/media/photos/; the test is skipped on a machine without it."""
    path = MEDIA / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    return path


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
