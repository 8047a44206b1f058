"""Violation events: what the rules produce and the store, API and push consume.

An event is a frozen value. Rules report its life as ``EventChange`` values
(opened, updated, closed) so that live consumers (push, the API's stream) see
an alert as soon as it opens, while batch scoring keeps only the final state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

import numpy as np

# Fixed namespace so that an event id is a pure function of what identifies the
# event: a restarted pipeline, or a retried write, produces the same id.
_EVENT_NAMESPACE = uuid.UUID("6f1c2a52-5d0e-4c53-9d55-3f2b7a1e9c10")


class EventType(StrEnum):
    NO_HELMET = "no_helmet"
    OUT_OF_HOURS = "out_of_hours"


class ChangeKind(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"


def event_id_for(source: str, type_: EventType, start: datetime, track_id: int | None = None) -> str:
    """Deterministic id: same camera, type, start instant and opening track -> same id.

    The track id tells apart two workers whose violations start in the same
    frame; events that are not about one person (out of hours) pass None.
    """
    if start.tzinfo is None:
        raise ValueError("event start must be timezone-aware")
    key = f"{source}\x1f{type_.value}\x1f{start.timestamp():.6f}\x1f{'' if track_id is None else track_id}"
    return str(uuid.uuid5(_EVENT_NAMESPACE, key))


@dataclass(frozen=True, slots=True)
class Evidence:
    """The frame that best shows the violation, with the box that shows it."""

    frame_index: int
    timestamp: datetime
    bbox: tuple[float, float, float, float]
    confidence: float
    image: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Event:
    """One violation episode on one camera.

    ``start``/``end`` are the first and last times the violation was seen
    (timezone-aware); ``start_frame``/``end_frame`` the matching source frame
    indices. ``track_id`` is the tracker id that opened a ``no_helmet`` event
    (None for ``out_of_hours``, which is about the zone, not one person).
    ``people`` is the most people seen at once (``out_of_hours``).
    """

    event_id: str
    type: EventType
    source: str
    start: datetime
    end: datetime
    start_frame: int
    end_frame: int
    evidence: Evidence
    track_id: int | None = None
    closed: bool = False
    site_id: str | None = None
    people: int | None = None

    @property
    def confidence(self) -> float:
        return self.evidence.confidence

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.evidence.bbox

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def evolve(self, **changes: object) -> Event:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class EventChange:
    kind: ChangeKind
    event: Event
