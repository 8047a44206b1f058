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
# Files given as --data that are no data.yaml, by the name the test gives them.
BAD_DATA_YAMLS = {
    "empty": b"",
    "listed": b"- train/images\n",
    "site": b"sites:\n  - id: north\n",
    "binary": b"\xff\xfe\x00train",
}


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
        (["--data", "{empty}", "--model", "{model}"], "empty.yaml: not a YOLO data.yaml (expected a mapping"),
        (["--data", "{listed}", "--model", "{model}"], "listed.yaml: not a YOLO data.yaml (expected a mapping"),
        (["--data", "{site}", "--model", "{model}"], "site.yaml: not a YOLO data.yaml (no 'names'"),
        (["--data", "{binary}", "--model", "{model}"], "binary.yaml: not a YOLO data.yaml (not UTF-8 text)"),
    ],
)
def test_quantize_refuses_bad_arguments(tmp_path, data, args, message):
    model = Path(shutil.copy(TINY, tmp_path / "tiny.onnx"))
    values = {"missing": tmp_path / "absent", "data": data, "model": model}
    for name, content in BAD_DATA_YAMLS.items():
        values[name] = tmp_path / f"{name}.yaml"
        values[name].write_bytes(content)
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
