"""Frame and Detections: validation, immutability and the derived helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from sitewatch.types import Detections, Frame, box_iou

NAMES = ("head", "helmet", "person")


def make(n=3, tracked=False) -> Detections:
    xyxy = np.array([[0, 0, 10, 10], [5, 5, 15, 15], [20, 20, 30, 40]], np.float32)[:n]
    return Detections(xyxy, [0.9, 0.5, 0.3][:n], [0, 1, 2][:n], NAMES, [1, 2, 3][:n] if tracked else None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"xyxy": [[0, 0, 1, 1]], "confidence": [0.5, 0.5], "class_id": [0]}, "differ in length"),
        ({"xyxy": [[0, 0, 1, 1]], "confidence": [1.5], "class_id": [0]}, r"\[0, 1\]"),
        ({"xyxy": [[0, 0, 1, 1]], "confidence": [-0.1], "class_id": [0]}, r"\[0, 1\]"),
        ({"xyxy": [[5, 0, 1, 1]], "confidence": [0.5], "class_id": [0]}, "x2 >= x1"),
        ({"xyxy": [[0, 0, 1, np.nan]], "confidence": [0.5], "class_id": [0]}, "finite"),
        ({"xyxy": [[0, 0, 1, 1]], "confidence": [0.5], "class_id": [3]}, "index class_names"),
        ({"xyxy": [[0, 0, 1, 1]], "confidence": [0.5], "class_id": [-1]}, "index class_names"),
        ({"xyxy": [[0, 0, 1, 1]], "confidence": [0.5], "class_id": [0], "tracker_id": [1, 2]}, "tracker_id"),
    ],
)
def test_invalid_detections_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Detections(class_names=NAMES, **kwargs)


def test_columns_are_coerced_and_read_only():
    d = Detections([[0, 0, 1, 1]], [0.5], [1], list(NAMES))
    assert d.xyxy.dtype == np.float32 and d.confidence.dtype == np.float32 and d.class_id.dtype == np.int32
    assert d.class_names == NAMES
    with pytest.raises(ValueError):
        d.xyxy[0, 0] = 3
    with pytest.raises(AttributeError):
        d.confidence = np.zeros(1)  # frozen


def test_indexing_and_filters_return_new_values():
    d = make(tracked=True)
    assert len(d[d.confidence > 0.4]) == 2
    assert d[1].names == ["helmet"] and d[1].tracker_id.tolist() == [2]
    assert d.of_class("head", "person").class_id.tolist() == [0, 2]
    assert d.of_class("unknown").xyxy.shape == (0, 4)
    assert d.area.tolist() == [100, 100, 200]
    assert d.centers.tolist()[2] == [25, 30]


def test_with_tracker_id_leaves_the_original_alone():
    d = make()
    tracked = d.with_tracker_id([7, 8, 9])
    assert d.tracker_id is None and tracked.tracker_id.tolist() == [7, 8, 9]
    assert tracked.xyxy is d.xyxy or np.array_equal(tracked.xyxy, d.xyxy)


def test_merge_and_empty():
    d = make()
    merged = Detections.merge([d[:1], Detections.empty(NAMES), d[1:]])
    assert merged == d
    with pytest.raises(ValueError, match="tracked and untracked"):
        Detections.merge([make(tracked=True), make()])
    with pytest.raises(ValueError, match="different class names"):
        Detections.merge([d, Detections.empty(("a",))])
    assert len(Detections.empty(NAMES)) == 0


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),
        ([0, 0, 10, 10], [5, 0, 15, 10], 50 / 150),
        ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),
        ([0, 0, 0, 0], [0, 0, 0, 0], 0.0),  # degenerate boxes: no division by zero
    ],
)
def test_box_iou(a, b, expected):
    assert box_iou(np.array([a]), np.array([b]))[0, 0] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timestamp": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"image": np.zeros((4, 4), np.uint8)}, r"\(H, W, 3\)"),
        ({"image": np.zeros((4, 4, 3), np.float32)}, "uint8"),
        ({"index": -1}, ">= 0"),
        ({"source_id": ""}, "empty"),
    ],
)
def test_invalid_frames_are_rejected(kwargs, message):
    values = {"source_id": "cam", "image": np.zeros((4, 4, 3), np.uint8), "timestamp": datetime(2026, 1, 1, tzinfo=UTC), "index": 0}
    with pytest.raises(ValueError, match=message):
        Frame(**(values | kwargs))


def test_a_frame_keeps_its_time_in_utc():
    from zoneinfo import ZoneInfo

    local = datetime(2026, 3, 29, 3, 0, 1, tzinfo=ZoneInfo("Europe/Berlin"))
    frame = Frame("cam", np.zeros((2, 2, 3), np.uint8), local, 0)
    assert frame.timestamp == local and frame.timestamp.tzinfo is UTC
