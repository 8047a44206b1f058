"""Class-aware NMS on hand-made boxes, and against a plain greedy reference on random ones."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.detector.nms import nms, top_k
from sitewatch.types import box_iou

A = [0, 0, 10, 10]


@pytest.mark.parametrize(
    ("boxes", "scores", "classes", "iou", "kept"),
    [
        pytest.param([A, [1, 1, 11, 11]], [0.9, 0.8], [0, 0], 0.5, [0], id="same class suppressed"),
        pytest.param([A, [1, 1, 11, 11]], [0.8, 0.9], [0, 0], 0.5, [1], id="the better score survives"),
        pytest.param([A, [1, 1, 11, 11]], [0.9, 0.8], [0, 1], 0.5, [0, 1], id="different classes kept"),
        pytest.param([A, [20, 20, 30, 30]], [0.9, 0.8], [0, 0], 0.5, [0, 1], id="disjoint kept"),
        pytest.param([A, [0, 0, 10, 5]], [0.9, 0.8], [0, 0], 0.5, [0, 1], id="IoU equal to threshold kept"),
        pytest.param(
            [A, [0, 0, 10, 5.1]], [0.9, 0.8], [0, 0], 0.5, [0], id="IoU just above threshold suppressed"
        ),
        pytest.param([A, A], [0.9, 0.8], [0, 0], 1.0, [0, 1], id="iou 1 keeps identical boxes"),
        # Sub-pixel boxes: IoU 1/3 as floats, 1.0 if truncated to integers.
        pytest.param(
            [[0, 0, 1.9, 1.9], [0.95, 0, 2.85, 1.9]], [0.9, 0.8], [0, 0], 0.5, [0, 1], id="sub-pixel"
        ),
        pytest.param(
            [A, [1, 1, 11, 11], [2, 2, 12, 12]],
            [0.7, 0.9, 0.8],
            [0, 0, 0],
            0.5,
            [1],
            id="chain collapses to best",
        ),
        pytest.param(
            [A, [4, 0, 14, 10], [8, 0, 18, 10]],
            [0.9, 0.8, 0.7],
            [0, 0, 0],
            0.3,
            [0, 2],
            id="greedy, not transitive",
        ),
        pytest.param(np.zeros((0, 4)), [], [], 0.5, [], id="empty"),
    ],
)
def test_nms_cases(boxes, scores, classes, iou, kept):
    np.testing.assert_array_equal(nms(np.array(boxes, np.float32), scores, classes, iou), kept)


def test_result_is_best_first_and_capped():
    boxes = np.array([[i * 20, 0, i * 20 + 10, 10] for i in range(6)], np.float32)
    scores = np.array([0.3, 0.9, 0.5, 0.7, 0.1, 0.8], np.float32)
    np.testing.assert_array_equal(nms(boxes, scores, np.zeros(6), 0.5), [1, 5, 3, 2, 0, 4])
    np.testing.assert_array_equal(nms(boxes, scores, np.zeros(6), 0.5, max_detections=2), [1, 5])


def greedy_reference(boxes, scores, classes, iou):
    order = np.argsort(-scores, kind="stable")
    kept: list[int] = []
    for i in order:
        same = [k for k in kept if classes[k] == classes[i]]
        if not same or box_iou(boxes[i : i + 1], boxes[same]).max() <= iou:
            kept.append(int(i))
    return kept


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("iou", [0.3, 0.5, 0.7])
def test_matches_greedy_reference(seed, iou):
    rng = np.random.default_rng(seed)
    n = 80
    xy = rng.uniform(0, 100, (n, 2))
    wh = rng.uniform(5, 40, (n, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    scores = rng.permutation(n).astype(np.float32) / n + 0.01  # distinct: no tie-order question
    classes = rng.integers(0, 3, n)
    assert list(nms(boxes, scores, classes, iou, max_detections=None)) == greedy_reference(
        boxes, scores, classes, iou
    )


@pytest.mark.parametrize(("n", "k"), [(0, 5), (3, 5), (10, 3), (10, 10)])
def test_top_k(n, k):
    scores = np.random.default_rng(n).random(n)
    picked = top_k(scores, k)
    assert len(picked) == min(n, k)
    assert sorted(scores[picked]) == sorted(np.sort(scores)[::-1][: min(n, k)])
