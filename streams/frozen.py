"""Frozen picture detection: frames keep arriving, but they show the same picture.

A camera or NVR whose encoder hangs often keeps sending the last picture at
the full frame rate; the stream looks healthy and only the picture tells.
Each sampled frame is shrunk to a tiny grey thumbnail (64x36, area
averaging, about a millisecond for a 1080p frame) and compared with a
reference thumbnail: the picture has changed when some thumbnail cell moved
by more than ``min_change`` grey levels. Area averaging removes most sensor
noise, so a hung encoder (identical frames) and a live but empty scene differ
by a wide margin; the maximum over cells (not the mean) keeps a small moving
thing, such as a person far away or an on-screen clock, counting as change.

The reference is the picture at the last change, not the previous frame, so a
slow drift accumulates until it counts. It is kept across reconnects, so a
camera still showing the frozen picture after reconnecting is recognised.
"""

from __future__ import annotations

import cv2
import numpy as np

THUMBNAIL_SIZE = (64, 36)  # width, height; fixed, so any frame size compares with any other


def thumbnail(image: np.ndarray) -> np.ndarray:
    """A 64x36 grey int16 thumbnail of a BGR image (int16, so differences cannot wrap)."""
    # Striding first keeps the cost independent of the resolution; what is left
    # (at least 8x8 pixels per cell) is area-averaged, which smooths the noise.
    step = max(1, min(image.shape[0] // (THUMBNAIL_SIZE[1] * 8), image.shape[1] // (THUMBNAIL_SIZE[0] * 8)))
    small = cv2.resize(image[::step, ::step], THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.int16)


class FrozenDetector:
    def __init__(self, frozen_after_s: float, min_change: float = 2.0):
        """``frozen_after_s`` <= 0 turns detection off (``is_frozen`` is always False)."""
        self.frozen_after_s = frozen_after_s
        self.min_change = min_change
        self._reference: np.ndarray | None = None
        self._since: float | None = None  # when the picture last changed (or the watch restarted)

    def update(self, image: np.ndarray, now: float) -> bool:
        """Look at a frame taken at ``now`` (monotonic s); True when it differs from the reference picture."""
        thumb = thumbnail(image)
        changed = self._reference is None or int(np.abs(thumb - self._reference).max()) > self.min_change
        if changed:
            self._reference = thumb
            self._since = now
        elif self._since is None:
            self._since = now
        return changed

    def unchanged_for(self, now: float) -> float:
        return 0.0 if self._since is None else max(0.0, now - self._since)

    def is_frozen(self, now: float) -> bool:
        if self.frozen_after_s <= 0 or self._since is None:
            return False
        return now - self._since >= self.frozen_after_s

    def restart(self) -> None:
        """Start timing afresh (after a reconnect) but keep the reference picture."""
        self._since = None
