"""Time ``ByteTrack.update``, the ``TwinFilter`` before it and the ``FixtureFilter`` and ``MotionGate`` after it.

A busy synthetic scene: 50 boxes a frame, 1000 frames. The motion gate also
compares pictures, so it is timed per camera frame size on textured frames.
Run: ``.venv/bin/python bench/tracker.py``. Prints microseconds per frame;
each should cost a small fraction of a 20-40 ms detector pass.
"""

from __future__ import annotations

import time

import numpy as np

from datetime import UTC, datetime, timedelta

from sitewatch.config.tracker import TrackerSettings
from sitewatch.tracking import ByteTrack
from sitewatch.tracking.bytetrack import DEFAULT_CLASS_GROUPS
from sitewatch.tracking.fixtures import FixtureFilter
from sitewatch.tracking.motion import MotionGate
from sitewatch.tracking.twins import TwinFilter
from sitewatch.types import Detections, Frame

NAMES = ("head", "helmet", "person")
BOXES = 50
FRAMES = 1000
WIDTH, HEIGHT = 1920, 1080


def scene(seed: int = 0) -> list[Detections]:
    """Boxes drifting with jitter, flickering classes, varied confidence, a few dropouts."""
    rng = np.random.default_rng(seed)
    centre = rng.uniform([50, 50], [WIDTH - 50, HEIGHT - 50], (BOXES, 2))
    velocity = rng.normal(0, 2, (BOXES, 2))
    size = rng.uniform(20, 120, (BOXES, 2))
    base_class = rng.integers(0, 3, BOXES)
    frames = []
    for _ in range(FRAMES):
        centre = np.clip(centre + velocity + rng.normal(0, 0.5, (BOXES, 2)), 0, [WIDTH, HEIGHT])
        half = size / 2
        xyxy = np.hstack([centre - half, centre + half])
        confidence = np.clip(rng.normal(0.6, 0.2, BOXES), 0, 1)
        # head <-> helmet flicker on some frames; persons stay persons
        flicker = (base_class < 2) & (rng.random(BOXES) < 0.1)
        class_id = np.where(flicker, 1 - base_class, base_class)
        present = rng.random(BOXES) > 0.05
        frames.append(Detections(xyxy[present], confidence[present], class_id[present], NAMES))
    return frames


def _with_twins(frame: Detections) -> Detections:
    heads = np.flatnonzero(frame.class_id == 0)[::10]
    shifted = frame.xyxy[heads] + 2.0
    return Detections(
        np.vstack([frame.xyxy, shifted]),
        np.concatenate([frame.confidence, frame.confidence[heads] * 0.8]),
        np.concatenate([frame.class_id, np.ones(len(heads), np.int32)]),
        NAMES,
    )


def main() -> None:
    frames = scene()
    tracker = ByteTrack()
    for frame in frames[:50]:  # warm-up: first-call costs and a populated track table
        tracker.update(frame)
    tracker.reset()
    start = time.perf_counter()
    for frame in frames:
        tracker.update(frame)
    elapsed = time.perf_counter() - start
    print(f"ByteTrack.update: {elapsed / FRAMES * 1e6:.0f} us/frame ({BOXES} boxes/frame, {FRAMES} frames)")

    # Label twins: the scene's boxes plus a helmet twin on every tenth head, as the
    # far-field demo clip has (one head/helmet box in ten).
    twins = TwinFilter(DEFAULT_CLASS_GROUPS, TrackerSettings().twin_iou)
    doubled = [_with_twins(frame) for frame in frames]
    start = time.perf_counter()
    for frame in doubled:
        twins.update(frame)
    elapsed = time.perf_counter() - start
    print(f"TwinFilter.update: {elapsed / FRAMES * 1e6:.0f} us/frame")

    # The fixture filter on the tracked boxes, 2 frames/s: a third of the boxes
    # are persons (not watched); the slow drifters and the dropouts make places.
    tracker.reset()
    tracked = [tracker.update(frame) for frame in frames]
    image = np.zeros((1, 1, 3), np.uint8)
    start_at = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = [Frame("bench", image, start_at + timedelta(seconds=i / 2), i) for i in range(FRAMES)]
    fixtures = FixtureFilter()
    start = time.perf_counter()
    for frame, found in zip(stamps, tracked):
        fixtures.update(frame, found)
    elapsed = time.perf_counter() - start
    print(
        f"FixtureFilter.update: {elapsed / FRAMES * 1e6:.0f} us/frame "
        f"({len(fixtures.fixtures)} fixtures learned at the end)"
    )

    # The motion gate: its cost is the picture (grey, shrink, blur, compare,
    # average), so per frame size; the same tracked boxes, scaled to the frame.
    rng = np.random.default_rng(1)
    for width, height in ((768, 576), (1280, 720), (1920, 1080), (3840, 2160)):
        texture = rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
        base = np.ascontiguousarray(np.kron(texture, np.ones((8, 8, 1), np.uint8)))
        images = [np.roll(base, shift, axis=1) for shift in range(4)]  # cycled: something always moves
        scale = np.array([width / WIDTH, height / HEIGHT] * 2, np.float32)
        boxes = [
            Detections(f.xyxy * scale, f.confidence, f.class_id, NAMES, f.tracker_id) for f in tracked[:200]
        ]
        gate = MotionGate()
        start = time.perf_counter()
        for i, found in enumerate(boxes):
            gate.update(Frame("bench", images[i % 4], start_at + timedelta(seconds=i / 2), i), found)
        elapsed = time.perf_counter() - start
        print(f"MotionGate.update {width}x{height}: {elapsed / len(boxes) * 1e6:.0f} us/frame")


if __name__ == "__main__":
    main()
