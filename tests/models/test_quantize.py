"""``sitewatch quantize``: an INT8 copy that keeps the model's names and size, and detects like it."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from sitewatch.cli import app
from sitewatch.detector import OnnxDetector

pytestmark = pytest.mark.train
onnx = pytest.importorskip("onnx", reason="needs the train extra (onnx)")

from sitewatch.models.quantize import calibration_photos, float_nodes, head_prefix, quantize_model  # noqa: E402

TINY = Path(__file__).resolve().parents[1] / "detector" / "data" / "tiny-yolo.onnx"


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "set" / "train" / "images"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(10):
        image = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
        cv2.circle(image, (100 + 10 * i, 120), 20, (0, 220, 255), -1)
        cv2.imwrite(str(folder / f"p{i}.jpg"), image)
    (tmp_path / "set" / "data.yaml").write_text(
        yaml.safe_dump({"path": ".", "train": "train/images", "names": ["head", "helmet", "person"]})
    )
    return folder


def test_the_detect_heads_box_decoding_stays_float():
    model = onnx.load(str(TINY))
    prefix = head_prefix(model)
    kept = float_nodes(model)
    assert prefix == "/model.23/"  # YOLO11's Detect head, in the tiny test model too
    assert kept and all(name.startswith(prefix) for name in kept)
    assert not any(n.op_type == "Conv" for n in model.graph.node if n.name in kept)


def test_quantized_model_keeps_names_and_size_and_detects_alike(tmp_path, photos):
    out = quantize_model(TINY, tmp_path / "tiny-int8.onnx", calibration_photos(photos, 8))
    graph = onnx.load(str(out))
    assert any(n.op_type == "QuantizeLinear" for n in graph.graph.node)
    assert "sitewatch_quantized" in {p.key for p in graph.metadata_props}

    float_model = OnnxDetector(TINY, tiles="off", threads=1)
    int8_model = OnnxDetector(out, tiles="off", threads=1)
    assert int8_model.class_names == float_model.class_names
    assert int8_model.input_size == float_model.input_size
    image = cv2.imread(str(sorted(photos.iterdir())[0]))
    blob = float_model.prepare([image]).blob
    expected, got = float_model.run(blob), int8_model.run(blob)
    assert got.shape == expected.shape
    # Boxes and scores of the same input: close, not equal (8-bit activations).
    assert np.corrcoef(expected.ravel(), got.ravel())[0, 1] > 0.98


def test_calibration_photos_are_a_seeded_sample(photos):
    first, again = calibration_photos(photos, 4), calibration_photos(photos, 4)
    assert first == again and len(set(first)) == 4
    with pytest.raises(ValueError, match="no photos"):
        calibration_photos(photos.parent, 4)


def test_quantize_command_writes_the_int8_model_beside_the_source(tmp_path, photos):
    model = Path(shutil.copy(TINY, tmp_path / "tiny.onnx"))
    data = photos.parents[1] / "data.yaml"
    result = CliRunner().invoke(app, ["quantize", "--data", str(data), "--model", str(model), "--photos", "8"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tiny-int8.onnx").is_file()
