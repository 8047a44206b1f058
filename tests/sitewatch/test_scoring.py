"""``detect_ahead``: frames detected several at once come back in order, each with its own boxes."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import numpy as np
import pytest

from sitewatch.scoring import detect_ahead
from sitewatch.types import Detections, Frame
from testdata import ConcurrentCalls

NAMES = ("head", "helmet", "person")
START = datetime(2026, 5, 4, 10, tzinfo=UTC)


def frames(count: int):
    for i in range(count):
        yield Frame("cam", np.full((4, 4, 3), i, np.uint8), START, i)


def slow_detect(image) -> Detections:
    """One box whose x1 is the frame's pixel value; frames 0, 3, 6, ... take longest, so they finish last."""
    index = int(image[0, 0, 0])
    time.sleep(0.02 if index % 3 == 0 else 0.001)
    return Detections(np.array([[index, 0, index + 1, 1]], np.float32), np.array([0.9]), np.array([0]), NAMES)


@pytest.mark.parametrize("depth", [1, 2, 3, 8])
@pytest.mark.parametrize("count", [0, 1, 2, 10])
def test_frames_come_back_in_order_with_their_own_detections(depth, count):
    got = list(detect_ahead(frames(count), slow_detect, depth))
    assert [frame.index for frame, _ in got] == list(range(count))
    assert [int(found.xyxy[0, 0]) for _, found in got] == list(range(count))


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_at_most_depth_frames_are_in_the_detector_at_once(depth):
    counted = ConcurrentCalls(slow_detect)
    assert len(list(detect_ahead(frames(12), counted, depth))) == 12
    assert counted.most == depth


def test_a_failed_detection_reaches_the_caller_and_stops_the_rest():
    started = []

    def failing(image):
        index = int(image[0, 0, 0])
        started.append(index)
        if index == 3:
            raise RuntimeError("frame 3 is bad")
        return slow_detect(image)

    got = []
    with pytest.raises(RuntimeError, match="frame 3 is bad"):
        for frame, _ in detect_ahead(frames(50), failing, 2):
            got.append(frame.index)
    assert got == [0, 1, 2]
    assert max(started) < 10  # the frames behind the failure were not all detected


def test_a_caller_that_stops_early_leaves_no_detection_running():
    live = threading.active_count()
    for frame, _ in detect_ahead(frames(50), slow_detect, 3):
        if frame.index == 4:
            break
    # The generator is closed when the loop leaves it: its pool has finished and gone.
    assert threading.active_count() == live
