"""``sitewatch eval images``: JSON and table output on a tiny data set, one-line errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from sitewatch.cli import app

REPO = Path(__file__).resolve().parents[3]
# The detector's tests ship a randomly initialised yolo11-layout export: useless
# predictions, but the real ONNX Runtime path end to end.
TINY_MODEL = REPO / "tests" / "detector" / "data" / "tiny-yolo.onnx"
NAMES = ("head", "helmet", "person")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """Three 160x120 test images with a labelled head, helmet and person; one image has no label file."""
    rng = np.random.default_rng(0)
    images, labels = tmp_path / "test" / "images", tmp_path / "test" / "labels"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    for n, label in enumerate(["0 0.5 0.5 0.2 0.3\n1 0.2 0.2 0.1 0.1\n", "2 0.5 0.5 0.6 0.9\n", None]):
        cv2.imwrite(str(images / f"im{n}.jpg"), rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
        if label:
            (labels / f"im{n}.txt").write_text(label)
    (tmp_path / "data.yaml").write_text("path: .\ntest: test/images\nnames: [head, helmet, person]\n")
    return tmp_path


# Files that are no (readable) data.yaml, by name.
BAD_DATA_YAMLS = {
    "binary.yaml": b"\xff\xfe\x00names",
    "empty.yaml": b"",
    "listed.yaml": b"- test/images\n",
    "site.yaml": b"sites:\n  - id: north\n",
    "listfile.yaml": b"test: list.txt\nnames: [head]\n",
    "list.txt": b"\xff\xfeimages/im0.jpg\n",
}


def run(*args: str):
    return CliRunner().invoke(app, ["eval", "images", *map(str, args)])


needs_tiny_model = pytest.mark.skipif(not TINY_MODEL.is_file(), reason=f"{TINY_MODEL} is missing")


@needs_tiny_model
def test_json_output_is_one_object_with_every_class(dataset):
    result = run(dataset, "--split", "test", "--model", TINY_MODEL, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["model"] == "tiny-yolo.onnx" and report["engine"] == "onnxruntime f32"
    assert report["images"] == 3
    for key in ("map50", "map50_95", "precision", "recall"):
        assert list(report[key]) == [*NAMES, "all"]
        assert all(v is None or 0.0 <= v <= 1.0 for v in report[key].values())


@needs_tiny_model
def test_table_output_names_the_model_and_classes(dataset):
    result = run(dataset / "data.yaml", "--model", TINY_MODEL, "--input-size", "96", "--conf", "0.01")
    assert result.exit_code == 0, result.output
    for text in ("tiny-yolo.onnx", "mAP50", "head", "helmet", "person", "all"):
        assert text in result.stdout


@needs_tiny_model
def test_openvino_in_f32_reports_what_onnxruntime_reports(dataset):
    pytest.importorskip("openvino", reason="the 'openvino' extra is not installed")
    args = (dataset, "--split", "test", "--model", TINY_MODEL, "--json", "--conf", "0.001")
    by_ort, by_ov = run(*args), run(*args, "--backend", "openvino")
    assert by_ort.exit_code == by_ov.exit_code == 0, by_ov.output
    ort_report, ov_report = json.loads(by_ort.stdout), json.loads(by_ov.stdout)
    for key in ("map50", "map50_95", "precision", "recall"):
        for name in (*NAMES, "all"):
            assert ov_report[key][name] == pytest.approx(ort_report[key][name], abs=1e-3), (key, name)


@needs_tiny_model
def test_two_photos_at_once_give_the_metrics_of_one_at_a_time(dataset):
    # --threads 2 runs two photos at once (one stream per thread); --threads 1 one photo at a time.
    args = (dataset, "--split", "test", "--model", TINY_MODEL, "--json", "--conf", "0.001")
    one, two = run(*args, "--threads", "1"), run(*args, "--threads", "2")
    assert one.exit_code == two.exit_code == 0, two.output
    assert json.loads(two.stdout) == json.loads(one.stdout)


@pytest.mark.parametrize(
    ("target", "extra", "message"),
    [
        ("nowhere", [], "does not exist"),
        (".", ["--split", "train"], "has no 'train' split"),
        ("test/labels/im0.txt", [], "is not a data.yaml"),
        (".", ["--model", "missing.onnx"], "missing.onnx"),
        (".", ["--model", "data.yaml"], "data.yaml: not a usable ONNX model"),
        (".", ["--iou", "0"], "iou must lie in (0, 1]"),
        (".", ["--precision", "bf16"], "precision 'bf16' needs the openvino backend"),
        ("binary.yaml", [], "cannot read binary.yaml: not UTF-8 text"),
        ("empty.yaml", [], "empty.yaml is not a YOLO data.yaml"),
        ("listed.yaml", [], "listed.yaml is not a YOLO data.yaml"),
        ("site.yaml", [], "site.yaml: 'names' must list the class names"),
        ("listfile.yaml", [], "listfile.yaml: cannot read the 'test' image list"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(dataset, monkeypatch, target, extra, message):
    monkeypatch.chdir(dataset)
    for name, content in BAD_DATA_YAMLS.items():
        (dataset / name).write_bytes(content)
    result = run(target, *extra)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@needs_tiny_model
def test_far_field_scores_the_photos_shrunk_into_canvases(dataset):
    result = run(dataset, "--split", "test", "--model", TINY_MODEL, "--json", "--far-field", "2")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["far_field"] == 2 and report["images"] == 1, "three photos fit one 2x2 canvas"
    assert list(report["map50"]) == [*NAMES, "all"]


@needs_tiny_model
def test_far_field_table_says_how_the_photos_were_shrunk(dataset):
    result = run(dataset, "--split", "test", "--model", TINY_MODEL, "--far-field", "3")
    assert result.exit_code == 0, result.output
    assert "3x3" in result.stdout


def test_far_field_grid_below_two_is_refused(dataset):
    result = run(dataset, "--split", "test", "--far-field", "1")
    assert result.exit_code == 2 and "far-field" in result.output
