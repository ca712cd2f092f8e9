"""Models ship with the package and are checked against the manifest before they run."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from privacyscreen import models
from privacyscreen.cli import main


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
        assert models.problem("centerface.onnx") == "checksum does not match manifest.json"
        with pytest.raises(models.ModelError):
            models.path("centerface.onnx")
        result = CliRunner().invoke(main, ["models", "verify"])
        assert result.exit_code == 1
        assert "centerface.onnx: checksum does not match" in result.output
    finally:
        models.path.cache_clear()
