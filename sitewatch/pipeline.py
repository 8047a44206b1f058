"""Per-camera processing after the detector: tracking, zones, rules.

The detector is shared (one model for every camera); everything with memory
lives here, one instance per camera, so cameras never see each other's tracks
or events. Batch scoring and the live service use this same class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sitewatch.events import EventChange
from sitewatch.rules.base import Rule
from sitewatch.tracking import ByteTrack
from sitewatch.tracking.fixtures import FixtureFilter
from sitewatch.tracking.motion import MotionGate
from sitewatch.tracking.twins import TwinFilter
from sitewatch.types import Detections, Frame

ZoneFilter = Callable[[Detections], Detections]


@dataclass(frozen=True, slots=True)
class Processed:
    """What one frame produced: the tracked detections (label twins, fixtures and boxes never seen
    moving dropped; zones not applied), and the event changes."""

    frame: Frame
    detections: Detections
    changes: list[EventChange]


class CameraPipeline:
    def __init__(
        self,
        source_id: str,
        tracker: ByteTrack,
        rules: Sequence[Rule],
        zone_filter: ZoneFilter | None = None,
        fixtures: FixtureFilter | None = None,
        twins: TwinFilter | None = None,
        motion: MotionGate | None = None,
    ):
        self.source_id = source_id
        self.tracker = tracker
        self.fixtures = fixtures
        self.rules = list(rules)
        self.zone_filter = zone_filter
        self.twins = twins
        self.motion = motion
        self._last_frame: Frame | None = None

    def process(self, frame: Frame, detections: Detections) -> Processed:
        if frame.source_id != self.source_id:
            raise ValueError(f"frame of {frame.source_id!r} given to the pipeline of {self.source_id!r}")
        # Track before zone filtering: a worker walking in and out of the
        # zone keeps one track id, so re-entering does not look like a new one.
        if self.twins is not None:
            detections = self.twins.update(detections)
        tracked = self.tracker.update(detections, frame.timestamp)
        # After tracking, which tells a worker who walked in from a cone that never moved.
        if self.fixtures is not None:
            tracked = self.fixtures.update(frame, tracked)
        # After the fixture filter, which must see every box of a cone to learn it.
        if self.motion is not None:
            tracked = self.motion.update(frame, tracked)
        in_zone = self.zone_filter(tracked) if self.zone_filter is not None else tracked
        changes: list[EventChange] = []
        for rule in self.rules:
            changes.extend(rule.update(frame, in_zone))
        self._last_frame = frame
        return Processed(frame, tracked, changes)

    def tick(self, now: datetime) -> list[EventChange]:
        """Advance the rules to ``now`` without a frame: while the camera is offline, stalled or frozen
        (its frames not scored), events still close ``close_after_s`` after their last sighting,
        instead of staying open until frames return. Tracks are left as they are, and no rule
        takes the time for an empty picture."""
        changes: list[EventChange] = []
        for rule in self.rules:
            changes.extend(rule.expire(now))
        return changes

    def close(self, at: datetime | None = None) -> list[EventChange]:
        """Close every open event (end of a recording, shutdown)."""
        last = self._last_frame
        if at is None:
            at = last.timestamp if last is not None else None
        if at is None:
            return []
        end_frame = last.index if last is not None else 0
        changes: list[EventChange] = []
        for rule in self.rules:
            changes.extend(rule.close_all(at, end_frame))
        return changes
