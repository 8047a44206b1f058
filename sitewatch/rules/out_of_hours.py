"""The out-of-hours rule: people in the work zone when the site does not permit work.

One event per camera per contiguous episode, however many people come and go:

- **Persistence**: people must be present out of hours for ``persistence_s``
  before the event opens. Presence may drop out for up to ``dropout_s`` (a
  missed detection, someone behind a pillar) without restarting the count.
  A drop-out is time the zone was *seen* empty: frames further apart than
  ``dropout_s`` (a camera sampled every 20 s, a large ``--stride``) that all
  show people are one presence, up to ``close_after_s`` between two frames.
  The event's ``start`` is the first sighting of the episode.
- **Closing**: the event closes once the zone has been empty for
  ``close_after_s`` (a sighting at most that long after the previous one
  continues it), or at the first frame in permitted hours (a night shift that
  turns into the legal morning shift is not a violation any more). Its ``end``
  is the last out-of-hours sighting.
- **Changes**: ``OPENED`` once; ``UPDATED`` when the most people seen at once
  grows, and otherwise at most every ``update_every_s`` to report a later
  ``end``; ``CLOSED`` once.

Counting people: detections of ``person``, ``head`` and ``helmet`` at or above
``min_confidence`` (already zone-filtered). A person box and the head in it
are one person, so the count is ``max(person boxes, head + helmet boxes)``.
This never counts a worker twice; it undercounts only when some people show
just a body and others just a head in the same frame.

Evidence: the first frame with the most people; its box is the union of the
counted boxes and its confidence the highest among them (the event claims
that someone is there, which the surest box supports best).

Timestamps are the frames' own (timezone-aware; ``Frame`` keeps them in UTC);
``event_in_utc`` gives the UTC form the store keeps. The event id depends on
the start instant only, not on its zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from sitewatch.config.permits import PermitSettings
from sitewatch.config.rules import OutOfHoursSettings
from sitewatch.config.sites import SiteSettings
from sitewatch.events import ChangeKind, Event, EventChange, EventType, Evidence, event_id_for
from sitewatch.rules.schedule import is_permitted
from sitewatch.types import Detections, Frame

BODY_CLASSES = ("person",)
HEAD_CLASSES = ("head", "helmet")


@dataclass(frozen=True, slots=True)
class PeopleSeen:
    """How many people one frame shows, and the box and confidence that show them."""

    count: int
    bbox: tuple[float, float, float, float]
    confidence: float


_NOBODY = PeopleSeen(0, (0.0, 0.0, 0.0, 0.0), 0.0)


def count_people(detections: Detections, min_confidence: float) -> PeopleSeen:
    """People in ``detections``: ``max(person boxes, head + helmet boxes)`` above ``min_confidence``."""
    sure = detections.confidence >= min_confidence
    bodies = detections.class_mask(*BODY_CLASSES) & sure
    heads = detections.class_mask(*HEAD_CLASSES) & sure
    count = max(int(np.count_nonzero(bodies)), int(np.count_nonzero(heads)))
    if count == 0:
        return _NOBODY
    counted = bodies | heads
    boxes = detections.xyxy[counted]
    union = (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
    bbox = tuple(round(float(v), 1) for v in union)
    return PeopleSeen(count, bbox, float(detections.confidence[counted].max()))  # type: ignore[arg-type]


@dataclass(slots=True)
class _Episode:
    """People present out of hours: a candidate until it has persisted, then an open event."""

    event_id: str
    start: datetime
    start_frame: int
    last_seen: datetime
    last_frame: int
    people: int
    evidence: Evidence
    event: Event | None = None  # set once the event has opened
    last_report: datetime | None = None  # ``end`` at the last OPENED/UPDATED change
    seen_empty: bool = False  # a frame since ``last_seen`` showed nobody


class OutOfHoursRule:
    """One instance per camera; ``update`` once per scored frame, in time order.

    Inactive (every call returns ``[]``) when the rule is disabled or the site
    has no schedule. ``permits`` may hold other sites' permits; they are ignored.
    """

    def __init__(
        self,
        source: str,
        site: SiteSettings,
        permits: Sequence[PermitSettings] = (),
        settings: OutOfHoursSettings = OutOfHoursSettings(),
    ):
        self.source = source
        self.site = site
        self.permits = tuple(p for p in permits if p.site == site.id)
        self.settings = settings
        self.active = settings.enabled and site.schedule is not None
        self._episode: _Episode | None = None

    @property
    def open_event(self) -> Event | None:
        return self._episode.event if self._episode is not None else None

    # -- public -------------------------------------------------------------
    def update(self, frame: Frame, detections: Detections) -> list[EventChange]:
        if not self.active:
            return []
        now = frame.timestamp
        permitted = is_permitted(self.site, self.permits, now)
        seen = count_people(detections, self.settings.min_confidence) if not permitted else _NOBODY
        changes = self._expire(now, seen.count > 0)
        if permitted:
            if self._episode is not None and self._episode.event is not None:
                changes.append(self._close())
            self._episode = None
            return changes
        if seen.count == 0:
            return changes
        episode = self._episode
        if episode is None:
            event_id = event_id_for(self.source, EventType.OUT_OF_HOURS, now)
            episode = self._episode = _Episode(
                event_id, now, frame.index, now, frame.index, seen.count, _evidence(frame, seen)
            )
        else:
            episode.last_seen, episode.last_frame = max(episode.last_seen, now), frame.index
            episode.seen_empty = False
        grew = seen.count > episode.people
        if grew:
            episode.people, episode.evidence = seen.count, _evidence(frame, seen)
        change = self._report(episode, now, grew)
        if change is not None:
            changes.append(change)
        return changes

    def close_all(self, at: datetime, end_frame: int) -> list[EventChange]:
        """Close the open event, if any (end of video, shutdown); drops a candidate that has not opened.

        The closed event keeps its last sighting as ``end``: ``at`` and
        ``end_frame`` (where the stream stopped) are not violation times.
        """
        changes = [self._close()] if self._episode is not None and self._episode.event is not None else []
        self._episode = None
        return changes

    def expire(self, now: datetime) -> list[EventChange]:
        """Close the open event once ``close_after_s`` has passed since its last sighting while no frame
        is scored (camera offline or frozen). Unlike an empty frame, this time does not count as the
        zone *seen* empty; a candidate is left for the next frame to judge."""
        episode = self._episode
        if not self.active or episode is None or episode.event is None:
            return []
        if now - episode.last_seen < timedelta(seconds=self.settings.close_after_s):
            return []
        return [self._close()]

    # -- steps --------------------------------------------------------------
    def _expire(self, now: datetime, present: bool) -> list[EventChange]:
        """End the episode if nobody has been seen for too long.

        A sighting at most ``close_after_s`` (``dropout_s`` for a candidate)
        after the previous one continues the episode; an empty frame that
        late ends it. Checked before the frame's people join the episode, so
        that a frame after a long gap starts a new one.
        """
        episode = self._episode
        if episode is None:
            return []
        empty_for = max(now - episode.last_seen, timedelta(0))
        limit = timedelta(seconds=self.settings.close_after_s if episode.event else self.settings.dropout_s)
        if present and not episode.seen_empty:
            # No frame in between saw the zone empty: sparse frames, not a drop-out. Only a gap
            # past close_after_s (a camera that was away) parts two sightings then.
            limit = max(limit, timedelta(seconds=self.settings.close_after_s))
        if not present:
            episode.seen_empty = True
        if empty_for > limit or (empty_for == limit and not present):
            if episode.event is not None:
                return [self._close()]
            self._episode = None
        return []

    def _report(self, episode: _Episode, now: datetime, grew: bool) -> EventChange | None:
        if episode.event is None:
            if episode.last_seen - episode.start < timedelta(seconds=self.settings.persistence_s):
                return None
            episode.event = self._event(episode)
            episode.last_report = episode.last_seen
            return EventChange(ChangeKind.OPENED, episode.event)
        episode.event = self._event(episode)
        due = episode.last_report is None or now - episode.last_report >= timedelta(
            seconds=self.settings.update_every_s
        )
        if not (grew or due):
            return None
        episode.last_report = episode.last_seen
        return EventChange(ChangeKind.UPDATED, episode.event)

    def _event(self, episode: _Episode) -> Event:
        return Event(
            event_id=episode.event_id,
            type=EventType.OUT_OF_HOURS,
            source=self.source,
            start=episode.start,
            end=episode.last_seen,
            start_frame=episode.start_frame,
            end_frame=episode.last_frame,
            evidence=episode.evidence,
            track_id=None,
            site_id=self.site.id,
            people=episode.people,
        )

    def _close(self) -> EventChange:
        assert self._episode is not None and self._episode.event is not None
        closed = self._event(self._episode).evolve(closed=True)
        self._episode = None
        return EventChange(ChangeKind.CLOSED, closed)


def _evidence(frame: Frame, seen: PeopleSeen) -> Evidence:
    # A copy: the stream reader may reuse its frame buffer after we return.
    return Evidence(frame.index, frame.timestamp, seen.bbox, seen.confidence, frame.image.copy())


def event_in_utc(event: Event) -> Event:
    """The same event with ``start``, ``end`` and the evidence time in UTC (what the store keeps)."""
    evidence = event.evidence
    return event.evolve(
        start=event.start.astimezone(UTC),
        end=event.end.astimezone(UTC),
        evidence=Evidence(
            evidence.frame_index,
            evidence.timestamp.astimezone(UTC),
            evidence.bbox,
            evidence.confidence,
            evidence.image,
        ),
    )
