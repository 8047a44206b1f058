"""ByteTrack: per-camera multi-object tracking by two-stage IoU association.

ByteTrack (Zhang et al., 2022) keeps low-confidence boxes instead of dropping them:
a half-occluded worker scores low, yet still continues the track it already has.
Tracks are stored column by column (``_TrackTable``) so that prediction, overlap and
correction run as a few numpy calls per frame, not per track.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from sitewatch.config.tracker import TrackerSettings
from sitewatch.tracking import kalman
from sitewatch.tracking.matching import match_by_iou
from sitewatch.types import Detections

DEFAULT_CLASS_GROUPS: tuple[tuple[str, ...], ...] = (("head", "helmet"), ("person",))

_UNTRACKED = -1
# Beyond a couple of seconds between frames a head's whereabouts are anyone's
# guess; a buffer grown further would let tracks jump to other workers.
MAX_BUFFER_GAP_S = 2.0
_EMPTY = np.zeros(0, np.intp)


@dataclass(slots=True)
class _TrackTable:
    """Every live track of one tracker, one row per track.

    ``track_id`` is -1 until the track is confirmed; ``lost`` tracks were not matched
    in the latest frame and are kept, predicted forward, in case the object returns.
    """

    mean: np.ndarray  # (T, 8) Kalman state
    covariance: np.ndarray  # (T, 8, 8)
    track_id: np.ndarray  # (T,) int64
    group: np.ndarray  # (T,) int64, class-group code
    lost: np.ndarray  # (T,) bool
    last_seen: np.ndarray  # (T,) int64, frame number of the latest match
    last_box: np.ndarray  # (T, 4) the box of the latest match, as detected (not filtered)

    @classmethod
    def empty(cls) -> _TrackTable:
        return cls(
            np.zeros((0, kalman.STATE_SIZE)),
            np.zeros((0, kalman.STATE_SIZE, kalman.STATE_SIZE)),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, bool),
            np.zeros(0, np.int64),
            np.zeros((0, 4)),
        )

    def __len__(self) -> int:
        return len(self.track_id)

    @property
    def confirmed(self) -> np.ndarray:
        return self.track_id != _UNTRACKED

    def take(self, rows: np.ndarray) -> _TrackTable:
        return _TrackTable(
            self.mean[rows],
            self.covariance[rows],
            self.track_id[rows],
            self.group[rows],
            self.lost[rows],
            self.last_seen[rows],
            self.last_box[rows],
        )

    def extend(self, other: _TrackTable) -> _TrackTable:
        return _TrackTable(
            np.concatenate([self.mean, other.mean]),
            np.concatenate([self.covariance, other.covariance]),
            np.concatenate([self.track_id, other.track_id]),
            np.concatenate([self.group, other.group]),
            np.concatenate([self.lost, other.lost]),
            np.concatenate([self.last_seen, other.last_seen]),
            np.concatenate([self.last_box, other.last_box]),
        )


class ByteTrack:
    """Gives each physical object a stable id across the scored frames of one camera.

    Call ``update`` once per scored frame, in order; use one instance per camera.

    Per frame, with the thresholds of ``TrackerSettings``:

    1. Every track is moved forward by its Kalman filter.
    2. Boxes with ``confidence >= high_threshold`` are matched to the confirmed
       tracks seen last frame, then those left to the *lost* ones (IoU >=
       ``match_iou``). Seen tracks go first (DeepSORT's matching cascade): a lost
       track's prediction drifts on at its old velocity and would otherwise
       take the box of a worker who is being tracked at that very place.
    3. Boxes with ``low_threshold <= confidence < high_threshold`` are matched to
       the confirmed tracks seen last frame that are still unmatched
       (IoU >= ``low_match_iou``). Low boxes continue tracks but never start one.
    4. With ``recovery`` on, confirmed tracks still unmatched (lost, or missed
       just now) are matched to the high boxes still left by the IoU of their
       *last detected box* instead of their prediction (IoU >= ``match_iou``):
       OC-SORT's observation-centric recovery (Cao et al., 2023). A lost track's
       prediction keeps the velocity it had when last seen, so a worker who
       stops, or turns, while his head is missed is found again where he was
       last seen, not where the filter expected him. A recovered track restarts
       its filter at the new box with the mean velocity over the gap.
    5. Unconfirmed tracks (born last frame) are matched to the high boxes still
       left (IoU >= ``match_iou``); a match confirms them, no match deletes them.
    6. Each high box still left with ``confidence >= new_track_threshold`` starts a
       new, unconfirmed track. Only on the tracker's first frame (after creation or
       ``reset``) is a new track confirmed at once. A ``new_track_threshold`` below
       ``high_threshold`` therefore acts as ``high_threshold``.
    7. Confirmed tracks seen last frame but unmatched now become lost; a lost track
       not matched for more than ``lost_track_buffer`` scored frames is deleted. So
       an object missing for up to ``lost_track_buffer`` frames gets its old id
       back; after longer, it starts over as a new track with a new id.

    Every IoU test above measures boxes grown by ``match_buffer`` of their size
    on each side, plus ``match_buffer_per_s`` for each second since the previous
    scored frame (up to ``MAX_BUFFER_GAP_S``) when ``update`` is given frame
    times: a head moves further between frames scored a second apart than a
    tenth of a second apart, above all before its track has a velocity.

    Boxes only ever match tracks of their own class group (``class_groups``, by class
    name; a class in no group is a group of its own). Classes in one group share
    tracks: a head that flickers between ``head`` and ``helmet`` keeps its id, while
    a ``person`` box over the same pixels never takes a head's id.

    Ids: positive, handed out 1, 2, 3, ... in order of confirmation (so tracks that
    die unconfirmed use up no id) and never reused by the instance, until ``reset``,
    which forgets every track and starts again from 1. Callers that reset (e.g. when
    a stream reconnects) must treat ids from before and after as unrelated.

    ``update`` returns a new ``Detections``: the input rows unchanged and in the same
    order, with ``tracker_id`` set to the id of the confirmed track each row belongs
    to, or -1 (below ``low_threshold``, unmatched low boxes, new unconfirmed tracks,
    high boxes that start nothing).
    """

    def __init__(
        self,
        settings: TrackerSettings = TrackerSettings(),
        class_groups: Sequence[Sequence[str]] = DEFAULT_CLASS_GROUPS,
    ) -> None:
        self._settings = settings
        self._group_of_name: dict[str, int] = {}
        for code, group in enumerate(class_groups):
            if isinstance(group, str):
                raise TypeError(f"class_groups must hold sequences of names, got the string {group!r}")
            for name in group:
                if name in self._group_of_name:
                    raise ValueError(f"class {name!r} is in more than one class group")
                self._group_of_name[name] = code
        self._next_group_code = len(class_groups)
        self._group_codes_by_names: dict[tuple[str, ...], np.ndarray] = {}
        self.reset()

    def reset(self) -> None:
        """Forget every track; the next frame counts as the first and ids restart at 1."""
        self._tracks = _TrackTable.empty()
        self._frame = 0
        self._next_id = 1
        self._last_timestamp: datetime | None = None

    @property
    def settings(self) -> TrackerSettings:
        return self._settings

    def update(self, detections: Detections, timestamp: datetime | None = None) -> Detections:
        """Associate one scored frame's boxes with the tracks; see the class docstring.

        ``timestamp`` (the frame's time) lets the match buffer grow with the time
        between scored frames; without it only ``match_buffer`` applies.
        """
        self._frame += 1
        s = self._settings
        buffer = s.match_buffer + s.match_buffer_per_s * self._seconds_since_last(timestamp)
        tracks = self._tracks
        tracker_id = np.full(len(detections), _UNTRACKED, np.int64)

        det_group = self._group_codes(detections.class_names)[detections.class_id]
        conf = detections.confidence
        high = np.flatnonzero(conf >= s.high_threshold)
        low = np.flatnonzero((conf >= s.low_threshold) & (conf < s.high_threshold))

        if len(tracks):
            # A lost track's height velocity is stale; letting it run would shrink or
            # grow the box out of reach of the object when it comes back.
            tracks.mean[tracks.lost, 7] = 0.0
            tracks.mean, tracks.covariance = kalman.predict(tracks.mean, tracks.covariance)
        track_xyxy = kalman.xyah_to_xyxy(tracks.mean)
        xyxy = detections.xyxy

        def match(det_rows: np.ndarray, track_rows: np.ndarray, min_iou: float) -> tuple[np.ndarray, ...]:
            d, t = match_by_iou(
                xyxy[det_rows],
                det_group[det_rows],
                track_xyxy[track_rows],
                tracks.group[track_rows],
                min_iou,
                buffer,
            )
            return det_rows[d], track_rows[t], np.delete(det_rows, d), np.delete(track_rows, t)

        confirmed = np.flatnonzero(tracks.confirmed)
        seen = confirmed[~tracks.lost[confirmed]]
        det1a, trk1a, high_left, seen_left = match(high, seen, s.match_iou)
        det1b, trk1b, high_left, lost_left = match(high_left, confirmed[tracks.lost[confirmed]], s.match_iou)
        det1, trk1 = np.concatenate([det1a, det1b]), np.concatenate([trk1a, trk1b])
        det2, trk2, _, newly_lost = match(low, seen_left, s.low_match_iou)
        det_r, trk_r = _EMPTY, _EMPTY
        if s.recovery:
            unmatched = np.concatenate([newly_lost, lost_left])
            det_r, trk_r = match_by_iou(
                xyxy[high_left],
                det_group[high_left],
                tracks.last_box[unmatched],
                tracks.group[unmatched],
                s.match_iou,
                buffer,
            )
            det_r, trk_r = high_left[det_r], unmatched[trk_r]
            high_left = np.setdiff1d(high_left, det_r, assume_unique=True)
            newly_lost = np.setdiff1d(newly_lost, trk_r, assume_unique=True)
        unconfirmed = np.flatnonzero(~tracks.confirmed)
        det3, trk3, high_left, unconfirmed_left = match(high_left, unconfirmed, s.match_iou)

        if len(trk3):
            tracks.track_id[trk3] = self._take_ids(len(trk3))
        updated_tracks = np.concatenate([trk1, trk2, trk3])
        updated_dets = np.concatenate([det1, det2, det3])
        if len(updated_tracks):
            tracks.mean[updated_tracks], tracks.covariance[updated_tracks] = kalman.update(
                tracks.mean[updated_tracks],
                tracks.covariance[updated_tracks],
                kalman.xyxy_to_xyah(xyxy[updated_dets]),
            )
        if len(trk_r):  # before the bookkeeping below, which overwrites the last sighting it needs
            self._restart_filters(tracks, trk_r, xyxy[det_r])
        matched_tracks = np.concatenate([updated_tracks, trk_r])
        matched_dets = np.concatenate([updated_dets, det_r])
        if len(matched_tracks):
            tracks.lost[matched_tracks] = False
            tracks.last_seen[matched_tracks] = self._frame
            tracks.last_box[matched_tracks] = xyxy[matched_dets]
            tracker_id[matched_dets] = tracks.track_id[matched_tracks]
        tracks.lost[newly_lost] = True

        keep = np.ones(len(tracks), bool)
        keep[unconfirmed_left] = False
        keep &= ~(tracks.lost & (self._frame - tracks.last_seen > s.lost_track_buffer))
        tracks = tracks.take(keep)

        starters = high_left[conf[high_left] >= s.new_track_threshold]
        if len(starters):
            new = self._new_tracks(xyxy[starters], det_group[starters])
            tracker_id[starters] = new.track_id
            tracks = tracks.extend(new)
        self._tracks = tracks
        return detections.with_tracker_id(tracker_id)

    # -- helpers ------------------------------------------------------------
    def _restart_filters(self, tracks: _TrackTable, rows: np.ndarray, xyxy: np.ndarray) -> None:
        """Recovered tracks: a fresh filter at the new box, moving at the mean velocity since the last sighting.

        Updating the old filter instead would keep the drifted prediction and
        velocity that lost the object in the first place (OC-SORT's re-update
        serves the same end by replaying the gap; the straight line is its result
        for constant velocity).
        """
        measured = kalman.xyxy_to_xyah(xyxy)
        mean, covariance = kalman.initiate(measured)
        gap = (self._frame - tracks.last_seen[rows]).astype(float)[:, None]
        mean[:, 4:6] = (measured[:, :2] - kalman.xyxy_to_xyah(tracks.last_box[rows])[:, :2]) / gap
        tracks.mean[rows], tracks.covariance[rows] = mean, covariance

    def _new_tracks(self, xyxy: np.ndarray, group: np.ndarray) -> _TrackTable:
        k = len(xyxy)
        mean, covariance = kalman.initiate(kalman.xyxy_to_xyah(xyxy))
        first_frame = self._frame == 1
        track_id = self._take_ids(k) if first_frame else np.full(k, _UNTRACKED, np.int64)
        return _TrackTable(
            mean,
            covariance,
            track_id,
            group.astype(np.int64),
            np.zeros(k, bool),
            np.full(k, self._frame),
            xyxy.astype(float),
        )

    def _take_ids(self, count: int) -> np.ndarray:
        ids = np.arange(self._next_id, self._next_id + count, dtype=np.int64)
        self._next_id += count
        return ids

    def _seconds_since_last(self, timestamp: datetime | None) -> float:
        """Seconds since the previous frame given a time (0 for the first, a clock going back, or none)."""
        last, self._last_timestamp = self._last_timestamp, timestamp
        if timestamp is None or last is None:
            return 0.0
        return min(max((timestamp - last).total_seconds(), 0.0), MAX_BUFFER_GAP_S)

    def _group_codes(self, class_names: tuple[str, ...]) -> np.ndarray:
        """Class index -> group code for one model's class list (cached per list)."""
        codes = self._group_codes_by_names.get(class_names)
        if codes is None:
            for name in class_names:
                if name not in self._group_of_name:
                    self._group_of_name[name] = self._next_group_code
                    self._next_group_code += 1
            codes = np.array([self._group_of_name[n] for n in class_names], np.int64)
            self._group_codes_by_names[class_names] = codes
        return codes
