"""What every rule looks like to the pipeline."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sitewatch.events import EventChange
from sitewatch.types import Detections, Frame


class Rule(Protocol):
    """A per-camera state machine from tracked, zone-filtered detections to event changes."""

    def update(self, frame: Frame, detections: Detections) -> list[EventChange]: ...

    def close_all(self, at: datetime, end_frame: int) -> list[EventChange]: ...

    def expire(self, now: datetime) -> list[EventChange]:
        """Close what times out by ``now`` while no frame is scored (the camera is offline or frozen)."""
        ...
