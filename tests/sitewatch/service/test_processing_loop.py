"""``ProcessingLoop``: newest frame of each camera, one batch, per-camera rules; faults stay local."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from sitewatch.config import Settings
from sitewatch.config.rules import NoHelmetSettings, OutOfHoursSettings
from sitewatch.config.sites import SiteSettings
from sitewatch.detector import OnnxDetector
from sitewatch.events import ChangeKind, EventType
from sitewatch.pipeline import CameraPipeline
from sitewatch.rules.no_helmet import NoHelmetRule
from sitewatch.rules.out_of_hours import OutOfHoursRule
from sitewatch.service.loop import ProcessingLoop
from sitewatch.streams.slot import LatestFrameSlot
from sitewatch.streams.state import SourceState, SourceStats
from sitewatch.tracking import ByteTrack
from sitewatch.types import Detections, Frame
from sitewatch.wiring import CameraContext, make_pipeline_factory
from testdata import TINY_MODEL

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class SlotCamera:
    """A camera's hand-over slot without the camera: the loop's side of ``CameraReader``."""

    def __init__(
        self, source_id: str, ready: threading.Event, frozen: bool = False,
        state: SourceState = SourceState.STREAMING,
    ):
        self.source_id = source_id
        self.slot = LatestFrameSlot(ready)
        self.frozen = frozen
        self.state = state
        self.index = 0

    def put(self) -> None:
        image = np.full((120, 160, 3), 60 + 10 * self.index, np.uint8)
        self.slot.put(Frame(self.source_id, image, T0, self.index))
        self.index += 1

    def take(self) -> Frame | None:
        return self.slot.take(0)

    def stats(self) -> SourceStats:
        return SourceStats(self.source_id, "", self.state, "", T0, self.frozen, 0, 0, 0, 0, 0, 0,
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


# T0 (09:00 UTC) is outside this site's working hours: both rules alert.
NIGHT_SITE = SiteSettings.model_validate(
    {
        "id": "yard",
        "name": "Yard",
        "timezone": "UTC",
        "schedule": {"weekly": [{"days": "mon-sun", "hours": "00:00-01:00"}]},
    }
)
CLOSE_AFTER_S = 5.0


def alerting_pipeline(camera: str) -> CameraPipeline:
    """A real pipeline whose two rules have an event open, the worker last seen at T0 + 2 s."""
    pipeline = CameraPipeline(
        camera,
        ByteTrack(),
        [
            NoHelmetRule(camera, NoHelmetSettings(k=1, m=1, close_after_s=CLOSE_AFTER_S), site_id="yard"),
            OutOfHoursRule(
                camera, NIGHT_SITE, settings=OutOfHoursSettings(persistence_s=1, close_after_s=CLOSE_AFTER_S)
            ),
        ],
    )
    head = Detections([[40, 40, 60, 60]], [0.9], [0], ("head", "helmet", "person"))
    opened = []
    for i in range(5):
        frame = Frame(camera, np.zeros((120, 160, 3), np.uint8), T0 + timedelta(seconds=i / 2), i)
        opened += [c.event.type for c in pipeline.process(frame, head).changes if c.kind is ChangeKind.OPENED]
    assert sorted(opened) == [EventType.NO_HELMET, EventType.OUT_OF_HOURS]
    return pipeline


def test_events_of_a_camera_without_frames_close_on_time_and_end_at_the_last_sighting():
    ready = threading.Event()
    cameras = [
        SlotCamera("offline", ready, state=SourceState.OFFLINE),
        SlotCamera("frozen", ready, frozen=True),
        SlotCamera("streaming", ready),  # its own frames move its rules
    ]
    stored: list = []
    loop = ProcessingLoop(
        cameras,
        ready,
        {},  # no detector: no frame is scored here
        {c.source_id: alerting_pipeline(c.source_id) for c in cameras},
        lambda changes, site: stored.extend((site, c) for c in changes),
        {c.source_id: "yard" for c in cameras},
    )
    last_seen = T0 + timedelta(seconds=2)
    assert loop.expire_idle(last_seen + timedelta(seconds=CLOSE_AFTER_S - 1)) == 0
    assert loop.expire_idle(last_seen + timedelta(seconds=CLOSE_AFTER_S + 1)) == 4
    closed = {(c.event.source, c.event.type): c.event for _, c in stored if c.kind is ChangeKind.CLOSED}
    kinds = (EventType.NO_HELMET, EventType.OUT_OF_HOURS)
    assert set(closed) == {(cam, kind) for cam in ("offline", "frozen") for kind in kinds}
    assert all(e.closed and e.end == last_seen for e in closed.values())
    assert {site for site, _ in stored} == {"yard"}
    assert loop.expire_idle(last_seen + timedelta(seconds=CLOSE_AFTER_S + 2)) == 0  # closed once
