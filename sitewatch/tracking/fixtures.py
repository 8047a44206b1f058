"""``FixtureFilter``: a camera's still look-alikes (cones, signs, lamp heads) learned and dropped.

A detector that takes a traffic cone for a hard hat does so in every frame:
for a fixed camera that is a ``helmet`` box in the same place all day. It
raises no ``no_helmet`` event, but it is a person to the out-of-hours rule,
which then reports work all night; a cone taken for a bare ``head`` opens a
false ``no_helmet`` event. People, unlike cones, move.

So, per camera:

- **Places.** Each box of a watched class is matched to the nearest known
  place whose centre is within ``radius`` of the box's size and whose size is
  within a factor 2; a box near no place starts one. A place is where its
  first box was; it does not follow its boxes, so something that creeps away
  leaves it.
- **Fixtures.** A place that is ``still_s`` old and has had a box in at least
  ``min_presence`` of the scored frames since it started is a fixture; its
  boxes are dropped from then on. Before that, boxes pass: the first
  ``still_s`` of a cone are still reported, as are those of a head standing still.
  A place empty for ``gap_s`` is forgotten; a fixture only after
  ``forget_s`` (a cone missed for a while is still there; a cone carried
  away is forgotten in time).
- **Movers start no places.** A box whose track has moved more than
  ``radius`` of its size from where the track began never starts a place: a
  worker who walked in and stopped stays a worker however long he stands.
  It still counts for a place it stands in and is dropped on a fixture: a
  track that came in with a passer-by and then stuck to a cone (the tracker
  handed it over) must not make the cone a mover. So a head that walks across
  a fixture is dropped for the frame or two it covers it. Untracked boxes
  (below the tracker's threshold for a new track) and boxes of tracks that
  have not moved start places.

What this gives up: a person who is in view and motionless from the moment
the camera starts (never seen moving) becomes a fixture after ``still_s``.
With the defaults that is 20 s, after a ``no_helmet`` event has long opened
(3 of 5 frames) and before the out-of-hours rule's 30 s persistence, so a
cone never raises an out-of-hours event but such a person does not either
until they move. docs/configuration.md has the measurements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from sitewatch.config.fixtures import FixtureSettings
from sitewatch.types import Detections, Frame

# A box more than twice or less than half a place's size is something else
# (a nearer person's head passing in front of a far cone).
MAX_SIZE_RATIO = 2.0
# How long a track's start is remembered after its last box: longer than the
# tracker keeps a lost track (30 scored frames by default, 60 s at 0.5 fps), so
# a worker who comes back on his old track id is still known to have moved.
TRACK_MEMORY_S = 300.0


@dataclass(slots=True)
class _Place:
    """Where still boxes have been seen: the first box's centre and size, and how often since."""

    cx: float
    cy: float
    size: float
    since: datetime
    first_update: int
    hits: int
    last_hit: datetime
    last_update: int
    fixture: bool = False


@dataclass(slots=True)
class _TrackStart:
    """Where a track began, and whether it has left that place."""

    cx: float
    cy: float
    size: float
    last_seen: datetime
    moved: bool = False


class FixtureFilter:
    """One per camera; ``update`` once per scored frame, in time order, after the tracker."""

    def __init__(self, settings: FixtureSettings | None = None):
        self.settings = settings if settings is not None else FixtureSettings()
        self._places: list[_Place] = []
        self._tracks: dict[int, _TrackStart] = {}
        self._updates = 0

    @property
    def fixtures(self) -> list[tuple[float, float, float]]:
        """The fixtures now known: (centre x, centre y, size) in frame pixels."""
        return [(p.cx, p.cy, p.size) for p in self._places if p.fixture]

    def update(self, frame: Frame, detections: Detections) -> Detections:
        """``detections`` without the boxes that lie on a fixture (a new value; the input is untouched)."""
        s = self.settings
        if not s.enabled:
            return detections
        now = frame.timestamp
        self._updates += 1
        watched = np.flatnonzero(detections.class_mask(*s.classes))
        drop = np.zeros(len(detections), bool)
        if len(watched):
            cx, cy = detections.centers[watched].T
            xyxy = detections.xyxy[watched]
            size = np.maximum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1])
            tracker_id = detections.tracker_id
            ids = tracker_id[watched] if tracker_id is not None else np.full(len(watched), -1)
            moved = np.array(
                [self._track_moved(int(t), x, y, z, now) for t, x, y, z in zip(ids, cx, cy, size)], bool
            )
            known = self._places[:]  # the places before this frame, matched all at once
            nearest, within = self._nearest(known, cx, cy, size)
            for k in range(len(watched)):
                if within[k]:
                    place = known[nearest[k]]
                else:  # a place this frame started (a second box on a new spot), or a new one
                    place = self._new_place(
                        cx[k : k + 1], cy[k : k + 1], size[k : k + 1], now, not moved[k], known
                    )
                if place is not None:
                    self._hit(place, now)
                    drop[watched[k]] = place.fixture
        self._forget(now)
        return detections if not drop.any() else detections[~drop]

    # -- helpers ------------------------------------------------------------
    def _track_moved(self, track_id: int, cx: float, cy: float, size: float, now: datetime) -> bool:
        if track_id < 0:
            return False
        start = self._tracks.get(track_id)
        if start is None:
            self._tracks[track_id] = _TrackStart(cx, cy, size, now)
            return False
        start.last_seen = now
        if not start.moved and np.hypot(cx - start.cx, cy - start.cy) > self.settings.radius * start.size:
            start.moved = True
        return start.moved

    def _nearest(
        self, places: list[_Place], cx: np.ndarray, cy: np.ndarray, size: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per box, the index of the nearest place of a similar size, and whether it is within ``radius``."""
        if not places:
            return np.zeros(len(cx), np.int64), np.zeros(len(cx), bool)
        px, py, psize = (np.array([getattr(p, a) for p in places]) for a in ("cx", "cy", "size"))
        distance = np.hypot(cx[:, None] - px[None, :], cy[:, None] - py[None, :]) / psize[None, :]
        ratio = size[:, None] / psize[None, :]
        distance[(ratio < 1 / MAX_SIZE_RATIO) | (ratio > MAX_SIZE_RATIO)] = np.inf
        nearest = distance.argmin(axis=1)
        return nearest, distance[np.arange(len(cx)), nearest] <= self.settings.radius

    def _new_place(
        self,
        cx: np.ndarray,
        cy: np.ndarray,
        size: np.ndarray,
        now: datetime,
        may_start: bool,
        known: list[_Place],
    ) -> _Place | None:
        """For one box: a place started earlier in this frame that holds it, else a new one if ``may_start``."""
        started = self._places[len(known) :]
        if started:  # rare: a second box on a spot first seen in this frame
            nearest, within = self._nearest(started, cx, cy, size)
            if within[0]:
                return started[nearest[0]]
        if not may_start:
            return None
        place = _Place(float(cx[0]), float(cy[0]), float(size[0]), now, self._updates, 0, now, -1)
        self._places.append(place)
        return place

    def _hit(self, place: _Place, now: datetime) -> None:
        """Count a box in ``place``, once per frame, and make the place a fixture when due."""
        # One hit per frame however many boxes a place holds (a cone boxed as
        # both head and helmet is seen once).
        if place.last_update != self._updates:
            place.hits += 1
            place.last_update = self._updates
        place.last_hit = now
        if not place.fixture and (now - place.since).total_seconds() >= self.settings.still_s:
            scored = self._updates - place.first_update + 1
            place.fixture = place.hits >= self.settings.min_presence * scored

    def _forget(self, now: datetime) -> None:
        s = self.settings

        def kept(place: _Place) -> bool:
            return (now - place.last_hit).total_seconds() <= (s.forget_s if place.fixture else s.gap_s)

        self._places = [p for p in self._places if kept(p)]
        self._tracks = {
            t: start
            for t, start in self._tracks.items()
            if (now - start.last_seen).total_seconds() <= TRACK_MEMORY_S
        }
