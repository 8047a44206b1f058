"""Our evaluator against Ultralytics: its metric functions, and ``val`` end to end.

``test_metric_agrees_with_ultralytics_ap_per_class`` (fast, no data needed)
gives both the very same predictions: Ultralytics' own matching
(``DetectionValidator.match_predictions``) and ``ap_per_class`` against ours.

``test_map50_agrees_with_ultralytics_val`` (slow) runs the whole thing: both
run the same ONNX file over the same images of the Hard Hat Workers test
split, with conf 0.001, NMS IoU 0.7, multi-label scoring and the model's own
input size, and must agree on mAP50 per class within 0.02. The two differ in
small, known ways (Ultralytics letterboxes each image to a stride-multiple
rectangle instead of a square and resizes with INTER_AREA, and integrates AP
with a trapezoid over 101 points); 0.02 leaves room for those and no more.

Images: a fixed, deterministic subset, the first 150 test images in file-name
order (both tools on all 706 take several minutes on a 2-core machine),
leaving out images whose label file mixes box and polygon lines (Ultralytics
drops such an image whole; we read each line on its own, so the two would not
score the same images). They are linked into a temporary data set so that
Ultralytics writes its label cache and run folder there, never into ../shared
or runs/.

The model is ``$SITEWATCH_CROSSCHECK_MODEL`` if set, else the shipped default
model; the test skips when neither exists, when ../shared/datasets is absent,
or when the train extra (torch, ultralytics) is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from sitewatch.evaluation.coco import evaluate_detections
from sitewatch.evaluation.images import evaluate_images
from sitewatch.evaluation.multilabel import MultiLabelDetector
from sitewatch.evaluation.yolo_dataset import GroundTruth, label_path_for, load_split
from sitewatch.types import Detections

pytestmark = pytest.mark.train

REPO = Path(__file__).resolve().parents[2]
DATASET = REPO.parent / "shared" / "datasets" / "hardhat-workers"
SUBSET_SIZE = 150
TOLERANCE = 0.02


NAMES = ("head", "helmet", "person")


def _import_ultralytics(workdir: Path):
    for module in ("torch", "ultralytics"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (it comes with the 'train' extra)")
    # Ultralytics reads its settings directory and offline flag at import time.
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ.setdefault("YOLO_CONFIG_DIR", str(workdir / "ultralytics-settings"))
    import ultralytics

    return ultralytics


def _synthetic_images(seed: int, count: int) -> tuple[list[GroundTruth], list[Detections]]:
    """Jittered copies of ground-truth boxes (some with the wrong class) plus random extras."""
    rng = np.random.default_rng(seed)
    ground_truth, predictions = [], []
    for _ in range(count):
        n = int(rng.integers(0, 8))
        corner = rng.uniform(0, 400, (n, 2))
        boxes = np.hstack([corner, corner + rng.uniform(10, 60, (n, 2))])
        classes = rng.integers(0, 3, n)
        ground_truth.append(GroundTruth(boxes, classes, 500, 333))
        m = int(rng.integers(0, 40))
        source = rng.integers(0, max(n, 1), m)
        guess = (boxes[source] if n else rng.uniform(0, 400, (m, 4))) + rng.normal(0, 6, (m, 4))
        guess[:, 2:] = np.maximum(guess[:, 2:], guess[:, :2] + 1)
        right_class = classes[source] if n else np.zeros(m, np.int64)
        guess_class = np.where(rng.uniform(size=m) < 0.8, right_class, rng.integers(0, 3, m))
        predictions.append(Detections(guess, rng.uniform(0, 1, m), guess_class, NAMES))
    return ground_truth, predictions


def test_metric_agrees_with_ultralytics_ap_per_class(tmp_path):
    _import_ultralytics(tmp_path)
    import torch
    from ultralytics.models.yolo.detect import DetectionValidator
    from ultralytics.utils.metrics import ap_per_class, box_iou

    ground_truth, predictions = _synthetic_images(seed=1, count=200)
    validator = DetectionValidator()  # only its matching and IoU thresholds are used
    tp, conf, pred_cls, target_cls = [], [], [], []
    for truth, pred in zip(ground_truth, predictions):
        order = np.argsort(-pred.confidence, kind="stable")  # match_predictions wants descending confidence
        correct = np.zeros((len(pred), 10), bool)
        if len(truth) and len(pred):
            iou = box_iou(torch.tensor(truth.xyxy), torch.tensor(pred.xyxy[order]))
            correct = validator.match_predictions(
                torch.tensor(pred.class_id[order]), torch.tensor(truth.class_id), iou
            ).numpy()
        tp.append(correct)
        conf.append(pred.confidence[order])
        pred_cls.append(pred.class_id[order])
        target_cls.append(truth.class_id)
    _, _, p, r, _, ap, classes = ap_per_class(
        np.concatenate(tp), np.concatenate(conf), np.concatenate(pred_cls), np.concatenate(target_cls)
    )[:7]
    ours = evaluate_detections(ground_truth, predictions, NAMES)

    assert classes.tolist() == [0, 1, 2]
    for k, name in enumerate(NAMES):
        # Only the AP integration differs (101-point sum vs trapezoid over 101 points).
        assert ours.map50[name] == pytest.approx(ap[k, 0], abs=0.01), name
        assert ours.map50_95[name] == pytest.approx(ap[k].mean(), abs=0.01), name
        # Ultralytics smooths its F1 curve and samples it on a grid; ours is exact.
        assert ours.precision[name] == pytest.approx(p[k], abs=0.03), name
        assert ours.recall[name] == pytest.approx(r[k], abs=0.03), name


def _model_path() -> Path:
    override = os.environ.get("SITEWATCH_CROSSCHECK_MODEL")
    if override:
        return Path(override)
    from sitewatch.models import default_model_path

    return default_model_path()


def _mixes_boxes_and_polygons(label: Path) -> bool:
    lengths = {len(line.split()) == 5 for line in label.read_text().splitlines() if line.strip()}
    return len(lengths) > 1


def _subset_dataset(tmp_path: Path) -> Path:
    """A data set of the first SUBSET_SIZE usable test images: images linked, labels copied."""
    (tmp_path / "test" / "images").mkdir(parents=True)
    (tmp_path / "test" / "labels").mkdir(parents=True)
    taken = 0
    for image in load_split(DATASET, "test").images:
        label = label_path_for(image)
        if label.exists():
            if _mixes_boxes_and_polygons(label):
                continue
            shutil.copyfile(label, tmp_path / "test" / "labels" / label.name)
        (tmp_path / "test" / "images" / image.name).symlink_to(image.resolve())
        taken += 1
        if taken == SUBSET_SIZE:
            break
    data_yaml = tmp_path / "data.yaml"
    # Ultralytics insists on train and val keys even to evaluate the test split.
    data_yaml.write_text(
        f"path: {tmp_path}\ntrain: test/images\nval: test/images\ntest: test/images\n"
        "names:\n  0: head\n  1: helmet\n  2: person\n"
    )
    return data_yaml


def _ultralytics_map50(model: Path, data_yaml: Path, imgsz: int, workdir: Path) -> dict[str, float]:
    metrics = _import_ultralytics(workdir).YOLO(str(model), task="detect").val(
        data=str(data_yaml),
        split="test",
        imgsz=imgsz,
        batch=1,
        conf=0.001,
        iou=0.7,
        plots=False,
        device="cpu",
        workers=0,
        verbose=False,
        project=str(workdir / "ultralytics-runs"),
        name="val",
    )
    return {metrics.names[int(c)]: float(ap) for c, ap in zip(metrics.box.ap_class_index, metrics.box.ap50)}


@pytest.mark.slow
@pytest.mark.data
def test_map50_agrees_with_ultralytics_val(tmp_path):
    _import_ultralytics(tmp_path)
    if not (DATASET / "data.yaml").is_file():
        pytest.skip(f"the Hard Hat Workers data set is not at {DATASET}")
    model = _model_path()
    if not model.is_file():
        pytest.skip(f"no trained model at {model} yet (set SITEWATCH_CROSSCHECK_MODEL to test another)")

    from sitewatch.detector import OnnxDetector

    data_yaml = _subset_dataset(tmp_path / "data")
    detector = OnnxDetector(model, confidence=0.001, iou=0.7, threads=2, tiles="off")
    ours = evaluate_images(MultiLabelDetector(detector), load_split(data_yaml, "test")).map50
    theirs = _ultralytics_map50(model, data_yaml, detector.input_size, tmp_path)

    assert set(theirs) <= {"head", "helmet", "person"}
    differences = {name: round(ours[name] - ap, 4) for name, ap in theirs.items()}
    print(f"mAP50 ours {ours}, Ultralytics {theirs}, differences {differences}")
    assert {"head", "helmet"} <= set(theirs), f"Ultralytics reported only {sorted(theirs)}"
    for name, difference in differences.items():
        assert abs(difference) <= TOLERANCE, f"{name}: ours {ours[name]:.4f}, Ultralytics {theirs[name]:.4f}"
