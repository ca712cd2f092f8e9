"""Find the model files that ship with privacyscreen and check them against the manifest."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from .messages import UserError

_PACKAGED = Path(__file__).resolve().parent / "_models"  # inside an installed wheel
_SOURCE = Path(__file__).resolve().parent.parent / "models"  # in a source checkout


class ModelError(UserError):
    """A model file that cannot be trusted: privacyscreen runs no model it cannot verify."""


def models_dir() -> Path:
    for folder in (_PACKAGED, _SOURCE):
        if (folder / "manifest.json").is_file():
            return folder
    raise ModelError("model-folder-missing")


def manifest() -> dict[str, dict]:
    entries = json.loads((models_dir() / "manifest.json").read_text())["models"]
    return {e["file"]: e for e in entries}


def problem(name: str) -> ModelError | None:
    """Why the installed model file `name` cannot be trusted, or None when it matches the manifest."""
    entry = manifest().get(name)
    if entry is None:
        return ModelError("model-unlisted", model=name)
    path = models_dir() / name
    if not path.is_file():
        return ModelError("model-missing", model=name)
    data = path.read_bytes()
    if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return ModelError("model-changed", model=name)
    return None


@cache
def path(name: str) -> Path:
    """Path of a verified model file; raises ModelError rather than run an unknown model."""
    why = problem(name)
    if why:
        raise why
    return models_dir() / name


def check() -> None:
    """Raise ModelError for the first bundled model file that cannot be trusted, before any loads."""
    for name in manifest():
        path(name)


def verify() -> dict[str, ModelError | None]:
    """Every manifest entry mapped to its problem (None when fine)."""
    return {name: problem(name) for name in manifest()}
