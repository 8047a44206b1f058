"""``MotionGate``: a head or helmet counts only once it has been seen where the picture changed.

A detector that takes a traffic cone for a hard hat does so from the first
frame; the fixture filter (``sitewatch.tracking.fixtures``) needs ``still_s``
of that before it knows the cone, and until then the cone is a worker to the
rules and on the annotated video. Pixels tell sooner than boxes: a cone does
not change the picture, a worker does (walking in, turning his head, working).

So, per camera:

- **Background.** The frame in grey, shrunk by a whole factor to at most
  ``width`` pixels wide, slightly blurred, averaged over time with a time
  constant of ``background_s`` (weights from the time between frames, so 1 fps
  and 25 fps cameras see the same thing). A pixel *changed* where it differs
  from that average by more than ``threshold`` grey levels. A frame where more
  than ``max_frame_share`` changed (a cut, lights switched on, a jolted camera)
  tells nothing about any one object: it becomes the new background. Such a
  frame, and a camera's first, confirms nothing and holds nothing back: the
  gate drops a box only on evidence that it is still.
- **Seen moving.** A box is seen moving when at least ``min_share`` of its
  pixels, the box widened by ``BOX_MARGIN`` of its size, changed. A track
  seen moving once is confirmed for as long as the tracker keeps it: a worker
  who walked in and then stands still stays a worker. Untracked boxes count
  only in a frame where they are seen moving.
- **Dropped.** Boxes of ``classes`` whose track has never been seen moving
  are dropped, as the fixture filter drops fixtures: rules, annotations and
  detection logs do not see them.

What this gives up: a worker who is motionless from the moment the camera
starts, to the grey level, is not seen until he moves. A cone that a passer-by
walks in front of while its box is tracked is seen moving; the fixture filter
still learns it after ``still_s``. docs/configuration.md has the measurements.
"""

from __future__ import annotations

import math
from datetime import datetime

import cv2
import numpy as np

from sitewatch.config.motion import MotionSettings
from sitewatch.tracking.fixtures import TRACK_MEMORY_S  # a confirmed track is remembered as long as a mover
from sitewatch.types import Detections, Frame

# Box edges are widened by this share of the box's size: a head that moves
# changes the picture most along its outline, which a tight box cuts through.
BOX_MARGIN = 0.25


class MotionGate:
    """One per camera; ``update`` once per scored frame, in time order, after the tracker."""

    def __init__(self, settings: MotionSettings | None = None):
        self.settings = settings if settings is not None else MotionSettings()
        self._background: np.ndarray | None = None
        self._last: datetime | None = None
        self._confirmed: dict[int, datetime] = {}

    def update(self, frame: Frame, detections: Detections) -> Detections:
        """``detections`` without the boxes never seen moving (a new value; the input is untouched)."""
        s = self.settings
        if not s.enabled:
            return detections
        now = frame.timestamp
        changed, scale = self._changed(frame.image, now)
        watched = np.flatnonzero(detections.class_mask(*s.classes))
        keep = np.ones(len(detections), bool)
        # A frame that cannot be compared (the first, or one where nearly
        # everything changed) holds nothing back: the gate drops a box only on
        # evidence that it is still, so a camera that never settles loses no worker.
        if len(watched) and changed is not None:
            moving = self._box_shares(changed, detections.xyxy[watched] * scale) >= s.min_share
            tracker_id = detections.tracker_id
            ids = tracker_id[watched] if tracker_id is not None else np.full(len(watched), -1)
            for k, track in enumerate(ids.tolist()):
                if track < 0:
                    keep[watched[k]] = moving[k]
                    continue
                if moving[k] or track in self._confirmed:
                    self._confirmed[track] = now
                else:
                    keep[watched[k]] = False
        self._forget(now)
        return detections if keep.all() else detections[keep]

    # -- helpers ------------------------------------------------------------
    def _changed(self, image: np.ndarray, now: datetime) -> tuple[np.ndarray | None, float]:
        """The changed-pixel mask (None when the frame tells nothing) and the frame-to-mask scale."""
        s = self.settings
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        # A whole factor keeps OpenCV's fast area averaging (an odd one costs ten times more).
        factor = math.ceil(grey.shape[1] / s.width)
        if factor > 1:
            size = (grey.shape[1] // factor, grey.shape[0] // factor)
            grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        grey = cv2.GaussianBlur(grey, (3, 3), 0).astype(np.float32)
        background, last = self._background, self._last
        self._last = now
        if background is None or last is None or background.shape != grey.shape:
            self._background = grey
            return None, 1.0 / factor
        changed = (cv2.absdiff(grey, background) > s.threshold).view(np.uint8)
        if cv2.countNonZero(changed) > s.max_frame_share * changed.size:
            self._background = grey
            return None, 1.0 / factor
        elapsed = max(0.0, (now - last).total_seconds())
        cv2.accumulateWeighted(grey, background, 1.0 - math.exp(-elapsed / s.background_s))
        return changed, 1.0 / factor

    @staticmethod
    def _box_shares(changed: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
        """Per box (in mask pixels, widened by ``BOX_MARGIN``), the share of its pixels that changed."""
        height, width = changed.shape
        integral = cv2.integral(changed)
        margin = BOX_MARGIN * (xyxy[:, 2:] - xyxy[:, :2])
        low = np.floor(xyxy[:, :2] - margin).astype(np.int64)
        high = np.ceil(xyxy[:, 2:] + margin).astype(np.int64)
        x1, x2 = np.clip(low[:, 0], 0, width), np.clip(high[:, 0], 0, width)
        y1, y2 = np.clip(low[:, 1], 0, height), np.clip(high[:, 1], 0, height)
        area = (x2 - x1) * (y2 - y1)
        total = integral[y2, x2] - integral[y1, x2] - integral[y2, x1] + integral[y1, x1]
        return np.where(area > 0, total / np.maximum(area, 1), 0.0)

    def _forget(self, now: datetime) -> None:
        self._confirmed = {
            t: seen for t, seen in self._confirmed.items() if (now - seen).total_seconds() <= TRACK_MEMORY_S
        }
