"""``sitewatch quantize``: argument mistakes get one line and exit 2 (no train extra needed)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sitewatch.cli import app

TINY = Path(__file__).resolve().parents[2] / "detector" / "data" / "tiny-yolo.onnx"


@pytest.fixture
def data(tmp_path):
    (tmp_path / "set" / "train" / "images").mkdir(parents=True)
    path = tmp_path / "set" / "data.yaml"
    path.write_text(yaml.safe_dump({"path": ".", "train": "train/images", "names": ["head", "helmet", "person"]}))
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "{missing}"], "no such data.yaml"),
        (["--data", "{data}", "--model", "{missing}"], "no such model"),
        (["--data", "{data}", "--model", "{model}", "--out", "{model}"], "would overwrite"),
    ],
)
def test_quantize_refuses_bad_arguments(tmp_path, data, args, message):
    model = Path(shutil.copy(TINY, tmp_path / "tiny.onnx"))
    values = {"missing": tmp_path / "absent", "data": data, "model": model}
    result = CliRunner().invoke(app, ["quantize", *[a.format(**values) for a in args]])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output




def test_quantize_without_the_train_extra_says_what_to_install(tmp_path, data, monkeypatch):
    # As on a machine without onnx (it comes with the train extra).
    monkeypatch.setitem(sys.modules, "onnx", None)
    monkeypatch.delitem(sys.modules, "sitewatch.models.quantize", raising=False)
    model = Path(shutil.copy(TINY, tmp_path / "tiny.onnx"))
    result = CliRunner().invoke(app, ["quantize", "--data", str(data), "--model", str(model)])
    assert result.exit_code == 2, result.output
    assert "train extra" in result.output and "Traceback" not in result.output
