"""Models ship with the package and are checked against the manifest before they run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from privacyscreen import models
from privacyscreen.cli import main

from .conftest import ROOT, SAMPLES


def test_every_model_in_the_manifest_matches_its_checksum():
    assert models.verify() == {name: None for name in models.manifest()}
    result = CliRunner().invoke(main, ["models", "verify"])
    assert result.exit_code == 0, result.output
    assert "centerface.onnx: ok" in result.output


def test_manifest_records_where_each_model_came_from():
    for entry in json.loads((models.models_dir() / "manifest.json").read_text())["models"]:
        assert "==" in entry["package"] and entry["path"] and entry["licence"]
        assert len(entry["sha256"]) == 64 and entry["size"] > 0


def test_a_tampered_model_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "models"
    shutil.copytree(models.models_dir(), copy)
    data = bytearray((copy / "centerface.onnx").read_bytes())
    data[1000] ^= 0xFF
    (copy / "centerface.onnx").write_bytes(bytes(data))
    monkeypatch.setattr(models, "models_dir", lambda: copy)
    models.path.cache_clear()
    try:
        assert models.problem("centerface.onnx").code == "model-changed"
        with pytest.raises(models.ModelError):
            models.path("centerface.onnx")
        result = CliRunner().invoke(main, ["models", "verify"])
        assert result.exit_code == 1
        assert "model file centerface.onnx does not match its checksum" in result.output
        assert "blazeface_full_range.tflite: ok" in result.output
    finally:
        models.path.cache_clear()


def broken_install(tmp_path: Path, model: str) -> Path:
    """A copy of privacyscreen in which `model` is missing or, when it ends in .onnx, one byte changed."""
    copy = tmp_path / "install"
    shutil.copytree(ROOT / "privacyscreen", copy / "privacyscreen", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "models").mkdir()
    for source in models.models_dir().iterdir():
        if source.name != model:
            (copy / "models" / source.name).symlink_to(source)
    if model.endswith(".onnx"):
        data = bytearray((models.models_dir() / model).read_bytes())
        data[1000] ^= 0xFF
        (copy / "models" / model).write_bytes(bytes(data))
    return copy


@pytest.mark.parametrize(
    "model, english, dutch",
    [
        ("centerface.onnx", "centerface.onnx does not match its checksum", "centerface.onnx klopt niet met"),
        ("hand_landmarker.task", "hand_landmarker.task is missing", "hand_landmarker.task ontbreekt"),
    ],
)
@pytest.mark.parametrize("command", ["run --jobs 1", "run --jobs 2", "check"])
def test_a_changed_or_missing_model_stops_every_command_with_a_clear_message(tmp_path, model, english, dutch, command):
    install = broken_install(tmp_path, model)
    env = os.environ | {"PYTHONPATH": str(install)}
    for lang, words in (("en", english), ("nl", dutch)):
        args = [*command.split(), str(SAMPLES / "coffee.png"), "--lang", lang]
        args += ["--out", str(tmp_path / lang)] if command.startswith("run") else []
        done = subprocess.run([sys.executable, "-m", "privacyscreen", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and "BrokenProcessPool" not in done.stderr, done.stderr
        assert words in done.stderr and ("reinstall" if lang == "en" else "opnieuw") in done.stderr, done.stderr
        assert not (tmp_path / lang / "coffee.png").exists()
