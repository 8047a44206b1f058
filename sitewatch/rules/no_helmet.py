"""The missing-hard-hat rule: tracked bare heads become one event per worker.

A tracked ``head`` box (a head with no hard hat) is a *flag* for its track. The
rule turns flags into events with three guards against alert floods:

1. **K of M**: an event opens only when the track was flagged in at least ``k``
   of the last ``m`` scored frames, so a single misdetection never alerts.
2. **Close timeout**: an open event stays open while its track keeps being
   flagged and closes once it has been unflagged for ``close_after_s``; its
   ``end`` is the last time it was seen.
3. **Continuation**: a candidate that overlaps (IoU >= ``merge_iou``) the last box
   of an event whose track has vanished - still open, or closed, as long as its
   last sighting (its ``end``) is at most ``cooldown_s`` ago - continues that
   event instead of opening a new one. This
   is what keeps a tracker id switch (occlusion, a missed frame) from sending a
   second alert for the same worker. The last box is also moved on at the
   event's speed over its last second of sightings, for up to ``predict_s``, and
   the better overlap counts: a walking worker is found again further on.
   Within ``predict_s`` a head also continues the event when its centre lies
   within the worker's *reach* of the last or the predicted box: half a head
   width plus twice the distance his recent speed covers in the time he has
   been gone, at most ``merge_reach`` head widths. Small far-field
   heads overlap little from one frame to the next, and a worker who turns
   round while missed is neither where he was nor where he was heading. A
   continued closed event is re-opened and reported as ``UPDATED`` with
   ``closed=False``.

Each event keeps its best evidence: the frame where its head box was most
confident.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from sitewatch.config.rules import NoHelmetSettings
from sitewatch.events import ChangeKind, Event, EventChange, EventType, Evidence, event_id_for
from sitewatch.types import Detections, Frame, box_iou

VIOLATION_CLASS = "head"
# Long enough to average out box jitter on small heads, short enough to follow a turn.
VELOCITY_WINDOW = timedelta(seconds=1)
# Reach, in head widths: a standing worker is found again only on his spot
# (half a width off-centre is about where two equal boxes overlap by IoU 0.3);
# a moving one also within twice the distance his speed covers while he is
# gone, as he may have turned round, sped up or stopped meanwhile.
MIN_REACH = 0.5
REACH_PER_DISTANCE = 2.0


@dataclass(frozen=True, slots=True)
class _Flag:
    scored: int  # the rule's own count of scored frames, for the k-of-m window
    timestamp: datetime
    frame_index: int


@dataclass(slots=True)
class _Track:
    flags: deque[_Flag] = field(default_factory=deque)
    last_scored: int = 0


@dataclass(slots=True)
class _Episode:
    """An event being built: where it was seen lately, for continuation."""

    event: Event
    track_id: int
    last_box: np.ndarray
    # (time, box) of the sightings within the last VELOCITY_WINDOW, oldest first.
    recent: deque[tuple[datetime, np.ndarray]] = field(default_factory=deque)

    def see(self, at: datetime, box: np.ndarray) -> None:
        self.last_box = box.copy()
        self.recent.append((at, self.last_box))
        while at - self.recent[0][0] > VELOCITY_WINDOW:
            self.recent.popleft()

    def expected_box(self, now: datetime, horizon_s: float) -> np.ndarray:
        """The last box moved on at the recent mean velocity for up to ``horizon_s`` since the last sighting."""
        velocity = self._velocity()
        if velocity is None or horizon_s <= 0:
            return self.last_box
        ahead = min((now - self.recent[-1][0]).total_seconds(), horizon_s)
        return self.last_box + velocity * ahead

    def speed(self) -> float:
        """Recent speed of the box centre, in head widths per second (0 with fewer than two sightings)."""
        velocity = self._velocity()
        if velocity is None:
            return 0.0
        width = max(float(self.last_box[2] - self.last_box[0]), 1e-6)
        return float(np.hypot(*_centre(velocity))) / width

    def _velocity(self) -> np.ndarray | None:
        """Mean velocity of the box corners over the recent sightings, px per second (None: no span to measure)."""
        if len(self.recent) < 2:
            return None
        (t0, b0), (t1, b1) = self.recent[0], self.recent[-1]
        span = (t1 - t0).total_seconds()
        return (b1 - b0) / span if span > 0 else None


class NoHelmetRule:
    """One instance per camera; ``update`` once per scored frame, in order."""

    def __init__(
        self, source: str, settings: NoHelmetSettings = NoHelmetSettings(), site_id: str | None = None
    ):
        self.source = source
        self.settings = settings
        self.site_id = site_id
        self._scored = 0
        self._tracks: dict[int, _Track] = {}
        self._open: dict[int, _Episode] = {}  # by the track id currently carrying it
        self._closed: list[_Episode] = []  # closed within the cooldown, still continuable

    # -- public -------------------------------------------------------------
    def update(self, frame: Frame, detections: Detections) -> list[EventChange]:
        if not self.settings.enabled:
            return []
        if detections.tracker_id is None:
            raise ValueError("NoHelmetRule needs tracked detections (tracker_id set)")
        self._scored += 1
        now = frame.timestamp
        keep = (
            detections.class_mask(VIOLATION_CLASS)
            & (detections.confidence >= self.settings.min_confidence)
            & (detections.tracker_id >= 0)
        )
        heads = detections[keep]
        changes: list[EventChange] = []
        seen_tracks = {int(t) for t in heads.tracker_id}
        for row in range(len(heads)):
            track_id = int(heads.tracker_id[row])
            box = heads.xyxy[row]
            confidence = float(heads.confidence[row])
            change = self._flag(frame, track_id, box, confidence, seen_tracks)
            if change is not None:
                changes.append(change)
        changes.extend(self._close_stale(now))
        self._forget_old_tracks(now)
        return changes

    def close_all(self, at: datetime, end_frame: int) -> list[EventChange]:
        """Close every open event (end of video, shutdown); returns their CLOSED changes."""
        changes = []
        for episode in self._open.values():
            closed = episode.event.evolve(closed=True)
            changes.append(EventChange(ChangeKind.CLOSED, closed))
        self._open.clear()
        self._closed.clear()
        self._tracks.clear()
        return changes

    def expire(self, now: datetime) -> list[EventChange]:
        """Close the events unseen for ``close_after_s`` by ``now`` while no frame is scored (camera
        offline or frozen); their ``end`` stays the last sighting. Nothing else moves: k of m counts
        scored frames only."""
        if not self.settings.enabled:
            return []
        return self._close_stale(now)

    def seed(self, recent: list[Event], now: datetime) -> None:
        """Make events from before a restart continuable, as if closed just now by this rule.

        After a crash the store closes the events left open; seeding the rule
        with this camera's events that ended within the cooldown lets a worker
        who is still there continue his event instead of raising a second
        alert. Their last known box is the evidence box.
        """
        cooldown = timedelta(seconds=self.settings.cooldown_s)
        for event in recent:
            if (
                event.type is EventType.NO_HELMET
                and event.source == self.source
                and now - event.end <= cooldown
            ):
                closed = event if event.closed else event.evolve(closed=True)
                box = np.asarray(event.bbox, np.float32)
                self._closed.append(
                    _Episode(closed, event.track_id if event.track_id is not None else -1, box)
                )

    @property
    def open_events(self) -> list[Event]:
        return [e.event for e in self._open.values()]

    # -- steps --------------------------------------------------------------
    def _flag(
        self, frame: Frame, track_id: int, box: np.ndarray, confidence: float, seen_tracks: set[int]
    ) -> EventChange | None:
        s = self.settings
        track = self._tracks.setdefault(track_id, _Track())
        track.flags.append(_Flag(self._scored, frame.timestamp, frame.index))
        track.last_scored = self._scored
        while track.flags and track.flags[0].scored <= self._scored - s.m:
            track.flags.popleft()

        episode = self._open.get(track_id)
        if episode is not None:
            return self._extend(episode, frame, box, confidence)
        if len(track.flags) < s.k:
            return None

        continued = self._continuable(box, frame.timestamp, seen_tracks)
        if continued is not None:
            was_closed = continued.event.closed
            self._detach(continued)
            continued.track_id = track_id
            continued.event = continued.event.evolve(track_id=track_id, closed=False)
            self._open[track_id] = continued
            change = self._extend(continued, frame, box, confidence)
            if was_closed or change is None:
                return EventChange(ChangeKind.UPDATED, continued.event)
            return change

        first = track.flags[0]
        evidence = Evidence(frame.index, frame.timestamp, _bbox(box), confidence, frame.image)
        event = Event(
            event_id=event_id_for(self.source, EventType.NO_HELMET, first.timestamp, track_id),
            type=EventType.NO_HELMET,
            source=self.source,
            start=first.timestamp,
            end=frame.timestamp,
            start_frame=first.frame_index,
            end_frame=frame.index,
            evidence=evidence,
            track_id=track_id,
            site_id=self.site_id,
        )
        episode = _Episode(event, track_id, box.copy())
        episode.see(frame.timestamp, box)
        self._open[track_id] = episode
        return EventChange(ChangeKind.OPENED, event)

    def _extend(
        self, episode: _Episode, frame: Frame, box: np.ndarray, confidence: float
    ) -> EventChange | None:
        """Record a sighting; an UPDATED change only when the evidence improves."""
        episode.see(frame.timestamp, box)
        better = confidence > episode.event.evidence.confidence
        changes: dict[str, object] = {"end": frame.timestamp, "end_frame": frame.index}
        if better:
            changes["evidence"] = Evidence(frame.index, frame.timestamp, _bbox(box), confidence, frame.image)
        episode.event = episode.event.evolve(**changes)
        return EventChange(ChangeKind.UPDATED, episode.event) if better else None

    def _continuable(self, box: np.ndarray, now: datetime, seen_tracks: set[int]) -> _Episode | None:
        """The vanished-track episode this box continues, if any: the nearest of those it overlaps or reaches.

        Each episode is compared by its last box and by where its recent motion
        would have taken it by now (the better of the two): a walking worker's
        head, lost for a second and found again a few widths further on, still
        continues his event, and one who stopped meanwhile does too. Within
        ``predict_s`` the centre may also lie within the worker's reach (see the
        module docstring).
        """
        candidates = [e for tid, e in self._open.items() if tid not in seen_tracks] + self._closed
        if not candidates:
            return None
        s = self.settings
        lasts = np.stack([e.last_box for e in candidates])
        expected = np.stack([e.expected_box(now, s.predict_s) for e in candidates])
        ious = np.maximum(box_iou(box[None, :], lasts)[0], box_iou(box[None, :], expected)[0])
        # Centre distance to the nearer of the two boxes, in widths of the mean of the box and the last box.
        widths = ((lasts[:, 2] - lasts[:, 0]) + (box[2] - box[0])) / 2
        centre = _centre(box)
        distance = np.minimum(
            np.hypot(*(_centre(lasts) - centre).T), np.hypot(*(_centre(expected) - centre).T)
        ) / np.maximum(widths, 1e-6)
        gone_s = np.array([max((now - e.event.end).total_seconds(), 0.0) for e in candidates])
        speeds = np.array([e.speed() for e in candidates])
        reach = np.minimum(MIN_REACH + REACH_PER_DISTANCE * speeds * gone_s, s.merge_reach)
        reaches = (s.merge_reach > 0) & (gone_s <= s.predict_s) & (distance <= reach)
        ok = (ious >= s.merge_iou) | reaches
        if not ok.any():
            return None
        return candidates[int(np.argmin(np.where(ok, distance, np.inf)))]

    def _detach(self, episode: _Episode) -> None:
        if self._open.get(episode.track_id) is episode:
            del self._open[episode.track_id]
        self._closed = [e for e in self._closed if e is not episode]

    def _close_stale(self, now: datetime) -> list[EventChange]:
        limit = timedelta(seconds=self.settings.close_after_s)
        changes = []
        for track_id, episode in list(self._open.items()):
            if now - episode.event.end >= limit:
                episode.event = episode.event.evolve(closed=True)
                del self._open[track_id]
                self._closed.append(episode)
                changes.append(EventChange(ChangeKind.CLOSED, episode.event))
        cooldown = timedelta(seconds=self.settings.cooldown_s)
        self._closed = [e for e in self._closed if now - e.event.end <= cooldown]
        return changes

    def _forget_old_tracks(self, now: datetime) -> None:
        # A track unflagged for a whole window can no longer reach k; drop it so
        # memory stays bounded on a camera that runs for months.
        horizon = self._scored - self.settings.m
        stale = [tid for tid, t in self._tracks.items() if t.last_scored <= horizon and tid not in self._open]
        for tid in stale:
            del self._tracks[tid]


def _centre(boxes: np.ndarray) -> np.ndarray:
    """Centres of xyxy boxes: (..., 4) -> (..., 2)."""
    return (boxes[..., :2] + boxes[..., 2:]) / 2


def _bbox(box: np.ndarray) -> tuple[float, float, float, float]:
    return tuple(round(float(v), 1) for v in box)  # type: ignore[return-value]
