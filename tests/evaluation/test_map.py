"""The COCO-style metric on hand-made cases whose AP is known, and YOLO labels -> pixel ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sitewatch.evaluation.coco import evaluate_detections
from sitewatch.evaluation.yolo_dataset import (
    DatasetError,
    GroundTruth,
    label_path_for,
    load_ground_truth,
    load_split,
    parse_yolo_labels,
    to_pixels,
)
from sitewatch.types import Detections

NAMES = ("head", "helmet", "person")
W, H = 200, 100


def gt(boxes: list[list[float]], classes: list[int]) -> GroundTruth:
    return GroundTruth(np.array(boxes, np.float32).reshape(-1, 4), np.array(classes, np.int32), W, H)


def preds(boxes: list[list[float]], scores: list[float], classes: list[int]) -> Detections:
    return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.array(scores), np.array(classes), NAMES)


A = [10, 10, 30, 30]
B = [100, 40, 130, 80]
C = [150, 10, 190, 50]
FAR = [60, 60, 70, 70]  # overlaps none of A, B, C
# Two heads (A, B) and a helmet (C) in one image.
TWO_HEADS_ONE_HELMET = gt([A, B, C], [0, 0, 1])
PERFECT = preds([A, B, C], [0.9, 0.8, 0.7], [0, 0, 1])

# 101-point interpolated AP, by hand. Recall thresholds r = 0, 0.01, ..., 1; the
# precision at r is the best precision reached at any recall >= r (0 beyond).
#   TP, FP, TP over 2 GT: (P, R) = (1, .5), (.5, .5), (2/3, 1)
#     -> r in 0..0.50 (51 points) P = 1; r in 0.51..1 (50 points) P = 2/3
AP_TP_FP_TP = (51 * 1 + 50 * 2 / 3) / 101
#   FP, TP, TP over 2 GT: (0, 0), (.5, .5), (2/3, 1) -> every r has P = 2/3
AP_FP_TP_TP = 2 / 3
#   TP, FP over 2 GT: (1, .5), (.5, .5) -> r 0..0.50 P = 1, above 0.5 nothing: 0
AP_TP_FP_HALF = 51 / 101


@pytest.mark.parametrize(
    ("case", "boxes", "scores", "classes", "head_ap50"),
    [
        ("perfect", [A, B, C], [0.9, 0.8, 0.7], [0, 0, 1], 1.0),
        ("TP, FP, TP", [A, FAR, B, C], [0.9, 0.8, 0.7, 0.9], [0, 0, 0, 1], AP_TP_FP_TP),
        ("FP ranked first", [FAR, A, B, C], [0.9, 0.8, 0.7, 0.9], [0, 0, 0, 1], AP_FP_TP_TP),
        ("one head missed", [A, FAR, C], [0.9, 0.8, 0.9], [0, 0, 1], AP_TP_FP_HALF),
        ("duplicate is a FP", [A, A, B, C], [0.9, 0.8, 0.7, 0.9], [0, 0, 0, 1], AP_TP_FP_TP),
        ("wrong class is a FP", [A, B, B, C], [0.9, 0.8, 0.95, 0.9], [0, 0, 1, 1], 1.0),
        ("no head predicted", [C], [0.9], [1], 0.0),
    ],
)
def test_map50_matches_hand_computed_ap(case, boxes, scores, classes, head_ap50):
    metrics = evaluate_detections([TWO_HEADS_ONE_HELMET], [preds(boxes, scores, classes)], NAMES)
    assert metrics.map50["head"] == pytest.approx(head_ap50, abs=1e-9), case


def test_perfect_predictions_score_one_everywhere():
    metrics = evaluate_detections([TWO_HEADS_ONE_HELMET], [PERFECT], NAMES)
    for figures in (metrics.map50, metrics.map50_95, metrics.precision, metrics.recall):
        assert figures["head"] == figures["helmet"] == figures["all"] == 1.0


def test_class_without_ground_truth_has_no_figures_and_is_left_out_of_all():
    # "person" has no GT box; a stray person prediction must not drag "all" down.
    metrics = evaluate_detections(
        [TWO_HEADS_ONE_HELMET], [preds([A, B, C, FAR], [0.9, 0.8, 0.7, 0.6], [0, 0, 1, 2])], NAMES
    )
    assert metrics.map50["person"] is None
    assert metrics.map50_95["person"] is None
    assert metrics.precision["person"] is None and metrics.recall["person"] is None
    assert metrics.map50["all"] == 1.0
    assert metrics.instances == {"head": 2, "helmet": 1, "person": 0}


def test_empty_predictions_score_zero():
    metrics = evaluate_detections([TWO_HEADS_ONE_HELMET], [Detections.empty(NAMES)], NAMES)
    assert metrics.map50 == {"head": 0.0, "helmet": 0.0, "person": None, "all": 0.0}
    assert metrics.map50_95["all"] == 0.0
    assert metrics.precision["all"] == 0.0 and metrics.recall["all"] == 0.0
    assert metrics.confidence is None


def test_map50_95_averages_ten_iou_thresholds():
    # The predicted box is the GT box [0, 0, 100, 20] widened by 30 %:
    # IoU = 100 / 130 = 0.77, a TP at thresholds 0.50..0.75 (6 of 10).
    truth = GroundTruth(np.array([[0, 0, 100, 20]], np.float32), np.array([0]), W, H)
    metrics = evaluate_detections([truth], [preds([[0, 0, 130, 20]], [0.9], [0])], NAMES)
    assert metrics.map50["head"] == 1.0
    assert metrics.map50_95["head"] == pytest.approx(0.6)


def test_precision_recall_at_the_best_f1_threshold():
    # Heads: TP 0.9, FP 0.8, TP 0.3. At threshold 0.9: P=1, R=.5, F1=.667;
    # 0.8: P=.5, R=.5, F1=.5; 0.3: P=2/3, R=1, F1=.8 -> best (helmet is perfect throughout).
    metrics = evaluate_detections(
        [TWO_HEADS_ONE_HELMET], [preds([A, FAR, B, C], [0.9, 0.8, 0.3, 0.95], [0, 0, 0, 1])], NAMES
    )
    assert metrics.confidence == pytest.approx(0.3)
    assert metrics.precision["head"] == pytest.approx(2 / 3)
    assert metrics.recall["head"] == 1.0
    assert metrics.precision["all"] == pytest.approx((2 / 3 + 1) / 2)


def test_predictions_across_images_are_ranked_together():
    # Image 1: a TP at 0.6; image 2: a FP at 0.9 and a TP at 0.5. Ranked: FP, TP, TP -> AP 2/3.
    images = [gt([A], [0]), gt([B], [0])]
    predictions = [preds([A], [0.6], [0]), preds([FAR, B], [0.9, 0.5], [0, 0])]
    metrics = evaluate_detections(images, predictions, NAMES)
    assert metrics.map50["head"] == pytest.approx(AP_FP_TP_TP)
    assert metrics.images == 2


def test_max_det_keeps_the_best_scoring_predictions_per_image():
    # With max_det=1 only the 0.9 FP survives: the head GT is never matched.
    metrics = evaluate_detections(
        [gt([A], [0])], [preds([FAR, A], [0.9, 0.8], [0, 0])], NAMES, max_det=1
    )
    assert metrics.map50["head"] == 0.0


def test_no_ground_truth_at_all_gives_no_figures():
    metrics = evaluate_detections([gt([], [])], [preds([A], [0.9], [0])], NAMES)
    assert metrics.map50 == {"head": None, "helmet": None, "person": None, "all": None}


def test_as_dict_has_the_cli_json_shape():
    metrics = evaluate_detections([TWO_HEADS_ONE_HELMET], [PERFECT], NAMES)
    data = metrics.as_dict()
    assert list(data) == ["images", "map50", "map50_95", "precision", "recall"]
    assert list(data["map50"]) == ["head", "helmet", "person", "all"]


def test_mismatched_inputs_are_rejected():
    with pytest.raises(ValueError, match="prediction sets"):
        evaluate_detections([TWO_HEADS_ONE_HELMET], [], NAMES)
    with pytest.raises(ValueError, match="name classes"):
        other = Detections.empty(("a", "b"))
        evaluate_detections([TWO_HEADS_ONE_HELMET], [other], NAMES)


# -- YOLO labels -> pixel ground truth ----------------------------------------


@pytest.mark.parametrize(
    ("line", "expected_class", "expected_xyxy"),
    [
        # cx, cy, w, h normalised; image 200 x 100 px
        ("0 0.5 0.5 0.2 0.4", 0, [80, 30, 120, 70]),
        ("1 0.1 0.2 0.2 0.4", 1, [0, 0, 40, 40]),
        ("2 0.975 0.9 0.05 0.2", 2, [190, 80, 200, 100]),
        # a box poking out of the picture by rounding is clipped to it
        ("0 0.99 0.5 0.04 0.2", 0, [194, 40, 200, 60]),
        # a polygon's ground truth is its bounding box
        ("1 0.1 0.1 0.3 0.2 0.2 0.5", 1, [20, 10, 60, 50]),
    ],
)
def test_yolo_label_line_to_pixels(line, expected_class, expected_xyxy):
    class_id, normalised = parse_yolo_labels(line, num_classes=3)
    assert class_id.tolist() == [expected_class]
    np.testing.assert_allclose(to_pixels(normalised, W, H), [expected_xyxy], atol=1e-4)


def test_duplicate_and_blank_lines_are_dropped():
    class_id, normalised = parse_yolo_labels("0 0.5 0.5 0.2 0.2\n\n0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.1 0.1\n", 3)
    assert class_id.tolist() == [0, 1]
    assert normalised.shape == (2, 4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3 0.5 0.5 0.1 0.1", "class 3 is not one of 0..2"),
        ("0.5 0.5 0.5 0.1 0.1", "class 0.5"),
        ("0 0.5 0.5 0.1", "got 4 values"),
        ("0 a b c d", "not numbers"),
    ],
)
def test_bad_label_lines_fail_with_file_and_line(text, message):
    with pytest.raises(DatasetError, match=message) as info:
        parse_yolo_labels("0 0.5 0.5 0.1 0.1\n" + text, num_classes=3, source="x.txt")
    assert "x.txt:2" in str(info.value)


def test_label_path_swaps_the_last_images_folder():
    assert label_path_for(Path("/d/images/test/images/a.b.jpg")) == Path("/d/images/test/labels/a.b.txt")
    assert label_path_for(Path("/d/flat/a.png")) == Path("/d/flat/a.txt")


def write_dataset(root: Path) -> None:
    splits = {"train": {"t1": "0 0.5 0.5 0.5 0.5"}, "valid": {"v1": "1 0.25 0.5 0.5 1", "v2": None}}
    for split, files in splits.items():
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        for stem, label in files.items():
            (root / split / "images" / f"{stem}.jpg").write_bytes(b"")
            if label is not None:
                (root / split / "labels" / f"{stem}.txt").write_text(label + "\n")
    (root / "data.yaml").write_text(
        "path: .\ntrain: train/images\nval: valid/images\nnames:\n  0: head\n  1: helmet\n  2: person\n"
    )


def test_load_split_and_ground_truth(tmp_path):
    write_dataset(tmp_path)
    split = load_split(tmp_path, "valid")  # the folder works as well as the yaml; "valid" means "val"
    assert split.class_names == NAMES
    assert [p.name for p in split.images] == ["v1.jpg", "v2.jpg"]
    truth = load_ground_truth(split.images[0], 400, 300, len(NAMES))
    assert truth.class_id.tolist() == [1]
    np.testing.assert_allclose(truth.xyxy, [[0, 0, 200, 300]])
    assert len(load_ground_truth(split.images[1], 400, 300, len(NAMES))) == 0  # no label file: background


def test_image_list_file_split(tmp_path):
    write_dataset(tmp_path)
    (tmp_path / "subset.txt").write_text("./valid/images/v2.jpg\n")
    (tmp_path / "subset.yaml").write_text("path: .\nval: subset.txt\nnames: [head, helmet, person]\n")
    split = load_split(tmp_path / "subset.yaml", "val")
    assert [p.name for p in split.images] == ["v2.jpg"]


@pytest.mark.parametrize(
    ("target", "split", "message"),
    [
        ("missing", "test", "does not exist"),
        ("", "test", "no 'test' split"),
        ("train/labels/t1.txt", "test", "not a data.yaml"),
        ("train", "test", "no data.yaml"),
    ],
)
def test_bad_data_argument_is_a_clear_error(tmp_path, target, split, message):
    write_dataset(tmp_path)
    with pytest.raises(DatasetError, match=message):
        load_split(tmp_path / target, split)
