"""Which of a camera's frames are offered for scoring: ``fps`` of them per second.

A camera sends 15-30 frames per second; the detector scores a few. Every
frame still has to be decoded (H.264 frames depend on each other), but only
the sampled ones are converted to BGR and copied out, which is most of the
saved work. The schedule advances by exactly one period per sample, so the
average rate is ``fps`` even when the camera's rate is not a multiple of it;
after a gap (reconnect, stall) it restarts instead of catching up in a burst.
Frames arrive with jitter, so one up to a quarter period early still counts
as on time (otherwise sampling at the camera's own rate would skip frames).
"""

from __future__ import annotations

_EARLY_FRACTION = 0.25


class RateSampler:
    def __init__(self, fps: float):
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.period_s = 1.0 / fps
        self._next: float | None = None

    def due(self, now: float) -> bool:
        """Whether a frame that arrived at ``now`` (monotonic seconds) is sampled."""
        if self._next is not None and now < self._next - self.period_s * _EARLY_FRACTION:
            return False
        if self._next is None or now - self._next >= self.period_s:
            self._next = now + self.period_s  # first frame, or a gap: start afresh
        else:
            self._next += self.period_s
        return True

    def restart(self) -> None:
        self._next = None
