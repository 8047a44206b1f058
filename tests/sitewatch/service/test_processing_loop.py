"""``ProcessingLoop``: newest frame of each camera, one batch, per-camera rules; faults stay local."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import numpy as np
import pytest

from sitewatch.config import Settings
from sitewatch.detector import OnnxDetector
from sitewatch.service.loop import ProcessingLoop
from sitewatch.streams.slot import LatestFrameSlot
from sitewatch.streams.state import SourceState, SourceStats
from sitewatch.types import Frame
from sitewatch.wiring import CameraContext, make_pipeline_factory
from testdata import TINY_MODEL

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class SlotCamera:
    """A camera's hand-over slot without the camera: the loop's side of ``CameraReader``."""

    def __init__(self, source_id: str, ready: threading.Event, frozen: bool = False):
        self.source_id = source_id
        self.slot = LatestFrameSlot(ready)
        self.frozen = frozen
        self.index = 0

    def put(self) -> None:
        image = np.full((120, 160, 3), 60 + 10 * self.index, np.uint8)
        self.slot.put(Frame(self.source_id, image, T0, self.index))
        self.index += 1

    def take(self) -> Frame | None:
        return self.slot.take(0)

    def stats(self) -> SourceStats:
        return SourceStats(self.source_id, "", SourceState.STREAMING, "", T0, self.frozen, 0, 0, 0, 0, 0, 0,
                           None, 0.0, 1.0, None, None)


@pytest.fixture
def detector():
    return OnnxDetector(TINY_MODEL, threads=1)


def make_loop(detector, cameras, pipelines=None, ready=None):
    settings = Settings()
    factory = make_pipeline_factory(settings, CameraContext())
    stored: list[tuple[str | None, int]] = []
    loop = ProcessingLoop(
        cameras,
        ready or threading.Event(),
        {c.source_id: detector for c in cameras},
        pipelines or {c.source_id: factory(c.source_id) for c in cameras},
        lambda changes, site: stored.append((site, len(changes))),
        {c.source_id: "yard" for c in cameras},
    )
    return loop, stored


def test_one_batch_takes_the_newest_frame_of_every_camera_that_has_one(detector):
    ready = threading.Event()
    cameras = [SlotCamera(f"cam{i}", ready) for i in range(3)]
    loop, _ = make_loop(detector, cameras)
    cameras[0].put()
    cameras[0].put()  # replaces the first: the loop never sees a backlog
    cameras[2].put()
    assert loop.run_once() == 2
    assert cameras[0].slot.dropped == 1
    assert loop.run_once() == 0  # nothing new


def test_a_camera_whose_rules_fail_does_not_stop_the_others(detector):
    ready = threading.Event()
    good, bad = SlotCamera("good", ready), SlotCamera("bad", ready)
    factory = make_pipeline_factory(Settings(), CameraContext())
    # A real pipeline built for another camera refuses the frame: a real failure inside the rules step.
    loop, _ = make_loop(detector, [good, bad], {"good": factory("good"), "bad": factory("elsewhere")})
    for _ in range(3):
        good.put()
        bad.put()
        assert loop.run_once() == 1
    assert loop.stats.failed_frames == 3 and loop.stats.frames == 3


def test_frames_of_a_frozen_camera_are_not_scored(detector):
    ready = threading.Event()
    live, frozen = SlotCamera("live", ready), SlotCamera("frozen", ready, frozen=True)
    loop, _ = make_loop(detector, [live, frozen])
    live.put()
    frozen.put()
    assert loop.run_once() == 1 and loop.stats.skipped_frozen == 1


def test_the_thread_runs_on_the_shared_ready_event_and_stops(detector):
    ready = threading.Event()
    camera = SlotCamera("cam", ready)
    loop, _ = make_loop(detector, [camera], ready=ready)
    loop.start()
    camera.put()
    camera.slot.close()
    for _ in range(400):  # until the thread has taken the frame (no timing is asserted)
        if loop.stats.frames:
            break
        threading.Event().wait(0.05)
    assert loop.stop(timeout=10)
    assert loop.stats.frames == 1
