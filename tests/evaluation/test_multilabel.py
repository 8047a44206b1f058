"""Multi-label scoring: every class above the threshold per anchor, through the detector's post-processing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sitewatch.evaluation.multilabel import MultiLabelDetector, one_anchor_per_class

REPO = Path(__file__).resolve().parents[2]
TINY_MODEL = REPO / "tests" / "detector" / "data" / "tiny-yolo.onnx"


def raw_output(boxes: list[list[float]], scores: list[list[float]]) -> np.ndarray:
    """(1, 4 + C, A) from per-anchor cx, cy, w, h and per-anchor class scores."""
    return np.concatenate([np.array(boxes, np.float32).T, np.array(scores, np.float32).T])[None]


def test_each_anchor_becomes_one_anchor_per_class():
    raw = raw_output([[10, 20, 4, 6], [50, 60, 8, 2]], [[0.6, 0.5, 0.0], [0.1, 0.9, 0.3]])
    wide = one_anchor_per_class(raw)
    assert wide.shape == (1, 7, 6)
    # anchor a of class k sits at k * 2 + a, with that class's score and no other
    np.testing.assert_array_equal(wide[0, :4], np.tile(raw[0, :4], 3))
    np.testing.assert_allclose(
        wide[0, 4:],
        [[0.6, 0.1, 0, 0, 0, 0], [0, 0, 0.5, 0.9, 0, 0], [0, 0, 0, 0, 0.0, 0.3]],
    )


def labelled(detections) -> list[tuple[str, float]]:
    return sorted((n, round(float(s), 2)) for n, s in zip(detections.names, detections.confidence))


@pytest.fixture
def detector():
    if not TINY_MODEL.is_file():
        pytest.skip(f"{TINY_MODEL} is missing")
    from sitewatch.detector import OnnxDetector

    return OnnxDetector(TINY_MODEL, confidence=0.25, iou=0.7, tiles="off")


def test_a_box_keeps_every_class_above_the_threshold(detector):
    # The tiny model's input is 128 px: a 128 x 128 frame maps 1:1, so raw boxes are frame boxes.
    image = np.full((128, 128, 3), 100, np.uint8)
    plan = detector.prepare([image]).plan
    raw = raw_output(
        [[40, 40, 20, 20], [100, 100, 10, 10]],
        [[0.6, 0.5, 0.1], [0.2, 0.9, 0.3]],  # anchor 0: head and helmet pass 0.25; anchor 1: helmet, person
    )
    single = detector.postprocess(raw, plan)[0]
    multi = detector.postprocess(one_anchor_per_class(raw), plan)[0]
    assert labelled(single) == [("head", 0.6), ("helmet", 0.9)]
    assert labelled(multi) == [
        ("head", 0.6),
        ("helmet", 0.5),
        ("helmet", 0.9),
        ("person", 0.3),
    ]
    helmet_on_head = multi[(multi.class_id == 1) & (multi.confidence < 0.6)]
    np.testing.assert_allclose(helmet_on_head.xyxy, [[30, 30, 50, 50]])


@pytest.mark.parametrize("size", [(96, 160), (200, 120)])
def test_multi_label_detector_runs_the_real_model(detector, size):
    image = np.random.default_rng(0).integers(0, 255, (*size, 3), dtype=np.uint8)
    found = MultiLabelDetector(detector).detect(image)
    assert found.class_names == detector.class_names
    assert (found.confidence > 0.25).all()
    assert (found.xyxy[:, 2] <= size[1]).all() and (found.xyxy[:, 3] <= size[0]).all()
