"""Decoding a hand-made raw YOLO output: box conversion, threshold, class argmax, junk rows."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.detector.decode import check_layout, decode


def raw_output(
    anchors_per_slot: list[list[tuple[float, float, float, float, float, float, float]]],
) -> np.ndarray:
    """(slots, 7, anchors) from rows of (cx, cy, w, h, head, helmet, person)."""
    return np.stack([np.asarray(rows, np.float32).T for rows in anchors_per_slot])


RAW = raw_output(
    [
        [
            (50, 40, 20, 10, 0.9, 0.1, 0.0),  # head
            (10, 10, 4, 4, 0.1, 0.2, 0.05),  # below threshold
            (64, 64, 128, 128, 0.0, 0.3, 0.6),  # person (argmax over classes)
            (30, 30, 10, 10, 0.25, 0.0, 0.0),  # exactly at the threshold: dropped (strict >)
        ],
        [
            (5, 5, 2, 8, 0.0, 0.7, 0.0),  # helmet, second slot
            (90, 90, 0, 10, 0.8, 0.0, 0.0),  # no width: dropped
            (np.nan, 90, 10, 10, 0.8, 0.0, 0.0),  # not finite: dropped
            (1, 1, 1, 1, 0.0, 0.0, 0.0),
        ],
    ]
)


def test_decode_known_boxes():
    found = decode(RAW, confidence=0.25)
    np.testing.assert_array_equal(found.slot, [0, 0, 1])
    np.testing.assert_allclose(found.xyxy, [[40, 35, 60, 45], [0, 0, 128, 128], [4, 1, 6, 9]])
    np.testing.assert_allclose(found.score, [0.9, 0.6, 0.7])
    np.testing.assert_array_equal(found.class_id, [0, 2, 1])
    assert found.xyxy.dtype == np.float32 and found.class_id.dtype == np.int32


@pytest.mark.parametrize(
    ("confidence", "expected_scores"),
    [
        (0.0, [0.9, 0.2, 0.6, 0.25, 0.7]),  # every finite, non-empty box with any score above 0
        (0.5, [0.9, 0.6, 0.7]),
        (0.65, [0.9, 0.7]),
        (0.9, []),
        (1.0, []),
    ],
)
def test_threshold(confidence, expected_scores):
    found = decode(RAW, confidence)
    np.testing.assert_allclose(found.score, expected_scores)
    assert found.xyxy.shape == (len(expected_scores), 4)


def test_empty_output():
    found = decode(np.zeros((3, 7, 0), np.float32), 0.25)
    assert len(found) == 0 and found.xyxy.shape == (0, 4)


@pytest.mark.parametrize(
    ("shape", "ok"),
    [((1, 7, 3549), True), ((4, 7, 10), True), ((1, 84, 10), False), ((1, 300, 6), False), ((7, 10), False)],
)
def test_check_layout(shape, ok):
    if ok:
        check_layout(shape, 3)
    else:
        with pytest.raises(ValueError, match="not \\(batch, 4 \\+ 3 classes, anchors\\)"):
            check_layout(shape, 3)
